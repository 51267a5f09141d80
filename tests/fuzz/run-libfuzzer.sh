#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the clang libFuzzer build directory and run the 'fuzz' suite there:
# every target's replay (under ASan+UBSan) and a short libFuzzer run per
# target (FZ_FUZZ_SECONDS each, default 10; 12 targets on 2 cores: about
# 1.5 minutes plus the build).
#
#   tests/fuzz/run-libfuzzer.sh [extra meson test args...]
#
# Environment: FZ_FUZZ_BUILD (default <source>/build-fuzz), FZ_FUZZ_SECONDS,
# FZ_FUZZ_JOBS (ninja/meson parallelism, default 2).
# Exit 77 when clang with libFuzzer is not available (and cannot be
# installed with apt-get as root).
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FZ_FUZZ_BUILD:-$src/build-fuzz}
jobs=${FZ_FUZZ_JOBS:-2}

can_fuzz() {
	tmp=$(mktemp -d)
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' >"$tmp/t.c"
	ok=1
	clang -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" >/dev/null 2>&1 || ok=0
	rm -rf "$tmp"
	[ $ok -eq 1 ]
}

if ! command -v clang >/dev/null 2>&1 || ! can_fuzz; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "run-libfuzzer: installing clang and its libFuzzer runtime" >&2
		apt-get install -y -q clang libclang-rt-dev >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null 2>&1 &&
				apt-get install -y -q clang libclang-rt-dev >/dev/null 2>&1; } || true
	fi
	if ! command -v clang >/dev/null 2>&1 || ! can_fuzz; then
		echo "run-libfuzzer: SKIP: clang cannot build libFuzzer targets here" >&2
		exit 77
	fi
fi

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$src" -Dfuzz=true -Dbuildtype=debugoptimized
fi
meson configure "$build" -Dfuzz=true >/dev/null
# Regenerate first if a meson.build changed, so the target list below is current.
ninja -C "$build" build.ninja >/dev/null
# Build only what the fuzz suite runs (defined in tests/fuzz/), so a part of
# the project that does not build with clang today does not stop fuzzing.
targets=$(meson introspect --targets "$build" | python3 -c '
import json, os, sys
build = sys.argv[1]
for t in json.load(sys.stdin):
    if "/tests/fuzz/" in t["defined_in"].replace("\\", "/"):
        for f in t["filename"]:
            print(os.path.relpath(f, build))
' "$build")
# shellcheck disable=SC2086
ninja -C "$build" -j "$jobs" $targets
exec meson test -C "$build" --no-rebuild --suite fuzz --num-processes "$jobs" \
	--print-errorlogs "$@"
