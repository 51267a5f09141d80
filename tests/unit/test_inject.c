/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfq/fz_inject.c: the packets the inspector sends. Every built packet is
 * read back with fz_pkt_parse (TCP/UDP) or by hand (ICMP), and every
 * checksum is verified here with a sum of our own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fz_inject.h"
#include "fz_pkt.h"
#include "fz_test.h"

static const uint8_t client4[4] = {192, 168, 1, 23}, server4[4] = {203, 0, 113, 9};
static const uint8_t client6[16] = {0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34};
static const uint8_t server6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One's complement sum, written independently of the module: 32-bit accumulate, fold at the end. */
static uint32_t ones_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	while (n >= 2) {
		acc += get16(p);
		p += 2;
		n -= 2;
	}
	if (n)
		acc += (uint32_t)p[0] << 8;
	return acc;
}

static uint16_t folded(uint32_t acc)
{
	while (acc > 0xffff)
		acc = (acc >> 16) + (acc & 0xffff);
	return (uint16_t)acc;
}

/* The transport checksum of a built packet verifies (sums to 0xffff with its pseudo-header). */
static int l4_sum_ok(const uint8_t *pkt, size_t len)
{
	int v6 = pkt[0] >> 4 == 6;
	size_t hl = v6 ? 40 : (size_t)(pkt[0] & 15) * 4;
	uint8_t proto = v6 ? pkt[6] : pkt[9];
	size_t l4 = len - hl;
	uint32_t acc = 0;

	if (v6) {
		acc = ones_sum(pkt + 8, 32, 0);
		acc += (uint32_t)(l4 >> 16) + (uint32_t)(l4 & 0xffff) + proto;
	} else if (proto != IPPROTO_ICMP) {
		acc = ones_sum(pkt + 12, 8, 0);
		acc += (uint32_t)l4 + proto;
	}
	acc = ones_sum(pkt + hl, l4, acc);
	return folded(acc) == 0xffff;
}

static int ip4_sum_ok(const uint8_t *pkt)
{
	return folded(ones_sum(pkt, 20, 0)) == 0xffff;
}

/* A client->server TCP packet written by hand (v4 or v6), with `n` bytes of payload. */
static size_t client_tcp(int family, uint32_t seq, uint32_t ack, uint8_t flags, const char *data,
			 size_t n, uint8_t *out)
{
	size_t hl = family == 6 ? 40 : 20;
	uint8_t *t = out + hl;

	memset(out, 0, hl + 20);
	if (family == 4) {
		out[0] = 0x45;
		out[2] = (uint8_t)((hl + 20 + n) >> 8);
		out[3] = (uint8_t)(hl + 20 + n);
		out[8] = 61;
		out[9] = IPPROTO_TCP;
		memcpy(out + 12, client4, 4);
		memcpy(out + 16, server4, 4);
	} else {
		out[0] = 0x60;
		out[4] = (uint8_t)((20 + n) >> 8);
		out[5] = (uint8_t)(20 + n);
		out[6] = IPPROTO_TCP;
		out[7] = 61;
		memcpy(out + 8, client6, 16);
		memcpy(out + 24, server6, 16);
	}
	t[0] = 0xc3, t[1] = 0x50; /* 50000 */
	t[2] = 0, t[3] = 80;
	t[4] = (uint8_t)(seq >> 24), t[5] = (uint8_t)(seq >> 16), t[6] = (uint8_t)(seq >> 8),
	t[7] = (uint8_t)seq;
	t[8] = (uint8_t)(ack >> 24), t[9] = (uint8_t)(ack >> 16), t[10] = (uint8_t)(ack >> 8),
	t[11] = (uint8_t)ack;
	t[12] = 0x50;
	t[13] = flags;
	t[14] = 0x10;
	memcpy(t + 20, data, n);
	return hl + 20 + n;
}

static size_t client_udp(int family, const uint8_t *data, size_t n, uint8_t *out)
{
	size_t hl = family == 6 ? 40 : 20;
	uint8_t *u = out + hl;

	memset(out, 0, hl + 8);
	if (family == 4) {
		out[0] = 0x45;
		out[2] = (uint8_t)((hl + 8 + n) >> 8);
		out[3] = (uint8_t)(hl + 8 + n);
		out[8] = 61;
		out[9] = IPPROTO_UDP;
		memcpy(out + 12, client4, 4);
		memcpy(out + 16, server4, 4);
	} else {
		out[0] = 0x60;
		out[4] = (uint8_t)((8 + n) >> 8);
		out[5] = (uint8_t)(8 + n);
		out[6] = IPPROTO_UDP;
		out[7] = 61;
		memcpy(out + 8, client6, 16);
		memcpy(out + 24, server6, 16);
	}
	u[0] = 0xd4, u[1] = 0x31; /* 54321 */
	u[2] = 0x01, u[3] = 0xbb; /* 443 */
	u[4] = (uint8_t)((8 + n) >> 8);
	u[5] = (uint8_t)(8 + n);
	memcpy(u + 8, data, n);
	return hl + 8 + n;
}

static void test_checksum(void)
{
	/* RFC 1071 section 3's example: sum 0xddf2, checksum its complement */
	static const uint8_t ex[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	static const uint8_t odd[] = {0x01, 0x02, 0x03};
	uint8_t buf[10];

	CHECK_INT(fz_inet_checksum(ex, sizeof(ex), 0), 0x220d);
	/* initial is added in: splitting the data gives the same result */
	CHECK_INT(fz_inet_checksum(ex + 4, 4, 0x0001 + 0xf203), 0x220d);
	CHECK_INT(fz_inet_checksum(odd, 3, 0), (uint16_t) ~(0x0102 + 0x0300));
	CHECK_INT(fz_inet_checksum(NULL, 0, 0), 0xffff);
	/* a buffer with its checksum in place sums to zero */
	memcpy(buf, ex, 8);
	buf[8] = 0x22, buf[9] = 0x0d;
	CHECK_INT(fz_inet_checksum(buf, 10, 0), 0);
}

static void check_tcp_common(const uint8_t *out, size_t n, int family, struct fz_pkt *back)
{
	CHECK(n > 0);
	CHECK_INT(fz_pkt_parse(out, n, false, back), 0);
	CHECK_INT(back->family, family);
	CHECK_INT(back->proto, IPPROTO_TCP);
	CHECK_INT(back->ttl, 64);
	CHECK(l4_sum_ok(out, n));
	if (family == 4) {
		CHECK(ip4_sum_ok(out));
		CHECK_INT(get16(out + 6) & 0x4000, 0x4000); /* DF */
		CHECK_INT(get16(out + 2), n);
	} else {
		CHECK_INT(get16(out + 4), n - 40);
	}
}

static void test_rst(int family)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	uint8_t in[200], out[FZ_INJECT_MAX];
	const uint8_t *cli = family == 4 ? client4 : client6,
		      *srv = family == 4 ? server4 : server6;
	size_t alen = family == 4 ? 4 : 16;
	struct fz_pkt p, back;
	size_t len, n;

	len = client_tcp(family, 0xfffffff0u, 0x12345678, FZ_TCP_ACK | FZ_TCP_PSH, req,
			 sizeof(req) - 1, in);
	CHECK_INT(fz_pkt_parse(in, len, false, &p), 0);

	/* to the client: from the server, seq = what the client expects, ack past the request */
	n = fz_inject_tcp_rst(&p, true, out, sizeof(out));
	check_tcp_common(out, n, family, &back);
	CHECK_INT(n, (family == 4 ? 20 : 40) + 20);
	CHECK(memcmp(back.src, srv, alen) == 0 && memcmp(back.dst, cli, alen) == 0);
	CHECK_INT(back.sport, 80);
	CHECK_INT(back.dport, 50000);
	CHECK_INT(back.seq, 0x12345678);
	CHECK_INT(back.ack, (uint32_t)(0xfffffff0u + sizeof(req) - 1)); /* wraps */
	CHECK_INT(back.tcp_flags, FZ_TCP_RST | FZ_TCP_ACK);
	CHECK_INT(back.payload_len, 0);

	/* to the server: from the client, at the request's sequence number */
	n = fz_inject_tcp_rst(&p, false, out, sizeof(out));
	check_tcp_common(out, n, family, &back);
	CHECK(memcmp(back.src, cli, alen) == 0 && memcmp(back.dst, srv, alen) == 0);
	CHECK_INT(back.sport, 50000);
	CHECK_INT(back.dport, 80);
	CHECK_INT(back.seq, 0xfffffff0u);
	CHECK_INT(back.tcp_flags, FZ_TCP_RST);

	/* a cap one short is refused; exact fits */
	CHECK_INT(fz_inject_tcp_rst(&p, true, out, n - 1), 0);
	CHECK_INT(fz_inject_tcp_rst(&p, true, out, n), n);

	/* a SYN with data (Fast Open) is acknowledged past the SYN too */
	len = client_tcp(family, 100, 0, FZ_TCP_SYN, "abc", 3, in);
	CHECK_INT(fz_pkt_parse(in, len, false, &p), 0);
	n = fz_inject_tcp_rst(&p, true, out, sizeof(out));
	check_tcp_common(out, n, family, &back);
	CHECK_INT(back.ack, 104);

	/* not TCP */
	len = client_udp(family, (const uint8_t *)"x", 1, in);
	CHECK_INT(fz_pkt_parse(in, len, false, &p), 0);
	CHECK_INT(fz_inject_tcp_rst(&p, true, out, sizeof(out)), 0);
	CHECK_INT(fz_inject_tcp_payload(&p, (const uint8_t *)"x", 1, out, sizeof(out)), 0);
}

/* The headers the page promises, and a body of Content-Length bytes; returns the body. */
static const char *check_page_http(const char *page, size_t n)
{
	const char *end = strstr(page, "\r\n\r\n"), *cl;
	long clen;

	CHECK(strlen(page) == n);
	CHECK(strncmp(page, "HTTP/1.1 403 Forbidden\r\n", 24) == 0);
	CHECK(strstr(page, "\r\nContent-Type: text/html; charset=utf-8\r\n") != NULL);
	CHECK(strstr(page, "\r\nConnection: close\r\n") != NULL);
	CHECK(strstr(page, "\r\nCache-Control: no-store\r\n") != NULL);
	cl = strstr(page, "\r\nContent-Length: ");
	CHECK(end != NULL && cl != NULL && cl < end);
	if (!end || !cl)
		return "";
	clen = strtol(cl + 18, NULL, 10);
	CHECK_INT(clen, (long)(n - (size_t)(end + 4 - page)));
	return end + 4;
}

/* Every byte sequence is valid UTF-8. */
static int utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int k = *p < 0x80 ? 0 : *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc2 ? 1 : -1;

		if (k < 0)
			return 0;
		p++;
		while (k--)
			if ((*p++ & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static void test_block_page(void)
{
	char page[FZ_INJECT_MAX], small[64];
	const char *body, *zh, *en;
	size_t n, n2;

	n = fz_http_block_page("fraud", "evil.example/pay?a=1&b=<2>", NULL, page, sizeof(page));
	CHECK(n > 0);
	body = check_page_http(page, n);
	CHECK(strstr(body, "<title>已拦截：疑似诈骗网站 / Blocked: listed as fraud</title>") !=
	      NULL);
	zh = strstr(body, "被列为诈骗网站");
	en = strstr(body, "is listed as fraud");
	CHECK(zh != NULL && en != NULL && zh < en); /* Chinese first */
	CHECK(strstr(body, "evil.example/pay?a=1&amp;b=&lt;2&gt;") != NULL);
	CHECK(strstr(body, "<2>") == NULL);
	CHECK(strstr(body, "类别：fraud") != NULL);
	CHECK(strstr(body, "(category: fraud)") != NULL);
	CHECK(strstr(body, "如认为误拦，请联系您的网络管理员申诉") != NULL);
	CHECK(strstr(body, "If you believe this is a mistake, contact your network administrator "
			   "to appeal.") != NULL);
	CHECK(utf8_ok(page));

	/* an appeal URL becomes a link, escaped; a quote cannot leave the attribute */
	n = fz_http_block_page("phishing", "bad.example", "https://appeal.example/?x=1&y=\"2\"",
			       page, sizeof(page));
	body = check_page_http(page, n);
	CHECK(strstr(body, "<a href=\"https://appeal.example/?x=1&amp;y=&quot;2&quot;\">") != NULL);
	CHECK(strstr(body, "类别：phishing") != NULL);
	CHECK(strstr(body, "网络管理员") == NULL);
	CHECK(strstr(body, "如认为误拦") != NULL);
	/* an appeal sentence is text, escaped; a javascript: URL is not a link */
	n = fz_http_block_page("malware", "a.example", "Call 12345 <now>", page, sizeof(page));
	body = check_page_http(page, n);
	CHECK(strstr(body, "Call 12345 &lt;now&gt;") != NULL);
	n = fz_http_block_page("fraud", "a.example", "javascript:alert(1)", page, sizeof(page));
	body = check_page_http(page, n);
	CHECK(strstr(body, "href") == NULL);
	/* NULL and empty category / what */
	n = fz_http_block_page(NULL, NULL, "", page, sizeof(page));
	body = check_page_http(page, n);
	CHECK(strstr(body, "(category: fraud)") != NULL);
	CHECK(strstr(body, "网络管理员") != NULL);

	/* the exact size fits only with room for the terminating NUL */
	n = fz_http_block_page("fraud", "x.example", NULL, page, sizeof(page));
	CHECK(n > 0);
	n2 = fz_http_block_page("fraud", "x.example", NULL, page, n + 1);
	CHECK_INT(n2, n);
	CHECK_INT(fz_http_block_page("fraud", "x.example", NULL, page, n), 0);
	CHECK_INT(fz_http_block_page("fraud", "x.example", NULL, small, sizeof(small)), 0);

	/* long fields are cut, on a character boundary, with an ellipsis; the page still fits a
	 * packet */
	{
		char what[3000], appeal[3000];
		size_t i;

		for (i = 0; i + 3 < sizeof(what) - 1; i += 3)
			memcpy(what + i, "诈", 3);
		what[i] = '\0';
		memcpy(appeal, "https://", 8);
		memset(appeal + 8, '&', sizeof(appeal) - 9);
		appeal[sizeof(appeal) - 1] = '\0';
		n = fz_http_block_page("fraud", what, appeal, page, sizeof(page));
		CHECK(n > 0);
		CHECK(n + 60 <= 1500); /* one packet on an Ethernet MTU, IPv6 */
		body = check_page_http(page, n);
		CHECK(utf8_ok(page));
		CHECK(strstr(body, "诈…</b>") != NULL);
		CHECK(strstr(body, "&amp;…") != NULL);
		/* control characters do not reach the page */
		n = fz_http_block_page("fraud", "a\r\nb\x01", NULL, page, sizeof(page));
		body = check_page_http(page, n);
		CHECK(strstr(body, "a  b ") != NULL);
		/* broken UTF-8 becomes '?', whole characters stay */
		n = fz_http_block_page("fraud", "a\xe4z\xe8\xaf\x88\xc0\xaf\xff", NULL, page,
				       sizeof(page));
		body = check_page_http(page, n);
		CHECK(strstr(body, "<b>a?z诈??"
				   "?</b>") != NULL);
		CHECK(utf8_ok(page));
	}
}

static void test_payload(int family)
{
	static const char req[] = "GET /x HTTP/1.1\r\nHost: bad.example\r\n\r\n";
	uint8_t in[200], out[FZ_INJECT_MAX];
	char page[FZ_INJECT_MAX];
	struct fz_pkt p, back;
	size_t len, n, pn;

	len = client_tcp(family, 1000, 2000, FZ_TCP_ACK | FZ_TCP_PSH, req, sizeof(req) - 1, in);
	CHECK_INT(fz_pkt_parse(in, len, false, &p), 0);
	pn = fz_http_block_page("fraud", "bad.example/x", NULL, page, sizeof(page));
	CHECK(pn > 0);
	n = fz_inject_tcp_payload(&p, (const uint8_t *)page, pn, out, sizeof(out));
	check_tcp_common(out, n, family, &back);
	CHECK_INT(n, (family == 4 ? 40 : 60) + pn);
	CHECK_INT(back.seq, 2000);
	CHECK_INT(back.ack, 1000 + sizeof(req) - 1);
	CHECK_INT(back.tcp_flags, FZ_TCP_ACK | FZ_TCP_PSH | FZ_TCP_FIN);
	CHECK_INT(back.sport, 80);
	CHECK_INT(back.dport, 50000);
	CHECK_INT(back.payload_len, pn);
	CHECK(back.payload_len == pn && memcmp(back.payload, page, pn) == 0);
	CHECK(back.window > 0);
	CHECK_INT(fz_inject_tcp_payload(&p, (const uint8_t *)page, pn, out, n - 1), 0);
	CHECK_INT(fz_inject_tcp_payload(&p, (const uint8_t *)page, pn, out, n), n);
	/* never more than FZ_INJECT_MAX, whatever the cap */
	{
		static uint8_t big[FZ_INJECT_MAX], huge[FZ_INJECT_MAX * 2];

		CHECK_INT(fz_inject_tcp_payload(&p, big, sizeof(big), huge, sizeof(huge)), 0);
	}
}

static void test_udp_reply(int family)
{
	uint8_t in[200], out[FZ_INJECT_MAX], ans[300];
	const uint8_t *cli = family == 4 ? client4 : client6,
		      *srv = family == 4 ? server4 : server6;
	size_t alen = family == 4 ? 4 : 16;
	struct fz_pkt p, back;
	size_t len, n;

	for (size_t i = 0; i < sizeof(ans); i++)
		ans[i] = (uint8_t)(i * 7);
	len = client_udp(family, (const uint8_t *)"query", 5, in);
	CHECK_INT(fz_pkt_parse(in, len, false, &p), 0);
	for (size_t k = 0; k < 3; k++) {
		size_t plen = k == 0 ? 0 : k == 1 ? 1 : sizeof(ans); /* odd and even lengths */

		n = fz_inject_udp_reply(&p, ans, plen, out, sizeof(out));
		CHECK_INT(n, (family == 4 ? 28 : 48) + plen);
		CHECK_INT(fz_pkt_parse(out, n, false, &back), 0);
		CHECK_INT(back.proto, IPPROTO_UDP);
		CHECK(memcmp(back.src, srv, alen) == 0 && memcmp(back.dst, cli, alen) == 0);
		CHECK_INT(back.sport, 443);
		CHECK_INT(back.dport, 54321);
		CHECK_INT(back.payload_len, plen);
		CHECK(plen == 0 || memcmp(back.payload, ans, plen) == 0);
		CHECK(get16(out + (family == 4 ? 26 : 46)) != 0); /* checksum present */
		CHECK(l4_sum_ok(out, n));
		if (family == 4)
			CHECK(ip4_sum_ok(out));
		CHECK_INT(fz_inject_udp_reply(&p, ans, plen, out, n - 1), 0);
	}
}

static void test_icmp(int family)
{
	static uint8_t in[1600], out[FZ_INJECT_MAX];
	const uint8_t *cli = family == 4 ? client4 : client6,
		      *srv = family == 4 ? server4 : server6;
	size_t hl = family == 4 ? 20 : 40, alen = family == 4 ? 4 : 16;
	size_t maxq = family == 4 ? 576 - 28 : 1280 - 48;
	uint8_t data[1400];
	struct fz_pkt p;
	size_t len, n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	for (int k = 0; k < 2; k++) {
		size_t plen = k == 0 ? 30 : sizeof(data), q;

		len = client_udp(family, data, plen, in);
		CHECK_INT(fz_pkt_parse(in, len, false, &p), 0);
		n = fz_inject_icmp_prohibited(in, len, &p, out, sizeof(out));
		q = len < maxq ? len : maxq;
		CHECK_INT(n, hl + 8 + q);
		CHECK(n <= (family == 4 ? 576u : 1280u));
		CHECK_INT(out[0] >> 4, family);
		if (family == 4) {
			CHECK_INT(out[9], IPPROTO_ICMP);
			CHECK_INT(out[8], 64);
			CHECK(ip4_sum_ok(out));
			CHECK_INT(get16(out + 2), n);
			CHECK(memcmp(out + 12, srv, 4) == 0 && memcmp(out + 16, cli, 4) == 0);
			CHECK_INT(out[hl], 3);
			CHECK_INT(out[hl + 1], 13);
		} else {
			CHECK_INT(out[6], IPPROTO_ICMPV6);
			CHECK_INT(out[7], 64);
			CHECK_INT(get16(out + 4), n - 40);
			CHECK(memcmp(out + 8, srv, 16) == 0 && memcmp(out + 24, cli, 16) == 0);
			CHECK_INT(out[hl], 1);
			CHECK_INT(out[hl + 1], 1);
		}
		CHECK_INT(get32(out + hl + 4), 0); /* unused */
		CHECK(memcmp(out + hl + 8, in, q) == 0);
		CHECK(l4_sum_ok(out, n));
		CHECK_INT(fz_inject_icmp_prohibited(in, len, &p, out, n - 1), 0);
		CHECK_INT(fz_inject_icmp_prohibited(in, len, &p, out, n), n);
		(void)alen;
	}
	/* the original must be of p's family */
	len = client_udp(family, data, 10, in);
	CHECK_INT(fz_pkt_parse(in, len, false, &p), 0);
	p.family = family == 4 ? 6 : 4;
	CHECK_INT(fz_inject_icmp_prohibited(in, len, &p, out, sizeof(out)), 0);
	CHECK_INT(fz_inject_icmp_prohibited(in, 0, &p, out, sizeof(out)), 0);
}

/*
 * The kernel itself reads our ICMP error: sent (on loopback) for a datagram
 * of a connected UDP socket, it reaches that socket as an error (IPv4 code
 * 13: EHOSTUNREACH; IPv6 code 1: EACCES), so its checksum and quote are
 * what a real host accepts.
 */
static void icmp_to_socket(struct fz_injector *inj, int family)
{
	int af = family == 4 ? AF_INET : AF_INET6;
	int srv = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    cli = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t al = family == 4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6), l;
	struct sockaddr_storage a, b;
	uint8_t orig[100], out[FZ_INJECT_MAX];
	size_t hl = family == 4 ? 20 : 40, n;
	uint16_t cport, sport;
	struct pollfd pfd;
	struct fz_pkt p;
	char buf[16];

	CHECK(srv >= 0 && cli >= 0);
	memset(&a, 0, sizeof(a));
	a.ss_family = (sa_family_t)af;
	if (family == 4)
		((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
	l = sizeof(a);
	CHECK_INT(bind(srv, (struct sockaddr *)&a, al), 0);
	CHECK_INT(getsockname(srv, (struct sockaddr *)&a, &l), 0);
	CHECK_INT(connect(cli, (struct sockaddr *)&a, al), 0);
	l = sizeof(b);
	CHECK_INT(getsockname(cli, (struct sockaddr *)&b, &l), 0);
	sport = ntohs(family == 4 ? ((struct sockaddr_in *)&a)->sin_port
				  : ((struct sockaddr_in6 *)&a)->sin6_port);
	cport = ntohs(family == 4 ? ((struct sockaddr_in *)&b)->sin_port
				  : ((struct sockaddr_in6 *)&b)->sin6_port);
	CHECK_INT(send(cli, "hello", 5, 0), 5);

	/* the datagram as it went out: loopback to loopback, cport -> sport */
	memset(orig, 0, sizeof(orig));
	if (family == 4) {
		orig[0] = 0x45;
		orig[3] = 20 + 8 + 5;
		orig[8] = 64;
		orig[9] = IPPROTO_UDP;
		orig[12] = orig[16] = 127;
		orig[15] = orig[19] = 1;
	} else {
		orig[0] = 0x60;
		orig[5] = 8 + 5;
		orig[6] = IPPROTO_UDP;
		orig[7] = 64;
		orig[23] = orig[39] = 1;
	}
	orig[hl] = (uint8_t)(cport >> 8), orig[hl + 1] = (uint8_t)cport;
	orig[hl + 2] = (uint8_t)(sport >> 8), orig[hl + 3] = (uint8_t)sport;
	orig[hl + 5] = 8 + 5;
	memcpy(orig + hl + 8, "hello", 5);
	CHECK_INT(fz_pkt_parse(orig, hl + 13, false, &p), 0);
	n = fz_inject_icmp_prohibited(orig, hl + 13, &p, out, sizeof(out));
	CHECK_INT(n, hl + 8 + hl + 13);
	CHECK_INT(fz_injector_send(inj, out, n), 0);
	pfd.fd = cli;
	pfd.events = POLLIN;
	CHECK_INT(poll(&pfd, 1, 2000), 1);
	errno = 0;
	CHECK_INT(recv(cli, buf, sizeof(buf), MSG_DONTWAIT), -1);
	CHECK_INT(errno, family == 4 ? EHOSTUNREACH : EACCES);
	close(srv);
	close(cli);
}

/*
 * The injector on loopback: a UDP reply built for a packet "from" a local
 * socket arrives at that socket. Needs CAP_NET_RAW and CAP_NET_ADMIN
 * (SO_MARK): skipped with a message without them.
 */
static void test_injector(void)
{
	struct fz_injector *inj = NULL;
	int r = fz_injector_open(0x10000000, &inj);

	if (r == -EPERM || r == -EACCES) {
		printf("injector: skipped (no CAP_NET_RAW/CAP_NET_ADMIN)\n");
		return;
	}
	CHECK_INT(r, 0);
	if (r < 0)
		return;
	CHECK_INT(fz_injector_send(inj, (const uint8_t *)"\x45", 1), -EINVAL);
	CHECK_INT(fz_injector_send(
		      inj, (const uint8_t *)"\x15\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20),
		  -EINVAL);
	for (int family = 4; family <= 6; family += 2) {
		int af = family == 4 ? AF_INET : AF_INET6;
		int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		uint8_t in[100], out[FZ_INJECT_MAX];
		char got[64];
		struct fz_pkt p;
		struct pollfd pfd;
		size_t len, n;
		uint16_t port;
		int rc;

		CHECK(fd >= 0);
		if (fd < 0)
			continue;
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)af;
		if (family == 4)
			((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else
			((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		rc = bind(fd, (struct sockaddr *)&ss,
			  family == 4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		if (rc < 0 && family == 6) {
			printf("injector: IPv6 loopback unavailable, skipped\n");
			close(fd);
			continue;
		}
		CHECK_INT(rc, 0);
		CHECK_INT(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
		port = ntohs(family == 4 ? ((struct sockaddr_in *)&ss)->sin_port
					 : ((struct sockaddr_in6 *)&ss)->sin6_port);
		/* a "client" packet from our socket's address and port to loopback:53 */
		len = client_udp(family, (const uint8_t *)"q", 1, in);
		CHECK_INT(fz_pkt_parse(in, len, false, &p), 0);
		memset(p.src, 0, 16);
		memset(p.dst, 0, 16);
		if (family == 4) {
			p.src[0] = p.dst[0] = 127;
			p.src[3] = p.dst[3] = 1;
		} else {
			p.src[15] = p.dst[15] = 1;
		}
		p.sport = port;
		p.dport = 53;
		n = fz_inject_udp_reply(&p, (const uint8_t *)"injected answer", 15, out,
					sizeof(out));
		CHECK(n > 0);
		CHECK_INT(fz_injector_send(inj, out, n), 0);
		pfd.fd = fd;
		pfd.events = POLLIN;
		CHECK_INT(poll(&pfd, 1, 2000), 1);
		memset(got, 0, sizeof(got));
		sl = sizeof(ss);
		CHECK_INT(
		    recvfrom(fd, got, sizeof(got) - 1, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl),
		    15);
		CHECK_STR(got, "injected answer");
		CHECK_INT(ntohs(family == 4 ? ((struct sockaddr_in *)&ss)->sin_port
					    : ((struct sockaddr_in6 *)&ss)->sin6_port),
			  53);
		close(fd);
		icmp_to_socket(inj, family);
	}
	fz_injector_close(inj);
	fz_injector_close(NULL);
}

int main(void)
{
	test_checksum();
	test_rst(4);
	test_rst(6);
	test_block_page();
	test_payload(4);
	test_payload(6);
	test_udp_reply(4);
	test_udp_reply(6);
	test_icmp(4);
	test_icmp(6);
	test_injector();
	return fz_test_done();
}
