/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-feed state in the state directory: the last good raw download
 * (<name>.raw) and what is known about it and the last attempt
 * (<name>.meta, "key=value" lines). Both are written to a temporary file,
 * fsynced and renamed: a crash never leaves half a file. A meta file that
 * does not parse, or a raw copy whose sha256 disagrees with it, is treated
 * as absent (and said so), never trusted.
 */
#ifndef FZ_FEEDSTATE_H
#define FZ_FEEDSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fz_feed_result {
	FZ_FEED_NEVER = 0,	  /* no attempt recorded */
	FZ_FEED_FETCHED = 1,	  /* new content, vetted and kept */
	FZ_FEED_NOT_MODIFIED = 2, /* 304, or the same bytes again */
	FZ_FEED_FAILED = 3,	  /* kept the last good copy; see error */
};

struct fz_feed_state {
	/* the last good copy */
	bool has_good;
	uint8_t sha256[32];
	uint64_t size;
	uint64_t entries;   /* rules accepted from it */
	int64_t fetched_at; /* when it was downloaded (unix seconds) */
	char etag[256];	    /* validators for a conditional GET */
	char last_modified[64];
	/* the last attempt */
	int64_t attempted_at;
	enum fz_feed_result result;
	char error[256];   /* why the last attempt failed, or "" */
	uint32_t failures; /* consecutive failed attempts */
};

const char *fz_feed_result_name(enum fz_feed_result r);

/* Pure parser of a meta file's bytes (fuzzed). 0 or -EBADMSG. */
int fz_feedstate_parse(const uint8_t *data, size_t len, struct fz_feed_state *st);
/* The meta text for `st` into buf; returns its length or -ENOSPC. */
int fz_feedstate_format(const struct fz_feed_state *st, char *buf, size_t buflen);

/* Load <dir>/<feed>.meta. -ENOENT when absent, -EBADMSG when corrupt (err says why). */
int fz_feedstate_load(const char *dir, const char *feed, struct fz_feed_state *st, char *err,
		      size_t errlen);
int fz_feedstate_save(const char *dir, const char *feed, const struct fz_feed_state *st, char *err,
		      size_t errlen);

/* Write <dir>/<feed>.raw atomically. */
int fz_feedstate_save_raw(const char *dir, const char *feed, const uint8_t *data, size_t len,
			  char *err, size_t errlen);
/*
 * Read <dir>/<feed>.raw and check it against st->sha256 and st->size.
 * Returns 0 with *ret (caller frees), -ENOENT, or -EBADMSG (mismatch).
 */
int fz_feedstate_read_raw(const char *dir, const char *feed, const struct fz_feed_state *st,
			  uint8_t **ret, size_t *ret_len, char *err, size_t errlen);

/* SHA-256 (libcrypto). */
void fz_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

/* Write a whole file atomically beside `path` (temp, fsync, rename, fsync dir). */
int fz_write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif
