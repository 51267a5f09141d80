#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fangzha-nfq on a gateway: what the inspector costs forwarded traffic, and
# how many verdicts one queue thread gives under a flood (the Benchmarks
# section of issue 4). Root only.
#   bench/nfq_bench.sh [--quick] [--repeats N] [--seconds S] [--conns N]
#                      [--modes LIST] [--nice N] [--no-flood] [--flood-only]
#     --quick       1 repeat, 2 s runs, 500 connections (a smoke run)
#     --repeats N   runs per mode (default 3), interleaved over the modes
#     --seconds S   length of each iperf3, wrk and flood run (default 5)
#     --conns N     connections of each latency run (default 2000)
#     --modes LIST  comma-separated subset of a0,a,b,c,p,pc
#     --nice N      run everything (servers, clients, inspector) at nice N,
#                   e.g. -5 on a machine others load (the table says so)
#     --no-flood, --flood-only   leave out the verdict flood / the table
#
# Topology (tests/integration/nfq_env.sh): client (10.77.1.2) -- gateway
# (forwarding, the rules, the inspector) -- server (10.77.2.2: nginx on
# HTTP 80 serving a 1 KiB file, iperf3 on TCP 443 so its flows are the kind
# the rules queue). The inspector runs in the gateway on CPU 0; clients,
# servers and the flood run on CPU 1 (taskset). Modes:
#   a0  no rules at all (no conntrack either), for reference
#   a   fangzha's rules with ACCEPT in place of NFQUEUE (conntrack,
#       connbytes and connmark matches: the fair baseline of a NAT gateway)
#   b   fangzha-nfq with its default rules (`fangzha rules install --mode
#       gateway`; queue 0)
#   c   every forwarded TCP/UDP packet queued to fangzha-nfq (only the
#       mark-save rules besides)
#   p   the peer: bench/nfq_acceptall (accept every packet, GSO, no marks)
#       with the rules of b
#   pc  the peer with the rules of c
# The rules of a, b and c come from `fangzha rules install --mode gateway
# --queues 0 --dry-run` (a: NFQUEUE targets replaced by ACCEPT; c: the
# connmark, reply-direction, payload-less, port and connbytes conditions
# removed); b runs `fangzha rules install` itself. Without that command, the
# same rules are written here by hand per the shared design (chain FANGZHA
# in filter FORWARD). Between runs the gateway's ruleset (nft flush ruleset) and its
# conntrack table are emptied. Figures per run:
#   Gbit/s     iperf3 -t S, one TCP stream to 443, receiver side
#   conn/s     wrk -t1 -c32 -d S -H "Connection: close" to HTTP 80
#   connect    bench/nfq_connlat: N sequential connects + GET + response +
#              close; median (p50) and p99 of the connect() time and of the
#              time from connect() to the first response byte
# Each mode is measured --repeats times (rounds over all modes, so noise
# from the shared machine hits every mode alike); the table gives the
# median and the min-max spread.
# Verdicts/s: bench/nfq_flood on CPU 1 sends, each as the first packet of a
# new flow (source address and port vary), (dns) DNS queries for random
# unlisted names to UDP 53 of the server, (tls) TCP segments carrying a TLS
# ClientHello for an unlisted SNI to TCP 443 (no handshake before them:
# conntrack takes each up as a new flow) and (quic) QUIC v1 Initials with a
# ClientHello for an unlisted SNI and a random DCID to UDP 443. The rules of
# b queue them; the gateway drops them at its egress toward the server
# (FZ_FLOOD_DROP below). Over S seconds after
# a 1 s warm-up: verdicts = packets the kernel queued and got a verdict for
# (/proc/net/netfilter/nfnetlink_queue in the gateway: id_sequence less the
# packets still waiting or lost to the socket), the program's CPU share and
# verdicts per CPU-second (what one thread does when it has a whole CPU:
# the flood generator can be the limit; the CPU time, from schedstat,
# includes the kernel's forwarding of each accepted packet, which runs in
# the verdict's system call); fangzha-nfq's own
# fangzha_nfq_packets_total from --metrics as a cross-check. The same for
# nfq_acceptall. Then the same floods with a backlog (drain_run below): the
# program is stopped while 50000 packets queue up and let go, with the
# flood going on (live) or over (still); verdicts per second over the
# window in which packets always wait: one queue thread's capacity, which
# the flood without a backlog cannot reach when its generator is slower.
# Figures are printed beside the issue's targets, never asserted. Exit 77
# (skip) without root, two CPUs or a tool. Builds with buildtype=release in
# FZ_BENCH_BUILD (default <source>/build-bench); FZ_NFQ_EXE=PATH measures
# that fangzha-nfq binary. FZ_KEEP=1 keeps the temporary directory;
# FZ_PERF=1 records a perf profile of CPU 0 during each flood (kept with
# FZ_KEEP=1; FZ_PERF=flat without call graphs); FZ_FLOOD_KINDS="tls quic" picks the floods.
set -u

src=$(cd "$(dirname "$0")/.." && pwd)
build=${FZ_BENCH_BUILD:-$src/build-bench}
REPEATS=3
SECS=5
CONNS=2000
MODES=a0,a,b,c,p,pc
FLOOD=1
FLOOD_KINDS=${FZ_FLOOD_KINDS:-dns tls quic}
TABLE=1
NICE=
ARGS="$*"
usage()
{
	echo "usage: $0 [--quick] [--repeats N] [--seconds S] [--conns N] [--modes LIST] [--nice N] [--no-flood] [--flood-only]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--quick)
		REPEATS=1
		SECS=2
		CONNS=500
		shift
		;;
	--repeats)
		REPEATS=${2:?--repeats N}
		shift 2
		;;
	--seconds)
		SECS=${2:?--seconds S}
		shift 2
		;;
	--conns)
		CONNS=${2:?--conns N}
		shift 2
		;;
	--modes)
		MODES=${2:?--modes LIST}
		shift 2
		;;
	--nice)
		NICE=${2:?--nice N}
		shift 2
		;;
	--no-flood)
		FLOOD=0
		shift
		;;
	--flood-only)
		TABLE=0
		shift
		;;
	*) usage ;;
	esac
done
case "$REPEATS$SECS$CONNS" in *[!0-9]*) usage ;; esac
if [ "$REPEATS" -lt 1 ] || [ "$SECS" -lt 1 ] || [ "$CONNS" -lt 1 ]; then
	usage
fi

skip()
{
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, iptables, NFQUEUE)"
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs (inspector on 0, load on 1)"
PATH=$PATH:/usr/sbin:/sbin
if [ -n "$NICE" ]; then
	# every process started from here on inherits it
	renice -n "$NICE" -p $$ >/dev/null || usage
fi
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for t in ip iptables nft conntrack iperf3 wrk nginx taskset curl; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is missing (apt-get install iproute2 iptables nftables conntrack iperf3 wrk nginx curl)"
done
ip netns list >/dev/null 2>&1 || skip "no network namespaces here"
[ -d /proc/net/netfilter ] || modprobe nfnetlink_queue 2>/dev/null

# ---- build (release)
note()
{
	echo "[$(date +%T)] $*" >&2
}
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$src" --buildtype=release >/dev/null || exit 1
else
	meson configure "$build" -Dbuildtype=release >/dev/null || exit 1
fi
# the daemon's source appears later than the build directory: reconfigure
if [ -f "$src/nfq/fangzha-nfq.c" ] && ! ninja -C "$build" -t targets all 2>/dev/null | grep -q '^nfq/fangzha-nfq:'; then
	meson setup --reconfigure "$build" "$src" >/dev/null || exit 1
fi
ninja -C "$build" -j2 tools/fangzha bench/nfq_connlat bench/nfq_flood bench/nfq_acceptall >"$build/nfq-bench-build.log" 2>&1 || {
	tail -n 30 "$build/nfq-bench-build.log" >&2
	skip "the helpers do not build (libmnl, libnetfilter-queue?)"
}
FZ=$build/tools/fangzha
CONNLAT=$build/bench/nfq_connlat
FLOODER=$build/bench/nfq_flood
PEER=$build/bench/nfq_acceptall
NFQ=
if [ -n "${FZ_NFQ_EXE:-}" ]; then
	NFQ=$FZ_NFQ_EXE
elif ninja -C "$build" -j2 nfq/fangzha-nfq >>"$build/nfq-bench-build.log" 2>&1 && [ -x "$build/nfq/fangzha-nfq" ]; then
	NFQ=$build/nfq/fangzha-nfq
else
	note "fangzha-nfq does not build (yet): modes b, c and its flood are skipped"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fz-nfqbench.XXXXXX") || exit 1
chmod 755 "$T"
cd "$T" || exit 1
# shellcheck source=tests/integration/nfq_env.sh disable=SC1091
. "$src/tests/integration/nfq_env.sh"
PROG_PID=
cleanup()
{
	trap - EXIT INT TERM
	[ -n "$PROG_PID" ] && stop_prog
	nz_topo_del
	if [ "${FZ_KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SRV=$NZ_SRV4
TO=$((SECS + 30)) # timeout of each client run

# ---- topology and servers
nz_topo "b$$" || {
	echo "the namespaces could not be made" >&2
	exit 1
}
mkdir -p "$T/root" "$T/nginx/tmp"
head -c 1024 /dev/zero | tr '\0' 'x' >"$T/root/small.html"
nz_s sysctl -qw net.core.somaxconn=4096
cat >"$T/nginx/nginx.conf" <<EOF
user root root;
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $T/nginx/tmp/body;
	proxy_temp_path $T/nginx/tmp/proxy;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	scgi_temp_path $T/nginx/tmp/scgi;
	default_type text/html;
	keepalive_timeout 5;
	server {
		listen $SRV:80 backlog=4096;
		root $T/root;
	}
}
EOF
nz_run_bg "$NZ_S" "$T/nginx/out.log" taskset -c 1 nginx -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log"
nz_run_bg "$NZ_S" "$T/iperf3.log" taskset -c 1 iperf3 -s -B "$SRV" -p 443
for _ in $(seq 50); do
	nz_c "$CONNLAT" "$SRV" 80 /small.html 1 >/dev/null 2>&1 &&
		nz_s ss -Hltn "sport = :443" 2>/dev/null | grep -q . && break
	sleep 0.1
done
nz_c "$CONNLAT" "$SRV" 80 /small.html 1 >/dev/null 2>&1 || {
	echo "nginx did not come up:" >&2
	cat "$T/nginx/out.log" "$T/nginx/error.log" >&2 2>/dev/null
	exit 1
}
note "namespaces $NZ_C $NZ_G $NZ_S; nginx and iperf3 on $SRV"

# ---- the blocklist: 100k listed names (none of them is what the load asks for)
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "scam%06d-%d.fraud-bench.example\n", i, (i * 7919) % 10007 }' \
	>"$T/fraud.domains"
BL=$T/blocklist.fzb
"$FZ" compile -o "$BL" --format domains --match subtree --category fraud --name bench \
	"$T/fraud.domains" >"$T/compile.out" 2>&1 || {
	echo "fangzha compile failed:" >&2
	cat "$T/compile.out" >&2
	exit 1
}
chmod 644 "$BL"

# ---- rules
D=0x10000000
B=0x20000000
QARGS="--queue-num 0 --queue-bypass"
# hand_rules TARGET: the shared design's rules, TARGET in place of NFQUEUE
hand_rules()
{
	local ipt tgt=$1
	for ipt in iptables ip6tables; do
		cat <<EOF
$ipt -w -t filter -N FANGZHA
$ipt -w -t filter -A FANGZHA -m mark --mark $B/$B -j CONNMARK --save-mark --nfmask $B --ctmask $B
$ipt -w -t filter -A FANGZHA -m mark --mark $B/$B -j DROP
$ipt -w -t filter -A FANGZHA -m mark --mark $D/$D -j CONNMARK --save-mark --nfmask $D --ctmask $D
$ipt -w -t filter -A FANGZHA -m mark --mark $D/$D -j RETURN
$ipt -w -t filter -A FANGZHA -m connmark --mark $B/$B -j DROP
$ipt -w -t filter -A FANGZHA -m connmark --mark $D/$D -j RETURN
$ipt -w -t filter -A FANGZHA -m conntrack --ctdir REPLY -j RETURN
$ipt -w -t filter -A FANGZHA -p tcp -m multiport --dports 80,443,853 -m connbytes --connbytes 0:65536 --connbytes-dir original --connbytes-mode bytes -j $tgt
$ipt -w -t filter -A FANGZHA -p udp -m multiport --dports 53,443 -m connbytes --connbytes 0:65536 --connbytes-dir original --connbytes-mode bytes -j $tgt
$ipt -w -t filter -I FORWARD 1 -j FANGZHA
EOF
	done
}
# all_rules: mode c, every forwarded TCP/UDP packet queued
all_rules()
{
	local ipt
	for ipt in iptables ip6tables; do
		cat <<EOF
$ipt -w -t filter -N FANGZHA
$ipt -w -t filter -A FANGZHA -m mark --mark $B/$B -j CONNMARK --save-mark --nfmask $B --ctmask $B
$ipt -w -t filter -A FANGZHA -m mark --mark $B/$B -j DROP
$ipt -w -t filter -A FANGZHA -m mark --mark $D/$D -j CONNMARK --save-mark --nfmask $D --ctmask $D
$ipt -w -t filter -A FANGZHA -m mark --mark $D/$D -j RETURN
$ipt -w -t filter -A FANGZHA -p tcp -j NFQUEUE $QARGS
$ipt -w -t filter -A FANGZHA -p udp -j NFQUEUE $QARGS
$ipt -w -t filter -I FORWARD 1 -j FANGZHA
EOF
	done
}
# The rules of `fangzha rules` when it exists (RULES_SRC says which)
RULES_SRC=hand
if DRY=$(nz_g "$FZ" rules install --mode gateway --queues 0 --dry-run 2>"$T/dry.err") &&
	grep -q 'NFQUEUE' <<<"$DRY"; then
	RULES_SRC=fangzha
	echo "$DRY" >"$T/rules-b.sh"
	# NFQUEUE and its options -> ACCEPT
	sed -E 's/-j NFQUEUE( --queue-(num|balance|bypass|cpu-fanout)( [0-9:]+)?| --fail-open)*/-j ACCEPT/g' \
		"$T/rules-b.sh" >"$T/rules-a.sh"
	if grep -q NFQUEUE "$T/rules-a.sh"; then
		note "could not replace every NFQUEUE in the dry-run output; mode a uses hand rules"
		hand_rules ACCEPT >"$T/rules-a.sh"
	fi
	# c: the same without the connmark, reply-direction, port and connbytes
	# conditions: the mark-save rules, then every TCP/UDP packet queued
	sed -E -e '/-m connmark|--ctdir REPLY|-m u32/d' \
		-e 's/(-p (tcp|udp)) .* (-j NFQUEUE)/\1 \3/' "$T/rules-b.sh" >"$T/rules-c.sh"
	if ! grep -Eq -- '-A FANGZHA -p tcp -j NFQUEUE' "$T/rules-c.sh" ||
		! grep -Eq -- '-A FANGZHA -p udp -j NFQUEUE' "$T/rules-c.sh"; then
		note "could not derive mode c from the dry-run output; mode c uses hand rules"
		all_rules >"$T/rules-c.sh"
	fi
else
	note "fangzha rules --dry-run is not there (yet): the shared design's rules by hand"
	hand_rules "NFQUEUE $QARGS" >"$T/rules-b.sh"
	hand_rules ACCEPT >"$T/rules-a.sh"
	all_rules >"$T/rules-c.sh"
fi

rules_flush()
{
	nz_g nft flush ruleset 2>/dev/null || {
		local ipt
		for ipt in iptables ip6tables; do
			nz_g "$ipt" -w -t filter -F
			nz_g "$ipt" -w -t filter -X
		done
	}
	nz_g conntrack -F >/dev/null 2>&1
	return 0
}
# rules_set a|b|c: flush, then that mode's rules (b: `fangzha rules install`
# itself when it exists)
rules_set()
{
	rules_flush
	if [ "$1" = b ] && [ "$RULES_SRC" = fangzha ]; then
		nz_g "$FZ" rules install --mode gateway --queues 0 >"$T/rules-install.out" 2>&1 && return 0
		note "fangzha rules install failed; its dry-run script instead:"
		head -n 5 "$T/rules-install.out" >&2
	fi
	nz_g bash -e "$T/rules-$1.sh" >"$T/rules-$1.out" 2>&1 || {
		note "the rules of mode $1 failed:"
		head -n 10 "$T/rules-$1.out" >&2
		return 1
	}
}

# ---- the program on queue 0, in the gateway, on CPU 0
MPORT=9$((RANDOM % 900 + 100))
queue_line()
{ # the line of queue 0 in the gateway's nfnetlink_queue, or nothing
	# shellcheck disable=SC2016
	nz_g awk '$1 == 0' /proc/net/netfilter/nfnetlink_queue 2>/dev/null
}
# start_prog nfq|peer TAG: sets PROG_PID; 0 once queue 0 is bound
start_prog()
{
	# start_prog nfq|peer TAG big: a queue and socket buffer that hold a whole backlog
	local log=$T/$1-$2.log big=${3:-}
	if [ "$1" = nfq ]; then
		if [ -n "$big" ]; then
			printf '[nfq]\nqueue_maxlen = %s\nrcvbuf = %s\n' "$BIG_MAXLEN" "$BIG_RCVBUF" >"$T/big.conf"
			big="--config $T/big.conf"
		fi
		# shellcheck disable=SC2086 # $big: none or two words
		nz_run_bg "$NZ_G" "$log" taskset -c 0 "$NFQ" $big --queues 0 --blocklist "$BL" --foreground \
			--metrics "127.0.0.1@$MPORT"
	else
		[ -n "$big" ] && big="--maxlen $BIG_MAXLEN --rcvbuf $BIG_RCVBUF"
		# shellcheck disable=SC2086
		nz_run_bg "$NZ_G" "$log" taskset -c 0 "$PEER" --queue 0 $big
	fi
	# shellcheck disable=SC2153 # set by nz_run_bg
	PROG_PID=$NZ_BG_PID
	for _ in $(seq 100); do
		[ -n "$(queue_line)" ] && return 0
		kill -0 "$PROG_PID" 2>/dev/null || break
		sleep 0.05
	done
	note "$1 did not bind queue 0:"
	tail -n 10 "$log" >&2
	stop_prog
	return 1
}
stop_prog()
{
	local p=$PROG_PID q keep=
	PROG_PID=
	[ -n "$p" ] || return 0
	# off nz_topo_del's list: it must not signal a reused pid later
	for q in $NZ_BG_PIDS; do
		[ "$q" = "$p" ] || keep="$keep $q"
	done
	NZ_BG_PIDS=$keep
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	# the queue is unbound when the socket closes
	for _ in $(seq 50); do
		[ -z "$(queue_line)" ] && break
		sleep 0.05
	done
	return 0
}
prog_cpu_ns()
{ # CPU time of all the program's threads so far, ns (schedstat: exact, not ticks)
	cat "/proc/$PROG_PID"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}
metrics_text()
{ # fangzha-nfq's /metrics page, or nothing
	nz_g curl -s --max-time 2 "http://127.0.0.1:$MPORT/metrics" 2>/dev/null
}
metric_pv()
{ # "P V": fangzha_nfq_packets_total and fangzha_nfq_verdict_messages_total, or nothing
	metrics_text |
		awk '$1 == "fangzha_nfq_packets_total" { p = $NF; n++ }
			$1 == "fangzha_nfq_verdict_messages_total" { v = $NF; n++ }
			END { if (n == 2) printf "%.0f %.0f", p, v }'
}
# queue_verdicts: packets queue 0 has had verdicts for so far: id_sequence
# less those still waiting and those the socket did not take
queue_verdicts()
{
	queue_line | awk '{ print $8 - $3 - $7 }'
}

# mode_up MODE: rules and program for MODE; mode_down
mode_up()
{
	case $1 in
	a0) rules_flush ;;
	a) rules_set a ;;
	b) rules_set b && start_prog nfq "$1" ;;
	c) rules_set c && start_prog nfq "$1" ;;
	p) rules_set b && start_prog peer "$1" ;;
	pc) rules_set c && start_prog peer "$1" ;;
	*) return 1 ;;
	esac
}
mode_down()
{
	stop_prog
	rules_flush
}

# ---- the forwarding figures
RES=$T/results
: >"$RES"
run_mode()
{ # run_mode MODE REP: one row in $RES (mode rep gbps conns c50 c99 f50 f99 fails)
	local m=$1 r=$2 gb cps lat c50 c99 f50 f99 fails v0 v1
	if ! mode_up "$m"; then
		mode_down
		echo "$m $r - - - - - - setup" >>"$RES"
		return
	fi
	sleep 0.5
	v0=$(queue_verdicts)
	gb=$(nz_c timeout "$TO" taskset -c 1 iperf3 -c "$SRV" -p 443 -t "$SECS" -f g 2>&1 |
		tee "$T/iperf-$m-$r.log" | awk '/receiver/ { print $(NF - 2) }')
	sleep 0.5
	cps=$(nz_c timeout "$TO" taskset -c 1 wrk -t1 -c32 -d"${SECS}s" --timeout 3s \
		-H "Connection: close" "http://$SRV/small.html" 2>&1 |
		tee "$T/wrk-$m-$r.log" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
	grep -E 'Socket errors|Non-2xx' "$T/wrk-$m-$r.log" | sed "s/^/[$m] wrk: /" >&2
	sleep 0.5
	lat=$(nz_c timeout "$((TO + CONNS / 100))" taskset -c 1 "$CONNLAT" "$SRV" 80 /small.html "$CONNS" \
		--warm 50 2>"$T/lat-$m-$r.err")
	read -r _ _ _ fails _ c50 _ c99 _ f50 _ f99 <<<"$lat"
	v1=$(queue_verdicts)
	if [ -n "$PROG_PID" ] && ! kill -0 "$PROG_PID" 2>/dev/null; then
		note "[$m] the program died during the run:"
		tail -n 5 "$T"/*-"$m".log >&2
	fi
	mode_down
	note "$m #$r: ${gb:--} Gbit/s, ${cps:--} conn/s, connect p50 ${c50:--} us, first byte p50 ${f50:--} us${v1:+, $((v1 - v0)) packets queued}${fails:+, $fails failed connections}"
	echo "$m $r ${gb:--} ${cps:--} ${c50:--} ${c99:--} ${f50:--} ${f99:--} ${fails:--}" >>"$RES"
}

want_mode()
{
	case ",$MODES," in *",$1,"*) ;; *) return 1 ;; esac
	case $1 in b | c) [ -n "$NFQ" ] || return 1 ;; esac
	return 0
}
T_START=$(date +%s)
if [ "$TABLE" = 1 ]; then
	for r in $(seq "$REPEATS"); do
		for m in a0 a b c p pc; do
			want_mode "$m" && run_mode "$m" "$r"
		done
	done
fi

# ---- the flood
FRES=$T/flood
: >"$FRES"
flood_run()
{ # flood_run nfq|peer dns|quic REP: one row in $FRES (prog kind rep verdicts/s cpu% sent/s metrics/s)
	local prog=$1 kind=$2 r=$3 v0 v1 c0 c1 m0 m1 t0 t1 fpid out vps cpu mps
	rules_set b || return
	flood_sink || return
	start_prog "$prog" "flood-$kind-$r" || return
	nz_c taskset -c 1 "$FLOODER" --kind "$kind" --src 10.77.1.10 --srcs 240 --dst "$SRV" \
		--seconds "$((SECS + 2))" --seed "$r" >"$T/flood-$prog-$kind-$r.out" 2>&1 &
	fpid=$!
	sleep 1
	v0=$(queue_verdicts)
	c0=$(prog_cpu_ns)
	[ "$prog" = nfq ] && m0=$(metric_pv)
	t0=$(date +%s.%N)
	if [ -n "${FZ_PERF:-}" ]; then
		# FZ_PERF=1: a call-graph profile of CPU 0 (the program's CPU) over the window;
		# FZ_PERF=flat: without call graphs (less overhead, truer proportions)
		g=-g
		[ "$FZ_PERF" = flat ] && g=
		perf record -q -C 0 $g -o "$T/perf-$prog-$kind-$r.data" -- sleep "$SECS" >/dev/null 2>&1
	else
		sleep "$SECS"
	fi
	v1=$(queue_verdicts)
	c1=$(prog_cpu_ns)
	[ "$prog" = nfq ] && m1=$(metric_pv)
	t1=$(date +%s.%N)
	wait "$fpid"
	out=$(cat "$T/flood-$prog-$kind-$r.out")
	stop_prog
	vps=$(awk -v a="$v0" -v b="$v1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", (b - a) / (t1 - t0) }')
	cpu=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 / (t1 - t0) * 100 }')
	mps=-
	local batch=
	if [ -n "${m0:-}" ] && [ -n "${m1:-}" ]; then
		# packets per second by its counter, and packets per verdict message: the
		# mean batch (one message per run of like verdicts in a receive batch)
		read -r mps batch <<<"$(awk -v a="$m0" -v b="$m1" -v t0="$t0" -v t1="$t1" 'BEGIN {
			split(a, x, " "); split(b, y, " ")
			printf "%.0f %.1f", (y[1] - x[1]) / (t1 - t0), (y[2] > x[2] ? (y[1] - x[1]) / (y[2] - x[2]) : 0) }')"
	fi
	local sent
	sent=$(awk '{ for (i = 1; i < NF; i++) if ($i == "pps") printf "%.0f", $(i + 1) }' <<<"$out")
	note "flood $prog $kind #$r: $vps verdicts/s at ${cpu}% of CPU 0 (flood ${sent:-?} pkt/s${m1:+, metrics $mps/s, $batch packets per verdict message})"
	echo "$prog $kind $r $vps $cpu ${sent:--} $mps" >>"$FRES"
}
# With work always waiting. The live flood above cannot keep one queue
# thread busy when its generator (one CPU, which also runs the kernel's
# receive, conntrack and queueing of every packet) is slower than the
# thread; then the thread sleeps and wakes per short batch, which the
# per-CPU-second figure charges to it. Here the program is stopped
# (SIGSTOP) while the flood queues a backlog, then let go (SIGCONT):
#   live   the flood goes on: the window runs from SIGCONT while at least
#          1000 packets still wait, at most 2 s, so the thread is never idle
#          and the kernel queues new flows on CPU 1 all the while;
#   still  the flood has stopped: the window runs until queue 0 is empty.
# The kernel of this machine holds at most 65536 packets in one queue
# whatever its maxlen (the rest pass fail-open), so the backlog is 50000.
# Timed by a poll of nfnetlink_queue from CPU 1 every ~0.3 ms (bash
# builtins only); verdicts from its counters, CPU time from schedstat as
# above.
DRES=$T/drain
: >"$DRES"
BIG_MAXLEN=1048576
BIG_RCVBUF=1073741824
DRAIN_N=50000
# shellcheck disable=SC2016 # run by bash -c in the gateway
DRAIN_POLL='
pid=$1 want=$2 low=$3 maxus=$4
qread() { read -r _ _ qn _ _ _ _ qid _ </proc/net/netfilter/nfnetlink_queue || { echo "queue gone"; exit 1; }; }
cpu() { c=0; for f in /proc/"$pid"/task/*/schedstat; do read -r x _ <"$f" && c=$((c + x)); done; }
# naps of ~0.3 ms (a read that times out on a pipe we hold both ends of):
# the flood keeps most of CPU 1
exec {nap}<> <(:)
lim=$((${EPOCHREALTIME/./} + 10000000))
while qread; [ "$qn" -lt "$want" ]; do
	[ "${EPOCHREALTIME/./}" -lt "$lim" ] || { echo "only $qn queued"; exit 1; }
	read -r -t 0.0002 -u "$nap"
done
cpu; c0=$c; v0=$((qid - qn)); q0=$qn; t0=${EPOCHREALTIME/./}
kill -CONT "$pid" || exit 1
while qread; [ "$qn" -gt "$low" ] && [ $((${EPOCHREALTIME/./} - t0)) -lt "$maxus" ]; do
	read -r -t 0.0002 -u "$nap"
done
t1=${EPOCHREALTIME/./}; cpu
echo "$((qid - qn - v0)) $((t1 - t0)) $((c - c0)) $qn $q0"
'
drain_run()
{ # drain_run nfq|peer KIND REP live|still: one row in $DRES (prog-kind-how rep verdicts us cpu_ns left)
	local prog=$1 kind=$2 r=$3 how=$4 fpid out
	rules_set b || return
	flood_sink || return
	start_prog "$prog" "$how-$kind-$r" big || return
	kill -STOP "$PROG_PID"
	if [ "$how" = still ]; then
		nz_c taskset -c 1 "$FLOODER" --kind "$kind" --src 10.77.1.10 --srcs 240 --dst "$SRV" \
			--count "$DRAIN_N" --seconds 30 --seed "$r" >"$T/$how-$prog-$kind-$r.out" 2>&1
		sleep 0.2 # the last packets may still be on their way through the gateway
		out=$(nz_g taskset -c 1 bash -c "$DRAIN_POLL" _ "$PROG_PID" 1 0 60000000)
	else
		# not through nz_c: $! must be the flood itself (ip and taskset exec it)
		ip netns exec "$NZ_C" taskset -c 1 "$FLOODER" --kind "$kind" --src 10.77.1.10 --srcs 240 \
			--dst "$SRV" --seconds 15 --seed "$r" >"$T/$how-$prog-$kind-$r.out" 2>&1 &
		fpid=$!
		out=$(nz_g taskset -c 1 bash -c "$DRAIN_POLL" _ "$PROG_PID" "$DRAIN_N" 1000 2000000)
		kill -INT "$fpid" 2>/dev/null
		wait "$fpid"
	fi
	kill -CONT "$PROG_PID" 2>/dev/null
	local chk=
	if [ "$prog" = nfq ]; then
		# every queued packet read to its name, none let through unseen: its own counters
		sleep 0.5
		chk=$(metrics_text | awk -v k="$kind" '
			$1 == "fangzha_nfq_packets_total" { p = $2 }
			$1 == "fangzha_nfq_flows_total{protocol=\"" k "\"}" { f = $2 }
			$1 == "fangzha_nfq_unseen_packets_total" { u = $2 }
			$1 == "fangzha_nfq_gave_up_total" { g = $2 }
			$1 == "fangzha_nfq_verdict_messages_total" { m = $2 }
			END { printf "; its metrics: %s packets, %s %s flows read, %s unseen, %s gave up, %.1f packets per verdict message",
				p, f, k, u, g, (m > 0 ? p / m : 0) }')
	fi
	stop_prog
	local v us c left q0
	read -r v us c left q0 <<<"$out"
	if ! [[ "$v $us $c $left $q0" =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]] || [ "$v" -lt 1000 ]; then
		note "$how backlog, $prog $kind #$r: no measurement (${out:-no output from the poll})"
		return 1
	fi
	# packets queued during the window: the flood's rate while the thread drained
	note "$how backlog, $prog $kind #$r: $q0 waiting at SIGCONT, $v verdicts in $us us" \
		"(flood meanwhile $(awk -v a=$((v + left - q0)) -v t="$us" 'BEGIN { printf "%.0f", a / t * 1e6 }') pkt/s)," \
		"CPU $((c / 1000)) us, $left left waiting:" \
		"$(awk -v v="$v" -v t="$us" 'BEGIN { printf "%.0f", v / t * 1e6 }') verdicts/s$chk"
	echo "$prog-$kind-$how $r $v $us $c $left" >>"$DRES"
}
# Where the flood ends. egress (the default): at the gateway's device
# toward the server (nft netdev egress hook on s0), after the whole
# forwarding path (FORWARD, POSTROUTING, conntrack confirmation, the device
# queue), where a NIC would take the packet off the CPU. server
# (FZ_FLOOD_DROP=server): in the server's raw table, as before 2026-11-28;
# veth runs the receiving namespace's input path on the sending CPU, so the
# server's receive work is then billed to the inspector's CPU.
FLOOD_DROP=${FZ_FLOOD_DROP:-egress}
flood_sink()
{ # after rules_set (which flushes the gateway's ruleset): the egress drop
	[ "$FLOOD_DROP" = egress ] || return 0
	nz_g nft -f - <<EOF || {
table netdev fzbench {
	chain egress {
		type filter hook egress device "s0" priority 0; policy accept;
		ip saddr 10.77.1.10-10.77.1.249 drop
	}
}
EOF
		note "the egress drop (nft netdev egress on s0) could not be set; try FZ_FLOOD_DROP=server"
		return 1
	}
}
if [ "$FLOOD" = 1 ]; then
	# the server drops what reaches it before its UDP/TCP stack (no resets
	# back): all of the flood with FZ_FLOOD_DROP=server
	nz_s iptables -w -t raw -A PREROUTING -p udp -j DROP
	nz_s iptables -w -t raw -A PREROUTING -p tcp -m iprange --src-range 10.77.1.10-10.77.1.249 -j DROP
	for r in $(seq "$REPEATS"); do
		for kind in $FLOOD_KINDS; do
			[ -n "$NFQ" ] && flood_run nfq "$kind" "$r"
			flood_run peer "$kind" "$r"
			for how in live still; do
				[ -n "$NFQ" ] && drain_run nfq "$kind" "$r" "$how"
				drain_run peer "$kind" "$r" "$how"
			done
		done
	done
	rules_flush
	# the inspector alone on the same packets (no kernel): what deciding costs
	IRES=$T/inspect
	: >"$IRES"
	if [ -n "$NFQ" ]; then
		for r in $(seq "$REPEATS"); do
			for kind in $FLOOD_KINDS; do
				out=$(taskset -c 0 "$FLOODER" --kind "$kind" --src 10.77.1.10 --srcs 240 \
					--dst "$SRV" --seconds "$((SECS < 3 ? SECS : 3))" --seed "$r" --inspect "$BL" 2>&1)
				ns=$(awk '{ for (i = 1; i < NF; i++) if ($i == "ns_per_packet") print $(i + 1) }' <<<"$out")
				note "inspector alone, $kind #$r: ${ns:-?} ns per packet"
				echo "inspect $kind $r ${ns:--}" >>"$IRES"
			done
		done
	fi
fi
T_END=$(date +%s)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the tables
# stats FIELD MODE: "median min max" of FIELD (awk column) of MODE's rows
stats()
{
	awk -v f="$1" -v m="$2" '$1 == m && $f != "-" { a[n++] = $f }
	END {
		if (!n) { print "- - -"; exit }
		for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		med = n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
		print med, a[0], a[n - 1]
	}' "$3"
}
cell()
{ # cell "median min max" DECIMALS
	local med lo hi
	read -r med lo hi <<<"$1"
	if [ "$med" = - ]; then
		echo "-"
	elif [ "$REPEATS" = 1 ]; then
		printf "%.${2}f" "$med"
	else
		printf "%.${2}f (%.${2}f-%.${2}f)" "$med" "$lo" "$hi"
	fi
}
med()
{
	local a
	read -r a _ <<<"$1"
	echo "$a"
}
ratio()
{ # ratio X Y: X/Y in %, or "-"
	awk -v x="$1" -v y="$2" 'BEGIN { if (x == "-" || y == "-" || y == 0) print "-"; else printf "%.0f%%", x / y * 100 }'
}
diff_us()
{
	awk -v x="$1" -v y="$2" 'BEGIN { if (x == "-" || y == "-") print "-"; else printf "%+.0f us", x - y }'
}

echo
echo "fangzha-nfq benchmark: client -- gateway -- server namespaces (veth), $(uname -r), $(nproc) CPUs"
echo "inspector on CPU 0; iperf3, wrk, nginx, nfq_connlat, nfq_flood on CPU 1; $REPEATS run(s) per mode, ${SECS} s each"
echo "machine load average (1/5/15 min) before: $LOAD0, after: $LOAD1${NICE:+; everything ran at nice $NICE}"
echo "rules of a/b: $([ "$RULES_SRC" = fangzha ] && echo "fangzha rules install --mode gateway --dry-run" || echo "written by hand per the shared design (fangzha rules not there)")"
if [ "$FLOOD" = 1 ]; then
	if [ "$FLOOD_DROP" = egress ]; then
		echo "flood dropped at the gateway's egress toward the server (nft netdev egress on s0), after forwarding"
	else
		echo "flood dropped in the server's raw table (its receive path runs on the inspector's CPU: veth)"
	fi
fi
echo "fangzha-nfq: ${NFQ:-not built}; blocklist: 100000 names; command: bench/nfq_bench.sh${ARGS:+ $ARGS}"
echo "cells: median (min-max) over the runs; latency: ${CONNS} sequential connections per run, the per-run p50/p99"
echo
if [ "$TABLE" = 1 ]; then
	fmt='%-4s %-18s %-21s %-16s %-20s %-18s %-20s\n'
	# shellcheck disable=SC2059
	printf "$fmt" mode "Gbit/s" "conn/s" "connect p50 us" "connect p99 us" "1st byte p50 us" "1st byte p99 us"
	for m in a0 a b c p pc; do
		grep -q "^$m " "$RES" || continue
		# shellcheck disable=SC2059
		printf "$fmt" "$m" "$(cell "$(stats 3 "$m" "$RES")" 1)" "$(cell "$(stats 4 "$m" "$RES")" 0)" \
			"$(cell "$(stats 5 "$m" "$RES")" 0)" "$(cell "$(stats 6 "$m" "$RES")" 0)" \
			"$(cell "$(stats 7 "$m" "$RES")" 0)" "$(cell "$(stats 8 "$m" "$RES")" 0)"
	done
	fails=$(awk '$9 != "-" && $9 > 0 { s += $9 } END { print s + 0 }' "$RES")
	setup=$(awk '$9 == "setup" { printf "%s#%s ", $1, $2 }' "$RES")
	[ "$fails" -gt 0 ] && echo "failed latency connections over all runs: $fails"
	[ -n "$setup" ] && echo "runs whose setup failed: $setup"
	echo "  a0 no rules; a fangzha's rules, ACCEPT for NFQUEUE; b fangzha-nfq, its rules; c fangzha-nfq, every packet"
	echo "  queued; p accept-all peer, rules of b; pc accept-all peer, every packet queued"
	echo
	ga=$(med "$(stats 3 a "$RES")")
	gb=$(med "$(stats 3 b "$RES")")
	ca=$(med "$(stats 4 a "$RES")")
	cb=$(med "$(stats 4 b "$RES")")
	la=$(med "$(stats 5 a "$RES")")
	lb=$(med "$(stats 5 b "$RES")")
	lp=$(med "$(stats 5 p "$RES")")
	fa=$(med "$(stats 7 a "$RES")")
	fb=$(med "$(stats 7 b "$RES")")
	fp=$(med "$(stats 7 p "$RES")")
	echo "targets (b against a):"
	echo "  throughput b/a             $(ratio "$gb" "$ga")   (target >= 95%)"
	echo "  connection rate b/a        $(ratio "$cb" "$ca")   (target >= 80%)"
	echo "  added connect p50 b-a      $(diff_us "$lb" "$la")   (target <= 50 us); first byte p50 b-a $(diff_us "$fb" "$fa")"
	echo "  peer for comparison: p/a throughput $(ratio "$(med "$(stats 3 p "$RES")")" "$ga"), conn rate $(ratio "$(med "$(stats 4 p "$RES")")" "$ca"), connect p50 p-a $(diff_us "$lp" "$la"), first byte p50 p-a $(diff_us "$fp" "$fa")"
	echo
fi
if [ "$FLOOD" = 1 ]; then
	fmt='%-12s %-5s %-22s %-17s %-24s %-17s %-20s %-20s\n'
	# shellcheck disable=SC2059
	printf "$fmt" program flood "verdicts/s" "CPU 0 %" "verdicts per CPU-s" "us CPU/verdict" "flood sent pkt/s" "metrics/s"
	awk '{ c = $5 > 0 ? $4 / ($5 / 100) : 0; u = c > 0 ? 1e6 / c : 0; printf "%s-%s %s %.0f %.2f\n", $1, $2, $3, c, u }' \
		"$FRES" >"$T/flood-cap"
	for prog in nfq peer; do
		for kind in $FLOOD_KINDS; do
			grep -q "^$prog $kind " "$FRES" || continue
			awk -v p="$prog" -v k="$kind" '$1 == p && $2 == k' "$FRES" >"$T/fsel"
			awk -v p="$prog-$kind" '$1 == p' "$T/flood-cap" >"$T/fcap"
			# shellcheck disable=SC2059
			printf "$fmt" "$([ "$prog" = nfq ] && echo fangzha-nfq || echo acceptall)" "$kind" \
				"$(cell "$(stats 4 "$prog" "$T/fsel")" 0)" "$(cell "$(stats 5 "$prog" "$T/fsel")" 0)" \
				"$(cell "$(stats 3 "$prog-$kind" "$T/fcap")" 0)" "$(cell "$(stats 4 "$prog-$kind" "$T/fcap")" 2)" \
				"$(cell "$(stats 6 "$prog" "$T/fsel")" 0)" \
				"$(cell "$(stats 7 "$prog" "$T/fsel")" 0)"
		done
	done
	echo "  verdicts/s: queue 0's packets with a verdict per second (nfnetlink_queue); verdicts per CPU-s: the same"
	echo "  per second of the program's CPU time (one thread with a whole CPU; it includes the kernel's forwarding of"
	echo "  each accepted packet, done in the verdict's system call); metrics/s: fangzha_nfq_packets_total. With the"
	echo "  program well under 100% of CPU 0, verdicts/s is what the flood generator (one CPU) could offer."
	if [ -s "$DRES" ]; then
		echo
		echo "with a backlog ($DRAIN_N packets queued while the program was stopped, then let go; live: the flood"
		echo "goes on, window while >= 1000 wait, <= 2 s; still: the flood has stopped, window until the queue is empty)"
		# prog-kind-how rep verdicts/s cpu% per-cpu-s us/verdict verdicts
		awk '{ printf "%s %s %.0f %.1f %.0f %.2f %s\n", $1, $2, $3 / $4 * 1e6, $5 / $4 / 10, $3 / $5 * 1e9, $5 / $3 / 1e3, $3 }' \
			"$DRES" >"$T/drain-cap"
		fmt='%-12s %-5s %-6s %-22s %-17s %-24s %-17s\n'
		# shellcheck disable=SC2059
		printf "$fmt" program flood flood "verdicts/s" "CPU 0 %" "verdicts per CPU-s" "us CPU/verdict"
		for how in live still; do
			for prog in nfq peer; do
				for kind in $FLOOD_KINDS; do
					grep -q "^$prog-$kind-$how " "$T/drain-cap" || continue
					# shellcheck disable=SC2059
					printf "$fmt" "$([ "$prog" = nfq ] && echo fangzha-nfq || echo acceptall)" "$kind" "$how" \
						"$(cell "$(stats 3 "$prog-$kind-$how" "$T/drain-cap")" 0)" \
						"$(cell "$(stats 4 "$prog-$kind-$how" "$T/drain-cap")" 0)" \
						"$(cell "$(stats 5 "$prog-$kind-$how" "$T/drain-cap")" 0)" \
						"$(cell "$(stats 6 "$prog-$kind-$how" "$T/drain-cap")" 2)"
				done
			done
		done
		echo "  verdicts/s: verdicts in the window / its length (from SIGCONT; polled from CPU 1): one queue"
		echo "  thread with a whole CPU and work always waiting"
	fi
	for kind in $FLOOD_KINDS; do
		v=$(med "$(stats 4 nfq <(awk -v k="$kind" '$2 == k' "$FRES"))")
		c=$(med "$(stats 3 "nfq-$kind" "$T/flood-cap")")
		[ "$v" = - ] && continue
		d=$(med "$(stats 3 "nfq-$kind-live" "$T/drain-cap" 2>/dev/null)")
		printf '  target >= 200000 verdicts/s per thread (%s): %s/s under the flood with a backlog;' "$kind" "$d"
		printf ' without one %.0f/s (the generator the limit), %.0f per CPU-second\n' "$v" "$c"
	done
	if [ -s "${IRES:-}" ]; then
		echo
		echo "the inspector alone (nfq_flood --inspect: the same packets through fz_inspect_packet in one"
		echo "process, live mode, the same blocklist; no queue, no kernel), CPU time per packet:"
		for kind in $FLOOD_KINDS; do
			c=$(stats 4 inspect <(awk -v k="$kind" '$2 == k' "$IRES"))
			[ "${c%% *}" = - ] && continue
			printf '  %-5s %s ns\n' "$kind" "$(cell "$c" 0)"
		done
	fi
fi
echo
echo "run time $((T_END - T_START)) s"
