/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The firewall rules that feed fangzha-nfq, as commands (pure: nothing is
 * run here). `fangzha rules` runs them, prints them (--dry-run), and the
 * unit test reads them.
 *
 * Both backends queue only the original direction of new TCP 80/443/853
 * and UDP 53/443 flows, until the flow's connmark carries the "decided" or
 * "blocked" bit, and at most max_queued_bytes client->server bytes:
 *
 *   packet mark B      -> save B to the connmark, drop
 *   packet mark D      -> save D to the connmark, accept (RETURN)
 *   connmark B         -> drop
 *   connmark D         -> accept
 *   reply direction    -> accept
 *   bare SYN, TCP segment without payload -> accept
 *   tcp 80,443,853 / udp 53,443 with connbytes 0:max -> NFQUEUE (bypass
 *                         unless fail-closed)
 *
 * iptables/ip6tables: our chains FANGZHA and FANGZHA_BLOCK (filter table),
 * jumped to from rule 1 of FORWARD (gateway) or OUTPUT (host). nft: one
 * table "inet fangzha" with a base chain at the forward or output hook.
 * Installing first removes whatever of ours is there, so a second install
 * changes nothing; removing touches only our chains, jumps and table.
 */
#ifndef FZ_RULES_H
#define FZ_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FZ_RULES_CHAIN	     "FANGZHA"
#define FZ_RULES_BLOCK_CHAIN "FANGZHA_BLOCK"
#define FZ_RULES_NFT_TABLE   "fangzha"
#define FZ_RULES_NFT_PROBE   "fangzha_probe"
#define FZ_RULES_ARGV_MAX    48

enum fz_rules_mode {
	FZ_RULES_GATEWAY = 0, /* forwarded traffic: filter FORWARD / hook forward */
	FZ_RULES_HOST = 1,    /* this machine's own traffic: filter OUTPUT / hook output */
};

enum fz_rules_backend {
	FZ_RULES_IPTABLES = 0, /* iptables + ip6tables (xt NFQUEUE) */
	FZ_RULES_NFT = 1,      /* nft table inet fangzha (needs the nft queue expression) */
};

/* Address families (a bit set). */
enum {
	FZ_RULES_IPV4 = 1u << 0,
	FZ_RULES_IPV6 = 1u << 1,
	FZ_RULES_BOTH = FZ_RULES_IPV4 | FZ_RULES_IPV6,
};

struct fz_rules_opts {
	enum fz_rules_mode mode;
	enum fz_rules_backend backend;
	unsigned families; /* FZ_RULES_IPV4 | FZ_RULES_IPV6, not 0 */
	uint16_t queue_first;
	uint16_t n_queues; /* 1..64, queue_first + n_queues - 1 <= 65535 */
	uint32_t mark_decided;
	uint32_t mark_blocked;	   /* nonzero, no bit shared with mark_decided */
	uint32_t max_queued_bytes; /* connbytes upper bound, >= 1 */
	bool fail_closed;	   /* no --queue-bypass / no nft bypass flag */
};

/* What a failure of one command means. */
enum fz_rules_on_fail {
	FZ_RULES_MUST = 0,     /* an error: stop (install rolls back) */
	FZ_RULES_IGNORE = 1,   /* fine: what it removes was not there */
	FZ_RULES_REPEAT = 2,   /* run again until it fails (delete every copy of a jump) */
	FZ_RULES_OPTIONAL = 3, /* an addition that may fail (a match the kernel lacks): noted */
};

struct fz_rules_cmd {
	char *argv[FZ_RULES_ARGV_MAX + 1]; /* NULL-terminated; argv[0] is the program */
	int argc;
	char *input; /* standard input for the program (nft -f -), or NULL */
	enum fz_rules_on_fail on_fail;
	char *buf_; /* owns the argv strings */
};

struct fz_rules_list {
	struct fz_rules_cmd *cmds;
	size_t n, cap_;
};

/* Options from the [nfq] defaults: gateway, iptables, both families, queue 0. */
void fz_rules_opts_defaults(struct fz_rules_opts *o);

/* 0, or -EINVAL with a sentence in err saying which option is wrong. */
int fz_rules_opts_check(const struct fz_rules_opts *o, char *err, size_t errlen);

/*
 * The commands of each action, appended to `out` (start from a zeroed
 * list). install: the removal (IGNORE/REPEAT) followed by the additions
 * (MUST). remove: only the removal, for `backend` and `families`.
 * Returns 0, -EINVAL (bad options, see fz_rules_opts_check) or -ENOMEM.
 */
int fz_rules_install(const struct fz_rules_opts *o, struct fz_rules_list *out);
int fz_rules_remove(enum fz_rules_backend backend, unsigned families, struct fz_rules_list *out);

/*
 * The nft ruleset text of our table (what `nft -f -` reads to create it),
 * a new string (free()), or NULL on bad options or out of memory.
 */
char *fz_rules_nft_text(const struct fz_rules_opts *o);

/*
 * The nft probe: one transaction that adds a throwaway table with a queue
 * rule and deletes it again. It fails (leaving nothing behind) when the
 * kernel has no nft queue expression. Appended to `out`.
 */
int fz_rules_nft_probe(struct fz_rules_list *out);

/*
 * The iptables rule specs of our chains, as `iptables -S` prints them
 * ("-N FANGZHA", "-A FANGZHA ..."), one line each, for one family
 * (they differ only in the u32 match of the payload-less segments). A new
 * string, or NULL.
 */
char *fz_rules_iptables_spec(const struct fz_rules_opts *o, int family /* 4 or 6 */);

/*
 * A command as one shell line (arguments quoted when needed; nft input as
 * a here-document; IGNORE as "... 2>/dev/null || true"; REPEAT as a
 * while loop) followed by a newline.
 */
void fz_rules_print(FILE *f, const struct fz_rules_cmd *c);

void fz_rules_list_free(struct fz_rules_list *l);

#endif
