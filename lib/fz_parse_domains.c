/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plain domain lists: one name per line, "#" or "!" comments (whole-line, or
 * after whitespace), an optional leading "*." that makes the rule cover the
 * name's subtree. A name alone is an exact rule; --match subtree turns the
 * list into subtree rules (lists that say "entries block subdomains too").
 *
 * Case, a trailing dot and IDN are the normalizer's business. Here we name
 * the junk that real lists carry (URLs, host:port, query strings, e-mail
 * addresses, hosts or adblock lines in the wrong list) so a person reading
 * the report knows what was wrong, and refuse one-label names: in a domain
 * list they are debris ("cdn-cgi", a CSV header), and with --match subtree
 * they would block a whole top-level domain. "*.tld" says it on purpose and
 * is accepted.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fz_name.h"
#include "fz_parse_impl.h"

static bool dom_has(const char *s, size_t len, char c)
{
	return memchr(s, c, len) != NULL;
}

static bool dom_has_str(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(s + i, needle, n) == 0)
			return true;
	return false;
}

/* Why a token cannot be a domain name, before the normalizer looks at it; NULL if no view. */
static const char *dom_junk_reason(const char *s, size_t len, enum fz_problem_kind *kind)
{
	*kind = FZ_PROBLEM_REJECTED;
	if ((len >= 2 && (memcmp(s, "||", 2) == 0 || memcmp(s, "@@", 2) == 0)) ||
	    (len >= 1 && s[len - 1] == '^'))
		return "domains: an adblock rule in a domain list (use format adblock)";
	if (dom_has_str(s, len, "://"))
		return "domains: a URL, not a domain name";
	if (dom_has(s, len, '@'))
		return "domains: user@host (an e-mail address?) is not a domain name";
	if (dom_has(s, len, '/'))
		return "domains: a path (/) is not part of a domain name";
	if (dom_has(s, len, '?'))
		return "domains: a query string (?) is not part of a domain name";
	if (dom_has(s, len, ':') && !fz_name_is_ip_literal(s, len))
		return "domains: host:port, a port is not part of a domain name";
	if (dom_has(s + 1, len - 1, '*') || (s[0] == '*' && (len < 2 || s[1] != '.'))) {
		*kind = FZ_PROBLEM_SKIPPED;
		return "domains: a wildcard (*) inside a name cannot be expressed as a DNS rule";
	}
	return NULL;
}

/* A valid name as the normalizer sees it (bad ones get its reason later). */
static bool dom_is_name(const char *s, size_t len)
{
	char out[FZ_NAME_BUF];
	size_t out_len;

	return fz_name_normalize(s, len, 0, out, &out_len, NULL) == FZ_NAME_OK;
}

static int dom_line(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t lineno,
		    const char *line, size_t len)
{
	fz_trim(&line, &len);
	if (len == 0 || line[0] == '#' || line[0] == '!')
		return 0;

	const char *text = line;
	size_t text_len = len;

	/* The name, then optional whitespace and a comment. */
	size_t n = 0;
	while (n < len && !fz_is_space(line[n]))
		n++;
	const char *rest = line + n;
	size_t rest_len = len - n;
	fz_trim(&rest, &rest_len);
	if (rest_len > 0 && rest[0] != '#' && rest[0] != '!') {
		const char *reason = fz_name_is_ip_literal(line, n) || (n == 1 && line[0] == '0')
					 ? "domains: an address followed by names: a hosts "
					   "line in a domain list (use format hosts)"
					 : "domains: more than one field on the line";
		return fz_parse_problem(r, lineno, FZ_PROBLEM_REJECTED, reason, text, text_len);
	}

	enum fz_problem_kind kind;
	const char *reason = dom_junk_reason(line, n, &kind);
	if (reason)
		return fz_parse_problem(r, lineno, kind, reason, text, text_len);

	/* One label (no dot inside; a trailing dot does not count) without "*.". */
	size_t inner = n;
	if (inner > 0 && line[inner - 1] == '.')
		inner--;
	if (line[0] != '*' && !dom_has(line, inner, '.') && dom_is_name(line, n))
		return fz_parse_problem(r, lineno, FZ_PROBLEM_REJECTED,
					"domains: a single label is not a host name "
					"(write *.label to block a whole top-level domain)",
					text, text_len);

	return fz_parse_add_name(r, o, lineno, line, n, true, FZ_ACTION_BLOCK, FZ_MATCH_EXACT,
				 FZ_POLICY_DEFAULT);
}

int fz_parse_domains(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		     struct fz_parse_result *r)
{
	return fz_parse_each_line(d, n, o, r, dom_line);
}
