/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the decryption side of nfq/fz_quic.c (fz_tls.c and
 * fz_reasm.c compiled in). The input's frames are sealed into real
 * Initial packets with fz_quic_build_initial, so every packet opens and
 * the frame walk, the CRYPTO reassembly and the ClientHello reader see
 * what the fuzzer chose.
 *
 * Input: byte 0 picks the version (v1, v2, draft-29, draft-28, Google's
 * T051 with its own frame types) and the minimum packet size; then
 * operations, one byte each plus arguments:
 *   0  CRYPTO frame with bytes [off, off+len) of a fixed ClientHello
 *      (2 bytes offset, 1 byte length / 8)
 *   1  PING
 *   2  PADDING, 1 byte count
 *   3  a valid ACK frame (1 byte: ranges and ECN)
 *   4  end the packet (bit 3 of the op: under the second DCID)
 *   5  end the datagram
 *   6  raw frame bytes from the input (1 byte count, then the bytes)
 *   7  a CRYPTO frame with a 4-byte offset and data from the input
 * Packets of one datagram are coalesced; one fz_quic_state reads them all.
 *
 * Checked: every packet built is an Initial fz_quic_is_initial accepts and
 * opens (the Initials counter rises by exactly the packets of the
 * datagram, whichever DCID they carry); never NOT; the stream stays
 * within its cap. While only ops 0-5 were used (the stream is the fixed
 * ClientHello's bytes at their own offsets): the gap-free prefix equals
 * the hello's, the status is never BAD, and it is OK exactly when the
 * prefix covers the whole hello, with its name and ALPN.
 */
#include <string.h>

#include "fuzz_common.h"
#include "fz_quic.h"

#define MAX_PACKETS   48
#define MAX_FRAMES    1300
#define DGRAM_MAX     (8 * 1500)
#define HELLO_NAME    "fuzz.quic-frames.example"
#define HELLO_PADDING 1400

static const uint8_t dcid_a[8] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03};
static const uint8_t dcid_b[17] = {0x0c, 0x1d, 0x2e, 0x3f, 0x40, 0x51, 0x62, 0x73, 0x84,
				   0x95, 0xa6, 0xb7, 0xc8, 0xd9, 0xea, 0xfb, 0x0c};

static uint8_t hello[HELLO_PADDING + 200];
static size_t hello_len;

/* The fixed ClientHello: SNI, ALPN h3, QUIC transport parameters, padding. */
static void make_hello(void)
{
	static const uint8_t tail[] = {0x00,
				       0x10,
				       0x00,
				       0x05,
				       0x00,
				       0x03,
				       2,
				       'h',
				       '3',
				       0x00,
				       0x39,
				       0x00,
				       0x04,
				       0x01,
				       0x02,
				       0x40,
				       0x64,
				       0x00,
				       0x15,
				       HELLO_PADDING >> 8,
				       HELLO_PADDING & 0xff};
	size_t sl = strlen(HELLO_NAME), n = 0, ext;

	hello[n++] = 0x01;
	n += 3;
	hello[n++] = 0x03;
	hello[n++] = 0x03;
	for (int i = 0; i < 32; i++)
		hello[n++] = (uint8_t)(0x31 * i);
	hello[n++] = 0;
	hello[n++] = 0;
	hello[n++] = 2;
	hello[n++] = 0x13;
	hello[n++] = 0x01;
	hello[n++] = 1;
	hello[n++] = 0;
	n += 2;
	ext = n;
	hello[n++] = 0;
	hello[n++] = 0;
	hello[n++] = 0;
	hello[n++] = (uint8_t)(sl + 5);
	hello[n++] = 0;
	hello[n++] = (uint8_t)(sl + 3);
	hello[n++] = 0;
	hello[n++] = 0;
	hello[n++] = (uint8_t)sl;
	memcpy(hello + n, HELLO_NAME, sl);
	n += sl;
	memcpy(hello + n, tail, sizeof(tail));
	n += sizeof(tail);
	memset(hello + n, 0, HELLO_PADDING);
	n += HELLO_PADDING;
	hello[ext - 2] = (uint8_t)((n - ext) >> 8);
	hello[ext - 1] = (uint8_t)(n - ext);
	hello[1] = 0;
	hello[2] = (uint8_t)((n - 4) >> 8);
	hello[3] = (uint8_t)(n - 4);
	hello_len = n;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	if (v < 64) {
		p[0] = (uint8_t)v;
		return 1;
	}
	if (v < 16384) {
		p[0] = (uint8_t)(0x40 | v >> 8);
		p[1] = (uint8_t)v;
		return 2;
	}
	p[0] = (uint8_t)(0x80 | v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

struct gen {
	uint32_t version;
	bool gquic; /* T051: PING is 0x07, CRYPTO 0x08, no IETF ACK */
	size_t min_len;
	uint8_t frames[MAX_FRAMES + 2100]; /* an op adds at most 2048 */
	size_t fn;
	uint8_t dgram[DGRAM_MAX];
	size_t dn;
	unsigned in_dgram; /* packets in dgram */
	unsigned packets;  /* built so far */
	bool pure;
	struct fz_quic_state st;
};

static void send_dgram(struct gen *g)
{
	struct fz_tls_hello h;
	uint32_t before = g->st.initials, contiguous;
	enum fz_dpi_status s;

	if (g->in_dgram == 0)
		return;
	memset(&h, 0, sizeof(h));
	s = fz_quic_client_datagram(&g->st, g->dgram, g->dn, &h);
	FZ_FUZZ_CHECK(s == FZ_DPI_OK || s == FZ_DPI_MORE || s == FZ_DPI_BAD);
	FZ_FUZZ_CHECK(g->st.initials == before + g->in_dgram);
	FZ_FUZZ_CHECK(g->st.have_keys && g->st.version == g->version);
	contiguous = fz_reasm_contiguous(&g->st.crypto);
	FZ_FUZZ_CHECK(contiguous <= FZ_QUIC_CRYPTO_MAX);
	if (s == FZ_DPI_OK) {
		FZ_FUZZ_CHECK(h.sni_len <= FZ_TLS_NAME_MAX && strlen(h.alpn) == h.alpn_len);
		FZ_FUZZ_CHECK(!h.has_sni || strlen(h.sni) == h.sni_len);
	}
	if (g->pure) {
		FZ_FUZZ_CHECK(contiguous <= hello_len);
		FZ_FUZZ_CHECK(contiguous == 0 || memcmp(g->st.crypto.data, hello, contiguous) == 0);
		FZ_FUZZ_CHECK(s != FZ_DPI_BAD);
		FZ_FUZZ_CHECK((s == FZ_DPI_OK) == (contiguous == hello_len));
		if (s == FZ_DPI_OK) {
			FZ_FUZZ_CHECK(h.has_sni && strcmp(h.sni, HELLO_NAME) == 0);
			FZ_FUZZ_CHECK(strcmp(h.alpn, "h3") == 0 && h.quic_params);
		}
	}
	g->dn = 0;
	g->in_dgram = 0;
}

static void end_packet(struct gen *g, bool second_dcid)
{
	int n;
	uint32_t ver = 0;

	if (g->fn == 0 || g->packets >= MAX_PACKETS)
		return;
	if (g->dn + g->fn + 100 > DGRAM_MAX || g->min_len + g->dn > DGRAM_MAX)
		send_dgram(g);
	n = fz_quic_build_initial(g->version, second_dcid ? dcid_b : dcid_a,
				  second_dcid ? sizeof(dcid_b) : sizeof(dcid_a), dcid_a, 4,
				  g->packets, g->frames, g->fn, g->min_len, g->dgram + g->dn,
				  DGRAM_MAX - g->dn);
	FZ_FUZZ_CHECK(n > 0);
	FZ_FUZZ_CHECK((size_t)n >= g->min_len && (size_t)n >= g->fn + 16);
	FZ_FUZZ_CHECK(fz_quic_is_initial(g->dgram + g->dn, (size_t)n, &ver));
	FZ_FUZZ_CHECK(ver == g->version);
	g->dn += (size_t)n;
	g->in_dgram++;
	g->packets++;
	g->fn = 0;
}

static struct gen g;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t versions[] = {FZ_QUIC_V1, FZ_QUIC_V2, FZ_QUIC_DRAFT29, 0xff00001c,
					    0x54303531};
	size_t i = 1;

	if (size < 1 || size > 32768)
		return 0;
	if (!hello_len)
		make_hello();
	g.version = versions[(data[0] & 0x0f) % 5];
	g.gquic = g.version == 0x54303531;
	g.min_len = (data[0] & 0x10) ? 1200 : 0;
	g.fn = g.dn = 0;
	g.in_dgram = g.packets = 0;
	g.pure = true;
	fz_quic_state_init(&g.st);

	while (i < size && g.packets < MAX_PACKETS) {
		uint8_t op = data[i++];
		size_t need;

		if (g.fn > MAX_FRAMES)
			end_packet(&g, false);
		switch (op & 7) {
		case 0: { /* CRYPTO from the hello */
			size_t off, len;

			if (size - i < 3)
				goto out;
			off = (size_t)(data[i] << 8 | data[i + 1]) % hello_len;
			len = (size_t)data[i + 2] * 8 + 1;
			i += 3;
			if (len > hello_len - off)
				len = hello_len - off;
			g.frames[g.fn++] = g.gquic ? 0x08 : 0x06;
			g.fn += put_varint(g.frames + g.fn, off);
			g.fn += put_varint(g.frames + g.fn, len);
			memcpy(g.frames + g.fn, hello + off, len);
			g.fn += len;
			break;
		}
		case 1:
			g.frames[g.fn++] = g.gquic ? 0x07 : 0x01;
			break;
		case 2:
			if (i >= size)
				goto out;
			need = data[i++] % 64 + 1;
			memset(g.frames + g.fn, 0, need);
			g.fn += need;
			break;
		case 3: { /* ACK: largest 40, delay, ranges, optional ECN */
			unsigned ranges = 0, ecn = 0;

			if (i < size) {
				ranges = data[i] % 4;
				ecn = data[i] & 0x80;
				i++;
			}
			if (g.gquic) {
				g.frames[g.fn++] = 0x07;
				break;
			}
			g.frames[g.fn++] = ecn ? 0x03 : 0x02;
			g.fn += put_varint(g.frames + g.fn, 40);
			g.fn += put_varint(g.frames + g.fn, 1000);
			g.fn += put_varint(g.frames + g.fn, ranges);
			g.fn += put_varint(g.frames + g.fn, 2);
			for (unsigned r = 0; r < ranges; r++) {
				g.fn += put_varint(g.frames + g.fn, 1);
				g.fn += put_varint(g.frames + g.fn, 3);
			}
			for (unsigned e = 0; ecn && e < 3; e++)
				g.fn += put_varint(g.frames + g.fn, 70 + e);
			break;
		}
		case 4:
			end_packet(&g, op & 8);
			break;
		case 5:
			end_packet(&g, false);
			send_dgram(&g);
			break;
		case 6:
			if (i >= size)
				goto out;
			need = data[i++];
			if (need > size - i)
				need = size - i;
			memcpy(g.frames + g.fn, data + i, need);
			g.fn += need;
			i += need;
			g.pure = false;
			break;
		case 7: {
			uint64_t off;
			size_t len;

			if (size - i < 5)
				goto out;
			off = (uint64_t)data[i] << 24 | (uint64_t)data[i + 1] << 16 |
			      (uint64_t)data[i + 2] << 8 | data[i + 3];
			off &= 0x3fffffff;
			len = data[i + 4];
			i += 5;
			if (len > size - i)
				len = size - i;
			g.frames[g.fn++] = g.gquic ? 0x08 : 0x06;
			g.fn += put_varint(g.frames + g.fn, off);
			g.fn += put_varint(g.frames + g.fn, len);
			memcpy(g.frames + g.fn, data + i, len);
			g.fn += len;
			i += len;
			g.pure = false;
			break;
		}
		}
	}
out:
	end_packet(&g, false);
	send_dgram(&g);
	fz_quic_state_free(&g.st);
	return 0;
}
