/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdint.h>

#include "fz_cache.h"
#include "fz_dnsmsg.h"
#include "fz_test.h"

#define T0 1000000000ull /* a fake monotonic clock, in ms */

/* Wire form of a presentation name (test names only: plain labels). */
static size_t wire(const char *name, uint8_t *out)
{
	size_t n = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		out[n++] = (uint8_t)l;
		memcpy(out + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	out[n++] = 0;
	return n;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A reply to `name` A IN: one A record 192.0.2.<tag> with `ttl`, and when
 * pad > 0 a TXT record of pad bytes of text after it (to size the reply).
 * Returns the length; *ttl_off is the offset of the A record's TTL.
 */
static size_t reply(uint8_t *out, const char *name, uint32_t ttl, uint8_t tag, size_t pad,
		    size_t *ttl_off)
{
	size_t n = 12;
	memset(out, 0, 12);
	put16(out, 0x1234);
	put16(out + 2, 0x8180);
	put16(out + 4, 1);
	put16(out + 6, pad ? 2 : 1);
	n += wire(name, out + n);
	put16(out + n, FZ_DNS_TYPE_A);
	put16(out + n + 2, FZ_DNS_CLASS_IN);
	n += 4;
	put16(out + n, 0xc00c);
	put16(out + n + 2, FZ_DNS_TYPE_A);
	put16(out + n + 4, FZ_DNS_CLASS_IN);
	put32(out + n + 6, ttl);
	if (ttl_off)
		*ttl_off = n + 6;
	put16(out + n + 10, 4);
	out[n + 12] = 192;
	out[n + 13] = 0;
	out[n + 14] = 2;
	out[n + 15] = tag;
	n += 16;
	if (pad) {
		put16(out + n, 0xc00c);
		put16(out + n + 2, 16); /* TXT */
		put16(out + n + 4, FZ_DNS_CLASS_IN);
		put32(out + n + 6, ttl);
		size_t rd = 0, left = pad;
		uint8_t *p = out + n + 12;
		while (left) {
			size_t chunk = left > 255 ? 255 : left;
			p[rd++] = (uint8_t)chunk;
			memset(p + rd, 'x', chunk);
			rd += chunk;
			left -= chunk;
		}
		put16(out + n + 10, (unsigned)rd);
		n += 12 + rd;
	}
	return n;
}

/* put/get with a presentation name, A IN, no DO. */
static void put_name(struct fz_cache *c, const char *name, uint32_t ttl, bool neg, uint8_t tag,
		     size_t pad, uint64_t now)
{
	uint8_t q[256], r[8192];
	size_t ql = wire(name, q);
	size_t rl = reply(r, name, ttl, tag, pad, NULL);
	fz_cache_put(c, q, ql, FZ_DNS_TYPE_A, FZ_DNS_CLASS_IN, false, r, rl, ttl, neg, now);
}

/* The tag of the cached answer (its A record's last byte), or -1 on a miss. */
static int get_name(struct fz_cache *c, const char *name, uint64_t now)
{
	uint8_t q[256], out[8192];
	size_t ql = wire(name, q);
	size_t n =
	    fz_cache_get(c, q, ql, FZ_DNS_TYPE_A, FZ_DNS_CLASS_IN, false, now, 7, out, sizeof(out));
	if (!n)
		return -1;
	size_t a_end = 12 + ql + 4 + 16;
	return n >= a_end ? out[a_end - 1] : -2;
}

static struct fz_cache_stats stats(struct fz_cache *c)
{
	struct fz_cache_stats s;
	fz_cache_stats(c, &s);
	return s;
}

static void test_hit_miss_keys(void)
{
	struct fz_cache *c;
	CHECK_INT(fz_cache_new(NULL, &c), 0);
	size_t empty = stats(c).bytes;
	CHECK(empty > 0 && empty < ((size_t)64 << 20) / 16); /* the tables count, modestly */
	uint8_t q[256], r[512], out[512];
	size_t ql = wire("www.example.com", q), ttl_off;
	size_t rl = reply(r, "www.example.com", 300, 1, 0, &ttl_off);

	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0, 1, out, sizeof(out)), 0);
	fz_cache_put(c, q, ql, 1, 1, false, r, rl, 300, false, T0);
	size_t n = fz_cache_get(c, q, ql, 1, 1, false, T0, 0xbeef, out, sizeof(out));
	CHECK_INT(n, rl);
	CHECK_INT(out[0], 0xbe);
	CHECK_INT(out[1], 0xef);
	CHECK(memcmp(out + 2, r + 2, rl - 2) == 0); /* the rest as stored, no time passed */

	/* Every part of the key matters. */
	CHECK_INT(fz_cache_get(c, q, ql, FZ_DNS_TYPE_AAAA, 1, false, T0, 1, out, sizeof(out)), 0);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 3 /* CH */, false, T0, 1, out, sizeof(out)), 0);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, true, T0, 1, out, sizeof(out)), 0);
	uint8_t q2[256];
	size_t ql2 = wire("www.example.co", q2);
	CHECK_INT(fz_cache_get(c, q2, ql2, 1, 1, false, T0, 1, out, sizeof(out)), 0);
	wire("WWW.example.com", q2); /* callers lowercase; the cache compares bytes */
	CHECK_INT(fz_cache_get(c, q2, ql, 1, 1, false, T0, 1, out, sizeof(out)), 0);
	/* each of those keys can hold its own answer */
	uint8_t r2[512];
	size_t rl2 = reply(r2, "www.example.com", 300, 2, 0, NULL);
	fz_cache_put(c, q, ql, 1, 1, true, r2, rl2, 300, false, T0);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, true, T0, 1, out, sizeof(out)), rl2);
	CHECK_INT(out[rl2 - 1], 2);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0, 1, out, sizeof(out)), rl);
	CHECK_INT(out[rl - 1], 1);

	/* A buffer too small is a miss that keeps the entry. */
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0, 1, out, rl - 1), 0);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0, 1, out, rl), rl);

	/* A put of the same key replaces the answer. */
	rl2 = reply(r2, "www.example.com", 300, 3, 0, NULL);
	fz_cache_put(c, q, ql, 1, 1, false, r2, rl2, 300, false, T0 + 5);
	CHECK_INT(get_name(c, "www.example.com", T0 + 5), 3);

	struct fz_cache_stats s = stats(c);
	CHECK_INT(s.entries, 2);
	CHECK_INT(s.inserts, 3);
	CHECK_INT(s.hits, 5);
	CHECK_INT(s.misses, 7);
	CHECK_INT(s.evictions, 0);
	CHECK_INT(s.expired, 0);
	CHECK(s.bytes >= empty + 2 * (ql + 5 + rl));

	/* Not stored: ttl 0, nonsense lengths. */
	fz_cache_put(c, q2, ql2, 1, 1, false, r, rl, 0, false, T0);
	fz_cache_put(c, q2, ql2, 1, 1, false, r, 11, 300, false, T0);
	fz_cache_put(c, q2, 256, 1, 1, false, r, rl, 300, false, T0);
	CHECK_INT(stats(c).inserts, 3);

	/* clear */
	fz_cache_clear(c);
	s = stats(c);
	CHECK_INT(s.entries, 0);
	CHECK_INT(s.bytes, empty); /* only the tables are left */
	CHECK_INT(get_name(c, "www.example.com", T0 + 5), -1);
	put_name(c, "www.example.com", 300, false, 9, 0, T0);
	CHECK_INT(get_name(c, "www.example.com", T0 + 5), 9);
	fz_cache_free(c);
	fz_cache_free(NULL);

	struct fz_cache_opts o = {.shards = 4096};
	CHECK_INT(fz_cache_new(&o, &c), -EINVAL);
}

static void test_ttl(void)
{
	struct fz_cache *c;
	CHECK_INT(fz_cache_new(NULL, &c), 0);
	uint8_t q[256], r[512], out[512];
	size_t ql = wire("ttl.example", q), ttl_off;
	size_t rl = reply(r, "ttl.example", 300, 1, 0, &ttl_off);
	fz_cache_put(c, q, ql, 1, 1, false, r, rl, 300, false, T0);

	/* Counted down by whole seconds; the stored copy is left alone. */
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0 + 100000, 1, out, sizeof(out)), rl);
	CHECK_INT(get32(out + ttl_off), 200);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0 + 100999, 1, out, sizeof(out)), rl);
	CHECK_INT(get32(out + ttl_off), 200);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0 + 150000, 1, out, sizeof(out)), rl);
	CHECK_INT(get32(out + ttl_off), 150);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0 + 299999, 1, out, sizeof(out)), rl);
	CHECK_INT(get32(out + ttl_off), 1);
	/* Expired: dropped, a miss. */
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0 + 300000, 1, out, sizeof(out)), 0);
	struct fz_cache_stats s = stats(c);
	CHECK_INT(s.expired, 1);
	CHECK_INT(s.misses, 1);
	CHECK_INT(s.entries, 0);
	CHECK_INT(s.hits, 4);

	/* A padded reply counts every record down (the TXT too). */
	size_t rl2 = reply(r, "ttl.example", 300, 1, 40, &ttl_off);
	fz_cache_put(c, q, ql, 1, 1, false, r, rl2, 300, false, T0);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0 + 42000, 1, out, sizeof(out)), rl2);
	CHECK_INT(get32(out + ttl_off), 258);
	CHECK_INT(get32(out + ttl_off + 16), 258); /* the TXT record's TTL */

	/* Negative answers: no TTL at all means 300 s (under the default 3600 cap). */
	put_name(c, "neg.example", UINT32_MAX, true, 4, 0, T0);
	CHECK_INT(get_name(c, "neg.example", T0 + 299999), 4);
	CHECK_INT(get_name(c, "neg.example", T0 + 300000), -1);
	/* A positive answer without a TTL is not stored. */
	put_name(c, "pos.example", UINT32_MAX, false, 4, 0, T0);
	CHECK_INT(get_name(c, "pos.example", T0), -1);
	/* The default caps: a day, an hour for negative answers. */
	put_name(c, "long.example", 7 * 86400, false, 5, 0, T0);
	put_name(c, "longneg.example", 7 * 86400, true, 6, 0, T0);
	CHECK_INT(get_name(c, "long.example", T0 + 86399000), 5);
	CHECK_INT(get_name(c, "long.example", T0 + 86400000), -1);
	CHECK_INT(get_name(c, "longneg.example", T0 + 3599000), 6);
	CHECK_INT(get_name(c, "longneg.example", T0 + 3600000), -1);
	fz_cache_free(c);

	/* Clamps. */
	struct fz_cache_opts o = {.min_ttl = 60, .max_ttl = 100, .max_negative_ttl = 30};
	CHECK_INT(fz_cache_new(&o, &c), 0);
	rl = reply(r, "short.example", 5, 1, 0, &ttl_off);
	ql = wire("short.example", q);
	fz_cache_put(c, q, ql, 1, 1, false, r, rl, 5, false, T0);
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0 + 59000, 1, out, sizeof(out)), rl);
	CHECK_INT(get32(out + ttl_off), 0); /* the records' TTLs stop at 0 */
	CHECK_INT(fz_cache_get(c, q, ql, 1, 1, false, T0 + 60000, 1, out, sizeof(out)), 0);
	put_name(c, "big.example", 300, false, 2, 0, T0);
	CHECK_INT(get_name(c, "big.example", T0 + 99000), 2);
	CHECK_INT(get_name(c, "big.example", T0 + 100000), -1);
	put_name(c, "neg.example", 300, true, 3, 0, T0);
	put_name(c, "neg2.example", UINT32_MAX, true, 4, 0, T0);
	put_name(c, "pos.example", 300, false, 5, 0, T0);
	CHECK_INT(get_name(c, "neg.example", T0 + 29000), 3);
	CHECK_INT(get_name(c, "neg2.example", T0 + 29000), 4);
	CHECK_INT(get_name(c, "pos.example", T0 + 30000), 5);
	CHECK_INT(get_name(c, "neg.example", T0 + 30000), -1);
	CHECK_INT(get_name(c, "neg2.example", T0 + 30000), -1);
	/* ttl 0 means "do not cache", even under a min_ttl */
	put_name(c, "zero.example", 0, false, 6, 0, T0);
	put_name(c, "zeroneg.example", 0, true, 6, 0, T0);
	CHECK_INT(get_name(c, "zero.example", T0), -1);
	CHECK_INT(get_name(c, "zeroneg.example", T0), -1);
	fz_cache_free(c);

	/* min_ttl above a maximum: the maximum wins. */
	o = (struct fz_cache_opts){.min_ttl = 600, .max_ttl = 100};
	CHECK_INT(fz_cache_new(&o, &c), 0);
	put_name(c, "x.example", 5, false, 1, 0, T0);
	CHECK_INT(get_name(c, "x.example", T0 + 99000), 1);
	CHECK_INT(get_name(c, "x.example", T0 + 100000), -1);
	fz_cache_free(c);
}

static void test_lru(void)
{
	struct fz_cache *c;
	struct fz_cache_opts o = {.max_bytes = 4096, .shards = 1};
	CHECK_INT(fz_cache_new(&o, &c), 0);
	char name[64];

	/* Learn an entry's cost from the accounting (names of equal length). */
	size_t base = stats(c).bytes;
	CHECK(base > 0 && base < 1024);
	put_name(c, "k00.example", 300, false, 0, 150, T0);
	size_t cost = stats(c).bytes - base;
	CHECK(cost > 150 + 13 + 5);
	size_t fit = (4096 - base) / cost;
	CHECK(fit >= 8 && fit < 16);
	for (size_t i = 1; i < fit; i++) {
		snprintf(name, sizeof(name), "k%02zu.example", i);
		put_name(c, name, 300, false, (uint8_t)i, 150, T0 + i);
	}
	struct fz_cache_stats s = stats(c);
	CHECK_INT(s.entries, fit);
	CHECK_INT(s.evictions, 0);
	CHECK(s.bytes <= 4096);

	/* k00 is the oldest, but a get refreshes it: k01 goes first. */
	CHECK_INT(get_name(c, "k00.example", T0 + 100), 0);
	snprintf(name, sizeof(name), "k%02zu.example", fit);
	put_name(c, name, 300, false, (uint8_t)fit, 150, T0 + 100);
	s = stats(c);
	CHECK_INT(s.evictions, 1);
	CHECK_INT(s.entries, fit);
	CHECK(s.bytes <= 4096);
	CHECK_INT(get_name(c, "k01.example", T0 + 200), -1);
	CHECK_INT(get_name(c, "k00.example", T0 + 200), 0);
	CHECK_INT(get_name(c, "k02.example", T0 + 200), 2);
	CHECK_INT(get_name(c, name, T0 + 200), (int)fit);
	/* Next out: k03 (k02 was just used). */
	put_name(c, "zz1.example", 300, false, 77, 150, T0 + 300);
	CHECK_INT(get_name(c, "k03.example", T0 + 400), -1);
	CHECK_INT(get_name(c, "k02.example", T0 + 400), 2);
	CHECK_INT(get_name(c, "zz1.example", T0 + 400), 77);

	/* Everything recently used: a put still makes room (bounded second chances). */
	for (size_t i = 0; i <= fit; i++) {
		snprintf(name, sizeof(name), "k%02zu.example", i);
		get_name(c, name, T0 + 450);
	}
	get_name(c, "zz1.example", T0 + 450);
	uint64_t ev0 = stats(c).evictions;
	put_name(c, "zz2.example", 300, false, 78, 150, T0 + 460);
	s = stats(c);
	CHECK_INT(s.evictions, ev0 + 1);
	CHECK(s.bytes <= 4096);
	CHECK_INT(get_name(c, "zz2.example", T0 + 470), 78);

	/* A big entry pushes out several. */
	size_t before = stats(c).entries;
	uint64_t ev = stats(c).evictions;
	put_name(c, "big.example", 300, false, 88, 3 * cost, T0 + 500);
	s = stats(c);
	CHECK(s.evictions >= ev + 3);
	CHECK_INT(s.entries, before + 1 - (s.evictions - ev));
	CHECK(s.bytes <= 4096);
	CHECK_INT(get_name(c, "big.example", T0 + 600), 88);

	/* One bigger than the whole shard is refused and evicts nothing. */
	before = stats(c).entries;
	ev = stats(c).evictions;
	put_name(c, "huge.example", 300, false, 99, 4096, T0 + 700);
	s = stats(c);
	CHECK_INT(get_name(c, "huge.example", T0 + 800), -1);
	CHECK_INT(s.entries, before);
	CHECK_INT(s.evictions, ev);
	fz_cache_free(c);

	/* With shards, each gets its part of the bound: a 3000-byte reply fits 16 KiB
	 * but not the 4 KiB of one of 4 shards... */
	o = (struct fz_cache_opts){.max_bytes = 16384, .shards = 4};
	CHECK_INT(fz_cache_new(&o, &c), 0);
	put_name(c, "mid.example", 300, false, 1, 3000, T0);
	CHECK_INT(get_name(c, "mid.example", T0), 1);
	put_name(c, "toobig.example", 300, false, 1, 4100, T0);
	CHECK_INT(get_name(c, "toobig.example", T0), -1);
	/* ... and many entries never exceed the total. */
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		put_name(c, name, 300, false, (uint8_t)i, (size_t)(i % 7) * 30, T0 + (uint64_t)i);
		CHECK(stats(c).bytes <= 16384);
	}
	s = stats(c);
	CHECK(s.evictions > 0);
	CHECK_INT(s.inserts, 501);
	CHECK_INT(s.inserts - s.evictions, s.entries);
	/* the most recent ones are there */
	CHECK_INT(get_name(c, "n499.example", T0 + 1000), (uint8_t)499);
	CHECK_INT(get_name(c, "n0.example", T0 + 1000), -1);
	fz_cache_free(c);

	/* Expired entries at the cold end are dropped before anything live. */
	o = (struct fz_cache_opts){.max_bytes = 4096, .shards = 1};
	CHECK_INT(fz_cache_new(&o, &c), 0);
	put_name(c, "short.example", 10, false, 1, 0, T0);
	put_name(c, "long.example", 300, false, 2, 0, T0);
	put_name(c, "other.example", 300, false, 3, 0, T0 + 20000);
	s = stats(c);
	CHECK_INT(s.entries, 2);
	CHECK_INT(s.expired, 1);
	CHECK_INT(s.evictions, 0);
	fz_cache_free(c);
}

/* Threads share a small cache: every hit must be the answer for its key. */
struct worker {
	struct fz_cache *c;
	unsigned seed;
	int bad, hits;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint8_t q[64], r[1024], out[1024];
	char name[32];
	for (int i = 0; i < 20000; i++) {
		w->seed = w->seed * 1103515245u + 12345u;
		unsigned k = (w->seed >> 8) % 400;
		snprintf(name, sizeof(name), "t%u.example", k);
		size_t ql = wire(name, q);
		uint64_t now = T0 + (uint64_t)i;
		if ((w->seed >> 4) & 1) {
			size_t rl = reply(r, name, 300, (uint8_t)k, k % 5 * 40, NULL);
			fz_cache_put(w->c, q, ql, 1, 1, false, r, rl, 300, false, now);
		} else {
			uint16_t id = (uint16_t)i;
			size_t n =
			    fz_cache_get(w->c, q, ql, 1, 1, false, now, id, out, sizeof(out));
			if (n) {
				w->hits++;
				size_t a_end = 12 + ql + 4 + 16;
				if (n < a_end || out[0] != id >> 8 || out[1] != (id & 0xff) ||
				    memcmp(out + 12, q, ql) != 0 || out[a_end - 1] != (uint8_t)k)
					w->bad++;
			}
		}
	}
	return NULL;
}

static void test_threads(void)
{
	struct fz_cache *c;
	struct fz_cache_opts o = {.max_bytes = 32768, .shards = 4};
	CHECK_INT(fz_cache_new(&o, &c), 0);
	pthread_t th[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.c = c, .seed = (unsigned)i * 7919u + 1};
		CHECK_INT(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	int hits = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(w[i].bad, 0);
		hits += w[i].hits;
	}
	struct fz_cache_stats s = stats(c);
	CHECK_INT(s.hits, hits);
	CHECK(hits > 0);
	CHECK(s.evictions > 0);
	CHECK(s.bytes <= 32768);
	CHECK_INT(s.hits + s.misses, 4 * 20000 - s.inserts); /* a put is never refused here */
	fz_cache_free(c);
}

int main(void)
{
	test_hit_miss_keys();
	test_ttl();
	test_lru();
	test_threads();
	return fz_test_done();
}
