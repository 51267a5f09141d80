/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The compiled blocklist, reader side: one immutable file per generation,
 * mapped read-only and shared by every process on the machine. Lookups are
 * lock-free; a newly published generation is swapped in by one atomic
 * pointer and the old mapping is unmapped only after every registered reader
 * has left the read section that could still hold it.
 */
#ifndef FZ_BLOCKLIST_H
#define FZ_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_rule.h"

struct fz_blocklist; /* a path being followed, and its current mapping */
struct fz_blmap;     /* one validated mapping of one generation */
struct fz_bl_reader; /* a registered reader thread */

enum fz_verdict {
	FZ_VERDICT_NONE = 0,
	FZ_VERDICT_BLOCK = 1,
	FZ_VERDICT_ALLOW = 2,
};

#define FZ_BL_MAX_FEEDS_REPORTED 8

/* What a lookup found. Strings point into the mapping: valid within the read section. */
struct fz_match_info {
	enum fz_verdict verdict;
	enum fz_rule_kind kind;
	enum fz_match match;   /* NAME rules */
	enum fz_policy policy; /* NAME rules */
	enum fz_category category;
	const char *rule; /* the rule as listed: "evil.example", "*.evil.example",
			     "evil.example/path", "192.0.2.0/24" */
	size_t rule_len;
	unsigned n_feeds; /* feeds that list the rule (all of them, even past the array) */
	uint16_t feeds[FZ_BL_MAX_FEEDS_REPORTED];
	unsigned n_local;     /* FZ_POLICY_LOCAL: sinkhole addresses */
	const uint8_t *local; /* n_local x 17 bytes: family (4 or 6), then 16 address bytes */
};

struct fz_bl_feed_info {
	const char *name;
	const char *source;
	enum fz_category category;
	uint64_t entries;
	bool local; /* the local allow or block list */
};

struct fz_bl_info {
	uint16_t version_major, version_minor;
	uint64_t generation;
	uint64_t created; /* unix seconds */
	uint64_t file_size;
	uint64_t n_names, n_allow_names, n_urls, n_url_hosts, n_ip4, n_ip6, n_feeds;
	uint64_t index_bytes; /* name key slots */
	uint64_t buckets;     /* name key buckets of 8 slots */
};

/* --- open, follow, close ------------------------------------------------ */

/*
 * Open and validate `path` (magic, version, size, bounds, checksums).
 * Returns 0 and the handle, or a negative errno: -EBADMSG for a corrupt or
 * truncated file, -EPROTO for an unknown major version, -ENOENT, ...;
 * `errbuf` (may be NULL) gets a sentence saying what was wrong.
 */
int fz_blocklist_open(const char *path, struct fz_blocklist **ret, char *errbuf, size_t errlen);

/*
 * Has a new file been published at the path? If so map and validate it and
 * make it current. Returns 1 when a new generation became current, 0 when
 * nothing changed, or a negative errno when the new file was refused (the
 * current mapping stays; errbuf says why). A lower generation is refused
 * (-ESTALE). Safe to call from one thread at a time, concurrently with readers.
 */
int fz_blocklist_refresh(struct fz_blocklist *bl, char *errbuf, size_t errlen);

/*
 * A file descriptor that becomes readable when the directory of the path
 * changes (inotify; -1 when unavailable): put it in an event loop and call
 * fz_blocklist_refresh() when it fires, and every few seconds anyway.
 */
int fz_blocklist_watch_fd(struct fz_blocklist *bl);

/*
 * Or let a background thread do it: it waits on the watch fd (and polls
 * every `poll_ms` as a fallback), refreshes, and calls `cb` (may be NULL)
 * after each attempt with the result of fz_blocklist_refresh().
 */
typedef void (*fz_blocklist_cb)(struct fz_blocklist *bl, int result, const char *err,
				void *userdata);
int fz_blocklist_watch_start(struct fz_blocklist *bl, unsigned poll_ms, fz_blocklist_cb cb,
			     void *userdata);
void fz_blocklist_watch_stop(struct fz_blocklist *bl);

/* Close (stops the watcher; no reader may be inside a read section). */
void fz_blocklist_close(struct fz_blocklist *bl);

/* --- readers ------------------------------------------------------------ */

/*
 * A thread that looks up while generations may be swapped registers once
 * and brackets its lookups with read_begin/read_end. Sections are cheap
 * (no atomic read-modify-write, no fence on the fast path) and must not nest.
 */
int fz_bl_reader_register(struct fz_blocklist *bl, struct fz_bl_reader **ret);
void fz_bl_reader_unregister(struct fz_bl_reader *r);
const struct fz_blmap *fz_bl_read_begin(struct fz_bl_reader *r);
void fz_bl_read_end(struct fz_bl_reader *r);

/* The current mapping for a single-threaded user that never refreshes concurrently. */
const struct fz_blmap *fz_blocklist_current(const struct fz_blocklist *bl);

/* --- lookups on one mapping ----------------------------------------------- */

/*
 * Look up a domain name (presentation form, any case, optional trailing
 * dot; ASCII/A-labels — callers normalize U-labels first). The name and
 * each parent on label boundaries are tested; the most specific rule
 * decides. `info` may be NULL when only the verdict matters.
 */
enum fz_verdict fz_blmap_lookup(const struct fz_blmap *m, const char *name, size_t len,
				struct fz_match_info *info);

/* URL rules: `host` as above, `path` as sent ("/a/b?c"); prefix on separators. */
enum fz_verdict fz_blmap_lookup_url(const struct fz_blmap *m, const char *host, size_t host_len,
				    const char *path, size_t path_len, struct fz_match_info *info);

/*
 * Does `host` (as for fz_blmap_lookup_url) have URL rules of its own? The
 * inspector keeps reading later requests on such a host's connections.
 */
bool fz_blmap_url_host(const struct fz_blmap *m, const char *host, size_t host_len);

/* Address rules: family AF_INET (4 bytes) or AF_INET6 (16 bytes). */
enum fz_verdict fz_blmap_lookup_ip(const struct fz_blmap *m, int family, const uint8_t *addr,
				   struct fz_match_info *info);

void fz_blmap_info(const struct fz_blmap *m, struct fz_bl_info *info);
/* Feed `id` (0..n_feeds-1); returns -ENOENT past the end. */
int fz_blmap_feed(const struct fz_blmap *m, unsigned id, struct fz_bl_feed_info *info);
uint64_t fz_blmap_generation(const struct fz_blmap *m);

/* --- standalone validation ------------------------------------------------ */

/*
 * Validate a file image in memory (what open does after mmap). For the
 * fuzzer and `fangzha info`. Returns 0 or -EBADMSG/-EPROTO with errbuf set.
 * On success *ret (may be NULL) is a mapping over `data` that the caller
 * releases with fz_blmap_free(); `data` must outlive it.
 */
int fz_blmap_from_memory(const uint8_t *data, size_t len, struct fz_blmap **ret, char *errbuf,
			 size_t errlen);
void fz_blmap_free(struct fz_blmap *m);

#endif
