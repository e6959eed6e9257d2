#!/bin/bash
# Guest side of t-uml-kernel.sh: a user-mode-linux guest whose kernel has
# GRE, ESP and XFRM, ready to run vtid with `dataplane kernel`, and an agent
# that runs the host's commands in it.  $1 = guest interface (vec0).
# Env: LOCAL_IP (the guest's address on $1).
# Agent: the host writes $UML_PEER_SHARE/cmd/N.sh (complete when N.go
# exists); the guest runs it with sh, output to N.out, exit status to N.rc
# (written last).  A command may start vtid in the background: it lives on
# in the guest (its pid goes to a file of the command's choosing).
set -u
dev=$1
share=$UML_PEER_SHARE
say() { echo "[guest $(cut -d' ' -f1 /proc/uptime)] $*"; }
# ipv6 loaded first and off: else it loads on demand later and the GRE
# device sends router solicitations through the tunnel (counts must match)
for m in ipv6 xfrm_user esp4 ip_gre ip_vti ctr gcm ghash_generic seqiv cbc hmac authenc; do
	modprobe $m || { say "modprobe $m failed"; exit 10; }
done
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip addr add "$LOCAL_IP/24" dev "$dev"
# The first rfc4106(gcm(aes)) state costs 1-3 s in UML: pay it now, not in
# the middle of IKE.  The test's own state, removed by SPI (nothing else).
ip xfrm state add src 127.0.0.1 dst 127.0.0.3 proto esp spi 0x4242 mode transport \
	aead 'rfc4106(gcm(aes))' "0x$(printf '%072d' 0)" 128 || { say "warm-up state failed"; exit 11; }
ip xfrm state delete src 127.0.0.1 dst 127.0.0.3 proto esp spi 0x4242
mkdir -p "$share/cmd"
say "agent ready"
touch "$UML_PEER_READY"
report() {
	echo "== ip -s xfrm state"
	ip -s xfrm state
	echo "== ip xfrm policy"
	ip xfrm policy
	echo "== ip -d link"
	ip -d link
}
trap 'report; exit 0' TERM
mkfifo /run/agent-tick
n=1
while :; do
	if [ -e "$share/cmd/$n.go" ]; then
		sh "$share/cmd/$n.sh" >"$share/cmd/$n.out" 2>&1 </dev/null
		echo $? >"$share/cmd/$n.rc.new"
		mv "$share/cmd/$n.rc.new" "$share/cmd/$n.rc"
		n=$((n + 1))
		continue
	fi
	# a fifo read with a timeout is the sleep: no fork per round
	read -r -t 0.1 _ <>/run/agent-tick
done
