/* SPDX-License-Identifier: GPL-2.0-or-later */
/* URL lists and CSV URL feeds, driven through fz_parse(). */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "fz_parse.h"
#include "fz_test.h"
#include "fz_url.h"

static const char *fixtures(void)
{
	const char *e = getenv("FZ_FIXTURES");
	return e && *e ? e : FZ_FIXTURES;
}

static void parse_file(const char *rel, enum fz_format f, struct fz_parse_result *r)
{
	char path[4096];
	size_t n;
	snprintf(path, sizeof(path), "%s/%s", fixtures(), rel);
	unsigned char *d = fz_test_read_file(path, &n);
	struct fz_parse_opts o = {.format = f};
	int rc = fz_parse(d, n, &o, r);
	CHECK_INT(rc, 0);
	CHECK_INT(r->format, f);
	free(d);
}

static void parse_str(const char *s, enum fz_format f, struct fz_parse_result *r)
{
	struct fz_parse_opts o = {.format = f};
	CHECK_INT(fz_parse((const uint8_t *)s, strlen(s), &o, r), 0);
}

static const struct fz_entry *at_line(const struct fz_parse_result *r, uint32_t line)
{
	for (size_t i = 0; i < r->n_entries; i++)
		if (r->entries[i].line == line)
			return &r->entries[i];
	return NULL;
}

static const struct fz_problem *problem_at(const struct fz_parse_result *r, uint32_t line)
{
	for (size_t i = 0; i < r->n_problems; i++)
		if (r->problems[i].line == line)
			return &r->problems[i];
	return NULL;
}

/* A URL rule on `line` with this host and path. */
static void check_url(const struct fz_parse_result *r, uint32_t line, const char *host,
		      const char *path)
{
	const struct fz_entry *e = at_line(r, line);
	CHECK(e != NULL);
	if (!e) {
		fprintf(stderr, "  no entry on line %u\n", line);
		return;
	}
	CHECK_INT(e->kind, FZ_RULE_URL);
	CHECK_INT(e->action, FZ_ACTION_BLOCK);
	CHECK_STR(fz_parse_str(r, e->name_off), host);
	CHECK_INT(e->name_len, strlen(host));
	CHECK_STR(fz_parse_str(r, e->path_off), path);
	CHECK_INT(e->path_len, strlen(path));
}

static void check_ip(const struct fz_parse_result *r, uint32_t line, int family, const char *addr,
		     unsigned prefix)
{
	const struct fz_entry *e = at_line(r, line);
	uint8_t want[16] = {0};
	CHECK(e != NULL);
	if (!e) {
		fprintf(stderr, "  no entry on line %u\n", line);
		return;
	}
	CHECK_INT(inet_pton(family, addr, want), 1);
	CHECK_INT(e->kind, FZ_RULE_IP);
	CHECK_INT(e->action, FZ_ACTION_BLOCK);
	CHECK_INT(e->family, family);
	CHECK_INT(e->prefix, prefix);
	CHECK(memcmp(e->addr, want, 16) == 0);
}

static void check_problem(const struct fz_parse_result *r, uint32_t line, enum fz_problem_kind kind,
			  const char *reason_part)
{
	const struct fz_problem *p = problem_at(r, line);
	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "  no problem on line %u\n", line);
		return;
	}
	CHECK_INT(p->kind, kind);
	CHECK(p->reason && strstr(p->reason, reason_part) != NULL);
	if (p->reason && !strstr(p->reason, reason_part))
		fprintf(stderr, "  line %u: reason \"%s\", expected \"%s\"\n", line, p->reason,
			reason_part);
	CHECK(at_line(r, line) == NULL);
}

static void check_counts(const struct fz_parse_result *r, size_t acc, size_t dup, size_t rej,
			 size_t skip)
{
	CHECK_INT(r->accepted, acc);
	CHECK_INT(r->n_entries, acc);
	CHECK_INT(r->duplicates, dup);
	CHECK_INT(r->rejected, rej);
	CHECK_INT(r->skipped, skip);
	CHECK_INT(r->n_problems, rej + skip);
}

static void test_url_list(void)
{
	struct fz_parse_result r;
	parse_file("urls/basic.txt", FZ_FORMAT_URLS, &r);
	CHECK_INT(r.lines, 24);
	check_counts(&r, 12, 1, 9, 0);

	check_url(&r, 2, "evil.example", "/login.php?x=1");
	/* Scheme and host case folded; path case kept. */
	check_url(&r, 3, "evil.example", "/Login");
	CHECK(at_line(&r, 4) == NULL); /* the same rule as line 2, scheme-less */
	check_url(&r, 5, "cdn.example.net", "/a.js");
	check_url(&r, 6, "shop.example", "/pay");
	check_ip(&r, 7, AF_INET, "192.0.2.7", 32);
	check_ip(&r, 8, AF_INET6, "2001:db8::1", 128);
	check_url(&r, 9, "phish.example", "/?id=5");
	check_url(&r, 10, "amp.example", "/a?b=1&c=2");
	check_url(&r, 11, "idn.example", "/%D0%BF%D1%83%D1%82%D1%8C");
	check_url(&r, 12, "xn--bcher-kva.example", "/");
	check_url(&r, 23, "spaces.example", "/trimmed");
	check_url(&r, 24, "bare.example", "/");

	check_problem(&r, 14, FZ_PROBLEM_REJECTED, "scheme");
	check_problem(&r, 15, FZ_PROBLEM_REJECTED, "scheme");
	check_problem(&r, 16, FZ_PROBLEM_REJECTED, "space");
	check_problem(&r, 17, FZ_PROBLEM_REJECTED, "space, control or stray");
	check_problem(&r, 18, FZ_PROBLEM_REJECTED, "IP address");
	check_problem(&r, 19, FZ_PROBLEM_REJECTED, "character not allowed");
	check_problem(&r, 20, FZ_PROBLEM_REJECTED, "port");
	check_problem(&r, 21, FZ_PROBLEM_REJECTED, "single label");
	check_problem(&r, 22, FZ_PROBLEM_REJECTED, "invisible");

	/* A URL never becomes a name rule. */
	for (size_t i = 0; i < r.n_entries; i++)
		CHECK(r.entries[i].kind != FZ_RULE_NAME);
	fz_parse_result_free(&r);
}

static void test_url_list_edges(void)
{
	struct fz_parse_result r;

	/* Only comments and blanks: nothing, no problems. */
	parse_str("# a\n\n   \n#b\r\n", FZ_FORMAT_URLS, &r);
	check_counts(&r, 0, 0, 0, 0);
	fz_parse_result_free(&r);

	/* No final newline, CRLF, a BOM. */
	parse_str("\xef\xbb\xbfhttp://a.example/x\r\nhttp://b.example/y", FZ_FORMAT_URLS, &r);
	check_counts(&r, 2, 0, 0, 0);
	check_url(&r, 1, "a.example", "/x");
	check_url(&r, 2, "b.example", "/y");
	fz_parse_result_free(&r);

	/* A path that grows past the bound when percent-encoded. */
	char *big = malloc(64 + 3 * FZ_URL_PATH_MAX);
	size_t n = (size_t)sprintf(big, "http://big.example/");
	for (int i = 0; i < 800; i++) {
		memcpy(big + n, "\xc3\xa9", 2); /* 800 x 'é' = 4800 bytes encoded */
		n += 2;
	}
	big[n] = '\0';
	parse_str(big, FZ_FORMAT_URLS, &r);
	check_counts(&r, 0, 0, 1, 0);
	check_problem(&r, 1, FZ_PROBLEM_REJECTED, "longer than 2048");
	fz_parse_result_free(&r);
	free(big);

	/* Embedded NUL bytes are refused, not read as the end. */
	static const char nul[] = "http://n.example/a\0b\nhttp://ok.example/\n";
	struct fz_parse_opts o = {.format = FZ_FORMAT_URLS};
	CHECK_INT(fz_parse((const uint8_t *)nul, sizeof(nul) - 1, &o, &r), 0);
	check_counts(&r, 1, 0, 1, 0);
	check_problem(&r, 1, FZ_PROBLEM_REJECTED, "control");
	check_url(&r, 2, "ok.example", "/");
	fz_parse_result_free(&r);

	/* The entry bound stops parsing without failing. */
	o.max_entries = 2;
	static const char three[] = "a.example/1\nb.example/2\nc.example/3\n";
	CHECK_INT(fz_parse((const uint8_t *)three, sizeof(three) - 1, &o, &r), 0);
	CHECK_INT(r.n_entries, 2);
	CHECK(r.truncated);
	fz_parse_result_free(&r);
}

static void test_csv_urlhaus(void)
{
	struct fz_parse_result r;
	/* Banner comments, the commented-out header, CRLF, broken quoting. */
	parse_file("csv/urlhaus.csv", FZ_FORMAT_CSV, &r);
	CHECK_INT(r.lines, 15);
	check_counts(&r, 3, 1, 4, 1);
	check_url(&r, 7, "mal.example", "/bin.sh");
	check_ip(&r, 8, AF_INET, "198.51.100.9", 32);
	check_problem(&r, 9, FZ_PROBLEM_SKIPPED, "offline");
	check_problem(&r, 10, FZ_PROBLEM_REJECTED, "stray character");
	check_problem(&r, 11, FZ_PROBLEM_REJECTED, "after a closing quote");
	check_problem(&r, 12, FZ_PROBLEM_REJECTED, "unterminated");
	/* A comma inside quotes stays in the field. */
	check_url(&r, 13, "comma.example", "/a,b");
	check_problem(&r, 14, FZ_PROBLEM_REJECTED, "fewer columns");
	CHECK(at_line(&r, 15) == NULL); /* duplicate of line 7 */
	fz_parse_result_free(&r);
}

static void test_csv_host_path(void)
{
	struct fz_parse_result r;
	parse_file("csv/splunk.csv", FZ_FORMAT_CSV, &r);
	check_counts(&r, 5, 0, 2, 0);
	check_url(&r, 3, "splunk.example", "/");
	check_ip(&r, 4, AF_INET, "203.0.113.5", 32);
	check_url(&r, 5, "files.example", "/2294/a.pdf");
	check_url(&r, 6, "files.example", "/dl.dll?v=17");
	check_problem(&r, 7, FZ_PROBLEM_REJECTED, "no host");
	check_problem(&r, 8, FZ_PROBLEM_REJECTED, "character not allowed");
	check_url(&r, 9, "files.example", "/noslash");
	fz_parse_result_free(&r);
}

static void test_csv_type_value(void)
{
	struct fz_parse_result r;
	/* TweetFeed month.csv: no header; date,user,type,value,tags,tweet_url. */
	parse_file("csv/tweetfeed.csv", FZ_FORMAT_CSV, &r);
	check_counts(&r, 5, 0, 4, 3);

	const struct fz_entry *e = at_line(&r, 1);
	CHECK(e != NULL);
	if (e) {
		/* A domain indicator is an EXACT block of that name only. */
		CHECK_INT(e->kind, FZ_RULE_NAME);
		CHECK_STR(fz_parse_str(&r, e->name_off), "phish-domain.example");
		CHECK_INT(e->action, FZ_ACTION_BLOCK);
		CHECK_INT(e->match, FZ_MATCH_EXACT);
		CHECK_INT(e->policy, FZ_POLICY_DEFAULT);
	}
	check_url(&r, 2, "phish-domain.example", "/login");
	check_ip(&r, 3, AF_INET, "192.0.2.44", 32);
	check_ip(&r, 4, AF_INET6, "2001:db8::", 32);
	check_problem(&r, 5, FZ_PROBLEM_SKIPPED, "hash");
	check_problem(&r, 6, FZ_PROBLEM_SKIPPED, "hash");
	check_problem(&r, 7, FZ_PROBLEM_SKIPPED, "unknown indicator type");
	check_url(&r, 8, "inc.example", "/Kitchen_and_Bath,_Inc/");
	check_problem(&r, 9, FZ_PROBLEM_REJECTED, "stray character");
	check_problem(&r, 10, FZ_PROBLEM_REJECTED, "not an IP address");
	check_problem(&r, 11, FZ_PROBLEM_REJECTED, "'*'");
	check_problem(&r, 12, FZ_PROBLEM_REJECTED, "fewer columns");
	fz_parse_result_free(&r);
}

static void test_csv_header_and_guess(void)
{
	struct fz_parse_result r;

	/* phishunt: url column found by name, CRLF, quoted comma, repeated header. */
	parse_file("csv/phishunt.csv", FZ_FORMAT_CSV, &r);
	check_counts(&r, 2, 0, 1, 0);
	check_url(&r, 2, "allegro.example-oferta.lol", "/");
	check_url(&r, 3, "alibaba666.example", "/");
	CHECK(at_line(&r, 4) == NULL && problem_at(&r, 4) == NULL);
	check_problem(&r, 5, FZ_PROBLEM_REJECTED, "empty URL");
	fz_parse_result_free(&r);

	/* No header: the column holding http(s) URLs is used. */
	parse_file("csv/guess.csv", FZ_FORMAT_CSV, &r);
	check_counts(&r, 2, 0, 0, 0);
	check_url(&r, 1, "guessed.example", "/p");
	check_url(&r, 2, "guessed2.example", "/q");
	fz_parse_result_free(&r);

	/* Nothing to use: every row says so. */
	parse_file("csv/nourl.csv", FZ_FORMAT_CSV, &r);
	check_counts(&r, 0, 0, 3, 0);
	check_problem(&r, 2, FZ_PROBLEM_REJECTED, "without a url");
	fz_parse_result_free(&r);

	/* Header names are case-insensitive and may be padded. */
	parse_str("ID, URL ,Status\n1,http://h.example/x,online\n", FZ_FORMAT_CSV, &r);
	check_counts(&r, 1, 0, 0, 0);
	check_url(&r, 2, "h.example", "/x");
	fz_parse_result_free(&r);

	/* A header of type/value columns. */
	parse_str("type,value\nurl,http://tv.example/a\ndomain,tv.example\n", FZ_FORMAT_CSV, &r);
	check_counts(&r, 2, 0, 0, 0);
	check_url(&r, 2, "tv.example", "/a");
	CHECK(at_line(&r, 3) && at_line(&r, 3)->kind == FZ_RULE_NAME);
	fz_parse_result_free(&r);
}

/* Broken quoting must not loop or read past the buffer; bytes are not NUL-terminated. */
static void test_csv_garbage(void)
{
	static const char *const cases[] = {
	    "\"",
	    "\"\"\"",
	    ",,,,",
	    "url\n\"",
	    "url\n\"http://a.example/\"x",
	    "url\n\"http://a.example/\"\"",
	    "# id,url\n\"1\",\"",
	    "\n\n\r\r\n",
	    "host,path\n\"a.example\"",
	    "type,value\nurl",
	    "url\n\"\"\"\"\"\"\"\"",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i]);
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, cases[i], n);
		struct fz_parse_result r;
		struct fz_parse_opts o = {.format = FZ_FORMAT_CSV};
		CHECK_INT(fz_parse(copy, n, &o, &r), 0);
		CHECK(r.n_entries == 0);
		fz_parse_result_free(&r);
		free(copy);
	}

	/* A row longer than the CSV line bound is refused, the next one read. */
	size_t big = 20000;
	char *s = malloc(big + 64);
	memcpy(s, "url\nhttp://a.example/", 21);
	memset(s + 21, 'x', big);
	memcpy(s + 21 + big, "\nhttp://b.example/\n", 19);
	struct fz_parse_result r;
	struct fz_parse_opts o = {.format = FZ_FORMAT_CSV};
	CHECK_INT(fz_parse((uint8_t *)s, 40 + big, &o, &r), 0);
	check_counts(&r, 1, 0, 1, 0);
	check_problem(&r, 2, FZ_PROBLEM_REJECTED, "longer than");
	check_url(&r, 3, "b.example", "/");
	fz_parse_result_free(&r);
	free(s);
}

/* Random bytes from a small alphabet: the parsers must neither crash nor hang. */
static void test_random(void)
{
	static const char alpha[] = "htps:/,\"#\n\r @[]:.a1%\\?&;\x00\xc3\xa9";
	uint32_t seed = 12345;
	uint8_t buf[512];
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = (size_t)(iter % 512);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		struct fz_parse_result r;
		struct fz_parse_opts o = {.format = iter & 1 ? FZ_FORMAT_CSV : FZ_FORMAT_URLS};
		int rc = fz_parse(buf, n, &o, &r);
		CHECK_INT(rc, 0);
		for (size_t i = 0; i < r.n_entries; i++) {
			const struct fz_entry *e = &r.entries[i];
			if (e->kind == FZ_RULE_URL) {
				CHECK(e->path_len >= 1);
				CHECK(fz_parse_str(&r, e->path_off)[0] == '/');
			}
		}
		fz_parse_result_free(&r);
	}
}

int main(void)
{
	test_url_list();
	test_url_list_edges();
	test_csv_urlhaus();
	test_csv_host_path();
	test_csv_type_value();
	test_csv_header_and_guess();
	test_csv_garbage();
	test_random();
	return fz_test_done();
}
