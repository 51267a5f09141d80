/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The invariants of a parse result, checked after every fuzzed parse:
 * strings inside the arena and NUL-terminated, names in normal form, counts
 * that agree with the arrays, line numbers within the input, and results
 * that do not depend on how many problems are kept in detail.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_common.h"
#include "fz_name.h"

/* `len` bytes at `off`, inside the arena and followed by a NUL. */
static const char *arena_bytes(const struct fz_parse_result *res, uint32_t off, size_t len)
{
	FZ_FUZZ_CHECK(res->arena != NULL);
	FZ_FUZZ_CHECK((size_t)off <= res->arena_len);
	FZ_FUZZ_CHECK(len < res->arena_len - off);
	FZ_FUZZ_CHECK(res->arena[off + len] == '\0');
	return fz_parse_str(res, off);
}

/* The same, and a C string: no NUL inside (names and paths). */
static const char *arena_str(const struct fz_parse_result *res, uint32_t off, size_t len)
{
	const char *s = arena_bytes(res, off, len);

	FZ_FUZZ_CHECK(memchr(s, '\0', len) == NULL);
	return s;
}

static void check_name(const char *name, size_t len)
{
	char out[FZ_NAME_BUF];
	size_t out_len = 0;
	bool wild = false;

	FZ_FUZZ_CHECK(len >= 1 && len <= FZ_NAME_MAX);
	/* A stored name is in normal form: normalizing it changes nothing. */
	FZ_FUZZ_CHECK(fz_name_normalize(name, len, 0, out, &out_len, &wild) == FZ_NAME_OK);
	FZ_FUZZ_CHECK(out_len == len);
	FZ_FUZZ_CHECK(memcmp(out, name, len) == 0);
	FZ_FUZZ_CHECK(!fz_name_is_ip_literal(name, len));
}

static void check_ip(const struct fz_entry *e)
{
	size_t alen;

	FZ_FUZZ_CHECK(e->family == AF_INET || e->family == AF_INET6);
	alen = e->family == AF_INET ? 4 : 16;
	FZ_FUZZ_CHECK(e->prefix <= alen * 8);
	/* Host bits are cleared; bytes past the address are zero. */
	for (size_t bit = e->prefix; bit < 128; bit++) {
		size_t byte = bit / 8;
		FZ_FUZZ_CHECK(!(e->addr[byte] & (0x80u >> (bit % 8))));
	}
}

static void check_entry(const struct fz_parse_result *res, const struct fz_entry *e)
{
	FZ_FUZZ_CHECK(e->line >= 1 && e->line <= res->lines);
	FZ_FUZZ_CHECK(e->action == FZ_ACTION_BLOCK || e->action == FZ_ACTION_ALLOW);
	switch (e->kind) {
	case FZ_RULE_NAME:
		check_name(arena_str(res, e->name_off, e->name_len), e->name_len);
		FZ_FUZZ_CHECK(e->match == FZ_MATCH_EXACT || e->match == FZ_MATCH_SUBTREE);
		FZ_FUZZ_CHECK(e->policy <= FZ_POLICY_LOCAL);
		if (e->policy == FZ_POLICY_LOCAL) {
			const struct fz_local_addr *la;

			FZ_FUZZ_CHECK(e->naddr >= 1);
			FZ_FUZZ_CHECK((size_t)e->local_off <= res->arena_len);
			FZ_FUZZ_CHECK(e->naddr * sizeof(*la) <= res->arena_len - e->local_off);
			/* The arena only promises byte alignment: copy each address out. */
			for (unsigned i = 0; i < e->naddr; i++) {
				struct fz_local_addr a;

				memcpy(&a, res->arena + e->local_off + i * sizeof(a), sizeof(a));
				FZ_FUZZ_CHECK(a.family == AF_INET || a.family == AF_INET6);
			}
		} else {
			FZ_FUZZ_CHECK(e->naddr == 0);
		}
		break;
	case FZ_RULE_URL: {
		const char *path;

		check_name(arena_str(res, e->name_off, e->name_len), e->name_len);
		path = arena_str(res, e->path_off, e->path_len);
		FZ_FUZZ_CHECK(e->path_len >= 1 && path[0] == '/');
		FZ_FUZZ_CHECK(memchr(path, '#', e->path_len) == NULL);
		break;
	}
	case FZ_RULE_IP:
		check_ip(e);
		break;
	default:
		FZ_FUZZ_CHECK(!"unknown rule kind");
	}
}

void fz_fuzz_result_check(const struct fz_parse_result *res, enum fz_format asked)
{
	size_t kept, rejected_kept = 0;

	if (asked == FZ_FORMAT_AUTO)
		FZ_FUZZ_CHECK(res->format > FZ_FORMAT_AUTO && res->format < FZ_FORMAT_COUNT);
	else
		FZ_FUZZ_CHECK(res->format == asked);
	FZ_FUZZ_CHECK(res->n_entries == res->accepted);
	FZ_FUZZ_CHECK(res->n_entries == 0 || res->entries != NULL);
	FZ_FUZZ_CHECK(res->arena_len <= res->arena_cap);
	for (size_t i = 0; i < res->n_entries; i++)
		check_entry(res, &res->entries[i]);

	/* Every problem is counted; the first max_problems are kept in detail. */
	kept = res->rejected + res->skipped;
	if (kept > res->max_problems)
		kept = res->max_problems;
	FZ_FUZZ_CHECK(res->n_problems == kept);
	for (size_t i = 0; i < res->n_problems; i++) {
		const struct fz_problem *p = &res->problems[i];

		FZ_FUZZ_CHECK(p->line >= 1 && p->line <= res->lines);
		FZ_FUZZ_CHECK(p->kind == FZ_PROBLEM_REJECTED || p->kind == FZ_PROBLEM_SKIPPED);
		FZ_FUZZ_CHECK(p->reason != NULL && p->reason[0] != '\0');
		/* The offending text is raw input: it may hold NUL bytes. */
		arena_bytes(res, p->text_off, p->text_len);
		rejected_kept += p->kind == FZ_PROBLEM_REJECTED;
	}
	FZ_FUZZ_CHECK(rejected_kept <= res->rejected);
	FZ_FUZZ_CHECK(res->n_problems - rejected_kept <= res->skipped);
	if (res->n_problems == res->rejected + res->skipped)
		FZ_FUZZ_CHECK(rejected_kept == res->rejected);
}

static void entry_same(const struct fz_parse_result *a, const struct fz_entry *x,
		       const struct fz_parse_result *b, const struct fz_entry *y)
{
	FZ_FUZZ_CHECK(x->line == y->line);
	FZ_FUZZ_CHECK(x->kind == y->kind && x->action == y->action);
	FZ_FUZZ_CHECK(x->match == y->match && x->policy == y->policy);
	FZ_FUZZ_CHECK(x->family == y->family && x->prefix == y->prefix);
	FZ_FUZZ_CHECK(memcmp(x->addr, y->addr, sizeof(x->addr)) == 0);
	FZ_FUZZ_CHECK(x->naddr == y->naddr);
	if (x->kind != FZ_RULE_IP) {
		FZ_FUZZ_CHECK(x->name_len == y->name_len);
		FZ_FUZZ_CHECK(memcmp(fz_parse_str(a, x->name_off), fz_parse_str(b, y->name_off),
				     x->name_len) == 0);
	}
	if (x->kind == FZ_RULE_URL) {
		FZ_FUZZ_CHECK(x->path_len == y->path_len);
		FZ_FUZZ_CHECK(memcmp(fz_parse_str(a, x->path_off), fz_parse_str(b, y->path_off),
				     x->path_len) == 0);
	}
	if (x->naddr)
		FZ_FUZZ_CHECK(memcmp(fz_parse_str(a, x->local_off), fz_parse_str(b, y->local_off),
				     x->naddr * sizeof(struct fz_local_addr)) == 0);
}

void fz_fuzz_parse_check(const uint8_t *data, size_t size, enum fz_format format)
{
	struct fz_parse_opts opts = {.format = format};
	struct fz_parse_result full, few, cut;
	const size_t cut_at = 2;
	int r;

	memset(&full, 0, sizeof(full));
	r = fz_parse(data, size, &opts, &full);
	if (r == -ENOMEM)
		return;
	FZ_FUZZ_CHECK(r == 0);
	fz_fuzz_result_check(&full, format);

	/* Keeping fewer problems in detail changes nothing else. */
	opts.max_problems = 1;
	memset(&few, 0, sizeof(few));
	FZ_FUZZ_CHECK(fz_parse(data, size, &opts, &few) == 0);
	fz_fuzz_result_check(&few, format);
	FZ_FUZZ_CHECK(few.format == full.format && few.lines == full.lines);
	FZ_FUZZ_CHECK(few.accepted == full.accepted && few.duplicates == full.duplicates);
	FZ_FUZZ_CHECK(few.rejected == full.rejected && few.skipped == full.skipped);
	FZ_FUZZ_CHECK(few.truncated == full.truncated);
	for (size_t i = 0; i < full.n_entries; i++)
		entry_same(&full, &full.entries[i], &few, &few.entries[i]);
	if (full.n_problems && few.n_problems) {
		FZ_FUZZ_CHECK(few.problems[0].line == full.problems[0].line);
		FZ_FUZZ_CHECK(few.problems[0].kind == full.problems[0].kind);
	}
	fz_parse_result_free(&few);

	/* An entry bound keeps the first entries and says it stopped. */
	opts.max_problems = 0;
	opts.max_entries = cut_at;
	memset(&cut, 0, sizeof(cut));
	FZ_FUZZ_CHECK(fz_parse(data, size, &opts, &cut) == 0);
	fz_fuzz_result_check(&cut, format);
	FZ_FUZZ_CHECK(cut.n_entries <= cut_at);
	FZ_FUZZ_CHECK(cut.n_entries <= full.n_entries);
	if (full.n_entries > cut_at)
		FZ_FUZZ_CHECK(cut.truncated);
	if (!cut.truncated)
		FZ_FUZZ_CHECK(cut.n_entries == full.n_entries);
	for (size_t i = 0; i < cut.n_entries; i++)
		entry_same(&full, &full.entries[i], &cut, &cut.entries[i]);
	fz_parse_result_free(&cut);

	fz_parse_result_free(&full);
	/* Freeing twice (and a zeroed result) must be safe. */
	fz_parse_result_free(&full);
}
