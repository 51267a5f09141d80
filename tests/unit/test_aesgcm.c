/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfq/fz_aesgcm.c: the AES-128 block against FIPS-197 Appendix C.1, and
 * AES-128-GCM against test cases 1-4 of McGrew & Viega's GCM spec (each
 * vector also run through libcrypto's EVP, so a mistyped vector fails
 * here instead of being trusted); tags that must not verify (one bit
 * flipped in the ciphertext, the AAD or the tag); in-place use; and a few
 * thousand seeded random cases against EVP's AES-128-GCM and AES-128-ECB:
 * every plaintext length 0..100, the neighbours of every 16-byte boundary
 * up to 1600, AAD lengths 0..80 and some longer, buffers of exactly their
 * size (an ASan build sees a read past the end) at every alignment; on a
 * CPU with VAES all of it twice, the 512-bit path and then the 128-bit. Why:
 * this code replaces EVP for every QUIC Initial, so it must be EVP's equal
 * byte for byte, and must refuse a forged packet. Without AES-NI/PCLMUL
 * the test says so and checks that the module refuses to key.
 */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

#include "fz_aesgcm.h"
#include "fz_test.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The hex digits of `s` into out (at most cap bytes); returns the byte count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t len = 0;
	int hi = -1;

	for (; *s; s++) {
		int v = hexval((unsigned char)*s);

		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (len < cap)
			out[len++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return len;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64: the same cases every run. */
static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 32);
}

/* libcrypto's AES-128-GCM seal; false when EVP fails. */
static bool evp_seal(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad,
		     size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;
	bool ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
		  EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) == 1 &&
		  (aad_len == 0 || EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1) &&
		  (len == 0 || EVP_EncryptUpdate(c, ct, &n, pt, (int)len) == 1) &&
		  EVP_EncryptFinal_ex(c, ct + len, &n) == 1 &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;

	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* libcrypto's AES-128-GCM open: 1 verified, 0 refused, -1 EVP failed otherwise. */
static int evp_open(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad,
		    size_t aad_len, const uint8_t *ct, size_t len, const uint8_t tag[16],
		    uint8_t *pt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t t[16];
	int n, r = -1;

	memcpy(t, tag, 16);
	if (c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
	    EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) == 1 &&
	    (aad_len == 0 || EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1) &&
	    (len == 0 || EVP_DecryptUpdate(c, pt, &n, ct, (int)len) == 1) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, t) == 1)
		r = EVP_DecryptFinal_ex(c, pt + len, &n) > 0 ? 1 : 0;
	EVP_CIPHER_CTX_free(c);
	return r;
}

/* libcrypto's AES-128-ECB on one block. */
static bool evp_ecb(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;
	bool ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
		  EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
		  EVP_EncryptUpdate(c, out, &n, in, 16) == 1 && n == 16;

	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* Without the instructions: said out loud, and the module refuses to key. */
static int test_no_hw(void)
{
	struct fz_aes128 k;
	uint8_t key[16] = {0};

	printf("test_aesgcm: this CPU lacks AES-NI/PCLMULQDQ/SSSE3 (or this is not x86-64): "
	       "only the -ENOTSUP fallback is tested\n");
	CHECK_INT(fz_aes128_key(&k, key), -ENOTSUP);
	CHECK_INT(fz_aes128_gcm_key(&k, key), -ENOTSUP);
	return fz_test_done();
}

/* FIPS-197 Appendix C.1. */
static void test_fips197(void)
{
	struct fz_aes128 k;
	uint8_t key[16], in[16], want[16], out[16], ev[16];

	unhex("000102030405060708090a0b0c0d0e0f", key, 16);
	unhex("00112233445566778899aabbccddeeff", in, 16);
	unhex("69c4e0d86a7b0430d8cdb78070b4c55a", want, 16);
	CHECK(evp_ecb(key, in, ev) && memcmp(ev, want, 16) == 0);

	CHECK_INT(fz_aes128_key(&k, key), 0);
	memset(out, 0, sizeof(out));
	fz_aes128_encrypt(&k, in, out);
	CHECK(memcmp(out, want, 16) == 0);
	memcpy(out, in, 16);
	fz_aes128_encrypt(&k, out, out); /* in place */
	CHECK(memcmp(out, want, 16) == 0);

	/* the GCM key schedule serves the block cipher too */
	memset(&k, 0, sizeof(k));
	CHECK_INT(fz_aes128_gcm_key(&k, key), 0);
	fz_aes128_encrypt(&k, in, out);
	CHECK(memcmp(out, want, 16) == 0);
}

/* McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 1-4. */
static const struct {
	const char *key, *nonce, *aad, *pt, *ct, *tag;
} gcm_vectors[] = {
    {"00000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    {"00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
};

static void test_gcm_vectors(void)
{
	for (size_t v = 0; v < sizeof(gcm_vectors) / sizeof(gcm_vectors[0]); v++) {
		uint8_t key[16], nonce[12], aad[32], pt[64], ct[64], tag[16];
		uint8_t out[64], otag[16], buf[64], bad[64];
		size_t aad_len, len, ct_len;
		struct fz_aes128 k;

		CHECK_INT(unhex(gcm_vectors[v].key, key, sizeof(key)), 16);
		CHECK_INT(unhex(gcm_vectors[v].nonce, nonce, sizeof(nonce)), 12);
		aad_len = unhex(gcm_vectors[v].aad, aad, sizeof(aad));
		len = unhex(gcm_vectors[v].pt, pt, sizeof(pt));
		ct_len = unhex(gcm_vectors[v].ct, ct, sizeof(ct));
		CHECK_INT(ct_len, len);
		CHECK_INT(unhex(gcm_vectors[v].tag, tag, sizeof(tag)), 16);

		/* the vector itself, through libcrypto */
		CHECK(evp_seal(key, nonce, aad, aad_len, pt, len, out, otag));
		CHECK(memcmp(out, ct, len) == 0 && memcmp(otag, tag, 16) == 0);
		CHECK_INT(evp_open(key, nonce, aad, aad_len, ct, len, tag, out), 1);

		CHECK_INT(fz_aes128_gcm_key(&k, key), 0);

		/* seal */
		memset(out, 0xa5, sizeof(out));
		memset(otag, 0xa5, sizeof(otag));
		fz_aes128_gcm_seal(&k, nonce, aad, aad_len, pt, len, out, otag);
		CHECK(memcmp(out, ct, len) == 0);
		CHECK(memcmp(otag, tag, 16) == 0);

		/* open */
		memset(out, 0xa5, sizeof(out));
		CHECK_INT(fz_aes128_gcm_open(&k, nonce, aad, aad_len, ct, len, tag, out), 0);
		CHECK(memcmp(out, pt, len) == 0);

		/* in place, both ways */
		memcpy(buf, pt, len);
		fz_aes128_gcm_seal(&k, nonce, aad, aad_len, buf, len, buf, otag);
		CHECK(memcmp(buf, ct, len) == 0 && memcmp(otag, tag, 16) == 0);
		CHECK_INT(fz_aes128_gcm_open(&k, nonce, aad, aad_len, buf, len, tag, buf), 0);
		CHECK(memcmp(buf, pt, len) == 0);

		/* one bit flipped anywhere in the ciphertext, the AAD or the tag */
		for (size_t i = 0; i < len * 8; i += 7) {
			memcpy(bad, ct, len);
			bad[i / 8] ^= (uint8_t)(1u << i % 8);
			CHECK_INT(fz_aes128_gcm_open(&k, nonce, aad, aad_len, bad, len, tag, out),
				  -EBADMSG);
		}
		for (size_t i = 0; i < aad_len * 8; i += 3) {
			uint8_t a[32];

			memcpy(a, aad, aad_len);
			a[i / 8] ^= (uint8_t)(1u << i % 8);
			CHECK_INT(fz_aes128_gcm_open(&k, nonce, a, aad_len, ct, len, tag, out),
				  -EBADMSG);
		}
		for (size_t i = 0; i < 128; i++) {
			uint8_t t[16];

			memcpy(t, tag, 16);
			t[i / 8] ^= (uint8_t)(1u << i % 8);
			CHECK_INT(fz_aes128_gcm_open(&k, nonce, aad, aad_len, ct, len, t, out),
				  -EBADMSG);
		}
		/* and in the nonce; a missing or extra byte of AAD */
		{
			uint8_t n2[12];

			memcpy(n2, nonce, 12);
			n2[11] ^= 1;
			CHECK_INT(fz_aes128_gcm_open(&k, n2, aad, aad_len, ct, len, tag, out),
				  -EBADMSG);
		}
		if (aad_len)
			CHECK_INT(
			    fz_aes128_gcm_open(&k, nonce, aad, aad_len - 1, ct, len, tag, out),
			    -EBADMSG);
		if (len)
			CHECK_INT(
			    fz_aes128_gcm_open(&k, nonce, aad, aad_len, ct, len - 1, tag, out),
			    -EBADMSG);
	}
}

/*
 * A copy of `n` bytes (or room for them) at `off` in a fresh allocation
 * that ends where they do. free() *base.
 */
static uint8_t *tight(const uint8_t *src, size_t n, size_t off, uint8_t **base)
{
	*base = malloc(off + n + (n == 0));
	if (!*base) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (src && n)
		memcpy(*base + off, src, n);
	return *base + off;
}

static int n_cases;

/* One random case of `len` bytes and `aad_len` bytes of AAD, against EVP. */
static void one_case(size_t len, size_t aad_len)
{
	uint8_t key[16], nonce[12], tag[16], etag[16], *pt, *ct, *ect, *aad, *out;
	uint8_t *b_pt, *b_ct, *b_ect, *b_aad, *b_out, *src;
	struct fz_aes128 k;
	size_t total;
	int r;

	n_cases++;
	rnd_bytes(key, 16);
	rnd_bytes(nonce, 12);
	src = malloc(len + aad_len + 1);
	if (!src)
		exit(2);
	rnd_bytes(src, len + aad_len);
	pt = tight(src, len, rnd() % 16, &b_pt);
	aad = tight(src + len, aad_len, rnd() % 16, &b_aad);
	ct = tight(NULL, len, rnd() % 16, &b_ct);
	ect = tight(NULL, len, 0, &b_ect);
	out = tight(NULL, len, rnd() % 16, &b_out);

	CHECK_INT(fz_aes128_gcm_key(&k, key), 0);
	fz_aes128_gcm_seal(&k, nonce, aad, aad_len, pt, len, ct, tag);
	CHECK(evp_seal(key, nonce, aad, aad_len, pt, len, ect, etag));
	if (memcmp(ct, ect, len) != 0 || memcmp(tag, etag, 16) != 0) {
		fprintf(stderr, "seal differs from EVP: len %zu aad_len %zu (%s)\n", len, aad_len,
			memcmp(ct, ect, len) ? "ciphertext" : "tag only");
		CHECK(0);
	}

	/* EVP's sealed bytes open with ours */
	r = fz_aes128_gcm_open(&k, nonce, aad, aad_len, ect, len, etag, out);
	if (r != 0 || memcmp(out, pt, len) != 0) {
		fprintf(stderr, "open of EVP's seal: len %zu aad_len %zu: %d\n", len, aad_len, r);
		CHECK(0);
	}
	/* ours open with EVP's */
	CHECK_INT(evp_open(key, nonce, aad, aad_len, ct, len, tag, ect), 1);
	CHECK(memcmp(ect, pt, len) == 0);

	/* in place: seal over pt, open it back over itself */
	memcpy(out, pt, len);
	fz_aes128_gcm_seal(&k, nonce, aad, aad_len, out, len, out, etag);
	CHECK(memcmp(out, ct, len) == 0 && memcmp(etag, tag, 16) == 0);
	CHECK_INT(fz_aes128_gcm_open(&k, nonce, aad, aad_len, out, len, tag, out), 0);
	CHECK(memcmp(out, pt, len) == 0);

	/* one random bit flipped in ciphertext, AAD or tag */
	total = len + aad_len + 16;
	{
		size_t bit = rnd() % (total * 8), at = bit / 8;
		uint8_t m = (uint8_t)(1u << bit % 8);

		if (at < len)
			ct[at] ^= m;
		else if (at < len + aad_len)
			aad[at - len] ^= m;
		else
			tag[at - len - aad_len] ^= m;
		r = fz_aes128_gcm_open(&k, nonce, aad, aad_len, ct, len, tag, out);
		if (r != -EBADMSG) {
			fprintf(stderr, "forgery accepted: len %zu aad_len %zu bit %zu: %d\n", len,
				aad_len, bit, r);
			CHECK(0);
		}
	}

	free(src);
	free(b_pt);
	free(b_aad);
	free(b_ct);
	free(b_ect);
	free(b_out);
}

static void test_differential(void)
{
	/* every length 0..100, with AAD lengths cycling 0..80 */
	for (size_t len = 0; len <= 100; len++)
		for (int j = 0; j < 8; j++)
			one_case(len, (len * 8 + (size_t)j) % 81);
	/* every AAD length 0..80 with lengths that end a block, or not */
	for (size_t aad_len = 0; aad_len <= 80; aad_len++) {
		static const size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 65, 1200};

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
			one_case(lens[i], aad_len);
	}
	/* the neighbours of every 16-byte boundary up to 1600 (the strides of open and GHASH:
	 * 128 bytes, 256 on the 512-bit path) */
	for (size_t b = 112; b <= 1600; b += 16) {
		one_case(b - 1, rnd() % 81);
		one_case(b, rnd() % 81);
		if (b + 1 <= 1600)
			one_case(b + 1, rnd() % 81);
	}
	/* random lengths; every 8th AAD long */
	for (int i = 0; i < 1000; i++)
		one_case(rnd() % 1601, i % 8 == 0 ? 81 + rnd() % 320 : rnd() % 81);
	/* longer AAD at block boundaries, and a few big ones */
	one_case(1200, 300);
	one_case(1200, 127);
	one_case(1200, 128);
	one_case(1200, 129);
	one_case(1200, 255); /* the 512-bit path's stride: 256 */
	one_case(1200, 256);
	one_case(1200, 257);
	one_case(513, 319);
	one_case(0, 300);
	one_case(16, 256);
	one_case(65536, 0);
	one_case(65535 + 64 * 3, 19);
	printf("%d random GCM cases agree with EVP\n", n_cases);
}

/* The block cipher on random keys and blocks against EVP's ECB. */
static void test_ecb_random(void)
{
	for (int i = 0; i < 2000; i++) {
		uint8_t key[16], in[16], want[16], out[16];
		struct fz_aes128 k;

		rnd_bytes(key, 16);
		rnd_bytes(in, 16);
		CHECK(evp_ecb(key, in, want));
		if (i % 2)
			CHECK_INT(fz_aes128_key(&k, key), 0);
		else
			CHECK_INT(fz_aes128_gcm_key(&k, key), 0);
		fz_aes128_encrypt(&k, in, out);
		if (memcmp(out, want, 16) != 0) {
			fprintf(stderr, "block %d differs from EVP's ECB\n", i);
			CHECK(0);
		}
		fz_aes128_encrypt(&k, in, in);
		CHECK(memcmp(in, want, 16) == 0);
	}
}

/* Last: once switched off, the module stays off and refuses to key. */
static void test_hw_off(void)
{
	struct fz_aes128 k;
	uint8_t key[16] = {0};

	fz_aesgcm_hw_off();
	CHECK(!fz_aesgcm_hw());
	CHECK(!fz_aesgcm_wide());
	CHECK_INT(fz_aes128_key(&k, key), -ENOTSUP);
	CHECK_INT(fz_aes128_gcm_key(&k, key), -ENOTSUP);
	CHECK(!fz_aesgcm_hw());
}

int main(void)
{
	if (!fz_aesgcm_hw())
		return test_no_hw();
	/* the 512-bit path where the CPU has it, then the 128-bit one: the same cases */
	printf("GCM: %s\n", fz_aesgcm_wide() ? "512 bits (VAES)" : "128 bits (AES-NI)");
	test_fips197();
	test_gcm_vectors();
	test_differential();
	if (fz_aesgcm_wide()) {
		fz_aesgcm_wide_set(false);
		CHECK(!fz_aesgcm_wide());
		printf("GCM: 128 bits (AES-NI)\n");
		test_gcm_vectors();
		test_differential();
	}
	test_ecb_random();
	test_hw_off();
	return fz_test_done();
}
