#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end test of the fangzha CLI over the starter feed.
# Usage: test_cli.sh FANGZHA STARTER_DIR
set -u

FZ=${1:?usage: test_cli.sh FANGZHA STARTER_DIR}
ST=${2:?usage: test_cli.sh FANGZHA STARTER_DIR}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fz-cli.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT INT TERM
BL=$TMP/starter.fzb
SEED=000102030405060708090a0b0c0d0e0f

checks=0
failures=0

fail()
{
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}

# run EXPECTED-EXIT CMD...: stdout in $TMP/out, stderr in $TMP/err.
run()
{
	want=$1
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	checks=$((checks + 1))
	if [ "$got" -ne "$want" ]; then
		fail "exit $got, expected $want: $*"
		sed 's/^/    stderr: /' "$TMP/err" >&2
	fi
}

# has FILE REGEX [WHAT]: FILE has a line matching the extended REGEX.
has()
{
	checks=$((checks + 1))
	if ! grep -Eq -- "$2" "$1"; then
		fail "${3:-$1}: no line matches /$2/"
		sed 's/^/    | /' "$1" >&2
	fi
}

hasnt()
{
	checks=$((checks + 1))
	if grep -Eq -- "$2" "$1"; then
		fail "${3:-$1}: unexpected line matching /$2/"
	fi
}

# verdict INPUT EXPECTED [REGEX]: `check` says EXPECTED for INPUT (and the line matches REGEX).
verdict()
{
	run 0 "$FZ" check -b "$BL" -- "$1"
	checks=$((checks + 1))
	line=$(cat "$TMP/out")
	case $line in
	"$2 "*) ;;
	*) fail "check $1: expected $2, got: $line" ;;
	esac
	if [ $# -ge 3 ]; then
		has "$TMP/out" "$3" "check $1"
	fi
}

# A JSON parser if the machine has one; the grep checks run either way.
JSON=
if [ -x /usr/bin/python3 ]; then
	JSON=python3
elif command -v jq >/dev/null 2>&1; then
	JSON=jq
fi

# json_valid FILE KEY...: every line of FILE is a JSON object with the KEYs.
json_valid()
{
	f=$1
	shift
	checks=$((checks + 1))
	case $JSON in
	python3)
		/usr/bin/python3 -c '
import json, sys
keys = sys.argv[2:]
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    o = json.loads(line)
    missing = [k for k in keys if k not in o]
    if missing:
        sys.exit("line %d lacks %s" % (n, missing))
' "$f" "$@" || fail "invalid JSON or missing keys ($*) in: $(cat "$f")"
		;;
	jq)
		for k in "$@"; do
			jq -e --arg k "$k" 'has($k)' "$f" >/dev/null ||
				fail "invalid JSON or missing key $k in: $(cat "$f")"
		done
		;;
	esac
}

# --- usage, help, version ---------------------------------------------------

run 0 "$FZ" --help
has "$TMP/out" '^Usage: fangzha COMMAND'
run 0 "$FZ" --version
has "$TMP/out" '^fangzha [0-9]+\.[0-9]+'
for c in compile check info; do
	run 0 "$FZ" "$c" --help
	has "$TMP/out" "^Usage: fangzha $c"
done
run 0 "$FZ" help check
has "$TMP/out" '^Usage: fangzha check'
run 2 "$FZ"
run 2 "$FZ" frobnicate
has "$TMP/err" "unknown command 'frobnicate'"
has "$TMP/err" "Try 'fangzha --help'"
run 2 "$FZ" --frobnicate
run 2 "$FZ" compile "$ST/fraud.hosts"
has "$TMP/err" 'no output file'
run 2 "$FZ" compile -o "$TMP/x.fzb"
run 2 "$FZ" compile -o
has "$TMP/err" "needs an argument"
run 2 "$FZ" compile -o "$TMP/x.fzb" --bogus "$ST/fraud.hosts"
has "$TMP/err" "unknown option '--bogus'"
has "$TMP/err" "Try 'fangzha compile --help'"
run 2 "$FZ" compile -o "$TMP/x.fzb" --format nosuch "$ST/fraud.hosts"
run 2 "$FZ" compile -o "$TMP/x.fzb" --category nosuch "$ST/fraud.hosts"
run 2 "$FZ" compile -o "$TMP/x.fzb" --match nosuch "$ST/fraud.hosts"
run 2 "$FZ" compile -o "$TMP/x.fzb" --seed 1234 "$ST/fraud.hosts"
run 2 "$FZ" compile -o "$TMP/x.fzb" "$ST/fraud.hosts" --name dangling
run 2 "$FZ" compile -o "$TMP/x.fzb" - -
run 2 "$FZ" check fake-bank-login.test
run 2 "$FZ" check -b "$TMP/x.fzb"
run 2 "$FZ" check -x -b "$TMP/x.fzb" a.test
has "$TMP/err" "unknown option '-x'"
run 2 "$FZ" info
run 2 "$FZ" info -b "$TMP/x.fzb" extra
checks=$((checks + 1))
[ -e "$TMP/x.fzb" ] && fail "a usage error wrote a file"

# --- compile the starter feed -----------------------------------------------

run 0 "$FZ" compile -o "$BL" --generation 7 --seed "$SEED" --created 1700000000 \
	--allow "$ST/allow.txt" --block "$ST/block.txt" \
	"$ST/fraud.hosts" \
	--category phishing "$ST/phishing.domains" \
	--category fraud "$ST/scam.adblock" \
	--category malware "$ST/malware.rpz" --name apps "$ST/apps.urls" "$ST/urlhaus-style.csv"
cp "$TMP/out" "$TMP/compile.out"
C=$TMP/compile.out
has "$C" '^feed fraud\.hosts from .*/fraud\.hosts$'
has "$C" 'format=hosts \(detected\) category=fraud lines=[0-9]+ accepted=7 duplicates=1 rejected=1 '
has "$C" 'fraud\.hosts:[0-9]+: .*bad_name!\.test'
has "$C" '^feed phishing\.domains from '
has "$C" 'format=domains \(detected\) category=phishing .* accepted=5 duplicates=0 rejected=1 '
has "$C" 'phishing\.domains:[0-9]+: .*verify\.\.broken\.test'
has "$C" 'format=adblock \(detected\) category=fraud .* accepted=4 .* skipped=[1-9]'
has "$C" 'scam\.adblock:[0-9]+: .*##\.fake-testimonials'
has "$C" 'format=rpz \(detected\) category=malware '
has "$C" '^feed apps from .*/apps\.urls$'
has "$C" 'format=urls \(detected\) category=malware .* accepted=6 '
has "$C" '^feed urlhaus-style\.csv from '
has "$C" 'format=csv \(detected\) category=malware .* accepted=3 '
has "$C" '^feed local-allow from .*/allow\.txt \(local allowlist\)$'
has "$C" '^feed local-block from .*/block\.txt \(local blocklist\)$'
has "$C" '^total inputs=6 read=6 unreadable=0 '
has "$C" "^wrote $BL generation=7 size=[1-9][0-9]* time="
has "$C" '^rules input=[1-9][0-9]* names=[1-9][0-9]* allow_names=[1-9][0-9]* urls=[1-9][0-9]* url_hosts=[1-9][0-9]* ip4=[1-9][0-9]* ip6=[1-9]'
checks=$((checks + 1))
[ -s "$BL" ] || fail "compile wrote no file"

# --- check: names, per format --------------------------------------------------

# hosts: exact names only; case, trailing dot and U-labels are normalized.
verdict fake-bank-login.test block 'rule=fake-bank-login\.test category=fraud feeds=fraud\.hosts$'
verdict FAKE-Bank-Login.TEST. block 'name=fake-bank-login\.test '
verdict www.secure-verify-account.test block
verdict sub.fake-bank-login.test none
verdict gewinn-bücher.test block 'name=xn--gewinn-bcher-'
verdict localhost none
# domains: a plain name is exact, "*." a subtree.
verdict mail-login-verify.test block 'category=phishing feeds=phishing\.domains'
verdict a.mail-login-verify.test none
verdict wallet-recovery-help.test block
verdict x.y.account-suspended.test block 'rule=\*\.account-suspended\.test category=phishing'
verdict other.refund-center.example block
# local allowlist: an allowed child of a blocked parent, and an allowed subtree.
verdict good.account-suspended.test allow 'category=custom feeds=local-allow'
verdict a.b.partner.refund-center.example allow 'feeds=local-allow'
# adblock: ||x^ is a subtree, @@ allows, the local blocklist beats a feed's allow.
verdict deep.investment-doubler.test block 'feeds=scam\.adblock'
verdict lottery-winner.test block
verdict x.help.crypto-giveaway.example allow 'feeds=scam\.adblock'
verdict help.crypto-giveaway.example block 'feeds=local-block'
# rpz: exact and subtree records, passthru inside a blocked subtree.
verdict dropper-host.test block 'category=malware feeds=malware\.rpz'
verdict a.b.dropper-host.test block
verdict c2-panel.example block
verdict x.c2-panel.example none
verdict other.botnet-relay.test block
verdict safe.botnet-relay.test allow
verdict sinkhole-me.test block
# local blocklist.
verdict a.local-scam.test block 'category=custom feeds=local-block'
verdict pushy-sms-link.test block
# unlisted, and names that cannot be normalized (a verdict, not a crash).
verdict unlisted.example none
verdict bad_name!.test none 'error: '
verdict "$(printf 'a%.0s' $(seq 1 70)).test" none 'error: '

# --- check: URLs and addresses -----------------------------------------------

verdict http://apps.example-cdn.test/download/fake-bank.apk block \
	'rule=apps\.example-cdn\.test/download/fake-bank\.apk category=malware feeds=apps$'
verdict HTTPS://Apps.Example-CDN.test:8443/download/fake-bank.apk block
verdict http://apps.example-cdn.test/download/fake-wallet/setup.apk block
verdict http://apps.example-cdn.test/download/other.apk none
verdict http://apps.example-cdn.test/download/fake-bank.apk.old none
verdict apps.example-cdn.test none
# a path with UTF-8: typed raw or percent-encoded as a browser sends it
verdict 'http://apps.example-cdn.test/下载/安全助手.apk' block \
	'rule=apps\.example-cdn\.test/%E4%B8%8B%E8%BD%BD/%E5%AE%89%E5%85%A8%E5%8A%A9%E6%89%8B\.apk '
verdict 'http://apps.example-cdn.test/%E4%B8%8B%E8%BD%BD/%E5%AE%89%E5%85%A8%E5%8A%A9%E6%89%8B.apk?v=2' block
verdict 'http://apps.example-cdn.test/下载/other.apk' none
verdict http://quick-loan.test/apply block
verdict http://quick-loan.test/application none
verdict http://invoice-viewer.test/doc/invoice.exe block 'feeds=urlhaus-style\.csv'
verdict https://courier-redelivery.example/track/parcel.js block
# a URL on a host blocked by name
verdict http://fake-bank-login.test/any/path block 'rule=fake-bank-login\.test '
# address rules: from URL lists (an address host), from the CSV, an RPZ CIDR
verdict 198.51.100.23 block 'category=malware feeds=apps$'
verdict http://198.51.100.23/another/path block
verdict 198.51.100.24 none
verdict 198.51.100.200 block 'feeds=urlhaus-style\.csv'
verdict 2001:db8::bad block
verdict '[2001:db8::bad]' block
verdict 2001:db8::bae none
verdict http://198.51.100.23 block
verdict 198.51.100.23:8080 block
verdict '[2001:db8::bad]:443' block
verdict fake-bank-login.test:8443 block 'name=fake-bank-login\.test '
verdict 203.0.113.5 block 'rule=203\.0\.113\.0/24 '
verdict 203.0.113.254 block
verdict 203.0.114.1 none

# several inputs in one call: one line each, in order; exit 0 whatever the verdicts
run 0 "$FZ" check -b "$BL" fake-bank-login.test unlisted.example good.account-suspended.test
checks=$((checks + 1))
[ "$(cut -c1-5 "$TMP/out" | tr -d ' ' | tr '\n' ' ')" = "block none allow " ] ||
	fail "three inputs: $(cat "$TMP/out")"

# --stdin: blank lines and comments ignored, CRLF tolerated
printf '# names\n\nfake-bank-login.test\r\n  unlisted.example  \nhttp://198.51.100.23/x\n' >"$TMP/in"
run 0 "$FZ" check -b "$BL" --stdin <"$TMP/in"
checks=$((checks + 1))
[ "$(wc -l <"$TMP/out")" -eq 3 ] || fail "--stdin: $(cat "$TMP/out")"
has "$TMP/out" '^block  fake-bank-login\.test  rule='
has "$TMP/out" '^none   unlisted\.example$'
has "$TMP/out" '^block  http://198\.51\.100\.23/x  rule='

# --- check --json ---------------------------------------------------------------

run 0 "$FZ" check -b "$BL" --json x.y.account-suspended.test unlisted.example \
	good.account-suspended.test sinkhole-me.test c2-panel.example \
	http://apps.example-cdn.test/download/fake-bank.apk 203.0.113.5 'bad_name!.test'
J=$TMP/check.json
cp "$TMP/out" "$J"
checks=$((checks + 1))
[ "$(wc -l <"$J")" -eq 8 ] || fail "--json: expected 8 lines: $(cat "$J")"
json_valid "$J" input kind name verdict rule rule_kind match policy category feeds n_feeds
has "$J" '^\{"input":"x\.y\.account-suspended\.test","kind":"name","name":"x\.y\.account-suspended\.test","verdict":"block","rule":"\*\.account-suspended\.test","rule_kind":"name","match":"subtree",.*"category":"phishing","feeds":\["phishing\.domains"\],"n_feeds":1\}$'
has "$J" '^\{"input":"unlisted\.example",.*"verdict":"none","rule":null,.*"feeds":\[\],"n_feeds":0\}$'
has "$J" '"input":"good\.account-suspended\.test",.*"verdict":"allow",.*"feeds":\["local-allow"\]'
has "$J" '"input":"sinkhole-me\.test",.*"policy":"local-data",.*"local":\["192\.0\.2\.10","2001:db8::10"\]'
has "$J" '"input":"c2-panel\.example",.*"match":"exact","policy":"nodata"'
has "$J" '"kind":"url",.*"verdict":"block","rule":"apps\.example-cdn\.test/download/fake-bank\.apk","rule_kind":"url"'
has "$J" '"input":"203\.0\.113\.5","kind":"ip",.*"rule":"203\.0\.113\.0/24","rule_kind":"ip"'
has "$J" '"input":"bad_name!\.test",.*"verdict":"none",.*"error":"'

# JSON escaping of arbitrary bytes: quote, backslash, control bytes, invalid UTF-8
printf 'quo"te\\back.test\nctl\001\037.test\n\377\376bad.test\nb\303\274cher.test\n' >"$TMP/in"
run 0 "$FZ" check -b "$BL" --stdin --json <"$TMP/in"
cp "$TMP/out" "$J"
checks=$((checks + 1))
[ "$(wc -l <"$J")" -eq 4 ] || fail "--json --stdin: $(cat "$J")"
json_valid "$J" input verdict
has "$J" '^\{"input":"quo\\"te\\\\back\.test",.*"verdict":"none",.*"error":'
has "$J" '^\{"input":"ctl\\u0001\\u001f\.test"'
has "$J" '^\{"input":"\\ufffd\\ufffdbad\.test"'
has "$J" '"name":"xn--bcher-kva\.test"'
# and in plain text: escaped, one line each
run 0 "$FZ" check -b "$BL" --stdin <"$TMP/in"
checks=$((checks + 1))
[ "$(wc -l <"$TMP/out")" -eq 4 ] || fail "plain --stdin with odd bytes: $(cat "$TMP/out")"
has "$TMP/out" '^none   ctl\\x01\\x1f\.test '

# --- info -------------------------------------------------------------------------

run 0 "$FZ" info -b "$BL"
I=$TMP/info.out
cp "$TMP/out" "$I"
has "$I" '^generation +7$'
has "$I" '^created +2023-11-14T22:13:20Z \(1700000000\)$'
has "$I" "^size +$(wc -c <"$BL" | tr -d ' ') bytes$"
has "$I" '^checksum +ok$'
has "$I" '^names +[1-9][0-9]*$'
has "$I" '^allow names +[1-9][0-9]*$'
has "$I" '^urls +[1-9][0-9]*$'
has "$I" '^url hosts +[1-9][0-9]*$'
has "$I" '^ip4 +[1-9][0-9]*$'
has "$I" '^ip6 +[1-9][0-9]*$'
has "$I" '^feeds +8$'
has "$I" '^index +[1-9][0-9]* bytes, [0-9.]+ bytes/name'
has "$I" '^ +[0-9]+  fraud\.hosts +fraud +7  no +.*/fraud\.hosts$'
has "$I" '^ +[0-9]+  local-allow +custom +[0-9]+  yes +.*/allow\.txt$'
has "$I" '^ +[0-9]+  local-block +custom +[0-9]+  yes '
has "$I" '^ +[0-9]+  apps +malware '
run 0 "$FZ" info -b "$BL" --json
json_valid "$TMP/out" version generation created file_size checksum names allow_names urls \
	url_hosts ip4 ip6 n_feeds index_bytes feeds
has "$TMP/out" '"generation":7,'
has "$TMP/out" '"n_feeds":8,'
has "$TMP/out" '"name":"phishing\.domains","category":"phishing",'

# --- failures leave the output alone ------------------------------------------------

cp "$BL" "$TMP/before.fzb"
run 1 "$FZ" compile -o "$BL" "$TMP/missing-1.hosts" "$TMP/missing-2.txt"
has "$TMP/err" 'cannot read .*missing-1\.hosts'
has "$TMP/err" 'no input could be read'
checks=$((checks + 1))
cmp -s "$BL" "$TMP/before.fzb" || fail "a failed compile changed the output file"
# an unreadable local list is fatal too
run 1 "$FZ" compile -o "$BL" --allow "$TMP/missing-allow.txt" "$ST/fraud.hosts"
checks=$((checks + 1))
cmp -s "$BL" "$TMP/before.fzb" || fail "a compile with a missing allowlist changed the output"
# a directory as input is unreadable
run 1 "$FZ" compile -o "$BL" "$ST"
checks=$((checks + 1))
cmp -s "$BL" "$TMP/before.fzb" || fail "a compile of a directory changed the output"
# cannot write: the directory does not exist
run 1 "$FZ" compile -o "$TMP/no/such/dir/out.fzb" "$ST/fraud.hosts"
has "$TMP/err" '^fangzha compile: .*no/such/dir/out\.fzb'
# some inputs unreadable: written without them, exit 3
run 3 "$FZ" compile -o "$TMP/partial.fzb" "$ST/fraud.hosts" "$TMP/missing.hosts"
has "$TMP/out" '^total inputs=2 read=1 unreadable=1 '
has "$TMP/err" 'could not be read'
BL_SAVE=$BL
BL=$TMP/partial.fzb
verdict fake-bank-login.test block
BL=$BL_SAVE

# check and info on missing and corrupt files
run 1 "$FZ" check -b "$TMP/missing.fzb" fake-bank-login.test
has "$TMP/err" 'missing\.fzb: '
run 1 "$FZ" info -b "$TMP/missing.fzb"
size=$(wc -c <"$BL")
head -c $((size - 1)) "$BL" >"$TMP/truncated.fzb"
run 1 "$FZ" info -b "$TMP/truncated.fzb"
has "$TMP/err" 'truncated\.fzb: .'
run 1 "$FZ" check -b "$TMP/truncated.fzb" fake-bank-login.test
printf 'not a blocklist\n' >"$TMP/garbage.fzb"
run 1 "$FZ" info -b "$TMP/garbage.fzb"

# --- input options by position, stdin, generations --------------------------------

# --name applies to the next input only; --category sticks
run 0 "$FZ" compile -o "$TMP/pos.fzb" --category gambling --name first "$ST/fraud.hosts" \
	"$ST/phishing.domains"
has "$TMP/out" '^feed first from .*/fraud\.hosts$'
has "$TMP/out" '^feed phishing\.domains from '
has "$TMP/out" 'format=domains \(detected\) category=gambling '
# --format given, --match subtree turns plain names into subtree rules
run 0 "$FZ" compile -o "$TMP/sub.fzb" --format domains --match subtree "$ST/phishing.domains"
has "$TMP/out" 'format=domains \(given\) '
BL=$TMP/sub.fzb
verdict a.mail-login-verify.test block
BL=$BL_SAVE
# two feeds with one name: written, with a warning
run 0 "$FZ" compile -o "$TMP/dup.fzb" "$ST/fraud.hosts" "$ST/fraud.hosts"
has "$TMP/err" "warning: feed name 'fraud\.hosts' .* is used twice"
# a feed from standard input
run 0 "$FZ" compile -o "$TMP/stdin.fzb" - <"$ST/fraud.hosts"
has "$TMP/out" '^feed stdin from stdin$'
BL=$TMP/stdin.fzb
verdict fake-bank-login.test block 'feeds=stdin$'
BL=$BL_SAVE
# the next generation is one more than the file replaced
run 0 "$FZ" compile -o "$BL" "$ST/fraud.hosts"
has "$TMP/out" "^wrote $BL generation=8 "
# -v lists every problem
run 0 "$FZ" compile -o "$TMP/v.fzb" --problems 0 "$ST/fraud.hosts"
hasnt "$TMP/out" 'bad_name'
has "$TMP/out" 'more problem'
run 0 "$FZ" compile -o "$TMP/v.fzb" -v "$ST/fraud.hosts"
has "$TMP/out" 'bad_name!\.test'

if [ "$failures" -ne 0 ]; then
	echo "$failures of $checks checks failed" >&2
	exit 1
fi
echo "all $checks checks passed${JSON:+ (JSON parsed with $JSON)}"
