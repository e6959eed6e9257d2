# lib.sh: shared helpers for tests/integration/t-*.sh (sourced).
#   pass NAME / fail NAME [DETAIL]   print PASS/FAIL lines (tests/run counts them)
#   finish                           exit 1 if anything failed
#   one_router NAME [wan]            a namespace NS=NAME$$ and a folder RUN for one vtid,
#                                    removed at exit (with a veth wan0/wan1, 192.0.2.1/24)
#   start_vtid NS CONF SOCK LOG      start build/vtid in NS (PID remembered)
#   stop_pids                        end the processes started here, by PID
#   vsh SOCK CMD...                  vtish -s SOCK -c CMD ...
#   wait_for SECONDS 'shell test'    poll (0.2 s) until true or time is up
#   line_up SOCK IF                  line protocol of a tunnel is up
#   spis SOCK IF                     "in/out" SPIs of the newest pair
#   sa_field SOCK IF KEY             a counter of show crypto ipsec sa json
BUILD=${BUILD:-build}
TOP=${VTID_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VTID="$TOP/$BUILD/vtid"
VTISH="$TOP/$BUILD/vtish"
_failed=0
_pids=()

pass() { echo "PASS $1"; }
fail() {
	echo "FAIL $1${2:+: $2}"
	_failed=1
}
finish() { exit $_failed; }

start_vtid() {
	local ns=$1 conf=$2 sock=$3 log=$4
	ip netns exec "$ns" "$VTID" -F -f "$conf" -s "$sock" --frr-vty-socket "${5:-/nonexistent}" >"$log" 2>&1 &
	_pids+=($!)
	wait_for 10 "[ -S $sock ]" || fail "vtid in $ns did not open $sock" "$(tail -5 "$log")"
}

one_router() {
	NS=$1$$
	RUN=$(mktemp -d "/tmp/$1.XXXXXX")
	trap 'stop_pids; ip netns del $NS 2>/dev/null; rm -rf "$RUN"' EXIT
	ip netns add "$NS" || { echo "FAIL setup: netns"; exit 1; }
	ip -n "$NS" link set lo up
	if [ "${2:-}" = wan ]; then
		ip link add wan0 netns "$NS" type veth peer name wan1 netns "$NS"
		ip -n "$NS" addr add 192.0.2.1/24 dev wan0
		ip -n "$NS" link set wan0 up
		ip -n "$NS" link set wan1 up
	fi
}

stop_pids() {
	local p
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	_pids=()
}

vsh() {
	local sock=$1
	shift
	local args=()
	for c in "$@"; do args+=(-c "$c"); done
	"$VTISH" -s "$sock" "${args[@]}"
}

wait_for() {
	local secs=$1 cond=$2 end
	end=$(($(date +%s%N) / 1000000 + secs * 1000))
	while [ $(($(date +%s%N) / 1000000)) -lt $end ]; do
		eval "$cond" && return 0
		sleep 0.2
	done
	eval "$cond"
}

line_up() {
	vsh "$1" "show interfaces $2 json" 2>/dev/null | grep -q '"line_protocol":"up"'
}

# json KEY from stdin: first value of "KEY": (string or number)
_jfirst() {
	sed -n "s/.*\"$1\":\"\{0,1\}\([^\",]*\)\"\{0,1\}.*/\1/p" | head -1
}

spis() {
	local j
	j=$(vsh "$1" "show crypto ipsec sa interface $2 json" 2>/dev/null | tr -d ' \n')
	local in out
	in=$(echo "$j" | sed -n 's/.*"inbound":\[{"spi":"\([^"]*\)".*/\1/p')
	out=$(echo "$j" | sed -n 's/.*"outbound":\[{"spi":"\([^"]*\)".*/\1/p')
	echo "$in/$out"
}

sa_field() {
	vsh "$1" "show crypto ipsec sa interface $2 json" 2>/dev/null | tr -d ' \n' |
		sed 's/"inbound".*//' | _jfirst "$3"
}

# vjson SOCK CMD PYEXPR: a value out of a json show; d is the parsed reply
vjson() {
	vsh "$1" "$2" | python3 -c "import json,sys; d=json.load(sys.stdin); print($3)" 2>/dev/null
}

# Fails on sanitizer reports or crashes in daemon logs, and on a log that
# is not there (a check of nothing).
check_logs_clean() {
	local f bad=0
	for f in "$@"; do
		if [ ! -f "$f" ]; then
			fail "daemon log $f" "missing: nothing to check"
			bad=1
		elif grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
			fail "sanitizer report in $(basename "$f")" "$(grep -m3 -E 'ERROR|runtime error' "$f")"
			bad=1
		fi
	done
	[ $bad = 0 ] && pass "daemon logs free of sanitizer reports"
}
