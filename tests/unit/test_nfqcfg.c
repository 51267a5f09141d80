/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_nfqcfg: the [nfq] schema — defaults, every key and its bounds, the
 * queue range, marks (hex or decimal, nonzero, disjoint), the ECH list,
 * the other daemons' sections skipped, every error with its file:line
 * text, and loading files.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <unistd.h>

#include "fz_feedcfg.h"
#include "fz_nfqcfg.h"
#include "fz_test.h"

static int parse(const char *text, struct fz_nfq_cfg *cfg)
{
	char err[512] = "";
	int r =
	    fz_nfq_cfg_parse((const uint8_t *)text, strlen(text), "t.conf", cfg, err, sizeof(err));

	if (r != 0)
		fprintf(stderr, "unexpected: %d %s\n", r, err);
	CHECK_INT(r, 0);
	return r;
}

/* Must fail with exactly `want`; cfg stays untouched. */
static void expect_err(const char *text, const char *want)
{
	struct fz_nfq_cfg cfg;
	char err[512] = "";
	int r;

	memset(&cfg, 0x5a, sizeof(cfg));
	r = fz_nfq_cfg_parse((const uint8_t *)text, strlen(text), "t.conf", &cfg, err, sizeof(err));
	CHECK_INT(r, -EINVAL);
	CHECK_STR(err, want);
	CHECK(cfg.n_queues == 0x5a5a);
	if (r == 0)
		fz_nfq_cfg_free(&cfg);
}

/* "[nfq]\n<line>" must fail on line 2 with `want` after "t.conf:2: ". */
static void expect_key_err(const char *line, const char *want)
{
	char text[2048], full[700];

	snprintf(text, sizeof(text), "[nfq]\n%s\n", line);
	snprintf(full, sizeof(full), "t.conf:2: %s", want);
	expect_err(text, full);
}

static void check_defaults(const struct fz_nfq_cfg *c)
{
	CHECK_INT(c->queue_first, 0);
	CHECK_INT(c->n_queues, 1);
	CHECK_STR(c->blocklist, FZ_FEEDS_DEFAULT_OUTPUT);
	CHECK(c->user == NULL);
	CHECK(c->events == NULL);
	CHECK(!c->have_metrics);
	CHECK(!c->fail_closed);
	CHECK_INT(c->queue_maxlen, 4096);
	CHECK_INT(c->rcvbuf, 8 << 20);
	CHECK_INT(c->mark_decided, 0x10000000);
	CHECK_INT(c->mark_blocked, 0x20000000);
	CHECK_INT(c->max_queued_bytes, 262144);
	CHECK_INT(c->max_flows, 65536);
	CHECK_INT(c->max_memory, 64ull << 20);
	CHECK_INT(c->flow_timeout_ms, 30000);
	CHECK_INT(c->dns_action, FZ_NFQ_DNS_NXDOMAIN);
	CHECK_INT(c->http_action, FZ_NFQ_HTTP_PAGE);
	CHECK(!c->block_dot);
	CHECK(!c->block_doh);
	CHECK(c->quic_icmp);
	CHECK(c->appeal == NULL);
	CHECK_INT(c->n_ech_block, 0);
}

static void test_defaults(void)
{
	struct fz_nfq_cfg c;

	fz_nfq_cfg_defaults(&c);
	check_defaults(&c);
	fz_nfq_cfg_free(&c);
	CHECK(c.blocklist == NULL);
	fz_nfq_cfg_free(NULL);

	/* An empty file, a file without [nfq], and an empty [nfq]: the defaults. */
	if (parse("", &c) == 0) {
		check_defaults(&c);
		fz_nfq_cfg_free(&c);
	}
	if (parse("[feeds]\noutput = /x.fzb\n", &c) == 0) {
		check_defaults(&c);
		fz_nfq_cfg_free(&c);
	}
	if (parse("# nothing\n[nfq]\n# queues = 3\n", &c) == 0) {
		check_defaults(&c);
		fz_nfq_cfg_free(&c);
	}
}

static void test_every_key(void)
{
	struct fz_nfq_cfg c;
	const char *text =
	    "[nfq]\n"
	    "queues = 4-7\n"
	    "blocklist = /srv/list.fzb\n"
	    "user = fangzha\n"
	    "events = -\n"
	    "metrics = [::1]@9154\n"
	    "fail_closed = yes\n"
	    "queue_maxlen = 100000\n"
	    "rcvbuf = 32M\n"
	    "mark_decided = 0x100\n"
	    "mark_blocked = 512\n"
	    "max_queued_bytes = 128k\n"
	    "max_flows = 1000\n"
	    "max_memory = 1G\n"
	    "flow_timeout = 2m\n"
	    "dns_action = drop\n"
	    "http_action = rst\n"
	    "block_dot = on\n"
	    "block_doh = true\n"
	    "quic_icmp = no\n"
	    "appeal = \"https://appeal.example/ # form\"\n"
	    "ech_block = cloudflare-ech.com, Crypto.Cloudflare.COM. ,\tech.example\n";

	if (parse(text, &c) != 0)
		return;
	CHECK_INT(c.queue_first, 4);
	CHECK_INT(c.n_queues, 4);
	CHECK_STR(c.blocklist, "/srv/list.fzb");
	CHECK_STR(c.user, "fangzha");
	CHECK_STR(c.events, "-");
	CHECK(c.have_metrics);
	CHECK_STR(c.metrics.text, "[::1]@9154");
	CHECK_INT(c.metrics.sa.ss_family, AF_INET6);
	CHECK_INT(ntohs(((struct sockaddr_in6 *)&c.metrics.sa)->sin6_port), 9154);
	CHECK(c.fail_closed);
	CHECK_INT(c.queue_maxlen, 100000);
	CHECK_INT(c.rcvbuf, 32 << 20);
	CHECK_INT(c.mark_decided, 0x100);
	CHECK_INT(c.mark_blocked, 0x200);
	CHECK_INT(c.max_queued_bytes, 131072);
	CHECK_INT(c.max_flows, 1000);
	CHECK_INT(c.max_memory, 1ull << 30);
	CHECK_INT(c.flow_timeout_ms, 120000);
	CHECK_INT(c.dns_action, FZ_NFQ_DNS_DROP);
	CHECK_INT(c.http_action, FZ_NFQ_HTTP_RST);
	CHECK(c.block_dot);
	CHECK(c.block_doh);
	CHECK(!c.quic_icmp);
	CHECK_STR(c.appeal, "https://appeal.example/ # form");
	CHECK_INT(c.n_ech_block, 3);
	if (c.n_ech_block == 3) {
		CHECK_STR(c.ech_block[0], "cloudflare-ech.com");
		CHECK_STR(c.ech_block[1], "crypto.cloudflare.com");
		CHECK_STR(c.ech_block[2], "ech.example");
	}
	fz_nfq_cfg_free(&c);
	CHECK(c.blocklist == NULL && c.n_ech_block == 0);
}

static void test_values(void)
{
	struct fz_nfq_cfg c;

	/* One queue, the highest queue range, upper-case hex marks, ms durations. */
	if (parse("[nfq]\nqueues = 9\nmark_decided = 0XAbC\nflow_timeout = 250ms\n", &c) == 0) {
		CHECK_INT(c.queue_first, 9);
		CHECK_INT(c.n_queues, 1);
		CHECK_INT(c.mark_decided, 0xabc);
		CHECK_INT(c.flow_timeout_ms, 250);
		fz_nfq_cfg_free(&c);
	}
	expect_err("[nfq]\nmark_blocked = 0xffffffff\nmark_decided = 0x0\n",
		   "t.conf:3: mark_decided: a mark must not be 0");
	expect_err(
	    "[nfq]\nmark_blocked = 0x80000000\nmark_decided = 4294967295\n",
	    "t.conf:3: mark_decided (0xffffffff) shares bits with mark_blocked (0x80000000)");
	if (parse("[nfq]\nqueues = 65472-65535\nmark_blocked = 0x80000000\n"
		  "mark_decided = 2147483647\n"
		  "max_queued_bytes = 1024\nmax_memory = 64k\nrcvbuf = 1G\nqueue_maxlen = 16\n"
		  "flow_timeout = 1h\nmax_flows = 16777216\n",
		  &c) == 0) {
		CHECK_INT(c.queue_first, 65472);
		CHECK_INT(c.n_queues, 64);
		CHECK_INT(c.mark_blocked, 0x80000000u);
		CHECK_INT(c.mark_decided, 0x7fffffff);
		CHECK_INT(c.max_queued_bytes, 1024);
		CHECK_INT(c.max_memory, 65536);
		CHECK_INT(c.rcvbuf, 1u << 30);
		CHECK_INT(c.queue_maxlen, 16);
		CHECK_INT(c.flow_timeout_ms, 3600000);
		CHECK_INT(c.max_flows, 1u << 24);
		fz_nfq_cfg_free(&c);
	}
	/* IDN names in the ECH list become A-labels. */
	if (parse("[nfq]\nech_block = 例子.测试\n", &c) == 0) {
		CHECK_INT(c.n_ech_block, 1);
		if (c.n_ech_block)
			CHECK_STR(c.ech_block[0], "xn--fsqu00a.xn--0zwm56d");
		fz_nfq_cfg_free(&c);
	}
	/* Up to 32 ECH names. */
	{
		char text[4096] = "[nfq]\nech_block =";
		for (int i = 0; i < FZ_NFQ_MAX_ECH_NAMES; i++) {
			char one[32];
			snprintf(one, sizeof(one), " n%d.example", i);
			strcat(text, one);
		}
		strcat(text, "\n");
		if (parse(text, &c) == 0) {
			CHECK_INT(c.n_ech_block, FZ_NFQ_MAX_ECH_NAMES);
			CHECK_STR(c.ech_block[31], "n31.example");
			fz_nfq_cfg_free(&c);
		}
		text[strlen(text) - 1] = '\0';
		strcat(text, " n32.example\n");
		expect_err(text, "t.conf:2: ech_block: more than 32 names");
	}
}

static void test_queues_parse(void)
{
	uint16_t f = 7, n = 7;

	CHECK_INT(fz_nfq_queues_parse("0", &f, &n), 0);
	CHECK_INT(f, 0);
	CHECK_INT(n, 1);
	CHECK_INT(fz_nfq_queues_parse("2-5", &f, &n), 0);
	CHECK_INT(f, 2);
	CHECK_INT(n, 4);
	CHECK_INT(fz_nfq_queues_parse("65535", &f, &n), 0);
	CHECK_INT(f, 65535);
	CHECK_INT(n, 1);
	CHECK_INT(fz_nfq_queues_parse("100-163", &f, &n), 0);
	CHECK_INT(n, 64);
	f = n = 7;
	const char *bad[] = {"",	   "-",	      "1-",    "-1",
			     "5-4",	   "100-164", "65536", "1 - 2",
			     " 1",	   "1-2-3",   "0x1",   "+1",
			     "1,2",	   "abc",     "0-",    "99999999999999999999999",
			     "65535-65536"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(fz_nfq_queues_parse(bad[i], &f, &n), -EINVAL);
		CHECK(f == 7 && n == 7);
	}
	CHECK_INT(fz_nfq_queues_parse(NULL, &f, &n), -EINVAL);
}

static void test_errors(void)
{
	expect_key_err("nosuch = 1", "unknown key 'nosuch' in [nfq]");
	expect_key_err("Queues = 1", "bad key 'Queues' (lowercase letters, digits and '_')");
	expect_err("[nfq]\nqueues = 1\nqueues = 2\n",
		   "t.conf:3: key 'queues' given twice in [nfq] (first on line 2)");
	expect_err("[nfq]\n[dns]\n[nfq]\n", "t.conf:3: [nfq] given twice (first on line 1)");
	expect_err("[nfq x]\n", "t.conf:1: [nfq] takes no name");
	expect_err("[bogus]\n",
		   "t.conf:1: unknown section [bogus] (known: nfq, feeds, feed NAME, dns, events, "
		   "metrics)");
	expect_key_err("queues = 3-1",
		       "queues: '3-1' is not N or N-M (0..65535, M >= N, at most 64 queues)");
	expect_key_err("queues = 0-64",
		       "queues: '0-64' is not N or N-M (0..65535, M >= N, at most 64 queues)");
	expect_key_err("blocklist =", "blocklist is empty");
	expect_key_err("user = a:b", "user: 'a:b' is not a user name");
	expect_key_err("metrics = 127.0.0.1",
		       "metrics: '127.0.0.1' is not ADDR@PORT (IPv6 in brackets: [::1]@9154; port "
		       "1..65535)");
	expect_key_err("fail_closed = maybe",
		       "fail_closed: 'maybe' is not yes/no, true/false, on/off or 1/0");
	expect_key_err("queue_maxlen = 15", "queue_maxlen: 15 is out of range 16..1048576");
	expect_key_err("queue_maxlen = x", "queue_maxlen: 'x' is not a whole number");
	expect_key_err("rcvbuf = 1k", "rcvbuf: 1k is out of range 64k..1G");
	expect_key_err("rcvbuf = 2G", "rcvbuf: 2G is out of range 64k..1G");
	expect_key_err("mark_decided = 0", "mark_decided: a mark must not be 0");
	expect_key_err("mark_blocked = 0x", "mark_blocked: '0x' is not a 32-bit mark (0x10000000 "
					    "or decimal)");
	expect_key_err("mark_blocked = 0x100000000",
		       "mark_blocked: '0x100000000' is not a 32-bit mark (0x10000000 or decimal)");
	expect_key_err("mark_blocked = 4294967296",
		       "mark_blocked: '4294967296' is not a 32-bit mark (0x10000000 or decimal)");
	expect_key_err("mark_blocked = 0x1g",
		       "mark_blocked: '0x1g' is not a 32-bit mark (0x10000000 or decimal)");
	expect_key_err("mark_decided = 0x30000000",
		       "mark_decided (0x30000000) shares bits with mark_blocked (0x20000000)");
	expect_err("[nfq]\nmark_blocked = 3\nmark_decided = 0x2\n",
		   "t.conf:3: mark_decided (0x2) shares bits with mark_blocked (0x3)");
	expect_err("[nfq]\nmark_decided = 0x2\n\nmark_blocked = 0x6\n",
		   "t.conf:4: mark_blocked (0x6) shares bits with mark_decided (0x2)");
	expect_key_err("max_queued_bytes = 1000", "max_queued_bytes: 1000 is out of range 1k..1G");
	expect_key_err("max_flows = 0", "max_flows: 0 is out of range 1..16777216");
	expect_key_err("max_memory = 65535", "max_memory: 65535 is out of range 64k..64G");
	expect_key_err("max_memory = 65G", "max_memory: 65G is out of range 64k..64G");
	expect_key_err("flow_timeout = 99ms",
		       "flow_timeout: 99ms is out of range 100ms..3600000ms");
	expect_key_err("flow_timeout = 2h", "flow_timeout: 2h is out of range 100ms..3600000ms");
	expect_key_err("flow_timeout = soon",
		       "flow_timeout: 'soon' is not a duration (a number with ms, s, m or h; a "
		       "plain number is seconds)");
	expect_key_err("dns_action = refuse", "dns_action: 'refuse' is not nxdomain or drop");
	expect_key_err("http_action = PAGE", "http_action: 'PAGE' is not page or rst");
	expect_key_err("block_dot = 2", "block_dot: '2' is not yes/no, true/false, on/off or 1/0");
	expect_key_err("ech_block = ,", "ech_block is empty");
	expect_key_err("ech_block = a.example, A.example.", "ech_block: a.example is given twice");
	expect_key_err(
	    "ech_block = a..example",
	    "ech_block: 'a..example' is not a name: empty label (two dots in a row, or a "
	    "leading dot)");
	expect_key_err("ech_block = *.example",
		       "ech_block: '*.example': ECH names are exact public names, not wildcards");
	{
		char line[400], want[400];

		memset(line, 0, sizeof(line));
		strcpy(line, "appeal = ");
		memset(line + strlen(line), 'a', 257);
		snprintf(want, sizeof(want), "appeal: longer than 256 bytes");
		expect_key_err(line, want);
		line[strlen(line) - 1] = '\0';
		struct fz_nfq_cfg c;
		char text[420];
		snprintf(text, sizeof(text), "[nfq]\n%s\n", line);
		if (parse(text, &c) == 0) {
			CHECK_INT(strlen(c.appeal), 256);
			fz_nfq_cfg_free(&c);
		}
	}
}

static void test_other_sections(void)
{
	struct fz_nfq_cfg c;
	const char *text = "[feeds]\noutput = /a.fzb\nwhatever = 1\n"
			   "[feed x]\nurl = file:///x\n"
			   "[dns]\nqueues = nonsense\nupstream = 192.0.2.1\n"
			   "[nfq]\nqueues = 2\n"
			   "[events]\nanything = 1\n"
			   "[metrics]\nqueues = 9\n";

	if (parse(text, &c) == 0) {
		CHECK_INT(c.queue_first, 2);
		CHECK_INT(c.n_queues, 1);
		fz_nfq_cfg_free(&c);
	}
}

static void test_small_err(void)
{
	struct fz_nfq_cfg c;
	char err[8];
	const char *text = "[nfq]\nbogus = 1\n";

	CHECK_INT(
	    fz_nfq_cfg_parse((const uint8_t *)text, strlen(text), "t.conf", &c, err, sizeof(err)),
	    -EINVAL);
	CHECK_STR(err, "t.conf:");
	CHECK_INT(fz_nfq_cfg_parse((const uint8_t *)text, strlen(text), NULL, &c, NULL, 0),
		  -EINVAL);
}

static void test_load(void)
{
	char path[] = "/tmp/test_nfqcfg.XXXXXX";
	char err[512] = "";
	struct fz_nfq_cfg c;
	int fd = mkstemp(path);
	const char *text = "[nfq]\nqueues = 1-2\nbad = 1\n";

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	CHECK_INT(fz_nfq_cfg_load(path, &c, err, sizeof(err)), -EINVAL);
	{
		char want[600];
		snprintf(want, sizeof(want), "%s:3: unknown key 'bad' in [nfq]", path);
		CHECK_STR(err, want);
	}
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_INT(write(fd, text, 19), 19); /* without the bad line */
		close(fd);
	}
	if (fz_nfq_cfg_load(path, &c, err, sizeof(err)) == 0) {
		CHECK_INT(c.queue_first, 1);
		CHECK_INT(c.n_queues, 2);
		fz_nfq_cfg_free(&c);
	} else {
		CHECK(0);
	}
	unlink(path);
	CHECK(fz_nfq_cfg_load(path, &c, err, sizeof(err)) < 0);
	CHECK(strstr(err, path) != NULL);

	/* The shipped file parses (its [nfq] holds only commented defaults). */
	{
		const char *src = getenv("FZ_FIXTURES");
#ifdef FZ_FIXTURES
		if (!src)
			src = FZ_FIXTURES;
#endif
		char shipped[1024];

		if (src) {
			snprintf(shipped, sizeof(shipped), "%s/../../etc/fangzha.conf", src);
			if (fz_nfq_cfg_load(shipped, &c, err, sizeof(err)) == 0) {
				check_defaults(&c);
				fz_nfq_cfg_free(&c);
			} else {
				fprintf(stderr, "%s\n", err);
				CHECK(0);
			}
		}
	}
}

int main(void)
{
	test_defaults();
	test_every_key();
	test_values();
	test_queues_parse();
	test_errors();
	test_other_sections();
	test_small_err();
	test_load();
	return fz_test_done();
}
