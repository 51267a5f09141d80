/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hosts-file parser, driven through fz_parse() with format "hosts". */
#include <stdint.h>
#include <string.h>

#include "fz_test_parse.h"

static void test_sinkhole_forms(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_HOSTS,
			  "0.0.0.0 a.example\n"
			  "127.0.0.1 b.example\n"
			  ":: c.example\n"
			  "::1 d.example\n"
			  "0 e.example\n"
			  "127.0.0.2 f.example\n"
			  "::ffff:0.0.0.0 g.example\n",
			  &r);
	CHECK_COUNTS(&r, 7, 0, 0, 0);
	CHECK_INT(r.lines, 7);
	static const struct fz_test_name want[] = {
	    {"a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1},
	    {"b.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2},
	    {"c.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 3},
	    {"d.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 4},
	    {"e.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 5},
	    {"f.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 6},
	    {"g.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 7},
	};
	CHECK_NAMES(&r, want);
	fz_parse_result_free(&r);
}

static void test_many_names_and_comments(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_HOSTS,
			  "# header\n"
			  "\n"
			  "   \t\n"
			  "#pkg=white.ad.web.com;【提示误伤】\n"
			  "0.0.0.0 a.example b.example\tc.example   d.example\n"
			  "127.0.0.1 livew.l.qq.com #-> 腾讯视频\n"
			  "0.0.0.0 glued.example#comment right after\n"
			  "  0.0.0.0   indented.example  \n",
			  &r);
	CHECK_COUNTS(&r, 7, 0, 0, 0);
	CHECK_INT(r.lines, 8);
	static const struct fz_test_name want[] = {
	    {"a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 5},
	    {"b.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 5},
	    {"c.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 5},
	    {"d.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 5},
	    {"livew.l.qq.com", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 6},
	    {"glued.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 7},
	    {"indented.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 8},
	};
	CHECK_NAMES(&r, want);
	fz_parse_result_free(&r);
}

static void test_preamble_is_skipped(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_HOSTS,
			  "127.0.0.1 localhost\n"
			  "127.0.0.1 localhost.localdomain\n"
			  "127.0.0.1 local\n"
			  "255.255.255.255 broadcasthost\n"
			  "::1 localhost ip6-localhost ip6-loopback\n"
			  "fe80::1%lo0 localhost\n"
			  "0.0.0.0 0.0.0.0\n",
			  &r);
	/* No rule from the preamble; every alias is reported, not silently dropped. */
	CHECK_INT(r.accepted, 0);
	CHECK_INT(r.skipped, 9);
	CHECK_INT(r.rejected, 0);
	for (uint32_t line = 1; line <= 7; line++)
		CHECK_PROBLEM(&r, line, FZ_PROBLEM_SKIPPED, "hosts: a name the machine uses", NULL);
	CHECK_PROBLEM(&r, 1, FZ_PROBLEM_SKIPPED, "never blocked", "localhost");
	CHECK_PROBLEM(&r, 4, FZ_PROBLEM_SKIPPED, "never blocked", "broadcasthost");
	fz_parse_result_free(&r);
}

static void test_non_sinkhole_address_still_blocks(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_HOSTS, "1.2.3.4 evil.example\n2001:db8::5 evil6.example\n", &r);
	CHECK_COUNTS(&r, 2, 0, 0, 0);
	CHECK_NAME(&r, 0, "evil.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1);
	CHECK_NAME(&r, 1, "evil6.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2);
	fz_parse_result_free(&r);
}

static void test_single_words(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_HOSTS,
			  "bare.example\n"
			  "Bare-Upper.Example.\n"
			  "localhost\n"
			  "word\n"
			  "bad_host!.example\n"
			  "0.0.0.0\n"
			  "192.0.2.1\n",
			  &r);
	CHECK_COUNTS(&r, 2, 0, 4, 1);
	CHECK_NAME(&r, 0, "bare.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1);
	CHECK_NAME(&r, 1, "bare-upper.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2);
	CHECK_PROBLEM(&r, 3, FZ_PROBLEM_SKIPPED, "hosts: a name the machine uses", "localhost");
	CHECK_PROBLEM(&r, 4, FZ_PROBLEM_REJECTED, "hosts: a single word", "word");
	CHECK_PROBLEM(&r, 5, FZ_PROBLEM_REJECTED, "hosts: a single word", "bad_host!.example");
	CHECK_PROBLEM(&r, 6, FZ_PROBLEM_REJECTED, "hosts: an address with no host name", "0.0.0.0");
	CHECK_PROBLEM(&r, 7, FZ_PROBLEM_REJECTED, "hosts: an address with no host name",
		      "192.0.2.1");
	fz_parse_result_free(&r);
}

static void test_malformed(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_HOSTS,
			  "evil.example 0.0.0.0\n"
			  "0.0.0.0 good.example bad..example 192.0.2.7 *.wild.example\n"
			  "0.0.0.0 under_score.example\n"
			  "0.0.0.0.0 five.example\n"
			  "0.0.0.0 # only a comment after the address\n",
			  &r);
	CHECK_COUNTS(&r, 2, 0, 6, 0);
	CHECK_PROBLEM(&r, 1, FZ_PROBLEM_REJECTED, "hosts: the first field is not an IP address",
		      "evil.example 0.0.0.0");
	CHECK_NAME(&r, 0, "good.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2);
	CHECK_NAME(&r, 1, "under_score.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 3);
	/* Three bad names on line 2, each a rejected problem with the normalizer's reason. */
	size_t on_line2 = 0;
	for (size_t i = 0; i < r.n_problems; i++) {
		if (r.problems[i].line != 2)
			continue;
		on_line2++;
		CHECK_INT(r.problems[i].kind, FZ_PROBLEM_REJECTED);
		CHECK(r.problems[i].reason && r.problems[i].reason[0]);
	}
	CHECK_INT(on_line2, 3);
	CHECK_PROBLEM(&r, 4, FZ_PROBLEM_REJECTED, "hosts: the first field is not an IP address",
		      NULL);
	CHECK_PROBLEM(&r, 5, FZ_PROBLEM_REJECTED, "hosts: an address with no host name", NULL);
	fz_parse_result_free(&r);
}

static void test_duplicates_and_normalization(void)
{
	struct fz_parse_result r;
	fz_test_parse_str(FZ_FORMAT_HOSTS,
			  "0.0.0.0 a.example\n"
			  "127.0.0.1 A.EXAMPLE.\n"
			  "0.0.0.0 a.example a.example\n"
			  "0.0.0.0 Bücher.Example\n",
			  &r);
	CHECK_COUNTS(&r, 2, 3, 0, 0);
	CHECK_NAME(&r, 0, "a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1);
	CHECK_NAME(&r, 1, "xn--bcher-kva.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 4);
	fz_parse_result_free(&r);
}

static void test_match_override(void)
{
	struct fz_parse_result r;
	const char *in = "0.0.0.0 a.example b.example\nbare.example\n";
	fz_test_parse(FZ_FORMAT_HOSTS, in, strlen(in), FZ_MATCH_SUBTREE, &r);
	CHECK_COUNTS(&r, 3, 0, 0, 0);
	static const struct fz_test_name want[] = {
	    {"a.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 1},
	    {"b.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 1},
	    {"bare.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, 2},
	};
	CHECK_NAMES(&r, want);
	fz_parse_result_free(&r);

	fz_test_parse(FZ_FORMAT_HOSTS, in, strlen(in), FZ_MATCH_EXACT, &r);
	CHECK_NAME(&r, 0, "a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1);
	fz_parse_result_free(&r);
}

static void test_line_endings(void)
{
	struct fz_parse_result r;
	static const char in[] = "\xef\xbb\xbf"
				 "0.0.0.0 a.example\r\n"
				 "0.0.0.0 b.example\r"
				 "0.0.0.0 c.example\n"
				 "0.0.0.0 no-newline.example";
	fz_test_parse(FZ_FORMAT_HOSTS, in, sizeof(in) - 1, FZ_MATCH_DEFAULT, &r);
	CHECK_COUNTS(&r, 4, 0, 0, 0);
	static const struct fz_test_name want[] = {
	    {"a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1},
	    {"b.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 2},
	    {"c.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 3},
	    {"no-newline.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 4},
	};
	CHECK_NAMES(&r, want);
	fz_parse_result_free(&r);

	/* A NUL inside a line is a bad character, not the end of the input. */
	static const char nul[] = "0.0.0.0 a\0b.example c.example\n";
	fz_test_parse(FZ_FORMAT_HOSTS, nul, sizeof(nul) - 1, FZ_MATCH_DEFAULT, &r);
	CHECK_COUNTS(&r, 1, 0, 1, 0);
	CHECK_NAME(&r, 0, "c.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 1);
	fz_parse_result_free(&r);
}

static void test_fixture(void)
{
	struct fz_parse_result r;

	fz_test_parse_file(FZ_FORMAT_HOSTS, "hosts/mixed.hosts", &r);
	CHECK_INT(r.lines, 24);
	CHECK_COUNTS(&r, 13, 1, 4, 5);
	static const struct fz_test_name want[] = {
	    {"zero.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 10},
	    {"loop.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 11},
	    {"v6any.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 12},
	    {"v6loop.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 13},
	    {"short.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 14},
	    {"multi1.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 15},
	    {"multi2.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 15},
	    {"multi3.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 15},
	    {"tab.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 16},
	    {"redirect.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 17},
	    {"upper.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 18},
	    {"bare.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 20},
	    {"good.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, 23},
	};
	CHECK_NAMES(&r, want);
	for (uint32_t line = 3; line <= 7; line++)
		CHECK_PROBLEM(&r, line, FZ_PROBLEM_SKIPPED, "hosts: a name the machine uses", NULL);
	CHECK_PROBLEM(&r, 21, FZ_PROBLEM_REJECTED, "no host name", "0.0.0.0");
	CHECK_PROBLEM(&r, 22, FZ_PROBLEM_REJECTED, "not an IP address", NULL);
	CHECK_PROBLEM(&r, 23, FZ_PROBLEM_REJECTED, "", "bad..example");
	CHECK_PROBLEM(&r, 24, FZ_PROBLEM_REJECTED, "hosts: a single word", "word");
	fz_parse_result_free(&r);
}

/* Arbitrary bytes (mostly hosts-ish characters): never crash, and the counts stay consistent. */
static void test_garbage(void)
{
	fz_test_garbage(FZ_FORMAT_HOSTS, "0.1 :a#b\n\t.-_*%\r", 200, 37, 12345);
}

int main(void)
{
	test_sinkhole_forms();
	test_many_names_and_comments();
	test_preamble_is_skipped();
	test_non_sinkhole_address_still_blocks();
	test_single_words();
	test_malformed();
	test_duplicates_and_normalization();
	test_match_override();
	test_line_endings();
	test_fixture();
	test_garbage();
	return fz_test_done();
}
