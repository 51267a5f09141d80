/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AES-128 for QUIC Initials on x86-64's AES-NI and PCLMULQDQ: one block
 * (header protection) and AEAD_AES_128_GCM (RFC 5116: 12-byte nonce,
 * 16-byte tag; NIST SP 800-38D).
 *
 * Why not libcrypto's EVP alone: every new QUIC flow has keys of its own,
 * and re-keying an EVP context (parameter lookups, GCM tables for the
 * widest vector unit) costs more than decrypting the 1200-byte Initial.
 * Here a key schedule with the eight powers of H GHASH uses is a few
 * dozen instructions. Where the CPU lacks the instructions (or on another
 * architecture) fz_aesgcm_hw() is false and the caller uses libcrypto.
 */
#ifndef FZ_AESGCM_H
#define FZ_AESGCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FZ_AESGCM_NONCE 12
#define FZ_AESGCM_TAG	16

/* An expanded key: round keys, and for GCM the powers of H. */
struct fz_aes128 {
	_Alignas(16) uint8_t rk[11][16];
	/*
	 * fz_aes128_gcm_key: hpow[16 - m] is H^m, bytes reversed (H^16 first,
	 * so the powers for the last c blocks of a message are one run,
	 * hpow[16 - c .. 15]); hkar[i] is hpow[i]'s two halves added. The
	 * 128-bit path fills H^1..H^8, the 512-bit one all sixteen.
	 */
	_Alignas(16) uint8_t hpow[16][16];
	_Alignas(16) uint8_t hkar[16][16];
	bool wide; /* all sixteen powers are there: opening may take the 512-bit path */
};

/* Whether this CPU runs the functions below (AES-NI, PCLMULQDQ, SSSE3, SSE4.1). */
bool fz_aesgcm_hw(void);

/*
 * Whether GCM opening runs four blocks per instruction (VAES and
 * VPCLMULQDQ on 512-bit registers, AVX512F/BW/VL): checked at run time;
 * false after fz_aesgcm_hw_off() or fz_aesgcm_wide_set(false). A key
 * expanded while it was false is opened on the 128-bit path.
 */
bool fz_aesgcm_wide(void);

/* Make fz_aesgcm_hw() false for the rest of the process (tests of the fallback). */
void fz_aesgcm_hw_off(void);

/* Allow the 512-bit path (where the CPU has it) or not: tests of both paths. */
void fz_aesgcm_wide_set(bool on);

/* Expand `key` for fz_aes128_encrypt. 0, or -ENOTSUP without fz_aesgcm_hw(). */
int fz_aes128_key(struct fz_aes128 *k, const uint8_t key[16]);

/* Expand `key` for the block cipher and GCM. 0, or -ENOTSUP. */
int fz_aes128_gcm_key(struct fz_aes128 *k, const uint8_t key[16]);

/* One block: out = AES-128(k, in); in and out may be the same. */
void fz_aes128_encrypt(const struct fz_aes128 *k, const uint8_t in[16], uint8_t out[16]);

/*
 * Open `len` bytes of ciphertext `ct` with its `tag` into `pt` (which may
 * be `ct`): 0, or -EBADMSG when the tag does not verify (pt then holds
 * unauthenticated bytes: the caller drops them).
 */
int fz_aes128_gcm_open(const struct fz_aes128 *k, const uint8_t nonce[FZ_AESGCM_NONCE],
		       const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
		       const uint8_t tag[FZ_AESGCM_TAG], uint8_t *pt);

/* Seal `len` bytes of `pt` into `ct` (which may be `pt`) and `tag`. */
void fz_aes128_gcm_seal(const struct fz_aes128 *k, const uint8_t nonce[FZ_AESGCM_NONCE],
			const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
			uint8_t *ct, uint8_t tag[FZ_AESGCM_TAG]);

#endif
