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
	fz_ini_located(err, errlen, st->file, st->lineno, "%s",
		       st->msg[0] ? st->msg : "invalid entry");
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
		fz_ini_located(err, errlen, st->file, st->lineno, "section header has no name");
		return -EINVAL;
	}
	if (!is_word(s + start, i - start)) {
		fz_ini_located(err, errlen, st->file, st->lineno,
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
			fz_ini_located(err, errlen, st->file, st->lineno, "section header: %s",
				       why);
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
		fz_ini_located(
		    err, errlen, st->file, st->lineno,
		    s[i] ? "section header has more than one name (quote a name with blanks)"
			 : "section header is missing ']'");
		return -EINVAL;
	}
	i++;
	while (is_blank(s[i]))
		i++;
	if (s[i] && s[i] != '#' && s[i] != ';') {
		fz_ini_located(err, errlen, st->file, st->lineno,
			       "text after ']' in section header");
		return -EINVAL;
	}

	if (++st->n_sections > FZ_INI_SECTION_MAX) {
		fz_ini_located(err, errlen, st->file, st->lineno, "more than %d sections",
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
		fz_ini_located(err, errlen, st->file, st->lineno,
			       "line is not 'key = value', a [section] or a comment");
		return -EINVAL;
	}
	klen = (size_t)(eq - s);
	while (klen > 0 && is_blank(s[klen - 1]))
		klen--;
	if (klen == 0) {
		fz_ini_located(err, errlen, st->file, st->lineno, "missing key before '='");
		return -EINVAL;
	}
	if (!is_word(s, klen)) {
		fz_ini_located(err, errlen, st->file, st->lineno,
			       "bad key '%.*s' (lowercase letters, digits and '_')",
			       (int)(klen > 64 ? 64 : klen), s);
		return -EINVAL;
	}
	memcpy(st->key, s, klen);
	st->key[klen] = '\0';
	if (!st->in_section) {
		fz_ini_located(err, errlen, st->file, st->lineno,
			       "key '%s' is outside any [section]", st->key);
		return -EINVAL;
	}

	i = (size_t)(eq - s) + 1;
	while (is_blank(s[i]))
		i++;
	if (s[i] == '"') {
		if (parse_quoted(s, &i, st->value, &why) < 0) {
			fz_ini_located(err, errlen, st->file, st->lineno, "value of '%s': %s",
				       st->key, why);
			return -EINVAL;
		}
		while (is_blank(s[i]))
			i++;
		if (s[i] && s[i] != '#' && s[i] != ';') {
			fz_ini_located(err, errlen, st->file, st->lineno,
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
		fz_ini_located(err, errlen, file, 0, "no data");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		fz_ini_located(err, errlen, file, 0, "out of memory");
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
			fz_ini_located(err, errlen, file, st->lineno,
				       "line is longer than %d bytes", FZ_INI_LINE_MAX);
			r = -EINVAL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '\0') {
				fz_ini_located(err, errlen, file, st->lineno, "NUL byte in line");
				r = -EINVAL;
				break;
			}
			if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
				fz_ini_located(err, errlen, file, st->lineno,
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
	fz_ini_say(err, errlen, "'%.64s' is not yes/no, true/false, on/off or 1/0", value);
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
		fz_ini_say(err, errlen, "'%.64s' is not a whole number", value);
		return -EINVAL;
	}
	if (r < 0 || v < min || v > max) {
		fz_ini_say(err, errlen, "%.64s is out of range %llu..%llu", value,
			   (unsigned long long)min, (unsigned long long)max);
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

/* parse_scaled with the messages: "<noun> V is too large", "'V' is not a <noun> (<expect>)". */
static int scaled_value(const char *value, const char *letters, const uint64_t *factors,
			const char *noun, const char *expect, uint64_t *ret, char *err,
			size_t errlen)
{
	uint64_t v = 0;
	int r;

	if (!value)
		value = "";
	r = parse_scaled(value, letters, factors, &v);
	if (r == -ERANGE) {
		fz_ini_say(err, errlen, "%s %.64s is too large", noun, value);
		return -EINVAL;
	}
	if (r < 0) {
		fz_ini_say(err, errlen, "'%.64s' is not a %s (%s)", value, noun, expect);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int fz_ini_duration(const char *value, uint64_t *ret_seconds, char *err, size_t errlen)
{
	static const uint64_t factors[] = {1, 60, 3600, 86400};

	return scaled_value(value, "smhd", factors, "duration", "a number with s, m, h or d",
			    ret_seconds, err, errlen);
}

int fz_ini_size(const char *value, uint64_t *ret_bytes, char *err, size_t errlen)
{
	static const uint64_t factors[] = {1ull << 10, 1ull << 10, 1ull << 20, 1ull << 30};

	return scaled_value(value, "kKMG", factors, "size", "a number of bytes, or with k, M or G",
			    ret_bytes, err, errlen);
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
		fz_ini_say(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		fz_ini_say(err, errlen, "%s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	if (!S_ISREG(sb.st_mode)) {
		fz_ini_say(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	/* One byte more than allowed, to see a file that grew past the limit. */
	buf = malloc(FZ_INI_FILE_MAX + 1);
	if (!buf) {
		fz_ini_say(err, errlen, "%s: out of memory", path);
		close(fd);
		return -ENOMEM;
	}
	while (n <= FZ_INI_FILE_MAX) {
		ssize_t got = read(fd, buf + n, FZ_INI_FILE_MAX + 1 - n);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			fz_ini_say(err, errlen, "%s: %s", path, strerror(-r));
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
		fz_ini_say(err, errlen, "%s: larger than 1 MiB", path);
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
		fz_ini_say(err, errlen, "%s is empty", key);
		return -EINVAL;
	}
	char *copy = strdup(v);
	if (!copy) {
		fz_ini_say(err, errlen, "out of memory");
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
	fz_ini_say(err, errlen, "%s: %s", key, tmp);
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

int fz_ini_key_u32(const char *key, const char *v, uint32_t min, uint32_t max, uint32_t *ret,
		   char *err, size_t errlen)
{
	uint64_t x;
	int r = fz_ini_key_uint(key, v, min, max, &x, err, errlen);

	if (r == 0)
		*ret = (uint32_t)x;
	return r;
}

int fz_ini_key_bool(const char *key, const char *v, bool *ret, char *err, size_t errlen)
{
	int b, r = fz_ini_keyed(fz_ini_bool(v, &b, err, errlen), key, err, errlen);

	if (r == 0)
		*ret = b != 0;
	return r;
}

int fz_ini_key_duration(const char *key, const char *v, uint64_t min, uint64_t max, uint64_t *ret,
			char *err, size_t errlen)
{
	uint64_t d;
	int r = fz_ini_keyed(fz_ini_duration(v, &d, err, errlen), key, err, errlen);

	if (r < 0)
		return r;
	if (d < min || d > max) {
		fz_ini_say(err, errlen, "%s: %s is out of range %llus..%llus", key, v,
			   (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*ret = d;
	return 0;
}

int fz_ini_key_ms(const char *key, const char *v, uint32_t min, uint32_t max, uint32_t *ret,
		  char *err, size_t errlen)
{
	size_t n = strlen(v);
	uint64_t ms;

	if (n > 2 && strcmp(v + n - 2, "ms") == 0) {
		if (parse_digits(v, n - 2, &ms) < 0)
			goto bad;
	} else {
		uint64_t s;

		if (fz_ini_duration(v, &s, NULL, 0) < 0)
			goto bad;
		ms = s > UINT64_MAX / 1000 ? UINT64_MAX : s * 1000;
	}
	if (ms < min || ms > max) {
		fz_ini_say(err, errlen, "%s: %s is out of range %ums..%ums", key, v, min, max);
		return -EINVAL;
	}
	*ret = (uint32_t)ms;
	return 0;
bad:
	fz_ini_say(err, errlen,
		   "%s: '%.64s' is not a duration (a number with ms, s, m or h; a plain number "
		   "is seconds)",
		   key, v);
	return -EINVAL;
}

int fz_ini_key_size(const char *key, const char *v, uint64_t min, uint64_t max, const char *range,
		    uint64_t *ret, char *err, size_t errlen)
{
	uint64_t x;
	int r = fz_ini_keyed(fz_ini_size(v, &x, err, errlen), key, err, errlen);

	if (r < 0)
		return r;
	if (x < min || x > max) {
		fz_ini_say(err, errlen, "%s: %s is out of range %s", key, v, range);
		return -EINVAL;
	}
	*ret = x;
	return 0;
}

int fz_ini_set_user(char **dst, const char *key, const char *v, char *err, size_t errlen)
{
	if (strpbrk(v, " \t:/")) {
		fz_ini_say(err, errlen, "%s: '%.64s' is not a user name", key, v);
		return -EINVAL;
	}
	return fz_ini_set_str(dst, key, v, err, errlen);
}

int fz_ini_each_item(const char *key, const char *v, size_t item_max, fz_ini_item_fn fn, void *ctx,
		     char *err, size_t errlen)
{
	char item[FZ_INI_LINE_MAX + 1];
	size_t count = 0;
	int r;

	if (item_max > sizeof(item))
		item_max = sizeof(item);
	while (*v) {
		size_t n = strcspn(v, ", \t");

		if (n == 0) {
			v++;
			continue;
		}
		if (n >= item_max) {
			fz_ini_say(err, errlen, "%s: item '%.40s...' is too long", key, v);
			return -EINVAL;
		}
		memcpy(item, v, n);
		item[n] = '\0';
		r = fn(ctx, key, item, err, errlen);
		if (r < 0)
			return r;
		count++;
		v += n;
	}
	if (count == 0) {
		fz_ini_say(err, errlen, "%s is empty", key);
		return -EINVAL;
	}
	return 0;
}

/* --- sections -------------------------------------------------------------- */

int fz_ini_vlocated(char *err, size_t errlen, const char *file, unsigned line, const char *fmt,
		    va_list ap)
{
	int n;

	if (!err || errlen == 0)
		return -EINVAL;
	n = snprintf(err, errlen, "%s:%u: ", file, line);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

int fz_ini_located(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fz_ini_vlocated(err, errlen, file, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int fz_ini_single_section(const struct fz_ini_item *it, unsigned *first_line, char *err,
			  size_t errlen)
{
	if (it->sub[0]) {
		fz_ini_say(err, errlen, "[%s] takes no name", it->section);
		return -EINVAL;
	}
	if (*first_line) {
		fz_ini_say(err, errlen, "[%s] given twice (first on line %u)", it->section,
			   *first_line);
		return -EINVAL;
	}
	*first_line = it->line;
	return 0;
}

int fz_ini_other_section(const struct fz_ini_item *it, const char *const *others, size_t n,
			 const char *known, char *err, size_t errlen)
{
	if (fz_ini_lookup(others, n, it->section) >= 0)
		return 0;
	fz_ini_say(err, errlen, "unknown section [%.64s] (known: %s)", it->section, known);
	return -EINVAL;
}

int fz_ini_key_once(const struct fz_ini_item *it, const char *const *names, size_t n,
		    unsigned *seen, const char *where, char *err, size_t errlen)
{
	int k = fz_ini_lookup(names, n, it->key);

	if (k < 0) {
		fz_ini_say(err, errlen, "unknown key '%.64s' in [%s]", it->key, where);
		return -EINVAL;
	}
	if (seen[k]) {
		fz_ini_say(err, errlen, "key '%s' given twice in [%s] (first on line %u)", it->key,
			   where, seen[k]);
		return -EINVAL;
	}
	seen[k] = it->line;
	return k;
}

int fz_ini_parse_all(const uint8_t *data, size_t len, const char *file, fz_ini_fn fn,
		     fz_ini_finish_fn finish, void *userdata, char *err, size_t errlen)
{
	int r = fz_ini_parse(data, len, file, fn, userdata, err, errlen);

	if (r == 0 && finish)
		r = finish(userdata, err, errlen);
	if (r < 0)
		return r == -ENOMEM ? -ENOMEM : -EINVAL;
	return 0;
}
