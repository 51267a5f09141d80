/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Adblock Plus / uBlock Origin / AdGuard DNS filter syntax, the part of it a
 * resolver and a URL inspector can honour:
 *
 *   ||name^          block name and everything below it (subtree)
 *   |name^           block exactly name (AdGuard DNS reads a single pipe as
 *                    "the host starts here", which for a host means exact)
 *   @@||name^, @@|name^   the same as allow rules
 *   ||host/path^     a URL rule (host plus path prefix); block only
 *   ||1.2.3.4^       an address rule (/32 or /128)
 *   name, 1.2.3.4    bare lines, as some lists write them: exact name / address
 *   "^|", "|" at the end and a missing "^" change nothing for a host.
 *
 * Comments: "!" lines, "#" lines that are not cosmetic rules, "[Adblock Plus]"
 * style headers. Everything else that is valid syntax but cannot be applied
 * by name, address or URL prefix is skipped and reported with the reason:
 * cosmetic and scriptlet rules, regular expressions, wildcards inside a host,
 * unanchored patterns, exceptions for URL paths, rules for one port, and
 * modifiers that narrow a rule to some sites, clients, request types or
 * record types (or that rewrite rather than block). Harmless modifiers are
 * the ones whose rule still means "this whole site": $important, $all,
 * $document/$doc and $popup.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_name.h"
#include "fz_parse_impl.h"

#define AB_ADDR_MAX 64

struct ab_marker {
	const char *text;
	const char *reason;
};

/* Cosmetic / scriptlet / HTML-filter separators (longest first where they share a start). */
static const struct ab_marker ab_cosmetic[] = {
    {"#@$?#", "adblock: cosmetic exception (#@$?#) cannot be applied by DNS"},
    {"#@?#", "adblock: cosmetic exception (#@?#) cannot be applied by DNS"},
    {"#@$#", "adblock: CSS injection exception (#@$#) cannot be applied by DNS"},
    {"#@%#", "adblock: script exception (#@%#) cannot be applied by DNS"},
    {"#@#", "adblock: cosmetic exception (#@#) cannot be applied by DNS"},
    {"#$?#", "adblock: CSS injection rule (#$?#) cannot be applied by DNS"},
    {"#?#", "adblock: extended cosmetic rule (#?#) cannot be applied by DNS"},
    {"#$#", "adblock: CSS injection rule (#$#) cannot be applied by DNS"},
    {"#%#", "adblock: scriptlet / JavaScript rule (#%#) cannot be applied by DNS"},
    {"##", "adblock: cosmetic rule (##) cannot be applied by DNS"},
    {"$@$", "adblock: HTML filtering exception ($@$) cannot be applied by DNS"},
    {"$$", "adblock: HTML filtering rule ($$) cannot be applied by DNS"},
};

enum ab_mod_effect {
	AB_MOD_OK = 0, /* the rule still covers the whole site */
	AB_MOD_SKIP,   /* the rule cannot be applied by name */
};

struct ab_mod {
	const char *name;
	enum ab_mod_effect effect;
	const char *reason;
};

#define AB_R_TYPE                                                                                  \
	"adblock: a request-type modifier ($script, $image, ...) limits the rule to some "         \
	"requests; DNS cannot tell them apart"
#define AB_R_PARTY                                                                                 \
	"adblock: $third-party / $first-party limits the rule to some pages; DNS cannot see the "  \
	"page"
#define AB_R_REWRITE                                                                               \
	"adblock: a modifier that rewrites the response ($redirect, $csp, $removeparam, ...) is "  \
	"not a block"
#define AB_R_EXCEPT                                                                                \
	"adblock: an exception modifier ($elemhide, $generichide, ...) only affects in-page "      \
	"filtering"
#define AB_R_DOMAIN "adblock: $domain= limits the rule to some sites; DNS cannot see the site"

static const struct ab_mod ab_mods[] = {
    {"important", AB_MOD_OK, NULL},
    {"all", AB_MOD_OK, NULL},
    {"document", AB_MOD_OK, NULL},
    {"doc", AB_MOD_OK, NULL},
    {"popup", AB_MOD_OK, NULL},

    {"domain", AB_MOD_SKIP, AB_R_DOMAIN},
    {"from", AB_MOD_SKIP, AB_R_DOMAIN},
    {"to", AB_MOD_SKIP, "adblock: $to= limits the rule to some destinations"},
    {"denyallow", AB_MOD_SKIP,
     "adblock: $denyallow= excludes some sites from the rule; DNS cannot see the site"},
    {"client", AB_MOD_SKIP, "adblock: $client= limits the rule to some clients"},
    {"ctag", AB_MOD_SKIP, "adblock: $ctag= limits the rule to tagged clients"},
    {"dnstype", AB_MOD_SKIP, "adblock: $dnstype= limits the rule to some record types"},
    {"dnsrewrite", AB_MOD_SKIP, "adblock: $dnsrewrite rewrites answers instead of blocking"},
    {"badfilter", AB_MOD_SKIP, "adblock: $badfilter (disabling another rule) is not supported"},
    {"app", AB_MOD_SKIP, "adblock: $app= limits the rule to some applications"},
    {"method", AB_MOD_SKIP, "adblock: $method= limits the rule to some HTTP methods"},
    {"header", AB_MOD_SKIP, "adblock: $header= matches response headers, which DNS never sees"},
    {"match-case", AB_MOD_SKIP, "adblock: $match-case (a case-sensitive URL) is not supported"},
    {"network", AB_MOD_SKIP, "adblock: $network rules are not supported"},

    {"third-party", AB_MOD_SKIP, AB_R_PARTY},
    {"3p", AB_MOD_SKIP, AB_R_PARTY},
    {"first-party", AB_MOD_SKIP, AB_R_PARTY},
    {"1p", AB_MOD_SKIP, AB_R_PARTY},
    {"strict1p", AB_MOD_SKIP, AB_R_PARTY},
    {"strict3p", AB_MOD_SKIP, AB_R_PARTY},

    {"script", AB_MOD_SKIP, AB_R_TYPE},
    {"image", AB_MOD_SKIP, AB_R_TYPE},
    {"stylesheet", AB_MOD_SKIP, AB_R_TYPE},
    {"css", AB_MOD_SKIP, AB_R_TYPE},
    {"xmlhttprequest", AB_MOD_SKIP, AB_R_TYPE},
    {"xhr", AB_MOD_SKIP, AB_R_TYPE},
    {"subdocument", AB_MOD_SKIP, AB_R_TYPE},
    {"frame", AB_MOD_SKIP, AB_R_TYPE},
    {"media", AB_MOD_SKIP, AB_R_TYPE},
    {"font", AB_MOD_SKIP, AB_R_TYPE},
    {"object", AB_MOD_SKIP, AB_R_TYPE},
    {"object-subrequest", AB_MOD_SKIP, AB_R_TYPE},
    {"websocket", AB_MOD_SKIP, AB_R_TYPE},
    {"webrtc", AB_MOD_SKIP, AB_R_TYPE},
    {"ping", AB_MOD_SKIP, AB_R_TYPE},
    {"beacon", AB_MOD_SKIP, AB_R_TYPE},
    {"other", AB_MOD_SKIP, AB_R_TYPE},
    {"inline-script", AB_MOD_SKIP, AB_R_TYPE},
    {"inline-font", AB_MOD_SKIP, AB_R_TYPE},

    {"redirect", AB_MOD_SKIP, AB_R_REWRITE},
    {"redirect-rule", AB_MOD_SKIP, AB_R_REWRITE},
    {"rewrite", AB_MOD_SKIP, AB_R_REWRITE},
    {"removeparam", AB_MOD_SKIP, AB_R_REWRITE},
    {"queryprune", AB_MOD_SKIP, AB_R_REWRITE},
    {"removeheader", AB_MOD_SKIP, AB_R_REWRITE},
    {"csp", AB_MOD_SKIP, AB_R_REWRITE},
    {"permissions", AB_MOD_SKIP, AB_R_REWRITE},
    {"replace", AB_MOD_SKIP, AB_R_REWRITE},
    {"urltransform", AB_MOD_SKIP, AB_R_REWRITE},
    {"uritransform", AB_MOD_SKIP, AB_R_REWRITE},
    {"referrerpolicy", AB_MOD_SKIP, AB_R_REWRITE},
    {"jsonprune", AB_MOD_SKIP, AB_R_REWRITE},
    {"hls", AB_MOD_SKIP, AB_R_REWRITE},
    {"cookie", AB_MOD_SKIP, AB_R_REWRITE},
    {"stealth", AB_MOD_SKIP, AB_R_REWRITE},
    {"empty", AB_MOD_SKIP, AB_R_REWRITE},
    {"mp4", AB_MOD_SKIP, AB_R_REWRITE},

    {"elemhide", AB_MOD_SKIP, AB_R_EXCEPT},
    {"ehide", AB_MOD_SKIP, AB_R_EXCEPT},
    {"generichide", AB_MOD_SKIP, AB_R_EXCEPT},
    {"ghide", AB_MOD_SKIP, AB_R_EXCEPT},
    {"specifichide", AB_MOD_SKIP, AB_R_EXCEPT},
    {"shide", AB_MOD_SKIP, AB_R_EXCEPT},
    {"genericblock", AB_MOD_SKIP, AB_R_EXCEPT},
    {"content", AB_MOD_SKIP, AB_R_EXCEPT},
    {"jsinject", AB_MOD_SKIP, AB_R_EXCEPT},
    {"urlblock", AB_MOD_SKIP, AB_R_EXCEPT},
    {"extension", AB_MOD_SKIP, AB_R_EXCEPT},
};

static bool ab_starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

static const char *ab_find(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (s[i] == needle[0] && memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

/* The reason a line is a cosmetic / scriptlet / HTML rule, or NULL. */
static const char *ab_cosmetic_reason(const char *s, size_t len)
{
	if (!memchr(s, '#', len) && !ab_find(s, len, "$$") && !ab_find(s, len, "$@$"))
		return NULL;
	for (size_t i = 0; i < sizeof(ab_cosmetic) / sizeof(ab_cosmetic[0]); i++)
		if (ab_find(s, len, ab_cosmetic[i].text))
			return ab_cosmetic[i].reason;
	return NULL;
}

static bool ab_selector_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '[' || c == '*' || c == '_' || c == ':' || c == '>' || c == '+' ||
	       c == '~' || c == '(' || (unsigned char)c >= 0x80;
}

/*
 * A line starting with '#' is a comment unless it is a generic cosmetic rule
 * ("##.ad", "###ad-id", "#@#.x", "#%#//scriptlet(...)"); banners such as
 * "### Title ###" or "#####" stay comments.
 */
static const char *ab_hash_line_reason(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(ab_cosmetic) / sizeof(ab_cosmetic[0]); i++) {
		const char *m = ab_cosmetic[i].text;
		size_t k = strlen(m);

		if (m[0] != '#' || !ab_starts(s, len, m))
			continue;
		if (k < len && s[k] == '#' && strcmp(m, "##") == 0)
			k++; /* "###id" */
		if (k < len && (ab_selector_char(s[k]) || (s[k] == '/' && m[1] == '%')))
			return ab_cosmetic[i].reason;
		return NULL;
	}
	return NULL;
}

/*
 * Check the modifier list (text after '$'). Returns NULL when every modifier
 * is harmless, otherwise the reason and the problem kind.
 */
static const char *ab_mods_reason(const char *s, size_t len, enum fz_problem_kind *kind)
{
	const char *end = s + len;

	*kind = FZ_PROBLEM_SKIPPED;
	for (const char *p = s; p <= end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		const char *name = p;
		size_t name_len = (size_t)(e - p);
		const char *eq = memchr(name, '=', name_len);

		if (eq)
			name_len = (size_t)(eq - name);
		if (name_len == 0) {
			*kind = FZ_PROBLEM_REJECTED;
			return "adblock: an empty modifier after '$'";
		}
		if (name[0] == '~')
			return "adblock: a negated modifier ($~...) limits the rule to some "
			       "requests";

		const struct ab_mod *m = NULL;
		for (size_t i = 0; i < sizeof(ab_mods) / sizeof(ab_mods[0]); i++) {
			if (strlen(ab_mods[i].name) == name_len &&
			    fz_starts_nocase(name, name_len, ab_mods[i].name)) {
				m = &ab_mods[i];
				break;
			}
		}
		if (!m)
			return "adblock: an unknown modifier; the rule cannot be applied safely";
		if (m->effect == AB_MOD_SKIP)
			return m->reason;
		if (!comma)
			break;
		p = comma + 1;
	}
	return NULL;
}

/* Parse an address host ("1.2.3.4", "[2001:db8::1]"); false when it is not one. */
static bool ab_addr(const char *s, size_t len, int *family, uint8_t addr[16])
{
	char buf[AB_ADDR_MAX];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		if (len == 0 || len >= sizeof(buf))
			return false;
		memcpy(buf, s, len);
		buf[len] = '\0';
		*family = AF_INET6;
		return inet_pton(AF_INET6, buf, addr) == 1;
	}
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		return true;
	}
	if (memchr(buf, ':', len) && inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

/* A host or address as a whole-name rule. */
static int ab_add_host(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t lineno,
		       const char *host, size_t host_len, enum fz_action action,
		       enum fz_match match)
{
	int family;
	uint8_t addr[16];

	if (ab_addr(host, host_len, &family, addr))
		return fz_parse_add_ip(r, lineno, family, addr, family == AF_INET ? 32 : 128,
				       action);
	return fz_parse_add_name(r, o, lineno, host, host_len, true, action, match,
				 FZ_POLICY_DEFAULT);
}

/* Strip a trailing "^|", "^" or "|" (the end of a URL or host). */
static void ab_strip_end(const char *s, size_t *len)
{
	if (*len > 0 && s[*len - 1] == '|')
		(*len)--;
	if (*len > 0 && s[*len - 1] == '^')
		(*len)--;
}

#define AB_PROBLEM(kind, reason) fz_parse_problem(r, lineno, (kind), (reason), text, text_len)

static int ab_line(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t lineno,
		   const char *line, size_t len)
{
	fz_trim(&line, &len);
	if (len == 0 || line[0] == '!')
		return 0;
	if (line[0] == '[' && line[len - 1] == ']')
		return 0; /* "[Adblock Plus 2.0]", "[AdGuard]" */

	const char *text = line;
	size_t text_len = len;

	const char *reason;
	if (line[0] == '#') {
		reason = ab_hash_line_reason(line, len);
		if (reason)
			return AB_PROBLEM(FZ_PROBLEM_SKIPPED, reason);
		return 0; /* "# comment", "#####" */
	}
	reason = ab_cosmetic_reason(line, len);
	if (reason)
		return AB_PROBLEM(FZ_PROBLEM_SKIPPED, reason);

	enum fz_action action = FZ_ACTION_BLOCK;
	const char *s = line;
	size_t n = len;
	if (ab_starts(s, n, "@@")) {
		action = FZ_ACTION_ALLOW;
		s += 2;
		n -= 2;
		if (n == 0)
			return AB_PROBLEM(FZ_PROBLEM_REJECTED, "adblock: nothing after @@");
	}

	if (s[0] == '/') {
		/* "/regex/" or "/regex/$modifiers"; anything else is a path pattern. */
		const char *last = memrchr(s + 1, '/', n - 1);
		if (last && (last + 1 == s + n || last[1] == '$'))
			return AB_PROBLEM(FZ_PROBLEM_SKIPPED,
					  "adblock: a regular-expression rule (/.../) cannot be "
					  "expressed as a DNS rule");
		return AB_PROBLEM(FZ_PROBLEM_SKIPPED,
				  "adblock: a path pattern without a host cannot be expressed as a "
				  "DNS rule");
	}

	/* Modifiers follow the last '$'. */
	const char *dollar = memrchr(s, '$', n);
	if (dollar) {
		enum fz_problem_kind kind;
		reason = ab_mods_reason(dollar + 1, (size_t)(s + n - dollar - 1), &kind);
		if (reason)
			return AB_PROBLEM(kind, reason);
		n = (size_t)(dollar - s);
	}

	enum fz_match match;
	bool anchored = true;
	if (ab_starts(s, n, "||")) {
		match = FZ_MATCH_SUBTREE;
		s += 2;
		n -= 2;
	} else if (ab_starts(s, n, "|")) {
		match = FZ_MATCH_EXACT;
		s += 1;
		n -= 1;
		/* "|https://host/path": the scheme adds nothing for a host. */
		if (fz_starts_nocase(s, n, "https://")) {
			s += 8;
			n -= 8;
		} else if (fz_starts_nocase(s, n, "http://")) {
			s += 7;
			n -= 7;
		}
	} else {
		match = FZ_MATCH_EXACT;
		anchored = false;
	}
	if (n == 0)
		return AB_PROBLEM(FZ_PROBLEM_REJECTED, "adblock: a rule with no host name");

	/* A bare address, IPv6 included ("2001:db8::1" would otherwise look like a port). */
	if (!anchored) {
		int family;
		uint8_t addr[16];
		if (ab_addr(s, n, &family, addr))
			return fz_parse_add_ip(r, lineno, family, addr,
					       family == AF_INET ? 32 : 128, action);
	}

	/* The host runs to the first separator, path, port or anchor. */
	size_t h = 0;
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		h = rb ? (size_t)(rb - s) + 1 : n;
	}
	while (h < n && s[h] != '^' && s[h] != '/' && s[h] != ':' && s[h] != '|')
		h++;
	const char *host = s, *tail = s + h;
	size_t host_len = h, tail_len = n - h;

	if (!anchored && (tail_len > 0 || memchr(host, '*', host_len))) {
		if (memchr(s, '*', n))
			return AB_PROBLEM(
			    FZ_PROBLEM_SKIPPED,
			    "adblock: a wildcard pattern (*) cannot be expressed as a "
			    "DNS rule");
		return AB_PROBLEM(FZ_PROBLEM_SKIPPED,
				  "adblock: a pattern without || or | matches any part of a URL, "
				  "not a host");
	}
	if (host_len == 0)
		return AB_PROBLEM(FZ_PROBLEM_REJECTED, "adblock: a rule with no host name");

	/*
	 * "*." at the start means the names below; we block the subtree, the
	 * name itself included (slightly more than the rule says). An allow
	 * rule is never widened: "@@||*.name^" is skipped. Any other '*' is
	 * a pattern.
	 */
	size_t star_from = ab_starts(host, host_len, "*.") ? 1 : 0;
	if (memchr(host + star_from, '*', host_len - star_from))
		return AB_PROBLEM(
		    FZ_PROBLEM_SKIPPED,
		    "adblock: a wildcard (*) inside the host name cannot be expressed "
		    "as a DNS rule");
	if (star_from && action == FZ_ACTION_ALLOW)
		return AB_PROBLEM(FZ_PROBLEM_SKIPPED,
				  "adblock: an exception for subdomains only (@@||*.name^) would "
				  "also allow the name itself");

	if (tail_len > 0 && tail[0] == ':') {
		size_t i = 1;
		while (i < tail_len && tail[i] >= '0' && tail[i] <= '9')
			i++;
		if (i == 1 || (i < tail_len && tail[i] != '^' && tail[i] != '/' && tail[i] != '|'))
			return AB_PROBLEM(FZ_PROBLEM_REJECTED,
					  "adblock: ':' after the host is not followed by a port");
		return AB_PROBLEM(FZ_PROBLEM_SKIPPED,
				  "adblock: a rule for one port cannot be expressed as a DNS rule");
	}

	if (tail_len > 0 && tail[0] == '/') {
		size_t path_len = tail_len;
		ab_strip_end(tail, &path_len);
		if (memchr(tail, '*', path_len) || memchr(tail, '^', path_len) ||
		    memchr(tail, '|', path_len))
			return AB_PROBLEM(
			    FZ_PROBLEM_SKIPPED,
			    "adblock: a wildcard or separator inside the URL path cannot "
			    "be expressed as a URL rule");
		if (path_len > 1) {
			if (action == FZ_ACTION_ALLOW)
				return AB_PROBLEM(
				    FZ_PROBLEM_SKIPPED,
				    "adblock: an exception for a URL path (@@host/path) "
				    "is not supported; only whole names can be allowed");
			if (star_from)
				return AB_PROBLEM(
				    FZ_PROBLEM_SKIPPED,
				    "adblock: a URL rule for a wildcard host (*.) cannot "
				    "be expressed");
			return fz_parse_add_host_path(r, o, lineno, host, host_len, tail, path_len);
		}
		/* "||host/" is the whole host. */
		tail += path_len;
		tail_len -= path_len;
	}

	/* What may follow a host: nothing, "^", "^|" or "|". */
	size_t rest = tail_len;
	ab_strip_end(tail, &rest);
	if (rest > 0)
		return AB_PROBLEM(tail[0] == '^' ? FZ_PROBLEM_SKIPPED : FZ_PROBLEM_REJECTED,
				  tail[0] == '^' ? "adblock: a pattern after the separator (^) "
						   "matches part of a URL, not a host"
						 : "adblock: unexpected text after the host name");
	return ab_add_host(r, o, lineno, host, host_len, action, match);
}

int fz_parse_adblock(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		     struct fz_parse_result *r)
{
	return fz_parse_each_line(d, n, o, r, ab_line);
}
