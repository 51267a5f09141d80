/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the fangzha subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fz_cli.h"

int fz_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fangzha%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'fangzha%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
	return FZ_EXIT_USAGE;
}

static int read_fd(int fd, size_t cap, size_t hint, uint8_t **ret, size_t *ret_len)
{
	size_t alloc = hint ? hint + 1 : 65536, n = 0;
	uint8_t *buf = malloc(alloc);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == alloc) {
			size_t nalloc = alloc * 2;
			uint8_t *nb;

			if (alloc > cap) {
				free(buf);
				return -EFBIG;
			}
			if (nalloc > cap + 1)
				nalloc = cap + 1;
			nb = realloc(buf, nalloc);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			alloc = nalloc;
		}
		ssize_t r = read(fd, buf + n, alloc - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int err = -errno;
			free(buf);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > cap) {
			free(buf);
			return -EFBIG;
		}
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

int fz_cli_read_file(const char *path, size_t cap, uint8_t **ret, size_t *ret_len)
{
	struct stat st;
	size_t hint = 0;
	int fd, r;

	if (strcmp(path, "-") == 0)
		return read_fd(STDIN_FILENO, cap, 0, ret, ret_len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > cap) {
			close(fd);
			return -EFBIG;
		}
		hint = (size_t)st.st_size;
	}
	r = read_fd(fd, cap, hint, ret, ret_len);
	close(fd);
	return r;
}

size_t fz_cli_utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void fz_cli_put_text(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t l;

		if (c == '\\') {
			fputs("\\\\", f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\x%02x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else if ((l = fz_cli_utf8_len(p + i, len - i)) == 0 ||
			   (l == 2 && c == 0xc2 && p[i + 1] < 0xa0)) {
			/* invalid, or a C1 control character: hex bytes */
			fprintf(f, "\\x%02x", c);
			i++;
		} else {
			fwrite(p + i, 1, l, f);
			i += l;
		}
	}
}

void fz_cli_put_json(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	fputc('"', f);
	while (i < len) {
		unsigned char c = p[i];
		size_t l;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			i++;
			continue;
		case '\\':
			fputs("\\\\", f);
			i++;
			continue;
		case '\n':
			fputs("\\n", f);
			i++;
			continue;
		case '\r':
			fputs("\\r", f);
			i++;
			continue;
		case '\t':
			fputs("\\t", f);
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else if ((l = fz_cli_utf8_len(p + i, len - i)) == 0) {
			fputs("\\ufffd", f);
			i++;
		} else {
			fwrite(p + i, 1, l, f);
			i += l;
		}
	}
	fputc('"', f);
}

int fz_cli_parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int fz_cli_parse_hex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

double fz_cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fz_cli_format_time(uint64_t unix_seconds, char *buf, size_t len)
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;

	if ((uint64_t)t != unix_seconds || !gmtime_r(&t, &tm) ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%llu", (unsigned long long)unix_seconds);
}

int fz_cli_bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (c == ':')
		return fz_cli_usage_error(cmd, "option '%s' needs an argument", arg);
	if (optopt)
		return fz_cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return fz_cli_usage_error(cmd, "unknown option '%s'", arg);
}

void fz_cli_print_lib_error(const char *cmd, const char *what, const char *err, int r)
{
	if (!err || !*err)
		fprintf(stderr, "fangzha %s: %s: %s\n", cmd, what, strerror(-r));
	else if (strstr(err, what))
		fprintf(stderr, "fangzha %s: %s\n", cmd, err);
	else
		fprintf(stderr, "fangzha %s: %s: %s\n", cmd, what, err);
}
