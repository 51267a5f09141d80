/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_feedcfg: the [feeds] / [feed NAME] schema — defaults, every key and
 * its bounds, every error with its file:line text, loading files, and the
 * shipped etc/fangzha.conf (with its commented examples switched on).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz_feedcfg.h"
#include "fz_test.h"

#ifndef FZ_FIXTURES
#define FZ_FIXTURES "tests/fixtures"
#endif

static const char *fixtures(void)
{
	const char *env = getenv("FZ_FIXTURES");

	return env && *env ? env : FZ_FIXTURES;
}

/* Parse a text that must be valid. */
static int parse(const char *text, struct fz_feeds_cfg *cfg)
{
	char err[512] = "";
	int r = fz_feeds_cfg_parse((const uint8_t *)text, strlen(text), "t.conf", cfg, err,
				   sizeof(err));

	if (r != 0)
		fprintf(stderr, "unexpected: %d %s\n", r, err);
	CHECK_INT(r, 0);
	return r;
}

/* Parse a text that must fail with exactly `want`; cfg stays untouched. */
static void expect_err(const char *text, const char *want)
{
	struct fz_feeds_cfg cfg;
	char err[512] = "";
	int r;

	memset(&cfg, 0, sizeof(cfg));
	r = fz_feeds_cfg_parse((const uint8_t *)text, strlen(text), "t.conf", &cfg, err,
			       sizeof(err));
	CHECK_INT(r, -EINVAL);
	CHECK_STR(err, want);
	CHECK(cfg.file == NULL && cfg.feeds == NULL && cfg.n_feeds == 0);
	if (r == 0)
		fz_feeds_cfg_free(&cfg);
}

/* One feed section with `body`, then the value of interest. */
static void expect_feed_err(const char *body, const char *want)
{
	char text[1024];

	snprintf(text, sizeof(text), "[feed f]\nurl = https://x.example/l\n%s\n", body);
	expect_err(text, want);
}

static void check_feed_defaults(const struct fz_feed_cfg *f)
{
	CHECK_INT(f->format, FZ_FORMAT_AUTO);
	CHECK_INT(f->category, FZ_CAT_FRAUD);
	CHECK_INT(f->match, FZ_MATCH_DEFAULT);
	CHECK_INT(f->interval, 3600);
	CHECK(f->max_size == 256ull << 20);
	CHECK_INT(f->min_entries, 1);
	CHECK_INT(f->max_shrink, 50);
	CHECK(!f->has_sha256);
	CHECK(f->minisign_key == NULL);
	CHECK(f->signature_url == NULL);
	CHECK(f->enabled);
}

static void test_empty(void)
{
	struct fz_feeds_cfg cfg;

	/* Nothing at all, only comments, only other daemons' sections: all valid. */
	static const char *const texts[] = {"", "# nothing\n", "[feeds]\n",
					    "[dns]\nlisten = 127.0.0.1\n[nfq]\nqueue = 3\n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (parse(texts[i], &cfg) != 0)
			continue;
		CHECK_STR(cfg.file, "t.conf");
		CHECK_STR(cfg.output, FZ_FEEDS_DEFAULT_OUTPUT);
		CHECK_STR(cfg.output, "/var/lib/fangzha/blocklist.fzb");
		CHECK_STR(cfg.state_dir, "/var/lib/fangzha");
		CHECK(cfg.allow == NULL && cfg.block == NULL && cfg.ca_file == NULL &&
		      cfg.user_agent == NULL);
		CHECK_INT(cfg.concurrency, 4);
		CHECK_INT(cfg.connect_timeout, 15);
		CHECK_INT(cfg.timeout, 300);
		CHECK_INT(cfg.retries, 2);
		CHECK_INT(cfg.n_feeds, 0);
		fz_feeds_cfg_free(&cfg);
		CHECK(cfg.file == NULL && cfg.output == NULL); /* free clears */
	}
	fz_feeds_cfg_free(&cfg); /* twice is fine */
	fz_feeds_cfg_free(NULL);
}

static void test_full(void)
{
	const char *text =
	    "# all keys\n"
	    "[feeds]\n"
	    "output = /srv/fz/out.fzb\n"
	    "state_dir = \"/srv/fz state\"   # quoted: blanks kept\n"
	    "allow = /etc/fangzha/allow.txt\n"
	    "block = /etc/fangzha/block.txt\n"
	    "ca_file = /etc/fangzha/ca.pem\n"
	    "user_agent = \"fangzha-feed/0.1 (+https://x.example/#contact)\"\n"
	    "concurrency = 64\n"
	    "connect_timeout = 1m\n"
	    "timeout = 1d\n"
	    "retries = 10\n"
	    "\n"
	    "[dns]\n"
	    "anything = goes here\n"
	    "anything = twice\n"
	    "[feed urlhaus]\n"
	    "url = https://urlhaus.abuse.ch/downloads/csv_online/\n"
	    "format = csv\n"
	    "category = malware\n"
	    "match = exact\n"
	    "interval = 60s\n"
	    "max_size = 4G\n"
	    "min_entries = 0\n"
	    "max_shrink = 100%\n"
	    "sha256 = 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\n"
	    "enabled = no\n"
	    "[feed Signed_list.v2-1]\n"
	    "url = HTTP://lists.example/a.txt#frag\n"
	    "minisign_key = RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n"
	    "signature_url = file:///srv/sig/a.minisig\n"
	    "format = domains\n"
	    "category = doh\n"
	    "match = subtree\n"
	    "max_shrink = 0\n"
	    "max_size = 1\n"
	    "[metrics]\n"
	    "[feed rpz]\n"
	    "url = axfr://[2001:db8::53]:5353/rpz.example.\n"
	    "[feed defaults]\n"
	    "url = file:///usr/share/fangzha/starter/fraud.hosts\n"
	    "[feed mini]\n"
	    "url = https://m.example/l.txt\n"
	    "minisign_key = RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n"
	    "category = gambling\n"
	    "[events]\n";
	static const uint8_t pin[32] = {0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65,
					0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
					0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c,
					0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08};
	struct fz_feeds_cfg cfg;
	const struct fz_feed_cfg *f;

	if (parse(text, &cfg) != 0)
		return;
	CHECK_STR(cfg.output, "/srv/fz/out.fzb");
	CHECK_STR(cfg.state_dir, "/srv/fz state");
	CHECK_STR(cfg.allow, "/etc/fangzha/allow.txt");
	CHECK_STR(cfg.block, "/etc/fangzha/block.txt");
	CHECK_STR(cfg.ca_file, "/etc/fangzha/ca.pem");
	CHECK_STR(cfg.user_agent, "fangzha-feed/0.1 (+https://x.example/#contact)");
	CHECK_INT(cfg.concurrency, 64);
	CHECK_INT(cfg.connect_timeout, 60);
	CHECK_INT(cfg.timeout, 86400);
	CHECK_INT(cfg.retries, 10);
	CHECK_INT(cfg.n_feeds, 5);
	if (cfg.n_feeds != 5) {
		fz_feeds_cfg_free(&cfg);
		return;
	}

	f = &cfg.feeds[0];
	CHECK_STR(f->name, "urlhaus");
	CHECK_STR(f->url, "https://urlhaus.abuse.ch/downloads/csv_online/");
	CHECK_INT(f->format, FZ_FORMAT_CSV);
	CHECK_INT(f->category, FZ_CAT_MALWARE);
	CHECK_INT(f->match, FZ_MATCH_EXACT);
	CHECK_INT(f->interval, 60);
	CHECK(f->max_size == 4ull << 30);
	CHECK_INT(f->min_entries, 0);
	CHECK_INT(f->max_shrink, 100);
	CHECK(f->has_sha256 && memcmp(f->sha256, pin, 32) == 0);
	CHECK(f->minisign_key == NULL && f->signature_url == NULL);
	CHECK(!f->enabled);
	CHECK_INT(f->line, 17);

	f = &cfg.feeds[1];
	CHECK_STR(f->name, "Signed_list.v2-1");
	CHECK_STR(f->url, "http://lists.example/a.txt#frag"); /* scheme lowercased only */
	CHECK_STR(f->minisign_key, "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3");
	CHECK_STR(f->signature_url, "file:///srv/sig/a.minisig");
	CHECK_INT(f->format, FZ_FORMAT_DOMAINS);
	CHECK_INT(f->category, FZ_CAT_DOH);
	CHECK_INT(f->match, FZ_MATCH_SUBTREE);
	CHECK_INT(f->max_shrink, 0);
	CHECK_INT(f->max_size, 1);
	CHECK_INT(f->interval, 3600);
	CHECK(f->enabled);
	CHECK_INT(f->line, 28);

	f = &cfg.feeds[2];
	CHECK_STR(f->name, "rpz");
	CHECK_STR(f->url, "axfr://[2001:db8::53]:5353/rpz.example.");
	CHECK_INT(f->format, FZ_FORMAT_RPZ); /* axfr:// implies rpz */
	CHECK_INT(f->line, 38);

	f = &cfg.feeds[3];
	CHECK_STR(f->name, "defaults");
	CHECK_STR(f->url, "file:///usr/share/fangzha/starter/fraud.hosts");
	check_feed_defaults(f);
	CHECK_INT(f->line, 40);

	f = &cfg.feeds[4];
	CHECK_STR(f->name, "mini");
	/* The signature's default place: the URL + ".minisig". */
	CHECK_STR(f->signature_url, "https://m.example/l.txt.minisig");
	CHECK_INT(f->category, FZ_CAT_GAMBLING);

	fz_feeds_cfg_free(&cfg);
}

static void test_values(void)
{
	static const struct {
		const char *v;
		enum fz_format f;
	} formats[] = {{"auto", FZ_FORMAT_AUTO},       {"hosts", FZ_FORMAT_HOSTS},
		       {"domains", FZ_FORMAT_DOMAINS}, {"adblock", FZ_FORMAT_ADBLOCK},
		       {"rpz", FZ_FORMAT_RPZ},	       {"urls", FZ_FORMAT_URLS},
		       {"csv", FZ_FORMAT_CSV}};
	static const struct {
		const char *v;
		enum fz_category c;
	} cats[] = {{"fraud", FZ_CAT_FRAUD},	 {"phishing", FZ_CAT_PHISHING},
		    {"malware", FZ_CAT_MALWARE}, {"gambling", FZ_CAT_GAMBLING},
		    {"doh", FZ_CAT_DOH},	 {"custom", FZ_CAT_CUSTOM}};
	struct fz_feeds_cfg cfg;
	char text[512];

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		snprintf(text, sizeof(text), "[feed a]\nurl = https://a.example/\nformat = %s\n",
			 formats[i].v);
		if (parse(text, &cfg) == 0) {
			CHECK_INT(cfg.feeds[0].format, formats[i].f);
			fz_feeds_cfg_free(&cfg);
		}
	}
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
		snprintf(text, sizeof(text), "[feed a]\nurl = https://a.example/\ncategory = %s\n",
			 cats[i].v);
		if (parse(text, &cfg) == 0) {
			CHECK_INT(cfg.feeds[0].category, cats[i].c);
			fz_feeds_cfg_free(&cfg);
		}
	}
	/* Bounds that hold. */
	if (parse("[feeds]\nconcurrency = 1\nretries = 0\nconnect_timeout = 1\ntimeout = 1s\n"
		  "[feed a]\nurl = http://a.example:8080/x\nmatch = default\ninterval = 1m\n"
		  "max_size = 1k\nmin_entries = 18446744073709551615\nmax_shrink = 50%\n"
		  "enabled = TRUE\n",
		  &cfg) == 0) {
		CHECK_INT(cfg.concurrency, 1);
		CHECK_INT(cfg.retries, 0);
		CHECK_INT(cfg.connect_timeout, 1);
		CHECK_INT(cfg.timeout, 1);
		CHECK_INT(cfg.feeds[0].match, FZ_MATCH_DEFAULT);
		CHECK_INT(cfg.feeds[0].interval, 60);
		CHECK_INT(cfg.feeds[0].max_size, 1024);
		CHECK(cfg.feeds[0].min_entries == UINT64_MAX);
		CHECK_INT(cfg.feeds[0].max_shrink, 50);
		CHECK(cfg.feeds[0].enabled);
		fz_feeds_cfg_free(&cfg);
	}
	if (parse("[feed a]\nurl = https://a.example/\ninterval = 366d\nenabled = off\n", &cfg) ==
	    0) {
		CHECK(cfg.feeds[0].interval == 366ull * 86400);
		CHECK(!cfg.feeds[0].enabled);
		fz_feeds_cfg_free(&cfg);
	}
	/* A 64-character name, and axfr with a port, a name host, format = rpz given. */
	if (parse("[feed "
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n"
		  "url = axfr://ns1.example:53/rpz.example\nformat = rpz\n",
		  &cfg) == 0) {
		CHECK_INT(strlen(cfg.feeds[0].name), 64);
		CHECK_INT(cfg.feeds[0].format, FZ_FORMAT_RPZ);
		fz_feeds_cfg_free(&cfg);
	}
	/* Quoted name with escapes is unquoted before the name check. */
	if (parse("[feed \"q.1\"]\nurl = \"https://a.example/#x\"\n", &cfg) == 0) {
		CHECK_STR(cfg.feeds[0].name, "q.1");
		CHECK_STR(cfg.feeds[0].url, "https://a.example/#x");
		fz_feeds_cfg_free(&cfg);
	}
}

static void test_feeds_errors(void)
{
	expect_err("[feeds]\nconcurrency = 0\n", "t.conf:2: concurrency: 0 is out of range 1..64");
	expect_err("[feeds]\nconcurrency = 65\n",
		   "t.conf:2: concurrency: 65 is out of range 1..64");
	expect_err("[feeds]\nconcurrency = four\n",
		   "t.conf:2: concurrency: 'four' is not a whole number");
	expect_err("[feeds]\nretries = 11\n", "t.conf:2: retries: 11 is out of range 0..10");
	expect_err("[feeds]\nconnect_timeout = 0\n",
		   "t.conf:2: connect_timeout: 0 is out of range 1s..86400s");
	expect_err("[feeds]\ntimeout = 2d\n", "t.conf:2: timeout: 2d is out of range 1s..86400s");
	expect_err("[feeds]\ntimeout = 5x\n",
		   "t.conf:2: timeout: '5x' is not a duration (a number with s, m, h or d)");
	expect_err("[feeds]\noutput =\n", "t.conf:2: output is empty");
	expect_err("[feeds]\nstate_dir = \"\"\n", "t.conf:2: state_dir is empty");
	expect_err("[feeds]\nuser_agent = # none\n", "t.conf:2: user_agent is empty");
	expect_err("[feeds]\noutpt = /x\n", "t.conf:2: unknown key 'outpt' in [feeds]");
	expect_err("[feeds]\nurl = https://a.example/\n", "t.conf:2: unknown key 'url' in [feeds]");
	expect_err("[feeds]\noutput = /a\n# c\noutput = /b\n",
		   "t.conf:4: key 'output' given twice in [feeds] (first on line 2)");
	expect_err("[feeds]\n[feed a]\nurl = https://a.example/\n[feeds]\n",
		   "t.conf:4: [feeds] given twice (first on line 1)");
	expect_err("[feeds x]\n", "t.conf:1: [feeds] takes no name (did you mean [feed x]?)");
}

static void test_sections(void)
{
	expect_err("[feedz]\n", "t.conf:1: unknown section [feedz] (known: feeds, feed NAME, dns, "
				"nfq, events, metrics)");
	expect_err("[feeds]\n\n[resolver]\nx = 1\n",
		   "t.conf:3: unknown section [resolver] (known: feeds, feed NAME, dns, nfq, "
		   "events, metrics)");
	expect_err("[feed]\n", "t.conf:1: [feed] needs a name: [feed NAME]");
	expect_err("[feed \"\"]\n", "t.conf:1: [feed] needs a name: [feed NAME]");
	expect_err("[feed \"a b\"]\n", "t.conf:1: bad feed name 'a b' (1 to 64 letters, digits, "
				       "'.', '_' or '-', not starting with '.')");
	expect_err("[feed ..]\n", "t.conf:1: bad feed name '..' (1 to 64 letters, digits, '.', "
				  "'_' or '-', not starting with '.')");
	expect_err("[feed .hidden]\n", "t.conf:1: bad feed name '.hidden' (1 to 64 letters, "
				       "digits, '.', '_' or '-', not starting with '.')");
	expect_err("[feed a/b]\n", "t.conf:1: bad feed name 'a/b' (1 to 64 letters, digits, '.', "
				   "'_' or '-', not starting with '.')");
	expect_err("[feed 防诈]\n", "t.conf:1: bad feed name '防诈' (1 to 64 letters, digits, "
				    "'.', '_' or '-', not starting with '.')");
	expect_err("[feed aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
		   "t.conf:1: bad feed name "
		   "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (1 to 64 "
		   "letters, digits, '.', '_' or '-', not starting with '.')");
	/* Duplicate feeds name both lines; names compare without case. */
	expect_err("[feed a]\nurl = https://a.example/\n\n[feed b]\nurl = https://b.example/\n"
		   "[feed a]\nurl = https://c.example/\n",
		   "t.conf:6: [feed a] given twice (first on line 1)");
	expect_err("[feed UrlHaus]\nurl = https://a.example/\n[feed urlhaus]\n",
		   "t.conf:3: [feed urlhaus] given twice (first on line 1)");
	/* Other daemons' sections are skipped whatever their keys or names. */
	{
		struct fz_feeds_cfg cfg;

		if (parse("[dns]\nlisten_address = x\n[nfq main]\nq = 1\nq = 2\n[events]\n"
			  "[metrics]\nport = 9100\n[feed a]\nurl = https://a.example/\n",
			  &cfg) == 0) {
			CHECK_INT(cfg.n_feeds, 1);
			fz_feeds_cfg_free(&cfg);
		}
	}
	/* Syntax errors come through with their location. */
	expect_err("[feeds]\noutput = /x\nthis is not ini\n",
		   "t.conf:3: line is not 'key = value', a [section] or a comment");
}

static void test_feed_errors(void)
{
	/* The url is required; the error names the section's line, also for the last one. */
	expect_err("[feed a]\nformat = hosts\n[feed b]\nurl = https://b.example/\n",
		   "t.conf:1: [feed a] has no url");
	expect_err("[feed a]\nurl = https://a.example/\n\n[feed b]\nenabled = no\n",
		   "t.conf:4: [feed b] has no url");
	expect_err("[feed a]\n[dns]\n", "t.conf:1: [feed a] has no url");
	expect_err("[feed a]\nurl = https://a.example/\nintervall = 1h\n",
		   "t.conf:3: unknown key 'intervall' in [feed a]");
	expect_err("[feed urlhaus]\nurl = https://a.example/\nintervall = 1h\n",
		   "t.conf:3: unknown key 'intervall' in [feed urlhaus]");
	expect_err("[feed a]\nurl = https://a.example/\nurl = https://b.example/\n",
		   "t.conf:3: key 'url' given twice in [feed a] (first on line 2)");
	expect_feed_err("format = hosts\nformat = hosts",
			"t.conf:4: key 'format' given twice in [feed f] (first on line 3)");

	/* URLs. */
	expect_err("[feed a]\nurl = ftp://a.example/l\n",
		   "t.conf:2: url scheme 'ftp' is not supported (https, http, file or axfr)");
	expect_err("[feed a]\nurl = a.example/l\n",
		   "t.conf:2: url 'a.example/l' has no scheme (https://, http://, file:// or "
		   "axfr://)");
	expect_err("[feed a]\nurl = ://a.example/l\n",
		   "t.conf:2: url '://a.example/l' has no scheme (https://, http://, file:// or "
		   "axfr://)");
	expect_err("[feed a]\nurl = https:///l\n", "t.conf:2: url 'https:///l' has no host");
	expect_err("[feed a]\nurl = https://\n", "t.conf:2: url 'https://' has no host");
	expect_err("[feed a]\nurl =\n", "t.conf:2: url is empty");
	expect_err("[feed a]\nurl = \"https://a.example/x y\"\n",
		   "t.conf:2: url must not contain blanks");
	expect_err("[feed a]\nurl = file://etc/l\n",
		   "t.conf:2: url 'file://etc/l': a file URL is file:///absolute/path");
	expect_err("[feed a]\nurl = file:///\n",
		   "t.conf:2: url 'file:///': a file URL is file:///absolute/path");
	static const char *const bad_axfr[] = {
	    "axfr://ns.example",
	    "axfr://ns.example/",
	    "axfr:///rpz",
	    "axfr://ns.example:0/rpz",
	    "axfr://ns.example:65536/rpz",
	    "axfr://ns:/rpz",
	    "axfr://ns:5x/rpz",
	    "axfr://[::1/rpz",
	    "axfr://[]/rpz",
	    "axfr://[::1]x/rpz",
	    "axfr://ns/rpz/x",
	    "axfr://:53/rpz",
	};
	for (size_t i = 0; i < sizeof(bad_axfr) / sizeof(bad_axfr[0]); i++) {
		char text[256], want[256];

		snprintf(text, sizeof(text), "[feed a]\nurl = %s\n", bad_axfr[i]);
		snprintf(want, sizeof(want),
			 "t.conf:2: url '%s': an axfr URL is axfr://host[:port]/zone", bad_axfr[i]);
		expect_err(text, want);
	}
	/* axfr:// is RPZ, and neither a pin nor a signature applies to a zone transfer. */
	expect_err("[feed a]\nurl = axfr://ns.example/rpz\n\nformat = hosts\n",
		   "t.conf:4: format: an axfr:// feed is an RPZ zone (format = rpz)");
	expect_err("[feed a]\nsha256 = "
		   "0000000000000000000000000000000000000000000000000000000000000000"
		   "\nurl = axfr://ns.example/rpz\n",
		   "t.conf:2: sha256 does not apply to an axfr:// feed");
	expect_err("[feed a]\nurl = axfr://ns.example/rpz\n"
		   "minisign_key = RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n",
		   "t.conf:3: minisign_key does not apply to an axfr:// feed");

	/* Enumerations. */
	expect_feed_err("format = json", "t.conf:3: format: unknown format 'json' (auto, hosts, "
					 "domains, adblock, rpz, urls or csv)");
	expect_feed_err("format = Hosts", "t.conf:3: format: unknown format 'Hosts' (auto, hosts, "
					  "domains, adblock, rpz, urls or csv)");
	expect_feed_err("category = scam", "t.conf:3: category: unknown category 'scam' (fraud, "
					   "phishing, malware, gambling, doh or custom)");
	expect_feed_err("match = wildcard",
			"t.conf:3: match: 'wildcard' is not exact, subtree or default");
	/* Numbers. */
	expect_feed_err("interval = 59s", "t.conf:3: interval: 59s is out of range 60s..31622400s");
	expect_feed_err("interval = 0", "t.conf:3: interval: 0 is out of range 60s..31622400s");
	expect_feed_err("interval = 367d",
			"t.conf:3: interval: 367d is out of range 60s..31622400s");
	expect_feed_err("interval = 1w",
			"t.conf:3: interval: '1w' is not a duration (a number with s, m, h or d)");
	expect_feed_err("interval = 213503982334602d",
			"t.conf:3: interval: duration 213503982334602d is too large");
	expect_feed_err("max_size = 0", "t.conf:3: max_size: 0 is out of range 1..4G");
	expect_feed_err("max_size = 4097M", "t.conf:3: max_size: 4097M is out of range 1..4G");
	expect_feed_err("max_size = 1MB", "t.conf:3: max_size: '1MB' is not a size (a number of "
					  "bytes, or with k, M or G)");
	expect_feed_err("max_size = 17179869184G",
			"t.conf:3: max_size: size 17179869184G is too large");
	expect_feed_err("min_entries = -1", "t.conf:3: min_entries: '-1' is not a whole number");
	expect_feed_err("min_entries = 18446744073709551616",
			"t.conf:3: min_entries: 18446744073709551616 is out of range "
			"0..18446744073709551615");
	expect_feed_err("max_shrink = 101", "t.conf:3: max_shrink: 101 is out of range 0..100");
	expect_feed_err("max_shrink = 101%", "t.conf:3: max_shrink: 101 is out of range 0..100");
	expect_feed_err("max_shrink = %", "t.conf:3: max_shrink: '' is not a whole number");
	expect_feed_err("max_shrink = 50%%", "t.conf:3: max_shrink: '50%' is not a whole number");
	expect_feed_err("enabled = maybe",
			"t.conf:3: enabled: 'maybe' is not yes/no, true/false, on/off or 1/0");
	/* Pins and keys. */
	expect_feed_err("sha256 = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0",
			"t.conf:3: sha256: expected 64 hex digits");
	expect_feed_err(
	    "sha256 = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08a",
	    "t.conf:3: sha256: expected 64 hex digits");
	expect_feed_err("sha256 = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g",
			"t.conf:3: sha256: expected 64 hex digits");
	expect_feed_err("sha256 =", "t.conf:3: sha256: expected 64 hex digits");
	expect_feed_err("minisign_key = RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO",
			"t.conf:3: minisign_key: expected a minisign public key, 56 base64 "
			"characters (the second line of the .pub file)");
	expect_feed_err("minisign_key = RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GF-3",
			"t.conf:3: minisign_key: expected a minisign public key, 56 base64 "
			"characters (the second line of the .pub file)");
	expect_feed_err("signature_url = https://x.example/l.minisig",
			"t.conf:3: signature_url without minisign_key in [feed f]");
	expect_feed_err("signature_url = axfr://ns/rpz", "t.conf:3: signature_url scheme 'axfr' "
							 "is not supported (https, http or file)");
}

static void test_max_feeds(void)
{
	size_t cap = (FZ_FEEDS_MAX + 1) * 64;
	char *text = malloc(cap);
	struct fz_feeds_cfg cfg;
	size_t n = 0;

	for (int i = 0; i < FZ_FEEDS_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, "[feed f%d]\nurl = https://f%d.example/\n",
				      i, i);
	if (parse(text, &cfg) == 0) {
		CHECK_INT(cfg.n_feeds, FZ_FEEDS_MAX);
		CHECK_STR(cfg.feeds[FZ_FEEDS_MAX - 1].name, "f255");
		CHECK_STR(cfg.feeds[FZ_FEEDS_MAX - 1].url, "https://f255.example/");
		CHECK_INT(cfg.feeds[FZ_FEEDS_MAX - 1].line, 2 * FZ_FEEDS_MAX - 1);
		CHECK_STR(cfg.feeds[0].name, "f0");
		fz_feeds_cfg_free(&cfg);
	}
	snprintf(text + n, cap - n, "[feed one-more]\n");
	expect_err(text, "t.conf:513: more than 256 feeds");
	free(text);
}

static void test_crlf_bom(void)
{
	const char *text = "\xef\xbb\xbf# windows\r\n[feeds]\r\noutput = /o.fzb # c\r\n"
			   "[feed w]\r\nurl = https://w.example/l.txt\r\nformat = hosts\r\n";
	struct fz_feeds_cfg cfg;

	if (parse(text, &cfg) == 0) {
		CHECK_STR(cfg.output, "/o.fzb");
		CHECK_INT(cfg.n_feeds, 1);
		CHECK_STR(cfg.feeds[0].url, "https://w.example/l.txt");
		CHECK_INT(cfg.feeds[0].format, FZ_FORMAT_HOSTS);
		CHECK_INT(cfg.feeds[0].line, 4);
		fz_feeds_cfg_free(&cfg);
	}
}

static void test_load(void)
{
	char path[1024], tmpl[] = "/tmp/fz-feedcfg-XXXXXX", err[512];
	struct fz_feeds_cfg cfg;
	int r, fd;

	snprintf(path, sizeof(path), "%s/config/two-feeds.conf", fixtures());
	memset(&cfg, 0, sizeof(cfg));
	r = fz_feeds_cfg_load(path, &cfg, err, sizeof(err));
	CHECK_INT(r, 0);
	if (r == 0) {
		CHECK_STR(cfg.file, path);
		CHECK_STR(cfg.output, "/tmp/fangzha-test/blocklist.fzb");
		CHECK_INT(cfg.n_feeds, 2);
		CHECK_STR(cfg.feeds[0].name, "hosts");
		CHECK_STR(cfg.feeds[1].name, "zone");
		CHECK_INT(cfg.feeds[1].format, FZ_FORMAT_RPZ);
		fz_feeds_cfg_free(&cfg);
	}

	/* A bad file's message starts with its path. */
	snprintf(path, sizeof(path), "%s/config/bad-key.conf", fixtures());
	CHECK_INT(fz_feeds_cfg_load(path, &cfg, err, sizeof(err)), -EINVAL);
	{
		char want[1200];

		snprintf(want, sizeof(want), "%s:7: unknown key 'intervall' in [feed urlhaus]",
			 path);
		CHECK_STR(err, want);
	}

	CHECK_INT(fz_feeds_cfg_load("/nonexistent/fangzha.conf", &cfg, err, sizeof(err)), -ENOENT);
	CHECK_STR(err, "/nonexistent/fangzha.conf: No such file or directory");
	CHECK_INT(fz_feeds_cfg_load("/tmp", &cfg, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "/tmp: not a regular file");

	/* 1 MiB of comments is read; one byte more is refused. */
	fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	{
		size_t n = 1u << 20;
		char *big = malloc(n + 1);

		/* Comment lines of 64 bytes. */
		memset(big, '#', n);
		for (size_t i = 63; i < n; i += 64)
			big[i] = '\n';
		CHECK_INT(write(fd, big, n), (long long)n);
		r = fz_feeds_cfg_load(tmpl, &cfg, err, sizeof(err));
		CHECK_INT(r, 0);
		if (r == 0) {
			CHECK_INT(cfg.n_feeds, 0);
			fz_feeds_cfg_free(&cfg);
		}
		CHECK_INT(write(fd, "\n", 1), 1);
		CHECK_INT(fz_feeds_cfg_load(tmpl, &cfg, err, sizeof(err)), -EFBIG);
		{
			char want[128];

			snprintf(want, sizeof(want), "%s: larger than 1 MiB", tmpl);
			CHECK_STR(err, want);
		}
		free(big);
	}
	close(fd);
	unlink(tmpl);
}

/* The shipped config: valid, with the feeds it promises. */
static void test_shipped(void)
{
	char path[1024], err[512];
	struct fz_feeds_cfg cfg;
	unsigned char *text;
	size_t len, n_starter = 0;
	int r;

	snprintf(path, sizeof(path), "%s/../../etc/fangzha.conf", fixtures());
	r = fz_feeds_cfg_load(path, &cfg, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "%s\n", err);
	CHECK_INT(r, 0);
	if (r == 0) {
		static const struct {
			const char *url;
			enum fz_format format;
			enum fz_category category;
		} want[] = {
		    {"https://urlhaus.abuse.ch/downloads/csv_online/", FZ_FORMAT_CSV,
		     FZ_CAT_MALWARE},
		    {"https://raw.githubusercontent.com/hagezi/dns-blocklists/main/adblock/"
		     "fake.txt",
		     FZ_FORMAT_ADBLOCK, FZ_CAT_FRAUD},
		    {"https://openphish.com/feed.txt", FZ_FORMAT_URLS, FZ_CAT_PHISHING},
		    {"https://phishing.army/download/phishing_army_blocklist_extended.txt",
		     FZ_FORMAT_DOMAINS, FZ_CAT_PHISHING},
		};

		CHECK_STR(cfg.output, FZ_FEEDS_DEFAULT_OUTPUT);
		CHECK_STR(cfg.state_dir, FZ_FEEDS_DEFAULT_STATE_DIR);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			bool found = false;

			for (size_t j = 0; j < cfg.n_feeds; j++) {
				const struct fz_feed_cfg *f = &cfg.feeds[j];

				if (strcmp(f->url, want[i].url) != 0)
					continue;
				found = true;
				CHECK_INT(f->format, want[i].format);
				CHECK_INT(f->category, want[i].category);
				CHECK(f->enabled);
			}
			if (!found)
				fprintf(stderr, "shipped config lacks %s\n", want[i].url);
			CHECK(found);
		}
		/* The starter feed, from where tools/meson.build installs it. */
		for (size_t j = 0; j < cfg.n_feeds; j++) {
			const char *pfx = "file:///usr/share/fangzha/starter/";
			const struct fz_feed_cfg *f = &cfg.feeds[j];
			char file[1024];
			struct stat sb;

			if (strncmp(f->url, pfx, strlen(pfx)) != 0)
				continue;
			n_starter++;
			/* ... and each such file exists in the source tree's starter/. */
			snprintf(file, sizeof(file), "%s/../../starter/%s", fixtures(),
				 f->url + strlen(pfx));
			CHECK(stat(file, &sb) == 0);
			CHECK(f->format != FZ_FORMAT_AUTO);
		}
		CHECK(n_starter >= 1);
		fz_feeds_cfg_free(&cfg);
	}

	/*
	 * Switch on every commented "#key = value" and "#[feed ...]" line: the
	 * examples in the file are valid too (sha256, minisign_key, axfr://).
	 */
	text = fz_test_read_file(path, &len);
	{
		char *out = malloc(len + 1);
		size_t o = 0, i = 0;

		while (i < len) {
			size_t e = i;

			while (e < len && text[e] != '\n')
				e++;
			if (e - i > 2 && text[i] == '#' &&
			    (text[i + 1] == '[' || (text[i + 1] >= 'a' && text[i + 1] <= 'z')) &&
			    memchr(text + i, '=', e - i) != NULL)
				i++; /* drop the '#' of "#key = value" */
			else if (e - i > 2 && text[i] == '#' && text[i + 1] == '[')
				i++; /* "#[feed NAME]" */
			memcpy(out + o, text + i, e - i);
			o += e - i;
			if (e < len)
				out[o++] = '\n';
			i = e + 1;
		}
		r = fz_feeds_cfg_parse((const uint8_t *)out, o, "uncommented", &cfg, err,
				       sizeof(err));
		if (r != 0)
			fprintf(stderr, "%s\n", err);
		CHECK_INT(r, 0);
		if (r == 0) {
			bool pin = false, sig = false, axfr = false;

			for (size_t j = 0; j < cfg.n_feeds; j++) {
				const struct fz_feed_cfg *f = &cfg.feeds[j];

				pin |= f->has_sha256;
				sig |= f->minisign_key != NULL && f->signature_url != NULL;
				if (strncmp(f->url, "axfr://", 7) == 0) {
					axfr = true;
					CHECK_INT(f->format, FZ_FORMAT_RPZ);
				}
			}
			CHECK(pin && sig && axfr);
			CHECK(cfg.allow != NULL && cfg.block != NULL);
			fz_feeds_cfg_free(&cfg);
		}
		free(out);
	}
	free(text);
}

int main(void)
{
	test_empty();
	test_full();
	test_values();
	test_feeds_errors();
	test_sections();
	test_feed_errors();
	test_max_feeds();
	test_crlf_bom();
	test_load();
	test_shipped();
	return fz_test_done();
}
