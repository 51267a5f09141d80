/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-feed state files and atomic file writes.
 *
 * The meta file is text, one "key=value" line each, after the line
 * "fangzha-feed-state 1":
 *
 *   has_good=1               0 or 1
 *   sha256=<64 hex digits>   of the last good raw copy (required when has_good=1)
 *   size=<bytes>             of the last good raw copy
 *   entries=<n>
 *   fetched_at=<unix s>      may be negative
 *   etag=<text>              escaped, at most 255 bytes once unescaped
 *   last_modified=<text>     escaped, at most 63 bytes
 *   attempted_at=<unix s>
 *   result=never|fetched|not-modified|failed
 *   error=<text>             escaped, at most 255 bytes
 *   failures=<n>             uint32
 *
 * Text values escape '\' as "\\", LF as "\n" and every other control byte
 * (and DEL) as "\xHH"; other bytes are written as they are, so any byte
 * string without NUL round-trips. The parser takes "\\", "\n" and "\xHH"
 * (either case) and nothing else; "\x00" is refused (the values are C
 * strings).
 *
 * Unknown keys are ignored (a newer program may add some), a repeated key,
 * a line without '=', a bad value, a text longer than its field or a wrong
 * first line make the whole file -EBADMSG: a state we cannot read exactly
 * is never half-trusted. Missing keys keep their zero value.
 *
 * Bounds: the parser refuses a text that does not fit its field (255, 63,
 * 255 bytes) instead of truncating it (a cut ETag would never match). The
 * program fills the fixed arrays itself (snprintf truncates there), and
 * fz_feedstate_format() reads each array only up to its size, so an
 * unterminated array cannot make it read past the field.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fz_feedstate.h"

#define STATE_MAGIC   "fangzha-feed-state 1"
#define META_MAX      (64 * 1024) /* a meta file larger than this is corrupt */
#define META_BUF      4096	  /* enough for the longest meta we write */
#define FEED_NAME_MAX 128

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *fz_feed_result_name(enum fz_feed_result r)
{
	switch (r) {
	case FZ_FEED_NEVER:
		return "never";
	case FZ_FEED_FETCHED:
		return "fetched";
	case FZ_FEED_NOT_MODIFIED:
		return "not-modified";
	case FZ_FEED_FAILED:
		return "failed";
	}
	return "unknown";
}

void fz_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	if (!data)
		data = (const uint8_t *)"";
	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		abort(); /* SHA-256 cannot fail short of a broken libcrypto */
}

/* --- parsing --- */

enum key {
	K_HAS_GOOD,
	K_SHA256,
	K_SIZE,
	K_ENTRIES,
	K_FETCHED_AT,
	K_ETAG,
	K_LAST_MODIFIED,
	K_ATTEMPTED_AT,
	K_RESULT,
	K_ERROR,
	K_FAILURES,
	K_COUNT,
	K_UNKNOWN = K_COUNT,
};

static const char *const key_names[K_COUNT] = {
    [K_HAS_GOOD] = "has_good",
    [K_SHA256] = "sha256",
    [K_SIZE] = "size",
    [K_ENTRIES] = "entries",
    [K_FETCHED_AT] = "fetched_at",
    [K_ETAG] = "etag",
    [K_LAST_MODIFIED] = "last_modified",
    [K_ATTEMPTED_AT] = "attempted_at",
    [K_RESULT] = "result",
    [K_ERROR] = "error",
    [K_FAILURES] = "failures",
};

static enum key key_lookup(const char *k, size_t len)
{
	for (int i = 0; i < K_COUNT; i++)
		if (strlen(key_names[i]) == len && memcmp(key_names[i], k, len) == 0)
			return (enum key)i;
	return K_UNKNOWN;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_u64(const char *v, size_t len, uint64_t max, uint64_t *ret)
{
	uint64_t x = 0;

	if (len == 0 || len > 20)
		return false;
	if (len > 1 && v[0] == '0')
		return false; /* one spelling per number */
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (v[i] < '0' || v[i] > '9')
			return false;
		d = (unsigned)(v[i] - '0');
		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*ret = x;
	return true;
}

static bool parse_i64(const char *v, size_t len, int64_t *ret)
{
	uint64_t x;

	if (len > 0 && v[0] == '-') {
		/* "-0" is refused too: one spelling per number */
		if (!parse_u64(v + 1, len - 1, (uint64_t)INT64_MAX + 1, &x) || x == 0)
			return false;
		*ret = x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x;
		return true;
	}
	if (!parse_u64(v, len, INT64_MAX, &x))
		return false;
	*ret = (int64_t)x;
	return true;
}

/* Unescape v[0..len) into out[cap]; false if malformed or too long. */
static bool parse_text(const char *v, size_t len, char *out, size_t cap, const char **why)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f) {
			*why = "a raw control byte";
			return false;
		}
		if (c == '\\') {
			if (i + 1 >= len) {
				*why = "a '\\' at the end";
				return false;
			}
			c = (unsigned char)v[++i];
			if (c == '\\') {
				c = '\\';
			} else if (c == 'n') {
				c = '\n';
			} else if (c == 'x') {
				int hi, lo;

				if (i + 2 >= len || (hi = hexval((unsigned char)v[i + 1])) < 0 ||
				    (lo = hexval((unsigned char)v[i + 2])) < 0) {
					*why = "a bad \\x escape";
					return false;
				}
				c = (unsigned char)(hi << 4 | lo);
				i += 2;
				if (c == 0) {
					*why = "a NUL byte";
					return false;
				}
			} else {
				*why = "an unknown escape";
				return false;
			}
		}
		if (o + 1 >= cap) {
			*why = "too long";
			return false;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

static int parse_value(enum key k, const char *v, size_t len, struct fz_feed_state *st,
		       const char **why)
{
	uint64_t u;

	*why = "not a valid value";
	switch (k) {
	case K_HAS_GOOD:
		if (len != 1 || (v[0] != '0' && v[0] != '1'))
			return -1;
		st->has_good = v[0] == '1';
		return 0;
	case K_SHA256:
		if (len != 64) {
			*why = "not 64 hex digits";
			return -1;
		}
		for (size_t i = 0; i < 32; i++) {
			int hi = hexval((unsigned char)v[2 * i]);
			int lo = hexval((unsigned char)v[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				*why = "not 64 hex digits";
				return -1;
			}
			st->sha256[i] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	case K_SIZE:
		return parse_u64(v, len, UINT64_MAX, &st->size) ? 0 : -1;
	case K_ENTRIES:
		return parse_u64(v, len, UINT64_MAX, &st->entries) ? 0 : -1;
	case K_FAILURES:
		if (!parse_u64(v, len, UINT32_MAX, &u))
			return -1;
		st->failures = (uint32_t)u;
		return 0;
	case K_FETCHED_AT:
		return parse_i64(v, len, &st->fetched_at) ? 0 : -1;
	case K_ATTEMPTED_AT:
		return parse_i64(v, len, &st->attempted_at) ? 0 : -1;
	case K_ETAG:
		return parse_text(v, len, st->etag, sizeof(st->etag), why) ? 0 : -1;
	case K_LAST_MODIFIED:
		return parse_text(v, len, st->last_modified, sizeof(st->last_modified), why) ? 0
											     : -1;
	case K_ERROR:
		return parse_text(v, len, st->error, sizeof(st->error), why) ? 0 : -1;
	case K_RESULT:
		for (int r = FZ_FEED_NEVER; r <= FZ_FEED_FAILED; r++) {
			const char *name = fz_feed_result_name((enum fz_feed_result)r);

			if (strlen(name) == len && memcmp(name, v, len) == 0) {
				st->result = (enum fz_feed_result)r;
				return 0;
			}
		}
		return -1;
	case K_UNKNOWN:
		return 0;
	}
	return -1;
}

/* The parser; on -EBADMSG, why[] says what is wrong (a phrase). */
static int parse_meta(const uint8_t *data, size_t len, struct fz_feed_state *ret, char *why,
		      size_t whylen)
{
	const char *p = (const char *)data, *end = p + len;
	struct fz_feed_state st;
	unsigned seen = 0;
	unsigned line = 1;
	const char *nl;
	size_t mlen = sizeof(STATE_MAGIC) - 1;

	memset(&st, 0, sizeof(st));
	if (len == 0) {
		set_err(why, whylen, "the file is empty");
		return -EBADMSG;
	}
	if (len < mlen || memcmp(p, STATE_MAGIC, mlen) != 0 || (len > mlen && p[mlen] != '\n')) {
		set_err(why, whylen, "the first line is not \"%s\"", STATE_MAGIC);
		return -EBADMSG;
	}
	p += mlen < len ? mlen + 1 : mlen;
	for (; p < end; p = nl + 1) {
		const char *eq, *v;
		size_t klen, vlen;
		const char *reason;
		enum key k;

		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end; /* the last line may lack its newline */
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq) {
			set_err(why, whylen, "line %u is not key=value", line);
			return -EBADMSG;
		}
		klen = (size_t)(eq - p);
		v = eq + 1;
		vlen = (size_t)(nl - v);
		k = key_lookup(p, klen);
		if (k != K_UNKNOWN) {
			if (seen & (1u << k)) {
				set_err(why, whylen, "line %u repeats %s", line, key_names[k]);
				return -EBADMSG;
			}
			seen |= 1u << k;
		}
		if (parse_value(k, v, vlen, &st, &reason) < 0) {
			set_err(why, whylen, "line %u: %s is %s", line, key_names[k], reason);
			return -EBADMSG;
		}
		if (nl == end)
			break;
	}
	if (st.has_good && !(seen & (1u << K_SHA256))) {
		set_err(why, whylen, "has_good=1 without a sha256");
		return -EBADMSG;
	}
	*ret = st;
	return 0;
}

int fz_feedstate_parse(const uint8_t *data, size_t len, struct fz_feed_state *st)
{
	if (!data && len)
		return -EINVAL;
	return parse_meta(data, len, st, NULL, 0);
}

/* --- formatting --- */

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

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->full = true;
		return;
	}
	put(o, tmp, (size_t)n);
}

static void put_text(struct out *o, const char *key, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap - 1); /* never past the field */

	putf(o, "%s=", key);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			put(o, "\\\\", 2);
		else if (c == '\n')
			put(o, "\\n", 2);
		else if (c < 0x20 || c == 0x7f)
			putf(o, "\\x%02x", c);
		else
			put(o, (const char *)&c, 1);
	}
	put(o, "\n", 1);
}

int fz_feedstate_format(const struct fz_feed_state *st, char *buf, size_t buflen)
{
	struct out o = {.buf = buf, .cap = buflen ? buflen - 1 : 0}; /* room for the NUL */

	if ((unsigned)st->result > FZ_FEED_FAILED)
		return -EINVAL;
	if (!buf || !buflen)
		return -ENOSPC;
	put(&o, STATE_MAGIC "\n", sizeof(STATE_MAGIC));
	putf(&o, "has_good=%d\n", st->has_good ? 1 : 0);
	put(&o, "sha256=", 7);
	for (int i = 0; i < 32; i++)
		putf(&o, "%02x", st->sha256[i]);
	put(&o, "\n", 1);
	putf(&o, "size=%llu\n", (unsigned long long)st->size);
	putf(&o, "entries=%llu\n", (unsigned long long)st->entries);
	putf(&o, "fetched_at=%lld\n", (long long)st->fetched_at);
	put_text(&o, "etag", st->etag, sizeof(st->etag));
	put_text(&o, "last_modified", st->last_modified, sizeof(st->last_modified));
	putf(&o, "attempted_at=%lld\n", (long long)st->attempted_at);
	putf(&o, "result=%s\n", fz_feed_result_name(st->result));
	put_text(&o, "error", st->error, sizeof(st->error));
	putf(&o, "failures=%u\n", (unsigned)st->failures);
	if (o.full || o.len > INT_MAX)
		return -ENOSPC;
	buf[o.len] = '\0';
	return (int)o.len;
}

/* --- files --- */

/* Defence in depth: the config allows [A-Za-z0-9._-]; never a path here. */
static int feed_path(const char *dir, const char *feed, const char *suffix, char *path,
		     size_t pathlen, char *err, size_t errlen)
{
	size_t n;

	if (!dir || !*dir || !feed) {
		set_err(err, errlen, "state: no state directory or feed name");
		return -EINVAL;
	}
	n = strnlen(feed, FEED_NAME_MAX + 1);
	if (n == 0 || n > FEED_NAME_MAX || feed[0] == '.' || strchr(feed, '/')) {
		set_err(err, errlen, "state: refusing the feed name \"%.*s\"", FEED_NAME_MAX, feed);
		return -EINVAL;
	}
	if ((size_t)snprintf(path, pathlen, "%s/%s%s", dir, feed, suffix) >= pathlen) {
		set_err(err, errlen, "state: %s/%s%s: path too long", dir, feed, suffix);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int fz_write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash, *base;
	size_t dlen;
	int fd, dfd, rc;

	if (!path || !*path || (!data && len)) {
		set_err(err, errlen, "cannot write a file: no path");
		return -EINVAL;
	}
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	dlen = slash ? (size_t)(slash - path) : 0;
	if (!*base) {
		set_err(err, errlen, "cannot write %s: not a file name", path);
		return -EINVAL;
	}
	/* The temporary file is a dot file beside the target: same file system. */
	if (snprintf(tmp, sizeof(tmp), "%.*s%s.%s.tmp.XXXXXX", (int)dlen, path, slash ? "/" : "",
		     base) >= (int)sizeof(tmp)) {
		set_err(err, errlen, "cannot write %s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "cannot create a temporary file beside %s: %s", path,
			strerror(-rc));
		return rc;
	}
	rc = write_all(fd, data, len);
	if (rc == 0 && fchmod(fd, 0644) < 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		set_err(err, errlen, "cannot write %s: %s (the previous file is unchanged)", path,
			strerror(-rc));
		return rc;
	}
	/*
	 * Make the rename durable. The new file is in place whatever this
	 * returns, so a failure here is not reported as a failed write.
	 */
	if (dlen == 0 && slash)
		snprintf(dir, sizeof(dir), "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)dlen, path);
	else
		snprintf(dir, sizeof(dir), ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

/*
 * Read a whole regular file of at most `max` bytes into a malloc'd buffer,
 * NUL-terminated past its length. -EFBIG when it is larger.
 */
static int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	struct stat sb;
	uint8_t *buf;
	size_t len = 0, cap;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)sb.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	/* One byte more than expected, to see a file that grew meanwhile. */
	cap = (size_t)sb.st_size + 2;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - 1 - len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap - 1) {
			if (len > max) {
				rc = -EFBIG;
				break;
			}
			uint8_t *nb = realloc(buf, cap * 2);

			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (rc == 0 && len > max)
		rc = -EFBIG;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int fz_feedstate_load(const char *dir, const char *feed, struct fz_feed_state *st, char *err,
		      size_t errlen)
{
	char path[PATH_MAX], why[160];
	uint8_t *data;
	size_t len;
	int rc;

	rc = feed_path(dir, feed, ".meta", path, sizeof(path), err, errlen);
	if (rc < 0)
		return rc;
	rc = read_file(path, META_MAX, &data, &len);
	if (rc == -ENOENT) {
		set_err(err, errlen, "state: %s.meta does not exist", feed);
		return rc;
	}
	if (rc == -EFBIG) {
		set_err(err, errlen,
			"state: %s.meta is corrupt (larger than %d bytes); ignoring it", feed,
			META_MAX);
		return -EBADMSG;
	}
	if (rc < 0) {
		set_err(err, errlen, "state: cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = parse_meta(data, len, st, why, sizeof(why));
	free(data);
	if (rc < 0)
		set_err(err, errlen, "state: %s.meta is corrupt (%s); ignoring it", feed, why);
	return rc;
}

int fz_feedstate_save(const char *dir, const char *feed, const struct fz_feed_state *st, char *err,
		      size_t errlen)
{
	char path[PATH_MAX], buf[META_BUF];
	int rc, n;

	rc = feed_path(dir, feed, ".meta", path, sizeof(path), err, errlen);
	if (rc < 0)
		return rc;
	n = fz_feedstate_format(st, buf, sizeof(buf));
	if (n < 0) {
		set_err(err, errlen, "state: cannot format %s.meta: %s", feed, strerror(-n));
		return n;
	}
	return fz_write_file_atomic(path, buf, (size_t)n, err, errlen);
}

int fz_feedstate_save_raw(const char *dir, const char *feed, const uint8_t *data, size_t len,
			  char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc;

	rc = feed_path(dir, feed, ".raw", path, sizeof(path), err, errlen);
	if (rc < 0)
		return rc;
	return fz_write_file_atomic(path, data, len, err, errlen);
}

int fz_feedstate_read_raw(const char *dir, const char *feed, const struct fz_feed_state *st,
			  uint8_t **ret, size_t *ret_len, char *err, size_t errlen)
{
	char path[PATH_MAX];
	uint8_t sum[32];
	uint8_t *data;
	size_t len;
	int rc;

	rc = feed_path(dir, feed, ".raw", path, sizeof(path), err, errlen);
	if (rc < 0)
		return rc;
	if (!st->has_good) {
		set_err(err, errlen, "state: %s has no good copy recorded", feed);
		return -ENOENT;
	}
	rc =
	    read_file(path, st->size > SIZE_MAX - 2 ? SIZE_MAX - 2 : (size_t)st->size, &data, &len);
	if (rc == -ENOENT) {
		set_err(err, errlen, "state: %s.raw does not exist", feed);
		return rc;
	}
	if (rc == -EFBIG) {
		set_err(err, errlen,
			"state: %s.raw does not match its metadata (size differs); ignoring it",
			feed);
		return -EBADMSG;
	}
	if (rc < 0) {
		set_err(err, errlen, "state: cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	if ((uint64_t)len != st->size) {
		free(data);
		set_err(err, errlen,
			"state: %s.raw does not match its metadata (size differs); ignoring it",
			feed);
		return -EBADMSG;
	}
	fz_sha256(data, len, sum);
	if (memcmp(sum, st->sha256, 32) != 0) {
		free(data);
		set_err(err, errlen,
			"state: %s.raw does not match its metadata (sha256 differs); ignoring it",
			feed);
		return -EBADMSG;
	}
	*ret = data;
	*ret_len = len;
	return 0;
}
