#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fangzha-dns end to end on loopback (suite 'integration'):
#   test_dns.sh FANGZHA_DNS FANGZHA
#
# Debian's nsd serves the zone fz.test on 127.0.0.1 (a free port) as the
# upstream; fangzha-dns instances forward to it with a blocklist made by
# `fangzha compile`; kdig, dnsperf and a raw-socket helper (python3, socket
# only) are the clients. Everything lives in a temporary directory that a
# trap removes, every process started here is stopped however the script
# ends. Scenarios:
#   - a listed name: NXDOMAIN with EDE 15 "fraud: listed by test-fraud";
#     a child of it blocked; an allowlisted child resolves; plain names
#     resolve (A and AAAA, also over IPv6 and TCP)
#   - sinkhole mode: the configured A / AAAA, other types NODATA
#   - CNAME cloaking (a chain reaching a listed name) and response IPs
#     (an A / AAAA inside a listed CIDR): blocked
#   - an RRset too big for 1232 bytes (nsd answers TC=1): answered over TCP
#   - the first upstream down: the second answers; both down: SERVFAIL
#     with an EDE; an upstream coming back: answers again
#   - a new generation published under a dnsperf load: live within 1 s,
#     no query lost, no SERVFAIL
#   - a client from 127.0.0.2 when only 127.0.0.1/32 may ask: REFUSED
#   - malformed queries over UDP and TCP: FORMERR or silence, and the
#     daemon keeps answering
#   - /metrics counts the blocks; the events file has one JSON line per
#     blocked query; --user drops to nobody with no capabilities;
#     READY=1 on NOTIFY_SOCKET; SIGTERM exits 0
#   - settings from a config file ([dns], other sections skipped), re-read
#     on SIGHUP; a bad key or value is an error naming file:line
#   - TCP: five pipelined queries on one connection; the cache counts TTLs
#     down; the events file is reopened on SIGUSR1
#   - the first upstream bound but silent: the second answers, and new
#     names do not wait for the silent one again
#   - replies with a wrong ID, question or source address are ignored
#   - the DO bit passes through; no OPT in answers to queries without EDNS
# Needs root (nsd, --user); exit 77 without root or a tool (nsd, kdig,
# dnsperf, python3). FZ_KEEP=1 keeps the temporary directory.
set -u

DNS=${1:?usage: test_dns.sh FANGZHA_DNS FANGZHA}
FZ=${2:?usage: test_dns.sh FANGZHA_DNS FANGZHA}
NSD=${FZ_NSD:-$(command -v nsd 2>/dev/null || echo /usr/sbin/nsd)}
PY=$(command -v /usr/bin/python3 python3 2>/dev/null | head -n 1)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$HERE/common.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (nsd, --user)"
	exit 77
fi
if [ ! -x "$NSD" ]; then
	echo "SKIP: nsd is missing (scripts/deps.sh --test installs it)"
	exit 77
fi
for tool in kdig dnsperf; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is missing (scripts/deps.sh --test installs it)"
		exit 77
	fi
done
if [ -z "$PY" ]; then
	echo "SKIP: python3 is missing"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fz-dns.XXXXXX") || exit 99
chmod 755 "$T" # the daemon reads the list as nobody after a reload
PIDS=
cleanup()
{
	# shellcheck disable=SC2086 # a list of pids
	fz_stop_pids 30 $PIDS
	fz_tmp_done "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FZ_SCEN=setup
T0=$(date +%s.%N)

now()
{
	date +%s.%N
}
since()
{
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
}
scenario()
{
	FZ_SCEN=$1
	printf '\n== %s (at %s s)\n' "$1" "$(since "$T0")"
}
show()
{
	sed 's/^/    | /' "$@"
}

# free_port VAR: sets VAR to a port free for UDP and TCP on 127.0.0.1 (and
# on ::1 when there is an IPv6 loopback), never handed out twice here.
GIVEN=" "
free_port()
{ # free_port VAR
	local p
	p=$("$PY" - "$GIVEN" <<'EOF'
import random, socket, sys
given = set(sys.argv[1].split())
fams = [(socket.AF_INET, "127.0.0.1")]
try:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::1", 0))
    s.close()
    fams.append((socket.AF_INET6, "::1"))
except OSError:
    pass
for _ in range(1000):
    p = random.randrange(20000, 60000)
    if str(p) in given:
        continue
    try:
        for fam, addr in fams:
            for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(fam, typ)
                try:
                    s.bind((addr, p))
                finally:
                    s.close()
    except OSError:
        continue
    print(p)
    break
EOF
)
	GIVEN="$GIVEN$p "
	printf -v "$1" '%s' "$p"
}
# has_ipv6: ::1 can be bound
has_ipv6()
{
	"$PY" -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' 2>/dev/null
}

# ---------------------------------------------------------------- zones
mkdir -p "$T/nsd" "$T/list"
{
	cat <<'EOF'
$ORIGIN fz.test.
$TTL 300
@        SOA   ns.fz.test. hostmaster.fz.test. 1 3600 600 86400 60
@        NS    ns.fz.test.
ns       A     127.0.0.1
ok       A     192.0.2.1
ok       AAAA  2001:db8::1
ok       TXT   "plain"
www      A     192.0.2.3
fresh    A     192.0.2.2
bad      A     192.0.2.66
bad      AAAA  2001:db8::66
bad      TXT   "listed"
x.bad    A     192.0.2.67
good.bad A     192.0.2.68
evil-cdn A     192.0.2.69
x.evil-cdn A   192.0.2.70
cloak    CNAME evil-cdn
cloak2   CNAME alias2
alias2   CNAME x.evil-cdn
ipbad    A     203.0.113.5
ip6bad   AAAA  2001:db8:bad::1
EOF
	# 300 addresses: about 4.8 kB, more than any UDP answer nsd gives
	for i in $(seq 0 299); do
		echo "big      A     10.1.$((i / 250)).$((i % 250 + 1))"
	done
} >"$T/nsd/fz.test.zone"

# nsd_answers PORT: nsd on 127.0.0.1@PORT answers for fz.test.
nsd_answers()
{
	kdig @127.0.0.1 -p "$1" +timeout=1 +retry=0 ok.fz.test A 2>/dev/null |
		grep -q 'status: NOERROR'
}
# start_nsd PORT DIR: nsd for fz.test on 127.0.0.1@PORT; its pid in NSD_PID.
start_nsd()
{
	local port=$1 dir=$2
	mkdir -p "$dir"
	cp "$T/nsd/fz.test.zone" "$dir/" 2>/dev/null
	fz_nsd_conf "$dir" "ip-address: 127.0.0.1@$port" "do-ip6: no" "rrl-ratelimit: 0"
	printf 'zone:\n\tname: fz.test\n\tzonefile: fz.test.zone\n' >>"$dir/nsd.conf"
	"$NSD" -d -c "$dir/nsd.conf" >>"$dir/nsd.out" 2>&1 &
	NSD_PID=$!
	PIDS="$PIDS $NSD_PID"
	fz_wait_for "$NSD_PID" 50 nsd_answers "$port" && return 0
	echo "nsd did not start on $port:"
	show "$dir/nsd.out" "$dir/nsd.log" 2>/dev/null
	return 1
}

free_port NSD_PORT
start_nsd "$NSD_PORT" "$T/nsd" || exit 99
echo "nsd on 127.0.0.1@$NSD_PORT (pid $NSD_PID)"

# ---------------------------------------------------------------- blocklist
printf 'bad.fz.test\nevil-cdn.fz.test\n' >"$T/list/fraud.domains"
printf 'bad.fz.test\nevil-cdn.fz.test\nfresh.fz.test\n' >"$T/list/fraud2.domains"
cat >"$T/list/ips.rpz" <<'EOF'
$TTL 300
@ IN SOA localhost. root.localhost. 1 43200 3600 259200 300
  IN NS localhost.
24.0.113.0.203.rpz-ip CNAME .
48.zz.bad.db8.2001.rpz-ip CNAME .
EOF
echo good.bad.fz.test >"$T/list/allow.txt"
BL=$T/list/blocklist.fzb
# compile FRAUD_FILE: publish a generation of $BL.
compile()
{
	"$FZ" compile -o "$BL" --allow "$T/list/allow.txt" \
		--format domains --match subtree --category fraud --name test-fraud "$1" \
		--format rpz --match default --category malware --name test-ips "$T/list/ips.rpz" \
		>"$T/compile.out" 2>&1
}
if ! compile "$T/list/fraud.domains"; then
	echo "fangzha compile failed:"
	show "$T/compile.out"
	exit 99
fi
chmod 644 "$BL"

# ---------------------------------------------------------------- helpers
# start_dns NAME ARGS...: fangzha-dns --foreground ARGS; waits for
# "fangzha-dns: ready" on its stdout (10 s). Sets DNS_PID and READY_S.
start_dns()
{
	local name=$1 t
	shift
	t=$(now)
	"$DNS" --foreground "$@" >"$T/$name.out" 2>"$T/$name.err" &
	DNS_PID=$!
	PIDS="$PIDS $DNS_PID"
	for _ in $(seq 200); do
		if grep -q '^fangzha-dns: ready' "$T/$name.out" 2>/dev/null; then
			READY_S=$(since "$t")
			ok "$name: ready in $READY_S s (pid $DNS_PID)"
			return 0
		fi
		kill -0 "$DNS_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$DNS_PID" 2>/dev/null; then
		fail "$name: no 'fangzha-dns: ready' within 10 s: $DNS $*"
	else
		wait "$DNS_PID"
		fail "$name: exited with $? before ready: $DNS $*"
	fi
	show "$T/$name.out" "$T/$name.err"
	return 1
}

# q PORT NAME TYPE [KDIG-OPTIONS...]: kdig to 127.0.0.1@PORT, output in $T/q.
q()
{
	local port=$1 name=$2 type=$3
	shift 3
	kdig @127.0.0.1 -p "$port" +edns +timeout=3 +retry=1 "$@" "$name" "$type" >"$T/q" 2>&1
}
qstatus()
{
	sed -n 's/.*status: \([A-Z]*\).*/\1/p' "$T/q" | head -n 1
}
# answers TYPE: the RDATA of the answer records of TYPE, sorted, one a line.
answers()
{
	awk -v t="$1" '/^;; ANSWER SECTION/ { s = 1; next } /^;;/ || /^$/ { s = 0 }
		s && $3 == "IN" && $4 == t { print $5 }' "$T/q" | sort
}
ede()
{
	sed -n 's/^;; EDE: //p' "$T/q" | head -n 1
}

# expect_status WHAT STATUS [EDE-REGEX]: the last query's rcode (and EDE).
expect_status()
{
	local what=$1 want=$2 ede_re=${3:-} got e
	got=$(qstatus)
	e=$(ede)
	if [ "$got" != "$want" ]; then
		fail "$what: status '$got', expected $want"
		show "$T/q"
	elif [ -n "$ede_re" ] && ! [[ $e =~ $ede_re ]]; then
		fail "$what: EDE '$e', expected /$ede_re/"
		show "$T/q"
	else
		ok "$what: $got${e:+ EDE $e}"
	fi
}
# expect_answer WHAT TYPE WANT: NOERROR and exactly these records (space separated).
expect_answer()
{
	local what=$1 type=$2 want=$3 got
	got=$(answers "$type" | tr '\n' ' ' | sed 's/ $//')
	if [ "$(qstatus)" = NOERROR ] && [ "$got" = "$want" ]; then
		ok "$what: $type $got"
	else
		fail "$what: expected NOERROR $type '$want', got $(qstatus) '$got'"
		show "$T/q"
	fi
}
# blocked WHAT PORT NAME TYPE EDE-TEXT: NXDOMAIN, no answer, EDE 15 with the text.
blocked()
{
	local what=$1 port=$2 name=$3 type=$4 text=$5
	q "$port" "$name" "$type"
	expect_status "$what ($name $type)" NXDOMAIN "^15 \\(Blocked\\).*$text"
	if [ -n "$(answers A)$(answers AAAA)" ]; then
		fail "$what: a blocked answer carries addresses: $(answers A) $(answers AAAA)"
	fi
}
# alive WHAT PORT: the daemon still answers a plain query.
alive()
{
	q "$1" ok.fz.test A
	if [ "$(qstatus)" = NOERROR ] && [ "$(answers A)" = 192.0.2.1 ]; then
		ok "$2: still answering"
	else
		fail "$2: no longer answering ok.fz.test"
		show "$T/q"
	fi
}

# metrics: GET /metrics from the main instance (python3: no curl needed).
metrics()
{
	"$PY" -c 'import sys, urllib.request
r = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=3)
sys.stdout.write(r.read().decode())' "$MP" 2>"$T/metrics.err"
}

# stop_dns WHAT PID: SIGTERM, exit 0 within 5 s.
stop_dns()
{
	local what=$1 pid=$2 rc
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "$what: still running 5 s after SIGTERM"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" = 0 ]; then
		ok "$what: SIGTERM, exit 0"
	else
		fail "$what: exit $rc after SIGTERM"
		show "$T/$what.err"
	fi
}

# The raw-bytes client: python3 raw.py udp|tcp PORT CASE; prints what came back.
cat >"$T/raw.py" <<'EOF'
import random, socket, struct, sys

mode, port, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def q(name=b"\x02ok\x02fz\x04test\x00", qd=1, flags=0x0100, tail=b"\x00\x01\x00\x01"):
    return struct.pack("!HHHHHH", 0x4242, flags, qd, 0, 0, 0) + name + tail
rnd = random.Random(case)
cases = {
    "short": b"\x42\x42\x01",
    "header-only": struct.pack("!HHHHHH", 0x4242, 0x0100, 0, 0, 0, 0),
    "qdcount0": struct.pack("!HHHHHH", 0x4242, 0x0100, 0, 0, 0, 0) + b"\x02ok\x02fz\x04test\x00\x00\x01\x00\x01",
    "qdcount2": q(qd=2) + b"\x03www\x02fz\x04test\x00\x00\x01\x00\x01",
    "qdcount2-one": q(qd=2),
    "loop-self": q(name=b"\xc0\x0c"),
    "loop-two": q(name=b"\x01a\xc0\x0e"),
    "pointer-out": q(name=b"\x01a\xc0\xff"),
    "label-64": q(name=b"\x40" + b"a" * 64 + b"\x00"),
    "name-256": q(name=b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" + b"c" * 63 + b"\x3f" + b"d" * 63 + b"\x00"),
    "no-qtype": q(tail=b""),
    "half-qtype": q(tail=b"\x00"),
        "garbage": bytes(rnd.getrandbits(8) for _ in range(300)),
    "response": q(flags=0x8180),
}
if case == "list":
    print(" ".join(cases))
    sys.exit(0)
if case == "flood":
    # 3000 random datagrams, none answered with anything but FORMERR/NOTIMP;
    # 3000 valid queries (with an OPT record and options) with a few bytes
    # changed, from another socket: any answer will do, the daemon must live
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x0c\x00\x0a\x00\x08" + b"\x01" * 8
    base = [q(qd=1)[:2] + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01" + n + b"\x00\x01\x00\x01" + opt
            for n in (b"\x02ok\x02fz\x04test\x00", b"\x03bad\x02fz\x04test\x00", b"\x05cloak\x02fz\x04test\x00")]
    for i in range(3000):
        s.sendto(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 600))), ("127.0.0.1", port))
        b = bytearray(rnd.choice(base))
        for _ in range(rnd.randrange(1, 4)):
            b[rnd.randrange(2, len(b))] = rnd.getrandbits(8)
        if rnd.random() < 0.2:
            b = b[:rnd.randrange(0, len(b))]
        m.sendto(bytes(b), ("127.0.0.1", port))
    s.settimeout(0.5)
    bad = 0
    try:
        while True:
            r = s.recv(65535)
            if len(r) < 4 or (r[3] & 15) not in (1, 4):
                bad += 1
    except socket.timeout:
        pass
    print("bad-replies %d" % bad)
    sys.exit(1 if bad else 0)
msg = cases[case]
if mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.7)
    s.sendto(msg, ("127.0.0.1", port))
    try:
        r = s.recv(65535)
    except socket.timeout:
        print("silent")
        sys.exit(0)
else:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.settimeout(1.5)
    s.sendall(struct.pack("!H", len(msg)) + msg)
    r = b""
    try:
        while True:
            d = s.recv(65535)
            if not d:
                break
            r += d
            if len(r) >= 2 and len(r) >= 2 + struct.unpack("!H", r[:2])[0]:
                break
    except (socket.timeout, ConnectionResetError):
        pass
    if not r:
        print("silent")
        sys.exit(0)
    r = r[2:]
if len(r) < 12:
    print("short reply %r" % r)
    sys.exit(1)
rc = r[3] & 15
print("rcode %d qr %d id %04x" % (rc, r[2] >> 7, struct.unpack("!H", r[:2])[0]))
ok = (rc == 1 or (case == "garbage" and rc == 4)) and case != "response" and r[2] >> 7 == 1
sys.exit(0 if ok else 1)
EOF
# tcp_raw PORT KIND: odd TCP framings; prints what came back.
cat >"$T/tcpraw.py" <<'EOF'
import socket, struct, sys, time
port, kind = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=2)
if kind == "oversize":      # says 65535 bytes, sends 20 and closes its side
    s.sendall(b"\xff\xff" + b"\x00" * 20)
    s.shutdown(socket.SHUT_WR)
elif kind == "zero":        # a zero length prefix
    s.sendall(b"\x00\x00")
    s.shutdown(socket.SHUT_WR)
elif kind == "half-prefix": # one byte of the prefix, then nothing
    s.sendall(b"\x00")
    s.shutdown(socket.SHUT_WR)
elif kind == "stall":       # a prefix and half a message, then waits
    s.sendall(b"\x00\x1d\x42\x42\x01\x00")
elif kind == "pipeline":    # five queries in one write; five answers, any order
    names = [(b"\x02ok", 1, 0), (b"\x03bad", 1, 3), (b"\x03www", 1, 0), (b"\x04good\x03bad", 1, 0), (b"\x02ok", 28, 0)]
    out = b""
    for i, (n, t, _) in enumerate(names):
        m = struct.pack("!HHHHHH", 100 + i, 0x0100, 1, 0, 0, 0) + n + b"\x02fz\x04test\x00" + struct.pack("!HH", t, 1)
        out += struct.pack("!H", len(m)) + m
    s.sendall(out)
    s.settimeout(3)
    buf, got = b"", {}
    try:
        while len(got) < 5:
            d = s.recv(65535)
            if not d:
                break
            buf += d
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                l = struct.unpack("!H", buf[:2])[0]
                m, buf = buf[2:2 + l], buf[2 + l:]
                got[struct.unpack("!H", m[:2])[0]] = m[3] & 15
    except socket.timeout:
        pass
    want = {100 + i: rc for i, (_, _, rc) in enumerate(names)}
    print("answers (id: rcode) %s" % sorted(got.items()))
    sys.exit(0 if got == want else 1)
s.settimeout(1.5)
r = b""
try:
    while True:
        d = s.recv(65535)
        if not d:
            break
        r += d
except (socket.timeout, ConnectionResetError):
    pass
if len(r) >= 14 and (r[5] & 15) != 1:
    print("answered rcode %d" % (r[5] & 15))
    sys.exit(1)
print("no answer" if not r else "rcode %d" % (r[5] & 15) if len(r) >= 6 else "short %r" % r)
EOF

# ---------------------------------------------------------------- main instance
scenario "start: NXDOMAIN policy, two threads, --user nobody, metrics, events"
free_port P
free_port MP
mkdir -p "$T/ev"
chown nobody "$T/ev" # after the drop, reopening for a rotation creates the file as nobody
EV=$T/ev/events.jsonl
V6=()
if has_ipv6; then
	V6=(--listen "[::1]@$P")
else
	echo "no IPv6 loopback: IPv4 only"
fi
start_dns main --listen "127.0.0.1@$P" "${V6[@]}" \
	--upstream "127.0.0.1@$NSD_PORT" --blocklist "$BL" --threads 2 --user nobody \
	--metrics "127.0.0.1@$MP" --events "$EV" \
	--allow-net 127.0.0.1/32 --allow-net ::1/128 || exit 1
MAIN_PID=$DNS_PID

uid=$(id -u nobody)
privfail=0
nthreads=0
for st in /proc/"$MAIN_PID"/task/*/status; do
	u=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")
	c=$(awk '/^CapEff:/ { print $2 }' "$st")
	p=$(awk '/^CapPrm:/ { print $2 }' "$st")
	if [ "$u" != "$uid $uid $uid $uid" ] || [ "$c" != 0000000000000000 ] ||
		[ "$p" != 0000000000000000 ]; then
		fail "privileges of $st: uid $u, CapEff $c, CapPrm $p (want $uid, none)"
		privfail=1
	fi
	nthreads=$((nthreads + 1))
done
[ "$privfail" = 0 ] && ok "all $nthreads threads run as nobody ($uid) with no capabilities"

scenario "plain names resolve"
q "$P" ok.fz.test A
expect_answer "ok.fz.test" A 192.0.2.1
q "$P" ok.fz.test AAAA
expect_answer "ok.fz.test" AAAA 2001:db8::1
q "$P" ok.fz.test A +tcp
expect_answer "ok.fz.test over TCP" A 192.0.2.1
if [ ${#V6[@]} != 0 ]; then
	kdig @::1 -p "$P" +edns +timeout=3 ok.fz.test AAAA >"$T/q" 2>&1
	expect_answer "ok.fz.test over IPv6" AAAA 2001:db8::1
fi
q "$P" nothere.fz.test A
expect_status "a name nsd does not have" NXDOMAIN
if [ -n "$(ede)" ]; then
	fail "a real NXDOMAIN carries an EDE: $(ede)"
fi
q "$P" ok.fz.test A +noedns
expect_answer "ok.fz.test without EDNS" A 192.0.2.1
if grep -q '^;; EDNS PSEUDOSECTION' "$T/q"; then
	fail "an answer to a query without EDNS carries an OPT record"
fi
q "$P" ok.fz.test A +dnssec
if grep -q '^;; Version: 0; flags: do;' "$T/q"; then
	ok "the DO bit comes back"
else
	fail "a query with DO=1: the answer's OPT has no DO"
	show "$T/q"
fi

scenario "listed names: NXDOMAIN with EDE 15"
blocked "listed name" "$P" bad.fz.test A "fraud: listed by test-fraud"
blocked "listed name" "$P" bad.fz.test AAAA "fraud: listed by test-fraud"
blocked "listed name" "$P" bad.fz.test TXT "fraud: listed by test-fraud"
blocked "listed name, other case" "$P" BaD.Fz.TeSt A "fraud: listed by test-fraud"
blocked "child of a listed name" "$P" x.bad.fz.test A "fraud: listed by test-fraud"
blocked "deep child of a listed name" "$P" a.b.c.x.bad.fz.test A "fraud: listed by test-fraud"
q "$P" bad.fz.test A +noedns
expect_status "listed name without EDNS" NXDOMAIN
q "$P" bad.fz.test A +tcp
expect_status "listed name over TCP" NXDOMAIN "^15 "
q "$P" good.bad.fz.test A
expect_answer "allowlisted child" A 192.0.2.68
q "$P" notbad.fz.test A
expect_status "a sibling that only ends like a listed name" NXDOMAIN
if [ -n "$(ede)" ]; then
	fail "notbad.fz.test is not listed, but the answer has EDE $(ede)"
fi

scenario "TCP: pipelined queries on one connection"
if r=$("$PY" "$T/tcpraw.py" "$P" pipeline 2>&1); then
	ok "five queries in one write: $r"
else
	fail "five pipelined queries: $r (want ids 100..104 with rcodes 0 3 0 0 0)"
fi

scenario "cache: TTLs counted down"
q "$P" www.fz.test A
ttl1=$(awk '/^;; ANSWER SECTION/ { s = 1; next } s && $4 == "A" { print $2; exit }' "$T/q")
sleep 2.2
q "$P" www.fz.test A
ttl2=$(awk '/^;; ANSWER SECTION/ { s = 1; next } s && $4 == "A" { print $2; exit }' "$T/q")
if [ -n "$ttl1" ] && [ -n "$ttl2" ] && [ $((ttl1 - ttl2)) -ge 1 ] && [ $((ttl1 - ttl2)) -le 5 ]; then
	ok "www.fz.test TTL $ttl1 then $ttl2 2.2 s later"
else
	fail "www.fz.test TTL '$ttl1' then '$ttl2' 2.2 s later (want about 2 less)"
fi

scenario "CNAME cloaking and response IPs"
blocked "CNAME to a listed name" "$P" cloak.fz.test A "listed by test-fraud"
if grep -q 'evil-cdn' "$T/q" && ! grep -q '^;; EDE' "$T/q"; then
	fail "the listed alias shows in the answer"
fi
blocked "CNAME chain to a child of a listed name" "$P" cloak2.fz.test A "listed by test-fraud"
blocked "A inside a listed CIDR" "$P" ipbad.fz.test A "listed by test-ips"
blocked "AAAA inside a listed CIDR" "$P" ip6bad.fz.test AAAA "listed by test-ips"

scenario "an answer too big for UDP: TC=1 from nsd, answered over TCP"
kdig @127.0.0.1 -p "$NSD_PORT" +edns +bufsize=1232 +ignore big.fz.test A >"$T/nsd.q" 2>&1
if grep -q 'Flags: qr aa tc' "$T/nsd.q"; then
	ok "nsd itself sets TC=1 for big.fz.test"
else
	fail "nsd does not truncate big.fz.test; the scenario tests nothing"
	show "$T/nsd.q"
fi
q "$P" big.fz.test A +tcp
n=$(answers A | wc -l)
if [ "$(qstatus)" = NOERROR ] && [ "$n" = 300 ]; then
	ok "big.fz.test over TCP to fangzha-dns: 300 addresses"
else
	fail "big.fz.test over TCP: $(qstatus), $n addresses (want 300)"
	show "$T/q"
fi
q "$P" big.fz.test A +bufsize=1232 +ignore
n=$(answers A | wc -l)
if [ "$(qstatus)" = NOERROR ] && { grep -q 'Flags: qr.* tc' "$T/q" || [ "$n" = 300 ]; }; then
	ok "big.fz.test over UDP: NOERROR, $(grep -q 'Flags: qr.* tc' "$T/q" && echo "TC=1 for the client" || echo "300 addresses")"
else
	fail "big.fz.test over UDP: $(qstatus), $n addresses, no TC"
	show "$T/q"
fi

scenario "a client outside the allowed networks (127.0.0.2)"
kdig @127.0.0.1 -p "$P" -b 127.0.0.2 +edns +timeout=2 +retry=0 ok.fz.test A >"$T/q" 2>&1
expect_status "UDP from 127.0.0.2" REFUSED
if [ -n "$(answers A)" ]; then
	fail "REFUSED with an answer: $(answers A)"
fi
kdig @127.0.0.1 -p "$P" -b 127.0.0.2 +tcp +edns +timeout=2 +retry=0 ok.fz.test A >"$T/q" 2>&1
if [ "$(qstatus)" = REFUSED ] || grep -qiE 'connection (reset|refused)|failed|timed out' "$T/q"; then
	ok "TCP from 127.0.0.2: $(qstatus)$(grep -oiE 'connection (reset|refused)|timed out' "$T/q" | head -n 1)"
else
	fail "TCP from 127.0.0.2 was served"
	show "$T/q"
fi

scenario "malformed queries: FORMERR or silence, then still answering"
for c in $("$PY" "$T/raw.py" udp 0 list); do
	if r=$("$PY" "$T/raw.py" udp "$P" "$c" 2>&1); then
		ok "UDP $c: $r"
	else
		fail "UDP $c: $r (want FORMERR or silence)"
	fi
done
for c in qdcount0 qdcount2 loop-self loop-two label-64 garbage response; do
	if r=$("$PY" "$T/raw.py" tcp "$P" "$c" 2>&1); then
		ok "TCP $c: $r"
	else
		fail "TCP $c: $r (want FORMERR or silence)"
	fi
done
for c in oversize zero half-prefix stall; do
	if r=$("$PY" "$T/tcpraw.py" "$P" "$c" 2>&1); then
		ok "TCP framing $c: $r"
	else
		fail "TCP framing $c: $r"
	fi
done
if r=$("$PY" "$T/raw.py" udp "$P" flood 2>&1); then
	ok "3000 random and 3000 mangled datagrams: $r"
else
	fail "3000 random and 3000 mangled datagrams: $r"
fi
if kill -0 "$MAIN_PID" 2>/dev/null; then
	ok "the daemon is still running"
else
	fail "the daemon died"
	show "$T/main.err"
	exit 1
fi
alive "$P" "after malformed queries"
q "$P" bad.fz.test A
expect_status "after malformed queries, a listed name" NXDOMAIN "^15 "

scenario "events: one JSON line per blocked query"
: # once.bad.fz.test once, twice.bad.fz.test twice (policy comes before the cache)
q "$P" once.bad.fz.test A +retry=0
q "$P" twice.bad.fz.test AAAA +retry=0
q "$P" twice.bad.fz.test AAAA +retry=0
sleep 0.3
if "$PY" - "$EV" >"$T/ev.check" 2>&1 <<'EOF'; then
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
ev = [json.loads(l) for l in lines]  # every line is one JSON object
def n(name):
    return [e for e in ev if str(e.get("qname", "")).rstrip(".").lower() == name]
once, twice = n("once.bad.fz.test"), n("twice.bad.fz.test")
assert len(once) == 1, "once.bad.fz.test: %d lines" % len(once)
assert len(twice) == 2, "twice.bad.fz.test: %d lines" % len(twice)
e = once[0]
for k in ("time", "client", "qname", "qtype", "rule", "category", "feeds", "action"):
    assert any(key.startswith(k) for key in e), "no %s in %s" % (k, e)
assert e["qtype"] == "A" and twice[0]["qtype"] == "AAAA", e
assert e["category"] == "fraud", e
assert "test-fraud" in json.dumps(e.get("feeds")), e
assert e["action"] == "nxdomain", e
assert str(e["client"]).startswith("127.0.0.1"), e
cl = n("cloak.fz.test")
assert cl, "no line for the cloaked cloak.fz.test"
ip = n("ipbad.fz.test")
assert ip, "no line for ipbad.fz.test (response IP)"
print("%d lines, all JSON; e.g. %s" % (len(ev), lines[-1]))
EOF
	ok "$(cat "$T/ev.check")"
else
	fail "events file: $(tail -n 1 "$T/ev.check")"
	tail -n 5 "$EV" | show
fi

scenario "events: the file is reopened on SIGUSR1 (rotation)"
mv "$EV" "$EV.1"
kill -USR1 "$MAIN_PID"
sleep 0.3
q "$P" rotated.bad.fz.test A +retry=0
sleep 0.3
if grep -q '"rotated.bad.fz.test' "$EV" 2>/dev/null && ! grep -q '"rotated.bad.fz.test' "$EV.1"; then
	ok "after SIGUSR1 the next event is in a new $(basename "$EV")"
else
	fail "after mv + SIGUSR1: new file $(wc -l <"$EV" 2>/dev/null || echo missing) lines, rotated.bad.fz.test in the old one: $(grep -c rotated "$EV.1")"
	show "$T/main.err"
fi

scenario "metrics"
if metrics >"$T/metrics"; then
	b=$(awk '!/^#/ && $1 ~ /blocked/ && $1 !~ /cname|ip/ { s += $NF } END { print s + 0 }' "$T/metrics")
	if [ "$b" -gt 0 ] 2>/dev/null; then
		ok "/metrics: blocked $b"
	else
		fail "/metrics has no blocked counter above 0"
		head -n 40 "$T/metrics" | show
	fi
	for what in cname "blocked.*ip|ip.*blocked" refused formerr upstream_tcp; do
		v=$(awk -v w="$what" '!/^#/ && tolower($1) ~ w { s += $NF } END { print s + 0 }' "$T/metrics")
		if [ "$v" -gt 0 ] 2>/dev/null; then
			ok "/metrics: a '$what' counter at $v"
		else
			fail "/metrics: no '$what' counter above 0"
		fi
	done
	if grep -qE '^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$' "$T/metrics" &&
		! grep -vqE '^(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? ([-+]?[0-9.e+-]+|[+-]Inf|NaN))?$' "$T/metrics"; then
		ok "/metrics is Prometheus text ($(grep -vc '^#' "$T/metrics") samples)"
	else
		fail "/metrics lines that are not Prometheus text:"
		grep -vE '^(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? ([-+]?[0-9.e+-]+|[+-]Inf|NaN))?$' "$T/metrics" | head | show
	fi
else
	fail "no answer from http://127.0.0.1:$MP/metrics: $(tail -n 1 "$T/metrics.err")"
fi

scenario "a new generation under load: live within 1 s, nothing lost"
q "$P" fresh.fz.test A
expect_answer "fresh.fz.test before the publish" A 192.0.2.2
for i in $(seq 1 50); do
	echo "ok.fz.test A"
	echo "ok.fz.test AAAA"
	echo "www.fz.test A"
	echo "fresh.fz.test A"
	echo "good.bad.fz.test A"
	echo "bad.fz.test A"
	echo "q$i.x.bad.fz.test A"
	echo "nothere$i.fz.test A"
done >"$T/perf.txt"
dnsperf -s 127.0.0.1 -p "$P" -d "$T/perf.txt" -l 5 -Q 2000 -c 4 -t 2 >"$T/perf.out" 2>&1 &
PERF_PID=$!
PIDS="$PIDS $PERF_PID"
sleep 1.5
gen_before=$("$FZ" info -b "$BL" --json | sed -n 's/.*"generation":\([0-9]*\).*/\1/p')
compile "$T/list/fraud2.domains" || {
	fail "the second compile failed"
	show "$T/compile.out"
}
t=$(now)
seen=
while [ "$(since "$t" | cut -d. -f1)" -lt 3 ]; do
	kdig @127.0.0.1 -p "$P" +edns +timeout=1 +retry=0 fresh.fz.test A >"$T/q" 2>&1
	if [ "$(qstatus)" = NXDOMAIN ]; then
		seen=$(since "$t")
		break
	fi
	sleep 0.02
done
gen_after=$("$FZ" info -b "$BL" --json | sed -n 's/.*"generation":\([0-9]*\).*/\1/p')
if [ -n "$seen" ] && awk -v s="$seen" 'BEGIN { exit !(s <= 1.0) }'; then
	ok "generation $gen_before -> $gen_after: fresh.fz.test blocked $seen s after the publish"
elif [ -n "$seen" ]; then
	fail "fresh.fz.test blocked only $seen s after the publish (want <= 1 s)"
else
	fail "fresh.fz.test still not blocked 3 s after the publish"
	show "$T/q"
fi
expect_status "fresh.fz.test after the publish" NXDOMAIN "^15 \\(Blocked\\).*fraud: listed by test-fraud"
wait "$PERF_PID"
prc=$?
lost=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$T/perf.out")
sent=$(sed -n 's/^ *Queries sent: *\([0-9]*\).*/\1/p' "$T/perf.out")
codes=$(sed -n 's/^ *Response codes: *//p' "$T/perf.out")
if [ "$prc" = 0 ] && [ "$lost" = 0 ] && [ "${sent:-0}" -gt 5000 ]; then
	ok "dnsperf across the reload: $sent sent, 0 lost ($codes; latency $(sed -n 's/^ *Average Latency (s): *//p' "$T/perf.out"))"
else
	fail "dnsperf across the reload: exit $prc, sent '$sent', lost '$lost'"
	show "$T/perf.out"
fi
if [[ $codes =~ SERVFAIL|REFUSED|FORMERR ]]; then
	fail "failed answers during the reload: $codes"
fi
m=$(metrics | awk '!/^#/ && $1 ~ /generation/ { print $NF; exit }')
if [ -n "$m" ] && [ "$(printf '%.0f' "$m")" = "$gen_after" ]; then
	ok "/metrics generation $m"
else
	fail "/metrics generation '$m', the list's is $gen_after"
fi

scenario "SIGTERM"
stop_dns main "$MAIN_PID"

# ---------------------------------------------------------------- sinkhole
scenario "sinkhole mode from a config file, READY=1 on NOTIFY_SOCKET"
free_port P2
"$PY" - "$T/notify.sock" >"$T/notify.got" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(15)
try:
    while True:
        m = s.recv(4096).decode(errors="replace")
        print(m.replace("\n", " "), flush=True)
        if "READY=1" in m.split("\n"):
            break
except socket.timeout:
    print("timeout")
EOF
NOTIFY_PID=$!
PIDS="$PIDS $NOTIFY_PID"
for _ in $(seq 50); do
	[ -S "$T/notify.sock" ] && break
	sleep 0.05
done
# the settings from a config file this time; other daemons' sections are skipped
cat >"$T/sink.conf" <<EOF
# fangzha.conf for the sinkhole instance
[feeds]
state_dir = /nonexistent/fangzha

[dns]
listen = 127.0.0.1@$P2
upstream = 127.0.0.1@$NSD_PORT
blocklist = $BL
threads = 1
action = sinkhole
sinkhole = 192.0.2.99, 2001:db8::99
EOF
NOTIFY_SOCKET=$T/notify.sock start_dns sinkhole --config "$T/sink.conf" &&
	{
		SINK_PID=$DNS_PID
		for _ in $(seq 40); do
			grep -q READY=1 "$T/notify.got" && break
			sleep 0.05
		done
		if grep -q READY=1 "$T/notify.got"; then
			ok "READY=1 on NOTIFY_SOCKET: $(head -n 1 "$T/notify.got")"
		else
			fail "no READY=1 on NOTIFY_SOCKET: $(cat "$T/notify.got")"
		fi
		q "$P2" bad.fz.test A
		expect_answer "sinkhole A" A 192.0.2.99
		q "$P2" x.bad.fz.test AAAA
		expect_answer "sinkhole AAAA for a child" AAAA 2001:db8::99
		q "$P2" bad.fz.test TXT
		if [ "$(qstatus)" = NOERROR ] && [ -z "$(answers TXT)" ]; then
			ok "sinkhole TXT: NODATA"
		else
			fail "sinkhole TXT: $(qstatus) '$(answers TXT)' (want NOERROR, no answer)"
			show "$T/q"
		fi
		q "$P2" ok.fz.test A
		expect_answer "sinkhole mode, a plain name" A 192.0.2.1
		q "$P2" good.bad.fz.test A
		expect_answer "sinkhole mode, the allowlisted child" A 192.0.2.68
		sed -i 's/^sinkhole = .*/sinkhole = 192.0.2.98, 2001:db8::98/' "$T/sink.conf"
		kill -HUP "$SINK_PID"
		got=
		for _ in $(seq 20); do
			sleep 0.1
			q "$P2" bad.fz.test A
			got=$(answers A)
			[ "$got" = 192.0.2.98 ] && break
		done
		expect_answer "after a new sinkhole address in the config and SIGHUP" A 192.0.2.98
		stop_dns sinkhole "$SINK_PID"
	}

scenario "config errors name file:line"
# bad_conf LINE-NUMBER TEXT: a [dns] section whose line LINE is TEXT.
bad_conf()
{
	local want=$1 text=$2 rc bp
	printf '[dns]\nupstream = 127.0.0.1@%s\nblocklist = %s\n%s\n' "$NSD_PORT" "$BL" "$text" >"$T/bad.conf"
	free_port bp
	timeout 10 "$DNS" --config "$T/bad.conf" --listen "127.0.0.1@$bp" >"$T/bad.out" 2>&1
	rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -qF "$T/bad.conf:$want" "$T/bad.out"; then
		ok "'$text': exit $rc, $(head -n 1 "$T/bad.out")"
	else
		fail "'$text': exit $rc, wanted an error naming $T/bad.conf:$want"
		show "$T/bad.out"
	fi
}
bad_conf 4 "no_such_key = 1"
bad_conf 4 "threads = lots"
bad_conf 4 "action = maybe"
bad_conf 4 "listen = 127.0.0.1@99999"

# ---------------------------------------------------------------- upstreams
scenario "first upstream down, second answers"
free_port DEAD1
free_port DEAD2
free_port P3
start_dns failover --listen "127.0.0.1@$P3" --upstream "127.0.0.1@$DEAD1" \
	--upstream "127.0.0.1@$NSD_PORT" --blocklist "$BL" --threads 1 &&
	{
		FO_PID=$DNS_PID
		t=$(now)
		kdig @127.0.0.1 -p "$P3" +edns +timeout=8 +retry=0 ok.fz.test A >"$T/q" 2>&1
		expect_answer "the first answer (after $(since "$t") s)" A 192.0.2.1
		for name in www.fz.test good.bad.fz.test; do
			t=$(now)
			kdig @127.0.0.1 -p "$P3" +edns +timeout=8 +retry=0 "$name" A >"$T/q" 2>&1
			if [ "$(qstatus)" = NOERROR ] && [ -n "$(answers A)" ]; then
				ok "$name answered in $(since "$t") s"
			else
				fail "$name: $(qstatus)"
				show "$T/q"
			fi
		done
		stop_dns failover "$FO_PID"
	}

scenario "first upstream silent (bound, never answers), second answers"
free_port SILENT
"$PY" - "$SILENT" >"$T/silent.out" 2>&1 <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", port))
t.listen(64)
print("listening", flush=True)
time.sleep(120)
EOF
SILENT_PID=$!
PIDS="$PIDS $SILENT_PID"
for _ in $(seq 50); do
	grep -q listening "$T/silent.out" 2>/dev/null && break
	sleep 0.05
done
free_port P5
start_dns silent --listen "127.0.0.1@$P5" --upstream "127.0.0.1@$SILENT" \
	--upstream "127.0.0.1@$NSD_PORT" --blocklist "$BL" --threads 1 &&
	{
		SIL_PID=$DNS_PID
		t=$(now)
		kdig @127.0.0.1 -p "$P5" +edns +timeout=8 +retry=0 ok.fz.test A >"$T/q" 2>&1
		expect_answer "the first answer (after $(since "$t") s)" A 192.0.2.1
		# Health tracking: a few timeouts may be paid, then the silent
		# upstream is avoided (the last three new names are answered well
		# within the 1.5 s upstream timeout).
		fast=0
		times=
		for i in 1 2 3 4 5 6; do
			t=$(now)
			kdig @127.0.0.1 -p "$P5" +edns +timeout=8 +retry=0 "nothere-$i.fz.test" A >"$T/q" 2>&1
			d=$(since "$t")
			times="$times $d"
			if [ "$i" -gt 3 ] && [ "$(qstatus)" = NXDOMAIN ] &&
				awk -v d="$d" 'BEGIN { exit !(d < 1.0) }'; then
				fast=$((fast + 1))
			fi
		done
		if [ "$fast" = 3 ]; then
			ok "the silent upstream is avoided after a few timeouts: new names answered in$times s"
		else
			fail "the silent upstream is not avoided: new names answered in$times s"
			show "$T/q"
		fi
		stop_dns silent "$SIL_PID"
	}
kill -TERM "$SILENT_PID" 2>/dev/null

scenario "forged upstream replies (wrong ID, wrong question, wrong source) are ignored"
free_port FORGER
"$PY" - "$FORGER" >"$T/forger.out" 2>&1 <<'EOF' &
import socket, struct, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
o = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
o.bind(("127.0.0.2", 0))
print("listening", flush=True)
def reply(qid, question, ip):
    hdr = qid + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
    rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(ip)
    return hdr + question + rr
while True:
    q, a = s.recvfrom(4096)
    i = 12
    while q[i]:
        i += q[i] + 1
    question, qid = q[12:i + 5], q[:2]
    print("query from %s:%d id %s" % (a[0], a[1], qid.hex()), flush=True)
    s.sendto(reply(struct.pack("!H", struct.unpack("!H", qid)[0] ^ 0x5555), question, "6.6.6.1"), a)
    s.sendto(reply(qid, b"\x05other\x02fz\x04test\x00\x00\x01\x00\x01", "6.6.6.2"), a)
    o.sendto(reply(qid, question, "6.6.6.3"), a)
    time.sleep(0.1)
    s.sendto(reply(qid, question, "192.0.2.77"), a)
EOF
FORGER_PID=$!
PIDS="$PIDS $FORGER_PID"
for _ in $(seq 50); do
	grep -q listening "$T/forger.out" 2>/dev/null && break
	sleep 0.05
done
free_port P6
start_dns forged --listen "127.0.0.1@$P6" --upstream "127.0.0.1@$FORGER" \
	--blocklist "$BL" --threads 1 &&
	{
		q "$P6" spoof.fz.test A
		expect_answer "only the genuine reply is taken" A 192.0.2.77
		grep -q '^query from' "$T/forger.out" || fail "the forger never got a query"
		stop_dns forged "$DNS_PID"
	}
kill -TERM "$FORGER_PID" 2>/dev/null

scenario "both upstreams down: SERVFAIL with EDE; then one comes back"
free_port P4
start_dns down --listen "127.0.0.1@$P4" --upstream "127.0.0.1@$DEAD1" \
	--upstream "127.0.0.1@$DEAD2" --blocklist "$BL" --threads 1 &&
	{
		DOWN_PID=$DNS_PID
		t=$(now)
		kdig @127.0.0.1 -p "$P4" +edns +timeout=12 +retry=0 ok.fz.test A >"$T/q" 2>&1
		expect_status "both down (after $(since "$t") s)" SERVFAIL "^[0-9]+ "
		q "$P4" bad.fz.test A
		expect_status "both down, a listed name is still blocked" NXDOMAIN "^15 "
		if start_nsd "$DEAD2" "$T/nsd2"; then
			t=$(now)
			got=
			while [ "$(since "$t" | cut -d. -f1)" -lt 15 ]; do
				kdig @127.0.0.1 -p "$P4" +edns +timeout=5 +retry=0 www.fz.test A >"$T/q" 2>&1
				if [ "$(qstatus)" = NOERROR ]; then
					got=$(since "$t")
					break
				fi
				sleep 0.2
			done
			if [ -n "$got" ]; then
				ok "upstream back on $DEAD2: answered $got s after it started"
			else
				fail "upstream back on $DEAD2: still $(qstatus) after 15 s"
				show "$T/q"
			fi
		else
			fail "could not start the second nsd on $DEAD2"
		fi
		stop_dns down "$DOWN_PID"
	}

echo
echo "$((FZ_CHECKS - FZ_FAILS)) of $FZ_CHECKS checks passed in $(since "$T0") s"
[ "$FZ_FAILS" = 0 ]
