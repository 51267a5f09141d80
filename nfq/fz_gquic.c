/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gQUIC CHLO reading. The packet layouts changed across versions (public
 * header with an optional 8-byte connection id and a version before Q046,
 * an IETF-like long header from Q046, a 12-byte message hash in clear
 * packets up to Q043), but the CHLO message itself did not: "CHLO", a
 * little-endian entry count and padding, then (tag, end offset) pairs and
 * the values. So the header only has to prove the packet is gQUIC of a
 * version with a clear CHLO, and the message is then found within the
 * first bytes of the payload and read strictly.
 */
#include <string.h>

#include "fz_gquic.h"

#define CHLO_SEARCH 80	/* the CHLO starts within this many bytes of the packet */
#define MAX_ENTRIES 128 /* tags in one CHLO (Chrome sends ~25) */

static bool is_q0_version(const uint8_t *v)
{
	return v[0] == 'Q' && v[1] == '0' && v[2] >= '0' && v[2] <= '9' && v[3] >= '0' &&
	       v[3] <= '9' && (v[2] - '0') * 10 + (v[3] - '0') <= 46;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Where the header says the version is, if it says so. */
static bool gquic_header(const uint8_t *p, size_t len)
{
	if (len < 14)
		return false;
	/* Q046: long header form, version right after the first byte. */
	if ((p[0] & 0x80) && is_q0_version(p + 1))
		return true;
	/* Before Q046: public flags with VERSION (0x01) and an 8-byte connection id (0x08). */
	if ((p[0] & 0x80) == 0 && (p[0] & 0x09) == 0x09 && is_q0_version(p + 9))
		return true;
	return false;
}

static enum fz_dpi_status read_chlo(const uint8_t *m, size_t len, struct fz_tls_hello *out)
{
	size_t n, table, values, prev = 0;

	if (len < 8)
		return FZ_DPI_BAD;
	n = (size_t)m[4] | (size_t)m[5] << 8;
	if (n == 0 || n > MAX_ENTRIES)
		return FZ_DPI_BAD;
	table = 8;
	values = table + n * 8;
	if (values > len)
		return FZ_DPI_BAD;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = m + table + i * 8;
		size_t end = le32(e + 4);
		if (end < prev || values + end > len)
			return FZ_DPI_BAD;
		const uint8_t *v = m + values + prev;
		size_t vl = end - prev;
		if (!memcmp(e, "SNI\0", 4) && vl > 0 && vl <= FZ_TLS_NAME_MAX &&
		    !memchr(v, '\0', vl)) {
			memcpy(out->sni, v, vl);
			out->sni[vl] = '\0';
			out->sni_len = vl;
			out->has_sni = true;
		} else if (!memcmp(e, "ALPN", 4) && vl >= 4 && vl - 4 < sizeof(out->alpn)) {
			/* a list of 4-byte tags, e.g. "h3-Q046"-era "QUIC" markers: keep them
			 * readable */
			size_t k = 0;
			for (size_t j = 0; j + 4 <= vl && k + 5 < sizeof(out->alpn); j += 4) {
				if (k)
					out->alpn[k++] = ',';
				for (size_t c = 0; c < 4; c++)
					if (v[j + c] > 0x20 && v[j + c] < 0x7f)
						out->alpn[k++] = (char)v[j + c];
			}
			out->alpn[k] = '\0';
			out->alpn_len = k;
		}
		prev = end;
	}
	return FZ_DPI_OK;
}

enum fz_dpi_status fz_gquic_chlo_parse(const uint8_t *p, size_t len, struct fz_tls_hello *out)
{
	size_t lim;

	memset(out, 0, sizeof(*out));
	if (!gquic_header(p, len))
		return FZ_DPI_NOT;
	lim = len < CHLO_SEARCH ? len : CHLO_SEARCH;
	for (size_t i = 9; i + 4 <= lim; i++)
		if (!memcmp(p + i, "CHLO", 4)) {
			enum fz_dpi_status st = read_chlo(p + i, len - i, out);
			if (st != FZ_DPI_OK)
				memset(out, 0, sizeof(*out)); /* nothing half-read */
			return st;
		}
	return FZ_DPI_NOT;
}
