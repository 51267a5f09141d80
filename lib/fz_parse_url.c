/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * URL feeds: plain URL lists (one URL a line) and CSV exports (URLhaus,
 * phishunt, TweetFeed, the urlhaus-filter Splunk lookup).
 *
 * A URL becomes a URL rule: the normalized host plus a path prefix. It never
 * becomes a name rule, so a URL list never blocks its host as a whole (a
 * phishing page on a shared host must not take the host down). A URL whose
 * host is an IP address becomes an address rule for that address.
 *
 * Choices made on the real feeds (see /work/shared/data/SOURCES.md):
 *  - A line with a space inside is refused, not cut at the space: in
 *    urls-urlscans.txt such lines are two URLs, a URL plus prose, or a URL
 *    broken by a space ("https://sndflw.com/i/super- interessado-ao"). Cutting
 *    would widen the rule to a shorter prefix the feed never named.
 *  - A literal "\r\n" (backslash text) is refused: it is an extraction
 *    left-over and the URL around it is garbled (fz_url.c refuses '\').
 *  - "&amp;" is decoded to "&": feeds scraped from HTML carry the entity
 *    where the browser sent '&' (urls-phishingdatabase-active.txt).
 *  - Bytes >= 0x80 in a path are percent-encoded as a browser sends them.
 *  - A host with invisible characters (soft hyphen, zero-width joiners,
 *    BOM) is refused: "o&shy;nlyf&shy;an&shy;s.&shy;c&shy;om" in
 *    urls-urlscans.txt is text made unclickable on purpose; IDNA would map it
 *    to a different host than the feed literally wrote.
 *  - A host of one label ("owa/index.php", "pc" in
 *    urls-phishingdatabase-invalid.txt) is refused: no public web host has
 *    no dot, and such lines are relative paths or words.
 *  - CSV: a row whose "url_status" column says "offline" (URLhaus full
 *    dumps) is skipped: the URL no longer serves anything.
 *  - CSV: a TweetFeed "domain" indicator becomes an EXACT name block (the
 *    reported name only); "ip" an address rule; file hashes are skipped.
 *  - Hosts in the WHATWG numeric forms ("http://0x2501c8ed") are refused:
 *    only dotted IPv4 and IPv6 literals become address rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_name.h"
#include "fz_parse_impl.h"
#include "fz_url.h"

/* Longest CSV line we read; URL feeds have rows of a few hundred bytes. */
#define FZ_CSV_LINE_MAX 16384
/* Columns we look at; later columns are ignored. */
#define FZ_CSV_FIELDS_MAX 64

/* ---- URL rules ---------------------------------------------------------- */

/* U+00AD, U+200B..U+200D, U+2060, U+FEFF in UTF-8. */
static bool has_invisible(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] == 0xad)
			return true;
		if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 && p[i + 2] >= 0x8b &&
		    p[i + 2] <= 0x8d)
			return true;
		if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x81 && p[i + 2] == 0xa0)
			return true;
		if (p[i] == 0xef && i + 2 < len && p[i + 1] == 0xbb && p[i + 2] == 0xbf)
			return true;
	}
	return false;
}

/* An IP-literal host: dotted IPv4 or IPv6 (brackets and zone id refused). */
static int host_ip_rule(struct fz_parse_result *r, uint32_t line, const char *host, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	uint8_t addr[16];

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf) || memchr(host, '\0', len))
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED,
					"IP address host in a form we do not read", host, len);
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		return fz_parse_add_ip(r, line, AF_INET, addr, 32, FZ_ACTION_BLOCK);
	if (inet_pton(AF_INET6, buf, addr) == 1)
		return fz_parse_add_ip(r, line, AF_INET6, addr, 128, FZ_ACTION_BLOCK);
	return fz_parse_problem(
	    r, line, FZ_PROBLEM_REJECTED,
	    "IP address host in a form we do not read (only dotted IPv4 and IPv6)", host, len);
}

static bool path_bad_char(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '\\';
}

/*
 * Build the rule's path prefix into out (FZ_URL_PATH_MAX bytes): a leading
 * '/', no fragment, "&amp;" decoded, bytes >= 0x80 percent-encoded.
 * Returns the length, or 0 with *reason set.
 */
static size_t build_path(const char *path, size_t len, char *out, const char **reason)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	const char *hash = memchr(path, '#', len);
	if (hash)
		len = (size_t)(hash - path);
	if (len == 0 || path[0] != '/')
		out[n++] = '/';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (path_bad_char(c)) {
			*reason = "URL path contains a space, control or stray character";
			return 0;
		}
		if (c == '&' && len - i >= 5 && memcmp(path + i, "&amp;", 5) == 0)
			i += 4;
		if (c >= 0x80) {
			if (n + 3 > FZ_URL_PATH_MAX)
				goto too_long;
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			if (n + 1 > FZ_URL_PATH_MAX)
				goto too_long;
			out[n++] = (char)c;
		}
	}
	return n;
too_long:
	*reason = "URL path longer than 2048 bytes";
	return 0;
}

int fz_parse_add_host_path(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
			   const char *host, size_t host_len, const char *path, size_t path_len)
{
	char name[FZ_NAME_BUF];
	char pbuf[FZ_URL_PATH_MAX];
	const char *reason = NULL;
	size_t nlen = 0;

	if (host_len == 0)
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED, "URL has no host", path,
					path_len);
	if (host_len > FZ_NAME_INPUT_MAX)
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED,
					fz_name_strerror(FZ_NAME_TOO_LONG), host, host_len);
	if (fz_name_is_ip_literal(host, host_len))
		return host_ip_rule(r, line, host, host_len);
	if (has_invisible(host, host_len))
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED,
					"invisible characters in URL host (obfuscated text)", host,
					host_len);
	int st = fz_name_normalize(host, host_len, 0, name, &nlen, NULL);
	if (st != FZ_NAME_OK)
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED, fz_name_strerror(st), host,
					host_len);
	/* "owa/index.php", "pc": a bare word is junk, not a public web host. */
	if (!memchr(name, '.', nlen))
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED,
					"URL host is a single label (no dot)", host, host_len);
	size_t plen = build_path(path, path_len, pbuf, &reason);
	if (plen == 0)
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED, reason, path, path_len);
	int rc = fz_parse_commit_url(r, line, name, nlen, pbuf, plen);
	if (rc == -EINVAL)
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED, "URL host or path too long",
					host, host_len);
	return rc;
}

int fz_parse_add_url(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
		     const char *url, size_t len)
{
	struct fz_url u;
	char pbuf[FZ_URL_PATH_MAX + 1];

	int st = fz_url_split(url, len, &u);
	if (st != FZ_URL_OK)
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED, fz_url_strerror(st), url,
					len);
	if ((uintptr_t)u.path < (uintptr_t)url || (uintptr_t)u.path >= (uintptr_t)(url + len)) {
		/*
		 * No '/' after the host. The split gives "/"; put back a
		 * query that follows the host directly ("host?q" is "/?q").
		 */
		const char *end = url + len;
		const char *p = u.host + u.host_len;
		while (p < end && *p != '?' && *p != '#')
			p++;
		if (p < end && *p == '?') {
			const char *q_end = memchr(p, '#', (size_t)(end - p));
			size_t qlen = (size_t)((q_end ? q_end : end) - p);
			if (qlen + 1 > FZ_URL_PATH_MAX)
				return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED,
							fz_url_strerror(FZ_URL_TOO_LONG), url, len);
			pbuf[0] = '/';
			memcpy(pbuf + 1, p, qlen);
			return fz_parse_add_host_path(r, o, line, u.host, u.host_len, pbuf,
						      qlen + 1);
		}
	}
	return fz_parse_add_host_path(r, o, line, u.host, u.host_len, u.path, u.path_len);
}

/* ---- URL lists ---------------------------------------------------------- */

int fz_parse_urls(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		  struct fz_parse_result *r)
{
	struct fz_lines it;
	const char *s;
	size_t len;

	fz_lines_init(&it, d, n);
	while (fz_lines_next(&it, &s, &len)) {
		fz_trim(&s, &len);
		if (len == 0 || s[0] == '#')
			continue;
		int rc = fz_parse_add_url(r, o, it.lineno, s, len);
		if (rc < 0)
			return rc == -E2BIG ? 0 : rc;
	}
	return 0;
}

/* ---- CSV ----------------------------------------------------------------- */

struct csv_row {
	char buf[FZ_CSV_LINE_MAX];
	const char *f[FZ_CSV_FIELDS_MAX];
	size_t flen[FZ_CSV_FIELDS_MAX];
	size_t n; /* fields seen (may exceed FZ_CSV_FIELDS_MAX; only those are kept) */
};

/*
 * Split one CSV line (RFC 4180 without line breaks inside quotes: no URL
 * feed has them, and a stray quote must not swallow the rest of the file).
 * Quoted fields are unescaped into row->buf. Returns NULL or a reason.
 */
static const char *csv_split(const char *s, size_t len, struct csv_row *row)
{
	size_t i = 0, out = 0;

	if (len > sizeof(row->buf))
		return "CSV row longer than 16384 bytes";
	row->n = 0;
	for (;;) {
		size_t start = out;
		if (i < len && s[i] == '"') {
			i++;
			for (;;) {
				if (i >= len)
					return "unterminated quoted CSV field";
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"') {
						row->buf[out++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				row->buf[out++] = s[i++];
			}
			if (i < len && s[i] != ',')
				return "text after a closing quote in a CSV field";
		} else {
			while (i < len && s[i] != ',')
				row->buf[out++] = s[i++];
		}
		if (row->n < FZ_CSV_FIELDS_MAX) {
			row->f[row->n] = row->buf + start;
			row->flen[row->n] = out - start;
		}
		row->n++;
		if (i >= len)
			break;
		i++; /* the comma */
	}
	return NULL;
}

static void field_trim(struct csv_row *row, size_t k, const char **s, size_t *len)
{
	*s = row->f[k];
	*len = row->flen[k];
	fz_trim(s, len);
}

enum csv_layout {
	CSV_NONE = 0,
	CSV_URL,       /* one column holds the URL */
	CSV_HOST_PATH, /* host and path columns (urlhaus-filter Splunk lookup) */
	CSV_TYPE_VALUE /* indicator type and value (TweetFeed) */
};

struct csv_cols {
	enum csv_layout layout;
	int url, host, path, type, value, status;
};

static int find_col(struct csv_row *row, const char *const *names)
{
	size_t n = row->n < FZ_CSV_FIELDS_MAX ? row->n : FZ_CSV_FIELDS_MAX;
	for (const char *const *nm = names; *nm; nm++)
		for (size_t k = 0; k < n; k++) {
			const char *s;
			size_t len;
			field_trim(row, k, &s, &len);
			if (fz_eq_nocase(s, len, *nm))
				return (int)k;
		}
	return -1;
}

/* A header names its columns: the ones we use decide the layout. */
static bool csv_header(struct csv_row *row, struct csv_cols *c)
{
	static const char *const url_names[] = {"url", "uri", "link", NULL};
	static const char *const host_names[] = {"host", "hostname", NULL};
	static const char *const path_names[] = {"path", NULL};
	static const char *const type_names[] = {"type", NULL};
	static const char *const value_names[] = {"value", NULL};
	static const char *const status_names[] = {"url_status", NULL};
	struct csv_cols t = {CSV_NONE, -1, -1, -1, -1, -1, -1};

	t.url = find_col(row, url_names);
	t.host = find_col(row, host_names);
	t.path = find_col(row, path_names);
	t.type = find_col(row, type_names);
	t.value = find_col(row, value_names);
	t.status = find_col(row, status_names);
	if (t.url >= 0)
		t.layout = CSV_URL;
	else if (t.host >= 0 && t.path >= 0)
		t.layout = CSV_HOST_PATH;
	else if (t.type >= 0 && t.value >= 0)
		t.layout = CSV_TYPE_VALUE;
	else
		return false;
	*c = t;
	return true;
}

static bool is_indicator_type(const char *s, size_t len)
{
	static const char *const types[] = {"url",  "domain", "ip",	  "md5",
					    "sha1", "sha256", "hostname", NULL};
	for (const char *const *t = types; *t; t++)
		if (fz_eq_nocase(s, len, *t))
			return true;
	return false;
}

static bool starts_http(const char *s, size_t len)
{
	return (len > 7 && fz_eq_nocase(s, 7, "http://")) ||
	       (len > 8 && fz_eq_nocase(s, 8, "https://"));
}

/*
 * No header: TweetFeed's month.csv is "date,user,type,value,tags,tweet_url";
 * otherwise take the first column that holds an http(s) URL.
 */
static bool csv_guess(struct csv_row *row, struct csv_cols *c)
{
	struct csv_cols t = {CSV_NONE, -1, -1, -1, -1, -1, -1};
	size_t n = row->n < FZ_CSV_FIELDS_MAX ? row->n : FZ_CSV_FIELDS_MAX;
	const char *s;
	size_t len;

	if (n >= 4) {
		field_trim(row, 2, &s, &len);
		if (is_indicator_type(s, len)) {
			t.layout = CSV_TYPE_VALUE;
			t.type = 2;
			t.value = 3;
			*c = t;
			return true;
		}
	}
	for (size_t k = 0; k < n; k++) {
		field_trim(row, k, &s, &len);
		if (starts_http(s, len)) {
			t.layout = CSV_URL;
			t.url = (int)k;
			*c = t;
			return true;
		}
	}
	return false;
}

static int add_ip_value(struct fz_parse_result *r, uint32_t line, const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	uint8_t addr[16];
	unsigned prefix = 0;
	bool has_prefix = false;

	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	if (slash) {
		size_t k = alen + 1;
		has_prefix = k < len;
		for (; k < len; k++) {
			if (s[k] < '0' || s[k] > '9' || prefix > 128) {
				has_prefix = false;
				break;
			}
			prefix = prefix * 10 + (unsigned)(s[k] - '0');
		}
		if (!has_prefix)
			goto bad;
	}
	if (alen == 0 || alen >= sizeof(buf) || memchr(s, '\0', alen))
		goto bad;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1) {
		if (has_prefix && (prefix < 1 || prefix > 32))
			goto bad;
		return fz_parse_add_ip(r, line, AF_INET, addr, has_prefix ? prefix : 32,
				       FZ_ACTION_BLOCK);
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		if (has_prefix && (prefix < 1 || prefix > 128))
			goto bad;
		return fz_parse_add_ip(r, line, AF_INET6, addr, has_prefix ? prefix : 128,
				       FZ_ACTION_BLOCK);
	}
bad:
	return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED, "not an IP address or prefix", s,
				len);
}

/*
 * One indicator of a type/value feed. A "domain" indicator becomes an EXACT
 * block of that name (the reported name only, not its subdomains: the feed
 * is community-reported and often names hosts under shared services such as
 * duckdns.org or vercel.app). "ip" becomes an address rule; file hashes are
 * skipped.
 */
static int csv_indicator(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
			 const char *type, size_t tlen, const char *v, size_t vlen)
{
	if (fz_eq_nocase(type, tlen, "url"))
		return fz_parse_add_url(r, o, line, v, vlen);
	if (fz_eq_nocase(type, tlen, "domain") || fz_eq_nocase(type, tlen, "hostname"))
		return fz_parse_add_name(r, o, line, v, vlen, false, FZ_ACTION_BLOCK,
					 FZ_MATCH_EXACT, FZ_POLICY_DEFAULT);
	if (fz_eq_nocase(type, tlen, "ip") || fz_eq_nocase(type, tlen, "ipv4") ||
	    fz_eq_nocase(type, tlen, "ipv6"))
		return add_ip_value(r, line, v, vlen);
	if (fz_eq_nocase(type, tlen, "md5") || fz_eq_nocase(type, tlen, "sha1") ||
	    fz_eq_nocase(type, tlen, "sha256"))
		return fz_parse_problem(r, line, FZ_PROBLEM_SKIPPED,
					"file hash indicator, not a network rule", v, vlen);
	return fz_parse_problem(r, line, FZ_PROBLEM_SKIPPED, "unknown indicator type", type, tlen);
}

static bool need_col(const struct csv_row *row, int col)
{
	return col < 0 || (size_t)col < row->n;
}

static int csv_row_rule(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
			struct csv_row *row, const struct csv_cols *c)
{
	const char *s, *t;
	size_t len, tlen;

	if (c->status >= 0 && (size_t)c->status < row->n) {
		field_trim(row, (size_t)c->status, &s, &len);
		if (fz_eq_nocase(s, len, "offline")) {
			if (c->url >= 0 && (size_t)c->url < row->n)
				field_trim(row, (size_t)c->url, &s, &len);
			return fz_parse_problem(r, line, FZ_PROBLEM_SKIPPED,
						"URL reported offline by the feed", s, len);
		}
	}
	switch (c->layout) {
	case CSV_URL:
		if (!need_col(row, c->url))
			break;
		field_trim(row, (size_t)c->url, &s, &len);
		if (len == 0)
			return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED, "empty URL field",
						NULL, 0);
		if (fz_eq_nocase(s, len, "url"))
			return 0; /* a repeated header (concatenated exports) */
		return fz_parse_add_url(r, o, line, s, len);
	case CSV_HOST_PATH:
		if (!need_col(row, c->host) || !need_col(row, c->path))
			break;
		field_trim(row, (size_t)c->host, &s, &len);
		field_trim(row, (size_t)c->path, &t, &tlen);
		if (fz_eq_nocase(s, len, "host") && fz_eq_nocase(t, tlen, "path"))
			return 0;
		return fz_parse_add_host_path(r, o, line, s, len, t, tlen);
	case CSV_TYPE_VALUE:
		if (!need_col(row, c->type) || !need_col(row, c->value))
			break;
		field_trim(row, (size_t)c->type, &t, &tlen);
		field_trim(row, (size_t)c->value, &s, &len);
		if (fz_eq_nocase(t, tlen, "type") && fz_eq_nocase(s, len, "value"))
			return 0;
		if (len == 0)
			return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED,
						"empty indicator value", NULL, 0);
		return csv_indicator(r, o, line, t, tlen, s, len);
	case CSV_NONE:
		break;
	}
	return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED,
				"CSV row has fewer columns than the header", row->f[0],
				row->flen[0]);
}

int fz_parse_csv(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		 struct fz_parse_result *r)
{
	struct fz_lines it;
	struct csv_cols cols = {CSV_NONE, -1, -1, -1, -1, -1, -1};
	bool have_layout = false, no_layout = false, seen_data = false;
	const char *s;
	size_t len;
	int rc = 0;

	struct csv_row *row = malloc(sizeof(*row));
	if (!row)
		return -ENOMEM;
	fz_lines_init(&it, d, n);
	while (fz_lines_next(&it, &s, &len)) {
		fz_trim(&s, &len);
		if (len == 0)
			continue;
		if (s[0] == '#') {
			/*
			 * Comments, but URLhaus comments its header out
			 * ("# id,dateadded,url,..."): before any data, a
			 * commented line naming our columns is the header.
			 */
			if (!have_layout && !seen_data) {
				const char *h = s + 1;
				size_t hlen = len - 1;
				fz_trim(&h, &hlen);
				if (!csv_split(h, hlen, row) && csv_header(row, &cols))
					have_layout = true;
			}
			continue;
		}
		const char *why = csv_split(s, len, row);
		if (why) {
			rc = fz_parse_problem(r, it.lineno, FZ_PROBLEM_REJECTED, why, s, len);
			if (rc < 0)
				break;
			continue;
		}
		if (!have_layout && !seen_data) {
			seen_data = true;
			if (csv_header(row, &cols)) {
				have_layout = true;
				continue;
			}
			if (csv_guess(row, &cols))
				have_layout = true;
			else
				no_layout = true;
		}
		seen_data = true;
		if (no_layout) {
			rc = fz_parse_problem(r, it.lineno, FZ_PROBLEM_REJECTED,
					      "CSV without a url, host/path or type/value column",
					      s, len);
		} else {
			rc = csv_row_rule(r, o, it.lineno, row, &cols);
		}
		if (rc < 0)
			break;
	}
	free(row);
	return rc == -E2BIG ? 0 : rc;
}
