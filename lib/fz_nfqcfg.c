/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inspector's schema over fz_ini: the [nfq] section. Every key is
 * checked where it is read, so a message names its line; what depends on
 * two keys (the "decided" and "blocked" marks must not share a bit) is
 * checked when the file ends and names the line of the key concerned.
 * The ECH list is one key with names separated by commas or blanks, since
 * a key may not repeat.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_feedcfg.h"
#include "fz_ini.h"
#include "fz_name.h"
#include "fz_nfqcfg.h"

#define QUEUE_MAXLEN_MIN     16
#define QUEUE_MAXLEN_MAX     (1u << 20)
#define RCVBUF_MIN	     (64u << 10)
#define RCVBUF_MAX	     (1u << 30)
#define QUEUED_BYTES_MIN     1024
#define QUEUED_BYTES_MAX     (1u << 30)
#define MAX_FLOWS_MAX	     (1u << 24)
#define MAX_MEMORY_MIN	     (64ull << 10)
#define MAX_MEMORY_MAX	     (64ull << 30)
#define FLOW_TIMEOUT_MIN_MS  100
#define FLOW_TIMEOUT_MAX_MS  3600000
#define APPEAL_MAX	     256
#define LIST_ITEM_MAX	     (FZ_NAME_INPUT_MAX + 1)
#define DEFAULT_MARK_DECIDED 0x10000000u
#define DEFAULT_MARK_BLOCKED 0x20000000u

enum nfq_key {
	K_QUEUES,
	K_BLOCKLIST,
	K_USER,
	K_EVENTS,
	K_METRICS,
	K_FAIL_CLOSED,
	K_QUEUE_MAXLEN,
	K_RCVBUF,
	K_MARK_DECIDED,
	K_MARK_BLOCKED,
	K_MAX_QUEUED_BYTES,
	K_MAX_FLOWS,
	K_MAX_MEMORY,
	K_FLOW_TIMEOUT,
	K_DNS_ACTION,
	K_HTTP_ACTION,
	K_BLOCK_DOT,
	K_BLOCK_DOH,
	K_QUIC_ICMP,
	K_APPEAL,
	K_ECH_BLOCK,
	K_COUNT,
};

static const char *const nfq_keys[K_COUNT] = {
    [K_QUEUES] = "queues",
    [K_BLOCKLIST] = "blocklist",
    [K_USER] = "user",
    [K_EVENTS] = "events",
    [K_METRICS] = "metrics",
    [K_FAIL_CLOSED] = "fail_closed",
    [K_QUEUE_MAXLEN] = "queue_maxlen",
    [K_RCVBUF] = "rcvbuf",
    [K_MARK_DECIDED] = "mark_decided",
    [K_MARK_BLOCKED] = "mark_blocked",
    [K_MAX_QUEUED_BYTES] = "max_queued_bytes",
    [K_MAX_FLOWS] = "max_flows",
    [K_MAX_MEMORY] = "max_memory",
    [K_FLOW_TIMEOUT] = "flow_timeout",
    [K_DNS_ACTION] = "dns_action",
    [K_HTTP_ACTION] = "http_action",
    [K_BLOCK_DOT] = "block_dot",
    [K_BLOCK_DOH] = "block_doh",
    [K_QUIC_ICMP] = "quic_icmp",
    [K_APPEAL] = "appeal",
    [K_ECH_BLOCK] = "ech_block",
};

/* Sections of the shared file that other programs check. */
static const char *const other_sections[] = {"feeds", "feed", "dns", "events", "metrics"};

enum section { SEC_NONE, SEC_NFQ, SEC_OTHER };

struct cfg_state {
	struct fz_nfq_cfg *cfg;
	const char *file;
	enum section sec;
	unsigned nfq_line;	/* the [nfq] header, 0 = not seen */
	unsigned seen[K_COUNT]; /* line of each key, 0 = unset */
};

#define say fz_ini_say

/* --- values ---------------------------------------------------------------- */

/* Decimal digits only, the whole string, at most `max`. */
static int parse_dec(const char *s, size_t n, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

int fz_nfq_queues_parse(const char *s, uint16_t *first, uint16_t *count)
{
	const char *dash;
	uint64_t a, b;

	if (!s || !first || !count)
		return -EINVAL;
	dash = strchr(s, '-');
	if (parse_dec(s, dash ? (size_t)(dash - s) : strlen(s), 65535, &a) < 0)
		return -EINVAL;
	b = a;
	if (dash && parse_dec(dash + 1, strlen(dash + 1), 65535, &b) < 0)
		return -EINVAL;
	if (b < a || b - a >= FZ_NFQ_MAX_QUEUES)
		return -EINVAL;
	*first = (uint16_t)a;
	*count = (uint16_t)(b - a + 1);
	return 0;
}

/* A firewall mark: "0x10000000" or "268435456", nonzero, 32 bits. */
static int parse_mark(const char *key, const char *v, uint32_t *ret, char *err, size_t errlen)
{
	uint64_t m = 0;
	size_t n = strlen(v);

	if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		if (n > 10)
			goto bad;
		for (size_t i = 2; i < n; i++) {
			char c = v[i];
			unsigned d;

			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else
				goto bad;
			m = m << 4 | d;
		}
	} else if (parse_dec(v, n, UINT32_MAX, &m) < 0) {
		goto bad;
	}
	if (m == 0) {
		say(err, errlen, "%s: a mark must not be 0", key);
		return -EINVAL;
	}
	*ret = (uint32_t)m;
	return 0;
bad:
	say(err, errlen, "%s: '%.64s' is not a 32-bit mark (0x10000000 or decimal)", key, v);
	return -EINVAL;
}

/* One of `names` (n of them), its index in *ret; `expect` lists them for the message. */
static int get_choice(const char *key, const char *v, const char *const *names, size_t n,
		      const char *expect, int *ret, char *err, size_t errlen)
{
	int i = fz_ini_lookup(names, n, v);

	if (i < 0) {
		say(err, errlen, "%s: '%.64s' is not %s", key, v, expect);
		return -EINVAL;
	}
	*ret = i;
	return 0;
}

static const char *const dns_action_names[] = {
    [FZ_NFQ_DNS_NXDOMAIN] = "nxdomain",
    [FZ_NFQ_DNS_DROP] = "drop",
};

static const char *const http_action_names[] = {
    [FZ_NFQ_HTTP_PAGE] = "page",
    [FZ_NFQ_HTTP_RST] = "rst",
};

/* One name of ech_block (a list: fz_ini_each_item). */
static int add_ech_name(void *ctx, const char *key, const char *item, char *err, size_t errlen)
{
	struct fz_nfq_cfg *cfg = ctx;
	char name[FZ_NAME_BUF];
	size_t len;
	bool wild = false;
	int st = fz_name_normalize(item, strlen(item), FZ_NAME_F_WILDCARD, name, &len, &wild);

	if (st == FZ_NAME_OK && wild) {
		say(err, errlen, "%s: '%.64s': ECH names are exact public names, not wildcards",
		    key, item);
		return -EINVAL;
	}
	if (st != FZ_NAME_OK) {
		say(err, errlen, "%s: '%.64s' is not a name: %s", key, item, fz_name_strerror(st));
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->n_ech_block; i++) {
		if (strcmp(cfg->ech_block[i], name) == 0) {
			say(err, errlen, "%s: %s is given twice", key, name);
			return -EINVAL;
		}
	}
	if (cfg->n_ech_block >= FZ_NFQ_MAX_ECH_NAMES) {
		say(err, errlen, "%s: more than %d names", key, FZ_NFQ_MAX_ECH_NAMES);
		return -EINVAL;
	}
	cfg->ech_block[cfg->n_ech_block] = strdup(name);
	if (!cfg->ech_block[cfg->n_ech_block]) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cfg->n_ech_block++;
	return 0;
}

/* --- the section ----------------------------------------------------------- */

static int on_section(struct cfg_state *st, const struct fz_ini_item *it, char *err, size_t errlen)
{
	if (strcmp(it->section, "nfq") == 0) {
		st->sec = SEC_NFQ;
		return fz_ini_single_section(it, &st->nfq_line, err, errlen);
	}
	st->sec = SEC_OTHER;
	return fz_ini_other_section(it, other_sections,
				    sizeof(other_sections) / sizeof(other_sections[0]),
				    "nfq, feeds, feed NAME, dns, events, metrics", err, errlen);
}

static int on_key(struct cfg_state *st, int k, const char *v, char *err, size_t errlen)
{
	struct fz_nfq_cfg *cfg = st->cfg;
	const char *key = nfq_keys[k];
	uint64_t x;
	int r, c;

	switch ((enum nfq_key)k) {
	case K_QUEUES:
		if (fz_nfq_queues_parse(v, &cfg->queue_first, &cfg->n_queues) < 0) {
			say(err, errlen,
			    "queues: '%.64s' is not N or N-M (0..65535, M >= N, at most %d "
			    "queues)",
			    v, FZ_NFQ_MAX_QUEUES);
			return -EINVAL;
		}
		return 0;
	case K_BLOCKLIST:
		return fz_ini_set_str(&cfg->blocklist, key, v, err, errlen);
	case K_USER:
		return fz_ini_set_user(&cfg->user, key, v, err, errlen);
	case K_EVENTS:
		return fz_ini_set_str(&cfg->events, key, v, err, errlen);
	case K_METRICS:
		if (fz_dns_endpoint_parse(v, 0, &cfg->metrics) < 0) {
			say(err, errlen,
			    "metrics: '%.64s' is not ADDR@PORT (IPv6 in brackets: [::1]@9154; port "
			    "1..65535)",
			    v);
			return -EINVAL;
		}
		cfg->have_metrics = true;
		return 0;
	case K_FAIL_CLOSED:
		return fz_ini_key_bool(key, v, &cfg->fail_closed, err, errlen);
	case K_QUEUE_MAXLEN:
		return fz_ini_key_u32(key, v, QUEUE_MAXLEN_MIN, QUEUE_MAXLEN_MAX,
				      &cfg->queue_maxlen, err, errlen);
	case K_RCVBUF:
		r = fz_ini_key_size(key, v, RCVBUF_MIN, RCVBUF_MAX, "64k..1G", &x, err, errlen);
		if (r == 0)
			cfg->rcvbuf = (uint32_t)x;
		return r;
	case K_MARK_DECIDED:
		return parse_mark(key, v, &cfg->mark_decided, err, errlen);
	case K_MARK_BLOCKED:
		return parse_mark(key, v, &cfg->mark_blocked, err, errlen);
	case K_MAX_QUEUED_BYTES:
		r = fz_ini_key_size(key, v, QUEUED_BYTES_MIN, QUEUED_BYTES_MAX, "1k..1G", &x, err,
				    errlen);
		if (r == 0)
			cfg->max_queued_bytes = (uint32_t)x;
		return r;
	case K_MAX_FLOWS:
		return fz_ini_key_u32(key, v, 1, MAX_FLOWS_MAX, &cfg->max_flows, err, errlen);
	case K_MAX_MEMORY:
		return fz_ini_key_size(key, v, MAX_MEMORY_MIN, MAX_MEMORY_MAX, "64k..64G",
				       &cfg->max_memory, err, errlen);
	case K_FLOW_TIMEOUT:
		return fz_ini_key_ms(key, v, FLOW_TIMEOUT_MIN_MS, FLOW_TIMEOUT_MAX_MS,
				     &cfg->flow_timeout_ms, err, errlen);
	case K_DNS_ACTION:
		r = get_choice(key, v, dns_action_names, 2, "nxdomain or drop", &c, err, errlen);
		if (r == 0)
			cfg->dns_action = (enum fz_nfq_dns_action)c;
		return r;
	case K_HTTP_ACTION:
		r = get_choice(key, v, http_action_names, 2, "page or rst", &c, err, errlen);
		if (r == 0)
			cfg->http_action = (enum fz_nfq_http_action)c;
		return r;
	case K_BLOCK_DOT:
		return fz_ini_key_bool(key, v, &cfg->block_dot, err, errlen);
	case K_BLOCK_DOH:
		return fz_ini_key_bool(key, v, &cfg->block_doh, err, errlen);
	case K_QUIC_ICMP:
		return fz_ini_key_bool(key, v, &cfg->quic_icmp, err, errlen);
	case K_APPEAL:
		if (strlen(v) > APPEAL_MAX) {
			say(err, errlen, "appeal: longer than %d bytes", APPEAL_MAX);
			return -EINVAL;
		}
		return fz_ini_set_str(&cfg->appeal, key, v, err, errlen);
	case K_ECH_BLOCK:
		return fz_ini_each_item(key, v, LIST_ITEM_MAX, add_ech_name, cfg, err, errlen);
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
	if (st->sec != SEC_NFQ)
		return 0;
	k = fz_ini_key_once(it, nfq_keys, K_COUNT, st->seen, "nfq", err, errlen);
	if (k < 0)
		return k;
	return on_key(st, k, it->value, err, errlen);
}

/* What needs the whole file: the two marks must not share a bit. */
static int finish(void *userdata, char *err, size_t errlen)
{
	struct cfg_state *st = userdata;
	struct fz_nfq_cfg *cfg = st->cfg;

	if (cfg->mark_decided & cfg->mark_blocked) {
		/* Name the later of the two keys given (at least one was: defaults differ). */
		int k = st->seen[K_MARK_BLOCKED] > st->seen[K_MARK_DECIDED] ? K_MARK_BLOCKED
									    : K_MARK_DECIDED;

		return fz_ini_located(
		    err, errlen, st->file, st->seen[k], "%s (0x%x) shares bits with %s (0x%x)",
		    nfq_keys[k], k == K_MARK_BLOCKED ? cfg->mark_blocked : cfg->mark_decided,
		    nfq_keys[k == K_MARK_BLOCKED ? K_MARK_DECIDED : K_MARK_BLOCKED],
		    k == K_MARK_BLOCKED ? cfg->mark_decided : cfg->mark_blocked);
	}
	return 0;
}

/* --- API ------------------------------------------------------------------- */

void fz_nfq_cfg_defaults(struct fz_nfq_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->queue_first = 0;
	cfg->n_queues = 1;
	cfg->blocklist = strdup(FZ_FEEDS_DEFAULT_OUTPUT); /* NULL on OOM: parse says so */
	cfg->fail_closed = false;
	cfg->queue_maxlen = 4096;
	cfg->rcvbuf = 8u << 20;
	cfg->mark_decided = DEFAULT_MARK_DECIDED;
	cfg->mark_blocked = DEFAULT_MARK_BLOCKED;
	cfg->max_queued_bytes = 262144;
	cfg->max_flows = 65536;
	cfg->max_memory = 64ull << 20;
	cfg->flow_timeout_ms = 30000;
	cfg->dns_action = FZ_NFQ_DNS_NXDOMAIN;
	cfg->http_action = FZ_NFQ_HTTP_PAGE;
	cfg->quic_icmp = true;
}

void fz_nfq_cfg_free(struct fz_nfq_cfg *cfg)
{
	if (!cfg)
		return;
	free(cfg->blocklist);
	free(cfg->user);
	free(cfg->events);
	free(cfg->appeal);
	for (size_t i = 0; i < cfg->n_ech_block && i < FZ_NFQ_MAX_ECH_NAMES; i++)
		free(cfg->ech_block[i]);
	memset(cfg, 0, sizeof(*cfg));
}

int fz_nfq_cfg_parse(const uint8_t *data, size_t len, const char *file, struct fz_nfq_cfg *cfg,
		     char *err, size_t errlen)
{
	struct fz_nfq_cfg c;
	struct cfg_state st;
	int r;

	if (!file)
		file = "(config)";
	fz_nfq_cfg_defaults(&c);
	if (!c.blocklist) {
		say(err, errlen, "%s:0: out of memory", file);
		return -ENOMEM;
	}
	memset(&st, 0, sizeof(st));
	st.cfg = &c;
	st.file = file;
	r = fz_ini_parse_all(data, len, file, on_item, finish, &st, err, errlen);
	if (r < 0) {
		fz_nfq_cfg_free(&c);
		return r;
	}
	*cfg = c;
	return 0;
}

int fz_nfq_cfg_load(const char *path, struct fz_nfq_cfg *cfg, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t n;
	int r = fz_ini_read_file(path, &buf, &n, err, errlen);

	if (r < 0)
		return r;
	r = fz_nfq_cfg_parse(buf, n, path, cfg, err, errlen);
	free(buf);
	return r;
}
