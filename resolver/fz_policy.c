/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "fz_policy.h"

const char *fz_block_reason_name(enum fz_block_reason r)
{
	switch (r) {
	case FZ_REASON_CNAME:
		return "cname";
	case FZ_REASON_IP:
		return "response-ip";
	default:
		return "listed";
	}
}

enum fz_dns_block_action fz_policy_action(const struct fz_dns_cfg *cfg,
					  const struct fz_match_info *mi,
					  struct fz_dns_sinkhole *sk, size_t *nsk)
{
	enum fz_dns_block_action act = FZ_DNS_BLOCK_NXDOMAIN;
	if ((unsigned)mi->category < FZ_CAT_COUNT)
		act = (enum fz_dns_block_action)cfg->action[mi->category];
	*nsk = 0;
	/* A rule that says how to answer (RPZ) wins over the category's action. */
	if (mi->policy == FZ_POLICY_NXDOMAIN)
		return FZ_DNS_BLOCK_NXDOMAIN;
	if (mi->policy == FZ_POLICY_NODATA)
		return FZ_DNS_BLOCK_NODATA;
	if (mi->policy == FZ_POLICY_LOCAL && mi->n_local) {
		for (unsigned i = 0; i < mi->n_local && *nsk < 8; i++) {
			sk[*nsk].family = mi->local[i * 17];
			memcpy(sk[*nsk].addr, mi->local + i * 17 + 1, 16);
			(*nsk)++;
		}
		return FZ_DNS_BLOCK_SINKHOLE;
	}
	if (act == FZ_DNS_BLOCK_SINKHOLE)
		for (size_t i = 0; i < cfg->n_sinkhole && *nsk < 16; i++) {
			sk[*nsk].family = cfg->sinkhole[i][0];
			memcpy(sk[*nsk].addr, cfg->sinkhole[i] + 1, 16);
			(*nsk)++;
		}
	return act;
}

size_t fz_policy_block_answer(const struct fz_blmap *m, const struct fz_dns_cfg *cfg,
			      const struct fz_dns_query *q, const struct fz_match_info *mi,
			      enum fz_block_reason reason, const char *what, uint8_t *out,
			      size_t cap, enum fz_dns_block_action *ret_action)
{
	struct fz_bl_feed_info fi;
	const char *feed = "?";
	if (mi->n_feeds && fz_blmap_feed(m, mi->feeds[0], &fi) == 0)
		feed = fi.name;
	const char *cat = fz_category_name(mi->category);
	char text[320];
	if (reason == FZ_REASON_LISTED)
		snprintf(text, sizeof(text), "%s: listed by %s", cat, feed);
	else
		snprintf(text, sizeof(text), "%s: listed by %s (%s %.200s)", cat, feed,
			 reason == FZ_REASON_CNAME ? "CNAME" : "address", what ? what : "");
	struct fz_dns_sinkhole sk[16];
	size_t nsk;
	enum fz_dns_block_action act = fz_policy_action(cfg, mi, sk, &nsk);
	if (ret_action)
		*ret_action = act;
	return fz_dns_answer_block(q, act, sk, nsk, cfg->block_ttl, FZ_EDE_BLOCKED, text, out, cap);
}

enum fz_dns_verdict fz_policy_query(const struct fz_blmap *m, const struct fz_dns_cfg *cfg,
				    const uint8_t *msg, size_t len, struct fz_dns_query *q,
				    struct fz_match_info *mi, bool *blocked, uint8_t *out,
				    size_t cap, size_t *out_len)
{
	*blocked = false;
	*out_len = 0;
	memset(mi, 0, sizeof(*mi));
	enum fz_dns_verdict v = fz_dns_query_parse(msg, len, q);
	if (v != FZ_DNS_OK)
		return v;
	if (q->name_len && fz_blmap_lookup(m, q->name, q->name_len, mi) == FZ_VERDICT_BLOCK) {
		*blocked = true;
		*out_len =
		    fz_policy_block_answer(m, cfg, q, mi, FZ_REASON_LISTED, NULL, out, cap, NULL);
	}
	return v;
}
