# shellcheck shell=bash
# swlib.sh: strongSwan (charon + kernel-libipsec) as an independent IKEv2
# peer in a network namespace, for the interop tests (sourced after lib.sh).
#   sw_start NS DIR          start charon in NS with its own /run (private
#                            mount namespace), files in DIR, vici socket
#                            DIR/vici; waits for the socket
#   sw_load DIR FILE         swanctl --load-all from FILE
#   swctl DIR ARGS...        swanctl against that charon
#   sw_conf ...              write a swanctl.conf (see the function)
# Why kernel-libipsec: the host kernel has no ESP, so charon runs its own
# userspace ESP on a TUN device (ipsec0).  It always sends ESP in UDP 4500
# and does tunnel mode only (LAB-FACTS.md); vtid's side therefore uses
# `nat force-encap` and tunnel-mode transform-sets.

sw_strongswan_conf() {
	local dir=$1
	cat <<EOF
charon {
	load = random nonce aes sha1 sha2 hmac gcm kdf openssl pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
	# IKE leaves with mark 0x42; the routes into ipsec0 apply only to
	# unmarked packets, so a child protecting the peer's own address (GRE
	# between the endpoints) does not swallow IKE.
	plugins {
		vici { socket = unix://$dir/vici }
		kernel-netlink { fwmark = !0x42 }
		socket-default { fwmark = 0x42 }
		kernel-libipsec { allow_peer_ts = yes }
	}
	install_virtual_ip = no
	retransmit_tries = 3
	retransmit_timeout = 1.0
	retransmit_base = 1.4
	filelog {
		log {
			path = $dir/charon.log
			time_format = %T
			flush_line = yes
			default = 1
			ike = 2
			knl = 1
			enc = 1
		}
	}
}
EOF
}

sw_start() {
	local ns=$1 dir=$2
	mkdir -p "$dir"
	sw_strongswan_conf "$dir" >"$dir/strongswan.conf"
	ip netns exec "$ns" env STRONGSWAN_CONF="$dir/strongswan.conf" unshare -m sh -c \
		'mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon' >"$dir/charon.out" 2>&1 &
	_pids+=($!)
	wait_for 10 "[ -S $dir/vici ]" || { fail "charon in $ns did not open its vici socket" "$(tail -5 "$dir/charon.out")"; return 1; }
}

swctl() {
	local dir=$1 cmd=$2
	shift 2
	swanctl "$cmd" --uri "unix://$dir/vici" "$@" 2> >(grep -v "^plugin .*failed to load" >&2)
}

sw_load() {
	swctl "$1" --load-all --file "$2" >"$1/load.out" 2>&1 || {
		fail "swanctl --load-all" "$(tail -5 "$1/load.out")"
		return 1
	}
}

# sw_conf SELF PEER PSK IKE_PROPOSALS ESP_PROPOSALS LOCAL_TS REMOTE_TS START DPD
#         [IKE_REKEY_TIME CHILD_REKEY_TIME]   (0 = no rekey by lifetime)
sw_conf() {
	# short rekey times: keep the hard lifetimes well away (strongSwan
	# defaults to +10 %, which the ESP expiry of kernel-libipsec hits first)
	local ike_extra="" child_extra=""
	[ "${10:-0}" != 0 ] && ike_extra="over_time = 20s
		rand_time = 0"
	[ "${11:-0}" != 0 ] && child_extra="life_time = 30s
				rand_time = 0"
	cat <<EOF
connections {
	vti {
		version = 2
		local_addrs = $1
		remote_addrs = $2
		proposals = $4
		dpd_delay = $9
		rekey_time = ${10:-0}
		$ike_extra
		mobike = no
		local {
			auth = psk
			id = $1
		}
		remote {
			auth = psk
			id = $2
		}
		children {
			vti {
				local_ts = $6
				remote_ts = $7
				mode = tunnel
				esp_proposals = $5
				start_action = $8
				dpd_action = clear
				rekey_time = ${11:-0}
				$child_extra
			}
		}
	}
}
secrets {
	ike-vtid {
		id-a = $1
		id-b = $2
		secret = "$3"
	}
}
EOF
}

# Number of IKE SAs / Child SAs charon holds now.
sw_n_ike() { swctl "$1" --list-sas 2>/dev/null | grep -c ': #[0-9]*, ESTABLISHED'; }
sw_n_child() { swctl "$1" --list-sas 2>/dev/null | grep -c 'INSTALLED, TUNNEL'; }
# SPIs of charon's INSTALLED Child SAs ("in=X out=Y " per SA, one line);
# rekeyed SAs waiting for their Delete are left out.
sw_child_spis() {
	swctl "$1" --list-sas 2>/dev/null | awk '/ reqid /{ inst = /INSTALLED/ }
		inst && /^ *(in|out) +[0-9a-f]+,/ { sub(",", "", $2); printf "%s=%s ", $1, $2 }'
}
# IKE SPIs of charon's established IKE SAs (one line).
sw_ike_spis() { swctl "$1" --list-sas 2>/dev/null | grep ESTABLISHED | grep -o '[0-9a-f]\{16\}_[ir]' | tr '\n' ' '; }
