/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fangzha check: look names, URLs and addresses up in a blocklist file and
 * say which rule decided, in which category, listed by which feeds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_blocklist.h"
#include "fz_cli.h"
#include "fz_name.h"
#include "fz_url.h"

#define CMD "check"
/* Longest line read from standard input; longer lines are reported, not checked. */
#define LINE_MAX_LEN 8192

static const char check_help[] =
    "Usage: fangzha check -b FILE [--json] NAME-OR-URL-OR-ADDRESS...\n"
    "       fangzha check -b FILE [--json] --stdin\n"
    "\n"
    "Look each input up in the blocklist FILE and print one line per input:\n"
    "  block|allow|none  INPUT  [name=NORMALIZED] [rule=RULE category=C feeds=F,...]\n"
    "An input is a domain name (any case, U-labels or A-labels); a URL, that is\n"
    "anything with a '/' or a port (http://host/path, host/path, host:port:\n"
    "URL rules, the host's name rules and, for an address host, address rules;\n"
    "any block wins); or an IPv4/IPv6 address (IPv6 with or without brackets).\n"
    "\n"
    "Options:\n"
    "  -b, --blocklist FILE   the blocklist file (required)\n"
    "  -j, --json             one JSON object per line instead\n"
    "      --stdin            also read inputs from standard input, one per line\n"
    "                         (blank lines and lines starting with '#' are ignored)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 every input was looked up (whatever the verdicts); 1 FILE\n"
    "cannot be opened or is corrupt; 2 usage error.\n";

enum { OPT_STDIN = 256 };

static const struct option check_options[] = {
    {"blocklist", required_argument, NULL, 'b'},
    {"json", no_argument, NULL, 'j'},
    {"stdin", no_argument, NULL, OPT_STDIN},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct check_args {
	const char *blocklist;
	bool json;
	bool use_stdin;
};

/* One lookup's outcome. */
struct check_result {
	const char *kind;	/* "name", "url", "ip" */
	char name[FZ_NAME_BUF]; /* normalized name or URL host; "" when none */
	enum fz_verdict verdict;
	struct fz_match_info info; /* valid when verdict != NONE */
	const char *error;	   /* static sentence, or NULL */
};

static const char *verdict_name(enum fz_verdict v)
{
	switch (v) {
	case FZ_VERDICT_BLOCK:
		return "block";
	case FZ_VERDICT_ALLOW:
		return "allow";
	default:
		return "none";
	}
}

static const char *rule_kind_name(enum fz_rule_kind k)
{
	switch (k) {
	case FZ_RULE_URL:
		return "url";
	case FZ_RULE_IP:
		return "ip";
	default:
		return "name";
	}
}

/* Parse an address literal (IPv4 in any form inet_aton takes, IPv6 with or without brackets). */
static int parse_address(const char *s, size_t len, int *ret_family, uint8_t addr[16])
{
	char buf[INET6_ADDRSTRLEN + 16];
	struct in_addr a4;
	char *pct;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (memchr(buf, ':', len)) {
		pct = strchr(buf, '%'); /* a zone says nothing about the address */
		if (pct)
			*pct = '\0';
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return -EINVAL;
		*ret_family = AF_INET6;
		return 0;
	}
	if (len > 1 && buf[len - 1] == '.')
		buf[len - 1] = '\0';
	if (inet_aton(buf, &a4) == 0)
		return -EINVAL;
	memset(addr, 0, 16);
	memcpy(addr, &a4, 4);
	*ret_family = AF_INET;
	return 0;
}

static void check_address(const struct fz_blmap *m, const char *s, size_t len,
			  struct check_result *res)
{
	uint8_t addr[16];
	int family;

	if (parse_address(s, len, &family, addr) < 0) {
		res->error = "not an IP address this tool can read";
		return;
	}
	res->verdict = fz_blmap_lookup_ip(m, family, addr, &res->info);
}

static void check_name(const struct fz_blmap *m, const char *s, size_t len,
		       struct check_result *res)
{
	size_t nlen;
	int st = fz_name_normalize(s, len, 0, res->name, &nlen, NULL);

	if (st != FZ_NAME_OK) {
		res->name[0] = '\0';
		res->error = fz_name_strerror(st);
		return;
	}
	res->verdict = fz_blmap_lookup(m, res->name, nlen, &res->info);
}

/*
 * URL rules hold paths as a browser sends them: bytes >= 0x80 percent-encoded
 * (as the URL parsers store them). Encode a path typed with raw UTF-8 the
 * same way before the lookup.
 */
static enum fz_verdict lookup_url_encoded(const struct fz_blmap *m, const char *host,
					  size_t host_len, const char *path, size_t path_len,
					  struct fz_match_info *info)
{
	static const char hex[] = "0123456789ABCDEF";
	enum fz_verdict v;
	size_t i, n = 0;
	char *buf;

	for (i = 0; i < path_len && (unsigned char)path[i] < 0x80; i++)
		;
	if (i == path_len)
		return fz_blmap_lookup_url(m, host, host_len, path, path_len, info);
	buf = malloc(3 * path_len);
	if (!buf)
		return fz_blmap_lookup_url(m, host, host_len, path, path_len, info);
	for (i = 0; i < path_len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c < 0x80) {
			buf[n++] = (char)c;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	v = fz_blmap_lookup_url(m, host, host_len, buf, n, info);
	free(buf);
	return v;
}

/* URL: a blocking rule of any kind wins; then an allowing one; URL rules before name rules. */
static void check_url(const struct fz_blmap *m, const char *s, size_t len, struct check_result *res)
{
	struct fz_match_info by_url, by_name;
	enum fz_verdict v_url, v_name;
	struct fz_url u;
	size_t nlen;
	int st;

	st = fz_url_split(s, len, &u);
	if (st != FZ_URL_OK) {
		res->error = fz_url_strerror(st);
		return;
	}
	if (fz_name_is_ip_literal(u.host, u.host_len)) {
		check_address(m, u.host, u.host_len, res);
		return;
	}
	st = fz_name_normalize(u.host, u.host_len, 0, res->name, &nlen, NULL);
	if (st != FZ_NAME_OK) {
		res->name[0] = '\0';
		res->error = fz_name_strerror(st);
		return;
	}
	v_url = lookup_url_encoded(m, res->name, nlen, u.path, u.path_len, &by_url);
	v_name = fz_blmap_lookup(m, res->name, nlen, &by_name);
	if (v_url == FZ_VERDICT_BLOCK ||
	    (v_url == FZ_VERDICT_ALLOW && v_name != FZ_VERDICT_BLOCK)) {
		res->verdict = v_url;
		res->info = by_url;
	} else if (v_name != FZ_VERDICT_NONE) {
		res->verdict = v_name;
		res->info = by_name;
	}
}

enum input_kind { INPUT_NAME, INPUT_URL, INPUT_IP };

/*
 * What an input is: a URL when it has a path or scheme ("http://h/p",
 * "h/p") or a port ("h:8080", "192.0.2.1:80", "[2001:db8::1]:443"); an
 * address when it is one (bracketed IPv6 included); else a name.
 */
static enum input_kind classify(const char *s, size_t len)
{
	if (memchr(s, '/', len))
		return INPUT_URL;
	if (len >= 2 && s[0] == '[')
		return s[len - 1] == ']' ? INPUT_IP : INPUT_URL;
	if (fz_name_is_ip_literal(s, len))
		return INPUT_IP;
	return memchr(s, ':', len) ? INPUT_URL : INPUT_NAME;
}

static void check_one(const struct fz_blmap *m, const char *s, size_t len, struct check_result *res)
{
	memset(res, 0, sizeof(*res));
	res->verdict = FZ_VERDICT_NONE;
	switch (classify(s, len)) {
	case INPUT_URL:
		res->kind = "url";
		check_url(m, s, len, res);
		break;
	case INPUT_IP:
		res->kind = "ip";
		check_address(m, s, len, res);
		break;
	default:
		res->kind = "name";
		check_name(m, s, len, res);
		break;
	}
	if (res->verdict != FZ_VERDICT_BLOCK && res->verdict != FZ_VERDICT_ALLOW)
		res->verdict = FZ_VERDICT_NONE;
}

static const char *feed_name(const struct fz_blmap *m, unsigned id, char *buf, size_t len)
{
	struct fz_bl_feed_info fi;

	if (fz_blmap_feed(m, id, &fi) == 0 && fi.name)
		return fi.name;
	snprintf(buf, len, "#%u", id);
	return buf;
}

static unsigned feeds_listed(const struct fz_match_info *mi)
{
	return mi->n_feeds < FZ_BL_MAX_FEEDS_REPORTED ? mi->n_feeds : FZ_BL_MAX_FEEDS_REPORTED;
}

static void print_plain(const struct fz_blmap *m, const char *in, size_t len,
			const struct check_result *res)
{
	const struct fz_match_info *mi = &res->info;
	char idbuf[16];

	printf("%-5s  ", verdict_name(res->verdict));
	fz_cli_put_text(stdout, in, len);
	if (res->name[0] && (strlen(res->name) != len || memcmp(res->name, in, len) != 0))
		printf("  name=%s", res->name);
	if (res->verdict != FZ_VERDICT_NONE) {
		fputs("  rule=", stdout);
		fz_cli_put_text(stdout, mi->rule ? mi->rule : "", mi->rule ? mi->rule_len : 0);
		printf(" category=%s feeds=", fz_category_name(mi->category));
		for (unsigned i = 0; i < feeds_listed(mi); i++) {
			const char *f = feed_name(m, mi->feeds[i], idbuf, sizeof(idbuf));

			if (i)
				putchar(',');
			fz_cli_put_text(stdout, f, strlen(f));
		}
		if (mi->n_feeds > feeds_listed(mi))
			printf(",+%u more", mi->n_feeds - feeds_listed(mi));
	}
	if (res->error)
		printf("  error: %s", res->error);
	putchar('\n');
}

static void print_json_local(const struct fz_match_info *mi)
{
	char buf[INET6_ADDRSTRLEN];

	fputs(",\"local\":[", stdout);
	for (unsigned i = 0; mi->local && i < mi->n_local; i++) {
		const uint8_t *a = mi->local + 17 * (size_t)i;
		int family = a[0] == 6 ? AF_INET6 : AF_INET;

		if (i)
			putchar(',');
		if (inet_ntop(family, a + 1, buf, sizeof(buf)))
			fz_cli_put_json_str(stdout, buf);
		else
			fputs("null", stdout);
	}
	putchar(']');
}

static void print_json(const struct fz_blmap *m, const char *in, size_t len,
		       const struct check_result *res)
{
	const struct fz_match_info *mi = &res->info;
	bool hit = res->verdict != FZ_VERDICT_NONE;
	char idbuf[16];

	fputs("{\"input\":", stdout);
	fz_cli_put_json(stdout, in, len);
	printf(",\"kind\":\"%s\",\"name\":", res->kind);
	fz_cli_put_json_str(stdout, res->name[0] ? res->name : NULL);
	printf(",\"verdict\":\"%s\",\"rule\":", verdict_name(res->verdict));
	if (hit && mi->rule)
		fz_cli_put_json(stdout, mi->rule, mi->rule_len);
	else
		fputs("null", stdout);
	fputs(",\"rule_kind\":", stdout);
	fz_cli_put_json_str(stdout, hit ? rule_kind_name(mi->kind) : NULL);
	fputs(",\"match\":", stdout);
	fz_cli_put_json_str(stdout,
			    hit && mi->kind == FZ_RULE_NAME ? fz_match_name(mi->match) : NULL);
	fputs(",\"policy\":", stdout);
	fz_cli_put_json_str(stdout,
			    hit && mi->kind == FZ_RULE_NAME ? fz_policy_name(mi->policy) : NULL);
	fputs(",\"category\":", stdout);
	fz_cli_put_json_str(stdout, hit ? fz_category_name(mi->category) : NULL);
	fputs(",\"feeds\":[", stdout);
	for (unsigned i = 0; hit && i < feeds_listed(mi); i++) {
		if (i)
			putchar(',');
		fz_cli_put_json_str(stdout, feed_name(m, mi->feeds[i], idbuf, sizeof(idbuf)));
	}
	printf("],\"n_feeds\":%u", hit ? mi->n_feeds : 0);
	if (hit && mi->kind == FZ_RULE_NAME && mi->policy == FZ_POLICY_LOCAL)
		print_json_local(mi);
	if (res->error) {
		fputs(",\"error\":", stdout);
		fz_cli_put_json_str(stdout, res->error);
	}
	fputs("}\n", stdout);
}

static void check_and_print(const struct fz_blmap *m, const struct check_args *a, const char *in,
			    size_t len)
{
	struct check_result res;

	check_one(m, in, len, &res);
	if (a->json)
		print_json(m, in, len, &res);
	else
		print_plain(m, in, len, &res);
}

/*
 * Read one line of at most `cap` bytes (the rest of a longer line is
 * dropped and *too_long set). Returns false at the end of input.
 */
static bool read_line(FILE *f, char *buf, size_t cap, size_t *ret_len, bool *too_long)
{
	size_t n = 0;
	int c;

	*too_long = false;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (n < cap)
			buf[n++] = (char)c;
		else
			*too_long = true;
	}
	*ret_len = n;
	return c != EOF || n > 0 || *too_long;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **s, size_t *len)
{
	while (*len && is_blank((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_blank((*s)[*len - 1]))
		(*len)--;
}

static void check_stdin(const struct fz_blmap *m, const struct check_args *a)
{
	char *buf = malloc(LINE_MAX_LEN);
	size_t len;
	bool too_long;

	if (!buf) {
		fprintf(stderr, "fangzha check: out of memory\n");
		return;
	}
	while (read_line(stdin, buf, LINE_MAX_LEN, &len, &too_long)) {
		const char *s = buf;

		trim(&s, &len);
		if (len == 0 || s[0] == '#')
			continue;
		if (too_long) {
			struct check_result res = {.kind = "name", .error = "input too long"};

			if (a->json)
				print_json(m, s, len, &res);
			else
				print_plain(m, s, len, &res);
			continue;
		}
		check_and_print(m, a, s, len);
	}
	free(buf);
}

int fz_cmd_check(int argc, char **argv)
{
	struct check_args a = {0};
	struct fz_blocklist *bl = NULL;
	const struct fz_blmap *m;
	char err[512] = "";
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":b:jh", check_options, NULL)) != -1) {
		switch (c) {
		case 'b':
			a.blocklist = optarg;
			break;
		case 'j':
			a.json = true;
			break;
		case OPT_STDIN:
			a.use_stdin = true;
			break;
		case 'h':
			fputs(check_help, stdout);
			return FZ_EXIT_OK;
		default:
			return fz_cli_bad_option(CMD, c, argv);
		}
	}
	if (!a.blocklist)
		return fz_cli_usage_error(CMD, "no blocklist file (-b FILE)");
	if (optind == argc && !a.use_stdin)
		return fz_cli_usage_error(CMD, "nothing to check (give names, URLs or --stdin)");

	r = fz_blocklist_open(a.blocklist, &bl, err, sizeof(err));
	if (r < 0) {
		fz_cli_print_lib_error(CMD, a.blocklist, err, r);
		return FZ_EXIT_FAIL;
	}
	m = fz_blocklist_current(bl);
	for (int i = optind; i < argc; i++)
		check_and_print(m, &a, argv[i], strlen(argv[i]));
	if (a.use_stdin)
		check_stdin(m, &a);
	fz_blocklist_close(bl);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "fangzha check: cannot write the results: %s\n", strerror(errno));
		return FZ_EXIT_FAIL;
	}
	return FZ_EXIT_OK;
}
