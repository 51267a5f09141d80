/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Format detection: fz_format_detect() and fz_parse() with FZ_FORMAT_AUTO. */
#include <stdint.h>
#include <string.h>

#include "fz_parse.h"
#include "fz_test.h"

static enum fz_format detect_str(const char *s)
{
	return fz_format_detect((const uint8_t *)s, strlen(s));
}

#define CHECK_FORMAT(got, want)                                                                    \
	do {                                                                                       \
		enum fz_format g_ = (got), w_ = (want);                                            \
		CHECK_STR(fz_format_name(g_), fz_format_name(w_));                                 \
	} while (0)

static void test_strings(void)
{
	CHECK_FORMAT(detect_str(""), FZ_FORMAT_DOMAINS);
	CHECK_FORMAT(detect_str("# only comments\n#\n"), FZ_FORMAT_DOMAINS);
	CHECK_FORMAT(detect_str("! only adblock comments\n"), FZ_FORMAT_ADBLOCK);
	CHECK_FORMAT(detect_str("a.example\nb.example\n"), FZ_FORMAT_DOMAINS);
	CHECK_FORMAT(detect_str("*.a.example\n*.b.example\n"), FZ_FORMAT_DOMAINS);
	CHECK_FORMAT(detect_str("0.0.0.0 a.example\n0.0.0.0 b.example c.example\n"),
		     FZ_FORMAT_HOSTS);
	CHECK_FORMAT(detect_str("127.0.0.1 a.example\n::1 localhost\n0 b.example\n"),
		     FZ_FORMAT_HOSTS);
	CHECK_FORMAT(detect_str("||a.example^\n||b.example^\n"), FZ_FORMAT_ADBLOCK);
	CHECK_FORMAT(detect_str("@@|a.example^\n@@||b.example^\n"), FZ_FORMAT_ADBLOCK);
	CHECK_FORMAT(detect_str("[Adblock Plus]\na.example\nb.example\n"), FZ_FORMAT_ADBLOCK);
	CHECK_FORMAT(detect_str("! Title: x\na.example\nb.example\n"), FZ_FORMAT_ADBLOCK);
	CHECK_FORMAT(detect_str("/^ads?\\./\n/tracker/\n"), FZ_FORMAT_ADBLOCK);
	CHECK_FORMAT(detect_str("$TTL 300\n@ SOA a. b. 1 2 3 4 5\na.example CNAME .\n"),
		     FZ_FORMAT_RPZ);
	CHECK_FORMAT(detect_str("a.example CNAME .\n*.a.example CNAME .\n"), FZ_FORMAT_RPZ);
	CHECK_FORMAT(detect_str("http://a.example/x\nhttps://b.example\n"), FZ_FORMAT_URLS);
	CHECK_FORMAT(detect_str("HTTPS://A.EXAMPLE/X\nhttp://b.example\nc.example/path\n"),
		     FZ_FORMAT_URLS);
	CHECK_FORMAT(detect_str("url,label,source\nhttps://a.example,0,x\nhttps://b.example,0,x\n"),
		     FZ_FORMAT_CSV);
	CHECK_FORMAT(detect_str("\"host\",\"path\"\n\"a.example\",\"/x\"\n\"b.example\",\"\"\n"),
		     FZ_FORMAT_CSV);
	/* URLs with a comma here and there are still a URL list. */
	CHECK_FORMAT(detect_str("http://a.example/x?a=1,2\nhttp://b.example/\nhttp://c.example/\n"
				"http://d.example/y\n"),
		     FZ_FORMAT_URLS);
	/* A UTF-8 BOM and CRLF do not change anything. */
	CHECK_FORMAT(detect_str("\xef\xbb\xbf"
				"0.0.0.0 a.example\r\n0.0.0.0 b.example\r\n"),
		     FZ_FORMAT_HOSTS);
	/* NULL with length 0 is an empty input. */
	CHECK_FORMAT(fz_format_detect(NULL, 0), FZ_FORMAT_DOMAINS);
}

/* Only the start of a big input decides (and the rest is not read). */
static void test_window(void)
{
	size_t cap = 200 * 1024, n = 0;
	char *buf = malloc(cap);
	CHECK(buf != NULL);
	if (!buf)
		return;
	/* 1000 domain lines (~20 KiB), then hosts lines up to 200 KiB. */
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "name%04d.example\n", i);
	while (n + 40 < cap)
		n += (size_t)snprintf(buf + n, cap - n, "0.0.0.0 h%06zu.example\n", n);
	CHECK_FORMAT(fz_format_detect((const uint8_t *)buf, n), FZ_FORMAT_DOMAINS);

	/* 80 KiB of comments first: the window holds no data line at all. */
	n = 0;
	while (n < 80 * 1024)
		n += (size_t)snprintf(buf + n, cap - n, "# %s\n", "a long comment line, again");
	n += (size_t)snprintf(buf + n, cap - n, "0.0.0.0 late.example\n");
	CHECK_FORMAT(fz_format_detect((const uint8_t *)buf, n), FZ_FORMAT_DOMAINS);

	/* One line longer than the window: never read past it, no crash. */
	memset(buf, 'a', cap);
	CHECK_FORMAT(fz_format_detect((const uint8_t *)buf, cap), FZ_FORMAT_DOMAINS);
	free(buf);
}

static void test_fixtures(void)
{
	static const struct {
		const char *file;
		enum fz_format want;
	} cases[] = {
	    {"hosts.txt", FZ_FORMAT_HOSTS},
	    {"domains.txt", FZ_FORMAT_DOMAINS},
	    {"wildcard.txt", FZ_FORMAT_DOMAINS},
	    {"adblock.txt", FZ_FORMAT_ADBLOCK},
	    {"adblock-header.txt", FZ_FORMAT_ADBLOCK},
	    {"adblock-bare.txt", FZ_FORMAT_ADBLOCK},
	    {"adblock-hash.txt", FZ_FORMAT_ADBLOCK},
	    {"rpz.txt", FZ_FORMAT_RPZ},
	    {"rpz-parens.txt", FZ_FORMAT_RPZ},
	    {"urls.txt", FZ_FORMAT_URLS},
	    {"csv-banner.csv", FZ_FORMAT_CSV},
	    {"csv-header.csv", FZ_FORMAT_CSV},
	    {"csv-noheader.csv", FZ_FORMAT_CSV},
	    {"csv-hostpath.csv", FZ_FORMAT_CSV},
	    {"empty.txt", FZ_FORMAT_DOMAINS},
	};
	const char *dir = getenv("FZ_FIXTURES");
	char path[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		snprintf(path, sizeof(path), "%s/detect/%s", dir ? dir : FZ_FIXTURES,
			 cases[i].file);
		unsigned char *buf = fz_test_read_file(path, &len);
		enum fz_format got = fz_format_detect(buf, len);
		if (got != cases[i].want)
			fprintf(stderr, "  %s detected as %s\n", cases[i].file,
				fz_format_name(got));
		CHECK_FORMAT(got, cases[i].want);
		free(buf);
	}
}

/* fz_parse() with FZ_FORMAT_AUTO uses the detected format and says which. */
static void test_parse_auto(void)
{
	struct fz_parse_opts o = {.format = FZ_FORMAT_AUTO};
	struct fz_parse_result r;
	const char *dir = getenv("FZ_FIXTURES");
	char path[4096];
	size_t len;

	snprintf(path, sizeof(path), "%s/detect/hosts.txt", dir ? dir : FZ_FIXTURES);
	unsigned char *buf = fz_test_read_file(path, &len);
	CHECK_INT(fz_parse(buf, len, &o, &r), 0);
	CHECK_INT(r.format, FZ_FORMAT_HOSTS);
	CHECK_INT(r.accepted, 4);
	CHECK_INT(r.skipped, 2); /* the two localhost lines */
	CHECK_INT(r.rejected, 0);
	if (r.n_entries == 4) {
		CHECK_STR(fz_parse_str(&r, r.entries[0].name_off), "a.example");
		CHECK_STR(fz_parse_str(&r, r.entries[3].name_off), "d.example");
		CHECK_INT(r.entries[3].line, 6);
	}
	fz_parse_result_free(&r);
	free(buf);

	snprintf(path, sizeof(path), "%s/detect/adblock-bare.txt", dir ? dir : FZ_FIXTURES);
	buf = fz_test_read_file(path, &len);
	CHECK_INT(fz_parse(buf, len, &o, &r), 0);
	CHECK_INT(r.format, FZ_FORMAT_ADBLOCK);
	CHECK_INT(r.accepted, 4); /* three names and an address rule */
	CHECK_INT(r.rejected + r.skipped, 0);
	if (r.n_entries == 4) {
		CHECK_INT(r.entries[2].kind, FZ_RULE_IP);
		CHECK_INT(r.entries[0].match, FZ_MATCH_EXACT);
	}
	fz_parse_result_free(&r);
	free(buf);

	snprintf(path, sizeof(path), "%s/detect/wildcard.txt", dir ? dir : FZ_FIXTURES);
	buf = fz_test_read_file(path, &len);
	CHECK_INT(fz_parse(buf, len, &o, &r), 0);
	CHECK_INT(r.format, FZ_FORMAT_DOMAINS);
	CHECK_INT(r.accepted, 3);
	if (r.n_entries == 3) {
		CHECK_STR(fz_parse_str(&r, r.entries[1].name_off), "b.example");
		CHECK_INT(r.entries[1].match, FZ_MATCH_SUBTREE);
	}
	fz_parse_result_free(&r);
	free(buf);

	const char *ab = "! x\n||a.example^\n";
	CHECK_INT(fz_parse((const uint8_t *)ab, strlen(ab), &o, &r), 0);
	CHECK_INT(r.format, FZ_FORMAT_ADBLOCK);
	CHECK_INT(r.accepted, 1);
	if (r.n_entries == 1)
		CHECK_INT(r.entries[0].match, FZ_MATCH_SUBTREE);
	fz_parse_result_free(&r);
}

/* Arbitrary bytes: always some format, never AUTO, never a crash. */
static void test_garbage(void)
{
	uint8_t buf[8192];
	uint32_t x = 99;

	for (int round = 0; round < 300; round++) {
		size_t len = (size_t)(round * 97) % sizeof(buf);
		for (size_t i = 0; i < len; i++) {
			static const char alpha[] = "0.1 :a|^$@#!;,\"/\n\r\t";
			x = x * 1103515245u + 12345u;
			uint8_t c = (uint8_t)(x >> 16);
			buf[i] = (c & 3) ? (uint8_t)alpha[c % (sizeof(alpha) - 1)] : c;
		}
		enum fz_format f = fz_format_detect(buf, len);
		CHECK(f > FZ_FORMAT_AUTO && f < FZ_FORMAT_COUNT);
	}
}

int main(void)
{
	test_strings();
	test_window();
	test_fixtures();
	test_parse_auto();
	test_garbage();
	return fz_test_done();
}
