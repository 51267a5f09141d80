/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * URL splitting, shared by the URL-list parsers, `fangzha check` and the
 * HTTP inspector: scheme, userinfo and port are dropped, the fragment is
 * never part of a rule (browsers do not send it).
 */
#ifndef FZ_URL_H
#define FZ_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FZ_URL_PATH_MAX 2048

struct fz_url {
	const char *host; /* points into the input; brackets of an IPv6 literal removed */
	size_t host_len;
	const char *path; /* "/..." including any query, without fragment; "/" when absent */
	size_t path_len;
	uint16_t port; /* 0 when absent */
	bool has_scheme;
};

enum fz_url_status {
	FZ_URL_OK = 0,
	FZ_URL_EMPTY,
	FZ_URL_BAD_SCHEME, /* a scheme other than http, https (or none) */
	FZ_URL_NO_HOST,
	FZ_URL_BAD_PORT,
	FZ_URL_BAD_CHAR,
	FZ_URL_TOO_LONG,
	FZ_URL_STATUS_COUNT,
};

/* Split `s` into host and path (pointers into `s`). Returns FZ_URL_OK or a status. */
int fz_url_split(const char *s, size_t len, struct fz_url *u);
const char *fz_url_strerror(int status);

#endif
