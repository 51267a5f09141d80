# shellcheck shell=sh
# fw4 script include of fangzha-nfq (/usr/share/fangzha/fw4-include.sh).
#
# Registered in /etc/config/firewall by /etc/uci-defaults/90-fangzha-nfq:
#   config include 'fangzha_nfq'
#       option type 'script'
#       option path '/usr/share/fangzha/fw4-include.sh'
#       option fw4_compatible '1'
# fw4 sources it (sh -c '. path', 30 s limit, UCI's `config` disabled) after
# it has loaded its ruleset: on every firewall start, restart and reload.
#
# Our rules are a table of their own (table inet fangzha). fw4 only ever
# flushes or deletes table inet fw4, except `fw4 flush` (what
# `/etc/init.d/firewall stop` runs), which deletes every table. So: when
# fangzha-nfq has its rules installed (the flag its init script keeps) and
# the table is gone, install it again. Nothing is done otherwise; nothing
# here can make fw4's own ruleset fail to load.

if [ -e /var/run/fangzha/nfq-rules ] && ! nft list table inet fangzha >/dev/null 2>&1; then
	if /usr/bin/fangzha rules install --backend nft --mode gateway \
		--config /etc/fangzha/fangzha.conf >/dev/null 2>&1; then
		logger -t fangzha-nfq -p daemon.notice "firewall reloaded: table inet fangzha installed again"
	else
		logger -t fangzha-nfq -p daemon.err "firewall reloaded: fangzha rules install failed"
	fi
fi
