/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The data suite: every real feed snapshot in the data dir through the
 * library, against figures we checked by eye and against our own reading
 * of the raw texts.
 *
 *  1. Each feed alone: parse (format detected), compare the counts with
 *     tests/data/expected-counts.txt (within a few %), compile it alone,
 *     open the file and check that every rule comes back with the verdict
 *     the feed's own rules give it.
 *  2. All feeds merged into one file: opens, lists every feed.
 *  3. Popular names (top10k-opendns-2014.txt and the first 10,000 of
 *     top100k-tranco-as-urls.csv) against the merged file: every blocked
 *     one must be listed by some feed, which this program checks with its
 *     own simple matcher over the raw feed texts (not the library's
 *     parsers): the name itself is an entry, or a parent is an entry whose
 *     syntax covers subdomains. The rule and feeds the library reports must
 *     agree with that. Blocked popular names are printed with their feeds.
 *
 * Data dir: $FZ_DATA_DIR (meson passes the data_dir option), else the
 * build default. Absent: prints "data dir not found: skipping", exits 77.
 * $FZ_DATA_SKIP (comma-separated file names) leaves feeds out, loudly: only
 * to see past a known bug in one feed while it is being fixed.
 *
 * Regenerate the expected counts (after a deliberate parser change; read
 * the diff before committing it):
 *   <build>/tests/data/test_data --print-counts > tests/data/expected-counts.txt
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <idn2.h>

#include "fz_blocklist.h"
#include "fz_blwriter.h"
#include "fz_name.h"
#include "fz_parse.h"
#include "fz_test.h"

#ifndef FZ_DEFAULT_DATA_DIR
#define FZ_DEFAULT_DATA_DIR "../shared/data"
#endif
#ifndef FZ_EXPECTED_COUNTS
#define FZ_EXPECTED_COUNTS "expected-counts.txt"
#endif

#define N_TOP_EACH 10000
#define SHOW_MAX   20 /* mismatches shown per check */

static const uint8_t test_seed[16] = "fangzha-data-t01";

/* --- small helpers ----------------------------------------------------------- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* A bare host name as this matcher reads one: host characters and at least one dot. */
static bool looks_like_host(const char *s, size_t n)
{
	if (n < 3 || !memchr(s, '.', n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_host_char(s[i]))
			return false;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The feed files: every name with one of these prefixes. */
static const char *const feed_prefixes[] = {"hosts-",	"domains-", "wildcard-",
					    "adblock-", "rpz-",	    "urls-"};

static bool is_feed_file(const char *name)
{
	for (size_t i = 0; i < sizeof(feed_prefixes) / sizeof(feed_prefixes[0]); i++)
		if (strncmp(name, feed_prefixes[i], strlen(feed_prefixes[i])) == 0)
			return true;
	return false;
}

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
	return FZ_CAT_CUSTOM;
}

struct feed {
	char *file;
	uint8_t *text;
	size_t len;
	int id; /* in the merged file */
};

static struct feed *feeds;
static size_t n_feeds;
static const char *data_dir;
static char tmp_dir[PATH_MAX];

/* FZ_DATA_SKIP: comma-separated feed files to leave out (to get past a known bug). */
static bool skip_requested(const char *file)
{
	const char *s = getenv("FZ_DATA_SKIP");
	size_t n = strlen(file);
	while (s && *s) {
		const char *e = strchr(s, ',');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == n && memcmp(s, file, n) == 0)
			return true;
		s = e ? e + 1 : NULL;
	}
	return false;
}

static void load_feeds(void)
{
	DIR *d = opendir(data_dir);
	if (!d)
		return;
	char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!is_feed_file(de->d_name))
			continue;
		if (skip_requested(de->d_name)) {
			printf("LEFT OUT (FZ_DATA_SKIP): %s\n", de->d_name);
			continue;
		}
		names = xrealloc(names, (n_feeds + 1) * sizeof(*names));
		names[n_feeds++] = strdup(de->d_name);
	}
	closedir(d);
	if (n_feeds)
		qsort(names, n_feeds, sizeof(*names), cmp_str);
	feeds = xmalloc((n_feeds ? n_feeds : 1) * sizeof(*feeds));
	for (size_t i = 0; i < n_feeds; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", data_dir, names[i]);
		feeds[i].file = names[i];
		feeds[i].text = fz_test_read_file(path, &feeds[i].len);
		feeds[i].id = -1;
	}
	free(names);
}

/* --- expected counts ------------------------------------------------------------ */

struct counts {
	char file[128];
	char format[16];
	long lines, accepted, duplicates, rejected, skipped;
};

static struct counts *expected;
static size_t n_expected;

static void load_expected(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open expected counts %s: %s\n", path, strerror(errno));
		return;
	}
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		struct counts c;
		if (sscanf(line, "%127s %15s %ld %ld %ld %ld %ld", c.file, c.format, &c.lines,
			   &c.accepted, &c.duplicates, &c.rejected, &c.skipped) != 7) {
			fprintf(stderr, "%s: bad line: %s", path, line);
			fz_test_failures++;
			continue;
		}
		expected = xrealloc(expected, (n_expected + 1) * sizeof(*expected));
		expected[n_expected++] = c;
	}
	fclose(f);
}

static const struct counts *find_expected(const char *file)
{
	for (size_t i = 0; i < n_expected; i++)
		if (strcmp(expected[i].file, file) == 0)
			return &expected[i];
	return NULL;
}

/* "Within a few %": 3% of the expected figure, and never less than 3. */
static bool near(long got, long want)
{
	long d = got > want ? got - want : want - got;
	long tol = want * 3 / 100;
	return d <= (tol < 3 ? 3 : tol);
}

static void check_count(const char *file, const char *what, long got, long want)
{
	fz_test_checks++;
	if (!near(got, want)) {
		fz_test_failures++;
		fprintf(stderr, "%s: %s %ld, expected %ld (+-3%%)\n", file, what, got, want);
	}
}

/* --- a sorted table of names with flag bits ---------------------------------------- */

struct nent {
	uint32_t off; /* into the table's arena, NUL-terminated */
	uint32_t feed;
	uint32_t line;
	uint8_t bits;
	uint8_t flags;
};

struct ntab {
	char *arena;
	size_t len, cap;
	struct nent *v;
	size_t n, cap_v;
};

static const char *cmp_arena;

static int cmp_nent(const void *a, const void *b)
{
	const struct nent *x = a, *y = b;
	int c = strcmp(cmp_arena + x->off, cmp_arena + y->off);
	if (c)
		return c;
	return x->feed < y->feed ? -1 : x->feed > y->feed;
}

static void ntab_add(struct ntab *t, const char *s, size_t n, uint32_t feed, uint32_t line,
		     uint8_t bits, uint8_t flags)
{
	if (n == 0 || n > FZ_NAME_MAX)
		return;
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->cap + n + 1) * 2;
		t->arena = xrealloc(t->arena, t->cap);
	}
	if (t->n == t->cap_v) {
		t->cap_v = t->cap_v ? t->cap_v * 2 : 4096;
		t->v = xrealloc(t->v, t->cap_v * sizeof(*t->v));
	}
	struct nent *e = &t->v[t->n++];
	e->off = (uint32_t)t->len;
	e->feed = feed;
	e->line = line;
	e->bits = bits;
	e->flags = flags;
	for (size_t i = 0; i < n; i++)
		t->arena[t->len + i] = lower(s[i]);
	/* One trailing dot is the same name. */
	if (n > 1 && s[n - 1] == '.')
		n--;
	t->arena[t->len + n] = 0;
	t->len += n + 1;
}

static void ntab_sort(struct ntab *t)
{
	cmp_arena = t->arena;
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), cmp_nent);
}

/* The first entry for `name` and how many there are. */
static struct nent *ntab_find(const struct ntab *t, const char *name, size_t *count)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(t->arena + t->v[mid].off, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t k = lo;
	while (k < t->n && strcmp(t->arena + t->v[k].off, name) == 0)
		k++;
	*count = k - lo;
	return k > lo ? &t->v[lo] : NULL;
}

static void ntab_free(struct ntab *t)
{
	free(t->arena);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* --- 1. each feed alone ---------------------------------------------------------------- */

/* Rule bits for the per-feed verdict check. */
enum { R_EXACT_BLOCK = 1, R_EXACT_ALLOW = 2, R_SUB_BLOCK = 4, R_SUB_ALLOW = 8 };

/*
 * The verdict the feed's own name rules give `name`: the most specific
 * name with a rule that applies decides; on one name allow beats block
 * (as fz_blwriter.c documents). Exact rules apply to the name itself only.
 */
static enum fz_verdict expected_verdict(const struct ntab *t, const char *name)
{
	const char *s = name;
	for (;;) {
		size_t cnt;
		struct nent *e = ntab_find(t, s, &cnt);
		unsigned bits = 0;
		for (size_t i = 0; i < cnt; i++)
			bits |= e[i].bits;
		if (s != name)
			bits &= R_SUB_BLOCK | R_SUB_ALLOW;
		if (bits & (R_EXACT_ALLOW | R_SUB_ALLOW))
			return FZ_VERDICT_ALLOW;
		if (bits)
			return FZ_VERDICT_BLOCK;
		s = strchr(s, '.');
		if (!s)
			return FZ_VERDICT_NONE;
		s++;
	}
}

static const char *verdict_name(enum fz_verdict v)
{
	return v == FZ_VERDICT_BLOCK ? "BLOCK" : v == FZ_VERDICT_ALLOW ? "ALLOW" : "NONE";
}

static int write_one(const struct fz_parse_result *pr, const char *file, const char *out,
		     struct fz_blwriter_stats *st)
{
	struct fz_blwriter *w;
	char err[256] = "";
	int rc = fz_blwriter_new(&w);
	if (rc < 0)
		return rc;
	int id = fz_blwriter_add_feed(w, file, guess_category(file), file, FZ_FEED_NORMAL);
	rc = id < 0 ? id : fz_blwriter_add_parsed(w, id, pr);
	if (rc == 0) {
		struct fz_blwriter_opts o = {.seed = test_seed, .created = 1};
		rc = fz_blwriter_write(w, out, &o, st, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "%s: fz_blwriter_write: %s (%s)\n", file, strerror(-rc),
				err);
	}
	fz_blwriter_free(w);
	return rc;
}

static void check_alone(size_t fi, const struct fz_parse_result *pr)
{
	const char *file = feeds[fi].file;
	char out[PATH_MAX + 32], err[256] = "";
	snprintf(out, sizeof(out), "%s/alone.fzb", tmp_dir);
	unlink(out);
	struct fz_blwriter_stats st;
	int rc = write_one(pr, file, out, &st);
	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	struct fz_blocklist *bl;
	rc = fz_blocklist_open(out, &bl, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "%s: fz_blocklist_open: %s (%s)\n", file, strerror(-rc), err);
	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	const struct fz_blmap *m = fz_blocklist_current(bl);
	struct fz_bl_info info;
	fz_blmap_info(m, &info);
	CHECK_INT(info.n_feeds, 1);
	uint64_t rules = info.n_names + info.n_urls + info.n_ip4 + info.n_ip6;
	CHECK((rules > 0) == (pr->n_entries > 0));
	CHECK(info.n_names <= pr->n_entries);
	CHECK(info.file_size > 0);

	/* Every rule comes back with the verdict the feed's own rules give it. */
	struct ntab t = {0};
	size_t n_allow = 0;
	for (size_t k = 0; k < pr->n_entries; k++) {
		const struct fz_entry *e = &pr->entries[k];
		if (e->kind != FZ_RULE_NAME && e->kind != FZ_RULE_URL)
			continue;
		if (e->action == FZ_ACTION_ALLOW)
			n_allow++;
		if (e->kind != FZ_RULE_NAME)
			continue;
		bool allow = e->action == FZ_ACTION_ALLOW;
		uint8_t bits = e->match == FZ_MATCH_SUBTREE
				   ? (allow ? R_SUB_ALLOW : R_SUB_BLOCK)
				   : (allow ? R_EXACT_ALLOW : R_EXACT_BLOCK);
		ntab_add(&t, fz_parse_str(pr, e->name_off), e->name_len, 0, e->line, bits, 0);
	}
	ntab_sort(&t);
	size_t bad = 0, checked = 0;
	char name[FZ_NAME_BUF];
	for (size_t k = 0; k < pr->n_entries; k++) {
		const struct fz_entry *e = &pr->entries[k];
		enum fz_verdict want, got;
		const char *nm = fz_parse_str(pr, e->name_off);
		if (e->kind == FZ_RULE_NAME) {
			if (e->name_len >= sizeof(name))
				continue;
			for (size_t i = 0; i < e->name_len; i++)
				name[i] = lower(nm[i]);
			name[e->name_len] = 0;
			want = expected_verdict(&t, name);
			got = fz_blmap_lookup(m, name, e->name_len, NULL);
		} else if (e->kind == FZ_RULE_URL) {
			if (n_allow)
				continue; /* URL vs name allow precedence is not ours to guess */
			want = e->action == FZ_ACTION_ALLOW ? FZ_VERDICT_ALLOW : FZ_VERDICT_BLOCK;
			got = fz_blmap_lookup_url(m, nm, e->name_len, fz_parse_str(pr, e->path_off),
						  e->path_len, NULL);
		} else {
			want = e->action == FZ_ACTION_ALLOW ? FZ_VERDICT_ALLOW : FZ_VERDICT_BLOCK;
			got = fz_blmap_lookup_ip(m, e->family, e->addr, NULL);
		}
		checked++;
		if (got != want) {
			if (bad++ < SHOW_MAX)
				fprintf(stderr,
					"%s:%u: %s rule %.*s%.*s: lookup says %s, expected %s\n",
					file, e->line,
					e->kind == FZ_RULE_NAME	 ? "name"
					: e->kind == FZ_RULE_URL ? "URL"
								 : "IP",
					e->kind == FZ_RULE_IP ? 0 : (int)e->name_len, nm,
					e->kind == FZ_RULE_URL ? (int)e->path_len : 0,
					e->kind == FZ_RULE_URL ? fz_parse_str(pr, e->path_off) : "",
					verdict_name(got), verdict_name(want));
		}
	}
	fz_test_checks++;
	if (bad) {
		fz_test_failures++;
		fprintf(stderr, "%s: %zu of %zu rules come back with the wrong verdict\n", file,
			bad, checked);
	}
	printf("  %-46s %-8s %7zu rules, %7" PRIu64 " names, %6" PRIu64 " URLs, %5" PRIu64
	       " IPs, %9" PRIu64 " bytes, %zu wrong\n",
	       file, fz_format_name(pr->format), pr->n_entries, info.n_names, info.n_urls,
	       info.n_ip4 + info.n_ip6, info.file_size, bad);
	ntab_free(&t);
	fz_blocklist_close(bl);
	unlink(out);
}

static void part_alone(bool print_counts)
{
	if (print_counts) {
		printf(
		    "# Expected parse counts of the real feed snapshots (the data dir, "
		    "FZ_DATA_DIR).\n"
		    "# Checked by tests/data/test_data.c: format and lines exactly, the rest\n"
		    "# within 3%% (at least 3). Regenerate only after a deliberate parser change,\n"
		    "# and read the diff before committing:\n"
		    "#   <build>/tests/data/test_data --print-counts > "
		    "tests/data/expected-counts.txt\n"
		    "# file format lines accepted duplicates rejected skipped\n");
	} else {
		printf("each feed alone:\n");
	}
	for (size_t i = 0; i < n_feeds; i++) {
		struct fz_parse_opts o = {.format = FZ_FORMAT_AUTO};
		struct fz_parse_result pr;
		int rc = fz_parse(feeds[i].text, feeds[i].len, &o, &pr);
		CHECK_INT(rc, 0);
		if (rc < 0) {
			fprintf(stderr, "%s: fz_parse: %s\n", feeds[i].file, strerror(-rc));
			continue;
		}
		if (print_counts) {
			printf("%s %s %zu %zu %zu %zu %zu\n", feeds[i].file,
			       fz_format_name(pr.format), pr.lines, pr.accepted, pr.duplicates,
			       pr.rejected, pr.skipped);
			fz_parse_result_free(&pr);
			continue;
		}
		CHECK_INT(pr.accepted, pr.n_entries);
		const struct counts *c = find_expected(feeds[i].file);
		fz_test_checks++;
		if (!c) {
			fz_test_failures++;
			fprintf(stderr, "%s: no expected counts: regenerate expected-counts.txt\n",
				feeds[i].file);
		} else {
			CHECK_STR(fz_format_name(pr.format), c->format);
			CHECK_INT(pr.lines, c->lines);
			check_count(feeds[i].file, "accepted", (long)pr.accepted, c->accepted);
			check_count(feeds[i].file, "duplicates", (long)pr.duplicates,
				    c->duplicates);
			check_count(feeds[i].file, "rejected", (long)pr.rejected, c->rejected);
			check_count(feeds[i].file, "skipped", (long)pr.skipped, c->skipped);
		}
		check_alone(i, &pr);
		fz_parse_result_free(&pr);
	}
	if (!print_counts)
		for (size_t i = 0; i < n_expected; i++) {
			bool found = false;
			for (size_t k = 0; k < n_feeds; k++)
				found |= strcmp(feeds[k].file, expected[i].file) == 0;
			fz_test_checks++;
			if (!found && !skip_requested(expected[i].file)) {
				fz_test_failures++;
				fprintf(stderr,
					"%s: in expected-counts.txt but not in the data dir\n",
					expected[i].file);
			}
		}
}

/* --- 2. all feeds merged ------------------------------------------------------------------ */

static struct fz_blocklist *merged_bl;

static void part_merged(void)
{
	char out[PATH_MAX + 32], err[256] = "";
	snprintf(out, sizeof(out), "%s/merged.fzb", tmp_dir);
	unlink(out);
	struct fz_blwriter *w;
	int rc = fz_blwriter_new(&w);
	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	size_t entries = 0;
	for (size_t i = 0; i < n_feeds; i++) {
		struct fz_parse_opts o = {.format = FZ_FORMAT_AUTO};
		struct fz_parse_result pr;
		rc = fz_parse(feeds[i].text, feeds[i].len, &o, &pr);
		if (rc < 0)
			continue;
		feeds[i].id = fz_blwriter_add_feed(w, feeds[i].file, guess_category(feeds[i].file),
						   feeds[i].file, FZ_FEED_NORMAL);
		CHECK(feeds[i].id >= 0);
		if (feeds[i].id >= 0)
			CHECK_INT(fz_blwriter_add_parsed(w, feeds[i].id, &pr), 0);
		entries += pr.n_entries;
		fz_parse_result_free(&pr);
	}
	struct fz_blwriter_opts o = {.seed = test_seed, .created = 1};
	struct fz_blwriter_stats st;
	rc = fz_blwriter_write(w, out, &o, &st, err, sizeof(err));
	fz_blwriter_free(w);
	if (rc < 0)
		fprintf(stderr, "merged: fz_blwriter_write: %s (%s)\n", strerror(-rc), err);
	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	rc = fz_blocklist_open(out, &merged_bl, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "merged: fz_blocklist_open: %s (%s)\n", strerror(-rc), err);
	CHECK_INT(rc, 0);
	unlink(out);
	if (rc < 0)
		return;
	const struct fz_blmap *m = fz_blocklist_current(merged_bl);
	struct fz_bl_info info;
	fz_blmap_info(m, &info);
	CHECK_INT(info.n_feeds, n_feeds);
	CHECK(info.n_names > 0);
	CHECK(info.n_names <= entries);
	CHECK_INT(st.names, info.n_names);
	for (size_t i = 0; i < n_feeds; i++) {
		struct fz_bl_feed_info fi;
		if (feeds[i].id < 0)
			continue;
		rc = fz_blmap_feed(m, (unsigned)feeds[i].id, &fi);
		CHECK_INT(rc, 0);
		if (rc == 0)
			CHECK_STR(fi.name, feeds[i].file);
	}
	printf("all %zu feeds merged: %zu rules in, %" PRIu64 " names (%" PRIu64 " allow), %" PRIu64
	       " URLs, %" PRIu64 " IPs; merged %" PRIu64 ", pruned %" PRIu64 ", shadowed %" PRIu64
	       "; %" PRIu64 " bytes, index %" PRIu64 " bytes\n",
	       n_feeds, entries, info.n_names, info.n_allow_names, info.n_urls,
	       info.n_ip4 + info.n_ip6, st.merged, st.pruned, st.shadowed, info.file_size,
	       info.index_bytes);
}

/* --- 3. popular names, checked against our own reading of the raw feeds ------------------- */

/*
 * What a line of a raw feed says about a name, by this matcher's own
 * reading of each syntax (chosen by the file name's prefix, not by the
 * library's format detection).
 */
enum {
	EV_EXACT = 1,	 /* the name exactly: hosts entry, RPZ "x CNAME .", "|x^", URL to x/ */
	EV_SUBTREE = 2,	 /* the name and below: "||x^", "*.x", RPZ "*.x CNAME ." */
	EV_PLAIN = 4,	 /* a bare name in a domain list (the list decides exact or subtree) */
	EV_ALLOW = 8,	 /* an allow rule: "@@...", RPZ passthru */
	EV_URLROOT = 16, /* a URL list names the host's root ("https://x", "x/"): a URL rule */
};
enum { EVF_OPTIONS = 1 }; /* an adblock rule with $options */

static struct ntab evidence;

static void ev_add(const char *s, size_t n, size_t feed, uint32_t line, uint8_t bits, uint8_t flags)
{
	if (n && s[n - 1] == '.')
		n--;
	char *ace = NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80) {
			/* A U-label: compare as the A-label (libidn2, not our normalizer). */
			char u[FZ_NAME_INPUT_MAX + 1];
			if (n > FZ_NAME_INPUT_MAX)
				return;
			memcpy(u, s, n);
			u[n] = 0;
			if (idn2_to_ascii_8z(u, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) !=
			    IDN2_OK)
				return;
			s = ace;
			n = strlen(ace);
			break;
		}
	if (looks_like_host(s, n) || (bits & EV_SUBTREE && n > 0))
		ntab_add(&evidence, s, n, (uint32_t)feed, line, bits, flags);
	idn2_free(ace);
}

/* A URL: "scheme://[user@]host[:port][/path]" or "host/path". Root URLs list the host. */
static void ev_url(const char *s, size_t n, size_t feed, uint32_t line)
{
	const char *p = s, *end = s + n;
	const char *sch = NULL;
	for (const char *q = s; q + 3 <= end; q++)
		if (memcmp(q, "://", 3) == 0) {
			sch = q;
			break;
		}
	if (sch)
		p = sch + 3;
	const char *h = p;
	while (p < end && *p != '/' && *p != '?' && *p != '#')
		p++;
	const char *hend = p;
	const char *at = memchr(h, '@', (size_t)(hend - h));
	if (at)
		h = at + 1;
	const char *colon = memchr(h, ':', (size_t)(hend - h));
	if (colon)
		hend = colon;
	/* The rest is the path: only "", "/" (and a fragment) make it the whole host. */
	bool root = p == end || ((*p == '/' && (p + 1 == end || p[1] == '#')) || *p == '#');
	if (root)
		ev_add(h, (size_t)(hend - h), feed, line, EV_URLROOT, 0);
}

static void ev_line_hosts(const char *l, size_t n, size_t feed, uint32_t line)
{
	size_t i = 0, tok = 0;
	while (i < n) {
		while (i < n && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i >= n || l[i] == '#')
			break;
		size_t st = i;
		while (i < n && l[i] != ' ' && l[i] != '\t' && l[i] != '#')
			i++;
		if (tok++ == 0) {
			/* The address: digits, dots, hex and colons (fe80::1%lo0 too). */
			for (size_t k = st; k < i; k++)
				if (!(l[k] == '.' || l[k] == ':' || l[k] == '%' ||
				      (l[k] >= '0' && l[k] <= '9') ||
				      (l[k] >= 'a' && l[k] <= 'f') ||
				      (l[k] >= 'A' && l[k] <= 'F') || l[k] == 'l' || l[k] == 'o'))
					return;
			continue;
		}
		ev_add(l + st, i - st, feed, line, EV_EXACT, 0);
	}
}

static void ev_line_domains(const char *l, size_t n, size_t feed, uint32_t line)
{
	size_t i = 0;
	while (i < n && l[i] != ' ' && l[i] != '\t' && l[i] != '#')
		i++;
	if (i >= 2 && l[0] == '*' && l[1] == '.')
		ev_add(l + 2, i - 2, feed, line, EV_SUBTREE, 0);
	else
		ev_add(l, i, feed, line, EV_PLAIN, 0);
}

static void ev_line_adblock(const char *l, size_t n, size_t feed, uint32_t line)
{
	if (l[0] == '!' || l[0] == '[' || l[0] == '/' || l[0] == '#')
		return;
	for (size_t i = 0; i + 1 < n; i++)
		if (l[i] == '#' && (l[i + 1] == '#' || l[i + 1] == '@' || l[i + 1] == '?' ||
				    l[i + 1] == '$' || l[i + 1] == '%'))
			return; /* cosmetic / scriptlet */
	bool allow = false;
	if (n >= 2 && l[0] == '@' && l[1] == '@')
		allow = true, l += 2, n -= 2;
	uint8_t bits;
	if (n >= 2 && l[0] == '|' && l[1] == '|')
		bits = EV_SUBTREE, l += 2, n -= 2;
	else if (n >= 1 && l[0] == '|')
		bits = EV_EXACT, l += 1, n -= 1;
	else
		bits = EV_PLAIN; /* a bare host: uBO reads it as a hosts entry */
	size_t h = 0;
	while (h < n && l[h] != '^' && l[h] != '$' && l[h] != '/' && l[h] != '|')
		h++;
	if (memchr(l, '*', h))
		return;
	/* After the host only "^", "^|", "|" or nothing, then maybe $options. */
	size_t i = h;
	if (i < n && l[i] == '/') {
		if (i + 1 < n && l[i + 1] != '^' && l[i + 1] != '$')
			return; /* a URL rule with a path */
		i++;
	}
	if (i < n && l[i] == '^')
		i++;
	if (i < n && l[i] == '|')
		i++;
	uint8_t flags = 0;
	if (i < n && l[i] == '$')
		flags = EVF_OPTIONS;
	else if (i != n)
		return;
	if (allow)
		bits = EV_ALLOW;
	ev_add(l, h, feed, line, bits, flags);
}

static void ev_line_rpz(const char *l, size_t n, size_t feed, uint32_t line)
{
	if (l[0] == ';' || l[0] == '$' || l[0] == '@' || l[0] == ' ' || l[0] == '\t')
		return;
	size_t i = 0;
	while (i < n && l[i] != ' ' && l[i] != '\t')
		i++;
	size_t owner = i;
	/* The rest, without spaces, lowercased: "cname." / "incname." / "cnamerpz-passthru." */
	char rest[64];
	size_t r = 0;
	for (; i < n && r < sizeof(rest) - 1; i++)
		if (l[i] != ' ' && l[i] != '\t')
			rest[r++] = lower(l[i]);
	rest[r] = 0;
	const char *c = strstr(rest, "cname");
	if (!c)
		return;
	c += 5;
	uint8_t bits;
	if (strcmp(c, ".") == 0 || strcmp(c, "*.") == 0)
		bits = EV_EXACT;
	else if (strncmp(c, "rpz-passthru", 12) == 0)
		bits = EV_ALLOW;
	else
		return;
	if (owner >= 2 && l[0] == '*' && l[1] == '.')
		ev_add(l + 2, owner - 2, feed, line, bits == EV_ALLOW ? EV_ALLOW : EV_SUBTREE, 0);
	else
		ev_add(l, owner, feed, line, bits, 0);
}

/* CSV and URL lists: URLs in any field; "domain,<name>" (TweetFeed); "host","" (Splunk). */
static void ev_line_urls(const char *l, size_t n, size_t feed, uint32_t line)
{
	if (l[0] == '#')
		return;
	const char *f[16];
	size_t fl[16], nf = 0;
	size_t i = 0;
	while (i <= n && nf < 16) {
		bool q = i < n && l[i] == '"';
		size_t st = q ? i + 1 : i, e = st;
		if (q) {
			while (e < n && l[e] != '"')
				e++;
			i = e + 1;
			while (i < n && l[i] != ',')
				i++;
		} else {
			while (e < n && l[e] != ',')
				e++;
			i = e;
		}
		f[nf] = l + st;
		fl[nf++] = e - st;
		i++;
	}
	for (size_t k = 0; k < nf; k++) {
		if (fl[k] == 0)
			continue;
		if (fl[k] > 3 && memmem(f[k], fl[k], "://", 3))
			ev_url(f[k], fl[k], feed, line);
		else if (k + 1 < nf && fl[k] == 6 && memcmp(f[k], "domain", 6) == 0)
			ev_add(f[k + 1], fl[k + 1], feed, line, EV_EXACT, 0);
	}
	if (nf == 1 && !memchr(l, ' ', n) && !memmem(l, n, "://", 3))
		ev_url(l, n, feed, line); /* "host" or "host/path" */
	if (nf >= 2 && fl[1] == 0 && looks_like_host(f[0], fl[0]))
		ev_add(f[0], fl[0], feed, line, EV_URLROOT, 0); /* Splunk "host","" */
}

static void build_evidence(void)
{
	for (size_t fi = 0; fi < n_feeds; fi++) {
		const char *file = feeds[fi].file;
		void (*fn)(const char *, size_t, size_t, uint32_t);
		if (strncmp(file, "hosts-", 6) == 0)
			fn = ev_line_hosts;
		else if (strncmp(file, "domains-", 8) == 0 || strncmp(file, "wildcard-", 9) == 0)
			fn = ev_line_domains;
		else if (strncmp(file, "adblock-", 8) == 0)
			fn = ev_line_adblock;
		else if (strncmp(file, "rpz-", 4) == 0)
			fn = ev_line_rpz;
		else
			fn = ev_line_urls;
		const char *p = (const char *)feeds[fi].text, *end = p + feeds[fi].len;
		uint32_t line = 0;
		while (p < end) {
			const char *e = memchr(p, '\n', (size_t)(end - p));
			if (!e)
				e = end;
			line++;
			const char *s = p;
			size_t n = (size_t)(e - p);
			p = e + 1;
			while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
			while (n && (*s == ' ' || *s == '\t') && fn != ev_line_rpz)
				s++, n--;
			if (n == 0 || n > 4096)
				continue;
			fn(s, n, fi, line);
		}
	}
	ntab_sort(&evidence);
}

static const char *ev_kind(uint8_t bits)
{
	switch (bits) {
	case EV_EXACT:
		return "exact";
	case EV_SUBTREE:
		return "subtree";
	case EV_PLAIN:
		return "listed";
	case EV_ALLOW:
		return "allow";
	case EV_URLROOT:
		return "root URL";
	}
	return "?";
}

/* Feed index by the merged file's feed id. */
static long feed_by_id(unsigned id)
{
	for (size_t i = 0; i < n_feeds; i++)
		if (feeds[i].id >= 0 && (unsigned)feeds[i].id == id)
			return (long)i;
	return -1;
}

/* Name-rule evidence kinds: what can make a name lookup block. */
#define EV_NAME_BLOCK (EV_EXACT | EV_SUBTREE | EV_PLAIN)
#define EV_COVERS_SUB (EV_SUBTREE | EV_PLAIN)

/*
 * Does feed `fi` list `rule` as a name rule that applies to `query` (the
 * rule itself or a name below it)? Below the rule only syntax that covers
 * subdomains counts.
 */
static bool feed_lists(size_t fi, const char *rule, bool below)
{
	size_t cnt;
	struct nent *e = ntab_find(&evidence, rule, &cnt);
	for (size_t i = 0; i < cnt; i++)
		if (e[i].feed == fi && (e[i].bits & (below ? EV_COVERS_SUB : EV_NAME_BLOCK)))
			return true;
	return false;
}

/* The parents of a name, one by one: s = next_parent(s). */
static const char *next_parent(const char *s)
{
	const char *d = strchr(s, '.');
	return d ? d + 1 : NULL;
}

/*
 * Independent of the library: some feed lists `name` itself as a name
 * rule, or a parent with syntax that covers subdomains (`kinds` for the
 * name itself). Prints the evidence when `show`.
 */
static bool listed_somewhere(const char *name, uint8_t kinds, bool show)
{
	bool found = false;
	for (const char *s = name; s; s = next_parent(s)) {
		size_t cnt;
		struct nent *e = ntab_find(&evidence, s, &cnt);
		for (size_t i = 0; i < cnt; i++) {
			if (!(e[i].bits & (s == name ? kinds : EV_COVERS_SUB)))
				continue;
			found = true;
			if (show)
				printf("        %s:%u lists %s (%s%s)\n", feeds[e[i].feed].file,
				       e[i].line, s, ev_kind(e[i].bits),
				       e[i].flags & EVF_OPTIONS ? ", with $options" : "");
		}
	}
	return found;
}

/* Plain block syntax at the name (or "||parent^"-style above it), and no allow rule anywhere. */
static bool must_block(const char *name)
{
	bool block = false;
	for (const char *s = name; s; s = next_parent(s)) {
		size_t cnt;
		struct nent *e = ntab_find(&evidence, s, &cnt);
		for (size_t i = 0; i < cnt; i++) {
			if (e[i].bits == EV_ALLOW)
				return false; /* allow rules decide: not this check's business */
			if (e[i].flags & EVF_OPTIONS || !strchr(s, '.'))
				continue;
			if (s == name ? (e[i].bits & EV_NAME_BLOCK) != 0 : e[i].bits == EV_SUBTREE)
				block = true;
		}
	}
	return block;
}

/* Some feed has an allow rule ("@@...", RPZ passthru) on the name or a parent. */
static bool allow_listed(const char *name)
{
	for (const char *s = name; s; s = next_parent(s)) {
		size_t cnt;
		struct nent *e = ntab_find(&evidence, s, &cnt);
		for (size_t i = 0; i < cnt; i++)
			if (e[i].bits == EV_ALLOW)
				return true;
	}
	return false;
}

/*
 * The rule and feeds the library reports for a blocked `query`: the rule is
 * the query or a parent (a parent only for a subtree rule), and every feed
 * reported lists that rule in a way that applies to the query.
 */
static bool check_attribution(const char *query, const struct fz_match_info *mi, bool show)
{
	char rule[FZ_NAME_BUF];
	size_t rl = mi->rule && mi->rule_len < sizeof(rule) ? mi->rule_len : 0;
	for (size_t k = 0; k < rl; k++)
		rule[k] = lower(mi->rule[k]);
	rule[rl] = 0;
	const char *r = rule; /* "*.x" as listed means the subtree rule on x */
	if (rl > 2 && r[0] == '*' && r[1] == '.')
		r += 2;
	size_t ql = strlen(query), rlen = strlen(r);
	bool below = rlen < ql && query[ql - rlen - 1] == '.' && strcmp(query + ql - rlen, r) == 0;
	bool ok = strcmp(query, r) == 0 || (below && mi->match == FZ_MATCH_SUBTREE);
	if (!ok && show)
		printf("    FAIL: rule %s (%s) does not cover %s\n", rule, fz_match_name(mi->match),
		       query);
	size_t nf = mi->n_feeds < FZ_BL_MAX_FEEDS_REPORTED ? mi->n_feeds : FZ_BL_MAX_FEEDS_REPORTED;
	if (nf == 0) {
		ok = false;
		if (show)
			printf("    FAIL: no feed reported for %s\n", query);
	}
	for (size_t k = 0; k < nf; k++) {
		long fi = feed_by_id(mi->feeds[k]);
		if (fi >= 0 && feed_lists((size_t)fi, r, below))
			continue;
		ok = false;
		if (show)
			printf("    FAIL: %s is reported for %s (rule %s) but does not list %s%s\n",
			       fi >= 0 ? feeds[fi].file : "(unknown feed id)", query, rule, r,
			       below ? " with syntax that covers subdomains" : "");
	}
	return ok;
}

static void print_feeds(const struct fz_match_info *mi)
{
	size_t nf = mi->n_feeds < FZ_BL_MAX_FEEDS_REPORTED ? mi->n_feeds : FZ_BL_MAX_FEEDS_REPORTED;
	for (size_t k = 0; k < nf; k++) {
		long fi = feed_by_id(mi->feeds[k]);
		printf(" %s", fi >= 0 ? feeds[fi].file : "(unknown feed id)");
	}
	if (mi->n_feeds > nf)
		printf(" (+%u more)", mi->n_feeds - (unsigned)nf);
	printf("\n");
}

static size_t load_top(const char *file, size_t max, char (*out)[FZ_NAME_BUF], size_t n)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", data_dir, file);
	size_t len;
	uint8_t *buf = fz_test_read_file(path, &len);
	const char *p = (const char *)buf, *end = p + len;
	size_t got = 0;
	while (p < end && got < max) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		const char *s = p;
		size_t l = (size_t)(e - p);
		p = e + 1;
		if (l >= 8 && memcmp(s, "https://", 8) == 0)
			s += 8, l -= 8;
		size_t k = 0;
		while (k < l && is_host_char(s[k]))
			k++;
		if (k == 0 || k >= FZ_NAME_BUF || !memchr(s, '.', k))
			continue; /* the CSV header, blank lines */
		for (size_t i = 0; i < k; i++)
			out[n + got][i] = lower(s[i]);
		out[n + got][k] = 0;
		got++;
	}
	free(buf);
	return got;
}

static void part_popular(void)
{
	if (!merged_bl)
		return;
	build_evidence();
	char(*top)[FZ_NAME_BUF] = xmalloc(2 * N_TOP_EACH * sizeof(*top));
	size_t n = load_top("top10k-opendns-2014.txt", N_TOP_EACH, top, 0);
	size_t n_opendns = n;
	n += load_top("top100k-tranco-as-urls.csv", N_TOP_EACH, top, n);
	CHECK_INT(n_opendns, N_TOP_EACH);
	CHECK_INT(n, 2 * N_TOP_EACH);
	printf("popular names: %zu (opendns top 10k + tranco first 10k), %zu raw feed entries "
	       "read by the test's own matcher\n",
	       n, evidence.n);

	const struct fz_blmap *m = fz_blocklist_current(merged_bl);
	size_t blocked = 0, allowed = 0, unjustified = 0, misattributed = 0, missed = 0;
	size_t sub_checked = 0, sub_bad = 0, url_blocked = 0, url_unjustified = 0;
	size_t allow_unjustified = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = top[i];
		size_t nl = strlen(name);
		struct fz_match_info mi;
		memset(&mi, 0, sizeof(mi));
		enum fz_verdict v = fz_blmap_lookup(m, name, nl, &mi);

		/* The inspector's view: the site's root URL. */
		struct fz_match_info mu;
		memset(&mu, 0, sizeof(mu));
		if (v != FZ_VERDICT_BLOCK &&
		    fz_blmap_lookup_url(m, name, nl, "/", 1, &mu) == FZ_VERDICT_BLOCK) {
			url_blocked++;
			printf("  URL-blocked %-36s rule %.*s, feeds:", name, (int)mu.rule_len,
			       mu.rule ? mu.rule : "");
			print_feeds(&mu);
			fz_test_checks++;
			if (!listed_somewhere(name, EV_URLROOT, true)) {
				fz_test_failures++;
				url_unjustified++;
				printf("    FAIL: no feed lists the root URL of %s\n", name);
			}
		}

		if (v == FZ_VERDICT_ALLOW) {
			/* An allow verdict needs an allow rule on the name or a parent. */
			allowed++;
			fz_test_checks++;
			if (!allow_listed(name)) {
				fz_test_failures++;
				allow_unjustified++;
				printf("  FAIL: %s is ALLOW (rule %.*s) but no feed has an allow "
				       "rule for "
				       "it or a parent\n",
				       name, (int)mi.rule_len, mi.rule ? mi.rule : "");
			}
		}
		if (v != FZ_VERDICT_BLOCK) {
			fz_test_checks++;
			if (v == FZ_VERDICT_NONE && must_block(name)) {
				fz_test_failures++;
				if (missed++ < SHOW_MAX) {
					printf("  NOT BLOCKED but listed: %s\n", name);
					listed_somewhere(name, EV_NAME_BLOCK, true);
				}
			}
			continue;
		}
		blocked++;
		printf("  blocked %-40s rule %.*s (%s), feeds:", name, (int)mi.rule_len,
		       mi.rule ? mi.rule : "", fz_match_name(mi.match));
		print_feeds(&mi);
		fz_test_checks += 2;
		if (!listed_somewhere(name, EV_NAME_BLOCK, true)) {
			fz_test_failures++;
			unjustified++;
			printf("    FAIL: no feed lists %s or a parent with subtree syntax\n",
			       name);
		}
		if (!check_attribution(name, &mi, true)) {
			fz_test_failures++;
			misattributed++;
		}
		/* Below a subtree rule: still blocked, and only by feeds whose syntax covers it. */
		if (mi.match == FZ_MATCH_SUBTREE && nl + 16 < FZ_NAME_BUF) {
			char sub[FZ_NAME_BUF];
			snprintf(sub, sizeof(sub), "zz-fz-probe.%s", name);
			struct fz_match_info ms;
			memset(&ms, 0, sizeof(ms));
			sub_checked++;
			fz_test_checks++;
			enum fz_verdict vs = fz_blmap_lookup(m, sub, strlen(sub), &ms);
			if (vs != FZ_VERDICT_BLOCK) {
				fz_test_failures++;
				sub_bad++;
				printf("    FAIL: %s is %s below a subtree rule\n", sub,
				       verdict_name(vs));
			} else if (!check_attribution(sub, &ms, true)) {
				fz_test_failures++;
				sub_bad++;
			}
		}
	}
	if (missed > SHOW_MAX)
		printf("  (%zu more listed-but-not-blocked names not shown)\n", missed - SHOW_MAX);
	printf("popular names: %zu blocked as names (%zu not listed by any feed, %zu with wrong "
	       "rule/feeds), %zu allowed (%zu without an allow rule), %zu listed but not "
	       "blocked; %zu subdomain probes (%zu wrong); %zu more blocked as root URLs (%zu "
	       "not listed)\n",
	       blocked, unjustified, misattributed, allowed, allow_unjustified, missed, sub_checked,
	       sub_bad, url_blocked, url_unjustified);
	free(top);
}

/* --- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	bool print_counts = argc > 1 && strcmp(argv[1], "--print-counts") == 0;
	data_dir = getenv("FZ_DATA_DIR");
	if (!data_dir || !*data_dir)
		data_dir = FZ_DEFAULT_DATA_DIR;
	struct stat st;
	if (stat(data_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		printf("data dir not found: skipping (%s)\n", data_dir);
		return 77;
	}
	load_feeds();
	if (n_feeds == 0) {
		printf("data dir not found: skipping (no feed files in %s)\n", data_dir);
		return 77;
	}
	if (print_counts) {
		part_alone(true);
		return 0;
	}
	const char *exp = getenv("FZ_EXPECTED_COUNTS");
	load_expected(exp && *exp ? exp : FZ_EXPECTED_COUNTS);
	CHECK(n_expected > 0);

	const char *t = getenv("TMPDIR");
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/fz-data-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp_dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmp_dir, strerror(errno));
		return 2;
	}
	printf("data dir %s: %zu feed files\n", data_dir, n_feeds);
	part_alone(false);
	part_merged();
	part_popular();

	if (merged_bl)
		fz_blocklist_close(merged_bl);
	rmdir(tmp_dir);
	for (size_t i = 0; i < n_feeds; i++) {
		free(feeds[i].file);
		free(feeds[i].text);
	}
	free(feeds);
	free(expected);
	ntab_free(&evidence);
	return fz_test_done();
}
