/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gQUIC CHLO reader on packets laid out like Q043 and Q046 clients send them. */
#include <stdint.h>
#include <string.h>

#include "fz_gquic.h"
#include "fz_test.h"

static size_t put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
	p[3] = (uint8_t)(v >> 24);
	return 4;
}

/* A CHLO with PAD, SNI, VER (tags in ascending order, as gQUIC requires). */
static size_t chlo(const char *sni, uint8_t *out)
{
	size_t o = 0, sl = strlen(sni);

	memcpy(out, "CHLO", 4);
	out[4] = 3, out[5] = 0, out[6] = out[7] = 0;
	o = 8;
	memcpy(out + o, "PAD\0", 4), o += 4, o += put_le32(out + o, 20);
	memcpy(out + o, "SNI\0", 4), o += 4, o += put_le32(out + o, (uint32_t)(20 + sl));
	memcpy(out + o, "VER\0", 4), o += 4, o += put_le32(out + o, (uint32_t)(24 + sl));
	memset(out + o, '-', 20), o += 20;
	memcpy(out + o, sni, sl), o += sl;
	memcpy(out + o, "Q043", 4), o += 4;
	return o;
}

int main(void)
{
	uint8_t pkt[512];
	struct fz_tls_hello h;
	size_t n;

	/* before Q046: public flags (version + 8-byte cid), cid, version, pn, 12-byte hash, STREAM
	 */
	pkt[0] = 0x0d;
	memset(pkt + 1, 0xab, 8);
	memcpy(pkt + 9, "Q043", 4);
	pkt[13] = 1;
	memset(pkt + 14, 0, 12);
	pkt[26] = 0xa0, pkt[27] = 1, pkt[28] = 0, pkt[29] = 0;
	n = 30 + chlo("www.fraud.test", pkt + 30);
	CHECK_INT(fz_gquic_chlo_parse(pkt, n, &h), FZ_DPI_OK);
	CHECK(h.has_sni);
	CHECK_STR(h.sni, "www.fraud.test");
	CHECK_INT(h.sni_len, 14);

	/* every cut inside the tag table or values is malformed, never a wrong name */
	for (size_t cut = 31; cut < n; cut++) {
		enum fz_dpi_status st = fz_gquic_chlo_parse(pkt, cut, &h);
		CHECK(st == FZ_DPI_BAD || st == FZ_DPI_NOT);
		CHECK(!h.has_sni);
	}
	/* an end offset that runs backwards */
	uint8_t bad[512];
	memcpy(bad, pkt, n);
	put_le32(bad + 30 + 8 + 12, 2);
	CHECK_INT(fz_gquic_chlo_parse(bad, n, &h), FZ_DPI_BAD);

	/* Q046: long header, version right after the first byte */
	pkt[0] = 0xc3;
	memcpy(pkt + 1, "Q046", 4);
	pkt[5] = 0x50;
	memset(pkt + 6, 0x11, 8);
	memset(pkt + 14, 0, 4);
	pkt[18] = 0xa0, pkt[19] = 1, pkt[20] = 0, pkt[21] = 0;
	n = 22 + chlo("yt3.ggpht.com", pkt + 22);
	CHECK_INT(fz_gquic_chlo_parse(pkt, n, &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "yt3.ggpht.com");

	/* not gQUIC: IETF QUIC v1, Q050 (encrypted CHLO), a DNS-looking datagram */
	pkt[0] = 0xc3;
	memcpy(pkt + 1, "\0\0\0\1", 4);
	CHECK_INT(fz_gquic_chlo_parse(pkt, n, &h), FZ_DPI_NOT);
	memcpy(pkt + 1, "Q050", 4);
	CHECK_INT(fz_gquic_chlo_parse(pkt, n, &h), FZ_DPI_NOT);
	CHECK_INT(fz_gquic_chlo_parse((const uint8_t *)"\x12\x34\x01\x00\x00\x01", 6, &h),
		  FZ_DPI_NOT);
	return fz_test_done();
}
