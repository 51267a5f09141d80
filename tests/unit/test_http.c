/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fz_http: request lines, target forms, Host, split requests, malformed heads, curl's request. */
#include <stdint.h>
#include <string.h>

#include "fz_http.h"
#include "fz_test.h"

static enum fz_dpi_status parse(const char *s, struct fz_http_req *r)
{
	memset(r, 0, sizeof(*r));
	return fz_http_request_parse((const uint8_t *)s, strlen(s), r);
}

static int status(const char *s)
{
	struct fz_http_req r;
	return parse(s, &r);
}

/* Every split point of `s` is MORE (and leaves the output alone); the whole is OK. */
static void check_splits(const char *s)
{
	size_t n = strlen(s), wrong = 0;
	struct fz_http_req r;

	for (size_t cut = 0; cut < n; cut++) {
		memset(&r, 0x5a, sizeof(r));
		enum fz_dpi_status st = fz_http_request_parse((const uint8_t *)s, cut, &r);
		if (st != FZ_DPI_MORE || r.host_len != (size_t)0x5a5a5a5a5a5a5a5aull) {
			if (!wrong)
				fprintf(stderr, "cut %zu of \"%s\": %d\n", cut, s, st);
			wrong++;
		}
	}
	CHECK_INT(wrong, 0);
	CHECK_INT(fz_http_request_parse((const uint8_t *)s, n, &r), FZ_DPI_OK);
}

static void test_origin_form(void)
{
	struct fz_http_req r;
	const char *req = "GET /app/download.apk?v=2 HTTP/1.1\r\n"
			  "User-Agent: x\r\n"
			  "hOsT:  Fraud.Example:8080 \r\n"
			  "Accept: */*\r\n"
			  "\r\n";

	CHECK_INT(parse(req, &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.method, r.method_len, "GET");
	CHECK_MEM_STR(r.host, r.host_len, "Fraud.Example");
	CHECK_INT(r.port, 8080);
	CHECK_MEM_STR(r.path, r.path_len, "/app/download.apk?v=2");
	CHECK(!r.absolute_form);
	CHECK_INT(r.version_minor, 1);
	CHECK(r.path == req + 4); /* points into the buffer */
	check_splits(req);

	/* LF-only line ends, HTTP/1.0, no port */
	CHECK_INT(parse("POST /login HTTP/1.0\nHost: a.example\nContent-Length: 3\n\nabc", &r),
		  FZ_DPI_OK);
	CHECK_MEM_STR(r.method, r.method_len, "POST");
	CHECK_MEM_STR(r.host, r.host_len, "a.example");
	CHECK_INT(r.port, 0);
	CHECK_INT(r.version_minor, 0);
	check_splits("HEAD /x HTTP/1.1\nHost: a.example\n\n");
	/* a mix of CRLF and LF */
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: b.example\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "b.example");

	/* no Host header: host_len 0, still OK */
	CHECK_INT(parse("GET /only/path HTTP/1.0\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_INT(r.host_len, 0);
	CHECK_MEM_STR(r.path, r.path_len, "/only/path");
	/* an empty Host */
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost:\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_INT(r.host_len, 0);
	/* the same Host twice (case aside) is fine; two that differ are not */
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: a.example\r\nHOST: A.example\r\n\r\n", &r),
		  FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "a.example");
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a.example\r\nHost: evil.example\r\n\r\n"),
		  FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a.example\r\nHost: a.example:81\r\n\r\n"),
		  FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"),
		  FZ_DPI_BAD); /* same length, other name */
	/* IPv6 literal: brackets off */
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "2001:db8::1");
	CHECK_INT(r.port, 8080);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "::1");
	CHECK_INT(r.port, 0);
	/* a Host header name that merely starts like Host */
	CHECK_INT(parse("GET / HTTP/1.1\r\nHostname: x\r\nX-Host: y\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_INT(r.host_len, 0);
	/* runs of spaces between the words and after the version, as nginx takes them */
	CHECK_INT(parse("GET   /sp/ace   HTTP/1.1  \r\nHost: s.example\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.path, r.path_len, "/sp/ace");
	CHECK_INT(r.version_minor, 1);
	check_splits("GET  http://s.example/x  HTTP/1.0 \n\n");
	/* empty lines before the request line */
	CHECK_INT(parse("\r\n\nGET /p HTTP/1.1\r\nHost: c.example\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "c.example");
	CHECK_MEM_STR(r.method, r.method_len, "GET");
	/* OPTIONS * */
	CHECK_INT(parse("OPTIONS * HTTP/1.1\r\nHost: d.example\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.path, r.path_len, "*");
	CHECK_INT(status("GET * HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	/* methods beyond the common ones */
	CHECK_INT(parse("PROPFIND /dav/ HTTP/1.1\r\nHost: e.example\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.method, r.method_len, "PROPFIND");
	CHECK_INT(parse("BASELINE-CONTROL /x HTTP/1.1\r\n\r\n", &r), FZ_DPI_OK);
	check_splits("DELETE /a HTTP/1.1\r\nHost: f.example\r\n\r\n");
	check_splits("PATCH /a HTTP/1.1\r\nHost: f.example\r\n\r\n");
}

static void test_absolute_and_connect(void)
{
	struct fz_http_req r;
	const char *req = "GET http://proxy.example:8080/dl/app.apk?x=1 HTTP/1.1\r\n"
			  "Host: other.example\r\n\r\n";

	CHECK_INT(parse(req, &r), FZ_DPI_OK);
	CHECK(r.absolute_form);
	CHECK_MEM_STR(r.host, r.host_len, "proxy.example"); /* the target's authority wins */
	CHECK_INT(r.port, 8080);
	CHECK_MEM_STR(r.path, r.path_len, "/dl/app.apk?x=1");
	check_splits(req);
	/* no path, userinfo, IPv6, upper-case scheme */
	CHECK_INT(parse("GET HTTP://user:pw@g.example HTTP/1.1\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "g.example");
	CHECK_MEM_STR(r.path, r.path_len, "/");
	CHECK_INT(r.port, 0);
	CHECK_INT(parse("GET http://[2001:db8::2]:81/p HTTP/1.1\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "2001:db8::2");
	CHECK_INT(r.port, 81);
	CHECK_MEM_STR(r.path, r.path_len, "/p");
	CHECK_INT(parse("GET http://h.example?q=1 HTTP/1.1\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "h.example");
	CHECK_MEM_STR(r.path, r.path_len, "/");
	/* malformed absolute targets */
	CHECK_INT(status("GET http:/h.example/ HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET http:///p HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET http://h.example:99999/ HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET http://h.example:8x/ HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET http://[::1/ HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET example.com/p HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);

	/* CONNECT authority form */
	CHECK_INT(
	    parse("CONNECT tunnel.example:443 HTTP/1.1\r\nHost: tunnel.example:443\r\n\r\n", &r),
	    FZ_DPI_OK);
	CHECK_MEM_STR(r.method, r.method_len, "CONNECT");
	CHECK_MEM_STR(r.host, r.host_len, "tunnel.example");
	CHECK_INT(r.port, 443);
	CHECK_INT(r.path_len, 0);
	CHECK(!r.absolute_form);
	CHECK_INT(parse("CONNECT [2001:db8::3]:443 HTTP/1.1\r\n\r\n", &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "2001:db8::3");
	CHECK_INT(status("CONNECT :443 HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	check_splits("CONNECT i.example:443 HTTP/1.1\r\n\r\n");
}

static void test_not_and_bad(void)
{
	/* not HTTP */
	CHECK_INT(status("\x16\x03\x01\x02\x00"), FZ_DPI_NOT);
	CHECK_INT(status("SSH-2.0-OpenSSH_9.6 Debian\r\n"), FZ_DPI_NOT);
	CHECK_INT(status("get / HTTP/1.1\r\n\r\n"), FZ_DPI_NOT);
	CHECK_INT(status("GET\t/ HTTP/1.1\r\n\r\n"), FZ_DPI_NOT);
	CHECK_INT(status(" GET / HTTP/1.1\r\n\r\n"), FZ_DPI_NOT);
	CHECK_INT(status("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), FZ_DPI_NOT);
	CHECK_INT(status("ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n\r\n"), FZ_DPI_NOT);
	/* an unknown method is NOT until its space arrives; a known method's prefix is MORE */
	CHECK_INT(status("GE"), FZ_DPI_MORE);
	CHECK_INT(status("G"), FZ_DPI_MORE);
	CHECK_INT(status("PROPF"), FZ_DPI_MORE);
	CHECK_INT(status("GET"), FZ_DPI_MORE);
	CHECK_INT(status("OPTIONS"), FZ_DPI_MORE);
	CHECK_INT(status("GETX"), FZ_DPI_NOT);
	CHECK_INT(status("XYZ"), FZ_DPI_NOT);
	CHECK_INT(status(""), FZ_DPI_MORE);
	CHECK_INT(status("\r\n"), FZ_DPI_MORE);
	CHECK_INT(status("XYZ "), FZ_DPI_MORE);
	CHECK_INT(status("GET "), FZ_DPI_MORE);

	/* malformed request lines */
	CHECK_INT(status("GET /\r\n\r\n"), FZ_DPI_BAD); /* HTTP/0.9 */
	CHECK_INT(status("GET \t/ HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / \tHTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1 x\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET    \r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/2.0\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / http/1.1\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1x\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET /a\x01 HTTP/1.1\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET /a\x01"), FZ_DPI_BAD); /* seen before the line ends */
	CHECK_INT(status("GET / HTTP/1.1\rHost: a\r\n\r\n"), FZ_DPI_BAD);
	/* malformed headers */
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a.example\r\n folded\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\n\tHost: a.example\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost : a.example\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nno colon here\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\n: empty name\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a.example:x\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a.example:008080\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a.example:0\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: [::1]:http\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n"), FZ_DPI_BAD);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: []\r\n\r\n"), FZ_DPI_BAD);
	/* a NUL inside a header value (the input is not a C string) */
	static const uint8_t nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
	struct fz_http_req r;
	CHECK_INT(fz_http_request_parse(nul, sizeof(nul) - 1, &r), FZ_DPI_BAD);
	/* a head that does not end yet stays MORE */
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a.example\r\n"), FZ_DPI_MORE);
	CHECK_INT(status("GET / HTTP/1.1\r\nHost: a.example\r\n\r"), FZ_DPI_MORE);
	CHECK_INT(fz_http_request_parse(NULL, 0, &r), FZ_DPI_MORE);
}

static void test_head_cap(void)
{
	static char big[FZ_HTTP_HEAD_MAX + 200];
	struct fz_http_req r;
	size_t n;

	/* a head of exactly the cap is read; one byte more is BAD */
	strcpy(big, "GET / HTTP/1.1\r\nHost: cap.example\r\nX-Pad: ");
	n = strlen(big);
	memset(big + n, 'p', FZ_HTTP_HEAD_MAX - n - 4);
	memcpy(big + FZ_HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	CHECK_INT(fz_http_request_parse((const uint8_t *)big, FZ_HTTP_HEAD_MAX, &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.host, r.host_len, "cap.example");
	memset(big + n, 'p', FZ_HTTP_HEAD_MAX - n - 3);
	memcpy(big + FZ_HTTP_HEAD_MAX - 3, "\r\n\r\n", 4);
	CHECK_INT(fz_http_request_parse((const uint8_t *)big, FZ_HTTP_HEAD_MAX + 1, &r),
		  FZ_DPI_BAD);
	CHECK_INT(fz_http_request_parse((const uint8_t *)big, FZ_HTTP_HEAD_MAX - 1, &r),
		  FZ_DPI_MORE);
	CHECK_INT(fz_http_request_parse((const uint8_t *)big, FZ_HTTP_HEAD_MAX, &r), FZ_DPI_BAD);
	/* a request line that never ends */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	CHECK_INT(fz_http_request_parse((const uint8_t *)big, FZ_HTTP_HEAD_MAX - 1, &r),
		  FZ_DPI_MORE);
	CHECK_INT(fz_http_request_parse((const uint8_t *)big, sizeof(big), &r), FZ_DPI_BAD);
}

static void test_curl_fixture(void)
{
	char path[512];
	size_t n, wrong = 0;
	unsigned char *b;
	struct fz_http_req r;
	const char *dir = getenv("FZ_FIXTURES") ? getenv("FZ_FIXTURES") : FZ_FIXTURES;

	snprintf(path, sizeof(path), "%s/nfq/hand/curl-http-get.bin", dir);
	b = fz_test_read_file(path, &n);
	CHECK_INT(fz_http_request_parse(b, n, &r), FZ_DPI_OK);
	CHECK_MEM_STR(r.method, r.method_len, "GET");
	CHECK_MEM_STR(r.host, r.host_len, "fraud.example");
	CHECK_MEM_STR(r.path, r.path_len, "/app/download.apk?v=2");
	CHECK_INT(r.port, 0);
	CHECK_INT(r.version_minor, 1);
	for (size_t i = 0; i < n; i++)
		wrong += fz_http_request_parse(b, i, &r) != FZ_DPI_MORE;
	CHECK_INT(wrong, 0);
	free(b);
}

int main(void)
{
	test_origin_form();
	test_absolute_and_connect();
	test_not_and_bad();
	test_head_cap();
	test_curl_fixture();
	return fz_test_done();
}
