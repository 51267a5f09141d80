/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fangzha info: what a blocklist file holds, after a full validation. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "fz_blocklist.h"
#include "fz_cli.h"

#define CMD "info"

static const char info_help[] =
    "Usage: fangzha info -b FILE [--json]\n"
    "\n"
    "Open and validate the blocklist FILE (size, bounds, checksums) and describe\n"
    "it: version, generation, build time, size, rule counts per section, index\n"
    "size, and the feeds it was built from.\n"
    "\n"
    "Options:\n"
    "  -b, --blocklist FILE   the blocklist file (required)\n"
    "  -j, --json             one JSON object instead of text\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 FILE is valid; 1 FILE cannot be opened or is corrupt (the\n"
    "reason is printed); 2 usage error.\n";

static const struct option info_options[] = {
    {"blocklist", required_argument, NULL, 'b'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static double per_name(uint64_t bytes, uint64_t names)
{
	return names ? (double)bytes / (double)names : 0.0;
}

static void print_row(const char *key, unsigned long long v)
{
	printf("%-16s %llu\n", key, v);
}

static void info_plain(const char *path, const struct fz_blmap *m, const struct fz_bl_info *bi)
{
	char when[64];

	fz_cli_format_time(bi->created, when, sizeof(when));
	printf("%-16s ", "file");
	fz_cli_put_text(stdout, path, strlen(path));
	putchar('\n');
	printf("%-16s %u.%u\n", "version", bi->version_major, bi->version_minor);
	print_row("generation", bi->generation);
	printf("%-16s %s (%llu)\n", "created", when, (unsigned long long)bi->created);
	printf("%-16s %llu bytes\n", "size", (unsigned long long)bi->file_size);
	printf("%-16s ok\n", "checksum");
	print_row("names", bi->n_names);
	print_row("allow names", bi->n_allow_names);
	print_row("urls", bi->n_urls);
	print_row("url hosts", bi->n_url_hosts);
	print_row("ip4", bi->n_ip4);
	print_row("ip6", bi->n_ip6);
	print_row("feeds", bi->n_feeds);
	printf("%-16s %llu bytes, %.1f bytes/name, %llu buckets of 8 slots\n", "index",
	       (unsigned long long)bi->index_bytes, per_name(bi->index_bytes, bi->n_names),
	       (unsigned long long)bi->buckets);
	printf("%-16s %.1f bytes/name\n", "file per name", per_name(bi->file_size, bi->n_names));

	printf("\n%4s  %-24s %-9s %10s  %-5s  %s\n", "id", "feed", "category", "entries", "local",
	       "source");
	for (unsigned i = 0; i < bi->n_feeds; i++) {
		struct fz_bl_feed_info fi;
		const char *name;
		size_t nlen;

		if (fz_blmap_feed(m, i, &fi) < 0)
			break;
		name = fi.name ? fi.name : "";
		nlen = strlen(name);
		printf("%4u  ", i);
		fz_cli_put_text(stdout, name, nlen);
		printf("%*s %-9s %10llu  %-5s  ", nlen < 24 ? (int)(24 - nlen) : 0, "",
		       fz_category_name(fi.category), (unsigned long long)fi.entries,
		       fi.local ? "yes" : "no");
		fz_cli_put_text(stdout, fi.source ? fi.source : "",
				fi.source ? strlen(fi.source) : 0);
		putchar('\n');
	}
}

static void info_json(const char *path, const struct fz_blmap *m, const struct fz_bl_info *bi)
{
	char when[64];

	fz_cli_format_time(bi->created, when, sizeof(when));
	fputs("{\"file\":", stdout);
	fz_cli_put_json_str(stdout, path);
	printf(",\"version\":\"%u.%u\",\"generation\":%llu,\"created\":%llu,\"created_utc\":\"%s\","
	       "\"file_size\":%llu,\"checksum\":\"ok\"",
	       bi->version_major, bi->version_minor, (unsigned long long)bi->generation,
	       (unsigned long long)bi->created, when, (unsigned long long)bi->file_size);
	printf(",\"names\":%llu,\"allow_names\":%llu,\"urls\":%llu,\"url_hosts\":%llu,"
	       "\"ip4\":%llu,\"ip6\":%llu,\"n_feeds\":%llu",
	       (unsigned long long)bi->n_names, (unsigned long long)bi->n_allow_names,
	       (unsigned long long)bi->n_urls, (unsigned long long)bi->n_url_hosts,
	       (unsigned long long)bi->n_ip4, (unsigned long long)bi->n_ip6,
	       (unsigned long long)bi->n_feeds);
	printf(",\"index_bytes\":%llu,\"index_bytes_per_name\":%.2f,\"buckets\":%llu",
	       (unsigned long long)bi->index_bytes, per_name(bi->index_bytes, bi->n_names),
	       (unsigned long long)bi->buckets);
	fputs(",\"feeds\":[", stdout);
	for (unsigned i = 0; i < bi->n_feeds; i++) {
		struct fz_bl_feed_info fi;

		if (fz_blmap_feed(m, i, &fi) < 0)
			break;
		printf("%s{\"id\":%u,\"name\":", i ? "," : "", i);
		fz_cli_put_json_str(stdout, fi.name);
		printf(",\"category\":\"%s\",\"source\":", fz_category_name(fi.category));
		fz_cli_put_json_str(stdout, fi.source);
		printf(",\"entries\":%llu,\"local\":%s}", (unsigned long long)fi.entries,
		       fi.local ? "true" : "false");
	}
	fputs("]}\n", stdout);
}

int fz_cmd_info(int argc, char **argv)
{
	const char *path = NULL;
	struct fz_blocklist *bl = NULL;
	struct fz_bl_info bi;
	const struct fz_blmap *m;
	bool json = false;
	char err[512] = "";
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":b:jh", info_options, NULL)) != -1) {
		switch (c) {
		case 'b':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(info_help, stdout);
			return FZ_EXIT_OK;
		default:
			return fz_cli_bad_option(CMD, c, argv);
		}
	}
	if (!path)
		return fz_cli_usage_error(CMD, "no blocklist file (-b FILE)");
	if (optind < argc)
		return fz_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);

	r = fz_blocklist_open(path, &bl, err, sizeof(err));
	if (r < 0) {
		fz_cli_print_lib_error(CMD, path, err, r);
		return FZ_EXIT_FAIL;
	}
	m = fz_blocklist_current(bl);
	memset(&bi, 0, sizeof(bi));
	fz_blmap_info(m, &bi);
	if (json)
		info_json(path, m, &bi);
	else
		info_plain(path, m, &bi);
	fz_blocklist_close(bl);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "fangzha info: cannot write: %s\n", strerror(errno));
		return FZ_EXIT_FAIL;
	}
	return FZ_EXIT_OK;
}
