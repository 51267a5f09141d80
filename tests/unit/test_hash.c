/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Suffix hashing: every suffix's fingerprint equals the hash of that suffix alone. */
#include <stdlib.h>

#include "fz_hash.h"
#include "fz_test.h"

static void check_suffixes(const struct fz_hkey *k, const char *name)
{
	uint64_t fps[FZ_MAX_LABELS];
	size_t len = strlen(name);
	unsigned n = fz_hash_suffixes(k, name, len, fps, FZ_MAX_LABELS);
	CHECK(n > 0);
	/* fps[d] is the suffix made of the last d+1 labels */
	size_t pos = len;
	if (pos && name[pos - 1] == '.')
		pos--;
	for (unsigned d = 0; d < n; d++) {
		size_t start = pos;
		while (start > 0 && name[start - 1] != '.')
			start--;
		CHECK(fps[d] == fz_hash_name(k, name + start, len - start));
		pos = start ? start - 1 : 0;
	}
}

int main(void)
{
	struct fz_hkey k, k2;
	const uint8_t seed[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
	const uint8_t seed2[16] = {9, 8, 7, 6, 5, 4, 3, 2, 2};
	fz_hkey_init(&k, seed);
	fz_hkey_init(&k2, seed2);

	const char *names[] = {
	    "a",
	    "example.com",
	    "www.example.com.",
	    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p",
	    "averyveryverylonglabelthatspansseveralwords.x.co",
	    "xn--fiqs8s.xn--0zwm56d",
	    "12345678.123456789.1234567.12",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_suffixes(&k, names[i]);

	/* case is folded while hashing, a trailing dot is ignored */
	CHECK(fz_hash_name(&k, "WWW.Example.COM", 15) == fz_hash_name(&k, "www.example.com", 15));
	CHECK(fz_hash_name(&k, "www.example.com.", 16) == fz_hash_name(&k, "www.example.com", 15));
	/* different names, different seeds, different label splits */
	CHECK(fz_hash_name(&k, "example.com", 11) != fz_hash_name(&k, "example.org", 11));
	CHECK(fz_hash_name(&k, "example.com", 11) != fz_hash_name(&k2, "example.com", 11));
	CHECK(fz_hash_name(&k, "ab.c", 4) != fz_hash_name(&k, "a.bc", 4));
	CHECK(fz_hash_name(&k, "a[b", 3) != fz_hash_name(&k, "a{b", 3)); /* only A-Z fold */
	CHECK(fz_hash_name(&k, "a@b", 3) != fz_hash_name(&k, "a`b", 3));

	/* malformed names give no fingerprints */
	uint64_t fps[FZ_MAX_LABELS];
	CHECK_INT(fz_hash_suffixes(&k, "", 0, fps, FZ_MAX_LABELS), 0);
	CHECK_INT(fz_hash_suffixes(&k, ".", 1, fps, FZ_MAX_LABELS), 0);
	CHECK_INT(fz_hash_suffixes(&k, "a..b", 4, fps, FZ_MAX_LABELS), 0);
	CHECK_INT(fz_hash_suffixes(&k, ".a", 2, fps, FZ_MAX_LABELS), 0);
	CHECK_INT(fz_hash_suffixes(&k, "a.b.c", 5, fps, 2), 0); /* more labels than room */
	char many[400];
	for (int i = 0; i < 200; i++) {
		many[2 * i] = 'a';
		many[2 * i + 1] = '.';
	}
	CHECK_INT(fz_hash_suffixes(&k, many, 399, fps, FZ_MAX_LABELS), 0); /* 200 labels */
	CHECK_INT(fz_hash_suffixes(&k, many, 255, fps, FZ_MAX_LABELS), 128);

	/* the same bytes hash the same wherever they sit in memory */
	char buf[64];
	for (int off = 0; off < 8; off++) {
		memcpy(buf + off, "sub.domain-name.example", 24);
		CHECK(fz_hash_name(&k, buf + off, 23) ==
		      fz_hash_name(&k, "sub.domain-name.example", 23));
	}
	/* checksums see every byte */
	uint8_t data[100] = {0};
	uint64_t c0 = fz_hash_bytes(1, data, sizeof(data));
	for (size_t i = 0; i < sizeof(data); i++) {
		data[i] ^= 1;
		CHECK(fz_hash_bytes(1, data, sizeof(data)) != c0);
		data[i] ^= 1;
	}
	return fz_test_done();
}
