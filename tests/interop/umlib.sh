# shellcheck shell=bash
# umlib.sh: helpers for interop tests that drive user-mode-linux guests
# running guest/vtid-agent.sh (sourced after ../integration/lib.sh).
#   uml_guest_bins            GVTID GVTISH: the build the guest can run (under
#                             ASan the plain build named by VTID_GUEST_BUILD)
#   uml_share_bins SHARE      GVTID GVTISH copied into SHARE/bin, and set to
#                             their guest paths (/run/uml-run/bin/...): the
#                             guest's /tmp is its own tmpfs, so a tree under
#                             /tmp (a CI clone) is not there
#   uml_gx SHARE 'CMD' [S]    run CMD (sh) in the guest whose share folder on
#                             the host is SHARE; prints its output, returns
#                             its status (124 after S seconds, default 30)
#   uml_ospfd_conf HOST RID IF   an ospfd.conf: IF point-to-point, hello 1 /
#                             dead 4, mtu-ignore, lo passive, fast LSAs
#                             (the settings t-uml-strongswan's guest uses)

uml_guest_bins() {
	GVTID=$VTID GVTISH=$VTISH
	ldd "$VTID" 2>/dev/null | grep -q libasan || return 0
	# ASan's shadow memory does not fit UML's address space
	GVTID=$TOP/${VTID_GUEST_BUILD:-build}/vtid GVTISH=$TOP/${VTID_GUEST_BUILD:-build}/vtish
	if [ ! -x "$GVTID" ] || [ ! -x "$GVTISH" ] || ldd "$GVTID" | grep -q libasan; then
		echo "FAIL setup: $VTID is an ASan build, which cannot run in user-mode-linux, and $GVTID is no plain build (set VTID_GUEST_BUILD)"
		return 1
	fi
	echo "note: ASan build; the guest runs $GVTID"
}

uml_share_bins() {
	mkdir -p "$1/bin"
	cp "$GVTID" "$1/bin/vtid" && cp "$GVTISH" "$1/bin/vtish" || {
		echo "FAIL setup: cannot copy $GVTID and $GVTISH into the guest's share $1"
		return 1
	}
	GVTID=/run/uml-run/bin/vtid GVTISH=/run/uml-run/bin/vtish
}

# The command number lives in a file: uml_gx runs in $(...) subshells.
uml_gx() {
	local share=$1 cmd=$2 limit=${3:-30} end n
	n=$(($(cat "$share/cmd/.n" 2>/dev/null || echo 0) + 1))
	echo $n >"$share/cmd/.n"
	printf '%s\n' "$cmd" >"$share/cmd/$n.sh"
	touch "$share/cmd/$n.go"
	end=$((SECONDS + limit))
	while [ ! -e "$share/cmd/$n.rc" ]; do
		[ $SECONDS -ge $end ] && { echo "(guest command timed out: $cmd)"; return 124; }
		sleep 0.1
	done
	cat "$share/cmd/$n.out"
	return "$(cat "$share/cmd/$n.rc")"
}

uml_ospfd_conf() {
	cat <<C
hostname $1
log file /run/frr/ospfd.log
interface $3
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 4
 ip ospf mtu-ignore
 ip ospf area 0
interface lo
 ip ospf area 0
 ip ospf passive
router ospf
 ospf router-id $2
 timers throttle lsa all 0
 timers lsa min-arrival 0
 timers throttle spf 0 50 500
C
}
