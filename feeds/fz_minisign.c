/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * minisign signatures, checked with libcrypto.
 *
 * The formats (minisign by Frank Denis):
 *  - public key: base64 of "Ed" + key id (8 bytes) + Ed25519 key (32);
 *    we take the bare base64 line or a whole .pub file (comment lines
 *    starting with "untrusted comment:" are skipped).
 *  - .minisig file, four lines:
 *      untrusted comment: <anything>
 *      base64 of algorithm (2) + key id (8) + signature (64)
 *      trusted comment: <text>
 *      base64 of the global signature (64)
 *    The algorithm is "Ed" (legacy: Ed25519 over the data itself) or "ED"
 *    (Ed25519 over BLAKE2b-512 of the data). The global signature is
 *    Ed25519 over signature || text, so the trusted comment cannot be
 *    changed without the secret key.
 *
 * What we check, in this order: the file's shape, the key id, the
 * signature over the data, the global signature. Lines may end in "\r\n";
 * anything after the fourth line is ignored (as minisign does). Base64 is
 * decoded strictly: the standard alphabet, '=' padding required, the exact
 * length expected, no stray bits. Every input is bounded; a NUL byte
 * anywhere in the file is refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "fz_minisign.h"

#define MS_ALG_LEN    2
#define MS_KEYID_LEN  8
#define MS_PK_LEN     32
#define MS_SIG_LEN    64
#define MS_PUBKEY_LEN (MS_ALG_LEN + MS_KEYID_LEN + MS_PK_LEN)
#define MS_SIGBLK_LEN (MS_ALG_LEN + MS_KEYID_LEN + MS_SIG_LEN)
/* Longest .minisig file and public key text we read. */
#define MS_FILE_MAX   8192
#define MS_PUBKEY_MAX 4096
/* minisign's own bound on a comment. */
#define MS_COMMENT_MAX 1024

static const char untrusted_prefix[] = "untrusted comment:";
static const char trusted_prefix[] = "trusted comment: ";

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	if (err && errlen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* libcrypto could not do the work: out of memory, or no Ed25519. */
static int crypto_error(int r, char *err, size_t errlen)
{
	if (r == -ENOMEM) {
		fail(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return fail(err, errlen, "Ed25519 is not available in libcrypto");
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode exactly `outlen` bytes from `len` characters of standard base64
 * with '=' padding. Returns 0, or -1 when the text is not the canonical
 * encoding of exactly that many bytes.
 */
static int b64_decode_exact(const char *in, size_t len, uint8_t *out, size_t outlen)
{
	size_t want = (outlen + 2) / 3 * 4, pad = (3 - outlen % 3) % 3, o = 0;

	if (len != want)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		int n = 0;

		for (size_t j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + j];
			int d;

			if (c == '=') {
				/* Padding: only in the last group, only at its end. */
				if (i + 4 != len || j < 4 - pad)
					return -1;
				v <<= 6;
				continue;
			}
			if (i + 4 == len && j >= 4 - pad)
				return -1;
			d = b64_value(c);
			if (d < 0)
				return -1;
			v = (v << 6) | (uint32_t)d;
			n++;
		}
		/* n characters carry n * 6 bits: whole bytes first, then unused bits. */
		uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
		size_t nb = (size_t)n * 6 / 8;

		if ((n == 2 && (v & 0xffff)) || (n == 3 && (v & 0xff)))
			return -1; /* bits past the last byte must be zero */
		for (size_t k = 0; k < nb && o < outlen; k++)
			out[o++] = b[k];
	}
	return o == outlen ? 0 : -1;
}

struct line {
	const char *s;
	size_t len;
};

/* The next line of [*pos, end), without "\n" or "\r\n". False at the end. */
static bool next_line(const char *buf, size_t end, size_t *pos, struct line *l)
{
	size_t p = *pos, e;

	if (p >= end)
		return false;
	e = p;
	while (e < end && buf[e] != '\n')
		e++;
	l->s = buf + p;
	l->len = e - p;
	if (l->len && l->s[l->len - 1] == '\r')
		l->len--;
	*pos = e < end ? e + 1 : end;
	return true;
}

static bool has_prefix(const struct line *l, const char *p)
{
	size_t n = strlen(p);

	return l->len >= n && memcmp(l->s, p, n) == 0;
}

/* Base64 text of a line, with surrounding blanks dropped. */
static void trim(struct line *l)
{
	while (l->len && (l->s[0] == ' ' || l->s[0] == '\t')) {
		l->s++;
		l->len--;
	}
	while (l->len && (l->s[l->len - 1] == ' ' || l->s[l->len - 1] == '\t'))
		l->len--;
}

static void keyid_hex(const uint8_t id[MS_KEYID_LEN], char out[2 * MS_KEYID_LEN + 1])
{
	/* minisign prints the id as a little-endian 64-bit number. */
	for (size_t i = 0; i < MS_KEYID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02X", id[MS_KEYID_LEN - 1 - i]);
}

static int parse_pubkey(const char *pubkey, uint8_t pk[MS_PUBKEY_LEN], char *err, size_t errlen)
{
	size_t len, pos = 0;
	struct line l, key = {NULL, 0};

	if (!pubkey)
		return fail(err, errlen, "no public key");
	len = strnlen(pubkey, MS_PUBKEY_MAX + 1);
	if (len > MS_PUBKEY_MAX)
		return fail(err, errlen, "public key text longer than %d bytes", MS_PUBKEY_MAX);
	while (next_line(pubkey, len, &pos, &l)) {
		if (has_prefix(&l, untrusted_prefix))
			continue;
		trim(&l);
		if (!l.len)
			continue;
		if (key.s)
			return fail(err, errlen, "public key: more than one key line");
		key = l;
	}
	if (!key.s)
		return fail(err, errlen, "public key is empty");
	if (b64_decode_exact(key.s, key.len, pk, MS_PUBKEY_LEN) != 0)
		return fail(err, errlen, "public key is not the base64 of a minisign key");
	if (pk[0] != 'E' || pk[1] != 'd')
		return fail(err, errlen, "public key algorithm is not Ed25519 (\"Ed\")");
	return 0;
}

/* 1 when `sig` is a good Ed25519 signature of msg by pk, 0 when not, < 0 on error. */
static int ed25519_verify(const uint8_t pk[MS_PK_LEN], const uint8_t sig[MS_SIG_LEN],
			  const uint8_t *msg, size_t len)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, MS_PK_LEN);
	EVP_MD_CTX *ctx = NULL;
	int r = -ENOMEM;

	if (!key)
		goto out;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		goto out;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1) {
		r = -EINVAL;
		goto out;
	}
	/* An empty message still needs a valid pointer. */
	r = EVP_DigestVerify(ctx, sig, MS_SIG_LEN, len ? msg : (const uint8_t *)"", len) == 1;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return r;
}

int fz_minisign_verify(const char *pubkey, const uint8_t *sig, size_t siglen, const uint8_t *data,
		       size_t len, char *err, size_t errlen)
{
	uint8_t pk[MS_PUBKEY_LEN], sigblk[MS_SIGBLK_LEN], global[MS_SIG_LEN];
	uint8_t hash[64], gmsg[MS_SIG_LEN + MS_COMMENT_MAX];
	const char *buf = (const char *)sig;
	struct line l1, l2, l3, l4;
	size_t pos = 0, tlen;
	bool prehashed;
	int r;

	if (err && errlen)
		err[0] = '\0';
	r = parse_pubkey(pubkey, pk, err, errlen);
	if (r < 0)
		return r;

	if (!sig || siglen == 0)
		return fail(err, errlen, "signature file is empty");
	if (siglen > MS_FILE_MAX)
		return fail(err, errlen, "signature file longer than %d bytes", MS_FILE_MAX);
	if (memchr(sig, '\0', siglen))
		return fail(err, errlen, "signature file contains a NUL byte");
	if (!data && len)
		return fail(err, errlen, "no data");

	if (!next_line(buf, siglen, &pos, &l1) || !has_prefix(&l1, untrusted_prefix))
		return fail(err, errlen,
			    "signature file: line 1 is not \"untrusted comment: ...\"");
	if (!next_line(buf, siglen, &pos, &l2))
		return fail(err, errlen, "signature file: no signature line");
	trim(&l2);
	if (b64_decode_exact(l2.s, l2.len, sigblk, sizeof(sigblk)) != 0)
		return fail(err, errlen, "signature file: line 2 is not the base64 of a signature");
	if (!next_line(buf, siglen, &pos, &l3) || !has_prefix(&l3, trusted_prefix))
		return fail(err, errlen, "signature file: line 3 is not \"trusted comment: ...\"");
	tlen = l3.len - strlen(trusted_prefix);
	if (tlen > MS_COMMENT_MAX)
		return fail(err, errlen, "signature file: trusted comment longer than %d bytes",
			    MS_COMMENT_MAX);
	if (!next_line(buf, siglen, &pos, &l4))
		return fail(err, errlen, "signature file: no global signature line");
	trim(&l4);
	if (b64_decode_exact(l4.s, l4.len, global, sizeof(global)) != 0)
		return fail(err, errlen,
			    "signature file: line 4 is not the base64 of a global signature");

	if (sigblk[0] == 'E' && sigblk[1] == 'd')
		prehashed = false;
	else if (sigblk[0] == 'E' && sigblk[1] == 'D')
		prehashed = true;
	else
		return fail(err, errlen, "unknown signature algorithm 0x%02x%02x", sigblk[0],
			    sigblk[1]);

	if (memcmp(sigblk + MS_ALG_LEN, pk + MS_ALG_LEN, MS_KEYID_LEN) != 0) {
		char a[2 * MS_KEYID_LEN + 1], b[2 * MS_KEYID_LEN + 1];

		keyid_hex(sigblk + MS_ALG_LEN, a);
		keyid_hex(pk + MS_ALG_LEN, b);
		return fail(err, errlen, "signed by key %s, not by the configured key %s", a, b);
	}

	if (prehashed) {
		unsigned int hlen = 0;

		if (EVP_Digest(len ? data : (const uint8_t *)"", len, hash, &hlen, EVP_blake2b512(),
			       NULL) != 1 ||
		    hlen != sizeof(hash)) {
			ERR_clear_error();
			return fail(err, errlen, "BLAKE2b-512 is not available");
		}
		r = ed25519_verify(pk + MS_ALG_LEN + MS_KEYID_LEN,
				   sigblk + MS_ALG_LEN + MS_KEYID_LEN, hash, sizeof(hash));
	} else {
		r = ed25519_verify(pk + MS_ALG_LEN + MS_KEYID_LEN,
				   sigblk + MS_ALG_LEN + MS_KEYID_LEN, data, len);
	}
	if (r < 0)
		return crypto_error(r, err, errlen);
	if (r == 0)
		return fail(err, errlen, "bad signature: the data does not match (%s signature)",
			    prehashed ? "prehashed" : "legacy");

	memcpy(gmsg, sigblk + MS_ALG_LEN + MS_KEYID_LEN, MS_SIG_LEN);
	memcpy(gmsg + MS_SIG_LEN, l3.s + strlen(trusted_prefix), tlen);
	r = ed25519_verify(pk + MS_ALG_LEN + MS_KEYID_LEN, global, gmsg, MS_SIG_LEN + tlen);
	if (r < 0)
		return crypto_error(r, err, errlen);
	if (r == 0)
		return fail(err, errlen, "bad global signature: the trusted comment was changed");
	return 0;
}
