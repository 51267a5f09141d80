# shellcheck shell=sh disable=SC2034,SC3043
# Shell helpers shared by the fangzha init scripts on OpenWrt
# (installed as /lib/functions/fangzha.sh; sourced, not run).
# (SC3043: `local` is in busybox ash and dash; SC2034: the variables are for
# the scripts that source this file.)
# POSIX sh plus `local`, as busybox ash has it.

FANGZHA_CONF=/etc/fangzha/fangzha.conf
FANGZHA_USER=fangzha
FANGZHA_STARTER=/usr/share/fangzha/starter
FANGZHA_DEFAULT_LIST=/var/lib/fangzha/blocklist.fzb
FANGZHA_RUN=/var/run/fangzha
FANGZHA_BIN=/usr/bin/fangzha

# fangzha_ini_get FILE SECTION KEY
# Print the value of KEY in [SECTION] of fangzha.conf (the first one; a
# "double-quoted" value loses its quotes, an unquoted one its " # comment").
# Exit status 1 when the file, the section or the key is absent.
fangzha_ini_get() {
	[ -r "$1" ] || return 1
	awk -v want="$2" -v key="$3" '
		{ sub(/\r$/, "") }
		/^[ \t]*[#;]/ || /^[ \t]*$/ { next }
		/^[ \t]*\[.*\][ \t]*$/ {
			sec = $0
			sub(/^[ \t]*\[[ \t]*/, "", sec)
			sub(/[ \t]*\][ \t]*$/, "", sec)
			gsub(/[ \t]+/, " ", sec)
			next
		}
		sec == want {
			eq = index($0, "=")
			if (!eq)
				next
			k = substr($0, 1, eq - 1)
			gsub(/^[ \t]+|[ \t]+$/, "", k)
			if (k != key)
				next
			v = substr($0, eq + 1)
			sub(/^[ \t]+/, "", v)
			if (substr(v, 1, 1) == "\"") {
				v = substr(v, 2)
				q = index(v, "\"")
				if (q)
					v = substr(v, 1, q - 1)
			} else {
				sub(/[ \t]+#.*$/, "", v)
				sub(/[ \t]+$/, "", v)
			}
			print v
			found = 1
			exit
		}
		END { exit(found ? 0 : 1) }
	' "$1"
}

# fangzha_list_path CONF: the blocklist fangzha-feed publishes ([feeds] output).
fangzha_list_path() {
	fangzha_ini_get "$1" feeds output || echo "$FANGZHA_DEFAULT_LIST"
}

# fangzha_prepare_dirs CONF: the state, list and log directories, owned by
# the fangzha user (/var is a tmpfs on OpenWrt: they are gone after a reboot).
fangzha_prepare_dirs() {
	local d list state
	list="$(fangzha_list_path "$1")"
	state="$(fangzha_ini_get "$1" feeds state_dir || echo /var/lib/fangzha)"
	for d in "$state" "${list%/*}" /var/log/fangzha; do
		[ -n "$d" ] || continue
		mkdir -p "$d"
		chown "$FANGZHA_USER:$FANGZHA_USER" "$d" 2>/dev/null
	done
	mkdir -p "$FANGZHA_RUN"
}

# fangzha_seed_list CONF
# When no blocklist exists yet (first start, or any start after a reboot:
# /var is a tmpfs), compile the bundled starter feed into it, so that
# fangzha-dns and fangzha-nfq can start at once instead of waiting for
# fangzha-feed's first cycle (which fetches every feed first, minutes
# without a WAN link). fangzha-feed then publishes the real list as the
# next generation (the daemons map it within a second).
fangzha_seed_list() {
	local list s rc
	list="$(fangzha_list_path "$1")"
	[ -e "$list" ] && return 0
	s="$FANGZHA_STARTER"
	[ -d "$s" ] || return 1
	mkdir -p "${list%/*}"
	"$FANGZHA_BIN" compile -o "$list" \
		--category fraud --name starter-hosts "$s/fraud.hosts" \
		--category phishing --name starter-domains "$s/phishing.domains" \
		--category fraud --name starter-adblock "$s/scam.adblock" \
		--category malware --name starter-rpz "$s/malware.rpz" \
		--name starter-urls "$s/apps.urls" \
		--name starter-csv "$s/urlhaus-style.csv" >/dev/null 2>&1
	rc=$?
	# 0: written; 3: written, some input unreadable
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		logger -t fangzha -p daemon.warn "no blocklist at $list and the starter feed did not compile (exit $rc)"
		return 1
	fi
	chown "$FANGZHA_USER:$FANGZHA_USER" "$list" 2>/dev/null
	logger -t fangzha -p daemon.notice "no blocklist at $list yet: seeded it with the starter feed until fangzha-feed publishes"
	return 0
}

# fangzha_wan_resolvers: the DNS servers netifd learned on the uplinks
# (resolv.conf.auto, not /tmp/resolv.conf, which points at dnsmasq), one per
# line, at most 8; loopback and scoped link-local addresses are left out.
fangzha_wan_resolvers() {
	local f
	for f in /tmp/resolv.conf.d/resolv.conf.auto /tmp/resolv.conf.auto; do
		[ -r "$f" ] || continue
		awk '
			$1 == "nameserver" && $2 != "" && $2 !~ /^127\./ && $2 != "::1" &&
			$2 != "0.0.0.0" && $2 !~ /%/ && !seen[$2]++ && n < 8 { print $2; n++ }
		' "$f"
		return 0
	done
	return 1
}

# fangzha_have_ipv6: the kernel has IPv6 (binding [::1] works).
fangzha_have_ipv6() {
	[ -e /proc/net/if_inet6 ]
}
