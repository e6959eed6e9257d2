#!/bin/bash
# t-config-sessions: configuration sessions that compose (vtid/cmd.c,
# conf/compose.c), on one vtid with no peer.  Two control connections in
# configuration mode at once (config_sessions.py): 20 interleaved edits each
# all land; `show configuration sessions` names both; an edit to an object
# the other session deleted is refused naming that session; a SIGHUP reload
# is not undone by the next line of a session that was open across it.
set -u
. "$(dirname "$0")/lib.sh"

one_router vtCs

printf 'hostname START\n!\nend\n' >"$RUN/vtid.conf"
start_vtid $NS "$RUN/vtid.conf" "$RUN/s" "$RUN/log"
python3 "$TOP/tests/integration/config_sessions.py" "$RUN/s" "$RUN/vtid.conf" "${_pids[0]}" ||
	_failed=1
kill -0 "${_pids[0]}" 2>/dev/null && pass "vtid still running" || fail "vtid still running" "$(tail -5 "$RUN/log")"
finish
