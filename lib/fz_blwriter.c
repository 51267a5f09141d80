/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The blocklist compiler: collects rules from many feeds, resolves what
 * each name means (the most specific rule wins; on one name the local
 * allowlist beats the local blocklist beats feed allow rules beats feed
 * block rules), drops what a parent already says, and writes one immutable
 * file that is published by rename.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fz_blformat.h"
#include "fz_blwriter.h"
#include "fz_hash.h"
#include "fz_name.h"

#define MAX_FEEDS   65535
#define MAX_RESEEDS 8

struct wname {
	uint32_t name_off;
	uint16_t name_len;
	uint16_t feed;
	uint8_t action, match, prio, policy;
	uint8_t local_n;
	uint32_t local_off; /* arena: local_n x struct fz_local_addr */
};

struct wurl {
	uint32_t host_off, path_off;
	uint16_t host_len, path_len;
	uint16_t feed;
};

struct wip {
	uint8_t family, prefix;
	uint16_t feed;
	uint8_t addr[16];
};

struct wfeed {
	char *name, *source;
	uint8_t category, role;
	uint64_t entries;
};

#define VEC(T)                                                                                     \
	struct {                                                                                   \
		T *v;                                                                              \
		size_t n, cap;                                                                     \
	}

struct fz_blwriter {
	char *arena;
	size_t arena_len, arena_cap;
	VEC(struct wname) names;
	VEC(struct wurl) urls;
	VEC(struct wip) ips;
	VEC(struct wfeed) feeds;
	uint64_t ignored; /* rules the format cannot hold (allow rules on addresses) */
};

static int vec_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 1024;
	void *nv = realloc(*v, ncap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

#define VEC_PUSH(vec, ret)                                                                         \
	(vec_grow((void **)&(vec).v, &(vec).cap, (vec).n, sizeof(*(vec).v)) < 0                    \
	     ? -ENOMEM                                                                             \
	     : ((ret) = &(vec).v[(vec).n++], 0))

static int arena_put(struct fz_blwriter *w, const void *p, size_t len, uint32_t *ret)
{
	if (w->arena_len + len + 1 > UINT32_MAX)
		return -E2BIG;
	if (w->arena_len + len + 1 > w->arena_cap) {
		size_t cap = w->arena_cap ? w->arena_cap : 1 << 20;
		while (cap < w->arena_len + len + 1)
			cap *= 2;
		char *na = realloc(w->arena, cap);
		if (!na)
			return -ENOMEM;
		w->arena = na;
		w->arena_cap = cap;
	}
	memcpy(w->arena + w->arena_len, p, len);
	w->arena[w->arena_len + len] = '\0';
	*ret = (uint32_t)w->arena_len;
	w->arena_len += len + 1;
	return 0;
}

int fz_blwriter_new(struct fz_blwriter **ret)
{
	struct fz_blwriter *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*ret = w;
	return 0;
}

void fz_blwriter_free(struct fz_blwriter *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->feeds.n; i++) {
		free(w->feeds.v[i].name);
		free(w->feeds.v[i].source);
	}
	free(w->feeds.v);
	free(w->names.v);
	free(w->urls.v);
	free(w->ips.v);
	free(w->arena);
	free(w);
}

int fz_blwriter_add_feed(struct fz_blwriter *w, const char *name, enum fz_category category,
			 const char *source, enum fz_feed_role role)
{
	struct wfeed *f;
	if (w->feeds.n >= MAX_FEEDS)
		return -E2BIG;
	if ((unsigned)category >= FZ_CAT_COUNT || (unsigned)role > FZ_FEED_LOCAL_ALLOW)
		return -EINVAL;
	char *n = strdup(name ? name : "");
	char *s = strdup(source ? source : "");
	if (!n || !s || VEC_PUSH(w->feeds, f) < 0) {
		free(n);
		free(s);
		return -ENOMEM;
	}
	*f = (struct wfeed){
	    .name = n, .source = s, .category = (uint8_t)category, .role = (uint8_t)role};
	return (int)(w->feeds.n - 1);
}

static uint8_t rule_prio(const struct wfeed *f, uint8_t action)
{
	return (uint8_t)((f->role != FZ_FEED_NORMAL ? 2 : 0) + (action == FZ_ACTION_ALLOW ? 1 : 0));
}

static int add_name(struct fz_blwriter *w, int feed, const char *name, size_t len,
		    enum fz_action action, enum fz_match match, enum fz_policy policy,
		    const struct fz_local_addr *local, size_t nlocal)
{
	struct wname *n;
	uint32_t off, loff = 0;
	if (feed < 0 || (size_t)feed >= w->feeds.n || len == 0 || len > FZ_NAME_MAX)
		return -EINVAL;
	int rc = arena_put(w, name, len, &off);
	if (rc == 0 && nlocal)
		rc = arena_put(w, local, nlocal * sizeof(*local), &loff);
	if (rc < 0)
		return rc;
	if (VEC_PUSH(w->names, n) < 0)
		return -ENOMEM;
	*n = (struct wname){
	    .name_off = off,
	    .name_len = (uint16_t)len,
	    .feed = (uint16_t)feed,
	    .action = (uint8_t)action,
	    .match = (uint8_t)(match == FZ_MATCH_SUBTREE ? FZ_MATCH_SUBTREE : FZ_MATCH_EXACT),
	    .prio = rule_prio(&w->feeds.v[feed], (uint8_t)action),
	    .policy = (uint8_t)policy,
	    .local_n = (uint8_t)(nlocal > 255 ? 255 : nlocal),
	    .local_off = loff,
	};
	w->feeds.v[feed].entries++;
	return 0;
}

int fz_blwriter_add_name(struct fz_blwriter *w, int feed, const char *name, size_t len,
			 enum fz_action action, enum fz_match match, enum fz_policy policy)
{
	/* Parsed rules are normalized already; names from elsewhere are checked here. */
	char norm[FZ_NAME_BUF];
	size_t nlen;
	if (fz_name_normalize(name, len, 0, norm, &nlen, NULL) != FZ_NAME_OK)
		return -EINVAL;
	return add_name(w, feed, norm, nlen, action, match, policy, NULL, 0);
}

int fz_blwriter_add_parsed(struct fz_blwriter *w, int feed, const struct fz_parse_result *res)
{
	if (feed < 0 || (size_t)feed >= w->feeds.n)
		return -EINVAL;
	for (size_t i = 0; i < res->n_entries; i++) {
		const struct fz_entry *e = &res->entries[i];
		int rc = 0;
		switch (e->kind) {
		case FZ_RULE_NAME:
			rc = add_name(
			    w, feed, fz_parse_str(res, e->name_off), e->name_len, e->action,
			    e->match, e->policy,
			    e->naddr ? (const struct fz_local_addr *)(res->arena + e->local_off)
				     : NULL,
			    e->naddr);
			break;
		case FZ_RULE_URL: {
			struct wurl *u;
			uint32_t ho, po;
			if (e->action != FZ_ACTION_BLOCK) {
				w->ignored++;
				break;
			}
			rc = arena_put(w, fz_parse_str(res, e->name_off), e->name_len, &ho);
			if (rc == 0)
				rc = arena_put(w, fz_parse_str(res, e->path_off), e->path_len, &po);
			if (rc == 0 && VEC_PUSH(w->urls, u) < 0)
				rc = -ENOMEM;
			if (rc == 0) {
				*u = (struct wurl){.host_off = ho,
						   .path_off = po,
						   .host_len = e->name_len,
						   .path_len = e->path_len,
						   .feed = (uint16_t)feed};
				w->feeds.v[feed].entries++;
			}
			break;
		}
		case FZ_RULE_IP: {
			struct wip *p;
			if (e->action != FZ_ACTION_BLOCK ||
			    (e->family != AF_INET && e->family != AF_INET6)) {
				w->ignored++;
				break;
			}
			if (VEC_PUSH(w->ips, p) < 0)
				return -ENOMEM;
			*p = (struct wip){
			    .family = e->family, .prefix = e->prefix, .feed = (uint16_t)feed};
			memcpy(p->addr, e->addr, 16);
			w->feeds.v[feed].entries++;
			break;
		}
		default:
			w->ignored++;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- building ------------------------------------------------------------------ */

struct hidx {
	uint64_t h;
	uint32_t idx;
	uint32_t attr; /* names: what resolving needs, so the sorted run is all it reads */
};

/* hidx.attr of a name rule */
#define ATTR_FEED(a)	((uint16_t)((a)&0xffff))
#define ATTR_ACTION(a)	((uint8_t)(((a) >> 16) & 1))
#define ATTR_SUBTREE(a) (((a) >> 17) & 1)
#define ATTR_PRIO(a)	((int)(((a) >> 18) & 3))
#define ATTR_POLICY(a)	((uint8_t)(((a) >> 20) & 3))
#define ATTR_LOCAL(a)	(((a) >> 22) & 1)

static uint32_t name_attr(const struct wname *r)
{
	return (uint32_t)r->feed | (uint32_t)(r->action & 1) << 16 |
	       (uint32_t)(r->match == FZ_MATCH_SUBTREE) << 17 | (uint32_t)(r->prio & 3) << 18 |
	       (uint32_t)(r->policy & 3) << 20 | (uint32_t)(r->local_n != 0) << 22;
}

static int cmp_hidx(const void *x, const void *y)
{
	const struct hidx *a = x, *b = y;
	/* Ties in input order, as the radix sort keeps them: the output is deterministic. */
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* LSD radix sort on h, 16 bits a pass (small inputs: a comparison sort). */
static int radix_sort(struct hidx *a, size_t n)
{
	if (n < 8192) {
		qsort(a, n, sizeof(*a), cmp_hidx);
		return 0;
	}
	struct hidx *tmp = malloc(n * sizeof(*tmp) + 1);
	size_t *count = malloc(65536 * sizeof(*count));
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return -ENOMEM;
	}
	struct hidx *src = a, *dst = tmp;
	for (unsigned shift = 0; shift < 64; shift += 16) {
		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(src[i].h >> shift) & 0xffff]++;
		size_t sum = 0;
		for (size_t i = 0; i < 65536; i++) {
			size_t c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].h >> shift) & 0xffff]++] = src[i];
		struct hidx *t = src;
		src = dst;
		dst = t;
	}
	/* Four passes: the sorted data is back in `a`. */
	free(tmp);
	free(count);
	return 0;
}

/* A key being built, with what explains it. */
struct kent {
	uint64_t key;
	uint32_t primary;     /* index into names of the deciding rule */
	uint32_t feedset_off; /* FEEDSETS offset of the feeds that list it */
	uint32_t rule_off;    /* STRINGS offset of the rule text, once kept */
	uint16_t rule_len;
	uint8_t policy;
	uint8_t category;
	uint8_t has_local;
	uint8_t state; /* KENT_* */
};

enum { KENT_NEW = 0, KENT_KEPT = 1, KENT_PRUNED = 2 };

struct build {
	struct fz_blwriter *w;
	struct fz_hkey hk;
	/* output arrays */
	uint16_t *feedsets;
	size_t feedsets_len, feedsets_cap;
	char *strings;
	size_t strings_len, strings_cap;
	uint8_t *local;
	size_t local_n, local_cap;
	/* feed set interning */
	uint32_t *fs_slots;
	size_t fs_mask, fs_used;
	uint32_t *single_fs; /* per feed: its one-feed set, or UINT32_MAX */
	/* scratch for feed lists */
	uint16_t *scratch;
	size_t scratch_cap;
};

static int strings_put(struct build *b, const char *a, size_t alen, const char *c, size_t clen,
		       uint32_t *ret)
{
	size_t need = b->strings_len + alen + clen + 1;
	if (need > UINT32_MAX)
		return -E2BIG;
	if (need > b->strings_cap) {
		size_t cap = b->strings_cap ? b->strings_cap : 1 << 20;
		while (cap < need)
			cap *= 2;
		char *ns = realloc(b->strings, cap);
		if (!ns)
			return -ENOMEM;
		b->strings = ns;
		b->strings_cap = cap;
	}
	*ret = (uint32_t)b->strings_len;
	memcpy(b->strings + b->strings_len, a, alen);
	if (clen)
		memcpy(b->strings + b->strings_len + alen, c, clen);
	b->strings[b->strings_len + alen + clen] = '\0';
	b->strings_len = need;
	return 0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Intern a sorted, unique feed list; returns its FEEDSETS offset. */
static int feedset_intern(struct build *b, const uint16_t *ids, uint32_t n, uint32_t *ret)
{
	if (n > 65535)
		n = 65535;
	if ((b->fs_used + 1) * 2 > b->fs_mask + 1) {
		size_t ncap = b->fs_mask ? (b->fs_mask + 1) * 2 : 256;
		uint32_t *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		for (size_t i = 0; b->fs_mask && i <= b->fs_mask; i++) {
			if (!b->fs_slots[i])
				continue;
			uint32_t off = b->fs_slots[i] - 1;
			const uint16_t *s = b->feedsets + off;
			size_t j = fz_hash_bytes(0, s + 1, s[0] * 2u) & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = b->fs_slots[i];
		}
		free(b->fs_slots);
		b->fs_slots = ns;
		b->fs_mask = ncap - 1;
	}
	size_t j = fz_hash_bytes(0, ids, n * 2u) & b->fs_mask;
	while (b->fs_slots[j]) {
		uint32_t off = b->fs_slots[j] - 1;
		const uint16_t *s = b->feedsets + off;
		if (s[0] == n && memcmp(s + 1, ids, n * 2u) == 0) {
			*ret = off;
			return 0;
		}
		j = (j + 1) & b->fs_mask;
	}
	if (b->feedsets_len + n + 1 > b->feedsets_cap) {
		size_t cap = b->feedsets_cap ? b->feedsets_cap * 2 : 1024;
		while (cap < b->feedsets_len + n + 1)
			cap *= 2;
		uint16_t *nf = realloc(b->feedsets, cap * 2);
		if (!nf)
			return -ENOMEM;
		b->feedsets = nf;
		b->feedsets_cap = cap;
	}
	if (b->feedsets_len + n + 1 > UINT32_MAX - 1)
		return -E2BIG;
	uint32_t off = (uint32_t)b->feedsets_len;
	b->feedsets[off] = (uint16_t)n;
	memcpy(b->feedsets + off + 1, ids, n * 2u);
	b->feedsets_len += n + 1;
	b->fs_slots[j] = off + 1;
	b->fs_used++;
	*ret = off;
	return 0;
}

static int scratch_reserve(struct build *b, size_t n)
{
	if (n <= b->scratch_cap)
		return 0;
	uint16_t *ns = realloc(b->scratch, n * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	b->scratch = ns;
	b->scratch_cap = n;
	return 0;
}

/* Sort and dedupe `n` feed ids in scratch, intern them. */
static int feedset_from_scratch(struct build *b, size_t n, uint32_t *ret)
{
	qsort(b->scratch, n, sizeof(uint16_t), cmp_u16);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || b->scratch[u - 1] != b->scratch[i])
			b->scratch[u++] = b->scratch[i];
	return feedset_intern(b, b->scratch, (uint32_t)u, ret);
}

static uint64_t key_action_kind(uint8_t action, uint8_t match)
{
	if (action == FZ_ACTION_ALLOW)
		return match == FZ_MATCH_SUBTREE ? FZ_KEY_ALLOW_SUBTREE : FZ_KEY_ALLOW_EXACT;
	return match == FZ_MATCH_SUBTREE ? FZ_KEY_BLOCK_SUBTREE : FZ_KEY_BLOCK_EXACT;
}

static bool key_is_allow(uint64_t key)
{
	return (key & 3) >= FZ_KEY_ALLOW_SUBTREE;
}

static bool key_is_subtree(uint64_t key)
{
	return (key & 3) == FZ_KEY_BLOCK_SUBTREE || (key & 3) == FZ_KEY_ALLOW_SUBTREE;
}

/* A bucket index over sorted keys: first key of each top-bits bucket. */
struct keyindex {
	const uint64_t *keys;
	uint32_t *first;
	unsigned bits;
};

static unsigned pick_hash_bits(size_t n)
{
	unsigned b = 0;
	while (b < 30 && ((size_t)2 << b) * 2 <= n)
		b++;
	return b; /* 2^b buckets of 2..4 keys */
}

static inline size_t key_bucket(unsigned bits, uint64_t k)
{
	return bits ? (size_t)(k >> (64 - bits)) : 0;
}

/* Fill first[0..2^bits] for n sorted keys. */
static void keyindex_fill(uint32_t *first, unsigned bits, const uint64_t *keys, size_t n)
{
	size_t nb = (size_t)1 << bits;
	for (size_t bk = 0, i = 0; bk <= nb; bk++) {
		while (i < n && key_bucket(bits, keys[i]) < bk)
			i++;
		first[bk] = (uint32_t)(bk == nb ? n : i);
	}
}

/* Index of the key with fingerprint h (62 bits) and a subtree kind, or SIZE_MAX. */
static size_t find_subtree(const struct keyindex *ki, uint64_t h)
{
	uint64_t base = h & ~3ull;
	size_t bk = key_bucket(ki->bits, h);
	for (size_t i = ki->first[bk]; i < ki->first[bk + 1]; i++) {
		uint64_t k = ki->keys[i];
		if (k < base)
			continue;
		if ((k & ~3ull) != base)
			break;
		if (key_is_subtree(k))
			return i;
	}
	return SIZE_MAX;
}

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (!errbuf || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/*
 * The feed set of the rules in run[] that agree with `attr` (action and
 * priority). For a subtree key only subtree rules count: a feed that
 * lists just the name itself must never be named for its children.
 */
static bool run_agrees(uint32_t a, uint32_t with, bool subtree_key)
{
	return ATTR_ACTION(a) == ATTR_ACTION(with) && ATTR_PRIO(a) == ATTR_PRIO(with) &&
	       (!subtree_key || ATTR_SUBTREE(a));
}

static int run_feedset(struct build *b, const struct hidx *run, size_t n, uint32_t attr,
		       bool subtree_key, uint32_t *ret)
{
	size_t nf = 0;
	for (size_t i = 0; i < n; i++)
		nf += run_agrees(run[i].attr, attr, subtree_key);
	if (nf == 1) {
		/* Nearly every name comes from one feed: its set is cached. */
		uint16_t f = ATTR_FEED(attr);
		if (b->single_fs[f] == UINT32_MAX) {
			int rc = feedset_intern(b, &f, 1, &b->single_fs[f]);
			if (rc < 0)
				return rc;
		}
		*ret = b->single_fs[f];
		return 0;
	}
	int rc = scratch_reserve(b, nf);
	if (rc < 0)
		return rc;
	nf = 0;
	for (size_t i = 0; i < n; i++)
		if (run_agrees(run[i].attr, attr, subtree_key))
			b->scratch[nf++] = ATTR_FEED(run[i].attr);
	return feedset_from_scratch(b, nf, ret);
}

/*
 * Which of two rules on one name explains it: the stronger (local lists,
 * allow), then one with local data, then an explicit policy, then the feed
 * whose name sorts first. Never the order of the feeds in the config: the
 * same feeds must give the same file.
 */
static bool rule_better(const struct fz_blwriter *w, uint32_t a, uint32_t b)
{
	if (ATTR_PRIO(a) != ATTR_PRIO(b))
		return ATTR_PRIO(a) > ATTR_PRIO(b);
	if (ATTR_LOCAL(a) != ATTR_LOCAL(b))
		return ATTR_LOCAL(a) > ATTR_LOCAL(b);
	if (ATTR_POLICY(a) != ATTR_POLICY(b))
		return ATTR_POLICY(a) > ATTR_POLICY(b);
	return strcmp(w->feeds.v[ATTR_FEED(a)].name, w->feeds.v[ATTR_FEED(b)].name) < 0;
}

/*
 * Resolve the rules of one name (a run of equal fingerprints) into at most
 * two keys: a subtree key (what holds below the name) and an exact key
 * (what holds for the name itself, when it differs).
 */
static int resolve_name(struct build *b, const struct hidx *run, size_t n, struct kent *out,
			size_t *nout, struct fz_blwriter_stats *st)
{
	size_t any_i = 0, sub_i = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		if (rule_better(b->w, run[i].attr, run[any_i].attr))
			any_i = i;
		if (ATTR_SUBTREE(run[i].attr) &&
		    (sub_i == SIZE_MAX || rule_better(b->w, run[i].attr, run[sub_i].attr)))
			sub_i = i;
	}
	size_t emit[2], ne = 0;
	uint8_t match[2];
	if (sub_i != SIZE_MAX) {
		match[ne] = FZ_MATCH_SUBTREE;
		emit[ne++] = sub_i;
	}
	if (sub_i == SIZE_MAX || ATTR_ACTION(run[any_i].attr) != ATTR_ACTION(run[sub_i].attr)) {
		match[ne] = FZ_MATCH_EXACT;
		emit[ne++] = any_i;
	}
	/* Keys must come out sorted: kinds ascend with the low two bits. */
	if (ne == 2 && key_action_kind(ATTR_ACTION(run[emit[1]].attr), match[1]) <
			   key_action_kind(ATTR_ACTION(run[emit[0]].attr), match[0])) {
		size_t t = emit[0];
		emit[0] = emit[1];
		emit[1] = t;
		uint8_t tm = match[0];
		match[0] = match[1];
		match[1] = tm;
	}
	for (size_t e = 0; e < ne; e++) {
		uint32_t a = run[emit[e]].attr;
		struct kent *k = &out[(*nout)++];
		*k = (struct kent){
		    .key = (run[0].h & ~3ull) | key_action_kind(ATTR_ACTION(a), match[e]),
		    .primary = run[emit[e]].idx,
		    .policy = ATTR_POLICY(a),
		    .category = b->w->feeds.v[ATTR_FEED(a)].category,
		    .has_local = (uint8_t)ATTR_LOCAL(a),
		};
		int rc = run_feedset(b, run, n, a, match[e] == FZ_MATCH_SUBTREE, &k->feedset_off);
		if (rc < 0)
			return rc;
	}
	/* Rules that agree with a kept key were merged; the rest lost. */
	size_t agree = 0;
	for (size_t i = 0; i < n; i++) {
		bool kept = false;
		for (size_t e = 0; e < ne; e++)
			kept |= ATTR_ACTION(run[emit[e]].attr) == ATTR_ACTION(run[i].attr);
		agree += kept;
	}
	st->merged += agree > ne ? agree - ne : 0;
	st->shadowed += n - agree;
	return 0;
}

/* Hash every name rule, sort, resolve per name. Returns -EAGAIN on a real collision. */
static int build_names(struct build *b, struct kent **ret, size_t *ret_n,
		       struct fz_blwriter_stats *st)
{
	struct fz_blwriter *w = b->w;
	size_t n = w->names.n;
	struct hidx *hx = malloc((n ? n : 1) * sizeof(*hx));
	struct kent *keys = malloc((n ? n : 1) * sizeof(*keys));
	int rc = 0;
	if (!hx || !keys) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct wname *r = &w->names.v[i];
		hx[i].h = fz_hash_name(&b->hk, w->arena + r->name_off, r->name_len);
		hx[i].idx = (uint32_t)i;
		hx[i].attr = name_attr(r);
	}
	rc = radix_sort(hx, n);
	if (rc < 0)
		goto fail;
	size_t nk = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && (hx[j].h >> 2) == (hx[i].h >> 2))
			j++;
		/*
		 * Keys compare on 62 bits; two names there must be one name.
		 * Checking reads the names (random access), so only runs of
		 * several rules are checked here; runs of one cannot collide.
		 */
		if (j - i > 1) {
			const struct wname *first = &w->names.v[hx[i].idx];
			for (size_t k = i + 1; k < j; k++) {
				const struct wname *r = &w->names.v[hx[k].idx];
				if (r->name_len != first->name_len ||
				    memcmp(w->arena + r->name_off, w->arena + first->name_off,
					   r->name_len) != 0) {
					rc = -EAGAIN;
					goto fail;
				}
			}
		}
		rc = resolve_name(b, hx + i, j - i, keys, &nk, st);
		if (rc < 0)
			goto fail;
		i = j;
	}
	free(hx);
	*ret = keys;
	*ret_n = nk;
	return 0;
fail:
	free(hx);
	free(keys);
	return rc;
}

/*
 * Drop keys whose verdict a parent (or the name's own subtree key) already
 * gives, and write the rule text of every kept key. Walks the rules in the
 * order they were added, so names are read sequentially; keys are found
 * through a bucket index.
 */
static int prune_names(struct build *b, struct kent *keys, size_t n, size_t *ret_pruned)
{
	const struct fz_blwriter *w = b->w;
	struct keyindex ki = {.bits = pick_hash_bits(n)};
	uint64_t *kk = malloc((n ? n : 1) * sizeof(*kk));
	ki.first = malloc((((size_t)1 << ki.bits) + 1) * sizeof(*ki.first));
	if (!kk || !ki.first) {
		free(kk);
		free(ki.first);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		kk[i] = keys[i].key;
	ki.keys = kk;
	keyindex_fill(ki.first, ki.bits, kk, n);

	/*
	 * Rules go in batches: hash a batch, prefetch the buckets of every
	 * suffix, then the keys, then decide. The misses of a batch overlap
	 * instead of being paid one after another.
	 */
	enum { BATCH = 16, DEPTH = 8 };
	static __thread uint64_t fps[BATCH][FZ_MAX_LABELS];
	unsigned nls[BATCH];
	size_t pruned = 0;
	int rc = 0;
	for (size_t r0 = 0; r0 < w->names.n && rc == 0; r0 += BATCH) {
		size_t nb = w->names.n - r0 < BATCH ? w->names.n - r0 : BATCH;
		for (size_t j = 0; j < nb; j++) {
			const struct wname *r = &w->names.v[r0 + j];
			nls[j] = fz_hash_suffixes(&b->hk, w->arena + r->name_off, r->name_len,
						  fps[j], FZ_MAX_LABELS);
			for (unsigned d = nls[j], q = 0; d-- > 0 && q < DEPTH; q++)
				__builtin_prefetch(&ki.first[key_bucket(ki.bits, fps[j][d])]);
		}
		for (size_t j = 0; j < nb; j++) {
			for (unsigned d = nls[j], q = 0; d-- > 0 && q < DEPTH; q++) {
				uint32_t f = ki.first[key_bucket(ki.bits, fps[j][d])];
				__builtin_prefetch(&kk[f]);
				if (q == 0)
					__builtin_prefetch(&keys[f]);
			}
		}
		for (size_t j = 0; j < nb && rc == 0; j++) {
			const struct wname *r = &w->names.v[r0 + j];
			const char *name = w->arena + r->name_off;
			unsigned nl = nls[j];
			if (!nl)
				continue;
			uint64_t base = fps[j][nl - 1] & ~3ull;
			size_t bk = key_bucket(ki.bits, base);
			for (size_t i = ki.first[bk]; i < ki.first[bk + 1]; i++) {
				if ((kk[i] & ~3ull) < base)
					continue;
				if ((kk[i] & ~3ull) != base)
					break;
				struct kent *k = &keys[i];
				if (k->state != KENT_NEW)
					continue;
				size_t inh = SIZE_MAX;
				if (!key_is_subtree(k->key))
					inh = find_subtree(&ki, k->key);
				for (unsigned d = nl - 1; d-- > 0 && inh == SIZE_MAX;)
					inh = find_subtree(&ki, fps[j][d]);
				if (inh != SIZE_MAX &&
				    key_is_allow(kk[inh]) == key_is_allow(k->key) &&
				    keys[inh].policy == k->policy && !k->has_local) {
					k->state = KENT_PRUNED;
					pruned++;
					continue;
				}
				bool sub = key_is_subtree(k->key);
				rc = strings_put(b, sub ? "*." : "", sub ? 2 : 0, name, r->name_len,
						 &k->rule_off);
				k->rule_len = (uint16_t)((sub ? 2 : 0) + r->name_len);
				if (rc < 0)
					break;
				k->state = KENT_KEPT;
			}
		}
	}
	free(kk);
	free(ki.first);
	*ret_pruned = pruned;
	return rc;
}

struct out_section {
	uint32_t type;
	const void *data;
	uint64_t length, count;
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t r = write(fd, c, n > (1u << 30) ? (1u << 30) : n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The generation of the file being replaced: 0 when absent, -1 when unreadable. */
static int64_t existing_generation(const char *path)
{
	struct fz_bl_header h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	ssize_t r = pread(fd, &h, sizeof(h), 0);
	close(fd);
	if (r != (ssize_t)sizeof(h) || memcmp(h.magic, FZ_BL_MAGIC, 8) != 0 ||
	    h.generation > INT64_MAX)
		return -1;
	return (int64_t)h.generation;
}

static int publish(const char *path, const uint8_t *img, size_t len, char *errbuf, size_t errlen)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		set_err(errbuf, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		set_err(errbuf, errlen, "cannot create a temporary file beside %s: %s", path,
			strerror(e));
		return -e;
	}
	int rc = write_all(fd, img, len);
	if (rc == 0 && fchmod(fd, 0644) < 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		set_err(errbuf, errlen, "cannot write %s: %s (the previous file is unchanged)",
			path, strerror(-rc));
		unlink(tmp);
		return rc;
	}
	/* Make the rename itself durable. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static void build_free(struct build *b)
{
	free(b->feedsets);
	free(b->strings);
	free(b->local);
	free(b->fs_slots);
	free(b->scratch);
	free(b->single_fs);
	memset(b, 0, sizeof(*b));
}

/* The rule text's length in the high byte of fz_bl_meta.local_idx (255: read it). */
static uint32_t rule_len_bits(size_t len)
{
	return (uint32_t)(len < 255 ? len : 255) << 24;
}

static int local_put(struct build *b, const struct fz_local_addr *a, size_t n, uint32_t *ret)
{
	if (b->local_n + n > FZ_BL_LOCAL_IDX_MASK)
		return -E2BIG;
	if (b->local_n + n > b->local_cap) {
		size_t cap = b->local_cap ? b->local_cap * 2 : 64;
		while (cap < b->local_n + n)
			cap *= 2;
		uint8_t *nl = realloc(b->local, cap * FZ_BL_LOCAL_RECORD);
		if (!nl)
			return -ENOMEM;
		b->local = nl;
		b->local_cap = cap;
	}
	if (b->local_n + n > UINT32_MAX)
		return -E2BIG;
	*ret = (uint32_t)b->local_n;
	for (size_t i = 0; i < n; i++) {
		uint8_t *rec = b->local + (b->local_n + i) * FZ_BL_LOCAL_RECORD;
		rec[0] = a[i].family == AF_INET6 ? 6 : 4;
		memcpy(rec + 1, a[i].addr, 16);
	}
	b->local_n += n;
	return 0;
}

struct iprange {
	uint8_t first[16], last[16];
	uint16_t feed;
	uint8_t family, prefix;
	const uint8_t *addr;
};

static int cmp_range(const void *a, const void *b)
{
	const struct iprange *x = a, *y = b;
	int c = memcmp(x->first, y->first, 16);
	if (c)
		return c;
	return memcmp(y->last, x->last, 16); /* wider first */
}

static int rule_text_ip(struct build *b, const struct iprange *r, uint32_t *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char addr[INET6_ADDRSTRLEN];
	inet_ntop(r->family, r->addr, addr, sizeof(addr));
	int n = snprintf(buf, sizeof(buf), "%s/%u", addr, r->prefix);
	return strings_put(b, buf, (size_t)n, NULL, 0, ret);
}

static int build_ips(struct build *b, int family, void **ret, size_t *ret_n,
		     struct fz_blwriter_stats *st)
{
	const struct fz_blwriter *w = b->w;
	size_t n = 0;
	for (size_t i = 0; i < w->ips.n; i++)
		n += w->ips.v[i].family == family;
	struct iprange *rg = calloc(n ? n : 1, sizeof(*rg));
	if (!rg)
		return -ENOMEM;
	size_t k = 0;
	unsigned bytes = family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < w->ips.n; i++) {
		const struct wip *p = &w->ips.v[i];
		if (p->family != family)
			continue;
		struct iprange *r = &rg[k++];
		r->family = p->family;
		r->prefix = p->prefix;
		r->feed = p->feed;
		r->addr = p->addr;
		for (unsigned j = 0; j < bytes; j++) {
			unsigned keep = p->prefix > j * 8 ? p->prefix - j * 8 : 0;
			uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff00u >> keep);
			r->first[16 - bytes + j] = p->addr[j] & mask;
			r->last[16 - bytes + j] = (uint8_t)(p->addr[j] | (uint8_t)~mask);
		}
	}
	qsort(rg, n, sizeof(*rg), cmp_range);
	size_t esz = family == AF_INET ? sizeof(struct fz_bl_ip4) : sizeof(struct fz_bl_ip6);
	uint8_t *out = calloc(n ? n : 1, esz);
	if (!out) {
		free(rg);
		return -ENOMEM;
	}
	size_t no = 0;
	int rc = 0;
	for (size_t i = 0; i < n;) {
		/* Merge every range that overlaps the first; the first explains them. */
		struct iprange cur = rg[i];
		size_t j = i + 1;
		int rc2 = scratch_reserve(b, n - i);
		if (rc2 < 0) {
			rc = rc2;
			break;
		}
		size_t nf = 0;
		b->scratch[nf++] = cur.feed;
		while (j < n && memcmp(rg[j].first, cur.last, 16) <= 0) {
			if (memcmp(rg[j].last, cur.last, 16) > 0)
				memcpy(cur.last, rg[j].last, 16);
			if (memcmp(rg[j].first, rg[i].first, 16) == 0 &&
			    memcmp(rg[j].last, rg[i].last, 16) == 0)
				st->merged++;
			else
				st->pruned++;
			b->scratch[nf++] = rg[j].feed;
			j++;
		}
		uint32_t rule, fs;
		rc = rule_text_ip(b, &cur, &rule);
		if (rc == 0)
			rc = feedset_from_scratch(b, nf, &fs);
		if (rc < 0)
			break;
		uint8_t cat = w->feeds.v[cur.feed].category;
		if (family == AF_INET) {
			struct fz_bl_ip4 *e = (struct fz_bl_ip4 *)out + no;
			uint32_t f, l;
			memcpy(&f, cur.first + 12, 4);
			memcpy(&l, cur.last + 12, 4);
			e->first = ntohl(f);
			e->last = ntohl(l);
			e->rule_off = rule;
			e->feedset_off = fs;
			e->category = cat;
		} else {
			struct fz_bl_ip6 *e = (struct fz_bl_ip6 *)out + no;
			memcpy(e->first, cur.first, 16);
			memcpy(e->last, cur.last, 16);
			e->rule_off = rule;
			e->feedset_off = fs;
			e->category = cat;
		}
		no++;
		i = j;
	}
	free(rg);
	if (rc < 0) {
		free(out);
		return rc;
	}
	*ret = out;
	*ret_n = no;
	return 0;
}

static uint64_t url_key(const struct build *b, const char *host, size_t hlen, const char *path,
			size_t plen)
{
	uint64_t s = fz_hash_path_init(&b->hk, fz_hash_name(&b->hk, host, hlen));
	for (size_t i = 0; i < plen; i++)
		s = fz_hash_path_byte(s, (unsigned char)path[i]);
	return fz_hash_path_final(&b->hk, s);
}

static int build_urls(struct build *b, uint64_t **ret_keys, struct fz_bl_meta **ret_meta,
		      size_t *ret_n, uint64_t **ret_hosts, size_t *ret_nh,
		      struct fz_blwriter_stats *st)
{
	const struct fz_blwriter *w = b->w;
	size_t n = w->urls.n;
	struct hidx *hx = malloc((n ? n : 1) * sizeof(*hx));
	struct hidx *hh = malloc((n ? n : 1) * sizeof(*hh));
	uint64_t *keys = malloc((n ? n : 1) * sizeof(*keys));
	uint64_t *hosts = malloc((n ? n : 1) * sizeof(*hosts));
	struct fz_bl_meta *meta = calloc(n ? n : 1, sizeof(*meta));
	int rc = 0;
	if (!hx || !hh || !keys || !hosts || !meta) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct wurl *u = &w->urls.v[i];
		hx[i].h = url_key(b, w->arena + u->host_off, u->host_len, w->arena + u->path_off,
				  u->path_len);
		hx[i].idx = (uint32_t)i;
		hh[i].h = fz_hash_name(&b->hk, w->arena + u->host_off, u->host_len);
		hh[i].idx = (uint32_t)i;
	}
	if ((rc = radix_sort(hx, n)) < 0 || (rc = radix_sort(hh, n)) < 0)
		goto fail;
	size_t nk = 0;
	for (size_t i = 0; i < n;) {
		const struct wurl *f = &w->urls.v[hx[i].idx];
		size_t j = i + 1;
		while (j < n && hx[j].h == hx[i].h) {
			const struct wurl *u = &w->urls.v[hx[j].idx];
			if (u->host_len != f->host_len || u->path_len != f->path_len ||
			    memcmp(w->arena + u->host_off, w->arena + f->host_off, f->host_len) ||
			    /* paths match case-insensitively, as adblock's do: one rule */
			    strncasecmp(w->arena + u->path_off, w->arena + f->path_off,
					f->path_len)) {
				rc = -EAGAIN;
				goto fail;
			}
			j++;
		}
		if ((rc = scratch_reserve(b, j - i)) < 0)
			goto fail;
		for (size_t k = i; k < j; k++)
			b->scratch[k - i] = w->urls.v[hx[k].idx].feed;
		st->merged += j - i - 1;
		struct fz_bl_meta *m = &meta[nk];
		if ((rc = feedset_from_scratch(b, j - i, &m->feedset_off)) < 0 ||
		    (rc = strings_put(b, w->arena + f->host_off, f->host_len,
				      w->arena + f->path_off, f->path_len, &m->rule_off)) < 0)
			goto fail;
		m->category = w->feeds.v[f->feed].category;
		m->local_idx = rule_len_bits((size_t)f->host_len + f->path_len);
		keys[nk++] = hx[i].h;
		i = j;
	}
	size_t nh = 0;
	for (size_t i = 0; i < n; i++)
		if (nh == 0 || hosts[nh - 1] != hh[i].h)
			hosts[nh++] = hh[i].h;
	free(hx);
	free(hh);
	*ret_keys = keys;
	*ret_meta = meta;
	*ret_n = nk;
	*ret_hosts = hosts;
	*ret_nh = nh;
	return 0;
fail:
	free(hx);
	free(hh);
	free(keys);
	free(hosts);
	free(meta);
	return rc;
}

/*
 * Place the sorted keys into buckets of FZ_BL_SLOTS slots, each key in the
 * emptier of its two buckets, displacing residents to their other bucket
 * when both are full (bucketized cuckoo hashing: with 8 slots a bucket,
 * loads past 95% place). The table grows a little when placement fails.
 * Deterministic for a given seed, so equal inputs give equal files.
 */
#define TARGET_LOAD 0.92
#define MAX_KICKS   2000

static uint64_t other_bucket(uint64_t key, uint64_t b, uint64_t nb)
{
	uint64_t b1 = fz_bl_bucket1(key, nb);
	return b == b1 ? fz_bl_bucket2(key, nb) : b1;
}

static int place_keys(const uint64_t *keys, const struct fz_bl_meta *meta, size_t n,
		      const uint8_t seed[16], uint64_t **ret_slots, struct fz_bl_meta **ret_meta,
		      size_t *ret_nb)
{
	if (n == 0) {
		*ret_slots = NULL;
		*ret_meta = NULL;
		*ret_nb = 0;
		return 0;
	}
	size_t nb = (size_t)((double)n / (FZ_BL_SLOTS * TARGET_LOAD)) + 1;
	for (;;) {
		if (nb > UINT32_MAX)
			return -E2BIG;
		uint32_t *slot = calloc(nb * FZ_BL_SLOTS, sizeof(*slot)); /* key index + 1 */
		uint8_t *fill = calloc(nb, 1);
		if (!slot || !fill) {
			free(slot);
			free(fill);
			return -ENOMEM;
		}
		uint64_t rng;
		memcpy(&rng, seed, 8);
		rng |= 1;
		bool ok = true;
		for (size_t i = 0; i < n && ok; i++) {
			uint64_t b1 = fz_bl_bucket1(keys[i], nb), b2 = fz_bl_bucket2(keys[i], nb);
			uint64_t b = fill[b1] <= fill[b2] ? b1 : b2;
			uint32_t cur = (uint32_t)i + 1;
			for (unsigned kick = 0;; kick++) {
				if (fill[b] < FZ_BL_SLOTS) {
					slot[b * FZ_BL_SLOTS + fill[b]++] = cur;
					break;
				}
				if (kick == MAX_KICKS) {
					ok = false;
					break;
				}
				/* evict a resident chosen at random; it moves to its other bucket
				 */
				rng ^= rng << 13;
				rng ^= rng >> 7;
				rng ^= rng << 17;
				size_t v = b * FZ_BL_SLOTS + (size_t)(rng % FZ_BL_SLOTS);
				uint32_t victim = slot[v];
				slot[v] = cur;
				cur = victim;
				b = other_bucket(keys[cur - 1], b, nb);
			}
		}
		if (!ok) {
			free(slot);
			free(fill);
			nb += nb / 32 + 1;
			continue;
		}
		uint64_t *out = calloc(nb * FZ_BL_SLOTS, sizeof(*out));
		struct fz_bl_meta *om = calloc(nb * FZ_BL_SLOTS, sizeof(*om));
		if (!out || !om) {
			free(out);
			free(om);
			free(slot);
			free(fill);
			return -ENOMEM;
		}
		for (size_t s = 0; s < nb * FZ_BL_SLOTS; s++) {
			if (!slot[s])
				continue;
			out[s] = keys[slot[s] - 1];
			om[s] = meta[slot[s] - 1];
		}
		free(slot);
		free(fill);
		*ret_slots = out;
		*ret_meta = om;
		*ret_nb = nb;
		return 0;
	}
}

static int try_build(struct fz_blwriter *w, const uint8_t seed[16], uint64_t generation,
		     uint64_t created, uint8_t **ret_img, size_t *ret_len,
		     struct fz_blwriter_stats *st)
{
	struct build b = {.w = w};
	struct kent *keys = NULL;
	size_t nk = 0;
	uint64_t *nkeys = NULL, *ukeys = NULL, *uhosts = NULL;
	uint64_t *slots = NULL;
	struct fz_bl_meta *smeta = NULL;
	struct fz_bl_meta *nmeta = NULL, *umeta = NULL;
	void *ip4 = NULL, *ip6 = NULL;
	struct fz_bl_feed *feeds = NULL;
	uint8_t *img = NULL;
	size_t nu = 0, nuh = 0, n4 = 0, n6 = 0;
	int rc;

	fz_hkey_init(&b.hk, seed);
	b.single_fs = malloc((w->feeds.n ? w->feeds.n : 1) * sizeof(*b.single_fs));
	if (!b.single_fs) {
		rc = -ENOMEM;
		goto out;
	}
	memset(b.single_fs, 0xff, (w->feeds.n ? w->feeds.n : 1) * sizeof(*b.single_fs));
	rc = build_names(&b, &keys, &nk, st);
	if (rc < 0)
		goto out;
	size_t npruned;
	rc = prune_names(&b, keys, nk, &npruned);
	if (rc < 0)
		goto out;
	st->pruned += npruned;

	size_t kept = 0;
	for (size_t i = 0; i < nk; i++)
		kept += keys[i].state == KENT_KEPT;
	nkeys = malloc((kept ? kept : 1) * sizeof(*nkeys));
	nmeta = calloc(kept ? kept : 1, sizeof(*nmeta));
	if (!nkeys || !nmeta) {
		rc = -ENOMEM;
		goto out;
	}
	size_t o = 0;
	uint64_t n_allow = 0;
	for (size_t i = 0; i < nk; i++) {
		const struct kent *k = &keys[i];
		if (k->state != KENT_KEPT)
			continue;
		struct fz_bl_meta *m = &nmeta[o];
		if (k->has_local) {
			const struct wname *r = &w->names.v[k->primary];
			rc = local_put(&b, (const struct fz_local_addr *)(w->arena + r->local_off),
				       r->local_n, &m->local_idx);
			if (rc < 0)
				goto out;
			m->local_n = r->local_n;
		}
		m->rule_off = k->rule_off;
		m->local_idx |= rule_len_bits(k->rule_len);
		m->feedset_off = k->feedset_off;
		m->policy = k->policy;
		m->category = k->category;
		m->match = key_is_subtree(k->key) ? FZ_MATCH_SUBTREE : FZ_MATCH_EXACT;
		n_allow += key_is_allow(k->key);
		nkeys[o++] = k->key;
	}
	free(keys);
	keys = NULL;

	size_t nb;
	rc = place_keys(nkeys, nmeta, kept, seed, &slots, &smeta, &nb);
	if (rc < 0)
		goto out;

	rc = build_urls(&b, &ukeys, &umeta, &nu, &uhosts, &nuh, st);
	if (rc == 0)
		rc = build_ips(&b, AF_INET, &ip4, &n4, st);
	if (rc == 0)
		rc = build_ips(&b, AF_INET6, &ip6, &n6, st);
	if (rc < 0)
		goto out;

	feeds = calloc(w->feeds.n ? w->feeds.n : 1, sizeof(*feeds));
	if (!feeds) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < w->feeds.n; i++) {
		const struct wfeed *f = &w->feeds.v[i];
		if ((rc = strings_put(&b, f->name, strlen(f->name), NULL, 0, &feeds[i].name_off)) <
			0 ||
		    (rc = strings_put(&b, f->source, strlen(f->source), NULL, 0,
				      &feeds[i].source_off)) < 0)
			goto out;
		feeds[i].category = f->category;
		feeds[i].role = f->role;
		feeds[i].entries = f->entries;
	}
	/* The strings section ends in NUL even when empty: offsets stay terminated. */
	uint32_t dummy;
	if ((rc = strings_put(&b, "", 0, NULL, 0, &dummy)) < 0)
		goto out;

	struct out_section secs[] = {
	    {FZ_SEC_NAME_KEYS, slots, nb * FZ_BL_SLOTS * 8, nb * FZ_BL_SLOTS},
	    {FZ_SEC_NAME_META, smeta, nb * FZ_BL_SLOTS * sizeof(*smeta), nb * FZ_BL_SLOTS},
	    {FZ_SEC_URL_KEYS, ukeys, nu * 8, nu},
	    {FZ_SEC_URL_META, umeta, nu * sizeof(*umeta), nu},
	    {FZ_SEC_URL_HOSTS, uhosts, nuh * 8, nuh},
	    {FZ_SEC_IP4, ip4, n4 * sizeof(struct fz_bl_ip4), n4},
	    {FZ_SEC_IP6, ip6, n6 * sizeof(struct fz_bl_ip6), n6},
	    {FZ_SEC_FEEDSETS, b.feedsets, b.feedsets_len * 2, b.feedsets_len},
	    {FZ_SEC_FEEDS, feeds, w->feeds.n * sizeof(*feeds), w->feeds.n},
	    {FZ_SEC_STRINGS, b.strings, b.strings_len, b.strings_len},
	    {FZ_SEC_LOCAL, b.local, b.local_n * FZ_BL_LOCAL_RECORD, b.local_n},
	};
	size_t nsec = sizeof(secs) / sizeof(secs[0]);
	uint64_t off = FZ_BL_HEADER_SIZE;
	uint64_t offs[sizeof(secs) / sizeof(secs[0])];
	for (size_t i = 0; i < nsec; i++) {
		offs[i] = off;
		off += (secs[i].length + FZ_BL_ALIGN - 1) & ~(uint64_t)(FZ_BL_ALIGN - 1);
	}
	uint64_t size = off + sizeof(struct fz_bl_trailer);
	if (size > FZ_BL_MAX_FILE) {
		rc = -EFBIG;
		goto out;
	}
	img = calloc(1, size);
	if (!img) {
		rc = -ENOMEM;
		goto out;
	}
	struct fz_bl_header *h = (struct fz_bl_header *)img;
	memcpy(h->magic, FZ_BL_MAGIC, 8);
	h->major = FZ_BL_MAJOR;
	h->minor = FZ_BL_MINOR;
	h->header_size = FZ_BL_HEADER_SIZE;
	h->file_size = size;
	h->generation = generation;
	h->created = created;
	h->hash_alg = FZ_HASH_ALG_V1;
	h->buckets = (uint32_t)nb;
	memcpy(h->seed, seed, 16);
	h->n_names = kept;
	h->n_allow_names = n_allow;
	h->n_urls = nu;
	h->n_url_hosts = nuh;
	h->n_ip4 = n4;
	h->n_ip6 = n6;
	h->n_feeds = w->feeds.n;
	h->n_sections = (uint32_t)nsec;
	for (size_t i = 0; i < nsec; i++) {
		if (secs[i].length)
			memcpy(img + offs[i], secs[i].data, secs[i].length);
		h->sections[i] = (struct fz_bl_section){
		    .type = secs[i].type,
		    .offset = offs[i],
		    .length = secs[i].length,
		    .count = secs[i].count,
		    .checksum = fz_hash_bytes(secs[i].type, img + offs[i], secs[i].length),
		};
	}
	h->header_checksum = fz_hash_bytes(0, img, offsetof(struct fz_bl_header, header_checksum));
	struct fz_bl_trailer *t = (struct fz_bl_trailer *)(img + size - sizeof(*t));
	t->file_size = size;
	memcpy(t->magic, FZ_BL_END_MAGIC, 8);

	st->names = kept;
	st->allow_names = n_allow;
	st->urls = nu;
	st->url_hosts = nuh;
	st->ip4 = n4;
	st->ip6 = n6;
	st->file_size = size;
	st->index_bytes = nb * FZ_BL_SLOTS * 8;
	*ret_img = img;
	*ret_len = size;
	img = NULL;
out:
	free(keys);
	free(nkeys);
	free(nmeta);
	free(slots);
	free(smeta);
	free(ukeys);
	free(umeta);
	free(uhosts);
	free(ip4);
	free(ip6);
	free(feeds);
	free(img);
	build_free(&b);
	return rc;
}

int fz_blwriter_write(struct fz_blwriter *w, const char *path, const struct fz_blwriter_opts *opts,
		      struct fz_blwriter_stats *stats, char *errbuf, size_t errlen)
{
	struct fz_blwriter_stats st = {0};
	uint8_t seed[16];
	uint64_t gen = opts ? opts->generation : 0;
	uint64_t created = opts && opts->created ? opts->created : (uint64_t)time(NULL);

	if (gen == 0) {
		int64_t g = existing_generation(path);
		/*
		 * An unreadable old file may have been at any generation, and
		 * readers refuse to go back: start from the clock instead.
		 */
		gen = g < 0 ? (uint64_t)time(NULL) : (uint64_t)g + 1;
	}
	if (opts && opts->seed) {
		memcpy(seed, opts->seed, 16);
	} else if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		set_err(errbuf, errlen, "cannot get random bytes for the hash seed");
		return -EIO;
	}

	uint8_t *img = NULL;
	size_t len = 0;
	int rc;
	for (unsigned attempt = 0;; attempt++) {
		memset(&st, 0, sizeof(st));
		rc = try_build(w, seed, gen, created, &img, &len, &st);
		if (rc != -EAGAIN)
			break;
		if (attempt + 1 >= MAX_RESEEDS) {
			set_err(errbuf, errlen, "hash collisions persist after %u seeds",
				attempt + 1);
			return -EAGAIN;
		}
		/* A real 64-bit collision between two names: new seed, new build. */
		st.reseeds = attempt + 1;
		for (int i = 0; i < 16; i++)
			seed[i] = (uint8_t)(seed[i] * 167u + 13u + (unsigned)i + attempt);
	}
	if (rc < 0) {
		set_err(errbuf, errlen, "cannot build the blocklist: %s", strerror(-rc));
		return rc;
	}
	st.generation = gen;
	/* every rule handed in, the ones the format cannot hold (counted as shadowed) too */
	st.input_rules = w->names.n + w->urls.n + w->ips.n + w->ignored;
	st.shadowed += w->ignored;
	rc = publish(path, img, len, errbuf, errlen);
	free(img);
	if (rc < 0)
		return rc;
	if (stats)
		*stats = st;
	return 0;
}
