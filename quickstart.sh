#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Set up and run fangzha on this machine: install missing Debian packages,
# build, run one fangzha-feed cycle over the shipped config (public feeds
# when online, the bundled starter feed always) and show what the published
# blocklist blocks. Works offline.
#   ./quickstart.sh
set -eu

src=$(cd "$(dirname "$0")" && pwd)
build=${FZ_BUILD:-$src/build}
cd "$src"

scripts/deps.sh
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" tools/fangzha feeds/fangzha-feed >/dev/null ||
	ninja -C "$build" tools/fangzha feeds/fangzha-feed
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
echo "== feeds"
"$fz" feeds status --config "$qs/fangzha.conf"

echo
echo "== blocklist"
"$fz" info -b "$list"
