/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One update cycle of the feed fetcher: fetch every due feed, vet what came
 * back, keep each feed's last good copy, and compile and publish a new
 * blocklist when anything changed. A feed that fails keeps its last good
 * copy; a cycle never publishes a list built from a bad download.
 */
#ifndef FZ_UPDATE_H
#define FZ_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_feedcfg.h"
#include "fz_feedstate.h"

struct fz_update_feed {
	const char *name;
	bool disabled;		    /* enabled = no in the config */
	enum fz_feed_result result; /* FETCHED, NOT_MODIFIED or FAILED (NEVER: disabled/not due) */
	char reason[256]; /* for FAILED: why, e.g. "HTTP 500", "only 3 entries (min_entries 100)" */
	bool have_good;	  /* a good copy (new or kept) went into the list */
	uint64_t entries; /* rules from this feed in the list */
	uint64_t bytes;
	double seconds;
};

struct fz_update_summary {
	struct fz_update_feed *feeds; /* one per configured feed, in config order */
	size_t n_feeds;
	size_t fetched, not_modified, failed, skipped;
	bool published;	     /* a new generation was written */
	bool list_exists;    /* a usable blocklist is at the output path (new or old) */
	uint64_t generation; /* of the list at the output path */
	uint64_t names, urls, ips;
	double seconds;
	char error[512]; /* why nothing could be published, when that is the case */
};

/* Exit statuses of `fangzha-feed update`. */
enum {
	FZ_UPDATE_OK = 0,	 /* every feed fetched or not modified */
	FZ_UPDATE_NO_LIST = 1,	 /* no usable list exists */
	FZ_UPDATE_FELL_BACK = 2, /* some feed failed and its last good copy was used */
};

struct fz_update_opts {
	bool force;	  /* fetch every enabled feed now, ignoring intervals */
	const char *only; /* NULL, or the one feed to fetch */
	int64_t now;	  /* 0: time(NULL); tests pin it */
};

/*
 * Run one cycle. Fills `sum` (release with fz_update_summary_free) and
 * returns the exit status above. Logging is the caller's: the summary says
 * everything that happened.
 */
int fz_update_run(const struct fz_feeds_cfg *cfg, const struct fz_update_opts *opts,
		  struct fz_update_summary *sum);
void fz_update_summary_free(struct fz_update_summary *sum);

/*
 * Compile the list from every feed's last good copy and the local lists,
 * publishing it to cfg->output (used by the cycle and `fangzha compile
 * --config`). Returns 0 or a negative errno with err set.
 */
int fz_update_compile(const struct fz_feeds_cfg *cfg, struct fz_update_summary *sum, char *err,
		      size_t errlen);

/* When is this feed next due, given its state (unix seconds)? Failed feeds back off. */
int64_t fz_update_next_due(const struct fz_feed_cfg *f, const struct fz_feed_state *st);

#endif
