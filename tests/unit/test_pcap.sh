#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fangzha-nfq --pcap over every public capture in <data>/pcap: for each TLS,
# QUIC and HTTP flow that nDPI's own expected output (*.ndpi.out) names a
# server name for, our offline mode must report that flow (either direction
# of the tuple) with the same name. Skips (77) when the captures are absent.
#   test_pcap.sh <fangzha-nfq> <data dir>
set -u
nfq=$1
dir=${FZ_DATA_DIR:-$2}/pcap
if [ ! -d "$dir" ]; then
	echo "skip: no captures at $dir (../shared/data is not beside the source tree)"
	exit 77
fi

checked=0 failed=0
for out in "$dir"/*.ndpi.out; do
	cap=${out%.ndpi.out}
	[ -f "$cap" ] || continue
	if ! ours=$("$nfq" --pcap "$cap" 2>&1); then
		echo "not ok - fangzha-nfq --pcap $(basename "$cap") failed: $ours"
		failed=$((failed + 1))
		continue
	fi
	# nDPI flow lines: "<n> TCP a:p <-> b:p [proto: N/TLS...]...[Hostname/SNI: name]..."
	while read -r line; do
		case "$line" in
		*"[proto: "*TLS* | *"[proto: "*QUIC* | *"[proto: "*HTTP*) ;;
		*) continue ;;
		esac
		name=$(printf '%s\n' "$line" | sed -n 's/.*\[Hostname\/SNI: \([^]]*\)\].*/\1/p')
		[ -n "$name" ] || continue
		set -- $line
		a=$3 b=$5
		checked=$((checked + 1))
		if printf '%s\n' "$ours" | grep -F -e "$a" | grep -F -e "$b" |
			grep -qiF -e " $name"; then
			:
		else
			echo "not ok - $(basename "$cap"): $a <-> $b: nDPI names '$name', we said:"
			printf '%s\n' "$ours" | grep -F -e "$a" | grep -F -e "$b" | sed 's/^/    /'
			failed=$((failed + 1))
		fi
	done < <(grep -E '^[[:space:]]+[0-9]+[[:space:]]+(TCP|UDP) ' "$out")
done
echo "$checked flows with a name checked in $dir, $failed not found"
[ "$checked" -gt 0 ] && [ "$failed" -eq 0 ]
