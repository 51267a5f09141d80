/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared configuration file's syntax: INI with named sections.
 *
 *   # comment            ; comment
 *   [feeds]
 *   output = /var/lib/fangzha/blocklist.fzb
 *   [feed urlhaus]
 *   url = "https://urlhaus.abuse.ch/downloads/csv_online/"
 *
 * A pure parser over bytes: each daemon's schema (fz_feedcfg for the
 * fetcher, ...) is a callback that checks its own sections and keys.
 */
#ifndef FZ_INI_H
#define FZ_INI_H

#include <stddef.h>
#include <stdint.h>

#define FZ_INI_LINE_MAX	   4096
#define FZ_INI_SECTION_MAX 1024 /* sections in one file */

struct fz_ini_item {
	const char *section; /* "feeds", "feed", "dns", ... (lowercase as written) */
	const char *sub;     /* the NAME of "[feed NAME]", or "" */
	const char *key;     /* NULL for the section header itself */
	const char *value;   /* quotes removed, surrounding blanks trimmed */
	unsigned line;
};

/*
 * Called for every section header (key == NULL) and every key = value.
 * Return 0 to go on, or a negative errno with `err` set to what was wrong
 * (the parser prefixes "file:line: ").
 */
typedef int (*fz_ini_fn)(const struct fz_ini_item *item, void *userdata, char *err, size_t errlen);

/*
 * Parse `len` bytes. `file` names the input in messages. Returns 0, the
 * callback's error, or -EINVAL for bad syntax; `err` then reads
 * "file:line: what was wrong".
 */
int fz_ini_parse(const uint8_t *data, size_t len, const char *file, fz_ini_fn fn, void *userdata,
		 char *err, size_t errlen);

#define FZ_INI_FILE_MAX (1u << 20)

/*
 * Read a config file whole (a regular file of at most FZ_INI_FILE_MAX
 * bytes) into a new buffer (free()). 0, or a negative errno with `err`
 * naming the file and what was wrong.
 */
int fz_ini_read_file(const char *path, uint8_t **ret, size_t *ret_len, char *err, size_t errlen);

/* Value helpers for schemas: 0 or -EINVAL (err set to a sentence without location). */
int fz_ini_bool(const char *value, int *ret, char *err, size_t errlen);
int fz_ini_uint(const char *value, uint64_t min, uint64_t max, uint64_t *ret, char *err,
		size_t errlen);
/* Durations: "90", "90s", "15m", "6h", "1d". */
int fz_ini_duration(const char *value, uint64_t *ret_seconds, char *err, size_t errlen);
/* Sizes: "1048576", "512k", "64M", "1G" (powers of 1024). */
int fz_ini_size(const char *value, uint64_t *ret_bytes, char *err, size_t errlen);

/* Helpers every schema shares. */
/* Write a message into err (when err is not NULL and errlen > 0). */
void fz_ini_say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Index of `key` in names[0..n), or -1. */
int fz_ini_lookup(const char *const *names, size_t n, const char *key);
/* Replace *dst by a copy of a non-empty value. 0, -EINVAL (empty) or -ENOMEM; err says which key.
 */
int fz_ini_set_str(char **dst, const char *key, const char *v, char *err, size_t errlen);
/* Pass r through; when it is an error, prefix err with "key: ". */
int fz_ini_keyed(int r, const char *key, char *err, size_t errlen);
/* fz_ini_uint with the key named in the message. */
int fz_ini_key_uint(const char *key, const char *v, uint64_t min, uint64_t max, uint64_t *ret,
		    char *err, size_t errlen);

#endif
