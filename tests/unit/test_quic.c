/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfq/fz_quic.c: Initial keys and packets against the RFC 9001 and RFC
 * 9369 Appendix A vectors, our own Initials (fz_quic_build_initial) read
 * back for every version, CRYPTO frames split, shuffled and interleaved,
 * coalesced packets, wrong keys, cut packets, and a client that changes
 * its DCID.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fz_aesgcm.h"
#include "fz_quic.h"
#include "fz_test.h"

static const uint8_t rfc_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

/* The CRYPTO frame of RFC 9001 A.2 (and RFC 9369 A.2): a ClientHello for example.com. */
static const char rfc_crypto_frame_hex[] =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff";

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits of `s` (whitespace ignored, '#' to end of line a comment) into out. */
static size_t unhex(const char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t len = 0;
	int hi = -1;

	for (size_t i = 0; i < n; i++) {
		int v;

		if (s[i] == '#') {
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		v = hexval((unsigned char)s[i]);
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (len < cap)
			out[len++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return len;
}

static size_t read_hex_fixture(const char *name, uint8_t *out, size_t cap)
{
	char path[512];
	unsigned char *text;
	size_t n, len;
	const char *dir = getenv("FZ_FIXTURES");

	snprintf(path, sizeof(path), "%s/nfq/quic/%s", dir ? dir : FZ_FIXTURES, name);
	text = fz_test_read_file(path, &n);
	len = unhex((const char *)text, n, out, cap);
	free(text);
	return len;
}

static void check_hex(const uint8_t *got, size_t n, const char *want_hex)
{
	uint8_t want[64];
	size_t wn = unhex(want_hex, strlen(want_hex), want, sizeof(want));

	CHECK_INT(wn, n);
	CHECK(memcmp(got, want, n) == 0);
}

static void test_keys_rfc(void)
{
	struct fz_quic_keys k;

	/* RFC 9001 A.1 */
	CHECK_INT(fz_quic_initial_keys(FZ_QUIC_V1, rfc_dcid, 8, false, &k), 0);
	check_hex(k.key, 16, "1f369613dd76d5467730efcbe3b1a22d");
	check_hex(k.iv, 12, "fa044b2f42a3fd3b46fb255c");
	check_hex(k.hp, 16, "9f50449e04a0e810283a1e9933adedd2");
	CHECK_INT(fz_quic_initial_keys(FZ_QUIC_V1, rfc_dcid, 8, true, &k), 0);
	check_hex(k.key, 16, "cf3a5331653c364c88f0f379b6067e37");
	check_hex(k.iv, 12, "0ac1493ca1905853b0bba03e");
	check_hex(k.hp, 16, "c206b8d9b9f0f37644430b490eeaa314");

	/* RFC 9369 A.1 */
	CHECK_INT(fz_quic_initial_keys(FZ_QUIC_V2, rfc_dcid, 8, false, &k), 0);
	check_hex(k.key, 16, "8b1a0bc121284290a29e0971b5cd045d");
	check_hex(k.iv, 12, "91f73e2351d8fa91660e909f");
	check_hex(k.hp, 16, "45b95e15235d6f45a6b19cbcb0294ba9");
	CHECK_INT(fz_quic_initial_keys(FZ_QUIC_V2, rfc_dcid, 8, true, &k), 0);
	check_hex(k.key, 16, "82db637861d55e1d011f19ea71d5d2a7");
	check_hex(k.iv, 12, "dd13c276499c0249d3310652");
	check_hex(k.hp, 16, "edf6d05c83121201b436e16877593c3a");

	/* draft-29 has its own salt: other keys than v1 for the same DCID */
	{
		struct fz_quic_keys d29, v1;

		CHECK_INT(fz_quic_initial_keys(FZ_QUIC_DRAFT29, rfc_dcid, 8, false, &d29), 0);
		CHECK_INT(fz_quic_initial_keys(FZ_QUIC_V1, rfc_dcid, 8, false, &v1), 0);
		CHECK(memcmp(d29.key, v1.key, 16) != 0);
		CHECK(memcmp(d29.hp, v1.hp, 16) != 0);
	}

	/* unknown versions and over-long DCIDs; a zero-length DCID is fine */
	memset(&k, 0xa5, sizeof(k));
	CHECK_INT(fz_quic_initial_keys(0xff000016, rfc_dcid, 8, false, &k),
		  -ENOTSUP); /* draft-22 */
	CHECK_INT(fz_quic_initial_keys(0x709a50c4, rfc_dcid, 8, false, &k),
		  -ENOTSUP); /* v2 draft */
	CHECK_INT(fz_quic_initial_keys(0x51303530, rfc_dcid, 8, false, &k), -ENOTSUP); /* Q050 */
	CHECK_INT(fz_quic_initial_keys(0, rfc_dcid, 8, false, &k), -ENOTSUP);
	{
		uint8_t big[21] = {0};

		CHECK_INT(fz_quic_initial_keys(FZ_QUIC_V1, big, 21, false, &k), -EINVAL);
		CHECK_INT(k.key[0], 0xa5); /* untouched on error */
		CHECK_INT(fz_quic_initial_keys(FZ_QUIC_V1, big, 20, false, &k), 0);
		CHECK_INT(fz_quic_initial_keys(FZ_QUIC_V1, NULL, 0, false, &k), 0);
	}
}

/* The RFC's client Initial read whole: the ClientHello for example.com. */
static void check_rfc_initial(const char *fixture, uint32_t version)
{
	uint8_t pkt[1300], frame[300];
	size_t n = read_hex_fixture(fixture, pkt, sizeof(pkt));
	size_t fn = unhex(rfc_crypto_frame_hex, strlen(rfc_crypto_frame_hex), frame, sizeof(frame));
	struct fz_quic_state st;
	struct fz_tls_hello hello;
	uint32_t ver = 0;

	CHECK_INT(n, 1200);
	CHECK_INT(fn, 245);
	CHECK(fz_quic_is_initial(pkt, n, &ver));
	CHECK_INT(ver, version);

	fz_quic_state_init(&st);
	memset(&hello, 0, sizeof(hello));
	CHECK_INT(fz_quic_client_datagram(&st, pkt, n, &hello), FZ_DPI_OK);
	CHECK_INT(st.initials, 1);
	CHECK_INT(st.version, version);
	CHECK(st.have_keys);
	CHECK_INT(st.dcid_len, 8);
	CHECK(memcmp(st.dcid, rfc_dcid, 8) == 0);
	/* the stream holds exactly the frame's data (4 bytes of frame header) */
	CHECK_INT(fz_reasm_contiguous(&st.crypto), 241);
	CHECK(st.crypto.data && memcmp(st.crypto.data, frame + 4, 241) == 0);
	CHECK(hello.has_sni);
	CHECK_STR(hello.sni, "example.com");
	CHECK_INT(hello.sni_len, 11);
	CHECK(hello.quic_params);
	CHECK_STR(hello.alpn, "alpn");

	/* the same datagram again: still OK, nothing added */
	CHECK_INT(fz_quic_client_datagram(&st, pkt, n, &hello), FZ_DPI_OK);
	CHECK_INT(st.initials, 2);
	CHECK_INT(fz_reasm_contiguous(&st.crypto), 241);
	fz_quic_state_free(&st);

	/* one bit flipped anywhere in the protected part: nothing opens */
	for (size_t at = 30; at < n; at += 97) {
		pkt[at] ^= 0x10;
		fz_quic_state_init(&st);
		CHECK_INT(fz_quic_client_datagram(&st, pkt, n, &hello), FZ_DPI_BAD);
		CHECK_INT(st.initials, 0);
		fz_quic_state_free(&st);
		pkt[at] ^= 0x10;
	}
	/* the header is authenticated too (a DCID byte changed) */
	pkt[8] ^= 1;
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, n, &hello), FZ_DPI_BAD);
	fz_quic_state_free(&st);
	pkt[8] ^= 1;

	/* every cut of the datagram: never OK, and BAD once the header is there */
	for (size_t cut = 0; cut < n; cut++) {
		enum fz_dpi_status s;

		fz_quic_state_init(&st);
		s = fz_quic_client_datagram(&st, pkt, cut, &hello);
		if (cut < 7)
			CHECK_INT(s, FZ_DPI_NOT);
		else if (s != FZ_DPI_BAD)
			CHECK_INT(s, FZ_DPI_BAD);
		fz_quic_state_free(&st);
	}
}

static void test_rfc_initials(void)
{
	check_rfc_initial("rfc9001-client-initial.hex", FZ_QUIC_V1);
	check_rfc_initial("rfc9369-client-initial.hex", FZ_QUIC_V2);
}

/* ---- Initials of our own ---- */

/* A ClientHello for `sni` with a padding extension of `pad` bytes (handshake message only). */
static size_t make_hello(const char *sni, size_t pad, uint8_t *out)
{
	size_t sl = strlen(sni), n = 0, ext_start, body_start;
	static const uint8_t alpn[] = {0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 2, 'h', '3'};
	static const uint8_t tp[] = {0x00, 0x39, 0x00, 0x04, 0x01, 0x02, 0x40, 0x64};

	out[n++] = 0x01;
	n += 3; /* length */
	body_start = n;
	out[n++] = 0x03;
	out[n++] = 0x03;
	for (int i = 0; i < 32; i++)
		out[n++] = (uint8_t)(i * 7 + 1);
	out[n++] = 0; /* session id */
	out[n++] = 0;
	out[n++] = 2;
	out[n++] = 0x13;
	out[n++] = 0x01;
	out[n++] = 1;
	out[n++] = 0;
	n += 2; /* extensions length */
	ext_start = n;
	out[n++] = 0;
	out[n++] = 0; /* server_name */
	out[n++] = (uint8_t)((sl + 5) >> 8);
	out[n++] = (uint8_t)(sl + 5);
	out[n++] = (uint8_t)((sl + 3) >> 8);
	out[n++] = (uint8_t)(sl + 3);
	out[n++] = 0;
	out[n++] = (uint8_t)(sl >> 8);
	out[n++] = (uint8_t)sl;
	memcpy(out + n, sni, sl);
	n += sl;
	memcpy(out + n, alpn, sizeof(alpn));
	n += sizeof(alpn);
	memcpy(out + n, tp, sizeof(tp));
	n += sizeof(tp);
	out[n++] = 0x00;
	out[n++] = 0x15; /* padding */
	out[n++] = (uint8_t)(pad >> 8);
	out[n++] = (uint8_t)pad;
	memset(out + n, 0, pad);
	n += pad;
	out[ext_start - 2] = (uint8_t)((n - ext_start) >> 8);
	out[ext_start - 1] = (uint8_t)(n - ext_start);
	out[1] = (uint8_t)((n - body_start) >> 16);
	out[2] = (uint8_t)((n - body_start) >> 8);
	out[3] = (uint8_t)(n - body_start);
	return n;
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

static size_t put_crypto(uint8_t *p, uint64_t off, const uint8_t *d, size_t n)
{
	size_t k = 0;

	p[k++] = 0x06;
	k += put_varint(p + k, off);
	k += put_varint(p + k, n);
	memcpy(p + k, d, n);
	return k + n;
}

static const uint8_t dcid_a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t dcid_b[12] = {9, 9, 9, 9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x10, 0x11};
static const uint8_t scid[5] = {0x51, 0x52, 0x53, 0x54, 0x55};

static void test_round_trip(void)
{
	/* v1, v2, draft-29, and the other drafts and Google's T051 with their salts */
	static const uint32_t versions[] = {FZ_QUIC_V1, FZ_QUIC_V2, FZ_QUIC_DRAFT29, 0xff00001b,
					    0xff00001c, 0xff000020, 0xff000022,	     0x54303531};
	uint8_t hello[1500], frames[1600], pkt[1600];

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		size_t hn = make_hello("round.trip.example", 40, hello);
		size_t fn = put_crypto(frames, 0, hello, hn);
		struct fz_quic_state st;
		struct fz_tls_hello h;
		uint32_t ver = 0;
		int n;

		if (versions[i] == 0x54303531)
			frames[0] = 0x08; /* Google's CRYPTO frame type */
		n = fz_quic_build_initial(versions[i], dcid_a, sizeof(dcid_a), scid, sizeof(scid),
					  0, frames, fn, 1200, pkt, sizeof(pkt));
		CHECK_INT(n, 1200);
		CHECK(fz_quic_is_initial(pkt, (size_t)n, &ver));
		CHECK_INT(ver, versions[i]);
		fz_quic_state_init(&st);
		memset(&h, 0, sizeof(h));
		CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_OK);
		CHECK_STR(h.sni, "round.trip.example");
		CHECK_STR(h.alpn, "h3");
		CHECK_INT(st.version, versions[i]);
		CHECK_INT(st.initials, 1);
		CHECK_INT(fz_reasm_contiguous(&st.crypto), hn);
		fz_quic_state_free(&st);

		/* no padding asked: as small as the frames allow, still readable */
		n = fz_quic_build_initial(versions[i], dcid_a, sizeof(dcid_a), NULL, 0, 7, frames,
					  fn, 0, pkt, sizeof(pkt));
		CHECK_INT(n, 1 + 4 + 1 + 8 + 1 + 1 + 2 + 2 + (int)fn + 16);
		fz_quic_state_init(&st);
		CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_OK);
		fz_quic_state_free(&st);

		/* a tiny payload is padded so the header protection sample exists */
		n = fz_quic_build_initial(versions[i], dcid_a, sizeof(dcid_a), NULL, 0, 0,
					  (const uint8_t *)"\x01", 1, 0, pkt, sizeof(pkt));
		CHECK(n > 0);
		fz_quic_state_init(&st);
		CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_MORE);
		CHECK_INT(st.initials, 1);
		fz_quic_state_free(&st);

		/* cap too small, bad arguments */
		CHECK_INT(fz_quic_build_initial(versions[i], dcid_a, 8, NULL, 0, 0, frames, fn,
						1200, pkt, 1199),
			  -ENOSPC);
		CHECK_INT(fz_quic_build_initial(versions[i], dcid_a, 21, NULL, 0, 0, frames, fn,
						1200, pkt, sizeof(pkt)),
			  -EINVAL);
	}
	CHECK_INT(fz_quic_build_initial(0x12345678, dcid_a, 8, NULL, 0, 0, frames, 10, 1200, pkt,
					sizeof(pkt)),
		  -ENOTSUP);
}

/* A ClientHello over three Initials, CRYPTO frames among PING and PADDING, sent out of order. */
static void test_split_three(void)
{
	static const uint32_t versions[] = {FZ_QUIC_V1, FZ_QUIC_V2, FZ_QUIC_DRAFT29};
	uint8_t hello[3000], frames[1400], pkt[3][1500];
	int len[3];

	for (size_t v = 0; v < 3; v++) {
		size_t hn = make_hello("split.over.three.example", 1800, hello);
		size_t cut1 = hn / 3, cut2 = 2 * hn / 3, fn;
		struct fz_quic_state st;
		struct fz_tls_hello h;

		CHECK(hn > 1800);
		/* packet 0: bytes [cut2, hn) in two frames, the later half first */
		fn = 0;
		frames[fn++] = 0x01;
		fn += put_crypto(frames + fn, cut2 + (hn - cut2) / 2,
				 hello + cut2 + (hn - cut2) / 2, hn - cut2 - (hn - cut2) / 2);
		memset(frames + fn, 0, 17);
		fn += 17;
		fn += put_crypto(frames + fn, cut2, hello + cut2, (hn - cut2) / 2);
		frames[fn++] = 0x01;
		len[0] = fz_quic_build_initial(versions[v], dcid_a, 8, scid, 5, 2, frames, fn, 1200,
					       pkt[0], sizeof(pkt[0]));
		/* packet 1: [0, cut1), after padding */
		fn = 0;
		memset(frames, 0, 33);
		fn += 33;
		fn += put_crypto(frames + fn, 0, hello, cut1);
		len[1] = fz_quic_build_initial(versions[v], dcid_a, 8, scid, 5, 0, frames, fn, 1200,
					       pkt[1], sizeof(pkt[1]));
		/* packet 2: [cut1, cut2) between PINGs */
		fn = 0;
		frames[fn++] = 0x01;
		fn += put_crypto(frames + fn, cut1, hello + cut1, cut2 - cut1);
		frames[fn++] = 0x01;
		len[2] = fz_quic_build_initial(versions[v], dcid_a, 8, scid, 5, 1, frames, fn, 1200,
					       pkt[2], sizeof(pkt[2]));
		CHECK(len[0] >= 1200 && len[1] >= 1200 && len[2] >= 1200);

		fz_quic_state_init(&st);
		memset(&h, 0, sizeof(h));
		CHECK_INT(fz_quic_client_datagram(&st, pkt[0], (size_t)len[0], &h), FZ_DPI_MORE);
		CHECK_INT(fz_reasm_contiguous(&st.crypto), 0);
		CHECK_INT(fz_quic_client_datagram(&st, pkt[1], (size_t)len[1], &h), FZ_DPI_MORE);
		CHECK_INT(fz_reasm_contiguous(&st.crypto), cut1);
		CHECK_INT(fz_quic_client_datagram(&st, pkt[2], (size_t)len[2], &h), FZ_DPI_OK);
		CHECK_STR(h.sni, "split.over.three.example");
		CHECK_INT(fz_reasm_contiguous(&st.crypto), hn);
		CHECK_INT(st.initials, 3);
		/* a retransmission of the first changes nothing */
		CHECK_INT(fz_quic_client_datagram(&st, pkt[1], (size_t)len[1], &h), FZ_DPI_OK);
		fz_quic_state_free(&st);
	}
}

/* CRYPTO frames of one packet in reverse and shuffled order, overlapping once. */
static void test_out_of_order_one_packet(void)
{
	uint8_t hello[800], frames[1400], pkt[1500];
	size_t hn = make_hello("craziness.example", 300, hello), fn = 0;
	size_t q = hn / 4;
	struct fz_quic_state st;
	struct fz_tls_hello h;
	int n;

	fn += put_crypto(frames + fn, 3 * q, hello + 3 * q, hn - 3 * q);
	frames[fn++] = 0x01;
	fn += put_crypto(frames + fn, q, hello + q, q + 10); /* overlaps the next */
	frames[fn++] = 0x00;
	frames[fn++] = 0x00;
	fn += put_crypto(frames + fn, 2 * q, hello + 2 * q, q);
	/* an ACK frame with two ranges and ECN counts, then the start */
	{
		static const uint8_t ack[] = {0x03, 0x0a, 0x00, 0x02, 0x01, 0x00,
					      0x01, 0x01, 0x02, 0x00, 0x00, 0x00};

		memcpy(frames + fn, ack, sizeof(ack));
		fn += sizeof(ack);
	}
	fn += put_crypto(frames + fn, 0, hello, q);
	n = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, 8, scid, 5, 0, frames, fn, 1200, pkt,
				  sizeof(pkt));
	CHECK(n >= 1200);
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "craziness.example");
	CHECK_INT(fz_reasm_contiguous(&st.crypto), hn);
	CHECK(memcmp(st.crypto.data, hello, hn) == 0);
	fz_quic_state_free(&st);
}

/* T051 reads Google's frame types: 0x06 is STOP_WAITING there, not CRYPTO. */
static void test_t051_frames(void)
{
	uint8_t hello[600], frames[700], pkt[1400];
	size_t hn = make_hello("t051.example", 20, hello), fn;
	struct fz_quic_state st;
	struct fz_tls_hello h;
	int n;

	fn = 0;
	frames[fn++] = 0x07; /* PING */
	fn += put_crypto(frames + fn, 0, hello, hn);
	frames[1] = 0x08;
	n = fz_quic_build_initial(0x54303531, dcid_a, 8, NULL, 0, 0, frames, fn, 1200, pkt,
				  sizeof(pkt));
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "t051.example");
	fz_quic_state_free(&st);

	frames[1] = 0x06;
	n = fz_quic_build_initial(0x54303531, dcid_a, 8, NULL, 0, 0, frames, fn, 1200, pkt,
				  sizeof(pkt));
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_MORE);
	CHECK_INT(fz_reasm_contiguous(&st.crypto), 0);
	fz_quic_state_free(&st);
}

/* Frames we do not read in an Initial stop that packet; what came before stays. */
static void test_unknown_frame(void)
{
	uint8_t hello[600], frames[1400], pkt[1500];
	size_t hn = make_hello("unknown.frame.example", 100, hello), fn = 0, half = hn / 2;
	struct fz_quic_state st;
	struct fz_tls_hello h;
	int n;

	fn += put_crypto(frames + fn, 0, hello, half);
	frames[fn++] = 0x08; /* STREAM: not allowed in an Initial */
	frames[fn++] = 0x00;
	fn += put_crypto(frames + fn, half, hello + half, hn - half);
	n = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, 8, NULL, 0, 0, frames, fn, 1200, pkt,
				  sizeof(pkt));
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_MORE);
	CHECK_INT(fz_reasm_contiguous(&st.crypto), half);
	/* the rest in a CONNECTION_CLOSE-carrying packet: read past the close */
	fn = 0;
	frames[fn++] = 0x1c;
	frames[fn++] = 0x0a;
	frames[fn++] = 0x06;
	frames[fn++] = 0x03;
	memcpy(frames + fn, "bye", 3);
	fn += 3;
	fn += put_crypto(frames + fn, half, hello + half, hn - half);
	n = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, 8, NULL, 0, 1, frames, fn, 1200, pkt,
				  sizeof(pkt));
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "unknown.frame.example");
	fz_quic_state_free(&st);

	/* a CRYPTO frame whose length runs past the packet: stops there */
	fn = 0;
	fn += put_crypto(frames + fn, 0, hello, half);
	frames[fn++] = 0x06;
	frames[fn++] = 0x00;
	frames[fn++] = 0x7f;
	frames[fn++] = 0xff; /* 16383 bytes claimed */
	n = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, 8, NULL, 0, 1, frames, fn, 0, pkt,
				  sizeof(pkt));
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_MORE);
	CHECK_INT(fz_reasm_contiguous(&st.crypto), half);
	fz_quic_state_free(&st);
}

/* A long header packet of `type` with `n` bytes of "payload" (not protected: we skip it). */
static size_t fake_long(uint8_t *p, uint32_t version, uint8_t type, size_t n)
{
	size_t k = 0;

	p[k++] = (uint8_t)(0xc0 | type << 4 | 1);
	p[k++] = (uint8_t)(version >> 24);
	p[k++] = (uint8_t)(version >> 16);
	p[k++] = (uint8_t)(version >> 8);
	p[k++] = (uint8_t)version;
	p[k++] = 8;
	memcpy(p + k, dcid_a, 8);
	k += 8;
	p[k++] = 0;
	k += put_varint(p + k, n);
	for (size_t i = 0; i < n; i++)
		p[k++] = (uint8_t)(0x06 + i * 13);
	return k;
}

/* Initial, 0-RTT, Handshake, Initial in one datagram; a short header ends the walk. */
static void test_coalesced(void)
{
	static const struct {
		uint32_t version;
		uint8_t zero_rtt, handshake;
	} vs[] = {{FZ_QUIC_V1, 1, 2}, {FZ_QUIC_V2, 2, 3}, {FZ_QUIC_DRAFT29, 1, 2}};
	uint8_t hello[600], frames[700], dgram[4000];

	for (size_t v = 0; v < 3; v++) {
		size_t hn = make_hello("coalesced.example", 50, hello), half = hn / 2, fn, d = 0;
		struct fz_quic_state st;
		struct fz_tls_hello h;
		int n;

		fn = put_crypto(frames, 0, hello, half);
		n = fz_quic_build_initial(vs[v].version, dcid_a, 8, scid, 5, 0, frames, fn, 0,
					  dgram, sizeof(dgram));
		CHECK(n > 0);
		d += (size_t)n;
		d += fake_long(dgram + d, vs[v].version, vs[v].zero_rtt, 300);
		d += fake_long(dgram + d, vs[v].version, vs[v].handshake, 100);
		fn = put_crypto(frames, half, hello + half, hn - half);
		n = fz_quic_build_initial(vs[v].version, dcid_a, 8, scid, 5, 1, frames, fn, 0,
					  dgram + d, sizeof(dgram) - d);
		CHECK(n > 0);
		d += (size_t)n;
		memset(dgram + d, 0, 200); /* datagram padding after the packets */
		d += 200;
		fz_quic_state_init(&st);
		CHECK_INT(fz_quic_client_datagram(&st, dgram, d, &h), FZ_DPI_OK);
		CHECK_STR(h.sni, "coalesced.example");
		CHECK_INT(st.initials, 2);
		fz_quic_state_free(&st);

		/* an Initial after a short header packet is not read */
		d = 0;
		fn = put_crypto(frames, 0, hello, half);
		n = fz_quic_build_initial(vs[v].version, dcid_a, 8, scid, 5, 0, frames, fn, 0,
					  dgram, sizeof(dgram));
		d += (size_t)n;
		dgram[d++] = 0x41;
		fn = put_crypto(frames, half, hello + half, hn - half);
		n = fz_quic_build_initial(vs[v].version, dcid_a, 8, scid, 5, 1, frames, fn, 0,
					  dgram + d, sizeof(dgram) - d);
		d += (size_t)n;
		fz_quic_state_init(&st);
		CHECK_INT(fz_quic_client_datagram(&st, dgram, d, &h), FZ_DPI_MORE);
		CHECK_INT(st.initials, 1);
		fz_quic_state_free(&st);

		/*
		 * A UDP GSO super-packet: two segments, the first padded with
		 * zeros after its Initial. The second is read when it belongs
		 * to the same connection (version and DCID), not otherwise.
		 */
		for (int same = 1; same >= 0; same--) {
			d = 0;
			fn = put_crypto(frames, 0, hello, half);
			n = fz_quic_build_initial(vs[v].version, dcid_a, 8, scid, 5, 0, frames, fn,
						  0, dgram, sizeof(dgram));
			d += (size_t)n;
			memset(dgram + d, 0, 1200 - d);
			d = 1200;
			fn = put_crypto(frames, half, hello + half, hn - half);
			n = fz_quic_build_initial(vs[v].version, same ? dcid_a : dcid_b, 8, scid, 5,
						  1, frames, fn, 1200, dgram + d,
						  sizeof(dgram) - d);
			d += (size_t)n;
			fz_quic_state_init(&st);
			CHECK_INT(fz_quic_client_datagram(&st, dgram, d, &h),
				  same ? FZ_DPI_OK : FZ_DPI_MORE);
			CHECK_INT(st.initials, same ? 2 : 1);
			fz_quic_state_free(&st);
		}

		/* only a 0-RTT packet: not an Initial at all */
		d = fake_long(dgram, vs[v].version, vs[v].zero_rtt, 1200);
		fz_quic_state_init(&st);
		CHECK_INT(fz_quic_client_datagram(&st, dgram, d, &h), FZ_DPI_NOT);
		CHECK(!fz_quic_is_initial(dgram, d, &(uint32_t){0}));
		fz_quic_state_free(&st);
	}
}

/* Keys: the flow's first DCID, else the packet's own (after a Retry), kept when they work. */
static void test_dcid_change(void)
{
	uint8_t hello[900], frames[1000], pkt[3][1400];
	size_t hn = make_hello("new.dcid.example", 400, hello), third = hn / 3, fn;
	struct fz_quic_state st;
	struct fz_tls_hello h;
	int n[3];

	fn = put_crypto(frames, 0, hello, third);
	n[0] = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, sizeof(dcid_a), scid, 5, 0, frames, fn,
				     1200, pkt[0], sizeof(pkt[0]));
	fn = put_crypto(frames, third, hello + third, third);
	n[1] = fz_quic_build_initial(FZ_QUIC_V1, dcid_b, sizeof(dcid_b), scid, 5, 1, frames, fn,
				     1200, pkt[1], sizeof(pkt[1]));
	fn = put_crypto(frames, 2 * third, hello + 2 * third, hn - 2 * third);
	n[2] = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, sizeof(dcid_a), scid, 5, 2, frames, fn,
				     1200, pkt[2], sizeof(pkt[2]));

	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt[0], (size_t)n[0], &h), FZ_DPI_MORE);
	CHECK_INT(st.dcid_len, 8);
	CHECK_INT(fz_quic_client_datagram(&st, pkt[1], (size_t)n[1], &h), FZ_DPI_MORE);
	CHECK_INT(st.dcid_len, 12);
	CHECK(memcmp(st.dcid, dcid_b, 12) == 0);
	CHECK_INT(fz_quic_client_datagram(&st, pkt[2], (size_t)n[2], &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "new.dcid.example");
	CHECK_INT(st.initials, 3);
	fz_quic_state_free(&st);
}

/* Packets sealed with other keys than their header's DCID gives. */
static void test_wrong_keys(void)
{
	uint8_t hello[600], frames[700], pkt[1400];
	size_t hn = make_hello("wrong.keys.example", 10, hello), fn;
	struct fz_quic_state st;
	struct fz_tls_hello h;
	int n;

	fn = put_crypto(frames, 0, hello, hn);
	n = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, 8, scid, 5, 0, frames, fn, 1200, pkt,
				  sizeof(pkt));
	/* the DCID in the header rewritten: its keys are not the packet's */
	memcpy(pkt + 6, dcid_b, 8);
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_BAD);
	CHECK_INT(st.initials, 0);
	CHECK(!st.have_keys);
	fz_quic_state_free(&st);

	/* sealed as v1, labelled v2 (type bits moved to the v2 Initial's) */
	n = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, 8, scid, 5, 0, frames, fn, 1200, pkt,
				  sizeof(pkt));
	pkt[0] = (uint8_t)((pkt[0] & 0xcf) | 0x10);
	pkt[1] = 0x6b;
	pkt[2] = 0x33;
	pkt[3] = 0x43;
	pkt[4] = 0xcf;
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_BAD);
	fz_quic_state_free(&st);

	/* after a good Initial, a bad one does not spoil the flow */
	fn = put_crypto(frames, 0, hello, hn / 2);
	n = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, 8, scid, 5, 0, frames, fn, 1200, pkt,
				  sizeof(pkt));
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_MORE);
	pkt[n - 1] ^= 0xff;
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_MORE);
	CHECK_INT(st.initials, 1);
	fz_quic_state_free(&st);
}

/* Datagrams that are not QUIC Initials of a version we read. */
static void test_not_quic(void)
{
	static const uint8_t dns[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00,
				      0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 'w',
				      'w',  'w',  0x00, 0x00, 0x01, 0x00, 0x01};
	uint8_t pkt[1300];
	struct fz_quic_state st;
	struct fz_tls_hello h;
	uint32_t ver = 0x77;
	size_t n;

	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, dns, sizeof(dns), &h), FZ_DPI_NOT);
	CHECK_INT(fz_quic_client_datagram(&st, dns, 0, &h), FZ_DPI_NOT);
	CHECK(!fz_quic_is_initial(dns, sizeof(dns), &ver));
	CHECK_INT(ver, 0x77);

	/* an Initial of a version we do not read (draft-22, Google Q050) */
	n = read_hex_fixture("rfc9001-client-initial.hex", pkt, sizeof(pkt));
	pkt[1] = 0xff;
	pkt[2] = 0x00;
	pkt[3] = 0x00;
	pkt[4] = 0x16;
	CHECK_INT(fz_quic_client_datagram(&st, pkt, n, &h), FZ_DPI_NOT);
	CHECK(!fz_quic_is_initial(pkt, n, &ver));
	memcpy(pkt + 1, "Q050", 4);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, n, &h), FZ_DPI_NOT);
	/* a version we read but keys that do not fit (draft-28 label on a v1 packet) */
	pkt[1] = 0xff;
	pkt[2] = 0x00;
	pkt[3] = 0x00;
	pkt[4] = 0x1c;
	CHECK(fz_quic_is_initial(pkt, n, &ver));
	CHECK_INT(ver, 0xff00001c);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, n, &h), FZ_DPI_BAD);
	/* version negotiation (version 0) */
	memset(pkt + 1, 0, 4);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, n, &h), FZ_DPI_NOT);
	CHECK_INT(st.initials, 0);
	fz_quic_state_free(&st);

	/* a v1 Initial with a DCID over 20 bytes is not one */
	n = read_hex_fixture("rfc9001-client-initial.hex", pkt, sizeof(pkt));
	pkt[5] = 21;
	CHECK(!fz_quic_is_initial(pkt, n, &ver));
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, n, &h), FZ_DPI_NOT);
	fz_quic_state_free(&st);
}

/* A CRYPTO stream that is not a ClientHello. */
static void test_not_client_hello(void)
{
	static const uint8_t server_hello[] = {0x02, 0x00, 0x00, 0x06, 0x03,
					       0x03, 0x00, 0x00, 0x00, 0x00};
	uint8_t frames[100], pkt[1300];
	size_t fn = put_crypto(frames, 0, server_hello, sizeof(server_hello));
	struct fz_quic_state st;
	struct fz_tls_hello h;
	int n;

	n = fz_quic_build_initial(FZ_QUIC_V1, dcid_a, 8, NULL, 0, 0, frames, fn, 1200, pkt,
				  sizeof(pkt));
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, pkt, (size_t)n, &h), FZ_DPI_BAD);
	CHECK_INT(st.initials, 1);
	fz_quic_state_free(&st);
}

static unsigned char *read_captured(const char *name, size_t *len)
{
	char path[512];
	const char *dir = getenv("FZ_FIXTURES");

	snprintf(path, sizeof(path), "%s/nfq/captured/%s", dir ? dir : FZ_FIXTURES, name);
	return fz_test_read_file(path, len);
}

/* Initials captured from real clients (tests/fixtures/nfq/captured/README.md). */
static void test_captured(void)
{
	unsigned char *d[3];
	size_t n[3];
	struct fz_quic_state st;
	struct fz_tls_hello h;
	uint32_t ver = 0;

	/* Chromium 156: the ClientHello (1916 bytes, GREASE ECH) over two datagrams */
	d[0] = read_captured("chromium-quic.1.bin", &n[0]);
	d[1] = read_captured("chromium-quic.2.bin", &n[1]);
	d[2] = read_captured("chromium-quic.3.bin", &n[2]);
	CHECK(fz_quic_is_initial(d[0], n[0], &ver));
	CHECK_INT(ver, FZ_QUIC_V1);
	fz_quic_state_init(&st);
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_quic_client_datagram(&st, d[0], n[0], &h), FZ_DPI_MORE);
	CHECK_INT(fz_quic_client_datagram(&st, d[1], n[1], &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "quic-fraud.test");
	CHECK_STR(h.alpn, "h3");
	CHECK(h.ech);
	CHECK(h.quic_params);
	CHECK_INT(fz_reasm_contiguous(&st.crypto), 1916);
	/* .3 has the server's DCID in its header and the first DCID's keys */
	CHECK_INT(fz_quic_client_datagram(&st, d[2], n[2], &h), FZ_DPI_OK);
	CHECK_INT(st.initials, 3);
	CHECK_INT(st.dcid_len, 8);
	fz_quic_state_free(&st);

	/* the other order: the second datagram alone has no offset 0 */
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, d[1], n[1], &h), FZ_DPI_MORE);
	CHECK_INT(fz_quic_client_datagram(&st, d[0], n[0], &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "quic-fraud.test");
	fz_quic_state_free(&st);

	/* .3 alone: no Initial keys from its own DCID */
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, d[2], n[2], &h), FZ_DPI_BAD);
	CHECK_INT(st.initials, 0);
	fz_quic_state_free(&st);
	/* .1 then the retransmission .3: the rest of the stream is in .3 */
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, d[0], n[0], &h), FZ_DPI_MORE);
	CHECK_INT(fz_quic_client_datagram(&st, d[2], n[2], &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "quic-fraud.test");
	fz_quic_state_free(&st);
	for (int i = 0; i < 3; i++)
		free(d[i]);

	/*
	 * ngtcp2's gtlsclient: the whole ClientHello in one 1200-byte Initial
	 * with an 18-byte DCID. Given a numeric server address, this
	 * gtlsclient (0.12.1) ignores --sni and names "localhost"; given the
	 * name, it sends that.
	 */
	d[0] = read_captured("gtlsclient-quic.1.bin", &n[0]);
	CHECK_INT(n[0], 1200);
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, d[0], n[0], &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "localhost");
	CHECK_STR(h.alpn, "h3");
	CHECK(!h.ech);
	CHECK_INT(st.dcid_len, 18);
	fz_quic_state_free(&st);
	free(d[0]);
	d[0] = read_captured("gtlsclient-name-quic.1.bin", &n[0]);
	fz_quic_state_init(&st);
	CHECK_INT(fz_quic_client_datagram(&st, d[0], n[0], &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "quic-fraud.test");
	CHECK_STR(h.alpn, "h3");
	CHECK_INT(st.initials, 1);
	fz_quic_state_free(&st);
	free(d[0]);
}

static void *thread_keys(void *arg)
{
	struct fz_quic_keys *k = arg;

	if (fz_quic_initial_keys(FZ_QUIC_V1, rfc_dcid, 8, false, k) < 0)
		memset(k, 0, sizeof(*k));
	return NULL;
}

/* Other threads get their own libcrypto objects (freed at their exit). */
static void test_threads(void)
{
	struct fz_quic_keys k[4], want;
	pthread_t t[4];

	CHECK_INT(fz_quic_initial_keys(FZ_QUIC_V1, rfc_dcid, 8, false, &want), 0);
	for (int i = 0; i < 4; i++)
		CHECK_INT(pthread_create(&t[i], NULL, thread_keys, &k[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(memcmp(&k[i], &want, sizeof(want)) == 0);
	}
}

static void run_all(void)
{
	test_keys_rfc();
	test_rfc_initials();
	test_round_trip();
	test_split_three();
	test_out_of_order_one_packet();
	test_unknown_frame();
	test_t051_frames();
	test_coalesced();
	test_dcid_change();
	test_wrong_keys();
	test_not_quic();
	test_not_client_hello();
	test_captured();
	test_threads();
}

int main(void)
{
	/* fz_aesgcm's 512-bit path (VAES) and its 128-bit one (AES-NI) where the CPU has them ...
	 */
	printf("AES: %s\n", fz_aesgcm_wide() ? "fz_aesgcm (VAES, 512 bits)"
			    : fz_aesgcm_hw() ? "fz_aesgcm (AES-NI)"
					     : "libcrypto");
	run_all();
	if (fz_aesgcm_wide()) {
		fz_aesgcm_wide_set(false);
		printf("AES: fz_aesgcm (AES-NI)\n");
		run_all();
	}
	/* ... and libcrypto's EVP, which other CPUs and routers use: the same vectors */
	if (fz_aesgcm_hw()) {
		fz_aesgcm_hw_off();
		printf("AES: libcrypto\n");
		run_all();
	}
	return fz_test_done();
}
