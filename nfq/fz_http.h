/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading the first HTTP/1.x request a client sends: method, target (origin
 * form "/path?q" or absolute form "http://host/path") and the Host header.
 * Pure; bounded; pointers in the result point into the caller's buffer.
 */
#ifndef FZ_HTTP_H
#define FZ_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_dpi.h"

#define FZ_HTTP_HEAD_MAX 16384 /* request head longer than this: BAD */

struct fz_http_req {
	const char *method;
	size_t method_len;
	/* host: from an absolute-form target, else from the Host header; without the port */
	const char *host;
	size_t host_len;
	uint16_t port; /* from the target or Host header; 0 when none was given */
	/* path with the query, always starting with '/' for origin and absolute form; "*" for
	 * OPTIONS * */
	const char *path;
	size_t path_len;
	bool absolute_form;
	uint8_t version_minor; /* HTTP/1.0 or 1.1 */
};

/*
 * FZ_DPI_OK: the request line and the header block up to the empty line
 * were read (host_len 0 when there is no Host header and the target is in
 * origin form). FZ_DPI_MORE: a request line is being read (a method token
 * followed by a space, or a prefix of one of the known methods) and the head
 * is not complete. FZ_DPI_NOT: not an HTTP/1.x request. FZ_DPI_BAD: an HTTP
 * request that is malformed (bad request line, two Host headers that
 * differ, head over FZ_HTTP_HEAD_MAX).
 */
enum fz_dpi_status fz_http_request_parse(const uint8_t *buf, size_t len, struct fz_http_req *out);

#endif
