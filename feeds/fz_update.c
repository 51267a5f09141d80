/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One update cycle: which feeds are due, fetch them all at once, vet every
 * download before it may replace the last good copy, then compile from the
 * last good copies and publish when something changed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fz_axfr.h"
#include "fz_blocklist.h"
#include "fz_blwriter.h"
#include "fz_fetch.h"
#include "fz_minisign.h"
#include "fz_update.h"

#define LOCAL_LIST_MAX (64u << 20)
#define SIG_MAX	       4096

/* What one feed holds during a cycle. */
struct feed_work {
	const struct fz_feed_cfg *cfg;
	struct fz_feed_state st;
	bool due;
	int fetch_idx; /* index into the fetch requests, -1 when not fetched over curl */
	int sig_idx;   /* index of its signature request, -1 when none */
	/* the good copy that goes into the list: new or kept */
	uint8_t *raw;
	size_t raw_len;
	bool parsed;
	struct fz_parse_result pr;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_reason(struct fz_update_feed *uf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_reason(struct fz_update_feed *uf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(uf->reason, sizeof(uf->reason), fmt, ap);
	va_end(ap);
}

int64_t fz_update_next_due(const struct fz_feed_cfg *f, const struct fz_feed_state *st)
{
	if (!st || st->attempted_at == 0)
		return 0;
	int64_t wait = (int64_t)f->interval;
	if (st->result == FZ_FEED_FAILED) {
		/* Back off: 1 min, 2, 4, ... but never longer than the interval. */
		unsigned n = st->failures ? st->failures - 1 : 0;
		int64_t backoff = (int64_t)60 << (n > 10 ? 10 : n);
		if (backoff < wait)
			wait = backoff;
	}
	return st->attempted_at + wait;
}

static bool starts_with_html(const uint8_t *d, size_t n)
{
	size_t i = 0;
	if (n >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf)
		i = 3;
	while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
		i++;
	static const char *const tags[] = {"<!doctype html", "<html", "<head", "<body", "<?xml"};
	for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
		size_t l = strlen(tags[t]);
		if (n - i >= l && strncasecmp((const char *)d + i, tags[t], l) == 0)
			return true;
	}
	return false;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int parse_feed(const struct fz_feed_cfg *f, const uint8_t *d, size_t n,
		      struct fz_parse_result *pr)
{
	struct fz_parse_opts po = {.format = f->format, .match = f->match};
	return fz_parse(d, n, &po, pr);
}

/*
 * Decide whether a fresh download may become the feed's good copy. On
 * success the work item owns `body` (and its parse). Returns true when
 * accepted; otherwise uf says why and the caller frees body.
 */
static bool vet(struct feed_work *fw, struct fz_update_feed *uf, uint8_t *body, size_t len,
		const uint8_t *sig, size_t siglen, bool have_sig)
{
	const struct fz_feed_cfg *f = fw->cfg;
	uint8_t sum[32];

	if (len == 0) {
		set_reason(uf, "empty body");
		return false;
	}
	fz_sha256(body, len, sum);
	if (f->has_sha256 && memcmp(sum, f->sha256, 32) != 0) {
		char got[65];
		hex(sum, 32, got);
		set_reason(uf, "sha256 pin mismatch (got %s)", got);
		return false;
	}
	if (f->minisign_key) {
		char err[200] = "";
		if (!have_sig) {
			set_reason(uf, "signature: could not be fetched");
			return false;
		}
		if (fz_minisign_verify(f->minisign_key, sig, siglen, body, len, err, sizeof(err)) <
		    0) {
			set_reason(uf, "signature: %s", err);
			return false;
		}
	}
	if (starts_with_html(body, len)) {
		set_reason(uf, "an HTML page instead of a list");
		return false;
	}
	struct fz_parse_result pr;
	int rc = parse_feed(f, body, len, &pr);
	if (rc < 0) {
		set_reason(uf, "cannot parse: %s", strerror(-rc));
		return false;
	}
	uint64_t n = pr.accepted;
	if (n < f->min_entries) {
		set_reason(uf, "only %llu entries (min_entries %llu)", (unsigned long long)n,
			   (unsigned long long)f->min_entries);
		fz_parse_result_free(&pr);
		return false;
	}
	if (fw->st.has_good && fw->st.entries > 0 && f->max_shrink < 100 &&
	    n * 100 < fw->st.entries * (100 - f->max_shrink)) {
		set_reason(uf, "shrank from %llu to %llu entries (max_shrink %llu%%)",
			   (unsigned long long)fw->st.entries, (unsigned long long)n,
			   (unsigned long long)f->max_shrink);
		fz_parse_result_free(&pr);
		return false;
	}
	free(fw->raw);
	if (fw->parsed)
		fz_parse_result_free(&fw->pr);
	fw->raw = body;
	fw->raw_len = len;
	fw->pr = pr;
	fw->parsed = true;
	return true;
}

/* Load a valid good copy from the state directory into fw (if any). */
static void load_good(const struct fz_feeds_cfg *cfg, struct feed_work *fw,
		      struct fz_update_feed *uf)
{
	char err[256] = "";
	if (!fw->st.has_good || fw->raw)
		return;
	int rc = fz_feedstate_read_raw(cfg->state_dir, fw->cfg->name, &fw->st, &fw->raw,
				       &fw->raw_len, err, sizeof(err));
	if (rc < 0) {
		/* Never trust a copy that does not match its metadata: refetch it whole. */
		fw->st.has_good = false;
		fw->st.etag[0] = fw->st.last_modified[0] = '\0';
		fw->raw = NULL;
		fw->raw_len = 0;
		if (rc != -ENOENT || fw->st.size)
			set_reason(uf, "%s", err[0] ? err : "state: last good copy unreadable");
	}
}

/*
 * Before sending validators: is the good copy still there at its size?
 * (The full sha256 check happens when the copy is used, so a warm cycle of
 * 304s reads no feed data at all.)
 */
static void check_good_present(const struct fz_feeds_cfg *cfg, struct feed_work *fw,
			       struct fz_update_feed *uf)
{
	char path[4096];
	struct stat sb;
	if (!fw->st.has_good || fw->raw)
		return;
	snprintf(path, sizeof(path), "%s/%s.raw", cfg->state_dir, fw->cfg->name);
	if (stat(path, &sb) == 0 && (uint64_t)sb.st_size == fw->st.size)
		return;
	fw->st.has_good = false;
	fw->st.etag[0] = fw->st.last_modified[0] = '\0';
	set_reason(uf, "state: %s.raw is missing or does not match its metadata; fetching it whole",
		   fw->cfg->name);
}

static void record_failure(struct feed_work *fw, struct fz_update_feed *uf, int64_t now)
{
	uf->result = FZ_FEED_FAILED;
	fw->st.result = FZ_FEED_FAILED;
	fw->st.attempted_at = now;
	fw->st.failures++;
	snprintf(fw->st.error, sizeof(fw->st.error), "%s", uf->reason);
}

static void record_success(struct feed_work *fw, struct fz_update_feed *uf, enum fz_feed_result r,
			   int64_t now)
{
	uf->result = r;
	fw->st.result = r;
	fw->st.attempted_at = now;
	fw->st.failures = 0;
	fw->st.error[0] = '\0';
}

/* Accept a vetted body as the new good copy, unless it is byte for byte the old one. */
static int keep_new_copy(const struct fz_feeds_cfg *cfg, struct feed_work *fw,
			 struct fz_update_feed *uf, const struct fz_fetch_res *res, int64_t now,
			 bool *changed)
{
	uint8_t sum[32];
	char err[256];
	fz_sha256(fw->raw, fw->raw_len, sum);
	bool same =
	    fw->st.has_good && fw->st.size == fw->raw_len && memcmp(fw->st.sha256, sum, 32) == 0;
	if (res) {
		snprintf(fw->st.etag, sizeof(fw->st.etag), "%s", res->etag);
		snprintf(fw->st.last_modified, sizeof(fw->st.last_modified), "%s",
			 res->last_modified);
	}
	if (same) {
		record_success(fw, uf, FZ_FEED_NOT_MODIFIED, now);
		return 0;
	}
	int rc = fz_feedstate_save_raw(cfg->state_dir, fw->cfg->name, fw->raw, fw->raw_len, err,
				       sizeof(err));
	if (rc < 0) {
		set_reason(uf, "cannot keep the download: %s", err);
		return rc;
	}
	fw->st.has_good = true;
	memcpy(fw->st.sha256, sum, 32);
	fw->st.size = fw->raw_len;
	fw->st.entries = fw->pr.accepted;
	fw->st.fetched_at = now;
	record_success(fw, uf, FZ_FEED_FETCHED, now);
	*changed = true;
	return 0;
}

static bool is_axfr(const struct fz_feed_cfg *f)
{
	return strncmp(f->url, "axfr://", 7) == 0;
}

static void fill_req(const struct fz_feeds_cfg *cfg, const struct fz_feed_cfg *f,
		     struct fz_fetch_req *r, const char *url, const struct fz_feed_state *st)
{
	*r = (struct fz_fetch_req){
	    .url = url,
	    .etag = st && st->has_good ? st->etag : NULL,
	    .last_modified = st && st->has_good ? st->last_modified : NULL,
	    .max_size = f->max_size,
	    .connect_timeout = (unsigned)cfg->connect_timeout,
	    .timeout = (unsigned)cfg->timeout,
	    .retries = (unsigned)cfg->retries,
	    .ca_file = cfg->ca_file,
	    .user_agent = cfg->user_agent,
	};
}

/* Read a local allow/block list whole (bounded). */
static int read_local(const char *path, uint8_t **ret, size_t *ret_len, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		int e = errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		return -e;
	}
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			if (cap >= LOCAL_LIST_MAX) {
				free(buf);
				fclose(fp);
				snprintf(err, errlen, "%s: larger than %u bytes", path,
					 LOCAL_LIST_MAX);
				return -EFBIG;
			}
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	int bad = ferror(fp);
	fclose(fp);
	if (!buf || bad) {
		free(buf);
		snprintf(err, errlen, "cannot read %s", path);
		return -EIO;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

static int add_local(struct fz_blwriter *w, const char *path, enum fz_feed_role role, char *err,
		     size_t errlen)
{
	uint8_t *d = NULL;
	size_t n = 0;
	int rc = read_local(path, &d, &n, err, errlen);
	if (rc < 0)
		return rc;
	struct fz_parse_opts po = {.format = FZ_FORMAT_DOMAINS};
	struct fz_parse_result pr;
	rc = fz_parse(d, n, &po, &pr);
	free(d);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (role == FZ_FEED_LOCAL_ALLOW)
		for (size_t i = 0; i < pr.n_entries; i++)
			pr.entries[i].action = FZ_ACTION_ALLOW;
	int id =
	    fz_blwriter_add_feed(w, role == FZ_FEED_LOCAL_ALLOW ? "local-allow" : "local-block",
				 FZ_CAT_CUSTOM, path, role);
	rc = id < 0 ? id : fz_blwriter_add_parsed(w, id, &pr);
	fz_parse_result_free(&pr);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}

/* Compile from the work items' good copies (loading any not yet loaded). */
static int compile_work(const struct fz_feeds_cfg *cfg, struct feed_work *fw,
			struct fz_update_summary *sum, char *err, size_t errlen)
{
	struct fz_blwriter *w;
	int rc = fz_blwriter_new(&w);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	size_t used = 0;
	if (cfg->allow && (rc = add_local(w, cfg->allow, FZ_FEED_LOCAL_ALLOW, err, errlen)) < 0)
		goto out;
	if (cfg->block && (rc = add_local(w, cfg->block, FZ_FEED_LOCAL_BLOCK, err, errlen)) < 0)
		goto out;
	for (size_t i = 0; i < sum->n_feeds; i++) {
		struct feed_work *x = &fw[i];
		struct fz_update_feed *uf = &sum->feeds[i];
		if (!x->cfg->enabled)
			continue;
		bool had = x->st.has_good;
		load_good(cfg, x, uf);
		if (had && !x->st.has_good) {
			/* Forget the validators of a copy that failed its check: refetch it whole.
			 */
			char e2[256];
			fz_feedstate_save(cfg->state_dir, x->cfg->name, &x->st, e2, sizeof(e2));
		}
		if (!x->raw)
			continue;
		if (!x->parsed) {
			rc = parse_feed(x->cfg, x->raw, x->raw_len, &x->pr);
			if (rc < 0) {
				snprintf(err, errlen, "%s: %s", x->cfg->name, strerror(-rc));
				goto out;
			}
			x->parsed = true;
		}
		int id = fz_blwriter_add_feed(w, x->cfg->name, x->cfg->category, x->cfg->url,
					      FZ_FEED_NORMAL);
		rc = id < 0 ? id : fz_blwriter_add_parsed(w, id, &x->pr);
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", x->cfg->name, strerror(-rc));
			goto out;
		}
		uf->have_good = true;
		uf->entries = x->pr.accepted;
		used++;
	}
	if (used == 0 && !cfg->block) {
		snprintf(err, errlen, "no feed has a good copy yet");
		rc = -ENODATA;
		goto out;
	}
	struct fz_blwriter_stats st;
	rc = fz_blwriter_write(w, cfg->output, NULL, &st, err, errlen);
	if (rc == 0) {
		sum->published = true;
		sum->generation = st.generation;
		sum->names = st.names;
		sum->urls = st.urls;
		sum->ips = st.ip4 + st.ip6;
	}
out:
	fz_blwriter_free(w);
	return rc;
}

/* Is there a usable list at the output path? Fills generation and counts. */
static bool existing_list(const struct fz_feeds_cfg *cfg, struct fz_update_summary *sum)
{
	struct fz_blocklist *bl;
	if (fz_blocklist_open(cfg->output, &bl, NULL, 0) < 0)
		return false;
	struct fz_bl_info bi;
	fz_blmap_info(fz_blocklist_current(bl), &bi);
	sum->generation = bi.generation;
	sum->names = bi.n_names;
	sum->urls = bi.n_urls;
	sum->ips = bi.n_ip4 + bi.n_ip6;
	fz_blocklist_close(bl);
	return true;
}

/*
 * What the published list was built from: each enabled feed's good copy
 * (name and sha256) and the local lists' contents. When this differs from
 * what the last successful publish recorded, the list must be rebuilt, even
 * if no download changed in this cycle (say the last publish hit a full
 * disk, a feed was disabled, or the allowlist was edited).
 */
#define DIGEST_FILE "published.sha256"

static void combo_digest(const struct fz_feeds_cfg *cfg, const struct feed_work *fw, size_t n,
			 char out[65])
{
	size_t cap = 64 + n * (FZ_FEED_NAME_MAX + 34) + 2 * 40 + strlen(cfg->output);
	uint8_t *buf = malloc(cap), sum[32];
	size_t len = 0;
	if (!buf) {
		out[0] = '\0';
		return;
	}
	len += (size_t)snprintf((char *)buf, cap, "%s", cfg->output) + 1;
	for (size_t i = 0; i < n; i++) {
		if (!fw[i].cfg->enabled || !fw[i].st.has_good)
			continue;
		size_t l = strlen(fw[i].cfg->name) + 1;
		memcpy(buf + len, fw[i].cfg->name, l);
		len += l;
		memcpy(buf + len, fw[i].st.sha256, 32);
		len += 32;
	}
	const char *lists[2] = {cfg->allow, cfg->block};
	for (int i = 0; i < 2; i++) {
		uint8_t *d = NULL;
		size_t dl = 0;
		char err[64];
		memset(sum, 0, sizeof(sum));
		if (lists[i] && read_local(lists[i], &d, &dl, err, sizeof(err)) == 0)
			fz_sha256(d, dl, sum);
		free(d);
		buf[len++] = (uint8_t)('A' + i);
		memcpy(buf + len, sum, 32);
		len += 32;
	}
	fz_sha256(buf, len, sum);
	free(buf);
	hex(sum, 32, out);
}

static bool digest_matches(const struct fz_feeds_cfg *cfg, const char *digest)
{
	char path[4096], got[80] = "";
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, DIGEST_FILE);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(got, sizeof(got), f) != NULL;
	fclose(f);
	got[strcspn(got, "\n")] = '\0';
	return ok && digest[0] && strcmp(got, digest) == 0;
}

static void digest_save(const struct fz_feeds_cfg *cfg, const char *digest)
{
	char path[4096], line[80], err[128];
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, DIGEST_FILE);
	int n = snprintf(line, sizeof(line), "%s\n", digest);
	/* Losing it only costs one extra rebuild next cycle. */
	fz_write_file_atomic(path, line, (size_t)n, err, sizeof(err));
}

static int summary_init(const struct fz_feeds_cfg *cfg, struct fz_update_summary *sum,
			struct feed_work **ret)
{
	memset(sum, 0, sizeof(*sum));
	sum->n_feeds = cfg->n_feeds;
	sum->feeds = calloc(cfg->n_feeds ? cfg->n_feeds : 1, sizeof(*sum->feeds));
	struct feed_work *fw = calloc(cfg->n_feeds ? cfg->n_feeds : 1, sizeof(*fw));
	if (!sum->feeds || !fw) {
		free(sum->feeds);
		free(fw);
		sum->feeds = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_feeds; i++) {
		fw[i].cfg = &cfg->feeds[i];
		fw[i].fetch_idx = fw[i].sig_idx = -1;
		sum->feeds[i].name = cfg->feeds[i].name;
		sum->feeds[i].disabled = !cfg->feeds[i].enabled;
		char err[256] = "";
		int rc = fz_feedstate_load(cfg->state_dir, cfg->feeds[i].name, &fw[i].st, err,
					   sizeof(err));
		if (rc < 0) {
			memset(&fw[i].st, 0, sizeof(fw[i].st));
			if (rc != -ENOENT)
				set_reason(&sum->feeds[i], "%s (starting afresh)", err);
		}
	}
	*ret = fw;
	return 0;
}

static void work_free(struct feed_work *fw, size_t n)
{
	for (size_t i = 0; fw && i < n; i++) {
		free(fw[i].raw);
		if (fw[i].parsed)
			fz_parse_result_free(&fw[i].pr);
	}
	free(fw);
}

static void save_states(const struct fz_feeds_cfg *cfg, struct feed_work *fw,
			struct fz_update_summary *sum)
{
	for (size_t i = 0; i < sum->n_feeds; i++) {
		if (!fw[i].due)
			continue;
		char err[256];
		if (fz_feedstate_save(cfg->state_dir, fw[i].cfg->name, &fw[i].st, err,
				      sizeof(err)) < 0 &&
		    sum->feeds[i].result != FZ_FEED_FAILED) {
			/* The copy is in use now, but the next cycle may not know it. */
			set_reason(&sum->feeds[i], "cannot save state: %s", err);
			sum->feeds[i].result = FZ_FEED_FAILED;
		}
	}
}

static int finish(struct fz_update_summary *sum, double t0)
{
	sum->fetched = sum->not_modified = sum->failed = sum->skipped = 0;
	for (size_t i = 0; i < sum->n_feeds; i++) {
		switch (sum->feeds[i].result) {
		case FZ_FEED_FETCHED:
			sum->fetched++;
			break;
		case FZ_FEED_NOT_MODIFIED:
			sum->not_modified++;
			break;
		case FZ_FEED_FAILED:
			sum->failed++;
			break;
		default:
			sum->skipped++;
		}
	}
	sum->seconds = now_seconds() - t0;
	if (!sum->list_exists)
		return FZ_UPDATE_NO_LIST;
	if (sum->failed || sum->error[0])
		return FZ_UPDATE_FELL_BACK;
	return FZ_UPDATE_OK;
}

int fz_update_run(const struct fz_feeds_cfg *cfg, const struct fz_update_opts *opts,
		  struct fz_update_summary *sum)
{
	static const struct fz_update_opts no_opts;
	const struct fz_update_opts *o = opts ? opts : &no_opts;
	double t0 = now_seconds();
	int64_t now = o->now ? o->now : (int64_t)time(NULL);
	struct feed_work *fw = NULL;

	if (summary_init(cfg, sum, &fw) < 0) {
		snprintf(sum->error, sizeof(sum->error), "out of memory");
		return FZ_UPDATE_NO_LIST;
	}
	if (mkdir(cfg->state_dir, 0755) < 0 && errno != EEXIST) {
		snprintf(sum->error, sizeof(sum->error), "cannot create state directory %s: %s",
			 cfg->state_dir, strerror(errno));
		sum->list_exists = existing_list(cfg, sum);
		work_free(fw, cfg->n_feeds);
		return finish(sum, t0);
	}

	/* Which feeds are due, and what goes to curl. */
	size_t nreq = 0;
	struct fz_fetch_req *reqs = calloc(cfg->n_feeds * 2 + 1, sizeof(*reqs));
	char **sig_urls = calloc(cfg->n_feeds + 1, sizeof(*sig_urls));
	struct fz_fetch_res *res = NULL;
	if (!reqs || !sig_urls)
		goto oom;
	for (size_t i = 0; i < cfg->n_feeds; i++) {
		struct feed_work *x = &fw[i];
		const struct fz_feed_cfg *f = x->cfg;
		if (!f->enabled)
			continue;
		if (o->only && strcmp(o->only, f->name) != 0)
			continue;
		if (!o->force && !o->only && now < fz_update_next_due(f, &x->st))
			continue;
		x->due = true;
		/* Validators only when the copy they describe is really there. */
		check_good_present(cfg, x, &sum->feeds[i]);
		if (is_axfr(f))
			continue;
		x->fetch_idx = (int)nreq;
		fill_req(cfg, f, &reqs[nreq++], f->url, &x->st);
		if (f->minisign_key) {
			if (f->signature_url) {
				sig_urls[i] = strdup(f->signature_url);
			} else if (asprintf(&sig_urls[i], "%s.minisig", f->url) < 0) {
				sig_urls[i] = NULL;
			}
			if (!sig_urls[i])
				goto oom;
			x->sig_idx = (int)nreq;
			fill_req(cfg, f, &reqs[nreq], sig_urls[i], NULL);
			reqs[nreq++].max_size = SIG_MAX;
		}
	}
	res = calloc(nreq + 1, sizeof(*res));
	if (!res)
		goto oom;
	if (nreq && fz_fetch_all(reqs, res, nreq, (unsigned)cfg->concurrency) < 0) {
		snprintf(sum->error, sizeof(sum->error), "cannot set up downloads (libcurl)");
		for (size_t i = 0; i < nreq; i++)
			if (res[i].status != FZ_FETCH_ERROR) {
				res[i].status = FZ_FETCH_ERROR;
				snprintf(res[i].error, sizeof(res[i].error), "not attempted");
			}
	}

	/* Vet what came back. */
	bool changed = false;
	for (size_t i = 0; i < cfg->n_feeds; i++) {
		struct feed_work *x = &fw[i];
		struct fz_update_feed *uf = &sum->feeds[i];
		if (!x->due)
			continue;
		double ts = now_seconds();
		if (is_axfr(x->cfg)) {
			struct fz_axfr_url au;
			uint8_t *body = NULL;
			size_t len = 0;
			char err[256] = "";
			if (fz_axfr_url_parse(x->cfg->url, &au) < 0) {
				set_reason(uf, "bad axfr:// URL");
				record_failure(x, uf, now);
			} else if (fz_axfr_fetch(&au, (unsigned)cfg->timeout, x->cfg->max_size,
						 &body, &len, err, sizeof(err)) < 0) {
				set_reason(uf, "%s", err);
				record_failure(x, uf, now);
			} else if (!vet(x, uf, body, len, NULL, 0, false)) {
				free(body);
				record_failure(x, uf, now);
			} else if (keep_new_copy(cfg, x, uf, NULL, now, &changed) < 0) {
				record_failure(x, uf, now);
			}
			uf->bytes = len;
			uf->seconds = now_seconds() - ts;
			continue;
		}
		struct fz_fetch_res *r = &res[x->fetch_idx];
		uf->seconds = r->seconds;
		uf->bytes = r->len;
		if (r->status == FZ_FETCH_NOT_MODIFIED) {
			record_success(x, uf, FZ_FEED_NOT_MODIFIED, now);
			continue;
		}
		if (r->status == FZ_FETCH_ERROR) {
			set_reason(uf, "%s", r->error[0] ? r->error : "download failed");
			record_failure(x, uf, now);
			continue;
		}
		const struct fz_fetch_res *sr = x->sig_idx >= 0 ? &res[x->sig_idx] : NULL;
		bool have_sig = sr && sr->status == FZ_FETCH_OK;
		uint8_t *body = r->body;
		r->body = NULL; /* ownership moves to vet() on success */
		if (!vet(x, uf, body, r->len, have_sig ? sr->body : NULL, have_sig ? sr->len : 0,
			 have_sig)) {
			free(body);
			record_failure(x, uf, now);
			continue;
		}
		if (keep_new_copy(cfg, x, uf, r, now, &changed) < 0)
			record_failure(x, uf, now);
	}
	save_states(cfg, fw, sum);

	/* Compile and publish when anything changed, or when there is no list yet. */
	bool have_list = existing_list(cfg, sum);
	char digest[65];
	combo_digest(cfg, fw, cfg->n_feeds, digest);
	if (changed || !have_list || !digest_matches(cfg, digest)) {
		char err[400] = "";
		int rc = compile_work(cfg, fw, sum, err, sizeof(err));
		if (rc < 0)
			snprintf(sum->error, sizeof(sum->error), "not published: %s", err);
		else
			digest_save(cfg, digest);
	}
	sum->list_exists = sum->published || have_list;
	if (!sum->published)
		for (size_t i = 0; i < cfg->n_feeds; i++) {
			sum->feeds[i].have_good = fw[i].st.has_good && fw[i].cfg->enabled;
			sum->feeds[i].entries = fw[i].st.has_good ? fw[i].st.entries : 0;
		}
	for (size_t i = 0; i < nreq; i++)
		fz_fetch_res_free(&res[i]);
	free(res);
	free(reqs);
	for (size_t i = 0; i < cfg->n_feeds; i++)
		free(sig_urls[i]);
	free(sig_urls);
	work_free(fw, cfg->n_feeds);
	return finish(sum, t0);
oom:
	snprintf(sum->error, sizeof(sum->error), "out of memory");
	if (res)
		for (size_t i = 0; i < nreq; i++)
			fz_fetch_res_free(&res[i]);
	free(res);
	free(reqs);
	if (sig_urls)
		for (size_t i = 0; i < cfg->n_feeds; i++)
			free(sig_urls[i]);
	free(sig_urls);
	sum->list_exists = existing_list(cfg, sum);
	work_free(fw, cfg->n_feeds);
	return finish(sum, t0);
}

int fz_update_compile(const struct fz_feeds_cfg *cfg, struct fz_update_summary *sum, char *err,
		      size_t errlen)
{
	struct feed_work *fw;
	if (summary_init(cfg, sum, &fw) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = compile_work(cfg, fw, sum, err, errlen);
	if (rc == 0) {
		char digest[65];
		combo_digest(cfg, fw, cfg->n_feeds, digest);
		digest_save(cfg, digest);
	}
	sum->list_exists = sum->published || existing_list(cfg, sum);
	work_free(fw, cfg->n_feeds);
	return rc;
}

void fz_update_summary_free(struct fz_update_summary *sum)
{
	if (!sum)
		return;
	free(sum->feeds);
	memset(sum, 0, sizeof(*sum));
}
