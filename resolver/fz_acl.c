/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client networks and response rate limiting.
 *
 * The ACL is a short list of prefixes scanned in order (a gateway has a
 * handful). IPv4-mapped IPv6 addresses (::ffff:a.b.c.d), in the list and
 * from clients, are treated as IPv4 so a dual-stack socket sees the same
 * rules as an IPv4 one.
 *
 * The rate limiter keeps one token bucket per client prefix in an open
 * addressing table of a fixed size, indexed by a keyed hash of the prefix
 * (the key is random per instance, so outsiders cannot aim at one slot).
 * A prefix lives in one of PROBE_WINDOW slots after its home slot; when
 * they are all taken by other prefixes the least recently touched one is
 * reused. Work per call is bounded by the window, memory by the table.
 * Tokens are counted in thousandths, so any rate refills smoothly.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "fz_acl.h"

#define ACL_TEXT_MAX	  64 /* longest "v6/len" we accept (INET6_ADDRSTRLEN + "/128") */
#define RRL_TABLE_DEFAULT 65536
#define RRL_TABLE_MAX	  (1u << 24)
#define RRL_PROBE_WINDOW  8
#define RRL_MILLI	  1000u

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Clear every bit of `addr` (len bytes) past the first `prefix` bits. */
static void mask_bits(uint8_t *addr, size_t len, unsigned prefix)
{
	for (size_t i = 0; i < len; i++) {
		if (prefix >= 8) {
			prefix -= 8;
			continue;
		}
		addr[i] &= (uint8_t)(0xff00u >> prefix);
		prefix = 0;
	}
}

/* Do the first `prefix` bits of a and b agree? */
static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xff00u >> rest);
	return ((a[whole] ^ b[whole]) & m) == 0;
}

/*
 * The client address of a socket address, IPv4-mapped IPv6 as IPv4.
 * Returns AF_INET (4 bytes in out), AF_INET6 (16 bytes) or 0.
 */
static int client_addr(const struct sockaddr *sa, uint8_t out[16])
{
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		memcpy(out, &s4->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = s6->sin6_addr.s6_addr;
		if (memcmp(a, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
			memcpy(out, a + 12, 4);
			return AF_INET;
		}
		memcpy(out, a, 16);
		return AF_INET6;
	}
	return 0;
}

static void acl_put(struct fz_acl *acl, int family, const uint8_t *addr, unsigned prefix)
{
	size_t len = family == AF_INET ? 4 : 16;
	acl->nets[acl->n].family = (uint8_t)family;
	acl->nets[acl->n].prefix = (uint8_t)prefix;
	memset(acl->nets[acl->n].addr, 0, sizeof(acl->nets[acl->n].addr));
	memcpy(acl->nets[acl->n].addr, addr, len);
	mask_bits(acl->nets[acl->n].addr, len, prefix);
	acl->n++;
}

void fz_acl_default(struct fz_acl *acl)
{
	static const struct {
		int family;
		uint8_t addr[16];
		unsigned prefix;
	} defaults[] = {
	    {AF_INET, {127}, 8},	  {AF_INET6, {[15] = 1}, 128}, {AF_INET, {10}, 8},
	    {AF_INET, {172, 16}, 12},	  {AF_INET, {192, 168}, 16},   {AF_INET6, {0xfc}, 7},
	    {AF_INET6, {0xfe, 0x80}, 10}, {AF_INET, {169, 254}, 16},
	};
	acl->n = 0;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		acl_put(acl, defaults[i].family, defaults[i].addr, defaults[i].prefix);
}

/* A prefix length: 1 to 3 decimal digits, at most `max`. */
static int parse_prefix(const char *s, unsigned max, unsigned *ret)
{
	unsigned v = 0;
	size_t n = 0;
	for (; s[n]; n++) {
		if (n == 3 || s[n] < '0' || s[n] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[n] - '0');
	}
	if (n == 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int fz_acl_add(struct fz_acl *acl, const char *cidr)
{
	char buf[ACL_TEXT_MAX];
	uint8_t addr[16];
	unsigned prefix;
	int family;

	if (!acl || !cidr)
		return -EINVAL;
	size_t len = strnlen(cidr, sizeof(buf));
	if (len == 0 || len == sizeof(buf))
		return -EINVAL;
	memcpy(buf, cidr, len + 1);

	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		family = AF_INET6;
	else
		return -EINVAL;

	unsigned max = family == AF_INET ? 32 : 128;
	if (!slash)
		prefix = max;
	else if (parse_prefix(slash + 1, max, &prefix) < 0)
		return -EINVAL;

	/* ::ffff:a.b.c.d/96+ is an IPv4 network, matched as clients are. */
	if (family == AF_INET6 && prefix >= 96 &&
	    memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
		memmove(addr, addr + 12, 4);
		family = AF_INET;
		prefix -= 96;
	}

	/* The same network twice is one entry. */
	uint8_t masked[16] = {0};
	memcpy(masked, addr, family == AF_INET ? 4 : 16);
	mask_bits(masked, sizeof(masked), prefix);
	for (size_t i = 0; i < acl->n; i++)
		if (acl->nets[i].family == family && acl->nets[i].prefix == prefix &&
		    memcmp(acl->nets[i].addr, masked, sizeof(masked)) == 0)
			return 0;

	if (acl->n >= FZ_ACL_MAX)
		return -E2BIG;
	acl_put(acl, family, addr, prefix);
	return 0;
}

bool fz_acl_allows(const struct fz_acl *acl, const struct sockaddr *sa)
{
	uint8_t addr[16];
	int family = client_addr(sa, addr);
	if (!acl || !family)
		return false;
	for (size_t i = 0; i < acl->n; i++)
		if (acl->nets[i].family == family &&
		    prefix_match(acl->nets[i].addr, addr, acl->nets[i].prefix))
			return true;
	return false;
}

/* Rate limiting. */

struct rrl_bucket {
	uint8_t key[16]; /* the masked prefix */
	uint8_t family;	 /* 0: free */
	uint32_t tokens; /* thousandths of a token */
	uint64_t touched_ms;
};

struct fz_rrl {
	uint32_t rate, burst;
	uint8_t v4_prefix, v6_prefix;
	size_t mask; /* table size - 1 */
	uint64_t k0, k1;
	struct rrl_bucket *table;
};

int fz_rrl_new(const struct fz_rrl_opts *o, struct fz_rrl **ret)
{
	struct fz_rrl_opts d = {0};
	if (!o)
		o = &d;
	unsigned v4 = o->v4_prefix ? o->v4_prefix : 24;
	unsigned v6 = o->v6_prefix ? o->v6_prefix : 56;
	size_t want = o->table_size ? o->table_size : RRL_TABLE_DEFAULT;
	if (v4 > 32 || v6 > 128 || want > RRL_TABLE_MAX)
		return -EINVAL;
	/* bursts above this could overflow the thousandths */
	if (o->burst > UINT32_MAX / RRL_MILLI || (!o->burst && o->rate > UINT32_MAX / RRL_MILLI))
		return -EINVAL;

	struct fz_rrl *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->rate = o->rate;
	r->burst = o->burst ? o->burst : o->rate;
	r->v4_prefix = (uint8_t)v4;
	r->v6_prefix = (uint8_t)v6;
	size_t size = RRL_PROBE_WINDOW;
	while (size < want)
		size <<= 1;
	r->mask = size - 1;
	if (r->rate) {
		/* calloc: pages are only touched as prefixes arrive */
		r->table = calloc(size, sizeof(*r->table));
		if (!r->table) {
			free(r);
			return -ENOMEM;
		}
	}
	uint64_t seed[2];
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)r;
		seed[1] = (uint64_t)ts.tv_sec * 0xc2b2ae3d27d4eb4full ^ (uint64_t)(uintptr_t)&ts;
	}
	r->k0 = seed[0];
	r->k1 = seed[1] | 1;
	*ret = r;
	return 0;
}

void fz_rrl_free(struct fz_rrl *r)
{
	if (!r)
		return;
	free(r->table);
	free(r);
}

static uint64_t mix(uint64_t a, uint64_t b)
{
	__uint128_t m = (__uint128_t)a * b;
	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static uint64_t rrl_hash(const struct fz_rrl *r, const uint8_t key[16], int family)
{
	uint64_t lo, hi;
	memcpy(&lo, key, 8);
	memcpy(&hi, key + 8, 8);
	uint64_t h = mix(lo ^ r->k0, hi ^ r->k1 ^ (uint64_t)family);
	return mix(h ^ r->k1, r->k0 ^ 0x9e3779b97f4a7c15ull);
}

bool fz_rrl_allow(struct fz_rrl *r, const struct sockaddr *sa, uint64_t now_ms)
{
	uint8_t key[16] = {0};
	if (!r || !r->rate)
		return true;
	int family = client_addr(sa, key);
	if (!family)
		return true; /* not an address we can limit (never happens on UDP/TCP) */
	mask_bits(key, sizeof(key), family == AF_INET ? r->v4_prefix : r->v6_prefix);

	size_t home = (size_t)rrl_hash(r, key, family);
	struct rrl_bucket *b = NULL, *oldest = NULL;
	for (size_t i = 0; i < RRL_PROBE_WINDOW; i++) {
		struct rrl_bucket *s = &r->table[(home + i) & r->mask];
		if (s->family == 0) {
			b = s; /* never deleted, so the prefix is not further on */
			break;
		}
		if (s->family == family && memcmp(s->key, key, sizeof(key)) == 0) {
			b = s;
			break;
		}
		if (!oldest || s->touched_ms < oldest->touched_ms)
			oldest = s;
	}
	uint32_t full = r->burst * RRL_MILLI;
	if (!b || b->family == 0) {
		/* a new prefix (or a reused slot): a full bucket */
		if (!b)
			b = oldest;
		memcpy(b->key, key, sizeof(key));
		b->family = (uint8_t)family;
		b->tokens = full;
		b->touched_ms = now_ms;
	} else if (now_ms > b->touched_ms) {
		uint64_t elapsed = now_ms - b->touched_ms;
		uint64_t add =
		    elapsed >= full ? full : elapsed * r->rate; /* rate/s = rate/1000 per ms */
		uint64_t t = b->tokens + add;
		b->tokens = t > full ? full : (uint32_t)t;
		b->touched_ms = now_ms;
	}
	if (b->tokens < RRL_MILLI)
		return false;
	b->tokens -= RRL_MILLI;
	return true;
}
