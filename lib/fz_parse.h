/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Feed parsers: pure functions from a byte buffer to rules plus the lines
 * they could not use, each with its line number and a reason. No I/O here,
 * so unit tests and fuzzers drive them directly.
 */
#ifndef FZ_PARSE_H
#define FZ_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_rule.h"

enum fz_format {
	FZ_FORMAT_AUTO = 0,
	FZ_FORMAT_HOSTS,
	FZ_FORMAT_DOMAINS,
	FZ_FORMAT_ADBLOCK,
	FZ_FORMAT_RPZ,
	FZ_FORMAT_URLS,
	FZ_FORMAT_CSV,
	FZ_FORMAT_COUNT,
};

/* One rule. Strings live in the result's arena: use fz_parse_str(). */
struct fz_entry {
	uint32_t name_off; /* normalized host name (NAME and URL rules) */
	uint32_t path_off; /* URL rules: path prefix, starts with '/' */
	uint16_t name_len;
	uint16_t path_len;
	uint32_t line;	/* 1-based line in the input */
	uint8_t kind;	/* enum fz_rule_kind */
	uint8_t action; /* enum fz_action */
	uint8_t match;	/* enum fz_match, NAME rules */
	uint8_t policy; /* enum fz_policy */
	uint8_t family; /* IP rules: AF_INET or AF_INET6 */
	uint8_t prefix; /* IP rules: prefix length */
	uint8_t naddr;	/* FZ_POLICY_LOCAL: number of addresses in `local` */
	uint8_t pad;
	uint8_t addr[16];   /* IP rules: network address (network byte order) */
	uint32_t local_off; /* FZ_POLICY_LOCAL: arena offset of naddr x struct fz_local_addr */
};

/* RPZ local data: one sinkhole address. */
struct fz_local_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

enum fz_problem_kind {
	FZ_PROBLEM_REJECTED = 0, /* malformed: the line is wrong */
	FZ_PROBLEM_SKIPPED = 1,	 /* well-formed, but not expressible as a DNS/URL rule */
};

struct fz_problem {
	uint32_t line;
	uint8_t kind;	    /* enum fz_problem_kind */
	const char *reason; /* static string */
	uint32_t text_off;  /* arena offset of (a prefix of) the offending text */
	uint16_t text_len;
};

/* Per-input options. */
struct fz_parse_opts {
	enum fz_format format; /* FZ_FORMAT_AUTO to detect */
	enum fz_match match;   /* FZ_MATCH_DEFAULT keeps the format's meaning */
	size_t max_problems;   /* how many problems to keep in detail (all are counted); 0 = 1000 */
	size_t max_entries;    /* bound on entries; 0 = 50,000,000 */
};

struct fz_parse_result {
	enum fz_format format; /* the format used (detected or given) */
	struct fz_entry *entries;
	size_t n_entries;
	struct fz_problem *problems; /* the first max_problems problems */
	size_t n_problems;
	/* Counts. accepted == n_entries. */
	size_t lines;
	size_t accepted;
	size_t duplicates;
	size_t rejected;
	size_t skipped;
	bool truncated; /* max_entries reached: later lines were not read */
	/* private */
	char *arena;
	size_t arena_len, arena_cap;
	size_t entries_cap, problems_cap, max_problems, max_entries;
	void *dedup; /* duplicate detection set */
};

/*
 * Parse `len` bytes of `data`. Returns 0 and fills `res` (release with
 * fz_parse_result_free()), or -ENOMEM. Bad lines never fail the call: they
 * are counted and described in `res`.
 */
int fz_parse(const uint8_t *data, size_t len, const struct fz_parse_opts *opts,
	     struct fz_parse_result *res);

/* The format a buffer looks like (never FZ_FORMAT_AUTO). */
enum fz_format fz_format_detect(const uint8_t *data, size_t len);

const char *fz_format_name(enum fz_format f);
/* Returns the format named `name` ("auto", "hosts", ...), or -EINVAL. */
int fz_format_parse(const char *name);

void fz_parse_result_free(struct fz_parse_result *res);

static inline const char *fz_parse_str(const struct fz_parse_result *res, uint32_t off)
{
	return res->arena + off;
}

#endif
