#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the benchmarks with buildtype=release in their own build directory
# and run them.
#   bench/run.sh [--quick]     --quick: real feeds and 1M names only (no 10M)
# Environment: FZ_DATA_DIR (feed snapshots; default ../shared/data beside the
# source tree), FZ_BENCH_BUILD (build directory; default <source>/build-bench).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${FZ_BENCH_BUILD:-$src/build-bench}
args=
for a in "$@"; do
	case $a in
	--quick) args=--quick ;;
	*)
		echo "usage: $0 [--quick]" >&2
		exit 2
		;;
	esac
done

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$src" --buildtype=release >/dev/null
else
	meson configure "$build" -Dbuildtype=release >/dev/null
fi
ninja -C "$build" -j2 bench/bench_blocklist >/dev/null

mkdir -p "$build/bench-tmp"
# shellcheck disable=SC2086
exec "$build/bench/bench_blocklist" $args --dir "$build/bench-tmp"
