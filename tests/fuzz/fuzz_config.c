/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_feeds_cfg_parse() (and fz_ini under it) over arbitrary
 * bytes. A config that is accepted holds only feeds with a valid unique
 * name, a URL of a supported scheme and values inside their bounds; one
 * that is refused says "fuzz.conf:LINE: why", LINE a line of the input.
 * The value helpers run over the input's first line and must agree with
 * each other.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "fuzz_cfg_check.h"
#include "fuzz_common.h"
#include "fz_feedcfg.h"
#include "fz_ini.h"

static bool valid_name(const char *s)
{
	size_t n = strnlen(s, FZ_FEED_NAME_MAX + 1);

	if (n == 0 || n > FZ_FEED_NAME_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* What fz_ini lets through: no control character but the tab. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

static void check_accepted(const void *c)
{
	const struct fz_feeds_cfg *cfg = c;

	FZ_FUZZ_CHECK(cfg->file && strcmp(cfg->file, FZ_FUZZ_CFG_FILE) == 0);
	FZ_FUZZ_CHECK(cfg->output && cfg->output[0] && printable(cfg->output));
	FZ_FUZZ_CHECK(cfg->state_dir && cfg->state_dir[0] && printable(cfg->state_dir));
	FZ_FUZZ_CHECK(!cfg->allow || (cfg->allow[0] && printable(cfg->allow)));
	FZ_FUZZ_CHECK(!cfg->block || (cfg->block[0] && printable(cfg->block)));
	FZ_FUZZ_CHECK(!cfg->ca_file || cfg->ca_file[0]);
	FZ_FUZZ_CHECK(!cfg->user_agent || (cfg->user_agent[0] && printable(cfg->user_agent)));
	FZ_FUZZ_CHECK(cfg->concurrency >= 1 && cfg->concurrency <= 64);
	FZ_FUZZ_CHECK(cfg->connect_timeout >= 1 && cfg->timeout >= 1);
	FZ_FUZZ_CHECK(cfg->retries <= 10);
	FZ_FUZZ_CHECK(cfg->n_feeds <= FZ_FEEDS_MAX);
	FZ_FUZZ_CHECK(cfg->n_feeds == 0 || cfg->feeds != NULL);

	for (size_t i = 0; i < cfg->n_feeds; i++) {
		const struct fz_feed_cfg *f = &cfg->feeds[i];
		bool axfr;

		FZ_FUZZ_CHECK(valid_name(f->name));
		for (size_t j = 0; j < i; j++) {
			FZ_FUZZ_CHECK(strcasecmp(cfg->feeds[j].name, f->name) != 0);
			FZ_FUZZ_CHECK(cfg->feeds[j].line < f->line);
		}
		FZ_FUZZ_CHECK(f->line >= 1);
		FZ_FUZZ_CHECK(f->url != NULL && printable(f->url));
		FZ_FUZZ_CHECK(strpbrk(f->url, " \t") == NULL);
		axfr = has_prefix(f->url, "axfr://");
		FZ_FUZZ_CHECK(axfr || has_prefix(f->url, "https://") ||
			      has_prefix(f->url, "http://") || has_prefix(f->url, "file:///"));
		FZ_FUZZ_CHECK((unsigned)f->format < FZ_FORMAT_COUNT);
		FZ_FUZZ_CHECK((unsigned)f->category < FZ_CAT_COUNT);
		FZ_FUZZ_CHECK(f->match == FZ_MATCH_DEFAULT || f->match == FZ_MATCH_EXACT ||
			      f->match == FZ_MATCH_SUBTREE);
		FZ_FUZZ_CHECK(f->interval >= 60 && f->interval <= 366ull * 86400);
		FZ_FUZZ_CHECK(f->max_size >= 1 && f->max_size <= 4ull << 30);
		FZ_FUZZ_CHECK(f->max_shrink <= 100);
		if (axfr) {
			FZ_FUZZ_CHECK(f->format == FZ_FORMAT_RPZ);
			FZ_FUZZ_CHECK(!f->has_sha256 && !f->minisign_key);
		}
		/* A key comes with the place of its signature, and only then. */
		FZ_FUZZ_CHECK((f->minisign_key == NULL) == (f->signature_url == NULL));
		if (f->minisign_key)
			FZ_FUZZ_CHECK(strlen(f->minisign_key) == 56);
	}
}

/* The value helpers over the first line (at most 40 bytes), as a string. */
static void check_values(const uint8_t *data, size_t size)
{
	char v[41], err[128];
	size_t n = fz_fuzz_first_line(data, size, v, sizeof(v));
	uint64_t a, b, c;
	int bv;

	if (fz_ini_bool(v, &bv, err, sizeof(err)) == 0)
		FZ_FUZZ_CHECK(bv == 0 || bv == 1);
	if (fz_ini_uint(v, 0, UINT64_MAX, &a, err, sizeof(err)) == 0) {
		/* A plain number means the same as a duration in seconds and a size in bytes. */
		FZ_FUZZ_CHECK(fz_ini_duration(v, &b, err, sizeof(err)) == 0 && b == a);
		FZ_FUZZ_CHECK(fz_ini_size(v, &c, err, sizeof(err)) == 0 && c == a);
		FZ_FUZZ_CHECK(fz_ini_uint(v, a, a, &b, err, sizeof(err)) == 0 && b == a);
		if (a > 0)
			FZ_FUZZ_CHECK(fz_ini_uint(v, 0, a - 1, &b, err, sizeof(err)) == -EINVAL);
	}
	if (n >= 2) {
		static const struct {
			char unit;
			uint64_t f;
			bool size;
		} units[] = {{'s', 1, false},	      {'m', 60, false},	      {'h', 3600, false},
			     {'d', 86400, false},     {'k', 1024, true},      {'K', 1024, true},
			     {'M', 1ull << 20, true}, {'G', 1ull << 30, true}};
		char num[41];

		memcpy(num, v, n - 1);
		num[n - 1] = '\0';
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			int r;

			if (v[n - 1] != units[i].unit)
				continue;
			r = units[i].size ? fz_ini_size(v, &b, err, sizeof(err))
					  : fz_ini_duration(v, &b, err, sizeof(err));
			if (fz_ini_uint(num, 0, UINT64_MAX, &a, err, sizeof(err)) != 0)
				FZ_FUZZ_CHECK(r == -EINVAL);
			else if (a > UINT64_MAX / units[i].f)
				FZ_FUZZ_CHECK(r == -EINVAL);
			else
				FZ_FUZZ_CHECK(r == 0 && b == a * units[i].f);
		}
	}
}

static int parse(const uint8_t *data, size_t len, const char *file, void *cfg, char *err,
		 size_t errlen)
{
	return fz_feeds_cfg_parse(data, len, file, cfg, err, errlen);
}

static void cfg_free(void *cfg)
{
	fz_feeds_cfg_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fz_fuzz_cfg_schema schema = {sizeof(struct fz_feeds_cfg), parse,
							 cfg_free, check_accepted};

	fz_fuzz_cfg_run(&schema, data, size);
	check_values(data, size);
	return 0;
}
