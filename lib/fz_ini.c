/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared config file's INI syntax. One pass over the bytes, one line
 * at a time, each line copied into a bounded buffer first (the input is
 * not NUL-terminated). Sections and keys go to the schema's callback; the
 * parser itself knows no key.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fz_ini.h"

struct ini_state {
	const char *file;
	fz_ini_fn fn;
	void *userdata;
	unsigned lineno;
	unsigned n_sections;
	bool in_section;
	char line[FZ_INI_LINE_MAX + 1];
	char section[FZ_INI_LINE_MAX + 1];
	char sub[FZ_INI_LINE_MAX + 1];
	char key[FZ_INI_LINE_MAX + 1];
	char value[FZ_INI_LINE_MAX + 1];
	char msg[512];
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* [a-z0-9_]: keys and section names. */
static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_word(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_word_char(s[i]))
			return false;
	return true;
}

/* "file:line: " + the message. */
static void located(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void located(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || errlen == 0)
		return;
	n = snprintf(err, errlen, "%s:%u: ", file, line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * A double-quoted string starting at s[*pos] == '"'. Escapes: \" and \\.
 * `out` must hold as many bytes as the rest of `s`. On success *pos is just
 * past the closing quote.
 */
static int parse_quoted(const char *s, size_t *pos, char *out, const char **why)
{
	size_t i = *pos + 1, o = 0;

	for (;;) {
		char c = s[i];

		if (c == '\0') {
			*why = "missing closing quote";
			return -EINVAL;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			char e = s[i + 1];

			if (e == '\0') {
				*why = "missing closing quote";
				return -EINVAL;
			}
			if (e != '"' && e != '\\') {
				*why = "unknown escape in quoted text (only \\\" and \\\\)";
				return -EINVAL;
			}
			out[o++] = e;
			i += 2;
			continue;
		}
		out[o++] = c;
		i++;
	}
	out[o] = '\0';
	*pos = i + 1;
	return 0;
}

static int call(struct ini_state *st, const char *key, const char *value, char *err, size_t errlen)
{
	struct fz_ini_item item = {
	    .section = st->section,
	    .sub = st->sub,
	    .key = key,
	    .value = value,
	    .line = st->lineno,
	};
	int r;

	st->msg[0] = '\0';
	r = st->fn(&item, st->userdata, st->msg, sizeof(st->msg));
	if (r >= 0)
		return 0;
	located(err, errlen, st->file, st->lineno, "%s", st->msg[0] ? st->msg : "invalid entry");
	return r;
}

/* "[section]", "[section NAME]" or "[section "NAME"]", then an optional comment. */
static int parse_header(struct ini_state *st, const char *s, char *err, size_t errlen)
{
	size_t i = 1, start;
	const char *why;

	while (is_blank(s[i]))
		i++;
	start = i;
	while (s[i] && !is_blank(s[i]) && s[i] != ']' && s[i] != '"')
		i++;
	if (i == start) {
		located(err, errlen, st->file, st->lineno, "section header has no name");
		return -EINVAL;
	}
	if (!is_word(s + start, i - start)) {
		located(err, errlen, st->file, st->lineno,
			"bad section name '%.*s' (lowercase letters, digits and '_')",
			(int)(i - start > 64 ? 64 : i - start), s + start);
		return -EINVAL;
	}
	memcpy(st->section, s + start, i - start);
	st->section[i - start] = '\0';

	while (is_blank(s[i]))
		i++;
	st->sub[0] = '\0';
	if (s[i] == '"') {
		if (parse_quoted(s, &i, st->sub, &why) < 0) {
			located(err, errlen, st->file, st->lineno, "section header: %s", why);
			return -EINVAL;
		}
	} else if (s[i] && s[i] != ']') {
		start = i;
		while (s[i] && !is_blank(s[i]) && s[i] != ']')
			i++;
		memcpy(st->sub, s + start, i - start);
		st->sub[i - start] = '\0';
	}
	while (is_blank(s[i]))
		i++;
	if (s[i] != ']') {
		located(err, errlen, st->file, st->lineno,
			s[i] ? "section header has more than one name (quote a name with blanks)"
			     : "section header is missing ']'");
		return -EINVAL;
	}
	i++;
	while (is_blank(s[i]))
		i++;
	if (s[i] && s[i] != '#' && s[i] != ';') {
		located(err, errlen, st->file, st->lineno, "text after ']' in section header");
		return -EINVAL;
	}

	if (++st->n_sections > FZ_INI_SECTION_MAX) {
		located(err, errlen, st->file, st->lineno, "more than %d sections",
			FZ_INI_SECTION_MAX);
		return -EINVAL;
	}
	st->in_section = true;
	return call(st, NULL, "", err, errlen);
}

/* "key = value", the value bare (up to a " #" comment) or double-quoted. */
static int parse_pair(struct ini_state *st, const char *s, char *err, size_t errlen)
{
	const char *eq = strchr(s, '=');
	size_t klen, i, vstart, vend;
	const char *why;

	if (!eq) {
		located(err, errlen, st->file, st->lineno,
			"line is not 'key = value', a [section] or a comment");
		return -EINVAL;
	}
	klen = (size_t)(eq - s);
	while (klen > 0 && is_blank(s[klen - 1]))
		klen--;
	if (klen == 0) {
		located(err, errlen, st->file, st->lineno, "missing key before '='");
		return -EINVAL;
	}
	if (!is_word(s, klen)) {
		located(err, errlen, st->file, st->lineno,
			"bad key '%.*s' (lowercase letters, digits and '_')",
			(int)(klen > 64 ? 64 : klen), s);
		return -EINVAL;
	}
	memcpy(st->key, s, klen);
	st->key[klen] = '\0';
	if (!st->in_section) {
		located(err, errlen, st->file, st->lineno, "key '%s' is outside any [section]",
			st->key);
		return -EINVAL;
	}

	i = (size_t)(eq - s) + 1;
	while (is_blank(s[i]))
		i++;
	if (s[i] == '"') {
		if (parse_quoted(s, &i, st->value, &why) < 0) {
			located(err, errlen, st->file, st->lineno, "value of '%s': %s", st->key,
				why);
			return -EINVAL;
		}
		while (is_blank(s[i]))
			i++;
		if (s[i] && s[i] != '#' && s[i] != ';') {
			located(err, errlen, st->file, st->lineno,
				"value of '%s': text after the closing quote", st->key);
			return -EINVAL;
		}
	} else {
		/* A comment starts at a '#' after a blank: "http://x/#a" keeps its '#'. */
		vstart = i;
		for (vend = i; s[vend]; vend++)
			if (s[vend] == '#' && is_blank(s[vend - 1]))
				break;
		while (vend > vstart && is_blank(s[vend - 1]))
			vend--;
		memcpy(st->value, s + vstart, vend - vstart);
		st->value[vend - vstart] = '\0';
	}
	return call(st, st->key, st->value, err, errlen);
}

static int parse_line(struct ini_state *st, char *s, size_t n, char *err, size_t errlen)
{
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	s[n] = '\0';
	while (is_blank(*s))
		s++;
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_header(st, s, err, errlen);
	return parse_pair(st, s, err, errlen);
}

int fz_ini_parse(const uint8_t *data, size_t len, const char *file, fz_ini_fn fn, void *userdata,
		 char *err, size_t errlen)
{
	const uint8_t *p = data, *end = data ? data + len : data;
	struct ini_state *st;
	int r = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!file)
		file = "(config)";
	if (!data && len) {
		located(err, errlen, file, 0, "no data");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		located(err, errlen, file, 0, "out of memory");
		return -ENOMEM;
	}
	st->file = file;
	st->fn = fn;
	st->userdata = userdata;

	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		p += 3;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		st->lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > FZ_INI_LINE_MAX) {
			located(err, errlen, file, st->lineno, "line is longer than %d bytes",
				FZ_INI_LINE_MAX);
			r = -EINVAL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '\0') {
				located(err, errlen, file, st->lineno, "NUL byte in line");
				r = -EINVAL;
				break;
			}
			if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
				located(err, errlen, file, st->lineno,
					"control character 0x%02x in line", p[i]);
				r = -EINVAL;
				break;
			}
		}
		if (r < 0)
			break;
		memcpy(st->line, p, n);
		r = parse_line(st, st->line, n, err, errlen);
		if (r < 0)
			break;
		p = nl ? nl + 1 : end;
	}
	free(st);
	return r;
}

/* --- values ---------------------------------------------------------------- */

static void say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Decimal digits s[0..n): 0, -EINVAL (empty or not a digit) or -ERANGE. */
static int parse_digits(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static bool lower_eq(const char *a, const char *lower)
{
	for (; *a && *lower; a++, lower++) {
		char c = *a;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *lower)
			return false;
	}
	return *a == *lower;
}

int fz_ini_bool(const char *value, int *ret, char *err, size_t errlen)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	if (!value)
		value = "";
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (lower_eq(value, yes[i])) {
			*ret = 1;
			return 0;
		}
		if (lower_eq(value, no[i])) {
			*ret = 0;
			return 0;
		}
	}
	say(err, errlen, "'%.64s' is not yes/no, true/false, on/off or 1/0", value);
	return -EINVAL;
}

int fz_ini_uint(const char *value, uint64_t min, uint64_t max, uint64_t *ret, char *err,
		size_t errlen)
{
	uint64_t v = 0;
	int r;

	if (!value)
		value = "";
	r = parse_digits(value, strlen(value), &v);
	if (r == -EINVAL) {
		say(err, errlen, "'%.64s' is not a whole number", value);
		return -EINVAL;
	}
	if (r < 0 || v < min || v > max) {
		say(err, errlen, "%.64s is out of range %llu..%llu", value, (unsigned long long)min,
		    (unsigned long long)max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* A number with an optional one-letter unit; `units` maps letters to factors. */
static int parse_scaled(const char *value, const char *letters, const uint64_t *factors,
			uint64_t *ret)
{
	size_t n = strlen(value);
	uint64_t v = 0, f = 1;
	int r;

	if (n > 0 && (value[n - 1] < '0' || value[n - 1] > '9')) {
		const char *l = strchr(letters, value[n - 1]);

		if (!l)
			return -EINVAL;
		f = factors[l - letters];
		n--;
	}
	r = parse_digits(value, n, &v);
	if (r < 0)
		return r;
	if (v > UINT64_MAX / f)
		return -ERANGE;
	*ret = v * f;
	return 0;
}

int fz_ini_duration(const char *value, uint64_t *ret_seconds, char *err, size_t errlen)
{
	static const uint64_t factors[] = {1, 60, 3600, 86400};
	uint64_t v = 0;
	int r;

	if (!value)
		value = "";
	r = parse_scaled(value, "smhd", factors, &v);
	if (r == -ERANGE) {
		say(err, errlen, "duration %.64s is too large", value);
		return -EINVAL;
	}
	if (r < 0) {
		say(err, errlen, "'%.64s' is not a duration (a number with s, m, h or d)", value);
		return -EINVAL;
	}
	*ret_seconds = v;
	return 0;
}

int fz_ini_size(const char *value, uint64_t *ret_bytes, char *err, size_t errlen)
{
	static const uint64_t factors[] = {1ull << 10, 1ull << 10, 1ull << 20, 1ull << 30};
	uint64_t v = 0;
	int r;

	if (!value)
		value = "";
	r = parse_scaled(value, "kKMG", factors, &v);
	if (r == -ERANGE) {
		say(err, errlen, "size %.64s is too large", value);
		return -EINVAL;
	}
	if (r < 0) {
		say(err, errlen, "'%.64s' is not a size (a number of bytes, or with k, M or G)",
		    value);
		return -EINVAL;
	}
	*ret_bytes = v;
	return 0;
}

int fz_ini_read_file(const char *path, uint8_t **ret, size_t *ret_len, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t n = 0;
	struct stat sb;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		say(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		say(err, errlen, "%s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	if (!S_ISREG(sb.st_mode)) {
		say(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	/* One byte more than allowed, to see a file that grew past the limit. */
	buf = malloc(FZ_INI_FILE_MAX + 1);
	if (!buf) {
		say(err, errlen, "%s: out of memory", path);
		close(fd);
		return -ENOMEM;
	}
	while (n <= FZ_INI_FILE_MAX) {
		ssize_t got = read(fd, buf + n, FZ_INI_FILE_MAX + 1 - n);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			say(err, errlen, "%s: %s", path, strerror(-r));
			free(buf);
			close(fd);
			return r;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n > FZ_INI_FILE_MAX) {
		say(err, errlen, "%s: larger than 1 MiB", path);
		free(buf);
		return -EFBIG;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

int fz_ini_lookup(const char *const *names, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], key) == 0)
			return (int)i;
	return -1;
}

int fz_ini_set_str(char **dst, const char *key, const char *v, char *err, size_t errlen)
{
	if (*v == '\0') {
		say(err, errlen, "%s is empty", key);
		return -EINVAL;
	}
	char *copy = strdup(v);
	if (!copy) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

int fz_ini_keyed(int r, const char *key, char *err, size_t errlen)
{
	char tmp[256];
	if (r >= 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s", err && errlen ? err : "");
	say(err, errlen, "%s: %s", key, tmp);
	return r;
}

int fz_ini_key_uint(const char *key, const char *v, uint64_t min, uint64_t max, uint64_t *ret,
		    char *err, size_t errlen)
{
	return fz_ini_keyed(fz_ini_uint(v, min, max, ret, err, errlen), key, err, errlen);
}

void fz_ini_say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
