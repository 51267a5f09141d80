/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packets the inspector sends itself: TCP resets to both ends of a blocked
 * connection, the HTTP block page (a 403 with FIN, as if from the server),
 * ICMP "administratively prohibited" for blocked QUIC, and a DNS answer as
 * if from the resolver the client asked. The builders are pure (IPv4 and
 * IPv6, checksums computed); fz_injector sends them on raw sockets that
 * carry a firewall mark, so our own rules never queue them back to us.
 */
#ifndef FZ_INJECT_H
#define FZ_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_pkt.h"

#define FZ_INJECT_MAX 2048 /* no injected packet is larger */

/*
 * A RST for the connection of `p` (a TCP packet from the client, not
 * delivered). to_client: from the server's address to the client, with
 * seq = p->ack (what the client expects next); else from the client to the
 * server, with seq = p->seq. Returns the packet length or 0 (cap too small,
 * not TCP).
 */
size_t fz_inject_tcp_rst(const struct fz_pkt *p, bool to_client, uint8_t *out, size_t cap);

/*
 * The HTTP answer to the request in `p` (client->server, not delivered), as
 * if from the server: seq = p->ack, ack = p->seq + p->payload_len, flags
 * ACK|PSH|FIN, payload `body` (a whole HTTP response). 0 when it cannot fit.
 */
size_t fz_inject_tcp_payload(const struct fz_pkt *p, const uint8_t *body, size_t body_len,
			     uint8_t *out, size_t cap);

/*
 * The block page: "HTTP/1.1 403 Forbidden" with Content-Type text/html;
 * charset=utf-8, Content-Length, Connection: close, Cache-Control: no-store,
 * and a short page in Chinese and English saying the address is listed as
 * fraud (`category`), naming `what` (host or URL, HTML-escaped) and how to
 * appeal (`appeal`, a URL or a sentence; HTML-escaped; NULL: a generic
 * sentence). Returns the length, or 0 when it cannot fit in cap.
 */
size_t fz_http_block_page(const char *category, const char *what, const char *appeal, char *out,
			  size_t cap);

/*
 * ICMP destination unreachable, administratively prohibited (IPv4 type 3
 * code 13, IPv6 type 1 code 1), to the source of the packet `orig`
 * (orig_len bytes from its IP header; `p` is its parse), from p's
 * destination address, quoting as much of `orig` as RFC 792/4443 allow
 * (IPv4: header + 8 bytes... we quote up to 548 bytes; IPv6: up to the
 * 1280-byte minimum MTU). 0 when it cannot be built.
 */
size_t fz_inject_icmp_prohibited(const uint8_t *orig, size_t orig_len, const struct fz_pkt *p,
				 uint8_t *out, size_t cap);

/* A UDP datagram from p's destination to p's source (ports swapped) carrying `payload`. */
size_t fz_inject_udp_reply(const struct fz_pkt *p, const uint8_t *payload, size_t payload_len,
			   uint8_t *out, size_t cap);

/* Internet checksum helpers the builders use (exposed for tests). */
uint16_t fz_inet_checksum(const void *data, size_t len, uint32_t initial);

/* --- sending (I/O) --------------------------------------------------------- */

struct fz_injector;

/*
 * Raw sockets (IPv4 IPPROTO_RAW with IP_HDRINCL, IPv6 IPPROTO_RAW), each
 * with SO_MARK = `mark` (needs CAP_NET_RAW and CAP_NET_ADMIN). Opened
 * before privileges are dropped. A family whose socket cannot be opened is
 * skipped (sends to it fail with -EAFNOSUPPORT); -errno when neither opens.
 */
int fz_injector_open(uint32_t mark, struct fz_injector **ret);
void fz_injector_close(struct fz_injector *inj);
/* Send one packet built above (family from its first nibble). 0 or -errno. */
int fz_injector_send(struct fz_injector *inj, const uint8_t *pkt, size_t len);

#endif
