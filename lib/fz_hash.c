/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fz_hash.h"

#define P0 0xa0761d6478bd642full
#define P1 0xe7037ed1a0b428dbull
#define P2 0x8ebc6af09c88c6e3ull
#define P3 0x589965cc75374cc3ull

static inline uint64_t load64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t load32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Lowercase the ASCII capitals among 8 bytes, leaving every other byte alone. */
static inline uint64_t fold8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t low7 = w & (0x7f * ones);
	uint64_t ge_a = low7 + (0x80 - 'A') * ones;	/* high bit set where >= 'A' */
	uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones; /* high bit set where > 'Z' */
	uint64_t upper = ge_a & ~gt_z & ~w & (0x80 * ones);
	return w | (upper >> 2);
}

void fz_hkey_init(struct fz_hkey *k, const uint8_t seed[16])
{
	uint64_t a, b;
	memcpy(&a, seed, 8);
	memcpy(&b, seed + 8, 8);
	k->k0 = fz_hash_mum(a ^ P0, b ^ P1) ^ P2;
	k->k1 = fz_hash_mum(b ^ P2, a ^ P3) ^ P0;
	if (!k->k0)
		k->k0 = P1;
	if (!k->k1)
		k->k1 = P3;
}

/* Mix one label (bytes [p, p+n)) into the suffix state. */
static inline uint64_t mix_label(const struct fz_hkey *k, uint64_t h, const char *p, size_t n)
{
	h = fz_hash_mum(h ^ k->k0, (uint64_t)n ^ P0 ^ k->k1);
	while (n >= 8) {
		h = fz_hash_mum(h ^ k->k1, fold8(load64(p)) ^ P1);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w;
		if (n >= 4)
			w = load32(p) | (load32(p + n - 4) << 32);
		else
			w = (uint64_t)(unsigned char)p[0] |
			    ((uint64_t)(unsigned char)p[n >> 1] << 8) |
			    ((uint64_t)(unsigned char)p[n - 1] << 16);
		h = fz_hash_mum(h ^ k->k1, fold8(w) ^ P2 ^ n);
	}
	return h;
}

static inline uint64_t finalize(const struct fz_hkey *k, uint64_t h)
{
	uint64_t f = fz_hash_mum(h ^ P3, k->k0 ^ P1) ^ h;
	/* Never zero in the top 62 bits: a zero key marks an empty slot. */
	return (f >> 2) ? f : f | 4;
}

/* Mask with 0x80 in every byte of w equal to c (exact: no borrow between bytes). */
static inline uint64_t bytes_equal(uint64_t w, unsigned char c)
{
	const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t x = w ^ (c * ones);
	uint64_t t = (x & low7) + low7;
	return ~(t | x | low7);
}

unsigned fz_hash_suffixes(const struct fz_hkey *k, const char *name, size_t len, uint64_t *fps,
			  unsigned max)
{
	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 0xffff)
		return 0;
	/* Find the dots 8 bytes at a time; labels are then hashed right to left. */
	uint16_t ends[FZ_MAX_LABELS + 1]; /* position of each dot, then len */
	unsigned nd = 0;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t m = bytes_equal(load64(name + i), '.');
		while (m) {
			if (nd == FZ_MAX_LABELS)
				return 0;
			ends[nd++] = (uint16_t)(i + ((unsigned)__builtin_ctzll(m) >> 3));
			m &= m - 1;
		}
	}
	for (; i < len; i++)
		if (name[i] == '.') {
			if (nd == FZ_MAX_LABELS)
				return 0;
			ends[nd++] = (uint16_t)i;
		}
	if (nd + 1 > max)
		return 0;
	uint64_t h = k->k1;
	size_t end = len;
	unsigned n = 0;
	for (unsigned d = nd + 1; d-- > 0;) {
		size_t start = d ? (size_t)ends[d - 1] + 1 : 0;
		if (start == end)
			return 0; /* empty label */
		h = mix_label(k, h, name + start, end - start);
		fps[n++] = finalize(k, h);
		end = start - 1;
	}
	return n;
}

uint64_t fz_hash_name(const struct fz_hkey *k, const char *name, size_t len)
{
	uint64_t fps[FZ_MAX_LABELS];
	unsigned n = fz_hash_suffixes(k, name, len, fps, FZ_MAX_LABELS);
	return n ? fps[n - 1] : 0;
}

uint64_t fz_hash_bytes(uint64_t seed, const void *data, size_t len)
{
	const char *p = data;
	uint64_t a = seed ^ P0, b = seed ^ P1, c = seed ^ P2, d = seed ^ P3;
	size_t n = len;
	while (n >= 32) {
		a = fz_hash_mum(a ^ load64(p), P1 ^ load64(p + 8));
		b = fz_hash_mum(b ^ load64(p + 16), P2 ^ load64(p + 24));
		c += a;
		d ^= b;
		p += 32;
		n -= 32;
	}
	uint64_t h = a ^ fz_hash_mum(b, P3) ^ c ^ d ^ len;
	while (n >= 8) {
		h = fz_hash_mum(h ^ load64(p), P0);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h = fz_hash_mum(h ^ w, P1 ^ n);
	}
	return fz_hash_mum(h ^ P2, P3) ^ h;
}
