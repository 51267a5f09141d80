/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_url_split(). The host points inside the input, the path
 * inside the input too (or is the one-byte "/" when the URL has none),
 * starts with '/', and never carries the fragment.
 */
#include <string.h>

#include "fuzz_common.h"
#include "fz_name.h"
#include "fz_url.h"

static bool inside(const char *s, size_t len, const char *p, size_t plen)
{
	return p >= s && p <= s + len && plen <= (size_t)(s + len - p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct fz_url u;
	int st;

	memset(&u, 0, sizeof(u));
	st = fz_url_split(s, size, &u);
	FZ_FUZZ_CHECK(st >= FZ_URL_OK && st < FZ_URL_STATUS_COUNT);
	FZ_FUZZ_CHECK(fz_url_strerror(st) != NULL);
	if (st != FZ_URL_OK)
		return 0;

	FZ_FUZZ_CHECK(u.host != NULL && u.host_len >= 1);
	FZ_FUZZ_CHECK(inside(s, size, u.host, u.host_len));
	FZ_FUZZ_CHECK(u.path != NULL && u.path_len >= 1 && u.path[0] == '/');
	FZ_FUZZ_CHECK(inside(s, size, u.path, u.path_len) || u.path_len == 1);
	FZ_FUZZ_CHECK(memchr(u.path, '#', u.path_len) == NULL);
	FZ_FUZZ_CHECK(memchr(u.host, '/', u.host_len) == NULL);
	/* Host and path do not overlap; the path comes after the host. */
	if (inside(s, size, u.path, u.path_len))
		FZ_FUZZ_CHECK(u.path >= u.host + u.host_len);

	FZ_FUZZ_CHECK(u.path_len <= FZ_URL_PATH_MAX);
	FZ_FUZZ_CHECK(!memchr(u.host, '?', u.host_len) && !memchr(u.host, '#', u.host_len));
	FZ_FUZZ_CHECK(!memchr(u.host, '@', u.host_len));
	if (!memchr(s, ':', size))
		FZ_FUZZ_CHECK(u.port == 0 && !u.has_scheme);

	/* Written back as a plain URL, it splits into the same parts. */
	{
		char buf[16 + FZ_NAME_INPUT_MAX + FZ_URL_PATH_MAX];
		bool v6 = memchr(u.host, ':', u.host_len) || memchr(u.host, '[', u.host_len);
		struct fz_url u2;
		int n;

		n = snprintf(buf, sizeof(buf), "https://%s%.*s%s", v6 ? "[" : "", (int)u.host_len,
			     u.host, v6 ? "]" : "");
		if (u.port)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, ":%u", u.port);
		memcpy(buf + n, u.path, u.path_len);
		n += (int)u.path_len;
		memset(&u2, 0, sizeof(u2));
		FZ_FUZZ_CHECK(fz_url_split(buf, (size_t)n, &u2) == FZ_URL_OK);
		FZ_FUZZ_CHECK(u2.has_scheme && u2.port == u.port);
		FZ_FUZZ_CHECK(u2.host_len == u.host_len &&
			      memcmp(u2.host, u.host, u.host_len) == 0);
		FZ_FUZZ_CHECK(u2.path_len == u.path_len &&
			      memcmp(u2.path, u.path, u.path_len) == 0);
	}

	/* Whatever came out can go through the normalizer. */
	{
		char out[FZ_NAME_BUF];
		size_t out_len;
		bool wild;

		(void)fz_name_normalize(u.host, u.host_len, 0, out, &out_len, &wild);
	}
	return 0;
}
