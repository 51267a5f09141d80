/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a TLS ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2): the record
 * layer is peeled off (the handshake message may span several records),
 * then the hello is walked field by field. Every length is checked against
 * the message's own declared length first (a disagreement is BAD) and then
 * against the bytes present (missing bytes are MORE), so a prefix of a
 * valid hello is always MORE and an inconsistent one is BAD as early as the
 * bytes show it.
 */
#include <string.h>

#include "fz_tls.h"

#define REC_HDR		  5
#define REC_MAX		  (16384 + 2048) /* TLSCiphertext limit (RFC 8446 5.2) */
#define REC_HANDSHAKE	  22
#define HS_HDR		  4
#define HS_CLIENT_HELLO	  1
#define EXT_SERVER_NAME	  0x0000
#define EXT_ALPN	  0x0010
#define EXT_QUIC_PARAMS	  0x0039
#define EXT_QUIC_PARAMS_D 0xffa5 /* drafts before RFC 9001 */
#define EXT_ESNI	  0xffce
#define SNI_HOST_NAME	  0

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * The ClientHello body: `p` holds `avail` of its `end` declared bytes.
 * NEED(n): n more bytes must lie inside the message (else BAD) and be
 * present (else MORE).
 */
#define NEED(n)                                                                                    \
	do {                                                                                       \
		if ((size_t)(n) > end - pos)                                                       \
			return FZ_DPI_BAD;                                                         \
		if ((size_t)(n) > avail - pos)                                                     \
			return FZ_DPI_MORE;                                                        \
	} while (0)

static enum fz_dpi_status read_sni(const uint8_t *p, size_t n, struct fz_tls_hello *h)
{
	size_t q = 2;

	if (n == 0)
		return FZ_DPI_OK; /* empty: names nothing */
	if (n < 2 || rd16(p) != n - 2)
		return FZ_DPI_BAD;
	while (q < n) {
		size_t nl;
		uint8_t type;

		if (n - q < 3)
			return FZ_DPI_BAD;
		type = p[q];
		nl = rd16(p + q + 1);
		q += 3;
		if (nl > n - q)
			return FZ_DPI_BAD;
		if (type == SNI_HOST_NAME) {
			/* one host_name only (RFC 6066 3); a NUL or an over-long name is
			 * refused by servers, so it can name nothing we could check */
			if (h->has_sni || nl == 0 || nl > FZ_TLS_NAME_MAX || memchr(p + q, 0, nl))
				return FZ_DPI_BAD;
			memcpy(h->sni, p + q, nl);
			h->sni[nl] = '\0';
			h->sni_len = nl;
			h->has_sni = true;
		}
		q += nl;
	}
	return FZ_DPI_OK;
}

static enum fz_dpi_status read_alpn(const uint8_t *p, size_t n, struct fz_tls_hello *h)
{
	size_t q = 2;
	bool full = false;

	if (n < 2 || rd16(p) != n - 2 || n == 2)
		return FZ_DPI_BAD;
	while (q < n) {
		size_t pl = p[q++];

		if (pl == 0 || pl > n - q)
			return FZ_DPI_BAD;
		/* whole protocol names only; the list is cut at the first that does not fit */
		if (!full && h->alpn_len + (h->alpn_len ? 1 : 0) + pl <= FZ_TLS_ALPN_MAX) {
			if (h->alpn_len)
				h->alpn[h->alpn_len++] = ',';
			for (size_t i = 0; i < pl; i++) {
				uint8_t c = p[q + i];
				/* protocol ids are opaque bytes; keep the text printable
				 * and the list unambiguous */
				h->alpn[h->alpn_len++] =
				    (c > 0x20 && c < 0x7f && c != ',') ? (char)c : '?';
			}
			h->alpn[h->alpn_len] = '\0';
		} else {
			full = true;
		}
		q += pl;
	}
	return FZ_DPI_OK;
}

static enum fz_dpi_status read_hello_body(const uint8_t *p, size_t avail, size_t end,
					  struct fz_tls_hello *h)
{
	size_t pos = 0, n;
	bool seen_sni = false, seen_alpn = false;

	/* legacy_version, random */
	NEED(2 + 32);
	if (p[0] != 3)
		return FZ_DPI_BAD;
	h->version = rd16(p);
	pos += 2 + 32;
	/* legacy_session_id <0..32> */
	NEED(1);
	n = p[pos++];
	if (n > 32)
		return FZ_DPI_BAD;
	NEED(n);
	pos += n;
	/* cipher_suites <2..2^16-2> */
	NEED(2);
	n = rd16(p + pos);
	pos += 2;
	if (n < 2 || (n & 1))
		return FZ_DPI_BAD;
	NEED(n);
	pos += n;
	/* legacy_compression_methods <1..2^8-1> */
	NEED(1);
	n = p[pos++];
	if (n < 1)
		return FZ_DPI_BAD;
	NEED(n);
	pos += n;
	if (pos == end)
		return FZ_DPI_OK; /* no extensions at all (old clients) */
	/* extensions: the block fills the rest of the message exactly */
	NEED(2);
	n = rd16(p + pos);
	pos += 2;
	if (n != end - pos)
		return FZ_DPI_BAD;
	while (pos < end) {
		enum fz_dpi_status st = FZ_DPI_OK;
		uint16_t type;

		NEED(4);
		type = rd16(p + pos);
		n = rd16(p + pos + 2);
		pos += 4;
		NEED(n);
		switch (type) {
		case EXT_SERVER_NAME:
			if (seen_sni)
				return FZ_DPI_BAD; /* a second SNI: servers refuse it */
			seen_sni = true;
			st = read_sni(p + pos, n, h);
			break;
		case EXT_ALPN:
			if (seen_alpn)
				return FZ_DPI_BAD;
			seen_alpn = true;
			st = read_alpn(p + pos, n, h);
			break;
		case FZ_TLS_EXT_ECH:
			h->ech = true;
			break;
		case EXT_ESNI:
			h->esni = true;
			break;
		case EXT_QUIC_PARAMS:
		case EXT_QUIC_PARAMS_D:
			h->quic_params = true;
			break;
		default:
			break;
		}
		if (st != FZ_DPI_OK)
			return st;
		pos += n;
	}
	return FZ_DPI_OK;
}

/*
 * The fields an empty hello has, and a copy of what a read hello holds:
 * the name and ALPN up to their NULs, not the whole ~400-byte struct
 * twice (a memset and a struct copy were a tenth of a ClientHello's read).
 */
static void hello_init(struct fz_tls_hello *h)
{
	h->version = 0;
	h->has_sni = false;
	h->sni[0] = '\0';
	h->sni_len = 0;
	h->alpn[0] = '\0';
	h->alpn_len = 0;
	h->ech = h->esni = h->quic_params = false;
}

static void hello_copy(struct fz_tls_hello *out, const struct fz_tls_hello *h)
{
	out->version = h->version;
	out->has_sni = h->has_sni;
	memcpy(out->sni, h->sni, h->sni_len + 1);
	out->sni_len = h->sni_len;
	memcpy(out->alpn, h->alpn, h->alpn_len + 1);
	out->alpn_len = h->alpn_len;
	out->ech = h->ech;
	out->esni = h->esni;
	out->quic_params = h->quic_params;
}

/*
 * A handshake stream holding `n` bytes: the ClientHello at its start. With
 * `peek`, what was read is written out on MORE too.
 */
static enum fz_dpi_status read_handshake(const uint8_t *msg, size_t n, struct fz_tls_hello *out,
					 bool peek)
{
	struct fz_tls_hello h;
	enum fz_dpi_status st;
	size_t body;

	if (n == 0)
		return FZ_DPI_MORE;
	if (msg[0] != HS_CLIENT_HELLO)
		return FZ_DPI_NOT;
	if (n < HS_HDR)
		return FZ_DPI_MORE;
	body = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];
	if (body > FZ_TLS_HELLO_MAX)
		return FZ_DPI_BAD;
	hello_init(&h);
	st = read_hello_body(msg + HS_HDR, min_sz(n - HS_HDR, body), body, &h);
	if (st == FZ_DPI_OK || (peek && st == FZ_DPI_MORE))
		hello_copy(out, &h);
	return st;
}

enum fz_dpi_status fz_tls_handshake_parse(const uint8_t *buf, size_t len, struct fz_tls_hello *out)
{
	if (!buf)
		return FZ_DPI_MORE;
	return read_handshake(buf, len, out, false);
}

/*
 * The first bytes of a record header (h of 5 present): is it a handshake
 * record? Any 3.x record version: servers ignore the ClientHello's record
 * version (RFC 8446 5.1), so a client could pick an odd one to slip by.
 */
static enum fz_dpi_status record_header(const uint8_t *r, size_t h, size_t *rec_len)
{
	if (r[0] != REC_HANDSHAKE || (h >= 2 && r[1] != 3))
		return FZ_DPI_NOT;
	if (h < REC_HDR)
		return FZ_DPI_MORE;
	*rec_len = rd16(r + 3);
	if (*rec_len == 0 || *rec_len > REC_MAX)
		return FZ_DPI_BAD;
	return FZ_DPI_OK;
}

static enum fz_dpi_status client_hello(const uint8_t *buf, size_t len, struct fz_tls_hello *out,
				       bool peek)
{
	uint8_t copy[HS_HDR + FZ_TLS_HELLO_MAX];
	const uint8_t *msg = NULL; /* the handshake bytes: in place (one record) or in `copy` */
	size_t i = 0, n = 0, want = sizeof(copy);
	bool in_copy = false;

	if (!buf || len == 0)
		return FZ_DPI_MORE;
	/* Gather the handshake bytes of the records until the hello is whole. */
	while (i < len && n < want) {
		size_t rl = 0, take, use;
		enum fz_dpi_status st = record_header(buf + i, min_sz(REC_HDR, len - i), &rl);

		if (st == FZ_DPI_NOT && i > 0)
			st = FZ_DPI_BAD; /* something else before the hello ended */
		if (st != FZ_DPI_OK) {
			if (st == FZ_DPI_MORE && n > 0)
				break; /* still check the hello bytes we have */
			return st;
		}
		take = min_sz(rl, len - i - REC_HDR);
		use = min_sz(take, want - n);
		if (i == 0) {
			msg = buf + REC_HDR;
		} else {
			if (!in_copy) {
				memcpy(copy, msg, n);
				msg = copy;
				in_copy = true;
			}
			memcpy(copy + n, buf + i + REC_HDR, use);
		}
		n += use;
		if (n >= 1 && msg[0] != HS_CLIENT_HELLO)
			return FZ_DPI_NOT;
		if (n >= HS_HDR && want == sizeof(copy)) {
			size_t body = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];
			if (body > FZ_TLS_HELLO_MAX)
				return FZ_DPI_BAD;
			want = HS_HDR + body;
			n = min_sz(n, want);
		}
		i += REC_HDR + take;
		if (take < rl)
			break; /* this record is not complete yet */
	}
	if (n == 0)
		return FZ_DPI_MORE;
	return read_handshake(msg, n, out, peek);
}

enum fz_dpi_status fz_tls_client_hello_parse(const uint8_t *buf, size_t len,
					     struct fz_tls_hello *out)
{
	return client_hello(buf, len, out, false);
}

enum fz_dpi_status fz_tls_client_hello_peek(const uint8_t *buf, size_t len,
					    struct fz_tls_hello *out)
{
	memset(out, 0, sizeof(*out));
	return client_hello(buf, len, out, true);
}
