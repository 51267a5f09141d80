/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The adblock / AdGuard DNS parser, driven through fz_parse() with format "adblock". */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_parse.h"
#include "fz_test.h"

static int parse_as(const char *text, size_t len, enum fz_match match, struct fz_parse_result *r)
{
	struct fz_parse_opts o = {.format = FZ_FORMAT_ADBLOCK, .match = match};

	return fz_parse((const uint8_t *)text, len, &o, r);
}

static int parse(const char *text, struct fz_parse_result *r)
{
	return parse_as(text, strlen(text), FZ_MATCH_DEFAULT, r);
}

static const struct fz_problem *problem_at(const struct fz_parse_result *r, uint32_t line)
{
	for (size_t i = 0; i < r->n_problems; i++)
		if (r->problems[i].line == line)
			return &r->problems[i];
	return NULL;
}

static void check_counts(const struct fz_parse_result *r, size_t accepted, size_t dup,
			 size_t rejected, size_t skipped)
{
	CHECK_INT(r->accepted, accepted);
	CHECK_INT(r->n_entries, accepted);
	CHECK_INT(r->duplicates, dup);
	CHECK_INT(r->rejected, rejected);
	CHECK_INT(r->skipped, skipped);
	CHECK_INT(r->n_problems, rejected + skipped);
	CHECK_INT(r->format, FZ_FORMAT_ADBLOCK);
}

static void check_name(const struct fz_parse_result *r, size_t i, const char *name,
		       enum fz_action action, enum fz_match match, uint32_t line)
{
	if (i >= r->n_entries) {
		CHECK(i < r->n_entries);
		return;
	}
	const struct fz_entry *e = &r->entries[i];
	CHECK_INT(e->kind, FZ_RULE_NAME);
	CHECK_STR(fz_parse_str(r, e->name_off), name);
	CHECK_INT(e->name_len, strlen(name));
	CHECK_INT(e->action, action);
	CHECK_INT(e->match, match);
	CHECK_INT(e->policy, FZ_POLICY_DEFAULT);
	CHECK_INT(e->line, line);
}

static void check_ip(const struct fz_parse_result *r, size_t i, int family, const char *addr,
		     enum fz_action action, uint32_t line)
{
	uint8_t want[16] = {0};

	if (i >= r->n_entries) {
		CHECK(i < r->n_entries);
		return;
	}
	const struct fz_entry *e = &r->entries[i];
	CHECK_INT(inet_pton(family, addr, want), 1);
	CHECK_INT(e->kind, FZ_RULE_IP);
	CHECK_INT(e->family, family);
	CHECK_INT(e->prefix, family == AF_INET ? 32 : 128);
	CHECK(memcmp(e->addr, want, family == AF_INET ? 4 : 16) == 0);
	CHECK_INT(e->action, action);
	CHECK_INT(e->line, line);
}

static void check_url(const struct fz_parse_result *r, size_t i, const char *host, const char *path,
		      uint32_t line)
{
	if (i >= r->n_entries) {
		CHECK(i < r->n_entries);
		return;
	}
	const struct fz_entry *e = &r->entries[i];
	CHECK_INT(e->kind, FZ_RULE_URL);
	CHECK_STR(fz_parse_str(r, e->name_off), host);
	CHECK_MEM_STR(fz_parse_str(r, e->path_off), e->path_len, path);
	CHECK_INT(e->action, FZ_ACTION_BLOCK);
	CHECK_INT(e->line, line);
}

static void check_problem(const struct fz_parse_result *r, uint32_t line, enum fz_problem_kind kind,
			  const char *reason_part, const char *text)
{
	const struct fz_problem *p = problem_at(r, line);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(p->kind, kind);
	CHECK(p->reason != NULL && strstr(p->reason, reason_part) != NULL);
	if (p->reason && !strstr(p->reason, reason_part))
		fprintf(stderr, "  line %u reason: %s\n", line, p->reason);
	if (text)
		CHECK_MEM_STR(fz_parse_str(r, p->text_off), p->text_len, text);
}

static void test_name_rules(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("[Adblock Plus 2.0]\n"
			"! Title: x\n"
			"# TweetFeed-style comment\n"
			"||sub.example^\n"
			"||imp.example^$important\n"
			"||end.example^|\n"
			"||nocaret.example\n"
			"|exact.example^\n"
			"@@||allow.example^\n"
			"@@|allow-exact.example^\n"
			"bare.example\n"
			"||Doc.Example.^$doc\n"
			"||all.example^$all,important\n"
			"||popup.example^$popup\n"
			"||document.example^$document\n"
			"||рус^$doc\n"
			"||*.star.example^\n"
			"||slash.example/^\n"
			"||sub.example^\n"
			"|https://scheme.example^\n",
			&r),
		  0);
	check_counts(&r, 16, 1, 0, 0);
	check_name(&r, 0, "sub.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 4);
	check_name(&r, 1, "imp.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 5);
	check_name(&r, 2, "end.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 6);
	check_name(&r, 3, "nocaret.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 7);
	check_name(&r, 4, "exact.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 8);
	check_name(&r, 5, "allow.example", FZ_ACTION_ALLOW, FZ_MATCH_SUBTREE, 9);
	check_name(&r, 6, "allow-exact.example", FZ_ACTION_ALLOW, FZ_MATCH_EXACT, 10);
	check_name(&r, 7, "bare.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 11);
	check_name(&r, 8, "doc.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 12);
	check_name(&r, 9, "all.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 13);
	check_name(&r, 10, "popup.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 14);
	check_name(&r, 11, "document.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 15);
	check_name(&r, 12, "xn--p1acf", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 16);
	check_name(&r, 13, "star.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 17);
	check_name(&r, 14, "slash.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 18);
	check_name(&r, 15, "scheme.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 20);
	fz_parse_result_free(&r);
}

static void test_ip_and_url_rules(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("||198.51.100.7^\n"
			"192.0.2.10\n"
			"||[2001:db8::1]^\n"
			"@@||203.0.113.5^\n"
			"2001:db8::2\n"
			"||url.example/path/file.exe^$all\n"
			"||bitbucket.example/u/r/downloads/e232.exe^$all\n"
			"||0x0.example/8ics.py^\n"
			"||198.51.100.7^$all\n",
			&r),
		  0);
	check_counts(&r, 8, 1, 0, 0);
	check_ip(&r, 0, AF_INET, "198.51.100.7", FZ_ACTION_BLOCK, 1);
	check_ip(&r, 1, AF_INET, "192.0.2.10", FZ_ACTION_BLOCK, 2);
	check_ip(&r, 2, AF_INET6, "2001:db8::1", FZ_ACTION_BLOCK, 3);
	check_ip(&r, 3, AF_INET, "203.0.113.5", FZ_ACTION_ALLOW, 4);
	check_ip(&r, 4, AF_INET6, "2001:db8::2", FZ_ACTION_BLOCK, 5);
	check_url(&r, 5, "url.example", "/path/file.exe", 6);
	check_url(&r, 6, "bitbucket.example", "/u/r/downloads/e232.exe", 7);
	check_url(&r, 7, "0x0.example", "/8ics.py", 8);
	fz_parse_result_free(&r);
}

static void test_cosmetic_regex_wildcards(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("example.com##.banner\n"
			"##.generic-ad\n"
			"###ad-id\n"
			"example.com#@#.banner\n"
			"example.com#?#div:has(> a)\n"
			"example.com#$#body { color: red }\n"
			"example.com#%#//scriptlet('abort-on-property-read', 'x')\n"
			"example.com$$script[data-ad]\n"
			"/ads[0-9]+\\.example/\n"
			"@@/(^|\\.)xn--.*$/\n"
			"/banner/ads.js\n"
			"||*-ads.example.com^\n"
			"@@|s3-*-w.amazonaws.com^\n"
			"*-ad.example.cn*\n"
			"||ads.example.*^\n"
			"### Section banner ###\n"
			"#####\n"
			"##\n",
			&r),
		  0);
	check_counts(&r, 0, 0, 0, 15);
	check_problem(&r, 1, FZ_PROBLEM_SKIPPED, "adblock: cosmetic rule (##)",
		      "example.com##.banner");
	check_problem(&r, 2, FZ_PROBLEM_SKIPPED, "cosmetic rule (##)", NULL);
	check_problem(&r, 3, FZ_PROBLEM_SKIPPED, "cosmetic rule (##)", NULL);
	check_problem(&r, 4, FZ_PROBLEM_SKIPPED, "cosmetic exception (#@#)", NULL);
	check_problem(&r, 5, FZ_PROBLEM_SKIPPED, "(#?#)", NULL);
	check_problem(&r, 6, FZ_PROBLEM_SKIPPED, "(#$#)", NULL);
	check_problem(&r, 7, FZ_PROBLEM_SKIPPED, "(#%#)", NULL);
	check_problem(&r, 8, FZ_PROBLEM_SKIPPED, "HTML filtering rule ($$)", NULL);
	check_problem(&r, 9, FZ_PROBLEM_SKIPPED, "regular-expression", NULL);
	check_problem(&r, 10, FZ_PROBLEM_SKIPPED, "regular-expression", NULL);
	check_problem(&r, 11, FZ_PROBLEM_SKIPPED, "path pattern without a host", NULL);
	check_problem(&r, 12, FZ_PROBLEM_SKIPPED, "wildcard (*) inside the host name",
		      "||*-ads.example.com^");
	check_problem(&r, 13, FZ_PROBLEM_SKIPPED, "wildcard (*) inside the host name", NULL);
	check_problem(&r, 14, FZ_PROBLEM_SKIPPED, "wildcard pattern", "*-ad.example.cn*");
	check_problem(&r, 15, FZ_PROBLEM_SKIPPED, "wildcard (*) inside the host name", NULL);
	/* Banners made of '#' are comments, not cosmetic rules. */
	CHECK(problem_at(&r, 16) == NULL);
	CHECK(problem_at(&r, 17) == NULL);
	CHECK(problem_at(&r, 18) == NULL);
	fz_parse_result_free(&r);
}

static void test_modifiers(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("||third.example^$third-party\n"
			"||site.example^$doc,domain=~a.example|~b.example\n"
			"||rewrite.example^$dnsrewrite=1.2.3.4\n"
			"||client.example^$client=192.168.1.1\n"
			"||type.example^$dnstype=AAAA\n"
			"||deny.example^$denyallow=x.example\n"
			"||bad.example^$badfilter\n"
			"||ctag.example^$ctag=device_phone\n"
			"||unknown.example^$frobnicate\n"
			"||script.example^$script\n"
			"||neg.example^$~third-party\n"
			"||redir.example^$redirect=noopjs\n"
			"||IMPORTANT.example^$IMPORTANT\n"
			"||empty.example^$\n"
			"||comma.example^$all,\n",
			&r),
		  0);
	check_counts(&r, 1, 0, 2, 12);
	check_name(&r, 0, "important.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 13);
	check_problem(&r, 1, FZ_PROBLEM_SKIPPED, "$third-party", "||third.example^$third-party");
	check_problem(&r, 2, FZ_PROBLEM_SKIPPED, "$domain=", NULL);
	check_problem(&r, 3, FZ_PROBLEM_SKIPPED, "$dnsrewrite", NULL);
	check_problem(&r, 4, FZ_PROBLEM_SKIPPED, "$client=", NULL);
	check_problem(&r, 5, FZ_PROBLEM_SKIPPED, "$dnstype=", NULL);
	check_problem(&r, 6, FZ_PROBLEM_SKIPPED, "$denyallow=", NULL);
	check_problem(&r, 7, FZ_PROBLEM_SKIPPED, "$badfilter", NULL);
	check_problem(&r, 8, FZ_PROBLEM_SKIPPED, "$ctag=", NULL);
	check_problem(&r, 9, FZ_PROBLEM_SKIPPED, "unknown modifier", NULL);
	check_problem(&r, 10, FZ_PROBLEM_SKIPPED, "request-type modifier", NULL);
	check_problem(&r, 11, FZ_PROBLEM_SKIPPED, "negated modifier", NULL);
	check_problem(&r, 12, FZ_PROBLEM_SKIPPED, "rewrites the response", NULL);
	check_problem(&r, 14, FZ_PROBLEM_REJECTED, "empty modifier", NULL);
	check_problem(&r, 15, FZ_PROBLEM_REJECTED, "empty modifier", NULL);
	fz_parse_result_free(&r);
}

static void test_inexpressible_and_malformed(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("@@||allow-url.example/path^\n"
			"@@|https://github.example/o/r/issues/297^\n"
			"||port.example:8080^\n"
			"@@|www.https://github.example/o/r^\n"
			"||\n"
			"@@\n"
			"||^\n"
			"||bad..example^\n"
			"||caret.example^*.js\n"
			"||wild-path.example/ads/*.js^\n"
			"example.com^\n"
			"https://unanchored.example/x\n"
			"||a.example|b\n"
			"||*.star.example/path^\n"
			"@@||*.star.example^\n",
			&r),
		  0);
	check_counts(&r, 0, 0, 6, 9);
	check_problem(&r, 1, FZ_PROBLEM_SKIPPED, "exception for a URL path", NULL);
	check_problem(&r, 2, FZ_PROBLEM_SKIPPED, "exception for a URL path", NULL);
	check_problem(&r, 3, FZ_PROBLEM_SKIPPED, "one port", NULL);
	check_problem(&r, 4, FZ_PROBLEM_REJECTED, "not followed by a port", NULL);
	check_problem(&r, 5, FZ_PROBLEM_REJECTED, "no host name", "||");
	check_problem(&r, 6, FZ_PROBLEM_REJECTED, "nothing after @@", "@@");
	check_problem(&r, 7, FZ_PROBLEM_REJECTED, "no host name", NULL);
	check_problem(&r, 8, FZ_PROBLEM_REJECTED, "", NULL);
	check_problem(&r, 9, FZ_PROBLEM_SKIPPED, "after the separator (^)", NULL);
	check_problem(&r, 10, FZ_PROBLEM_SKIPPED, "inside the URL path", NULL);
	check_problem(&r, 11, FZ_PROBLEM_SKIPPED, "without || or |", "example.com^");
	check_problem(&r, 12, FZ_PROBLEM_SKIPPED, "without || or |", NULL);
	check_problem(&r, 13, FZ_PROBLEM_REJECTED, "unexpected text after the host", NULL);
	check_problem(&r, 14, FZ_PROBLEM_SKIPPED, "wildcard host", NULL);
	check_problem(&r, 15, FZ_PROBLEM_SKIPPED, "also allow the name itself",
		      "@@||*.star.example^");
	for (size_t i = 0; i < r.n_problems; i++)
		CHECK(r.problems[i].reason && strlen(r.problems[i].reason) > 8);
	fz_parse_result_free(&r);
}

static void test_match_override(void)
{
	struct fz_parse_result r;
	const char *in = "||a.example^\n|b.example^\nc.example\n@@||d.example^\n";
	CHECK_INT(parse_as(in, strlen(in), FZ_MATCH_EXACT, &r), 0);
	check_counts(&r, 4, 0, 0, 0);
	check_name(&r, 0, "a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1);
	check_name(&r, 1, "b.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2);
	check_name(&r, 2, "c.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 3);
	check_name(&r, 3, "d.example", FZ_ACTION_ALLOW, FZ_MATCH_EXACT, 4);
	fz_parse_result_free(&r);

	CHECK_INT(parse_as(in, strlen(in), FZ_MATCH_SUBTREE, &r), 0);
	check_name(&r, 1, "b.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 2);
	check_name(&r, 2, "c.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 3);
	fz_parse_result_free(&r);
}

static void test_fixture(void)
{
	const char *dir = getenv("FZ_FIXTURES");
	char path[4096];
	size_t len;
	struct fz_parse_result r;

	snprintf(path, sizeof(path), "%s/adblock/rules.txt", dir ? dir : FZ_FIXTURES);
	unsigned char *buf = fz_test_read_file(path, &len);
	CHECK_INT(parse_as((const char *)buf, len, FZ_MATCH_DEFAULT, &r), 0);
	CHECK_INT(r.lines, 45);
	check_counts(&r, 14, 1, 3, 23);
	check_name(&r, 0, "subtree.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 4);
	check_name(&r, 1, "important.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 5);
	check_name(&r, 2, "pipe-end.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 6);
	check_name(&r, 3, "no-caret.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 7);
	check_name(&r, 4, "exact.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 8);
	check_name(&r, 5, "allow-subtree.example", FZ_ACTION_ALLOW, FZ_MATCH_SUBTREE, 9);
	check_name(&r, 6, "allow-exact.example", FZ_ACTION_ALLOW, FZ_MATCH_EXACT, 10);
	check_name(&r, 7, "bare.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 11);
	check_ip(&r, 8, AF_INET, "192.0.2.10", FZ_ACTION_BLOCK, 12);
	check_ip(&r, 9, AF_INET, "198.51.100.7", FZ_ACTION_BLOCK, 13);
	check_ip(&r, 10, AF_INET6, "2001:db8::1", FZ_ACTION_BLOCK, 14);
	check_url(&r, 11, "url.example", "/path/file.exe", 15);
	check_name(&r, 12, "doc.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 16);
	check_name(&r, 13, "xn--p1acf", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 17);
	/* Lines 19-38, 42-44 skipped; 39-41 rejected; 45 is a banner comment. */
	for (uint32_t line = 19; line <= 44; line++) {
		const struct fz_problem *p = problem_at(&r, line);
		CHECK(p != NULL);
		if (p)
			CHECK_INT(p->kind, line >= 39 && line <= 41 ? FZ_PROBLEM_REJECTED
								    : FZ_PROBLEM_SKIPPED);
	}
	CHECK(problem_at(&r, 45) == NULL);
	check_problem(&r, 29, FZ_PROBLEM_SKIPPED,
		      "$domain=", "||site.example^$domain=a.example|~b.example");
	fz_parse_result_free(&r);
	free(buf);
}

static void test_garbage(void)
{
	uint8_t buf[4096];
	uint32_t x = 4242;
	struct fz_parse_result r;

	for (int round = 0; round < 300; round++) {
		size_t len = (size_t)(round * 53) % sizeof(buf);
		for (size_t i = 0; i < len; i++) {
			static const char alpha[] = "|^$@#/*a.b1:[]~,=!\n%?\r ";
			x = x * 1103515245u + 12345u;
			uint8_t c = (uint8_t)(x >> 16);
			buf[i] = (c & 3) ? (uint8_t)alpha[c % (sizeof(alpha) - 1)] : c;
		}
		struct fz_parse_opts o = {.format = FZ_FORMAT_ADBLOCK};
		CHECK_INT(fz_parse(buf, len, &o, &r), 0);
		CHECK_INT(r.n_entries, r.accepted);
		for (size_t i = 0; i < r.n_problems; i++)
			CHECK(r.problems[i].line >= 1 && r.problems[i].line <= r.lines &&
			      r.problems[i].reason != NULL);
		fz_parse_result_free(&r);
	}
}

int main(void)
{
	test_name_rules();
	test_ip_and_url_rules();
	test_cosmetic_regex_wildcards();
	test_modifiers();
	test_inexpressible_and_malformed();
	test_match_override();
	test_fixture();
	test_garbage();
	return fz_test_done();
}
