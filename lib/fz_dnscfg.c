/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resolver's schema over fz_ini: the [dns] section. Every key is
 * checked where it is read, so a message names its line; what depends on
 * several keys (a sinkhole action needs sinkhole addresses, the minimum
 * TTL must not pass the maximum) is checked when the file ends and names
 * the line of the key concerned. Lists (listen, upstream, allow_nets,
 * sinkhole) are one key with items separated by commas or blanks, since a
 * key may not repeat.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_dnscfg.h"
#include "fz_feedcfg.h"
#include "fz_ini.h"

#define ALLOW_NETS_MAX	  1024 /* FZ_ACL_MAX of the resolver */
#define TTL_MAX		  (7u * 86400)
#define TIMEOUT_MIN_MS	  10
#define TIMEOUT_MAX_MS	  60000
#define IDLE_MIN_MS	  100
#define IDLE_MAX_MS	  3600000
#define CACHE_SIZE_MAX	  (64ull << 30)
#define RRL_MAX		  1000000
#define TCP_CLIENTS_MAX	  65536
#define THREADS_MAX	  64
#define ATTEMPTS_MAX	  16
#define LIST_ITEM_MAX	  128
#define DEFAULT_DNS_PORT  53
#define DEFAULT_BLOCK_TTL 60

enum dns_key {
	K_LISTEN,
	K_UPSTREAM,
	K_BLOCKLIST,
	K_THREADS,
	K_USER,
	K_ALLOW_NETS,
	K_REFUSE,
	K_RRL_RATE,
	K_RRL_BURST,
	K_ACTION,
	K_ACTION_CAT, /* action_fraud ... one per category */
	K_SINKHOLE = K_ACTION_CAT + FZ_CAT_COUNT,
	K_BLOCK_TTL,
	K_CNAME_CHECK,
	K_IP_CHECK,
	K_UPSTREAM_TIMEOUT,
	K_UPSTREAM_ATTEMPTS,
	K_CACHE_SIZE,
	K_CACHE_MIN_TTL,
	K_CACHE_MAX_TTL,
	K_CACHE_MAX_NEGATIVE_TTL,
	K_TCP_MAX_CLIENTS,
	K_TCP_IDLE_TIMEOUT,
	K_EVENTS,
	K_METRICS,
	K_COUNT,
};

static const char *const dns_keys[K_COUNT] = {
    [K_LISTEN] = "listen",
    [K_UPSTREAM] = "upstream",
    [K_BLOCKLIST] = "blocklist",
    [K_THREADS] = "threads",
    [K_USER] = "user",
    [K_ALLOW_NETS] = "allow_nets",
    [K_REFUSE] = "refuse",
    [K_RRL_RATE] = "rrl_rate",
    [K_RRL_BURST] = "rrl_burst",
    [K_ACTION] = "action",
    [K_ACTION_CAT + FZ_CAT_FRAUD] = "action_fraud",
    [K_ACTION_CAT + FZ_CAT_PHISHING] = "action_phishing",
    [K_ACTION_CAT + FZ_CAT_MALWARE] = "action_malware",
    [K_ACTION_CAT + FZ_CAT_GAMBLING] = "action_gambling",
    [K_ACTION_CAT + FZ_CAT_DOH] = "action_doh",
    [K_ACTION_CAT + FZ_CAT_CUSTOM] = "action_custom",
    [K_SINKHOLE] = "sinkhole",
    [K_BLOCK_TTL] = "block_ttl",
    [K_CNAME_CHECK] = "cname_check",
    [K_IP_CHECK] = "ip_check",
    [K_UPSTREAM_TIMEOUT] = "upstream_timeout",
    [K_UPSTREAM_ATTEMPTS] = "upstream_attempts",
    [K_CACHE_SIZE] = "cache_size",
    [K_CACHE_MIN_TTL] = "cache_min_ttl",
    [K_CACHE_MAX_TTL] = "cache_max_ttl",
    [K_CACHE_MAX_NEGATIVE_TTL] = "cache_max_negative_ttl",
    [K_TCP_MAX_CLIENTS] = "tcp_max_clients",
    [K_TCP_IDLE_TIMEOUT] = "tcp_idle_timeout",
    [K_EVENTS] = "events",
    [K_METRICS] = "metrics",
};

_Static_assert(FZ_CAT_COUNT == 6, "one action_<category> key per category");

/* Sections of the shared file that other programs check. */
static const char *const other_sections[] = {"feeds", "feed", "nfq", "events", "metrics"};

static const char *const action_names[] = {
    [FZ_DNS_ACTION_NXDOMAIN] = "nxdomain",
    [FZ_DNS_ACTION_NODATA] = "nodata",
    [FZ_DNS_ACTION_SINKHOLE] = "sinkhole",
};

enum section { SEC_NONE, SEC_DNS, SEC_OTHER };

struct cfg_state {
	struct fz_dns_cfg *cfg;
	const char *file;
	enum section sec;
	unsigned dns_line;	/* the [dns] header, 0 = not seen */
	unsigned seen[K_COUNT]; /* line of each key, 0 = unset */
	bool have_action;
	enum fz_dns_action action; /* "action": every category without its own key */
	bool have_cat[FZ_CAT_COUNT];
	enum fz_dns_action cat_action[FZ_CAT_COUNT];
	size_t allow_cap;
};

#define say fz_ini_say

/* --- values ---------------------------------------------------------------- */

/* Digits only, 1..65535; -1 otherwise. */
static int parse_port(const char *s)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

int fz_dns_endpoint_parse(const char *s, uint16_t default_port, struct fz_dns_endpoint *ep)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL, *a_start, *a_end;
	size_t n, alen;
	int port = default_port;
	bool v6;

	if (!s || !ep)
		return -EINVAL;
	n = strlen(s);
	if (n == 0 || n >= sizeof(ep->text))
		return -EINVAL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb)
			return -EINVAL;
		a_start = s + 1;
		a_end = rb;
		if (rb[1] == '@')
			port_s = rb + 2;
		else if (rb[1] != '\0')
			return -EINVAL;
		v6 = true;
	} else {
		const char *at = strchr(s, '@');

		a_start = s;
		a_end = at ? at : s + n;
		if (at)
			port_s = at + 1;
		v6 = memchr(a_start, ':', (size_t)(a_end - a_start)) != NULL;
		/* "::1@53" is refused: an IPv6 address with a port goes in brackets. */
		if (v6 && at)
			return -EINVAL;
	}
	alen = (size_t)(a_end - a_start);
	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, a_start, alen);
	addr[alen] = '\0';
	if (port_s) {
		port = parse_port(port_s);
		if (port < 0)
			return -EINVAL;
	} else if (port == 0) {
		return -EINVAL; /* no default: the port is required */
	}

	memset(&ep->sa, 0, sizeof(ep->sa));
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep->sa;

		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		ep->salen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ep->sa;

		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			return -EINVAL;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		ep->salen = sizeof(*sin);
	}
	memcpy(ep->text, s, n + 1);
	return 0;
}

static bool same_endpoint(const struct fz_dns_endpoint *a, const struct fz_dns_endpoint *b)
{
	return a->salen == b->salen && memcmp(&a->sa, &b->sa, a->salen) == 0;
}

static int add_endpoint(struct fz_dns_endpoint *list, size_t *n, size_t max, const char *key,
			const char *item, char *err, size_t errlen)
{
	struct fz_dns_endpoint ep;

	if (fz_dns_endpoint_parse(item, DEFAULT_DNS_PORT, &ep) < 0) {
		say(err, errlen,
		    "%s: '%.64s' is not ADDR or ADDR@PORT (IPv6 in brackets: [::1]@53; port "
		    "1..65535)",
		    key, item);
		return -EINVAL;
	}
	for (size_t i = 0; i < *n; i++) {
		if (same_endpoint(&list[i], &ep)) {
			say(err, errlen, "%s: %s is given twice", key, item);
			return -EINVAL;
		}
	}
	if (*n >= max) {
		say(err, errlen, "%s: more than %zu addresses", key, max);
		return -EINVAL;
	}
	list[(*n)++] = ep;
	return 0;
}

static int add_listen(void *ctx, const char *key, const char *item, char *err, size_t errlen)
{
	struct cfg_state *st = ctx;

	return add_endpoint(st->cfg->listen, &st->cfg->n_listen, FZ_DNS_MAX_LISTEN, key, item, err,
			    errlen);
}

static int add_upstream(void *ctx, const char *key, const char *item, char *err, size_t errlen)
{
	struct cfg_state *st = ctx;

	return add_endpoint(st->cfg->upstream, &st->cfg->n_upstream, FZ_DNS_MAX_UPSTREAMS, key,
			    item, err, errlen);
}

/* "192.0.2.0/24", "2001:db8::/32" or a bare address. */
static bool valid_cidr(const char *s)
{
	char addr[INET6_ADDRSTRLEN + 1];
	uint8_t buf[16];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	bool v6 = memchr(s, ':', alen) != NULL;
	unsigned prefix = 0, max = v6 ? 128 : 32;

	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, buf) != 1)
		return false;
	if (!slash)
		return true;
	if (slash[1] == '\0' || strlen(slash + 1) > 3)
		return false;
	for (const char *p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		prefix = prefix * 10 + (unsigned)(*p - '0');
	}
	return prefix <= max;
}

static int add_net(void *ctx, const char *key, const char *item, char *err, size_t errlen)
{
	struct cfg_state *st = ctx;
	struct fz_dns_cfg *cfg = st->cfg;
	char *copy;

	if (!valid_cidr(item)) {
		say(err, errlen,
		    "%s: '%.64s' is not a network (192.0.2.0/24, 2001:db8::/32 or an address)", key,
		    item);
		return -EINVAL;
	}
	if (cfg->n_allow_nets >= ALLOW_NETS_MAX) {
		say(err, errlen, "%s: more than %d networks", key, ALLOW_NETS_MAX);
		return -EINVAL;
	}
	if (cfg->n_allow_nets == st->allow_cap) {
		size_t cap = st->allow_cap ? st->allow_cap * 2 : 8;
		char **nn;

		if (cap > ALLOW_NETS_MAX)
			cap = ALLOW_NETS_MAX;
		nn = realloc(cfg->allow_nets, cap * sizeof(*nn));
		if (!nn) {
			say(err, errlen, "out of memory");
			return -ENOMEM;
		}
		cfg->allow_nets = nn;
		st->allow_cap = cap;
	}
	copy = strdup(item);
	if (!copy) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cfg->allow_nets[cfg->n_allow_nets++] = copy;
	return 0;
}

static int add_sinkhole(void *ctx, const char *key, const char *item, char *err, size_t errlen)
{
	struct fz_dns_cfg *cfg = ((struct cfg_state *)ctx)->cfg;
	uint8_t a[17] = {0};

	if (inet_pton(AF_INET, item, a + 1) == 1) {
		a[0] = 4;
	} else if (inet_pton(AF_INET6, item, a + 1) == 1) {
		a[0] = 6;
	} else {
		say(err, errlen, "%s: '%.64s' is not an IPv4 or IPv6 address", key, item);
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->n_sinkhole; i++) {
		if (memcmp(cfg->sinkhole[i], a, sizeof(a)) == 0) {
			say(err, errlen, "%s: %s is given twice", key, item);
			return -EINVAL;
		}
	}
	if (cfg->n_sinkhole >= FZ_DNS_MAX_SINKHOLE) {
		say(err, errlen, "%s: more than %d addresses", key, FZ_DNS_MAX_SINKHOLE);
		return -EINVAL;
	}
	memcpy(cfg->sinkhole[cfg->n_sinkhole++], a, sizeof(a));
	return 0;
}

/* A duration in seconds ("90", "90s", "15m", "6h", "1d") within 0..TTL_MAX. */
static int get_ttl(const char *key, const char *v, uint32_t *ret, char *err, size_t errlen)
{
	uint64_t d;
	int r = fz_ini_key_duration(key, v, 0, TTL_MAX, &d, err, errlen);

	if (r == 0)
		*ret = (uint32_t)d;
	return r;
}

static int parse_action(const char *key, const char *v, enum fz_dns_action *ret, char *err,
			size_t errlen)
{
	for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++) {
		if (strcmp(v, action_names[i]) == 0) {
			*ret = (enum fz_dns_action)i;
			return 0;
		}
	}
	say(err, errlen, "%s: '%.64s' is not nxdomain, nodata or sinkhole", key, v);
	return -EINVAL;
}

/* --- the section ----------------------------------------------------------- */

static int on_section(struct cfg_state *st, const struct fz_ini_item *it, char *err, size_t errlen)
{
	if (strcmp(it->section, "dns") == 0) {
		st->sec = SEC_DNS;
		return fz_ini_single_section(it, &st->dns_line, err, errlen);
	}
	st->sec = SEC_OTHER;
	return fz_ini_other_section(it, other_sections,
				    sizeof(other_sections) / sizeof(other_sections[0]),
				    "dns, feeds, feed NAME, nfq, events, metrics", err, errlen);
}

static int on_key(struct cfg_state *st, int k, const char *v, char *err, size_t errlen)
{
	struct fz_dns_cfg *cfg = st->cfg;
	const char *key = dns_keys[k];
	uint64_t x;
	int r;

	if (k >= K_ACTION_CAT && k < K_ACTION_CAT + FZ_CAT_COUNT) {
		int c = k - K_ACTION_CAT;

		r = parse_action(key, v, &st->cat_action[c], err, errlen);
		if (r == 0)
			st->have_cat[c] = true;
		return r;
	}
	switch ((enum dns_key)k) {
	case K_LISTEN:
		cfg->n_listen = 0;
		return fz_ini_each_item(key, v, LIST_ITEM_MAX, add_listen, st, err, errlen);
	case K_UPSTREAM:
		cfg->n_upstream = 0;
		return fz_ini_each_item(key, v, LIST_ITEM_MAX, add_upstream, st, err, errlen);
	case K_BLOCKLIST:
		return fz_ini_set_str(&cfg->blocklist, key, v, err, errlen);
	case K_THREADS:
		r = fz_ini_key_uint(key, v, 0, THREADS_MAX, &x, err, errlen);
		if (r == 0)
			cfg->threads = (unsigned)x;
		return r;
	case K_USER:
		return fz_ini_set_user(&cfg->user, key, v, err, errlen);
	case K_ALLOW_NETS:
		return fz_ini_each_item(key, v, LIST_ITEM_MAX, add_net, st, err, errlen);
	case K_REFUSE:
		return fz_ini_key_bool(key, v, &cfg->refuse, err, errlen);
	case K_RRL_RATE:
		return fz_ini_key_u32(key, v, 0, RRL_MAX, &cfg->rrl_rate, err, errlen);
	case K_RRL_BURST:
		return fz_ini_key_u32(key, v, 0, RRL_MAX, &cfg->rrl_burst, err, errlen);
	case K_ACTION:
		r = parse_action(key, v, &st->action, err, errlen);
		if (r == 0)
			st->have_action = true;
		return r;
	case K_SINKHOLE:
		return fz_ini_each_item(key, v, LIST_ITEM_MAX, add_sinkhole, st, err, errlen);
	case K_BLOCK_TTL:
		return get_ttl(key, v, &cfg->block_ttl, err, errlen);
	case K_CNAME_CHECK:
		return fz_ini_key_bool(key, v, &cfg->cname_check, err, errlen);
	case K_IP_CHECK:
		return fz_ini_key_bool(key, v, &cfg->ip_check, err, errlen);
	case K_UPSTREAM_TIMEOUT:
		return fz_ini_key_ms(key, v, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS,
				     &cfg->upstream_timeout_ms, err, errlen);
	case K_UPSTREAM_ATTEMPTS:
		r = fz_ini_key_uint(key, v, 1, ATTEMPTS_MAX, &x, err, errlen);
		if (r == 0)
			cfg->upstream_attempts = (unsigned)x;
		return r;
	case K_CACHE_SIZE:
		return fz_ini_key_size(key, v, 0, CACHE_SIZE_MAX, "0..64G", &cfg->cache_size, err,
				       errlen);
	case K_CACHE_MIN_TTL:
		return get_ttl(key, v, &cfg->cache_min_ttl, err, errlen);
	case K_CACHE_MAX_TTL:
		return get_ttl(key, v, &cfg->cache_max_ttl, err, errlen);
	case K_CACHE_MAX_NEGATIVE_TTL:
		return get_ttl(key, v, &cfg->cache_max_negative_ttl, err, errlen);
	case K_TCP_MAX_CLIENTS:
		r = fz_ini_key_uint(key, v, 1, TCP_CLIENTS_MAX, &x, err, errlen);
		if (r == 0)
			cfg->tcp_max_clients = (unsigned)x;
		return r;
	case K_TCP_IDLE_TIMEOUT:
		return fz_ini_key_ms(key, v, IDLE_MIN_MS, IDLE_MAX_MS, &cfg->tcp_idle_timeout_ms,
				     err, errlen);
	case K_EVENTS:
		return fz_ini_set_str(&cfg->events, key, v, err, errlen);
	case K_METRICS:
		if (fz_dns_endpoint_parse(v, 0, &cfg->metrics) < 0) {
			say(err, errlen,
			    "metrics: '%.64s' is not ADDR@PORT (IPv6 in brackets: [::1]@9153; port "
			    "1..65535)",
			    v);
			return -EINVAL;
		}
		cfg->have_metrics = true;
		return 0;
	default:
		break;
	}
	return -EINVAL;
}

static int on_item(const struct fz_ini_item *it, void *userdata, char *err, size_t errlen)
{
	struct cfg_state *st = userdata;
	int k;

	if (!it->key)
		return on_section(st, it, err, errlen);
	if (st->sec != SEC_DNS)
		return 0;
	k = fz_ini_key_once(it, dns_keys, K_COUNT, st->seen, "dns", err, errlen);
	if (k < 0)
		return k;
	return on_key(st, k, it->value, err, errlen);
}

/* What needs the whole file: actions per category, sinkhole addresses, TTL order. */
static int finish(void *userdata, char *err, size_t errlen)
{
	struct cfg_state *st = userdata;
	struct fz_dns_cfg *cfg = st->cfg;

	for (int c = 0; c < FZ_CAT_COUNT; c++) {
		if (st->have_cat[c])
			cfg->action[c] = st->cat_action[c];
		else if (st->have_action)
			cfg->action[c] = st->action;
	}
	if (cfg->n_sinkhole == 0) {
		for (int c = 0; c < FZ_CAT_COUNT; c++) {
			unsigned line;

			if (cfg->action[c] != FZ_DNS_ACTION_SINKHOLE)
				continue;
			line = st->have_cat[c] ? st->seen[K_ACTION_CAT + c] : st->seen[K_ACTION];
			return fz_ini_located(
			    err, errlen, st->file, line,
			    "%s = sinkhole needs sinkhole addresses (sinkhole = ADDR, ...)",
			    dns_keys[st->have_cat[c] ? K_ACTION_CAT + c : K_ACTION]);
		}
	}
	if (cfg->cache_min_ttl > cfg->cache_max_ttl) {
		unsigned line = st->seen[K_CACHE_MIN_TTL] ? st->seen[K_CACHE_MIN_TTL]
							  : st->seen[K_CACHE_MAX_TTL];

		return fz_ini_located(err, errlen, st->file, line,
				      "cache_min_ttl (%us) is above cache_max_ttl (%us)",
				      cfg->cache_min_ttl, cfg->cache_max_ttl);
	}
	return 0;
}

/* --- API ------------------------------------------------------------------- */

void fz_dns_cfg_defaults(struct fz_dns_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	fz_dns_endpoint_parse("127.0.0.1@53", 0, &cfg->listen[0]);
	fz_dns_endpoint_parse("[::1]@53", 0, &cfg->listen[1]);
	cfg->n_listen = 2;
	cfg->blocklist = strdup(FZ_FEEDS_DEFAULT_OUTPUT); /* NULL on OOM: parse says so */
	cfg->refuse = true;
	for (int c = 0; c < FZ_CAT_COUNT; c++)
		cfg->action[c] = FZ_DNS_ACTION_NXDOMAIN;
	cfg->block_ttl = DEFAULT_BLOCK_TTL;
	cfg->cname_check = true;
	cfg->ip_check = true;
	cfg->upstream_timeout_ms = 1500;
	cfg->upstream_attempts = 3;
	cfg->cache_size = 64ull << 20;
	cfg->cache_min_ttl = 0;
	cfg->cache_max_ttl = 86400;
	cfg->cache_max_negative_ttl = 3600;
	cfg->tcp_max_clients = 1000;
	cfg->tcp_idle_timeout_ms = 10000;
}

void fz_dns_cfg_free(struct fz_dns_cfg *cfg)
{
	if (!cfg)
		return;
	free(cfg->blocklist);
	free(cfg->user);
	for (size_t i = 0; i < cfg->n_allow_nets; i++)
		free(cfg->allow_nets[i]);
	free(cfg->allow_nets);
	free(cfg->events);
	memset(cfg, 0, sizeof(*cfg));
}

int fz_dns_cfg_parse(const uint8_t *data, size_t len, const char *file, struct fz_dns_cfg *cfg,
		     char *err, size_t errlen)
{
	struct fz_dns_cfg c;
	struct cfg_state st;
	int r;

	if (!file)
		file = "(config)";
	fz_dns_cfg_defaults(&c);
	if (!c.blocklist) {
		say(err, errlen, "%s:0: out of memory", file);
		return -ENOMEM;
	}
	memset(&st, 0, sizeof(st));
	st.cfg = &c;
	st.file = file;
	r = fz_ini_parse_all(data, len, file, on_item, finish, &st, err, errlen);
	if (r < 0) {
		fz_dns_cfg_free(&c);
		return r;
	}
	*cfg = c;
	return 0;
}

int fz_dns_cfg_load(const char *path, struct fz_dns_cfg *cfg, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t n;
	int r = fz_ini_read_file(path, &buf, &n, err, errlen);
	if (r < 0)
		return r;
	r = fz_dns_cfg_parse(buf, n, path, cfg, err, errlen);
	free(buf);
	return r;
}
