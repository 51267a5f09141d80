/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the resolver's query path from bytes to answer, as
 * fangzha-dns runs it (resolver/fz_policy.c over a real mapped blocklist):
 * parse, look the name and its parents up, build the policy answer for a
 * listed name. Invariants: a block answer fits the client's UDP limit (the
 * first input byte picks it), reads back as a reply to the query with the
 * rcode the action calls for and an EDE; an unlisted query's upstream
 * query reads back as the same question; error answers build for the
 * verdicts that have one.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "fz_blocklist.h"
#include "fz_blwriter.h"
#include "fz_policy.h"

static struct fz_blocklist *bl;
static struct fz_dns_cfg cfg;

static void setup(void)
{
	char dir[] = "/tmp/fz-fuzz-dnsq-XXXXXX", path[64];
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/list.fzb", dir);
	struct fz_blwriter *w;
	if (fz_blwriter_new(&w) < 0)
		abort();
	int fraud = fz_blwriter_add_feed(w, "fraud-feed", FZ_CAT_FRAUD, "", FZ_FEED_NORMAL);
	int phish = fz_blwriter_add_feed(w, "phish-feed", FZ_CAT_PHISHING, "", FZ_FEED_NORMAL);
	int mal = fz_blwriter_add_feed(w, "malware-feed", FZ_CAT_MALWARE, "", FZ_FEED_NORMAL);
	int allow = fz_blwriter_add_feed(w, "allow", FZ_CAT_CUSTOM, "", FZ_FEED_LOCAL_ALLOW);
	const struct {
		const char *name;
		int *feed;
		enum fz_action a;
		enum fz_match m;
	} rules[] = {
	    {"evil.test", &fraud, FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE},
	    {"a", &fraud, FZ_ACTION_BLOCK, FZ_MATCH_EXACT},
	    {"phish.test", &phish, FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE},
	    {"sink.test", &mal, FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE},
	    {"ok.evil.test", &allow, FZ_ACTION_ALLOW, FZ_MATCH_EXACT},
	    {"test", &mal, FZ_ACTION_BLOCK, FZ_MATCH_EXACT},
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		fz_blwriter_add_name(w, *rules[i].feed, rules[i].name, strlen(rules[i].name),
				     rules[i].a, rules[i].m, FZ_POLICY_DEFAULT);
	char err[256];
	if (fz_blwriter_write(w, path, NULL, NULL, err, sizeof(err)) < 0 ||
	    fz_blocklist_open(path, &bl, err, sizeof(err)) < 0)
		abort();
	fz_blwriter_free(w);
	unlink(path);
	rmdir(dir);
	fz_dns_cfg_defaults(&cfg);
	cfg.action[FZ_CAT_PHISHING] = FZ_DNS_ACTION_NODATA;
	cfg.action[FZ_CAT_MALWARE] = FZ_DNS_ACTION_SINKHOLE;
	cfg.sinkhole[0][0] = 4;
	inet_pton(AF_INET, "192.0.2.53", cfg.sinkhole[0] + 1);
	cfg.sinkhole[1][0] = 6;
	inet_pton(AF_INET6, "2001:db8::53", cfg.sinkhole[1] + 1);
	cfg.n_sinkhole = 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FZ_DNS_UDP_PAYLOAD], back[600];
	if (!bl)
		setup();
	if (size < 1)
		return 0;
	size_t cap = 512 + (size_t)data[0] * 3; /* 512 .. 1277 */
	if (cap > sizeof(out))
		cap = sizeof(out);
	data++;
	size--;

	const struct fz_blmap *m = fz_blocklist_current(bl);
	struct fz_dns_query q;
	struct fz_match_info mi;
	bool blocked;
	size_t n;
	enum fz_dns_verdict v =
	    fz_policy_query(m, &cfg, data, size, &q, &mi, &blocked, out, cap, &n);
	if (v == FZ_DNS_DROP) {
		FZ_FUZZ_CHECK(!blocked && n == 0);
		return 0;
	}
	if (v != FZ_DNS_OK) {
		uint8_t rc = v == FZ_DNS_NOTIMP	   ? FZ_DNS_RCODE_NOTIMP
			     : v == FZ_DNS_BADVERS ? FZ_DNS_RCODE_BADVERS
						   : FZ_DNS_RCODE_FORMERR;
		size_t e = fz_dns_answer_error(data, size, &q, rc, -1, NULL, out, sizeof(out));
		FZ_FUZZ_CHECK(e == 0 ? rc == FZ_DNS_RCODE_BADVERS && !q.has_edns : e >= 12);
		return 0;
	}
	if (blocked) {
		FZ_FUZZ_CHECK(mi.verdict == FZ_VERDICT_BLOCK);
		FZ_FUZZ_CHECK(n > 0 && n <= cap);
		struct fz_dns_reply r;
		FZ_FUZZ_CHECK(fz_dns_reply_parse(out, n, &q, q.id, &r) == 0);
		struct fz_dns_sinkhole sk[16];
		size_t nsk;
		enum fz_dns_block_action act = fz_policy_action(&cfg, &mi, sk, &nsk);
		FZ_FUZZ_CHECK(r.rcode == (act == FZ_DNS_BLOCK_NXDOMAIN ? FZ_DNS_RCODE_NXDOMAIN
								       : FZ_DNS_RCODE_NOERROR));
		if (act == FZ_DNS_BLOCK_SINKHOLE && q.qclass == FZ_DNS_CLASS_IN &&
		    (q.qtype == FZ_DNS_TYPE_A || q.qtype == FZ_DNS_TYPE_AAAA))
			FZ_FUZZ_CHECK(r.n_addrs == 1);
		else
			FZ_FUZZ_CHECK(r.n_addrs == 0);
		/* the same for an answer caused by the response (CNAME / address) */
		n = fz_policy_block_answer(m, &cfg, &q, &mi, FZ_REASON_CNAME,
					   size > 300 ? (const char *)data + 300 : "x.evil.test",
					   out, cap, NULL);
		FZ_FUZZ_CHECK(n > 0 && n <= cap);
		FZ_FUZZ_CHECK(fz_dns_reply_parse(out, n, &q, q.id, &r) == 0);
		return 0;
	}
	FZ_FUZZ_CHECK(mi.verdict != FZ_VERDICT_BLOCK);
	size_t ql = fz_dns_build_query(&q, 0x1234, back, sizeof(back));
	FZ_FUZZ_CHECK(ql > 0);
	struct fz_dns_query q2;
	FZ_FUZZ_CHECK(fz_dns_query_parse(back, ql, &q2) == FZ_DNS_OK);
	FZ_FUZZ_CHECK(q2.qname_len == q.qname_len && memcmp(q2.qname, q.qname, q.qname_len) == 0);
	FZ_FUZZ_CHECK(q2.qtype == q.qtype && q2.qclass == q.qclass && q2.do_bit == q.do_bit);
	return 0;
}
