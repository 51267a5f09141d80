#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Set up and run fangzha on this machine: install missing Debian packages,
# build, compile the bundled starter feed into a blocklist and show what it
# blocks. Works offline.
#   ./quickstart.sh
set -eu

src=$(cd "$(dirname "$0")" && pwd)
build=${FZ_BUILD:-$src/build}
cd "$src"

scripts/deps.sh
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" tools/fangzha >/dev/null || ninja -C "$build" tools/fangzha
fz="$build/tools/fangzha"
list="$build/starter.fzb"
s=starter

echo "== compiling the starter feed into $list"
"$fz" compile -o "$list" --allow $s/allow.txt --block $s/block.txt \
	--category fraud $s/fraud.hosts --category phishing $s/phishing.domains \
	--category fraud $s/scam.adblock --category malware $s/malware.rpz \
	$s/apps.urls $s/urlhaus-style.csv

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
echo "== blocklist"
"$fz" info -b "$list"
