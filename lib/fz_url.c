/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * URL splitting: "http(s)://user@host:port/path?query#fragment" into the
 * host and the path a rule can use.
 *
 * What we accept, and why:
 *  - the schemes http and https (any case), no scheme ("host/path"), or a
 *    scheme-relative "//host/path". Like a browser, "http:host" and
 *    "http:///host" are read as "http://host". Any other scheme (ftp:,
 *    javascript:, data:, mailto:, ...) is refused: it is not web traffic we
 *    can match.
 *  - userinfo is dropped (the last '@' of the authority ends it, as in a
 *    browser, so "http://good.com@evil.com/" is evil.com).
 *  - a port must be 1..65535; an empty port ("host:/") means the default.
 *  - an IPv6 literal must be in brackets; the brackets are removed.
 *  - the fragment never reaches the server, so it is never part of the path.
 *  - the query is kept in the path. When the query follows the host directly
 *    ("host?q") there is no '/' in the input to point at, so the path is
 *    "/" (a superset of "/?q"); fz_parse_add_url() puts the query back.
 *
 * Refused as BAD_CHAR: ASCII controls, spaces and DEL anywhere (in a feed
 * they mean two URLs or trailing prose on one line), and the characters
 * '"', '<', '>', '`' and '\' which a browser would never send raw: in feeds
 * they are left-overs of HTML or CSV extraction. Bytes >= 0x80 are left to
 * the caller (IDN hosts, UTF-8 paths).
 *
 * Pure and bounded: no allocation, one pass over the input.
 */
#include <string.h>

#include "fz_name.h"
#include "fz_url.h"

static bool url_bad_char(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '\\';
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool prefix_ci(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != (unsigned char)p[i])
			return false;
	return true;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * If `s` starts with "scheme:", return the length of the scheme (without
 * the ':'), else 0. A scheme is ALPHA *(ALPHA / DIGIT / "+" / "-" / ".").
 */
static size_t scheme_len(const char *s, size_t len)
{
	if (len == 0 || !is_alpha((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':')
			return i;
		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

/* True when s[0..len) is "digits" up to the end of the authority. */
static bool looks_like_port(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && is_digit((unsigned char)s[i]))
		i++;
	return i > 0 && (i == len || s[i] == '/' || s[i] == '?' || s[i] == '#');
}

static int parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;
	if (len == 0) {
		*port = 0;
		return FZ_URL_OK;
	}
	for (size_t i = 0; i < len; i++) {
		if (!is_digit((unsigned char)s[i]))
			return FZ_URL_BAD_PORT;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535)
			return FZ_URL_BAD_PORT;
	}
	if (v == 0)
		return FZ_URL_BAD_PORT;
	*port = (uint16_t)v;
	return FZ_URL_OK;
}

int fz_url_split(const char *s, size_t len, struct fz_url *u)
{
	struct fz_url out = {0};
	size_t i = 0;

	if (!s || len == 0)
		return FZ_URL_EMPTY;
	for (size_t k = 0; k < len; k++)
		if (url_bad_char((unsigned char)s[k]))
			return FZ_URL_BAD_CHAR;

	size_t sl = scheme_len(s, len);
	if (sl > 0) {
		const char *after = s + sl + 1;
		size_t rest = len - sl - 1;
		if ((sl == 4 && prefix_ci(s, len, "http:")) ||
		    (sl == 5 && prefix_ci(s, len, "https:"))) {
			out.has_scheme = true;
			i = sl + 1;
			while (i < len && s[i] == '/')
				i++;
		} else if (rest >= 2 && after[0] == '/' && after[1] == '/') {
			return FZ_URL_BAD_SCHEME;
		} else if (looks_like_port(after, rest)) {
			/* "host:8080/path": a scheme-less host with a port. */
			i = 0;
		} else if (!memchr(s, '.', sl)) {
			/* "javascript:...", "data:...", "mailto:..." */
			return FZ_URL_BAD_SCHEME;
		} else {
			/* "evil.com:abc": a host with a bad port, found below. */
			i = 0;
		}
	} else if (len >= 2 && s[0] == '/' && s[1] == '/') {
		i = 2;
	} else if (s[0] == '/') {
		return FZ_URL_NO_HOST; /* a relative path */
	}

	/* The authority runs to the first '/', '?' or '#'. */
	size_t a = i;
	while (i < len && s[i] != '/' && s[i] != '?' && s[i] != '#')
		i++;
	size_t a_end = i;

	/* Userinfo ends at the last '@'. */
	for (size_t k = a_end; k > a; k--) {
		if (s[k - 1] == '@') {
			a = k;
			break;
		}
	}
	if (a == a_end)
		return FZ_URL_NO_HOST;

	const char *host;
	size_t host_len;
	const char *port_s = NULL;
	size_t port_len = 0;
	if (s[a] == '[') {
		const char *close = memchr(s + a, ']', a_end - a);
		if (!close)
			return FZ_URL_BAD_CHAR;
		host = s + a + 1;
		host_len = (size_t)(close - host);
		size_t k = (size_t)(close - s) + 1;
		if (k < a_end) {
			if (s[k] != ':')
				return FZ_URL_BAD_CHAR;
			port_s = s + k + 1;
			port_len = a_end - k - 1;
		}
		if (host_len == 0)
			return FZ_URL_NO_HOST;
		/* Brackets hold an IPv6 address and nothing else (RFC 3986 IP-literal). */
		for (size_t k2 = 0; k2 < host_len; k2++) {
			unsigned char c = (unsigned char)host[k2];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			      (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
				return FZ_URL_BAD_CHAR;
		}
		if (!memchr(host, ':', host_len))
			return FZ_URL_BAD_CHAR;
	} else {
		const char *colon = memchr(s + a, ':', a_end - a);
		host = s + a;
		host_len = colon ? (size_t)(colon - host) : a_end - a;
		if (colon) {
			port_s = colon + 1;
			port_len = (size_t)(s + a_end - port_s);
		}
		if (memchr(host, '[', host_len) || memchr(host, ']', host_len))
			return FZ_URL_BAD_CHAR;
		if (host_len == 0)
			return FZ_URL_NO_HOST;
	}
	if (host_len > FZ_NAME_INPUT_MAX)
		return FZ_URL_TOO_LONG;
	if (port_s) {
		int st = parse_port(port_s, port_len, &out.port);
		if (st != FZ_URL_OK)
			return st;
	}

	/* Path (with query) up to the fragment. */
	size_t p = a_end;
	size_t p_end = p;
	while (p_end < len && s[p_end] != '#')
		p_end++;
	if (p < len && s[p] == '/') {
		out.path = s + p;
		out.path_len = p_end - p;
	} else {
		out.path = "/";
		out.path_len = 1;
	}
	if (out.path_len > FZ_URL_PATH_MAX)
		return FZ_URL_TOO_LONG;

	out.host = host;
	out.host_len = host_len;
	*u = out;
	return FZ_URL_OK;
}

const char *fz_url_strerror(int status)
{
	switch (status) {
	case FZ_URL_OK:
		return "ok";
	case FZ_URL_EMPTY:
		return "empty URL";
	case FZ_URL_BAD_SCHEME:
		return "URL scheme is not http or https";
	case FZ_URL_NO_HOST:
		return "URL has no host";
	case FZ_URL_BAD_PORT:
		return "URL port is not a number in 1..65535";
	case FZ_URL_BAD_CHAR:
		return "URL contains a space, control or stray character";
	case FZ_URL_TOO_LONG:
		return "URL host or path too long";
	default:
		return "unknown URL status";
	}
}
