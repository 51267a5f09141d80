/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: parse, compile, publish, open, look up. The first input byte
 * picks the format (domains, hosts, adblock, rpz) and whether the rules are
 * added twice (as two feeds); the rest is the feed text. Every accepted
 * block rule must come back as BLOCK from the file the writer produced,
 * unless an allow rule from the same input covers the name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "fz_blocklist.h"
#include "fz_blwriter.h"
#include "fz_name.h"

static const enum fz_format formats[4] = {FZ_FORMAT_DOMAINS, FZ_FORMAT_HOSTS, FZ_FORMAT_ADBLOCK,
					  FZ_FORMAT_RPZ};

/* Does `name` equal `parent` or lie below it on a label boundary? */
static bool below_or_same(const char *name, size_t len, const char *parent, size_t plen)
{
	if (len == plen)
		return memcmp(name, parent, len) == 0;
	return len > plen && name[len - plen - 1] == '.' &&
	       memcmp(name + len - plen, parent, plen) == 0;
}

/* The allow name rules of the input, collected once per run. */
static const struct fz_entry **allows;
static size_t n_allows;

static int collect_allows(const struct fz_parse_result *res)
{
	n_allows = 0;
	free(allows);
	allows = malloc((res->n_entries ? res->n_entries : 1) * sizeof(*allows));
	if (!allows)
		return -ENOMEM;
	for (size_t i = 0; i < res->n_entries; i++)
		if (res->entries[i].kind == FZ_RULE_NAME &&
		    res->entries[i].action == FZ_ACTION_ALLOW)
			allows[n_allows++] = &res->entries[i];
	return 0;
}

/* Could an allow rule of the input apply to `name`? */
static bool allow_covers(const struct fz_parse_result *res, const char *name, size_t len)
{
	for (size_t i = 0; i < n_allows; i++) {
		const struct fz_entry *e = allows[i];
		const char *an = fz_parse_str(res, e->name_off);

		if (e->name_len == len && memcmp(an, name, len) == 0)
			return true;
		if (e->match == FZ_MATCH_SUBTREE && below_or_same(name, len, an, e->name_len))
			return true;
	}
	return false;
}

static bool any_allow_of_kind(const struct fz_parse_result *res, enum fz_rule_kind kind)
{
	for (size_t i = 0; i < res->n_entries; i++)
		if (res->entries[i].kind == kind && res->entries[i].action == FZ_ACTION_ALLOW)
			return true;
	return false;
}

static bool block_named(const struct fz_parse_result *res, const char *name, size_t len)
{
	for (size_t i = 0; i < res->n_entries; i++) {
		const struct fz_entry *e = &res->entries[i];

		if (e->kind == FZ_RULE_NAME && e->action == FZ_ACTION_BLOCK && e->name_len == len &&
		    memcmp(fz_parse_str(res, e->name_off), name, len) == 0)
			return true;
	}
	return false;
}

/* How much the oracle checked in this run (printed with FZ_FUZZ_VERBOSE set). */
static size_t n_checked, n_covered;

static void expect_block(const struct fz_blmap *m, const struct fz_parse_result *res,
			 const char *name, size_t len)
{
	struct fz_match_info mi;
	enum fz_verdict v;

	if (allow_covers(res, name, len)) {
		n_covered++;
		return;
	}
	n_checked++;
	memset(&mi, 0, sizeof(mi));
	v = fz_blmap_lookup(m, name, len, &mi);
	if (v != FZ_VERDICT_BLOCK)
		fprintf(stderr, "fuzz: %.*s: verdict %d, expected block\n", (int)len, name, v);
	FZ_FUZZ_CHECK(v == FZ_VERDICT_BLOCK);
	FZ_FUZZ_CHECK(mi.verdict == FZ_VERDICT_BLOCK);

	/* Lookups take any case and one trailing dot. */
	{
		char alt[FZ_NAME_BUF + 1];

		for (size_t i = 0; i < len; i++)
			alt[i] =
			    (name[i] >= 'a' && name[i] <= 'z') ? (char)(name[i] - 32) : name[i];
		alt[len] = '.';
		FZ_FUZZ_CHECK(fz_blmap_lookup(m, alt, len + 1, NULL) == FZ_VERDICT_BLOCK);
	}
}

static void check_lookups(const struct fz_blmap *m, const struct fz_parse_result *res)
{
	bool url_allow = any_allow_of_kind(res, FZ_RULE_URL);

	FZ_FUZZ_CHECK(collect_allows(res) == 0);
	bool ip_allow = any_allow_of_kind(res, FZ_RULE_IP);

	for (size_t i = 0; i < res->n_entries; i++) {
		const struct fz_entry *e = &res->entries[i];
		const char *name = fz_parse_str(res, e->name_off);

		if (e->kind == FZ_RULE_NAME && e->action == FZ_ACTION_BLOCK) {
			expect_block(m, res, name, e->name_len);
			if (e->match == FZ_MATCH_SUBTREE && e->name_len + 7 <= FZ_NAME_MAX) {
				char sub[FZ_NAME_BUF];

				memcpy(sub, "fzsub.", 6);
				memcpy(sub + 6, name, e->name_len);
				expect_block(m, res, sub, e->name_len + 6);
			}
		} else if (e->kind == FZ_RULE_NAME) {
			/* An allowed name with no block rule of its own is never blocked. */
			if (!block_named(res, name, e->name_len))
				FZ_FUZZ_CHECK(fz_blmap_lookup(m, name, e->name_len, NULL) !=
					      FZ_VERDICT_BLOCK);
		} else if (e->kind == FZ_RULE_URL && e->action == FZ_ACTION_BLOCK && !url_allow &&
			   !allow_covers(res, name, e->name_len)) {
			FZ_FUZZ_CHECK(fz_blmap_lookup_url(m, name, e->name_len,
							  fz_parse_str(res, e->path_off),
							  e->path_len, NULL) == FZ_VERDICT_BLOCK);
		} else if (e->kind == FZ_RULE_IP && e->action == FZ_ACTION_BLOCK && !ip_allow) {
			FZ_FUZZ_CHECK(fz_blmap_lookup_ip(m,
							 e->family == AF_INET ? AF_INET : AF_INET6,
							 e->addr, NULL) == FZ_VERDICT_BLOCK);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct fz_blwriter_opts wo = {.generation = 1, .seed = seed, .created = 1700000000};
	struct fz_parse_opts po = {0};
	struct fz_parse_result res;
	struct fz_blwriter_stats st;
	struct fz_blwriter *w = NULL;
	struct fz_blocklist *bl = NULL;
	const struct fz_blmap *m;
	struct fz_bl_info info;
	char path[256], err[256];
	const char *dir;
	int feed, r;

	if (size < 1)
		return 0;
	po.format = formats[data[0] & 3];
	memset(&res, 0, sizeof(res));
	if (fz_parse(data + 1, size - 1, &po, &res) != 0)
		return 0;
	fz_fuzz_result_check(&res, po.format);

	FZ_FUZZ_CHECK(fz_blwriter_new(&w) == 0);
	feed = fz_blwriter_add_feed(w, "fuzz", FZ_CAT_FRAUD, "fuzz:input", FZ_FEED_NORMAL);
	FZ_FUZZ_CHECK(feed >= 0);
	FZ_FUZZ_CHECK(fz_blwriter_add_parsed(w, feed, &res) == 0);
	if (data[0] & 4) {
		feed = fz_blwriter_add_feed(w, "again", FZ_CAT_PHISHING, "", FZ_FEED_NORMAL);
		FZ_FUZZ_CHECK(feed >= 0);
		FZ_FUZZ_CHECK(fz_blwriter_add_parsed(w, feed, &res) == 0);
	}

	dir = fz_fuzz_tmpdir();
	FZ_FUZZ_CHECK(dir != NULL);
	snprintf(path, sizeof(path), "%s/compile.fzb", dir);
	memset(&st, 0, sizeof(st));
	err[0] = '\0';
	r = fz_blwriter_write(w, path, &wo, &st, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "fuzz: write failed: %d %s\n", r, err);
	FZ_FUZZ_CHECK(r == 0);
	fz_blwriter_free(w);

	r = fz_blocklist_open(path, &bl, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "fuzz: open failed: %d %s\n", r, err);
	FZ_FUZZ_CHECK(r == 0);
	m = fz_blocklist_current(bl);
	FZ_FUZZ_CHECK(m != NULL);

	/* The file says what the writer says it wrote. */
	memset(&info, 0, sizeof(info));
	fz_blmap_info(m, &info);
	FZ_FUZZ_CHECK(info.generation == 1 && st.generation == 1);
	FZ_FUZZ_CHECK(info.created == 1700000000);
	FZ_FUZZ_CHECK(info.file_size == st.file_size);
	FZ_FUZZ_CHECK(info.n_names == st.names && info.n_allow_names == st.allow_names);
	FZ_FUZZ_CHECK(info.n_urls == st.urls && info.n_url_hosts == st.url_hosts);
	FZ_FUZZ_CHECK(info.n_ip4 == st.ip4 && info.n_ip6 == st.ip6);
	FZ_FUZZ_CHECK(info.n_feeds == ((data[0] & 4) ? 2u : 1u));
	FZ_FUZZ_CHECK(st.input_rules == res.n_entries * ((data[0] & 4) ? 2u : 1u));

	n_checked = n_covered = 0;
	check_lookups(m, &res);
	if (getenv("FZ_FUZZ_VERBOSE"))
		fprintf(
		    stderr,
		    "compile: %s, %zu rules, %zu lookups expected BLOCK, %zu covered by allow\n",
		    fz_format_name(po.format), res.n_entries, n_checked, n_covered);
	fz_fuzz_blmap_exercise(m, data + 1, size - 1);

	fz_blocklist_close(bl);
	unlink(path);
	rmdir(dir);
	fz_parse_result_free(&res);
	return 0;
}
