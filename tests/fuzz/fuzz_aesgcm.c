/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: nfq/fz_aesgcm.c (compiled in) against libcrypto. The input
 * is a 16-byte key, a 12-byte nonce, one byte giving the AAD's length, the
 * AAD (cut to what is there), and the rest is the plaintext.
 * Checked: our seal and EVP's AES-128-GCM agree byte for byte, ciphertext
 * and tag; our open of it returns 0 and gives the plaintext back (into a
 * separate buffer and in place); with the tag's last byte flipped it
 * returns -EBADMSG; our block cipher on the first 16 bytes of the
 * plaintext (when there are 16) equals EVP's AES-128-ECB. The key's last
 * bit picks fz_aesgcm's 512-bit or 128-bit path. The buffers are
 * exactly their size, so the sanitizers see a read or write past the end.
 * Nothing is checked (return 0) on a CPU without AES-NI/PCLMULQDQ.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_aesgcm.h"

#define MAX_DATA 65536

static EVP_CIPHER_CTX *gcm_ctx, *ecb_ctx;

static void evp_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
		     const uint8_t *pt, size_t len, uint8_t *ct, uint8_t *tag)
{
	int n;

	FZ_FUZZ_CHECK(EVP_EncryptInit_ex(gcm_ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1);
	FZ_FUZZ_CHECK(EVP_CIPHER_CTX_ctrl(gcm_ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1);
	FZ_FUZZ_CHECK(EVP_EncryptInit_ex(gcm_ctx, NULL, NULL, key, nonce) == 1);
	if (aad_len)
		FZ_FUZZ_CHECK(EVP_EncryptUpdate(gcm_ctx, NULL, &n, aad, (int)aad_len) == 1);
	if (len)
		FZ_FUZZ_CHECK(EVP_EncryptUpdate(gcm_ctx, ct, &n, pt, (int)len) == 1);
	FZ_FUZZ_CHECK(EVP_EncryptFinal_ex(gcm_ctx, ct + len, &n) == 1 && n == 0);
	FZ_FUZZ_CHECK(EVP_CIPHER_CTX_ctrl(gcm_ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
}

static void evp_ecb(const uint8_t *key, const uint8_t *in, uint8_t *out)
{
	int n;

	FZ_FUZZ_CHECK(EVP_EncryptInit_ex(ecb_ctx, EVP_aes_128_ecb(), NULL, key, NULL) == 1);
	FZ_FUZZ_CHECK(EVP_CIPHER_CTX_set_padding(ecb_ctx, 0) == 1);
	FZ_FUZZ_CHECK(EVP_EncryptUpdate(ecb_ctx, out, &n, in, 16) == 1 && n == 16);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *key = data, *nonce = data + 16, *aad, *pt;
	uint8_t tag[FZ_AESGCM_TAG], etag[FZ_AESGCM_TAG], *ct, *ect, *out;
	struct fz_aes128 k;
	size_t aad_len, len;

	if (!fz_aesgcm_hw() || size < 16 + 12 + 1)
		return 0;
	aad_len = data[28];
	aad = data + 29;
	if (aad_len > size - 29)
		aad_len = size - 29;
	pt = aad + aad_len;
	len = size - 29 - aad_len;
	if (len > MAX_DATA)
		return 0;
	if (!gcm_ctx)
		gcm_ctx = EVP_CIPHER_CTX_new();
	if (!ecb_ctx)
		ecb_ctx = EVP_CIPHER_CTX_new();
	FZ_FUZZ_CHECK(gcm_ctx && ecb_ctx);
	/* exact sizes (one byte for an empty one, so malloc never returns NULL) */
	ct = malloc(len ? len : 1);
	ect = malloc(len ? len : 1);
	out = malloc(len ? len : 1);
	FZ_FUZZ_CHECK(ct && ect && out);

	/* the key's last bit picks the path: 512 bits (where the CPU has it) or 128 */
	fz_aesgcm_wide_set(key[15] & 1);
	FZ_FUZZ_CHECK(fz_aes128_gcm_key(&k, key) == 0);
	fz_aes128_gcm_seal(&k, nonce, aad, aad_len, pt, len, ct, tag);
	evp_seal(key, nonce, aad, aad_len, pt, len, ect, etag);
	FZ_FUZZ_CHECK(memcmp(ct, ect, len) == 0);
	FZ_FUZZ_CHECK(memcmp(tag, etag, sizeof(tag)) == 0);

	FZ_FUZZ_CHECK(fz_aes128_gcm_open(&k, nonce, aad, aad_len, ct, len, tag, out) == 0);
	FZ_FUZZ_CHECK(memcmp(out, pt, len) == 0);
	/* in place */
	memcpy(out, ct, len);
	FZ_FUZZ_CHECK(fz_aes128_gcm_open(&k, nonce, aad, aad_len, out, len, tag, out) == 0);
	FZ_FUZZ_CHECK(memcmp(out, pt, len) == 0);

	tag[FZ_AESGCM_TAG - 1] ^= 1;
	FZ_FUZZ_CHECK(fz_aes128_gcm_open(&k, nonce, aad, aad_len, ct, len, tag, out) == -EBADMSG);

	if (len >= 16) {
		uint8_t blk[16], eblk[16];

		fz_aes128_encrypt(&k, pt, blk);
		evp_ecb(key, pt, eblk);
		FZ_FUZZ_CHECK(memcmp(blk, eblk, 16) == 0);
		/* the block-only key schedule gives the same */
		memset(&k, 0, sizeof(k));
		FZ_FUZZ_CHECK(fz_aes128_key(&k, key) == 0);
		fz_aes128_encrypt(&k, pt, blk);
		FZ_FUZZ_CHECK(memcmp(blk, eblk, 16) == 0);
	}
	free(ct);
	free(ect);
	free(out);
	return 0;
}
