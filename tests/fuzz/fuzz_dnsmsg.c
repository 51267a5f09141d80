/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: resolver/fz_dnsmsg.c, the resolver's path from bytes to
 * answer (the module is compiled into the target).
 *  1. the input as a query: on OK, every policy answer, every error answer
 *     and the upstream query are built and read back by our own parsers
 *     (the upstream query parses to the same name, type, class and DO; an
 *     answer is a reply to the query with its rcode, addresses, EDE text a
 *     prefix of the one given, cut on a UTF-8 boundary); the query itself
 *     with QR set is a reply to itself. On FORMERR/NOTIMP/BADVERS the
 *     error answer builds. A dropped input writes nothing.
 *  2. the input as an upstream reply to a fixed query: the result within
 *     its bounds; aging a copy keeps it readable with every TTL lowered by
 *     the elapsed time (floor 0); truncating a copy keeps it within the
 *     size, with TC and, when the question fits, still a reply.
 *  3. fz_dns_name_at at a few offsets: names within 253 characters, the
 *     next offset inside the input.
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_dnsmsg.h"

static uint8_t out[FZ_DNS_MAX_MSG];
static uint8_t work[FZ_DNS_MAX_MSG];

static const struct fz_dns_sinkhole sinkholes[] = {
    {.family = 4, .addr = {192, 0, 2, 1}},
    {.family = 6, .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
    {.family = 4, .addr = {198, 51, 100, 7}},
};

static void check_name(const char *name, size_t len)
{
	FZ_FUZZ_CHECK(len <= FZ_NAME_MAX);
	FZ_FUZZ_CHECK(strlen(name) == len);
	for (size_t i = 0; i < len; i++)
		FZ_FUZZ_CHECK(!(name[i] >= 'A' && name[i] <= 'Z'));
}

static void check_query(const struct fz_dns_query *q, const uint8_t *data, size_t size)
{
	char name[FZ_NAME_BUF];
	size_t nlen, next, dots = 0, labels = 0;

	check_name(q->name, q->name_len);
	FZ_FUZZ_CHECK(q->qname_len >= 1 && q->qname_len <= FZ_DNS_WIRE_NAME);
	FZ_FUZZ_CHECK(q->question_end == FZ_DNS_HEADER + q->qname_len + 4);
	FZ_FUZZ_CHECK(q->question_end <= size);
	FZ_FUZZ_CHECK(q->udp_size >= 512);
	FZ_FUZZ_CHECK(q->has_edns || (q->udp_size == 512 && !q->do_bit));
	/* label boundaries in the text are the wire's */
	for (size_t i = 0; q->qname[i]; i += 1 + q->qname[i])
		labels++;
	for (size_t i = 0; i < q->name_len; i++)
		dots += q->name[i] == '.';
	FZ_FUZZ_CHECK(labels == 0 ? q->name_len == 0 : dots == labels - 1);
	/* the general name reader agrees with the query's */
	FZ_FUZZ_CHECK(fz_dns_name_at(data, size, FZ_DNS_HEADER, name, &nlen, &next) == 0);
	FZ_FUZZ_CHECK(nlen == q->name_len && memcmp(name, q->name, nlen) == 0);
	FZ_FUZZ_CHECK(next == q->question_end - 4);
}

/* The OPT at `opt` ends the answer and holds one EDE whose text is a prefix of `text`. */
static void check_ede(const uint8_t *a, size_t n, size_t opt, const char *text)
{
	size_t rdlen, tl, full = strlen(text);

	FZ_FUZZ_CHECK(opt + 11 + 6 <= n);
	FZ_FUZZ_CHECK(a[opt] == 0 && a[opt + 1] == 0 && a[opt + 2] == FZ_DNS_TYPE_OPT);
	rdlen = (size_t)(a[opt + 9] << 8 | a[opt + 10]);
	FZ_FUZZ_CHECK(opt + 11 + rdlen == n);
	FZ_FUZZ_CHECK(a[opt + 11] == 0 && a[opt + 12] == 15);
	FZ_FUZZ_CHECK((size_t)(a[opt + 13] << 8 | a[opt + 14]) == rdlen - 4);
	tl = rdlen - 6;
	FZ_FUZZ_CHECK(tl <= full && memcmp(a + opt + 17, text, tl) == 0);
	/* cut only where no UTF-8 sequence continues */
	FZ_FUZZ_CHECK(tl == full || tl == 0 || ((uint8_t)text[tl] & 0xc0) != 0x80);
}

static void answers(const uint8_t *data, size_t size, const struct fz_dns_query *q)
{
	static const enum fz_dns_block_action actions[] = {
	    FZ_DNS_BLOCK_NXDOMAIN, FZ_DNS_BLOCK_NODATA, FZ_DNS_BLOCK_SINKHOLE};
	static const uint8_t rcodes[] = {FZ_DNS_RCODE_SERVFAIL, FZ_DNS_RCODE_REFUSED,
					 FZ_DNS_RCODE_FORMERR, FZ_DNS_RCODE_NOTIMP,
					 FZ_DNS_RCODE_BADVERS};
	struct fz_dns_query back;
	struct fz_dns_reply r;
	char text[700];
	size_t tl = size < sizeof(text) - 1 ? size : sizeof(text) - 1, n;

	/* the input itself (up to a NUL) as EDE text: long enough to be cut at 512 */
	memcpy(text, data, tl);
	text[tl] = '\0';

	for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
		size_t caps[] = {512, sizeof(out)};

		for (size_t c = 0; c < 2; c++) {
			size_t want_addrs = 0;
			uint8_t fam = q->qtype == FZ_DNS_TYPE_A ? 4 : 6;

			n = fz_dns_answer_block(q, actions[a], sinkholes, 3, 300, FZ_EDE_BLOCKED,
						text, out, caps[c]);
			FZ_FUZZ_CHECK(n >= FZ_DNS_HEADER && n <= caps[c]);
			if (actions[a] == FZ_DNS_BLOCK_SINKHOLE && q->qclass == FZ_DNS_CLASS_IN &&
			    (q->qtype == FZ_DNS_TYPE_A || q->qtype == FZ_DNS_TYPE_AAAA))
				want_addrs = fam == 4 ? 2 : 1;
			FZ_FUZZ_CHECK(fz_dns_query_parse(out, n, &back) == FZ_DNS_DROP);
			FZ_FUZZ_CHECK(fz_dns_reply_parse(out, n, q, q->id, &r) == 0);
			FZ_FUZZ_CHECK(r.rcode == (actions[a] == FZ_DNS_BLOCK_NXDOMAIN ? 3 : 0));
			FZ_FUZZ_CHECK(r.n_addrs == want_addrs && r.n_chain == 0);
			FZ_FUZZ_CHECK(r.negative == (want_addrs == 0));
			FZ_FUZZ_CHECK(!r.aa);
			for (size_t i = 0; i < r.n_addrs; i++)
				FZ_FUZZ_CHECK(r.addrs[i].family == fam);
			if (want_addrs)
				FZ_FUZZ_CHECK(r.ttl == 300);
			FZ_FUZZ_CHECK(r.arcount == (q->has_edns ? 1 : 0));
			if (q->has_edns)
				check_ede(out, n,
					  FZ_DNS_HEADER + q->qname_len + 4 +
					      want_addrs * (12 + (fam == 4 ? 4 : 16)),
					  text);
			FZ_FUZZ_CHECK(fz_dns_truncate(out, n, n) == n);
		}
	}

	for (size_t i = 0; i < sizeof(rcodes); i++) {
		n = fz_dns_answer_error(data, size, q, rcodes[i], FZ_EDE_NETWORK_ERROR, text, out,
					512);
		if (rcodes[i] == FZ_DNS_RCODE_BADVERS && !q->has_edns) {
			FZ_FUZZ_CHECK(n == 0);
			continue;
		}
		FZ_FUZZ_CHECK(n >= FZ_DNS_HEADER && n <= 512);
		FZ_FUZZ_CHECK(fz_dns_reply_parse(out, n, q, q->id, &r) == 0);
		FZ_FUZZ_CHECK(r.rcode == rcodes[i]);
		if (q->has_edns)
			check_ede(out, n, FZ_DNS_HEADER + q->qname_len + 4, text);
	}

	n = fz_dns_build_query(q, (uint16_t)(q->id ^ 0x5a5a), out, sizeof(out));
	FZ_FUZZ_CHECK(n == FZ_DNS_HEADER + q->qname_len + 4 + 11);
	FZ_FUZZ_CHECK(fz_dns_query_parse(out, n, &back) == FZ_DNS_OK);
	FZ_FUZZ_CHECK(back.id == (uint16_t)(q->id ^ 0x5a5a));
	FZ_FUZZ_CHECK(back.qname_len == q->qname_len &&
		      memcmp(back.qname, q->qname, q->qname_len) == 0);
	FZ_FUZZ_CHECK(back.name_len == q->name_len && memcmp(back.name, q->name, q->name_len) == 0);
	FZ_FUZZ_CHECK(back.qtype == q->qtype && back.qclass == q->qclass);
	FZ_FUZZ_CHECK(back.has_edns && back.do_bit == q->do_bit);
	FZ_FUZZ_CHECK(back.udp_size == FZ_DNS_UDP_PAYLOAD);
	FZ_FUZZ_CHECK((back.flags & 0x0100) && (back.flags & 0x0010) == (q->flags & 0x0010));

	/* the query with QR set answers itself (no records but the OPT) */
	memcpy(work, data, size);
	work[2] |= 0x80;
	FZ_FUZZ_CHECK(fz_dns_reply_parse(work, size, q, q->id, &r) == 0);
	FZ_FUZZ_CHECK(r.n_chain == 0 && r.n_addrs == 0);
}

static void as_query(const uint8_t *data, size_t size)
{
	struct fz_dns_query q;
	enum fz_dns_verdict v;
	size_t n;

	memset(&q, 0xa5, sizeof(q));
	v = fz_dns_query_parse(data, size, &q);
	FZ_FUZZ_CHECK(v <= FZ_DNS_DROP);
	if (v == FZ_DNS_DROP) {
		FZ_FUZZ_CHECK(q.id == 0xa5a5); /* untouched */
		return;
	}
	if (v == FZ_DNS_OK) {
		check_query(&q, data, size);
		FZ_FUZZ_CHECK(!q.has_edns || q.edns_version == 0);
		answers(data, size, &q);
		return;
	}
	if (q.question_end)
		check_query(&q, data, size);
	FZ_FUZZ_CHECK(v != FZ_DNS_BADVERS || (q.has_edns && q.edns_version != 0));
	n = fz_dns_answer_error(data, size, &q,
				v == FZ_DNS_NOTIMP    ? FZ_DNS_RCODE_NOTIMP
				: v == FZ_DNS_BADVERS ? FZ_DNS_RCODE_BADVERS
						      : FZ_DNS_RCODE_FORMERR,
				-1, NULL, out, 512);
	FZ_FUZZ_CHECK(n >= FZ_DNS_HEADER && n <= 512);
	FZ_FUZZ_CHECK(out[0] == data[0] && out[1] == data[1] && (out[2] & 0x80));
	FZ_FUZZ_CHECK((out[5] == 1) == (q.question_end != 0));
	n = fz_dns_answer_error(data, size, NULL, FZ_DNS_RCODE_FORMERR, -1, NULL, out, 512);
	FZ_FUZZ_CHECK(n == FZ_DNS_HEADER);
}

static void check_reply(const struct fz_dns_reply *r)
{
	FZ_FUZZ_CHECK(r->n_chain <= FZ_DNS_MAX_CHAIN && r->n_addrs <= FZ_DNS_MAX_ADDRS);
	for (size_t i = 0; i < r->n_chain; i++)
		check_name(r->chain[i], strlen(r->chain[i]));
	for (size_t i = 0; i < r->n_addrs; i++)
		FZ_FUZZ_CHECK(r->addrs[i].family == 4 || r->addrs[i].family == 6);
	FZ_FUZZ_CHECK(!r->negative || r->rcode == 0 || r->rcode == 3);
	FZ_FUZZ_CHECK(!r->tc || (r->n_chain == 0 && r->n_addrs == 0));
	FZ_FUZZ_CHECK(r->ttl <= 0x7fffffffu || r->ttl == UINT32_MAX);
}

static void as_reply(const uint8_t *data, size_t size, const struct fz_dns_query *q)
{
	struct fz_dns_reply r, r2;
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	uint32_t elapsed = size >= 4 ? (uint32_t)data[size - 1] * 977 : 1;
	int prc, arc;
	size_t n, max;

	prc = fz_dns_reply_parse(data, size, q, id, &r);
	FZ_FUZZ_CHECK(prc == 0 || prc == -EBADMSG || prc == -ENOMSG);
	if (prc == 0)
		check_reply(&r);

	/* aging: in place on a copy; refused messages stay as they were */
	memcpy(work, data, size);
	arc = fz_dns_reply_age(work, size, 0x1357, elapsed);
	FZ_FUZZ_CHECK(arc == 0 || arc == -EBADMSG);
	if (arc != 0)
		FZ_FUZZ_CHECK(memcmp(work, data, size) == 0);
	if (prc == 0 && !r.tc) {
		/* what the reply parser read, aging walks; TTLs drop by `elapsed` */
		FZ_FUZZ_CHECK(arc == 0);
		FZ_FUZZ_CHECK(fz_dns_reply_parse(work, size, q, 0x1357, &r2) == 0);
		FZ_FUZZ_CHECK(r2.n_chain == r.n_chain && r2.n_addrs == r.n_addrs);
		FZ_FUZZ_CHECK(r2.negative == r.negative && r2.rcode == r.rcode);
		if (!r.negative)
			FZ_FUZZ_CHECK(r2.ttl == (r.ttl == UINT32_MAX ? UINT32_MAX
						 : r.ttl > elapsed   ? r.ttl - elapsed
								     : 0));
	}

	/* truncation to 512 and to half the input */
	for (int k = 0; k < 2; k++) {
		max = k == 0 ? 512 : size / 2;
		memcpy(work, data, size);
		n = fz_dns_truncate(work, size, max);
		if (size <= max) {
			FZ_FUZZ_CHECK(n == size && memcmp(work, data, size) == 0);
			continue;
		}
		if (max < FZ_DNS_HEADER) {
			FZ_FUZZ_CHECK(n == 0);
			continue;
		}
		FZ_FUZZ_CHECK(n >= FZ_DNS_HEADER && n <= max);
		FZ_FUZZ_CHECK(work[2] & 0x02);
		FZ_FUZZ_CHECK(work[6] == 0 && work[7] == 0 && work[8] == 0 && work[9] == 0);
		FZ_FUZZ_CHECK(work[10] == 0 && work[11] <= 1);
		FZ_FUZZ_CHECK(fz_dns_reply_age(work, n, 1, 1) == 0);
		/* a reply cut with its question kept is still a reply, with TC */
		if (prc == 0 && work[5] == 1) {
			FZ_FUZZ_CHECK(fz_dns_reply_parse(work, n, q, 1, &r2) == 0);
			FZ_FUZZ_CHECK(r2.tc);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_dns_query fixed;
	static const uint8_t fixed_query[] = {0,   0,	1,   0,	  0,   1,   0,	 0,   0,   0,	0,
					      0,   3,	'w', 'w', 'w', 7,   'e', 'x', 'a', 'm', 'p',
					      'l', 'e', 3,   'c', 'o', 'm', 0,	 0,   1,   0,	1};
	size_t offs[4];

	if (size > FZ_DNS_MAX_MSG)
		return 0;

	as_query(data, size);

	FZ_FUZZ_CHECK(fz_dns_query_parse(fixed_query, sizeof(fixed_query), &fixed) == FZ_DNS_OK);
	as_reply(data, size, &fixed);
	{
		/* a reply to the query in the input's question, when it has one */
		struct fz_dns_query q;

		memcpy(work, data, size);
		if (size >= FZ_DNS_HEADER) {
			work[2] &= 0x7f;
			if (fz_dns_query_parse(work, size, &q) != FZ_DNS_DROP && q.question_end)
				as_reply(data, size, &q);
		}
	}

	offs[0] = FZ_DNS_HEADER;
	offs[1] = size / 2;
	offs[2] = size ? size - 1 : 0;
	offs[3] = size ? data[0] % size : 0;
	for (size_t i = 0; i < 4; i++) {
		char name[FZ_NAME_BUF];
		size_t nlen, next;

		if (fz_dns_name_at(data, size, offs[i], name, &nlen, &next) == 0) {
			check_name(name, nlen);
			FZ_FUZZ_CHECK(next > offs[i] && next <= size);
		}
	}
	return 0;
}
