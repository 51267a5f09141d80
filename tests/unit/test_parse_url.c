/* SPDX-License-Identifier: GPL-2.0-or-later */
/* URL lists and CSV URL feeds, driven through fz_parse(). */
#include "fz_test_parse.h"
#include "fz_url.h"

static void test_url_list(void)
{
	struct fz_parse_result r;
	fz_test_parse_file(FZ_FORMAT_URLS, "urls/basic.txt", &r);
	CHECK_INT(r.lines, 24);
	CHECK_COUNTS(&r, 12, 1, 9, 0);

	CHECK_URL_AT(&r, 2, "evil.example", "/login.php?x=1");
	/* Scheme and host case folded; path case kept. */
	CHECK_URL_AT(&r, 3, "evil.example", "/Login");
	CHECK(fz_test_entry_at(&r, 4) == NULL); /* the same rule as line 2, scheme-less */
	CHECK_URL_AT(&r, 5, "cdn.example.net", "/a.js");
	CHECK_URL_AT(&r, 6, "shop.example", "/pay");
	CHECK_IP_AT(&r, 7, AF_INET, "192.0.2.7", 32, FZ_ACTION_BLOCK);
	CHECK_IP_AT(&r, 8, AF_INET6, "2001:db8::1", 128, FZ_ACTION_BLOCK);
	CHECK_URL_AT(&r, 9, "phish.example", "/?id=5");
	CHECK_URL_AT(&r, 10, "amp.example", "/a?b=1&c=2");
	CHECK_URL_AT(&r, 11, "idn.example", "/%D0%BF%D1%83%D1%82%D1%8C");
	CHECK_URL_AT(&r, 12, "xn--bcher-kva.example", "/");
	CHECK_URL_AT(&r, 23, "spaces.example", "/trimmed");
	CHECK_URL_AT(&r, 24, "bare.example", "/");

	CHECK_PROBLEM_ONLY(&r, 14, FZ_PROBLEM_REJECTED, "scheme");
	CHECK_PROBLEM_ONLY(&r, 15, FZ_PROBLEM_REJECTED, "scheme");
	CHECK_PROBLEM_ONLY(&r, 16, FZ_PROBLEM_REJECTED, "space");
	CHECK_PROBLEM_ONLY(&r, 17, FZ_PROBLEM_REJECTED, "space, control or stray");
	CHECK_PROBLEM_ONLY(&r, 18, FZ_PROBLEM_REJECTED, "IP address");
	CHECK_PROBLEM_ONLY(&r, 19, FZ_PROBLEM_REJECTED, "character not allowed");
	CHECK_PROBLEM_ONLY(&r, 20, FZ_PROBLEM_REJECTED, "port");
	CHECK_PROBLEM_ONLY(&r, 21, FZ_PROBLEM_REJECTED, "single label");
	CHECK_PROBLEM_ONLY(&r, 22, FZ_PROBLEM_REJECTED, "invisible");

	/* A URL never becomes a name rule. */
	for (size_t i = 0; i < r.n_entries; i++)
		CHECK(r.entries[i].kind != FZ_RULE_NAME);
	fz_parse_result_free(&r);
}

static void test_url_list_edges(void)
{
	struct fz_parse_result r;

	/* Only comments and blanks: nothing, no problems. */
	fz_test_parse_str(FZ_FORMAT_URLS, "# a\n\n   \n#b\r\n", &r);
	CHECK_COUNTS(&r, 0, 0, 0, 0);
	fz_parse_result_free(&r);

	/* No final newline, CRLF, a BOM. */
	fz_test_parse_str(FZ_FORMAT_URLS, "\xef\xbb\xbfhttp://a.example/x\r\nhttp://b.example/y",
			  &r);
	CHECK_COUNTS(&r, 2, 0, 0, 0);
	CHECK_URL_AT(&r, 1, "a.example", "/x");
	CHECK_URL_AT(&r, 2, "b.example", "/y");
	fz_parse_result_free(&r);

	/* A path that grows past the bound when percent-encoded. */
	char *big = malloc(64 + 3 * FZ_URL_PATH_MAX);
	size_t n = (size_t)sprintf(big, "http://big.example/");
	for (int i = 0; i < 800; i++) {
		memcpy(big + n, "\xc3\xa9", 2); /* 800 x 'é' = 4800 bytes encoded */
		n += 2;
	}
	big[n] = '\0';
	fz_test_parse_str(FZ_FORMAT_URLS, big, &r);
	CHECK_COUNTS(&r, 0, 0, 1, 0);
	CHECK_PROBLEM_ONLY(&r, 1, FZ_PROBLEM_REJECTED, "longer than 2048");
	fz_parse_result_free(&r);
	free(big);

	/* Embedded NUL bytes are refused, not read as the end. */
	static const char nul[] = "http://n.example/a\0b\nhttp://ok.example/\n";
	fz_test_parse(FZ_FORMAT_URLS, nul, sizeof(nul) - 1, FZ_MATCH_DEFAULT, &r);
	CHECK_COUNTS(&r, 1, 0, 1, 0);
	CHECK_PROBLEM_ONLY(&r, 1, FZ_PROBLEM_REJECTED, "control");
	CHECK_URL_AT(&r, 2, "ok.example", "/");
	fz_parse_result_free(&r);

	/* The entry bound stops parsing without failing. */
	struct fz_parse_opts o = {.format = FZ_FORMAT_URLS, .max_entries = 2};
	static const char three[] = "a.example/1\nb.example/2\nc.example/3\n";
	fz_test_parse_opts(&o, three, sizeof(three) - 1, &r);
	CHECK_INT(r.n_entries, 2);
	CHECK(r.truncated);
	fz_parse_result_free(&r);
}

static void test_csv_urlhaus(void)
{
	struct fz_parse_result r;
	/* Banner comments, the commented-out header, CRLF, broken quoting. */
	fz_test_parse_file(FZ_FORMAT_CSV, "csv/urlhaus.csv", &r);
	CHECK_INT(r.lines, 15);
	CHECK_COUNTS(&r, 3, 1, 4, 1);
	CHECK_URL_AT(&r, 7, "mal.example", "/bin.sh");
	CHECK_IP_AT(&r, 8, AF_INET, "198.51.100.9", 32, FZ_ACTION_BLOCK);
	CHECK_PROBLEM_ONLY(&r, 9, FZ_PROBLEM_SKIPPED, "offline");
	CHECK_PROBLEM_ONLY(&r, 10, FZ_PROBLEM_REJECTED, "stray character");
	CHECK_PROBLEM_ONLY(&r, 11, FZ_PROBLEM_REJECTED, "after a closing quote");
	CHECK_PROBLEM_ONLY(&r, 12, FZ_PROBLEM_REJECTED, "unterminated");
	/* A comma inside quotes stays in the field. */
	CHECK_URL_AT(&r, 13, "comma.example", "/a,b");
	CHECK_PROBLEM_ONLY(&r, 14, FZ_PROBLEM_REJECTED, "fewer columns");
	CHECK(fz_test_entry_at(&r, 15) == NULL); /* duplicate of line 7 */
	fz_parse_result_free(&r);
}

static void test_csv_host_path(void)
{
	struct fz_parse_result r;
	fz_test_parse_file(FZ_FORMAT_CSV, "csv/splunk.csv", &r);
	CHECK_COUNTS(&r, 5, 0, 2, 0);
	CHECK_URL_AT(&r, 3, "splunk.example", "/");
	CHECK_IP_AT(&r, 4, AF_INET, "203.0.113.5", 32, FZ_ACTION_BLOCK);
	CHECK_URL_AT(&r, 5, "files.example", "/2294/a.pdf");
	CHECK_URL_AT(&r, 6, "files.example", "/dl.dll?v=17");
	CHECK_PROBLEM_ONLY(&r, 7, FZ_PROBLEM_REJECTED, "no host");
	CHECK_PROBLEM_ONLY(&r, 8, FZ_PROBLEM_REJECTED, "character not allowed");
	CHECK_URL_AT(&r, 9, "files.example", "/noslash");
	fz_parse_result_free(&r);
}

static void test_csv_type_value(void)
{
	struct fz_parse_result r;
	/* TweetFeed month.csv: no header; date,user,type,value,tags,tweet_url. */
	fz_test_parse_file(FZ_FORMAT_CSV, "csv/tweetfeed.csv", &r);
	CHECK_COUNTS(&r, 5, 0, 4, 3);

	/* A domain indicator is an EXACT block of that name only. */
	CHECK_NAME_AT(&r, 1, "phish-domain.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT,
		      FZ_POLICY_DEFAULT);
	CHECK_URL_AT(&r, 2, "phish-domain.example", "/login");
	CHECK_IP_AT(&r, 3, AF_INET, "192.0.2.44", 32, FZ_ACTION_BLOCK);
	CHECK_IP_AT(&r, 4, AF_INET6, "2001:db8::", 32, FZ_ACTION_BLOCK);
	CHECK_PROBLEM_ONLY(&r, 5, FZ_PROBLEM_SKIPPED, "hash");
	CHECK_PROBLEM_ONLY(&r, 6, FZ_PROBLEM_SKIPPED, "hash");
	CHECK_PROBLEM_ONLY(&r, 7, FZ_PROBLEM_SKIPPED, "unknown indicator type");
	CHECK_URL_AT(&r, 8, "inc.example", "/Kitchen_and_Bath,_Inc/");
	CHECK_PROBLEM_ONLY(&r, 9, FZ_PROBLEM_REJECTED, "stray character");
	CHECK_PROBLEM_ONLY(&r, 10, FZ_PROBLEM_REJECTED, "not an IP address");
	CHECK_PROBLEM_ONLY(&r, 11, FZ_PROBLEM_REJECTED, "'*'");
	CHECK_PROBLEM_ONLY(&r, 12, FZ_PROBLEM_REJECTED, "fewer columns");
	fz_parse_result_free(&r);
}

static void test_csv_header_and_guess(void)
{
	struct fz_parse_result r;

	/* phishunt: url column found by name, CRLF, quoted comma, repeated header. */
	fz_test_parse_file(FZ_FORMAT_CSV, "csv/phishunt.csv", &r);
	CHECK_COUNTS(&r, 2, 0, 1, 0);
	CHECK_URL_AT(&r, 2, "allegro.example-oferta.lol", "/");
	CHECK_URL_AT(&r, 3, "alibaba666.example", "/");
	CHECK(fz_test_entry_at(&r, 4) == NULL && fz_test_problem_at(&r, 4) == NULL);
	CHECK_PROBLEM_ONLY(&r, 5, FZ_PROBLEM_REJECTED, "empty URL");
	fz_parse_result_free(&r);

	/* No header: the column holding http(s) URLs is used. */
	fz_test_parse_file(FZ_FORMAT_CSV, "csv/guess.csv", &r);
	CHECK_COUNTS(&r, 2, 0, 0, 0);
	CHECK_URL_AT(&r, 1, "guessed.example", "/p");
	CHECK_URL_AT(&r, 2, "guessed2.example", "/q");
	fz_parse_result_free(&r);

	/* Nothing to use: every row says so. */
	fz_test_parse_file(FZ_FORMAT_CSV, "csv/nourl.csv", &r);
	CHECK_COUNTS(&r, 0, 0, 3, 0);
	CHECK_PROBLEM_ONLY(&r, 2, FZ_PROBLEM_REJECTED, "without a url");
	fz_parse_result_free(&r);

	/* Header names are case-insensitive and may be padded. */
	fz_test_parse_str(FZ_FORMAT_CSV, "ID, URL ,Status\n1,http://h.example/x,online\n", &r);
	CHECK_COUNTS(&r, 1, 0, 0, 0);
	CHECK_URL_AT(&r, 2, "h.example", "/x");
	fz_parse_result_free(&r);

	/* A header of type/value columns. */
	fz_test_parse_str(FZ_FORMAT_CSV, "type,value\nurl,http://tv.example/a\ndomain,tv.example\n",
			  &r);
	CHECK_COUNTS(&r, 2, 0, 0, 0);
	CHECK_URL_AT(&r, 2, "tv.example", "/a");
	CHECK(fz_test_entry_at(&r, 3) && fz_test_entry_at(&r, 3)->kind == FZ_RULE_NAME);
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
		struct fz_parse_result r;
		fz_test_parse_str(FZ_FORMAT_CSV, cases[i], &r);
		CHECK(r.n_entries == 0);
		fz_parse_result_free(&r);
	}

	/* A row longer than the CSV line bound is refused, the next one read. */
	size_t big = 20000;
	char *s = malloc(big + 64);
	memcpy(s, "url\nhttp://a.example/", 21);
	memset(s + 21, 'x', big);
	memcpy(s + 21 + big, "\nhttp://b.example/\n", 19);
	struct fz_parse_result r;
	fz_test_parse(FZ_FORMAT_CSV, s, 40 + big, FZ_MATCH_DEFAULT, &r);
	CHECK_COUNTS(&r, 1, 0, 1, 0);
	CHECK_PROBLEM_ONLY(&r, 2, FZ_PROBLEM_REJECTED, "longer than");
	CHECK_URL_AT(&r, 3, "b.example", "/");
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
		fz_test_parse(iter & 1 ? FZ_FORMAT_CSV : FZ_FORMAT_URLS, buf, n, FZ_MATCH_DEFAULT,
			      &r);
		fz_test_check_sane(&r);
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
