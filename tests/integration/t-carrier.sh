#!/bin/bash
# t-carrier: the tunnel interface follows its SA (DESIGN.md).
#   two-site up and converged; then
#   - R3's vtid stopped (SIGTERM, it says Delete): R2's Tunnel1 loses carrier
#     at once and OSPF withdraws R4's network; vtid back -> SA, carrier,
#     route and ping back;
#   - R3's vtid killed (SIGKILL, says nothing): BFD makes OSPF withdraw the
#     route in about a second, DPD (dpd 10 2 periodic) drops R2's carrier
#     within interval + retries; vtid back -> everything back.
# Times are printed, bounds are generous (no timing assertions beyond
# "within the protocol's own time").
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
lab="$top/tests/lab/lab"
. "$top/tests/lab/testlib.sh"
NAME=vtcr$$
failed=0
trap '"$lab" down $NAME >/dev/null 2>&1' EXIT
# dpd 10 2 in tests/lab/two-site: 10 s idle, then up to 5 probes 2 s apart,
# plus the up-to-one-interval phase of the idle timer and a margin
DPD_BOUND=40

[ -x "$BUILD/vtid" ] || { echo "FAIL t-carrier: $BUILD/vtid not built"; exit 1; }
"$lab" up two-site --name $NAME --vtid || { echo "FAIL lab-up: lab up two-site failed"; exit 1; }

converged() {
	ike_ready $NAME R2 Tunnel1 && ike_ready $NAME R3 Tunnel1 && carrier $NAME R2 Tunnel1 &&
		route_ospf $NAME R2 10.4.4.0/24 Tunnel1 && ping_ok $NAME R1 10.4.4.4
}
withdrawn() { ! route_ospf $NAME R2 10.4.4.0/24; }
no_carrier() { ! carrier $NAME R2 Tunnel1; }

if wait_until 40 converged; then pass converged; else
	fail converged "R2 never had SA + carrier + route + ping"
	exit 1
fi

# graceful stop
t=$(now_ms)
"$lab" kill $NAME R3 vtid TERM
if wait_until 5 no_carrier; then
	pass stop-drops-carrier
	echo "# SIGTERM: R2 Tunnel1 carrier lost after $(($(now_ms) - t)) ms"
else
	fail stop-drops-carrier "R2 Tunnel1 still has carrier 5 s after R3's vtid stopped"
fi
if wait_until 10 withdrawn; then
	pass stop-withdraws-route
	echo "# SIGTERM: route withdrawn after $(($(now_ms) - t)) ms"
else
	fail stop-withdraws-route "10.4.4.0/24 still in R2's table"
fi
t=$(now_ms)
"$lab" start $NAME R3 vtid
if wait_until 40 converged; then
	pass restart-after-stop
	echo "# back (SA, carrier, route, ping) $(($(now_ms) - t)) ms after restarting R3's vtid"
else
	fail restart-after-stop "not converged again"
fi

# crash: nothing said
t=$(now_ms)
"$lab" kill $NAME R3 vtid KILL
if wait_until 10 withdrawn; then
	pass crash-withdraws-route
	echo "# SIGKILL: route withdrawn after $(($(now_ms) - t)) ms (BFD)"
else
	fail crash-withdraws-route "10.4.4.0/24 still in R2's table 10 s after R3's vtid died"
fi
if wait_until $DPD_BOUND no_carrier; then
	pass dpd-drops-carrier
	echo "# SIGKILL: R2 Tunnel1 carrier lost after $(($(now_ms) - t)) ms (DPD)"
else
	fail dpd-drops-carrier "R2 Tunnel1 still has carrier ${DPD_BOUND} s after R3's vtid died"
fi
if ike_ready $NAME R2 Tunnel1; then
	fail dpd-clears-sa "R2 still shows a READY IKE SA"
else
	pass dpd-clears-sa
fi
t=$(now_ms)
"$lab" start $NAME R3 vtid
if wait_until 40 converged; then
	pass restart-after-crash
	echo "# back $(($(now_ms) - t)) ms after restarting R3's vtid"
else
	fail restart-after-crash "not converged again"
fi
lab_down_checked $NAME
exit $failed
