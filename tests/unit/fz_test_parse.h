/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parser tests share: parse a string, a buffer or a fixture as a
 * given format, find the entry or problem of a line, and check rules,
 * problems and counts. The CHECK_* macros count and report like those of
 * fz_test.h; when one fails they also name the test line that called them.
 */
#ifndef FZ_TEST_PARSE_H
#define FZ_TEST_PARSE_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_parse.h"
#include "fz_test.h"

#define FZ_TEST_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Run `call` (a helper made of checks); if any of them failed, say which test line called it. */
#define FZ_TEST_FROM(call)                                                                         \
	do {                                                                                       \
		int fz_failures_ = fz_test_failures;                                               \
		call;                                                                              \
		if (fz_test_failures != fz_failures_)                                              \
			fprintf(stderr, "  (called from %s:%d)\n", __FILE__, __LINE__);            \
	} while (0)

/* A malloc'd copy of exactly `n` bytes, so ASan sees any read past the end. Caller frees. */
static inline uint8_t *fz_test_copy(const void *data, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	if (!copy) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (n)
		memcpy(copy, data, n);
	return copy;
}

/* Read tests/fixtures/<rel> (the FZ_FIXTURES environment variable names another directory). */
static inline unsigned char *fz_test_fixture(const char *rel, size_t *len)
{
	const char *dir = getenv("FZ_FIXTURES");
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : FZ_FIXTURES, rel);

	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, "fixture path too long: %s\n", rel);
		exit(2);
	}
	return fz_test_read_file(path, len);
}

/*
 * Parse exactly `len` bytes of `data` with `o` into `r` (release it with
 * fz_parse_result_free()). Checks that fz_parse() returns 0 and, unless
 * the format is FZ_FORMAT_AUTO, that the result names the format asked for.
 */
static inline void fz_test_parse_opts(const struct fz_parse_opts *o, const void *data, size_t len,
				      struct fz_parse_result *r)
{
	uint8_t *copy = fz_test_copy(data, len);
	int rc = fz_parse(copy, len, o, r);

	free(copy);
	CHECK_INT(rc, 0);
	if (rc != 0)
		fprintf(stderr, "  fz_parse as %s: %d\n", fz_format_name(o->format), rc);
	if (o->format != FZ_FORMAT_AUTO)
		CHECK_INT(r->format, o->format);
}

static inline void fz_test_parse(enum fz_format format, const void *data, size_t len,
				 enum fz_match match, struct fz_parse_result *r)
{
	struct fz_parse_opts o = {.format = format, .match = match};

	fz_test_parse_opts(&o, data, len, r);
}

/* A NUL-terminated string, with the format's own match. */
static inline void fz_test_parse_str(enum fz_format format, const char *s,
				     struct fz_parse_result *r)
{
	fz_test_parse(format, s, strlen(s), FZ_MATCH_DEFAULT, r);
}

/* The fixture tests/fixtures/<rel>, with the format's own match. */
static inline void fz_test_parse_file(enum fz_format format, const char *rel,
				      struct fz_parse_result *r)
{
	size_t len;
	unsigned char *data = fz_test_fixture(rel, &len);

	fz_test_parse(format, data, len, FZ_MATCH_DEFAULT, r);
	free(data);
}

/* The first entry from `line`, or NULL. */
static inline const struct fz_entry *fz_test_entry_at(const struct fz_parse_result *r,
						      uint32_t line)
{
	for (size_t i = 0; i < r->n_entries; i++)
		if (r->entries[i].line == line)
			return &r->entries[i];
	return NULL;
}

/* The first problem on `line`, or NULL. */
static inline const struct fz_problem *fz_test_problem_at(const struct fz_parse_result *r,
							  uint32_t line)
{
	for (size_t i = 0; i < r->n_problems; i++)
		if (r->problems[i].line == line)
			return &r->problems[i];
	return NULL;
}

/* Entry `i`, checking that it exists and comes from `line`; NULL when it does not exist. */
static inline const struct fz_entry *fz_test_nth(const struct fz_parse_result *r, size_t i,
						 uint32_t line)
{
	CHECK(i < r->n_entries);
	if (i >= r->n_entries) {
		fprintf(stderr, "  no entry %zu (there are %zu)\n", i, r->n_entries);
		return NULL;
	}
	CHECK_INT(r->entries[i].line, line);
	return &r->entries[i];
}

/* The entry from `line`, checking that there is one. */
static inline const struct fz_entry *fz_test_on_line(const struct fz_parse_result *r, uint32_t line)
{
	const struct fz_entry *e = fz_test_entry_at(r, line);

	CHECK(e != NULL);
	if (!e)
		fprintf(stderr, "  no entry on line %u\n", line);
	return e;
}

/* `e` (nothing to check when NULL) is a rule for the name `name`. */
static inline void fz_test_check_name(const struct fz_parse_result *r, const struct fz_entry *e,
				      const char *name, enum fz_action action, enum fz_match match,
				      enum fz_policy policy)
{
	if (!e)
		return;
	CHECK_INT(e->kind, FZ_RULE_NAME);
	CHECK_STR(fz_parse_str(r, e->name_off), name);
	CHECK_INT(e->name_len, strlen(name));
	CHECK_INT(e->action, action);
	CHECK_INT(e->match, match);
	CHECK_INT(e->policy, policy);
}

/* `e` (nothing to check when NULL) is a rule for the network addr/prefix. */
static inline void fz_test_check_ip(const struct fz_entry *e, int family, const char *addr,
				    unsigned prefix, enum fz_action action)
{
	uint8_t want[16] = {0};

	if (!e)
		return;
	CHECK_INT(inet_pton(family, addr, want), 1);
	CHECK_INT(e->kind, FZ_RULE_IP);
	CHECK_INT(e->family, family);
	CHECK_INT(e->prefix, prefix);
	CHECK_INT(e->action, action);
	/* All 16 bytes: an IPv4 network leaves the rest zero. */
	CHECK(memcmp(e->addr, want, sizeof(want)) == 0);
}

/* `e` (nothing to check when NULL) blocks the URL prefix host + path. */
static inline void fz_test_check_url(const struct fz_parse_result *r, const struct fz_entry *e,
				     const char *host, const char *path)
{
	if (!e)
		return;
	CHECK_INT(e->kind, FZ_RULE_URL);
	CHECK_INT(e->action, FZ_ACTION_BLOCK);
	CHECK_STR(fz_parse_str(r, e->name_off), host);
	CHECK_INT(e->name_len, strlen(host));
	CHECK_STR(fz_parse_str(r, e->path_off), path);
	CHECK_INT(e->path_len, strlen(path));
}

/* Entry `i` comes from `line` and is a name rule with the default policy. */
#define CHECK_NAME(r, i, name, action, match, line)                                                \
	FZ_TEST_FROM(fz_test_check_name((r), fz_test_nth((r), (i), (line)), (name), (action),      \
					(match), FZ_POLICY_DEFAULT))
/* The entry from `line` is a name rule. */
#define CHECK_NAME_AT(r, line, name, action, match, policy)                                        \
	FZ_TEST_FROM(fz_test_check_name((r), fz_test_on_line((r), (line)), (name), (action),       \
					(match), (policy)))
/* Entry `i` comes from `line` and is an address rule. */
#define CHECK_IP(r, i, family, addr, prefix, action, line)                                         \
	FZ_TEST_FROM(                                                                              \
	    fz_test_check_ip(fz_test_nth((r), (i), (line)), (family), (addr), (prefix), (action)))
/* The entry from `line` is an address rule. */
#define CHECK_IP_AT(r, line, family, addr, prefix, action)                                         \
	FZ_TEST_FROM(                                                                              \
	    fz_test_check_ip(fz_test_on_line((r), (line)), (family), (addr), (prefix), (action)))
/* Entry `i` comes from `line` and blocks a URL prefix. */
#define CHECK_URL(r, i, host, path, line)                                                          \
	FZ_TEST_FROM(fz_test_check_url((r), fz_test_nth((r), (i), (line)), (host), (path)))
/* The entry from `line` blocks a URL prefix. */
#define CHECK_URL_AT(r, line, host, path)                                                          \
	FZ_TEST_FROM(fz_test_check_url((r), fz_test_on_line((r), (line)), (host), (path)))

/* One expected name rule (default policy), for CHECK_NAMES. */
struct fz_test_name {
	const char *name;
	enum fz_action action;
	enum fz_match match;
	uint32_t line;
};

static inline void fz_test_check_names(const struct fz_parse_result *r,
				       const struct fz_test_name *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int failures = fz_test_failures;

		fz_test_check_name(r, fz_test_nth(r, i, want[i].line), want[i].name, want[i].action,
				   want[i].match, FZ_POLICY_DEFAULT);
		if (fz_test_failures != failures)
			fprintf(stderr, "  (entry %zu, expected %s)\n", i, want[i].name);
	}
}

/* Entries 0, 1, ... are the name rules of the array `want`, in that order. */
#define CHECK_NAMES(r, want)                                                                       \
	FZ_TEST_FROM(fz_test_check_names((r), (want), FZ_TEST_ARRAY_SIZE(want)))

static inline void fz_test_check_counts(const struct fz_parse_result *r, size_t accepted,
					size_t duplicates, size_t rejected, size_t skipped)
{
	CHECK_INT(r->accepted, accepted);
	CHECK_INT(r->n_entries, accepted);
	CHECK_INT(r->duplicates, duplicates);
	CHECK_INT(r->rejected, rejected);
	CHECK_INT(r->skipped, skipped);
	CHECK_INT(r->n_problems, rejected + skipped);
}

/* The counts of a result; every problem is kept in detail. */
#define CHECK_COUNTS(r, accepted, duplicates, rejected, skipped)                                   \
	FZ_TEST_FROM(fz_test_check_counts((r), (accepted), (duplicates), (rejected), (skipped)))

/* A problem on `line` of `kind`, its reason containing `reason_part`, its text `text` unless NULL.
 */
static inline void fz_test_check_problem(const struct fz_parse_result *r, uint32_t line,
					 enum fz_problem_kind kind, const char *reason_part,
					 const char *text)
{
	const struct fz_problem *p = fz_test_problem_at(r, line);

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "  no problem on line %u\n", line);
		return;
	}
	CHECK_INT(p->kind, kind);
	CHECK(p->reason != NULL && strstr(p->reason, reason_part) != NULL);
	if (p->reason && !strstr(p->reason, reason_part))
		fprintf(stderr, "  line %u: reason \"%s\", expected \"%s\"\n", line, p->reason,
			reason_part);
	if (text)
		CHECK_MEM_STR(fz_parse_str(r, p->text_off), p->text_len, text);
}

#define CHECK_PROBLEM(r, line, kind, reason_part, text)                                            \
	FZ_TEST_FROM(fz_test_check_problem((r), (line), (kind), (reason_part), (text)))
/* A problem on `line` as for CHECK_PROBLEM, and no rule from that line. */
#define CHECK_PROBLEM_ONLY(r, line, kind, reason_part)                                             \
	FZ_TEST_FROM(fz_test_check_problem((r), (line), (kind), (reason_part), NULL);              \
		     CHECK(fz_test_entry_at((r), (line)) == NULL))

/* A result that holds together: rules and problems from lines that exist, every problem with a
 * reason. */
static inline void fz_test_check_sane(const struct fz_parse_result *r)
{
	CHECK_INT(r->n_entries, r->accepted);
	for (size_t i = 0; i < r->n_entries; i++)
		CHECK(r->entries[i].line >= 1 && r->entries[i].line <= r->lines);
	for (size_t i = 0; i < r->n_problems; i++)
		CHECK(r->problems[i].line >= 1 && r->problems[i].line <= r->lines &&
		      r->problems[i].reason != NULL);
}

/* `len` pseudo-random bytes: three in four from `alpha`, the rest any byte at all. */
static inline void fz_test_fill(uint8_t *buf, size_t len, const char *alpha, uint32_t *seed)
{
	size_t n = strlen(alpha);

	for (size_t i = 0; i < len; i++) {
		*seed = *seed * 1103515245u + 12345u;
		uint8_t c = (uint8_t)(*seed >> 16);
		buf[i] = (c & 3) ? (uint8_t)alpha[c % n] : c;
	}
}

/*
 * `rounds` inputs from fz_test_fill(), of round * step % 4096 bytes, parsed
 * as `format`: fz_parse() never fails and the result always holds together.
 */
static inline void fz_test_garbage(enum fz_format format, const char *alpha, int rounds,
				   size_t step, uint32_t seed)
{
	uint8_t buf[4096];

	for (int round = 0; round < rounds; round++) {
		size_t len = (size_t)round * step % sizeof(buf);
		struct fz_parse_result r;

		fz_test_fill(buf, len, alpha, &seed);
		fz_test_parse(format, buf, len, FZ_MATCH_DEFAULT, &r);
		fz_test_check_sane(&r);
		fz_parse_result_free(&r);
	}
}

#endif
