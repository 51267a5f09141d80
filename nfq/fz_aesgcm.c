/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AES-128 and AES-128-GCM with AES-NI and PCLMULQDQ (see fz_aesgcm.h).
 *
 * GHASH works on byte-reversed blocks, so that a GCM block's first bit
 * (the coefficient of x^0, the top bit of byte 0) is the top bit of the
 * register; a carry-less product of two such values is then the field
 * product shifted right by one bit, which the reduction puts back (Gueron
 * and Kounavis, "Intel Carry-Less Multiplication Instruction and its Usage
 * for Computing the GCM Mode", 2014: the shift-and-reduce of its
 * algorithm 5). Up to eight blocks are multiplied by H^8..H^1 and summed
 * before one reduction: the reduction is linear.
 *
 * Only the Initials' sizes matter here (a 16-byte sample; payloads of up
 * to a datagram, 75 blocks): opening decrypts and hashes each group of
 * eight blocks together, so the AES rounds and the multiplications overlap.
 * Where the CPU has VAES and VPCLMULQDQ with AVX-512, opening takes a
 * 512-bit path instead (sixteen blocks a group, four per register; see
 * below): an Initial's 1,140 bytes open in ~225 ns instead of ~500 here.
 */
#include <errno.h>
#include <string.h>

#include "fz_aesgcm.h"

static bool hw_off;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <immintrin.h>

#define FZ_AES_TARGET __attribute__((target("aes,pclmul,ssse3,sse4.1")))
/*
 * The block loops below run a fixed 4, 8 or 10 times: unrolled, their
 * blocks live in registers; left as loops, GCC keeps the block array on
 * the stack and every AES round waits on a store and a reload (measured:
 * 22 cycles a block instead of about 5).
 */
#define FZ_UNROLL _Pragma("GCC unroll 16")

bool fz_aesgcm_hw(void)
{
	static int have = -1;

	if (hw_off)
		return false;
	if (have < 0) {
		__builtin_cpu_init();
		have = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
		       __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1");
	}
	return have;
}

/* ---- AES-128 ---- */

/* One step of the key schedule: the previous round key and the round word in every column. */
FZ_AES_TARGET static inline __m128i key_step(__m128i k, __m128i assist)
{
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, assist);
}

/*
 * The round's word RotWord(SubWord(w3)) ^ rcon in every column, without
 * aeskeygenassist (microcoded on recent Intel cores: 10 of them cost ~50
 * ns, half a QUIC key schedule pair's time): rotate w3 into all four
 * columns with a byte shuffle, then aesenclast with rcon as the round key
 * does SubBytes (its ShiftRows moves nothing when all columns are equal)
 * and adds rcon.
 */
FZ_AES_TARGET static inline __m128i key_assist(__m128i k, int rcon)
{
	const __m128i rot = _mm_set1_epi32(0x0c0f0e0d);

	return _mm_aesenclast_si128(_mm_shuffle_epi8(k, rot), _mm_set1_epi32(rcon));
}

#define KEY_ROUND(i, rcon) rk[i] = key_step(rk[i - 1], key_assist(rk[i - 1], rcon))

FZ_AES_TARGET static void expand(__m128i rk[11], const uint8_t key[16])
{
	rk[0] = _mm_loadu_si128((const __m128i *)key);
	KEY_ROUND(1, 0x01);
	KEY_ROUND(2, 0x02);
	KEY_ROUND(3, 0x04);
	KEY_ROUND(4, 0x08);
	KEY_ROUND(5, 0x10);
	KEY_ROUND(6, 0x20);
	KEY_ROUND(7, 0x40);
	KEY_ROUND(8, 0x80);
	KEY_ROUND(9, 0x1b);
	KEY_ROUND(10, 0x36);
}

FZ_AES_TARGET static inline __m128i aes_block(const __m128i rk[11], __m128i x)
{
	x = _mm_xor_si128(x, rk[0]);
	FZ_UNROLL
	for (int r = 1; r < 10; r++)
		x = _mm_aesenc_si128(x, rk[r]);
	return _mm_aesenclast_si128(x, rk[10]);
}

/* Four blocks at once: the rounds of independent blocks overlap in the pipeline. */
FZ_AES_TARGET static inline void aes_block4(const __m128i rk[11], __m128i x[4])
{
	FZ_UNROLL
	for (int i = 0; i < 4; i++)
		x[i] = _mm_xor_si128(x[i], rk[0]);
	FZ_UNROLL
	for (int r = 1; r < 10; r++) {
		FZ_UNROLL
		for (int i = 0; i < 4; i++)
			x[i] = _mm_aesenc_si128(x[i], rk[r]);
	}
	FZ_UNROLL
	for (int i = 0; i < 4; i++)
		x[i] = _mm_aesenclast_si128(x[i], rk[10]);
}

static inline const __m128i *round_keys(const struct fz_aes128 *k)
{
	return (const __m128i *)(const void *)k->rk;
}

/* ---- GHASH ---- */

FZ_AES_TARGET static inline __m128i bswap128(__m128i x)
{
	return _mm_shuffle_epi8(x,
				_mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* The 256-bit carry-less product a*b as lo (bits 0-127) and hi, added into *lo, *hi. */
FZ_AES_TARGET static inline void clmul_add(__m128i a, __m128i b, __m128i *lo, __m128i *hi)
{
	__m128i l = _mm_clmulepi64_si128(a, b, 0x00);
	__m128i h = _mm_clmulepi64_si128(a, b, 0x11);
	__m128i m =
	    _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));

	*lo = _mm_xor_si128(*lo, _mm_xor_si128(l, _mm_slli_si128(m, 8)));
	*hi = _mm_xor_si128(*hi, _mm_xor_si128(h, _mm_srli_si128(m, 8)));
}

/*
 * hi:lo (a product of two byte-reversed values) to the byte-reversed
 * field element: shift the 256 bits left by one (the reversal's one-bit
 * offset), then reduce modulo x^128 + x^7 + x^2 + x + 1, bit-reflected.
 */
FZ_AES_TARGET static inline __m128i ghash_reduce(__m128i lo, __m128i hi)
{
	__m128i c_lo = _mm_srli_epi32(lo, 31), c_hi = _mm_srli_epi32(hi, 31), t, u;

	lo = _mm_or_si128(_mm_slli_epi32(lo, 1), _mm_slli_si128(c_lo, 4));
	hi = _mm_or_si128(_mm_or_si128(_mm_slli_epi32(hi, 1), _mm_slli_si128(c_hi, 4)),
			  _mm_srli_si128(c_lo, 12));
	/* first phase: lo's words times x^63, x^62, x^57 folded into lo */
	t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
			  _mm_slli_epi32(lo, 25));
	u = _mm_srli_si128(t, 4);
	lo = _mm_xor_si128(lo, _mm_slli_si128(t, 12));
	/* second phase: lo shifted right by 1, 2 and 7, into hi */
	t = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
			  _mm_srli_epi32(lo, 7));
	t = _mm_xor_si128(_mm_xor_si128(t, u), lo);
	return _mm_xor_si128(hi, t);
}

FZ_AES_TARGET static inline __m128i gf_mul(__m128i a, __m128i b)
{
	__m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();

	clmul_add(a, b, &lo, &hi);
	return ghash_reduce(lo, hi);
}

struct ghash {
	__m128i y;	   /* the running hash, byte-reversed */
	const __m128i *hp; /* hp[16 - m] is H^m, byte-reversed (struct fz_aes128) */
	const __m128i *hk; /* hp[i]'s two halves added, for Karatsuba's middle product */
};

/*
 * Karatsuba's three products for a*H^i, added into lo, mid, hi; the middle
 * term is folded into lo and hi once per four blocks (ghash_fold).
 */
FZ_AES_TARGET static inline void clmul3_add(__m128i a, __m128i h, __m128i hk, __m128i *lo,
					    __m128i *mid, __m128i *hi)
{
	__m128i ak = _mm_xor_si128(a, _mm_shuffle_epi32(a, 0x4e));

	*lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(a, h, 0x00));
	*hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(a, h, 0x11));
	*mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(ak, hk, 0x00));
}

FZ_AES_TARGET static inline __m128i ghash_fold(__m128i lo, __m128i mid, __m128i hi)
{
	mid = _mm_xor_si128(mid, _mm_xor_si128(lo, hi));
	lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
	return ghash_reduce(lo, hi);
}

/*
 * The eight ciphertext blocks at p into the hash, times H^8..H^1 (hp[0..7]),
 * with one reduction: the hash is a chain through the reductions, and one
 * link per eight blocks instead of per four halves its length.
 */
FZ_AES_TARGET static inline __m128i ghash8(__m128i y, const __m128i *hp, const __m128i *hk,
					   const uint8_t *p)
{
	__m128i lo = _mm_setzero_si128(), mid = lo, hi = lo;

	FZ_UNROLL
	for (int i = 0; i < 8; i++) {
		__m128i x = bswap128(_mm_loadu_si128((const __m128i *)(p + 16 * i)));

		if (i == 0)
			x = _mm_xor_si128(x, y);
		clmul3_add(x, hp[i], hk[i], &lo, &mid, &hi);
	}
	return ghash_fold(lo, mid, hi);
}

/*
 * Absorb n bytes, the last block zero-padded (AAD and ciphertext are
 * padded apart): eight blocks per reduction, then the rest in one.
 */
FZ_AES_TARGET static void ghash_update(struct ghash *g, const uint8_t *p, size_t n)
{
	const __m128i *hp = g->hp, *hk = g->hk;
	__m128i y = g->y;

	while (n >= 128) {
		y = ghash8(y, hp + 8, hk + 8, p);
		p += 128;
		n -= 128;
	}
	if (n) {
		/* the rest, up to eight blocks (the last zero-padded), times H^c..H^1 */
		__m128i lo = _mm_setzero_si128(), mid = lo, hi = lo;
		size_t c = (n + 15) / 16;

		for (size_t i = 0; i < c; i++) {
			size_t take = n - 16 * i < 16 ? n - 16 * i : 16;
			__m128i x;

			if (take < 16) {
				uint8_t last[16] = {0};

				memcpy(last, p + 16 * i, take);
				x = _mm_loadu_si128((const __m128i *)last);
			} else {
				x = _mm_loadu_si128((const __m128i *)(p + 16 * i));
			}
			x = bswap128(x);
			if (i == 0)
				x = _mm_xor_si128(x, y);
			clmul3_add(x, hp[16 - c + i], hk[16 - c + i], &lo, &mid, &hi);
		}
		y = ghash_fold(lo, mid, hi);
	}
	g->y = y;
}

/* ---- the API ---- */

int fz_aes128_key(struct fz_aes128 *k, const uint8_t key[16])
{
	if (!fz_aesgcm_hw())
		return -ENOTSUP;
	expand((__m128i *)(void *)k->rk, key);
	k->wide = false;
	return 0;
}

/* H^m in a table of powers laid out as struct fz_aes128's hpow */
#define HP(t, m) ((t)[16 - (m)])

FZ_AES_TARGET static void gcm_powers(struct fz_aes128 *k)
{
	__m128i *hp = (__m128i *)(void *)k->hpow;
	__m128i *hk = (__m128i *)(void *)k->hkar;
	__m128i h = bswap128(aes_block(round_keys(k), _mm_setzero_si128()));

	/* H^1..H^8 into hp[15..8]; each level from the one before: a chain of three products, not
	 * seven */
	HP(hp, 1) = h;
	HP(hp, 2) = gf_mul(h, h);
	HP(hp, 3) = gf_mul(HP(hp, 2), h);
	HP(hp, 4) = gf_mul(HP(hp, 2), HP(hp, 2));
	HP(hp, 5) = gf_mul(HP(hp, 4), h);
	HP(hp, 6) = gf_mul(HP(hp, 4), HP(hp, 2));
	HP(hp, 7) = gf_mul(HP(hp, 4), HP(hp, 3));
	HP(hp, 8) = gf_mul(HP(hp, 4), HP(hp, 4));
	FZ_UNROLL
	for (int i = 8; i < 16; i++)
		hk[i] = _mm_xor_si128(hp[i], _mm_shuffle_epi32(hp[i], 0x4e));
}

static void gcm_powers_wide(struct fz_aes128 *k);

int fz_aes128_gcm_key(struct fz_aes128 *k, const uint8_t key[16])
{
	int rc = fz_aes128_key(k, key);

	if (rc == 0) {
		k->wide = fz_aesgcm_wide();
		if (k->wide)
			gcm_powers_wide(k);
		else
			gcm_powers(k);
	}
	return rc;
}

FZ_AES_TARGET void fz_aes128_encrypt(const struct fz_aes128 *k, const uint8_t in[16],
				     uint8_t out[16])
{
	__m128i x = aes_block(round_keys(k), _mm_loadu_si128((const __m128i *)in));

	_mm_storeu_si128((__m128i *)out, x);
}

/* The counter block nonce || n (RFC 5116 / SP 800-38D, 96-bit IV): 1 is the tag's, 2 the payload's
 * first. */
FZ_AES_TARGET static inline __m128i counter_block(const uint8_t nonce[12], uint8_t n)
{
	uint8_t j[16];

	memcpy(j, nonce, 12);
	j[12] = j[13] = j[14] = 0;
	j[15] = n;
	return _mm_loadu_si128((const __m128i *)j);
}

/* The payload's first counter, byte-reversed: the 32-bit counter is then its low word. */
FZ_AES_TARGET static inline __m128i ctr_start(const uint8_t nonce[12])
{
	return bswap128(counter_block(nonce, 2));
}

/*
 * CTR over n bytes from in to out from the byte-reversed counter *ctr
 * (advanced past the blocks used).
 */
FZ_AES_TARGET static void gcm_ctr(const __m128i rk[11], __m128i *ctrp, const uint8_t *in,
				  uint8_t *out, size_t n)
{
	__m128i ctr = *ctrp, one = _mm_set_epi32(0, 0, 0, 1);

	while (n >= 64) {
		__m128i x[4];

		FZ_UNROLL
		for (int i = 0; i < 4; i++) {
			x[i] = bswap128(ctr);
			ctr = _mm_add_epi32(ctr, one);
		}
		aes_block4(rk, x);
		FZ_UNROLL
		for (int i = 0; i < 4; i++)
			_mm_storeu_si128(
			    (__m128i *)(out + 16 * i),
			    _mm_xor_si128(x[i], _mm_loadu_si128((const __m128i *)(in + 16 * i))));
		in += 64;
		out += 64;
		n -= 64;
	}
	while (n) {
		__m128i ks = aes_block(rk, bswap128(ctr));
		size_t take = n < 16 ? n : 16;

		ctr = _mm_add_epi32(ctr, one);
		if (take == 16) {
			_mm_storeu_si128((__m128i *)out,
					 _mm_xor_si128(ks, _mm_loadu_si128((const __m128i *)in)));
		} else {
			uint8_t b[16];

			_mm_storeu_si128((__m128i *)b, ks);
			for (size_t i = 0; i < take; i++)
				out[i] = in[i] ^ b[i];
		}
		in += take;
		out += take;
		n -= take;
	}
	*ctrp = ctr;
}

/*
 * Decrypt and hash the ciphertext in one pass, eight blocks at a time:
 * the AES rounds of eight counters and the carry-less products of the
 * same eight ciphertext blocks are independent, so the AES and the
 * multiplier units work side by side instead of one loop after the other
 * (the hash alone is a chain of dependent reductions; CTR alone keeps too
 * few blocks in flight to hide the AES latency). Each group's ciphertext is
 * hashed before its plaintext is stored: pt may be ct.
 */
FZ_AES_TARGET static void gcm_open_pass(const struct fz_aes128 *k, struct ghash *g, __m128i *ctrp,
					const uint8_t *ct, uint8_t *pt, size_t len)
{
	const __m128i *rk = round_keys(k);
	__m128i ctr = *ctrp, y = g->y, one = _mm_set_epi32(0, 0, 0, 1);

	while (len >= 16 * 8) {
		__m128i x[8];

		FZ_UNROLL
		for (int i = 0; i < 8; i++) {
			x[i] = _mm_xor_si128(bswap128(ctr), rk[0]);
			ctr = _mm_add_epi32(ctr, one);
		}
		y = ghash8(y, g->hp + 8, g->hk + 8, ct);
		FZ_UNROLL
		for (int r = 1; r < 10; r++) {
			FZ_UNROLL
			for (int i = 0; i < 8; i++)
				x[i] = _mm_aesenc_si128(x[i], rk[r]);
		}
		FZ_UNROLL
		for (int i = 0; i < 8; i++)
			_mm_storeu_si128(
			    (__m128i *)(pt + 16 * i),
			    _mm_xor_si128(_mm_aesenclast_si128(x[i], rk[10]),
					  _mm_loadu_si128((const __m128i *)(ct + 16 * i))));
		ct += 16 * 8;
		pt += 16 * 8;
		len -= 16 * 8;
	}
	g->y = y;
	ghash_update(g, ct, len);
	gcm_ctr(rk, &ctr, ct, pt, len);
	*ctrp = ctr;
}

/* The tag from the hash so far: the lengths block, then E(K, nonce || 1). */
FZ_AES_TARGET static void gcm_finish(const struct fz_aes128 *k, struct ghash *g,
				     const uint8_t nonce[12], size_t aad_len, size_t len,
				     uint8_t tag[16])
{
	uint8_t lens[16];
	uint64_t abits = (uint64_t)aad_len * 8, cbits = (uint64_t)len * 8;
	__m128i s;

	for (int i = 0; i < 8; i++) {
		lens[i] = (uint8_t)(abits >> (56 - 8 * i));
		lens[8 + i] = (uint8_t)(cbits >> (56 - 8 * i));
	}
	ghash_update(g, lens, 16);
	s = aes_block(round_keys(k), counter_block(nonce, 1));
	_mm_storeu_si128((__m128i *)tag, _mm_xor_si128(s, bswap128(g->y)));
}

static inline struct ghash ghash_start(const struct fz_aes128 *k)
{
	struct ghash g = {_mm_setzero_si128(), (const __m128i *)(const void *)k->hpow,
			  (const __m128i *)(const void *)k->hkar};

	return g;
}

static __m128i ghash_wide(__m128i y, const struct fz_aes128 *k, const uint8_t *p, size_t n);
static __m128i gcm_open_wide(const struct fz_aes128 *k, __m128i y, const uint8_t nonce[12],
			     const uint8_t *ct, uint8_t *pt, size_t len);

FZ_AES_TARGET int fz_aes128_gcm_open(const struct fz_aes128 *k,
				     const uint8_t nonce[FZ_AESGCM_NONCE], const uint8_t *aad,
				     size_t aad_len, const uint8_t *ct, size_t len,
				     const uint8_t tag[FZ_AESGCM_TAG], uint8_t *pt)
{
	struct ghash g = ghash_start(k);
	__m128i ctr = ctr_start(nonce);
	uint8_t want[16], diff = 0;

	if (k->wide && fz_aesgcm_wide()) {
		g.y = ghash_wide(g.y, k, aad, aad_len);
		g.y = gcm_open_wide(k, g.y, nonce, ct, pt, len);
	} else {
		ghash_update(&g, aad, aad_len);
		gcm_open_pass(k, &g, &ctr, ct, pt, len);
	}
	gcm_finish(k, &g, nonce, aad_len, len, want);
	for (int i = 0; i < 16; i++)
		diff |= want[i] ^ tag[i];
	return diff ? -EBADMSG : 0;
}

FZ_AES_TARGET void fz_aes128_gcm_seal(const struct fz_aes128 *k,
				      const uint8_t nonce[FZ_AESGCM_NONCE], const uint8_t *aad,
				      size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
				      uint8_t tag[FZ_AESGCM_TAG])
{
	struct ghash g = ghash_start(k);
	__m128i ctr = ctr_start(nonce);

	/* sealing is for tests and injected packets, not the hot path: no fused pass */
	gcm_ctr(round_keys(k), &ctr, pt, ct, len);
	ghash_update(&g, aad, aad_len);
	ghash_update(&g, ct, len);
	gcm_finish(k, &g, nonce, aad_len, len, tag);
}

/* ---- 512 bits: VAES and VPCLMULQDQ, four blocks per register ---- */

/*
 * Opening an Initial with the code above takes ~17 cycles a block here
 * (AES-NI's two ports, sixteen registers for eight blocks, eleven round
 * keys and the hash). With 512-bit registers a group is sixteen blocks in
 * four registers: forty AES instructions instead of 160, twelve carry-less
 * products instead of 48, and thirty-two registers hold the round keys and
 * the group. Only opening takes this path (the hot one); sealing, the
 * lengths block and the tag stay on the 128-bit code, which reads the same
 * table of powers (H^1..H^8 are its last eight).
 */
#define FZ_WIDE_TARGET                                                                             \
	__attribute__((target("aes,pclmul,ssse3,sse4.1,avx2,avx512f,avx512bw,avx512vl,vaes,"       \
			      "vpclmulqdq")))

static bool wide_off;

bool fz_aesgcm_wide(void)
{
	static int have = -1;

	if (wide_off || !fz_aesgcm_hw())
		return false;
	if (have < 0) {
		unsigned int a, b, c = 0, d;

		/*
		 * The compiler's AVX-512 checks include the OS saving the 512-bit
		 * state (XGETBV); VAES is read from CPUID leaf 7 (ECX bit 9), as
		 * clang 14 has no name for it.
		 */
		have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq") &&
		       __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 9));
	}
	return have;
}

void fz_aesgcm_wide_set(bool on)
{
	wide_off = !on;
}

FZ_WIDE_TARGET static inline __m512i xor3_512(__m512i a, __m512i b, __m512i c)
{
	return _mm512_ternarylogic_epi64(a, b, c, 0x96);
}

FZ_WIDE_TARGET static inline __m512i bswap512(__m512i x)
{
	const __m512i rev = _mm512_broadcast_i32x4(
	    _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));

	return _mm512_shuffle_epi8(x, rev);
}

/* ghash_reduce in each of the four lanes */
FZ_WIDE_TARGET static inline __m512i reduce512(__m512i lo, __m512i hi)
{
	__m512i c_lo = _mm512_srli_epi32(lo, 31), c_hi = _mm512_srli_epi32(hi, 31), t, u;

	lo = _mm512_or_si512(_mm512_slli_epi32(lo, 1), _mm512_bslli_epi128(c_lo, 4));
	hi = _mm512_ternarylogic_epi64(_mm512_slli_epi32(hi, 1), _mm512_bslli_epi128(c_hi, 4),
				       _mm512_bsrli_epi128(c_lo, 12), 0xfe); /* a | b | c */
	t = xor3_512(_mm512_slli_epi32(lo, 31), _mm512_slli_epi32(lo, 30),
		     _mm512_slli_epi32(lo, 25));
	u = _mm512_bsrli_epi128(t, 4);
	lo = _mm512_xor_si512(lo, _mm512_bslli_epi128(t, 12));
	t = xor3_512(_mm512_srli_epi32(lo, 1), _mm512_srli_epi32(lo, 2), _mm512_srli_epi32(lo, 7));
	return xor3_512(hi, xor3_512(t, u, lo), _mm512_setzero_si512());
}

/* gf_mul in each lane (the powers of H) */
FZ_WIDE_TARGET static inline __m512i gf_mul512(__m512i a, __m512i b)
{
	__m512i m = _mm512_xor_si512(_mm512_clmulepi64_epi128(a, b, 0x10),
				     _mm512_clmulepi64_epi128(a, b, 0x01));
	__m512i lo =
	    _mm512_xor_si512(_mm512_clmulepi64_epi128(a, b, 0x00), _mm512_bslli_epi128(m, 8));
	__m512i hi =
	    _mm512_xor_si512(_mm512_clmulepi64_epi128(a, b, 0x11), _mm512_bsrli_epi128(m, 8));

	return reduce512(lo, hi);
}

/* The four lanes added into one. */
FZ_WIDE_TARGET static inline __m128i lanes_xor(__m512i v)
{
	__m256i a = _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));

	return _mm_xor_si128(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
}

/* Karatsuba's three products of four blocks x (byte-reversed) and their powers, added in. */
FZ_WIDE_TARGET static inline void clmul3_add512(__m512i x, __m512i h, __m512i hk, __m512i *lo,
						__m512i *mid, __m512i *hi)
{
	__m512i xk = _mm512_xor_si512(x, _mm512_shuffle_epi32(x, _MM_PERM_BADC));

	*lo = _mm512_xor_si512(*lo, _mm512_clmulepi64_epi128(x, h, 0x00));
	*hi = _mm512_xor_si512(*hi, _mm512_clmulepi64_epi128(x, h, 0x11));
	*mid = _mm512_xor_si512(*mid, _mm512_clmulepi64_epi128(xk, hk, 0x00));
}

FZ_WIDE_TARGET static inline __m128i fold512(__m512i lo, __m512i mid, __m512i hi)
{
	return ghash_fold(lanes_xor(lo), lanes_xor(mid), lanes_xor(hi));
}

/* The byte mask of the first n (< 64 here, or 64) bytes of a register. */
static inline __mmask64 byte_mask(size_t n)
{
	return n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
}

FZ_WIDE_TARGET static void gcm_powers_wide(struct fz_aes128 *k)
{
	__m512i *hp4 = (__m512i *)(void *)k->hpow, *hk4 = (__m512i *)(void *)k->hkar;
	__m128i h = bswap128(aes_block(round_keys(k), _mm_setzero_si128())), h2, h3, h4;
	__m512i p[4], p4, p8, b4, b8;

	h2 = gf_mul(h, h);
	h3 = gf_mul(h2, h);
	h4 = gf_mul(h2, h2);
	/* H^4..H^1 in lanes 0..3 (hpow[12..15]), then each next four from it: three levels */
	p4 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(h3, h4)),
				_mm256_set_m128i(h, h2), 1);
	b4 = _mm512_broadcast_i32x4(h4);
	p8 = gf_mul512(p4, b4); /* H^8..H^5 */
	b8 = _mm512_broadcast_i32x4(_mm512_castsi512_si128(p8));
	p[3] = p4;
	p[2] = p8;
	p[1] = gf_mul512(p4, b8); /* H^12..H^9 */
	p[0] = gf_mul512(p8, b8); /* H^16..H^13 */
	/* unaligned stores: the struct is 16-byte aligned (callers' allocations are) */
	FZ_UNROLL
	for (int i = 0; i < 4; i++) {
		_mm512_storeu_si512(hp4 + i, p[i]);
		_mm512_storeu_si512(
		    hk4 + i, _mm512_xor_si512(p[i], _mm512_shuffle_epi32(p[i], _MM_PERM_BADC)));
	}
}

/*
 * Into the hash: the last n bytes of a message (n < 256, the last block
 * zero-padded), c blocks times H^c..H^1, one reduction. Loads are masked
 * to the message's bytes and the table's entries: nothing past either is
 * read.
 */
FZ_WIDE_TARGET static inline __m128i ghash_tail512(__m128i y, const struct fz_aes128 *k,
						   const uint8_t *p, size_t n)
{
	const __m128i *hp = (const __m128i *)(const void *)k->hpow;
	const __m128i *hk = (const __m128i *)(const void *)k->hkar;
	__m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;
	size_t c = (n + 15) / 16;

	for (size_t q = 0; 64 * q < n; q++) {
		size_t left = n - 64 * q, blocks = c - 4 * q < 4 ? c - 4 * q : 4;
		__mmask8 lanes = (__mmask8)((1u << (2 * blocks)) - 1);
		__m512i x = bswap512(_mm512_maskz_loadu_epi8(byte_mask(left), p + 64 * q));

		if (q == 0)
			x = _mm512_xor_si512(x, _mm512_zextsi128_si512(y));
		clmul3_add512(x, _mm512_maskz_loadu_epi64(lanes, hp + 16 - c + 4 * q),
			      _mm512_maskz_loadu_epi64(lanes, hk + 16 - c + 4 * q), &lo, &mid, &hi);
	}
	return fold512(lo, mid, hi);
}

/* The hash of n bytes (the AAD): sixteen blocks per reduction, then the rest. */
FZ_WIDE_TARGET static __m128i ghash_wide(__m128i y, const struct fz_aes128 *k, const uint8_t *p,
					 size_t n)
{
	const __m512i *hp4 = (const __m512i *)(const void *)k->hpow;
	const __m512i *hk4 = (const __m512i *)(const void *)k->hkar;

	while (n >= 256) {
		__m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;

		FZ_UNROLL
		for (int j = 0; j < 4; j++) {
			__m512i x = bswap512(_mm512_loadu_si512(p + 64 * j));

			if (j == 0)
				x = _mm512_xor_si512(x, _mm512_zextsi128_si512(y));
			clmul3_add512(x, _mm512_loadu_si512(hp4 + j), _mm512_loadu_si512(hk4 + j),
				      &lo, &mid, &hi);
		}
		y = fold512(lo, mid, hi);
		p += 256;
		n -= 256;
	}
	return n ? ghash_tail512(y, k, p, n) : y;
}

/*
 * Decrypt and hash in one pass, sixteen blocks a group (see gcm_open_pass),
 * then the last (up to fifteen blocks and a part) in masked pieces of four.
 * The counters are byte-reversed, so each lane's 32-bit counter is its low
 * word and wraps as GCM's inc32 does.
 */
FZ_WIDE_TARGET static __m128i gcm_open_wide(const struct fz_aes128 *k, __m128i y,
					    const uint8_t nonce[12], const uint8_t *ct, uint8_t *pt,
					    size_t len)
{
	const __m128i *rk = round_keys(k);
	const __m512i *hp4 = (const __m512i *)(const void *)k->hpow;
	const __m512i *hk4 = (const __m512i *)(const void *)k->hkar;
	const __m512i four = _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4);
	__m512i rkz[11], ctr;

	FZ_UNROLL
	for (int r = 0; r < 11; r++)
		rkz[r] = _mm512_broadcast_i32x4(rk[r]);
	ctr = _mm512_add_epi32(_mm512_broadcast_i32x4(ctr_start(nonce)),
			       _mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0));

	while (len >= 256) {
		__m512i x[4], lo = _mm512_setzero_si512(), mid = lo, hi = lo;

		FZ_UNROLL
		for (int j = 0; j < 4; j++) {
			x[j] = _mm512_xor_si512(bswap512(ctr), rkz[0]);
			ctr = _mm512_add_epi32(ctr, four);
		}
		FZ_UNROLL
		for (int j = 0; j < 4; j++) {
			__m512i c = bswap512(_mm512_loadu_si512(ct + 64 * j));

			if (j == 0)
				c = _mm512_xor_si512(c, _mm512_zextsi128_si512(y));
			clmul3_add512(c, _mm512_loadu_si512(hp4 + j), _mm512_loadu_si512(hk4 + j),
				      &lo, &mid, &hi);
		}
		FZ_UNROLL
		for (int r = 1; r < 10; r++) {
			FZ_UNROLL
			for (int j = 0; j < 4; j++)
				x[j] = _mm512_aesenc_epi128(x[j], rkz[r]);
		}
		FZ_UNROLL
		for (int j = 0; j < 4; j++)
			_mm512_storeu_si512(
			    pt + 64 * j, _mm512_xor_si512(_mm512_aesenclast_epi128(x[j], rkz[10]),
							  _mm512_loadu_si512(ct + 64 * j)));
		y = fold512(lo, mid, hi);
		ct += 256;
		pt += 256;
		len -= 256;
	}
	if (len) {
		/* the hash first: ct's bytes are read before pt (which may be ct) is written */
		y = ghash_tail512(y, k, ct, len);
		for (size_t q = 0; 64 * q < len; q++) {
			__mmask64 m = byte_mask(len - 64 * q);
			__m512i x = _mm512_xor_si512(bswap512(ctr), rkz[0]);

			ctr = _mm512_add_epi32(ctr, four);
			FZ_UNROLL
			for (int r = 1; r < 10; r++)
				x = _mm512_aesenc_epi128(x, rkz[r]);
			x = _mm512_xor_si512(_mm512_aesenclast_epi128(x, rkz[10]),
					     _mm512_maskz_loadu_epi8(m, ct + 64 * q));
			_mm512_mask_storeu_epi8(pt + 64 * q, m, x);
		}
	}
	return y;
}

#else /* no AES-NI code for this architecture or compiler: libcrypto does it all */

bool fz_aesgcm_hw(void)
{
	(void)hw_off;
	return false;
}

int fz_aes128_key(struct fz_aes128 *k, const uint8_t key[16])
{
	(void)k;
	(void)key;
	return -ENOTSUP;
}

int fz_aes128_gcm_key(struct fz_aes128 *k, const uint8_t key[16])
{
	return fz_aes128_key(k, key);
}

void fz_aes128_encrypt(const struct fz_aes128 *k, const uint8_t in[16], uint8_t out[16])
{
	(void)k;
	(void)in;
	memset(out, 0, 16);
}

int fz_aes128_gcm_open(const struct fz_aes128 *k, const uint8_t nonce[FZ_AESGCM_NONCE],
		       const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
		       const uint8_t tag[FZ_AESGCM_TAG], uint8_t *pt)
{
	(void)k, (void)nonce, (void)aad, (void)aad_len, (void)ct, (void)len, (void)tag, (void)pt;
	return -ENOTSUP;
}

void fz_aes128_gcm_seal(const struct fz_aes128 *k, const uint8_t nonce[FZ_AESGCM_NONCE],
			const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
			uint8_t *ct, uint8_t tag[FZ_AESGCM_TAG])
{
	(void)k, (void)nonce, (void)aad, (void)aad_len, (void)pt, (void)ct;
	memset(tag, 0, FZ_AESGCM_TAG);
	(void)len;
}

#endif

void fz_aesgcm_hw_off(void)
{
	hw_off = true;
}

#if !(defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)))
bool fz_aesgcm_wide(void)
{
	return false;
}

void fz_aesgcm_wide_set(bool on)
{
	(void)on;
}
#endif
