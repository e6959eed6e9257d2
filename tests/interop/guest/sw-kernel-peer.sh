#!/bin/sh
# Guest side of t-uml-strongswan.sh: strongSwan's charon driving the REAL
# kernel XFRM (kernel-netlink, no kernel-libipsec) inside a UML guest, a
# transport-mode Child SA protecting GRE between the two endpoints, a kernel
# GRE device over it.  Responder; ready when swanctl has loaded the config.
# $1 = guest interface (vec0).  Env: LOCAL_IP REMOTE_IP PSK GRE_LOCAL
# GRE_REMOTE IKE_PROPOSALS ESP_PROPOSALS, OSPF=1 for zebra + ospfd on gre1.
set -u
dev=$1
say() { echo "[guest $(cut -d' ' -f1 /proc/uptime)] $*"; }
# ipv6 first and off: otherwise it loads on demand and gre1 sends router
# solicitations through the tunnel
for m in ipv6 xfrm_user esp4 ip_gre ctr gcm ghash_generic seqiv cbc hmac authenc \
	chacha_generic poly1305_generic chacha20poly1305; do
	modprobe $m || { say "modprobe $m failed"; exit 10; }
done
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip addr add "$LOCAL_IP/24" dev "$dev"
# The first rfc4106(gcm(aes)) state costs 1-3 s in UML: pay it now, not
# in the middle of IKE_AUTH.
ip xfrm state add src 127.0.0.1 dst 127.0.0.2 proto esp spi 0x1 mode transport \
	aead 'rfc4106(gcm(aes))' "0x$(printf '%072d' 0)" 128
ip xfrm state add src 127.0.0.1 dst 127.0.0.2 proto esp spi 0x2 mode transport \
	enc 'cbc(aes)' "0x$(printf '%064d' 0)" auth-trunc 'hmac(sha256)' "0x$(printf '%064d' 0)" 128
ip xfrm state add src 127.0.0.1 dst 127.0.0.2 proto esp spi 0x3 mode transport \
	aead 'rfc7539esp(chacha20,poly1305)' "0x$(printf '%072d' 0)" 128
ip xfrm state flush

sw=/run/sw
mkdir -p $sw
cat >$sw/strongswan.conf <<CONF
charon {
	load = random nonce aes sha1 sha2 hmac gcm kdf openssl pem pkcs1 x509 pubkey kernel-netlink socket-default vici
	install_routes = no
	install_virtual_ip = no
	filelog {
		log {
			path = $sw/charon.log
			time_format = %T
			flush_line = yes
			default = 1
			ike = 2
			knl = 1
		}
	}
}
CONF
cat >$sw/swanctl.conf <<CONF
connections {
	gre {
		version = 2
		local_addrs = $LOCAL_IP
		remote_addrs = $REMOTE_IP
		proposals = $IKE_PROPOSALS
		mobike = no
		local {
			auth = psk
			id = $LOCAL_IP
		}
		remote {
			auth = psk
			id = $REMOTE_IP
		}
		children {
			gre {
				local_ts = $LOCAL_IP/32[gre]
				remote_ts = $REMOTE_IP/32[gre]
				mode = transport
				esp_proposals = $ESP_PROPOSALS
				start_action = none
			}
		}
	}
}
secrets {
	ike-vtid {
		id-a = $LOCAL_IP
		id-b = $REMOTE_IP
		secret = "$PSK"
	}
}
CONF
export STRONGSWAN_CONF=$sw/strongswan.conf
/usr/lib/ipsec/charon >$sw/charon.out 2>&1 &
charon=$!
i=0
until [ -S /run/charon.vici ]; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 $charon 2>/dev/null; then
		say "charon did not come up"; cat $sw/charon.out; exit 11
	fi
	sleep 0.3
done
swanctl --load-all --file $sw/swanctl.conf >$sw/load.out 2>&1 || { say "swanctl --load-all failed"; cat $sw/load.out; exit 12; }

ip link add gre1 type gre local "$LOCAL_IP" remote "$REMOTE_IP" ttl 64
ip addr add "$GRE_LOCAL/30" dev gre1
ip link set gre1 up

# OSPF over the GRE tunnel (OSPF=1): zebra + ospfd of the host's FRR 8.4,
# hello 1 / dead 4, the guest's loopback 10.77.0.1/32 advertised.
# mtu-ignore: gre1 (1476) and vtid's Tunnel1 differ in MTU.
frr_start() {
	ip addr add 10.77.0.1/32 dev lo
	f=/run/frr
	mkdir -p $f
	printf 'hostname guest\nlog file %s/zebra.log\n' $f >$f/zebra.conf
	cat >$f/ospfd.conf <<CONF
hostname guest
log file $f/ospfd.log
interface gre1
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 4
 ip ospf mtu-ignore
 ip ospf area 0
interface lo
 ip ospf area 0
 ip ospf passive
router ospf
 ospf router-id 10.77.0.1
 timers throttle lsa all 0
 timers lsa min-arrival 0
 timers throttle spf 0 50 500
CONF
	chown -R frr:frr $f
	for d in zebra ospfd; do
		/usr/lib/frr/$d -d -f $f/$d.conf -i $f/$d.pid -z $f/zserv.api --vty_socket $f >>$f/start.log 2>&1 ||
			{ say "$d did not start"; cat $f/start.log; exit 14; }
	done
}
[ "${OSPF:-0}" = 1 ] && frr_start

report() {
	if [ "${OSPF:-0}" = 1 ]; then
		echo "== show ip ospf neighbor"
		vtysh --vty_socket /run/frr -c 'show ip ospf neighbor' 2>&1
		echo "== ip route"
		ip route
	fi
	echo "== swanctl --list-sas"
	swanctl --list-sas 2>/dev/null
	echo "== ip -s xfrm state"
	ip -s xfrm state
	echo "== ip xfrm policy"
	ip xfrm policy
	echo "== ip -s link show gre1"
	ip -s link show gre1
	echo "== charon log"
	grep -E 'selected proposal|CHILD_SA|IKE_SA .*established|failed|error|NO_PROP|TS_UNACC|INVALID' $sw/charon.log | head -30
}
say "responder ready"
touch "$UML_PEER_READY"
trap 'report; exit 0' TERM
wait $charon
say "charon exited"
report
exit 13
