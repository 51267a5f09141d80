/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keyed hashing for the blocklist. Names are hashed label by label from the
 * right, so the state after "evil.example" is a prefix of the state for
 * "a.b.evil.example": one pass yields the fingerprint of every suffix.
 * Case is folded while hashing (8 bytes at a time), so lookups need no
 * lowercase copy. Not cryptographic: the key is a random per-file seed that
 * keeps outsiders from aiming collisions at a given list.
 */
#ifndef FZ_HASH_H
#define FZ_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FZ_HASH_ALG_V1 1u
#define FZ_MAX_LABELS  128

struct fz_hkey {
	uint64_t k0, k1;
};

void fz_hkey_init(struct fz_hkey *k, const uint8_t seed[16]);

/*
 * Fingerprints of every suffix of `name` (presentation form, optional
 * trailing dot): fps[0] is the top label ("example"), fps[n-1] the whole
 * name. Returns n (1..max), or 0 for an empty name, an empty label or more
 * than `max` labels. A fingerprint is never zero in its top 62 bits.
 */
unsigned fz_hash_suffixes(const struct fz_hkey *k, const char *name, size_t len, uint64_t *fps,
			  unsigned max);

/* The fingerprint of the whole name (fps[n-1] above); 0 on malformed input. */
uint64_t fz_hash_name(const struct fz_hkey *k, const char *name, size_t len);

/*
 * URL prefixes: start from the host's fingerprint, feed path bytes (folded
 * to lowercase), take a fingerprint at any point.
 */
static inline uint64_t fz_hash_mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t fz_hash_path_init(const struct fz_hkey *k, uint64_t host_fp)
{
	return fz_hash_mum(host_fp ^ k->k0, k->k1 ^ 0x8bb84b93962eacc9ull);
}

static inline uint64_t fz_hash_path_byte(uint64_t state, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	return (state ^ c) * 0x100000001b3ull;
}

static inline uint64_t fz_hash_path_final(const struct fz_hkey *k, uint64_t state)
{
	return fz_hash_mum(state ^ k->k1, k->k0 ^ 0x4f9f52a0b1ca3c5dull);
}

/* Checksum of a byte range (section checksums); fast, not keyed. */
uint64_t fz_hash_bytes(uint64_t seed, const void *data, size_t len);

#endif
