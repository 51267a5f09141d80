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

#include <stdarg.h>
#include <stdbool.h>
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
/* The same into a uint32_t (max must fit). */
int fz_ini_key_u32(const char *key, const char *v, uint32_t min, uint32_t max, uint32_t *ret,
		   char *err, size_t errlen);
/* fz_ini_bool with the key named in the message. */
int fz_ini_key_bool(const char *key, const char *v, bool *ret, char *err, size_t errlen);
/* A duration in seconds (fz_ini_duration) within min..max ("key: V is out of range 1s..300s"). */
int fz_ini_key_duration(const char *key, const char *v, uint64_t min, uint64_t max, uint64_t *ret,
			char *err, size_t errlen);
/*
 * A duration in milliseconds within min..max: "1500ms", or a duration in
 * seconds and up as fz_ini_duration reads it ("2s", "2", "1m", "1h").
 */
int fz_ini_key_ms(const char *key, const char *v, uint32_t min, uint32_t max, uint32_t *ret,
		  char *err, size_t errlen);
/* A size (fz_ini_size) within min..max; `range` spells the bounds for people ("64k..1G"). */
int fz_ini_key_size(const char *key, const char *v, uint64_t min, uint64_t max, const char *range,
		    uint64_t *ret, char *err, size_t errlen);
/* A user name to drop privileges to (no blanks, ':' or '/'), copied as fz_ini_set_str does. */
int fz_ini_set_user(char **dst, const char *key, const char *v, char *err, size_t errlen);

/*
 * A list value: items separated by commas and blanks, each given to `fn`
 * (NUL-terminated, shorter than item_max bytes, item_max at most
 * FZ_INI_LINE_MAX + 1). 0, fn's error, or -EINVAL for an empty list or an
 * item too long.
 */
typedef int (*fz_ini_item_fn)(void *ctx, const char *key, const char *item, char *err,
			      size_t errlen);
int fz_ini_each_item(const char *key, const char *v, size_t item_max, fz_ini_item_fn fn, void *ctx,
		     char *err, size_t errlen);

/* --- sections -------------------------------------------------------------- */

/*
 * "file:line: " and the message into err, for what a schema finds when a
 * section or the file ends (the parser locates only the current line).
 * Returns -EINVAL.
 */
int fz_ini_located(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int fz_ini_vlocated(char *err, size_t errlen, const char *file, unsigned line, const char *fmt,
		    va_list ap) __attribute__((format(printf, 5, 0)));
/*
 * The header of a section that takes no name and stands once in a file
 * ("[nfq]"): 0 with *first_line set to its line, or -EINVAL ("[nfq] takes
 * no name", "[nfq] given twice (first on line 3)").
 */
int fz_ini_single_section(const struct fz_ini_item *it, unsigned *first_line, char *err,
			  size_t errlen);
/*
 * The header of a section another program checks: 0 when it is one of
 * others[0..n), else -EINVAL "unknown section [x] (known: <known>)".
 */
int fz_ini_other_section(const struct fz_ini_item *it, const char *const *others, size_t n,
			 const char *known, char *err, size_t errlen);
/*
 * A key of a section where each of names[0..n) may stand once: its index,
 * with seen[index] (0 = unset) set to the item's line; or -EINVAL
 * ("unknown key 'k' in [where]", "key 'k' given twice in [where] (first
 * on line N)").
 */
int fz_ini_key_once(const struct fz_ini_item *it, const char *const *names, size_t n,
		    unsigned *seen, const char *where, char *err, size_t errlen);

/* What a schema checks once the whole file is read: 0 or a negative errno, err set. */
typedef int (*fz_ini_finish_fn)(void *userdata, char *err, size_t errlen);
/*
 * fz_ini_parse, then `finish` (unless NULL) when that succeeded. 0,
 * -ENOMEM, or -EINVAL for any other error.
 */
int fz_ini_parse_all(const uint8_t *data, size_t len, const char *file, fz_ini_fn fn,
		     fz_ini_finish_fn finish, void *userdata, char *err, size_t errlen);

#endif
