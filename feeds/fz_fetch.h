/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Downloading feeds with libcurl's multi interface: many transfers at once
 * (bounded), conditional GET from stored validators, compressed transfer,
 * size limit enforced while streaming, connect and total timeouts, retries
 * with exponential backoff and jitter, proxies from the environment, TLS
 * verification always on.
 */
#ifndef FZ_FETCH_H
#define FZ_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fz_fetch_status {
	FZ_FETCH_OK = 0,	   /* 2xx with a body (possibly empty: the caller vets it) */
	FZ_FETCH_NOT_MODIFIED = 1, /* 304 */
	FZ_FETCH_ERROR = 2,	   /* network, TLS, HTTP status, size limit, timeout... */
};

struct fz_fetch_req {
	const char *url;	   /* http://, https:// or file:// */
	const char *etag;	   /* sent as If-None-Match, or NULL/"" */
	const char *last_modified; /* sent as If-Modified-Since, or NULL/"" */
	uint64_t max_size;	   /* bytes; 0 = 256 MiB */
	unsigned connect_timeout;  /* seconds; 0 = 15 */
	unsigned timeout;	   /* seconds for the whole transfer; 0 = 300 */
	unsigned retries;	   /* extra attempts after a transient failure */
	unsigned backoff_ms;	/* first retry delay; doubles each time, +-25% jitter; 0 = 1000 */
	const char *ca_file;	/* extra CA bundle, or NULL for the system's */
	const char *user_agent; /* NULL: "fangzha-feed/<version>" */
};

struct fz_fetch_res {
	enum fz_fetch_status status;
	long http_code; /* 0 for file:// and transport errors */
	uint8_t *body;	/* malloc'd, NUL-terminated past len; NULL when none */
	size_t len;
	char etag[256];
	char last_modified[64];
	char error[256]; /* for FZ_FETCH_ERROR: what failed, e.g. "HTTP 500", "size limit 1048576
			    exceeded" */
	unsigned attempts;
	double seconds;
};

/*
 * Run `n` requests with at most `concurrency` transfers at once. Always
 * fills every res[i] (release with fz_fetch_res_free); returns 0, or a
 * negative errno when libcurl itself could not be set up.
 */
int fz_fetch_all(const struct fz_fetch_req *reqs, struct fz_fetch_res *res, size_t n,
		 unsigned concurrency);
void fz_fetch_res_free(struct fz_fetch_res *res);

/*
 * Read one response header line ("ETag: \"abc\"\r\n") into the validators
 * it carries. Pure (fuzzed): values are bounded, control bytes refused.
 * Returns 1 when the line set something, 0 otherwise.
 */
int fz_fetch_header_line(const char *line, size_t len, char etag[256], char last_modified[64]);

/* Is a failure of this kind worth another attempt (timeouts, resets, 5xx, 429)? */
bool fz_fetch_transient(long http_code, int curl_code);

#endif
