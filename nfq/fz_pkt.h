/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Walking one IP packet as NFQUEUE or a capture hands it to us (starting at
 * the IP header): IPv4 or IPv6 with its extension headers, then TCP or UDP.
 * Pure; no allocation; the result points into the packet.
 */
#ifndef FZ_PKT_H
#define FZ_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	FZ_TCP_FIN = 0x01,
	FZ_TCP_SYN = 0x02,
	FZ_TCP_RST = 0x04,
	FZ_TCP_PSH = 0x08,
	FZ_TCP_ACK = 0x10,
};

struct fz_pkt {
	uint8_t family; /* 4 or 6 */
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP (others: fz_pkt_parse says -EPROTONOSUPPORT) */
	uint8_t ttl;   /* TTL / hop limit */
	uint8_t src[16]; /* IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint16_t sport, dport;
	size_t l4_off;		/* offset of the TCP/UDP header */
	const uint8_t *payload; /* TCP/UDP payload, inside the packet */
	size_t payload_len; /* clipped to the bytes present (GSO packets: the IP total length may
			       say 0) */
	/* TCP only */
	uint32_t seq, ack;
	uint8_t tcp_flags;
	uint16_t window;
};

/*
 * Parse `len` bytes starting at an IPv4 or IPv6 header. IPv6 extension
 * headers (hop-by-hop, routing, destination options, fragment) are walked;
 * a fragment other than the first (offset != 0) or an unfinished one (MF) is
 * -EAGAIN: we do not reassemble IP fragments (the kernel's conntrack already
 * did, before NFQUEUE). Returns 0, -EAGAIN, -EPROTONOSUPPORT (neither TCP nor
 * UDP, or ESP/AH/unknown extension), or -EBADMSG (truncated or inconsistent).
 * A total length of 0 in the IP header (GSO super-packets) means "the rest of
 * the buffer"; a total length beyond the buffer is -EBADMSG unless
 * `allow_short` (captures cut by snaplen), then the payload is what is present.
 */
int fz_pkt_parse(const uint8_t *p, size_t len, bool allow_short, struct fz_pkt *out);

/* "192.0.2.7:443" or "[2001:db8::7]:443" (buf >= 64). */
void fz_pkt_addr_port(uint8_t family, const uint8_t *addr, uint16_t port, char *buf, size_t cap);
/* "192.0.2.7" or "2001:db8::7" (buf >= 48). */
void fz_pkt_addr(uint8_t family, const uint8_t *addr, char *buf, size_t cap);

#endif
