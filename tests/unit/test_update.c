/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The update cycle over file:// feeds (no network): publish, not modified,
 * changed, every kind of refused download keeps the last good copy, corrupt
 * state is recovered from, scheduling, and "no list".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz_blocklist.h"
#include "fz_feedcfg.h"
#include "fz_feedstate.h"
#include "fz_test.h"
#include "fz_update.h"

static char dir[] = "/tmp/fz-test-update-XXXXXX";

static const char *p(const char *name)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(p(name), "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static int load_cfg(struct fz_feeds_cfg *cfg, const char *extra)
{
	char text[4096], err[512] = "";
	snprintf(text, sizeof(text),
		 "[feeds]\n"
		 "output = %s/out.fzb\n"
		 "state_dir = %s/state\n"
		 "retries = 0\n"
		 "[feed a]\n"
		 "url = file://%s/a.txt\n"
		 "format = domains\n"
		 "category = phishing\n"
		 "min_entries = 2\n"
		 "max_shrink = 50\n"
		 "[feed b]\n"
		 "url = file://%s/b.hosts\n"
		 "format = hosts\n"
		 "%s",
		 dir, dir, dir, dir, extra ? extra : "");
	int rc = fz_feeds_cfg_parse((const uint8_t *)text, strlen(text), "test.conf", cfg, err,
				    sizeof(err));
	if (rc < 0)
		fprintf(stderr, "config: %s\n", err);
	return rc;
}

/* One forced cycle; returns the exit status and keeps the summary in *s. */
static int cycle(const struct fz_feeds_cfg *cfg, struct fz_update_summary *s, bool force)
{
	struct fz_update_opts o = {.force = force};
	return fz_update_run(cfg, &o, s);
}

static enum fz_verdict verdict(const char *name)
{
	struct fz_blocklist *bl;
	if (fz_blocklist_open(p("out.fzb"), &bl, NULL, 0) < 0)
		return (enum fz_verdict) - 1;
	enum fz_verdict v = fz_blmap_lookup(fz_blocklist_current(bl), name, strlen(name), NULL);
	fz_blocklist_close(bl);
	return v;
}

static const struct fz_update_feed *feed(const struct fz_update_summary *s, const char *name)
{
	for (size_t i = 0; i < s->n_feeds; i++)
		if (strcmp(s->feeds[i].name, name) == 0)
			return &s->feeds[i];
	return NULL;
}

static void expect_feed(const struct fz_update_summary *s, const char *name,
			enum fz_feed_result res, const char *reason_part, int line)
{
	const struct fz_update_feed *f = feed(s, name);
	fz_test_checks++;
	if (!f || f->result != res || (reason_part && !strstr(f->reason, reason_part))) {
		fz_test_failures++;
		fprintf(stderr, "%s:%d: feed %s: result %d reason '%s', expected %d and '%s'\n",
			__FILE__, line, name, f ? (int)f->result : -1, f ? f->reason : "(none)",
			(int)res, reason_part ? reason_part : "");
	}
}
#define EXPECT_FEED(s, name, res, reason_part) expect_feed(s, name, res, reason_part, __LINE__)

static const char a_v1[] = "one.fraud.test\ntwo.fraud.test\nthree.fraud.test\n"
			   "four.fraud.test\nfive.fraud.test\nsix.fraud.test\n";
static const char a_v2[] = "one.fraud.test\ntwo.fraud.test\nthree.fraud.test\n"
			   "four.fraud.test\nfive.fraud.test\nsix.fraud.test\nseven.fraud.test\n";

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	struct fz_feeds_cfg cfg;
	struct fz_update_summary s;
	CHECK_INT(load_cfg(&cfg, NULL), 0);
	put("a.txt", a_v1);
	put("b.hosts", "0.0.0.0 hosts-one.fraud.test hosts-two.fraud.test\n");

	/* first fetch publishes generation 1 */
	CHECK_INT(cycle(&cfg, &s, true), FZ_UPDATE_OK);
	EXPECT_FEED(&s, "a", FZ_FEED_FETCHED, NULL);
	EXPECT_FEED(&s, "b", FZ_FEED_FETCHED, NULL);
	CHECK(s.published);
	CHECK_INT(s.generation, 1);
	CHECK_INT(s.names, 8);
	fz_update_summary_free(&s);
	CHECK_INT(verdict("three.fraud.test"), FZ_VERDICT_BLOCK);
	CHECK_INT(verdict("hosts-two.fraud.test"), FZ_VERDICT_BLOCK);
	struct stat st1, st2;
	CHECK_INT(stat(p("out.fzb"), &st1), 0);

	/* the same bytes again: not modified, nothing published, file untouched */
	CHECK_INT(cycle(&cfg, &s, true), FZ_UPDATE_OK);
	EXPECT_FEED(&s, "a", FZ_FEED_NOT_MODIFIED, NULL);
	CHECK(!s.published);
	CHECK_INT(s.generation, 1);
	fz_update_summary_free(&s);
	CHECK_INT(stat(p("out.fzb"), &st2), 0);
	CHECK(st1.st_ino == st2.st_ino);

	/* a changed feed publishes the next generation */
	put("a.txt", a_v2);
	CHECK_INT(cycle(&cfg, &s, true), FZ_UPDATE_OK);
	EXPECT_FEED(&s, "a", FZ_FEED_FETCHED, NULL);
	EXPECT_FEED(&s, "b", FZ_FEED_NOT_MODIFIED, NULL);
	CHECK(s.published);
	CHECK_INT(s.generation, 2);
	fz_update_summary_free(&s);
	CHECK_INT(verdict("seven.fraud.test"), FZ_VERDICT_BLOCK);

	/* refused downloads: each keeps the last good copy and says why */
	static const struct {
		const char *text;
		const char *reason;
	} bad[] = {
	    {"", "empty body"},
	    {"one.fraud.test\n", "only 1 entries"},
	    {"one.fraud.test\ntwo.fraud.test\nthree.fraud.test\n", "shrank from 7 to 3"},
	    {"<!DOCTYPE html>\n<html><body>Not found</body></html>\n", "HTML"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("a.txt", bad[i].text);
		CHECK_INT(cycle(&cfg, &s, true), FZ_UPDATE_FELL_BACK);
		EXPECT_FEED(&s, "a", FZ_FEED_FAILED, bad[i].reason);
		CHECK(!s.published);
		CHECK(s.list_exists);
		CHECK_INT(s.generation, 2);
		fz_update_summary_free(&s);
		CHECK_INT(verdict("seven.fraud.test"), FZ_VERDICT_BLOCK);
	}
	unlink(p("a.txt"));
	CHECK_INT(cycle(&cfg, &s, true), FZ_UPDATE_FELL_BACK);
	EXPECT_FEED(&s, "a", FZ_FEED_FAILED, NULL);
	fz_update_summary_free(&s);
	struct fz_feed_state fs;
	CHECK_INT(fz_feedstate_load(p("state"), "a", &fs, NULL, 0), 0);
	CHECK_INT(fs.result, FZ_FEED_FAILED);
	CHECK(fs.failures >= 5);
	CHECK(fs.has_good);
	CHECK_INT(fs.entries, 7);

	/* a failed feed backs off; a good one waits for its interval */
	CHECK(fz_update_next_due(&cfg.feeds[0], &fs) <= fs.attempted_at + 3600);
	CHECK(fz_update_next_due(&cfg.feeds[0], &fs) > fs.attempted_at);
	put("a.txt", a_v2);
	CHECK_INT(cycle(&cfg, &s, false), FZ_UPDATE_OK); /* nothing due yet */
	CHECK_INT(s.skipped, 2);
	CHECK(!s.published);
	fz_update_summary_free(&s);

	/* corrupt state is recovered from: garbage meta, truncated raw copy */
	put("state/a.meta", "garbage\n\x01\x02");
	CHECK_INT(truncate(p("state/b.raw"), 5), 0);
	CHECK_INT(cycle(&cfg, &s, true), FZ_UPDATE_OK);
	EXPECT_FEED(&s, "a", FZ_FEED_FETCHED, NULL);
	EXPECT_FEED(&s, "b", FZ_FEED_FETCHED, NULL);
	CHECK(s.published);
	CHECK_INT(s.generation, 3);
	fz_update_summary_free(&s);
	CHECK_INT(verdict("hosts-one.fraud.test"), FZ_VERDICT_BLOCK);

	/* local lists: an allowlisted name resolves, the list is recompiled when they change */
	fz_feeds_cfg_free(&cfg);
	put("allow.txt", "two.fraud.test\n");
	put("a.txt", a_v2);
	{
		char text[4096], err[512];
		snprintf(
		    text, sizeof(text),
		    "[feeds]\noutput = %s/out.fzb\nstate_dir = %s/state\nallow = %s/allow.txt\n"
		    "[feed a]\nurl = file://%s/a.txt\nformat = domains\n",
		    dir, dir, dir, dir);
		CHECK_INT(fz_feeds_cfg_parse((const uint8_t *)text, strlen(text), "t.conf", &cfg,
					     err, sizeof(err)),
			  0);
	}
	CHECK_INT(cycle(&cfg, &s, false), FZ_UPDATE_OK);
	CHECK(s.published);
	fz_update_summary_free(&s);
	CHECK_INT(verdict("two.fraud.test"), FZ_VERDICT_ALLOW);
	CHECK_INT(verdict("one.fraud.test"), FZ_VERDICT_BLOCK);
	/* compile from the state alone gives the same verdicts */
	char err[512] = "";
	CHECK_INT(fz_update_compile(&cfg, &s, err, sizeof(err)), 0);
	CHECK(s.published);
	fz_update_summary_free(&s);
	CHECK_INT(verdict("two.fraud.test"), FZ_VERDICT_ALLOW);
	fz_feeds_cfg_free(&cfg);

	/* nothing good anywhere: no list */
	{
		char text[2048], e2[512];
		snprintf(text, sizeof(text),
			 "[feeds]\noutput = %s/none.fzb\nstate_dir = %s/state2\nretries = 0\n"
			 "[feed gone]\nurl = file://%s/missing.txt\n",
			 dir, dir, dir);
		CHECK_INT(fz_feeds_cfg_parse((const uint8_t *)text, strlen(text), "t.conf", &cfg,
					     e2, sizeof(e2)),
			  0);
	}
	CHECK_INT(cycle(&cfg, &s, true), FZ_UPDATE_NO_LIST);
	CHECK(!s.list_exists);
	EXPECT_FEED(&s, "gone", FZ_FEED_FAILED, NULL);
	fz_update_summary_free(&s);
	fz_feeds_cfg_free(&cfg);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return fz_test_done();
}
