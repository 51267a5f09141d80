/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fz_ini: syntax, comments, quoting, bounds, error messages, value helpers. */
#include <stdint.h>

#include "fz_ini.h"
#include "fz_test.h"

/* Every callback call, one line each: "[section|sub]@line" or "section|sub|key=value@line". */
struct trace {
	char log[8192];
	size_t len;
	unsigned calls;
	unsigned fail_at; /* return an error on this call (1-based), 0 = never */
	const char *fail_msg;
};

static int record(const struct fz_ini_item *it, void *userdata, char *err, size_t errlen)
{
	struct trace *t = userdata;
	int n;

	t->calls++;
	if (it->key)
		n = snprintf(t->log + t->len, sizeof(t->log) - t->len, "%s|%s|%s=%s@%u\n",
			     it->section, it->sub, it->key, it->value, it->line);
	else
		n = snprintf(t->log + t->len, sizeof(t->log) - t->len, "[%s|%s]@%u\n", it->section,
			     it->sub, it->line);
	if (n > 0 && (size_t)n < sizeof(t->log) - t->len)
		t->len += (size_t)n;
	if (t->fail_at && t->calls == t->fail_at) {
		snprintf(err, errlen, "%s", t->fail_msg ? t->fail_msg : "");
		return -EPERM;
	}
	return 0;
}

static int run(const char *text, size_t len, struct trace *t, char *err, size_t errlen)
{
	return fz_ini_parse((const uint8_t *)text, len, "t.conf", record, t, err, errlen);
}

/* Parse a C string that must be valid; return the trace. */
static const char *trace_of(const char *text)
{
	static struct trace t;
	char err[256] = "";
	int r;

	memset(&t, 0, sizeof(t));
	r = run(text, strlen(text), &t, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "unexpected error %d: %s\n", r, err);
	CHECK_INT(r, 0);
	CHECK_STR(err, "");
	return t.log;
}

/* Parse `len` bytes that must fail with exactly `want`. */
static void expect_err_n(const char *text, size_t len, const char *want)
{
	struct trace t = {0};
	char err[256] = "unchanged";
	int r = run(text, len, &t, err, sizeof(err));

	CHECK_INT(r, -EINVAL);
	CHECK_STR(err, want);
}

static void expect_err(const char *text, const char *want)
{
	expect_err_n(text, strlen(text), want);
}

static void test_syntax(void)
{
	CHECK_STR(trace_of(""), "");
	CHECK_STR(trace_of("\n\n   \n\t\n"), "");
	CHECK_STR(trace_of("# only\n; comments\n   # indented\n"), "");
	CHECK_STR(trace_of("[feeds]\noutput = /x/y.fzb\n"),
		  "[feeds|]@1\nfeeds||output=/x/y.fzb@2\n");
	/* No blanks around '=', blanks and tabs trimmed, '=' inside the value. */
	CHECK_STR(trace_of("[a]\nk=v\n  k2 \t=\t v 2 \t\nk3 = a = b\n"),
		  "[a|]@1\na||k=v@2\na||k2=v 2@3\na||k3=a = b@4\n");
	/* Empty values. */
	CHECK_STR(trace_of("[a]\nk =\nk2 = \"\"\n"), "[a|]@1\na||k=@2\na||k2=@3\n");
	/* Named sections: bare, padded, quoted with blanks and escapes. */
	CHECK_STR(trace_of("[feed urlhaus]\n[ feed   x.y_z-1 ]\n[feed \"my list\"]\n"
			   "[feed \"q\\\"\\\\\"]\n[feed\"n\"]\n"),
		  "[feed|urlhaus]@1\n[feed|x.y_z-1]@2\n[feed|my list]@3\n[feed|q\"\\]@4\n"
		  "[feed|n]@5\n");
	/* Comments after a header. */
	CHECK_STR(trace_of("[feeds] # main\n[dns];x\n[nfq]\t; y\n"),
		  "[feeds|]@1\n[dns|]@2\n[nfq|]@3\n");
	/* The last line needs no newline; keys are [a-z0-9_]. */
	CHECK_STR(trace_of("[s_1]\nmax_size2 = 3"), "[s_1|]@1\ns_1||max_size2=3@2\n");
	/* Line numbers count comments and blank lines. */
	CHECK_STR(trace_of("# c\n\n[a]\n\n; c\nk = v\n"), "[a|]@3\na||k=v@6\n");
}

static void test_comments_in_values(void)
{
	/* " #" after a blank starts a comment; '#' without a blank before it is data. */
	CHECK_STR(trace_of("[a]\nk = v # comment\n"), "[a|]@1\na||k=v@2\n");
	CHECK_STR(trace_of("[a]\nk = v\t# comment\n"), "[a|]@1\na||k=v@2\n");
	CHECK_STR(trace_of("[a]\nurl = http://x/#a\n"), "[a|]@1\na||url=http://x/#a@2\n");
	CHECK_STR(trace_of("[a]\nurl = http://x/#a # the fragment stays\n"),
		  "[a|]@1\na||url=http://x/#a@2\n");
	CHECK_STR(trace_of("[a]\nk = # nothing\n"), "[a|]@1\na||k=@2\n");
	CHECK_STR(trace_of("[a]\nk =# not a comment\n"), "[a|]@1\na||k=# not a comment@2\n");
	/* ';' only starts a comment at the start of a line. */
	CHECK_STR(trace_of("[a]\nk = v ; w\n"), "[a|]@1\na||k=v ; w@2\n");
	/* Quoted: '#' inside is data; a comment may follow the closing quote. */
	CHECK_STR(trace_of("[a]\nk = \"v # w\"\n"), "[a|]@1\na||k=v # w@2\n");
	CHECK_STR(trace_of("[a]\nk = \"v # w\" # c\n"), "[a|]@1\na||k=v # w@2\n");
	CHECK_STR(trace_of("[a]\nk = \"v\";c\n"), "[a|]@1\na||k=v@2\n");
	/* Quotes keep inner blanks; escapes \" and \\ only. */
	CHECK_STR(trace_of("[a]\nk = \"  v  \"\n"), "[a|]@1\na||k=  v  @2\n");
	CHECK_STR(trace_of("[a]\nk = \"say \\\"hi\\\" \\\\o/\"\n"),
		  "[a|]@1\na||k=say \"hi\" \\o/@2\n");
	/* A quote inside a bare value is data. */
	CHECK_STR(trace_of("[a]\nk = a \"b\" c\n"), "[a|]@1\na||k=a \"b\" c@2\n");
}

static void test_line_endings(void)
{
	/* CRLF, a UTF-8 byte order mark, and a CRLF on the last line. */
	CHECK_STR(trace_of("\xef\xbb\xbf[feeds]\r\noutput = /o\r\n\r\n# c\r\nk = \"q\" # c\r\n"),
		  "[feeds|]@1\nfeeds||output=/o@2\nfeeds||k=q@5\n");
	CHECK_STR(trace_of("[a]\r\nk = v\r"), "[a|]@1\na||k=v@2\n");
	/* A BOM alone, and a BOM that is not one (only at the very start). */
	CHECK_STR(trace_of("\xef\xbb\xbf"), "");
	expect_err("\n\xef\xbb\xbf[a]\n",
		   "t.conf:2: line is not 'key = value', a [section] or a comment");
	/* UTF-8 in values is data. */
	CHECK_STR(trace_of("[a]\nk = 防诈\n"), "[a|]@1\na||k=防诈@2\n");
}

static void test_errors(void)
{
	expect_err("garbage\n", "t.conf:1: line is not 'key = value', a [section] or a comment");
	expect_err("[a]\n\nurl: http://x/\n",
		   "t.conf:3: line is not 'key = value', a [section] or a comment");
	expect_err("k = v\n", "t.conf:1: key 'k' is outside any [section]");
	expect_err("[a]\n = v\n", "t.conf:2: missing key before '='");
	expect_err("[a]\nUrl = v\n", "t.conf:2: bad key 'Url' (lowercase letters, digits and '_')");
	expect_err("[a]\nmax-size = 1\n",
		   "t.conf:2: bad key 'max-size' (lowercase letters, digits and '_')");
	expect_err("[a]\nmax size = 1\n",
		   "t.conf:2: bad key 'max size' (lowercase letters, digits and '_')");
	expect_err("[a\n", "t.conf:1: section header is missing ']'");
	expect_err("[feed x\n", "t.conf:1: section header is missing ']'");
	expect_err("[]\n", "t.conf:1: section header has no name");
	expect_err("[ ]\n", "t.conf:1: section header has no name");
	expect_err("[Feeds]\n",
		   "t.conf:1: bad section name 'Feeds' (lowercase letters, digits and '_')");
	expect_err("[feed a b]\n",
		   "t.conf:1: section header has more than one name (quote a name with blanks)");
	expect_err("[feed a] x\n", "t.conf:1: text after ']' in section header");
	expect_err("[feed \"a]\n", "t.conf:1: section header: missing closing quote");
	expect_err("[a]\nk = \"abc\n", "t.conf:2: value of 'k': missing closing quote");
	expect_err("[a]\nk = \"abc\\\"\n", "t.conf:2: value of 'k': missing closing quote");
	expect_err("[a]\nk = \"a\\nb\"\n",
		   "t.conf:2: value of 'k': unknown escape in quoted text (only \\\" and \\\\)");
	expect_err("[a]\nk = \"a\" b\n", "t.conf:2: value of 'k': text after the closing quote");
	/* Bytes that do not belong in a text file. */
	expect_err_n("[a]\nk = v\0w\n", 10, "t.conf:2: NUL byte in line");
	expect_err_n("[a]\n# c\0\n", 8, "t.conf:2: NUL byte in line");
	expect_err("[a]\nk = v\x01\n", "t.conf:2: control character 0x01 in line");
	expect_err("[a]\nk = v\rw\n", "t.conf:2: control character 0x0d in line");
	expect_err("[a]\rk = v\r", "t.conf:1: control character 0x0d in line");
	expect_err("[a]\nk = \"v\x1b\"\n", "t.conf:2: control character 0x1b in line");
	expect_err("[a]\nk = \x7f\n", "t.conf:2: control character 0x7f in line");
}

static void test_bounds(void)
{
	size_t cap = 2 * FZ_INI_LINE_MAX + 64;
	char *buf = malloc(cap);
	struct trace t;
	char err[256];
	size_t n;

	/* A line of exactly FZ_INI_LINE_MAX bytes (without its CRLF) is fine. */
	n = (size_t)sprintf(buf, "[a]\n");
	memcpy(buf + n, "k = ", 4);
	memset(buf + n + 4, 'x', FZ_INI_LINE_MAX - 4);
	n += FZ_INI_LINE_MAX;
	memcpy(buf + n, "\r\n", 2);
	memset(&t, 0, sizeof(t));
	CHECK_INT(run(buf, n + 2, &t, err, sizeof(err)), 0);
	CHECK_INT(t.calls, 2);
	/* One byte more is not, with or without a newline after it. */
	memset(buf + n, 'x', 1);
	expect_err_n(buf, n + 1, "t.conf:2: line is longer than 4096 bytes");
	memcpy(buf + n + 1, "\n", 1);
	expect_err_n(buf, n + 2, "t.conf:2: line is longer than 4096 bytes");
	free(buf);

	/* FZ_INI_SECTION_MAX sections, then one more. */
	cap = (FZ_INI_SECTION_MAX + 1) * 4 + 1;
	buf = malloc(cap);
	n = 0;
	for (int i = 0; i < FZ_INI_SECTION_MAX; i++)
		n += (size_t)sprintf(buf + n, "[a]\n");
	memset(&t, 0, sizeof(t));
	CHECK_INT(run(buf, n, &t, err, sizeof(err)), 0);
	CHECK_INT(t.calls, FZ_INI_SECTION_MAX);
	n += (size_t)sprintf(buf + n, "[a]\n");
	expect_err_n(buf, n, "t.conf:1025: more than 1024 sections");
	free(buf);
}

static void test_callback(void)
{
	const char *text = "[feeds]\nk = 1\nbad = 2\nafter = 3\n";
	struct trace t = {0};
	char err[256];
	int r;

	/* The callback's error and message, located; nothing is called after it. */
	t.fail_at = 3;
	t.fail_msg = "unknown key 'bad' in [feeds]";
	r = run(text, strlen(text), &t, err, sizeof(err));
	CHECK_INT(r, -EPERM);
	CHECK_STR(err, "t.conf:3: unknown key 'bad' in [feeds]");
	CHECK_INT(t.calls, 3);
	/* A header can fail too. */
	memset(&t, 0, sizeof(t));
	t.fail_at = 1;
	t.fail_msg = "no";
	CHECK_INT(run(text, strlen(text), &t, err, sizeof(err)), -EPERM);
	CHECK_STR(err, "t.conf:1: no");
	/* A callback that says nothing still gets a message. */
	memset(&t, 0, sizeof(t));
	t.fail_at = 2;
	t.fail_msg = "";
	CHECK_INT(run(text, strlen(text), &t, err, sizeof(err)), -EPERM);
	CHECK_STR(err, "t.conf:2: invalid entry");
	/* Small and missing error buffers. */
	memset(&t, 0, sizeof(t));
	CHECK_INT(run("x", 1, &t, err, 5), -EINVAL);
	CHECK_STR(err, "t.co");
	CHECK_INT(run("x", 1, &t, NULL, 0), -EINVAL);
	CHECK_INT(run("x", 1, &t, err, 0), -EINVAL);
	/* No file name. */
	CHECK_INT(fz_ini_parse((const uint8_t *)"x", 1, NULL, record, &t, err, sizeof(err)),
		  -EINVAL);
	CHECK_STR(err, "(config):1: line is not 'key = value', a [section] or a comment");
	/* Section items have no key and an empty value. */
	CHECK_STR(trace_of("[a b]\n"), "[a|b]@1\n");
}

static void test_bool(void)
{
	static const char *const yes[] = {"yes", "true", "on", "1", "YES", "True", "On"};
	static const char *const no[] = {"no", "false", "off", "0", "NO", "False", "OFF"};
	static const char *const bad[] = {"", "2", "yess", "y", "n", "enable", " yes", "01"};
	char err[128];
	int v;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		v = -1;
		CHECK_INT(fz_ini_bool(yes[i], &v, err, sizeof(err)), 0);
		CHECK_INT(v, 1);
		v = -1;
		CHECK_INT(fz_ini_bool(no[i], &v, err, sizeof(err)), 0);
		CHECK_INT(v, 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -1;
		CHECK_INT(fz_ini_bool(bad[i], &v, err, sizeof(err)), -EINVAL);
		CHECK_INT(v, -1);
	}
	fz_ini_bool("maybe", &v, err, sizeof(err));
	CHECK_STR(err, "'maybe' is not yes/no, true/false, on/off or 1/0");
}

static void test_uint(void)
{
	char err[128];
	uint64_t v;

	CHECK_INT(fz_ini_uint("0", 0, 10, &v, err, sizeof(err)), 0);
	CHECK_INT(v, 0);
	CHECK_INT(fz_ini_uint("007", 0, 10, &v, err, sizeof(err)), 0);
	CHECK_INT(v, 7);
	CHECK_INT(fz_ini_uint("64", 1, 64, &v, err, sizeof(err)), 0);
	CHECK_INT(v, 64);
	CHECK_INT(fz_ini_uint("1", 1, 64, &v, err, sizeof(err)), 0);
	CHECK_INT(v, 1);
	CHECK(fz_ini_uint("18446744073709551615", 0, UINT64_MAX, &v, err, sizeof(err)) == 0 &&
	      v == UINT64_MAX);

	v = 42;
	CHECK_INT(fz_ini_uint("65", 1, 64, &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "65 is out of range 1..64");
	CHECK_INT(fz_ini_uint("0", 1, 64, &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "0 is out of range 1..64");
	CHECK_INT(fz_ini_uint("18446744073709551616", 0, UINT64_MAX, &v, err, sizeof(err)),
		  -EINVAL);
	CHECK_STR(err, "18446744073709551616 is out of range 0..18446744073709551615");
	CHECK_INT(fz_ini_uint("99999999999999999999999", 0, UINT64_MAX, &v, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(fz_ini_uint("", 0, 10, &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "'' is not a whole number");
	CHECK_INT(fz_ini_uint("-1", 0, 10, &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "'-1' is not a whole number");
	CHECK_INT(fz_ini_uint("+1", 0, 10, &v, err, sizeof(err)), -EINVAL);
	CHECK_INT(fz_ini_uint("1.5", 0, 10, &v, err, sizeof(err)), -EINVAL);
	CHECK_INT(fz_ini_uint(" 1", 0, 10, &v, err, sizeof(err)), -EINVAL);
	CHECK_INT(fz_ini_uint("0x10", 0, 100, &v, err, sizeof(err)), -EINVAL);
	CHECK_INT(fz_ini_uint("1k", 0, 10000, &v, err, sizeof(err)), -EINVAL);
	CHECK_INT(v, 42); /* untouched on error */
}

static void test_duration(void)
{
	static const struct {
		const char *in;
		uint64_t out;
	} ok[] = {
	    {"0", 0},
	    {"90", 90},
	    {"90s", 90},
	    {"15m", 900},
	    {"6h", 21600},
	    {"1d", 86400},
	    {"0d", 0},
	    {"18446744073709551615", UINT64_MAX},
	    {"18446744073709551615s", UINT64_MAX},
	    {"213503982334601d", 213503982334601ull * 86400},
	};
	static const char *const bad[] = {"",	 "s",	"1w",  "1.5h", "1h30m",
					  "15M", "1 h", "-1s", "h1",   "1hh"};
	char err[128];
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		CHECK_INT(fz_ini_duration(ok[i].in, &v, err, sizeof(err)), 0);
		CHECK(v == ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		CHECK_INT(fz_ini_duration(bad[i], &v, err, sizeof(err)), -EINVAL);
		CHECK_INT(v, 12345);
	}
	fz_ini_duration("1w", &v, err, sizeof(err));
	CHECK_STR(err, "'1w' is not a duration (a number with s, m, h or d)");
	CHECK_INT(fz_ini_duration("213503982334602d", &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "duration 213503982334602d is too large");
	CHECK_INT(fz_ini_duration("307445734561825861m", &v, err, sizeof(err)), -EINVAL);
	CHECK_INT(fz_ini_duration("18446744073709551616", &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "duration 18446744073709551616 is too large");
}

static void test_size(void)
{
	static const struct {
		const char *in;
		uint64_t out;
	} ok[] = {
	    {"0", 0},
	    {"1048576", 1048576},
	    {"512k", 524288},
	    {"512K", 524288},
	    {"64M", 64ull << 20},
	    {"1G", 1ull << 30},
	    {"0G", 0},
	    {"17179869183G", 17179869183ull << 30},
	    {"18446744073709551615", UINT64_MAX},
	};
	static const char *const bad[] = {"",	 "k",	 "1m", "1T", "1kB",
					  "1 M", "1.5G", "-1", "M1", "1g"};
	char err[128];
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		CHECK_INT(fz_ini_size(ok[i].in, &v, err, sizeof(err)), 0);
		CHECK(v == ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		CHECK_INT(fz_ini_size(bad[i], &v, err, sizeof(err)), -EINVAL);
		CHECK_INT(v, 12345);
	}
	fz_ini_size("1T", &v, err, sizeof(err));
	CHECK_STR(err, "'1T' is not a size (a number of bytes, or with k, M or G)");
	CHECK_INT(fz_ini_size("17179869184G", &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "size 17179869184G is too large");
	CHECK_INT(fz_ini_size("18014398509481984k", &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "size 18014398509481984k is too large");
}

int main(void)
{
	test_syntax();
	test_comments_in_values();
	test_line_endings();
	test_errors();
	test_bounds();
	test_callback();
	test_bool();
	test_uint();
	test_duration();
	test_size();
	return fz_test_done();
}
