/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RPZ zone files, driven through fz_parse(). */
#include <time.h>

#include "fz_test_parse.h"

static void check_local(const struct fz_parse_result *r, const struct fz_entry *e, size_t i,
			int family, const char *addr)
{
	uint8_t want[16] = {0};
	CHECK(i < e->naddr);
	if (i >= e->naddr)
		return;
	CHECK_INT(inet_pton(family, addr, want), 1);
	const struct fz_local_addr *a =
	    (const struct fz_local_addr *)(const void *)fz_parse_str(r, e->local_off);
	struct fz_local_addr got;
	memcpy(&got, &a[i], sizeof(got));
	CHECK_INT(got.family, family);
	CHECK(memcmp(got.addr, want, family == AF_INET ? 4 : 16) == 0);
}

static void test_basic(void)
{
	struct fz_parse_result r;
	fz_test_parse_file(FZ_FORMAT_RPZ, "rpz/basic.rpz", &r);
	CHECK_INT(r.lines, 40);
	CHECK_COUNTS(&r, 13, 1, 9, 8);

	/* Lines 1-7: comment, $TTL, $ORIGIN, a SOA over three lines, NS: no problems. */
	for (uint32_t l = 1; l <= 7; l++)
		CHECK(fz_test_problem_at(&r, l) == NULL && fz_test_entry_at(&r, l) == NULL);

	CHECK_NAME_AT(&r, 8, "evil.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	CHECK_NAME_AT(&r, 9, "evil.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, FZ_POLICY_NXDOMAIN);
	CHECK_NAME_AT(&r, 10, "nodata.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NODATA);
	CHECK_NAME_AT(&r, 11, "good.example", FZ_ACTION_ALLOW, FZ_MATCH_EXACT, FZ_POLICY_DEFAULT);
	CHECK_NAME_AT(&r, 12, "drop.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_DEFAULT);
	CHECK_PROBLEM_ONLY(&r, 13, FZ_PROBLEM_SKIPPED, "rpz-tcp-only");
	CHECK_PROBLEM_ONLY(&r, 14, FZ_PROBLEM_SKIPPED, "walled garden");

	/* Lines 15-17: A, AAAA and an owner-less A merge into one local-data rule. */
	CHECK_NAME_AT(&r, 15, "sink.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_LOCAL);
	const struct fz_entry *e = fz_test_entry_at(&r, 15);
	if (e) {
		CHECK_INT(e->naddr, 3);
		check_local(&r, e, 0, AF_INET, "192.0.2.1");
		check_local(&r, e, 1, AF_INET6, "2001:db8::53");
		check_local(&r, e, 2, AF_INET, "192.0.2.2");
	}
	CHECK(fz_test_entry_at(&r, 16) == NULL && fz_test_entry_at(&r, 17) == NULL);
	CHECK_NAME_AT(&r, 18, "sink.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, FZ_POLICY_LOCAL);
	e = fz_test_entry_at(&r, 18);
	if (e) {
		CHECK_INT(e->naddr, 1);
		check_local(&r, e, 0, AF_INET, "192.0.2.9");
	}

	CHECK_IP_AT(&r, 19, AF_INET, "1.2.3.4", 32, FZ_ACTION_BLOCK);
	CHECK_IP_AT(&r, 20, AF_INET6, "2001:db8::", 48, FZ_ACTION_BLOCK);
	CHECK_IP_AT(&r, 21, AF_INET, "192.0.2.0", 24, FZ_ACTION_ALLOW);
	CHECK_PROBLEM_ONLY(&r, 22, FZ_PROBLEM_SKIPPED, "rpz-nsdname");
	CHECK_PROBLEM_ONLY(&r, 23, FZ_PROBLEM_SKIPPED, "rpz-nsip");
	CHECK_PROBLEM_ONLY(&r, 24, FZ_PROBLEM_SKIPPED, "rpz-client-ip");
	/* An absolute owner inside the origin loses the origin. */
	CHECK_NAME_AT(&r, 25, "abs.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	CHECK_PROBLEM_ONLY(&r, 26, FZ_PROBLEM_REJECTED, "outside the zone origin");
	CHECK_PROBLEM_ONLY(&r, 27, FZ_PROBLEM_REJECTED, "empty label");
	CHECK_PROBLEM_ONLY(&r, 28, FZ_PROBLEM_REJECTED, "one target");
	CHECK_PROBLEM_ONLY(&r, 29, FZ_PROBLEM_REJECTED, "$INCLUDE");
	/* ldns reads the quoted TXT (';' inside quotes is not a comment). */
	CHECK_PROBLEM_ONLY(&r, 30, FZ_PROBLEM_SKIPPED, "record type");
	/* ldns' own reason for what it cannot parse. */
	CHECK_PROBLEM_ONLY(&r, 31, FZ_PROBLEM_REJECTED, "rdata");
	CHECK_PROBLEM_ONLY(&r, 32, FZ_PROBLEM_REJECTED, "longer than 253");
	CHECK_PROBLEM_ONLY(&r, 33, FZ_PROBLEM_REJECTED, "escaped");
	CHECK_PROBLEM_ONLY(&r, 34, FZ_PROBLEM_SKIPPED, "class");
	/* Line 35 is a duplicate of line 8: neither a rule nor a problem. */
	CHECK(fz_test_entry_at(&r, 35) == NULL && fz_test_problem_at(&r, 35) == NULL);
	/* The old passthru: a CNAME to the name itself. */
	CHECK_NAME_AT(&r, 36, "oldpass.example", FZ_ACTION_ALLOW, FZ_MATCH_EXACT,
		      FZ_POLICY_DEFAULT);
	CHECK_NAME_AT(&r, 37, "upper.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	CHECK_PROBLEM_ONLY(&r, 38, FZ_PROBLEM_REJECTED, "bad address");
	CHECK_PROBLEM_ONLY(&r, 39, FZ_PROBLEM_REJECTED, "rpz-ip");
	CHECK_PROBLEM_ONLY(&r, 40, FZ_PROBLEM_SKIPPED, "apex");

	/* The problem text is the offending text. */
	CHECK_PROBLEM(&r, 26, FZ_PROBLEM_REJECTED, "outside the zone origin", "outside.example.");
	fz_parse_result_free(&r);
}

static void test_origins(void)
{
	struct fz_parse_result r;

	/* hagezi style: no $ORIGIN, "@ SOA", an indented NS. */
	fz_test_parse_file(FZ_FORMAT_RPZ, "rpz/noorigin.rpz", &r);
	CHECK_COUNTS(&r, 3, 0, 0, 0);
	CHECK_NAME_AT(&r, 7, "bitcoin360.ai", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	CHECK_NAME_AT(&r, 8, "bitcoin360.ai", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE,
		      FZ_POLICY_NXDOMAIN);
	/* Without an origin an absolute owner is the trigger itself. */
	CHECK_NAME_AT(&r, 9, "absolute.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT,
		      FZ_POLICY_NXDOMAIN);
	fz_parse_result_free(&r);

	/* The SOA owner is the origin when there is no $ORIGIN (CRLF file). */
	fz_test_parse_file(FZ_FORMAT_RPZ, "rpz/soa-origin.rpz", &r);
	CHECK_COUNTS(&r, 2, 0, 1, 0);
	CHECK_NAME_AT(&r, 3, "a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	CHECK_NAME_AT(&r, 4, "b.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	CHECK_PROBLEM_ONLY(&r, 5, FZ_PROBLEM_REJECTED, "outside the zone origin");
	fz_parse_result_free(&r);

	/* A relative $ORIGIN extends the current one; a bad one is refused. */
	fz_test_parse_str(FZ_FORMAT_RPZ,
			  "$ORIGIN example.\n"
			  "$ORIGIN rpz\n"
			  "a.test.rpz.example. CNAME .\n"
			  "$ORIGIN bad..origin.\n"
			  "$GENERATE 1-10 host$ CNAME .\n"
			  "$TTL soon\n"
			  "b.test CNAME .\n",
			  &r);
	CHECK_COUNTS(&r, 2, 0, 3, 0);
	CHECK_NAME_AT(&r, 3, "a.test", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	CHECK_PROBLEM_ONLY(&r, 4, FZ_PROBLEM_REJECTED, "empty label");
	CHECK_PROBLEM_ONLY(&r, 5, FZ_PROBLEM_REJECTED, "directive");
	CHECK_PROBLEM_ONLY(&r, 6, FZ_PROBLEM_REJECTED, "$TTL");
	CHECK_NAME_AT(&r, 7, "b.test", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	fz_parse_result_free(&r);
}

static void test_shapes(void)
{
	struct fz_parse_result r;

	/* TTL and class in either order, tabs, a comment after the record. */
	fz_test_parse_str(FZ_FORMAT_RPZ,
			  "a.example\t300\tIN\tCNAME\t.\n"
			  "b.example IN 1h CNAME . ; blocked\n"
			  "c.example cname RPZ-PASSTHRU.\n"
			  "d.example CNAME \\046.\n",
			  &r);
	CHECK_COUNTS(&r, 3, 0, 0, 1);
	CHECK_NAME_AT(&r, 1, "a.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	CHECK_NAME_AT(&r, 2, "b.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	CHECK_NAME_AT(&r, 3, "c.example", FZ_ACTION_ALLOW, FZ_MATCH_EXACT, FZ_POLICY_DEFAULT);
	/* An escaped target goes through ldns: "\046." is a label holding a dot. */
	CHECK_PROBLEM_ONLY(&r, 4, FZ_PROBLEM_SKIPPED, "walled garden");
	fz_parse_result_free(&r);

	/* Local data is merged only for consecutive records of one owner. */
	fz_test_parse_str(FZ_FORMAT_RPZ,
			  "x.example A 192.0.2.1\n"
			  "x.example A 192.0.2.1\n"
			  "y.example A 192.0.2.2\n"
			  "x.example A 192.0.2.3\n",
			  &r);
	/*
	 * Line 4 is a second rule for x.example with the same policy: the
	 * duplicate check keeps the first (a known limit: RPZ feeds keep one
	 * owner's records together).
	 */
	CHECK_COUNTS(&r, 2, 1, 0, 0);
	CHECK(fz_test_entry_at(&r, 1) && fz_test_entry_at(&r, 1)->naddr == 1);
	CHECK(fz_test_entry_at(&r, 3) && fz_test_entry_at(&r, 3)->naddr == 1);
	CHECK(fz_test_entry_at(&r, 4) == NULL);
	fz_parse_result_free(&r);

	/* At most 16 addresses; the rest are skipped. */
	char buf[2048];
	size_t n = 0;
	for (int i = 1; i <= 18; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "many.example A 192.0.2.%d\n", i);
	fz_test_parse_str(FZ_FORMAT_RPZ, buf, &r);
	CHECK_COUNTS(&r, 1, 0, 0, 2);
	CHECK(fz_test_entry_at(&r, 1) && fz_test_entry_at(&r, 1)->naddr == 16);
	CHECK_PROBLEM_ONLY(&r, 17, FZ_PROBLEM_SKIPPED, "16");
	fz_parse_result_free(&r);

	/* A record continuing a refused owner is refused too. */
	fz_test_parse_str(FZ_FORMAT_RPZ,
			  "esc\\046x.example A 192.0.2.1\n  A 192.0.2.2\nok.example A 192.0.2.3\n",
			  &r);
	CHECK_COUNTS(&r, 1, 0, 2, 0);
	CHECK_PROBLEM_ONLY(&r, 1, FZ_PROBLEM_REJECTED, "escaped");
	CHECK_PROBLEM_ONLY(&r, 2, FZ_PROBLEM_REJECTED, "refused");
	fz_parse_result_free(&r);

	/* A bad name with several records is one rejected rule. */
	fz_test_parse_str(FZ_FORMAT_RPZ,
			  "bad..example A 192.0.2.1\n  A 192.0.2.2\nok.example A 192.0.2.3\n", &r);
	CHECK_COUNTS(&r, 1, 0, 1, 0);
	CHECK_PROBLEM_ONLY(&r, 1, FZ_PROBLEM_REJECTED, "empty label");
	fz_parse_result_free(&r);

	/* rpz-ip forms. */
	fz_test_parse_str(FZ_FORMAT_RPZ,
			  "128.1.zz.db8.2001.rpz-ip CNAME .\n"
			  "128.1.0.0.0.0.0.db8.2001.rpz-ip CNAME .\n"
			  "64.zz.2001.rpz-ip CNAME *.\n"
			  "33.4.3.2.1.rpz-ip CNAME .\n"
			  "32.1.zz.zz.1.rpz-ip CNAME .\n"
			  "8.10.rpz-ip CNAME .\n"
			  "32.4.3.2.1.rpz-ip A 192.0.2.1\n"
			  "24.9.2.0.192.RPZ-IP CNAME .\n",
			  &r);
	CHECK_IP_AT(&r, 1, AF_INET6, "2001:db8::1", 128, FZ_ACTION_BLOCK);
	CHECK(fz_test_entry_at(&r, 2) == NULL); /* the same address written out: a duplicate */
	CHECK_IP_AT(&r, 3, AF_INET6, "2001::", 64, FZ_ACTION_BLOCK);
	/* 33 is too long for IPv4 and four groups are too few for IPv6. */
	CHECK_PROBLEM_ONLY(&r, 4, FZ_PROBLEM_REJECTED, "rpz-ip");
	CHECK_PROBLEM_ONLY(&r, 5, FZ_PROBLEM_REJECTED, "rpz-ip");
	CHECK_PROBLEM_ONLY(&r, 6, FZ_PROBLEM_REJECTED, "rpz-ip");
	CHECK_PROBLEM_ONLY(&r, 7, FZ_PROBLEM_SKIPPED, "local data");
	/* Host bits are cleared. */
	CHECK_IP_AT(&r, 8, AF_INET, "192.0.2.0", 24, FZ_ACTION_BLOCK);
	CHECK_COUNTS(&r, 3, 1, 3, 1);
	fz_parse_result_free(&r);

	/* Wildcards only as a whole leading label; never a bare "*". */
	fz_test_parse_str(FZ_FORMAT_RPZ, "* CNAME .\na.*.example CNAME .\n*.ok.example CNAME *.\n",
			  &r);
	CHECK_COUNTS(&r, 1, 0, 2, 0);
	CHECK_NAME_AT(&r, 3, "ok.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, FZ_POLICY_NODATA);
	fz_parse_result_free(&r);

	/* Options: a forced match overrides the format's. */
	static const char one[] = "m.example CNAME .\n";
	fz_test_parse(FZ_FORMAT_RPZ, one, sizeof(one) - 1, FZ_MATCH_SUBTREE, &r);
	CHECK_NAME_AT(&r, 1, "m.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE, FZ_POLICY_NXDOMAIN);
	fz_parse_result_free(&r);
}

static void test_malformed(void)
{
	struct fz_parse_result r;

	/* NUL bytes: the line is refused, the next one read. */
	static const char nul[] = "a.example CNAME .\nb.exa\0mple CNAME .\nc.example CNAME .\n";
	fz_test_parse(FZ_FORMAT_RPZ, nul, sizeof(nul) - 1, FZ_MATCH_DEFAULT, &r);
	CHECK_COUNTS(&r, 2, 0, 1, 0);
	CHECK_PROBLEM_ONLY(&r, 2, FZ_PROBLEM_REJECTED, "NUL");
	fz_parse_result_free(&r);

	/* Parentheses: unbalanced ')', unterminated '(', and '(' across too many lines. */
	fz_test_parse_str(FZ_FORMAT_RPZ, "a.example CNAME . )\nb.example CNAME .\n", &r);
	CHECK_COUNTS(&r, 1, 0, 1, 0);
	CHECK_PROBLEM_ONLY(&r, 1, FZ_PROBLEM_REJECTED, "')'");
	fz_parse_result_free(&r);

	fz_test_parse_str(FZ_FORMAT_RPZ, "ok.example CNAME .\n@ SOA a. b. ( 1 2\n3 4\n", &r);
	CHECK_COUNTS(&r, 1, 0, 1, 0);
	CHECK_PROBLEM_ONLY(&r, 2, FZ_PROBLEM_REJECTED, "not closed");
	fz_parse_result_free(&r);

	char *many = malloc(100 * 8 + 64);
	size_t n = (size_t)sprintf(many, "@ SOA a. b. (\n");
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(many + n, " 1\n");
	n += (size_t)sprintf(many + n, ")\nz.example CNAME .\n");
	fz_test_parse(FZ_FORMAT_RPZ, many, n, FZ_MATCH_DEFAULT, &r);
	CHECK(r.rejected >= 1);
	CHECK_PROBLEM_ONLY(&r, 1, FZ_PROBLEM_REJECTED, "64 lines");
	CHECK(r.n_entries == 1 && fz_test_entry_at(&r, 103) != NULL);
	fz_parse_result_free(&r);
	free(many);

	/* A huge line is refused without being read into ldns. */
	size_t big = 1 << 20;
	char *huge = malloc(big + 64);
	memset(huge, 'a', big);
	memcpy(huge + big, " CNAME .\nok.example CNAME .\n", 28);
	fz_test_parse(FZ_FORMAT_RPZ, huge, big + 28, FZ_MATCH_DEFAULT, &r);
	CHECK_COUNTS(&r, 1, 0, 1, 0);
	CHECK_PROBLEM_ONLY(&r, 1, FZ_PROBLEM_REJECTED, "longer than 4096");
	fz_parse_result_free(&r);
	free(huge);

	/* Records without a type, garbage, only an owner. */
	fz_test_parse_str(FZ_FORMAT_RPZ, "lonely.example\nx.example 300 IN\n\"quoted\" CNAME .\n",
			  &r);
	CHECK_INT(r.n_entries, 0);
	CHECK_INT(r.rejected, 3);
	fz_parse_result_free(&r);

	/* Nothing at all. */
	fz_test_parse(FZ_FORMAT_RPZ, "", 0, FZ_MATCH_DEFAULT, &r);
	CHECK_COUNTS(&r, 0, 0, 0, 0);
	fz_parse_result_free(&r);
}

/* Random records from zone-file pieces: no crash, no hang, no leak (under ASan). */
static void test_random(void)
{
	static const char *const pieces[] = {
	    "a.example",  "*.",	      ".",
	    " ",	  "\t",	      "\n",
	    "(",	  ")",	      ";",
	    "\"",	  "\\",	      "@",
	    "CNAME",	  "A",	      "AAAA",
	    "TXT",	  "SOA",      "NS",
	    "IN",	  "300",      "$ORIGIN",
	    "$TTL",	  "$INCLUDE", "rpz-ip",
	    "32.1.2.3.4", "zz",	      "rpz-passthru.",
	    "192.0.2.1",  "::1",      "\\#",
	    "TYPE65534",  "\0",	      "\xc3\xa9",
	    "MX",	  "10",	      "HINFO",
	    "LOC",
	};
	uint32_t seed = 7;
	char buf[1024];
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = 0;
		int pieces_n = iter % 60;
		for (int i = 0; i < pieces_n; i++) {
			seed = seed * 1103515245u + 12345u;
			const char *p = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t l = p[0] ? strlen(p) : 1;
			if (n + l >= sizeof(buf))
				break;
			memcpy(buf + n, p, l);
			n += l;
		}
		struct fz_parse_result r;
		fz_test_parse(FZ_FORMAT_RPZ, buf, n, FZ_MATCH_DEFAULT, &r);
		fz_test_check_sane(&r);
		fz_parse_result_free(&r);
	}
}

/* A large synthetic list in the hagezi shape parses fast. */
static void test_speed(void)
{
	size_t lines = 200000;
	char *buf = malloc(lines * 40 + 128);
	size_t n = (size_t)sprintf(buf, "$TTL 300\n@ SOA localhost. root.localhost. 1 2 3 4 5\n"
					"  NS  localhost.\n");
	for (size_t i = 0; i < lines / 2; i++)
		n += (size_t)sprintf(buf + n, "n%zu.example CNAME .\n*.n%zu.example CNAME .\n", i,
				     i);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct fz_parse_result r;
	fz_test_parse(FZ_FORMAT_RPZ, buf, n, FZ_MATCH_DEFAULT, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_COUNTS(&r, lines, 0, 0, 0);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("200k RPZ lines: %.1f ms\n", ms);
	/* Generous: sanitizer and debug builds are slower; release is ~50x under this. */
	CHECK(ms < 5000);
	fz_parse_result_free(&r);
	free(buf);
}

int main(void)
{
	test_basic();
	test_origins();
	test_shapes();
	test_malformed();
	test_random();
	test_speed();
	return fz_test_done();
}
