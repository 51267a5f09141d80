#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end benchmark of fangzha-feed: every real feed snapshot served by a
# local nginx over HTTPS (a throw-away test CA), one [feed] per snapshot.
#   bench/feeds_bench.sh [--runs N]
# Prints, for each measured `fangzha-feed update --force`, wall time and
# peak RSS (/usr/bin/time -f):
#   cold      empty state dir, no output: fetch every snapshot, parse, vet,
#             keep state, compile and publish (target: ~1M names <= 3 s)
#   warm      right after: every feed answers 304, nothing is compiled
#             (target: a warm cycle over 10 feeds <= 200 ms)
#   warm-10   the same with the ten largest snapshots only (the target's case)
# Figures are printed beside the targets, never asserted. N runs of each
# (default 3); the best and the median are summarised.
# Environment: FZ_DATA_DIR (snapshots; default ../shared/data beside the
# source tree), FZ_BENCH_BUILD (build directory, buildtype=release; default
# <source>/build-bench), FZ_KEEP=1 keeps the temporary directory.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${FZ_BENCH_BUILD:-$src/build-bench}
data=${FZ_DATA_DIR:-$src/../shared/data}
runs=3
while [ $# -gt 0 ]; do
	case $1 in
	--runs)
		runs=${2:?--runs N}
		shift 2
		;;
	*)
		echo "usage: $0 [--runs N]" >&2
		exit 2
		;;
	esac
done

if [ ! -d "$data" ]; then
	echo "no feed snapshots at $data (set FZ_DATA_DIR)" >&2
	exit 77
fi
for tool in openssl /usr/bin/time; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "$tool is missing" >&2
		exit 77
	}
done
# shellcheck source=../tests/integration/feeds_env.sh
. "$src/tests/integration/feeds_env.sh"
[ -x "$FZ_NGINX" ] || {
	echo "nginx is missing (scripts/deps.sh --test installs nginx-light)" >&2
	exit 77
}

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$src" --buildtype=release >/dev/null
else
	meson configure "$build" -Dbuildtype=release >/dev/null
fi
ninja -C "$build" -j2 feeds/fangzha-feed >/dev/null
feed=$build/feeds/fangzha-feed

T=$(mktemp -d "${TMPDIR:-/tmp}/fz-feedbench.XXXXXX")
cleanup()
{
	fz_env_nginx_stop "$T/nginx"
	if [ "${FZ_KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$T/www" "$T/nginx"
fz_env_ca "$T/ca"
fz_env_nginx "$T/nginx" "$T/www" "$T/ca"

# One [feed] per snapshot, format by the file name's prefix (as the data suite).
# Largest first: warm-10 takes the ten largest (the worst case for the target).
files=()
# shellcheck disable=SC2045
for b in $(ls -S "$data"); do
	f=$data/$b
	case $b in
	hosts-* | domains-* | wildcard-* | adblock-* | rpz-* | urls-*) ;;
	*) continue ;;
	esac
	[ -f "$f" ] && [ -r "$f" ] || continue
	ln -s "$f" "$T/www/$b"
	files+=("$b")
done
# Top the real snapshots (about 755k names) up to about 1M with one generated
# feed of realistic shape (deterministic), so "cold" measures the target's size.
topup=${FZ_TOPUP:-260000}
if [ "$topup" -gt 0 ]; then
	awk -v n="$topup" 'BEGIN {
		srand(20261127);
		split("com net org top xyz cn shop vip online site club info live icu cc", tld, " ");
		for (i = 0; i < n; i++) {
			l = 5 + int(rand() * 10); s = "";
			for (k = 0; k < l; k++) s = s substr("abcdefghijklmnopqrstuvwxyz0123456789-", 1 + int(rand() * 36), 1);
			gsub(/^-+|-+$/, "x", s);
			printf "%s%d.%s\n", s, i, tld[1 + int(rand() * 15)];
		}
	}' >"$T/www/generated-topup.txt"
	files+=("generated-topup.txt")
fi
if [ ${#files[@]} -lt 10 ]; then
	echo "only ${#files[@]} snapshots in $data (want >= 10)" >&2
	exit 77
fi

# write_conf FILE N: a config with the first N snapshots.
write_conf()
{
	local conf=$1 n=$2 i b fmt cat
	cat >"$conf" <<-EOF
		[feeds]
		output = $T/out/blocklist.fzb
		state_dir = $T/state
		ca_file = $T/ca/ca.pem
		concurrency = 8
		timeout = 60
		retries = 0
	EOF
	for ((i = 0; i < n; i++)); do
		b=${files[$i]}
		case $b in
		hosts-*) fmt=hosts ;;
		domains-* | wildcard-* | generated-*) fmt=domains ;;
		adblock-*) fmt=adblock ;;
		rpz-*) fmt=rpz ;;
		*.csv) fmt=csv ;;
		*) fmt=urls ;;
		esac
		case $b in
		*phish*) cat=phishing ;;
		*gambling*) cat=gambling ;;
		*urlhaus* | *malware* | *risk*) cat=malware ;;
		*) cat=fraud ;;
		esac
		# Feeds are taken as they are: no shrink or size limits in the way.
		printf '\n[feed %s]\nurl = https://127.0.0.1:%s/%s\nformat = %s\ncategory = %s\nmin_entries = 0\n' \
			"${b%.*}" "$FZ_NGINX_PORT" "$b" "$fmt" "$cat" >>"$conf"
	done
}
write_conf "$T/all.conf" ${#files[@]}
write_conf "$T/ten.conf" 10

# measure LABEL CONF: one timed update; appends "LABEL WALL_S RSS_KIB" to $T/results.
measure()
{
	local label=$1 conf=$2 rc=0
	/usr/bin/time -f '%e %M' -o "$T/time" "$feed" update --force --config "$conf" \
		>"$T/run.out" 2>"$T/run.err" || rc=$?
	# (a failed command adds a line before the figures)
	read -r wall rss < <(tail -n 1 "$T/time")
	local summary
	summary=$(grep -E '^(published|unchanged) generation|^no list' "$T/run.out" | tail -1)
	printf '%-8s %7.3f s  %7.1f MiB  exit %d  %s\n' "$label" "$wall" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
		"$rc" "$summary"
	if [ "$rc" != 0 ]; then
		grep -E 'failed|error' "$T/run.out" "$T/run.err" | sed 's/^/           /' | head -5
	fi
	echo "$label $wall $rss" >>"$T/results"
}

echo "fangzha-feed $("$feed" --version 2>/dev/null | awk '{ print $2 }'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "${#files[@]} snapshots from $data ($(du -shL "$T/www" | cut -f1)), nginx https://127.0.0.1:$FZ_NGINX_PORT"
echo
for ((r = 1; r <= runs; r++)); do
	rm -rf "$T/state" "$T/out"
	mkdir -p "$T/out"
	measure cold "$T/all.conf"
	measure warm "$T/all.conf"
done
for ((r = 1; r <= runs; r++)); do
	rm -rf "$T/state" "$T/out"
	mkdir -p "$T/out"
	"$feed" update --force --config "$T/ten.conf" >/dev/null 2>&1 || true
	measure warm-10 "$T/ten.conf"
done

echo
echo "summary (best / median of $runs), beside the targets:"
for label in cold warm warm-10; do
	awk -v l="$label" '$1 == l { print $2, $3 }' "$T/results" | sort -n | awk -v l="$label" '
		{ w[NR] = $1; m[NR] = $2 }
		END {
			if (NR == 0) exit
			target = "all feeds, 304"
			if (l == "cold")
				target = "target <= 3 s for ~1M names"
			if (l == "warm-10")
				target = "target <= 0.200 s over 10 feeds"
			printf "  %-8s best %.3f s, median %.3f s, peak RSS %.1f MiB   (%s)\n",
			    l, w[1], w[int((NR + 1) / 2)], m[int((NR + 1) / 2)] / 1024, target
		}'
done
