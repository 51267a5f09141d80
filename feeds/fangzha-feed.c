/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fangzha-feed: fetch, vet and publish the fraud feeds.
 *
 *   fangzha-feed update [--config FILE] [--force] [--feed NAME]
 *   fangzha-feed --daemon [--config FILE]
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "fz_config.h"
#include "fz_feedcfg.h"
#include "fz_update.h"

#define DEFAULT_CONFIG "/etc/fangzha/fangzha.conf"
#define MIN_SLEEP      1
#define MAX_SLEEP      300

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: fangzha-feed update [--config FILE] [--force] [--feed NAME] [--quiet]\n"
		"       fangzha-feed --daemon [--config FILE]\n"
		"\n"
		"Fetch the feeds of the config file, vet every download, keep each feed's\n"
		"last good copy, and compile and publish the blocklist when something changed.\n"
		"\n"
		"  -c, --config FILE  the config file (default " DEFAULT_CONFIG ")\n"
		"  -f, --force        fetch every enabled feed now, whatever its interval\n"
		"      --feed NAME    fetch only this feed (now)\n"
		"  -q, --quiet        print only failures and the summary line\n"
		"  -d, --daemon       keep running: fetch each feed by its interval;\n"
		"                     SIGHUP re-reads the config, SIGTERM stops\n"
		"  -h, --help         this text\n"
		"  -V, --version      the version\n"
		"\n"
		"Exit status of update: 0 every feed fetched or not modified; 2 some feed\n"
		"failed and its last good copy was used; 1 no usable list exists.\n");
}

static void stamp(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_summary(const struct fz_update_summary *s, bool quiet, bool daemon)
{
	char ts[32] = "";
	if (daemon)
		stamp(ts, sizeof(ts));
	const char *sep = daemon ? " " : "";
	for (size_t i = 0; i < s->n_feeds; i++) {
		const struct fz_update_feed *f = &s->feeds[i];
		switch (f->result) {
		case FZ_FEED_FETCHED:
		case FZ_FEED_NOT_MODIFIED:
			if (quiet)
				break;
			printf("%s%sfeed %s: %s, %llu entries, %llu bytes, %.2f s%s%s\n", ts, sep,
			       f->name, fz_feed_result_name(f->result),
			       (unsigned long long)f->entries, (unsigned long long)f->bytes,
			       f->seconds, f->reason[0] ? "; note: " : "", f->reason);
			break;
		case FZ_FEED_FAILED:
			printf("%s%sfeed %s: failed: %s; %s\n", ts, sep, f->name, f->reason,
			       f->have_good ? "kept its last good copy" : "no good copy yet");
			break;
		default:
			if (quiet)
				break;
			if (f->disabled)
				printf("%s%sfeed %s: disabled\n", ts, sep, f->name);
			else
				printf("%s%sfeed %s: not due%s%s\n", ts, sep, f->name,
				       f->reason[0] ? "; note: " : "", f->reason);
		}
	}
	if (s->error[0])
		printf("%s%serror: %s\n", ts, sep, s->error);
	if (s->published)
		printf("%s%spublished generation %llu", ts, sep, (unsigned long long)s->generation);
	else if (s->list_exists)
		printf("%s%sunchanged generation %llu", ts, sep, (unsigned long long)s->generation);
	else
		printf("%s%sno list", ts, sep);
	if (s->list_exists)
		printf(" (names=%llu urls=%llu ips=%llu)", (unsigned long long)s->names,
		       (unsigned long long)s->urls, (unsigned long long)s->ips);
	printf("; fetched=%zu not_modified=%zu failed=%zu not_due=%zu; %.3f s\n", s->fetched,
	       s->not_modified, s->failed, s->skipped, s->seconds);
	fflush(stdout);
}

static int load(const char *path, struct fz_feeds_cfg *cfg)
{
	char err[512];
	if (fz_feeds_cfg_load(path, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fangzha-feed: %s\n", err);
		return -1;
	}
	if (cfg->n_feeds == 0)
		fprintf(stderr, "fangzha-feed: %s: no [feed] sections: nothing to fetch\n", path);
	return 0;
}

static int run_update(const char *config, const struct fz_update_opts *o, bool quiet)
{
	struct fz_feeds_cfg cfg;
	if (load(config, &cfg) < 0)
		return FZ_UPDATE_NO_LIST;
	if (o->only) {
		bool known = false;
		for (size_t i = 0; i < cfg.n_feeds; i++)
			known |= strcmp(cfg.feeds[i].name, o->only) == 0;
		if (!known) {
			fprintf(stderr, "fangzha-feed: %s: no feed named '%s'\n", config, o->only);
			fz_feeds_cfg_free(&cfg);
			return FZ_UPDATE_NO_LIST;
		}
	}
	struct fz_update_summary s;
	int status = fz_update_run(&cfg, o, &s);
	print_summary(&s, quiet, false);
	fz_update_summary_free(&s);
	fz_feeds_cfg_free(&cfg);
	return status;
}

/* Seconds until the next feed is due (bounded), reading the states afresh. */
static unsigned next_sleep(const struct fz_feeds_cfg *cfg)
{
	int64_t now = (int64_t)time(NULL), next = now + MAX_SLEEP;
	for (size_t i = 0; i < cfg->n_feeds; i++) {
		const struct fz_feed_cfg *f = &cfg->feeds[i];
		if (!f->enabled)
			continue;
		struct fz_feed_state st;
		if (fz_feedstate_load(cfg->state_dir, f->name, &st, NULL, 0) < 0)
			memset(&st, 0, sizeof(st));
		int64_t due = fz_update_next_due(f, &st);
		if (due < next)
			next = due;
	}
	int64_t d = next - now;
	return (unsigned)(d < MIN_SLEEP ? MIN_SLEEP : d > MAX_SLEEP ? MAX_SLEEP : d);
}

static int run_daemon(const char *config)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return 1;
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("fangzha-feed: signalfd");
		return 1;
	}
	struct fz_feeds_cfg cfg;
	if (load(config, &cfg) < 0)
		return 1;
	printf("fangzha-feed: running with %s: %zu feeds, output %s\n", config, cfg.n_feeds,
	       cfg.output);
	fflush(stdout);
	for (;;) {
		struct fz_update_summary s;
		struct fz_update_opts o = {0};
		fz_update_run(&cfg, &o, &s);
		/* Quiet when nothing was due: a daemon should not chatter. */
		if (s.fetched || s.not_modified || s.failed || s.published || s.error[0])
			print_summary(&s, false, true);
		fz_update_summary_free(&s);

		struct pollfd p = {.fd = sfd, .events = POLLIN};
		int n = poll(&p, 1, (int)next_sleep(&cfg) * 1000);
		if (n <= 0)
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			struct fz_feeds_cfg fresh;
			if (load(config, &fresh) == 0) {
				fz_feeds_cfg_free(&cfg);
				cfg = fresh;
				printf("fangzha-feed: re-read %s: %zu feeds\n", config,
				       cfg.n_feeds);
			} else {
				printf("fangzha-feed: kept the running config\n");
			}
			fflush(stdout);
			continue;
		}
		printf("fangzha-feed: stopping\n");
		break;
	}
	fz_feeds_cfg_free(&cfg);
	close(sfd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"force", no_argument, NULL, 'f'},
	    {"feed", required_argument, NULL, 'F'},   {"quiet", no_argument, NULL, 'q'},
	    {"daemon", no_argument, NULL, 'd'},	      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {0},
	};
	const char *config = DEFAULT_CONFIG;
	struct fz_update_opts o = {0};
	bool daemon = false, quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:fqdhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case 'F':
			o.only = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'd':
			daemon = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("fangzha-feed %s\n", FZ_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'fangzha-feed --help'.\n");
			return 64;
		}
	}
	const char *cmd = optind < argc ? argv[optind++] : NULL;
	if (daemon) {
		if (cmd) {
			fprintf(stderr, "fangzha-feed: --daemon takes no command\n");
			return 64;
		}
		return run_daemon(config);
	}
	if (!cmd || strcmp(cmd, "update") != 0 || optind < argc) {
		fprintf(
		    stderr,
		    "fangzha-feed: expected 'update' or --daemon. Try 'fangzha-feed --help'.\n");
		return 64;
	}
	/* Options may also follow the command. */
	return run_update(config, &o, quiet);
}
