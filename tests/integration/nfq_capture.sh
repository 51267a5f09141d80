#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Capture the nfq fixtures from real clients (run by hand, as root):
#   nfq_capture.sh OUTDIR
#
# Builds the client - gateway - server namespaces of nfq_env.sh (no
# inspector, no rules), runs headless Chromium over TCP and HTTP/3, curl and
# gtlsclient against nginx and caddy, records each with tcpdump in the
# client namespace and extracts the client->server payloads:
#   chromium-tcp.pcap       Chromium, https://fraud.test/ok.html over IPv4
#   chromium-clienthello.bin  its ClientHello record (SNI fraud.test)
#   chromium-quic.pcap      Chromium, https://quic-fraud.test/ over HTTP/3, IPv6
#   chromium-quic.N.bin     its first UDP datagrams holding Initial packets
#   gtlsclient.pcap         gtlsclient (QUIC v1) given the address 10.77.2.3 and
#                           --sni=quic-fraud.test: gtlsclient 0.12 ignores
#                           --sni then and sends the SNI "localhost"; IPv4
#   gtlsclient-quic.N.bin   its Initial datagrams
#   gtlsclient-name.pcap    gtlsclient given the name quic-fraud.test (from
#                           the client's /etc/hosts): SNI quic-fraud.test, IPv6
#   gtlsclient-name-quic.N.bin  its Initial datagrams
#   curl.pcap               curl (OpenSSL), https://fraud.test/ok.html, IPv4
#   curl-clienthello.bin    its ClientHello record (SNI fraud.test)
#   versions.txt            the client and server versions used
set -u
OUT=${1:?usage: nfq_capture.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
X=$HERE/nfq_extract.py
[ "$(id -u)" = 0 ] || {
	echo "needs root"
	exit 77
}
# shellcheck source=nfq_env.sh
. "$HERE/nfq_env.sh"
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/fz-nfqcap.XXXXXX") || exit 1
cleanup()
{
	nz_topo_del
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$T/root/app"
echo "<html><body>ok page</body></html>" >"$T/root/ok.html"
nz_topo "cap$$" && nz_ca "$T/ca" && nz_nginx "$T/nginx" "$T/root" "$T/ca" &&
	nz_caddy "$T/caddy" "$T/ca" || exit 1
SPKI=$(cat "$T/ca/spki")

# cap NAME FILTER CMD...: CMD in the client namespace under tcpdump
cap()
{
	local n=$1 f=$2 tp
	shift 2
	ip netns exec "$NZ_C" tcpdump -i eth0 --immediate-mode -U -s 0 -w "$T/$n.pcap" "$f" 2>"$T/$n.tcpdump" &
	tp=$!
	for _ in $(seq 50); do
		grep -q listening "$T/$n.tcpdump" 2>/dev/null && break
		sleep 0.1
	done
	nz_c "$@" >"$T/$n.out" 2>"$T/$n.err" || echo "$n: exit $?" >&2
	sleep 0.5
	kill "$tp"
	wait "$tp"
	cp "$T/$n.pcap" "$OUT/$n.pcap"
}
# chromium ARGS...: headless Chromium with a fresh profile, trusting the test cert
chromium_args()
{
	CHR=(timeout 30 chromium --headless=new --no-sandbox --disable-gpu
		--user-data-dir="$(mktemp -d "$T/chromium.XXXXXX")"
		--ignore-certificate-errors-spki-list="$SPKI")
}

chromium_args
cap chromium-tcp "tcp port 443" "${CHR[@]}" --host-resolver-rules="MAP fraud.test $NZ_SRV4" \
	--dump-dom https://fraud.test/ok.html
chromium_args
cap chromium-quic "udp port 443" "${CHR[@]}" --host-resolver-rules="MAP quic-fraud.test [$NZ_Q6]" \
	--enable-quic --origin-to-force-quic-on=quic-fraud.test:443 --dump-dom https://quic-fraud.test/
grep -q "HTTP/3" "$T/chromium-quic.out" || echo "chromium-quic: not HTTP/3?" >&2
cap gtlsclient "udp port 443" timeout 10 gtlsclient --exit-on-all-streams-close \
	--sni=quic-fraud.test "$NZ_Q4" 443 https://quic-fraud.test/
cap gtlsclient-name "udp port 443" timeout 10 gtlsclient --exit-on-all-streams-close \
	quic-fraud.test 443 https://quic-fraud.test/
cap curl "tcp port 443" curl -sS --cacert "$T/ca/ca.pem" https://fraud.test/ok.html -4

rm -f "$OUT"/chromium-quic.*.bin "$OUT"/gtlsclient-quic.*.bin "$OUT"/gtlsclient-name-quic.*.bin
"$PY" "$X" tls "$OUT/chromium-tcp.pcap" 443 "$OUT/chromium-clienthello.bin" &&
	"$PY" "$X" tls "$OUT/curl.pcap" 443 "$OUT/curl-clienthello.bin" &&
	"$PY" "$X" quic "$OUT/chromium-quic.pcap" 443 "$OUT/chromium-quic" 4 &&
	"$PY" "$X" quic "$OUT/gtlsclient.pcap" 443 "$OUT/gtlsclient-quic" 4 &&
	"$PY" "$X" quic "$OUT/gtlsclient-name.pcap" 443 "$OUT/gtlsclient-name-quic" 4 || exit 1
{
	echo "captured $(date -u +%Y-%m-%d) on Linux $(uname -r)"
	chromium --version 2>/dev/null | tail -n 1
	curl --version | head -n 1
	echo "gtlsclient: ngtcp2-client $(dpkg-query -W -f='${Version}' ngtcp2-client 2>/dev/null)"
	echo "caddy $(caddy version 2>/dev/null | cut -d' ' -f1)"
	"$NZ_NGINX" -v 2>&1
	tcpdump --version 2>&1 | head -n 1
} >"$OUT/versions.txt"
ls -l "$OUT"
