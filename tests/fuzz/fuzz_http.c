/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: nfq/fz_http.c (compiled into the target). Checks:
 *  - the result is one of the four statuses and the output is written only
 *    on OK; on OK the method is a non-empty upper-case token inside the
 *    input, host and path lie inside the input (the path may be the
 *    constant "/" of an absolute target without a path), the path starts
 *    with '/' (origin or absolute form), is "*" or is empty (CONNECT), and
 *    no piece holds a CR or LF;
 *  - appended bytes (a body) do not change an OK answer; a prefix of an OK
 *    input is MORE or the same answer (NOT only while the method is cut).
 */
#include <string.h>

#include "fuzz_common.h"
#include "fz_http.h"

static uint8_t work[FZ_HTTP_HEAD_MAX + 64];

static bool inside(const char *p, size_t n, const uint8_t *data, size_t size)
{
	return (const uint8_t *)p >= data && (const uint8_t *)p <= data + size &&
	       n <= (size_t)(data + size - (const uint8_t *)p);
}

static bool no_line_end(const char *p, size_t n)
{
	return n == 0 || (!memchr(p, '\r', n) && !memchr(p, '\n', n));
}

static enum fz_dpi_status run(const uint8_t *d, size_t n, struct fz_http_req *r)
{
	struct fz_http_req before;
	enum fz_dpi_status st;

	memset(r, 0xa5, sizeof(*r));
	before = *r;
	st = fz_http_request_parse(d, n, r);
	FZ_FUZZ_CHECK(st == FZ_DPI_OK || st == FZ_DPI_MORE || st == FZ_DPI_NOT || st == FZ_DPI_BAD);
	if (st != FZ_DPI_OK) {
		FZ_FUZZ_CHECK(memcmp(r, &before, sizeof(*r)) == 0);
		return st;
	}
	FZ_FUZZ_CHECK(r->method_len > 0 && inside(r->method, r->method_len, d, n));
	for (size_t i = 0; i < r->method_len; i++)
		FZ_FUZZ_CHECK((r->method[i] >= 'A' && r->method[i] <= 'Z') || r->method[i] == '-' ||
			      r->method[i] == '_');
	FZ_FUZZ_CHECK(r->host_len == 0 || inside(r->host, r->host_len, d, n));
	FZ_FUZZ_CHECK(no_line_end(r->host, r->host_len));
	FZ_FUZZ_CHECK(inside(r->path, r->path_len, d, n) ||
		      (r->absolute_form && r->path_len == 1 && r->path[0] == '/'));
	FZ_FUZZ_CHECK(no_line_end(r->path, r->path_len));
	if (r->path_len == 0)
		FZ_FUZZ_CHECK(r->method_len == 7 && memcmp(r->method, "CONNECT", 7) == 0 &&
			      r->host_len > 0);
	else
		FZ_FUZZ_CHECK(r->path[0] == '/' || (r->path_len == 1 && r->path[0] == '*'));
	if (r->absolute_form)
		FZ_FUZZ_CHECK(r->host_len > 0);
	FZ_FUZZ_CHECK(r->version_minor <= 9);
	return st;
}

static bool same(const struct fz_http_req *a, const struct fz_http_req *b, const uint8_t *da,
		 const uint8_t *db)
{
	/* the pieces at the same offsets (or the same constant path) */
	return a->method - (const char *)da == b->method - (const char *)db &&
	       a->method_len == b->method_len && a->host_len == b->host_len &&
	       (a->host_len == 0 || a->host - (const char *)da == b->host - (const char *)db) &&
	       a->path_len == b->path_len && memcmp(a->path, b->path, a->path_len) == 0 &&
	       a->port == b->port && a->absolute_form == b->absolute_form &&
	       a->version_minor == b->version_minor;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_http_req r, p;
	size_t step, method_end;

	if (run(data, size, &r) != FZ_DPI_OK)
		return 0;
	method_end = (size_t)((const uint8_t *)r.method - data) + r.method_len;
	step = size <= 400 ? 1 : size / 97 + 1;
	for (size_t cut = 0; cut < size; cut += (size - cut <= 8 ? 1 : step)) {
		enum fz_dpi_status st = run(data, cut, &p);
		FZ_FUZZ_CHECK(st == FZ_DPI_MORE || (st == FZ_DPI_NOT && cut <= method_end) ||
			      (st == FZ_DPI_OK && same(&r, &p, data, data)));
	}
	if (size + 16 <= sizeof(work)) {
		memcpy(work, data, size);
		memset(work + size, 'B', 16);
		FZ_FUZZ_CHECK(run(work, size + 16, &p) == FZ_DPI_OK && same(&r, &p, data, work));
	}
	return 0;
}
