/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every feed parser shares: the result's arena, rule recording with
 * normalization and duplicate detection, problem reporting, line walking,
 * and the dispatch by format.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fz_hash.h"
#include "fz_name.h"
#include "fz_parse_impl.h"

#define DEFAULT_MAX_PROBLEMS 1000
#define DEFAULT_MAX_ENTRIES  50000000u
#define PROBLEM_TEXT_MAX     200
#define ARENA_MAX	     (UINT32_MAX - 1024u)

/* --- format names ----------------------------------------------------------- */

static const char *const format_names[FZ_FORMAT_COUNT] = {
    [FZ_FORMAT_AUTO] = "auto",	     [FZ_FORMAT_HOSTS] = "hosts", [FZ_FORMAT_DOMAINS] = "domains",
    [FZ_FORMAT_ADBLOCK] = "adblock", [FZ_FORMAT_RPZ] = "rpz",	  [FZ_FORMAT_URLS] = "urls",
    [FZ_FORMAT_CSV] = "csv",
};

const char *fz_format_name(enum fz_format f)
{
	if ((unsigned)f >= FZ_FORMAT_COUNT)
		return "unknown";
	return format_names[f];
}

int fz_format_parse(const char *name)
{
	for (int i = 0; i < FZ_FORMAT_COUNT; i++)
		if (strcmp(name, format_names[i]) == 0)
			return i;
	return -EINVAL;
}

/* --- lines ------------------------------------------------------------------ */

void fz_lines_init(struct fz_lines *it, const uint8_t *data, size_t len)
{
	it->p = data;
	it->end = data + len;
	it->lineno = 0;
	if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf)
		it->p += 3;
}

bool fz_lines_next(struct fz_lines *it, const char **line, size_t *len)
{
	if (it->p >= it->end)
		return false;
	const uint8_t *s = it->p, *e = s;
	while (e < it->end && *e != '\n' && *e != '\r')
		e++;
	*line = (const char *)s;
	*len = (size_t)(e - s);
	if (e < it->end && *e == '\r')
		e++;
	if (e < it->end && *e == '\n')
		e++;
	it->p = e;
	it->lineno++;
	return true;
}

void fz_trim(const char **s, size_t *len)
{
	const char *p = *s;
	size_t n = *len;
	while (n && fz_is_space(*p)) {
		p++;
		n--;
	}
	while (n && fz_is_space(p[n - 1]))
		n--;
	*s = p;
	*len = n;
}

bool fz_eq_nocase(const char *a, size_t alen, const char *lit)
{
	size_t n = strlen(lit);
	return alen == n && fz_starts_nocase(a, alen, lit);
}

bool fz_starts_nocase(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (fz_lower((unsigned char)s[i]) != (unsigned char)prefix[i])
			return false;
	return true;
}

int fz_parse_each_line(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		       struct fz_parse_result *r, fz_line_fn fn)
{
	struct fz_lines it;
	const char *line;
	size_t len;
	fz_lines_init(&it, d, n);
	while (fz_lines_next(&it, &line, &len)) {
		int rc = fn(r, o, it.lineno, line, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- arena ------------------------------------------------------------------ */

int fz_parse_arena_put(struct fz_parse_result *r, const void *p, size_t len, uint32_t *ret_off)
{
	if (len > ARENA_MAX || r->arena_len > ARENA_MAX - len - 1)
		return -ENOMEM;
	if (r->arena_len + len + 1 > r->arena_cap) {
		size_t cap = r->arena_cap ? r->arena_cap : 65536;
		while (cap < r->arena_len + len + 1)
			cap *= 2;
		char *na = realloc(r->arena, cap);
		if (!na)
			return -ENOMEM;
		r->arena = na;
		r->arena_cap = cap;
	}
	uint32_t off = (uint32_t)r->arena_len;
	if (len)
		memcpy(r->arena + off, p, len);
	r->arena[off + len] = '\0';
	r->arena_len += len + 1;
	*ret_off = off;
	return 0;
}

/* --- problems --------------------------------------------------------------- */

int fz_parse_problem(struct fz_parse_result *r, uint32_t line, enum fz_problem_kind kind,
		     const char *reason, const char *text, size_t len)
{
	if (kind == FZ_PROBLEM_SKIPPED)
		r->skipped++;
	else
		r->rejected++;
	if (r->n_problems >= r->max_problems)
		return 0;
	if (r->n_problems == r->problems_cap) {
		size_t cap = r->problems_cap ? r->problems_cap * 2 : 64;
		if (cap > r->max_problems)
			cap = r->max_problems;
		struct fz_problem *np = realloc(r->problems, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		r->problems = np;
		r->problems_cap = cap;
	}
	if (len > PROBLEM_TEXT_MAX)
		len = PROBLEM_TEXT_MAX;
	uint32_t off;
	int rc = fz_parse_arena_put(r, text ? text : "", text ? len : 0, &off);
	if (rc < 0)
		return rc;
	r->problems[r->n_problems++] = (struct fz_problem){
	    .line = line,
	    .kind = (uint8_t)kind,
	    .reason = reason,
	    .text_off = off,
	    .text_len = (uint16_t)(text ? len : 0),
	};
	return 0;
}

/* --- duplicate detection ---------------------------------------------------- */

/*
 * Open addressing over entry indices; the key is the entry's meaning. Each
 * slot keeps 32 bits of the entry's hash: probes compare those before
 * touching the entry, and growing re-places slots without re-hashing.
 */
struct dedup_slot {
	uint32_t idx; /* entry index + 1; 0 = empty */
	uint32_t tag; /* high half of the entry's hash */
};

struct dedup {
	struct dedup_slot *slots;
	size_t mask;
	size_t used;
};

static uint64_t entry_hash(const struct fz_parse_result *r, const struct fz_entry *e)
{
	uint64_t h = ((uint64_t)e->kind << 24) | ((uint64_t)e->action << 16) |
		     ((uint64_t)e->match << 8) | e->policy;
	if (e->kind == FZ_RULE_IP) {
		h ^= (uint64_t)e->prefix << 32 | (uint64_t)e->family << 40;
		return fz_hash_bytes(h, e->addr, 16);
	}
	h = fz_hash_bytes(h, r->arena + e->name_off, e->name_len);
	if (e->kind == FZ_RULE_URL)
		h = fz_hash_bytes(h, r->arena + e->path_off, e->path_len);
	return h;
}

static bool entry_equal(const struct fz_parse_result *r, const struct fz_entry *a,
			const struct fz_entry *b)
{
	if (a->kind != b->kind || a->action != b->action || a->match != b->match ||
	    a->policy != b->policy)
		return false;
	if (a->kind == FZ_RULE_IP)
		return a->family == b->family && a->prefix == b->prefix &&
		       memcmp(a->addr, b->addr, 16) == 0;
	if (a->name_len != b->name_len ||
	    memcmp(r->arena + a->name_off, r->arena + b->name_off, a->name_len) != 0)
		return false;
	if (a->kind == FZ_RULE_URL)
		return a->path_len == b->path_len &&
		       memcmp(r->arena + a->path_off, r->arena + b->path_off, a->path_len) == 0;
	return true;
}

static int dedup_grow(struct dedup *d)
{
	size_t ncap = d->mask ? (d->mask + 1) * 2 : 1024;
	struct dedup_slot *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; d->mask && i <= d->mask; i++) {
		if (!d->slots[i].idx)
			continue;
		size_t j = d->slots[i].tag & (ncap - 1);
		while (ns[j].idx)
			j = (j + 1) & (ncap - 1);
		ns[j] = d->slots[i];
	}
	free(d->slots);
	d->slots = ns;
	d->mask = ncap - 1;
	return 0;
}

/* Append the entry at r->entries[r->n_entries] unless it is already there. */
static int commit_entry(struct fz_parse_result *r)
{
	struct dedup *d = r->dedup;
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		r->dedup = d;
	}
	if ((d->used + 1) * 4 > (d->mask + 1) * 3) {
		int rc = dedup_grow(d);
		if (rc < 0)
			return rc;
	}
	struct fz_entry *e = &r->entries[r->n_entries];
	uint32_t tag = (uint32_t)(entry_hash(r, e) >> 32);
	size_t j = tag & d->mask;
	while (d->slots[j].idx) {
		if (d->slots[j].tag == tag && entry_equal(r, &r->entries[d->slots[j].idx - 1], e)) {
			r->duplicates++;
			/* The strings stay in the arena; the bytes are few. */
			return 0;
		}
		j = (j + 1) & d->mask;
	}
	d->slots[j] = (struct dedup_slot){(uint32_t)(r->n_entries + 1), tag};
	d->used++;
	r->n_entries++;
	r->accepted++;
	return 0;
}

static struct fz_entry *next_entry(struct fz_parse_result *r)
{
	if (r->n_entries >= r->max_entries) {
		r->truncated = true;
		return NULL;
	}
	if (r->n_entries == r->entries_cap) {
		size_t cap = r->entries_cap ? r->entries_cap * 2 : 1024;
		struct fz_entry *ne = realloc(r->entries, cap * sizeof(*ne));
		if (!ne)
			return NULL;
		r->entries = ne;
		r->entries_cap = cap;
	}
	struct fz_entry *e = &r->entries[r->n_entries];
	memset(e, 0, sizeof(*e));
	return e;
}

static int next_entry_error(const struct fz_parse_result *r)
{
	return r->truncated ? -E2BIG : -ENOMEM;
}

/* --- rules ------------------------------------------------------------------ */

static int add_name(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
		    const char *name, size_t len, bool wildcard_ok, enum fz_action action,
		    enum fz_match match, enum fz_policy policy, const struct fz_local_addr *addrs,
		    size_t naddr)
{
	char norm[FZ_NAME_BUF];
	size_t nlen;
	bool wildcard = false;

	int st = fz_name_normalize(name, len, wildcard_ok ? FZ_NAME_F_WILDCARD : 0, norm, &nlen,
				   &wildcard);
	if (st != FZ_NAME_OK)
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED, fz_name_strerror(st), name,
					len);
	if (wildcard)
		match = FZ_MATCH_SUBTREE;
	if (o && o->match != FZ_MATCH_DEFAULT)
		match = o->match;
	if (match == FZ_MATCH_DEFAULT)
		match = FZ_MATCH_EXACT;

	struct fz_entry *e = next_entry(r);
	if (!e)
		return next_entry_error(r);
	uint32_t off;
	int rc = fz_parse_arena_put(r, norm, nlen, &off);
	if (rc < 0)
		return rc;
	e = &r->entries[r->n_entries]; /* the arena may not move entries, but be plain */
	e->kind = FZ_RULE_NAME;
	e->name_off = off;
	e->name_len = (uint16_t)nlen;
	e->line = line;
	e->action = (uint8_t)action;
	e->match = (uint8_t)match;
	e->policy = (uint8_t)policy;
	if (naddr) {
		if (naddr > 255)
			naddr = 255;
		rc = fz_parse_arena_put(r, addrs, naddr * sizeof(*addrs), &off);
		if (rc < 0)
			return rc;
		e = &r->entries[r->n_entries];
		e->local_off = off;
		e->naddr = (uint8_t)naddr;
	}
	return commit_entry(r);
}

int fz_parse_add_name(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
		      const char *name, size_t len, bool wildcard_ok, enum fz_action action,
		      enum fz_match match, enum fz_policy policy)
{
	return add_name(r, o, line, name, len, wildcard_ok, action, match, policy, NULL, 0);
}

int fz_parse_add_name_local(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
			    const char *name, size_t len, bool wildcard_ok, enum fz_match match,
			    const struct fz_local_addr *addrs, size_t naddr)
{
	return add_name(r, o, line, name, len, wildcard_ok, FZ_ACTION_BLOCK, match,
			naddr ? FZ_POLICY_LOCAL : FZ_POLICY_NODATA, addrs, naddr);
}

int fz_parse_add_ip(struct fz_parse_result *r, uint32_t line, int family, const uint8_t *addr,
		    unsigned prefix, enum fz_action action)
{
	unsigned bytes = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
	if (!bytes || prefix > bytes * 8)
		return fz_parse_problem(r, line, FZ_PROBLEM_REJECTED, "bad address or prefix", NULL,
					0);
	struct fz_entry *e = next_entry(r);
	if (!e)
		return next_entry_error(r);
	e->kind = FZ_RULE_IP;
	e->line = line;
	e->action = (uint8_t)action;
	e->family = (uint8_t)family;
	e->prefix = (uint8_t)prefix;
	memcpy(e->addr, addr, bytes);
	/* Clear host bits so 192.0.2.7/24 and 192.0.2.0/24 are one rule. */
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = prefix > i * 8 ? prefix - i * 8 : 0;
		if (i >= bytes)
			e->addr[i] = 0;
		else if (keep < 8)
			e->addr[i] &= (uint8_t)(0xff00u >> keep);
	}
	return commit_entry(r);
}

int fz_parse_commit_url(struct fz_parse_result *r, uint32_t line, const char *host, size_t host_len,
			const char *path, size_t path_len)
{
	if (host_len > FZ_NAME_MAX || path_len > UINT16_MAX)
		return -EINVAL;
	struct fz_entry *e = next_entry(r);
	if (!e)
		return next_entry_error(r);
	uint32_t hoff, poff;
	int rc = fz_parse_arena_put(r, host, host_len, &hoff);
	if (rc == 0)
		rc = fz_parse_arena_put(r, path, path_len, &poff);
	if (rc < 0)
		return rc;
	e = &r->entries[r->n_entries];
	e->kind = FZ_RULE_URL;
	e->line = line;
	e->action = FZ_ACTION_BLOCK;
	e->name_off = hoff;
	e->name_len = (uint16_t)host_len;
	e->path_off = poff;
	e->path_len = (uint16_t)path_len;
	return commit_entry(r);
}

/* --- dispatch --------------------------------------------------------------- */

void fz_parse_result_free(struct fz_parse_result *res)
{
	if (!res)
		return;
	struct dedup *d = res->dedup;
	if (d)
		free(d->slots);
	free(d);
	free(res->entries);
	free(res->problems);
	free(res->arena);
	memset(res, 0, sizeof(*res));
}

int fz_parse(const uint8_t *data, size_t len, const struct fz_parse_opts *opts,
	     struct fz_parse_result *res)
{
	static const struct fz_parse_opts defaults = {0};
	const struct fz_parse_opts *o = opts ? opts : &defaults;

	memset(res, 0, sizeof(*res));
	res->max_problems = o->max_problems ? o->max_problems : DEFAULT_MAX_PROBLEMS;
	res->max_entries = o->max_entries ? o->max_entries : DEFAULT_MAX_ENTRIES;
	if (res->max_entries > UINT32_MAX - 1)
		res->max_entries = UINT32_MAX - 1;
	/* An empty arena still hands out valid offsets for empty strings. */
	uint32_t off;
	if (fz_parse_arena_put(res, "", 0, &off) < 0)
		return -ENOMEM;

	enum fz_format f = o->format;
	if (f == FZ_FORMAT_AUTO || (unsigned)f >= FZ_FORMAT_COUNT)
		f = fz_format_detect(data, len);
	res->format = f;

	int rc;
	switch (f) {
	case FZ_FORMAT_HOSTS:
		rc = fz_parse_hosts(data, len, o, res);
		break;
	case FZ_FORMAT_ADBLOCK:
		rc = fz_parse_adblock(data, len, o, res);
		break;
	case FZ_FORMAT_RPZ:
		rc = fz_parse_rpz(data, len, o, res);
		break;
	case FZ_FORMAT_URLS:
		rc = fz_parse_urls(data, len, o, res);
		break;
	case FZ_FORMAT_CSV:
		rc = fz_parse_csv(data, len, o, res);
		break;
	case FZ_FORMAT_DOMAINS:
	default:
		rc = fz_parse_domains(data, len, o, res);
		break;
	}
	if (rc == -E2BIG && res->truncated)
		rc = 0;
	if (rc < 0) {
		fz_parse_result_free(res);
		return rc;
	}
	struct fz_lines it;
	const char *l;
	size_t ll;
	fz_lines_init(&it, data, len);
	while (fz_lines_next(&it, &l, &ll))
		;
	res->lines = it.lineno;
	/* The dedup set is only needed while parsing. */
	struct dedup *d = res->dedup;
	if (d)
		free(d->slots);
	free(d);
	res->dedup = NULL;
	return 0;
}
