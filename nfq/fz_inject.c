/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packets the inspector sends itself. The builders write a whole IP packet
 * (IPv4: no options, DF set, ID 0 as RFC 6864 allows for atomic datagrams,
 * TTL 64; IPv6: hop limit 64, no extension headers) with every checksum
 * computed. The injector sends them on raw sockets marked with SO_MARK.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fz_inject.h"

#define IP4_HDR	 20
#define IP6_HDR	 40
#define TCP_HDR	 20
#define UDP_HDR	 8
#define ICMP_HDR 8
#define TTL	 64

#define ICMP4_MAX_PACKET 576  /* RFC 792/1812: the whole error at most 576 bytes */
#define ICMP6_MAX_PACKET 1280 /* RFC 4443: at most the minimum IPv6 MTU */

#define TCP_WINDOW 65535

/*
 * The longest text taken from `what` / `appeal` into the page (escaped bytes):
 * with both at their longest the answer still fits a 1500-byte MTU over IPv6.
 */
#define PAGE_FIELD_MAX 100

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Unfolded sum of big-endian 16-bit words (an odd last byte padded with zero). */
static uint64_t sum16(const uint8_t *p, size_t len, uint64_t acc)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		acc += (uint32_t)p[i] << 8;
	return acc;
}

static uint16_t fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

uint16_t fz_inet_checksum(const void *data, size_t len, uint32_t initial)
{
	return fold(sum16(data, len, initial));
}

/* The sum of the pseudo-header of an upper-layer packet of `l4len` bytes. */
static uint64_t pseudo_sum(uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
			   size_t l4len)
{
	size_t alen = family == 6 ? 16 : 4;
	uint64_t acc = 0;

	acc = sum16(src, alen, acc);
	acc = sum16(dst, alen, acc);
	acc += proto;
	acc += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff);
	return acc;
}

/*
 * Write the IP header for `l4len` bytes of protocol `proto` from src to
 * dst. Returns the header length.
 */
static size_t ip_header(uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
			size_t l4len, uint8_t *out)
{
	if (family == 4) {
		memset(out, 0, IP4_HDR);
		out[0] = 0x45;
		wr16(out + 2, (uint16_t)(IP4_HDR + l4len));
		wr16(out + 6, 0x4000); /* DF */
		out[8] = TTL;
		out[9] = proto;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
		wr16(out + 10, fz_inet_checksum(out, IP4_HDR, 0));
		return IP4_HDR;
	}
	memset(out, 0, IP6_HDR);
	out[0] = 0x60;
	wr16(out + 4, (uint16_t)l4len);
	out[6] = proto;
	out[7] = TTL;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, dst, 16);
	return IP6_HDR;
}

static size_t ip_hdr_len(uint8_t family)
{
	return family == 6 ? IP6_HDR : IP4_HDR;
}

/* The sequence space `p` takes: its payload, plus one for SYN and for FIN. */
static uint32_t seq_len(const struct fz_pkt *p)
{
	return (uint32_t)p->payload_len + !!(p->tcp_flags & FZ_TCP_SYN) +
	       !!(p->tcp_flags & FZ_TCP_FIN);
}

/*
 * A TCP segment between the endpoints of `p`: `reverse` goes from p's
 * destination to p's source. Returns the packet length or 0.
 */
static size_t tcp_segment(const struct fz_pkt *p, bool reverse, uint32_t seq, uint32_t ack,
			  uint8_t flags, uint16_t window, const uint8_t *data, size_t n,
			  uint8_t *out, size_t cap)
{
	const uint8_t *src = reverse ? p->dst : p->src, *dst = reverse ? p->src : p->dst;
	size_t hl, l4len = TCP_HDR + n, total;
	uint8_t *t;

	if ((p->family != 4 && p->family != 6) || p->proto != IPPROTO_TCP)
		return 0;
	hl = ip_hdr_len(p->family);
	total = hl + l4len;
	if (n > FZ_INJECT_MAX || total > cap || total > FZ_INJECT_MAX)
		return 0;
	ip_header(p->family, src, dst, IPPROTO_TCP, l4len, out);
	t = out + hl;
	wr16(t, reverse ? p->dport : p->sport);
	wr16(t + 2, reverse ? p->sport : p->dport);
	wr32(t + 4, seq);
	wr32(t + 8, ack);
	t[12] = (TCP_HDR / 4) << 4;
	t[13] = flags;
	wr16(t + 14, window);
	wr16(t + 16, 0);
	wr16(t + 18, 0);
	if (n)
		memcpy(t + TCP_HDR, data, n);
	wr16(t + 16, fold(sum16(t, l4len, pseudo_sum(p->family, src, dst, IPPROTO_TCP, l4len))));
	return total;
}

size_t fz_inject_tcp_rst(const struct fz_pkt *p, bool to_client, uint8_t *out, size_t cap)
{
	if (to_client)
		return tcp_segment(p, true, p->ack, p->seq + seq_len(p), FZ_TCP_RST | FZ_TCP_ACK, 0,
				   NULL, 0, out, cap);
	return tcp_segment(p, false, p->seq, 0, FZ_TCP_RST, 0, NULL, 0, out, cap);
}

size_t fz_inject_tcp_payload(const struct fz_pkt *p, const uint8_t *body, size_t body_len,
			     uint8_t *out, size_t cap)
{
	return tcp_segment(p, true, p->ack, p->seq + seq_len(p),
			   FZ_TCP_ACK | FZ_TCP_PSH | FZ_TCP_FIN, TCP_WINDOW, body, body_len, out,
			   cap);
}

size_t fz_inject_udp_reply(const struct fz_pkt *p, const uint8_t *payload, size_t payload_len,
			   uint8_t *out, size_t cap)
{
	size_t hl, l4len = UDP_HDR + payload_len, total;
	uint16_t ck;
	uint8_t *u;

	if (p->family != 4 && p->family != 6)
		return 0;
	hl = ip_hdr_len(p->family);
	total = hl + l4len;
	if (payload_len > FZ_INJECT_MAX || total > cap || total > FZ_INJECT_MAX)
		return 0;
	ip_header(p->family, p->dst, p->src, IPPROTO_UDP, l4len, out);
	u = out + hl;
	wr16(u, p->dport);
	wr16(u + 2, p->sport);
	wr16(u + 4, (uint16_t)l4len);
	wr16(u + 6, 0);
	if (payload_len)
		memcpy(u + UDP_HDR, payload, payload_len);
	ck = fold(sum16(u, l4len, pseudo_sum(p->family, p->dst, p->src, IPPROTO_UDP, l4len)));
	wr16(u + 6, ck ? ck : 0xffff); /* 0 would mean "no checksum" */
	return total;
}

size_t fz_inject_icmp_prohibited(const uint8_t *orig, size_t orig_len, const struct fz_pkt *p,
				 uint8_t *out, size_t cap)
{
	size_t hl, quote, l4len, total, max;
	uint8_t *ic;

	if (!orig || orig_len == 0 || (p->family != 4 && p->family != 6) ||
	    (orig[0] >> 4) != p->family)
		return 0;
	hl = ip_hdr_len(p->family);
	max = p->family == 4 ? ICMP4_MAX_PACKET : ICMP6_MAX_PACKET;
	quote = orig_len < max - hl - ICMP_HDR ? orig_len : max - hl - ICMP_HDR;
	l4len = ICMP_HDR + quote;
	total = hl + l4len;
	if (total > cap)
		return 0;
	ip_header(p->family, p->dst, p->src, p->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, l4len,
		  out);
	ic = out + hl;
	memset(ic, 0, ICMP_HDR);
	if (p->family == 4) {
		ic[0] = 3;  /* destination unreachable */
		ic[1] = 13; /* communication administratively prohibited */
	} else {
		ic[0] = 1; /* destination unreachable */
		ic[1] = 1; /* communication with destination administratively prohibited */
	}
	memcpy(ic + ICMP_HDR, orig, quote);
	if (p->family == 4)
		wr16(ic + 2, fz_inet_checksum(ic, l4len, 0));
	else
		wr16(ic + 2,
		     fold(sum16(ic, l4len, pseudo_sum(6, p->dst, p->src, IPPROTO_ICMPV6, l4len))));
	return total;
}

/* --- the block page ------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
	bool over;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->over || n > b->cap - b->n) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static const char *html_entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

/* The length of the UTF-8 sequence at `s` when its lead and continuation bytes agree, else 0. */
static size_t utf8_seq_len(const char *s)
{
	unsigned char c = (unsigned char)s[0];
	size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

	for (size_t i = 1; i < k; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/*
 * `s` HTML-escaped, at most PAGE_FIELD_MAX bytes of output: a longer text
 * is cut (never inside a UTF-8 sequence or an entity) and ends with "…".
 * Control characters become spaces.
 */
static void sb_escaped(struct sbuf *b, const char *s)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	size_t used = 0, i = 0;

	while (s[i]) {
		unsigned char c = (unsigned char)s[i];
		const char *out = html_entity(s[i]);
		size_t adv = 1, outlen;

		if (out) {
			outlen = strlen(out);
		} else if (c >= 0xc2 && c <= 0xf4 && utf8_seq_len(s + i) > 0) {
			/* a UTF-8 sequence stays whole */
			adv = utf8_seq_len(s + i);
			out = s + i;
			outlen = adv;
		} else {
			/* control characters and stray bytes: a space or '?' */
			out = c < 0x20 || c == 0x7f ? " " : c >= 0x80 ? "?" : s + i;
			outlen = 1;
		}
		if (used + outlen > PAGE_FIELD_MAX - (sizeof(ellipsis) - 1)) {
			sb_add(b, ellipsis, sizeof(ellipsis) - 1);
			return;
		}
		sb_add(b, out, outlen);
		used += outlen;
		i += adv;
	}
}

static bool is_web_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

static void sb_appeal(struct sbuf *b, const char *appeal)
{
	if (is_web_url(appeal)) {
		sb_str(b, "<a href=\"");
		sb_escaped(b, appeal);
		sb_str(b, "\">");
		sb_escaped(b, appeal);
		sb_str(b, "</a>");
	} else {
		sb_escaped(b, appeal);
	}
}

size_t fz_http_block_page(const char *category, const char *what, const char *appeal, char *out,
			  size_t cap)
{
	char body[4096], head[256];
	struct sbuf b = {.p = body, .cap = sizeof(body)};
	bool has_appeal = appeal && appeal[0];
	int hn;

	if (!category || !category[0])
		category = "fraud";
	if (!what)
		what = "";

	sb_str(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
		   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		   "<title>已拦截：疑似诈骗网站 / Blocked: listed as fraud</title></head>\n"
		   "<body style=\"font-family:sans-serif;max-width:40em;margin:2em auto\">\n"
		   "<h1>已拦截：疑似诈骗网站</h1>\n<p>您访问的地址 <b>");
	sb_escaped(&b, what);
	sb_str(&b, "</b> 被列为诈骗网站（类别：");
	sb_escaped(&b, category);
	sb_str(&b, "），为保护您的安全已被拦截。</p>\n");
	if (has_appeal)
		sb_str(&b, "<p>如认为误拦，请通过以下方式申诉：</p>\n");
	else
		sb_str(&b, "<p>如认为误拦，请联系您的网络管理员申诉。</p>\n");
	sb_str(&b, "<hr><div lang=\"en\"><h1>Blocked: listed as fraud</h1>\n<p>The address <b>");
	sb_escaped(&b, what);
	sb_str(&b, "</b> is listed as fraud (category: ");
	sb_escaped(&b, category);
	sb_str(&b, ") and was blocked for your safety.</p>\n");
	if (has_appeal) {
		sb_str(&b, "<p>If you believe this is a mistake, appeal here:</p></div>\n"
			   "<p>申诉 / Appeal: ");
		sb_appeal(&b, appeal);
		sb_str(&b, "</p>\n");
	} else {
		sb_str(&b,
		       "<p>If you believe this is a mistake, contact your network administrator "
		       "to appeal.</p></div>\n");
	}
	sb_str(&b, "</body></html>\n");
	if (b.over)
		return 0;

	hn = snprintf(head, sizeof(head),
		      "HTTP/1.1 403 Forbidden\r\n"
		      "Content-Type: text/html; charset=utf-8\r\n"
		      "Content-Length: %zu\r\n"
		      "Connection: close\r\n"
		      "Cache-Control: no-store\r\n"
		      "\r\n",
		      b.n);
	if (hn < 0 || (size_t)hn >= sizeof(head) || (size_t)hn + b.n >= cap)
		return 0;
	memcpy(out, head, (size_t)hn);
	memcpy(out + hn, body, b.n);
	out[(size_t)hn + b.n] = '\0';
	return (size_t)hn + b.n;
}

/* --- sending ---------------------------------------------------------------- */

struct fz_injector {
	int fd4, fd6;
};

static int raw_open(int family, uint32_t mark)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW), one = 1, e;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		goto fail;
	/* IPv4 IPPROTO_RAW implies IP_HDRINCL; IPv6 IPPROTO_RAW is header-included on Linux */
	if (family == AF_INET && setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	return -e;
}

int fz_injector_open(uint32_t mark, struct fz_injector **ret)
{
	struct fz_injector *inj = calloc(1, sizeof(*inj));

	if (!inj)
		return -ENOMEM;
	inj->fd4 = raw_open(AF_INET, mark);
	inj->fd6 = raw_open(AF_INET6, mark);
	if (inj->fd4 < 0 && inj->fd6 < 0) {
		int r = inj->fd4;

		free(inj);
		return r;
	}
	*ret = inj;
	return 0;
}

void fz_injector_close(struct fz_injector *inj)
{
	if (!inj)
		return;
	if (inj->fd4 >= 0)
		close(inj->fd4);
	if (inj->fd6 >= 0)
		close(inj->fd6);
	free(inj);
}

int fz_injector_send(struct fz_injector *inj, const uint8_t *pkt, size_t len)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	socklen_t salen;
	ssize_t r;
	int fd;

	if (len < IP4_HDR)
		return -EINVAL;
	if (pkt[0] >> 4 == 4) {
		fd = inj->fd4;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, pkt + 16, 4);
		sa = (const struct sockaddr *)&sin;
		salen = sizeof(sin);
	} else if (pkt[0] >> 4 == 6) {
		if (len < IP6_HDR)
			return -EINVAL;
		fd = inj->fd6;
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, pkt + 24, 16);
		sa = (const struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	} else {
		return -EINVAL;
	}
	if (fd < 0)
		return -EAFNOSUPPORT;
	do
		r = sendto(fd, pkt, len, 0, sa, salen);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EIO;
}
