/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The adblock / AdGuard DNS parser, driven through fz_parse() with format "adblock". */
#include <stdint.h>
#include <string.h>

#include "fz_test_parse.h"

static void test_name_rules(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_ADBLOCK,
			  "[Adblock Plus 2.0]\n"
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
			  &r);
	CHECK_COUNTS(&r, 16, 1, 0, 0);
	static const struct fz_test_name want[] = {
	    {"sub.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 4},
	    {"imp.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 5},
	    {"end.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 6},
	    {"nocaret.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 7},
	    {"exact.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 8},
	    {"allow.example", FZ_ACTION_ALLOW, FZ_MATCH_SUBTREE, 9},
	    {"allow-exact.example", FZ_ACTION_ALLOW, FZ_MATCH_EXACT, 10},
	    {"bare.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 11},
	    {"doc.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 12},
	    {"all.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 13},
	    {"popup.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 14},
	    {"document.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 15},
	    {"xn--p1acf", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 16},
	    {"star.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 17},
	    {"slash.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 18},
	    {"scheme.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 20},
	};
	CHECK_NAMES(&r, want);
	fz_parse_result_free(&r);
}

static void test_ip_and_url_rules(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_ADBLOCK,
			  "||198.51.100.7^\n"
			  "192.0.2.10\n"
			  "||[2001:db8::1]^\n"
			  "@@||203.0.113.5^\n"
			  "2001:db8::2\n"
			  "||url.example/path/file.exe^$all\n"
			  "||bitbucket.example/u/r/downloads/e232.exe^$all\n"
			  "||0x0.example/8ics.py^\n"
			  "||198.51.100.7^$all\n",
			  &r);
	CHECK_COUNTS(&r, 8, 1, 0, 0);
	CHECK_IP(&r, 0, AF_INET, "198.51.100.7", 32, FZ_ACTION_BLOCK, 1);
	CHECK_IP(&r, 1, AF_INET, "192.0.2.10", 32, FZ_ACTION_BLOCK, 2);
	CHECK_IP(&r, 2, AF_INET6, "2001:db8::1", 128, FZ_ACTION_BLOCK, 3);
	CHECK_IP(&r, 3, AF_INET, "203.0.113.5", 32, FZ_ACTION_ALLOW, 4);
	CHECK_IP(&r, 4, AF_INET6, "2001:db8::2", 128, FZ_ACTION_BLOCK, 5);
	CHECK_URL(&r, 5, "url.example", "/path/file.exe", 6);
	CHECK_URL(&r, 6, "bitbucket.example", "/u/r/downloads/e232.exe", 7);
	CHECK_URL(&r, 7, "0x0.example", "/8ics.py", 8);
	fz_parse_result_free(&r);
}

static void test_cosmetic_regex_wildcards(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_ADBLOCK,
			  "example.com##.banner\n"
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
			  &r);
	CHECK_COUNTS(&r, 0, 0, 0, 15);
	CHECK_PROBLEM(&r, 1, FZ_PROBLEM_SKIPPED, "adblock: cosmetic rule (##)",
		      "example.com##.banner");
	CHECK_PROBLEM(&r, 2, FZ_PROBLEM_SKIPPED, "cosmetic rule (##)", NULL);
	CHECK_PROBLEM(&r, 3, FZ_PROBLEM_SKIPPED, "cosmetic rule (##)", NULL);
	CHECK_PROBLEM(&r, 4, FZ_PROBLEM_SKIPPED, "cosmetic exception (#@#)", NULL);
	CHECK_PROBLEM(&r, 5, FZ_PROBLEM_SKIPPED, "(#?#)", NULL);
	CHECK_PROBLEM(&r, 6, FZ_PROBLEM_SKIPPED, "(#$#)", NULL);
	CHECK_PROBLEM(&r, 7, FZ_PROBLEM_SKIPPED, "(#%#)", NULL);
	CHECK_PROBLEM(&r, 8, FZ_PROBLEM_SKIPPED, "HTML filtering rule ($$)", NULL);
	CHECK_PROBLEM(&r, 9, FZ_PROBLEM_SKIPPED, "regular-expression", NULL);
	CHECK_PROBLEM(&r, 10, FZ_PROBLEM_SKIPPED, "regular-expression", NULL);
	CHECK_PROBLEM(&r, 11, FZ_PROBLEM_SKIPPED, "path pattern without a host", NULL);
	CHECK_PROBLEM(&r, 12, FZ_PROBLEM_SKIPPED, "wildcard (*) inside the host name",
		      "||*-ads.example.com^");
	CHECK_PROBLEM(&r, 13, FZ_PROBLEM_SKIPPED, "wildcard (*) inside the host name", NULL);
	CHECK_PROBLEM(&r, 14, FZ_PROBLEM_SKIPPED, "wildcard pattern", "*-ad.example.cn*");
	CHECK_PROBLEM(&r, 15, FZ_PROBLEM_SKIPPED, "wildcard (*) inside the host name", NULL);
	/* Banners made of '#' are comments, not cosmetic rules. */
	CHECK(fz_test_problem_at(&r, 16) == NULL);
	CHECK(fz_test_problem_at(&r, 17) == NULL);
	CHECK(fz_test_problem_at(&r, 18) == NULL);
	fz_parse_result_free(&r);
}

static void test_modifiers(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_ADBLOCK,
			  "||third.example^$third-party\n"
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
			  &r);
	CHECK_COUNTS(&r, 1, 0, 2, 12);
	CHECK_NAME(&r, 0, "important.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 13);
	CHECK_PROBLEM(&r, 1, FZ_PROBLEM_SKIPPED, "$third-party", "||third.example^$third-party");
	CHECK_PROBLEM(&r, 2, FZ_PROBLEM_SKIPPED, "$domain=", NULL);
	CHECK_PROBLEM(&r, 3, FZ_PROBLEM_SKIPPED, "$dnsrewrite", NULL);
	CHECK_PROBLEM(&r, 4, FZ_PROBLEM_SKIPPED, "$client=", NULL);
	CHECK_PROBLEM(&r, 5, FZ_PROBLEM_SKIPPED, "$dnstype=", NULL);
	CHECK_PROBLEM(&r, 6, FZ_PROBLEM_SKIPPED, "$denyallow=", NULL);
	CHECK_PROBLEM(&r, 7, FZ_PROBLEM_SKIPPED, "$badfilter", NULL);
	CHECK_PROBLEM(&r, 8, FZ_PROBLEM_SKIPPED, "$ctag=", NULL);
	CHECK_PROBLEM(&r, 9, FZ_PROBLEM_SKIPPED, "unknown modifier", NULL);
	CHECK_PROBLEM(&r, 10, FZ_PROBLEM_SKIPPED, "request-type modifier", NULL);
	CHECK_PROBLEM(&r, 11, FZ_PROBLEM_SKIPPED, "negated modifier", NULL);
	CHECK_PROBLEM(&r, 12, FZ_PROBLEM_SKIPPED, "rewrites the response", NULL);
	CHECK_PROBLEM(&r, 14, FZ_PROBLEM_REJECTED, "empty modifier", NULL);
	CHECK_PROBLEM(&r, 15, FZ_PROBLEM_REJECTED, "empty modifier", NULL);
	fz_parse_result_free(&r);
}

static void test_inexpressible_and_malformed(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_ADBLOCK,
			  "@@||allow-url.example/path^\n"
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
			  &r);
	CHECK_COUNTS(&r, 0, 0, 6, 9);
	CHECK_PROBLEM(&r, 1, FZ_PROBLEM_SKIPPED, "exception for a URL path", NULL);
	CHECK_PROBLEM(&r, 2, FZ_PROBLEM_SKIPPED, "exception for a URL path", NULL);
	CHECK_PROBLEM(&r, 3, FZ_PROBLEM_SKIPPED, "one port", NULL);
	CHECK_PROBLEM(&r, 4, FZ_PROBLEM_REJECTED, "not followed by a port", NULL);
	CHECK_PROBLEM(&r, 5, FZ_PROBLEM_REJECTED, "no host name", "||");
	CHECK_PROBLEM(&r, 6, FZ_PROBLEM_REJECTED, "nothing after @@", "@@");
	CHECK_PROBLEM(&r, 7, FZ_PROBLEM_REJECTED, "no host name", NULL);
	CHECK_PROBLEM(&r, 8, FZ_PROBLEM_REJECTED, "", NULL);
	CHECK_PROBLEM(&r, 9, FZ_PROBLEM_SKIPPED, "after the separator (^)", NULL);
	CHECK_PROBLEM(&r, 10, FZ_PROBLEM_SKIPPED, "inside the URL path", NULL);
	CHECK_PROBLEM(&r, 11, FZ_PROBLEM_SKIPPED, "without || or |", "example.com^");
	CHECK_PROBLEM(&r, 12, FZ_PROBLEM_SKIPPED, "without || or |", NULL);
	CHECK_PROBLEM(&r, 13, FZ_PROBLEM_REJECTED, "unexpected text after the host", NULL);
	CHECK_PROBLEM(&r, 14, FZ_PROBLEM_SKIPPED, "wildcard host", NULL);
	CHECK_PROBLEM(&r, 15, FZ_PROBLEM_SKIPPED, "also allow the name itself",
		      "@@||*.star.example^");
	for (size_t i = 0; i < r.n_problems; i++)
		CHECK(r.problems[i].reason && strlen(r.problems[i].reason) > 8);
	fz_parse_result_free(&r);
}

static void test_match_override(void)
{
	struct fz_parse_result r;
	const char *in = "||a.example^\n|b.example^\nc.example\n@@||d.example^\n";
	fz_test_parse(FZ_FORMAT_ADBLOCK, in, strlen(in), FZ_MATCH_EXACT, &r);
	CHECK_COUNTS(&r, 4, 0, 0, 0);
	static const struct fz_test_name want[] = {
	    {"a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1},
	    {"b.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2},
	    {"c.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 3},
	    {"d.example", FZ_ACTION_ALLOW, FZ_MATCH_EXACT, 4},
	};
	CHECK_NAMES(&r, want);
	fz_parse_result_free(&r);

	fz_test_parse(FZ_FORMAT_ADBLOCK, in, strlen(in), FZ_MATCH_SUBTREE, &r);
	CHECK_NAME(&r, 1, "b.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 2);
	CHECK_NAME(&r, 2, "c.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 3);
	fz_parse_result_free(&r);
}

static void test_fixture(void)
{
	struct fz_parse_result r;

	fz_test_parse_file(FZ_FORMAT_ADBLOCK, "adblock/rules.txt", &r);
	CHECK_INT(r.lines, 45);
	CHECK_COUNTS(&r, 14, 1, 3, 23);
	static const struct fz_test_name want[] = {
	    {"subtree.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 4},
	    {"important.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 5},
	    {"pipe-end.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 6},
	    {"no-caret.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 7},
	    {"exact.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 8},
	    {"allow-subtree.example", FZ_ACTION_ALLOW, FZ_MATCH_SUBTREE, 9},
	    {"allow-exact.example", FZ_ACTION_ALLOW, FZ_MATCH_EXACT, 10},
	    {"bare.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 11},
	};
	CHECK_NAMES(&r, want);
	CHECK_IP(&r, 8, AF_INET, "192.0.2.10", 32, FZ_ACTION_BLOCK, 12);
	CHECK_IP(&r, 9, AF_INET, "198.51.100.7", 32, FZ_ACTION_BLOCK, 13);
	CHECK_IP(&r, 10, AF_INET6, "2001:db8::1", 128, FZ_ACTION_BLOCK, 14);
	CHECK_URL(&r, 11, "url.example", "/path/file.exe", 15);
	CHECK_NAME(&r, 12, "doc.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 16);
	CHECK_NAME(&r, 13, "xn--p1acf", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 17);
	/* Lines 19-38, 42-44 skipped; 39-41 rejected; 45 is a banner comment. */
	for (uint32_t line = 19; line <= 44; line++) {
		const struct fz_problem *p = fz_test_problem_at(&r, line);
		CHECK(p != NULL);
		if (p)
			CHECK_INT(p->kind, line >= 39 && line <= 41 ? FZ_PROBLEM_REJECTED
								    : FZ_PROBLEM_SKIPPED);
	}
	CHECK(fz_test_problem_at(&r, 45) == NULL);
	CHECK_PROBLEM(&r, 29, FZ_PROBLEM_SKIPPED,
		      "$domain=", "||site.example^$domain=a.example|~b.example");
	fz_parse_result_free(&r);
}

static void test_garbage(void)
{
	fz_test_garbage(FZ_FORMAT_ADBLOCK, "|^$@#/*a.b1:[]~,=!\n%?\r ", 300, 53, 4242);
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
