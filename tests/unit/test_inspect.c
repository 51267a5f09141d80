/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inspector's decisions packet by packet, over a real compiled list:
 * TLS (whole, split, out of order, 1-byte segments, retransmitted), HTTP
 * URL rules and the block page, DNS answers injected per query, QUIC
 * Initials, IPv6, address rules, the doh category, ECH names, DoT, and
 * packets we cannot read.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fz_blocklist.h"
#include "fz_blwriter.h"
#include "fz_dnsmsg.h"
#include "fz_inspect.h"
#include "fz_parse.h"
#include "fz_quic.h"
#include "fz_test.h"

static struct fz_blocklist *bl;

static void build_list(void)
{
	char dir[] = "/tmp/fz-test-inspect-XXXXXX", path[80], err[256];
	static const char urls[] = "http://allowed.test/app/fraud.apk\n198.51.100.66\n";
	struct fz_parse_opts po = {.format = FZ_FORMAT_URLS};
	struct fz_parse_result pr;
	struct fz_blwriter *w;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/list.fzb", dir);
	CHECK(fz_blwriter_new(&w) == 0);
	int fraud = fz_blwriter_add_feed(w, "fraud-feed", FZ_CAT_FRAUD, "", FZ_FEED_NORMAL);
	int doh = fz_blwriter_add_feed(w, "doh-feed", FZ_CAT_DOH, "", FZ_FEED_NORMAL);
	int url = fz_blwriter_add_feed(w, "url-feed", FZ_CAT_FRAUD, "", FZ_FEED_NORMAL);
	static const char *const names[] = {"fraud.test", "quic-fraud.test", "v6-fraud.test"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(fz_blwriter_add_name(w, fraud, names[i], strlen(names[i]), FZ_ACTION_BLOCK,
					   FZ_MATCH_SUBTREE, FZ_POLICY_DEFAULT) == 0);
	CHECK(fz_blwriter_add_name(w, doh, "dns.doh.test", 12, FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE,
				   FZ_POLICY_DEFAULT) == 0);
	CHECK(fz_parse((const uint8_t *)urls, sizeof(urls) - 1, &po, &pr) == 0);
	CHECK_INT(pr.n_entries, 2);
	CHECK(fz_blwriter_add_parsed(w, url, &pr) == 0);
	fz_parse_result_free(&pr);
	CHECK(fz_blwriter_write(w, path, NULL, NULL, err, sizeof(err)) == 0);
	CHECK(fz_blocklist_open(path, &bl, err, sizeof(err)) == 0);
	fz_blwriter_free(w);
	unlink(path);
	rmdir(dir);
}

/* --- packet builders
 * ----------------------------------------------------------- */

struct tuple {
	int family;
	const char *src, *dst;
	uint16_t sport, dport;
};

static const struct tuple T4 = {4, "10.77.1.2", "10.77.2.2", 40000, 443};

static size_t ip_header(const struct tuple *t, uint8_t proto, size_t l4len, uint8_t *out)
{
	if (t->family == 4) {
		memset(out, 0, 20);
		out[0] = 0x45;
		out[2] = (uint8_t)((20 + l4len) >> 8);
		out[3] = (uint8_t)(20 + l4len);
		out[6] = 0x40; /* DF */
		out[8] = 64;
		out[9] = proto;
		inet_pton(AF_INET, t->src, out + 12);
		inet_pton(AF_INET, t->dst, out + 16);
		return 20;
	}
	memset(out, 0, 40);
	out[0] = 0x60;
	out[4] = (uint8_t)(l4len >> 8);
	out[5] = (uint8_t)l4len;
	out[6] = proto;
	out[7] = 64;
	inet_pton(AF_INET6, t->src, out + 8);
	inet_pton(AF_INET6, t->dst, out + 24);
	return 40;
}

static size_t tcp_pkt(const struct tuple *t, uint32_t seq, uint8_t flags, const uint8_t *data,
		      size_t n, uint8_t *out)
{
	size_t h = ip_header(t, IPPROTO_TCP, 20 + n, out);
	uint8_t *tcp = out + h;

	memset(tcp, 0, 20);
	tcp[0] = (uint8_t)(t->sport >> 8);
	tcp[1] = (uint8_t)t->sport;
	tcp[2] = (uint8_t)(t->dport >> 8);
	tcp[3] = (uint8_t)t->dport;
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	tcp[11] = 77; /* ack 77 */
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	tcp[14] = 0xff;
	if (n)
		memcpy(tcp + 20, data, n);
	return h + 20 + n;
}

static size_t udp_pkt(const struct tuple *t, const uint8_t *data, size_t n, uint8_t *out)
{
	size_t h = ip_header(t, IPPROTO_UDP, 8 + n, out);
	uint8_t *udp = out + h;

	udp[0] = (uint8_t)(t->sport >> 8);
	udp[1] = (uint8_t)t->sport;
	udp[2] = (uint8_t)(t->dport >> 8);
	udp[3] = (uint8_t)t->dport;
	udp[4] = (uint8_t)((8 + n) >> 8);
	udp[5] = (uint8_t)(8 + n);
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, data, n);
	return h + 8 + n;
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A ClientHello handshake message (no record header) naming `sni`. */
static size_t client_hello(const char *sni, bool ech, uint8_t *out)
{
	uint8_t *p = out + 4;
	size_t sl = strlen(sni);

	*p++ = 3;
	*p++ = 3;
	memset(p, 0x11, 32);
	p += 32;
	*p++ = 0; /* session id */
	put16(p, 2);
	p += 2;
	*p++ = 0x13;
	*p++ = 0x01;
	*p++ = 1;
	*p++ = 0;
	uint8_t *ext_len = p;
	p += 2;
	uint8_t *ext = p;
	/* server_name */
	put16(p, 0);
	put16(p + 2, sl + 5);
	put16(p + 4, sl + 3);
	p[6] = 0;
	put16(p + 7, sl);
	memcpy(p + 9, sni, sl);
	p += 9 + sl;
	/* ALPN h2, http/1.1 */
	static const uint8_t alpn[] = {0, 16,  0,   14,	 0,   12,  2,	'h', '2',
				       8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
	memcpy(p, alpn, sizeof(alpn));
	p += sizeof(alpn);
	if (ech) {
		put16(p, FZ_TLS_EXT_ECH);
		put16(p + 2, 4);
		memset(p + 4, 0, 4);
		p += 8;
	}
	/* padding to make it a realistic size */
	put16(p, 21);
	put16(p + 2, 300);
	memset(p + 4, 0, 300);
	p += 304;
	put16(ext_len, (size_t)(p - ext));
	size_t body = (size_t)(p - (out + 4));
	out[0] = 1;
	out[1] = (uint8_t)(body >> 16);
	out[2] = (uint8_t)(body >> 8);
	out[3] = (uint8_t)body;
	return body + 4;
}

/* The same in one TLS record, as sent over TCP. */
static size_t tls_record(const char *sni, bool ech, uint8_t *out)
{
	size_t n = client_hello(sni, ech, out + 5);

	out[0] = 22;
	out[1] = 3;
	out[2] = 1;
	put16(out + 3, n);
	return n + 5;
}

static size_t dns_query(const char *name, uint16_t id, uint8_t *out)
{
	uint8_t *p = out;

	put16(p, id);
	put16(p + 2, 0x0100);
	put16(p + 4, 1);
	memset(p + 6, 0, 6);
	put16(p + 10, 1); /* ARCOUNT: OPT */
	p += 12;
	const char *s = name;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		*p++ = (uint8_t)l;
		memcpy(p, s, l);
		p += l;
		s += l + (dot ? 1 : 0);
	}
	*p++ = 0;
	put16(p, 1);
	put16(p + 2, 1);
	p += 4;
	/* OPT: root, type 41, udp 1232, ttl 0, rdlen 0 */
	*p++ = 0;
	put16(p, 41);
	put16(p + 2, 1232);
	memset(p + 4, 0, 6);
	p += 10;
	return (size_t)(p - out);
}

static struct fz_nfq_cfg cfg;
static struct fz_inspector *ins;
static uint64_t now = 1000000;

static const struct fz_inspect_result *feed(const uint8_t *pkt, size_t len)
{
	static struct fz_inspect_result res;

	now += 1;
	fz_inspect_packet(ins, fz_blocklist_current(bl), pkt, len, now, false, &res);
	return &res;
}

static void fresh(void)
{
	fz_inspector_free(ins);
	CHECK(fz_inspector_new(&cfg, &ins) == 0);
}

/* --- the tests
 * ------------------------------------------------------------------ */

static void test_tls_whole(void)
{
	uint8_t rec[1024], pkt[2048];
	struct tuple t = T4;
	const struct fz_inspect_result *r;
	size_t n, len;

	fresh();
	n = tls_record("Fraud.Test", false, rec);
	r = feed(pkt, tcp_pkt(&t, 1000, FZ_TCP_SYN, NULL, 0, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	len = tcp_pkt(&t, 1001, FZ_TCP_ACK | FZ_TCP_PSH, rec, n, pkt);
	r = feed(pkt, len);
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_INT(r->action, FZ_NA_RST);
	CHECK_INT(r->proto, FZ_PROTO_TLS);
	CHECK(r->decided_now);
	CHECK_STR(r->name, "fraud.test");
	CHECK_STR(r->reason, "listed");
	CHECK_STR(r->alpn, "h2,http/1.1");
	/* a subtree rule reads as its wildcard form */
	CHECK(r->match.rule && r->match.rule_len == 12 &&
	      !memcmp(r->match.rule, "*.fraud.test", 12));
	CHECK_INT(r->n_inject, 2);
	/* the resets go to the client (from the server) and to the server (from the
	 * client) */
	struct fz_pkt a, b;
	CHECK(fz_pkt_parse(r->inject[0], r->inject_len[0], false, &a) == 0);
	CHECK(fz_pkt_parse(r->inject[1], r->inject_len[1], false, &b) == 0);
	CHECK(a.tcp_flags & FZ_TCP_RST);
	CHECK(b.tcp_flags & FZ_TCP_RST);
	CHECK_INT(a.dport, 40000);
	CHECK_INT(b.dport, 443);
	CHECK_INT(b.seq, 1001);
	/* a retransmission gets the same verdict from the tombstone, without new
	 * packets */
	r = feed(pkt, len);
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK(!r->decided_now);
	CHECK_INT(r->n_inject, 0);

	/* an unlisted name is accepted once, and stays accepted */
	t.sport = 40001;
	n = tls_record("ok.test", false, rec);
	feed(pkt, tcp_pkt(&t, 5000, FZ_TCP_SYN, NULL, 0, pkt));
	r = feed(pkt, tcp_pkt(&t, 5001, FZ_TCP_ACK, rec, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	CHECK(r->decided_now);
	CHECK_STR(r->name, "ok.test");
	CHECK(r->reason == NULL);
	r = feed(pkt, tcp_pkt(&t, 5001 + (uint32_t)n, FZ_TCP_ACK, (const uint8_t *)"x", 1, pkt));
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	CHECK(!r->decided_now);
}

static void test_tls_split(void)
{
	uint8_t rec[1024], pkt[2048];
	struct tuple t = T4;
	const struct fz_inspect_result *r;
	size_t n = tls_record("www.fraud.test", false, rec), a = 100, b = 250;

	/* three segments, the middle one first: the decision falls on the one
	 * completing it */
	fresh();
	t.sport = 41000;
	feed(pkt, tcp_pkt(&t, 0, FZ_TCP_SYN, NULL, 0, pkt));
	r = feed(pkt, tcp_pkt(&t, 1 + (uint32_t)a, FZ_TCP_ACK, rec + a, b - a, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	r = feed(pkt, tcp_pkt(&t, 1 + (uint32_t)b, FZ_TCP_ACK, rec + b, n - b, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, rec, a, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_STR(r->name, "www.fraud.test");

	/*
	 * One byte per segment, each sent twice: a listed name is blocked as
	 * soon as its server_name extension is whole (byte 75 here: record and
	 * handshake headers, version, random, session id, one cipher suite,
	 * compression, the extensions' length, then 23 bytes of SNI), an
	 * unlisted one is accepted when the whole hello has arrived.
	 */
	for (int listed = 1; listed >= 0; listed--) {
		n = tls_record(listed ? "www.fraud.test" : "www.fraux.test", false, rec);
		t.sport = (uint16_t)(41001 + listed);
		feed(pkt, tcp_pkt(&t, 99, FZ_TCP_SYN, NULL, 0, pkt));
		size_t decided_at = 0;
		for (size_t i = 0; i < n && !decided_at; i++) {
			for (int rep = 0; rep < 2; rep++) {
				r = feed(pkt, tcp_pkt(&t, 100 + (uint32_t)i, FZ_TCP_ACK, rec + i, 1,
						      pkt));
				if (r->verdict != FZ_NV_PASS) {
					decided_at = i + 1;
					break;
				}
			}
		}
		CHECK_INT(decided_at, listed ? 75 : n);
		CHECK_INT(r->verdict, listed ? FZ_NV_BLOCK : FZ_NV_ACCEPT);
	}
}

static void test_http(void)
{
	static const char bad[] = "GET /app/fraud.apk?v=2 HTTP/1.1\r\nHost: Allowed.Test\r\n"
				  "User-Agent: curl\r\n\r\n";
	static const char ok[] = "GET /ok.html HTTP/1.1\r\nHost: allowed.test\r\n\r\n";
	static const char named[] = "GET / HTTP/1.1\r\nHost: fraud.test:8080\r\n\r\n";
	uint8_t pkt[2048];
	struct tuple t = T4;
	const struct fz_inspect_result *r;

	fresh();
	t.dport = 80;
	t.sport = 42000;
	feed(pkt, tcp_pkt(&t, 10, FZ_TCP_SYN, NULL, 0, pkt));
	/* split after two bytes: still read */
	r = feed(pkt, tcp_pkt(&t, 11, FZ_TCP_ACK, (const uint8_t *)bad, 2, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	CHECK_INT(r->proto, FZ_PROTO_HTTP);
	r = feed(pkt, tcp_pkt(&t, 13, FZ_TCP_ACK | FZ_TCP_PSH, (const uint8_t *)bad + 2,
			      sizeof(bad) - 3, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_INT(r->action, FZ_NA_PAGE);
	CHECK_STR(r->reason, "url");
	CHECK_STR(r->url, "allowed.test/app/fraud.apk?v=2");
	CHECK_INT(r->n_inject, 2);
	struct fz_pkt pg;
	CHECK(fz_pkt_parse(r->inject[0], r->inject_len[0], false, &pg) == 0);
	CHECK_INT(pg.dport, 42000);
	CHECK(pg.payload_len > 20 && !memcmp(pg.payload, "HTTP/1.1 403", 12));
	CHECK(memmem(pg.payload, pg.payload_len, "fraud", 5) != NULL);
	/* ack = the request's end: the client sees an answer to what it sent */
	CHECK_INT(pg.ack, 11 + sizeof(bad) - 1);

	/*
	 * allowed.test has URL rules of its own: its connections are read
	 * request after request (keep-alive), so the listed download after a
	 * page on the same connection is caught; pipelined requests too.
	 */
	static const char ok2[] = "HEAD /ok2.html HTTP/1.1\r\nHost: allowed.test\r\n\r\n"
				  "GET /app/fraud.apk HTTP/1.1\r\nHost: allowed.test\r\n\r\n";
	uint32_t seq = 11;
	t.sport = 42001;
	feed(pkt, tcp_pkt(&t, 10, FZ_TCP_SYN, NULL, 0, pkt));
	r = feed(pkt, tcp_pkt(&t, seq, FZ_TCP_ACK, (const uint8_t *)ok, sizeof(ok) - 1, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	CHECK_STR(r->url, "allowed.test/ok.html");
	seq += sizeof(ok) - 1;
	r = feed(pkt, tcp_pkt(&t, seq, FZ_TCP_ACK, (const uint8_t *)ok, 10, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	r = feed(pkt,
		 tcp_pkt(&t, seq + 10, FZ_TCP_ACK, (const uint8_t *)ok + 10, sizeof(ok) - 11, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	seq += sizeof(ok) - 1;
	r = feed(pkt, tcp_pkt(&t, seq, FZ_TCP_ACK, (const uint8_t *)ok2, sizeof(ok2) - 1, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_STR(r->reason, "url");
	CHECK_STR(r->url, "allowed.test/app/fraud.apk");
	CHECK_INT(r->action, FZ_NA_PAGE);

	/* a host without URL rules: decided on its first request */
	static const char other[] = "GET /x HTTP/1.1\r\nHost: other.test\r\n\r\n";
	t.sport = 42003;
	r = feed(pkt, tcp_pkt(&t, 11, FZ_TCP_ACK, (const uint8_t *)other, sizeof(other) - 1, pkt));
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	CHECK_STR(r->url, "other.test/x");

	t.sport = 42002;
	r = feed(pkt, tcp_pkt(&t, 11, FZ_TCP_ACK, (const uint8_t *)named, sizeof(named) - 1, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_STR(r->name, "fraud.test");
	CHECK_STR(r->reason, "listed");

	/* the reset action instead of the page */
	cfg.http_action = FZ_NFQ_HTTP_RST;
	fresh();
	r = feed(pkt, tcp_pkt(&t, 11, FZ_TCP_ACK, (const uint8_t *)named, sizeof(named) - 1, pkt));
	CHECK_INT(r->action, FZ_NA_RST);
	cfg.http_action = FZ_NFQ_HTTP_PAGE;
}

static void test_dns(void)
{
	uint8_t q[512], pkt[2048];
	struct tuple t = {4, "10.77.1.2", "8.8.8.8", 53000, 53};
	const struct fz_inspect_result *r;
	size_t n;

	fresh();
	n = dns_query("www.fraud.test", 0x1234, q);
	r = feed(pkt, udp_pkt(&t, q, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_DROP);
	CHECK_INT(r->action, FZ_NA_NXDOMAIN);
	CHECK_INT(r->proto, FZ_PROTO_DNS);
	CHECK(r->decided_now);
	CHECK_INT(r->n_inject, 1);
	struct fz_pkt a;
	CHECK(fz_pkt_parse(r->inject[0], r->inject_len[0], false, &a) == 0);
	CHECK_INT(a.sport, 53);
	CHECK_INT(a.dport, 53000);
	struct fz_dns_query dq;
	struct fz_dns_reply rep;
	CHECK_INT(fz_dns_query_parse(q, n, &dq), FZ_DNS_OK);
	CHECK(fz_dns_reply_parse(a.payload, a.payload_len, &dq, 0x1234, &rep) == 0);
	CHECK_INT(rep.rcode, FZ_DNS_RCODE_NXDOMAIN);
	CHECK(memmem(a.payload, a.payload_len, "listed by fraud-feed", 20) != NULL);

	/* the next query on the same flow is read again */
	n = dns_query("ok.test", 0x1235, q);
	r = feed(pkt, udp_pkt(&t, q, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	CHECK_STR(r->name, "ok.test");
	n = dns_query("fraud.test", 0x1236, q);
	r = feed(pkt, udp_pkt(&t, q, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_DROP);

	/* drop without an answer when configured */
	cfg.dns_action = FZ_NFQ_DNS_DROP;
	r = feed(pkt, udp_pkt(&t, q, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_DROP);
	CHECK_INT(r->action, FZ_NA_DROP);
	CHECK_INT(r->n_inject, 0);
	cfg.dns_action = FZ_NFQ_DNS_NXDOMAIN;

	/* DNS over TCP: resets */
	uint8_t tq[520];
	n = dns_query("fraud.test", 7, tq + 2);
	put16(tq, n);
	t.sport = 53001;
	feed(pkt, tcp_pkt(&t, 0, FZ_TCP_SYN, NULL, 0, pkt));
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, tq, 5, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	r = feed(pkt, tcp_pkt(&t, 6, FZ_TCP_ACK, tq + 5, n + 2 - 5, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_INT(r->action, FZ_NA_RST);
}

static void test_quic(void)
{
	static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
	uint8_t ch[1024], frames[1100], dg[1500], pkt[1600];
	struct tuple t = {4, "10.77.1.2", "10.77.2.3", 50000, 443};
	const struct fz_inspect_result *r;
	size_t n = client_hello("quic-fraud.test", false, ch);

	fresh();
	/* CRYPTO frame: type 6, offset 0, length (2-byte varint) */
	frames[0] = 6;
	frames[1] = 0;
	frames[2] = (uint8_t)(0x40 | (n >> 8));
	frames[3] = (uint8_t)n;
	memcpy(frames + 4, ch, n);
	int len = fz_quic_build_initial(FZ_QUIC_V1, dcid, sizeof(dcid), NULL, 0, 0, frames, n + 4,
					1200, dg, sizeof(dg));
	CHECK(len >= 1200);
	if (len < 0)
		return;
	r = feed(pkt, udp_pkt(&t, dg, (size_t)len, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_INT(r->proto, FZ_PROTO_QUIC);
	CHECK_INT(r->action, FZ_NA_ICMP);
	CHECK_STR(r->name, "quic-fraud.test");
	CHECK_INT(r->n_inject, 1);
	struct fz_pkt ic;
	CHECK(r->n_inject == 1 && fz_pkt_parse(r->inject[0], r->inject_len[0], false, &ic) != 0);

	/* unlisted: accepted */
	n = client_hello("quic-ok.test", false, ch);
	frames[2] = (uint8_t)(0x40 | (n >> 8));
	frames[3] = (uint8_t)n;
	memcpy(frames + 4, ch, n);
	len = fz_quic_build_initial(FZ_QUIC_V2, dcid, sizeof(dcid), NULL, 0, 0, frames, n + 4, 1200,
				    dg, sizeof(dg));
	t.sport = 50001;
	r = feed(pkt, udp_pkt(&t, dg, (size_t)len, pkt));
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	CHECK_STR(r->name, "quic-ok.test");

	/* other UDP on 443 is not ours to read */
	t.sport = 50002;
	r = feed(pkt, udp_pkt(&t, (const uint8_t *)"hello", 5, pkt));
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	CHECK_INT(r->proto, FZ_PROTO_UNKNOWN);
}

/* A CRYPTO frame (type 6) of n bytes of d at offset off into f; its length. */
static size_t crypto_frame(uint8_t *f, size_t off, const uint8_t *d, size_t n)
{
	f[0] = 6;
	f[1] = (uint8_t)(0x40 | (off >> 8));
	f[2] = (uint8_t)off;
	f[3] = (uint8_t)(0x40 | (n >> 8));
	f[4] = (uint8_t)n;
	memcpy(f + 5, d, n);
	return n + 5;
}

/*
 * Live, a new flow's first QUIC datagram is read outside the flow table:
 * accepted on it, the flow never takes an entry (only the note that
 * answers its queued packets); blocked, it keeps a tombstone; a
 * ClientHello over two Initials keeps the first one's CRYPTO bytes (the
 * state moves into a new flow), so the second decides; with no room for
 * that state the flow is decided by its address.
 */
static void test_quic_first(void)
{
	static const uint8_t dcid[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
	uint8_t ch[1024], frames[1100], dg[1500], pkt[1600], one[1600];
	struct tuple t = {4, "10.77.1.2", "10.77.2.4", 51000, 443};
	const struct fz_inspect_result *r;
	struct fz_flowtab_stats fs;
	size_t n, fl, one_len, cut;
	int len;

	fresh();
	/* unlisted, whole: accepted, no entry; the same packet again answered by the note */
	n = client_hello("quic-ok.test", false, ch);
	fl = crypto_frame(frames, 0, ch, n);
	len = fz_quic_build_initial(FZ_QUIC_V1, dcid, sizeof(dcid), NULL, 0, 0, frames, fl, 1200,
				    dg, sizeof(dg));
	CHECK(len >= 1200);
	if (len < 0)
		return;
	one_len = udp_pkt(&t, dg, (size_t)len, one);
	r = feed(one, one_len);
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	CHECK(r->decided_now);
	CHECK_STR(r->name, "quic-ok.test");
	fz_flowtab_stats(fz_inspector_flows(ins), &fs);
	CHECK_INT(fs.flows, 0);
	CHECK_INT(fs.created, 0);
	r = feed(one, one_len);
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	CHECK(!r->decided_now);
	CHECK_INT(r->proto, FZ_PROTO_QUIC);

	/* listed, whole: blocked with its ICMP, a tombstone; the next packet blocked by it */
	t.sport = 51001;
	n = client_hello("quic-fraud.test", false, ch);
	fl = crypto_frame(frames, 0, ch, n);
	len = fz_quic_build_initial(FZ_QUIC_V1, dcid, sizeof(dcid), NULL, 0, 0, frames, fl, 1200,
				    dg, sizeof(dg));
	one_len = udp_pkt(&t, dg, (size_t)len, one);
	r = feed(one, one_len);
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_INT(r->action, FZ_NA_ICMP);
	CHECK_INT(r->n_inject, 1);
	fz_flowtab_stats(fz_inspector_flows(ins), &fs);
	CHECK_INT(fs.flows, 1);
	r = feed(one, one_len);
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK(!r->decided_now);

	/* listed, over two Initials: the first passes (its bytes kept), the second blocks */
	for (int listed = 1; listed >= 0; listed--) {
		t.sport = (uint16_t)(51002 + listed);
		n = client_hello(listed ? "quic-fraud.test" : "quic-ok.test", false, ch);
		cut =
		    n /
		    2; /* the SNI lies in the first half: lost, the second alone decides nothing */
		fl = crypto_frame(frames, 0, ch, cut);
		len = fz_quic_build_initial(FZ_QUIC_V1, dcid, sizeof(dcid), NULL, 0, 0, frames, fl,
					    1200, dg, sizeof(dg));
		r = feed(pkt, udp_pkt(&t, dg, (size_t)len, pkt));
		CHECK_INT(r->verdict, FZ_NV_PASS);
		CHECK_INT(r->proto, FZ_PROTO_QUIC);
		fl = crypto_frame(frames, cut, ch + cut, n - cut);
		len = fz_quic_build_initial(FZ_QUIC_V1, dcid, sizeof(dcid), NULL, 0, 1, frames, fl,
					    1200, dg, sizeof(dg));
		r = feed(pkt, udp_pkt(&t, dg, (size_t)len, pkt));
		CHECK_INT(r->verdict, listed ? FZ_NV_BLOCK : FZ_NV_ACCEPT);
		CHECK_STR(r->name, listed ? "quic-fraud.test" : "quic-ok.test");
	}
	fz_flowtab_stats(fz_inspector_flows(ins), &fs);
	CHECK_INT(fs.flows, 2); /* the two tombstones */
	CHECK_INT(fs.bytes, 0);

	/* no room for the first Initial's state: decided by the address (unlisted: accepted) */
	{
		struct fz_nfq_cfg small = cfg;
		struct fz_inspect_stats st;

		small.max_memory = 4096;
		fz_inspector_free(ins);
		CHECK(fz_inspector_new(&small, &ins) == 0);
		t.sport = 51004;
		fl = crypto_frame(frames, 0, ch, cut);
		len = fz_quic_build_initial(FZ_QUIC_V1, dcid, sizeof(dcid), NULL, 0, 0, frames, fl,
					    1200, dg, sizeof(dg));
		r = feed(pkt, udp_pkt(&t, dg, (size_t)len, pkt));
		CHECK_INT(r->verdict, FZ_NV_ACCEPT);
		CHECK_STR(r->reason ? r->reason : "", "");
		fz_inspector_stats(ins, &st);
		CHECK_INT(st.gave_up, 1);
		fz_flowtab_stats(fz_inspector_flows(ins), &fs);
		CHECK_INT(fs.mem_refused, 1);
		CHECK_INT(fs.flows, 0);
	}
}

static void test_policy(void)
{
	uint8_t rec[1024], pkt[2048];
	struct tuple t6 = {6, "fd77:1::2", "fd77:2::2", 43000, 443};
	struct tuple t = T4;
	const struct fz_inspect_result *r;
	size_t n;

	fresh();
	/* IPv6 */
	n = tls_record("v6-fraud.test", false, rec);
	r = feed(pkt, tcp_pkt(&t6, 1, FZ_TCP_ACK, rec, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_INT(r->pkt.family, 6);

	/*
	 * An address rule: unknown protocol to a listed server. The first
	 * data segment seen might have overtaken the real first one: the
	 * flow is called unknown on the second.
	 */
	t.dst = "198.51.100.66";
	t.sport = 43001;
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, (const uint8_t *)"SSH-2.0-x\r\n", 11, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	r = feed(pkt, tcp_pkt(&t, 12, FZ_TCP_ACK, (const uint8_t *)"more", 4, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_STR(r->reason, "ip");
	/* with the handshake's last ACK seen, offset 0 is sure: decided on the first */
	t.dst = "10.77.2.2";
	t.sport = 43002;
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, NULL, 0, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, (const uint8_t *)"SSH-2.0-x\r\n", 11, pkt));
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	CHECK_INT(r->proto, FZ_PROTO_UNKNOWN);

	/* a ClientHello whose second half overtakes the first: read once both are there */
	n = tls_record("fraud.test", false, rec);
	t.sport = 43010;
	r = feed(pkt, tcp_pkt(&t, 1001 + 60, FZ_TCP_ACK, rec + 60, n - 60, pkt));
	CHECK_INT(r->verdict, FZ_NV_PASS);
	r = feed(pkt, tcp_pkt(&t, 1001, FZ_TCP_ACK, rec, 60, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_STR(r->name, "fraud.test");

	/* the doh category blocks only when asked to */
	n = tls_record("dns.doh.test", false, rec);
	t.sport = 43003;
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, rec, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	cfg.block_doh = true;
	t.sport = 43004;
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, rec, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_STR(r->reason, "doh");
	cfg.block_doh = false;

	/* ECH toward a listed public name */
	static char ech_name[] = "cover.test";
	cfg.ech_block[0] = ech_name;
	cfg.n_ech_block = 1;
	n = tls_record("cover.test", true, rec);
	t.sport = 43005;
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, rec, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_STR(r->reason, "ech");
	CHECK(r->ech);
	n = tls_record("cover.test", false, rec);
	t.sport = 43006;
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, rec, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_ACCEPT);
	cfg.n_ech_block = 0;
	cfg.ech_block[0] = NULL;

	/* DoT */
	cfg.block_dot = true;
	t.dport = 853;
	t.sport = 43007;
	n = tls_record("dns.example", false, rec);
	r = feed(pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, rec, n, pkt));
	CHECK_INT(r->verdict, FZ_NV_BLOCK);
	CHECK_INT(r->proto, FZ_PROTO_DOT);
	CHECK_STR(r->reason, "dot");
	cfg.block_dot = false;

	/* no list at all: everything read is accepted */
	struct fz_inspect_result res;
	n = tls_record("fraud.test", false, rec);
	t.dport = 443;
	t.sport = 43008;
	fz_inspect_packet(ins, NULL, pkt, tcp_pkt(&t, 1, FZ_TCP_ACK, rec, n, pkt), now, false,
			  &res);
	CHECK_INT(res.verdict, FZ_NV_ACCEPT);

	/* packets we cannot read pass */
	r = feed((const uint8_t *)"\x45\x00", 2);
	CHECK_INT(r->verdict, FZ_NV_PASS);
	CHECK(r->pkt_err < 0);
	struct fz_inspect_stats st;
	fz_inspector_stats(ins, &st);
	CHECK(st.unreadable >= 1);
	CHECK(st.blocked >= 4);
}

int main(void)
{
	build_list();
	fz_nfq_cfg_defaults(&cfg);
	test_tls_whole();
	test_tls_split();
	test_http();
	test_dns();
	test_quic();
	test_quic_first();
	fresh();
	test_policy();
	fz_inspector_free(ins);
	fz_blocklist_close(bl);
	return fz_test_done();
}
