/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fetcher's schema over fz_ini: [feeds] (paths and download limits)
 * and any number of [feed NAME]. Every key is checked where it is read,
 * so a message names the line; what depends on several keys of one feed
 * (url required, axfr:// implies rpz, ...) is checked when the feed's
 * section ends and names the line of the key concerned.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fz_feedcfg.h"
#include "fz_ini.h"

#define FEED_INTERVAL_MIN     60
#define FEED_INTERVAL_MAX     (366ull * 86400)
#define FEED_MAX_SIZE_MAX     (4ull << 30)
#define FEEDS_TIMEOUT_MAX     86400
#define FEEDS_CONCURRENCY     4
#define FEEDS_CONNECT_TIMEOUT 15
#define FEEDS_TIMEOUT	      300
#define FEEDS_RETRIES	      2
#define MINISIGN_KEY_LEN      56 /* base64 of "Ed" + 8-byte key id + 32-byte key */

enum feeds_key {
	FK_OUTPUT,
	FK_STATE_DIR,
	FK_ALLOW,
	FK_BLOCK,
	FK_CA_FILE,
	FK_USER_AGENT,
	FK_CONCURRENCY,
	FK_CONNECT_TIMEOUT,
	FK_TIMEOUT,
	FK_RETRIES,
	FK_COUNT,
};

static const char *const feeds_keys[FK_COUNT] = {
    "output",	  "state_dir",	 "allow",	    "block",   "ca_file",
    "user_agent", "concurrency", "connect_timeout", "timeout", "retries",
};

enum feed_key {
	K_URL,
	K_FORMAT,
	K_CATEGORY,
	K_MATCH,
	K_INTERVAL,
	K_MAX_SIZE,
	K_MIN_ENTRIES,
	K_MAX_SHRINK,
	K_SHA256,
	K_MINISIGN_KEY,
	K_SIGNATURE_URL,
	K_ENABLED,
	K_COUNT,
};

static const char *const feed_keys[K_COUNT] = {
    "url",	   "format",	 "category", "match",	     "interval",      "max_size",
    "min_entries", "max_shrink", "sha256",   "minisign_key", "signature_url", "enabled",
};

/* Sections of the shared file that other daemons check. */
static const char *const other_sections[] = {"dns", "nfq", "events", "metrics"};

_Static_assert(K_COUNT <= 16 && FK_COUNT <= 16, "seen[] holds every key");

enum section { SEC_NONE, SEC_FEEDS, SEC_FEED, SEC_OTHER };

struct cfg_state {
	struct fz_feeds_cfg *cfg;
	const char *file;
	enum section sec;
	unsigned seen[16];   /* line of each key, 0 = unset */
	unsigned feeds_line; /* first [feeds] */
	size_t feeds_cap;
	/* An error found when a feed's section ended, already "file:line: ...". */
	char pending[512];
	bool has_pending;
};

#define say fz_ini_say

/* --- values ---------------------------------------------------------------- */

static bool valid_feed_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FZ_FEED_NAME_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_sha256(const char *v, uint8_t out[32])
{
	if (strlen(v) != 64)
		return -EINVAL;
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool valid_minisign_key(const char *v)
{
	if (strlen(v) != MINISIGN_KEY_LEN)
		return false;
	for (const char *p = v; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	return true;
}

enum scheme { SCHEME_HTTPS, SCHEME_HTTP, SCHEME_FILE, SCHEME_AXFR, SCHEME_COUNT };
static const char *const scheme_names[SCHEME_COUNT] = {"https", "http", "file", "axfr"};

/* Digits 1..65535. */
static bool valid_port(const char *s, size_t n)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* "host[:port]/zone", host an address in brackets or a name. */
static bool valid_axfr_rest(const char *rest)
{
	const char *slash = strchr(rest, '/'), *host_end;

	if (!slash || slash == rest || slash[1] == '\0' || strchr(slash + 1, '/'))
		return false;
	if (rest[0] == '[') {
		const char *rb = memchr(rest, ']', (size_t)(slash - rest));

		if (!rb || rb == rest + 1)
			return false;
		host_end = rb + 1;
	} else {
		host_end = memchr(rest, ':', (size_t)(slash - rest));
		if (!host_end)
			host_end = slash;
		if (host_end == rest)
			return false;
	}
	if (host_end == slash)
		return true;
	if (*host_end != ':')
		return false;
	return valid_port(host_end + 1, (size_t)(slash - host_end - 1));
}

/*
 * Check a URL and return a copy with the scheme in lowercase. `allowed` is
 * a bit mask of enum scheme. On error, err says why (without location).
 */
static int check_url(const char *key, const char *v, unsigned allowed, char **ret,
		     enum scheme *ret_scheme, char *err, size_t errlen)
{
	const char *sep = strstr(v, "://"), *rest;
	size_t slen;
	int scheme = -1;
	char *copy;

	if (*v == '\0') {
		say(err, errlen, "%s is empty", key);
		return -EINVAL;
	}
	if (strpbrk(v, " \t")) {
		say(err, errlen, "%s must not contain blanks", key);
		return -EINVAL;
	}
	if (!sep || sep == v) {
		say(err, errlen, "%s '%.80s' has no scheme (https://, http://, file:// or axfr://)",
		    key, v);
		return -EINVAL;
	}
	slen = (size_t)(sep - v);
	for (int i = 0; i < SCHEME_COUNT; i++)
		if (strlen(scheme_names[i]) == slen && strncasecmp(v, scheme_names[i], slen) == 0)
			scheme = i;
	if (scheme < 0 || !(allowed & (1u << scheme))) {
		say(err, errlen, "%s scheme '%.*s' is not supported (%s)", key,
		    (int)(slen > 16 ? 16 : slen), v,
		    allowed & (1u << SCHEME_AXFR) ? "https, http, file or axfr"
						  : "https, http or file");
		return -EINVAL;
	}
	rest = sep + 3;
	switch (scheme) {
	case SCHEME_HTTPS:
	case SCHEME_HTTP:
		if (*rest == '\0' || *rest == '/' || *rest == '?' || *rest == '#') {
			say(err, errlen, "%s '%.80s' has no host", key, v);
			return -EINVAL;
		}
		break;
	case SCHEME_FILE:
		if (*rest != '/' || rest[1] == '\0') {
			say(err, errlen, "%s '%.80s': a file URL is file:///absolute/path", key, v);
			return -EINVAL;
		}
		break;
	case SCHEME_AXFR:
		if (!valid_axfr_rest(rest)) {
			say(err, errlen, "%s '%.80s': an axfr URL is axfr://host[:port]/zone", key,
			    v);
			return -EINVAL;
		}
		break;
	}
	copy = strdup(v);
	if (!copy) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < slen; i++)
		if (copy[i] >= 'A' && copy[i] <= 'Z')
			copy[i] = (char)(copy[i] - 'A' + 'a');
	free(*ret);
	*ret = copy;
	if (ret_scheme)
		*ret_scheme = (enum scheme)scheme;
	return 0;
}

/* --- sections -------------------------------------------------------------- */

static struct fz_feed_cfg *cur_feed(struct cfg_state *st)
{
	return &st->cfg->feeds[st->cfg->n_feeds - 1];
}

static int pending(struct cfg_state *st, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int pending(struct cfg_state *st, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fz_ini_vlocated(st->pending, sizeof(st->pending), st->file, line, fmt, ap);
	va_end(ap);
	st->has_pending = true;
	return -EINVAL;
}

/* What needs the whole [feed NAME] section. */
static int finish_feed(struct cfg_state *st)
{
	struct fz_feed_cfg *f = cur_feed(st);
	const char *sep;

	if (!f->url)
		return pending(st, f->line, "[feed %s] has no url", f->name);
	sep = strstr(f->url, "://");
	if (sep && (size_t)(sep - f->url) == 4 && memcmp(f->url, "axfr", 4) == 0) {
		if (f->format == FZ_FORMAT_AUTO)
			f->format = FZ_FORMAT_RPZ;
		if (f->format != FZ_FORMAT_RPZ)
			return pending(st, st->seen[K_FORMAT],
				       "format: an axfr:// feed is an RPZ zone (format = rpz)");
		if (f->has_sha256)
			return pending(st, st->seen[K_SHA256],
				       "sha256 does not apply to an axfr:// feed");
		if (f->minisign_key)
			return pending(st, st->seen[K_MINISIGN_KEY],
				       "minisign_key does not apply to an axfr:// feed");
	}
	if (f->signature_url && !f->minisign_key)
		return pending(st, st->seen[K_SIGNATURE_URL],
			       "signature_url without minisign_key in [feed %s]", f->name);
	if (f->minisign_key && !f->signature_url) {
		size_t n = strlen(f->url);

		f->signature_url = malloc(n + sizeof(".minisig"));
		if (!f->signature_url)
			return pending(st, f->line, "out of memory");
		memcpy(f->signature_url, f->url, n);
		memcpy(f->signature_url + n, ".minisig", sizeof(".minisig"));
	}
	return 0;
}

static int start_feed(struct cfg_state *st, const struct fz_ini_item *it, char *err, size_t errlen)
{
	struct fz_feeds_cfg *cfg = st->cfg;
	struct fz_feed_cfg *f;

	if (it->sub[0] == '\0') {
		say(err, errlen, "[feed] needs a name: [feed NAME]");
		return -EINVAL;
	}
	if (!valid_feed_name(it->sub)) {
		say(err, errlen,
		    "bad feed name '%.80s' (1 to %d letters, digits, '.', '_' or '-', not starting "
		    "with '.')",
		    it->sub, FZ_FEED_NAME_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->n_feeds; i++) {
		if (strcasecmp(cfg->feeds[i].name, it->sub) == 0) {
			say(err, errlen, "[feed %s] given twice (first on line %u)", it->sub,
			    cfg->feeds[i].line);
			return -EINVAL;
		}
	}
	if (cfg->n_feeds >= FZ_FEEDS_MAX) {
		say(err, errlen, "more than %d feeds", FZ_FEEDS_MAX);
		return -EINVAL;
	}
	if (cfg->n_feeds == st->feeds_cap) {
		size_t cap = st->feeds_cap ? st->feeds_cap * 2 : 8;
		struct fz_feed_cfg *nf;

		if (cap > FZ_FEEDS_MAX)
			cap = FZ_FEEDS_MAX;
		nf = realloc(cfg->feeds, cap * sizeof(*nf));
		if (!nf) {
			say(err, errlen, "out of memory");
			return -ENOMEM;
		}
		cfg->feeds = nf;
		st->feeds_cap = cap;
	}
	f = &cfg->feeds[cfg->n_feeds++];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, it->sub, strlen(it->sub) + 1);
	f->format = FZ_FORMAT_AUTO;
	f->category = FZ_CAT_FRAUD;
	f->match = FZ_MATCH_DEFAULT;
	f->interval = FZ_FEED_DEFAULT_INTERVAL;
	f->max_size = FZ_FEED_DEFAULT_MAX_SIZE;
	f->min_entries = FZ_FEED_DEFAULT_MIN_ENTRIES;
	f->max_shrink = FZ_FEED_DEFAULT_MAX_SHRINK;
	f->enabled = true;
	f->line = it->line;
	return 0;
}

static int on_section(struct cfg_state *st, const struct fz_ini_item *it, char *err, size_t errlen)
{
	int r;

	if (st->sec == SEC_FEED && (r = finish_feed(st)) < 0)
		return r;
	memset(st->seen, 0, sizeof(st->seen));

	if (strcmp(it->section, "feeds") == 0) {
		if (it->sub[0]) {
			say(err, errlen, "[feeds] takes no name (did you mean [feed %.64s]?)",
			    it->sub);
			return -EINVAL;
		}
		st->sec = SEC_FEEDS;
		return fz_ini_single_section(it, &st->feeds_line, err, errlen);
	}
	if (strcmp(it->section, "feed") == 0) {
		r = start_feed(st, it, err, errlen);
		if (r < 0)
			return r;
		st->sec = SEC_FEED;
		return 0;
	}
	st->sec = SEC_OTHER;
	return fz_ini_other_section(it, other_sections,
				    sizeof(other_sections) / sizeof(other_sections[0]),
				    "feeds, feed NAME, dns, nfq, events, metrics", err, errlen);
}

static int on_feeds_key(struct cfg_state *st, int k, const char *v, char *err, size_t errlen)
{
	struct fz_feeds_cfg *cfg = st->cfg;
	const char *key = feeds_keys[k];

	switch ((enum feeds_key)k) {
	case FK_OUTPUT:
		return fz_ini_set_str(&cfg->output, key, v, err, errlen);
	case FK_STATE_DIR:
		return fz_ini_set_str(&cfg->state_dir, key, v, err, errlen);
	case FK_ALLOW:
		return fz_ini_set_str(&cfg->allow, key, v, err, errlen);
	case FK_BLOCK:
		return fz_ini_set_str(&cfg->block, key, v, err, errlen);
	case FK_CA_FILE:
		return fz_ini_set_str(&cfg->ca_file, key, v, err, errlen);
	case FK_USER_AGENT:
		return fz_ini_set_str(&cfg->user_agent, key, v, err, errlen);
	case FK_CONCURRENCY:
		return fz_ini_key_uint(key, v, 1, 64, &cfg->concurrency, err, errlen);
	case FK_CONNECT_TIMEOUT:
		return fz_ini_key_duration(key, v, 1, FEEDS_TIMEOUT_MAX, &cfg->connect_timeout, err,
					   errlen);
	case FK_TIMEOUT:
		return fz_ini_key_duration(key, v, 1, FEEDS_TIMEOUT_MAX, &cfg->timeout, err,
					   errlen);
	case FK_RETRIES:
		return fz_ini_key_uint(key, v, 0, 10, &cfg->retries, err, errlen);
	case FK_COUNT:
		break;
	}
	return -EINVAL;
}

static int on_feed_key(struct cfg_state *st, int k, const char *v, char *err, size_t errlen)
{
	struct fz_feed_cfg *f = cur_feed(st);
	const char *key = feed_keys[k];
	int r;

	switch ((enum feed_key)k) {
	case K_URL:
		return check_url(key, v,
				 1u << SCHEME_HTTPS | 1u << SCHEME_HTTP | 1u << SCHEME_FILE |
				     1u << SCHEME_AXFR,
				 &f->url, NULL, err, errlen);
	case K_FORMAT:
		r = fz_format_parse(v);
		if (r < 0) {
			say(err, errlen,
			    "format: unknown format '%.64s' (auto, hosts, domains, adblock, rpz, "
			    "urls or csv)",
			    v);
			return -EINVAL;
		}
		f->format = (enum fz_format)r;
		return 0;
	case K_CATEGORY:
		r = fz_category_parse(v);
		if (r < 0) {
			say(err, errlen,
			    "category: unknown category '%.64s' (fraud, phishing, malware, "
			    "gambling, doh or custom)",
			    v);
			return -EINVAL;
		}
		f->category = (enum fz_category)r;
		return 0;
	case K_MATCH:
		r = fz_match_parse(v);
		if (r < 0) {
			say(err, errlen, "match: '%.64s' is not exact, subtree or default", v);
			return -EINVAL;
		}
		f->match = (enum fz_match)r;
		return 0;
	case K_INTERVAL:
		return fz_ini_key_duration(key, v, FEED_INTERVAL_MIN, FEED_INTERVAL_MAX,
					   &f->interval, err, errlen);
	case K_MAX_SIZE:
		return fz_ini_key_size(key, v, 1, FEED_MAX_SIZE_MAX, "1..4G", &f->max_size, err,
				       errlen);
	case K_MIN_ENTRIES:
		return fz_ini_key_uint(key, v, 0, UINT64_MAX, &f->min_entries, err, errlen);
	case K_MAX_SHRINK: {
		/* "50" or "50%". */
		char num[32];
		size_t n = strlen(v);

		if (n > 0 && v[n - 1] == '%')
			n--;
		if (n >= sizeof(num)) {
			say(err, errlen, "max_shrink: '%.64s' is not a percentage 0..100", v);
			return -EINVAL;
		}
		memcpy(num, v, n);
		num[n] = '\0';
		return fz_ini_key_uint(key, num, 0, 100, &f->max_shrink, err, errlen);
	}
	case K_SHA256:
		if (parse_sha256(v, f->sha256) < 0) {
			say(err, errlen, "sha256: expected 64 hex digits");
			return -EINVAL;
		}
		f->has_sha256 = true;
		return 0;
	case K_MINISIGN_KEY:
		if (!valid_minisign_key(v)) {
			say(err, errlen,
			    "minisign_key: expected a minisign public key, %d base64 characters "
			    "(the second line of the .pub file)",
			    MINISIGN_KEY_LEN);
			return -EINVAL;
		}
		return fz_ini_set_str(&f->minisign_key, key, v, err, errlen);
	case K_SIGNATURE_URL:
		return check_url(key, v, 1u << SCHEME_HTTPS | 1u << SCHEME_HTTP | 1u << SCHEME_FILE,
				 &f->signature_url, NULL, err, errlen);
	case K_ENABLED:
		return fz_ini_key_bool(key, v, &f->enabled, err, errlen);
	case K_COUNT:
		break;
	}
	return -EINVAL;
}

static int on_item(const struct fz_ini_item *it, void *userdata, char *err, size_t errlen)
{
	struct cfg_state *st = userdata;
	char where[sizeof("feed ") + FZ_FEED_NAME_MAX];
	int k;

	if (!it->key)
		return on_section(st, it, err, errlen);
	if (st->sec == SEC_OTHER)
		return 0;
	if (st->sec == SEC_FEEDS) {
		k = fz_ini_key_once(it, feeds_keys, FK_COUNT, st->seen, "feeds", err, errlen);
		return k < 0 ? k : on_feeds_key(st, k, it->value, err, errlen);
	}
	snprintf(where, sizeof(where), "feed %s", cur_feed(st)->name);
	k = fz_ini_key_once(it, feed_keys, K_COUNT, st->seen, where, err, errlen);
	return k < 0 ? k : on_feed_key(st, k, it->value, err, errlen);
}

/* --- API ------------------------------------------------------------------- */

void fz_feeds_cfg_free(struct fz_feeds_cfg *cfg)
{
	if (!cfg)
		return;
	free(cfg->file);
	free(cfg->output);
	free(cfg->state_dir);
	free(cfg->allow);
	free(cfg->block);
	free(cfg->ca_file);
	free(cfg->user_agent);
	for (size_t i = 0; i < cfg->n_feeds; i++) {
		free(cfg->feeds[i].url);
		free(cfg->feeds[i].minisign_key);
		free(cfg->feeds[i].signature_url);
	}
	free(cfg->feeds);
	memset(cfg, 0, sizeof(*cfg));
}

int fz_feeds_cfg_parse(const uint8_t *data, size_t len, const char *file, struct fz_feeds_cfg *cfg,
		       char *err, size_t errlen)
{
	struct fz_feeds_cfg c = {0};
	struct cfg_state st = {0};
	int r;

	if (!file)
		file = "(config)";
	c.file = strdup(file);
	c.output = strdup(FZ_FEEDS_DEFAULT_OUTPUT);
	c.state_dir = strdup(FZ_FEEDS_DEFAULT_STATE_DIR);
	c.concurrency = FEEDS_CONCURRENCY;
	c.connect_timeout = FEEDS_CONNECT_TIMEOUT;
	c.timeout = FEEDS_TIMEOUT;
	c.retries = FEEDS_RETRIES;
	if (!c.file || !c.output || !c.state_dir) {
		fz_feeds_cfg_free(&c);
		say(err, errlen, "%s:0: out of memory", file);
		return -ENOMEM;
	}

	st.cfg = &c;
	st.file = file;
	r = fz_ini_parse(data, len, file, on_item, &st, err, errlen);
	if (r == 0 && st.sec == SEC_FEED)
		r = finish_feed(&st);
	if (r < 0) {
		if (st.has_pending)
			say(err, errlen, "%s", st.pending);
		fz_feeds_cfg_free(&c);
		return r == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	*cfg = c;
	return 0;
}

int fz_feeds_cfg_load(const char *path, struct fz_feeds_cfg *cfg, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t n;
	int r = fz_ini_read_file(path, &buf, &n, err, errlen);
	if (r < 0)
		return r;
	r = fz_feeds_cfg_parse(buf, n, path, cfg, err, errlen);
	free(buf);
	return r;
}
