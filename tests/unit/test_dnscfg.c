/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_dnscfg: the [dns] schema — defaults, every key and its bounds, lists,
 * endpoints, the other daemons' sections skipped, every error with its
 * file:line text, and loading files.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz_dnscfg.h"
#include "fz_feedcfg.h"
#include "fz_test.h"

static int parse(const char *text, struct fz_dns_cfg *cfg)
{
	char err[512] = "";
	int r =
	    fz_dns_cfg_parse((const uint8_t *)text, strlen(text), "t.conf", cfg, err, sizeof(err));

	if (r != 0)
		fprintf(stderr, "unexpected: %d %s\n", r, err);
	CHECK_INT(r, 0);
	return r;
}

/* Must fail with exactly `want`; cfg stays untouched. */
static void expect_err(const char *text, const char *want)
{
	struct fz_dns_cfg cfg;
	char err[512] = "";
	int r;

	memset(&cfg, 0x5a, sizeof(cfg));
	r = fz_dns_cfg_parse((const uint8_t *)text, strlen(text), "t.conf", &cfg, err, sizeof(err));
	CHECK_INT(r, -EINVAL);
	CHECK_STR(err, want);
	CHECK(cfg.n_listen == 0x5a5a5a5a5a5a5a5aull);
	if (r == 0)
		fz_dns_cfg_free(&cfg);
}

/* "[dns]\n<line>" must fail on line 2 with `want` after "t.conf:2: ". */
static void expect_key_err(const char *line, const char *want)
{
	char text[1024], full[600];

	snprintf(text, sizeof(text), "[dns]\n%s\n", line);
	snprintf(full, sizeof(full), "t.conf:2: %s", want);
	expect_err(text, full);
}

static uint16_t port_of(const struct fz_dns_endpoint *ep)
{
	if (ep->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&ep->sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&ep->sa)->sin6_port);
}

/* The address of an endpoint as text ("127.0.0.1", "::1"). */
static const char *addr_of(const struct fz_dns_endpoint *ep, char *buf, size_t cap)
{
	const void *a = ep->sa.ss_family == AF_INET
			    ? (const void *)&((const struct sockaddr_in *)&ep->sa)->sin_addr
			    : (const void *)&((const struct sockaddr_in6 *)&ep->sa)->sin6_addr;

	if (!inet_ntop(ep->sa.ss_family, a, buf, (socklen_t)cap))
		snprintf(buf, cap, "?");
	return buf;
}

static void check_ep(const struct fz_dns_endpoint *ep, int family, const char *addr, uint16_t port,
		     const char *text)
{
	char buf[64];

	CHECK_INT(ep->sa.ss_family, family);
	CHECK_INT(ep->salen,
		  family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	CHECK_STR(addr_of(ep, buf, sizeof(buf)), addr);
	CHECK_INT(port_of(ep), port);
	CHECK_STR(ep->text, text);
}

static void check_defaults(const struct fz_dns_cfg *c)
{
	CHECK_INT(c->n_listen, 2);
	check_ep(&c->listen[0], AF_INET, "127.0.0.1", 53, "127.0.0.1@53");
	check_ep(&c->listen[1], AF_INET6, "::1", 53, "[::1]@53");
	CHECK_INT(c->n_upstream, 0);
	CHECK_STR(c->blocklist, FZ_FEEDS_DEFAULT_OUTPUT);
	CHECK_INT(c->threads, 0);
	CHECK(c->user == NULL);
	CHECK(c->allow_nets == NULL && c->n_allow_nets == 0);
	CHECK(c->refuse);
	CHECK_INT(c->rrl_rate, 0);
	CHECK_INT(c->rrl_burst, 0);
	for (int i = 0; i < FZ_CAT_COUNT; i++)
		CHECK_INT(c->action[i], FZ_DNS_ACTION_NXDOMAIN);
	CHECK_INT(c->n_sinkhole, 0);
	CHECK_INT(c->block_ttl, 60);
	CHECK(c->cname_check);
	CHECK(c->ip_check);
	CHECK_INT(c->upstream_timeout_ms, 1500);
	CHECK_INT(c->upstream_attempts, 3);
	CHECK(c->cache_size == 64ull << 20);
	CHECK_INT(c->cache_min_ttl, 0);
	CHECK_INT(c->cache_max_ttl, 86400);
	CHECK_INT(c->cache_max_negative_ttl, 3600);
	CHECK_INT(c->tcp_max_clients, 1000);
	CHECK_INT(c->tcp_idle_timeout_ms, 10000);
	CHECK(c->events == NULL);
	CHECK(!c->have_metrics);
}

static void test_defaults(void)
{
	struct fz_dns_cfg c;

	fz_dns_cfg_defaults(&c);
	check_defaults(&c);
	fz_dns_cfg_free(&c);
	CHECK(c.blocklist == NULL && c.n_listen == 0);
	fz_dns_cfg_free(&c); /* twice is harmless */

	/* An empty file, a file without [dns], and an empty [dns] all give the defaults. */
	if (parse("", &c) == 0) {
		check_defaults(&c);
		fz_dns_cfg_free(&c);
	}
	if (parse("# nothing\n[feeds]\noutput = /x.fzb\n", &c) == 0) {
		check_defaults(&c);
		fz_dns_cfg_free(&c);
	}
	if (parse("[dns]\n", &c) == 0) {
		check_defaults(&c);
		fz_dns_cfg_free(&c);
	}
}

static void test_every_key(void)
{
	static const char text[] = "# the resolver\n"
				   "[dns]\n"
				   "listen = 192.0.2.1@5353, [2001:db8::1]@53 10.0.0.1\n"
				   "upstream = 198.51.100.1, [2001:db8::53]@5300\n"
				   "blocklist = /srv/list.fzb\n"
				   "threads = 4\n"
				   "user = fangzha\n"
				   "allow_nets = 192.0.2.0/24, 2001:db8::/32 203.0.113.9\n"
				   "refuse = no\n"
				   "rrl_rate = 100\n"
				   "rrl_burst = 200\n"
				   "action = nodata\n"
				   "action_phishing = sinkhole\n"
				   "action_doh = nxdomain\n"
				   "sinkhole = 192.0.2.80, 2001:db8::80\n"
				   "block_ttl = 5m\n"
				   "cname_check = false\n"
				   "ip_check = off\n"
				   "upstream_timeout = 750ms\n"
				   "upstream_attempts = 5\n"
				   "cache_size = 16M\n"
				   "cache_min_ttl = 30\n"
				   "cache_max_ttl = 2h\n"
				   "cache_max_negative_ttl = 15m\n"
				   "tcp_max_clients = 50\n"
				   "tcp_idle_timeout = 3s\n"
				   "events = \"/var/log/fangzha/events.json\"\n"
				   "metrics = 127.0.0.1@9153\n";
	struct fz_dns_cfg c;
	uint8_t want4[17] = {4, 192, 0, 2, 80}, want6[17] = {6, 0x20, 0x01, 0x0d, 0xb8};

	want6[16] = 0x80;
	if (parse(text, &c) != 0)
		return;
	CHECK_INT(c.n_listen, 3);
	check_ep(&c.listen[0], AF_INET, "192.0.2.1", 5353, "192.0.2.1@5353");
	check_ep(&c.listen[1], AF_INET6, "2001:db8::1", 53, "[2001:db8::1]@53");
	check_ep(&c.listen[2], AF_INET, "10.0.0.1", 53, "10.0.0.1");
	CHECK_INT(c.n_upstream, 2);
	check_ep(&c.upstream[0], AF_INET, "198.51.100.1", 53, "198.51.100.1");
	check_ep(&c.upstream[1], AF_INET6, "2001:db8::53", 5300, "[2001:db8::53]@5300");
	CHECK_STR(c.blocklist, "/srv/list.fzb");
	CHECK_INT(c.threads, 4);
	CHECK_STR(c.user, "fangzha");
	CHECK_INT(c.n_allow_nets, 3);
	if (c.n_allow_nets == 3) {
		CHECK_STR(c.allow_nets[0], "192.0.2.0/24");
		CHECK_STR(c.allow_nets[1], "2001:db8::/32");
		CHECK_STR(c.allow_nets[2], "203.0.113.9");
	}
	CHECK(!c.refuse);
	CHECK_INT(c.rrl_rate, 100);
	CHECK_INT(c.rrl_burst, 200);
	CHECK_INT(c.action[FZ_CAT_FRAUD], FZ_DNS_ACTION_NODATA);
	CHECK_INT(c.action[FZ_CAT_PHISHING], FZ_DNS_ACTION_SINKHOLE);
	CHECK_INT(c.action[FZ_CAT_MALWARE], FZ_DNS_ACTION_NODATA);
	CHECK_INT(c.action[FZ_CAT_GAMBLING], FZ_DNS_ACTION_NODATA);
	CHECK_INT(c.action[FZ_CAT_DOH], FZ_DNS_ACTION_NXDOMAIN);
	CHECK_INT(c.action[FZ_CAT_CUSTOM], FZ_DNS_ACTION_NODATA);
	CHECK_INT(c.n_sinkhole, 2);
	CHECK(memcmp(c.sinkhole[0], want4, 17) == 0);
	CHECK(memcmp(c.sinkhole[1], want6, 17) == 0);
	CHECK_INT(c.block_ttl, 300);
	CHECK(!c.cname_check);
	CHECK(!c.ip_check);
	CHECK_INT(c.upstream_timeout_ms, 750);
	CHECK_INT(c.upstream_attempts, 5);
	CHECK(c.cache_size == 16ull << 20);
	CHECK_INT(c.cache_min_ttl, 30);
	CHECK_INT(c.cache_max_ttl, 7200);
	CHECK_INT(c.cache_max_negative_ttl, 900);
	CHECK_INT(c.tcp_max_clients, 50);
	CHECK_INT(c.tcp_idle_timeout_ms, 3000);
	CHECK_STR(c.events, "/var/log/fangzha/events.json");
	CHECK(c.have_metrics);
	check_ep(&c.metrics, AF_INET, "127.0.0.1", 9153, "127.0.0.1@9153");
	fz_dns_cfg_free(&c);
	CHECK(c.user == NULL && c.allow_nets == NULL && c.events == NULL);
}

/* Other daemons' sections are skipped whatever their keys; [dns] may come anywhere. */
static void test_other_sections(void)
{
	static const char text[] = "[feeds]\n"
				   "output = /x.fzb\n"
				   "[feed urlhaus]\n"
				   "url = https://example.org/x\n"
				   "whatever = 1\n"
				   "[dns]\n"
				   "threads = 2\n"
				   "[nfq]\n"
				   "queue = 3\n"
				   "threads = bogus\n"
				   "[events]\n"
				   "x = y\n"
				   "[metrics]\n"
				   "listen = z\n";
	struct fz_dns_cfg c;

	if (parse(text, &c) == 0) {
		CHECK_INT(c.threads, 2);
		CHECK_INT(c.n_listen, 2);
		fz_dns_cfg_free(&c);
	}
}

static void test_values(void)
{
	struct fz_dns_cfg c;

	/* Milliseconds, seconds, a plain number is seconds, minutes. */
	if (parse("[dns]\nupstream_timeout = 2s\ntcp_idle_timeout = 1m\n", &c) == 0) {
		CHECK_INT(c.upstream_timeout_ms, 2000);
		CHECK_INT(c.tcp_idle_timeout_ms, 60000);
		fz_dns_cfg_free(&c);
	}
	if (parse("[dns]\nupstream_timeout = 3\ntcp_idle_timeout = 100ms\n", &c) == 0) {
		CHECK_INT(c.upstream_timeout_ms, 3000);
		CHECK_INT(c.tcp_idle_timeout_ms, 100);
		fz_dns_cfg_free(&c);
	}
	/* The bounds themselves are accepted. */
	if (parse("[dns]\nthreads = 64\nupstream_attempts = 16\nupstream_timeout = 10ms\n"
		  "cache_size = 0\nblock_ttl = 0\ncache_max_ttl = 7d\ncache_min_ttl = 7d\n"
		  "tcp_max_clients = 65536\nrrl_rate = 1000000\n",
		  &c) == 0) {
		CHECK_INT(c.threads, 64);
		CHECK_INT(c.upstream_attempts, 16);
		CHECK_INT(c.upstream_timeout_ms, 10);
		CHECK(c.cache_size == 0);
		CHECK_INT(c.block_ttl, 0);
		CHECK_INT(c.cache_max_ttl, 604800);
		CHECK_INT(c.cache_min_ttl, 604800);
		CHECK_INT(c.tcp_max_clients, 65536);
		CHECK_INT(c.rrl_rate, 1000000);
		fz_dns_cfg_free(&c);
	}
	/* One action for all, sinkhole with addresses; list separators and a comment. */
	if (parse("[dns]\naction = sinkhole\nsinkhole = \"0.0.0.0,, ::\"  \n", &c) == 0) {
		for (int i = 0; i < FZ_CAT_COUNT; i++)
			CHECK_INT(c.action[i], FZ_DNS_ACTION_SINKHOLE);
		CHECK_INT(c.n_sinkhole, 2);
		CHECK_INT(c.sinkhole[0][0], 4);
		CHECK_INT(c.sinkhole[1][0], 6);
		fz_dns_cfg_free(&c);
	}
	/* action_<category> beats action whatever the order. */
	if (parse("[dns]\naction_gambling = nodata\naction = sinkhole\nsinkhole = 192.0.2.1\n",
		  &c) == 0) {
		CHECK_INT(c.action[FZ_CAT_GAMBLING], FZ_DNS_ACTION_NODATA);
		CHECK_INT(c.action[FZ_CAT_FRAUD], FZ_DNS_ACTION_SINKHOLE);
		fz_dns_cfg_free(&c);
	}
	/* Full lists. */
	if (parse("[dns]\nlisten = 127.0.0.1@1 127.0.0.1@2 127.0.0.1@3 127.0.0.1@4 127.0.0.1@5 "
		  "127.0.0.1@6 127.0.0.1@7 127.0.0.1@8 127.0.0.1@9 127.0.0.1@10 127.0.0.1@11 "
		  "127.0.0.1@12 127.0.0.1@13 127.0.0.1@14 127.0.0.1@15 127.0.0.1@65535\n"
		  "sinkhole = 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 ::1 ::2\n",
		  &c) == 0) {
		CHECK_INT(c.n_listen, 16);
		CHECK_INT(port_of(&c.listen[15]), 65535);
		CHECK_INT(c.n_sinkhole, 8);
		fz_dns_cfg_free(&c);
	}
	/* The same address on two ports is two endpoints; v4 and v6 of one port too. */
	if (parse("[dns]\nupstream = 127.0.0.1@53 127.0.0.1@54 [::1] ::2\n", &c) == 0) {
		CHECK_INT(c.n_upstream, 4);
		check_ep(&c.upstream[2], AF_INET6, "::1", 53, "[::1]");
		check_ep(&c.upstream[3], AF_INET6, "::2", 53, "::2");
		fz_dns_cfg_free(&c);
	}
	if (parse("[dns]\nmetrics = [::1]@9153\nevents = -\n", &c) == 0) {
		check_ep(&c.metrics, AF_INET6, "::1", 9153, "[::1]@9153");
		CHECK_STR(c.events, "-");
		fz_dns_cfg_free(&c);
	}
}

static void test_errors(void)
{
	expect_err("[dnss]\n", "t.conf:1: unknown section [dnss] (known: dns, feeds, feed NAME, "
			       "nfq, events, metrics)");
	expect_err("[dns]\nthreads = 1\n[dns]\n", "t.conf:3: [dns] given twice (first on line 1)");
	expect_err("\n[dns x]\n", "t.conf:2: [dns] takes no name");
	expect_err("[dns]\nthreads = 1\n\nthreads = 2\n",
		   "t.conf:4: key 'threads' given twice in [dns] (first on line 2)");
	expect_key_err("listn = 1.2.3.4", "unknown key 'listn' in [dns]");

	expect_key_err("listen = 127.0.0.1@0", "listen: '127.0.0.1@0' is not ADDR or ADDR@PORT "
					       "(IPv6 in brackets: [::1]@53; port 1..65535)");
	expect_key_err("listen = 127.0.0.1 ::1@53", "listen: '::1@53' is not ADDR or ADDR@PORT "
						    "(IPv6 in brackets: [::1]@53; port 1..65535)");
	expect_key_err("listen = ,", "listen is empty");
	expect_key_err("listen =", "listen is empty");
	expect_key_err("upstream = 127.0.0.1 127.0.0.1@53",
		       "upstream: 127.0.0.1@53 is given twice");
	expect_key_err("upstream = 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 "
		       "1.1.1.8 1.1.1.9",
		       "upstream: more than 8 addresses");
	expect_key_err("upstream = example.org", "upstream: 'example.org' is not ADDR or ADDR@PORT "
						 "(IPv6 in brackets: [::1]@53; port 1..65535)");
	expect_key_err("blocklist = \"\"", "blocklist is empty");
	expect_key_err("threads = 65", "threads: 65 is out of range 0..64");
	expect_key_err("threads = -1", "threads: '-1' is not a whole number");
	expect_key_err("user = a:b", "user: 'a:b' is not a user name");
	expect_key_err("allow_nets = 10.0.0.0/33",
		       "allow_nets: '10.0.0.0/33' is not a network (192.0.2.0/24, 2001:db8::/32 "
		       "or an address)");
	expect_key_err("allow_nets = fe80::/129",
		       "allow_nets: 'fe80::/129' is not a network (192.0.2.0/24, 2001:db8::/32 "
		       "or an address)");
	expect_key_err("allow_nets = 10.0.0.0/",
		       "allow_nets: '10.0.0.0/' is not a network (192.0.2.0/24, 2001:db8::/32 "
		       "or an address)");
	expect_key_err("refuse = maybe",
		       "refuse: 'maybe' is not yes/no, true/false, on/off or 1/0");
	expect_key_err("rrl_rate = 1000001", "rrl_rate: 1000001 is out of range 0..1000000");
	expect_key_err("rrl_burst = x", "rrl_burst: 'x' is not a whole number");
	expect_key_err("action = drop", "action: 'drop' is not nxdomain, nodata or sinkhole");
	expect_key_err("action_malware = NXDOMAIN",
		       "action_malware: 'NXDOMAIN' is not nxdomain, nodata or sinkhole");
	expect_key_err("action_spam = nodata", "unknown key 'action_spam' in [dns]");
	expect_key_err("sinkhole = 192.0.2.300",
		       "sinkhole: '192.0.2.300' is not an IPv4 or IPv6 address");
	expect_key_err("sinkhole = ::1 ::1", "sinkhole: ::1 is given twice");
	expect_key_err("sinkhole = 1.0.0.1 1.0.0.2 1.0.0.3 1.0.0.4 1.0.0.5 1.0.0.6 1.0.0.7 "
		       "1.0.0.8 1.0.0.9",
		       "sinkhole: more than 8 addresses");
	expect_key_err("block_ttl = 8d", "block_ttl: 8d is out of range 0s..604800s");
	expect_key_err("cname_check = 2",
		       "cname_check: '2' is not yes/no, true/false, on/off or 1/0");
	expect_key_err("ip_check =", "ip_check: '' is not yes/no, true/false, on/off or 1/0");
	expect_key_err("upstream_timeout = 5ms",
		       "upstream_timeout: 5ms is out of range 10ms..60000ms");
	expect_key_err("upstream_timeout = 1500", "upstream_timeout: 1500 is out of range "
						  "10ms..60000ms");
	expect_key_err("upstream_timeout = 1.5s",
		       "upstream_timeout: '1.5s' is not a duration (a number with ms, s, m or h; a "
		       "plain number is seconds)");
	expect_key_err("upstream_timeout = ms",
		       "upstream_timeout: 'ms' is not a duration (a number with ms, s, m or h; a "
		       "plain number is seconds)");
	expect_key_err("upstream_timeout = 99999999999999999999ms",
		       "upstream_timeout: '99999999999999999999ms' is not a duration (a number "
		       "with ms, s, m or h; a plain number is seconds)");
	expect_key_err("upstream_timeout = 18446744073709551615s",
		       "upstream_timeout: 18446744073709551615s is out of range 10ms..60000ms");
	expect_key_err("upstream_attempts = 0", "upstream_attempts: 0 is out of range 1..16");
	expect_key_err("cache_size = 65G", "cache_size: 65G is out of range 0..64G");
	expect_key_err("cache_size = 1T", "cache_size: '1T' is not a size (a number of bytes, or "
					  "with k, M or G)");
	expect_key_err("cache_min_ttl = 1y", "cache_min_ttl: '1y' is not a duration (a number with "
					     "s, m, h or d)");
	expect_key_err("cache_max_negative_ttl = 604801",
		       "cache_max_negative_ttl: 604801 is out of range 0s..604800s");
	expect_key_err("tcp_max_clients = 0", "tcp_max_clients: 0 is out of range 1..65536");
	expect_key_err("tcp_idle_timeout = 2h",
		       "tcp_idle_timeout: 2h is out of range 100ms..3600000ms");
	expect_key_err("events = \"\"", "events is empty");
	expect_key_err("metrics = 127.0.0.1", "metrics: '127.0.0.1' is not ADDR@PORT (IPv6 in "
					      "brackets: [::1]@9153; port 1..65535)");

	/* What needs the whole section names the line of the key concerned. */
	expect_err("[dns]\nthreads = 1\naction = sinkhole\n",
		   "t.conf:3: action = sinkhole needs sinkhole addresses (sinkhole = ADDR, ...)");
	expect_err("[dns]\naction = sinkhole\naction_fraud = nxdomain\naction_doh = sinkhole\n",
		   "t.conf:2: action = sinkhole needs sinkhole addresses (sinkhole = ADDR, ...)");
	expect_err("[dns]\naction_fraud = nodata\naction_doh = sinkhole\n",
		   "t.conf:3: action_doh = sinkhole needs sinkhole addresses (sinkhole = ADDR, "
		   "...)");
	expect_err("[dns]\ncache_max_ttl = 60\n\ncache_min_ttl = 2m\n",
		   "t.conf:4: cache_min_ttl (120s) is above cache_max_ttl (60s)");
}

/* Equal TTLs are fine; a minimum above the default maximum is not. */
static void test_ttl_order(void)
{
	struct fz_dns_cfg c;

	if (parse("[dns]\ncache_max_ttl = 0\ncache_min_ttl = 0\n", &c) == 0) {
		CHECK_INT(c.cache_max_ttl, 0);
		fz_dns_cfg_free(&c);
	}
	if (parse("[dns]\ncache_min_ttl = 1d\n", &c) == 0) {
		CHECK_INT(c.cache_min_ttl, 86400);
		fz_dns_cfg_free(&c);
	}
	expect_err("[dns]\ncache_min_ttl = 2d\n",
		   "t.conf:2: cache_min_ttl (172800s) is above cache_max_ttl (86400s)");
	expect_err("[dns]\ncache_min_ttl = 1d\ncache_max_ttl = 1h\n",
		   "t.conf:2: cache_min_ttl (86400s) is above cache_max_ttl (3600s)");
}

static void test_endpoint_parse(void)
{
	struct fz_dns_endpoint ep;
	static const char *const bad[] = {
	    "",
	    "@53",
	    "127.0.0.1@",
	    "127.0.0.1@65536",
	    "127.0.0.1@0",
	    "127.0.0.1@+53",
	    "127.0.0.1@53x",
	    "127.0.0.1:53",
	    "127.0.0.1@53@54",
	    "::1@53",
	    "[::1]:53",
	    "[::1",
	    "[::1]x",
	    "[]@53",
	    "[127.0.0.1]@53",
	    "[::1]@",
	    "1.2.3",
	    "localhost@53",
	    " 127.0.0.1@53",
	    "fe80::1%eth0",
	    "[0000:0000:0000:0000:0000:0000:0000:0001]@5353xxxxxxxxxxxxxxxxxxxxxxx", /* 64 bytes */
	};

	CHECK_INT(fz_dns_endpoint_parse("127.0.0.1@53", 0, &ep), 0);
	check_ep(&ep, AF_INET, "127.0.0.1", 53, "127.0.0.1@53");
	CHECK_INT(fz_dns_endpoint_parse("[::1]@5353", 0, &ep), 0);
	check_ep(&ep, AF_INET6, "::1", 5353, "[::1]@5353");
	CHECK_INT(fz_dns_endpoint_parse("::1", 53, &ep), 0);
	check_ep(&ep, AF_INET6, "::1", 53, "::1");
	CHECK_INT(fz_dns_endpoint_parse("[::ffff:192.0.2.1]", 853, &ep), 0);
	check_ep(&ep, AF_INET6, "::ffff:192.0.2.1", 853, "[::ffff:192.0.2.1]");
	CHECK_INT(fz_dns_endpoint_parse("0.0.0.0@65535", 53, &ep), 0);
	check_ep(&ep, AF_INET, "0.0.0.0", 65535, "0.0.0.0@65535");
	CHECK_INT(fz_dns_endpoint_parse("192.0.2.1@00053", 0, &ep), 0);
	CHECK_INT(port_of(&ep), 53);
	/* A port is required when there is no default. */
	CHECK_INT(fz_dns_endpoint_parse("192.0.2.1", 0, &ep), -EINVAL);
	CHECK_INT(fz_dns_endpoint_parse("[::1]", 0, &ep), -EINVAL);
	/* 63 bytes fit in text, 64 do not. */
	CHECK_INT(fz_dns_endpoint_parse(
		      "[0000:0000:0000:0000:0000:0000:0000:0001]@5353xxxxxxxxxxxx", 0, &ep),
		  -EINVAL);
	CHECK_INT(fz_dns_endpoint_parse("[0000:0000:0000:0000:0000:0000:0000:0001]@00000000000053",
					0, &ep),
		  -EINVAL); /* port of 14 digits */
	CHECK_INT(fz_dns_endpoint_parse("[0000:0000:0000:0000:0000:0000:0000:0001]@53", 0, &ep), 0);
	check_ep(&ep, AF_INET6, "::1", 53, "[0000:0000:0000:0000:0000:0000:0000:0001]@53");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = fz_dns_endpoint_parse(bad[i], 53, &ep);

		if (r != -EINVAL)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		CHECK_INT(r, -EINVAL);
	}
	CHECK_INT(fz_dns_endpoint_parse(NULL, 53, &ep), -EINVAL);
}

static void test_load(void)
{
	char dir[] = "/tmp/fz_dnscfg_XXXXXX", path[256], err[512];
	struct fz_dns_cfg c;
	FILE *f;
	int r;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/fangzha.conf", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("[feeds]\noutput = /x\n[dns]\nupstream = 127.0.0.1@5300\nthreads = nine\n", f);
	fclose(f);
	r = fz_dns_cfg_load(path, &c, err, sizeof(err));
	CHECK_INT(r, -EINVAL);
	{
		char want[512];

		snprintf(want, sizeof(want), "%s:5: threads: 'nine' is not a whole number", path);
		CHECK_STR(err, want);
	}

	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("[dns]\r\nupstream = 127.0.0.1@5300\r\n", f);
	fclose(f);
	r = fz_dns_cfg_load(path, &c, err, sizeof(err));
	CHECK_INT(r, 0);
	if (r == 0) {
		CHECK_INT(c.n_upstream, 1);
		CHECK_INT(port_of(&c.upstream[0]), 5300);
		fz_dns_cfg_free(&c);
	}

	/* Larger than 1 MiB: refused. */
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	for (int i = 0; i < (1 << 20) / 16 + 1; i++)
		fputs("# .............\n", f); /* 16 bytes */
	fclose(f);
	r = fz_dns_cfg_load(path, &c, err, sizeof(err));
	CHECK_INT(r, -EFBIG);

	r = fz_dns_cfg_load(dir, &c, err, sizeof(err));
	CHECK_INT(r, -EINVAL);
	unlink(path);
	r = fz_dns_cfg_load(path, &c, err, sizeof(err));
	CHECK_INT(r, -ENOENT);
	rmdir(dir);
}

/* Bytes that are not text: refused with a location, never a crash. */
static void test_garbage(void)
{
	static const uint8_t junk[] = {'[', 'd', 'n', 's', ']', '\n', 't', 'h', 'r', 'e',
				       'a', 'd', 's', ' ', '=', ' ',  '1', 0,	'2', '\n'};
	struct fz_dns_cfg c;
	char err[512] = "";
	int r = fz_dns_cfg_parse(junk, sizeof(junk), "t.conf", &c, err, sizeof(err));

	CHECK_INT(r, -EINVAL);
	CHECK(strncmp(err, "t.conf:2: ", 10) == 0);
	if (r == 0)
		fz_dns_cfg_free(&c);
	/* A tiny error buffer holds a prefix. */
	r = fz_dns_cfg_parse((const uint8_t *)"[x]\n", 4, "t.conf", &c, err, 8);
	CHECK_INT(r, -EINVAL);
	CHECK_STR(err, "t.conf:");
}

int main(void)
{
	test_defaults();
	test_every_key();
	test_other_sections();
	test_values();
	test_errors();
	test_ttl_order();
	test_endpoint_parse();
	test_load();
	test_garbage();
	return fz_test_done();
}
