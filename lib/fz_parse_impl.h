/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the parsers: the helpers every format uses to walk lines and
 * to record rules and problems. Not installed, not used outside lib/.
 */
#ifndef FZ_PARSE_IMPL_H
#define FZ_PARSE_IMPL_H

#include "fz_parse.h"

/* Walks lines: LF or CRLF (or lone CR), a UTF-8 BOM skipped, NUL bytes kept. */
struct fz_lines {
	const uint8_t *p, *end;
	uint32_t lineno; /* of the line last returned */
};

void fz_lines_init(struct fz_lines *it, const uint8_t *data, size_t len);
/* Next line without its terminator; false at the end. */
bool fz_lines_next(struct fz_lines *it, const char **line, size_t *len);

/* Whitespace helpers (space, tab, and the other ASCII blanks). */
static inline bool fz_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
void fz_trim(const char **s, size_t *len);

static inline unsigned char fz_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Do the `alen` bytes at `a` equal the lowercase literal `lit`, ignoring ASCII case? */
bool fz_eq_nocase(const char *a, size_t alen, const char *lit);
/* Do the `len` bytes at `s` start with the lowercase literal `prefix`, ignoring ASCII case? */
bool fz_starts_nocase(const char *s, size_t len, const char *prefix);

/* A line-oriented format's handler for one line (without its terminator). */
typedef int (*fz_line_fn)(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t lineno,
			  const char *line, size_t len);
/* Feed every line to `fn`; stops at (and returns) the first negative result. */
int fz_parse_each_line(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		       struct fz_parse_result *r, fz_line_fn fn);

/*
 * Record a name rule. `name` is raw text: it is normalized here (a leading
 * "*." is accepted only with wildcard_ok and makes the rule a subtree rule).
 * `match` is the format's default meaning; opts->match overrides it.
 * A bad name becomes a rejected problem with the normalizer's reason; a
 * repeated rule is counted as a duplicate. Returns 0 (also for a rejected or
 * duplicate name) or -ENOMEM / -E2BIG (entry bound reached: stop parsing).
 */
int fz_parse_add_name(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
		      const char *name, size_t len, bool wildcard_ok, enum fz_action action,
		      enum fz_match match, enum fz_policy policy);

/* Same, with sinkhole addresses (policy FZ_POLICY_LOCAL). */
int fz_parse_add_name_local(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
			    const char *name, size_t len, bool wildcard_ok, enum fz_match match,
			    const struct fz_local_addr *addrs, size_t naddr);

/* Record an address rule (network byte order; host bits are cleared here). */
int fz_parse_add_ip(struct fz_parse_result *r, uint32_t line, int family, const uint8_t *addr,
		    unsigned prefix, enum fz_action action);

/*
 * Record a URL rule from a URL text ("http://host/path", "host/path",
 * "//host/path"). The host is normalized; an IP-literal host becomes an IP
 * rule; the path (fragment removed) becomes the prefix. Bad URLs become
 * rejected problems. Implemented in fz_parse_url.c.
 */
int fz_parse_add_url(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
		     const char *url, size_t len);

/* Record a URL rule from an already split host and path. */
int fz_parse_add_host_path(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
			   const char *host, size_t host_len, const char *path, size_t path_len);

/*
 * Record a URL rule whose host is already normalized and whose path is
 * already the prefix to store (used by fz_parse_add_host_path). Counts
 * duplicates like every other rule. Returns 0, -EINVAL (too long), -ENOMEM
 * or -E2BIG.
 */
int fz_parse_commit_url(struct fz_parse_result *r, uint32_t line, const char *host, size_t host_len,
			const char *path, size_t path_len);

/* Count and (within the detail bound) keep a problem. Returns 0 or -ENOMEM. */
int fz_parse_problem(struct fz_parse_result *r, uint32_t line, enum fz_problem_kind kind,
		     const char *reason, const char *text, size_t len);

/* Copy bytes into the arena; returns 0 and the offset, or -ENOMEM. */
int fz_parse_arena_put(struct fz_parse_result *r, const void *p, size_t len, uint32_t *ret_off);

/* The per-format parsers, called by fz_parse() with `r` initialized. */
int fz_parse_hosts(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		   struct fz_parse_result *r);
int fz_parse_domains(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		     struct fz_parse_result *r);
int fz_parse_adblock(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		     struct fz_parse_result *r);
int fz_parse_rpz(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		 struct fz_parse_result *r);
int fz_parse_urls(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		  struct fz_parse_result *r);
int fz_parse_csv(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		 struct fz_parse_result *r);

#endif
