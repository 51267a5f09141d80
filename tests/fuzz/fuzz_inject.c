/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: nfq/fz_inject.c (with fz_pkt.c compiled in). The input is
 * a packet: when fz_pkt_parse reads it, every builder runs on it with a
 * full and with a small cap (the first byte picks it). A built packet is
 * never longer than its cap or FZ_INJECT_MAX; the TCP and UDP ones read
 * back with fz_pkt_parse as the answer the builder promises (addresses,
 * ports, sequence numbers, flags, payload) with checksums that verify;
 * the ICMP error quotes the original within 576 / 1280 bytes. The block
 * page, with the input as the address and the appeal, has the promised
 * headers, a Content-Length equal to its body, valid UTF-8, and no '<'
 * that the page did not write itself.
 */
#include <netinet/in.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_inject.h"
#include "fz_pkt.h"

static uint8_t out[FZ_INJECT_MAX];
static char page[FZ_INJECT_MAX];

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The packet's transport checksum (or ICMPv4's) verifies. */
static void check_sums(const uint8_t *pkt, size_t len)
{
	int v6 = pkt[0] >> 4 == 6;
	size_t hl = v6 ? 40 : 20, l4 = len - hl;
	uint8_t proto = v6 ? pkt[6] : pkt[9];
	uint32_t acc = 0;

	if (!v6)
		FZ_FUZZ_CHECK(fz_inet_checksum(pkt, 20, 0) == 0);
	if (v6) {
		for (size_t i = 8; i < 40; i += 2)
			acc += rd16(pkt + i);
		acc += (uint32_t)(l4 >> 16) + (uint32_t)(l4 & 0xffff) + proto;
	} else if (proto != IPPROTO_ICMP) {
		for (size_t i = 12; i < 20; i += 2)
			acc += rd16(pkt + i);
		acc += (uint32_t)l4 + proto;
	}
	FZ_FUZZ_CHECK(fz_inet_checksum(pkt + hl, l4, acc) == 0);
}

static void check_reply(const struct fz_pkt *p, const uint8_t *pkt, size_t n, size_t cap,
			bool reverse, uint8_t proto, struct fz_pkt *back)
{
	size_t alen = p->family == 6 ? 16 : 4;

	FZ_FUZZ_CHECK(n <= cap && n <= FZ_INJECT_MAX);
	FZ_FUZZ_CHECK(fz_pkt_parse(pkt, n, false, back) == 0);
	FZ_FUZZ_CHECK(back->family == p->family && back->proto == proto && back->ttl == 64);
	FZ_FUZZ_CHECK(memcmp(back->src, reverse ? p->dst : p->src, alen) == 0);
	FZ_FUZZ_CHECK(memcmp(back->dst, reverse ? p->src : p->dst, alen) == 0);
	FZ_FUZZ_CHECK(back->sport == (reverse ? p->dport : p->sport));
	FZ_FUZZ_CHECK(back->dport == (reverse ? p->sport : p->dport));
	check_sums(pkt, n);
}

static void check_page(size_t n, size_t cap)
{
	const char *end, *cl;
	size_t clen = 0;

	if (n == 0)
		return;
	FZ_FUZZ_CHECK(n < cap && strlen(page) == n);
	FZ_FUZZ_CHECK(strncmp(page, "HTTP/1.1 403 Forbidden\r\n", 24) == 0);
	end = strstr(page, "\r\n\r\n");
	cl = strstr(page, "\r\nContent-Length: ");
	FZ_FUZZ_CHECK(end && cl && cl < end);
	for (cl += 18; *cl >= '0' && *cl <= '9'; cl++)
		clen = clen * 10 + (size_t)(*cl - '0');
	FZ_FUZZ_CHECK(clen == n - (size_t)(end + 4 - page));
	/* valid UTF-8 */
	for (const unsigned char *s = (const unsigned char *)page; *s;) {
		int k = *s < 0x80 ? 0 : *s >= 0xf0 ? 3 : *s >= 0xe0 ? 2 : *s >= 0xc2 ? 1 : -1;

		FZ_FUZZ_CHECK(k >= 0);
		s++;
		while (k--)
			FZ_FUZZ_CHECK((*s++ & 0xc0) == 0x80);
	}
	/* every tag is one the page writes: its name is a known one */
	for (const char *s = strchr(end, '<'); s; s = strchr(s + 1, '<')) {
		static const char *const tags[] = {
		    "!DOCTYPE", "html", "/html", "head", "/head", "meta",   "title",
		    "/title",	"body", "/body", "h1",	 "/h1",	  "p>",	    "/p>",
		    "b>",	"/b>",	"hr>",	 "div",	 "/div",  "a href", "/a>"};
		bool known = false;

		for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			known |= strncmp(s + 1, tags[i], strlen(tags[i])) == 0;
		FZ_FUZZ_CHECK(known);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_pkt p, back;
	size_t caps[2], n;
	char s1[512], s2[512];

	/* the page: the input as `what` and as `appeal` (NUL-terminated copies) */
	{
		size_t h = size / 2 < sizeof(s1) - 1 ? size / 2 : sizeof(s1) - 1;
		size_t r = size - size / 2 < sizeof(s2) - 1 ? size - size / 2 : sizeof(s2) - 1;

		memcpy(s1, data, h);
		s1[h] = '\0';
		memcpy(s2, data + size / 2, r);
		s2[r] = '\0';
		n = fz_http_block_page(s2, s1, s2, page, sizeof(page));
		FZ_FUZZ_CHECK(n > 0);
		check_page(n, sizeof(page));
		n = fz_http_block_page("fraud", s2, NULL, page, sizeof(page));
		FZ_FUZZ_CHECK(n > 0);
		check_page(n, sizeof(page));
		n = fz_http_block_page("fraud", s1, s1, page, size % 1200);
		check_page(n, size % 1200);
	}

	if (fz_pkt_parse(data, size, size & 1, &p) != 0)
		return 0;
	caps[0] = sizeof(out);
	caps[1] = size ? data[0] : 0;
	for (int c = 0; c < 2; c++) {
		size_t cap = caps[c];
		size_t body = p.payload_len < 1500 ? p.payload_len : 1500;

		n = fz_inject_tcp_rst(&p, true, out, cap);
		if (p.proto != IPPROTO_TCP) {
			FZ_FUZZ_CHECK(n == 0);
		} else if (n) {
			check_reply(&p, out, n, cap, true, IPPROTO_TCP, &back);
			FZ_FUZZ_CHECK(back.seq == p.ack);
			FZ_FUZZ_CHECK(back.ack == (uint32_t)(p.seq + p.payload_len +
							     !!(p.tcp_flags & FZ_TCP_SYN) +
							     !!(p.tcp_flags & FZ_TCP_FIN)));
			FZ_FUZZ_CHECK(back.tcp_flags == (FZ_TCP_RST | FZ_TCP_ACK));
			FZ_FUZZ_CHECK(back.payload_len == 0);
		} else {
			FZ_FUZZ_CHECK(cap < (p.family == 4 ? 40u : 60u));
		}
		n = fz_inject_tcp_rst(&p, false, out, cap);
		if (n) {
			check_reply(&p, out, n, cap, false, IPPROTO_TCP, &back);
			FZ_FUZZ_CHECK(back.seq == p.seq && back.tcp_flags == FZ_TCP_RST);
		}
		n = fz_inject_tcp_payload(&p, p.payload, body, out, cap);
		if (n) {
			check_reply(&p, out, n, cap, true, IPPROTO_TCP, &back);
			FZ_FUZZ_CHECK(back.tcp_flags == (FZ_TCP_ACK | FZ_TCP_PSH | FZ_TCP_FIN));
			FZ_FUZZ_CHECK(back.payload_len == body);
			FZ_FUZZ_CHECK(memcmp(back.payload, p.payload, body) == 0);
		} else if (p.proto == IPPROTO_TCP) {
			FZ_FUZZ_CHECK(cap < (p.family == 4 ? 40u : 60u) + body);
		}
		n = fz_inject_udp_reply(&p, p.payload, body, out, cap);
		if (n) {
			check_reply(&p, out, n, cap, true, IPPROTO_UDP, &back);
			FZ_FUZZ_CHECK(back.payload_len == body);
			FZ_FUZZ_CHECK(memcmp(back.payload, p.payload, body) == 0);
		} else {
			FZ_FUZZ_CHECK(cap < (p.family == 4 ? 28u : 48u) + body);
		}
		size_t hl = p.family == 4 ? 20 : 40, maxq = (p.family == 4 ? 576u : 1280u) - hl - 8;
		size_t q = size < maxq ? size : maxq;

		n = fz_inject_icmp_prohibited(data, size, &p, out, cap);
		if (n) {
			size_t alen = p.family == 4 ? 4 : 16;

			FZ_FUZZ_CHECK(n <= cap && n == hl + 8 + q);
			FZ_FUZZ_CHECK(memcmp(out + hl + 8, data, n - hl - 8) == 0);
			FZ_FUZZ_CHECK(out[0] >> 4 == p.family);
			FZ_FUZZ_CHECK(memcmp(out + (p.family == 4 ? 12 : 8), p.dst, alen) == 0);
			FZ_FUZZ_CHECK(memcmp(out + (p.family == 4 ? 16 : 24), p.src, alen) == 0);
			check_sums(out, n);
		} else {
			FZ_FUZZ_CHECK(cap < hl + 8 + q);
		}
	}
	return 0;
}
