/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hosts files: "address name [name ...] [# comment]".
 *
 * The address is read only to tell a hosts line from anything else: every
 * listed name becomes an exact block rule with the resolver's default policy.
 * Sinkhole addresses (0.0.0.0, the "0" shorthand, 127.0.0.0/8, ::, ::1) are
 * what blocklists use. A line with another address ("1.2.3.4 evil.example")
 * is, in a blocklist, still a listing of that name: some lists redirect to a
 * block page. We block the name as well; we do not answer with the listed
 * address, because a feed must never be able to steer clients somewhere.
 *
 * Names the machine uses for itself (localhost, broadcasthost, ...) appear in
 * the preamble of many lists; they are skipped and reported, never blocked.
 *
 * A line with one word and no address: when that word is a valid name with
 * at least one dot, the list is a hosts file with some plain-domain lines
 * mixed in, and the name is taken like a domains line (exact). Any other
 * one-word line is rejected.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_name.h"
#include "fz_parse_impl.h"

/* Longest address token we try to read: an IPv6 address with a zone. */
#define HOSTS_ADDR_MAX 64

enum hosts_addr {
	HOSTS_ADDR_NONE = 0, /* not an address */
	HOSTS_ADDR_SINKHOLE,
	HOSTS_ADDR_OTHER,
};

static enum hosts_addr hosts_addr_classify(const char *s, size_t len)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t zero[15];
	char buf[HOSTS_ADDR_MAX];
	uint8_t a[16];

	if (len == 1 && s[0] == '0')
		return HOSTS_ADDR_SINKHOLE;
	if (len == 0 || len >= sizeof(buf))
		return HOSTS_ADDR_NONE;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1)
		return (a[0] == 0 || a[0] == 127) ? HOSTS_ADDR_SINKHOLE : HOSTS_ADDR_OTHER;

	/* A zone index ("fe80::1%lo0") belongs to IPv6 only. */
	char *pct = memchr(buf, '%', len);
	if (pct && memchr(buf, ':', (size_t)(pct - buf)))
		*pct = '\0';
	if (inet_pton(AF_INET6, buf, a) != 1)
		return HOSTS_ADDR_NONE;
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return HOSTS_ADDR_SINKHOLE;
	if (memcmp(a, v4mapped, 12) == 0 && (a[12] == 0 || a[12] == 127))
		return HOSTS_ADDR_SINKHOLE;
	return HOSTS_ADDR_OTHER;
}

/* Next whitespace-separated token of [*p, end); false when none is left. */
static bool hosts_token(const char **p, const char *end, const char **tok, size_t *tok_len)
{
	const char *s = *p;

	while (s < end && fz_is_space(*s))
		s++;
	if (s == end)
		return false;
	const char *e = s;
	while (e < end && !fz_is_space(*e))
		e++;
	*tok = s;
	*tok_len = (size_t)(e - s);
	*p = e;
	return true;
}

/* A lone word that is plainly a domain name: valid, with at least one dot. */
static bool hosts_is_bare_domain(const char *s, size_t len)
{
	char out[FZ_NAME_BUF];
	size_t out_len;

	if (fz_name_normalize(s, len, 0, out, &out_len, NULL) != FZ_NAME_OK)
		return false;
	return memchr(out, '.', out_len) != NULL;
}

static int hosts_line(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t lineno,
		      const char *line, size_t len)
{
	const char *text = line, *p, *end, *tok;
	size_t text_len = len, tok_len;
	int rc;

	/* '#' starts a comment anywhere ("127.0.0.1 a.example #-> 说明"). */
	const char *hash = memchr(line, '#', len);
	if (hash)
		len = (size_t)(hash - line);
	fz_trim(&line, &len);
	if (len == 0)
		return 0;
	fz_trim(&text, &text_len);

	p = line;
	end = line + len;
	hosts_token(&p, end, &tok, &tok_len);
	enum hosts_addr addr = hosts_addr_classify(tok, tok_len);

	if (addr == HOSTS_ADDR_NONE) {
		const char *more;
		size_t more_len;

		if (hosts_token(&p, end, &more, &more_len))
			return fz_parse_problem(r, lineno, FZ_PROBLEM_REJECTED,
						"hosts: the first field is not an IP address", text,
						text_len);
		if (fz_name_is_local_alias(tok, tok_len))
			return fz_parse_problem(r, lineno, FZ_PROBLEM_SKIPPED,
						"hosts: a name the machine uses for itself "
						"(localhost, ...) is never blocked",
						text, text_len);
		if (!hosts_is_bare_domain(tok, tok_len))
			return fz_parse_problem(r, lineno, FZ_PROBLEM_REJECTED,
						"hosts: a single word that is neither an address "
						"line nor a domain name",
						text, text_len);
		return fz_parse_add_name(r, o, lineno, tok, tok_len, false, FZ_ACTION_BLOCK,
					 FZ_MATCH_EXACT, FZ_POLICY_DEFAULT);
	}

	bool any = false;
	while (hosts_token(&p, end, &tok, &tok_len)) {
		any = true;
		if (fz_name_is_local_alias(tok, tok_len)) {
			rc = fz_parse_problem(r, lineno, FZ_PROBLEM_SKIPPED,
					      "hosts: a name the machine uses for itself "
					      "(localhost, ...) is never blocked",
					      tok, tok_len);
		} else {
			rc = fz_parse_add_name(r, o, lineno, tok, tok_len, false, FZ_ACTION_BLOCK,
					       FZ_MATCH_EXACT, FZ_POLICY_DEFAULT);
		}
		if (rc < 0)
			return rc;
	}
	if (!any)
		return fz_parse_problem(r, lineno, FZ_PROBLEM_REJECTED,
					"hosts: an address with no host name after it", text,
					text_len);
	return 0;
}

int fz_parse_hosts(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		   struct fz_parse_result *r)
{
	return fz_parse_each_line(d, n, o, r, hosts_line);
}
