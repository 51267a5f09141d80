/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plain-domains parser, driven through fz_parse() with format "domains". */
#include <stdint.h>
#include <string.h>

#include "fz_parse.h"
#include "fz_test.h"

static int parse_as(const char *text, size_t len, enum fz_match match, struct fz_parse_result *r)
{
	struct fz_parse_opts o = {.format = FZ_FORMAT_DOMAINS, .match = match};

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
	CHECK_INT(r->format, FZ_FORMAT_DOMAINS);
}

static void check_name(const struct fz_parse_result *r, size_t i, const char *name,
		       enum fz_match match, uint32_t line)
{
	if (i >= r->n_entries) {
		CHECK(i < r->n_entries);
		return;
	}
	const struct fz_entry *e = &r->entries[i];
	CHECK_STR(fz_parse_str(r, e->name_off), name);
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

static void test_plain(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("# Title: a list\n"
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
			&r),
		  0);
	check_counts(&r, 8, 1, 0, 0);
	CHECK_INT(r.lines, 12);
	check_name(&r, 0, "a.example", FZ_MATCH_EXACT, 4);
	check_name(&r, 1, "upper.example", FZ_MATCH_EXACT, 5);
	check_name(&r, 2, "trailing.example", FZ_MATCH_EXACT, 6);
	check_name(&r, 3, "spaced.example", FZ_MATCH_EXACT, 7);
	check_name(&r, 4, "comment.example", FZ_MATCH_EXACT, 8);
	check_name(&r, 5, "bang.example", FZ_MATCH_EXACT, 9);
	check_name(&r, 6, "xn--bcher-kva.example", FZ_MATCH_EXACT, 11);
	check_name(&r, 7, "under_score.example", FZ_MATCH_EXACT, 12);
	fz_parse_result_free(&r);
}

static void test_wildcards(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("*.wild.example\n"
			"*.zip\n"
			"ads*.wild.example\n"
			"*ads.example\n"
			"a.*.example\n"
			"*\n"
			"wild.example\n",
			&r),
		  0);
	/* "wild.example" exact is a different rule from "*.wild.example". */
	check_counts(&r, 3, 0, 0, 4);
	check_name(&r, 0, "wild.example", FZ_MATCH_SUBTREE, 1);
	check_name(&r, 1, "zip", FZ_MATCH_SUBTREE, 2);
	check_name(&r, 2, "wild.example", FZ_MATCH_EXACT, 7);
	for (uint32_t line = 3; line <= 6; line++)
		check_problem(&r, line, FZ_PROBLEM_SKIPPED, "domains: a wildcard (*) inside a name",
			      NULL);
	fz_parse_result_free(&r);
}

static void test_junk(void)
{
	struct fz_parse_result r;
	CHECK_INT(parse("host.example:8080\n"
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
			&r),
		  0);
	check_counts(&r, 0, 0, 16, 0);
	check_problem(&r, 1, FZ_PROBLEM_REJECTED, "domains: host:port", "host.example:8080");
	check_problem(&r, 2, FZ_PROBLEM_REJECTED, "domains: a query string", "query.example?id=1");
	check_problem(&r, 3, FZ_PROBLEM_REJECTED, "domains: a URL", "http://url.example/path");
	check_problem(&r, 4, FZ_PROBLEM_REJECTED, "domains: a path", NULL);
	check_problem(&r, 5, FZ_PROBLEM_REJECTED, "domains: user@host", NULL);
	check_problem(&r, 6, FZ_PROBLEM_REJECTED, "", "double..dot.example");
	check_problem(&r, 7, FZ_PROBLEM_REJECTED, "", "192.0.2.1");
	check_problem(&r, 8, FZ_PROBLEM_REJECTED, "", "0x7f000001");
	check_problem(&r, 9, FZ_PROBLEM_REJECTED, "a hosts line in a domain list",
		      "0.0.0.0 hostsline.example");
	check_problem(&r, 10, FZ_PROBLEM_REJECTED, "domains: more than one field", NULL);
	check_problem(&r, 11, FZ_PROBLEM_REJECTED, "domains: an adblock rule", NULL);
	check_problem(&r, 12, FZ_PROBLEM_REJECTED, "domains: a single label", "cdn-cgi");
	check_problem(&r, 13, FZ_PROBLEM_REJECTED, "", "<body>");
	check_problem(&r, 14, FZ_PROBLEM_REJECTED, "", "-->");
	check_problem(&r, 15, FZ_PROBLEM_REJECTED, "", "[2001:db8::1]");
	check_problem(&r, 16, FZ_PROBLEM_REJECTED, "", "bad!.example");
	/* The IP literals are refused by the normalizer, which says why. */
	const struct fz_problem *p = problem_at(&r, 7);
	CHECK(p && p->reason && strstr(p->reason, "domains:") == NULL);
	for (size_t i = 0; i < r.n_problems; i++)
		CHECK(r.problems[i].reason && strlen(r.problems[i].reason) > 8);
	fz_parse_result_free(&r);
}

static void test_match_override(void)
{
	struct fz_parse_result r;
	const char *in = "a.example\n*.b.example\n";
	CHECK_INT(parse_as(in, strlen(in), FZ_MATCH_SUBTREE, &r), 0);
	check_counts(&r, 2, 0, 0, 0);
	check_name(&r, 0, "a.example", FZ_MATCH_SUBTREE, 1);
	check_name(&r, 1, "b.example", FZ_MATCH_SUBTREE, 2);
	fz_parse_result_free(&r);

	/* An explicit "exact" wins over the "*." of the line. */
	CHECK_INT(parse_as(in, strlen(in), FZ_MATCH_EXACT, &r), 0);
	check_counts(&r, 2, 0, 0, 0);
	check_name(&r, 0, "a.example", FZ_MATCH_EXACT, 1);
	check_name(&r, 1, "b.example", FZ_MATCH_EXACT, 2);
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
	CHECK_INT(parse_as(buf, n, FZ_MATCH_DEFAULT, &r), 0);
	check_counts(&r, 0, 0, 2, 0);
	CHECK(problem_at(&r, 1) != NULL);
	CHECK(problem_at(&r, 2) != NULL);
	fz_parse_result_free(&r);
}

static unsigned char *fixture(const char *name, size_t *len)
{
	const char *dir = getenv("FZ_FIXTURES");
	char path[4096];

	snprintf(path, sizeof(path), "%s/domains/%s", dir ? dir : FZ_FIXTURES, name);
	return fz_test_read_file(path, len);
}

static void test_fixture_junk(void)
{
	size_t len;
	struct fz_parse_result r;
	unsigned char *buf = fixture("junk.txt", &len);

	CHECK_INT(parse_as((const char *)buf, len, FZ_MATCH_DEFAULT, &r), 0);
	CHECK_INT(r.lines, 26);
	check_counts(&r, 9, 1, 13, 1);
	check_name(&r, 0, "plain.example", FZ_MATCH_EXACT, 3);
	check_name(&r, 1, "upper.example", FZ_MATCH_EXACT, 4);
	check_name(&r, 2, "trailing-dot.example", FZ_MATCH_EXACT, 5);
	check_name(&r, 3, "wild.example", FZ_MATCH_SUBTREE, 6);
	check_name(&r, 4, "comment-after.example", FZ_MATCH_EXACT, 7);
	check_name(&r, 5, "bang-after.example", FZ_MATCH_EXACT, 8);
	check_name(&r, 6, "spaced.example", FZ_MATCH_EXACT, 9);
	check_name(&r, 7, "zip", FZ_MATCH_SUBTREE, 25);
	check_name(&r, 8, "xn--bcher-kva.example", FZ_MATCH_EXACT, 26);
	check_problem(&r, 11, FZ_PROBLEM_REJECTED, "host:port", "host.example:8080");
	check_problem(&r, 12, FZ_PROBLEM_REJECTED, "query string", NULL);
	check_problem(&r, 13, FZ_PROBLEM_REJECTED, "a URL", NULL);
	check_problem(&r, 14, FZ_PROBLEM_REJECTED, "a path", NULL);
	check_problem(&r, 15, FZ_PROBLEM_REJECTED, "user@host", NULL);
	check_problem(&r, 16, FZ_PROBLEM_REJECTED, "", "double..dot.example");
	check_problem(&r, 17, FZ_PROBLEM_REJECTED, "", "192.0.2.1");
	check_problem(&r, 18, FZ_PROBLEM_REJECTED, "", "0x7f000001");
	check_problem(&r, 19, FZ_PROBLEM_SKIPPED, "wildcard", "ads*.wild.example");
	check_problem(&r, 20, FZ_PROBLEM_REJECTED, "hosts line", NULL);
	check_problem(&r, 21, FZ_PROBLEM_REJECTED, "more than one field", NULL);
	check_problem(&r, 22, FZ_PROBLEM_REJECTED, "adblock rule", NULL);
	check_problem(&r, 23, FZ_PROBLEM_REJECTED, "single label", "cdn-cgi");
	check_problem(&r, 24, FZ_PROBLEM_REJECTED, "", "<body>");
	fz_parse_result_free(&r);
	free(buf);
}

static void test_fixture_line_endings(void)
{
	size_t len;
	struct fz_parse_result r;
	unsigned char *buf = fixture("crlf.txt", &len);

	CHECK_INT(parse_as((const char *)buf, len, FZ_MATCH_DEFAULT, &r), 0);
	CHECK_INT(r.lines, 5);
	check_counts(&r, 3, 0, 0, 0);
	check_name(&r, 0, "crlf-one.example", FZ_MATCH_EXACT, 2);
	check_name(&r, 1, "crlf-two.example", FZ_MATCH_EXACT, 3);
	check_name(&r, 2, "crlf-three.example", FZ_MATCH_EXACT, 5);
	fz_parse_result_free(&r);
	free(buf);

	buf = fixture("bom.txt", &len);
	CHECK_INT(parse_as((const char *)buf, len, FZ_MATCH_DEFAULT, &r), 0);
	CHECK_INT(r.lines, 2);
	check_counts(&r, 2, 0, 0, 0);
	check_name(&r, 0, "bom.example", FZ_MATCH_EXACT, 1);
	check_name(&r, 1, "second.example", FZ_MATCH_EXACT, 2);
	fz_parse_result_free(&r);
	free(buf);
}

static void test_garbage(void)
{
	uint8_t buf[4096];
	uint32_t x = 777;
	struct fz_parse_result r;

	for (int round = 0; round < 200; round++) {
		size_t len = (size_t)(round * 41) % sizeof(buf);
		for (size_t i = 0; i < len; i++) {
			static const char alpha[] = "a.b*:/?@#! \n\r-_";
			x = x * 1103515245u + 12345u;
			uint8_t c = (uint8_t)(x >> 16);
			buf[i] = (c & 3) ? (uint8_t)alpha[c % (sizeof(alpha) - 1)] : c;
		}
		struct fz_parse_opts o = {.format = FZ_FORMAT_DOMAINS};
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
