/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fetcher's part of the shared config file: [feeds] and [feed NAME].
 * Sections that belong to the other daemons ([dns], [nfq], ...) are
 * skipped here and checked by them; an unknown section is an error, so a
 * typo never silently disables anything.
 */
#ifndef FZ_FEEDCFG_H
#define FZ_FEEDCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_parse.h"
#include "fz_rule.h"

#define FZ_FEED_NAME_MAX 64 /* [A-Za-z0-9._-], also the state file name */
#define FZ_FEEDS_MAX	 256

struct fz_feed_cfg {
	char name[FZ_FEED_NAME_MAX + 1];
	char *url; /* https://, http://, file://, axfr://host[:port]/zone */
	enum fz_format format;
	enum fz_category category;
	enum fz_match match;  /* FZ_MATCH_DEFAULT: as the format says */
	uint64_t interval;    /* seconds between fetches (daemon mode) */
	uint64_t max_size;    /* bytes; the download is cut off past it */
	uint64_t min_entries; /* fewer accepted rules: the download is refused */
	uint64_t
	    max_shrink; /* percent: shrinking more than this vs the last good copy is refused */
	bool has_sha256;
	uint8_t sha256[32];  /* pin: the body must hash to this */
	char *minisign_key;  /* base64 minisign public key, or NULL */
	char *signature_url; /* where the .minisig is (default: url + ".minisig") */
	bool enabled;
	unsigned line; /* where the section starts */
};

struct fz_feeds_cfg {
	char *file;	 /* the config file read */
	char *output;	 /* [feeds] output: the blocklist path */
	char *state_dir; /* [feeds] state_dir */
	char *allow;	 /* [feeds] allow: local allowlist path, or NULL */
	char *block;	 /* [feeds] block: local blocklist path, or NULL */
	char *ca_file;	 /* [feeds] ca_file: extra CA bundle for https (tests, private mirrors) */
	char *user_agent;
	uint64_t concurrency;	  /* parallel downloads */
	uint64_t connect_timeout; /* seconds */
	uint64_t timeout;	  /* seconds, whole transfer */
	uint64_t retries;	  /* extra attempts after a failed one */
	struct fz_feed_cfg *feeds;
	size_t n_feeds;
};

/* Defaults applied to every feed unless it says otherwise. */
#define FZ_FEED_DEFAULT_INTERVAL    3600
#define FZ_FEED_DEFAULT_MAX_SIZE    (256ull << 20)
#define FZ_FEED_DEFAULT_MIN_ENTRIES 1
#define FZ_FEED_DEFAULT_MAX_SHRINK  50
#define FZ_FEEDS_DEFAULT_STATE_DIR  "/var/lib/fangzha"
#define FZ_FEEDS_DEFAULT_OUTPUT	    "/var/lib/fangzha/blocklist.fzb"

/*
 * Parse a config text (pure; `file` names it in messages). Returns 0 and
 * fills `cfg` (release with fz_feeds_cfg_free), or -EINVAL with `err`
 * reading "file:line: what was wrong".
 */
int fz_feeds_cfg_parse(const uint8_t *data, size_t len, const char *file, struct fz_feeds_cfg *cfg,
		       char *err, size_t errlen);
/* Read and parse a file (at most 1 MiB). */
int fz_feeds_cfg_load(const char *path, struct fz_feeds_cfg *cfg, char *err, size_t errlen);
void fz_feeds_cfg_free(struct fz_feeds_cfg *cfg);

#endif
