/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: nfq/fz_quic.c on raw UDP payloads (fz_tls.c and
 * fz_reasm.c are compiled in). The first byte picks the shape of the rest:
 *  - below 0x80: the rest is one datagram;
 *  - otherwise a sequence of datagrams, each a 2-byte big-endian length
 *    and that many bytes (the last one takes what is left), read through
 *    one fz_quic_state, as a flow's packets are.
 * Checked: the status is one of the four; NOT only while nothing was ever
 * opened; Initials opened never go down; the state's DCID, version and
 * keys are consistent (keys only with an opened Initial, a version we
 * read); the CRYPTO stream stays within its cap; on OK the ClientHello's
 * name and ALPN are NUL-terminated within their bounds; a datagram
 * fz_quic_is_initial refuses and that holds no Initial of ours cannot turn
 * a fresh state to OK. The same sequence read again through a fresh state
 * gives the same statuses and the same stream (no dependence on anything
 * but the input).
 */
#include <string.h>

#include "fuzz_common.h"
#include "fz_quic.h"

#define MAX_DGRAMS 32

struct run {
	enum fz_dpi_status s[MAX_DGRAMS];
	uint32_t initials[MAX_DGRAMS];
	size_t n;
};

static void check_hello(const struct fz_tls_hello *h)
{
	FZ_FUZZ_CHECK(h->sni_len <= FZ_TLS_NAME_MAX);
	FZ_FUZZ_CHECK(h->has_sni ? strlen(h->sni) == h->sni_len : h->sni_len == 0);
	FZ_FUZZ_CHECK(h->alpn_len <= FZ_TLS_ALPN_MAX);
	FZ_FUZZ_CHECK(strlen(h->alpn) == h->alpn_len);
}

/* A version fz_quic reads: v1, v2, drafts 23-34, Google's T051. */
static bool known_version(uint32_t version)
{
	return version == FZ_QUIC_V1 || version == FZ_QUIC_V2 ||
	       (version >= 0xff000017 && version <= 0xff000022) || version == 0x54303531;
}

static void check_state(const struct fz_quic_state *st)
{
	FZ_FUZZ_CHECK(st->dcid_len <= FZ_QUIC_MAX_CID);
	FZ_FUZZ_CHECK(fz_reasm_contiguous(&st->crypto) <= FZ_QUIC_CRYPTO_MAX);
	FZ_FUZZ_CHECK(st->crypto.cap == FZ_QUIC_CRYPTO_MAX);
	FZ_FUZZ_CHECK(fz_reasm_bytes(&st->crypto) <= FZ_QUIC_CRYPTO_MAX);
	if (st->initials) {
		FZ_FUZZ_CHECK(st->have_keys);
		FZ_FUZZ_CHECK(known_version(st->version));
	} else {
		FZ_FUZZ_CHECK(!st->have_keys);
		FZ_FUZZ_CHECK(fz_reasm_contiguous(&st->crypto) == 0);
	}
}

/* The datagram boundaries of the input, into offs/lens; returns how many. */
static size_t split(const uint8_t *data, size_t size, size_t *offs, size_t *lens)
{
	size_t n = 0, i = 1;

	if (size == 0)
		return 0;
	if (data[0] < 0x80) {
		offs[0] = 1;
		lens[0] = size - 1;
		return 1;
	}
	while (i < size && n < MAX_DGRAMS) {
		size_t l = i + 2 <= size ? (size_t)(data[i] << 8 | data[i + 1]) : 0;

		i += 2;
		if (i > size)
			break;
		if (l > size - i || n == MAX_DGRAMS - 1)
			l = size - i;
		offs[n] = i;
		lens[n] = l;
		n++;
		i += l;
	}
	return n;
}

static void run_once(const uint8_t *data, const size_t *offs, const size_t *lens, size_t n,
		     struct run *r, uint8_t *stream_out, uint32_t *stream_len)
{
	struct fz_quic_state st;
	uint32_t prev = 0;

	fz_quic_state_init(&st);
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		struct fz_tls_hello h;
		uint32_t ver = 0;
		bool fresh = st.initials == 0;
		enum fz_dpi_status s;

		memset(&h, 0, sizeof(h));
		s = fz_quic_client_datagram(&st, data + offs[i], lens[i], &h);
		FZ_FUZZ_CHECK(s == FZ_DPI_OK || s == FZ_DPI_MORE || s == FZ_DPI_NOT ||
			      s == FZ_DPI_BAD);
		FZ_FUZZ_CHECK(st.initials >= prev);
		if (s == FZ_DPI_NOT)
			FZ_FUZZ_CHECK(st.initials == 0);
		if (s == FZ_DPI_MORE || s == FZ_DPI_OK)
			FZ_FUZZ_CHECK(st.initials > 0);
		if (s == FZ_DPI_OK)
			check_hello(&h);
		/* no Initial of ours at its start: a fresh flow stays unopened */
		if (fresh && !fz_quic_is_initial(data + offs[i], lens[i], &ver) && lens[i] > 0 &&
		    !(data[offs[i]] & 0x80))
			FZ_FUZZ_CHECK(s == FZ_DPI_NOT && st.initials == 0);
		check_state(&st);
		r->s[i] = s;
		r->initials[i] = st.initials;
		prev = st.initials;
	}
	*stream_len = fz_reasm_contiguous(&st.crypto);
	if (*stream_len)
		memcpy(stream_out, st.crypto.data, *stream_len);
	fz_quic_state_free(&st);
}

static uint8_t stream_a[FZ_QUIC_CRYPTO_MAX], stream_b[FZ_QUIC_CRYPTO_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t offs[MAX_DGRAMS], lens[MAX_DGRAMS], n;
	struct run a, b;
	uint32_t la, lb;

	if (size > 65536)
		return 0;
	n = split(data, size, offs, lens);
	run_once(data, offs, lens, n, &a, stream_a, &la);
	run_once(data, offs, lens, n, &b, stream_b, &lb);
	FZ_FUZZ_CHECK(a.n == b.n);
	for (size_t i = 0; i < a.n; i++)
		FZ_FUZZ_CHECK(a.s[i] == b.s[i] && a.initials[i] == b.initials[i]);
	FZ_FUZZ_CHECK(la == lb && memcmp(stream_a, stream_b, la) == 0);

	/* fz_quic_is_initial on the datagram and its prefixes never reads past them */
	for (size_t i = 0; i < n; i++) {
		uint32_t ver;

		for (size_t cut = 0; cut <= lens[i] && cut < 64; cut++)
			if (fz_quic_is_initial(data + offs[i], cut, &ver))
				FZ_FUZZ_CHECK(known_version(ver));
	}
	return 0;
}
