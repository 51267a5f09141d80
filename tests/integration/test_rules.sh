#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `fangzha rules` against the real iptables/ip6tables (and nft where the
# kernel has the nft queue expression), in a fresh network namespace that a
# trap deletes (suite 'integration'):
#   test_rules.sh FANGZHA
#
# The namespace starts with rules of somebody else (a chain, rules in
# FORWARD and OUTPUT, an nft table) that must survive untouched. For
# --mode gateway and --mode host:
#   - show says none installed; install works; our jump is rule 1 of FORWARD
#     (gateway) or OUTPUT (host), and nowhere else;
#   - the rules installed are exactly what --dry-run printed (the -A lines of
#     each of our chains, in order, for IPv4 and IPv6);
#   - install twice gives the same ruleset as install once;
#   - remove brings iptables-save, ip6tables-save and nft list ruleset
#     (counters stripped) back to what they were before; remove again says
#     none installed.
# Then: gateway -> host leaves only the OUTPUT jump; the [nfq] config gives
# queues, marks, byte cap and fail-closed; a bad config installs nothing;
# a failing install (nft without the kernel's nft queue) rolls back; the nft
# ruleset text passes `nft -c` (with the queue statement swapped for a
# counter when the kernel has no nft queue); and with no fangzha-nfq
# running, --queue-bypass lets a local TCP connection to port 80 through
# while fail-closed stops it.
# Needs root and iptables; exit 77 otherwise.
set -u

FZ=${1:?usage: test_rules.sh FANGZHA}
FZ=$(readlink -f "$FZ")
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$HERE/common.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, iptables)"
	exit 77
fi
for p in ip iptables ip6tables iptables-save ip6tables-save; do
	if ! command -v "$p" >/dev/null 2>&1; then
		echo "SKIP: $p is missing"
		exit 77
	fi
done

NS=fzr-$$
T=$(mktemp -d "${TMPDIR:-/tmp}/fz-rules.XXXXXX") || exit 99
SERVER_PID=
cleanup()
{
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	# whatever still runs in the namespace goes with it
	ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	fz_tmp_done "$T"
}
trap cleanup EXIT
trap 'exit 99' INT TERM

if ! ip netns add "$NS"; then
	echo "SKIP: cannot create a network namespace"
	exit 77
fi
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up

HAVE_NFT=0
command -v nft >/dev/null 2>&1 && HAVE_NFT=1

# Everything the firewall holds, without comments and counters.
snapshot()
{
	{
		echo "## iptables"
		in_ns iptables-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
		echo "## ip6tables"
		in_ns ip6tables-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
		if [ "$HAVE_NFT" = 1 ]; then
			echo "## nft"
			in_ns nft list ruleset 2>/dev/null | grep -v '^#' |
				sed 's/counter packets [0-9]* bytes [0-9]*/counter/'
		fi
	} >"$1"
}

same()
{
	if cmp -s "$1" "$2"; then
		ok "$3"
	else
		fail "$3"
		diff -u "$1" "$2" | head -40
	fi
}

# Somebody else's rules, which must survive every step.
for ipt in iptables ip6tables; do
	in_ns $ipt -N OTHER
	in_ns $ipt -A OTHER -p tcp --dport 22 -j ACCEPT
	in_ns $ipt -A FORWARD -i lo -j OTHER
	in_ns $ipt -A OUTPUT -p udp --dport 123 -j ACCEPT
done
if [ "$HAVE_NFT" = 1 ]; then
	printf 'table inet other {\n\tchain c {\n\t\ttcp dport 22 accept\n\t}\n}\n' |
		in_ns nft -f -
fi
snapshot "$T/before"

# Which backend auto picks here: the dry run says so on its first line.
BACKEND=$(in_ns "$FZ" rules install --mode gateway --dry-run | sed -n '1s/.*backend \([a-z]*\),.*/\1/p')
echo "backend chosen: $BACKEND"
case $BACKEND in
iptables | nft) ok "auto backend: $BACKEND" ;;
*) fail "dry run names no backend" ;;
esac

# The -A lines of chain $2 from a dry run ($1), for program $3, without "PROG -w ".
# (the u32 match: quoted differently by the dry run and iptables-save; an
# optional rule's "|| true" dropped)
dry_rules() { sed -n "s/^$3 -w \(-A $2 .*\)/\1/p" "$1" | sed "s/ || true$//; s/'//g"; }
# The -A lines of chain $2 in a save file of $1 (iptables-save or ip6tables-save).
saved_rules() { in_ns "$1" | grep -- "^-A $2 " | sed 's/"//g'; }

check_mode()
{
	local mode=$1 hook other
	if [ "$mode" = gateway ]; then
		hook=FORWARD
		other=OUTPUT
	else
		hook=OUTPUT
		other=FORWARD
	fi

	out=$(in_ns "$FZ" rules show)
	case $out in
	*"none installed"*) ok "$mode: show before install says none installed" ;;
	*) fail "$mode: show before install: $out" ;;
	esac

	in_ns "$FZ" rules install --mode "$mode" --dry-run >"$T/dry-$mode" ||
		fail "$mode: dry run failed"
	snapshot "$T/dry-after"
	same "$T/before" "$T/dry-after" "$mode: a dry run changes nothing"

	if in_ns "$FZ" rules install --mode "$mode" >"$T/out" 2>&1; then
		ok "$mode: install: $(cat "$T/out")"
	else
		fail "$mode: install failed: $(cat "$T/out")"
		return
	fi
	snapshot "$T/once-$mode"

	if [ "$BACKEND" = iptables ]; then
		for ipt in iptables ip6tables; do
			first=$(in_ns $ipt -S $hook | sed -n 2p)
			[ "$first" = "-A $hook -j FANGZHA" ] &&
				ok "$mode: $ipt: our jump is rule 1 of $hook" ||
				fail "$mode: $ipt: rule 1 of $hook is '$first'"
			n=$(in_ns $ipt -S $other | grep -c -- '-j FANGZHA$')
			[ "$n" = 0 ] && ok "$mode: $ipt: no jump from $other" ||
				fail "$mode: $ipt: $n jumps from $other"
			for chain in FANGZHA FANGZHA_BLOCK; do
				dry_rules "$T/dry-$mode" $chain $ipt >"$T/want"
				saved_rules $ipt-save $chain >"$T/got"
				if [ -s "$T/want" ] && cmp -s "$T/want" "$T/got"; then
					ok "$mode: $ipt $chain holds exactly the dry run's rules ($(wc -l <"$T/got"))"
				else
					fail "$mode: $ipt $chain differs from the dry run"
					diff -u "$T/want" "$T/got" | head -20
				fi
			done
		done
		in_ns "$FZ" rules show >"$T/show"
		grep -q -- "^-A $hook -j FANGZHA$" "$T/show" &&
			grep -q -- "^-A FANGZHA -m conntrack --ctdir REPLY -j RETURN$" "$T/show" &&
			[ "$(grep -c '^# ip' "$T/show")" = 2 ] &&
			ok "$mode: show prints our chains and jump for both families" ||
			fail "$mode: show: $(cat "$T/show")"
	else
		in_ns nft list table inet fangzha >"$T/nft" 2>&1 &&
			grep -q "hook $(echo $hook | tr A-Z a-z)" "$T/nft" &&
			ok "$mode: nft table inet fangzha at the $hook hook" ||
			fail "$mode: nft table: $(cat "$T/nft")"
	fi

	in_ns "$FZ" rules install --mode "$mode" >/dev/null 2>&1 || fail "$mode: second install failed"
	snapshot "$T/twice-$mode"
	same "$T/once-$mode" "$T/twice-$mode" "$mode: install twice == install once"

	in_ns "$FZ" rules remove >"$T/out" 2>&1 || fail "$mode: remove failed: $(cat "$T/out")"
	snapshot "$T/after-$mode"
	same "$T/before" "$T/after-$mode" "$mode: remove leaves the ruleset as it was"

	out=$(in_ns "$FZ" rules remove 2>&1)
	case $out in
	*"none installed"*) ok "$mode: remove again: none installed" ;;
	*) fail "$mode: remove again: $out" ;;
	esac
}

check_mode gateway
check_mode host

# A mode change replaces the jump.
in_ns "$FZ" rules install --mode gateway >/dev/null 2>&1 || fail "install gateway"
in_ns "$FZ" rules install --mode host >/dev/null 2>&1 || fail "install host over gateway"
if [ "$BACKEND" = iptables ]; then
	nf=$(in_ns iptables -S FORWARD | grep -c -- '-j FANGZHA$')
	no=$(in_ns iptables -S OUTPUT | grep -c -- '-j FANGZHA$')
	[ "$nf" = 0 ] && [ "$no" = 1 ] && ok "gateway -> host: only the OUTPUT jump is left" ||
		fail "gateway -> host: FORWARD jumps $nf, OUTPUT jumps $no"
fi
in_ns "$FZ" rules remove >/dev/null 2>&1
snapshot "$T/after-switch"
same "$T/before" "$T/after-switch" "gateway -> host -> remove leaves the ruleset as it was"

# The [nfq] config: queues, marks, byte cap, fail-closed.
cat >"$T/fz.conf" <<'EOF'
[feeds]
output = /nonexistent/blocklist.fzb
[nfq]
queues = 3-4
mark_decided = 0x100
mark_blocked = 0x200
max_queued_bytes = 4k
fail_closed = yes
EOF
if in_ns "$FZ" rules install --mode gateway --backend iptables --config "$T/fz.conf" >"$T/out" 2>&1; then
	in_ns iptables -S FANGZHA >"$T/cfg-rules"
	grep -q -- '--queue-balance 3:4$' "$T/cfg-rules" &&
		! grep -q -- '--queue-bypass' "$T/cfg-rules" &&
		grep -q -- '--connbytes 0:4096 ' "$T/cfg-rules" &&
		grep -q -- '-m mark --mark 0x200/0x200 -j FANGZHA_BLOCK' "$T/cfg-rules" &&
		grep -q -- '-m connmark --mark 0x100/0x100 -j RETURN' "$T/cfg-rules" &&
		ok "config: queues 3-4, marks 0x100/0x200, 4k cap, fail-closed (no --queue-bypass)" ||
		fail "config not applied: $(cat "$T/cfg-rules")"
	# --queues overrides the file.
	in_ns "$FZ" rules install --mode gateway --backend iptables --config "$T/fz.conf" --queues 7 >/dev/null 2>&1
	in_ns iptables -S FANGZHA | grep -q -- '--queue-num 7$' &&
		ok "--queues overrides [nfq] queues" || fail "--queues 7 not applied"
else
	fail "install with config: $(cat "$T/out")"
fi
in_ns "$FZ" rules remove >/dev/null 2>&1
snapshot "$T/after-cfg"
same "$T/before" "$T/after-cfg" "config install + remove leaves the ruleset as it was"

printf '[nfq]\nqueues = 1\nmark_blocked = 0x10000000\n' >"$T/bad.conf"
out=$(in_ns "$FZ" rules install --mode gateway --config "$T/bad.conf" 2>&1)
rc=$?
snapshot "$T/after-bad"
if [ $rc = 1 ] && [[ $out == *"bad.conf:3: "* ]] && cmp -s "$T/before" "$T/after-bad"; then
	ok "a bad config is refused with file:line and installs nothing"
else
	fail "bad config: rc $rc: $out"
fi
out=$(in_ns "$FZ" rules install --mode bridge 2>&1)
[ $? = 2 ] && ok "usage error: exit 2" || fail "--mode bridge: $out"

# nft: the ruleset text is valid nft; without the kernel's nft queue an nft
# install fails and rolls back; with it, the nft path goes through the same steps.
if [ "$HAVE_NFT" = 1 ]; then
	in_ns "$FZ" rules install --mode gateway --backend nft --queues 0-3 --dry-run |
		sed -n "/<<'EOF'$/,/^EOF$/p" | sed '1d;$d' >"$T/nft-text"
	if [ "$BACKEND" = nft ]; then
		in_ns nft -c -f "$T/nft-text" && ok "nft -c accepts the ruleset" ||
			fail "nft -c refuses the ruleset"
	else
		sed 's/queue num [0-9-]*\( bypass\)\?$/counter/' "$T/nft-text" >"$T/nft-counter"
		in_ns nft -c -f "$T/nft-counter" &&
			ok "nft -c accepts the ruleset (queue swapped for counter: no nft queue here)" ||
			{
				fail "nft -c refuses the ruleset"
				cat "$T/nft-counter"
			}
		out=$(in_ns "$FZ" rules install --mode gateway --backend nft 2>&1)
		rc=$?
		snapshot "$T/after-nft"
		if [ $rc = 1 ] && cmp -s "$T/before" "$T/after-nft"; then
			ok "nft install without the kernel's nft queue fails and leaves nothing"
		else
			fail "nft install without nft queue: rc $rc: $out"
		fi
	fi
fi

# With no fangzha-nfq on the queue: --queue-bypass lets flows through,
# fail-closed stops them (host mode, loopback, port 80).
if command -v curl >/dev/null 2>&1 && [ -x /usr/bin/python3 ]; then
	mkdir -p "$T/www" && echo hello >"$T/www/index.html"
	# not through in_ns: a backgrounded function is a subshell, and killing
	# it would leave the server running (ip netns exec execs the program)
	ip netns exec "$NS" /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$T/www" 80 \
		>/dev/null 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 50); do
		in_ns curl -s -o /dev/null --max-time 1 http://127.0.0.1/ && break
		sleep 0.1
	done
	in_ns "$FZ" rules install --mode host --backend iptables --family 4 >/dev/null 2>&1 ||
		fail "install host for traffic"
	body=$(in_ns curl -s --max-time 3 http://127.0.0.1/)
	[ "$body" = hello ] && ok "bypass: HTTP flows with no inspector on the queue" ||
		fail "bypass: no answer ('$body')"
	in_ns "$FZ" rules install --mode host --backend iptables --family 4 --fail-closed \
		>/dev/null 2>&1 || fail "install host fail-closed"
	if in_ns curl -s -o /dev/null --max-time 2 http://127.0.0.1/; then
		fail "fail-closed: HTTP went through with no inspector"
	else
		ok "fail-closed: HTTP stops with no inspector"
	fi
	in_ns "$FZ" rules remove >/dev/null 2>&1
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
	snapshot "$T/after-traffic"
	same "$T/before" "$T/after-traffic" "traffic checks leave the ruleset as it was"
fi

if [ "$FZ_FAILS" != 0 ]; then
	echo "$FZ_FAILS check(s) failed"
	exit 1
fi
echo "all rules checks passed"
exit 0
