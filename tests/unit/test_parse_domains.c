/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plain-domains parser, driven through fz_parse() with format "domains". */
#include <stdint.h>
#include <string.h>

#include "fz_test_parse.h"

static void test_plain(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_DOMAINS,
			  "# Title: a list\n"
			  "! adblock-style comment\n"
			  "\n"
			  "a.example\n"
			  "Upper.EXAMPLE\n"
			  "trailing.example.\n"
			  "  spaced.example\t\n"
			  "comment.example # listed because\n"
			  "bang.example\t! listed because\n"
			  "a.example\n"
			  "bücher.example\n"
			  "under_score.example\n",
			  &r);
	CHECK_COUNTS(&r, 8, 1, 0, 0);
	CHECK_INT(r.lines, 12);
	static const struct fz_test_name want[] = {
	    {"a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 4},
	    {"upper.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 5},
	    {"trailing.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 6},
	    {"spaced.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 7},
	    {"comment.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 8},
	    {"bang.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 9},
	    {"xn--bcher-kva.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 11},
	    {"under_score.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 12},
	};
	CHECK_NAMES(&r, want);
	fz_parse_result_free(&r);
}

static void test_wildcards(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_DOMAINS,
			  "*.wild.example\n"
			  "*.zip\n"
			  "ads*.wild.example\n"
			  "*ads.example\n"
			  "a.*.example\n"
			  "*\n"
			  "wild.example\n",
			  &r);
	/* "wild.example" exact is a different rule from "*.wild.example". */
	CHECK_COUNTS(&r, 3, 0, 0, 4);
	static const struct fz_test_name want[] = {
	    {"wild.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 1},
	    {"zip", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 2},
	    {"wild.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 7},
	};
	CHECK_NAMES(&r, want);
	for (uint32_t line = 3; line <= 6; line++)
		CHECK_PROBLEM(&r, line, FZ_PROBLEM_SKIPPED, "domains: a wildcard (*) inside a name",
			      NULL);
	fz_parse_result_free(&r);
}

static void test_junk(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_DOMAINS,
			  "host.example:8080\n"
			  "query.example?id=1\n"
			  "http://url.example/path\n"
			  "path.example/login\n"
			  "user@mail.example\n"
			  "double..dot.example\n"
			  "192.0.2.1\n"
			  "0x7f000001\n"
			  "0.0.0.0 hostsline.example\n"
			  "two.example fields.example\n"
			  "||adblock.example^\n"
			  "cdn-cgi\n"
			  "<body>\n"
			  "-->\n"
			  "[2001:db8::1]\n"
			  "bad!.example\n",
			  &r);
	CHECK_COUNTS(&r, 0, 0, 16, 0);
	CHECK_PROBLEM(&r, 1, FZ_PROBLEM_REJECTED, "domains: host:port", "host.example:8080");
	CHECK_PROBLEM(&r, 2, FZ_PROBLEM_REJECTED, "domains: a query string", "query.example?id=1");
	CHECK_PROBLEM(&r, 3, FZ_PROBLEM_REJECTED, "domains: a URL", "http://url.example/path");
	CHECK_PROBLEM(&r, 4, FZ_PROBLEM_REJECTED, "domains: a path", NULL);
	CHECK_PROBLEM(&r, 5, FZ_PROBLEM_REJECTED, "domains: user@host", NULL);
	CHECK_PROBLEM(&r, 6, FZ_PROBLEM_REJECTED, "", "double..dot.example");
	CHECK_PROBLEM(&r, 7, FZ_PROBLEM_REJECTED, "", "192.0.2.1");
	CHECK_PROBLEM(&r, 8, FZ_PROBLEM_REJECTED, "", "0x7f000001");
	CHECK_PROBLEM(&r, 9, FZ_PROBLEM_REJECTED, "a hosts line in a domain list",
		      "0.0.0.0 hostsline.example");
	CHECK_PROBLEM(&r, 10, FZ_PROBLEM_REJECTED, "domains: more than one field", NULL);
	CHECK_PROBLEM(&r, 11, FZ_PROBLEM_REJECTED, "domains: an adblock rule", NULL);
	CHECK_PROBLEM(&r, 12, FZ_PROBLEM_REJECTED, "domains: a single label", "cdn-cgi");
	CHECK_PROBLEM(&r, 13, FZ_PROBLEM_REJECTED, "", "<body>");
	CHECK_PROBLEM(&r, 14, FZ_PROBLEM_REJECTED, "", "-->");
	CHECK_PROBLEM(&r, 15, FZ_PROBLEM_REJECTED, "", "[2001:db8::1]");
	CHECK_PROBLEM(&r, 16, FZ_PROBLEM_REJECTED, "", "bad!.example");
	/* The IP literals are refused by the normalizer, which says why. */
	const struct fz_problem *p = fz_test_problem_at(&r, 7);
	CHECK(p && p->reason && strstr(p->reason, "domains:") == NULL);
	for (size_t i = 0; i < r.n_problems; i++)
		CHECK(r.problems[i].reason && strlen(r.problems[i].reason) > 8);
	fz_parse_result_free(&r);
}

static void test_match_override(void)
{
	struct fz_parse_result r;
	const char *in = "a.example\n*.b.example\n";
	fz_test_parse(FZ_FORMAT_DOMAINS, in, strlen(in), FZ_MATCH_SUBTREE, &r);
	CHECK_COUNTS(&r, 2, 0, 0, 0);
	CHECK_NAME(&r, 0, "a.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 1);
	CHECK_NAME(&r, 1, "b.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 2);
	fz_parse_result_free(&r);

	/* An explicit "exact" wins over the "*." of the line. */
	fz_test_parse(FZ_FORMAT_DOMAINS, in, strlen(in), FZ_MATCH_EXACT, &r);
	CHECK_COUNTS(&r, 2, 0, 0, 0);
	CHECK_NAME(&r, 0, "a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1);
	CHECK_NAME(&r, 1, "b.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2);
	fz_parse_result_free(&r);
}

static void test_too_long(void)
{
	char buf[2048];
	struct fz_parse_result r;

	/* 300 octets of labels: longer than a name may be. */
	size_t n = 0;
	while (n < 300) {
		memcpy(buf + n, "abcdefghi.", 10);
		n += 10;
	}
	memcpy(buf + n, "example\n", 8);
	n += 8;
	/* And a line longer than anything the normalizer reads. */
	memset(buf + n, 'a', 1500);
	n += 1500;
	buf[n++] = '\n';
	fz_test_parse(FZ_FORMAT_DOMAINS, buf, n, FZ_MATCH_DEFAULT, &r);
	CHECK_COUNTS(&r, 0, 0, 2, 0);
	CHECK(fz_test_problem_at(&r, 1) != NULL);
	CHECK(fz_test_problem_at(&r, 2) != NULL);
	fz_parse_result_free(&r);
}

static void test_fixture_junk(void)
{
	struct fz_parse_result r;

	fz_test_parse_file(FZ_FORMAT_DOMAINS, "domains/junk.txt", &r);
	CHECK_INT(r.lines, 26);
	CHECK_COUNTS(&r, 9, 1, 13, 1);
	static const struct fz_test_name want[] = {
	    {"plain.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 3},
	    {"upper.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 4},
	    {"trailing-dot.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 5},
	    {"wild.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 6},
	    {"comment-after.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 7},
	    {"bang-after.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 8},
	    {"spaced.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 9},
	    {"zip", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 25},
	    {"xn--bcher-kva.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 26},
	};
	CHECK_NAMES(&r, want);
	CHECK_PROBLEM(&r, 11, FZ_PROBLEM_REJECTED, "host:port", "host.example:8080");
	CHECK_PROBLEM(&r, 12, FZ_PROBLEM_REJECTED, "query string", NULL);
	CHECK_PROBLEM(&r, 13, FZ_PROBLEM_REJECTED, "a URL", NULL);
	CHECK_PROBLEM(&r, 14, FZ_PROBLEM_REJECTED, "a path", NULL);
	CHECK_PROBLEM(&r, 15, FZ_PROBLEM_REJECTED, "user@host", NULL);
	CHECK_PROBLEM(&r, 16, FZ_PROBLEM_REJECTED, "", "double..dot.example");
	CHECK_PROBLEM(&r, 17, FZ_PROBLEM_REJECTED, "", "192.0.2.1");
	CHECK_PROBLEM(&r, 18, FZ_PROBLEM_REJECTED, "", "0x7f000001");
	CHECK_PROBLEM(&r, 19, FZ_PROBLEM_SKIPPED, "wildcard", "ads*.wild.example");
	CHECK_PROBLEM(&r, 20, FZ_PROBLEM_REJECTED, "hosts line", NULL);
	CHECK_PROBLEM(&r, 21, FZ_PROBLEM_REJECTED, "more than one field", NULL);
	CHECK_PROBLEM(&r, 22, FZ_PROBLEM_REJECTED, "adblock rule", NULL);
	CHECK_PROBLEM(&r, 23, FZ_PROBLEM_REJECTED, "single label", "cdn-cgi");
	CHECK_PROBLEM(&r, 24, FZ_PROBLEM_REJECTED, "", "<body>");
	fz_parse_result_free(&r);
}

static void test_fixture_line_endings(void)
{
	struct fz_parse_result r;

	fz_test_parse_file(FZ_FORMAT_DOMAINS, "domains/crlf.txt", &r);
	CHECK_INT(r.lines, 5);
	CHECK_COUNTS(&r, 3, 0, 0, 0);
	static const struct fz_test_name crlf[] = {
	    {"crlf-one.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2},
	    {"crlf-two.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 3},
	    {"crlf-three.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 5},
	};
	CHECK_NAMES(&r, crlf);
	fz_parse_result_free(&r);

	fz_test_parse_file(FZ_FORMAT_DOMAINS, "domains/bom.txt", &r);
	CHECK_INT(r.lines, 2);
	CHECK_COUNTS(&r, 2, 0, 0, 0);
	CHECK_NAME(&r, 0, "bom.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1);
	CHECK_NAME(&r, 1, "second.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2);
	fz_parse_result_free(&r);
}

static void test_garbage(void)
{
	fz_test_garbage(FZ_FORMAT_DOMAINS, "a.b*:/?@#! \n\r-_", 200, 41, 777);
}

int main(void)
{
	test_plain();
	test_wildcards();
	test_junk();
	test_match_override();
	test_too_long();
	test_fixture_junk();
	test_fixture_line_endings();
	test_garbage();
	return fz_test_done();
}
