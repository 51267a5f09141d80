/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The compiled blocklist, writer side: merge feeds, the local allowlist and
 * the local blocklist into one immutable file, published atomically.
 */
#ifndef FZ_BLWRITER_H
#define FZ_BLWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "fz_parse.h"
#include "fz_rule.h"

struct fz_blwriter;

enum fz_feed_role {
	FZ_FEED_NORMAL = 0,
	FZ_FEED_LOCAL_BLOCK = 1, /* the local blocklist: beats feed allow rules on the same name */
	FZ_FEED_LOCAL_ALLOW = 2, /* the local allowlist: beats everything on the same name */
};

struct fz_blwriter_stats {
	uint64_t generation;
	uint64_t input_rules; /* rules handed to the writer */
	uint64_t names;	      /* name keys written */
	uint64_t allow_names;
	uint64_t merged;   /* same rule from several feeds, kept once */
	uint64_t pruned;   /* covered by a listed parent with the same verdict */
	uint64_t shadowed; /* lost to a stronger rule on the same name */
	uint64_t urls, url_hosts, ip4, ip6;
	uint64_t file_size;
	uint64_t index_bytes;
	unsigned reseeds; /* hash seeds tried again after a real 64-bit collision */
};

struct fz_blwriter_opts {
	uint64_t generation; /* 0: one more than the file being replaced (or 1) */
	const uint8_t *seed; /* 16 bytes; NULL: random (tests pin it) */
	uint64_t created;    /* 0: now */
};

int fz_blwriter_new(struct fz_blwriter **ret);
void fz_blwriter_free(struct fz_blwriter *w);

/* Declare a feed; returns its id (>= 0) or a negative errno. At most 65535 feeds. */
int fz_blwriter_add_feed(struct fz_blwriter *w, const char *name, enum fz_category category,
			 const char *source, enum fz_feed_role role);

/* Add every rule of a parse result to feed `feed`. Returns 0 or -ENOMEM. */
int fz_blwriter_add_parsed(struct fz_blwriter *w, int feed, const struct fz_parse_result *res);

/* Add one name rule (already normalized). */
int fz_blwriter_add_name(struct fz_blwriter *w, int feed, const char *name, size_t len,
			 enum fz_action action, enum fz_match match, enum fz_policy policy);

/*
 * Build and publish to `path`: written to a temporary file beside it,
 * fsynced, renamed into place, directory fsynced. On any error (ENOSPC
 * included) the file at `path` is left as it was. Returns 0 or a negative
 * errno with errbuf saying what failed.
 */
int fz_blwriter_write(struct fz_blwriter *w, const char *path, const struct fz_blwriter_opts *opts,
		      struct fz_blwriter_stats *stats, char *errbuf, size_t errlen);

#endif
