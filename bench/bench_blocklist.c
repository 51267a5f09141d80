/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Blocklist benchmark on the real feed snapshots: compile time (text to
 * published file), peak memory, bytes per name, lookup latency on one and
 * two threads, and how fast a reader sees a newly published generation.
 * Sizes: the real feeds merged, then 1M and 10M names (the real feeds topped
 * up with generated names of realistic shape). Each size runs in its own
 * child process so peak RSS figures do not mix.
 *
 * Figures are printed beside their targets; nothing is asserted.
 *
 * Usage: bench_blocklist [--quick] [--dir DIR] [--data DIR]
 *   --quick  real feeds and 1M only
 *   --dir    where the compiled files are written (a real file system:
 *            the compile time includes fsync); default ./bench-tmp
 *   --data   feed snapshots; default $FZ_DATA_DIR, else the build default
 *   --skip   leave this feed file out (repeatable; the table says so)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fz_blocklist.h"
#include "fz_blwriter.h"
#include "fz_name.h"
#include "fz_parse.h"

#ifndef FZ_DEFAULT_DATA_DIR
#define FZ_DEFAULT_DATA_DIR "../shared/data"
#endif

#define BATCH	       64
#define N_QUERIES      (1u << 20)
#define GEN_CHUNK      1000000u
#define GEN_SEED       0x66616e677a6861ull /* "fangzha" */
#define QUERY_SEED     0x7175657279ull
#define RELOAD_POLL_MS 2000 /* watcher fallback poll: inotify must beat it */

/* --- small utilities ------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return splitmix64(s) % n;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "out of memory (%zu bytes)\n", n);
		exit(3);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "out of memory (%zu bytes)\n", n);
		exit(3);
	}
	return p;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec * 1e-6;
}

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void loadavg(char *buf, size_t len)
{
	snprintf(buf, len, "?");
	FILE *f = fopen("/proc/loadavg", "r");
	if (!f)
		return;
	double a, b, c;
	if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", a, b, c);
	fclose(f);
}

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	size_t cap = (size_t)st.st_size, n = 0;
	uint8_t *buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap)
			buf = xrealloc(buf, (cap = cap * 2 + 4096) + 1);
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			free(buf);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*ret = buf;
	*ret_len = n;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --- the real feeds ----------------------------------------------------- */

static const char *const feed_prefixes[] = {"hosts-",	"domains-", "wildcard-",
					    "adblock-", "rpz-",	    "urls-"};

static bool is_feed_file(const char *name)
{
	for (size_t i = 0; i < sizeof(feed_prefixes) / sizeof(feed_prefixes[0]); i++)
		if (strncmp(name, feed_prefixes[i], strlen(feed_prefixes[i])) == 0)
			return true;
	return false;
}

/* A category guessed from the file name. */
static enum fz_category guess_category(const char *name)
{
	if (strstr(name, "phish"))
		return FZ_CAT_PHISHING;
	if (strstr(name, "gambling"))
		return FZ_CAT_GAMBLING;
	if (strstr(name, "urlhaus") || strstr(name, "malware") || strstr(name, "risk"))
		return FZ_CAT_MALWARE;
	if (strstr(name, "scam") || strstr(name, "fake") || strstr(name, "fraud") ||
	    strstr(name, "tif") || strstr(name, "tweetfeed") || strstr(name, "urlscans"))
		return FZ_CAT_FRAUD;
	return FZ_CAT_CUSTOM; /* ads, allowlists, spam TLDs, personal rules */
}

static const char *skip_files[16];
static size_t n_skip;

static bool skipped(const char *name)
{
	for (size_t i = 0; i < n_skip; i++)
		if (strcmp(name, skip_files[i]) == 0)
			return true;
	return false;
}

static char **list_feeds(const char *dir, size_t *ret_n)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!is_feed_file(de->d_name) || skipped(de->d_name))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	*ret_n = n;
	return names;
}

/* --- generated names ---------------------------------------------------- */

/*
 * Shapes measured on the real fraud/phishing/gambling domain lists here:
 * labels below the TLD (1: 83%, 2: 16%, 3: 1%; we draw 80/17/3), label
 * lengths 3..15 in these proportions, 10% all-digit labels, 12% with a
 * hyphen, and the TLD mix of those lists (plus cn).
 */
static const unsigned label_count_w[] = {80, 17, 3};
static const unsigned label_len_w[] = {30, 22, 123, 153, 123, 85, 65, 69, 46, 41, 36, 33, 43};
static const struct {
	const char *tld;
	unsigned w;
} tld_mix[] = {
    {"com", 540}, {"shop", 41},	  {"site", 29}, {"net", 28}, {"sbs", 20},   {"org", 19},
    {"top", 19},  {"xyz", 19},	  {"cyou", 18}, {"vip", 18}, {"click", 17}, {"info", 17},
    {"live", 16}, {"cn", 15},	  {"cfd", 13},	{"pro", 12}, {"app", 11},   {"online", 10},
    {"icu", 10},  {"dev", 8},	  {"io", 8},	{"pl", 8},   {"rest", 6},   {"lat", 6},
    {"lol", 5},	  {"digital", 5}, {"cc", 5},	{"buzz", 5}, {"store", 5},  {"me", 5},
};
#define N_TLD (sizeof(tld_mix) / sizeof(tld_mix[0]))

/* TLDs that a real feed blocks as a whole (a generated name there would be pruned). */
static uint64_t tld_blocked_mask;

static unsigned pick_w(uint64_t *s, const unsigned *w, size_t n)
{
	unsigned total = 0;
	for (size_t i = 0; i < n; i++)
		total += w[i];
	unsigned r = (unsigned)rnd_below(s, total);
	for (size_t i = 0; i < n; i++) {
		if (r < w[i])
			return (unsigned)i;
		r -= w[i];
	}
	return (unsigned)(n - 1);
}

static const char *pick_tld(uint64_t *s)
{
	unsigned total = 0;
	for (size_t i = 0; i < N_TLD; i++)
		if (!(tld_blocked_mask & (1ull << i)))
			total += tld_mix[i].w;
	if (total == 0)
		return "example";
	unsigned r = (unsigned)rnd_below(s, total);
	for (size_t i = 0; i < N_TLD; i++) {
		if (tld_blocked_mask & (1ull << i))
			continue;
		if (r < tld_mix[i].w)
			return tld_mix[i].tld;
		r -= tld_mix[i].w;
	}
	return "com";
}

/* The k-th generated name (random access: name k depends only on the seed and k). */
static size_t gen_name(uint64_t k, char *out)
{
	uint64_t s = GEN_SEED ^ (k * 0xd1342543de82ef95ull);
	splitmix64(&s);
	unsigned nlab = pick_w(&s, label_count_w, 3) + 1;
	size_t n = 0;
	for (unsigned l = 0; l < nlab; l++) {
		unsigned len = pick_w(&s, label_len_w, 13) + 3;
		bool digits = rnd_below(&s, 100) < 10;
		for (unsigned i = 0; i < len; i++) {
			if (digits || rnd_below(&s, 100) < 8)
				out[n++] = (char)('0' + rnd_below(&s, 10));
			else
				out[n++] = (char)('a' + rnd_below(&s, 26));
		}
		if (!digits && rnd_below(&s, 100) < 12)
			out[n - len + 1 + rnd_below(&s, len - 2)] = '-';
		out[n++] = '.';
	}
	const char *tld = pick_tld(&s);
	size_t tl = strlen(tld);
	memcpy(out + n, tld, tl);
	n += tl;
	out[n] = 0;
	return n;
}

/* --- results passed from a child to the parent -------------------------- */

struct lk_stats {
	double med, p99, mean, mops, blocked_frac;
	uint64_t lookups;
};

struct result {
	int ok;
	char err[256];
	uint64_t target;
	unsigned n_feeds;
	uint64_t accepted, rejected, skipped, duplicates, input_rules;
	uint64_t n_names, n_allow, n_urls, n_ip, file_size, index_bytes;
	uint64_t merged, pruned, shadowed;
	uint64_t buckets;
	unsigned reseeds;
	double t_parse, t_gen, t_add, t_write;
	double cpu_compile; /* user+sys over the compile, generation excluded */
	long rss_compile_kb, rss_total_kb;
	struct lk_stats lk[2];
	struct lk_stats peer;
	double peer_bytes, naive_bytes, avg_name_len;
	uint64_t n_queries;
	double clock_ns;
	int reload_n, reload_fail, reload_at_return;
	double reload_med_ms, reload_max_ms, reload_write_med_ms;
	uint64_t tld_mask;
	char tld_note[256];
	char reload_note[256];
};

/* --- compiled names, kept for sampling listed queries and for the peer --- */

struct names {
	char *arena;
	size_t len, cap;
	uint32_t *off; /* name k at arena + off[k], NUL-terminated */
	uint8_t *subtree;
	size_t n, ncap;
};

static void names_add(struct names *ns, const char *s, size_t len, bool subtree)
{
	if (ns->len + len + 1 > ns->cap) {
		ns->cap = (ns->cap + len + 1) * 2;
		ns->arena = xrealloc(ns->arena, ns->cap);
	}
	if (ns->n == ns->ncap) {
		ns->ncap = ns->ncap ? ns->ncap * 2 : 65536;
		ns->off = xrealloc(ns->off, ns->ncap * sizeof(*ns->off));
		ns->subtree = xrealloc(ns->subtree, ns->ncap);
	}
	ns->off[ns->n] = (uint32_t)ns->len;
	ns->subtree[ns->n] = subtree;
	ns->n++;
	memcpy(ns->arena + ns->len, s, len);
	ns->arena[ns->len + len] = 0;
	ns->len += len + 1;
}

static void names_free(struct names *ns)
{
	free(ns->arena);
	free(ns->off);
	free(ns->subtree);
	memset(ns, 0, sizeof(*ns));
}

/* --- the peer: a plain open-addressing hash set of strings ---------------- */

struct peer {
	uint64_t *slot; /* 0 empty, else hash high 32 bits << 32 | (arena offset + 1) */
	size_t mask;
	char *arena; /* per name: len byte, subtree byte, bytes */
	size_t len, cap;
	size_t n;
};

static uint64_t peer_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	uint64_t v = 0;
	memcpy(&v, s, n);
	h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

static void peer_init(struct peer *p, size_t n)
{
	size_t slots = 1024;
	while (slots * 7 / 10 < n)
		slots *= 2;
	p->slot = calloc(slots, sizeof(*p->slot));
	if (!p->slot)
		exit(3);
	p->mask = slots - 1;
	p->cap = n * 24 + 4096;
	p->arena = xmalloc(p->cap);
	p->len = 0;
	p->n = 0;
}

static void peer_add(struct peer *p, const char *s, size_t n, bool subtree)
{
	uint64_t h = peer_hash(s, n);
	uint32_t tag = (uint32_t)(h >> 32);
	for (size_t i = h & p->mask;; i = (i + 1) & p->mask) {
		uint64_t e = p->slot[i];
		if (!e)
			break;
		if ((uint32_t)(e >> 32) != tag)
			continue;
		const char *q = p->arena + (uint32_t)e - 1;
		if ((uint8_t)q[0] == n && memcmp(q + 2, s, n) == 0) {
			if (subtree)
				((char *)q)[1] = 1;
			return;
		}
	}
	if (p->n + 1 > (p->mask + 1) * 9 / 10)
		return; /* full: cannot happen with the size given to peer_init */
	if (p->len + n + 2 > p->cap) {
		p->cap *= 2;
		p->arena = xrealloc(p->arena, p->cap);
	}
	uint64_t off = p->len;
	p->arena[p->len++] = (char)n;
	p->arena[p->len++] = subtree;
	memcpy(p->arena + p->len, s, n);
	p->len += n;
	for (size_t i = h & p->mask;; i = (i + 1) & p->mask) {
		if (!p->slot[i]) {
			p->slot[i] = ((uint64_t)tag << 32) | (off + 1);
			break;
		}
	}
	p->n++;
}

/* The name and each parent; the first hit decides (exact rules only on the name itself). */
static bool peer_lookup(const struct peer *p, const char *s, size_t n)
{
	const char *full = s;
	for (;;) {
		uint64_t h = peer_hash(s, n);
		uint32_t tag = (uint32_t)(h >> 32);
		for (size_t i = h & p->mask;; i = (i + 1) & p->mask) {
			uint64_t e = p->slot[i];
			if (!e)
				break;
			if ((uint32_t)(e >> 32) != tag)
				continue;
			const char *q = p->arena + (uint32_t)e - 1;
			if ((uint8_t)q[0] == n && memcmp(q + 2, s, n) == 0) {
				if (s == full || q[1])
					return true;
				break;
			}
		}
		const char *dot = memchr(s, '.', n);
		if (!dot)
			return false;
		n -= (size_t)(dot + 1 - s);
		s = dot + 1;
	}
}

static void peer_free(struct peer *p)
{
	free(p->slot);
	free(p->arena);
}

/*
 * What std::unordered_set<std::string> (libstdc++, 64-bit glibc) costs per
 * name: a node (next pointer, 32-byte std::string, cached hash: 48 bytes,
 * a 64-byte malloc chunk), one bucket pointer at load factor 1, and for
 * names over 15 bytes (no small-string buffer) a heap string of len+1
 * bytes in a chunk of (len + 1 + 8) rounded up to 16, at least 32.
 */
static double naive_bytes_for_len(size_t len)
{
	double b = 64 + 8;
	if (len > 15) {
		size_t c = (len + 1 + 8 + 15) & ~(size_t)15;
		b += c < 32 ? 32 : c;
	}
	return b;
}

/* --- queries ------------------------------------------------------------- */

static enum fz_match gen_match = FZ_MATCH_DEFAULT; /* what the parser made of generated names */

struct queries {
	char *arena;
	size_t len, cap;
	uint32_t *off;
	uint16_t *qlen;
	size_t n;
};

static void q_add(struct queries *q, const char *s, size_t len)
{
	if (q->len + len + 1 > q->cap) {
		q->cap = (q->cap + len + 1) * 2;
		q->arena = xrealloc(q->arena, q->cap);
	}
	q->off[q->n] = (uint32_t)q->len;
	q->qlen[q->n] = (uint16_t)len;
	q->n++;
	memcpy(q->arena + q->len, s, len);
	q->arena[q->len + len] = 0;
	q->len += len + 1;
}

static const char *const sub_words[] = {"www",	"cdn",	 "api", "m",	  "img",  "static",
					"mail", "login", "app", "assets", "edge", "s3"};

static size_t random_label(uint64_t *s, char *out)
{
	if (rnd_below(s, 2)) {
		const char *w = sub_words[rnd_below(s, sizeof(sub_words) / sizeof(sub_words[0]))];
		size_t n = strlen(w);
		memcpy(out, w, n);
		return n;
	}
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = 2 + rnd_below(s, 7);
	for (size_t i = 0; i < n; i++)
		out[i] = al[rnd_below(s, 36)];
	return n;
}

/* Popular names from the top lists: "https://x,0,tranco", "domain" header, plain names. */
static void load_popular(const char *dir, struct names *pop)
{
	static const char *const files[] = {"top100k-tranco-as-urls.csv", "top100k-alexa-2016.txt",
					    "top100k-cloudflare-radar.csv",
					    "top10k-opendns-2014.txt"};
	char path[4096];
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
		uint8_t *buf;
		size_t len;
		if (read_file(path, &buf, &len) < 0)
			continue;
		size_t i = 0;
		while (i < len) {
			size_t e = i;
			while (e < len && buf[e] != '\n')
				e++;
			const char *l = (const char *)buf + i;
			size_t ll = e - i;
			i = e + 1;
			if (ll >= 8 && memcmp(l, "https://", 8) == 0)
				l += 8, ll -= 8;
			else if (ll >= 7 && memcmp(l, "http://", 7) == 0)
				l += 7, ll -= 7;
			size_t n = 0;
			char tmp[256];
			while (n < ll && n < sizeof(tmp) - 1 && l[n] != ',' && l[n] != '/' &&
			       l[n] != '\r' && l[n] != ' ') {
				char c = l[n];
				tmp[n++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
			}
			if (n < 3 || !memchr(tmp, '.', n) || n > 200)
				continue;
			names_add(pop, tmp, n, false);
		}
		free(buf);
	}
}

/*
 * N_QUERIES names: 90% unlisted (popular names, most with random
 * subdomains; kept only when the blocklist says NONE) and 10% listed
 * (sampled from the compiled names, a random subdomain prepended to half of
 * the subtree rules; kept only when the blocklist says BLOCK).
 */
static int make_queries(const struct fz_blmap *m, const struct names *pop, const struct names *real,
			uint64_t n_gen, struct queries *q)
{
	uint64_t s = QUERY_SEED;
	q->off = xmalloc(N_QUERIES * sizeof(*q->off));
	q->qlen = xmalloc(N_QUERIES * sizeof(*q->qlen));
	char buf[600];
	size_t tries = 0;
	uint64_t total_listed = real->n + n_gen;
	if (pop->n == 0 || total_listed == 0)
		return -ENOENT;
	while (q->n < N_QUERIES) {
		if (++tries > (size_t)N_QUERIES * 50)
			return -EAGAIN;
		bool listed = rnd_below(&s, 10) == 0;
		size_t n = 0;
		const char *base;
		bool subtree;
		if (listed) {
			uint64_t k = rnd_below(&s, total_listed);
			char gen[300];
			if (k < real->n) {
				base = real->arena + real->off[k];
				subtree = real->subtree[k];
			} else {
				gen_name(k - real->n, gen);
				base = gen;
				subtree = gen_match == FZ_MATCH_SUBTREE;
			}
			if (subtree && rnd_below(&s, 2)) {
				n = random_label(&s, buf);
				buf[n++] = '.';
			}
			size_t bl = strlen(base);
			memcpy(buf + n, base, bl);
			n += bl;
		} else {
			base = pop->arena + pop->off[rnd_below(&s, pop->n)];
			unsigned r = (unsigned)rnd_below(&s, 4);
			unsigned nsub = r == 0 ? 0 : r == 3 ? 2 : 1;
			for (unsigned i = 0; i < nsub; i++) {
				n += random_label(&s, buf + n);
				buf[n++] = '.';
			}
			size_t bl = strlen(base);
			memcpy(buf + n, base, bl);
			n += bl;
		}
		if (n > FZ_NAME_MAX)
			continue;
		enum fz_verdict v = fz_blmap_lookup(m, buf, n, NULL);
		if (listed ? v != FZ_VERDICT_BLOCK : v != FZ_VERDICT_NONE)
			continue;
		q_add(q, buf, n);
	}
	return 0;
}

/* --- lookup timing ------------------------------------------------------- */

struct lk_thread {
	struct fz_blocklist *bl;
	const struct queries *q;
	const struct peer *peer; /* non-NULL: time the peer instead of the blocklist */
	size_t start, nbatch;
	uint32_t *batch_ns;
	uint64_t blocked;
	int rc;
	pthread_barrier_t *bar;
	double t0, t1;
};

static void *lk_run(void *arg)
{
	struct lk_thread *t = arg;
	const struct queries *q = t->q;
	struct fz_bl_reader *r = NULL;
	size_t nq = q->n - q->n % BATCH;
	if (!t->peer)
		t->rc = fz_bl_reader_register(t->bl, &r);
	if (t->rc == 0) {
		/* Warm-up pass, untimed. */
		for (size_t i = 0; i < nq; i += BATCH) {
			if (t->peer) {
				for (size_t k = 0; k < BATCH; k++)
					t->blocked += peer_lookup(t->peer, q->arena + q->off[i + k],
								  q->qlen[i + k]);
			} else {
				const struct fz_blmap *m = fz_bl_read_begin(r);
				for (size_t k = 0; k < BATCH; k++)
					t->blocked += fz_blmap_lookup(m, q->arena + q->off[i + k],
								      q->qlen[i + k],
								      NULL) == FZ_VERDICT_BLOCK;
				fz_bl_read_end(r);
			}
		}
	}
	pthread_barrier_wait(t->bar);
	if (t->rc < 0)
		return NULL;
	t->blocked = 0;
	t->t0 = now_s();
	size_t i = t->start - t->start % BATCH;
	for (size_t b = 0; b < t->nbatch; b++) {
		if (i + BATCH > nq)
			i = 0;
		uint64_t a = now_ns();
		if (t->peer) {
			for (size_t k = 0; k < BATCH; k++)
				t->blocked +=
				    peer_lookup(t->peer, q->arena + q->off[i + k], q->qlen[i + k]);
		} else {
			const struct fz_blmap *m = fz_bl_read_begin(r);
			for (size_t k = 0; k < BATCH; k++)
				t->blocked +=
				    fz_blmap_lookup(m, q->arena + q->off[i + k], q->qlen[i + k],
						    NULL) == FZ_VERDICT_BLOCK;
			fz_bl_read_end(r);
		}
		uint64_t z = now_ns();
		t->batch_ns[b] = (uint32_t)(z - a > UINT32_MAX ? UINT32_MAX : z - a);
		i += BATCH;
	}
	t->t1 = now_s();
	if (r)
		fz_bl_reader_unregister(r);
	return NULL;
}

/* Time batches of BATCH lookups on `nthreads` threads; two passes over the queries each. */
static int time_lookups(struct fz_blocklist *bl, const struct peer *peer, const struct queries *q,
			unsigned nthreads, struct lk_stats *out)
{
	struct lk_thread t[2];
	pthread_t tid[2];
	pthread_barrier_t bar;
	size_t nbatch = 2 * (q->n / BATCH);
	pthread_barrier_init(&bar, NULL, nthreads);
	for (unsigned k = 0; k < nthreads; k++) {
		t[k] = (struct lk_thread){.bl = bl,
					  .q = q,
					  .peer = peer,
					  .start = k * (q->n / nthreads),
					  .nbatch = nbatch,
					  .batch_ns = xmalloc(nbatch * sizeof(uint32_t)),
					  .bar = &bar};
		if (pthread_create(&tid[k], NULL, lk_run, &t[k]) != 0)
			exit(3);
	}
	int rc = 0;
	for (unsigned k = 0; k < nthreads; k++) {
		pthread_join(tid[k], NULL);
		if (t[k].rc < 0)
			rc = t[k].rc;
	}
	pthread_barrier_destroy(&bar);
	if (rc == 0) {
		uint32_t *all = xmalloc(nthreads * nbatch * sizeof(uint32_t));
		double sum = 0, t0 = t[0].t0, t1 = t[0].t1;
		uint64_t blocked = 0;
		for (unsigned k = 0; k < nthreads; k++) {
			memcpy(all + k * nbatch, t[k].batch_ns, nbatch * sizeof(uint32_t));
			for (size_t b = 0; b < nbatch; b++)
				sum += t[k].batch_ns[b];
			blocked += t[k].blocked;
			t0 = t[k].t0 < t0 ? t[k].t0 : t0;
			t1 = t[k].t1 > t1 ? t[k].t1 : t1;
		}
		size_t n = nthreads * nbatch;
		qsort(all, n, sizeof(*all), cmp_u32);
		out->lookups = (uint64_t)n * BATCH;
		out->med = all[n / 2] / (double)BATCH;
		out->p99 = all[n * 99 / 100] / (double)BATCH;
		out->mean = sum / (double)out->lookups;
		out->mops = out->lookups / (t1 - t0) / 1e6;
		out->blocked_frac = blocked / (double)out->lookups;
		free(all);
	}
	for (unsigned k = 0; k < nthreads; k++)
		free(t[k].batch_ns);
	return rc;
}

static double clock_overhead_ns(void)
{
	uint64_t a = now_ns(), x = 0;
	for (int i = 0; i < 100000; i++)
		x += now_ns();
	uint64_t b = now_ns();
	return x ? (b - a) / 100000.0 : 0;
}

/* --- compile ------------------------------------------------------------- */

static int compile(const char *dir, char **feeds, size_t nfeeds, uint64_t n_gen, const char *out,
		   struct result *res, struct fz_blwriter **ret_w)
{
	struct fz_blwriter *w;
	char path[4096], err[256] = "";
	double cpu0 = cpu_s(), cpu_gen = 0;
	int rc = fz_blwriter_new(&w);
	if (rc < 0) {
		snprintf(res->err, sizeof(res->err), "fz_blwriter_new: %s", strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < nfeeds; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, feeds[i]);
		double a = now_s();
		uint8_t *buf;
		size_t len;
		rc = read_file(path, &buf, &len);
		if (rc < 0) {
			snprintf(res->err, sizeof(res->err), "%.150s: %s", feeds[i], strerror(-rc));
			goto fail;
		}
		struct fz_parse_opts o = {.format = FZ_FORMAT_AUTO};
		struct fz_parse_result pr;
		rc = fz_parse(buf, len, &o, &pr);
		free(buf);
		double b = now_s();
		res->t_parse += b - a;
		if (rc < 0) {
			snprintf(res->err, sizeof(res->err), "fz_parse %s: %s", feeds[i],
				 strerror(-rc));
			goto fail;
		}
		res->accepted += pr.accepted;
		res->rejected += pr.rejected;
		res->skipped += pr.skipped;
		res->duplicates += pr.duplicates;
		int id = fz_blwriter_add_feed(w, feeds[i], guess_category(feeds[i]), path,
					      FZ_FEED_NORMAL);
		rc = id < 0 ? id : fz_blwriter_add_parsed(w, id, &pr);
		fz_parse_result_free(&pr);
		res->t_add += now_s() - b;
		if (rc < 0) {
			snprintf(res->err, sizeof(res->err), "adding %s: %s", feeds[i],
				 strerror(-rc));
			goto fail;
		}
		res->n_feeds++;
	}
	if (n_gen) {
		int id = fz_blwriter_add_feed(w, "generated", FZ_CAT_FRAUD, "bench generator",
					      FZ_FEED_NORMAL);
		if (id < 0) {
			rc = id;
			snprintf(res->err, sizeof(res->err), "add_feed: %s", strerror(-rc));
			goto fail;
		}
		res->n_feeds++;
		char *text = xmalloc((size_t)GEN_CHUNK * 80);
		for (uint64_t k = 0; k < n_gen; k += GEN_CHUNK) {
			uint64_t end = k + GEN_CHUNK < n_gen ? k + GEN_CHUNK : n_gen;
			double a = now_s(), ca = cpu_s();
			size_t tl = 0;
			for (uint64_t j = k; j < end; j++) {
				tl += gen_name(j, text + tl);
				text[tl++] = '\n';
			}
			cpu_gen += cpu_s() - ca;
			double b = now_s();
			res->t_gen += b - a;
			struct fz_parse_opts o = {.format = FZ_FORMAT_AUTO};
			struct fz_parse_result pr;
			rc = fz_parse((const uint8_t *)text, tl, &o, &pr);
			double c = now_s();
			res->t_parse += c - b;
			if (rc < 0) {
				free(text);
				snprintf(res->err, sizeof(res->err), "fz_parse generated: %s",
					 strerror(-rc));
				goto fail;
			}
			if (pr.n_entries)
				gen_match = pr.entries[0].match;
			res->accepted += pr.accepted;
			res->rejected += pr.rejected;
			res->duplicates += pr.duplicates;
			rc = fz_blwriter_add_parsed(w, id, &pr);
			fz_parse_result_free(&pr);
			res->t_add += now_s() - c;
			if (rc < 0) {
				free(text);
				snprintf(res->err, sizeof(res->err), "adding generated: %s",
					 strerror(-rc));
				goto fail;
			}
		}
		free(text);
	}
	struct fz_blwriter_opts wo = {0};
	struct fz_blwriter_stats st = {0};
	double a = now_s();
	rc = fz_blwriter_write(w, out, &wo, &st, err, sizeof(err));
	res->t_write = now_s() - a;
	res->cpu_compile = cpu_s() - cpu0 - cpu_gen;
	res->rss_compile_kb = maxrss_kb();
	if (rc < 0) {
		snprintf(res->err, sizeof(res->err), "fz_blwriter_write: %s (%.180s)",
			 strerror(-rc), err);
		goto fail;
	}
	res->input_rules = st.input_rules;
	res->merged = st.merged;
	res->pruned = st.pruned;
	res->shadowed = st.shadowed;
	res->reseeds = st.reseeds;
	*ret_w = w;
	return 0;
fail:
	fz_blwriter_free(w);
	return rc < 0 ? rc : -EIO;
}

/* --- reload: how soon a reader sees a new generation ---------------------- */

static void reload_test(struct fz_blwriter *w, const char *path, int reps, struct result *res)
{
	struct fz_blocklist *bl = NULL;
	struct fz_bl_reader *r = NULL;
	char err[256] = "";
	double lat[16], tot[16];
	int n = 0;
	int rc = fz_blocklist_open(path, &bl, err, sizeof(err));
	if (rc < 0) {
		snprintf(res->reload_note, sizeof(res->reload_note), "reload: open: %s (%.180s)",
			 strerror(-rc), err);
		res->reload_fail = reps;
		return;
	}
	rc = fz_blocklist_watch_start(bl, RELOAD_POLL_MS, NULL, NULL);
	if (rc == 0)
		rc = fz_bl_reader_register(bl, &r);
	if (rc < 0) {
		snprintf(res->reload_note, sizeof(res->reload_note), "reload: watch/register: %s",
			 strerror(-rc));
		res->reload_fail = reps;
		goto out;
	}
	for (int i = 0; i < reps && i < 16; i++) {
		const struct fz_blmap *m = fz_bl_read_begin(r);
		uint64_t g0 = fz_blmap_generation(m);
		fz_bl_read_end(r);
		struct fz_blwriter_opts wo = {0};
		struct fz_blwriter_stats st;
		double a = now_s();
		rc = fz_blwriter_write(w, path, &wo, &st, err, sizeof(err));
		double b = now_s();
		if (rc < 0) {
			snprintf(res->reload_note, sizeof(res->reload_note),
				 "reload: write: %s (%.180s)", strerror(-rc), err);
			res->reload_fail++;
			break;
		}
		bool seen = false, first = true;
		while (now_s() - b < 5.0) {
			m = fz_bl_read_begin(r);
			uint64_t g = fz_blmap_generation(m);
			fz_bl_read_end(r);
			if (g > g0) {
				seen = true;
				res->reload_at_return += first;
				break;
			}
			first = false;
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		}
		double c = now_s();
		if (!seen) {
			res->reload_fail++;
			continue;
		}
		lat[n] = (c - b) * 1e3;
		tot[n] = (c - a) * 1e3;
		n++;
	}
	if (n) {
		qsort(lat, n, sizeof(double), cmp_double);
		qsort(tot, n, sizeof(double), cmp_double);
		res->reload_med_ms = lat[n / 2];
		res->reload_max_ms = lat[n - 1];
		res->reload_write_med_ms = tot[n / 2];
	}
	res->reload_n = n;
out:
	if (r)
		fz_bl_reader_unregister(r);
	fz_blocklist_watch_stop(bl);
	fz_blocklist_close(bl);
}

/* --- the listed names, collected again after the timed compile ------------ */

static void collect_real_names(const char *dir, char **feeds, size_t nfeeds, struct names *real)
{
	char path[4096];
	for (size_t i = 0; i < nfeeds; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, feeds[i]);
		uint8_t *buf;
		size_t len;
		if (read_file(path, &buf, &len) < 0)
			continue;
		struct fz_parse_opts o = {.format = FZ_FORMAT_AUTO};
		struct fz_parse_result pr;
		int rc = fz_parse(buf, len, &o, &pr);
		free(buf);
		if (rc < 0)
			continue;
		for (size_t k = 0; k < pr.n_entries; k++) {
			const struct fz_entry *e = &pr.entries[k];
			if (e->kind != FZ_RULE_NAME || e->action != FZ_ACTION_BLOCK)
				continue;
			names_add(real, fz_parse_str(&pr, e->name_off), e->name_len,
				  e->match == FZ_MATCH_SUBTREE);
		}
		fz_parse_result_free(&pr);
	}
}

/* --- one size, in a child process ----------------------------------------- */

static const char *size_label(uint64_t target)
{
	static char buf[32];
	if (target == 0)
		return "real feeds";
	if (target % 1000000 == 0)
		snprintf(buf, sizeof(buf), "%" PRIu64 "M", target / 1000000);
	else
		snprintf(buf, sizeof(buf), "%" PRIu64, target);
	return buf;
}

static void run_size(const char *dir, const char *tmpdir, char **feeds, size_t nfeeds,
		     uint64_t target, uint64_t n_real, struct result *res)
{
	char path[4096], err[256] = "";
	const char *lbl = size_label(target);
	res->target = target;
	uint64_t n_gen = target > n_real ? target - n_real : 0;
	snprintf(path, sizeof(path), "%s/bench-%s.fzb", tmpdir, target ? lbl : "real");
	unlink(path);

	struct fz_blwriter *w = NULL;
	fprintf(stderr, "[%s] compiling %zu feeds + %" PRIu64 " generated names...\n", lbl, nfeeds,
		n_gen);
	if (compile(dir, feeds, nfeeds, n_gen, path, res, &w) < 0)
		return;
	fprintf(stderr, "[%s] parse %.2f s, add %.2f s, write %.2f s; reload test...\n", lbl,
		res->t_parse, res->t_add, res->t_write);
	reload_test(w, path, target == 0 ? 10 : target <= 1000000 ? 5 : 2, res);
	fz_blwriter_free(w);

	struct fz_blocklist *bl;
	int rc = fz_blocklist_open(path, &bl, err, sizeof(err));
	if (rc < 0) {
		snprintf(res->err, sizeof(res->err), "fz_blocklist_open: %s (%.180s)",
			 strerror(-rc), err);
		return;
	}
	const struct fz_blmap *m = fz_blocklist_current(bl);
	struct fz_bl_info info;
	fz_blmap_info(m, &info);
	res->n_names = info.n_names;
	res->n_allow = info.n_allow_names;
	res->n_urls = info.n_urls;
	res->n_ip = info.n_ip4 + info.n_ip6;
	res->file_size = info.file_size;
	res->index_bytes = info.index_bytes;
	res->buckets = info.buckets;

	if (target == 0) {
		/* Which TLDs of the generator's mix does a real feed block as a whole? */
		char probe[64];
		size_t o = 0;
		for (size_t i = 0; i < N_TLD; i++) {
			snprintf(probe, sizeof(probe), "zq7-bench-probe.%s", tld_mix[i].tld);
			if (fz_blmap_lookup(m, probe, strlen(probe), NULL) == FZ_VERDICT_BLOCK) {
				res->tld_mask |= 1ull << i;
				if (o < sizeof(res->tld_note) - 16)
					o += (size_t)snprintf(res->tld_note + o,
							      sizeof(res->tld_note) - o, " .%s",
							      tld_mix[i].tld);
			}
		}
	}

	fprintf(stderr, "[%s] building queries...\n", lbl);
	struct names real = {0}, pop = {0};
	struct queries q = {0};
	collect_real_names(dir, feeds, nfeeds, &real);
	load_popular(dir, &pop);
	rc = make_queries(m, &pop, &real, n_gen, &q);
	if (rc < 0) {
		snprintf(res->err, sizeof(res->err),
			 "could not draw queries (%s): popular names all listed, or no listed name "
			 "found blocked",
			 strerror(-rc));
		goto out;
	}
	res->n_queries = q.n;
	res->clock_ns = clock_overhead_ns();
	fprintf(stderr, "[%s] lookups...\n", lbl);
	for (unsigned t = 1; t <= 2; t++) {
		rc = time_lookups(bl, NULL, &q, t, &res->lk[t - 1]);
		if (rc < 0) {
			snprintf(res->err, sizeof(res->err), "fz_bl_reader_register: %s",
				 strerror(-rc));
			goto out;
		}
	}
	fz_blocklist_close(bl);
	bl = NULL;

	/* The peer: every compiled block name in a plain hash set of strings. */
	fprintf(stderr, "[%s] peer hash set...\n", lbl);
	struct peer p;
	peer_init(&p, real.n + n_gen);
	for (size_t k = 0; k < real.n; k++) {
		const char *s = real.arena + real.off[k];
		peer_add(&p, s, strlen(s), real.subtree[k]);
	}
	char gen[300];
	for (uint64_t k = 0; k < n_gen; k++) {
		size_t n = gen_name(k, gen);
		peer_add(&p, gen, n, gen_match == FZ_MATCH_SUBTREE);
	}
	double naive = 0, lens = 0;
	for (size_t i = 0; i < p.len;) {
		size_t n = (uint8_t)p.arena[i];
		naive += naive_bytes_for_len(n);
		lens += (double)n;
		i += n + 2;
	}
	res->peer_bytes = p.n ? ((p.mask + 1) * 8.0 + (double)p.len) / (double)p.n : 0;
	res->naive_bytes = p.n ? naive / (double)p.n : 0;
	res->avg_name_len = p.n ? lens / (double)p.n : 0;
	time_lookups(NULL, &p, &q, 1, &res->peer);
	peer_free(&p);
	res->ok = 1;
out:
	if (bl)
		fz_blocklist_close(bl);
	names_free(&real);
	names_free(&pop);
	free(q.arena);
	free(q.off);
	free(q.qlen);
	unlink(path);
	res->rss_total_kb = maxrss_kb();
}

/* --- the table ------------------------------------------------------------- */

static struct result results[3];
static size_t n_results;

static void row(const char *label, const char *target, int prec,
		double (*get)(const struct result *))
{
	printf("  %-42s", label);
	for (size_t i = 0; i < n_results; i++) {
		if (!results[i].ok && results[i].n_names == 0 && results[i].t_write == 0) {
			printf(" %14s", "-");
			continue;
		}
		char cell[64];
		snprintf(cell, sizeof(cell), "%.*f", prec, get(&results[i]));
		printf(" %14s", cell);
	}
	printf("   %s\n", target);
}

#define GETTER(name, expr)                                                                         \
	static double name(const struct result *r)                                                 \
	{                                                                                          \
		return (expr);                                                                     \
	}
GETTER(g_names, (double)r->n_names)
GETTER(g_allow, (double)r->n_allow)
GETTER(g_urls, (double)r->n_urls)
GETTER(g_ip, (double)r->n_ip)
GETTER(g_input, (double)r->input_rules)
GETTER(g_pruned, (double)r->pruned)
GETTER(g_merged, (double)r->merged)
GETTER(g_parse, r->t_parse)
GETTER(g_add, r->t_add)
GETTER(g_write, r->t_write)
GETTER(g_compile, r->t_parse + r->t_add + r->t_write)
GETTER(g_gen, r->t_gen)
GETTER(g_cpu, r->cpu_compile)
GETTER(g_rss_c, r->rss_compile_kb / 1024.0)
GETTER(g_rss_t, r->rss_total_kb / 1024.0)
GETTER(g_file, r->file_size / 1048576.0)
GETTER(g_idx_pn, r->n_names ? (double)r->index_bytes / (double)r->n_names : 0)
GETTER(g_file_pn, r->n_names ? (double)r->file_size / (double)r->n_names : 0)
GETTER(g_lk1_med, r->lk[0].med)
GETTER(g_lk1_p99, r->lk[0].p99)
GETTER(g_lk1_mean, r->lk[0].mean)
GETTER(g_lk1_mops, r->lk[0].mops)
GETTER(g_lk2_med, r->lk[1].med)
GETTER(g_lk2_p99, r->lk[1].p99)
GETTER(g_lk2_mops, r->lk[1].mops)
GETTER(g_blocked, r->lk[0].blocked_frac * 100)
GETTER(g_rl_med, r->reload_med_ms)
GETTER(g_rl_max, r->reload_max_ms)
GETTER(g_rl_tot, r->reload_write_med_ms)
GETTER(g_rl_n, (double)r->reload_n)
GETTER(g_rl_fail, (double)r->reload_fail)
GETTER(g_rl_ret, (double)r->reload_at_return)
GETTER(g_peer_med, r->peer.med)
GETTER(g_peer_p99, r->peer.p99)
GETTER(g_peer_b, r->peer_bytes)
GETTER(g_naive_b, r->naive_bytes)
GETTER(g_avglen, r->avg_name_len)

static void verdict_line(const char *what, double v, double target, const char *unit, bool have)
{
	if (!have) {
		printf("  %-44s      (not measured)      target <= %g %s\n", what, target, unit);
		return;
	}
	printf("  %-44s %10.2f %-5s target <= %-6g %s\n", what, v, unit, target,
	       v <= target ? "meets" : "MISSES");
}

static char load_start[64], load_end[64];

static void print_table(const char *dir, size_t nfeeds)
{
	char cpu[256] = "unknown CPU";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "model name", 10) == 0) {
				char *c = strchr(line, ':');
				if (c) {
					snprintf(cpu, sizeof(cpu), "%s", c + 2);
					cpu[strcspn(cpu, "\n")] = 0;
				}
				break;
			}
		fclose(f);
	}
	printf("\nfangzha blocklist benchmark: %s, %ld CPUs online\n", cpu,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("load average at start %s, at end %s (other work on the machine skews timings)\n",
	       load_start, load_end);
	printf("data: %s (%zu feed files merged; generated names seeded 0x%llx)\n", dir, nfeeds,
	       (unsigned long long)GEN_SEED);
	for (size_t i = 0; i < n_skip; i++)
		printf("LEFT OUT on request: %s\n", skip_files[i]);
	printf("\n");
	printf("  %-42s", "");
	for (size_t i = 0; i < n_results; i++)
		printf(" %14s", size_label(results[i].target));
	printf("   target\n");

	printf("compile (text -> published file)\n");
	row("name keys in file", "", 0, g_names);
	row("  of which allow names", "", 0, g_allow);
	row("URL rules / IP rules", "", 0, g_urls);
	row("", "", 0, g_ip);
	row("rules handed to the writer", "", 0, g_input);
	row("  merged (same rule, several feeds)", "", 0, g_merged);
	row("  pruned (covered by a parent)", "", 0, g_pruned);
	row("parse, incl. reading text (s)", "", 3, g_parse);
	row("add to writer (s)", "", 3, g_add);
	row("build+write+fsync+rename (s)", "", 3, g_write);
	row("compile total (s)", "<= 1.5 s at 1M", 3, g_compile);
	row("compile CPU time, user+sys (s)", "(less sensitive to load)", 3, g_cpu);
	row("(not counted: generating text, s)", "", 3, g_gen);
	row("peak RSS after compile (MB)", "", 0, g_rss_c);
	row("peak RSS whole run (MB)", "", 0, g_rss_t);
	row("file size (MB)", "", 1, g_file);
	row("index bytes/name (keys + buckets)", "<= 12", 2, g_idx_pn);
	row("whole file bytes/name", "", 2, g_file_pn);

	printf(
	    "lookup: %u queries, 90%% unlisted (popular names + random subdomains), 10%% listed\n",
	    N_QUERIES);
	row("1 thread median (ns/lookup)", "<= 250 (1M), <= 400 (10M)", 0, g_lk1_med);
	row("1 thread p99 of batch means (ns)", "", 0, g_lk1_p99);
	row("1 thread mean (ns)", "", 0, g_lk1_mean);
	row("1 thread throughput (M lookups/s)", "", 2, g_lk1_mops);
	row("2 threads median (ns/lookup)", "", 0, g_lk2_med);
	row("2 threads p99 of batch means (ns)", "", 0, g_lk2_p99);
	row("2 threads throughput (M lookups/s)", "", 2, g_lk2_mops);
	row("verdict BLOCK in timed lookups (%)", "~10", 1, g_blocked);

	printf("reload: fz_blwriter_write, reader polls every 1 ms (watcher fallback poll %d ms)\n",
	       RELOAD_POLL_MS);
	row("publish -> reader sees it, median (ms)", "<= 1000 ms", 1, g_rl_med);
	row("publish -> reader sees it, max (ms)", "<= 1000 ms", 1, g_rl_max);
	row("write start -> reader sees it, median", "", 1, g_rl_tot);
	row("repetitions seen", "", 0, g_rl_n);
	row("  already seen when write returned", "", 0, g_rl_ret);
	row("  not seen within 5 s", "", 0, g_rl_fail);

	printf("peer: the same block names in a plain open-addressing hash set of strings\n");
	row("peer 1 thread median (ns/lookup)", "", 0, g_peer_med);
	row("peer 1 thread p99 of batch means (ns)", "", 0, g_peer_p99);
	row("peer bytes/name (measured: table+strings)", "", 1, g_peer_b);
	row("std::unordered_set<std::string> B/name", "(estimated, libstdc++)", 1, g_naive_b);
	row("average name length (bytes)", "", 1, g_avglen);

	printf(
	    "\nNotes:\n"
	    "  * Lookups are timed in batches of %d with clock_gettime(CLOCK_MONOTONIC) around\n"
	    "    fz_bl_read_begin + %d x fz_blmap_lookup + fz_bl_read_end; the distribution is\n"
	    "    of batch means (ns per lookup), so p99 here understates a single lookup's p99.\n"
	    "    A clock_gettime pair costs about %.0f ns, i.e. %.1f ns per lookup in a batch.\n",
	    BATCH, BATCH, n_results ? results[0].clock_ns : 0,
	    n_results ? results[0].clock_ns / BATCH : 0);
	printf(
	    "  * Queries are drawn at random from ~%u names, so most probes miss the CPU caches;\n"
	    "    each thread makes one untimed warm-up pass, then two timed passes.\n",
	    N_QUERIES);
	printf(
	    "  * Unlisted queries are kept only when the blocklist answers NONE, listed ones only\n"
	    "    when it answers BLOCK (real allow rules unblock some listed names).\n");
	printf("  * The peer holds the strings in its own heap (not shareable between processes),\n"
	       "    does no case folding and has no allow rules, URL or IP rules: it only answers\n"
	       "    \"is the name or a parent in the set\".\n");
	if (n_results && results[0].tld_note[0] && results[0].tld_mask)
		printf(
		    "  * TLDs a real feed blocks as a whole, left out of the generator's mix:%s\n",
		    results[0].tld_note);
	for (size_t i = 0; i < n_results; i++) {
		if (!results[i].ok)
			printf("  * %s: FAILED: %s\n", size_label(results[i].target),
			       results[i].err[0] ? results[i].err : "(child died)");
		if (results[i].reload_note[0])
			printf("  * %s: %s\n", size_label(results[i].target),
			       results[i].reload_note);
	}

	printf("\nTargets\n");
	for (size_t i = 0; i < n_results; i++) {
		const struct result *r = &results[i];
		char what[96];
		bool have = r->ok;
		const char *l = size_label(r->target);
		if (r->target == 1000000) {
			snprintf(what, sizeof(what), "compile %s names, wall (s)", l);
			verdict_line(what, g_compile(r), 1.5, "s", r->t_write > 0);
			snprintf(what, sizeof(what), "compile %s names, CPU user+sys (s)", l);
			verdict_line(what, r->cpu_compile, 1.5, "s", r->t_write > 0);
		}
		snprintf(what, sizeof(what), "index bytes/name, %s", l);
		verdict_line(what, g_idx_pn(r), 12, "B", r->n_names > 0);
		if (r->target == 1000000 || r->target == 10000000) {
			snprintf(what, sizeof(what), "median lookup %s, 1 thread (ns)", l);
			verdict_line(what, r->lk[0].med, r->target == 1000000 ? 250 : 400, "ns",
				     have);
			snprintf(what, sizeof(what), "median lookup %s, 2 threads (ns)", l);
			verdict_line(what, r->lk[1].med, r->target == 1000000 ? 250 : 400, "ns",
				     have);
		}
		snprintf(what, sizeof(what), "reader sees new generation, %s, max (ms)", l);
		verdict_line(what, r->reload_max_ms, 1000, "ms",
			     r->reload_n > 0 && r->reload_fail == 0);
	}
}

/* --- main -------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	bool quick = false;
	const char *dir = getenv("FZ_DATA_DIR");
	const char *tmpdir = "bench-tmp";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			tmpdir = argv[++i];
		else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc && n_skip < 16)
			skip_files[n_skip++] = argv[++i];
		else {
			fprintf(stderr,
				"usage: %s [--quick] [--dir DIR] [--data DIR] [--skip FILE]...\n",
				argv[0]);
			return 2;
		}
	}
	if (!dir || !*dir)
		dir = FZ_DEFAULT_DATA_DIR;
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		printf("data dir not found: %s (set FZ_DATA_DIR): nothing to benchmark\n", dir);
		return 0;
	}
	size_t nfeeds = 0;
	char **feeds = list_feeds(dir, &nfeeds);
	if (!feeds || nfeeds == 0) {
		printf("no feed files in %s: nothing to benchmark\n", dir);
		return 0;
	}
	if (mkdir(tmpdir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	static const uint64_t sizes[] = {0, 1000000, 10000000};
	size_t nsizes = quick ? 2 : 3;
	uint64_t n_real = 0;
	double t_start = now_s();
	loadavg(load_start, sizeof(load_start));
	for (size_t i = 0; i < nsizes; i++) {
		int fds[2];
		if (pipe(fds) < 0)
			return 1;
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			close(fds[0]);
			struct result res = {0};
			run_size(dir, tmpdir, feeds, nfeeds, sizes[i], n_real, &res);
			const char *p = (const char *)&res;
			size_t left = sizeof(res);
			while (left) {
				ssize_t w = write(fds[1], p, left);
				if (w <= 0)
					_exit(1);
				p += w;
				left -= (size_t)w;
			}
			_exit(0);
		}
		close(fds[1]);
		struct result *res = &results[n_results++];
		memset(res, 0, sizeof(*res));
		res->target = sizes[i];
		char *p = (char *)res;
		size_t got = 0;
		while (got < sizeof(*res)) {
			ssize_t r = read(fds[0], p + got, sizeof(*res) - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		close(fds[0]);
		int status;
		struct rusage ru;
		while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
			;
		if (got < sizeof(*res)) {
			memset(res, 0, sizeof(*res));
			res->target = sizes[i];
			snprintf(res->err, sizeof(res->err), "child died (status 0x%x)", status);
		} else {
			res->rss_total_kb = ru.ru_maxrss;
		}
		if (sizes[i] == 0) {
			n_real = res->n_names;
			tld_blocked_mask = res->tld_mask;
		}
	}
	loadavg(load_end, sizeof(load_end));
	print_table(dir, nfeeds);
	printf("\ntotal bench time %.0f s\n", now_s() - t_start);
	for (size_t i = 0; i < nfeeds; i++)
		free(feeds[i]);
	free(feeds);
	rmdir(tmpdir);
	return 0;
}
