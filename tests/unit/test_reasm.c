/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfq/fz_reasm.c: stream reassembly from out-of-order, repeated, overlapping pieces. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fz_reasm.h"
#include "fz_test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	/* xorshift64*: a fixed seed so a failure repeats */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* The ranges are sorted, disjoint, not touching, inside [0, cap), and within alloc. */
static int ranges_ok(const struct fz_reasm *r)
{
	if (r->n_ranges > FZ_REASM_MAX_RANGES)
		return 0;
	for (uint32_t i = 0; i < r->n_ranges; i++) {
		if (r->ranges[i].start >= r->ranges[i].end || r->ranges[i].end > r->cap ||
		    r->ranges[i].end > r->alloc)
			return 0;
		if (i && r->ranges[i].start <= r->ranges[i - 1].end)
			return 0;
	}
	return 1;
}

static void test_empty(void)
{
	struct fz_reasm r;

	fz_reasm_init(&r, 100);
	CHECK(r.data == NULL);
	CHECK_INT(fz_reasm_contiguous(&r), 0);
	CHECK_INT(fz_reasm_bytes(&r), 0);
	CHECK_INT(fz_reasm_add(&r, 0, (const uint8_t *)"x", 0), 0);
	CHECK(r.data == NULL);
	CHECK_INT(fz_reasm_add(&r, 100, (const uint8_t *)"x", 1), 0); /* at cap: dropped */
	CHECK_INT(fz_reasm_add(&r, UINT64_MAX, (const uint8_t *)"x", 1), 0);
	CHECK(r.data == NULL);
	CHECK_INT(r.n_ranges, 0);
	fz_reasm_free(&r);
	fz_reasm_free(&r); /* twice is fine */
}

static void test_in_order(void)
{
	struct fz_reasm r;

	fz_reasm_init(&r, 16384);
	CHECK_INT(fz_reasm_add(&r, 0, (const uint8_t *)"hello ", 6), 6);
	CHECK_INT(fz_reasm_contiguous(&r), 6);
	CHECK_INT(fz_reasm_bytes(&r), 2048);
	CHECK_INT(fz_reasm_add(&r, 6, (const uint8_t *)"world", 5), 5);
	CHECK_INT(fz_reasm_contiguous(&r), 11);
	CHECK_INT(r.n_ranges, 1);
	CHECK_MEM_STR((const char *)r.data, 11, "hello world");
	/* a pure repeat adds nothing */
	CHECK_INT(fz_reasm_add(&r, 0, (const uint8_t *)"hello world", 11), 0);
	CHECK_INT(fz_reasm_add(&r, 3, (const uint8_t *)"lo", 2), 0);
	CHECK_INT(r.n_ranges, 1);
	fz_reasm_free(&r);
	CHECK(r.data == NULL);
}

static void test_overlap_first_wins(void)
{
	struct fz_reasm r;

	fz_reasm_init(&r, 1000);
	CHECK_INT(fz_reasm_add(&r, 4, (const uint8_t *)"BBBB", 4), 4); /* [4,8) */
	CHECK_INT(fz_reasm_contiguous(&r), 0);
	CHECK_INT(fz_reasm_add(&r, 12, (const uint8_t *)"DD", 2), 2); /* [12,14) */
	CHECK_INT(r.n_ranges, 2);
	/* covers both and the gaps: only 0-4, 8-12 and 14-16 are new */
	CHECK_INT(fz_reasm_add(&r, 0, (const uint8_t *)"xxxxyyyyzzzzwwvv", 16), 10);
	CHECK_INT(r.n_ranges, 1);
	CHECK_INT(fz_reasm_contiguous(&r), 16);
	CHECK_MEM_STR((const char *)r.data, 16, "xxxxBBBBzzzzDDvv");
	/* a retransmission with other bytes cannot rewrite */
	CHECK_INT(fz_reasm_add(&r, 2, (const uint8_t *)"QQQQQQQQ", 8), 0);
	CHECK_MEM_STR((const char *)r.data, 16, "xxxxBBBBzzzzDDvv");
	/* overlapping the end: only the tail is new */
	CHECK_INT(fz_reasm_add(&r, 14, (const uint8_t *)"QQQQ", 4), 2);
	CHECK_MEM_STR((const char *)r.data, 18, "xxxxBBBBzzzzDDvvQQ");
	fz_reasm_free(&r);
}

static void test_touching_merge(void)
{
	struct fz_reasm r;

	fz_reasm_init(&r, 1000);
	CHECK_INT(fz_reasm_add(&r, 10, (const uint8_t *)"cc", 2), 2);
	CHECK_INT(fz_reasm_add(&r, 5, (const uint8_t *)"aa", 2), 2);
	CHECK_INT(r.n_ranges, 2);
	/* [7,10) touches both neighbours: one range [5,12) */
	CHECK_INT(fz_reasm_add(&r, 7, (const uint8_t *)"bbb", 3), 3);
	CHECK_INT(r.n_ranges, 1);
	CHECK_INT(r.ranges[0].start, 5);
	CHECK_INT(r.ranges[0].end, 12);
	/* [12,13) touches the end */
	CHECK_INT(fz_reasm_add(&r, 12, (const uint8_t *)"d", 1), 1);
	CHECK_INT(r.n_ranges, 1);
	CHECK_INT(r.ranges[0].end, 13);
	CHECK_INT(fz_reasm_add(&r, 0, (const uint8_t *)"01234", 5), 5);
	CHECK_INT(fz_reasm_contiguous(&r), 13);
	CHECK_MEM_STR((const char *)r.data, 13, "01234aabbbccd");
	CHECK(ranges_ok(&r));
	fz_reasm_free(&r);
}

static void test_clip(void)
{
	struct fz_reasm r;
	uint8_t big[300];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	fz_reasm_init(&r, 100);
	/* a piece crossing the cap keeps only what lies below it */
	CHECK_INT(fz_reasm_add(&r, 90, big, 50), 10);
	CHECK_INT(r.ranges[0].end, 100);
	CHECK(fz_reasm_bytes(&r) <= 100); /* never allocates past cap */
	CHECK_INT(fz_reasm_add(&r, 0, big, sizeof(big)), 90);
	CHECK_INT(fz_reasm_contiguous(&r), 100);
	CHECK_INT(fz_reasm_bytes(&r), 100);
	CHECK(memcmp(r.data, big, 90) == 0);
	CHECK(memcmp(r.data + 90, big, 10) == 0); /* first arrival */
	CHECK_INT(fz_reasm_add(&r, 100, big, 5), 0);
	CHECK_INT(fz_reasm_add(&r, 99, big, 5), 0);
	fz_reasm_free(&r);

	/* cap 0: nothing is ever held */
	fz_reasm_init(&r, 0);
	CHECK_INT(fz_reasm_add(&r, 0, big, 10), 0);
	CHECK(r.data == NULL);
	fz_reasm_free(&r);

	/* a huge length does not overflow the end */
	fz_reasm_init(&r, 16);
	CHECK_INT(fz_reasm_add(&r, 8, big, SIZE_MAX - 4), 8);
	CHECK_INT(r.ranges[0].start, 8);
	CHECK_INT(r.ranges[0].end, 16);
	fz_reasm_free(&r);
}

static void test_growth(void)
{
	struct fz_reasm r;
	static uint8_t buf[70000];

	memset(buf, 'a', sizeof(buf));
	fz_reasm_init(&r, 1u << 20);
	CHECK_INT(fz_reasm_add(&r, 0, buf, 10), 10);
	CHECK_INT(fz_reasm_bytes(&r), 2048);
	CHECK_INT(fz_reasm_add(&r, 2048, buf, 1), 1); /* needs 2049: doubles */
	CHECK_INT(fz_reasm_bytes(&r), 4096);
	CHECK_INT(fz_reasm_add(&r, 10000, buf, 1), 1);
	CHECK_INT(fz_reasm_bytes(&r), 16384);
	CHECK_INT(fz_reasm_add(&r, 0, buf, sizeof(buf)), 70000 - 12);
	CHECK_INT(fz_reasm_bytes(&r), 131072);
	CHECK_INT(fz_reasm_contiguous(&r), 70000);
	fz_reasm_free(&r);

	/* a first piece far out allocates the needed size rounded up, at most cap */
	fz_reasm_init(&r, 5000);
	CHECK_INT(fz_reasm_add(&r, 4500, buf, 10), 10);
	CHECK_INT(fz_reasm_bytes(&r), 5000);
	fz_reasm_free(&r);
	fz_reasm_init(&r, 100000);
	CHECK_INT(fz_reasm_add(&r, 9000, buf, 10), 10);
	CHECK_INT(fz_reasm_bytes(&r), 16384);
	fz_reasm_free(&r);
}

static void test_hole_limit(void)
{
	struct fz_reasm r;
	uint8_t b[4] = {1, 2, 3, 4};

	fz_reasm_init(&r, 10000);
	/* 16 disjoint pieces: 1 byte at 10, 20, ... 160 */
	for (uint32_t i = 1; i <= FZ_REASM_MAX_RANGES; i++)
		CHECK_INT(fz_reasm_add(&r, i * 10, b, 1), 1);
	CHECK_INT(r.n_ranges, FZ_REASM_MAX_RANGES);
	/* a 17th disjoint piece is refused, the stream unchanged */
	struct fz_reasm before = r;
	CHECK_INT(fz_reasm_add(&r, 500, b, 2), -ENOSPC);
	CHECK_INT(fz_reasm_add(&r, 0, b, 2), -ENOSPC);
	CHECK(memcmp(&before, &r, sizeof(r)) == 0);
	/* a piece that touches a held range still goes in */
	CHECK_INT(fz_reasm_add(&r, 161, b, 2), 2);
	CHECK_INT(r.n_ranges, FZ_REASM_MAX_RANGES);
	/* one bridging two ranges frees a slot */
	CHECK_INT(fz_reasm_add(&r, 11, b, 4), 4);
	CHECK_INT(fz_reasm_add(&r, 15, b, 4), 4); /* [10,19): 20 not touched yet */
	CHECK_INT(r.n_ranges, FZ_REASM_MAX_RANGES);
	CHECK_INT(fz_reasm_add(&r, 19, b, 1), 1); /* [10,21) */
	CHECK_INT(r.n_ranges, FZ_REASM_MAX_RANGES - 1);
	CHECK_INT(fz_reasm_add(&r, 500, b, 2), 2);
	CHECK_INT(r.n_ranges, FZ_REASM_MAX_RANGES);
	CHECK(ranges_ok(&r));
	fz_reasm_free(&r);
}

/* Pieces of a buffer in random order, sizes and overlaps reproduce it exactly. */
static void test_random_order(void)
{
	enum { LEN = 6000, MAXP = 64 };
	static uint8_t src[LEN];
	int bad = 0, full = 0, nospc = 0;

	for (int trial = 0; trial < 400; trial++) {
		struct fz_reasm r;
		uint32_t cap = trial % 4 == 0 ? 4000 : 8192;
		uint32_t starts[MAXP], lens[MAXP], np = 0, pos = 0;
		uint32_t want = cap < LEN ? cap : LEN;
		long total = 0;

		for (size_t i = 0; i < LEN; i++)
			src[i] = (uint8_t)rnd();
		/* cut into pieces, then add overlapping extras */
		while (pos < LEN && np < MAXP / 2) {
			uint32_t l = 1 + rnd() % (trial % 3 == 0 ? 40 : 600);

			if (np == MAXP / 2 - 1 || pos + l > LEN)
				l = LEN - pos;
			starts[np] = pos;
			lens[np++] = l;
			pos += l;
		}
		while (np < MAXP) {
			uint32_t s = rnd() % LEN, l = 1 + rnd() % 300;

			if (s + l > LEN)
				l = LEN - s;
			starts[np] = s;
			lens[np++] = l;
		}
		/* shuffle */
		for (uint32_t i = np - 1; i > 0; i--) {
			uint32_t j = rnd() % (i + 1), t;

			t = starts[i], starts[i] = starts[j], starts[j] = t;
			t = lens[i], lens[i] = lens[j], lens[j] = t;
		}
		fz_reasm_init(&r, cap);
		/* retry refused pieces once the holes have filled in */
		for (int round = 0; round < 64; round++) {
			int refused = 0;

			for (uint32_t i = 0; i < np; i++) {
				int rc;

				if (!lens[i])
					continue;
				rc = fz_reasm_add(&r, starts[i], src + starts[i], lens[i]);
				if (rc == -ENOSPC) {
					refused++;
					nospc++;
					continue;
				}
				if (rc < 0) {
					bad++;
					continue;
				}
				total += rc;
				lens[i] = 0;
				if (!ranges_ok(&r))
					bad++;
			}
			if (!refused)
				break;
		}
		if (fz_reasm_contiguous(&r) == want && r.n_ranges == 1 && total == want &&
		    memcmp(r.data, src, want) == 0)
			full++;
		else
			bad++;
		fz_reasm_free(&r);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(full, 400);
	(void)nospc;
}

/* Against a model: every byte of the buffer is the first one offered at its offset. */
static void test_model(void)
{
	enum { CAP = 3000 };
	static uint8_t model[CAP], held[CAP], piece[500];
	int bad = 0;

	for (int trial = 0; trial < 300; trial++) {
		struct fz_reasm r;

		memset(held, 0, sizeof(held));
		fz_reasm_init(&r, CAP);
		for (int op = 0; op < 60; op++) {
			uint32_t off = rnd() % (CAP + 200), len = rnd() % 200;
			int expect = 0, rc;
			struct fz_reasm before;

			for (uint32_t i = 0; i < len; i++)
				piece[i] = (uint8_t)rnd();
			for (uint32_t i = 0; i < len && off + i < CAP; i++)
				expect += !held[off + i];
			before = r;
			rc = fz_reasm_add(&r, off, piece, len);
			if (rc == -ENOSPC) {
				if (r.n_ranges != FZ_REASM_MAX_RANGES ||
				    memcmp(&before, &r, sizeof(r)) != 0)
					bad++;
				continue;
			}
			if (rc != expect) {
				bad++;
				continue;
			}
			for (uint32_t i = 0; i < len && off + i < CAP; i++)
				if (!held[off + i]) {
					held[off + i] = 1;
					model[off + i] = piece[i];
				}
			if (!ranges_ok(&r))
				bad++;
		}
		/* held bytes and ranges agree with the model */
		{
			uint32_t k = 0, c = 0;

			for (uint32_t i = 0; i < CAP; i++) {
				int in =
				    k < r.n_ranges && i >= r.ranges[k].start && i < r.ranges[k].end;

				if (in != held[i])
					bad++;
				if (in && r.data[i] != model[i])
					bad++;
				if (k < r.n_ranges && i + 1 == r.ranges[k].end)
					k++;
			}
			while (c < CAP && held[c])
				c++;
			if (fz_reasm_contiguous(&r) != c)
				bad++;
		}
		fz_reasm_free(&r);
	}
	CHECK_INT(bad, 0);
}

int main(void)
{
	test_empty();
	test_in_order();
	test_overlap_first_wins();
	test_touching_merge();
	test_clip();
	test_growth();
	test_hole_limit();
	test_random_order();
	test_model();
	return fz_test_done();
}
