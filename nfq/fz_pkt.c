/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Walking one IP packet: the IPv4 header or the IPv6 header and its
 * extension headers, then the TCP or UDP header. Every length is checked
 * against the bytes present before it is used; the result points into the
 * packet and is written only on success.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "fz_pkt.h"

#define IPV4_HDR_MIN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_MIN  20
#define UDP_HDR_LEN  8

/* IPv6 extension header numbers (netinet/in.h has most, not mobility). */
enum {
	NH_HOPOPTS = 0,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_ESP = 50,
	NH_AH = 51,
	NH_NONE = 59,
	NH_DSTOPTS = 60,
	NH_MOBILITY = 135,
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The end of the IP packet inside the buffer from the length the header
 * declares (`declared` counts from the start of the packet; 0 means "the
 * rest of the buffer"). Returns 0 or -EBADMSG.
 */
static int ip_end(size_t declared, size_t hdr_len, size_t len, bool allow_short, size_t *end)
{
	if (declared == 0) {
		*end = len;
		return 0;
	}
	if (declared < hdr_len)
		return -EBADMSG;
	if (declared > len) {
		if (!allow_short)
			return -EBADMSG;
		*end = len;
		return 0;
	}
	*end = declared; /* bytes past it (link-layer padding) are not ours */
	return 0;
}

static int parse_ipv4(const uint8_t *p, size_t len, bool allow_short, struct fz_pkt *k,
		      size_t *l4_off, size_t *end, bool *len_unknown)
{
	size_t ihl;
	uint16_t frag;
	int r;

	if (len < IPV4_HDR_MIN)
		return -EBADMSG;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < IPV4_HDR_MIN || ihl > len)
		return -EBADMSG;
	r = ip_end(rd16(p + 2), ihl, len, allow_short, end);
	if (r < 0)
		return r;
	*len_unknown = rd16(p + 2) == 0;
	frag = rd16(p + 6);
	if (frag & 0x3fff) /* MF set or a non-zero offset */
		return -EAGAIN;
	k->family = 4;
	k->ttl = p[8];
	k->proto = p[9];
	memcpy(k->src, p + 12, 4);
	memcpy(k->dst, p + 16, 4);
	*l4_off = ihl;
	return 0;
}

static int parse_ipv6(const uint8_t *p, size_t len, bool allow_short, struct fz_pkt *k,
		      size_t *l4_off, size_t *end, bool *len_unknown)
{
	size_t off = IPV6_HDR_LEN, plen;
	uint8_t nh;
	int r;

	if (len < IPV6_HDR_LEN)
		return -EBADMSG;
	plen = rd16(p + 4);
	/* 0: a jumbogram or a GSO super-packet, the rest of the buffer */
	r = ip_end(plen ? plen + IPV6_HDR_LEN : 0, IPV6_HDR_LEN, len, allow_short, end);
	if (r < 0)
		return r;
	*len_unknown = plen == 0;
	nh = p[6];
	k->family = 6;
	k->ttl = p[7];
	memcpy(k->src, p + 8, 16);
	memcpy(k->dst, p + 24, 16);

	/* each header takes at least 8 bytes: the walk ends within the packet */
	for (;;) {
		size_t hlen;

		switch (nh) {
		case IPPROTO_TCP:
		case IPPROTO_UDP:
			k->proto = nh;
			*l4_off = off;
			return 0;
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_MOBILITY:
			if (*end - off < 8)
				return -EBADMSG;
			hlen = ((size_t)p[off + 1] + 1) * 8;
			break;
		case NH_FRAGMENT: {
			if (*end - off < 8)
				return -EBADMSG;
			/* offset (13 bits) << 3 | res (2) | M (1) */
			uint16_t fo = rd16(p + off + 2);
			if ((fo & 0xfff8) || (fo & 1))
				return -EAGAIN;
			hlen = 8; /* an atomic fragment: the packet is whole */
			break;
		}
		default: /* NH_ESP, NH_AH, NH_NONE, anything unknown */
			return -EPROTONOSUPPORT;
		}
		if (hlen > *end - off)
			return -EBADMSG;
		nh = p[off];
		off += hlen;
	}
}

int fz_pkt_parse(const uint8_t *p, size_t len, bool allow_short, struct fz_pkt *out)
{
	struct fz_pkt k;
	size_t off = 0, end = 0, avail;
	bool len_unknown = false;
	int r;

	if (!p || len < 1)
		return -EBADMSG;
	memset(&k, 0, sizeof(k));
	switch (p[0] >> 4) {
	case 4:
		r = parse_ipv4(p, len, allow_short, &k, &off, &end, &len_unknown);
		break;
	case 6:
		r = parse_ipv6(p, len, allow_short, &k, &off, &end, &len_unknown);
		break;
	default:
		return -EBADMSG;
	}
	if (r < 0)
		return r;
	if (k.proto != IPPROTO_TCP && k.proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	avail = end - off;
	if (k.proto == IPPROTO_TCP) {
		size_t doff;

		if (avail < TCP_HDR_MIN)
			return -EBADMSG;
		doff = (size_t)(p[off + 12] >> 4) * 4;
		if (doff < TCP_HDR_MIN || doff > avail)
			return -EBADMSG;
		k.sport = rd16(p + off);
		k.dport = rd16(p + off + 2);
		k.seq = rd32(p + off + 4);
		k.ack = rd32(p + off + 8);
		k.tcp_flags = p[off + 13];
		k.window = rd16(p + off + 14);
		k.payload = p + off + doff;
		k.payload_len = avail - doff;
	} else {
		size_t ulen;

		if (avail < UDP_HDR_LEN)
			return -EBADMSG;
		ulen = rd16(p + off + 4);
		k.sport = rd16(p + off);
		k.dport = rd16(p + off + 2);
		if (ulen == 0 || len_unknown) {
			/* a GSO super-packet or jumbogram: the UDP length cannot hold it */
			ulen = avail;
		} else if (ulen < UDP_HDR_LEN) {
			return -EBADMSG;
		} else if (ulen > avail) {
			if (!allow_short)
				return -EBADMSG;
			ulen = avail;
		}
		k.payload = p + off + UDP_HDR_LEN;
		k.payload_len = ulen - UDP_HDR_LEN;
	}
	k.l4_off = off;
	*out = k;
	return 0;
}

void fz_pkt_addr(uint8_t family, const uint8_t *addr, char *buf, size_t cap)
{
	char tmp[INET6_ADDRSTRLEN];

	if (!buf || cap == 0)
		return;
	if (!addr || (family != 4 && family != 6) ||
	    !inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "?");
	snprintf(buf, cap, "%s", tmp);
}

void fz_pkt_addr_port(uint8_t family, const uint8_t *addr, uint16_t port, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (!buf || cap == 0)
		return;
	fz_pkt_addr(family, addr, a, sizeof(a));
	if (family == 6)
		snprintf(buf, cap, "[%s]:%u", a, (unsigned)port);
	else
		snprintf(buf, cap, "%s:%u", a, (unsigned)port);
}
