/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the resolver answers for a listed name: the action for the rule's
 * category (or the one the rule itself carries, as RPZ can), sinkhole
 * addresses, and an Extended DNS Error whose text says who listed it.
 * Pure given a mapping, so the query path from bytes to answer is fuzzed.
 */
#ifndef FZ_POLICY_H
#define FZ_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "fz_blocklist.h"
#include "fz_dnscfg.h"
#include "fz_dnsmsg.h"

enum fz_block_reason {
	FZ_REASON_LISTED = 0, /* the name asked (or a parent) is listed */
	FZ_REASON_CNAME = 1,  /* the answer's CNAME/DNAME chain reaches a listed name */
	FZ_REASON_IP = 2,     /* the answer carries a listed address */
};

const char *fz_block_reason_name(enum fz_block_reason r);

/* The action a blocked question gets, and its sinkhole addresses (out has room for 16). */
enum fz_dns_block_action fz_policy_action(const struct fz_dns_cfg *cfg,
					  const struct fz_match_info *mi,
					  struct fz_dns_sinkhole *sk, size_t *nsk);

/*
 * Build the block answer for `q` into out (at most cap bytes: the client's
 * UDP limit, so the EDE text is shortened rather than the answer
 * truncated). `what` names the alias or address for CNAME/IP reasons.
 * Returns the length (0 when it cannot be built) and the action used.
 */
size_t fz_policy_block_answer(const struct fz_blmap *m, const struct fz_dns_cfg *cfg,
			      const struct fz_dns_query *q, const struct fz_match_info *mi,
			      enum fz_block_reason reason, const char *what, uint8_t *out,
			      size_t cap, enum fz_dns_block_action *ret_action);

/*
 * The whole decision for a query's bytes: parse, look the name up, and when
 * it is listed build the answer. Returns the parse verdict; *blocked says
 * whether `out` holds a block answer (of *out_len bytes).
 */
enum fz_dns_verdict fz_policy_query(const struct fz_blmap *m, const struct fz_dns_cfg *cfg,
				    const uint8_t *msg, size_t len, struct fz_dns_query *q,
				    struct fz_match_info *mi, bool *blocked, uint8_t *out,
				    size_t cap, size_t *out_len);

#endif
