# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2016 # variables used by the sourcing scripts; zone text
# Sourced (bash) by tests/integration/test_nfq.sh (and usable by bench/ and
# by hand to capture fixtures): three network namespaces in a row and real
# servers in the last one.
#
#   client (NZ_C)  eth0 10.77.1.2/24 fd77:1::2/64
#      |
#   gateway (NZ_G) c0 10.77.1.1 fd77:1::1, s0 10.77.2.1 fd77:2::1, forwarding on
#      |
#   server (NZ_S)  eth0 10.77.2.2 + .3, fd77:2::2 + ::3
#
#   nz_topo TAG          create the namespaces fzc-TAG, fzg-TAG, fzs-TAG
#                        (names in NZ_C NZ_G NZ_S), the veth pairs, addresses
#                        and routes; the client's /etc/hosts and resolv.conf
#                        (ip netns exec binds /etc/netns/NZ_C/*) map every
#                        test name to the server and name no resolver that
#                        exists, so no lookup ever leaves through DNS
#   nz_topo_del          stop what nz_run_bg started, delete the namespaces
#                        and /etc/netns/NZ_C (safe to call twice, or early)
#   nz_ca DIR            DIR/ca.pem, DIR/srv.{pem,key} (SANs: NZ_NAMES and
#                        the server addresses), DIR/spki (base64 SHA-256 of
#                        the server key's SPKI, for Chromium)
#   nz_nginx DIR DOCROOT CADIR
#                        nginx in the server namespace on 10.77.2.2 and
#                        fd77:2::2, HTTP 80 and HTTPS 443 (TCP)
#   nz_caddy DIR CADIR   caddy in the server namespace on 10.77.2.3 and
#                        fd77:2::3, HTTPS 443 over TCP and HTTP/3 (UDP 443)
#   nz_nsd DIR           nsd in the server namespace on 10.77.2.2 and
#                        fd77:2::2 port 53, zone "test." with an A and AAAA
#                        for every name of NZ_NAMES (a foreign resolver)
#   nz_c / nz_g / nz_s CMD...   run CMD in that namespace
#   nz_run_bg NS LOG CMD...     start CMD in namespace NS in the background,
#                        output to LOG; its pid in NZ_BG_PID, stopped by
#                        nz_topo_del

NZ_NAMES="allowed.test fraud.test www.fraud.test app.test quic-fraud.test quic-ok.test ok.test doh.test dot.test"
# Names served by caddy (HTTP/3); everything else resolves to nginx. Each
# also has v4.NAME and v6.NAME with an address of one family only (for
# clients that take a name and pick the family themselves, like gtlsclient:
# given an address, gtlsclient 0.12 sends the SNI "localhost").
NZ_QUIC_NAMES="quic-fraud.test quic-ok.test"
NZ_SRV4=10.77.2.2
NZ_SRV6=fd77:2::2
NZ_Q4=10.77.2.3
NZ_Q6=fd77:2::3
NZ_CLI4=10.77.1.2
NZ_CLI6=fd77:1::2
NZ_C=
NZ_G=
NZ_S=
NZ_BG_PIDS=
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NZ_NGINX=${NZ_NGINX:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}
NZ_CADDY=${NZ_CADDY:-$(command -v caddy 2>/dev/null || echo /usr/bin/caddy)}
NZ_NSD=${NZ_NSD:-$(command -v nsd 2>/dev/null || echo /usr/sbin/nsd)}

nz_c() { ip netns exec "$NZ_C" "$@"; }
nz_g() { ip netns exec "$NZ_G" "$@"; }
nz_s() { ip netns exec "$NZ_S" "$@"; }

nz_run_bg()
{
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	NZ_BG_PID=$!
	NZ_BG_PIDS="$NZ_BG_PIDS $NZ_BG_PID"
}

# nz_addr_of NAME FAMILY(4|6): the server address NAME maps to.
nz_addr_of()
{
	local n=$1 fam=$2 q
	for q in $NZ_QUIC_NAMES; do
		if [ "$q" = "$n" ] || [ "v4.$q" = "$n" ] || [ "v6.$q" = "$n" ]; then
			[ "$fam" = 4 ] && echo "$NZ_Q4" || echo "$NZ_Q6"
			return 0
		fi
	done
	[ "$fam" = 4 ] && echo "$NZ_SRV4" || echo "$NZ_SRV6"
}

nz_topo()
{
	local tag=$1 n
	NZ_C=fzc-$tag
	NZ_G=fzg-$tag
	NZ_S=fzs-$tag
	ip netns add "$NZ_C" && ip netns add "$NZ_G" && ip netns add "$NZ_S" || return 1
	for n in "$NZ_C" "$NZ_G" "$NZ_S"; do
		ip -n "$n" link set lo up || return 1
	done
	# veth pairs created inside the gateway, the far ends moved out
	ip -n "$NZ_G" link add c0 type veth peer name eth0 netns "$NZ_C" &&
		ip -n "$NZ_G" link add s0 type veth peer name eth0 netns "$NZ_S" || return 1
	nz_c sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	nz_g sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	nz_s sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$NZ_C" addr add 10.77.1.2/24 dev eth0 &&
		ip -n "$NZ_C" addr add fd77:1::2/64 dev eth0 nodad &&
		ip -n "$NZ_G" addr add 10.77.1.1/24 dev c0 &&
		ip -n "$NZ_G" addr add fd77:1::1/64 dev c0 nodad &&
		ip -n "$NZ_G" addr add 10.77.2.1/24 dev s0 &&
		ip -n "$NZ_G" addr add fd77:2::1/64 dev s0 nodad &&
		ip -n "$NZ_S" addr add 10.77.2.2/24 dev eth0 &&
		ip -n "$NZ_S" addr add 10.77.2.3/24 dev eth0 &&
		ip -n "$NZ_S" addr add fd77:2::2/64 dev eth0 nodad &&
		ip -n "$NZ_S" addr add fd77:2::3/64 dev eth0 nodad || return 1
	for n in "$NZ_C:eth0" "$NZ_G:c0" "$NZ_G:s0" "$NZ_S:eth0"; do
		ip -n "${n%%:*}" link set "${n#*:}" up || return 1
	done
	ip -n "$NZ_C" route add default via 10.77.1.1 &&
		ip -n "$NZ_C" -6 route add default via fd77:1::1 &&
		ip -n "$NZ_S" route add default via 10.77.2.1 &&
		ip -n "$NZ_S" -6 route add default via fd77:2::1 || return 1
	nz_g sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	# the client's resolver files (bound over /etc by ip netns exec)
	mkdir -p "/etc/netns/$NZ_C" || return 1
	{
		echo "127.0.0.1 localhost"
		echo "::1 localhost"
		for n in $NZ_NAMES; do
			echo "$(nz_addr_of "$n" 4) $n"
			echo "$(nz_addr_of "$n" 6) $n"
		done
		for n in $NZ_QUIC_NAMES; do
			echo "$NZ_Q4 v4.$n"
			echo "$NZ_Q6 v6.$n"
		done
	} >"/etc/netns/$NZ_C/hosts"
	# a resolver address nobody answers on: no lookup may get through
	echo "nameserver 192.0.2.53" >"/etc/netns/$NZ_C/resolv.conf"
	return 0
}

nz_topo_del()
{
	local n
	# shellcheck disable=SC2086 # a list of pids
	fz_stop_pids 30 $NZ_BG_PIDS
	NZ_BG_PIDS=
	# whatever still runs in the namespaces (daemonized nginx, chromium
	# helpers): ip netns pids lists exactly those
	for n in $NZ_C $NZ_G $NZ_S; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	done
	for n in $NZ_C $NZ_G $NZ_S; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$NZ_C" ] && rm -rf "/etc/netns/$NZ_C"
	return 0
}

nz_ca()
{
	local d=$1 san n
	mkdir -p "$d" || return 1
	san="IP:$NZ_SRV4,IP:$NZ_SRV6,IP:$NZ_Q4,IP:$NZ_Q6"
	for n in $NZ_NAMES; do
		san="$san,DNS:$n"
	done
	for n in $NZ_QUIC_NAMES; do
		san="$san,DNS:v4.$n,DNS:v6.$n"
	done
	cat >"$d/srv.ext" <<-EOF
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, digitalSignature, keyEncipherment
		extendedKeyUsage = serverAuth
		subjectAltName = $san
	EOF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=fangzha nfq test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$d/openssl.log" &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/srv.key" -out "$d/srv.csr" -subj "/CN=fraud.test" \
			2>>"$d/openssl.log" &&
		openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -out "$d/srv.pem" -days 2 -extfile "$d/srv.ext" \
			2>>"$d/openssl.log" || {
		cat "$d/openssl.log" >&2
		return 1
	}
	cat "$d/srv.pem" "$d/ca.pem" >"$d/chain.pem"
	openssl x509 -in "$d/srv.pem" -noout -pubkey 2>>"$d/openssl.log" |
		openssl pkey -pubin -outform der 2>>"$d/openssl.log" |
		openssl dgst -sha256 -binary | base64 >"$d/spki"
	chmod 644 "$d"/*.pem "$d"/*.key
}

nz_nginx()
{
	local d=$1 root=$2 ca=$3
	mkdir -p "$d/tmp" || return 1
	cat >"$d/nginx.conf" <<-EOF
		user root root;
		worker_processes 1;
		pid $d/nginx.pid;
		error_log $d/error.log warn;
		events { worker_connections 512; }
		http {
			log_format fz '\$remote_addr \$host \$request_uri \$status';
			access_log $d/access.log fz;
			client_body_temp_path $d/tmp/body;
			proxy_temp_path $d/tmp/proxy;
			fastcgi_temp_path $d/tmp/fastcgi;
			uwsgi_temp_path $d/tmp/uwsgi;
			scgi_temp_path $d/tmp/scgi;
			default_type text/plain;
			types { text/html html; application/vnd.android.package-archive apk; }
			keepalive_timeout 5;
			server {
				listen $NZ_SRV4:80;
				listen [$NZ_SRV6]:80;
				listen $NZ_SRV4:443 ssl;
				listen [$NZ_SRV6]:443 ssl;
				listen $NZ_SRV4:853 ssl;
				listen [$NZ_SRV6]:853 ssl;
				server_name _;
				ssl_certificate $ca/chain.pem;
				ssl_certificate_key $ca/srv.key;
				root $root;
			}
		}
	EOF
	if ! nz_s "$NZ_NGINX" -c "$d/nginx.conf" -e "$d/error.log" 2>"$d/start.log"; then
		echo "nginx did not start:" >&2
		cat "$d/start.log" "$d/error.log" >&2 2>/dev/null
		return 1
	fi
}

nz_caddy()
{
	local d=$1 ca=$2
	mkdir -p "$d/home" || return 1
	cat >"$d/Caddyfile" <<-EOF
		{
			admin off
			auto_https off
			skip_install_trust
			storage file_system $d/home
			servers {
				protocols h1 h2 h3
			}
		}
		https://:443 {
			bind $NZ_Q4 [$NZ_Q6]
			tls $ca/chain.pem $ca/srv.key
			respond "caddy ok {host} {http.request.proto}
		"
		}
	EOF
	HOME=$d/home XDG_DATA_HOME=$d/home XDG_CONFIG_HOME=$d/home \
		nz_run_bg "$NZ_S" "$d/caddy.log" "$NZ_CADDY" run --adapter caddyfile --config "$d/Caddyfile"
	for _ in $(seq 100); do
		if nz_s ss -Huln "sport = :443" 2>/dev/null | grep -q "$NZ_Q4"; then
			return 0
		fi
		kill -0 "$NZ_BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "caddy did not start:" >&2
	cat "$d/caddy.log" >&2
	return 1
}

# nz_nsd_answers: the server's nsd answers for test.
nz_nsd_answers()
{
	nz_s kdig @"$NZ_SRV4" +timeout=1 +retry=0 ok.test A 2>/dev/null | grep -q 'status: NOERROR'
}

nz_nsd()
{
	local d=$1 n
	mkdir -p "$d" || return 1
	{
		echo '$ORIGIN test.'
		echo '$TTL 60'
		echo '@ SOA ns.test. hostmaster.test. 1 3600 600 86400 60'
		echo '@ NS ns.test.'
		echo "ns A $NZ_SRV4"
		for n in $NZ_NAMES; do
			echo "$n. A $(nz_addr_of "$n" 4)"
			echo "$n. AAAA $(nz_addr_of "$n" 6)"
		done
	} >"$d/test.zone"
	fz_nsd_conf "$d" "ip-address: $NZ_SRV4" "ip-address: $NZ_SRV6" "rrl-ratelimit: 0"
	printf 'zone:\n\tname: test\n\tzonefile: test.zone\n' >>"$d/nsd.conf"
	nz_run_bg "$NZ_S" "$d/nsd.out" "$NZ_NSD" -d -c "$d/nsd.conf"
	fz_wait_for "$NZ_BG_PID" 50 nz_nsd_answers && return 0
	echo "nsd did not start:" >&2
	cat "$d/nsd.out" "$d/nsd.log" >&2 2>/dev/null
	return 1
}
