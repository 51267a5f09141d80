#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages fangzha needs, only those missing.
#   scripts/deps.sh            build and run
#   scripts/deps.sh --test     also what the test suites need
set -eu

build_pkgs="gcc meson ninja-build pkg-config libidn2-dev libldns-dev libcurl4-openssl-dev
libmnl-dev libnetfilter-queue-dev libpcap-dev libssl-dev knot-dnsutils"
test_pkgs="clang libclang-rt-14-dev clang-format nginx-light nsd openssl minisign
knot-dnsutils dnsperf iptables conntrack tcpdump caddy ngtcp2-client chromium iperf3 wrk"

pkgs=$build_pkgs
[ "${1:-}" = "--test" ] && pkgs="$pkgs $test_pkgs"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "fangzha needs these Debian packages:$missing" >&2
	echo "run: sudo apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q $missing >/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; }
