/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_minisign_verify().
 *  1. the input as the .minisig file, with the fixture key and data
 *     (tests/fixtures/minisign);
 *  2. the input as the public key text, with the fixture's signature.
 * Each call returns 0 or -EBADMSG (or -ENOMEM), with an empty reason on
 * success and a non-empty, NUL-terminated one otherwise. An input that
 * verifies must stop verifying when one byte of the data changes.
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_minisign.h"

static const char key[] = "RWTOKEWOF1dW8Gy1Ze2K8T+DZ1xohGrOUxyuzM/KLV+88cuj3duwbaTg";
static const char fixture_data[] = "fraud.example\nscam.example\nphish.example\n";
static const char fixture_sig[] =
    "untrusted comment: signature from minisign secret key\n"
    "RUTOKEWOF1dW8K3iF5ILtncOpnnSpPenCvg9YQ82wBSaJ7Ar9uPFM37B0+LdxX3A6QTcWHpX8hvyB5asLTInnbuMn"
    "j0Zr5oyDwM=\n"
    "trusted comment: fangzha test fixture, prehashed\n"
    "mj6YS7SFiSsH6JwcxGYjtJbN+3MAZ9UVhfXN+i2mZpHIXlCNFuBsNGFf8IIrMA+qXQ5ldUorEVdv3r0+WEKpAw==\n";

static int verify(const char *k, const uint8_t *sig, size_t siglen, const uint8_t *d, size_t n)
{
	char err[128];
	int r;

	memset(err, 0x55, sizeof(err));
	r = fz_minisign_verify(k, sig, siglen, d, n, err, sizeof(err));
	FZ_FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM);
	FZ_FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	FZ_FUZZ_CHECK(r == 0 ? err[0] == '\0' : err[0] != '\0');
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *d = (const uint8_t *)fixture_data;
	size_t n = sizeof(fixture_data) - 1;
	uint8_t changed[sizeof(fixture_data)];
	char *k;

	/* 1. the input as the signature file */
	if (verify(key, data, size, d, n) == 0) {
		memcpy(changed, d, n);
		changed[size % n] ^= 1;
		FZ_FUZZ_CHECK(verify(key, data, size, changed, n) == -EBADMSG);
	}

	/* 2. the input as the public key (a C string: cut at the first NUL) */
	k = malloc(size + 1);
	if (!k)
		return 0;
	memcpy(k, data, size);
	k[size] = '\0';
	if (verify(k, (const uint8_t *)fixture_sig, sizeof(fixture_sig) - 1, d, n) == 0) {
		memcpy(changed, d, n);
		changed[size % n] ^= 1;
		FZ_FUZZ_CHECK(verify(k, (const uint8_t *)fixture_sig, sizeof(fixture_sig) - 1,
				     changed, n) == -EBADMSG);
	}
	free(k);
	return 0;
}
