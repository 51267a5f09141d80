/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The read side, run over a mapping that validated. Every string a lookup
 * returns must lie inside the image; these loops touch each byte of it so
 * AddressSanitizer sees any read past the buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_common.h"
#include "fz_blocklist.h"

uint8_t *fz_fuzz_aligned_copy(const uint8_t *data, size_t len)
{
	uint8_t *p;

	/* The exact size (not rounded up) so reads past the end are caught. */
	if (posix_memalign((void **)&p, 4096, len ? len : 1) != 0)
		return NULL;
	if (len)
		memcpy(p, data, len);
	return p;
}

static volatile unsigned fz_fuzz_sink;

static void touch(const void *p, size_t len)
{
	const unsigned char *b = p;
	unsigned acc = 0;

	for (size_t i = 0; i < len; i++)
		acc += b[i];
	fz_fuzz_sink += acc;
}

static void touch_str(const char *s)
{
	if (s)
		touch(s, strlen(s));
}

static void check_info(enum fz_verdict v, const struct fz_match_info *mi)
{
	FZ_FUZZ_CHECK(v == FZ_VERDICT_NONE || v == FZ_VERDICT_BLOCK || v == FZ_VERDICT_ALLOW);
	FZ_FUZZ_CHECK(mi->verdict == v);
	if (v == FZ_VERDICT_NONE)
		return;
	FZ_FUZZ_CHECK(mi->category < FZ_CAT_COUNT);
	if (mi->rule)
		touch(mi->rule, mi->rule_len);
	if (mi->n_local) {
		FZ_FUZZ_CHECK(mi->local != NULL);
		touch(mi->local, (size_t)mi->n_local * 17);
	}
}

static void lookup_name(const struct fz_blmap *m, const char *name, size_t len)
{
	struct fz_match_info mi;
	enum fz_verdict v, v2;

	memset(&mi, 0, sizeof(mi));
	v = fz_blmap_lookup(m, name, len, &mi);
	check_info(v, &mi);
	v2 = fz_blmap_lookup(m, name, len, NULL);
	FZ_FUZZ_CHECK(v == v2);
}

static void lookup_url(const struct fz_blmap *m, const char *host, const char *path)
{
	struct fz_match_info mi;
	enum fz_verdict v;

	memset(&mi, 0, sizeof(mi));
	v = fz_blmap_lookup_url(m, host, strlen(host), path, strlen(path), &mi);
	check_info(v, &mi);
}

static void lookup_ip(const struct fz_blmap *m, int family, const uint8_t *addr)
{
	struct fz_match_info mi;
	enum fz_verdict v;

	memset(&mi, 0, sizeof(mi));
	v = fz_blmap_lookup_ip(m, family, addr, &mi);
	check_info(v, &mi);
}

void fz_fuzz_blmap_exercise(const struct fz_blmap *m, const uint8_t *hint, size_t hint_len)
{
	static const char *const names[] = {
	    "example.com",
	    "evil.example",
	    "a.b.evil.example",
	    "www.evil.example.",
	    "EVIL.Example",
	    "com",
	    "x",
	    "allowed.evil.example",
	    "sub.fraud.test",
	    "fraud.test",
	    "",
	};
	static const uint8_t v4[][4] = {
	    {192, 0, 2, 1}, {198, 51, 100, 7}, {0, 0, 0, 0}, {255, 255, 255, 255}, {10, 1, 2, 3}};
	static const uint8_t v6[][16] = {
	    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
	    {0},
	    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	     0xff, 0xff},
	};
	struct fz_bl_info info;
	struct fz_bl_feed_info fi;
	uint64_t nf;

	memset(&info, 0, sizeof(info));
	fz_blmap_info(m, &info);
	FZ_FUZZ_CHECK(fz_blmap_generation(m) == info.generation);
	FZ_FUZZ_CHECK(info.n_feeds <= 65535);

	nf = info.n_feeds;
	for (uint64_t id = 0; id < nf && id < 256; id++) {
		memset(&fi, 0, sizeof(fi));
		FZ_FUZZ_CHECK(fz_blmap_feed(m, (unsigned)id, &fi) == 0);
		touch_str(fi.name);
		touch_str(fi.source);
		FZ_FUZZ_CHECK(fi.category < FZ_CAT_COUNT);
	}
	if (nf > 256) {
		FZ_FUZZ_CHECK(fz_blmap_feed(m, (unsigned)(nf - 1), &fi) == 0);
		touch_str(fi.name);
		touch_str(fi.source);
	}
	FZ_FUZZ_CHECK(fz_blmap_feed(m, (unsigned)nf, &fi) == -ENOENT);
	FZ_FUZZ_CHECK(fz_blmap_feed(m, 70000, &fi) == -ENOENT);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		lookup_name(m, names[i], strlen(names[i]));
	/* Names taken from the input: every run of printable bytes up to 253. */
	for (size_t i = 0, n = 0; i < hint_len && n < 16;) {
		size_t j = i;

		while (j < hint_len && j - i < 253 && hint[j] > ' ' && hint[j] < 0x7f)
			j++;
		if (j - i >= 1) {
			lookup_name(m, (const char *)hint + i, j - i);
			n++;
		}
		i = j + 1;
	}

	lookup_url(m, "evil.example", "/");
	lookup_url(m, "evil.example", "/phish/login.php?x=1");
	lookup_url(m, "example.com", "/a/b/c");
	lookup_url(m, "fraud.test", "/pay");
	lookup_url(m, "fraud.test", "");

	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		lookup_ip(m, AF_INET, v4[i]);
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
		lookup_ip(m, AF_INET6, v6[i]);
}
