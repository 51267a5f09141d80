/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Format detection: fz_format_detect() and fz_parse() with FZ_FORMAT_AUTO. */
#include <stdint.h>
#include <string.h>

#include "fz_test_parse.h"

/* fz_format_detect() reads `len` bytes of `data` as `want`; `what` names them when it does not. */
static void check_detect(const char *what, const void *data, size_t len, enum fz_format want)
{
	enum fz_format got = fz_format_detect(data, len);

	CHECK_STR(fz_format_name(got), fz_format_name(want));
	if (got != want)
		fprintf(stderr, "  %s: detected as %s\n", what, fz_format_name(got));
}

static void test_strings(void)
{
	static const struct {
		const char *in;
		enum fz_format want;
	} cases[] = {
	    {"", FZ_FORMAT_DOMAINS},
	    {"# only comments\n#\n", FZ_FORMAT_DOMAINS},
	    {"! only adblock comments\n", FZ_FORMAT_ADBLOCK},
	    {"a.example\nb.example\n", FZ_FORMAT_DOMAINS},
	    {"*.a.example\n*.b.example\n", FZ_FORMAT_DOMAINS},
	    {"0.0.0.0 a.example\n0.0.0.0 b.example c.example\n", FZ_FORMAT_HOSTS},
	    {"127.0.0.1 a.example\n::1 localhost\n0 b.example\n", FZ_FORMAT_HOSTS},
	    {"||a.example^\n||b.example^\n", FZ_FORMAT_ADBLOCK},
	    {"@@|a.example^\n@@||b.example^\n", FZ_FORMAT_ADBLOCK},
	    {"[Adblock Plus]\na.example\nb.example\n", FZ_FORMAT_ADBLOCK},
	    {"! Title: x\na.example\nb.example\n", FZ_FORMAT_ADBLOCK},
	    {"/^ads?\\./\n/tracker/\n", FZ_FORMAT_ADBLOCK},
	    {"$TTL 300\n@ SOA a. b. 1 2 3 4 5\na.example CNAME .\n", FZ_FORMAT_RPZ},
	    {"a.example CNAME .\n*.a.example CNAME .\n", FZ_FORMAT_RPZ},
	    {"http://a.example/x\nhttps://b.example\n", FZ_FORMAT_URLS},
	    {"HTTPS://A.EXAMPLE/X\nhttp://b.example\nc.example/path\n", FZ_FORMAT_URLS},
	    {"url,label,source\nhttps://a.example,0,x\nhttps://b.example,0,x\n", FZ_FORMAT_CSV},
	    {"\"host\",\"path\"\n\"a.example\",\"/x\"\n\"b.example\",\"\"\n", FZ_FORMAT_CSV},
	    /* URLs with a comma here and there are still a URL list. */
	    {"http://a.example/x?a=1,2\nhttp://b.example/\nhttp://c.example/\nhttp://d.example/y\n",
	     FZ_FORMAT_URLS},
	    /* A UTF-8 BOM and CRLF do not change anything. */
	    {"\xef\xbb\xbf"
	     "0.0.0.0 a.example\r\n0.0.0.0 b.example\r\n",
	     FZ_FORMAT_HOSTS},
	};
	for (size_t i = 0; i < FZ_TEST_ARRAY_SIZE(cases); i++)
		check_detect(cases[i].in, cases[i].in, strlen(cases[i].in), cases[i].want);
	/* NULL with length 0 is an empty input. */
	check_detect("NULL", NULL, 0, FZ_FORMAT_DOMAINS);
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
	check_detect("1000 domain lines, then hosts lines", buf, n, FZ_FORMAT_DOMAINS);

	/* 80 KiB of comments first: the window holds no data line at all. */
	n = 0;
	while (n < 80 * 1024)
		n += (size_t)snprintf(buf + n, cap - n, "# %s\n", "a long comment line, again");
	n += (size_t)snprintf(buf + n, cap - n, "0.0.0.0 late.example\n");
	check_detect("80 KiB of comments, then a hosts line", buf, n, FZ_FORMAT_DOMAINS);

	/* One line longer than the window: never read past it, no crash. */
	memset(buf, 'a', cap);
	check_detect("one line of 200 KiB", buf, cap, FZ_FORMAT_DOMAINS);
	free(buf);
}

static void test_fixtures(void)
{
	static const struct {
		const char *file;
		enum fz_format want;
	} cases[] = {
	    {"detect/hosts.txt", FZ_FORMAT_HOSTS},
	    {"detect/domains.txt", FZ_FORMAT_DOMAINS},
	    {"detect/wildcard.txt", FZ_FORMAT_DOMAINS},
	    {"detect/adblock.txt", FZ_FORMAT_ADBLOCK},
	    {"detect/adblock-header.txt", FZ_FORMAT_ADBLOCK},
	    {"detect/adblock-bare.txt", FZ_FORMAT_ADBLOCK},
	    {"detect/adblock-hash.txt", FZ_FORMAT_ADBLOCK},
	    {"detect/rpz.txt", FZ_FORMAT_RPZ},
	    {"detect/rpz-parens.txt", FZ_FORMAT_RPZ},
	    {"detect/urls.txt", FZ_FORMAT_URLS},
	    {"detect/csv-banner.csv", FZ_FORMAT_CSV},
	    {"detect/csv-header.csv", FZ_FORMAT_CSV},
	    {"detect/csv-noheader.csv", FZ_FORMAT_CSV},
	    {"detect/csv-hostpath.csv", FZ_FORMAT_CSV},
	    {"detect/empty.txt", FZ_FORMAT_DOMAINS},
	};

	for (size_t i = 0; i < FZ_TEST_ARRAY_SIZE(cases); i++) {
		size_t len;
		unsigned char *buf = fz_test_fixture(cases[i].file, &len);

		check_detect(cases[i].file, buf, len, cases[i].want);
		free(buf);
	}
}

/* fz_parse() with FZ_FORMAT_AUTO uses the detected format and says which. */
static void test_parse_auto(void)
{
	struct fz_parse_result r;

	fz_test_parse_file(FZ_FORMAT_AUTO, "detect/hosts.txt", &r);
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

	fz_test_parse_file(FZ_FORMAT_AUTO, "detect/adblock-bare.txt", &r);
	CHECK_INT(r.format, FZ_FORMAT_ADBLOCK);
	CHECK_INT(r.accepted, 4); /* three names and an address rule */
	CHECK_INT(r.rejected + r.skipped, 0);
	if (r.n_entries == 4) {
		CHECK_INT(r.entries[2].kind, FZ_RULE_IP);
		CHECK_INT(r.entries[0].match, FZ_MATCH_EXACT);
	}
	fz_parse_result_free(&r);

	fz_test_parse_file(FZ_FORMAT_AUTO, "detect/wildcard.txt", &r);
	CHECK_INT(r.format, FZ_FORMAT_DOMAINS);
	CHECK_INT(r.accepted, 3);
	if (r.n_entries == 3) {
		CHECK_STR(fz_parse_str(&r, r.entries[1].name_off), "b.example");
		CHECK_INT(r.entries[1].match, FZ_MATCH_SUBTREE);
	}
	fz_parse_result_free(&r);

	fz_test_parse_str(FZ_FORMAT_AUTO, "! x\n||a.example^\n", &r);
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
	uint32_t seed = 99;

	for (int round = 0; round < 300; round++) {
		size_t len = (size_t)round * 97 % sizeof(buf);

		fz_test_fill(buf, len, "0.1 :a|^$@#!;,\"/\n\r\t", &seed);
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
