/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block events as JSON lines. A line is formatted on the writer's stack
 * (bounded: every field is cut to a limit, so a line always fits in
 * PIPE_BUF and one write(2) of it is atomic even on a pipe), then written
 * with one write(2) to an O_APPEND descriptor, so lines from several
 * threads never interleave. Reopening swaps the descriptor under a write
 * lock: writers hold the read side across their write(2), so the old
 * descriptor is never closed (and its number never reused) under one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fz_events.h"

#define LINE_MAX_BYTES	4096 /* PIPE_BUF on Linux */
#define NAME_FIELD_MAX	512  /* qname, rule: escaped bytes */
#define SHORT_FIELD_MAX 64   /* source, client, qtype, category, action, reason */
#define FEED_FIELD_MAX	96
#define FEEDS_MAX	8

_Static_assert(LINE_MAX_BYTES <= PIPE_BUF, "a line is written atomically");

struct fz_events {
	pthread_rwlock_t lock;
	int fd;
	bool is_stdout;
	char *path;
};

/* --- formatting ------------------------------------------------------------ */

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if the
 * bytes there are not one (overlong forms, surrogates and code points past
 * U+10FFFF are not).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * A JSON string of `s`, at most `max` bytes between the quotes: cut at a
 * whole character or escape, never inside one.
 */
static void put_json_str(struct out *o, const char *str, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), used = 0;

	put(o, "\"", 1);
	for (size_t i = 0; i < n;) {
		char esc[8];
		const char *piece;
		size_t plen, adv;

		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			piece = esc;
			plen = 2;
			adv = 1;
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 15];
			piece = esc;
			plen = 6;
			adv = 1;
		} else if ((adv = utf8_len(s + i, n - i)) == 0) {
			piece = "\\ufffd";
			plen = 6;
			adv = 1;
		} else {
			piece = (const char *)s + i;
			plen = adv;
		}
		if (used + plen > max)
			break;
		put(o, piece, plen);
		used += plen;
		i += adv;
	}
	put(o, "\"", 1);
}

static void put_field(struct out *o, bool *first, const char *key, const char *val, size_t max)
{
	if (!val)
		return;
	if (!*first)
		put(o, ",", 1);
	*first = false;
	put(o, "\"", 1);
	puts_(o, key);
	put(o, "\":", 2);
	put_json_str(o, val, max);
}

/* "2026-11-27T21:40:00.123Z" */
static void put_time(struct out *o, uint64_t ms)
{
	char tmp[48];
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	size_t n;

	if (ms / 1000 > (uint64_t)253402300799ull || !gmtime_r(&t, &tm)) {
		/* Past year 9999: the epoch says the clock is wrong rather than a wide year. */
		t = 0;
		gmtime_r(&t, &tm);
		ms = 0;
	}
	n = strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	tmp[n++] = '.';
	tmp[n++] = (char)('0' + ms % 1000 / 100);
	tmp[n++] = (char)('0' + ms % 100 / 10);
	tmp[n++] = (char)('0' + ms % 10);
	tmp[n++] = 'Z';
	put(o, "\"time\":\"", 8);
	put(o, tmp, n);
	put(o, "\"", 1);
}

int fz_event_format(const struct fz_event *e, char *buf, size_t cap)
{
	struct out o = {.buf = buf, .cap = cap};
	bool first = false;
	size_t nf;

	if (!e || !buf || cap == 0)
		return -EINVAL;
	put(&o, "{", 1);
	put_time(&o, e->time_ms);
	put_field(&o, &first, "source", e->source, SHORT_FIELD_MAX);
	put_field(&o, &first, "client", e->client, SHORT_FIELD_MAX);
	put_field(&o, &first, "server", e->server, SHORT_FIELD_MAX);
	put_field(&o, &first, "protocol", e->protocol, SHORT_FIELD_MAX);
	put_field(&o, &first, "qname", e->qname, NAME_FIELD_MAX);
	put_field(&o, &first, "url", e->url, NAME_FIELD_MAX);
	put_field(&o, &first, "qtype", e->qtype, SHORT_FIELD_MAX);
	put_field(&o, &first, "rule", e->rule, NAME_FIELD_MAX);
	put_field(&o, &first, "category", e->category, SHORT_FIELD_MAX);
	nf = e->feeds ? e->n_feeds : 0;
	if (nf > 0) {
		bool any = false;

		put(&o, ",\"feeds\":[", 10);
		for (size_t i = 0; i < nf && i < FEEDS_MAX; i++) {
			if (!e->feeds[i])
				continue;
			if (any)
				put(&o, ",", 1);
			any = true;
			put_json_str(&o, e->feeds[i], FEED_FIELD_MAX);
		}
		put(&o, "]", 1);
	}
	put_field(&o, &first, "action", e->action, SHORT_FIELD_MAX);
	put_field(&o, &first, "reason", e->reason, SHORT_FIELD_MAX);
	put(&o, "}\n", 2);
	if (o.full)
		return -ENOSPC;
	if (o.len < cap)
		buf[o.len] = '\0';
	return (int)o.len;
}

/* --- the sink -------------------------------------------------------------- */

static int open_path(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	return fd < 0 ? -errno : fd;
}

int fz_events_open(const char *path, struct fz_events **ret)
{
	struct fz_events *ev;
	pthread_rwlockattr_t attr;
	int r;

	if (!path || !*path || !ret)
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	if (strcmp(path, "-") == 0) {
		ev->is_stdout = true;
		ev->fd = STDOUT_FILENO;
	} else {
		ev->path = strdup(path);
		if (!ev->path) {
			free(ev);
			return -ENOMEM;
		}
		ev->fd = open_path(path);
		if (ev->fd < 0) {
			r = ev->fd;
			free(ev->path);
			free(ev);
			return r;
		}
	}
	/* A reopen must not wait behind an endless stream of writers. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	r = pthread_rwlock_init(&ev->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (r != 0) {
		if (!ev->is_stdout)
			close(ev->fd);
		free(ev->path);
		free(ev);
		return -r;
	}
	*ret = ev;
	return 0;
}

int fz_events_reopen(struct fz_events *ev)
{
	int fd, old;

	if (!ev)
		return -EINVAL;
	if (ev->is_stdout)
		return 0;
	fd = open_path(ev->path);
	if (fd < 0)
		return fd; /* keep writing to the old file */
	pthread_rwlock_wrlock(&ev->lock);
	old = ev->fd;
	ev->fd = fd;
	pthread_rwlock_unlock(&ev->lock);
	close(old);
	return 0;
}

void fz_events_close(struct fz_events *ev)
{
	if (!ev)
		return;
	if (!ev->is_stdout && ev->fd >= 0)
		close(ev->fd);
	pthread_rwlock_destroy(&ev->lock);
	free(ev->path);
	free(ev);
}

int fz_events_write(struct fz_events *ev, const struct fz_event *e)
{
	char line[LINE_MAX_BYTES];
	size_t off = 0;
	int n, r = 0;

	if (!ev)
		return -EINVAL;
	n = fz_event_format(e, line, sizeof(line));
	if (n < 0)
		return n;
	pthread_rwlock_rdlock(&ev->lock);
	while (off < (size_t)n) {
		ssize_t w = write(ev->fd, line + off, (size_t)n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (w == 0) {
			r = -EIO;
			break;
		}
		/* A short write (a full disk): the rest follows rather than a cut line. */
		off += (size_t)w;
	}
	pthread_rwlock_unlock(&ev->lock);
	return r;
}
