/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hosts-file parser, driven through fz_parse() with format "hosts". */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_parse.h"
#include "fz_test.h"

static int parse_as(const char *text, size_t len, enum fz_match match, struct fz_parse_result *r)
{
	struct fz_parse_opts o = {.format = FZ_FORMAT_HOSTS, .match = match};

	return fz_parse((const uint8_t *)text, len, &o, r);
}

static int parse(const char *text, struct fz_parse_result *r)
{
	return parse_as(text, strlen(text), FZ_MATCH_DEFAULT, r);
}

static const char *entry_name(const struct fz_parse_result *r, size_t i)
{
	return i < r->n_entries ? fz_parse_str(r, r->entries[i].name_off) : NULL;
}

/* The first problem on `line`, or NULL. */
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
	CHECK_INT(r->format, FZ_FORMAT_HOSTS);
}

static void check_name(const struct fz_parse_result *r, size_t i, const char *name,
		       enum fz_match match, uint32_t line)
{
	if (i >= r->n_entries) {
		CHECK(i < r->n_entries);
		return;
	}
	const struct fz_entry *e = &r->entries[i];
	CHECK_STR(entry_name(r, i), name);
	CHECK_INT(e->name_len, strlen(name));
	CHECK_INT(e->kind, FZ_RULE_NAME);
	CHECK_INT(e->action, FZ_ACTION_BLOCK);
	CHECK_INT(e->match, match);
	CHECK_INT(e->policy, FZ_POLICY_DEFAULT);
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

static void test_sinkhole_forms(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("0.0.0.0 a.example\n"
			"127.0.0.1 b.example\n"
			":: c.example\n"
			"::1 d.example\n"
			"0 e.example\n"
			"127.0.0.2 f.example\n"
			"::ffff:0.0.0.0 g.example\n",
			&r),
		  0);
	check_counts(&r, 7, 0, 0, 0);
	CHECK_INT(r.lines, 7);
	check_name(&r, 0, "a.example", FZ_MATCH_EXACT, 1);
	check_name(&r, 1, "b.example", FZ_MATCH_EXACT, 2);
	check_name(&r, 2, "c.example", FZ_MATCH_EXACT, 3);
	check_name(&r, 3, "d.example", FZ_MATCH_EXACT, 4);
	check_name(&r, 4, "e.example", FZ_MATCH_EXACT, 5);
	check_name(&r, 5, "f.example", FZ_MATCH_EXACT, 6);
	check_name(&r, 6, "g.example", FZ_MATCH_EXACT, 7);
	fz_parse_result_free(&r);
}

static void test_many_names_and_comments(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("# header\n"
			"\n"
			"   \t\n"
			"#pkg=white.ad.web.com;【提示误伤】\n"
			"0.0.0.0 a.example b.example\tc.example   d.example\n"
			"127.0.0.1 livew.l.qq.com #-> 腾讯视频\n"
			"0.0.0.0 glued.example#comment right after\n"
			"  0.0.0.0   indented.example  \n",
			&r),
		  0);
	check_counts(&r, 7, 0, 0, 0);
	CHECK_INT(r.lines, 8);
	check_name(&r, 0, "a.example", FZ_MATCH_EXACT, 5);
	check_name(&r, 1, "b.example", FZ_MATCH_EXACT, 5);
	check_name(&r, 2, "c.example", FZ_MATCH_EXACT, 5);
	check_name(&r, 3, "d.example", FZ_MATCH_EXACT, 5);
	check_name(&r, 4, "livew.l.qq.com", FZ_MATCH_EXACT, 6);
	check_name(&r, 5, "glued.example", FZ_MATCH_EXACT, 7);
	check_name(&r, 6, "indented.example", FZ_MATCH_EXACT, 8);
	fz_parse_result_free(&r);
}

static void test_preamble_is_skipped(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("127.0.0.1 localhost\n"
			"127.0.0.1 localhost.localdomain\n"
			"127.0.0.1 local\n"
			"255.255.255.255 broadcasthost\n"
			"::1 localhost ip6-localhost ip6-loopback\n"
			"fe80::1%lo0 localhost\n"
			"0.0.0.0 0.0.0.0\n",
			&r),
		  0);
	/* No rule from the preamble; every alias is reported, not silently dropped. */
	CHECK_INT(r.accepted, 0);
	CHECK_INT(r.skipped, 9);
	CHECK_INT(r.rejected, 0);
	for (uint32_t line = 1; line <= 7; line++)
		check_problem(&r, line, FZ_PROBLEM_SKIPPED, "hosts: a name the machine uses", NULL);
	check_problem(&r, 1, FZ_PROBLEM_SKIPPED, "never blocked", "localhost");
	check_problem(&r, 4, FZ_PROBLEM_SKIPPED, "never blocked", "broadcasthost");
	fz_parse_result_free(&r);
}

static void test_non_sinkhole_address_still_blocks(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("1.2.3.4 evil.example\n2001:db8::5 evil6.example\n", &r), 0);
	check_counts(&r, 2, 0, 0, 0);
	check_name(&r, 0, "evil.example", FZ_MATCH_EXACT, 1);
	check_name(&r, 1, "evil6.example", FZ_MATCH_EXACT, 2);
	fz_parse_result_free(&r);
}

static void test_single_words(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("bare.example\n"
			"Bare-Upper.Example.\n"
			"localhost\n"
			"word\n"
			"bad_host!.example\n"
			"0.0.0.0\n"
			"192.0.2.1\n",
			&r),
		  0);
	check_counts(&r, 2, 0, 4, 1);
	check_name(&r, 0, "bare.example", FZ_MATCH_EXACT, 1);
	check_name(&r, 1, "bare-upper.example", FZ_MATCH_EXACT, 2);
	check_problem(&r, 3, FZ_PROBLEM_SKIPPED, "hosts: a name the machine uses", "localhost");
	check_problem(&r, 4, FZ_PROBLEM_REJECTED, "hosts: a single word", "word");
	check_problem(&r, 5, FZ_PROBLEM_REJECTED, "hosts: a single word", "bad_host!.example");
	check_problem(&r, 6, FZ_PROBLEM_REJECTED, "hosts: an address with no host name", "0.0.0.0");
	check_problem(&r, 7, FZ_PROBLEM_REJECTED, "hosts: an address with no host name",
		      "192.0.2.1");
	fz_parse_result_free(&r);
}

static void test_malformed(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("evil.example 0.0.0.0\n"
			"0.0.0.0 good.example bad..example 192.0.2.7 *.wild.example\n"
			"0.0.0.0 under_score.example\n"
			"0.0.0.0.0 five.example\n"
			"0.0.0.0 # only a comment after the address\n",
			&r),
		  0);
	check_counts(&r, 2, 0, 6, 0);
	check_problem(&r, 1, FZ_PROBLEM_REJECTED, "hosts: the first field is not an IP address",
		      "evil.example 0.0.0.0");
	check_name(&r, 0, "good.example", FZ_MATCH_EXACT, 2);
	check_name(&r, 1, "under_score.example", FZ_MATCH_EXACT, 3);
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
	check_problem(&r, 4, FZ_PROBLEM_REJECTED, "hosts: the first field is not an IP address",
		      NULL);
	check_problem(&r, 5, FZ_PROBLEM_REJECTED, "hosts: an address with no host name", NULL);
	fz_parse_result_free(&r);
}

static void test_duplicates_and_normalization(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("0.0.0.0 a.example\n"
			"127.0.0.1 A.EXAMPLE.\n"
			"0.0.0.0 a.example a.example\n"
			"0.0.0.0 Bücher.Example\n",
			&r),
		  0);
	check_counts(&r, 2, 3, 0, 0);
	check_name(&r, 0, "a.example", FZ_MATCH_EXACT, 1);
	check_name(&r, 1, "xn--bcher-kva.example", FZ_MATCH_EXACT, 4);
	fz_parse_result_free(&r);
}

static void test_match_override(void)
{
	struct fz_parse_result r;
	const char *in = "0.0.0.0 a.example b.example\nbare.example\n";
	CHECK_INT(parse_as(in, strlen(in), FZ_MATCH_SUBTREE, &r), 0);
	check_counts(&r, 3, 0, 0, 0);
	check_name(&r, 0, "a.example", FZ_MATCH_SUBTREE, 1);
	check_name(&r, 1, "b.example", FZ_MATCH_SUBTREE, 1);
	check_name(&r, 2, "bare.example", FZ_MATCH_SUBTREE, 2);
	fz_parse_result_free(&r);

	CHECK_INT(parse_as(in, strlen(in), FZ_MATCH_EXACT, &r), 0);
	check_name(&r, 0, "a.example", FZ_MATCH_EXACT, 1);
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
	CHECK_INT(parse_as(in, sizeof(in) - 1, FZ_MATCH_DEFAULT, &r), 0);
	check_counts(&r, 4, 0, 0, 0);
	check_name(&r, 0, "a.example", FZ_MATCH_EXACT, 1);
	check_name(&r, 1, "b.example", FZ_MATCH_EXACT, 2);
	check_name(&r, 2, "c.example", FZ_MATCH_EXACT, 3);
	check_name(&r, 3, "no-newline.example", FZ_MATCH_EXACT, 4);
	fz_parse_result_free(&r);

	/* A NUL inside a line is a bad character, not the end of the input. */
	static const char nul[] = "0.0.0.0 a\0b.example c.example\n";
	CHECK_INT(parse_as(nul, sizeof(nul) - 1, FZ_MATCH_DEFAULT, &r), 0);
	check_counts(&r, 1, 0, 1, 0);
	check_name(&r, 0, "c.example", FZ_MATCH_EXACT, 1);
	fz_parse_result_free(&r);
}

static void test_fixture(void)
{
	const char *dir = getenv("FZ_FIXTURES");
	char path[4096];
	size_t len;
	struct fz_parse_result r;

	snprintf(path, sizeof(path), "%s/hosts/mixed.hosts", dir ? dir : FZ_FIXTURES);
	unsigned char *buf = fz_test_read_file(path, &len);
	CHECK_INT(parse_as((const char *)buf, len, FZ_MATCH_DEFAULT, &r), 0);
	CHECK_INT(r.lines, 24);
	check_counts(&r, 13, 1, 4, 5);
	static const char *const names[] = {
	    "zero.example",  "loop.example",	 "v6any.example",  "v6loop.example",
	    "short.example", "multi1.example",	 "multi2.example", "multi3.example",
	    "tab.example",   "redirect.example", "upper.example",  "bare.example",
	    "good.example",
	};
	static const uint32_t lines[] = {10, 11, 12, 13, 14, 15, 15, 15, 16, 17, 18, 20, 23};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_name(&r, i, names[i], FZ_MATCH_EXACT, lines[i]);
	for (uint32_t line = 3; line <= 7; line++)
		check_problem(&r, line, FZ_PROBLEM_SKIPPED, "hosts: a name the machine uses", NULL);
	check_problem(&r, 21, FZ_PROBLEM_REJECTED, "no host name", "0.0.0.0");
	check_problem(&r, 22, FZ_PROBLEM_REJECTED, "not an IP address", NULL);
	check_problem(&r, 23, FZ_PROBLEM_REJECTED, "", "bad..example");
	check_problem(&r, 24, FZ_PROBLEM_REJECTED, "hosts: a single word", "word");
	fz_parse_result_free(&r);
	free(buf);
}

/* Arbitrary bytes: never crash, and the counts stay consistent. */
static void test_garbage(void)
{
	uint8_t buf[4096];
	uint32_t x = 12345;
	struct fz_parse_result r;

	for (int round = 0; round < 200; round++) {
		size_t len = (size_t)(round * 37) % sizeof(buf);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			/* Mostly hosts-ish characters, some arbitrary bytes. */
			static const char alpha[] = "0.1 :a#b\n\t.-_*%\r";
			uint8_t c = (uint8_t)(x >> 16);
			buf[i] = (c & 3) ? (uint8_t)alpha[c % (sizeof(alpha) - 1)] : c;
		}
		struct fz_parse_opts o = {.format = FZ_FORMAT_HOSTS};
		CHECK_INT(fz_parse(buf, len, &o, &r), 0);
		CHECK_INT(r.n_entries, r.accepted);
		for (size_t i = 0; i < r.n_entries; i++)
			CHECK(r.entries[i].line >= 1 && r.entries[i].line <= r.lines);
		for (size_t i = 0; i < r.n_problems; i++)
			CHECK(r.problems[i].line >= 1 && r.problems[i].line <= r.lines &&
			      r.problems[i].reason != NULL);
		fz_parse_result_free(&r);
	}
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
