/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test driver for tests/integration/test_axfr.sh:
 *
 *   axfr_client fetch URL [MAX_SIZE]  transfer; print the zone text
 *   axfr_client rules URL             transfer, parse as RPZ, print the rules
 *   axfr_client rules-file PATH       parse a zone file as RPZ, print the rules
 *
 * Rules are printed one per line, sorted, in a form that does not depend
 * on line numbers ("block exact nxdomain evil.example", "allow ip
 * 192.0.2.0/24", "block exact local sink.example 192.0.2.1 2001:db8::53"),
 * followed by "rejected N" and "skipped N", so a transferred zone can be
 * compared with the file it was served from. On failure: "error: ERRNO:
 * MESSAGE" on stdout and exit status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_axfr.h"
#include "fz_parse.h"

static int fetch(const char *url, uint64_t max, uint8_t **text, size_t *len)
{
	struct fz_axfr_url u;
	char err[512];
	int r = fz_axfr_url_parse(url, &u);

	if (r < 0) {
		printf("error: %s: bad URL %s\n", strerrorname_np(-r), url);
		return r;
	}
	r = fz_axfr_fetch(&u, 10, max, text, len, err, sizeof(err));
	if (r < 0)
		printf("error: %s: %s\n", strerrorname_np(-r), err);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *policy_name(unsigned p)
{
	static const char *const n[] = {"default", "nxdomain", "nodata", "local"};
	return p < 4 ? n[p] : "?";
}

static int print_rules(const uint8_t *text, size_t len)
{
	struct fz_parse_opts o = {.format = FZ_FORMAT_RPZ};
	struct fz_parse_result res;
	char **lines;

	if (fz_parse(text, len, &o, &res) < 0) {
		printf("error: ENOMEM: parse\n");
		return 1;
	}
	lines = calloc(res.n_entries ? res.n_entries : 1, sizeof(*lines));
	if (!lines)
		return 1;
	for (size_t i = 0; i < res.n_entries; i++) {
		const struct fz_entry *e = &res.entries[i];
		const char *act = e->action == FZ_ACTION_ALLOW ? "allow" : "block";
		char buf[1024], a[INET6_ADDRSTRLEN];
		size_t n;

		if (e->kind == FZ_RULE_IP) {
			inet_ntop(e->family, e->addr, a, sizeof(a));
			snprintf(buf, sizeof(buf), "%s ip %s/%u", act, a, e->prefix);
		} else {
			n = (size_t)snprintf(buf, sizeof(buf), "%s %s %s %s", act,
					     e->match == FZ_MATCH_SUBTREE ? "subtree" : "exact",
					     policy_name(e->policy),
					     fz_parse_str(&res, e->name_off));
			if (e->policy == FZ_POLICY_LOCAL) {
				const struct fz_local_addr *la =
				    (const void *)fz_parse_str(&res, e->local_off);

				for (unsigned k = 0; k < e->naddr && n < sizeof(buf) - 64; k++) {
					inet_ntop(la[k].family, la[k].addr, a, sizeof(a));
					n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s", a);
				}
			}
		}
		lines[i] = strdup(buf);
		if (!lines[i])
			return 1;
	}
	qsort(lines, res.n_entries, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < res.n_entries; i++) {
		puts(lines[i]);
		free(lines[i]);
	}
	printf("rejected %zu\nskipped %zu\n", res.rejected, res.skipped);
	free(lines);
	fz_parse_result_free(&res);
	return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			uint8_t *b = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: axfr_client fetch|rules|rules-file URL|PATH [MAX_SIZE]\n");
		return 2;
	}
	if (strcmp(argv[1], "rules-file") == 0) {
		text = read_file(argv[2], &len);
		if (!text) {
			printf("error: %s: %s\n", strerrorname_np(errno), argv[2]);
			return 1;
		}
	} else if (fetch(argv[2], argc > 3 ? strtoull(argv[3], NULL, 10) : 0, &text, &len) < 0) {
		return 1;
	}
	if (strcmp(argv[1], "fetch") == 0) {
		fwrite(text, 1, len, stdout);
		rc = 0;
	} else {
		rc = print_rules(text, len);
	}
	free(text);
	return rc;
}
