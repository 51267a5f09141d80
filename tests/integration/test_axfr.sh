#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fz_axfr_fetch() against a real primary (suite 'integration'):
#   test_axfr.sh AXFR_CLIENT FIXTURES_DIR
#
# Starts Debian's nsd on 127.0.0.1 (a free port, a temporary directory that a
# trap removes, nsd always stopped) with three zones:
#   rpz.example      tests/fixtures/rpz-axfr/rpz.example.zone, provide-xfr
#                    to 127.0.0.1
#   big.rpz.example  20,000 names made here (a transfer of many messages)
#   closed.example   served, but no provide-xfr (transfers refused)
# and checks, with tests/integration/axfr_client.c:
#   - the transferred zone gives exactly the rules the fixture file gives
#     (and not nothing);
#   - the text starts with "$ORIGIN rpz.example." and has every record once;
#   - the big zone comes over whole, also through the name "localhost"
#     (which may resolve to ::1 first, where nothing listens);
#   - a zone not served, and one served without provide-xfr, are refused
#     with the reason; a max_size below the zone's size fails with EFBIG;
#     a port where nothing listens fails with ECONNREFUSED.
# Needs root (nsd wants to be started as root); exit 77 otherwise or
# without nsd. FZ_KEEP=1 keeps the temporary directory.
set -u

CLIENT=${1:?usage: test_axfr.sh AXFR_CLIENT FIXTURES_DIR}
FIX=${2:?usage: test_axfr.sh AXFR_CLIENT FIXTURES_DIR}/rpz-axfr
NSD=${FZ_NSD:-$(command -v nsd 2>/dev/null || echo /usr/sbin/nsd)}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$HERE/common.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (nsd)"
	exit 77
fi
if [ ! -x "$NSD" ]; then
	echo "SKIP: nsd is missing (scripts/deps.sh --test installs it)"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fz-axfr.XXXXXX") || exit 99
NSD_PID=
cleanup()
{
	[ -z "$NSD_PID" ] || fz_stop_pids 50 "$NSD_PID"
	fz_tmp_done "$T"
}
trap cleanup EXIT
trap 'exit 99' INT TERM

# ---- zones
cp "$FIX/rpz.example.zone" "$T/rpz.example.zone" || exit 99
{
	echo "\$ORIGIN big.rpz.example."
	echo "\$TTL 60"
	echo "@ IN SOA localhost. hostmaster.localhost. 1 3600 600 86400 60"
	echo "@ IN NS localhost."
	for i in $(seq 1 20000); do
		echo "fraud-$i.example CNAME ."
	done
} >"$T/big.zone"
cat >"$T/closed.zone" <<'EOF'
$ORIGIN closed.example.
$TTL 60
@ IN SOA localhost. hostmaster.localhost. 1 3600 600 86400 60
@ IN NS localhost.
secret.closed.example. CNAME .
EOF

# ---- nsd on a free port
nsd_answers()
{
	"$CLIENT" fetch "axfr://127.0.0.1:$PORT/closed.example" >"$T/probe" 2>&1 ||
		grep -q REFUSED "$T/probe"
}
started=no
for _ in 1 2 3 4 5 6 7 8; do
	PORT=$(fz_port)
	fz_nsd_conf "$T" "ip-address: 127.0.0.1@$PORT" "do-ip6: no"
	cat >>"$T/nsd.conf" <<EOF
zone:
	name: rpz.example
	zonefile: rpz.example.zone
	provide-xfr: 127.0.0.1 NOKEY
zone:
	name: big.rpz.example
	zonefile: big.zone
	provide-xfr: 127.0.0.1 NOKEY
zone:
	name: closed.example
	zonefile: closed.zone
EOF
	"$NSD" -d -c "$T/nsd.conf" >>"$T/nsd.out" 2>&1 &
	NSD_PID=$!
	# Up when it answers a transfer (or refuses one); gone when the port was taken.
	if fz_wait_for "$NSD_PID" 50 nsd_answers; then
		started=yes
		break
	fi
	kill -TERM "$NSD_PID" 2>/dev/null
	wait "$NSD_PID" 2>/dev/null
	NSD_PID=
done
if [ "$started" != yes ]; then
	echo "nsd did not start:"
	cat "$T/nsd.out" "$T/nsd.log" 2>/dev/null
	exit 99
fi
echo "nsd on 127.0.0.1:$PORT (pid $NSD_PID)"
U=axfr://127.0.0.1:$PORT

# ---- the fixture zone: the same rules by AXFR as from the file
if "$CLIENT" fetch "$U/rpz.example" >"$T/text"; then
	ok "transfer of rpz.example"
else
	fail "transfer of rpz.example: $(cat "$T/text")"
fi
if [ "$(head -n 1 "$T/text")" = "\$ORIGIN rpz.example." ]; then
	ok "text starts with \$ORIGIN rpz.example."
else
	fail "first line: $(head -n 1 "$T/text")"
fi
# Every record once: SOA, NS and 15 more (the closing SOA is left out).
records=$(grep -vc "^[$]ORIGIN" "$T/text")
soas=$(grep -c $'\tSOA\t' "$T/text")
if [ "$records" = 17 ] && [ "$soas" = 1 ]; then
	ok "17 records, one SOA"
else
	fail "records: $records, SOA: $soas"
	cat "$T/text"
fi

"$CLIENT" rules-file "$FIX/rpz.example.zone" >"$T/rules.file"
"$CLIENT" rules "$U/rpz.example" >"$T/rules.axfr"
if cmp -s "$T/rules.file" "$T/rules.axfr"; then
	ok "same rules by AXFR as from the zone file"
else
	fail "rules differ (file < > axfr)"
	diff "$T/rules.file" "$T/rules.axfr"
fi
# And they are the rules the zone means (not two empty lists).
cat >"$T/rules.want" <<'EOF'
allow exact default good.example
allow ip 192.0.2.0/24
block exact default drop.example
block exact local sink.example 192.0.2.1 2001:db8::53
block exact nodata nodata.example
block exact nxdomain evil.example
block exact nxdomain upper.case.example
block ip 1.2.3.4/32
block ip 2001:db8::/48
block subtree nxdomain evil.example
EOF
if grep -v '^rejected\|^skipped' "$T/rules.axfr" | diff "$T/rules.want" - >"$T/rules.diff"; then
	ok "the expected rules"
else
	fail "rules are not the expected ones (want < > got)"
	cat "$T/rules.diff"
fi
if grep -qx 'rejected 0' "$T/rules.axfr"; then
	ok "nothing rejected"
else
	fail "rejected: $(grep rejected "$T/rules.axfr")"
fi

# ---- many messages, and a host name
if "$CLIENT" rules "$U/big.rpz.example" >"$T/big.rules" &&
	[ "$(grep -c '^block exact nxdomain fraud-' "$T/big.rules")" = 20000 ] &&
	grep -qx 'block exact nxdomain fraud-17777.example' "$T/big.rules"; then
	ok "20,000 names of big.rpz.example"
else
	fail "big zone: $(head -n 3 "$T/big.rules")"
fi
if "$CLIENT" rules "axfr://localhost:$PORT/big.rpz.example" >"$T/big2.rules" &&
	cmp -s "$T/big.rules" "$T/big2.rules"; then
	ok "the same through the name localhost"
else
	fail "through localhost: $(head -n 3 "$T/big2.rules")"
fi

# ---- refusals and limits
expect_error()
{
	local what=$1 want=$2
	shift 2
	if "$CLIENT" "$@" >"$T/err.out"; then
		fail "$what: succeeded"
	elif grep -qF -- "$want" "$T/err.out"; then
		ok "$what: $(cat "$T/err.out")"
	else
		fail "$what: $(cat "$T/err.out"), wanted \"$want\""
	fi
}
expect_error "zone without provide-xfr" \
	"error: EACCES: AXFR of closed.example. from 127.0.0.1:$PORT refused" \
	fetch "$U/closed.example"
expect_error "zone not served" "AXFR of not-served.example. from 127.0.0.1:$PORT refused" \
	fetch "$U/not-served.example"
expect_error "max_size below the zone" "error: EFBIG:" fetch "$U/big.rpz.example" 100000
size=$(stat -c %s "$T/text")
if "$CLIENT" fetch "$U/rpz.example" "$size" >/dev/null; then
	ok "max_size equal to the text fits"
else
	fail "max_size $size refused"
fi
expect_error "one byte less" "error: EFBIG:" fetch "$U/rpz.example" $((size - 1))

kill -TERM "$NSD_PID" 2>/dev/null
wait "$NSD_PID" 2>/dev/null
NSD_PID=
expect_error "nothing listening" "error: ECONNREFUSED: AXFR of rpz.example.: cannot connect" \
	fetch "$U/rpz.example"

echo "$((FZ_CHECKS - FZ_FAILS)) of $FZ_CHECKS checks passed"
[ "$FZ_FAILS" = 0 ]
