/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SHA-256 compression function (FIPS 180-4), for HKDF over short
 * messages (QUIC Initial keys: fourteen compressions per new flow). On
 * x86-64 with the SHA extensions it runs them directly; elsewhere it calls
 * libcrypto's SHA256_Transform. What it saves over libcrypto's own SHA-NI
 * code is the wrapping: no context copied or byte-swapped per block.
 */
#ifndef FZ_SHA256_H
#define FZ_SHA256_H

#include <stdbool.h>
#include <stdint.h>

/* FIPS 180-4 5.3.3: the initial hash value. */
extern const uint32_t fz_sha256_iv[8];

/* Whether the SHA extensions (and SSE4.1) are used. */
bool fz_sha256_hw(void);

/* Make fz_sha256_hw() false for the rest of the process (tests of the fallback). */
void fz_sha256_hw_off(void);

/* h = compress(h, block): one 64-byte block into the state h[0..7]. */
void fz_sha256_compress(uint32_t h[8], const uint8_t block[64]);

/*
 * n (1..FZ_SHA256_LANES) independent compressions, block[i] into h[i]: as
 * fast as one where the SHA extensions run them interleaved.
 */
#define FZ_SHA256_LANES 3
void fz_sha256_compress_n(uint32_t *const h[], const uint8_t *const block[], int n);

#endif
