/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfq/fz_sha256.c: whole messages hashed with fz_sha256_compress and FIPS
 * 180-4 padding against the FIPS examples ("abc", the two-block message,
 * a million 'a') and against libcrypto's SHA256 on seeded random messages
 * of every length 0..300 (one, two and more blocks, every padding
 * boundary); the same after fz_sha256_hw_off() (libcrypto's
 * SHA256_Transform, what other CPUs use). Why: HKDF for every QUIC
 * Initial runs on this compression; a wrong round is a wrong key and an
 * unread SNI.
 */
#include <openssl/sha.h>
#include <stdint.h>

#include "fz_sha256.h"
#include "fz_test.h"

/* SHA-256 of msg through fz_sha256_compress (padding as FIPS 180-4 5.1.1). */
static void hash(const uint8_t *msg, size_t len, uint8_t out[32])
{
	uint32_t h[8];
	uint8_t block[128] = {0};
	uint64_t bits = (uint64_t)len * 8;
	size_t rest, nb;

	memcpy(h, fz_sha256_iv, sizeof(h));
	for (; len >= 64; msg += 64, len -= 64)
		fz_sha256_compress(h, msg);
	rest = len;
	nb = rest <= 55 ? 64 : 128;
	if (rest)
		memcpy(block, msg, rest);
	block[rest] = 0x80;
	for (int i = 0; i < 8; i++)
		block[nb - 8 + i] = (uint8_t)(bits >> (56 - 8 * i));
	fz_sha256_compress(h, block);
	if (nb == 128)
		fz_sha256_compress(h, block + 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void check_fips(void)
{
	static uint8_t million[1000000];
	uint8_t d[32];
	char x[65];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	hash((const uint8_t *)"abc", 3, d);
	hex(d, 32, x);
	CHECK_STR(x, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hash((const uint8_t *)two, strlen(two), d);
	hex(d, 32, x);
	CHECK_STR(x, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', sizeof(million));
	hash(million, sizeof(million), d);
	hex(d, 32, x);
	CHECK_STR(x, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint8_t rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

static void check_random(void)
{
	uint8_t msg[300], want[32], got[32];
	int bad = 0;

	for (size_t len = 0; len <= sizeof(msg); len++) {
		for (int k = 0; k < 4; k++) {
			for (size_t i = 0; i < len; i++)
				msg[i] = rnd8();
			SHA256(msg, len, want);
			hash(msg, len, got);
			bad += memcmp(want, got, 32) != 0;
		}
	}
	CHECK_INT(bad, 0);
}

int main(void)
{
	printf("SHA-256 compression: %s\n", fz_sha256_hw() ? "SHA extensions" : "libcrypto");
	check_fips();
	check_random();
	if (fz_sha256_hw()) {
		fz_sha256_hw_off();
		CHECK(!fz_sha256_hw());
		printf("SHA-256 compression: libcrypto\n");
		check_fips();
		check_random();
	}
	return fz_test_done();
}
