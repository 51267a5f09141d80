/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_name_normalize() with and without FZ_NAME_F_WILDCARD.
 * A name that comes out is in normal form (normalizing it again gives the
 * same name), obeys the length limits and uses only [a-z0-9_.-]; a name
 * that is refused leaves the outputs untouched.
 */
#include <string.h>

#include "fuzz_common.h"
#include "fz_name.h"

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static void check_form(const char *out, size_t len)
{
	size_t label = 0;

	FZ_FUZZ_CHECK(len >= 1 && len <= FZ_NAME_MAX);
	FZ_FUZZ_CHECK(out[len] == '\0');
	FZ_FUZZ_CHECK(out[0] != '.' && out[len - 1] != '.');
	for (size_t i = 0; i < len; i++) {
		FZ_FUZZ_CHECK(name_char_ok(out[i]));
		if (out[i] == '.') {
			FZ_FUZZ_CHECK(label >= 1); /* no empty label */
			label = 0;
		} else {
			label++;
			FZ_FUZZ_CHECK(label <= FZ_LABEL_MAX);
		}
	}
	FZ_FUZZ_CHECK(!fz_name_is_ip_literal(out, len));
}

static void run(const char *in, size_t len, unsigned flags)
{
	char out[FZ_NAME_BUF], again[FZ_NAME_BUF];
	size_t out_len = 7777, again_len = 0;
	bool wild = false, wild2 = true;
	int st;

	memset(out, 0x5a, sizeof(out));
	st = fz_name_normalize(in, len, flags, out, &out_len, &wild);
	FZ_FUZZ_CHECK(st >= FZ_NAME_OK && st < FZ_NAME_STATUS_COUNT);
	FZ_FUZZ_CHECK(fz_name_strerror(st) != NULL);
	if (st != FZ_NAME_OK) {
		/* Nothing is written on error. */
		FZ_FUZZ_CHECK(out_len == 7777 && !wild);
		for (size_t i = 0; i < sizeof(out); i++)
			FZ_FUZZ_CHECK(out[i] == 0x5a);
		return;
	}
	FZ_FUZZ_CHECK(strlen(out) == out_len);
	check_form(out, out_len);
	if (!(flags & FZ_NAME_F_WILDCARD))
		FZ_FUZZ_CHECK(!wild);
	/* A wildcard means the input started with "*.". */
	if (wild)
		FZ_FUZZ_CHECK(len >= 2 && in[0] == '*' && in[1] == '.');

	/* ASCII input is only lower-cased (less "*." and one trailing dot). */
	{
		const char *p = in;
		size_t n = len;
		bool ascii = true;

		for (size_t i = 0; i < len; i++)
			ascii = ascii && (unsigned char)in[i] < 0x80;
		if (ascii) {
			if (wild) {
				p += 2;
				n -= 2;
			}
			if (n && p[n - 1] == '.')
				n--;
			FZ_FUZZ_CHECK(n == out_len);
			for (size_t i = 0; i < n; i++)
				FZ_FUZZ_CHECK(out[i] ==
					      ((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]));
		}
	}

	/* Idempotent, under either flag. */
	FZ_FUZZ_CHECK(fz_name_normalize(out, out_len, flags, again, &again_len, &wild2) ==
		      FZ_NAME_OK);
	FZ_FUZZ_CHECK(again_len == out_len && memcmp(again, out, out_len + 1) == 0);
	if (flags & FZ_NAME_F_WILDCARD)
		FZ_FUZZ_CHECK(!wild2);
	/* A trailing dot is accepted and dropped. */
	{
		char dotted[FZ_NAME_BUF + 1];

		memcpy(dotted, out, out_len);
		dotted[out_len] = '.';
		FZ_FUZZ_CHECK(fz_name_normalize(dotted, out_len + 1, 0, again, &again_len,
						&wild2) == FZ_NAME_OK);
		FZ_FUZZ_CHECK(again_len == out_len && memcmp(again, out, out_len + 1) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	run(in, size, 0);
	run(in, size, FZ_NAME_F_WILDCARD);
	/* The predicates must take any bytes too. */
	(void)fz_name_is_ip_literal(in, size);
	(void)fz_name_is_local_alias(in, size);
	return 0;
}
