/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fz_pkt: IPv4/IPv6 (extension headers, fragments, GSO lengths) then TCP/UDP. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "fz_pkt.h"
#include "fz_test.h"

static const uint8_t payload[] = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";
#define PAYLOAD_LEN (sizeof(payload) - 1)

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* A TCP header with `optwords` 32-bit words of NOP options, then the payload. */
static size_t tcp_seg(uint8_t *b, unsigned optwords, const uint8_t *data, size_t n)
{
	size_t hl = 20 + 4 * optwords;

	memset(b, 0, hl);
	put16(b, 40000);
	put16(b + 2, 443);
	put32(b + 4, 0x01020304);
	put32(b + 8, 0xa0b0c0d0);
	b[12] = (uint8_t)((hl / 4) << 4);
	b[13] = FZ_TCP_PSH | FZ_TCP_ACK;
	put16(b + 14, 502);
	memset(b + 20, 1, hl - 20);
	if (n)
		memcpy(b + hl, data, n);
	return hl + n;
}

static size_t udp_dgram(uint8_t *b, const uint8_t *data, size_t n, int ulen)
{
	put16(b, 5353);
	put16(b + 2, 53);
	put16(b + 4, ulen < 0 ? (unsigned)(8 + n) : (unsigned)ulen);
	put16(b + 6, 0);
	if (n)
		memcpy(b + 8, data, n);
	return 8 + n;
}

/* IPv4 header with `optwords` words of options, around `l4` bytes; tot < 0: the real length. */
static size_t ipv4(uint8_t *b, uint8_t proto, unsigned optwords, uint16_t frag, const uint8_t *l4,
		   size_t n, long tot)
{
	size_t hl = 20 + 4 * optwords;

	memset(b, 0, hl);
	b[0] = (uint8_t)(0x40 | (hl / 4));
	put16(b + 2, tot < 0 ? (unsigned)(hl + n) : (unsigned)tot);
	put16(b + 6, frag);
	b[8] = 61;
	b[9] = proto;
	b[12] = 192, b[13] = 0, b[14] = 2, b[15] = 7;
	b[16] = 198, b[17] = 51, b[18] = 100, b[19] = 9;
	if (n)
		memcpy(b + hl, l4, n);
	return hl + n;
}

/* IPv6 header then `ext` (extension headers, already chained) then `l4`. */
static size_t ipv6(uint8_t *b, uint8_t nh, const uint8_t *ext, size_t elen, const uint8_t *l4,
		   size_t n, long plen)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	put16(b + 4, plen < 0 ? (unsigned)(elen + n) : (unsigned)plen);
	b[6] = nh;
	b[7] = 64;
	b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 7;
	b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[39] = 9;
	if (elen)
		memcpy(b + 40, ext, elen);
	if (n)
		memcpy(b + 40 + elen, l4, n);
	return 40 + elen + n;
}

static void test_ipv4_tcp(void)
{
	uint8_t l4[256], pkt[512];
	struct fz_pkt k;
	size_t n4 = tcp_seg(l4, 3, payload, PAYLOAD_LEN);
	size_t n = ipv4(pkt, IPPROTO_TCP, 2, 0x4000 /* DF */, l4, n4, -1);

	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.family, 4);
	CHECK_INT(k.proto, IPPROTO_TCP);
	CHECK_INT(k.ttl, 61);
	CHECK(memcmp(k.src, (uint8_t[]){192, 0, 2, 7}, 4) == 0);
	CHECK(memcmp(k.dst, (uint8_t[]){198, 51, 100, 9}, 4) == 0);
	CHECK_INT(k.sport, 40000);
	CHECK_INT(k.dport, 443);
	CHECK_INT(k.seq, 0x01020304);
	CHECK_INT(k.ack, 0xa0b0c0d0u);
	CHECK_INT(k.tcp_flags, FZ_TCP_PSH | FZ_TCP_ACK);
	CHECK_INT(k.window, 502);
	CHECK_INT(k.l4_off, 28);
	CHECK_INT(k.payload_len, PAYLOAD_LEN);
	CHECK(k.payload == pkt + 28 + 32);
	CHECK(memcmp(k.payload, payload, PAYLOAD_LEN) == 0);

	/* link-layer padding after the IP packet is not payload */
	memset(pkt + n, 0xee, 10);
	CHECK_INT(fz_pkt_parse(pkt, n + 10, false, &k), 0);
	CHECK_INT(k.payload_len, PAYLOAD_LEN);

	/* GSO: total length 0 is the rest of the buffer */
	put16(pkt + 2, 0);
	CHECK_INT(fz_pkt_parse(pkt, n + 10, false, &k), 0);
	CHECK_INT(k.payload_len, PAYLOAD_LEN + 10);
	put16(pkt + 2, (unsigned)n);

	/* a total length beyond the buffer: bad, or clipped for a capture */
	CHECK_INT(fz_pkt_parse(pkt, n - 5, false, &k), -EBADMSG);
	CHECK_INT(fz_pkt_parse(pkt, n - 5, true, &k), 0);
	CHECK_INT(k.payload_len, PAYLOAD_LEN - 5);
	/* a total length shorter than the header */
	put16(pkt + 2, 27);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EBADMSG);
	put16(pkt + 2, (unsigned)n);

	/* every cut: never success without allow_short; with it, success once the headers are in */
	for (size_t cut = 0; cut < n; cut++) {
		struct fz_pkt c;
		memset(&c, 0x5a, sizeof(c));
		CHECK_INT(fz_pkt_parse(pkt, cut, false, &c), -EBADMSG);
		c.payload_len = 12345;
		int r = fz_pkt_parse(pkt, cut, true, &c);
		if (cut < 28 + 32) {
			CHECK_INT(r, -EBADMSG);
			CHECK_INT(c.payload_len, 12345); /* untouched on failure */
		} else {
			CHECK_INT(r, 0);
			CHECK_INT(c.payload_len, cut - 60);
		}
	}

	/* IHL below 5, IHL beyond the buffer, bad version */
	pkt[0] = 0x44;
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EBADMSG);
	pkt[0] = 0x4f;
	CHECK_INT(fz_pkt_parse(pkt, 50, true, &k), -EBADMSG);
	pkt[0] = 0x57;
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EBADMSG);
	pkt[0] = 0x47;
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);

	/* TCP data offset below 5 or beyond the packet */
	pkt[28 + 12] = 0x40;
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EBADMSG);
	pkt[28 + 12] = 0xf0;
	CHECK_INT(fz_pkt_parse(pkt, 28 + 40, true, &k), -EBADMSG);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.payload_len, n - 28 - 60);
	CHECK_INT(fz_pkt_parse(NULL, 0, true, &k), -EBADMSG);
}

static void test_ipv4_fragments_and_protocols(void)
{
	uint8_t l4[128], pkt[256];
	struct fz_pkt k;
	size_t n4 = tcp_seg(l4, 0, payload, 10);
	size_t n;

	n = ipv4(pkt, IPPROTO_TCP, 0, 0x2000 /* MF, first fragment */, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EAGAIN);
	n = ipv4(pkt, IPPROTO_TCP, 0, 0x0003 /* offset 24, last */, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EAGAIN);
	n = ipv4(pkt, IPPROTO_TCP, 0, 0x8000 /* the reserved bit alone */, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	n = ipv4(pkt, IPPROTO_ICMP, 0, 0, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EPROTONOSUPPORT);
	n = ipv4(pkt, IPPROTO_ESP, 0, 0, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EPROTONOSUPPORT);
}

static void test_udp(void)
{
	uint8_t l4[128], pkt[256];
	struct fz_pkt k;
	size_t n4, n;

	n4 = udp_dgram(l4, payload, 20, -1);
	n = ipv4(pkt, IPPROTO_UDP, 0, 0, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.proto, IPPROTO_UDP);
	CHECK_INT(k.sport, 5353);
	CHECK_INT(k.dport, 53);
	CHECK_INT(k.payload_len, 20);
	CHECK(k.payload == pkt + 28);
	CHECK_INT(k.tcp_flags, 0);

	/* a UDP length shorter than the IP packet: the UDP length wins */
	n4 = udp_dgram(l4, payload, 20, 8 + 12);
	n = ipv4(pkt, IPPROTO_UDP, 0, 0, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.payload_len, 12);
	/* below the header, beyond the packet */
	n4 = udp_dgram(l4, payload, 20, 7);
	n = ipv4(pkt, IPPROTO_UDP, 0, 0, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EBADMSG);
	n4 = udp_dgram(l4, payload, 20, 8 + 21);
	n = ipv4(pkt, IPPROTO_UDP, 0, 0, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EBADMSG);
	CHECK_INT(fz_pkt_parse(pkt, n, true, &k), 0);
	CHECK_INT(k.payload_len, 20);
	/* GSO: UDP length 0 is the rest */
	n4 = udp_dgram(l4, payload, 20, 0);
	n = ipv4(pkt, IPPROTO_UDP, 0, 0, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.payload_len, 20);
	/* GSO with IP length 0: the UDP length (wrapped) is not trusted */
	n4 = udp_dgram(l4, payload, 20, 9);
	n = ipv4(pkt, IPPROTO_UDP, 0, 0, l4, n4, 0);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.payload_len, 20);
	/* a UDP header cut short */
	n = ipv4(pkt, IPPROTO_UDP, 0, 0, l4, 7, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, true, &k), -EBADMSG);
}

static void test_ipv6(void)
{
	uint8_t l4[256], pkt[512], ext[128];
	struct fz_pkt k;
	size_t n4 = tcp_seg(l4, 1, payload, PAYLOAD_LEN);
	size_t n;

	n = ipv6(pkt, IPPROTO_TCP, NULL, 0, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.family, 6);
	CHECK_INT(k.ttl, 64);
	CHECK_INT(k.src[0], 0x20);
	CHECK_INT(k.src[15], 7);
	CHECK_INT(k.dst[15], 9);
	CHECK_INT(k.l4_off, 40);
	CHECK_INT(k.dport, 443);
	CHECK_INT(k.payload_len, PAYLOAD_LEN);
	CHECK(k.payload == pkt + 40 + 24);

	/* hop-by-hop (8) -> routing (24) -> destination options (16) -> mobility (8) -> TCP */
	memset(ext, 0, sizeof(ext));
	ext[0] = 43, ext[1] = 0;
	ext[8] = 60, ext[9] = 2;
	ext[32] = 135, ext[33] = 1;
	ext[48] = IPPROTO_TCP, ext[49] = 0;
	n = ipv6(pkt, 0, ext, 56, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.proto, IPPROTO_TCP);
	CHECK_INT(k.l4_off, 96);
	CHECK_INT(k.payload_len, PAYLOAD_LEN);
	CHECK(memcmp(k.payload, payload, PAYLOAD_LEN) == 0);
	/* every cut inside the extension headers or TCP header is bad, even for a capture */
	for (size_t cut = 0; cut < 96 + 24; cut++)
		CHECK_INT(fz_pkt_parse(pkt, cut, true, &k), -EBADMSG);
	/* an extension header longer than the packet */
	ext[33] = 200;
	n = ipv6(pkt, 0, ext, 56, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, true, &k), -EBADMSG);
	ext[33] = 1;

	/* fragment header: atomic fragment passes; M or an offset is -EAGAIN */
	memset(ext, 0, sizeof(ext));
	ext[0] = IPPROTO_UDP;
	n4 = udp_dgram(l4, payload, 16, -1);
	n = ipv6(pkt, 44, ext, 8, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.proto, IPPROTO_UDP);
	CHECK_INT(k.payload_len, 16);
	ext[3] = 1; /* M */
	n = ipv6(pkt, 44, ext, 8, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EAGAIN);
	ext[3] = 0x08; /* offset 1 (8 bytes) */
	n = ipv6(pkt, 44, ext, 8, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EAGAIN);
	ext[3] = 0x06; /* reserved bits only */
	n = ipv6(pkt, 44, ext, 8, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(fz_pkt_parse(pkt, 40 + 7, true, &k), -EBADMSG); /* the fragment header cut */

	/* ESP, AH, no next header, ICMPv6, unknown: not ours */
	static const uint8_t others[] = {50, 51, 59, 58, 253};
	for (size_t i = 0; i < sizeof(others); i++) {
		n = ipv6(pkt, others[i], NULL, 0, l4, n4, -1);
		CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EPROTONOSUPPORT);
	}
	/* AH after a destination options header */
	memset(ext, 0, sizeof(ext));
	ext[0] = 51;
	n = ipv6(pkt, 60, ext, 8, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EPROTONOSUPPORT);

	/* a long chain of destination options is walked to its end */
	memset(ext, 0, sizeof(ext));
	for (int i = 0; i < 15; i++)
		ext[8 * i] = 60;
	ext[8 * 15] = IPPROTO_UDP;
	n = ipv6(pkt, 60, ext, 128, l4, n4, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.l4_off, 40 + 128);
	CHECK_INT(k.payload_len, 16);
	n = ipv6(pkt, 60, ext, 128, l4, 0, -1);
	CHECK_INT(fz_pkt_parse(pkt, n, true, &k), -EBADMSG);

	/* payload length 0 (GSO or jumbogram): the rest of the buffer */
	n4 = tcp_seg(l4, 0, payload, PAYLOAD_LEN);
	n = ipv6(pkt, IPPROTO_TCP, NULL, 0, l4, n4, 0);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	CHECK_INT(k.payload_len, PAYLOAD_LEN);
	/* payload length beyond the buffer, and short of the TCP header */
	n = ipv6(pkt, IPPROTO_TCP, NULL, 0, l4, n4, (long)n4 + 1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EBADMSG);
	CHECK_INT(fz_pkt_parse(pkt, n, true, &k), 0);
	CHECK_INT(k.payload_len, PAYLOAD_LEN);
	n = ipv6(pkt, IPPROTO_TCP, NULL, 0, l4, n4, 10);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), -EBADMSG);
	CHECK_INT(fz_pkt_parse(pkt, 39, true, &k), -EBADMSG);
}

static void test_format(void)
{
	char buf[64];
	uint8_t v4[16] = {192, 0, 2, 7};
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
	uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 10, 1, 2, 3};

	fz_pkt_addr_port(4, v4, 443, buf, sizeof(buf));
	CHECK_STR(buf, "192.0.2.7:443");
	fz_pkt_addr_port(6, v6, 443, buf, sizeof(buf));
	CHECK_STR(buf, "[2001:db8::7]:443");
	fz_pkt_addr(6, v6, buf, sizeof(buf));
	CHECK_STR(buf, "2001:db8::7");
	fz_pkt_addr(4, v4, buf, sizeof(buf));
	CHECK_STR(buf, "192.0.2.7");
	fz_pkt_addr(6, mapped, buf, sizeof(buf));
	CHECK_STR(buf, "::ffff:10.1.2.3");
	fz_pkt_addr_port(6, mapped, 0, buf, sizeof(buf));
	CHECK_STR(buf, "[::ffff:10.1.2.3]:0");
	fz_pkt_addr(5, v4, buf, sizeof(buf));
	CHECK_STR(buf, "?");
	/* a small buffer is cut, always terminated */
	fz_pkt_addr_port(4, v4, 65535, buf, 8);
	CHECK_STR(buf, "192.0.2");
	fz_pkt_addr(6, v6, buf, 1);
	CHECK_STR(buf, "");

	/* the addresses of a parsed packet */
	uint8_t l4[64], pkt[128];
	struct fz_pkt k;
	size_t n = ipv6(pkt, IPPROTO_UDP, NULL, 0, l4, udp_dgram(l4, payload, 4, -1), -1);
	CHECK_INT(fz_pkt_parse(pkt, n, false, &k), 0);
	fz_pkt_addr_port(k.family, k.dst, k.dport, buf, sizeof(buf));
	CHECK_STR(buf, "[2001:db8::9]:53");
}

int main(void)
{
	test_ipv4_tcp();
	test_ipv4_fragments_and_protocols();
	test_udp();
	test_ipv6();
	test_format();
	return fz_test_done();
}
