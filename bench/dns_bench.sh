#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fangzha-dns beside Unbound, PowerDNS Recursor, dnsmasq and Knot Resolver,
# one run, side by side (the Benchmarks section of issue 3).
#   bench/dns_bench.sh [--names N] [--only LIST] [--rate QPS] [--seconds S]
#     --names N     listed names (default 1000000)
#     --only LIST   comma-separated subset of: fangzha,unbound,pdns,dnsmasq,kresd
#     --rate QPS    the fixed rate of the latency run (default 10000)
#     --seconds S   length of the full-speed and fixed-rate runs (default 10)
#     --repeat N    full-speed runs per resolver; the row shows the median (default 3)
#
# Every resolver forwards to the same local nsd (zone fzbench., 5000 hosts,
# rrl-ratelimit: 0) and is loaded with the same N generated names (fangzha:
# `fangzha compile --match subtree`; Unbound: `local-zone: "NAME."
# always_nxdomain`; PowerDNS Recursor and Knot Resolver: an RPZ file with
# NAME and *.NAME; dnsmasq: a servers-file of `server=/NAME/`, which it
# re-reads on SIGHUP). The resolver runs on CPU 0 (one worker thread each);
# nsd, dnsperf and kdig run on CPU 1. The queries (100,000, fixed): 90% one
# of the 5000 allowed hosts, 10% a listed name of which a third is a child
# (www.NAME). Each resolver is measured after a warm-up over the whole
# query file:
#   ready     seconds from exec to the first answer (a kdig poll every 20 ms)
#   us/q      resolver CPU time (utime+stime from /proc/PID/stat) per
#             completed query during a full-speed dnsperf run; QPS of that run;
#             the resolver's share of CPU 0 then, and what other processes
#             took of CPU 0 (from /proc/stat: noise on a shared machine)
#   us/q@R    the same at the fixed rate R, with p50 / p99 latency (dnsperf -v)
#   RSS       VmRSS after the load
#   reload    seconds from publishing a list with one more name (already
#             asked once, so cached as NOERROR) until it is NXDOMAIN; "stale"
#             if it is not within 20 s. Publish: fangzha - rename of a new
#             compiled list over the old; Unbound - `unbound-control reload`;
#             PowerDNS - `rec_control reload-lua-config`; Knot Resolver -
#             rename of the RPZ file (policy.rpz watches it); dnsmasq - SIGHUP
#   lost      queries lost by a dnsperf run at 2000 qps across the reload
# Figures are printed beside the issue's targets, never asserted. The peers
# are installed with apt-get when missing (as root); a peer that is missing
# or does not come up is reported and skipped. Builds fangzha-dns with
# buildtype=release in FZ_BENCH_BUILD (default <source>/build-bench).
# FZ_DNS_EXE=PATH measures that fangzha-dns binary instead. FZ_KEEP=1 keeps
# the temporary directory.
set -u

src=$(cd "$(dirname "$0")/.." && pwd)
build=${FZ_BENCH_BUILD:-$src/build-bench}
NAMES=1000000
ONLY=fangzha,unbound,pdns,dnsmasq,kresd
RATE=10000
SECS=10
REPEAT=3
USQ_SPREAD=
while [ $# -gt 0 ]; do
	case $1 in
	--names)
		NAMES=${2:?--names N}
		shift 2
		;;
	--only)
		ONLY=${2:?--only LIST}
		shift 2
		;;
	--rate)
		RATE=${2:?--rate QPS}
		shift 2
		;;
	--seconds)
		SECS=${2:?--seconds S}
		shift 2
		;;
	--repeat)
		REPEAT=${2:?--repeat N}
		shift 2
		;;
	*)
		echo "usage: $0 [--names N] [--only LIST] [--rate QPS] [--seconds S] [--repeat N]" >&2
		exit 2
		;;
	esac
done
want()
{
	case ",$ONLY," in *",$1,"*) return 0 ;; esac
	return 1
}

if [ "$(nproc)" -lt 2 ]; then
	echo "needs two CPUs (resolver on 0, load and upstream on 1)" >&2
	exit 77
fi

# ---- tools: the load and the upstream are required, peers are optional
apt_install()
{
	[ "$(id -u)" = 0 ] || return 1
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "$@" >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$@" >/dev/null 2>&1; }
}
need()
{ # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "installing $2 (for $1)" >&2
	apt_install "$2"
	command -v "$1" >/dev/null 2>&1
}
PATH=$PATH:/usr/sbin:/sbin
for t in "dnsperf dnsperf" "kdig knot-dnsutils" "nsd nsd" "taskset util-linux" "python3 python3"; do
	# shellcheck disable=SC2086
	need $t || {
		echo "${t%% *} is missing and could not be installed" >&2
		exit 77
	}
done
PY=$(command -v /usr/bin/python3 python3 | head -n 1)
want unbound && { need unbound unbound && need unbound-control unbound || echo "no unbound: skipped" >&2; }
want pdns && { need pdns_recursor pdns-recursor || echo "no pdns_recursor: skipped" >&2; }
want dnsmasq && { need dnsmasq dnsmasq || echo "no dnsmasq: skipped" >&2; }
want kresd && { need kresd knot-resolver || echo "no kresd: skipped" >&2; }

# ---- fangzha (release build)
FZDNS=
FZ=
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$src" --buildtype=release >/dev/null
else
	meson configure "$build" -Dbuildtype=release >/dev/null
fi
ninja -C "$build" -j2 tools/fangzha >/dev/null || exit 1
FZ=$build/tools/fangzha
if want fangzha && [ -n "${FZ_DNS_EXE:-}" ]; then
	FZDNS=$FZ_DNS_EXE
elif want fangzha; then
	if ninja -C "$build" -j2 resolver/fangzha-dns >/dev/null 2>&1; then
		FZDNS=$build/resolver/fangzha-dns
	else
		echo "fangzha-dns does not build yet: skipped" >&2
	fi
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fz-dnsbench.XXXXXX") || exit 1
chmod 755 "$T"
PIDS=
cleanup()
{
	local p
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "${FZ_KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now()
{
	date +%s.%N
}
since()
{
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'
}
free_port()
{
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Hlntu "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return
		fi
	done
}
note()
{
	echo "[$(date +%T)] $*" >&2
}

# ---- data: the names, the zone, the queries (deterministic)
note "generating $NAMES names and the query file"
# name(j): listed name number j (0 <= j < NAMES).
NAMEFN='function name(j) { return sprintf("f%07d-%04d.scam%02d.fzbench", j, (j * 7919) % 10007, j % 50) }'
awk "$NAMEFN"' BEGIN { for (j = 0; j < '"$NAMES"'; j++) print name(j) }' >"$T/names.txt"
NEWNAME=newly-listed.ok.fzbench
awk "$NAMEFN"' BEGIN { n = '"$NAMES"'
	for (k = 0; k < 100000; k++) {
		if (k % 10 != 0)
			printf "h%d.ok.fzbench A\n", (k * 37) % 5000
		else if (int(k / 10) % 3 == 2)
			printf "www.%s A\n", name((k * 7919) % n)
		else
			printf "%s A\n", name((k * 7919) % n)
	}
}' >"$T/queries.txt"
# the reload run: allowed names only plus the one that gets listed
awk 'BEGIN { for (k = 0; k < 1000; k++) printf "h%d.ok.fzbench A\n", k }' >"$T/reload-q.txt"
echo "$NEWNAME A" >>"$T/reload-q.txt"

mkdir -p "$T/nsd"
{
	echo "\$ORIGIN fzbench."
	echo "\$TTL 3600"
	echo '@ SOA ns.fzbench. hostmaster.fzbench. 1 3600 600 86400 3600'
	echo '@ NS ns.fzbench.'
	echo 'ns A 127.0.0.1'
	echo "$NEWNAME. A 192.0.2.200"
	awk 'BEGIN { for (i = 0; i < 5000; i++) printf "h%d.ok A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
} >"$T/nsd/fzbench.zone"

# ---- nsd on CPU 1
NSD_PORT=$(free_port)
cat >"$T/nsd/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$NSD_PORT
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$T/nsd"
	database: ""
	zonelistfile: "$T/nsd/zone.list"
	xfrdfile: "$T/nsd/xfrd.state"
	xfrdir: "$T/nsd"
	pidfile: "$T/nsd/nsd.pid"
	logfile: "$T/nsd/nsd.log"
	server-count: 1
	verbosity: 0
	rrl-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: fzbench
	zonefile: fzbench.zone
EOF
taskset -c 1 nsd -d -c "$T/nsd/nsd.conf" >"$T/nsd/nsd.out" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 100); do
	kdig @127.0.0.1 -p "$NSD_PORT" +timeout=1 +retry=0 h1.ok.fzbench A 2>/dev/null |
		grep -q 'status: NOERROR' && break
	sleep 0.1
done
kdig @127.0.0.1 -p "$NSD_PORT" +timeout=1 +retry=0 h1.ok.fzbench A 2>/dev/null | grep -q 'status: NOERROR' || {
	echo "nsd did not start:" >&2
	cat "$T/nsd/nsd.out" "$T/nsd/nsd.log" >&2 2>/dev/null
	exit 1
}
note "nsd on 127.0.0.1@$NSD_PORT"

# ---- helpers for a running resolver at 127.0.0.1:$PORT, pid $RPID
status_of()
{ # status_of NAME: the rcode the resolver gives
	taskset -c 1 kdig @127.0.0.1 -p "$PORT" +timeout=1 +retry=0 "$1" A 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p' | head -n 1
}
cpu_ticks()
{
	awk '{ print $14 + $15 }' "/proc/$RPID/stat" 2>/dev/null
}
rss_mib()
{
	awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$RPID/status" 2>/dev/null
}
HZ=$(getconf CLK_TCK)
# cpu0_busy: busy and total ticks of CPU 0 so far (/proc/stat).
cpu0_busy()
{
	awk '$1 == "cpu0" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}
# pct FRACTION FILE: that percentile of the sorted numbers in FILE.
pct()
{
	awk -v f="$1" '{ a[NR] = $1 } END { if (!NR) exit; i = int(NR * f) + 1; if (i > NR) i = NR; printf "%.0f", a[i] }' "$2"
}
# perf OUT ARGS...: dnsperf on CPU 1 against the resolver.
perf()
{
	local out=$1
	shift
	taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" "$@" >"$out" 2>&1
}
field()
{ # field FILE LABEL: the first number after "LABEL:"
	sed -n "s/^ *$2: *\\([0-9.]*\\).*/\\1/p" "$1" | head -n 1
}
# start_resolver NAME CMD...: on CPU 0; sets RPID and READY (seconds, or "").
start_resolver()
{
	local name=$1 t
	shift
	t=$(now)
	taskset -c 0 "$@" >"$T/$name.out" 2>&1 &
	RPID=$!
	PIDS="$PIDS $RPID"
	READY=$(taskset -c 1 "$PY" "$T/ready.py" "$PORT" "$t" "$RPID")
	[ -n "$READY" ] && return 0
	note "$name did not come up:"
	tail -n 20 "$T/$name.out" >&2
	return 1
}
stop_resolver()
{
	kill -TERM "$RPID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$RPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
}

# ready.py PORT T0 PID: asks h0.ok.fzbench A every 10 ms from one socket;
# prints the seconds from T0 (unix time) to the first NOERROR answer, or
# nothing when PID is gone or 180 s passed.
cat >"$T/ready.py" <<'EOF'
import os, socket, struct, sys, time
port, t0, pid = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
q = struct.pack("!HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0) + b"\x02h0\x02ok\x07fzbench\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.01)
while time.time() - t0 < 180:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        s.sendto(q, ("127.0.0.1", port))
        while True:
            r = s.recv(4096)
            if len(r) >= 4 and r[:2] == q[:2] and r[2] & 0x80 and r[3] & 15 == 0:
                print("%.2f" % (time.time() - t0))
                sys.exit(0)
    except (socket.timeout, ConnectionRefusedError):
        pass
sys.exit(1)
EOF

RESULTS=$T/results
: >"$RESULTS"
# measure NAME RELOAD-FUNCTION: everything after start; appends a row.
measure()
{
	local name=$1 reload=$2 c0 c1 b0 b1 t0 t1 own other qps done_q usq lat_usq p50 p99 rss t live lost q rd
	note "$name: ready in $READY s, warming up"
	perf "$T/$name.warm" -d "$T/queries.txt" -n 1 -q 200 -t 5
	perf "$T/$name.warm2" -d "$T/queries.txt" -n 1 -q 200 -t 5
	sleep 0.5
	# Full speed REPEAT times; the row keeps the run with the median CPU per
	# query (a shared machine's noise lands in single runs), the log all.
	: >"$T/$name.runs"
	for i in $(seq "$REPEAT"); do
		note "$name: full speed for $SECS s ($i of $REPEAT)"
		c0=$(cpu_ticks)
		read -r b0 t0 <<<"$(cpu0_busy)"
		perf "$T/$name.full" -d "$T/queries.txt" -l "$SECS" -q 500 -c 4 -t 2
		c1=$(cpu_ticks)
		read -r b1 t1 <<<"$(cpu0_busy)"
		# the resolver's share of CPU 0, and what everything else took of it
		own=$(awk -v a="$c0" -v b="$c1" -v t="$((t1 - t0))" 'BEGIN { if (t > 0) printf "%.0f", (b - a) * 100 / t }')
		other=$(awk -v a="$c0" -v b="$c1" -v bb="$((b1 - b0))" -v t="$((t1 - t0))" \
			'BEGIN { if (t > 0) { o = (bb - (b - a)) * 100 / t; printf "%.0f", o < 0 ? 0 : o } }')
		qps=$(field "$T/$name.full" "Queries per second")
		done_q=$(field "$T/$name.full" "Queries completed")
		usq=$(awk -v a="$c0" -v b="$c1" -v n="$done_q" -v hz="$HZ" \
			'BEGIN { if (n > 0) printf "%.2f", (b - a) / hz * 1e6 / n; else print "-" }')
		echo "$usq $qps $own $other" >>"$T/$name.runs"
	done
	note "$name: us/q qps own% other% per run: $(tr '\n' ';' <"$T/$name.runs")"
	read -r usq qps own other <<<"$(sort -n "$T/$name.runs" | sed -n "$(((REPEAT + 1) / 2))p")"
	USQ_SPREAD="$USQ_SPREAD  $name $(sort -n "$T/$name.runs" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }')"
	note "$name: $RATE qps for $SECS s"
	c0=$(cpu_ticks)
	perf "$T/$name.rate" -d "$T/queries.txt" -l "$SECS" -Q "$RATE" -q 500 -t 2 -v
	c1=$(cpu_ticks)
	done_q=$(field "$T/$name.rate" "Queries completed")
	lat_usq=$(awk -v a="$c0" -v b="$c1" -v n="$done_q" -v hz="$HZ" \
		'BEGIN { if (n > 0) printf "%.2f", (b - a) / hz * 1e6 / n; else print "-" }')
	awk '/^> / { print $NF * 1e6 }' "$T/$name.rate" | sort -n >"$T/$name.lat"
	p50=$(pct 0.50 "$T/$name.lat")
	p99=$(pct 0.99 "$T/$name.lat")
	rss=$(rss_mib)
	note "$name: $(awk '/^(VmRSS|RssAnon|RssFile|RssShmem):/ { printf "%s %.0f MiB  ", $1, $2 / 1024 }' "/proc/$RPID/status")"
	# codes seen under load, for the log (a resolver that SERVFAILs is fast at nothing)
	note "$name: $(sed -n 's/^ *Response codes: *//p' "$T/$name.full")"

	# reload: the new name is asked (cached NOERROR), then listed
	note "$name: reload at 2000 qps"
	q=$(status_of "$NEWNAME")
	[ "$q" = NOERROR ] || note "$name: $NEWNAME is $q before the reload"
	taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$T/reload-q.txt" -l 60 -Q 2000 -t 2 \
		>"$T/$name.reload" 2>&1 &
	local perf_pid=$!
	sleep 2
	t=$(now)
	"$reload" || note "$name: the reload command failed"
	rd=$(since "$t")
	live=
	while [ "$(since "$t" | cut -d. -f1)" -lt 20 ]; do
		if [ "$(status_of "$NEWNAME")" = NXDOMAIN ]; then
			live=$(since "$t")
			break
		fi
		sleep 0.02
	done
	sleep 3 # answers still in flight at the end are "interrupted", not lost
	kill -INT "$perf_pid" 2>/dev/null
	wait "$perf_pid"
	lost=$(field "$T/$name.reload" "Queries lost")
	[ -n "$live" ] || live="stale>20"
	printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$name" "$usq" "$qps" "$lat_usq" \
		"$p50" "$p99" "$rss" "$READY" "$live" "$lost" "$rd" "$own" "$other" >>"$RESULTS"
	note "$name: done"
}

# ---- fangzha-dns
if [ -n "$FZDNS" ]; then
	note "fangzha: compiling the list"
	t=$(now)
	"$FZ" compile -o "$T/fz.fzb" --format domains --match subtree --category fraud \
		--name bench "$T/names.txt" >"$T/fz.compile" 2>&1 || cat "$T/fz.compile" >&2
	FZ_COMPILE=$(since "$t")
	# the next generation, made ahead; publishing it is the rename
	echo "$NEWNAME" >"$T/new.txt"
	"$FZ" compile -o "$T/fz.next.fzb" --generation 2 --format domains --match subtree \
		--category fraud --name bench "$T/names.txt" --name bench-new "$T/new.txt" \
		>"$T/fz.compile2" 2>&1 || cat "$T/fz.compile2" >&2
	chmod 644 "$T/fz.fzb" "$T/fz.next.fzb"
	fz_reload()
	{
		mv "$T/fz.next.fzb" "$T/fz.fzb"
	}
	PORT=$(free_port)
	if start_resolver fangzha "$FZDNS" --listen "127.0.0.1@$PORT" \
		--upstream "127.0.0.1@$NSD_PORT" --blocklist "$T/fz.fzb" --threads 1 \
		--allow-net 127.0.0.0/8; then
		measure fangzha fz_reload
		stop_resolver
	fi
fi

# ---- Unbound
if want unbound && command -v unbound >/dev/null 2>&1; then
	note "unbound: writing $NAMES local-zones"
	awk '{ printf "local-zone: \"%s.\" always_nxdomain\n", $1 }' "$T/names.txt" >"$T/unbound-zones.conf"
	PORT=$(free_port)
	cat >"$T/unbound.conf" <<EOF
server:
	interface: 127.0.0.1@$PORT
	port: $PORT
	do-ip6: no
	num-threads: 1
	username: ""
	chroot: ""
	directory: "$T"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 0
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "iterator"
	msg-cache-size: 64m
	rrset-cache-size: 64m
	include: "$T/unbound-zones.conf"
forward-zone:
	name: "."
	forward-addr: 127.0.0.1@$NSD_PORT
remote-control:
	control-enable: yes
	control-interface: "$T/unbound.ctl"
EOF
	ub_reload()
	{
		unbound-control -c "$T/unbound.conf" reload >/dev/null
	}
	if start_resolver unbound unbound -d -c "$T/unbound.conf"; then
		# the next list is in place before the reload is asked for
		echo "local-zone: \"$NEWNAME.\" always_nxdomain" >>"$T/unbound-zones.conf"
		measure unbound ub_reload
		stop_resolver
	fi
fi

# ---- RPZ file for PowerDNS and Knot Resolver: NAME and *.NAME
write_rpz()
{ # write_rpz FILE [EXTRA-NAME]
	{
		echo "\$TTL 60"
		echo '@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60'
		echo '@ NS localhost.'
		awk '{ printf "%s CNAME .\n*.%s CNAME .\n", $1, $1 }' "$T/names.txt"
		[ -n "${2:-}" ] && printf '%s CNAME .\n*.%s CNAME .\n' "$2" "$2"
	} >"$1"
}

# ---- PowerDNS Recursor
if want pdns && command -v pdns_recursor >/dev/null 2>&1; then
	note "pdns: writing the RPZ file"
	mkdir -p "$T/pdns"
	write_rpz "$T/pdns/list.rpz"
	PORT=$(free_port)
	cat >"$T/pdns/recursor.conf" <<EOF
local-address=127.0.0.1
local-port=$PORT
allow-from=127.0.0.0/8
forward-zones-recurse=.=127.0.0.1:$NSD_PORT
dont-query=
threads=1
pdns-distributes-queries=no
dnssec=off
daemon=no
socket-dir=$T/pdns
lua-config-file=$T/pdns/rpz.lua
disable-syslog=yes
quiet=yes
max-cache-entries=1000000
EOF
	echo "rpzFile(\"$T/pdns/list.rpz\", {policyName=\"bench\"})" >"$T/pdns/rpz.lua"
	pdns_reload()
	{
		rec_control --socket-dir="$T/pdns" --timeout=120 reload-lua-config >/dev/null
	}
	if start_resolver pdns pdns_recursor --config-dir="$T/pdns"; then
		write_rpz "$T/pdns/list.rpz.new" "$NEWNAME"
		mv "$T/pdns/list.rpz.new" "$T/pdns/list.rpz"
		measure pdns pdns_reload
		stop_resolver
	fi
fi

# ---- dnsmasq
if want dnsmasq && command -v dnsmasq >/dev/null 2>&1; then
	note "dnsmasq: writing the servers-file"
	awk '{ printf "server=/%s/\n", $1 }' "$T/names.txt" >"$T/dnsmasq.servers"
	PORT=$(free_port)
	dm_reload()
	{
		kill -HUP "$RPID"
	}
	if start_resolver dnsmasq dnsmasq -k --port="$PORT" --listen-address=127.0.0.1 \
		--bind-interfaces --no-resolv --no-hosts --no-poll --server="127.0.0.1#$NSD_PORT" \
		--servers-file="$T/dnsmasq.servers" --cache-size=10000 --user=root \
		--pid-file="$T/dnsmasq.pid" --log-facility=- --conf-file=/dev/null; then
		{
			cat "$T/dnsmasq.servers"
			echo "server=/$NEWNAME/"
		} >"$T/dnsmasq.servers.new"
		mv "$T/dnsmasq.servers.new" "$T/dnsmasq.servers"
		measure dnsmasq dm_reload
		stop_resolver
	fi
fi

# ---- Knot Resolver
if want kresd && command -v kresd >/dev/null 2>&1; then
	note "kresd: writing the RPZ file"
	mkdir -p "$T/kresd/run"
	write_rpz "$T/kresd/list.rpz"
	PORT=$(free_port)
	cat >"$T/kresd/kresd.conf" <<EOF
net.listen('127.0.0.1', $PORT, { kind = 'dns' })
cache.open(100 * MB, 'lmdb://$T/kresd/cache')
trust_anchors.remove('.')
policy.add(policy.rpz(policy.DENY, '$T/kresd/list.rpz', true))
policy.add(policy.all(policy.STUB('127.0.0.1@$NSD_PORT')))
EOF
	kr_reload()
	{
		mv "$T/kresd/list.rpz.new" "$T/kresd/list.rpz"
	}
	if start_resolver kresd kresd -n -q -c "$T/kresd/kresd.conf" "$T/kresd/run"; then
		write_rpz "$T/kresd/list.rpz.new" "$NEWNAME"
		measure kresd kr_reload
		stop_resolver
	fi
fi

# ---- the table
echo
echo "fangzha-dns and peers, $NAMES listed names, resolver on CPU 0 (1 thread), dnsperf + nsd on CPU 1"
[ -n "$FZDNS" ] && echo "fangzha compile of the list: ${FZ_COMPILE:-?} s"
echo "queries: 90% allowed (cached), 10% listed (a third of them a child); latency at $RATE qps"
echo
fmt='%-9s %6s %8s %7s %7s %9s %7s %7s %8s %8s %9s %6s\n'
# shellcheck disable=SC2059
printf "$fmt" resolver "us/q" QPS "cpu0 %" "other%" "us/q@$RATE" "p50 us" "p99 us" "RSS MiB" "ready s" "reload s" lost
while IFS='|' read -r n u qps lu p50 p99 rss ready live lost _ own other; do
	# shellcheck disable=SC2059
	printf "$fmt" "$n" "$u" "$(printf '%.0f' "${qps:-0}")" "$own" "$other" "$lu" "$p50" "$p99" "$rss" "$ready" "$live" "$lost"
done <"$RESULTS"
echo
echo "us/q: median of $REPEAT full-speed runs; range per resolver:$USQ_SPREAD"
echo "cpu0 %: the resolver's share of CPU 0 during the full-speed run; other%: what other"
echo "processes took of CPU 0 meanwhile (on a shared machine QPS and latency suffer from it;"
echo "CPU time per query much less)"
ub=$(awk -F'|' '$1 == "unbound" { print $2 }' "$RESULTS")
fz=$(awk -F'|' '$1 == "fangzha" { print $2 }' "$RESULTS")
echo
echo "targets: us/q <= 0.7 x Unbound's and below every peer's; RSS <= 64 MiB; ready <= 0.5 s;"
echo "         reload live <= 1 s after the publish, 0 lost, no stale answer"
if [ -n "$ub" ] && [ -n "$fz" ]; then
	awk -v a="$fz" -v b="$ub" 'BEGIN { if (b > 0) printf "fangzha / Unbound CPU per query: %.2f\n", a / b }'
fi
echo "(the reload command itself took: $(awk -F'|' '{ printf "%s %s s  ", $1, $11 }' "$RESULTS"))"
