#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Set up and run fangzha on this machine: install missing Debian packages,
# build, run one fangzha-feed cycle over the shipped config (public feeds
# when online, the bundled starter feed always), show what the published
# blocklist blocks, then start fangzha-dns on 127.0.0.1@5353 and look up a
# blocked and an allowed name through it. Works offline (the allowed name
# then gets SERVFAIL with an Extended DNS Error saying no upstream answered).
#   ./quickstart.sh
set -eu

src=$(cd "$(dirname "$0")" && pwd)
build=${FZ_BUILD:-$src/build}
cd "$src"

scripts/deps.sh
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" tools/fangzha feeds/fangzha-feed resolver/fangzha-dns >/dev/null ||
	ninja -C "$build" tools/fangzha feeds/fangzha-feed resolver/fangzha-dns
fz="$build/tools/fangzha"
feed="$build/feeds/fangzha-feed"
qs="$build/quickstart"
list="$qs/blocklist.fzb"
mkdir -p "$qs"

# The shipped config, with its state and output under build/ and the starter
# feed read from this tree: the public feeds are fetched when this machine
# is online; offline they fail (and say so) and the starter feed still works.
sed -e "s|^#output = .*|output = $list|" \
	-e "s|^#state_dir = .*|state_dir = $qs/state|" \
	-e "s|^#allow = .*|allow = $src/starter/allow.txt|" \
	-e "s|^#block = .*|block = $src/starter/block.txt|" \
	-e "s|^#connect_timeout = .*|connect_timeout = 10s|" \
	-e "s|file:///usr/share/fangzha/starter|file://$src/starter|" \
	etc/fangzha.conf >"$qs/fangzha.conf"

echo "== fangzha-feed update --config $qs/fangzha.conf"
rc=0
"$feed" update --force --config "$qs/fangzha.conf" || rc=$?
case $rc in
0) ;;
2) echo "(some feeds failed: their last good copy, if any, was used)" ;;
*)
	echo "fangzha-feed could not publish a list (exit $rc)" >&2
	exit 1
	;;
esac

echo
echo "== verdicts"
"$fz" check -b "$list" \
	fake-bank-login.test \
	www.fake-bank-login.test \
	x.account-suspended.test \
	good.account-suspended.test \
	www.wikipedia.org \
	http://apps.example-cdn.test/download/fake-bank.apk \
	http://apps.example-cdn.test/download/real-app.apk \
	198.51.100.23

echo
echo "== fangzha-dns on 127.0.0.1@5353 (upstream: this machine's resolver)"
up=$(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
case $up in
"") up=127.0.0.53 ;;
*:*) up="[$up]" ;;
esac
dns="$build/resolver/fangzha-dns"
"$dns" --listen 127.0.0.1@5353 --upstream "$up@53" --blocklist "$list" --threads 1 \
	--events "$qs/events.jsonl" >"$qs/dns.log" 2>&1 &
dns_pid=$!
trap 'kill $dns_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
	grep -q "ready" "$qs/dns.log" 2>/dev/null && break
	sleep 0.1
done
cat "$qs/dns.log"
lookup() {
	echo "-- $1 $2"
	kdig @127.0.0.1 -p 5353 +timeout=3 +retry=0 +edns "$1" "$2" 2>&1 |
		grep -E "status:|EDE|^$1\.?[[:space:]]" | sed 's/^;; */   /' || true
}
lookup fake-bank-login.test A   # listed by the starter feed: NXDOMAIN, EDE 15
lookup x.account-suspended.test A # a child of a listed subtree
lookup good.account-suspended.test A # allowlisted child of that subtree: forwarded, no EDE
lookup www.wikipedia.org A     # not listed: forwarded (SERVFAIL with EDE 22 when no upstream answers)
echo "-- block events written to $qs/events.jsonl:"
cat "$qs/events.jsonl" 2>/dev/null || true
kill $dns_pid 2>/dev/null || true
wait $dns_pid 2>/dev/null || true
trap - EXIT

echo
echo "== fangzha-nfq --pcap: captures of real clients (Chromium over TCP and HTTP/3, curl),"
echo "   first against the starter list, then against a list that has their names"
nfq="$build/nfq/fangzha-nfq"
caps="$src/tests/fixtures/nfq/captured"
if [ -x "$nfq" ]; then
	for c in chromium-tcp chromium-quic curl; do
		"$nfq" --pcap "$caps/$c.pcap" --blocklist "$list"
	done
	printf 'fraud.test\nquic-fraud.test\n' >"$qs/demo-names.txt"
	"$fz" compile -o "$qs/demo.fzb" --format domains --match subtree --name demo \
		"$qs/demo-names.txt" >/dev/null
	for c in chromium-tcp chromium-quic; do
		"$nfq" --pcap "$caps/$c.pcap" --blocklist "$qs/demo.fzb"
	done
	echo "(on a gateway: fangzha rules install --mode gateway; fangzha-nfq --queues 0)"
fi

echo
echo "== feeds"
"$fz" feeds status --config "$qs/fangzha.conf"

echo
echo "== blocklist"
"$fz" info -b "$list"
