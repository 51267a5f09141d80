/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_fetch_header_line(), the only response header parsing
 * that is ours (curl does the rest). The input is cut into lines as curl
 * hands them over (each with its "\n"), and also given whole. Whatever the
 * bytes: both outputs stay NUL-terminated inside their arrays and never
 * hold a control byte; a line that sets nothing changes nothing; a line
 * that sets a value sets exactly one, and the value is a piece of the line.
 */
#include <string.h>

#include "fuzz_common.h"
#include "fz_fetch.h"

static void check_out(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	FZ_FUZZ_CHECK(n < cap);
	for (size_t i = 0; i < n; i++)
		FZ_FUZZ_CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] != 0x7f);
}

static void one_line(const char *line, size_t len, char etag[256], char lm[64])
{
	char etag0[256], lm0[64];
	int r;

	memcpy(etag0, etag, sizeof(etag0));
	memcpy(lm0, lm, sizeof(lm0));
	r = fz_fetch_header_line(line, len, etag, lm);
	FZ_FUZZ_CHECK(r == 0 || r == 1);
	check_out(etag, 256);
	check_out(lm, 64);
	if (r == 0) {
		FZ_FUZZ_CHECK(memcmp(etag0, etag, 256) == 0 && memcmp(lm0, lm, 64) == 0);
		return;
	}
	bool etag_changed = strcmp(etag0, etag) != 0, lm_changed = strcmp(lm0, lm) != 0;

	FZ_FUZZ_CHECK(!(etag_changed && lm_changed));
	const char *v = etag_changed ? etag : lm;
	size_t vlen = strlen(v);

	/* Set to the same value is possible; either way it is in the line. */
	if (etag_changed || lm_changed) {
		FZ_FUZZ_CHECK(vlen > 0);
		FZ_FUZZ_CHECK(memmem(line, len, v, vlen) != NULL);
	}
	/* No leading or trailing blanks kept. */
	if (vlen) {
		FZ_FUZZ_CHECK(v[0] != ' ' && v[vlen - 1] != ' ');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char etag[256], lm[64];

	memcpy(etag, "\"initial\"", 10);
	memcpy(lm, "Thu, 01 Jan 1970 00:00:00 GMT", 30);
	one_line(p, size, etag, lm);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		one_line(p, len, etag, lm);
		p += len;
	}
	return 0;
}
