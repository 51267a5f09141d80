/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 compression (see fz_sha256.h). The SHA extensions keep the
 * state as two vectors, (A, B, E, F) and (C, D, G, H); sha256rnds2 runs
 * two rounds, sha256msg1/msg2 extend the message schedule four words at a
 * time (FIPS 180-4 6.2.2: W_t from W_t-2, W_t-7, W_t-15, W_t-16).
 */
/* SHA256_Transform: the fallback, deprecated in OpenSSL 3 but still shipped */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <string.h>

#include <openssl/sha.h>

#include "fz_sha256.h"

const uint32_t fz_sha256_iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static bool hw_off;

static void compress_libcrypto(uint32_t h[8], const uint8_t block[64])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	memcpy(c.h, h, sizeof(c.h));
	SHA256_Transform(&c, block);
	memcpy(h, c.h, sizeof(c.h));
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define FZ_SHA_TARGET __attribute__((target("sha,ssse3,sse4.1")))

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

bool fz_sha256_hw(void)
{
	static int have = -1;

	if (hw_off)
		return false;
	if (have < 0) {
		__builtin_cpu_init();
		have = __builtin_cpu_supports("sha") && __builtin_cpu_supports("ssse3") &&
		       __builtin_cpu_supports("sse4.1");
	}
	return have;
}

/*
 * n independent compressions (n <= FZ_SHA256_LANES) side by side. One
 * compression is a chain of 32 sha256rnds2, each waiting for the last:
 * two or three chains interleaved keep the unit busy for about the time
 * of one.
 */
FZ_SHA_TARGET static inline __attribute__((always_inline)) void
compress_ni(uint32_t *const h[], const uint8_t *const block[], const int n)
{
	/* big-endian message words: reverse the bytes of each 32-bit lane */
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
	__m128i abef[FZ_SHA256_LANES], cdgh[FZ_SHA256_LANES], abef0[FZ_SHA256_LANES],
	    cdgh0[FZ_SHA256_LANES], w[FZ_SHA256_LANES][4], t;

	for (int l = 0; l < n; l++) {
		__m128i cdab = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h[l]), 0xb1);
		__m128i efgh =
		    _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(h[l] + 4)), 0x1b);

		abef[l] = abef0[l] = _mm_alignr_epi8(cdab, efgh, 8);
		cdgh[l] = cdgh0[l] = _mm_blend_epi16(efgh, cdab, 0xf0);
	}
	/* unrolled: w[] stays in registers */
#pragma GCC unroll 16
	for (int g = 0; g < 16; g++) {
		__m128i k = _mm_loadu_si128((const __m128i *)(K + 4 * g));

		for (int l = 0; l < n; l++) {
			__m128i *wl = w[l];

			/* wl[g % 4]: the message words of rounds 4g..4g+3 */
			if (g < 4) {
				wl[g] = _mm_shuffle_epi8(
				    _mm_loadu_si128((const __m128i *)(block[l] + 16 * g)), bswap);
			} else {
				__m128i w16 = wl[g % 4], w15 = wl[(g + 1) % 4],
					w8 = wl[(g + 2) % 4], w4 = wl[(g + 3) % 4];

				t = _mm_add_epi32(_mm_sha256msg1_epu32(w16, w15),
						  _mm_alignr_epi8(w4, w8, 4));
				wl[g % 4] = _mm_sha256msg2_epu32(t, w4);
			}
			t = _mm_add_epi32(wl[g % 4], k);
			cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], t);
			abef[l] =
			    _mm_sha256rnds2_epu32(abef[l], cdgh[l], _mm_shuffle_epi32(t, 0x0e));
		}
	}
	for (int l = 0; l < n; l++) {
		__m128i feba = _mm_shuffle_epi32(_mm_add_epi32(abef[l], abef0[l]), 0x1b);
		__m128i dchg = _mm_shuffle_epi32(_mm_add_epi32(cdgh[l], cdgh0[l]), 0xb1);

		/* back to h[0..7]: (A, B, C, D) and (E, F, G, H) */
		_mm_storeu_si128((__m128i *)h[l], _mm_blend_epi16(feba, dchg, 0xf0));
		_mm_storeu_si128((__m128i *)(h[l] + 4), _mm_alignr_epi8(dchg, feba, 8));
	}
}

FZ_SHA_TARGET static void compress_ni1(uint32_t *const h[], const uint8_t *const block[])
{
	compress_ni(h, block, 1);
}

FZ_SHA_TARGET static void compress_ni2(uint32_t *const h[], const uint8_t *const block[])
{
	compress_ni(h, block, 2);
}

FZ_SHA_TARGET static void compress_ni3(uint32_t *const h[], const uint8_t *const block[])
{
	compress_ni(h, block, 3);
}

void fz_sha256_compress_n(uint32_t *const h[], const uint8_t *const block[], int n)
{
	if (n < 1 || n > FZ_SHA256_LANES)
		return;
	if (fz_sha256_hw()) {
		/* a constant lane count each: the lanes' loops unrolled */
		if (n == 1)
			compress_ni1(h, block);
		else if (n == 2)
			compress_ni2(h, block);
		else
			compress_ni3(h, block);
		return;
	}
	for (int l = 0; l < n; l++)
		compress_libcrypto(h[l], block[l]);
}

void fz_sha256_compress(uint32_t h[8], const uint8_t block[64])
{
	if (fz_sha256_hw())
		compress_ni1(&h, &block);
	else
		compress_libcrypto(h, block);
}

#else

bool fz_sha256_hw(void)
{
	(void)hw_off;
	return false;
}

void fz_sha256_compress(uint32_t h[8], const uint8_t block[64])
{
	compress_libcrypto(h, block);
}

void fz_sha256_compress_n(uint32_t *const h[], const uint8_t *const block[], int n)
{
	for (int l = 0; l < n && l < FZ_SHA256_LANES; l++)
		compress_libcrypto(h[l], block[l]);
}

#endif

void fz_sha256_hw_off(void)
{
	hw_off = true;
}
