/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fz_url_split(): what a URL feed line or an HTTP request target splits into. */
#include "fz_test_parse.h"
#include "fz_url.h"

static int split(const char *s, struct fz_url *u)
{
	return fz_url_split(s, strlen(s), u);
}

static void check_ok(const char *in, const char *host, const char *path, unsigned port, bool scheme)
{
	struct fz_url u;
	int st = split(in, &u);
	CHECK_INT(st, FZ_URL_OK);
	if (st != FZ_URL_OK) {
		fprintf(stderr, "  input: %s (%s)\n", in, fz_url_strerror(st));
		return;
	}
	CHECK_MEM_STR(u.host, u.host_len, host);
	CHECK_MEM_STR(u.path, u.path_len, path);
	CHECK_INT(u.port, port);
	CHECK_INT(u.has_scheme, scheme);
}

static void check_err(const char *in, int want)
{
	struct fz_url u;
	memset(&u, 0xa5, sizeof(u));
	struct fz_url before = u;
	int st = split(in, &u);
	CHECK_INT(st, want);
	if (st != want)
		fprintf(stderr, "  input: %s\n", in);
	/* Nothing is written on error. */
	CHECK(memcmp(&u, &before, sizeof(u)) == 0);
}

static void test_accepts(void)
{
	check_ok("http://example.com/a/b?x=1#frag", "example.com", "/a/b?x=1", 0, true);
	check_ok("HTTPS://Example.COM", "Example.COM", "/", 0, true);
	check_ok("HtTp://example.com/", "example.com", "/", 0, true);
	check_ok("example.com/path", "example.com", "/path", 0, false);
	check_ok("example.com", "example.com", "/", 0, false);
	check_ok("//cdn.example.com/x.js", "cdn.example.com", "/x.js", 0, false);
	check_ok("http://user:pass@evil.com:8080/x", "evil.com", "/x", 8080, true);
	/* The last '@' of the authority ends the userinfo, as in a browser. */
	check_ok("http://good.com@evil.com/", "evil.com", "/", 0, true);
	check_ok("http://a@b@evil.com/p", "evil.com", "/p", 0, true);
	/* '@' in the path is not userinfo. */
	check_ok("http://host.com/l/[email]x@y.com/", "host.com", "/l/[email]x@y.com/", 0, true);
	check_ok("http://[2001:db8::1]:443/p", "2001:db8::1", "/p", 443, true);
	check_ok("[::1]/x", "::1", "/x", 0, false);
	check_ok("http://[::1]", "::1", "/", 0, true);
	check_ok("example.com:8080", "example.com", "/", 8080, false);
	check_ok("example.com:8080/p?q", "example.com", "/p?q", 8080, false);
	check_ok("localhost:65535/", "localhost", "/", 65535, false);
	check_ok("http://example.com:/", "example.com", "/", 0, true);
	check_ok("http://example.com:00080/", "example.com", "/", 80, true);
	/* No '/' before the query: the path is "/" (the query cannot be pointed at). */
	check_ok("http://a.com?q=1", "a.com", "/", 0, true);
	check_ok("http://a.com#frag", "a.com", "/", 0, true);
	check_ok("https://dailytra.com/#/register?code=1", "dailytra.com", "/", 0, true);
	/* A browser reads "http:host" and "http:///host" as http://host. */
	check_ok("http:evil.com/x", "evil.com", "/x", 0, true);
	check_ok("http:///evil.com/x", "evil.com", "/x", 0, true);
	/* UTF-8 host and path bytes are the caller's business. */
	check_ok("https://налобиха.рф/ru/", "налобиха.рф", "/ru/", 0, true);
	check_ok("http://a.com/{x}|^", "a.com", "/{x}|^", 0, true);

	/* The input is not NUL-terminated: only len bytes are read. */
	struct fz_url u;
	const char *s = "http://a.com/xyzTRAILING";
	CHECK_INT(fz_url_split(s, 14, &u), FZ_URL_OK);
	CHECK_MEM_STR(u.path, u.path_len, "/x");
	CHECK_INT(fz_url_split(s, 12, &u), FZ_URL_OK);
	CHECK_MEM_STR(u.host, u.host_len, "a.com");
	CHECK_MEM_STR(u.path, u.path_len, "/");
	/* The host and path point into the input. */
	CHECK(u.host == s + 7);
}

static void test_rejects(void)
{
	check_err("", FZ_URL_EMPTY);
	check_err("ftp://files.example.com/x", FZ_URL_BAD_SCHEME);
	check_err("ftp://me@host.org:pw@host.org/index.html", FZ_URL_BAD_SCHEME);
	check_err("javascript:alert(1)", FZ_URL_BAD_SCHEME);
	check_err("data:text/html,hi", FZ_URL_BAD_SCHEME);
	check_err("mailto:a@b.com", FZ_URL_BAD_SCHEME);
	check_err("hxxp://evil.com/", FZ_URL_BAD_SCHEME);
	check_err("file:///etc/passwd", FZ_URL_BAD_SCHEME);
	check_err("http://", FZ_URL_NO_HOST);
	check_err("https:///", FZ_URL_NO_HOST);
	check_err("http://user@/x", FZ_URL_NO_HOST);
	check_err("http://:80/", FZ_URL_NO_HOST);
	check_err("/relative/path", FZ_URL_NO_HOST);
	check_err("http://[]/", FZ_URL_NO_HOST);
	check_err("http://a.com:0/", FZ_URL_BAD_PORT);
	check_err("http://a.com:65536/", FZ_URL_BAD_PORT);
	check_err("http://a.com:99999999999999999999/", FZ_URL_BAD_PORT);
	check_err("http://a.com:8o/", FZ_URL_BAD_PORT);
	check_err("evil.com:abc/", FZ_URL_BAD_PORT);
	check_err("_TIme:Mon", FZ_URL_BAD_PORT);
	check_err("http://a.com:-1/", FZ_URL_BAD_PORT);
	check_err("http://a.com/x y", FZ_URL_BAD_CHAR);
	check_err(" http://a.com/", FZ_URL_BAD_CHAR);
	check_err("http://a.com/\x01", FZ_URL_BAD_CHAR);
	check_err("http://a.com/\x7f", FZ_URL_BAD_CHAR);
	check_err("http://a.com/a\\r\\nb", FZ_URL_BAD_CHAR);
	check_err("http://[evil.example]/x", FZ_URL_BAD_CHAR); /* brackets hold IPv6 only */
	check_err("http://[1.2.3.4]/x", FZ_URL_BAD_CHAR);
	check_err("http://a.com/a\"b", FZ_URL_BAD_CHAR);
	check_err("http://a.com/<b>", FZ_URL_BAD_CHAR);
	check_err("http://a.com/#frag with space", FZ_URL_BAD_CHAR);
	check_err("http://[::1/", FZ_URL_BAD_CHAR);
	check_err("http://[::1]x/", FZ_URL_BAD_CHAR);
	check_err("http://a[b].com/", FZ_URL_BAD_CHAR);

	/* An embedded NUL is a control character, not the end. */
	struct fz_url u;
	CHECK_INT(fz_url_split("http://a.com/\0x", 15, &u), FZ_URL_BAD_CHAR);
	CHECK_INT(fz_url_split(NULL, 0, &u), FZ_URL_EMPTY);

	/* Length bounds: a path of FZ_URL_PATH_MAX is fine, one more is not. */
	static char buf[16 + FZ_URL_PATH_MAX + 2048];
	memcpy(buf, "a.com/", 6);
	memset(buf + 6, 'x', FZ_URL_PATH_MAX - 1);
	CHECK_INT(fz_url_split(buf, 5 + FZ_URL_PATH_MAX, &u), FZ_URL_OK);
	CHECK_INT(u.path_len, FZ_URL_PATH_MAX);
	buf[5 + FZ_URL_PATH_MAX] = 'x';
	CHECK_INT(fz_url_split(buf, 6 + FZ_URL_PATH_MAX, &u), FZ_URL_TOO_LONG);
	/* ... but a long fragment does not count against the path. */
	buf[5 + FZ_URL_PATH_MAX] = '#';
	memset(buf + 6 + FZ_URL_PATH_MAX, 'f', 1000);
	CHECK_INT(fz_url_split(buf, 1006 + FZ_URL_PATH_MAX, &u), FZ_URL_OK);
	/* A host longer than any name input. */
	memset(buf, 'h', 2000);
	CHECK_INT(fz_url_split(buf, 2000, &u), FZ_URL_TOO_LONG);
}

static void test_strerror(void)
{
	for (int st = 0; st < FZ_URL_STATUS_COUNT; st++) {
		const char *s = fz_url_strerror(st);
		CHECK(s != NULL && s[0] != '\0');
		for (int k = 0; k < st; k++)
			CHECK(strcmp(s, fz_url_strerror(k)) != 0);
	}
	CHECK(fz_url_strerror(-1) != NULL);
	CHECK(fz_url_strerror(FZ_URL_STATUS_COUNT) != NULL);
}

/* Every prefix of every test URL must split or fail without reading past len. */
static void test_prefixes(void)
{
	static const char *const urls[] = {
	    "http://user:pw@[2001:db8::1]:8080/p?q=1#f",
	    "https://a.b.c:443/x/y/z?u=http://v.w/#frag",
	    "//host.example:1/",
	    "javascript:void(0)",
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		size_t n = strlen(urls[i]);
		for (size_t k = 0; k <= n; k++) {
			char *copy = (char *)fz_test_copy(urls[i], k);
			struct fz_url u;
			int st = fz_url_split(copy, k, &u);
			CHECK(st >= 0 && st < FZ_URL_STATUS_COUNT);
			if (st == FZ_URL_OK) {
				CHECK(u.host >= copy && u.host + u.host_len <= copy + k);
				CHECK(u.path_len >= 1 && u.path[0] == '/');
			}
			free(copy);
		}
	}
}

int main(void)
{
	test_accepts();
	test_rejects();
	test_strerror();
	test_prefixes();
	return fz_test_done();
}
