/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: nfq/fz_tls.c (compiled into the target), both entry points.
 * The input is taken as the bytes of a TCP connection (records) and as a
 * QUIC CRYPTO stream (bare handshake messages). Checks:
 *  - the result is one of the four statuses; the output is written only on
 *    OK; the SNI and ALPN are NUL-terminated, within their caps, their
 *    lengths equal strlen (no NUL inside a name);
 *  - an OK answer does not change when bytes are appended, and no prefix of
 *    an OK input is OK with another answer (a prefix is MORE or the same);
 *  - a hello the handshake reader accepts, wrapped into TLS records (cut in
 *    two when the input says so), reads the same through the record reader;
 *  - the peek reader agrees with the record reader, and a name it shows from
 *    an unfinished hello stays the same on shorter prefixes that show one.
 */
#include <string.h>

#include "fuzz_common.h"
#include "fz_tls.h"

typedef enum fz_dpi_status (*tls_fn)(const uint8_t *, size_t, struct fz_tls_hello *);

static uint8_t work[2 * (5 + 16384 + 2048) + 64];

static void check_hello(const struct fz_tls_hello *h)
{
	FZ_FUZZ_CHECK(h->sni_len <= FZ_TLS_NAME_MAX);
	FZ_FUZZ_CHECK(h->sni[h->sni_len] == '\0' && strlen(h->sni) == h->sni_len);
	FZ_FUZZ_CHECK(h->has_sni == (h->sni_len > 0));
	FZ_FUZZ_CHECK(h->alpn_len <= FZ_TLS_ALPN_MAX);
	FZ_FUZZ_CHECK(h->alpn[h->alpn_len] == '\0' && strlen(h->alpn) == h->alpn_len);
	FZ_FUZZ_CHECK(h->alpn_len == 0 || (h->alpn[0] != ',' && h->alpn[h->alpn_len - 1] != ','));
	FZ_FUZZ_CHECK((h->version >> 8) == 3);
}

static bool same(const struct fz_tls_hello *a, const struct fz_tls_hello *b)
{
	return a->has_sni == b->has_sni && strcmp(a->sni, b->sni) == 0 &&
	       strcmp(a->alpn, b->alpn) == 0 && a->ech == b->ech && a->esni == b->esni &&
	       a->quic_params == b->quic_params && a->version == b->version;
}

static enum fz_dpi_status run(tls_fn fn, const uint8_t *d, size_t n, struct fz_tls_hello *h)
{
	struct fz_tls_hello before;
	enum fz_dpi_status st;

	memset(h, 0xa5, sizeof(*h));
	before = *h;
	st = fn(d, n, h);
	FZ_FUZZ_CHECK(st == FZ_DPI_OK || st == FZ_DPI_MORE || st == FZ_DPI_NOT || st == FZ_DPI_BAD);
	if (st == FZ_DPI_OK)
		check_hello(h);
	else
		FZ_FUZZ_CHECK(memcmp(h, &before, sizeof(*h)) == 0);
	return st;
}

static void check_entry(tls_fn fn, const uint8_t *data, size_t size)
{
	struct fz_tls_hello h, p;
	size_t step;

	if (run(fn, data, size, &h) != FZ_DPI_OK)
		return;
	/* prefixes: all of a small input, a spread of a big one */
	step = size <= 600 ? 1 : size / 97 + 1;
	for (size_t cut = 0; cut < size; cut += (size - cut <= 8 ? 1 : step)) {
		enum fz_dpi_status st = run(fn, data, cut, &p);
		FZ_FUZZ_CHECK(st == FZ_DPI_MORE || (st == FZ_DPI_OK && same(&h, &p)));
	}
	/* appended bytes */
	if (size + 16 <= sizeof(work)) {
		memcpy(work, data, size);
		memset(work + size, 0x16, 16);
		FZ_FUZZ_CHECK(run(fn, work, size + 16, &p) == FZ_DPI_OK && same(&h, &p));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_tls_hello h, r;

	check_entry(fz_tls_client_hello_parse, data, size);
	check_entry(fz_tls_handshake_parse, data, size);

	/*
	 * The peek reader answers as the record reader does; on OK it reads the
	 * same hello, on MORE what it shows is well formed, and a name it shows
	 * is the one the whole hello would carry once it completes.
	 */
	{
		struct fz_tls_hello p, f;
		enum fz_dpi_status sp = fz_tls_client_hello_peek(data, size, &p);
		enum fz_dpi_status sf = fz_tls_client_hello_parse(data, size, &f);
		FZ_FUZZ_CHECK(sp == sf);
		if (sp == FZ_DPI_OK)
			FZ_FUZZ_CHECK(same(&p, &f));
		if (sp == FZ_DPI_MORE && p.has_sni) {
			FZ_FUZZ_CHECK(p.sni_len <= FZ_TLS_NAME_MAX && strlen(p.sni) == p.sni_len);
			for (size_t k = size; k > 0; k--) {
				struct fz_tls_hello q;
				if (fz_tls_client_hello_peek(data, k, &q) != FZ_DPI_MORE)
					break;
				if (!q.has_sni)
					break;
				FZ_FUZZ_CHECK(strcmp(q.sni, p.sni) == 0);
				if (k + 64 < size)
					break; /* a few prefixes are enough */
			}
		}
	}

	/* the handshake reader's hello in one or two records */
	if (size >= 4 && run(fz_tls_handshake_parse, data, size, &h) == FZ_DPI_OK) {
		size_t msg = 4 + ((size_t)data[1] << 16 | (size_t)data[2] << 8 | data[3]);
		size_t cut = msg / 2 + (size & 7), n = 0;

		FZ_FUZZ_CHECK(msg <= size && msg <= 4 + FZ_TLS_HELLO_MAX);
		if (cut == 0 || cut >= msg)
			cut = msg;
		for (size_t from = 0; from < msg;) {
			size_t to = from == 0 ? cut : msg;
			work[n++] = 22;
			work[n++] = 3;
			work[n++] = 1;
			work[n++] = (uint8_t)((to - from) >> 8);
			work[n++] = (uint8_t)(to - from);
			memcpy(work + n, data + from, to - from);
			n += to - from;
			from = to;
		}
		FZ_FUZZ_CHECK(run(fz_tls_client_hello_parse, work, n, &r) == FZ_DPI_OK);
		FZ_FUZZ_CHECK(same(&h, &r));
	}
	return 0;
}
