# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Sourced (bash) by the integration scripts (test_dns.sh, test_axfr.sh,
# test_rules.sh, test_nfq.sh) and by feeds_env.sh and nfq_env.sh: counted
# checks, the temporary directory, stopping and waiting for processes, an
# nsd configuration.
#
#   ok MSG / fail MSG    count a check in FZ_CHECKS (and a failure in
#                        FZ_FAILS) and print "ok: MSG" / "FAIL: MSG", the
#                        failure tagged "FAIL [$FZ_SCEN]" when FZ_SCEN is
#                        set; with FZ_TAP=1 "ok N - MSG" / "not ok N - MSG"
#   fz_tmp_done DIR      rm -rf DIR, or with FZ_KEEP=1 say "kept DIR"
#   fz_stop_pids TRIES PID...
#                        SIGTERM each PID, wait up to TRIES tenths of a
#                        second for each to go, then SIGKILL and reap it
#   fz_wait_for PID TRIES CMD...
#                        run CMD every 0.1 s until it succeeds (0); 1 after
#                        TRIES tries or as soon as PID is gone
#   fz_port              a port number that looks free (bash $RANDOM)
#   fz_nsd_conf DIR LINE...
#                        DIR/nsd.conf: a server: section with the LINEs
#                        ("ip-address: ...", "do-ip6: no", ...), files
#                        under DIR, no remote control; zones are appended
#                        by the caller

FZ_CHECKS=0
FZ_FAILS=0
FZ_SCEN=
FZ_TAP=0

ok()
{
	FZ_CHECKS=$((FZ_CHECKS + 1))
	if [ "$FZ_TAP" = 1 ]; then
		echo "ok $FZ_CHECKS - $*"
	else
		echo "ok: $*"
	fi
}

fail()
{
	FZ_CHECKS=$((FZ_CHECKS + 1))
	FZ_FAILS=$((FZ_FAILS + 1))
	if [ "$FZ_TAP" = 1 ]; then
		echo "not ok $FZ_CHECKS - $*"
	else
		echo "FAIL${FZ_SCEN:+ [$FZ_SCEN]}: $*"
	fi
}

fz_tmp_done()
{
	if [ "${FZ_KEEP:-0}" = 1 ]; then
		echo "kept $1"
	else
		rm -rf "$1"
	fi
}

fz_stop_pids()
{
	local tries=$1 p
	shift
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "$@"; do
		for _ in $(seq "$tries"); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

fz_wait_for()
{
	local pid=$1 tries=$2
	shift 2
	for _ in $(seq "$tries"); do
		kill -0 "$pid" 2>/dev/null || return 1
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

fz_port()
{
	echo $((20000 + RANDOM % 40000))
}

fz_nsd_conf()
{
	local d=$1 line
	shift
	{
		echo "server:"
		for line in "$@" 'username: ""' 'chroot: ""' "zonesdir: \"$d\"" 'database: ""' \
			"zonelistfile: \"$d/zone.list\"" "xfrdfile: \"$d/xfrd.state\"" "xfrdir: \"$d\"" \
			"pidfile: \"$d/nsd.pid\"" "logfile: \"$d/nsd.log\"" 'server-count: 1' \
			'verbosity: 1'; do
			printf '\t%s\n' "$line"
		done
		printf 'remote-control:\n\tcontrol-enable: no\n'
	} >"$d/nsd.conf"
}
