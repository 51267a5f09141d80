#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# One libFuzzer run, as a meson test:
#   run-fuzzer.sh FUZZER NAME SEED_DIR BUILD_DIR [EXTRA_SEED_FILE...]
# Copies the seeds into BUILD_DIR/fuzz-corpus/NAME/ (the run adds what it
# finds there, never to the source tree), fuzzes for FZ_FUZZ_SECONDS
# (default 10) and leaves crashes in BUILD_DIR/fuzz-artifacts/.
set -eu

fuzzer=$1
name=$2
seeds=$3
build=$4
shift 4

secs=${FZ_FUZZ_SECONDS:-10}
work=$build/fuzz-corpus/$name
art=$build/fuzz-artifacts
mkdir -p "$work" "$art"

# A fresh copy of the seeds each time; what earlier runs found stays.
if [ -d "$seeds" ]; then
	for f in "$seeds"/*; do
		[ -f "$f" ] && cp -f "$f" "$work/seed-$(basename "$f")"
	done
fi
for f in "$@"; do
	cp -f "$f" "$work/seed-$(basename "$f")"
done

# The format's tokens, when there is a dictionary for this target.
dict=$(cd "$(dirname "$0")" && pwd)/dict/$name.dict
set --
[ -f "$dict" ] && set -- -dict="$dict"

echo "fuzz_$name: ${secs}s over $work (crashes go to $art/$name-*)"
set +e
# -error_exitcode=1: libFuzzer's default for a crash is 77, which meson
# reports as a skipped test, not a failed one
"$fuzzer" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	-print_final_stats=1 -error_exitcode=1 -artifact_prefix="$art/$name-" "$@" "$work"
rc=$?
set -e
if [ $rc -ne 0 ]; then
	echo "fuzz_$name FAILED (exit $rc). Replay with: $fuzzer $art/$name-<file>" >&2
	echo "Then save the input into tests/fuzz/corpus/$name/ so the replay test keeps it." >&2
fi
exit $rc
