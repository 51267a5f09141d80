/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fangzha feeds list|status: what the config says and what fangzha-feed
 * last did with each feed; and `fangzha compile --config`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fz_cli.h"
#include "fz_feedcfg.h"
#include "fz_feedstate.h"
#include "fz_update.h"

#define CMD	       "feeds"
#define DEFAULT_CONFIG "/etc/fangzha/fangzha.conf"

static const char feeds_help[] =
    "Usage: fangzha feeds list [--config FILE]\n"
    "       fangzha feeds status [--config FILE] [--json]\n"
    "\n"
    "list    the feeds of the config file: name, enabled, format, category, interval, URL\n"
    "status  per feed: the last attempt and its result, the age and size of the last\n"
    "        good copy (what fangzha-feed keeps in state_dir)\n"
    "\n"
    "  -c, --config FILE  the config file (default " DEFAULT_CONFIG ")\n"
    "      --json         one JSON object per feed and line\n"
    "  -h, --help         show this help\n";

static int load_cfg(const char *path, struct fz_feeds_cfg *cfg)
{
	char err[512];
	if (fz_feeds_cfg_load(path, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fangzha %s: %s\n", CMD, err);
		return -1;
	}
	return 0;
}

static void put_interval(uint64_t s)
{
	if (s % 86400 == 0)
		printf("%llud", (unsigned long long)(s / 86400));
	else if (s % 3600 == 0)
		printf("%lluh", (unsigned long long)(s / 3600));
	else if (s % 60 == 0)
		printf("%llum", (unsigned long long)(s / 60));
	else
		printf("%llus", (unsigned long long)s);
}

static int feeds_list(const struct fz_feeds_cfg *cfg)
{
	printf("%-24s %-7s %-8s %-9s %-8s %s\n", "name", "enabled", "format", "category",
	       "interval", "url");
	for (size_t i = 0; i < cfg->n_feeds; i++) {
		const struct fz_feed_cfg *f = &cfg->feeds[i];
		printf("%-24s %-7s %-8s %-9s ", f->name, f->enabled ? "yes" : "no",
		       fz_format_name(f->format), fz_category_name(f->category));
		put_interval(f->interval);
		printf("%*s", 1, "");
		fz_cli_put_text(stdout, f->url, strlen(f->url));
		putchar('\n');
	}
	printf("output %s, state %s\n", cfg->output, cfg->state_dir);
	return FZ_EXIT_OK;
}

static void put_age(int64_t now, int64_t t)
{
	if (!t) {
		fputs("-", stdout);
		return;
	}
	int64_t a = now - t;
	if (a < 0)
		a = 0;
	if (a < 120)
		printf("%llds", (long long)a);
	else if (a < 7200)
		printf("%lldm", (long long)(a / 60));
	else if (a < 172800)
		printf("%lldh", (long long)(a / 3600));
	else
		printf("%lldd", (long long)(a / 86400));
}

static int feeds_status(const struct fz_feeds_cfg *cfg, bool json)
{
	int64_t now = (int64_t)time(NULL);
	if (!json)
		printf("%-24s %-12s %-8s %-9s %-10s %-8s %s\n", "name", "result", "attempt",
		       "good age", "entries", "fails", "error");
	for (size_t i = 0; i < cfg->n_feeds; i++) {
		const struct fz_feed_cfg *f = &cfg->feeds[i];
		struct fz_feed_state st;
		char err[256] = "";
		int rc = fz_feedstate_load(cfg->state_dir, f->name, &st, err, sizeof(err));
		if (rc < 0) {
			memset(&st, 0, sizeof(st));
			if (rc != -ENOENT)
				snprintf(st.error, sizeof(st.error), "%s", err);
		}
		if (json) {
			fputs("{\"name\":", stdout);
			fz_cli_put_json_str(stdout, f->name);
			fputs(",\"url\":", stdout);
			fz_cli_put_json_str(stdout, f->url);
			printf(",\"enabled\":%s,\"result\":\"%s\",\"error\":",
			       f->enabled ? "true" : "false", fz_feed_result_name(st.result));
			fz_cli_put_json_str(stdout, st.error);
			printf(",\"has_good\":%s,\"entries\":%llu,\"size\":%llu,\"failures\":%u",
			       st.has_good ? "true" : "false", (unsigned long long)st.entries,
			       (unsigned long long)st.size, st.failures);
			printf(",\"attempted_at\":%lld,\"fetched_at\":%lld",
			       (long long)st.attempted_at, (long long)st.fetched_at);
			if (st.has_good && st.fetched_at)
				printf(",\"age\":%lld", (long long)(now - st.fetched_at));
			else
				fputs(",\"age\":null", stdout);
			printf(",\"next_due\":%lld}\n", (long long)fz_update_next_due(f, &st));
			continue;
		}
		printf("%-24s %-12s ", f->name,
		       f->enabled ? fz_feed_result_name(st.result) : "disabled");
		put_age(now, st.attempted_at);
		fputs("\t ", stdout);
		put_age(now, st.has_good ? st.fetched_at : 0);
		printf("\t    %-10llu %-8u ", (unsigned long long)st.entries, st.failures);
		fz_cli_put_text(stdout, st.error, strlen(st.error));
		putchar('\n');
	}
	return FZ_EXIT_OK;
}

int fz_cmd_feeds(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = DEFAULT_CONFIG;
	bool json = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(feeds_help, stdout);
			return FZ_EXIT_OK;
		default:
			return fz_cli_bad_option(CMD, c, argv);
		}
	}
	if (optind >= argc)
		return fz_cli_usage_error(CMD, "expected 'list' or 'status'");
	const char *what = argv[optind++];
	if (optind < argc)
		return fz_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	bool list = strcmp(what, "list") == 0;
	if (!list && strcmp(what, "status") != 0)
		return fz_cli_usage_error(CMD, "unknown subcommand '%s'", what);
	if (list && json)
		return fz_cli_usage_error(CMD, "--json goes with 'status'");
	struct fz_feeds_cfg cfg;
	if (load_cfg(config, &cfg) < 0)
		return FZ_EXIT_FAIL;
	int ret = list ? feeds_list(&cfg) : feeds_status(&cfg, json);
	fz_feeds_cfg_free(&cfg);
	return ret;
}

int fz_cmd_compile_config(const char *config, const char *output)
{
	struct fz_feeds_cfg cfg;
	if (load_cfg(config, &cfg) < 0)
		return FZ_EXIT_FAIL;
	if (output) {
		char *o = strdup(output);
		if (!o) {
			fz_feeds_cfg_free(&cfg);
			return FZ_EXIT_FAIL;
		}
		free(cfg.output);
		cfg.output = o;
	}
	struct fz_update_summary sum;
	char err[512] = "";
	double t0 = fz_cli_now();
	int rc = fz_update_compile(&cfg, &sum, err, sizeof(err));
	int ret = FZ_EXIT_OK;
	if (rc < 0) {
		fprintf(stderr, "fangzha compile: %s (nothing written)\n", err);
		ret = FZ_EXIT_FAIL;
	} else {
		for (size_t i = 0; i < sum.n_feeds; i++)
			printf("feed %s: %s, %llu entries\n", sum.feeds[i].name,
			       sum.feeds[i].have_good ? "last good copy" : "no good copy",
			       (unsigned long long)sum.feeds[i].entries);
		printf("wrote %s generation=%llu names=%llu urls=%llu ips=%llu time=%.3fs\n",
		       cfg.output, (unsigned long long)sum.generation,
		       (unsigned long long)sum.names, (unsigned long long)sum.urls,
		       (unsigned long long)sum.ips, fz_cli_now() - t0);
	}
	fz_update_summary_free(&sum);
	fz_feeds_cfg_free(&cfg);
	return ret;
}
