/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_tls: ClientHellos built here (SNI, ALPN, ECH, one hello over 1..3
 * records, every cut point), corrupted ones, other protocols, and the
 * hellos real clients sent (curl here on loopback; curl and Chromium from
 * the captured fixtures).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fz_test.h"
#include "fz_tls.h"

struct buf {
	uint8_t b[40000];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > sizeof(b->b))
		abort();
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put8(struct buf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;
	put(b, &c, 1);
}

static void put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put24(struct buf *b, size_t v)
{
	put8(b, (unsigned)(v >> 16));
	put16(b, (unsigned)(v & 0xffff));
}

static void set16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set24(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 16);
	set16(p + 1, v & 0xffff);
}

/* Extensions are appended to a buffer: type, length, data. */
static void ext(struct buf *e, unsigned type, const void *data, size_t n)
{
	put16(e, type);
	put16(e, (unsigned)n);
	put(e, data, n);
}

static void ext_sni(struct buf *e, const char *name, size_t len)
{
	struct buf d = {.n = 0};
	put16(&d, (unsigned)(len + 3));
	put8(&d, 0);
	put16(&d, (unsigned)len);
	put(&d, name, len);
	ext(e, 0, d.b, d.n);
}

/* ALPN from a NULL-terminated list. */
static void ext_alpn(struct buf *e, const char *const *protos)
{
	struct buf d = {.n = 2};
	for (; *protos; protos++) {
		put8(&d, (unsigned)strlen(*protos));
		put(&d, *protos, strlen(*protos));
	}
	set16(d.b, d.n - 2);
	ext(e, 16, d.b, d.n);
}

/* A handshake ClientHello message around the extension block `e` (NULL: no block at all). */
static void hello(struct buf *out, const struct buf *e)
{
	static const uint8_t suites[] = {0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2f};
	size_t body = 2 + 32 + 1 + 32 + 2 + sizeof(suites) + 2 + (e ? 2 + e->n : 0);

	out->n = 0;
	put8(out, 1);
	put24(out, body);
	put16(out, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(out, 0xa0 + i); /* random */
	put8(out, 32);
	for (int i = 0; i < 32; i++)
		put8(out, i); /* session id */
	put16(out, sizeof(suites));
	put(out, suites, sizeof(suites));
	put8(out, 1);
	put8(out, 0);
	if (e) {
		put16(out, (unsigned)e->n);
		put(out, e->b, e->n);
	}
}

/* The handshake bytes in records, cut at the offsets in cuts[] (ascending). */
static void records(struct buf *out, const struct buf *hs, const size_t *cuts, size_t n_cuts)
{
	size_t from = 0;

	out->n = 0;
	for (size_t i = 0; i <= n_cuts; i++) {
		size_t to = i < n_cuts ? cuts[i] : hs->n;
		put8(out, 22);
		put16(out, i == 0 ? 0x0301 : 0x0303);
		put16(out, (unsigned)(to - from));
		put(out, hs->b + from, to - from);
		from = to;
	}
}

static const char *const alpn_h2[] = {"h2", "http/1.1", NULL};

/* A typical hello: GREASE, SNI, ALPN, supported_versions, ECH, padding. */
static void typical_exts(struct buf *e, const char *sni)
{
	static const uint8_t grease[] = {0};
	static const uint8_t versions[] = {4, 0x03, 0x04, 0x03, 0x03};
	uint8_t ech[90];

	e->n = 0;
	ext(e, 0x0a0a, grease, 0);
	ext_sni(e, sni, strlen(sni));
	ext(e, 23, grease, 0);
	ext_alpn(e, alpn_h2);
	ext(e, 43, versions, sizeof(versions));
	memset(ech, 0x42, sizeof(ech));
	ech[0] = 0; /* outer */
	ext(e, FZ_TLS_EXT_ECH, ech, sizeof(ech));
	ext(e, 0x3a3a, grease, 1);
}

static void test_typical(void)
{
	struct buf e, hs, rec;
	struct fz_tls_hello h;

	typical_exts(&e, "Fraud.Example");
	hello(&hs, &e);
	records(&rec, &hs, NULL, 0);
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_OK);
	CHECK(h.has_sni);
	CHECK_STR(h.sni, "Fraud.Example"); /* as sent */
	CHECK_INT(h.sni_len, 13);
	CHECK_STR(h.alpn, "h2,http/1.1");
	CHECK_INT(h.alpn_len, 11);
	CHECK(h.ech);
	CHECK(!h.esni);
	CHECK(!h.quic_params);
	CHECK_INT(h.version, 0x0303);

	/* the bare handshake message (QUIC CRYPTO stream) reads the same */
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_handshake_parse(hs.b, hs.n, &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "Fraud.Example");
	CHECK_STR(h.alpn, "h2,http/1.1");
	/* records are not handshake messages, and the other way round */
	CHECK_INT(fz_tls_handshake_parse(rec.b, rec.n, &h), FZ_DPI_NOT);
	CHECK_INT(fz_tls_client_hello_parse(hs.b, hs.n, &h), FZ_DPI_NOT);

	/* what follows the hello (CCS, early data) does not matter */
	static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 2, 9, 9};
	put(&rec, ccs, sizeof(ccs));
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "Fraud.Example");
	put(&hs, "\x02\x00\x00", 3);
	CHECK_INT(fz_tls_handshake_parse(hs.b, hs.n, &h), FZ_DPI_OK);
}

/* Every prefix of `b` is MORE and leaves the output alone; the whole is OK with `sni`. */
static void check_prefixes(const struct buf *b, bool records_form, const char *sni)
{
	struct fz_tls_hello h;
	size_t wrong = 0;

	for (size_t cut = 0; cut < b->n; cut++) {
		memset(&h, 0x77, sizeof(h));
		enum fz_dpi_status st = records_form ? fz_tls_client_hello_parse(b->b, cut, &h)
						     : fz_tls_handshake_parse(b->b, cut, &h);
		if (st != FZ_DPI_MORE || h.sni[0] != 0x77) {
			if (!wrong)
				fprintf(stderr, "prefix %zu of %zu: status %d\n", cut, b->n, st);
			wrong++;
		}
	}
	CHECK_INT(wrong, 0);
	memset(&h, 0, sizeof(h));
	CHECK_INT(records_form ? fz_tls_client_hello_parse(b->b, b->n, &h)
			       : fz_tls_handshake_parse(b->b, b->n, &h),
		  FZ_DPI_OK);
	CHECK_STR(h.sni, sni);
}

static void test_prefixes_and_records(void)
{
	struct buf e, hs, rec;
	struct fz_tls_hello h;

	typical_exts(&e, "fraud.example");
	hello(&hs, &e);
	records(&rec, &hs, NULL, 0);
	check_prefixes(&rec, true, "fraud.example");
	check_prefixes(&hs, false, "fraud.example");

	/* two records, cut anywhere (inside the handshake header too) */
	size_t bad = 0;
	for (size_t c = 1; c < hs.n; c++) {
		records(&rec, &hs, &c, 1);
		memset(&h, 0, sizeof(h));
		if (fz_tls_client_hello_parse(rec.b, rec.n, &h) != FZ_DPI_OK ||
		    strcmp(h.sni, "fraud.example") != 0 || strcmp(h.alpn, "h2,http/1.1") != 0)
			bad++;
	}
	CHECK_INT(bad, 0);
	size_t two[] = {2};
	records(&rec, &hs, two, 1);
	check_prefixes(&rec, true, "fraud.example");

	/* three records, the SNI cut in the middle, and every prefix */
	size_t three[] = {60, 130};
	records(&rec, &hs, three, 2);
	check_prefixes(&rec, true, "fraud.example");
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_OK);
	CHECK(h.ech);
	CHECK_STR(h.alpn, "h2,http/1.1");

	/* one record per byte */
	size_t cuts[400];
	CHECK(hs.n < 400);
	for (size_t i = 0; i + 1 < hs.n; i++)
		cuts[i] = i + 1;
	records(&rec, &hs, cuts, hs.n - 1);
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_OK);
	CHECK_STR(h.sni, "fraud.example");

	/* a long hello (Chromium-sized key shares) over records of 1000 bytes */
	struct buf big;
	static uint8_t share[1500];
	typical_exts(&big, "big.example");
	memset(share, 0x33, sizeof(share));
	ext(&big, 51, share, sizeof(share));
	hello(&hs, &big);
	size_t k[] = {1000};
	records(&rec, &hs, k, 1);
	check_prefixes(&rec, true, "big.example");
}

static void test_not_tls(void)
{
	struct fz_tls_hello h;
	struct buf e, hs, rec;
	static const struct {
		const char *b;
		size_t n;
	} nots[] = {
	    {"GET / HTTP/1.1\r\n", 16},
	    {"\x17\x03\x03\x00\x10", 5},	 /* application data */
	    {"\x15\x03\x03\x00\x02\x02\x28", 7}, /* alert */
	    {"\x16\x02", 2},			 /* SSL 2 version */
	    {"\x80\x2e\x01\x03\x01", 5},	 /* SSLv2-compatible hello */
	    {"\x16\x03\x03\x00\x30\x02", 6},	 /* a ServerHello */
	    {"\x16\x03\x03\x00\x30\x0b\x00", 7}, /* a Certificate */
	    {"SSH-2.0-OpenSSH_9.6\r\n", 21},
	};
	for (size_t i = 0; i < sizeof(nots) / sizeof(nots[0]); i++) {
		CHECK_INT(fz_tls_client_hello_parse((const uint8_t *)nots[i].b, nots[i].n, &h),
			  FZ_DPI_NOT);
		CHECK_INT(fz_tls_client_hello_parse((const uint8_t *)nots[i].b, 1, &h),
			  nots[i].b[0] == 0x16 ? FZ_DPI_MORE : FZ_DPI_NOT);
	}
	/* the first bytes of a record header that could be TLS */
	CHECK_INT(fz_tls_client_hello_parse((const uint8_t *)"\x16", 1, &h), FZ_DPI_MORE);
	CHECK_INT(fz_tls_client_hello_parse((const uint8_t *)"\x16\x03", 2, &h), FZ_DPI_MORE);
	CHECK_INT(fz_tls_client_hello_parse((const uint8_t *)"\x16\x03\x01", 3, &h), FZ_DPI_MORE);
	CHECK_INT(fz_tls_client_hello_parse((const uint8_t *)"\x16\x03\x01\x02", 4, &h),
		  FZ_DPI_MORE);
	CHECK_INT(fz_tls_client_hello_parse((const uint8_t *)"\x16\x03\x00\x02\x00", 5, &h),
		  FZ_DPI_MORE);
	CHECK_INT(fz_tls_client_hello_parse((const uint8_t *)"", 0, &h), FZ_DPI_MORE);
	CHECK_INT(fz_tls_client_hello_parse(NULL, 0, &h), FZ_DPI_MORE);
	CHECK_INT(fz_tls_handshake_parse(NULL, 0, &h), FZ_DPI_MORE);
	/* handshake streams: only a ClientHello */
	CHECK_INT(fz_tls_handshake_parse((const uint8_t *)"\x02\x00\x00\x10", 4, &h), FZ_DPI_NOT);
	CHECK_INT(fz_tls_handshake_parse((const uint8_t *)"\x01\x00", 2, &h), FZ_DPI_MORE);

	/* a ServerHello in records of the right shape is not a ClientHello */
	typical_exts(&e, "x.example");
	hello(&hs, &e);
	hs.b[0] = 2;
	records(&rec, &hs, NULL, 0);
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_NOT);
}

/* Parse the records of `hs` after `edit`; returns the status. */
static enum fz_dpi_status parse_hs(const struct buf *hs)
{
	struct buf rec;
	struct fz_tls_hello h;

	records(&rec, hs, NULL, 0);
	return fz_tls_client_hello_parse(rec.b, rec.n, &h);
}

static void test_bad(void)
{
	struct buf e, hs, rec, b;
	struct fz_tls_hello h;
	size_t ext_at;

	typical_exts(&e, "fraud.example");
	hello(&hs, &e);
	ext_at = hs.n - e.n - 2; /* the extension block's length */
	CHECK_INT(parse_hs(&hs), FZ_DPI_OK);

	/* the handshake length one more or one less than the fields */
	b = hs;
	set24(b.b + 1, hs.n - 4 + 1);
	CHECK_INT(fz_tls_handshake_parse(b.b, b.n, &h), FZ_DPI_BAD);
	put8(&b, 0);
	CHECK_INT(fz_tls_handshake_parse(b.b, b.n, &h), FZ_DPI_BAD);
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	b = hs;
	set24(b.b + 1, hs.n - 4 - 1);
	CHECK_INT(fz_tls_handshake_parse(b.b, b.n, &h), FZ_DPI_BAD);
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	/* a hello cut short, its handshake length saying so: more may come */
	b = hs;
	set24(b.b + 1, hs.n - 4 + 10);
	set16(b.b + ext_at, e.n + 10);
	CHECK_INT(fz_tls_handshake_parse(b.b, b.n, &h), FZ_DPI_MORE);
	CHECK_INT(parse_hs(&b), FZ_DPI_MORE);
	/* the extension block length off by one either way */
	b = hs;
	set16(b.b + ext_at, e.n + 1);
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	set16(b.b + ext_at, e.n - 1);
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	/* ... found before the hello is complete */
	records(&rec, &b, NULL, 0);
	CHECK_INT(fz_tls_client_hello_parse(rec.b, 5 + ext_at + 2, &h), FZ_DPI_BAD);
	/* session id over 32; odd or empty cipher suites; no compression method */
	b = hs;
	b.b[4 + 34] = 33;
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	b = hs;
	b.b[4 + 35 + 32 + 1] = 7;
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	b = hs;
	b.b[4 + 35 + 32 + 1] = 0;
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	b = hs;
	b.b[4 + 35 + 32 + 2 + 8] = 0;
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	/* legacy_version not 3.x */
	b = hs;
	b.b[4] = 2;
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	/* the handshake message over the cap */
	b = hs;
	b.b[1] = 1;
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);
	CHECK_INT(fz_tls_handshake_parse(b.b, 4, &h), FZ_DPI_BAD);

	/* record lengths: 0, over 2^14 + 2048 */
	records(&rec, &hs, NULL, 0);
	set16(rec.b + 3, 0);
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_BAD);
	set16(rec.b + 3, 16384 + 2049);
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_BAD);
	/* a second record that is not a handshake record, before the hello ends */
	size_t cut = 100;
	records(&rec, &hs, &cut, 1);
	rec.b[5 + 100] = 23;
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_BAD);
	CHECK_INT(fz_tls_client_hello_parse(rec.b, 5 + 100 + 1, &h), FZ_DPI_BAD);
	CHECK_INT(fz_tls_client_hello_parse(rec.b, 5 + 100, &h), FZ_DPI_MORE);
	rec.b[5 + 100] = 22;
	rec.b[5 + 100 + 1] = 9; /* a second record that is not TLS 3.x */
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_BAD);

	/* an extension running past the block */
	b = hs;
	set16(b.b + ext_at + 2 + 2, 0x100);
	CHECK_INT(parse_hs(&b), FZ_DPI_BAD);

	/* SNI: a NUL inside, 256 bytes, empty, two extensions, two names, list length wrong */
	e.n = 0;
	ext_sni(&e, "evil.example\0.ok.example", 24);
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name));
	e.n = 0;
	ext_sni(&e, long_name, 256);
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	e.n = 0;
	ext_sni(&e, long_name, 255);
	hello(&hs, &e);
	memset(&h, 0, sizeof(h));
	records(&rec, &hs, NULL, 0);
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_OK);
	CHECK_INT(h.sni_len, 255);
	CHECK_INT(strlen(h.sni), 255);
	e.n = 0;
	ext_sni(&e, "", 0);
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	e.n = 0;
	ext_sni(&e, "a.example", 9);
	ext_sni(&e, "b.example", 9);
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	/* one extension, two host_name entries */
	b.n = 0;
	put16(&b, 2 * (3 + 9));
	for (int i = 0; i < 2; i++) {
		put8(&b, 0);
		put16(&b, 9);
		put(&b, i ? "b.example" : "a.example", 9);
	}
	e.n = 0;
	ext(&e, 0, b.b, b.n);
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	/* a host_name entry cut inside its header or its name */
	static const uint8_t cut_hdr[] = {0, 2, 0, 0};
	static const uint8_t cut_name[] = {0, 5, 0, 0, 9, 'a', 'b'};
	e.n = 0;
	ext(&e, 0, cut_hdr, sizeof(cut_hdr));
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	e.n = 0;
	ext(&e, 0, cut_name, sizeof(cut_name));
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	/* two ALPN extensions */
	e.n = 0;
	ext_alpn(&e, alpn_h2);
	ext_alpn(&e, alpn_h2);
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	/* list length that disagrees with the extension */
	b.b[1]--;
	e.n = 0;
	ext(&e, 0, b.b, b.n);
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);

	/* ALPN: an empty protocol name, an empty list, a name running past the list */
	static const uint8_t alpn_empty_name[] = {0, 4, 2, 'h', '2', 0};
	static const uint8_t alpn_empty[] = {0, 0};
	static const uint8_t alpn_over[] = {0, 3, 5, 'h', '2'};
	e.n = 0;
	ext(&e, 16, alpn_empty_name, sizeof(alpn_empty_name));
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	e.n = 0;
	ext(&e, 16, alpn_empty, sizeof(alpn_empty));
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
	e.n = 0;
	ext(&e, 16, alpn_over, sizeof(alpn_over));
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_BAD);
}

static void test_shapes(void)
{
	struct buf e, hs, rec, d;
	struct fz_tls_hello h;

	/* no extensions at all */
	hello(&hs, NULL);
	records(&rec, &hs, NULL, 0);
	memset(&h, 0x55, sizeof(h));
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_OK);
	CHECK(!h.has_sni && !h.ech && h.alpn_len == 0 && h.sni_len == 0);
	CHECK_STR(h.sni, "");
	CHECK_STR(h.alpn, "");
	/* an empty extension block */
	e.n = 0;
	hello(&hs, &e);
	CHECK_INT(parse_hs(&hs), FZ_DPI_OK);

	/* a name type other than host_name is skipped; the host_name after it is read */
	d.n = 0;
	put16(&d, 3 + 4 + 3 + 9);
	put8(&d, 7);
	put16(&d, 4);
	put(&d, "\0\0\0\0", 4);
	put8(&d, 0);
	put16(&d, 9);
	put(&d, "b.example", 9);
	e.n = 0;
	ext(&e, 0, d.b, d.n);
	static const uint8_t esni[] = {1, 2, 3};
	ext(&e, 0xffce, esni, sizeof(esni));
	ext(&e, 0x39, esni, sizeof(esni));
	hello(&hs, &e);
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_handshake_parse(hs.b, hs.n, &h), FZ_DPI_OK);
	CHECK(h.has_sni);
	CHECK_STR(h.sni, "b.example");
	CHECK(h.esni);
	CHECK(h.quic_params);
	CHECK(!h.ech);
	/* the draft QUIC parameters codepoint; no SNI, ALPN h3 */
	static const char *const h3[] = {"h3", NULL};
	e.n = 0;
	ext(&e, 0xffa5, esni, sizeof(esni));
	ext_alpn(&e, h3);
	hello(&hs, &e);
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_handshake_parse(hs.b, hs.n, &h), FZ_DPI_OK);
	CHECK(h.quic_params && !h.has_sni);
	CHECK_STR(h.alpn, "h3");
	/* an empty server_name extension names nothing */
	e.n = 0;
	ext(&e, 0, "", 0);
	hello(&hs, &e);
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_handshake_parse(hs.b, hs.n, &h), FZ_DPI_OK);
	CHECK(!h.has_sni);

	/* ALPN longer than the cap: whole names only, never past the cap */
	const char *many[40];
	char names[40][20];
	for (int i = 0; i < 39; i++) {
		snprintf(names[i], sizeof(names[i]), "proto-%02d-xxxxxxx", i);
		many[i] = names[i];
	}
	many[39] = NULL;
	e.n = 0;
	ext_alpn(&e, many);
	hello(&hs, &e);
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_handshake_parse(hs.b, hs.n, &h), FZ_DPI_OK);
	CHECK(h.alpn_len <= FZ_TLS_ALPN_MAX);
	CHECK_INT(strlen(h.alpn), h.alpn_len);
	CHECK_INT(h.alpn_len, 7 * 16 + 6); /* 7 names of 16 and their commas */
	CHECK(strncmp(h.alpn, "proto-00-xxxxxxx,proto-01", 25) == 0);
	CHECK(h.alpn[h.alpn_len - 1] == 'x');
	/* unprintable protocol bytes are shown as '?' */
	static const uint8_t odd[] = {0, 7, 3, 'a', 0, 0xff, 2, ',', 'b'};
	e.n = 0;
	ext(&e, 16, odd, sizeof(odd));
	hello(&hs, &e);
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_handshake_parse(hs.b, hs.n, &h), FZ_DPI_OK);
	CHECK_STR(h.alpn, "a??,?b");

	/* any 3.x record version is accepted: servers ignore it */
	typical_exts(&e, "v.example");
	hello(&hs, &e);
	records(&rec, &hs, NULL, 0);
	rec.b[2] = 0;
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_OK);
	rec.b[2] = 4;
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_OK);
	rec.b[2] = 0x7f;
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_OK);
	rec.b[1] = 2;
	CHECK_INT(fz_tls_client_hello_parse(rec.b, rec.n, &h), FZ_DPI_NOT);
}

static void check_fixture(const char *rel, const char *sni, const char *alpn, bool ech)
{
	char path[512];
	size_t n;
	unsigned char *b;
	struct fz_tls_hello h;
	size_t wrong = 0;

	snprintf(path, sizeof(path), "%s/%s",
		 getenv("FZ_FIXTURES") ? getenv("FZ_FIXTURES") : FZ_FIXTURES, rel);
	b = fz_test_read_file(path, &n);
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_client_hello_parse(b, n, &h), FZ_DPI_OK);
	CHECK(h.has_sni);
	CHECK_STR(h.sni, sni);
	CHECK_STR(h.alpn, alpn);
	CHECK_INT(h.ech, ech);
	CHECK(!h.quic_params);
	for (size_t i = 0; i < n; i++)
		wrong += fz_tls_client_hello_parse(b, i, &h) != FZ_DPI_MORE;
	CHECK_INT(wrong, 0);
	/* the bare handshake message inside the record */
	memset(&h, 0, sizeof(h));
	CHECK_INT(fz_tls_handshake_parse(b + 5, n - 5, &h), FZ_DPI_OK);
	CHECK_STR(h.sni, sni);
	free(b);
}

static void test_real_clients(void)
{
	/* curl 7.88.1 / OpenSSL 3.0 on loopback (tests/fixtures/nfq/hand/README.md) */
	check_fixture("nfq/hand/curl-clienthello.bin", "fraud.example", "h2,http/1.1", false);
	/* from the namespace lab (tests/fixtures/nfq/captured/README.md) */
	check_fixture("nfq/captured/curl-clienthello.bin", "fraud.test", "h2,http/1.1", false);
	check_fixture("nfq/captured/chromium-clienthello.bin", "fraud.test", "h2,http/1.1", true);
}

int main(void)
{
	test_typical();
	test_prefixes_and_records();
	test_not_tls();
	test_bad();
	test_shapes();
	test_real_clients();
	return fz_test_done();
}
