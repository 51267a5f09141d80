#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite, as CI runs it:
#   1. a warning-free build (-Werror) and every suite in it: unit, data
#      (real feed snapshots in ../shared/data, skipped when absent), fuzz
#      corpus replay;
#   2. the unit suite again under AddressSanitizer + UBSan (the threaded
#      generation-swap test among them);
#   3. short libFuzzer runs of every fuzz target under ASan + UBSan (clang);
#   4. every C file formatted as .clang-format says.
#   ./run-tests.sh
set -eu

src=$(cd "$(dirname "$0")" && pwd)
cd "$src"
jobs=${FZ_JOBS:-2}

scripts/deps.sh --test

step() { printf '\n==== %s\n' "$*"; }

# The real feed snapshots for the data suite: FZ_DATA_DIR, else ../shared/data.
data_dir=${FZ_DATA_DIR:-$src/../shared/data}
step "build (-Werror) and test: unit, data ($data_dir), fuzz replay"
if [ ! -f build-ci/build.ninja ]; then
	meson setup build-ci -Dwerror=true --buildtype=debugoptimized >/dev/null
fi
meson configure build-ci -Ddata_dir="$data_dir" >/dev/null
ninja -C build-ci -j "$jobs"
meson test -C build-ci --num-processes "$jobs" --print-errorlogs

step "unit suite under ASan + UBSan"
if [ ! -f build-asan/build.ninja ]; then
	meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined \
		-Db_lundef=false --buildtype=debug >/dev/null
fi
ninja -C build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --suite unit --num-processes "$jobs" --print-errorlogs

step "libFuzzer runs (ASan + UBSan)"
rc=0
FZ_FUZZ_BUILD="$src/build-fuzz" tests/fuzz/run-libfuzzer.sh || rc=$?
[ $rc -eq 0 ] || [ $rc -eq 77 ] || exit $rc

step "formatting"
bad=$(git ls-files '*.c' '*.h' | while read -r f; do
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
if [ -n "$bad" ]; then
	echo "not formatted (run clang-format -i):" >&2
	echo "$bad" >&2
	exit 1
fi
echo "all tests passed"
