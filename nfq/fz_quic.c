/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC client Initials, as an on-path observer reads them.
 *
 * Keys: HKDF-SHA256 (RFC 5869) over HMAC, with the TLS 1.3
 * HKDF-Expand-Label info (RFC 8446 section 7.1); every output here is at
 * most one hash long, so Expand is a single HMAC. Header protection is
 * AES-128-ECB over a 16-byte sample, the payload AES-128-GCM with the
 * header as associated data.
 *
 * libcrypto objects (SHA-256, the two ciphers and their contexts) and a
 * plaintext buffer are kept per thread, so a packet costs no allocation;
 * the cipher contexts are re-keyed only when the key changes (a flow's
 * packets in a row skip the key schedule). A thread's set is freed when
 * the thread exits.
 */
/* SHA256_Init & co: deprecated in OpenSSL 3 but the cheapest way to reuse a keyed HMAC state */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "fz_aesgcm.h"
#include "fz_quic.h"

#define QUIC_TAG_LEN	16
#define QUIC_SAMPLE_LEN 16
#define QUIC_MAX_PT	65536 /* a UDP payload is smaller */

/*
 * What differs between the versions we read: the salt (RFC 9001 5.2, RFC
 * 9369 3.3.1, the drafts' section 5.2), the labels and the long header
 * type bits. Besides v1, v2 and draft-29, the other IETF drafts clients
 * still shipped with TLS (23-28, 30-34) and Google's T051 (TLS over the
 * IETF long header, salt of its own) are read: all use the v1 labels and
 * type bits; T051 keeps Google's frame types in the payload (PADDING 0x00,
 * PING 0x07, CRYPTO 0x08 with the same offset and length varints).
 */
struct quic_version {
	uint32_t first, last; /* the version numbers that share these */
	const uint8_t *salt;
	const char *key_label, *iv_label, *hp_label;
	uint8_t initial_type; /* long header type bits of an Initial */
	uint8_t retry_type;
	bool gquic_frames; /* Google's frame types: PING 0x07, CRYPTO 0x08 */
};

static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
static const uint8_t salt_d29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
				     0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
static const uint8_t salt_d23[20] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
				     0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
static const uint8_t salt_t051[20] = {0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
				      0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d};

#define QUIC_V1_LABELS "quic key", "quic iv", "quic hp"

static const struct quic_version quic_versions[] = {
    {FZ_QUIC_V1, FZ_QUIC_V1, salt_v1, QUIC_V1_LABELS, 0, 3, false},
    {FZ_QUIC_V2, FZ_QUIC_V2, salt_v2, "quicv2 key", "quicv2 iv", "quicv2 hp", 1, 0, false},
    {FZ_QUIC_DRAFT29, 0xff000020, salt_d29, QUIC_V1_LABELS, 0, 3, false}, /* drafts 29-32 */
    {0xff000017, 0xff00001c, salt_d23, QUIC_V1_LABELS, 0, 3, false},	  /* drafts 23-28 */
    {0xff000021, 0xff000022, salt_v1, QUIC_V1_LABELS, 0, 3, false},	  /* drafts 33-34 */
    {0x54303531, 0x54303531, salt_t051, QUIC_V1_LABELS, 0, 3, true},	  /* Google "T051" */
};

static const struct quic_version *quic_version_find(uint32_t version)
{
	for (size_t i = 0; i < sizeof(quic_versions) / sizeof(quic_versions[0]); i++)
		if (version >= quic_versions[i].first && version <= quic_versions[i].last)
			return &quic_versions[i];
	return NULL;
}

/* ---- per-thread crypto objects (fz_aesgcm where the CPU has AES-NI, else libcrypto) ---- */

/* An HMAC-SHA256 key: the SHA-256 states after its two padded blocks (see hmac_key()). */
struct hmac_key {
	uint32_t in[8], out[8];
};

/*
 * The inner hash's last (and only) block of HKDF-Expand-Label(secret,
 * label, "", len) for each label a version uses: info, 0x80, zeros, the
 * bit length. Only the key in front of it changes with the DCID.
 */
enum { LB_CLIENT_IN, LB_SERVER_IN, LB_KEY, LB_IV, LB_HP, LB_N };

struct quic_crypto {
	EVP_CIPHER *ecb, *gcm;
	EVP_CIPHER_CTX *ecb_ctx, *gcm_ctx;
	/* the keys the contexts hold now: a flow's next packet skips the key setup */
	uint8_t ecb_key[16], gcm_key[16];
	bool ecb_keyed, gcm_keyed; /* gcm_keyed: for decryption */
	/*
	 * The contexts have their cipher: a new key is set without it (a
	 * re-key in place; with the cipher, OpenSSL resets and re-fetches).
	 */
	bool ecb_init, gcm_init;
	const struct quic_version *salt_v; /* whose salt salt_key and labels hold */
	struct hmac_key salt_key;
	uint8_t labels[LB_N][64];
	/* with AES-NI (fz_aesgcm_hw()): the expanded keys, and which keys they are */
	struct fz_aes128 hp_ks, gcm_ks;
	uint8_t hw_hp_key[16], hw_gcm_key[16];
	bool hw_hp_keyed, hw_gcm_keyed;
	uint8_t pt[QUIC_MAX_PT];
	uint8_t aad[QUIC_MAX_PT]; /* the header as unprotected (fz_aesgcm takes it in one piece) */
};

static __thread struct quic_crypto *quic_tc;
static pthread_key_t quic_tc_key;
static pthread_once_t quic_tc_once = PTHREAD_ONCE_INIT;
static bool quic_tc_key_ok;

static void quic_crypto_free(void *arg)
{
	struct quic_crypto *c = arg;

	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->gcm_ctx);
	EVP_CIPHER_CTX_free(c->ecb_ctx);
	EVP_CIPHER_free(c->gcm);
	EVP_CIPHER_free(c->ecb);
	free(c);
}

static void quic_tc_key_init(void)
{
	quic_tc_key_ok = pthread_key_create(&quic_tc_key, quic_crypto_free) == 0;
}

static struct quic_crypto *quic_crypto_get(void)
{
	struct quic_crypto *c;

	if (quic_tc)
		return quic_tc;
	pthread_once(&quic_tc_once, quic_tc_key_init);
	if (!quic_tc_key_ok)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	c->gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	c->ecb_ctx = EVP_CIPHER_CTX_new();
	c->gcm_ctx = EVP_CIPHER_CTX_new();
	if (!c->ecb || !c->gcm || !c->ecb_ctx || !c->gcm_ctx ||
	    pthread_setspecific(quic_tc_key, c) != 0) {
		quic_crypto_free(c);
		return NULL;
	}
	quic_tc = c;
	return c;
}

/*
 * HMAC-SHA256 (RFC 2104) for HKDF (RFC 5869) in the shape QUIC's Initial
 * keys need: every message (a DCID of at most 20 bytes, an HKDF label of
 * at most 43) fits one block after the key's padded block, so an HMAC is
 * two SHA-256 compressions from the key's two saved states. Through EVP
 * each digest call costs more than the compressions themselves (SHA-NI),
 * so this calls libcrypto's low-level SHA256_Transform (deprecated in
 * OpenSSL 3, still shipped) on a context of which only the state words
 * h[] are used; the blocks around it are built here, the label blocks once
 * per version.
 */

static const uint32_t sha256_iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* One compression of block from state `from` into c->h. */
static void sha256_step(SHA256_CTX *c, const uint32_t from[8], const uint8_t block[64])
{
	memcpy(c->h, from, 32);
	SHA256_Transform(c, block);
}

/*
 * The state words read back one 32-bit load at a time (volatile keeps the
 * compiler from merging them): SHA256_Transform stores them one by one,
 * and a wider load across two of those stores stalls on store forwarding
 * (measured: a tenth of the key derivation).
 */
static void sha256_state(const SHA256_CTX *c, uint32_t to[8])
{
	for (int i = 0; i < 8; i++)
		to[i] = ((volatile const uint32_t *)c->h)[i];
}

static void sha256_digest(const SHA256_CTX *c, uint8_t out[32])
{
	for (int i = 0; i < 8; i++) {
		uint32_t w = __builtin_bswap32(((volatile const uint32_t *)c->h)[i]);

		memcpy(out + 4 * i, &w, 4);
	}
}

/* msg (<= 55 bytes), 0x80, zeros, the bit length of one block plus msg: a last block */
static void sha256_pad_block(uint8_t block[64], const uint8_t *msg, size_t len)
{
	uint64_t bits = __builtin_bswap64((uint64_t)(64 + len) * 8);

	memset(block, 0, 64);
	if (len) /* an empty DCID comes as NULL */
		memcpy(block, msg, len);
	block[len] = 0x80;
	memcpy(block + 56, &bits, 8);
}

/* key_len <= 64 (here 20 or 32) */
static void hmac_key(struct hmac_key *hk, const uint8_t *key, size_t key_len)
{
	uint8_t ipad[64], opad[64];
	SHA256_CTX ci, co;

	memset(ipad, 0x36, sizeof(ipad));
	memset(opad, 0x5c, sizeof(opad));
	for (size_t i = 0; i < key_len && i < sizeof(ipad); i++) {
		ipad[i] ^= key[i];
		opad[i] ^= key[i];
	}
	/* the two compressions back to back: independent, they overlap (hmac_blocks3) */
	sha256_step(&ci, sha256_iv, ipad);
	sha256_step(&co, sha256_iv, opad);
	sha256_state(&ci, hk->in);
	sha256_state(&co, hk->out);
}

/* HMAC(key, msg) where `inner` is msg's padded last block (sha256_pad_block) */
static void hmac_block(const struct hmac_key *hk, const uint8_t inner[64], uint8_t out[32])
{
	/* the outer message is the 32-byte inner digest: its padding is fixed */
	uint8_t outer[64] = {[32] = 0x80, [62] = (96 * 8) >> 8, [63] = (96 * 8) & 0xff};
	SHA256_CTX c;

	sha256_step(&c, hk->in, inner);
	sha256_digest(&c, outer);
	sha256_step(&c, hk->out, outer);
	sha256_digest(&c, out);
}

/*
 * Three HMACs under one key (the key, iv and hp labels): the three inner
 * compressions, then the three outer ones. Each compression is a chain of
 * dependent SHA-NI rounds; independent ones back to back overlap in the
 * core, where an inner followed by its own outer cannot.
 */
static void hmac_blocks3(const struct hmac_key *hk, const uint8_t a[64], const uint8_t b[64],
			 const uint8_t c[64], uint8_t out[3][32])
{
	uint8_t outer[3][64] = {[0] = {[32] = 0x80, [62] = (96 * 8) >> 8, [63] = (96 * 8) & 0xff},
				[1] = {[32] = 0x80, [62] = (96 * 8) >> 8, [63] = (96 * 8) & 0xff},
				[2] = {[32] = 0x80, [62] = (96 * 8) >> 8, [63] = (96 * 8) & 0xff}};
	SHA256_CTX x[3];

	sha256_step(&x[0], hk->in, a);
	sha256_step(&x[1], hk->in, b);
	sha256_step(&x[2], hk->in, c);
	for (int i = 0; i < 3; i++)
		sha256_digest(&x[i], outer[i]);
	for (int i = 0; i < 3; i++)
		sha256_step(&x[i], hk->out, outer[i]);
	for (int i = 0; i < 3; i++)
		sha256_digest(&x[i], out[i]);
}

/* The padded block of HKDF-Expand-Label's info for label, len <= 32: one HMAC block. */
static void expand_label_block(uint8_t block[64], const char *label, size_t len)
{
	uint8_t info[2 + 1 + 6 + 32 + 1 + 1];
	size_t ll = strlen(label), n = 0;

	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll); /* the labels are the constants above: ll <= 10 */
	n += ll;
	info[n++] = 0; /* empty context */
	info[n++] = 1; /* HKDF-Expand block counter */
	sha256_pad_block(block, info, n);
}

int fz_quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, bool server,
			 struct fz_quic_keys *out)
{
	const struct quic_version *v = quic_version_find(version);
	struct quic_crypto *c;
	uint8_t initial[32], secret[32], block[64], okm3[3][32];
	struct hmac_key ik, sk;
	struct fz_quic_keys k;

	if (!v)
		return -ENOTSUP;
	if (dcid_len > FZ_QUIC_MAX_CID)
		return -EINVAL;
	c = quic_crypto_get();
	if (!c)
		return -EIO;
	if (c->salt_v != v) {
		hmac_key(&c->salt_key, v->salt, 20);
		expand_label_block(c->labels[LB_CLIENT_IN], "client in", 32);
		expand_label_block(c->labels[LB_SERVER_IN], "server in", 32);
		expand_label_block(c->labels[LB_KEY], v->key_label, sizeof(k.key));
		expand_label_block(c->labels[LB_IV], v->iv_label, sizeof(k.iv));
		expand_label_block(c->labels[LB_HP], v->hp_label, sizeof(k.hp));
		c->salt_v = v;
	}
	/* HKDF-Extract(salt, dcid) is HMAC(salt, dcid) */
	sha256_pad_block(block, dcid, dcid_len);
	hmac_block(&c->salt_key, block, initial);
	hmac_key(&ik, initial, sizeof(initial));
	hmac_block(&ik, c->labels[server ? LB_SERVER_IN : LB_CLIENT_IN], secret);
	hmac_key(&sk, secret, sizeof(secret));
	hmac_blocks3(&sk, c->labels[LB_KEY], c->labels[LB_IV], c->labels[LB_HP], okm3);
	memcpy(k.key, okm3[0], sizeof(k.key));
	memcpy(k.iv, okm3[1], sizeof(k.iv));
	memcpy(k.hp, okm3[2], sizeof(k.hp));
	*out = k;
	return 0;
}

/* The AES-NI keys for hp (header protection) or key (GCM), expanded if they are new. */
static void hw_rekey(struct quic_crypto *c, const uint8_t *hp, const uint8_t *key)
{
	if (hp && (!c->hw_hp_keyed || memcmp(c->hw_hp_key, hp, 16) != 0)) {
		c->hw_hp_keyed = fz_aes128_key(&c->hp_ks, hp) == 0;
		memcpy(c->hw_hp_key, hp, 16);
	}
	if (key && (!c->hw_gcm_keyed || memcmp(c->hw_gcm_key, key, 16) != 0)) {
		c->hw_gcm_keyed = fz_aes128_gcm_key(&c->gcm_ks, key) == 0;
		memcpy(c->hw_gcm_key, key, 16);
	}
}

/* AES-128-ECB(hp, sample) into mask[16]. */
static int quic_hp_mask(struct quic_crypto *c, const uint8_t hp[16], const uint8_t *sample,
			uint8_t mask[16])
{
	int n = 0;

	if (fz_aesgcm_hw()) {
		hw_rekey(c, hp, NULL);
		if (!c->hw_hp_keyed)
			return -EIO;
		fz_aes128_encrypt(&c->hp_ks, sample, mask);
		return 0;
	}
	if (!c->ecb_keyed || memcmp(c->ecb_key, hp, 16) != 0) {
		c->ecb_keyed = false;
		if (EVP_EncryptInit_ex2(c->ecb_ctx, c->ecb_init ? NULL : c->ecb, hp, NULL, NULL) !=
		    1)
			return -EIO;
		c->ecb_init = true;
		memcpy(c->ecb_key, hp, 16);
		c->ecb_keyed = true;
	}
	/* encrypting one whole block: nothing stays buffered between calls (padding or not) */
	if (EVP_EncryptUpdate(c->ecb_ctx, mask, &n, sample, QUIC_SAMPLE_LEN) != 1 ||
	    n != QUIC_SAMPLE_LEN) {
		c->ecb_keyed = false;
		return -EIO;
	}
	return 0;
}

static void quic_nonce(const struct fz_quic_keys *k, uint64_t pn, uint8_t nonce[12])
{
	memcpy(nonce, k->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
}

/* ---- wire helpers ---- */

static bool quic_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	size_t n, o = *off;
	uint64_t x;

	if (o >= len)
		return false;
	n = (size_t)1 << (p[o] >> 6);
	if (n > len - o)
		return false;
	x = p[o] & 0x3f;
	for (size_t i = 1; i < n; i++)
		x = x << 8 | p[o + i];
	*v = x;
	*off = o + n;
	return true;
}

static size_t quic_put_varint(uint8_t *p, uint64_t v, size_t n)
{
	static const uint8_t prefix[9] = {[1] = 0x00, [2] = 0x40, [4] = 0x80, [8] = 0xc0};

	for (size_t i = 0; i < n; i++)
		p[n - 1 - i] = (uint8_t)(v >> (8 * i));
	p[0] |= prefix[n];
	return n;
}

static uint32_t quic_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool fz_quic_is_initial(const uint8_t *p, size_t len, uint32_t *version)
{
	const struct quic_version *v;
	uint32_t ver;

	/* form, version, DCID length, DCID, SCID length at least */
	if (len < 7 || !(p[0] & 0x80))
		return false;
	ver = quic_be32(p + 1);
	v = quic_version_find(ver);
	if (!v || ((p[0] >> 4) & 3) != v->initial_type)
		return false;
	if (p[5] > FZ_QUIC_MAX_CID || (size_t)6 + p[5] >= len || p[6 + p[5]] > FZ_QUIC_MAX_CID)
		return false;
	*version = ver;
	return true;
}

/* ---- reading one datagram ---- */

/* One long-header packet's layout, header protection still on. */
struct quic_hdr {
	const struct quic_version *v;
	uint32_t version;
	uint8_t type;
	const uint8_t *dcid;
	size_t dcid_len;
	size_t pn_off; /* offset of the packet number from the packet's start */
	size_t end;    /* offset of the packet's end from the packet's start */
};

enum quic_walk {
	QUIC_WALK_PACKET, /* a long header packet of a version we read */
	QUIC_WALK_STOP,	  /* short header, unknown version, padding: nothing more to read */
	QUIC_WALK_CUT,	  /* a header of ours that runs past the datagram */
};

static enum quic_walk quic_parse_long(const uint8_t *p, size_t len, struct quic_hdr *h)
{
	size_t off;
	uint64_t token_len, length;

	if (len < 7 || !(p[0] & 0x80))
		return QUIC_WALK_STOP;
	h->version = quic_be32(p + 1);
	h->v = quic_version_find(h->version);
	if (!h->v)
		return QUIC_WALK_STOP;
	h->type = (p[0] >> 4) & 3;
	if (h->type == h->v->retry_type)
		return QUIC_WALK_STOP; /* a client never sends one; no Length to walk by */
	h->dcid_len = p[5];
	if (h->dcid_len > FZ_QUIC_MAX_CID)
		return QUIC_WALK_STOP;
	h->dcid = p + 6;
	off = 6 + h->dcid_len;
	if (off >= len)
		return QUIC_WALK_CUT;
	if (p[off] > FZ_QUIC_MAX_CID)
		return QUIC_WALK_STOP;
	off += 1 + (size_t)p[off];
	if (h->type == h->v->initial_type) {
		if (!quic_varint(p, len, &off, &token_len))
			return QUIC_WALK_CUT;
		if (token_len > len - off)
			return QUIC_WALK_CUT;
		off += (size_t)token_len;
	}
	if (!quic_varint(p, len, &off, &length))
		return QUIC_WALK_CUT;
	if (length > len - off)
		return QUIC_WALK_CUT;
	h->pn_off = off;
	h->end = off + (size_t)length;
	return QUIC_WALK_PACKET;
}

/*
 * Remove header protection and open the payload with `k` into c->pt.
 * Returns the plaintext length, or -EBADMSG (too short, or the tag does
 * not verify), or -EIO.
 */
static int quic_open(struct quic_crypto *c, const struct fz_quic_keys *k, const uint8_t *p,
		     const struct quic_hdr *h)
{
	uint8_t mask[16], first, pnb[4], nonce[12];
	size_t pn_len, ct_off, ct_len;
	uint64_t pn = 0;
	int n = 0, n2 = 0;

	/* the sample starts 4 bytes past the packet number's start */
	if (h->end < h->pn_off + 4 + QUIC_SAMPLE_LEN)
		return -EBADMSG;
	if (quic_hp_mask(c, k->hp, p + h->pn_off + 4, mask) < 0)
		return -EIO;
	first = p[0] ^ (mask[0] & 0x0f);
	pn_len = (size_t)(first & 3) + 1;
	for (size_t i = 0; i < pn_len; i++) {
		pnb[i] = p[h->pn_off + i] ^ mask[1 + i];
		pn = pn << 8 | pnb[i];
	}
	ct_off = h->pn_off + pn_len;
	if (h->end < ct_off + QUIC_TAG_LEN)
		return -EBADMSG;
	ct_len = h->end - ct_off - QUIC_TAG_LEN;
	if (ct_len > QUIC_MAX_PT)
		return -EBADMSG;
	/*
	 * The packet number is read without the history RFC 9000 A.3 decodes
	 * it with: a client's first Initials number from 0.
	 */
	quic_nonce(k, pn, nonce);
	if (fz_aesgcm_hw()) {
		hw_rekey(c, NULL, k->key);
		if (!c->hw_gcm_keyed)
			return -EIO;
		memcpy(c->aad, p, h->pn_off);
		c->aad[0] = first;
		memcpy(c->aad + h->pn_off, pnb, pn_len);
		if (fz_aes128_gcm_open(&c->gcm_ks, nonce, c->aad, ct_off, p + ct_off, ct_len,
				       p + ct_off + ct_len, c->pt) < 0)
			return -EBADMSG;
		return (int)ct_len;
	}
	if (c->gcm_keyed && memcmp(c->gcm_key, k->key, 16) == 0) {
		if (EVP_DecryptInit_ex2(c->gcm_ctx, NULL, NULL, nonce, NULL) != 1)
			return -EIO;
	} else {
		c->gcm_keyed = false;
		if (EVP_DecryptInit_ex2(c->gcm_ctx, c->gcm_init ? NULL : c->gcm, k->key, nonce,
					NULL) != 1)
			return -EIO;
		c->gcm_init = true;
		memcpy(c->gcm_key, k->key, 16);
		c->gcm_keyed = true;
	}
	/* associated data: the header as unprotected, in three pieces */
	if (EVP_DecryptUpdate(c->gcm_ctx, NULL, &n, &first, 1) != 1 ||
	    EVP_DecryptUpdate(c->gcm_ctx, NULL, &n, p + 1, (int)h->pn_off - 1) != 1 ||
	    EVP_DecryptUpdate(c->gcm_ctx, NULL, &n, pnb, (int)pn_len) != 1) {
		c->gcm_keyed = false;
		return -EIO;
	}
	n = 0;
	if ((ct_len && EVP_DecryptUpdate(c->gcm_ctx, c->pt, &n, p + ct_off, (int)ct_len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(c->gcm_ctx, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN,
				(void *)(p + ct_off + ct_len)) != 1) {
		c->gcm_keyed = false;
		return -EIO;
	}
	if (EVP_DecryptFinal_ex(c->gcm_ctx, c->pt + n, &n2) != 1)
		return -EBADMSG;
	return n + n2;
}

/*
 * Walk an Initial's frames, CRYPTO data into the stream. false when a
 * frame is unknown or cut (what came before it stays).
 */
/*
 * How many zero bytes p starts with. PADDING is most of a client's Initial
 * (1200 bytes for a ClientHello of 300): 32 bytes at a time, not a byte.
 */
static size_t zero_run(const uint8_t *p, size_t n)
{
	size_t i = 0;

	/* 32 bytes per test (one branch), then words, then bytes */
	for (; i + 32 <= n; i += 32) {
		uint64_t w[4];

		memcpy(w, p + i, 32);
		if (w[0] | w[1] | w[2] | w[3])
			break;
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (w)
			break;
	}
	while (i < n && p[i] == 0)
		i++;
	return i;
}

static bool quic_frames(struct fz_quic_state *st, const uint8_t *f, size_t len, bool gquic)
{
	size_t off = 0;
	uint64_t type, a, b, n;

	while (off < len) {
		if (!quic_varint(f, len, &off, &type))
			return false;
		if (gquic) {
			/* Google's types onto the IETF ones we read; the rest stops */
			if (type == 0x07)
				type = 0x01;
			else if (type == 0x08)
				type = 0x06;
			else if (type != 0x00)
				return false;
		}
		switch (type) {
		case 0x00: /* PADDING */
			off += zero_run(f + off, len - off);
			break;
		case 0x01: /* PING */
			break;
		case 0x02: /* ACK */
		case 0x03: /* ACK with ECN counts */
			/* largest, delay, range count, first range */
			if (!quic_varint(f, len, &off, &a) || !quic_varint(f, len, &off, &a) ||
			    !quic_varint(f, len, &off, &n) || !quic_varint(f, len, &off, &a))
				return false;
			/* each range is two varints, at least two bytes */
			if (n > (len - off) / 2)
				return false;
			for (uint64_t i = 0; i < n; i++)
				if (!quic_varint(f, len, &off, &a) ||
				    !quic_varint(f, len, &off, &b))
					return false;
			if (type == 0x03)
				for (int i = 0; i < 3; i++)
					if (!quic_varint(f, len, &off, &a))
						return false;
			break;
		case 0x06: /* CRYPTO: offset, length, data */
			if (!quic_varint(f, len, &off, &a) || !quic_varint(f, len, &off, &n) ||
			    n > len - off)
				return false;
			/*
			 * Bytes past the cap are dropped by the stream; a piece
			 * that finds no room (-ENOSPC, -ENOMEM) is lost as if
			 * the packet had been, a retransmission may bring it.
			 */
			(void)fz_reasm_add(&st->crypto, a, f + off, (size_t)n);
			off += (size_t)n;
			break;
		case 0x1c: /* CONNECTION_CLOSE: error, frame type, reason */
			if (!quic_varint(f, len, &off, &a) || !quic_varint(f, len, &off, &a) ||
			    !quic_varint(f, len, &off, &n) || n > len - off)
				return false;
			off += (size_t)n;
			break;
		default:
			return false;
		}
	}
	return true;
}

void fz_quic_state_init(struct fz_quic_state *st)
{
	memset(st, 0, sizeof(*st));
	fz_reasm_init(&st->crypto, FZ_QUIC_CRYPTO_MAX);
}

void fz_quic_state_free(struct fz_quic_state *st)
{
	if (!st)
		return;
	fz_reasm_free(&st->crypto);
}

void fz_quic_state_reset(struct fz_quic_state *st)
{
	st->version = 0;
	st->dcid_len = 0;
	st->have_keys = false;
	st->initials = 0;
	fz_reasm_reset(&st->crypto);
}

/*
 * Open one Initial: with the flow's keys, else with the keys of the
 * packet's own DCID (which the flow keeps when they work: after a Retry
 * every later Initial uses them). 1 opened, 0 not, -EIO.
 */
static int quic_read_initial(struct fz_quic_state *st, struct quic_crypto *c, const uint8_t *p,
			     const struct quic_hdr *h)
{
	struct fz_quic_keys k;
	bool same;
	int n = -EBADMSG, rc;

	same = st->have_keys && st->version == h->version && st->dcid_len == h->dcid_len &&
	       memcmp(st->dcid, h->dcid, h->dcid_len) == 0;
	if (st->have_keys && st->version == h->version) {
		n = quic_open(c, &st->keys, p, h);
		if (n == -EIO)
			return n;
	}
	if (n < 0 && !same) {
		rc = fz_quic_initial_keys(h->version, h->dcid, h->dcid_len, false, &k);
		if (rc < 0)
			return -EIO;
		n = quic_open(c, &k, p, h);
		if (n == -EIO)
			return n;
		if (n >= 0) {
			st->version = h->version;
			/*
			 * All FZ_QUIC_MAX_CID bytes, past the DCID too: a copy of a
			 * variable length compiles to a slow-starting rep movsq here.
			 * An opened packet runs on past its DCID by more than that
			 * (lengths, packet number, the 16-byte sample, the tag);
			 * only dcid_len bytes are ever compared.
			 */
			memcpy(st->dcid, h->dcid, FZ_QUIC_MAX_CID);
			st->dcid_len = (uint8_t)h->dcid_len;
			st->keys = k;
			st->have_keys = true;
		}
	}
	if (n < 0)
		return 0;
	st->initials++;
	(void)quic_frames(st, c->pt, (size_t)n, h->v->gquic_frames);
	return 1;
}

/*
 * Zero bytes after a packet, then a long header packet of the same version
 * and DCID: a UDP GSO super-packet (segments of one size, the first padded
 * with zeros after its packet). The next packet's offset, or 0.
 */
static size_t quic_next_segment(const uint8_t *p, size_t len, size_t off,
				const struct quic_hdr *last)
{
	size_t o = off;

	while (o < len && p[o] == 0)
		o++;
	if (o == off || len - o < 6 + last->dcid_len)
		return 0;
	if (!(p[o] & 0x80) || quic_be32(p + o + 1) != last->version || p[o + 5] != last->dcid_len ||
	    memcmp(p + o + 6, last->dcid, last->dcid_len) != 0)
		return 0;
	return o;
}

enum fz_dpi_status fz_quic_client_datagram(struct fz_quic_state *st, const uint8_t *p, size_t len,
					   struct fz_tls_hello *hello)
{
	struct quic_crypto *c = NULL;
	struct quic_hdr h, last = {0};
	size_t off = 0, next;
	bool seen = false, have_last = false;
	uint32_t contiguous;
	enum fz_dpi_status s;
	int rc;

	while (off < len) {
		enum quic_walk w = quic_parse_long(p + off, len - off, &h);

		if (w == QUIC_WALK_STOP) {
			if (have_last && (next = quic_next_segment(p, len, off, &last)) != 0) {
				off = next;
				continue;
			}
			break;
		}
		if (w == QUIC_WALK_CUT) {
			/* a cut header of a version we read: an Initial? then it was seen */
			if (h.type == h.v->initial_type)
				seen = true;
			break;
		}
		if (h.type == h.v->initial_type) {
			seen = true;
			if (!c)
				c = quic_crypto_get();
			if (!c)
				break;
			rc = quic_read_initial(st, c, p + off, &h);
			if (rc < 0)
				break;
		}
		/* 0-RTT and Handshake packets are skipped by their Length */
		last = h;
		have_last = true;
		off += h.end;
	}

	if (!seen && st->initials == 0)
		return FZ_DPI_NOT;
	if (st->initials == 0)
		return FZ_DPI_BAD;
	contiguous = fz_reasm_contiguous(&st->crypto);
	if (contiguous == 0)
		return FZ_DPI_MORE;
	s = fz_tls_handshake_parse(st->crypto.data, contiguous, hello);
	switch (s) {
	case FZ_DPI_OK:
		return FZ_DPI_OK;
	case FZ_DPI_MORE:
		/* the whole stream held and still short: it never completes */
		return contiguous >= st->crypto.cap ? FZ_DPI_BAD : FZ_DPI_MORE;
	default:
		return FZ_DPI_BAD;
	}
}

/* ---- building (tests, fuzz targets, benchmarks) ---- */

int fz_quic_build_initial(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			  const uint8_t *scid, size_t scid_len, uint32_t pn, const uint8_t *frames,
			  size_t frames_len, size_t min_len, uint8_t *out, size_t cap)
{
	const struct quic_version *v = quic_version_find(version);
	struct quic_crypto *c;
	struct fz_quic_keys k;
	uint8_t nonce[12], mask[16];
	size_t hdr, lv, pn_off, payload, total, length;
	int n = 0, rc;

	if (!v)
		return -ENOTSUP;
	if (dcid_len > FZ_QUIC_MAX_CID || scid_len > FZ_QUIC_MAX_CID)
		return -EINVAL;
	if (frames_len > (1u << 20))
		return -EMSGSIZE;
	rc = fz_quic_initial_keys(version, dcid, dcid_len, false, &k);
	if (rc < 0)
		return rc;
	c = quic_crypto_get();
	if (!c)
		return -EIO;

	/* first byte, version, DCID, SCID, empty token; then Length, 2-byte pn */
	hdr = 1 + 4 + 1 + dcid_len + 1 + scid_len + 1;
	/* the sample must fit: at least 2 bytes of payload after the 2-byte pn */
	for (lv = 2;; lv = 4) {
		size_t fixed = hdr + lv + 2 + QUIC_TAG_LEN;

		payload = frames_len < 2 ? 2 : frames_len;
		if (fixed + payload < min_len)
			payload = min_len - fixed;
		total = fixed + payload;
		if (lv == 4 || 2 + payload + QUIC_TAG_LEN <= 0x3fff)
			break;
	}
	if (2 + payload + QUIC_TAG_LEN > 0x3fffffff)
		return -EMSGSIZE;
	if (total > cap || total > INT32_MAX)
		return -ENOSPC;

	out[0] = (uint8_t)(0xc0 | v->initial_type << 4 | 0x01); /* pn length 2 */
	out[1] = (uint8_t)(version >> 24);
	out[2] = (uint8_t)(version >> 16);
	out[3] = (uint8_t)(version >> 8);
	out[4] = (uint8_t)version;
	out[5] = (uint8_t)dcid_len;
	if (dcid_len)
		memcpy(out + 6, dcid, dcid_len);
	out[6 + dcid_len] = (uint8_t)scid_len;
	if (scid_len)
		memcpy(out + 7 + dcid_len, scid, scid_len);
	out[hdr - 1] = 0; /* token length */
	length = 2 + payload + QUIC_TAG_LEN;
	quic_put_varint(out + hdr, length, lv);
	pn_off = hdr + lv;
	out[pn_off] = (uint8_t)(pn >> 8);
	out[pn_off + 1] = (uint8_t)pn;
	if (frames_len)
		memcpy(out + pn_off + 2, frames, frames_len);
	memset(out + pn_off + 2 + frames_len, 0, payload - frames_len);

	quic_nonce(&k, pn, nonce);
	if (fz_aesgcm_hw()) {
		hw_rekey(c, NULL, k.key);
		if (!c->hw_gcm_keyed)
			return -EIO;
		fz_aes128_gcm_seal(&c->gcm_ks, nonce, out, pn_off + 2, out + pn_off + 2, payload,
				   out + pn_off + 2, out + pn_off + 2 + payload);
	} else {
		c->gcm_keyed = false; /* the context turns to encryption */
		if (EVP_EncryptInit_ex2(c->gcm_ctx, c->gcm, k.key, nonce, NULL) != 1 ||
		    EVP_EncryptUpdate(c->gcm_ctx, NULL, &n, out, (int)(pn_off + 2)) != 1 ||
		    EVP_EncryptUpdate(c->gcm_ctx, out + pn_off + 2, &n, out + pn_off + 2,
				      (int)payload) != 1 ||
		    EVP_EncryptFinal_ex(c->gcm_ctx, out + pn_off + 2 + n, &n) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c->gcm_ctx, EVP_CTRL_GCM_GET_TAG, QUIC_TAG_LEN,
					out + pn_off + 2 + payload) != 1)
			return -EIO;
	}
	if (quic_hp_mask(c, k.hp, out + pn_off + 4, mask) < 0)
		return -EIO;
	out[0] ^= mask[0] & 0x0f;
	out[pn_off] ^= mask[1];
	out[pn_off + 1] ^= mask[2];
	return (int)total;
}
