/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The answer cache.
 *
 * The cache is split into a power-of-two number of shards by a keyed hash
 * of the key (random per cache, so outsiders choosing names cannot pile
 * them on one chain). Each shard has its own mutex, a chained hash table
 * (the chain link lives in the entry) and an LRU list, and a memory budget
 * of max_bytes / shards that counts each entry's struct, key and reply and
 * the shard's table slots (sized once, one per 256 bytes of budget, so a
 * put never rehashes under the lock). malloc's own overhead is not counted.
 * A put evicts from the cold end of the list until the new entry fits; an
 * entry larger than a shard's budget is not stored. Entries are allocated
 * and freed outside the lock.
 *
 * Recency is kept CLOCK-style: a hit only marks its entry (relinking it
 * would touch two more cache lines on every hit), and a marked entry that
 * reaches the cold end is moved back to the head, unmarked, instead of
 * being evicted (at most SECOND_CHANCES per put, so the work stays
 * bounded). The entry evicted is thus one not used since it was last put
 * at the head: least recently used, to within one trip down the list.
 *
 * The key is the wire qname (lowercased by the caller), qtype, qclass and
 * the DO bit. An entry keeps the reply as received, when it was stored and
 * when it expires; a get copies it out and lets fz_dns_reply_age() set the
 * id and count the TTLs down by the whole seconds it has been stored.
 *
 * Lifetimes: the reply's TTL clamped to [min_ttl, max_ttl], or for a
 * negative answer to [min_ttl, max_negative_ttl]. A TTL of 0 means "do not
 * cache" and is honoured even with min_ttl set; when min_ttl is above a
 * maximum, the maximum wins. A negative answer without any TTL (no SOA:
 * UINT32_MAX) is kept min(300, max_negative_ttl) seconds; a positive one
 * without any TTL has no records to speak of (REFUSED, NOTIMP, ...) and is
 * not stored. The records' own TTLs are not rewritten: a record above
 * max_ttl still shows its TTL (counted down), one below min_ttl stops at 0.
 *
 * Expired entries are dropped when a get finds them (a miss, counted as
 * expired too) or when they reach the cold end of the LRU list during a
 * put (counted as expired).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "fz_cache.h"
#include "fz_dnsmsg.h"

#define CACHE_DEFAULT_BYTES  ((size_t)64 << 20)
#define CACHE_DEFAULT_SHARDS 16
#define CACHE_MAX_SHARDS     1024
#define CACHE_MIN_BUCKETS    16
#define BYTES_PER_BUCKET     256 /* one slot per 256 bytes of budget: chains stay short */
#define KEY_MAX		     (FZ_DNS_WIRE_NAME + 5) /* qname, qtype, qclass, DO */
#define NOTTL_NEGATIVE	     300u
#define SECOND_CHANCES	     16 /* referenced entries moved up per put, at most */
#define EXPIRED_SWEEP	     4	/* expired entries dropped from the cold end per put */

struct lru_node {
	struct lru_node *prev, *next;
};

struct entry {
	struct lru_node lru; /* first: the LRU list, head is the most recently used */
	struct entry *chain; /* next in the hash bucket */
	uint64_t hash;
	uint64_t stored_at_ms, expires_at_ms;
	uint32_t reply_len;
	uint16_t key_len;
	bool negative;
	bool referenced; /* got a hit since it was last placed at the head */
	uint8_t data[];	 /* key, then reply */
};

struct shard {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets;     /* a power of two */
	struct lru_node lru; /* sentinel: lru.next is the hottest, lru.prev the coldest */
	size_t count;
	size_t bytes, budget;
	uint64_t hits, misses, inserts, evictions, expired;
} __attribute__((aligned(64)));

struct fz_cache {
	struct shard *shards;
	unsigned nshards, shard_shift;
	uint32_t min_ttl, max_ttl, max_negative_ttl;
	uint64_t k0, k1;
};

static inline size_t entry_cost(const struct entry *e)
{
	return sizeof(*e) + e->key_len + e->reply_len;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	__uint128_t m = (__uint128_t)a * b;
	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static uint64_t key_hash(const struct fz_cache *c, const uint8_t *key, size_t len)
{
	uint64_t h = c->k0 ^ ((uint64_t)len * 0x9e3779b97f4a7c15ull);
	size_t i = 0;
	for (; i + 16 <= len; i += 16) {
		uint64_t a, b;
		memcpy(&a, key + i, 8);
		memcpy(&b, key + i + 8, 8);
		h = mix(a ^ c->k1 ^ h, b ^ 0xc2b2ae3d27d4eb4full);
	}
	uint8_t tail[16] = {0};
	memcpy(tail, key + i, len - i);
	uint64_t a, b;
	memcpy(&a, tail, 8);
	memcpy(&b, tail + 8, 8);
	h = mix(a ^ c->k1 ^ h, b ^ 0xc2b2ae3d27d4eb4full ^ (uint64_t)(len - i));
	return mix(h ^ c->k0, c->k1 ^ 0xa0761d6478bd642full);
}

static size_t make_key(uint8_t *key, const uint8_t *qname, size_t qname_len, uint16_t qtype,
		       uint16_t qclass, bool do_bit)
{
	memcpy(key, qname, qname_len);
	key[qname_len] = (uint8_t)(qtype >> 8);
	key[qname_len + 1] = (uint8_t)qtype;
	key[qname_len + 2] = (uint8_t)(qclass >> 8);
	key[qname_len + 3] = (uint8_t)qclass;
	key[qname_len + 4] = do_bit;
	return qname_len + 5;
}

static inline struct shard *shard_of(struct fz_cache *c, uint64_t hash)
{
	return &c->shards[c->shard_shift >= 64 ? 0 : hash >> c->shard_shift];
}

static inline size_t bucket_of(const struct shard *s, uint64_t hash)
{
	return (size_t)hash & (s->nbuckets - 1);
}

static inline struct entry *lru_entry(struct lru_node *n)
{
	return (struct entry *)n; /* the node is the entry's first member */
}

static void lru_unlink(struct entry *e)
{
	e->lru.prev->next = e->lru.next;
	e->lru.next->prev = e->lru.prev;
}

static void lru_push_head(struct shard *s, struct entry *e)
{
	e->lru.prev = &s->lru;
	e->lru.next = s->lru.next;
	s->lru.next->prev = &e->lru;
	s->lru.next = &e->lru;
}

/* Find the entry with this key; *ret_link points at the link that holds it. */
static struct entry *shard_find(struct shard *s, uint64_t hash, const uint8_t *key, size_t len,
				struct entry ***ret_link)
{
	struct entry **link = &s->buckets[bucket_of(s, hash)];
	for (struct entry *e = *link; e; link = &e->chain, e = e->chain) {
		if (e->hash == hash && e->key_len == len && memcmp(e->data, key, len) == 0) {
			*ret_link = link;
			return e;
		}
	}
	return NULL;
}

/* Take e out of its shard (table, LRU, accounting); the caller frees it. */
static void shard_unlink(struct shard *s, struct entry *e, struct entry **link)
{
	if (!link) {
		link = &s->buckets[bucket_of(s, e->hash)];
		while (*link != e)
			link = &(*link)->chain;
	}
	*link = e->chain;
	lru_unlink(e);
	s->count--;
	s->bytes -= entry_cost(e);
}

int fz_cache_new(const struct fz_cache_opts *o, struct fz_cache **ret)
{
	struct fz_cache_opts d = {0};
	if (!o)
		o = &d;
	size_t max_bytes = o->max_bytes ? o->max_bytes : CACHE_DEFAULT_BYTES;
	unsigned want = o->shards ? o->shards : CACHE_DEFAULT_SHARDS;
	uint32_t max_ttl = o->max_ttl ? o->max_ttl : 86400;
	uint32_t max_neg = o->max_negative_ttl ? o->max_negative_ttl : 3600;
	if (want > CACHE_MAX_SHARDS)
		return -EINVAL;

	struct fz_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	unsigned n = 1, bits = 0;
	while (n < want) {
		n <<= 1;
		bits++;
	}
	c->nshards = n;
	c->shard_shift = 64 - bits; /* 64 when there is one shard: see shard_of() */
	c->min_ttl = o->min_ttl;
	c->max_ttl = max_ttl;
	c->max_negative_ttl = max_neg;
	uint64_t seed[2];
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)c;
		seed[1] = (uint64_t)ts.tv_sec * 0xc2b2ae3d27d4eb4full ^ (uint64_t)(uintptr_t)&ts;
	}
	c->k0 = seed[0];
	c->k1 = seed[1];

	c->shards = aligned_alloc(64, n * sizeof(struct shard));
	if (!c->shards) {
		free(c);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		struct shard *s = &c->shards[i];
		memset(s, 0, sizeof(*s));
		s->lru.next = s->lru.prev = &s->lru;
		s->budget = max_bytes / n;
		s->nbuckets = CACHE_MIN_BUCKETS;
		while (s->nbuckets * 2 <= s->budget / BYTES_PER_BUCKET)
			s->nbuckets *= 2;
		s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
		s->bytes = s->nbuckets * sizeof(*s->buckets);
		if (!s->buckets || pthread_mutex_init(&s->lock, NULL) != 0) {
			free(s->buckets);
			c->nshards = i;
			fz_cache_free(c);
			return -ENOMEM;
		}
	}
	*ret = c;
	return 0;
}

/* Free a list of entries linked through `chain`. */
static void free_chain(struct entry *e)
{
	while (e) {
		struct entry *next = e->chain;
		free(e);
		e = next;
	}
}

/* Unlink every entry of a shard; returns them as a chain to free. */
static struct entry *shard_take_all(struct shard *s)
{
	struct entry *list = NULL;
	for (struct lru_node *n = s->lru.next; n != &s->lru;) {
		struct entry *e = lru_entry(n);
		n = n->next;
		e->chain = list;
		list = e;
	}
	memset(s->buckets, 0, s->nbuckets * sizeof(*s->buckets));
	s->lru.next = s->lru.prev = &s->lru;
	s->count = 0;
	s->bytes = s->nbuckets * sizeof(*s->buckets);
	return list;
}

void fz_cache_free(struct fz_cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nshards; i++) {
		struct shard *s = &c->shards[i];
		free_chain(shard_take_all(s));
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(c->shards);
	free(c);
}

size_t fz_cache_get(struct fz_cache *c, const uint8_t *qname, size_t qname_len, uint16_t qtype,
		    uint16_t qclass, bool do_bit, uint64_t now_ms, uint16_t id, uint8_t *out,
		    size_t cap)
{
	uint8_t key[KEY_MAX];
	if (!c || qname_len > FZ_DNS_WIRE_NAME)
		return 0;
	size_t klen = make_key(key, qname, qname_len, qtype, qclass, do_bit);
	uint64_t hash = key_hash(c, key, klen);
	struct shard *s = shard_of(c, hash);
	struct entry *dead = NULL, **link;
	size_t len = 0;
	uint64_t stored_at = 0;

	pthread_mutex_lock(&s->lock);
	struct entry *e = shard_find(s, hash, key, klen, &link);
	if (!e) {
		s->misses++;
	} else if (now_ms >= e->expires_at_ms) {
		shard_unlink(s, e, link);
		s->misses++;
		s->expired++;
		dead = e;
	} else if (e->reply_len > cap) {
		s->misses++; /* the caller's buffer is too small: not the entry's fault */
	} else {
		len = e->reply_len;
		memcpy(out, e->data + e->key_len, len);
		stored_at = e->stored_at_ms;
		e->referenced = true; /* moved up when it reaches the cold end */
		s->hits++;
	}
	pthread_mutex_unlock(&s->lock);
	free(dead);

	if (len) {
		uint64_t age = now_ms > stored_at ? (now_ms - stored_at) / 1000 : 0;
		/* never more than the lifetime, which fits 32 bits */
		if (fz_dns_reply_age(out, len, id, age > UINT32_MAX ? UINT32_MAX : (uint32_t)age) <
		    0)
			return 0; /* cannot happen for a reply that parsed when stored */
	}
	return len;
}

/* How long to keep a reply, in seconds; 0: not at all. */
static uint32_t lifetime(const struct fz_cache *c, uint32_t ttl, bool negative)
{
	uint32_t max = negative ? c->max_negative_ttl : c->max_ttl;
	if (ttl == 0)
		return 0;
	if (ttl == UINT32_MAX) {
		if (!negative)
			return 0;
		ttl = NOTTL_NEGATIVE;
	}
	if (ttl < c->min_ttl)
		ttl = c->min_ttl;
	if (ttl > max)
		ttl = max;
	return ttl;
}

void fz_cache_put(struct fz_cache *c, const uint8_t *qname, size_t qname_len, uint16_t qtype,
		  uint16_t qclass, bool do_bit, const uint8_t *reply, size_t len, uint32_t ttl,
		  bool negative, uint64_t now_ms)
{
	if (!c || qname_len > FZ_DNS_WIRE_NAME || len < FZ_DNS_HEADER || len > FZ_DNS_MAX_MSG)
		return;
	uint32_t life = lifetime(c, ttl, negative);
	if (life == 0)
		return;

	uint8_t key[KEY_MAX];
	size_t klen = make_key(key, qname, qname_len, qtype, qclass, do_bit);
	uint64_t hash = key_hash(c, key, klen);
	struct shard *s = shard_of(c, hash);
	size_t cost = sizeof(struct entry) + klen + len;
	/* the table (fixed at creation) comes out of the budget first */
	if (cost > s->budget || s->budget - cost < s->nbuckets * sizeof(struct entry *))
		return;

	struct entry *e = malloc(cost);
	if (!e)
		return;
	e->hash = hash;
	e->stored_at_ms = now_ms;
	e->expires_at_ms = now_ms + (uint64_t)life * 1000;
	e->reply_len = (uint32_t)len;
	e->key_len = (uint16_t)klen;
	e->negative = negative;
	e->referenced = false;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, reply, len);

	struct entry *dead = NULL, **link;
	pthread_mutex_lock(&s->lock);
	struct entry *old = shard_find(s, hash, key, klen, &link);
	if (old) {
		shard_unlink(s, old, link);
		old->chain = dead;
		dead = old;
	}
	/* expired entries at the cold end go first, whatever the room */
	for (int i = 0; i < EXPIRED_SWEEP && s->lru.prev != &s->lru; i++) {
		struct entry *cold = lru_entry(s->lru.prev);
		if (now_ms < cold->expires_at_ms)
			break;
		shard_unlink(s, cold, NULL);
		s->expired++;
		cold->chain = dead;
		dead = cold;
	}
	for (int chances = 0; s->bytes + cost > s->budget && s->lru.prev != &s->lru;) {
		struct entry *cold = lru_entry(s->lru.prev);
		if (cold->referenced && chances++ < SECOND_CHANCES) {
			cold->referenced = false;
			lru_unlink(cold);
			lru_push_head(s, cold);
			continue;
		}
		shard_unlink(s, cold, NULL);
		s->evictions++;
		cold->chain = dead;
		dead = cold;
	}
	if (s->bytes + cost > s->budget) {
		/* the table alone leaves no room (cannot happen after the check above) */
		e->chain = dead;
		dead = e;
	} else {
		size_t b = bucket_of(s, hash);
		e->chain = s->buckets[b];
		s->buckets[b] = e;
		lru_push_head(s, e);
		s->count++;
		s->bytes += cost;
		s->inserts++;
	}
	pthread_mutex_unlock(&s->lock);
	free_chain(dead);
}

void fz_cache_clear(struct fz_cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nshards; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		struct entry *list = shard_take_all(s);
		pthread_mutex_unlock(&s->lock);
		free_chain(list);
	}
}

void fz_cache_stats(struct fz_cache *c, struct fz_cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!c)
		return;
	for (unsigned i = 0; i < c->nshards; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		st->hits += s->hits;
		st->misses += s->misses;
		st->inserts += s->inserts;
		st->evictions += s->evictions;
		st->expired += s->expired;
		st->entries += s->count;
		st->bytes += s->bytes;
		pthread_mutex_unlock(&s->lock);
	}
}
