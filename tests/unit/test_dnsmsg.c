/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of resolver/fz_dnsmsg.c: query parsing (every verdict),
 * the answers we build (exact bytes for a few, computed by hand; ldns must
 * read all of them), the upstream query, reply parsing (compression loops,
 * spoofed or stray replies, CNAME/DNAME chains, negative TTLs), TTL aging
 * and truncation. Messages are built here byte by byte.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fz_dnsmsg.h"
#include "fz_test.h"

/* --- a byte builder ------------------------------------------------------- */

struct mb {
	uint8_t b[70000];
	size_t n;
};

static void mb_u8(struct mb *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void mb_u16(struct mb *m, unsigned v)
{
	mb_u8(m, v >> 8);
	mb_u8(m, v);
}

static void mb_u32(struct mb *m, uint32_t v)
{
	mb_u16(m, v >> 16);
	mb_u16(m, v & 0xffff);
}

static void mb_bytes(struct mb *m, const void *d, size_t n)
{
	memcpy(m->b + m->n, d, n);
	m->n += n;
}

/* "a.b.c" uncompressed, with the root label; "" is the root. */
static void mb_name(struct mb *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		mb_u8(m, (unsigned)l);
		mb_bytes(m, name, l);
		name += l + (dot ? 1 : 0);
	}
	mb_u8(m, 0);
}

static void mb_header(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
		      unsigned ns, unsigned ar)
{
	m->n = 0;
	mb_u16(m, id);
	mb_u16(m, flags);
	mb_u16(m, qd);
	mb_u16(m, an);
	mb_u16(m, ns);
	mb_u16(m, ar);
}

static void mb_rr(struct mb *m, unsigned type, unsigned cls, uint32_t ttl, unsigned rdlen)
{
	mb_u16(m, type);
	mb_u16(m, cls);
	mb_u32(m, ttl);
	mb_u16(m, rdlen);
}

static void mb_opt(struct mb *m, unsigned udp, unsigned ext, unsigned version, unsigned flags,
		   unsigned rdlen)
{
	mb_u8(m, 0);
	mb_u16(m, FZ_DNS_TYPE_OPT);
	mb_u16(m, udp);
	mb_u8(m, ext);
	mb_u8(m, version);
	mb_u16(m, flags);
	mb_u16(m, rdlen);
}

/* A standard query; edns: 0 none, else the UDP size (DO when do_bit). */
static void mb_query(struct mb *m, unsigned id, const char *name, unsigned type, unsigned edns,
		     bool do_bit)
{
	mb_header(m, id, 0x0100, 1, 0, 0, edns ? 1 : 0);
	mb_name(m, name);
	mb_u16(m, type);
	mb_u16(m, FZ_DNS_CLASS_IN);
	if (edns)
		mb_opt(m, edns, 0, 0, do_bit ? 0x8000 : 0, 0);
}

static enum fz_dns_verdict parse(const struct mb *m, struct fz_dns_query *q)
{
	return fz_dns_query_parse(m->b, m->n, q);
}

/* A query struct for `name`/`type` via the real parser. */
static void make_q(struct fz_dns_query *q, unsigned id, const char *name, unsigned type,
		   unsigned edns, bool do_bit)
{
	struct mb m;

	mb_query(&m, id, name, type, edns, do_bit);
	if (parse(&m, q) != FZ_DNS_OK) {
		fprintf(stderr, "make_q(%s) did not parse\n", name);
		exit(2);
	}
}

/* ldns reads it; returns the packet (caller frees) or NULL. */
static ldns_pkt *ldns_read(const uint8_t *b, size_t n)
{
	ldns_pkt *p = NULL;

	if (ldns_wire2pkt(&p, b, n) != LDNS_STATUS_OK)
		return NULL;
	return p;
}

/* --- queries --------------------------------------------------------------- */

static void test_query_basic(void)
{
	struct fz_dns_query q;
	struct mb m;
	static const uint8_t wire[] = {3,   'w', 'w', 'w', 7,	'e', 'x', 'a', 'm',
				       'p', 'l', 'e', 3,   'c', 'o', 'm', 0};

	mb_query(&m, 0x1234, "WWW.Example.COM", FZ_DNS_TYPE_A, 0, false);
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	CHECK_INT(q.id, 0x1234);
	CHECK_INT(q.flags, 0x0100);
	CHECK_MEM_STR(q.name, q.name_len, "www.example.com");
	CHECK_STR(q.name, "www.example.com");
	CHECK_INT(q.qname_len, sizeof(wire));
	CHECK(memcmp(q.qname, wire, sizeof(wire)) == 0);
	CHECK_INT(q.qtype, FZ_DNS_TYPE_A);
	CHECK_INT(q.qclass, FZ_DNS_CLASS_IN);
	CHECK(!q.has_edns);
	CHECK_INT(q.udp_size, 512);
	CHECK(!q.do_bit);
	CHECK_INT(q.question_end, 12 + sizeof(wire) + 4);

	/* EDNS: size, DO */
	mb_query(&m, 7, "example.com", FZ_DNS_TYPE_AAAA, 4096, true);
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	CHECK(q.has_edns);
	CHECK_INT(q.udp_size, 4096);
	CHECK(q.do_bit);
	CHECK_INT(q.edns_version, 0);
	CHECK_INT(q.qtype, FZ_DNS_TYPE_AAAA);

	/* a size below 512 counts as 512 */
	mb_query(&m, 7, "example.com", FZ_DNS_TYPE_A, 100, false);
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	CHECK_INT(q.udp_size, 512);
	CHECK(!q.do_bit);

	/* the root */
	mb_query(&m, 7, "", FZ_DNS_TYPE_NS, 0, false);
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	CHECK_INT(q.name_len, 0);
	CHECK_STR(q.name, "");
	CHECK_INT(q.qname_len, 1);

	/* options in the OPT are read over and ignored */
	mb_header(&m, 9, 0, 1, 0, 0, 1);
	mb_name(&m, "a.example");
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	mb_opt(&m, 1232, 0, 0, 0, 4 + 8 + 4);
	mb_u16(&m, 10); /* COOKIE */
	mb_u16(&m, 8);
	mb_bytes(&m, "12345678", 8);
	mb_u16(&m, 12); /* PADDING, empty */
	mb_u16(&m, 0);
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	CHECK(q.has_edns);
	CHECK_INT(q.udp_size, 1232);
}

static void test_query_bytes(void)
{
	struct fz_dns_query q;
	struct mb m;

	/* '.' and NUL inside a label: no false label boundary, no early NUL */
	mb_header(&m, 1, 0, 1, 0, 0, 0);
	mb_u8(&m, 3);
	mb_bytes(&m, "A.b", 3);
	mb_u8(&m, 2);
	mb_bytes(&m, "\0Z", 2);
	mb_u8(&m, 3);
	mb_bytes(&m, "c\xc3\x89", 3);
	mb_u8(&m, 0);
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	CHECK_INT(q.name_len, 10);
	CHECK(memcmp(q.name,
		     "a\x7f"
		     "b.\x7fz.c\xc3\x89",
		     11) == 0);
	CHECK_INT(strlen(q.name), q.name_len);
	/* the wire form keeps the bytes, lowercased */
	CHECK_INT(q.qname_len, 12);
	CHECK(memcmp(q.qname, "\3a.b\2\0z\3c\xc3\x89\0", 12) == 0);

	/* a name of exactly 255 octets: 4 labels of 63 and one of 1... */
	mb_header(&m, 1, 0, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		mb_u8(&m, 63);
		for (int k = 0; k < 63; k++)
			mb_u8(&m, 'a' + i);
	}
	mb_u8(&m, 61);
	for (int k = 0; k < 61; k++)
		mb_u8(&m, 'd');
	mb_u8(&m, 0);
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	CHECK_INT(q.qname_len, 255);
	CHECK_INT(q.name_len, 253);
	CHECK_INT(strlen(q.name), 253);

	/* ...and one more octet is too long */
	mb_header(&m, 1, 0, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		mb_u8(&m, 63);
		for (int k = 0; k < 63; k++)
			mb_u8(&m, 'a' + i);
	}
	mb_u8(&m, 62);
	for (int k = 0; k < 62; k++)
		mb_u8(&m, 'd');
	mb_u8(&m, 0);
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	CHECK_INT(q.question_end, 0);
}

static void test_query_verdicts(void)
{
	struct fz_dns_query q;
	struct mb m;

	/* short header: dropped, q untouched */
	mb_query(&m, 1, "example.com", 1, 0, false);
	memset(&q, 0xa5, sizeof(q));
	CHECK_INT(fz_dns_query_parse(m.b, 11, &q), FZ_DNS_DROP);
	CHECK_INT(q.id, 0xa5a5);
	CHECK_INT(fz_dns_query_parse(m.b, 0, &q), FZ_DNS_DROP);

	/* a response: dropped */
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[2] |= 0x80;
	CHECK_INT(parse(&m, &q), FZ_DNS_DROP);

	/* other opcodes: NOTIMP, id and flags kept */
	mb_query(&m, 0x4242, "example.com", 1, 0, false);
	m.b[2] = (uint8_t)(m.b[2] | (2 << 3)); /* STATUS */
	CHECK_INT(parse(&m, &q), FZ_DNS_NOTIMP);
	CHECK_INT(q.id, 0x4242);
	CHECK_INT((q.flags >> 11) & 0xf, 2);
	CHECK_INT(q.question_end, 0);
	m.b[2] = (uint8_t)(5 << 3); /* UPDATE */
	CHECK_INT(parse(&m, &q), FZ_DNS_NOTIMP);

	/* question counts */
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[5] = 0;
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	CHECK_INT(q.question_end, 0);
	m.b[5] = 2;
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	/* an answer or authority record in a query; two additional */
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[7] = 1;
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	CHECK(q.question_end != 0); /* the question was read: FORMERR can echo it */
	CHECK_STR(q.name, "example.com");
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[9] = 1;
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	mb_query(&m, 1, "example.com", 1, 1232, false);
	m.b[11] = 2;
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);

	/* a compression pointer in the question */
	mb_header(&m, 1, 0, 1, 0, 0, 0);
	mb_u8(&m, 1);
	mb_u8(&m, 'a');
	mb_u16(&m, 0xc00c);
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	/* extended label types 0x40, 0x80 */
	mb_header(&m, 1, 0, 1, 0, 0, 0);
	mb_u8(&m, 0x41);
	mb_u8(&m, 0);
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	m.b[12] = 0x80;
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	m.b[12] = 0x01; /* 1-byte label "\0", then no terminator... */
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);

	/* the question cut short: in the name, in type/class */
	mb_query(&m, 1, "example.com", 1, 0, false);
	for (size_t cut = 12; cut < m.n; cut++)
		CHECK_INT(fz_dns_query_parse(m.b, cut, &q), FZ_DNS_FORMERR);

	/* trailing bytes, without and after the OPT */
	mb_query(&m, 1, "example.com", 1, 0, false);
	mb_u8(&m, 0);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	mb_query(&m, 1, "example.com", 1, 1232, false);
	mb_u8(&m, 0);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	CHECK(q.has_edns); /* the OPT itself was fine: the FORMERR answer carries one */
	/* the OPT cut short */
	mb_query(&m, 1, "example.com", 1, 1232, false);
	CHECK_INT(fz_dns_query_parse(m.b, m.n - 1, &q), FZ_DNS_FORMERR);
	CHECK_INT(fz_dns_query_parse(m.b, m.n - 11, &q), FZ_DNS_FORMERR);

	/* the additional record is not an OPT (a TSIG, say), or not at the root */
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[11] = 1;
	mb_u8(&m, 0);
	mb_rr(&m, 250, 255, 0, 0);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[11] = 1;
	mb_u8(&m, 1);
	mb_u8(&m, 'x');
	mb_u8(&m, 0);
	mb_rr(&m, FZ_DNS_TYPE_OPT, 1232, 0, 0);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[11] = 1;
	mb_u16(&m, 0xc00c); /* a pointer as its owner */
	mb_rr(&m, FZ_DNS_TYPE_OPT, 1232, 0, 0);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);

	/* extended RCODE bits in a query */
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[11] = 1;
	mb_opt(&m, 1232, 1, 0, 0, 0);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);

	/* EDNS version 1: BADVERS, with the question and EDNS known */
	mb_query(&m, 0x77, "example.com", 1, 0, false);
	m.b[11] = 1;
	mb_opt(&m, 1400, 0, 1, 0x8000, 3);
	mb_bytes(&m, "xyz", 3); /* not options of version 0: not read */
	CHECK_INT(parse(&m, &q), FZ_DNS_BADVERS);
	CHECK(q.has_edns);
	CHECK_INT(q.edns_version, 1);
	CHECK(q.do_bit);
	CHECK_STR(q.name, "example.com");
	CHECK(q.question_end != 0);

	/* options that do not tile the rdata */
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[11] = 1;
	mb_opt(&m, 1232, 0, 0, 0, 3);
	mb_bytes(&m, "\0\x0a\0", 3); /* half an option header */
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[11] = 1;
	mb_opt(&m, 1232, 0, 0, 0, 6);
	mb_u16(&m, 10);
	mb_u16(&m, 3); /* 3 bytes of data, only 2 there */
	mb_bytes(&m, "ab", 2);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	/* rdlength past the end */
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[11] = 1;
	mb_opt(&m, 1232, 0, 0, 0, 4);
	mb_u16(&m, 10);
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
}

/* --- answers we build ---------------------------------------------------- */

static void test_answer_nxdomain_bytes(void)
{
	struct fz_dns_query q;
	uint8_t out[512];
	size_t n;
	/* id 0xbeef, QR RD RA, NXDOMAIN; the question; nothing else */
	static const uint8_t want[] = {0xbe, 0xef, 0x81, 0x83, 0,   1,	 0, 0, 0,    0, 0, 0,
				       2,    'e',  'x',	 2,    'c', 'n', 0, 0, 0x1c, 0, 1};

	make_q(&q, 0xbeef, "Ex.cn", FZ_DNS_TYPE_AAAA, 0, false);
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 60, FZ_EDE_BLOCKED,
				"fraud: listed by x", out, sizeof(out));
	CHECK_INT(n, sizeof(want));
	CHECK(memcmp(out, want, sizeof(want)) == 0);
}

static void test_answer_nodata_ede_bytes(void)
{
	struct fz_dns_query q;
	struct mb m;
	uint8_t out[512];
	size_t n;
	/* CD copied, NOERROR, OPT 1232 with DO copied, EDE 15 "fraud: x" */
	static const uint8_t want[] = {
	    0x00, 0x05, 0x81, 0x90, 0,	  1,  0,   0,	 0,   0,   0,	1, /* header */
	    1,	  'a',	2,    'c',  'n',  0,  0,   1,	 0,   1,	   /* question */
	    0,	  0,	41,   0x04, 0xd0, 0,  0,   0x80, 0,   0,   14,	   /* OPT */
	    0,	  15,	0,    10,   0,	  15, 'f', 'r',	 'a', 'u', 'd',	   /* EDE */
	    ':',  ' ',	'x'};

	mb_query(&m, 5, "a.cn", FZ_DNS_TYPE_A, 4096, true);
	m.b[3] |= 0x10; /* CD */
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_NODATA, NULL, 0, 60, FZ_EDE_BLOCKED, "fraud: x",
				out, sizeof(out));
	CHECK_INT(n, sizeof(want));
	CHECK(memcmp(out, want, sizeof(want)) == 0);
	if (memcmp(out, want, sizeof(want)) != 0)
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%zu: %02x %02x\n", i, out[i], want[i]);
}

static void test_answer_sinkhole(void)
{
	struct fz_dns_query q;
	uint8_t out[512];
	size_t n;
	struct fz_dns_sinkhole addrs[3] = {
	    {.family = 4, .addr = {192, 0, 2, 1}},
	    {.family = 6, .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
	    {.family = 4, .addr = {192, 0, 2, 2}},
	};
	/* no EDNS, RD not set in this query: two A records pointing at the question */
	static const uint8_t want[] = {
	    0x12, 0x34, 0x80, 0x80, 0,	  1,  0, 2, 0, 0, 0, 0,	   1, 'b',  2,	 'c', 'n', 0,
	    0,	  1,	0,    1,    0xc0, 12, 0, 1, 0, 1, 0, 0,	   1, 0x2c, 0,	 4,   192, 0,
	    2,	  1,	0xc0, 12,   0,	  1,  0, 1, 0, 0, 1, 0x2c, 0, 4,    192, 0,   2,   2};
	struct mb m;
	ldns_pkt *p;

	mb_query(&m, 0x1234, "b.cn", FZ_DNS_TYPE_A, 0, false);
	m.b[2] = 0; /* RD off */
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_SINKHOLE, addrs, 3, 300, FZ_EDE_BLOCKED, "x", out,
				sizeof(out));
	CHECK_INT(n, sizeof(want));
	CHECK(memcmp(out, want, sizeof(want)) == 0);

	/* AAAA: the v6 address; with EDNS an OPT follows */
	make_q(&q, 9, "b.cn", FZ_DNS_TYPE_AAAA, 1232, false);
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_SINKHOLE, addrs, 3, 300, FZ_EDE_BLOCKED,
				"fraud: listed by feed", out, sizeof(out));
	CHECK(n > 0);
	p = ldns_read(out, n);
	CHECK(p != NULL);
	if (p) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
		ldns_rdf *rd;

		CHECK_INT(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		CHECK_INT(ldns_pkt_ancount(p), 1);
		CHECK(ldns_pkt_qr(p) && ldns_pkt_ra(p) && ldns_pkt_rd(p) && !ldns_pkt_aa(p));
		CHECK(rr && ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA);
		CHECK(rr && ldns_rr_ttl(rr) == 300);
		rd = rr ? ldns_rr_rdf(rr, 0) : NULL;
		CHECK(rd && ldns_rdf_size(rd) == 16 &&
		      memcmp(ldns_rdf_data(rd), addrs[1].addr, 16) == 0);
		CHECK(ldns_pkt_edns(p));
		CHECK_INT(ldns_pkt_edns_udp_size(p), FZ_DNS_UDP_PAYLOAD);
		rd = ldns_pkt_edns_data(p);
		CHECK(rd && ldns_rdf_size(rd) == 6 + 21);
		CHECK(rd && memcmp(ldns_rdf_data(rd),
				   "\0\x0f\0\x17\0\x0f"
				   "fraud: listed by feed",
				   27) == 0);
		ldns_pkt_free(p);
	}

	/* A with only v6 addresses, and a TXT question: NODATA */
	make_q(&q, 9, "b.cn", FZ_DNS_TYPE_A, 0, false);
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_SINKHOLE, addrs + 1, 1, 300, 15, NULL, out,
				sizeof(out));
	CHECK_INT(n, 22);
	CHECK_INT(out[3] & 0xf, 0);
	CHECK_INT(out[7], 0);
	make_q(&q, 9, "b.cn", 16, 0, false);
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_SINKHOLE, addrs, 3, 300, 15, NULL, out,
				sizeof(out));
	CHECK_INT(n, 22);
	CHECK_INT(out[7], 0);

	/* a cap above the largest message is the largest message */
	make_q(&q, 9, "b.cn", FZ_DNS_TYPE_A, 1232, false);
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_SINKHOLE, addrs, 3, 300, 15, "t", out,
				(size_t)1 << 20);
	CHECK_INT(n, 22 + 2 * 16 + 11 + 6 + 1);
	{
		static struct fz_dns_sinkhole many[5000];

		for (size_t i = 0; i < 5000; i++)
			many[i].family = 4;
		CHECK_INT(fz_dns_answer_block(&q, FZ_DNS_BLOCK_SINKHOLE, many, 5000, 1, 15, NULL,
					      out, (size_t)1 << 20),
			  0);
	}
	CHECK_INT(fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 0, 15, NULL, NULL, 512),
		  0);
	CHECK_INT(fz_dns_answer_error(NULL, 0, &q, 2, -1, NULL, NULL, 512), 0);

	/* answers that cannot fit, a q that holds no question */
	make_q(&q, 9, "b.cn", FZ_DNS_TYPE_A, 0, false);
	CHECK_INT(fz_dns_answer_block(&q, FZ_DNS_BLOCK_SINKHOLE, addrs, 3, 300, 15, NULL, out, 40),
		  0);
	q.qname_len = 0;
	CHECK_INT(fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 0, 15, NULL, out, 512),
		  0);
}

static void test_answer_ede_truncation(void)
{
	struct fz_dns_query q;
	uint8_t out[600];
	char text[700];
	size_t n, base;
	ldns_pkt *p;

	make_q(&q, 9, "fraud.example", FZ_DNS_TYPE_A, 1232, false);
	base = 12 + 15 + 4 + 11 + 6;
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 0, 15, text, out, 512);
	CHECK_INT(n, 512);
	CHECK_INT(out[base - 3], (512 - base + 2) & 0xff); /* option length */
	p = ldns_read(out, n);
	CHECK(p != NULL);
	ldns_pkt_free(p);

	/* a 3-byte character cut at the edge is dropped whole */
	for (size_t i = 0; i + 3 <= sizeof(text) - 1; i += 3)
		memcpy(text + i, "\xe9\x98\xb2", 3); /* 防 */
	text[699 - 699 % 3] = '\0';
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 0, 15, text, out, 512);
	CHECK(n <= 512 && n >= 510);
	CHECK_INT((n - base) % 3, 0);
	CHECK(memcmp(out + n - 3, "\xe9\x98\xb2", 3) == 0);

	/* text that fits stays whole; NULL text gives an empty EXTRA-TEXT */
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 0, 15, "ok", out, 512);
	CHECK_INT(n, base + 2);
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 0, 15, NULL, out, 512);
	CHECK_INT(n, base);
	CHECK_INT(out[n - 3], 2);
	/* room for the header, question and OPT but no text */
	n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 0, 15, "text", out, base);
	CHECK_INT(n, base);
	CHECK_INT(
	    fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 0, 15, "t", out, base - 1), 0);
}

static void test_answer_error(void)
{
	struct fz_dns_query q;
	struct mb m;
	uint8_t out[512];
	size_t n;
	ldns_pkt *p;
	static const uint8_t formerr_hdr[] = {0xab, 0xcd, 0x81, 0x81, 0, 0, 0, 0, 0, 0, 0, 0};

	/* FORMERR for QDCOUNT 2: the header alone */
	mb_query(&m, 0xabcd, "example.com", 1, 1232, false);
	m.b[5] = 2;
	CHECK_INT(parse(&m, &q), FZ_DNS_FORMERR);
	n = fz_dns_answer_error(m.b, m.n, &q, FZ_DNS_RCODE_FORMERR, FZ_EDE_OTHER, "x", out,
				sizeof(out));
	CHECK_INT(n, sizeof(formerr_hdr));
	CHECK(memcmp(out, formerr_hdr, sizeof(formerr_hdr)) == 0);
	/* the same without q */
	n = fz_dns_answer_error(m.b, m.n, NULL, FZ_DNS_RCODE_FORMERR, -1, NULL, out, sizeof(out));
	CHECK_INT(n, sizeof(formerr_hdr));
	CHECK(memcmp(out, formerr_hdr, sizeof(formerr_hdr)) == 0);
	CHECK_INT(fz_dns_answer_error(m.b, 11, NULL, 1, -1, NULL, out, sizeof(out)), 0);
	CHECK_INT(fz_dns_answer_error(m.b, m.n, NULL, 1, -1, NULL, out, 11), 0);

	/* NOTIMP keeps the opcode */
	mb_query(&m, 1, "example.com", 1, 0, false);
	m.b[2] = (uint8_t)(4 << 3); /* NOTIFY */
	CHECK_INT(parse(&m, &q), FZ_DNS_NOTIMP);
	n = fz_dns_answer_error(m.b, m.n, &q, FZ_DNS_RCODE_NOTIMP, -1, NULL, out, sizeof(out));
	CHECK_INT(n, 12);
	CHECK_INT(out[2], 0x80 | (4 << 3));
	CHECK_INT(out[3], 0x84);

	/* SERVFAIL with an EDE: question echoed, OPT, ldns reads it */
	mb_query(&m, 0x55, "Www.Example.com", 1, 1232, true);
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	n = fz_dns_answer_error(m.b, m.n, &q, FZ_DNS_RCODE_SERVFAIL, FZ_EDE_NO_REACHABLE_AUTHORITY,
				"no upstream answered", out, sizeof(out));
	CHECK_INT(n, 12 + 17 + 4 + 11 + 6 + 20);
	p = ldns_read(out, n);
	CHECK(p != NULL);
	if (p) {
		ldns_rdf *rd = ldns_pkt_edns_data(p);

		CHECK_INT(ldns_pkt_id(p), 0x55);
		CHECK_INT(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
		CHECK_INT(ldns_pkt_qdcount(p), 1);
		CHECK(ldns_pkt_edns_do(p));
		CHECK(rd && ldns_rdf_size(rd) == 26);
		CHECK(rd &&
		      memcmp(ldns_rdf_data(rd), "\0\x0f\0\x16\0\x16no upstream answered", 26) == 0);
		ldns_pkt_free(p);
	}
	/* an out-of-range code: no EDE, the OPT stays */
	n = fz_dns_answer_error(m.b, m.n, &q, FZ_DNS_RCODE_REFUSED, 70000, "x", out, sizeof(out));
	CHECK_INT(n, 12 + 17 + 4 + 11);
	CHECK_INT(out[3] & 0xf, FZ_DNS_RCODE_REFUSED);
	/* without msg the header comes from q */
	n = fz_dns_answer_error(NULL, 0, &q, FZ_DNS_RCODE_REFUSED, -1, NULL, out, sizeof(out));
	CHECK_INT(n, 12 + 17 + 4 + 11);
	CHECK_INT(out[0] << 8 | out[1], 0x55);
	CHECK_INT(out[2], 0x81);

	/* BADVERS: rcode 16 = extended 1, header 0; needs EDNS */
	mb_query(&m, 0x66, "example.com", 1, 0, false);
	m.b[11] = 1;
	mb_opt(&m, 1232, 0, 2, 0, 0);
	CHECK_INT(parse(&m, &q), FZ_DNS_BADVERS);
	n = fz_dns_answer_error(m.b, m.n, &q, FZ_DNS_RCODE_BADVERS, -1, NULL, out, sizeof(out));
	CHECK_INT(n, 12 + 17 + 11);
	CHECK_INT(out[3] & 0xf, 0);
	CHECK_INT(out[12 + 17 + 5], 1); /* extended RCODE */
	CHECK_INT(out[12 + 17 + 6], 0); /* our version */
	p = ldns_read(out, n);
	CHECK(p != NULL);
	ldns_pkt_free(p);
	make_q(&q, 1, "example.com", 1, 0, false);
	CHECK_INT(fz_dns_answer_error(m.b, m.n, &q, FZ_DNS_RCODE_BADVERS, -1, NULL, out, 512), 0);
}

static void test_build_query(void)
{
	struct fz_dns_query q, back;
	struct mb m;
	uint8_t out[512];
	size_t n;
	static const uint8_t want[] = {0x9a, 0xbc, 0x01, 0x10, 0,    1,	  0, 0,	   0, 0, 0,
				       1,    1,	   'x',	 2,    'c',  'n', 0, 0,	   1, 0, 1,
				       0,    0,	   41,	 0x04, 0xd0, 0,	  0, 0x80, 0, 0, 0};

	mb_query(&m, 1, "X.cn", 1, 512, true);
	m.b[3] |= 0x10; /* CD */
	m.b[2] = 0;	/* RD off: we still recurse */
	CHECK_INT(parse(&m, &q), FZ_DNS_OK);
	n = fz_dns_build_query(&q, 0x9abc, out, sizeof(out));
	CHECK_INT(n, sizeof(want));
	CHECK(memcmp(out, want, sizeof(want)) == 0);
	CHECK_INT(fz_dns_query_parse(out, n, &back), FZ_DNS_OK);
	CHECK_STR(back.name, "x.cn");
	CHECK(back.do_bit && back.has_edns);
	CHECK_INT(back.udp_size, FZ_DNS_UDP_PAYLOAD);
	CHECK_INT(back.id, 0x9abc);

	/* no EDNS from the client: we still send ours, DO clear */
	make_q(&q, 1, "a.example", 28, 0, false);
	n = fz_dns_build_query(&q, 7, out, sizeof(out));
	CHECK_INT(fz_dns_query_parse(out, n, &back), FZ_DNS_OK);
	CHECK(!back.do_bit && back.has_edns);
	CHECK_INT(back.qtype, 28);
	CHECK_INT(back.flags, 0x0100);
	CHECK_INT(fz_dns_build_query(&q, 7, out, n - 1), 0);
}

/* --- replies ------------------------------------------------------------- */

/* A reply header and the question of `name`/`type` IN; counts as given. */
static void mb_reply(struct mb *m, unsigned id, unsigned flags, const char *name, unsigned type,
		     unsigned an, unsigned ns, unsigned ar)
{
	mb_header(m, id, flags, 1, an, ns, ar);
	mb_name(m, name);
	mb_u16(m, type);
	mb_u16(m, FZ_DNS_CLASS_IN);
}

static void mb_soa(struct mb *m, uint32_t ttl, uint32_t minimum)
{
	size_t len_at;

	mb_u16(m, 0xc000 | 12);
	mb_rr(m, FZ_DNS_TYPE_SOA, 1, ttl, 0);
	len_at = m->n - 2;
	mb_name(m, "ns.example");
	mb_u16(m, 0xc000 | 12); /* rname compressed */
	mb_u32(m, 1);
	mb_u32(m, 2);
	mb_u32(m, 3);
	mb_u32(m, 4);
	mb_u32(m, minimum);
	m->b[len_at] = (uint8_t)((m->n - len_at - 2) >> 8);
	m->b[len_at + 1] = (uint8_t)(m->n - len_at - 2);
}

static void test_reply_basic(void)
{
	struct fz_dns_query q;
	struct fz_dns_reply r;
	struct mb m;

	make_q(&q, 1, "www.example.com", FZ_DNS_TYPE_A, 0, false);
	mb_reply(&m, 0x4321, 0x8580, "WWW.example.COM", FZ_DNS_TYPE_A, 2, 0, 1);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 300, 4);
	mb_bytes(&m, "\x01\x02\x03\x04", 4);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 200, 4);
	mb_bytes(&m, "\x05\x06\x07\x08", 4);
	mb_opt(&m, 1232, 0, 0, 0, 0);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), 0);
	CHECK_INT(r.id, 0x4321);
	CHECK_INT(r.rcode, 0);
	CHECK(r.aa && !r.tc);
	CHECK_INT(r.ancount, 2);
	CHECK_INT(r.arcount, 1);
	CHECK_INT(r.n_addrs, 2);
	CHECK_INT(r.addrs[0].family, 4);
	CHECK(memcmp(r.addrs[1].addr, "\x05\x06\x07\x08", 4) == 0);
	CHECK_INT(r.n_chain, 0);
	CHECK_INT(r.ttl, 200);
	CHECK(!r.negative && !r.overflow);

	/* stray or spoofed: wrong id, not a response, another opcode, another question */
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4322, &r), -ENOMSG);
	m.b[2] &= 0x7f;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), -ENOMSG);
	m.b[2] |= 0x80 | (1 << 3);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), -ENOMSG);
	m.b[2] = 0x85;
	make_q(&q, 1, "www.example.org", FZ_DNS_TYPE_A, 0, false);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), -ENOMSG);
	make_q(&q, 1, "ww.example.com", FZ_DNS_TYPE_A, 0, false);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), -ENOMSG);
	make_q(&q, 1, "www.example.com", FZ_DNS_TYPE_AAAA, 0, false);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), -ENOMSG);
	make_q(&q, 1, "www.example.com", FZ_DNS_TYPE_A, 0, false);
	q.qclass = 3;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), -ENOMSG);
	make_q(&q, 1, "www.example.com", FZ_DNS_TYPE_A, 0, false);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), 0);
	m.b[5] = 0;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), -ENOMSG);
	m.b[5] = 2;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 0x4321, &r), -ENOMSG);
	m.b[5] = 1;
	CHECK_INT(fz_dns_reply_parse(m.b, 11, &q, 0x4321, &r), -EBADMSG);

	/* every cut inside the records is malformed */
	for (size_t cut = 12 + 17 + 4; cut < m.n; cut++)
		CHECK_INT(fz_dns_reply_parse(m.b, cut, &q, 0x4321, &r), -EBADMSG);
	/* an A of 5 bytes */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 1, 0, 0);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 300, 5);
	mb_bytes(&m, "\x01\x02\x03\x04\x05", 5);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);
	/* the question cut before its type */
	CHECK_INT(fz_dns_reply_parse(m.b, 12 + 17 + 2, &q, 1, &r), -EBADMSG);
	/* an AAAA of 4 */
	m.b[12 + 17 + 4 + 3] = FZ_DNS_TYPE_AAAA;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);
	/* an A in another class is no address */
	m.b[12 + 17 + 4 + 3] = FZ_DNS_TYPE_A;
	m.b[12 + 17 + 4 + 5] = 3;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), 0);
	CHECK_INT(r.n_addrs, 0);

	/* an AAAA in the answer (the question asked A: not an answer to it) */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 1, 0, 0);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_AAAA, 1, 300, 16);
	mb_bytes(&m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x09", 16);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), 0);
	CHECK_INT(r.n_addrs, 1);
	CHECK_INT(r.addrs[0].family, 6);
	CHECK_INT(r.addrs[0].addr[15], 9);
	CHECK(r.negative);

	/* two OPT records, or one in the answer section */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 0, 0, 2);
	mb_opt(&m, 1232, 0, 0, 0, 0);
	mb_opt(&m, 1232, 0, 0, 0, 0);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 1, 0, 0);
	mb_opt(&m, 1232, 0, 0, 0, 0);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);
	/* the OPT's extended rcode bits */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 0, 0, 1);
	mb_opt(&m, 1232, 1, 0, 0, 0);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), 0);
	CHECK_INT(r.rcode, 16);
	CHECK(!r.negative);

	/* TC: only the question is read */
	mb_reply(&m, 1, 0x8380, "www.example.com", FZ_DNS_TYPE_A, 5, 0, 0);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), 0);
	CHECK(r.tc);
	CHECK_INT(r.n_addrs, 0);
	CHECK_INT(r.ancount, 5);

	/* a TTL with the top bit set counts as 0 */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 1, 0, 0);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 0x80000000u, 4);
	mb_bytes(&m, "\x01\x02\x03\x04", 4);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), 0);
	CHECK_INT(r.ttl, 0);

	/* SERVFAIL, nothing in it */
	mb_reply(&m, 1, 0x8182, "www.example.com", FZ_DNS_TYPE_A, 0, 0, 0);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), 0);
	CHECK_INT(r.rcode, 2);
	CHECK(!r.negative);
	CHECK_INT(r.ttl, UINT32_MAX);
}

static void test_reply_chain(void)
{
	struct fz_dns_query q;
	struct fz_dns_reply r;
	struct mb m;
	size_t t1;

	/* www.example.com CNAME a.example.net; a.example.net CNAME b.cdn.example.net; A */
	make_q(&q, 1, "www.example.com", FZ_DNS_TYPE_A, 0, false);
	mb_reply(&m, 2, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 3, 0, 0);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_CNAME, 1, 600, 15);
	t1 = m.n;
	mb_name(&m, "a.Example.net");
	mb_u16(&m, 0xc000 | (unsigned)t1);
	/* b.cdn and a pointer to "example.net" inside the first target */
	mb_rr(&m, FZ_DNS_TYPE_CNAME, 1, 500, 8);
	mb_u8(&m, 1);
	mb_u8(&m, 'b');
	mb_u8(&m, 3);
	mb_bytes(&m, "cdn", 3);
	mb_u16(&m, 0xc000 | (unsigned)(t1 + 2));
	mb_u16(&m, 0xc000 | (unsigned)(t1 + 15 + 12));
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 400, 4);
	mb_bytes(&m, "\x0a\0\0\x01", 4);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 2, &r), 0);
	CHECK_INT(r.n_chain, 2);
	CHECK_STR(r.chain[0], "a.example.net");
	CHECK_STR(r.chain[1], "b.cdn.example.net");
	CHECK_INT(r.n_addrs, 1);
	CHECK_INT(r.ttl, 400);
	CHECK(!r.negative);

	/* a CNAME whose name does not end at the end of its rdata */
	m.b[t1 - 1] = 16;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 2, &r), -EBADMSG);
	m.b[t1 - 1] = 14;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 2, &r), -EBADMSG);
	m.b[t1 - 1] = 15;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 2, &r), 0);

	/* DNAME, and the synthesized CNAME */
	mb_reply(&m, 3, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 2, 0, 0);
	mb_u16(&m, 0xc000 | 16); /* example.com */
	mb_rr(&m, FZ_DNS_TYPE_DNAME, 1, 3600, 13);
	t1 = m.n;
	mb_name(&m, "example.org");
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_CNAME, 1, 0, 6);
	mb_u8(&m, 3);
	mb_bytes(&m, "www", 3);
	mb_u16(&m, 0xc000 | (unsigned)t1);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 3, &r), 0);
	CHECK_INT(r.n_chain, 2);
	CHECK_STR(r.chain[0], "example.org");
	CHECK_STR(r.chain[1], "www.example.org");
	CHECK_INT(r.ttl, 0);
	CHECK(!r.negative); /* a chain is an answer, even without the final A */

	/* more targets and addresses than the arrays hold */
	mb_reply(&m, 4, 0x8180, "www.example.com", FZ_DNS_TYPE_A, FZ_DNS_MAX_CHAIN + 1 + 40, 0, 0);
	for (int i = 0; i < FZ_DNS_MAX_CHAIN + 1; i++) {
		mb_u16(&m, 0xc00c);
		mb_rr(&m, FZ_DNS_TYPE_CNAME, 1, 60, 4);
		mb_u8(&m, 1);
		mb_u8(&m, 'a' + i);
		mb_u16(&m, 0xc000 | 16);
	}
	for (int i = 0; i < 40; i++) {
		mb_u16(&m, 0xc00c);
		mb_rr(&m, FZ_DNS_TYPE_A, 1, 60, 4);
		mb_u32(&m, 0x0a000000u + (uint32_t)i);
	}
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 4, &r), 0);
	CHECK_INT(r.n_chain, FZ_DNS_MAX_CHAIN);
	CHECK_INT(r.n_addrs, FZ_DNS_MAX_ADDRS);
	CHECK_STR(r.chain[FZ_DNS_MAX_CHAIN - 1], "p.example.com");
	CHECK(r.overflow);
}

static void test_reply_negative(void)
{
	struct fz_dns_query q;
	struct fz_dns_reply r;
	struct mb m;

	make_q(&q, 1, "nx.example", FZ_DNS_TYPE_A, 0, false);
	/* NXDOMAIN: min(SOA TTL, MINIMUM) */
	mb_reply(&m, 5, 0x8183, "nx.example", FZ_DNS_TYPE_A, 0, 1, 0);
	mb_soa(&m, 3600, 300);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 5, &r), 0);
	CHECK(r.negative);
	CHECK_INT(r.rcode, 3);
	CHECK_INT(r.ttl, 300);
	mb_reply(&m, 5, 0x8183, "nx.example", FZ_DNS_TYPE_A, 0, 1, 0);
	mb_soa(&m, 60, 300);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 5, &r), 0);
	CHECK_INT(r.ttl, 60);
	/* a SOA with bytes past MINIMUM, or short of it, is malformed */
	mb_reply(&m, 5, 0x8183, "nx.example", FZ_DNS_TYPE_A, 0, 1, 0);
	mb_soa(&m, 60, 300);
	{
		size_t rdlen_at = 12 + 12 + 4 + 2 + 8;

		m.b[rdlen_at + 1]++;
		mb_u8(&m, 0);
		CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 5, &r), -EBADMSG);
		m.b[rdlen_at + 1] -= 2;
		CHECK_INT(fz_dns_reply_parse(m.b, m.n - 1, &q, 5, &r), -EBADMSG);
	}

	/* NODATA: NOERROR, no record of the type, a SOA */
	mb_reply(&m, 5, 0x8180, "nx.example", FZ_DNS_TYPE_A, 0, 1, 0);
	mb_soa(&m, 900, 1800);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 5, &r), 0);
	CHECK(r.negative);
	CHECK_INT(r.ttl, 900);
	/* NOERROR with a record of another type only */
	mb_reply(&m, 5, 0x8180, "nx.example", FZ_DNS_TYPE_A, 1, 0, 0);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, 16, 1, 100, 2);
	mb_bytes(&m, "\1x", 2);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 5, &r), 0);
	CHECK(r.negative);
	CHECK_INT(r.ttl, UINT32_MAX); /* no SOA: the cache's default */
	/* ... which is an answer to ANY */
	make_q(&q, 1, "nx.example", FZ_DNS_TYPE_ANY, 0, false);
	m.b[12 + 12 + 1] = FZ_DNS_TYPE_ANY;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 5, &r), 0);
	CHECK(!r.negative);
	CHECK_INT(r.ttl, 100);

	/* NXDOMAIN without SOA */
	make_q(&q, 1, "nx.example", FZ_DNS_TYPE_A, 0, false);
	mb_reply(&m, 5, 0x8183, "nx.example", FZ_DNS_TYPE_A, 0, 0, 0);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 5, &r), 0);
	CHECK(r.negative);
	CHECK_INT(r.ttl, UINT32_MAX);

	/* NXDOMAIN at the end of a CNAME: the chain's TTL bounds the negative one */
	mb_reply(&m, 5, 0x8183, "nx.example", FZ_DNS_TYPE_A, 1, 1, 0);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_CNAME, 1, 30, 4);
	mb_u8(&m, 1);
	mb_u8(&m, 'y');
	mb_u16(&m, 0xc000 | 15);
	mb_soa(&m, 3600, 300);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 5, &r), 0);
	CHECK(r.negative);
	CHECK_INT(r.n_chain, 1);
	CHECK_STR(r.chain[0], "y.example");
	CHECK_INT(r.ttl, 30);
}

static void test_reply_compression(void)
{
	struct fz_dns_query q;
	struct fz_dns_reply r;
	struct mb m;
	size_t at, first;
	char name[FZ_NAME_BUF];
	size_t nlen, next;

	make_q(&q, 1, "www.example.com", FZ_DNS_TYPE_A, 0, false);

	/* a pointer to itself, as an owner */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 1, 0, 0);
	at = m.n;
	mb_u16(&m, 0xc000 | (unsigned)at);
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 1, 4);
	mb_u32(&m, 1);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);
	CHECK_INT(fz_dns_name_at(m.b, m.n, at, name, &nlen, &next), -EBADMSG);
	/* a forward pointer */
	m.b[at + 1] = (uint8_t)(at + 2);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);
	/* into the header */
	m.b[at + 1] = 4;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);
	/* the question: fine */
	m.b[at + 1] = 12;
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), 0);

	/* a label run that points back into itself: "a" + pointer to "a" */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 1, 0, 0);
	at = m.n;
	mb_u8(&m, 1);
	mb_u8(&m, 'a');
	mb_u16(&m, 0xc000 | (unsigned)at);
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 1, 4);
	mb_u32(&m, 1);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);

	/* a name in a record's TTL bytes (01 'a' 00 ..): aging would change it */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 2, 0, 0);
	mb_u16(&m, 0xc00c);
	at = m.n;
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 0x01610000u, 4);
	mb_u32(&m, 1);
	mb_u16(&m, 0xc000 | (unsigned)(at + 4));
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 1, 4);
	mb_u32(&m, 1);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);
	CHECK_INT(fz_dns_name_at(m.b, m.n, m.n - 16, name, &nlen, &next), 0); /* no records known */
	CHECK_STR(name, "a");
	/* a pointer to a zero byte of a record's TTL: the root, but in the fields */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 2, 0, 0);
	mb_u16(&m, 0xc00c);
	at = m.n;
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 0, 4);
	mb_u32(&m, 1);
	mb_u16(&m, 0xc000 | (unsigned)(at + 4));
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 1, 4);
	mb_u32(&m, 1);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);

	/* a label that starts in an owner name and runs into the fields */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 2, 0, 0);
	at = m.n;
	mb_bytes(&m, "\2\5z\0", 4); /* owner: one label "\5z" */
	mb_rr(&m, 16, 1, 0, 1);
	mb_u8(&m, 0);
	mb_u16(&m, 0xc000 | (unsigned)at); /* the owner itself: fine */
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 1, 4);
	mb_u32(&m, 1);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), 0);
	m.b[m.n - 15] = (uint8_t)(at + 1); /* "\5" + 5 octets: 'z', 0, type, class.. */
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);

	/* a label reached through a pointer that runs over the pointer itself */
	memset(m.b, 0, 262);
	memcpy(m.b + 256, "\3ab\xc1\x00", 5); /* at 259: a pointer to 256 */
	/* read in place, the bytes are the name "ab\xc1" */
	CHECK_INT(fz_dns_name_at(m.b, 261, 256, name, &nlen, &next), 0);
	CHECK_INT(nlen, 3);
	CHECK_INT(fz_dns_name_at(m.b, 261, 259, name, &nlen, &next), -EBADMSG);
	m.b[256] = 2;
	m.b[259] = 0; /* "ab" then the root, no pointer: fine */
	CHECK_INT(fz_dns_name_at(m.b, 261, 256, name, &nlen, &next), 0);
	CHECK_STR(name, "ab");

	/* chains of pointers, each to the one before: 128 jumps pass, 129 do not */
	for (int jumps = 127; jumps <= 130; jumps++) {
		mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 2, 0, 0);
		/* an unknown record holds the chain in its rdata */
		mb_u16(&m, 0xc00c);
		mb_rr(&m, 65280, 1, 1, (unsigned)(2 * jumps));
		first = m.n;
		mb_u16(&m, 0xc000 | 12);
		for (int i = 1; i < jumps; i++)
			mb_u16(&m, 0xc000 | (unsigned)(first + 2 * (i - 1)));
		/* the owner of an A: one more jump to the last pointer */
		mb_u16(&m, 0xc000 | (unsigned)(m.n - 2));
		mb_rr(&m, FZ_DNS_TYPE_A, 1, 1, 4);
		mb_u32(&m, 1);
		CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), jumps + 1 <= 128 ? 0 : -EBADMSG);
		CHECK_INT(
		    fz_dns_name_at(m.b, m.n, first + 2 * (size_t)(jumps - 1), name, &nlen, &next),
		    jumps <= 128 ? 0 : -EBADMSG);
		if (jumps <= 128) {
			CHECK_STR(name, "www.example.com");
			CHECK_INT(next, first + 2 * (size_t)jumps);
		}
	}

	/* a name longer than 255 octets built from pointers */
	mb_reply(&m, 1, 0x8180, "www.example.com", FZ_DNS_TYPE_A, 2, 0, 0);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, 65280, 1, 1, 4 * 65);
	at = m.n;
	for (int i = 0; i < 4; i++) {
		mb_u8(&m, 62);
		for (int k = 0; k < 62; k++)
			mb_u8(&m, 'a' + i);
		/* each label then points to the one before (the first: the question) */
		mb_u16(&m, 0xc000 | (unsigned)(i ? at + 65 * (size_t)(i - 1) : 12));
	}
	mb_u16(&m, 0xc000 | (unsigned)(at + 65 * 3));
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 1, 4);
	mb_u32(&m, 1);
	CHECK_INT(fz_dns_reply_parse(m.b, m.n, &q, 1, &r), -EBADMSG);
	/* three of the four labels fit: 3 * 63 + 17 = 206 octets */
	CHECK_INT(fz_dns_name_at(m.b, m.n, at + 65 * 2, name, &nlen, &next), 0);
	CHECK_INT(nlen, 3 * 62 + 3 + 15);
	CHECK_INT(strlen(name), nlen);
	CHECK_INT(next, at + 65 * 3);
	CHECK_INT(fz_dns_name_at(m.b, m.n, at + 65 * 3, name, &nlen, &next), -EBADMSG);

	/* name_at: the question, the root, out of bounds */
	CHECK_INT(fz_dns_name_at(m.b, m.n, 12, name, &nlen, &next), 0);
	CHECK_STR(name, "www.example.com");
	CHECK_INT(next, 29);
	CHECK_INT(fz_dns_name_at(m.b, m.n, 28, name, &nlen, &next), 0);
	CHECK_STR(name, "");
	CHECK_INT(nlen, 0);
	CHECK_INT(fz_dns_name_at(m.b, m.n, m.n, name, &nlen, &next), -EBADMSG);
	CHECK_INT(fz_dns_name_at(m.b, 20, 12, name, &nlen, &next), -EBADMSG);
	CHECK_INT(fz_dns_name_at(m.b, m.n, 12, name, NULL, NULL), 0);
}

/* A reply built by ldns (its own compression) reads the same in ours. */
static void test_reply_ldns(void)
{
	static const char *rrs[] = {
	    "www.shop.example. 300 IN CNAME edge.cdn.example.",
	    "edge.cdn.example. 120 IN CNAME e1.edge.cdn.example.",
	    "e1.edge.cdn.example. 60 IN A 203.0.113.7",
	    "e1.edge.cdn.example. 90 IN A 203.0.113.8",
	};
	struct fz_dns_query q;
	struct fz_dns_reply r;
	ldns_pkt *p;
	ldns_rr *rr = NULL;
	uint8_t *wire = NULL;
	size_t n = 0;

	make_q(&q, 1, "WWW.shop.example", FZ_DNS_TYPE_A, 1232, false);
	p = ldns_pkt_query_new(ldns_dname_new_frm_str("www.shop.example."), LDNS_RR_TYPE_A,
			       LDNS_RR_CLASS_IN, LDNS_RD);
	CHECK(p != NULL);
	if (!p)
		return;
	ldns_pkt_set_id(p, 0x7777);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	for (size_t i = 0; i < sizeof(rrs) / sizeof(rrs[0]); i++) {
		CHECK(ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL) == LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	CHECK(ldns_rr_new_frm_str(&rr, "shop.example. 7200 IN NS ns1.shop.example.", 0, NULL,
				  NULL) == LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	ldns_pkt_set_edns_udp_size(p, 1232);
	CHECK(ldns_pkt2wire(&wire, p, &n) == LDNS_STATUS_OK);
	ldns_pkt_free(p);
	CHECK_INT(fz_dns_reply_parse(wire, n, &q, 0x7777, &r), 0);
	CHECK_INT(r.n_chain, 2);
	CHECK_STR(r.chain[0], "edge.cdn.example");
	CHECK_STR(r.chain[1], "e1.edge.cdn.example");
	CHECK_INT(r.n_addrs, 2);
	CHECK(memcmp(r.addrs[1].addr, "\xcb\x00\x71\x08", 4) == 0);
	CHECK_INT(r.ttl, 60);
	CHECK_INT(r.nscount, 1);
	CHECK(!r.negative);
	/* aged by 100 s, ldns sees the new TTLs and our id */
	CHECK_INT(fz_dns_reply_age(wire, n, 0x0102, 100), 0);
	p = ldns_read(wire, n);
	CHECK(p != NULL);
	if (p) {
		CHECK_INT(ldns_pkt_id(p), 0x0102);
		CHECK_INT(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), 200);
		CHECK_INT(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 1)), 20);
		CHECK_INT(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 2)), 0);
		CHECK_INT(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(p), 0)), 7100);
		CHECK_INT(ldns_pkt_edns_udp_size(p), 1232);
		ldns_pkt_free(p);
	}
	free(wire);
}

/* --- stored replies ---------------------------------------------------------- */

static void test_age(void)
{
	struct mb m, copy;
	size_t ttl1, ttl2, ttl3, soa, opt;

	mb_reply(&m, 1, 0x8180, "a.example", FZ_DNS_TYPE_A, 2, 1, 1);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 300, 4);
	ttl1 = m.n - 6;
	mb_u32(&m, 1);
	mb_u16(&m, 0xc00c);
	mb_rr(&m, FZ_DNS_TYPE_A, 1, 100, 4);
	ttl2 = m.n - 6;
	mb_u32(&m, 2);
	soa = m.n;
	mb_soa(&m, 0x90000000u, 60);
	ttl3 = soa + 6;
	opt = m.n;
	mb_opt(&m, 1232, 0, 0, 0x8000, 0);
	copy = m;

	CHECK_INT(fz_dns_reply_age(m.b, m.n, 0xfeed, 150), 0);
	CHECK_INT(m.b[0] << 8 | m.b[1], 0xfeed);
	CHECK_INT(m.b[ttl1 + 2] << 8 | m.b[ttl1 + 3], 150);
	CHECK_INT(m.b[ttl2 + 2] << 8 | m.b[ttl2 + 3], 0);
	CHECK_INT(m.b[ttl3] | m.b[ttl3 + 1] | m.b[ttl3 + 2] | m.b[ttl3 + 3], 0);
	CHECK(memcmp(m.b + opt, copy.b + opt, 11) == 0); /* OPT untouched */
	CHECK(memcmp(m.b + 2, copy.b + 2, ttl1 - 2) == 0);
	/* zero elapsed changes only the id and the top-bit TTL */
	m = copy;
	CHECK_INT(fz_dns_reply_age(m.b, m.n, 1, 0), 0);
	CHECK(memcmp(m.b, copy.b, ttl3) == 0);

	/* malformed: refused, nothing changed */
	m = copy;
	CHECK_INT(fz_dns_reply_age(m.b, m.n - 1, 0xfeed, 150), -EBADMSG);
	CHECK(memcmp(m.b, copy.b, m.n) == 0);
	m.b[7] = 3; /* one answer more than there is */
	CHECK_INT(fz_dns_reply_age(m.b, m.n, 0xfeed, 150), -EBADMSG);
	CHECK_INT(fz_dns_reply_age(m.b, 11, 0xfeed, 150), -EBADMSG);
	m = copy;
	CHECK_INT(fz_dns_reply_age(m.b, ttl1 - 5, 0xfeed, 150), -EBADMSG); /* half a pointer */
	m.b[ttl1 + 5] = 5;						   /* rdlength 5 */
	CHECK_INT(fz_dns_reply_age(m.b, ttl1 + 10, 0xfeed, 150), -EBADMSG);
	m = copy;
	m.b[12] = 0x40; /* an extended label type in the question */
	CHECK_INT(fz_dns_reply_age(m.b, m.n, 0xfeed, 150), -EBADMSG);
}

static void test_truncate(void)
{
	struct mb m, copy;
	size_t qend, optat, n;

	mb_reply(&m, 1, 0x8180, "big.example", FZ_DNS_TYPE_A, 50, 0, 1);
	qend = m.n;
	for (int i = 0; i < 50; i++) {
		mb_u16(&m, 0xc00c);
		mb_rr(&m, FZ_DNS_TYPE_A, 1, 60, 4);
		mb_u32(&m, (uint32_t)i);
	}
	optat = m.n;
	mb_opt(&m, 1232, 0, 0, 0x8000, 4);
	mb_u16(&m, 12);
	mb_u16(&m, 0);
	copy = m;
	CHECK(m.n > 512);

	/* fits: unchanged */
	CHECK_INT(fz_dns_truncate(m.b, m.n, m.n), m.n);
	CHECK(memcmp(m.b, copy.b, m.n) == 0);

	n = fz_dns_truncate(m.b, m.n, 512);
	CHECK_INT(n, qend + 15);
	CHECK(m.b[2] & 0x02); /* TC */
	CHECK_INT(m.b[2] & ~0x02, copy.b[2]);
	CHECK_INT(m.b[5], 1);
	CHECK_INT(m.b[7], 0);
	CHECK_INT(m.b[9], 0);
	CHECK_INT(m.b[11], 1);
	CHECK(memcmp(m.b + qend, copy.b + optat, 15) == 0);
	{
		ldns_pkt *p = ldns_read(m.b, n);

		CHECK(p && ldns_pkt_tc(p) && ldns_pkt_edns(p));
		ldns_pkt_free(p);
	}

	/* room for the question but not the OPT */
	m = copy;
	CHECK_INT(fz_dns_truncate(m.b, m.n, qend + 14), qend);
	CHECK_INT(m.b[11], 0);
	/* not even the question */
	m = copy;
	CHECK_INT(fz_dns_truncate(m.b, m.n, qend - 1), 12 + 15);
	CHECK_INT(m.b[5], 0);
	CHECK_INT(m.b[11], 1);
	CHECK(memcmp(m.b + 12, copy.b + optat, 15) == 0);
	CHECK(m.b[2] & 0x02);
	m = copy;
	CHECK_INT(fz_dns_truncate(m.b, m.n, 12 + 14), 12);
	CHECK_INT(m.b[5], 0);
	CHECK_INT(m.b[11], 0);
	m = copy;
	CHECK_INT(fz_dns_truncate(m.b, m.n, 11), 0);

	/* no OPT */
	m = copy;
	m.b[11] = 0;
	CHECK_INT(fz_dns_truncate(m.b, m.n, 512), qend);
	/* records unreadable: the question stays, the OPT goes */
	m = copy;
	m.b[qend] = 0x80;
	CHECK_INT(fz_dns_truncate(m.b, m.n, 512), qend);
	CHECK_INT(m.b[5], 1);
	CHECK_INT(m.b[11], 0);
	/* the question unreadable: the header alone */
	m = copy;
	m.b[12] = 0x80;
	CHECK_INT(fz_dns_truncate(m.b, m.n, 512), 12);
	CHECK_INT(m.b[5], 0);
}

int main(void)
{
	test_query_basic();
	test_query_bytes();
	test_query_verdicts();
	test_answer_nxdomain_bytes();
	test_answer_nodata_ede_bytes();
	test_answer_sinkhole();
	test_answer_ede_truncation();
	test_answer_error();
	test_build_query();
	test_reply_basic();
	test_reply_chain();
	test_reply_negative();
	test_reply_compression();
	test_reply_ldns();
	test_age();
	test_truncate();
	return fz_test_done();
}
