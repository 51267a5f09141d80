#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end test of fangzha-feed against local servers (suite 'integration').
#   test_feeds.sh FANGZHA_FEED FANGZHA FAULT_SERVER [DATA_DIR]
#
# Everything runs on 127.0.0.1 in a temporary directory that a trap removes
# (servers killed, tmpfs unmounted) however the script ends:
#   - a test CA made with openssl, and nginx serving the fixture feeds over
#     HTTPS from a docroot (ETag and Last-Modified come from nginx), plus a
#     second port with a self-signed certificate that must be refused;
#   - fault_server (plain HTTP) for what a broken mirror does: 500, no answer,
#     a reset, a truncated body, an HTML page, an oversized body, an empty one;
#   - nsd as an AXFR primary for an RPZ zone (scenario skipped without nsd);
#   - the blocklist output on a small tmpfs, filled up to make a publish fail.
# Each scenario asserts the exit status, the per-feed and summary lines of
# `fangzha-feed update`, the list's generation (`fangzha info --json`) and
# verdicts (`fangzha check`). Needs root (tmpfs, nginx); exit 77 otherwise.
# FZ_KEEP=1 keeps the temporary directory for a look after a failure.
set -u

FEED=${1:?usage: test_feeds.sh FANGZHA_FEED FANGZHA FAULT_SERVER [DATA_DIR]}
FZ=${2:?usage: test_feeds.sh FANGZHA_FEED FANGZHA FAULT_SERVER [DATA_DIR]}
FAULT=${3:?usage: test_feeds.sh FANGZHA_FEED FANGZHA FAULT_SERVER [DATA_DIR]}
DATA=${FZ_DATA_DIR:-${4:-}}
HERE=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (tmpfs mount, nginx)"
	exit 77
fi
for tool in openssl sha256sum stat; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is missing"
		exit 77
	fi
done
# shellcheck source=feeds_env.sh
. "$HERE/feeds_env.sh"
if [ ! -x "$FZ_NGINX" ]; then
	echo "SKIP: nginx is missing (scripts/deps.sh --test installs nginx-light)"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fz-integ.XXXXXX") || exit 99
FAULT_PID=
NSD_PID=
DAEMON_PID=
cleanup()
{
	for p in $DAEMON_PID $FAULT_PID $NSD_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	fz_env_nginx_stop "$T/nginx"
	for p in $DAEMON_PID $FAULT_PID $NSD_PID; do
		wait "$p" 2>/dev/null
	done
	if mountpoint -q "$T/disk" 2>/dev/null; then
		umount "$T/disk" 2>/dev/null || umount -l "$T/disk"
	fi
	if [ "${FZ_KEEP:-0}" = 1 ]; then
		echo "kept $T"
	elif ! mountpoint -q "$T/disk" 2>/dev/null; then
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

checks=0
failures=0
SCEN=setup
T0=$(date +%s.%N)

fail()
{
	failures=$((failures + 1))
	echo "FAIL [$SCEN]: $*"
}

elapsed()
{
	awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

scenario()
{
	SCEN=$1
	printf '\n== %s (at %s s)\n' "$1" "$(elapsed)"
}

show()
{
	sed 's/^/    | /' "$T/out" "$T/err"
}

# run WANT CMD...: WANT is an extended regex of exit statuses ("0", "1|2");
# stdout in $T/out, stderr in $T/err, status in $RC. A signal is a failure
# whatever WANT says.
run()
{
	local want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
	checks=$((checks + 1))
	{
		echo "\$ $*  -> $RC"
		cat "$T/out" "$T/err"
	} >>"$T/transcript"
	if [ "$RC" -ge 128 ]; then
		fail "killed by signal $((RC - 128)): $*"
		show
	elif ! [[ $RC =~ ^($want)$ ]]; then
		fail "exit $RC, expected $want: $*"
		show
	fi
}

# upd WANT [ARGS...]: fangzha-feed update with the current config.
upd()
{
	local want=$1
	shift
	run "$want" "$FEED" update --config "$CONF" "$@"
}

# has REGEX [FILE]: a line of FILE ($T/out) matches.
has()
{
	checks=$((checks + 1))
	if ! grep -Eq -- "$1" "${2:-$T/out}"; then
		fail "no line matches /$1/"
		sed 's/^/    | /' "${2:-$T/out}"
	fi
}

hasnt()
{
	checks=$((checks + 1))
	if grep -Eq -- "$1" "${2:-$T/out}"; then
		fail "unexpected line matching /$1/"
		grep -E -- "$1" "${2:-$T/out}" | sed 's/^/    | /'
	fi
}

# feed_line NAME REGEX: the update's line for feed NAME matches "feed NAME: REGEX".
feed_line()
{
	has "^feed $1: $2"
}

# expect A B WHAT: two values are equal.
expect()
{
	checks=$((checks + 1))
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# gen FILE: the generation of a blocklist ("" when it cannot be read).
gen()
{
	"$FZ" info -b "${1:-$OUT}" --json 2>/dev/null | sed -n 's/.*"generation":\([0-9]*\).*/\1/p'
}

# fp FILE: inode, mtime (ns), size and sha256: equal only for the same file untouched.
fp()
{
	echo "$(stat -c '%i %.9Y %s' "$1" 2>/dev/null) $(sha256sum <"$1" 2>/dev/null | cut -c1-64)"
}

# verdict INPUT EXPECTED [FILE]: `fangzha check` says EXPECTED (block, allow, none).
verdict()
{
	local line
	line=$("$FZ" check -b "${3:-$OUT}" -- "$1" 2>&1)
	checks=$((checks + 1))
	case $line in
	"$2 "*) ;;
	*) fail "check $1: expected $2, got: $line" ;;
	esac
}

# The nginx and fault-server logs: mark the position, then read what came after.
ng_mark()
{
	NG_MARK=$(wc -l <"$T/nginx/access.log" 2>/dev/null || echo 0)
	FS_MARK=$(wc -l <"$T/fault.log" 2>/dev/null || echo 0)
}
ng_since()
{
	tail -n +$((NG_MARK + 1)) "$T/nginx/access.log" 2>/dev/null
}
fs_since()
{
	tail -n +$((FS_MARK + 1)) "$T/fault.log" 2>/dev/null
}

# status_of NAME: the feed's JSON line from `fangzha feeds status --json`.
status_of()
{
	"$FZ" feeds status --config "$CONF" --json 2>/dev/null | grep -F "\"name\":\"$1\""
}

# jhas NAME REGEX: the status line of NAME matches.
jhas()
{
	local line
	line=$(status_of "$1")
	checks=$((checks + 1))
	if ! printf '%s\n' "$line" | grep -Eq -- "$2"; then
		fail "feeds status $1: /$2/ not in: $line"
	fi
}

# Docroot files get distinct, increasing mtimes: nginx's ETag is mtime and
# size, so a rewrite within the same second must still change it.
STAMP=1700000000
stamp()
{
	STAMP=$((STAMP + 10))
	touch -d "@$STAMP" "$1"
}

# ---------------------------------------------------------------- setup
scenario setup
mkdir -p "$T/www" "$T/ctl" "$T/state" "$T/disk" "$T/nginx" || exit 99
fz_env_ca "$T/ca" || exit 99
fz_env_nginx "$T/nginx" "$T/www" "$T/ca" || exit 99
NP=$FZ_NGINX_PORT
RP=$FZ_NGINX_ROGUE_PORT
: >"$T/fault.log"
"$FAULT" "$T/fault.port" "$T/ctl" "$T/fault.log" 2>"$T/fault.err" &
FAULT_PID=$!
for _ in $(seq 50); do
	[ -s "$T/fault.port" ] && break
	sleep 0.1
done
FP=$(cat "$T/fault.port" 2>/dev/null)
if [ -z "$FP" ]; then
	echo "fault server did not start"
	cat "$T/fault.err"
	exit 99
fi

# The output on a small tmpfs (for the full-disk scenario); a plain
# directory when mounting is not allowed here.
DISK=no
if mount -t tmpfs -o size=1m,mode=0755 fz-integ "$T/disk" 2>"$T/mount.err"; then
	DISK=yes
else
	echo "note: cannot mount a tmpfs ($(cat "$T/mount.err")): full-disk scenario skipped"
fi
OUT=$T/disk/blocklist.fzb

# Fixture feeds (hand-made here: small, and rewritten by the scenarios).
scam_feed()
{
	echo "# scam feed (integration test fixture)"
	echo "scam-site.example"
	for i in $(seq -w 0 19); do
		echo "scam-$i.example"
	done
	for n in "$@"; do
		echo "$n"
	done
}
phish_feed()
{
	echo "# phishing hosts file (integration test fixture)"
	echo "127.0.0.1 localhost"
	for i in $(seq 0 "${1:-7}"); do
		echo "0.0.0.0 phish-$i.example"
	done
}
scam_feed >"$T/www/scam.txt"
stamp "$T/www/scam.txt"
phish_feed >"$T/www/phish.hosts"
stamp "$T/www/phish.hosts"
cat >"$T/www/urls.txt" <<EOF
# malware URLs (integration test fixture)
http://malware-host.example/payload.exe
http://malware-host.example/dropper/stage2.bin
https://203.0.113.7/gate.php
http://another-bad.example/x
EOF
stamp "$T/www/urls.txt"
echo "off-feed.example" >"$T/www/off.txt"
for i in $(seq 0 9); do
	echo "fault-kept-$i.example"
done >"$T/ctl/faulty.body"
echo ok >"$T/ctl/faulty.mode"
echo "scam-05.example" >"$T/allow.txt"
echo "local-only.example" >"$T/block.txt"

RETRIES=0
write_conf()
{
	cat >"$CONF" <<EOF
# fangzha-feed integration test
[feeds]
output = $OUT
state_dir = $T/state
allow = $T/allow.txt
block = $T/block.txt
ca_file = $T/ca/ca.pem
concurrency = 4
connect_timeout = 2
timeout = 3
retries = $RETRIES

[feed scam]
url = https://127.0.0.1:$NP/scam.txt
format = domains
category = fraud
max_shrink = 50

[feed phish]
url = https://localhost:$NP/phish.hosts
format = hosts
category = phishing
min_entries = 5

[feed urls]
url = https://127.0.0.1:$NP/urls.txt
format = urls
category = malware

[feed faulty]
url = http://127.0.0.1:$FP/faulty
format = domains
category = fraud
max_size = 64k

[feed off]
url = https://127.0.0.1:$NP/off.txt
format = domains
enabled = no
EOF
}
CONF=$T/feeds.conf
write_conf
echo "nginx https://127.0.0.1:$NP (rogue certificate on $RP), fault server http://127.0.0.1:$FP"

# ---------------------------------------------------------------- first fetch
scenario "first fetch publishes generation 1"
upd 0 --force
feed_line scam 'fetched'
feed_line phish 'fetched'
feed_line urls 'fetched'
feed_line faulty 'fetched'
feed_line off '.*disabled'
has '^published generation 1\b'
expect "$(gen)" 1 "generation after the first fetch"
verdict scam-site.example block
verdict scam-07.example block
verdict phish-3.example block
verdict fault-kept-4.example block
verdict http://malware-host.example/payload.exe block
verdict local-only.example block
verdict scam-05.example allow
verdict localhost none
verdict innocent.example none
checks=$((checks + 1))
grep -q '/off.txt' "$T/nginx/access.log" && fail "a disabled feed was requested"
jhas scam '"result":"fetched"'
jhas scam '"has_good":true'
jhas scam '"entries":21\b'
jhas off '"result":"never"'
for k in name result error has_good entries fetched_at age; do
	jhas scam "\"$k\":"
done
if [ -x /usr/bin/python3 ]; then
	checks=$((checks + 1))
	"$FZ" feeds status --config "$CONF" --json >"$T/status.json" 2>&1
	/usr/bin/python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    for k in ("name", "result", "error", "has_good", "entries", "fetched_at", "age"):
        assert k in o, (k, o)
    n += 1
assert n == 5, n
' "$T/status.json" || fail "feeds status --json: not one JSON object per feed and line"
fi
run 0 "$FZ" feeds list --config "$CONF"
for n in scam phish urls faulty off; do
	has "^$n "
done
has "https://127.0.0.1:$NP/scam.txt"

# ---------------------------------------------------------------- 304
scenario "second fetch: 304, file and generation untouched"
before=$(fp "$OUT")
ng_mark
upd 0 --force
feed_line scam 'not-modified'
feed_line phish 'not-modified'
feed_line urls 'not-modified'
feed_line faulty 'not-modified'
has '^unchanged generation 1\b'
expect "$(fp "$OUT")" "$before" "output inode/mtime/size/sha256 after a 304 cycle"
expect "$(gen)" 1 "generation after a 304 cycle"
ng_since >"$T/ng.log"
has '^/scam.txt 304 ' "$T/ng.log"
has '^/phish.hosts 304 ' "$T/ng.log"
has '^/scam.txt 304 .*INM=[^-]' "$T/ng.log"
jhas scam '"result":"not-modified"'
verdict scam-07.example block
# The first fetch: did the fetcher ask for a compressed transfer?
has '^/scam.txt 200 gzip' "$T/nginx/access.log"

# ---------------------------------------------------------------- schedule
scenario "plain update: nothing is due"
ng_mark
upd 0
hasnt '^feed [a-z]+: (fetched|not-modified|failed)'
has '^unchanged generation 1\b'
expect "$(ng_since | wc -l)" 0 "requests to nginx from a cycle with nothing due"
expect "$(fs_since | wc -l)" 0 "requests to the fault server from a cycle with nothing due"
expect "$(fp "$OUT")" "$before" "output after a cycle with nothing due"

scenario "--feed scam: only that feed"
ng_mark
upd 0 --feed scam
feed_line scam 'not-modified'
hasnt '^feed (phish|urls|faulty): (fetched|not-modified|failed)'
ng_since >"$T/ng.log"
has '^/scam.txt ' "$T/ng.log"
hasnt '^/(phish.hosts|urls.txt) ' "$T/ng.log"
expect "$(fs_since | wc -l)" 0 "fault server requests with --feed scam"
run 1 "$FEED" update --config "$CONF" --feed no-such-feed

# ---------------------------------------------------------------- change
scenario "changed feed publishes generation 2"
scam_feed new-scam.example >"$T/www/scam.txt"
stamp "$T/www/scam.txt"
upd 0 --force
feed_line scam 'fetched, 22 entries'
feed_line phish 'not-modified'
has '^published generation 2\b'
expect "$(gen)" 2 "generation after a changed feed"
verdict new-scam.example block
verdict scam-07.example block
verdict phish-3.example block
verdict fault-kept-4.example block
jhas scam '"entries":22\b'

# ---------------------------------------------------------------- faults
# fault MODE REASON-REGEX: the faulty feed fails that way; everything else holds.
fault()
{
	scenario "fault: $1"
	echo "$1" >"$T/ctl/faulty.mode"
	local before_f t1 t2
	before_f=$(fp "$OUT")
	ng_mark
	t1=$(date +%s)
	upd 2 --force
	t2=$(date +%s)
	feed_line faulty "failed: .*($2)"
	feed_line faulty 'failed: .*kept its last good copy'
	feed_line scam 'not-modified'
	has '^unchanged generation 2\b'
	expect "$(gen)" 2 "generation after the $1 fault"
	expect "$(fp "$OUT")" "$before_f" "output after the $1 fault"
	verdict fault-kept-4.example block
	verdict new-scam.example block
	jhas faulty '"result":"failed"'
	jhas faulty '"has_good":true'
	jhas faulty '"error":"[^"]'
	jhas faulty '"entries":10\b'
	checks=$((checks + 1))
	fs_since | grep -q "^faulty $1\$" || fail "the fault server did not see the request"
	checks=$((checks + 1))
	[ $((t2 - t1)) -le 8 ] || fail "the cycle took $((t2 - t1)) s (timeout is 3 s)"
	# A failure is kept in the state, not only printed.
	checks=$((checks + 1))
	grep -q '^[a-z_]*=' "$T/state/faulty.meta" 2>/dev/null ||
		fail "no readable state/faulty.meta"
}
fault 500 '500'
fault hang '[Tt]ime|timed out'
fault reset '[Rr]eset|[Rr]ecv|receiv|connection'
fault truncated '[Pp]artial|[Tt]runcat|remaining|short|closed'
fault html '[Hh][Tt][Mm][Ll]'
fault big 'size|large|max_size|limit|bytes'
fault bigcl 'size|large|max_size|limit|bytes'
fault empty '[Ee]mpty|0 entries'

scenario "retries: a 500 is tried again"
RETRIES=1
write_conf
echo 500 >"$T/ctl/faulty.mode"
ng_mark
upd 2 --force --feed faulty
feed_line faulty 'failed: .*500'
expect "$(fs_since | grep -c '^faulty 500$')" 2 "requests for a failing feed with retries = 1"
RETRIES=0
write_conf

scenario "recovery after the faults"
echo ok >"$T/ctl/faulty.mode"
upd 0 --force
feed_line faulty 'not-modified'
has '^unchanged generation 2\b'
jhas faulty '"result":"not-modified"'
jhas faulty '"error":""'
jhas faulty '"failures":0'

# ---------------------------------------------------------------- vetting
scenario "min_entries refusal"
phish_feed 1 >"$T/www/phish.hosts" # 2 entries, min_entries 5
stamp "$T/www/phish.hosts"
upd 2 --force
feed_line phish 'failed: .*(min_entries|entries)'
has '^unchanged generation 2\b'
verdict phish-7.example block
jhas phish '"entries":8\b'
jhas phish '"result":"failed"'

scenario "max_shrink refusal"
phish_feed >"$T/www/phish.hosts"
stamp "$T/www/phish.hosts"
{
	echo "scam-00.example"
	echo "scam-01.example"
	echo "scam-02.example"
	echo "new-scam.example"
} >"$T/www/scam.txt" # 4 of 22 entries: shrinks by 82 %, max_shrink 50
stamp "$T/www/scam.txt"
upd 2 --force
feed_line scam 'failed: .*(shr|max_shrink)'
feed_line phish 'not-modified'
has '^unchanged generation 2\b'
verdict scam-19.example block
jhas scam '"entries":22\b'

scenario "shrinking within max_shrink is accepted"
scam_feed new-scam.example | grep -v -E 'scam-(0[0-9])\.example' >"$T/www/scam.txt" # 12 of 22
stamp "$T/www/scam.txt"
upd 0 --force
feed_line scam 'fetched, 12 entries'
has '^published generation 3\b'
verdict scam-03.example none
verdict scam-15.example block
scam_feed new-scam.example >"$T/www/scam.txt"
stamp "$T/www/scam.txt"
upd 0 --force
feed_line scam 'fetched, 22 entries'
has '^published generation 4\b'
verdict scam-03.example block

# ---------------------------------------------------------------- state
scenario "corrupt meta file: refetched whole"
printf '\x00\xffgarbage\nsha256=zz\netag="\n' >"$T/state/scam.meta"
ng_mark
upd 0 --force
feed_line scam '(fetched|not-modified)'
has 'scam.*(corrupt|invalid|bad|afresh|ignor|pars|meta)'
ng_since >"$T/ng.log"
has '^/scam.txt 200 .*INM=- ' "$T/ng.log"
verdict scam-07.example block
verdict new-scam.example block
jhas scam '"has_good":true'
ng_mark
upd 0 --force
feed_line scam 'not-modified'
ng_since >"$T/ng.log"
has '^/scam.txt 304 ' "$T/ng.log"

scenario "truncated raw copy: refetched, never trusted"
g=$(gen)
raw=$T/state/phish.raw
checks=$((checks + 1))
if [ -f "$raw" ]; then
	head -c $(($(stat -c %s "$raw") / 2)) "$raw" >"$T/half" && cat "$T/half" >"$raw"
else
	fail "no $raw after fetching phish"
fi
ng_mark
upd 0 --force
feed_line phish '(fetched|not-modified)'
has 'phish.*(sha256|mismatch|corrupt|size|raw|unreadable|afresh)'
ng_since >"$T/ng.log"
has '^/phish.hosts 200 .*INM=- ' "$T/ng.log"
expect "$(sha256sum <"$raw" | cut -c1-64)" "$(sha256sum <"$T/www/phish.hosts" | cut -c1-64)" \
	"state/phish.raw after the refetch"
verdict phish-7.example block
verdict phish-0.example block

scenario "missing raw copy with an intact meta: refetched"
rm -f "$raw"
ng_mark
upd 0 --force
feed_line phish '(fetched|not-modified)'
ng_since >"$T/ng.log"
has '^/phish.hosts 200 .*INM=- ' "$T/ng.log"
checks=$((checks + 1))
[ -f "$raw" ] || fail "state/phish.raw was not written again"
verdict phish-7.example block

scenario "a changed local block list is published without any fetch"
g=$(gen)
sleep 0.01
echo "local-new.example" >>"$T/block.txt"
ng_mark
upd 0
has "^published generation $((g + 1))\\b"
expect "$(ng_since | wc -l)" 0 "requests from a cycle with nothing due"
verdict local-new.example block
verdict local-only.example block
verdict scam-07.example block

scenario "fangzha compile --config"
g=$(gen)
run 0 "$FZ" compile --config "$CONF"
has "generation=$((g + 1))"
expect "$(gen)" $((g + 1)) "generation after fangzha compile --config"
verdict scam-07.example block
verdict phish-7.example block
verdict fault-kept-4.example block
verdict scam-05.example allow

# ---------------------------------------------------------------- full disk
if [ "$DISK" = yes ]; then
	scenario "full disk during publish: the old list stays"
	g=$(gen)
	before=$(fp "$OUT")
	scam_feed new-scam.example after-full-disk.example >"$T/www/scam.txt"
	stamp "$T/www/scam.txt"
	dd if=/dev/zero of="$T/disk/filler" bs=4k 2>/dev/null
	sync
	upd '1|2' --force
	feed_line scam 'fetched'
	hasnt '^published generation'
	has "^unchanged generation $g\\b"
	has '([Nn]o space|ENOSPC|publish)'
	expect "$(fp "$OUT")" "$before" "output after a publish onto a full disk"
	expect "$(gen)" "$g" "generation after a publish onto a full disk"
	verdict scam-07.example block
	verdict after-full-disk.example none
	checks=$((checks + 1))
	left=$(find "$T/disk" -mindepth 1 ! -name blocklist.fzb ! -name filler)
	[ -z "$left" ] || fail "left behind on the full disk: $left"
	rm -f "$T/disk/filler"

	scenario "after the disk has room again the change is published"
	upd 0 --force
	has "^published generation $((g + 1))\\b"
	expect "$(gen)" $((g + 1)) "generation once the disk has room"
	verdict after-full-disk.example block
	verdict scam-07.example block
fi

# ---------------------------------------------------------------- no list
scenario "no usable list: exit 1"
CONF_MAIN=$CONF
CONF=$T/nolist.conf
OUT_MAIN=$OUT
OUT=$T/nolist.fzb
echo 500 >"$T/ctl/dead.mode"
cat >"$CONF" <<EOF
[feeds]
output = $OUT
state_dir = $T/state-nolist
ca_file = $T/ca/ca.pem
connect_timeout = 2
timeout = 3
retries = 0

[feed rogue]
url = https://127.0.0.1:$RP/scam.txt
format = domains

[feed dead]
url = http://127.0.0.1:$FP/dead
format = domains
EOF
upd 1 --force
feed_line rogue 'failed: .*([Cc]ertificate|SSL|TLS|verif|issuer)'
feed_line rogue 'failed: .*no good copy'
feed_line dead 'failed: .*500'
has '^no list'
checks=$((checks + 1))
[ ! -e "$OUT" ] || fail "$OUT exists after a cycle with no good feed"
CONF=$CONF_MAIN
OUT=$OUT_MAIN

# ---------------------------------------------------------------- daemon
scenario "daemon: fetches what is due, stops on SIGTERM"
DCONF=$T/daemon.conf
DOUT=$T/daemon.fzb
cat >"$DCONF" <<EOF
[feeds]
output = $DOUT
state_dir = $T/state-daemon
ca_file = $T/ca/ca.pem
timeout = 3
retries = 0

[feed scam]
url = https://127.0.0.1:$NP/scam.txt
format = domains
interval = 1h
EOF
"$FEED" --daemon --config "$DCONF" >"$T/daemon.out" 2>"$T/daemon.err" &
DAEMON_PID=$!
for _ in $(seq 50); do
	[ "$(gen "$DOUT")" = 1 ] && break
	sleep 0.1
done
checks=$((checks + 1))
[ "$(gen "$DOUT")" = 1 ] || fail "the daemon did not publish generation 1 within 5 s"
verdict scam-07.example block "$DOUT"
# SIGHUP re-reads the config: a new feed is due at once.
cat >>"$DCONF" <<EOF

[feed phish]
url = https://127.0.0.1:$NP/phish.hosts
format = hosts
EOF
kill -HUP "$DAEMON_PID"
for _ in $(seq 50); do
	[ "$(gen "$DOUT")" = 2 ] && break
	sleep 0.1
done
checks=$((checks + 1))
[ "$(gen "$DOUT")" = 2 ] || fail "the daemon did not publish generation 2 within 5 s of SIGHUP"
verdict phish-7.example block "$DOUT"
verdict scam-07.example block "$DOUT"
kill -TERM "$DAEMON_PID"
drc=
for _ in $(seq 50); do
	if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		wait "$DAEMON_PID"
		drc=$?
		break
	fi
	sleep 0.1
done
checks=$((checks + 1))
if [ -z "$drc" ]; then
	fail "the daemon did not stop within 5 s of SIGTERM"
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
elif [ "$drc" != 0 ]; then
	fail "the daemon exited $drc on SIGTERM"
fi
DAEMON_PID=
has 'feed scam: fetched' "$T/daemon.out"
has 'published generation 1' "$T/daemon.out"
has 'feed phish: fetched' "$T/daemon.out"

# ---------------------------------------------------------------- AXFR
NSD=$(command -v nsd 2>/dev/null || echo /usr/sbin/nsd)
if [ -x "$NSD" ]; then
	scenario "RPZ by AXFR from nsd"
	mkdir -p "$T/nsd"
	zone_text()
	{
		cat <<EOF
\$ORIGIN rpz.example.
\$TTL 300
@ IN SOA localhost. hostmaster.localhost. $1 3600 600 86400 300
@ IN NS localhost.
axfr-evil.example CNAME .
*.axfr-evil.example CNAME .
axfr-phish.example CNAME .
passthru.axfr-evil.example CNAME rpz-passthru.
EOF
		shift
		for n in "$@"; do
			echo "$n CNAME ."
		done
	}
	zone_text 2026010101 >"$T/nsd/rpz.example.zone"
	started=no
	for _ in 1 2 3 4 5; do
		ZP=$(fz_env_port)
		cat >"$T/nsd/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$ZP
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
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: rpz.example
	zonefile: rpz.example.zone
	provide-xfr: 127.0.0.1 NOKEY
EOF
		"$NSD" -d -c "$T/nsd/nsd.conf" >>"$T/nsd/nsd.out" 2>&1 &
		NSD_PID=$!
		sleep 0.5
		if kill -0 "$NSD_PID" 2>/dev/null; then
			started=yes
			break
		fi
		wait "$NSD_PID" 2>/dev/null
		NSD_PID=
	done
	if [ "$started" = yes ]; then
		CONF_MAIN=$CONF
		OUT_MAIN=$OUT
		CONF=$T/axfr.conf
		OUT=$T/axfr.fzb
		cat >"$CONF" <<EOF
[feeds]
output = $OUT
state_dir = $T/state-axfr
timeout = 5
retries = 0

[feed rpz]
url = axfr://127.0.0.1:$ZP/rpz.example
format = rpz
category = fraud
EOF
		upd 0 --force
		feed_line rpz 'fetched'
		has '^published generation 1\b'
		verdict axfr-evil.example block
		verdict deep.sub.axfr-evil.example block
		verdict passthru.axfr-evil.example allow
		verdict axfr-phish.example block
		verdict innocent.example none
		before=$(fp "$OUT")
		upd 0 --force
		feed_line rpz 'not-modified'
		has '^unchanged generation 1\b'
		expect "$(fp "$OUT")" "$before" "output after transferring the same zone again"
		zone_text 2026010102 axfr-new.example >"$T/nsd/rpz.example.zone"
		kill -HUP "$NSD_PID"
		ok=no
		for _ in $(seq 20); do
			sleep 0.25
			upd '0|2' --force
			if grep -q '^published generation 2' "$T/out"; then
				ok=yes
				break
			fi
		done
		checks=$((checks + 1))
		[ $ok = yes ] || fail "a changed zone was not published"
		verdict axfr-new.example block
		kill -TERM "$NSD_PID" 2>/dev/null
		upd 2 --force
		feed_line rpz 'failed: .*kept its last good copy'
		verdict axfr-new.example block
		wait "$NSD_PID" 2>/dev/null
		NSD_PID=
		CONF=$CONF_MAIN
		OUT=$OUT_MAIN
	else
		fail "nsd did not start"
		sed 's/^/    | /' "$T/nsd/nsd.out" "$T/nsd/nsd.log" 2>/dev/null
	fi
else
	echo "note: nsd is missing: AXFR scenario skipped"
fi

# ---------------------------------------------------------------- real feeds
if [ -n "$DATA" ] && [ -d "$DATA" ]; then
	scenario "real snapshots from $DATA"
	CONF_MAIN=$CONF
	OUT_MAIN=$OUT
	CONF=$T/real.conf
	OUT=$T/real.fzb
	mkdir -p "$T/www/real"
	cat >"$CONF" <<EOF
[feeds]
output = $OUT
state_dir = $T/state-real
ca_file = $T/ca/ca.pem
timeout = 20
retries = 0
EOF
	n=0
	for f in hosts-blocklistproject-scam.txt domains-jarelllama-scams-light.txt \
		adblock-hagezi-fake.txt rpz-tweetfeed.rpz urls-tweetfeed.txt urls-phishunt.csv \
		wildcard-hagezi-fake.txt; do
		[ -r "$DATA/$f" ] || continue
		ln -s "$DATA/$f" "$T/www/real/$f"
		case $f in
		hosts-*) fmt=hosts ;;
		domains-* | wildcard-*) fmt=domains ;;
		adblock-*) fmt=adblock ;;
		rpz-*) fmt=rpz ;;
		*.csv) fmt=csv ;;
		*) fmt=auto ;;
		esac
		printf '\n[feed %s]\nurl = https://127.0.0.1:%s/real/%s\nformat = %s\n' \
			"${f%.*}" "$NP" "$f" "$fmt" >>"$CONF"
		n=$((n + 1))
	done
	if [ $n -gt 0 ]; then
		upd 0 --force
		has '^published generation 1\b'
		checks=$((checks + 1))
		[ "$(grep -c ': fetched, ' "$T/out")" = $n ] || fail "not every snapshot was fetched"
		hasnt ': fetched, 0 entries'
		if [ -r "$DATA/domains-jarelllama-scams-light.txt" ]; then
			name=$(grep -E '^[a-z0-9-]+(\.[a-z0-9-]+)+$' "$DATA/domains-jarelllama-scams-light.txt" |
				sed -n 5p)
			[ -n "$name" ] && verdict "$name" block
		fi
		if [ -r "$DATA/hosts-blocklistproject-scam.txt" ]; then
			name=$(awk '$1 == "0.0.0.0" && $2 ~ /^[a-z0-9.-]+\.[a-z]+$/ { print $2 }' \
				"$DATA/hosts-blocklistproject-scam.txt" | sed -n 5p)
			[ -n "$name" ] && verdict "$name" block
		fi
		before=$(fp "$OUT")
		upd 0 --force
		has '^unchanged generation 1\b'
		expect "$(grep -c ': not-modified, ' "$T/out")" $n "snapshots not modified on the second cycle"
		expect "$(fp "$OUT")" "$before" "real output after a 304 cycle"
	fi
	CONF=$CONF_MAIN
	OUT=$OUT_MAIN
else
	echo "note: no feed snapshots (FZ_DATA_DIR or ../shared/data): real-feed scenario skipped"
fi

# ---------------------------------------------------------------- done
SCEN=end
checks=$((checks + 1))
if [ -s "$T/nginx/error.log" ] && grep -q '\[crit\]\|\[emerg\]' "$T/nginx/error.log"; then
	fail "nginx reported errors"
	sed 's/^/    | /' "$T/nginx/error.log"
fi
printf '\n%d checks, %d failed (%s s)\n' "$checks" "$failures" "$(elapsed)"
[ "$failures" -eq 0 ]
