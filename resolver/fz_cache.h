/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The answer cache: whole upstream replies keyed by (qname, qtype, qclass,
 * DO), each kept for its TTL (clamped to [min_ttl, max_ttl]; negative
 * answers per RFC 2308), within a memory bound, evicting the least recently
 * used. Sharded by key hash so workers rarely meet on a lock. Policy is
 * applied before the cache is asked, so a list change never waits for a
 * TTL.
 */
#ifndef FZ_CACHE_H
#define FZ_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fz_cache;

struct fz_cache_opts {
	size_t max_bytes;	   /* 0: 64 MiB. Entries, keys and bookkeeping all count. */
	unsigned shards;	   /* 0: 16 */
	uint32_t min_ttl;	   /* seconds; 0 */
	uint32_t max_ttl;	   /* seconds; 0: 86400 */
	uint32_t max_negative_ttl; /* 0: 3600 */
};

struct fz_cache_stats {
	uint64_t hits, misses, inserts, evictions, expired;
	uint64_t entries, bytes;
};

int fz_cache_new(const struct fz_cache_opts *o, struct fz_cache **ret);
void fz_cache_free(struct fz_cache *c);

/*
 * Look up; on a hit copy the stored reply into out (cap bytes), with the id
 * set to `id` and every TTL reduced by the time it has been stored, and
 * return its length. 0 on a miss (or an expired entry, which is dropped).
 * `qname` is the lowercased wire name. `now_ms` is a monotonic clock.
 */
size_t fz_cache_get(struct fz_cache *c, const uint8_t *qname, size_t qname_len, uint16_t qtype,
		    uint16_t qclass, bool do_bit, uint64_t now_ms, uint16_t id, uint8_t *out,
		    size_t cap);

/*
 * Store a reply (`ttl` from fz_dns_reply_parse; negative answers flagged).
 * Replies that do not fit the bound at all are not stored.
 */
void fz_cache_put(struct fz_cache *c, const uint8_t *qname, size_t qname_len, uint16_t qtype,
		  uint16_t qclass, bool do_bit, const uint8_t *reply, size_t len, uint32_t ttl,
		  bool negative, uint64_t now_ms);

/* Drop everything (SIGHUP, tests). */
void fz_cache_clear(struct fz_cache *c);
void fz_cache_stats(struct fz_cache *c, struct fz_cache_stats *s);

#endif
