/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_minisign_verify() against files made by Debian's minisign 0.11
 * (tests/fixtures/minisign: key.pub, data.txt signed prehashed and legacy),
 * and against every way we can think of to spoil them.
 *
 * How the fixtures were made (the secret key was thrown away; other.pub is
 * a second key made the same way):
 *   minisign -G -W -p key.pub -s key.sec
 *   minisign -S -s key.sec -m data.txt -t 'fangzha test fixture, prehashed'
 *   minisign -S -l -s key.sec -m data.txt -x data.txt.legacy.minisig \
 *            -t 'fangzha test fixture, legacy'
 */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

#include "fz_minisign.h"
#include "fz_test.h"

#define FIX(name) FZ_FIXTURES "/minisign/" name

static char *pubkey_file, *other_file; /* whole .pub files */
static char pubkey[128], other[128];   /* their base64 lines */
static uint8_t *data;
static size_t data_len;

static char *read_text(const char *path)
{
	size_t n;
	unsigned char *b = fz_test_read_file(path, &n);
	char *s = realloc(b, n + 1);

	if (!s)
		exit(2);
	s[n] = '\0';
	return s;
}

/* The second line of a .pub file. */
static void key_line(const char *file, char out[128])
{
	const char *p = strchr(file, '\n');
	size_t n;

	if (!p)
		exit(2);
	p++;
	n = strcspn(p, "\r\n");
	if (n >= 128)
		exit(2);
	memcpy(out, p, n);
	out[n] = '\0';
}

/* A .minisig file taken apart: line 1, the decoded blocks, the comment. */
struct sigfile {
	char untrusted[256];
	uint8_t sig[74];
	char trusted[2048];
	uint8_t global[64];
};

static int b64dec(const char *s, size_t len, uint8_t *out, size_t want)
{
	uint8_t tmp[256];
	int n;

	if (len > 300)
		return -1;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
	/* EVP_DecodeBlock counts padding as zero bytes: drop them. */
	while (n > 0 && len && s[len - 1] == '=') {
		n--;
		len--;
	}
	if (n != (int)want)
		return -1;
	memcpy(out, tmp, want);
	return 0;
}

static void b64enc(const uint8_t *in, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static void sig_split(const char *path, struct sigfile *f)
{
	char *t = read_text(path), *l[4], *save = NULL;
	int i = 0;

	for (char *p = strtok_r(t, "\n", &save); p && i < 4; p = strtok_r(NULL, "\n", &save))
		l[i++] = p;
	if (i != 4 || strlen(l[0]) >= sizeof(f->untrusted) ||
	    strncmp(l[2], "trusted comment: ", 17) != 0 ||
	    strlen(l[2] + 17) >= sizeof(f->trusted) ||
	    b64dec(l[1], strlen(l[1]), f->sig, sizeof(f->sig)) ||
	    b64dec(l[3], strlen(l[3]), f->global, sizeof(f->global))) {
		fprintf(stderr, "cannot take %s apart\n", path);
		exit(2);
	}
	strcpy(f->untrusted, l[0]);
	strcpy(f->trusted, l[2] + 17);
	free(t);
}

/* Put a .minisig file together again (eol: "\n" or "\r\n"). */
static size_t sig_join(const struct sigfile *f, const char *eol, char *out, size_t cap)
{
	char s[160], g[160];
	int n;

	b64enc(f->sig, sizeof(f->sig), s);
	b64enc(f->global, sizeof(f->global), g);
	n = snprintf(out, cap, "%s%s%s%strusted comment: %s%s%s%s", f->untrusted, eol, s, eol,
		     f->trusted, eol, g, eol);
	if (n < 0 || (size_t)n >= cap)
		exit(2);
	return (size_t)n;
}

static int verify_buf(const char *key, const void *sig, size_t siglen, char *err, size_t errlen)
{
	return fz_minisign_verify(key, sig, siglen, data, data_len, err, errlen);
}

/* Expect -EBADMSG with `why` somewhere in the reason. */
static void check_bad(const char *key, const void *sig, size_t siglen, const uint8_t *d,
		      size_t dlen, const char *why, int line)
{
	char err[256];
	int r;

	memset(err, 'x', sizeof(err));
	r = fz_minisign_verify(key, sig, siglen, d, dlen, err, sizeof(err));
	CHECK_INT(r, -EBADMSG);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (!memchr(err, '\0', sizeof(err)))
		return;
	CHECK(err[0] != '\0');
	CHECK(strstr(err, why) != NULL);
	if (r != -EBADMSG || !strstr(err, why))
		fprintf(stderr, "  (line %d) got %d \"%s\", wanted \"%s\"\n", line, r, err, why);
}
#define BAD(key, sig, siglen, why) check_bad(key, sig, siglen, data, data_len, why, __LINE__)

static void test_good(void)
{
	const char *files[] = {FIX("data.txt.minisig"), FIX("data.txt.legacy.minisig")};

	for (size_t i = 0; i < 2; i++) {
		size_t n;
		unsigned char *s = fz_test_read_file(files[i], &n);
		char err[256] = "unchanged";

		CHECK_INT(verify_buf(pubkey, s, n, err, sizeof(err)), 0);
		CHECK_STR(err, "");
		/* The whole .pub file does as well as its key line. */
		CHECK_INT(verify_buf(pubkey_file, s, n, NULL, 0), 0);
		/* So does a key line with blanks and a newline around it. */
		char padded[160];
		snprintf(padded, sizeof(padded), "  %s \n", pubkey);
		CHECK_INT(verify_buf(padded, s, n, NULL, 0), 0);
		/* Without the final newline. */
		CHECK_INT(verify_buf(pubkey, s, n - 1, NULL, 0), 0);
		/* Anything after the fourth line is ignored, as minisign does. */
		unsigned char *more = malloc(n + 20);
		memcpy(more, s, n);
		memcpy(more + n, "extra line\n", 11);
		CHECK_INT(verify_buf(pubkey, more, n + 11, NULL, 0), 0);
		free(more);
		free(s);
	}
	/* The two fixtures really are of the two kinds. */
	struct sigfile a, b;
	sig_split(FIX("data.txt.minisig"), &a);
	sig_split(FIX("data.txt.legacy.minisig"), &b);
	CHECK(a.sig[0] == 'E' && a.sig[1] == 'D');
	CHECK(b.sig[0] == 'E' && b.sig[1] == 'd');
}

static void test_crlf(void)
{
	struct sigfile f;
	char buf[4096];
	size_t n;

	sig_split(FIX("data.txt.minisig"), &f);
	n = sig_join(&f, "\r\n", buf, sizeof(buf));
	CHECK_INT(verify_buf(pubkey, buf, n, NULL, 0), 0);
	/* Our own join gives back the file minisign wrote. */
	size_t fl;
	unsigned char *orig = fz_test_read_file(FIX("data.txt.minisig"), &fl);
	n = sig_join(&f, "\n", buf, sizeof(buf));
	CHECK(n == fl && memcmp(buf, orig, n) == 0);
	free(orig);
}

static void test_data_changed(void)
{
	const char *files[] = {FIX("data.txt.minisig"), FIX("data.txt.legacy.minisig")};

	for (size_t i = 0; i < 2; i++) {
		size_t n;
		unsigned char *s = fz_test_read_file(files[i], &n);
		uint8_t *d = malloc(data_len + 1);

		memcpy(d, data, data_len);
		d[0] ^= 0x20; /* one letter's case */
		check_bad(pubkey, s, n, d, data_len, "bad signature", __LINE__);
		d[0] ^= 0x20;
		d[data_len] = '\n';
		check_bad(pubkey, s, n, d, data_len + 1, "bad signature", __LINE__);
		check_bad(pubkey, s, n, d, data_len - 1, "bad signature", __LINE__);
		check_bad(pubkey, s, n, d, 0, "bad signature", __LINE__);
		check_bad(pubkey, s, n, NULL, 0, "bad signature", __LINE__);
		/* The untrusted comment is not signed: changing it changes nothing. */
		struct sigfile f;
		char buf[4096];
		size_t bl;
		sig_split(files[i], &f);
		strcpy(f.untrusted, "untrusted comment: anything at all");
		bl = sig_join(&f, "\n", buf, sizeof(buf));
		CHECK_INT(verify_buf(pubkey, buf, bl, NULL, 0), 0);
		free(d);
		free(s);
	}
}

static void test_wrong_key(void)
{
	size_t n;
	unsigned char *s = fz_test_read_file(FIX("data.txt.minisig"), &n);
	uint8_t pk[42], opk[42];
	char forged[80];

	/* A different key: its id differs, said with both ids as minisign prints them. */
	BAD(other, s, n,
	    "signed by key F05657178E4528CE, not by the configured key B57C44C4F49023F4");
	BAD(other_file, s, n, "signed by key F05657178E4528CE");

	/* The other key's Ed25519 bytes under our key id: the id matches, the signature does not.
	 */
	CHECK_INT(b64dec(pubkey, strlen(pubkey), pk, 42), 0);
	CHECK_INT(b64dec(other, strlen(other), opk, 42), 0);
	memcpy(opk + 2, pk + 2, 8);
	b64enc(opk, 42, forged);
	BAD(forged, s, n, "bad signature");

	/* A key that is not an Ed25519 minisign key. */
	pk[1] = 'X';
	b64enc(pk, 42, forged);
	BAD(forged, s, n, "not Ed25519");
	/* A key of the wrong length. */
	b64enc(pk, 39, forged);
	BAD(forged, s, n, "public key is not the base64");
	BAD("", s, n, "public key is empty");
	BAD("untrusted comment: only a comment\n", s, n, "public key is empty");
	BAD(NULL, s, n, "no public key");
	char two[300];
	snprintf(two, sizeof(two), "%s\n%s\n", pubkey, other);
	BAD(two, s, n, "more than one key line");
	char *huge = malloc(10000);
	memset(huge, 'A', 9999);
	huge[9999] = '\0';
	BAD(huge, s, n, "longer than");
	free(huge);
	free(s);
}

static void test_tampered(void)
{
	const char *files[] = {FIX("data.txt.minisig"), FIX("data.txt.legacy.minisig")};

	for (size_t i = 0; i < 2; i++) {
		struct sigfile f, g;
		char buf[4096];
		size_t n;

		sig_split(files[i], &f);

		/* The trusted comment: one letter, one more byte, one less. */
		g = f;
		g.trusted[0] ^= 1;
		n = sig_join(&g, "\n", buf, sizeof(buf));
		BAD(pubkey, buf, n, "bad global signature");
		g = f;
		strcat(g.trusted, " ");
		n = sig_join(&g, "\n", buf, sizeof(buf));
		BAD(pubkey, buf, n, "bad global signature");
		g = f;
		g.trusted[strlen(g.trusted) - 1] = '\0';
		n = sig_join(&g, "\n", buf, sizeof(buf));
		BAD(pubkey, buf, n, "bad global signature");

		/* Every byte of the signature, one bit each. */
		for (size_t b = 10; b < 74; b++) {
			g = f;
			g.sig[b] ^= (uint8_t)(1u << (b % 8));
			n = sig_join(&g, "\n", buf, sizeof(buf));
			BAD(pubkey, buf, n, "bad signature");
		}
		/* Every byte of the global signature. */
		for (size_t b = 0; b < 64; b++) {
			g = f;
			g.global[b] ^= 0x80;
			n = sig_join(&g, "\n", buf, sizeof(buf));
			BAD(pubkey, buf, n, "bad global signature");
		}
		/* The other mode's algorithm on this signature. */
		g = f;
		g.sig[1] = g.sig[1] == 'D' ? 'd' : 'D';
		n = sig_join(&g, "\n", buf, sizeof(buf));
		BAD(pubkey, buf, n, "bad signature");
		/* An unknown algorithm. */
		g = f;
		g.sig[0] = 'X';
		n = sig_join(&g, "\n", buf, sizeof(buf));
		BAD(pubkey, buf, n, "unknown signature algorithm");
		/* The global signature of one file with the other's signature. */
		struct sigfile h;
		sig_split(files[1 - i], &h);
		g = f;
		memcpy(g.global, h.global, 64);
		n = sig_join(&g, "\n", buf, sizeof(buf));
		BAD(pubkey, buf, n, "bad global signature");
		/* A comment longer than minisign allows. */
		g = f;
		memset(g.trusted, 'c', 1500);
		g.trusted[1500] = '\0';
		n = sig_join(&g, "\n", buf, sizeof(buf));
		BAD(pubkey, buf, n, "trusted comment longer");
	}
}

static void test_truncated(void)
{
	size_t n;
	unsigned char *s = fz_test_read_file(FIX("data.txt.legacy.minisig"), &n);

	/* Every prefix fails, except the one without only the last newline. */
	for (size_t k = 0; k + 1 < n; k++) {
		uint8_t *p = malloc(k ? k : 1); /* exact size: ASan sees any over-read */
		char err[256] = "";

		memcpy(p, s, k);
		CHECK_INT(verify_buf(pubkey, p, k, err, sizeof(err)), -EBADMSG);
		CHECK(err[0] != '\0');
		free(p);
	}
	BAD(pubkey, s, 0, "empty");
	BAD(pubkey, NULL, 0, "empty");
	free(s);
}

static void test_shape(void)
{
	struct sigfile f;
	char buf[4096], line2[160], line4[160];
	size_t n;

	sig_split(FIX("data.txt.minisig"), &f);
	b64enc(f.sig, 74, line2);
	b64enc(f.global, 64, line4);

	n = (size_t)snprintf(buf, sizeof(buf), "comment: x\n%s\ntrusted comment: %s\n%s\n", line2,
			     f.trusted, line4);
	BAD(pubkey, buf, n, "line 1");
	n = (size_t)snprintf(buf, sizeof(buf),
			     "untrusted comment: x\n%s\nuntrusted comment: %s\n%s\n", line2,
			     f.trusted, line4);
	BAD(pubkey, buf, n, "line 3");
	n = (size_t)snprintf(buf, sizeof(buf), "untrusted comment: x\n%s\n", line2);
	BAD(pubkey, buf, n, "line 3");
	n = (size_t)snprintf(buf, sizeof(buf), "untrusted comment: x\n%s\ntrusted comment: %s\n",
			     line2, f.trusted);
	BAD(pubkey, buf, n, "no global signature");
	n = (size_t)snprintf(buf, sizeof(buf), "untrusted comment: x\n");
	BAD(pubkey, buf, n, "no signature line");
	/* Blank line between: line 2 empty. */
	n = (size_t)snprintf(buf, sizeof(buf),
			     "untrusted comment: x\n\n%s\ntrusted comment: %s\n%s\n", line2,
			     f.trusted, line4);
	BAD(pubkey, buf, n, "line 2");
	/* A NUL byte in the comment. */
	n = sig_join(&f, "\n", buf, sizeof(buf));
	buf[3] = '\0';
	BAD(pubkey, buf, n, "NUL");
	/* Too long a file. */
	char *big = malloc(20000);
	memset(big, '#', 20000);
	BAD(pubkey, big, 20000, "longer than");
	free(big);

	/* Garbage: no crash, always a reason. */
	uint32_t x = 12345;
	for (int round = 0; round < 2000; round++) {
		uint8_t g[300];
		size_t len = (size_t)(round % 300);
		char err[64] = "";

		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			g[i] = (uint8_t)(x >> 16);
		}
		/* Half the rounds start like a real file. */
		if (round % 2 && len > 20)
			memcpy(g, "untrusted comment: ", 19);
		CHECK_INT(fz_minisign_verify(pubkey, g, len, data, data_len, err, sizeof(err)),
			  -EBADMSG);
		CHECK(err[0] != '\0');
	}
}

/* Replace line 2 or 4 by `text` and expect a base64 complaint. */
static void check_b64(const struct sigfile *f, int which, const char *text, bool ok, int line)
{
	char buf[4096], s[160], g[160];
	size_t n;
	int r;

	b64enc(f->sig, 74, s);
	b64enc(f->global, 64, g);
	n = (size_t)snprintf(buf, sizeof(buf),
			     "untrusted comment: x\n%s\ntrusted comment: %s\n%s\n",
			     which == 2 ? text : s, f->trusted, which == 4 ? text : g);
	r = verify_buf(pubkey, buf, n, NULL, 0);
	CHECK_INT(r, ok ? 0 : -EBADMSG);
	if (r != (ok ? 0 : -EBADMSG))
		fprintf(stderr, "  (line %d) line %d = \"%s\"\n", line, which, text);
}

/* The base64 character whose value differs from c's in the lowest bit. */
static char b64_flip_low(char c)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(a, c);

	return p ? a[(p - a) ^ 1] : c;
}

static void test_base64(void)
{
	struct sigfile f;
	char s[160], g[160], t[200];
	size_t sl, gl;

	sig_split(FIX("data.txt.minisig"), &f);
	b64enc(f.sig, 74, s);
	b64enc(f.global, 64, g);
	sl = strlen(s);
	gl = strlen(g);
	CHECK_INT(sl, 100);
	CHECK_INT(gl, 88);
	CHECK(s[99] == '=' && s[98] != '=');
	CHECK(g[87] == '=' && g[86] == '=');

	check_b64(&f, 2, s, true, __LINE__);
	check_b64(&f, 4, g, true, __LINE__);
	/* Blanks around the text are fine. */
	snprintf(t, sizeof(t), " %s\t", s);
	check_b64(&f, 2, t, true, __LINE__);

	/* Padding left off, doubled, or in the middle. */
	snprintf(t, sizeof(t), "%.*s", (int)sl - 1, s);
	check_b64(&f, 2, t, false, __LINE__);
	snprintf(t, sizeof(t), "%.*s", (int)gl - 2, g);
	check_b64(&f, 4, t, false, __LINE__);
	snprintf(t, sizeof(t), "%.*s=%c=", (int)gl - 3, g, g[gl - 3]); /* "x=y=" */
	check_b64(&f, 4, t, false, __LINE__);
	snprintf(t, sizeof(t), "%s", s);
	t[40] = '=';
	check_b64(&f, 2, t, false, __LINE__);
	/* A character where padding belongs. */
	snprintf(t, sizeof(t), "%s", g);
	t[86] = 'A';
	check_b64(&f, 4, t, false, __LINE__);
	/*
	 * Stray bits: the last character before "==" uses 2 of its 6 bits,
	 * the one before "=" 4; setting an unused bit makes a text that
	 * lenient decoders take for the same bytes.
	 */
	snprintf(t, sizeof(t), "%s", g);
	t[85] = b64_flip_low(t[85]);
	check_b64(&f, 4, t, false, __LINE__);
	snprintf(t, sizeof(t), "%s", s);
	t[98] = b64_flip_low(t[98]);
	check_b64(&f, 2, t, false, __LINE__);
	/* Characters outside the alphabet: URL-safe ones, a blank, a dot. */
	const char bad[] = {'-', '_', ' ', '.', '*', '\t'};
	for (size_t i = 0; i < sizeof(bad); i++) {
		snprintf(t, sizeof(t), "%s", s);
		t[10] = bad[i];
		check_b64(&f, 2, t, false, __LINE__);
	}
	/* One character more or less, one group more. */
	snprintf(t, sizeof(t), "A%s", s);
	check_b64(&f, 2, t, false, __LINE__);
	snprintf(t, sizeof(t), "%s", s + 1);
	check_b64(&f, 2, t, false, __LINE__);
	snprintf(t, sizeof(t), "%sAAAA", g);
	check_b64(&f, 4, t, false, __LINE__);
	check_b64(&f, 2, "", false, __LINE__);
	check_b64(&f, 4, "====", false, __LINE__);
}

static void test_err_buffer(void)
{
	size_t n;
	unsigned char *s = fz_test_read_file(FIX("data.txt.minisig"), &n);
	char err[8];

	memset(err, 'x', sizeof(err));
	CHECK_INT(fz_minisign_verify(other, s, n, data, data_len, err, 5), -EBADMSG);
	CHECK(err[4] == '\0' && err[5] == 'x'); /* cut to fit, nothing written past it */
	CHECK_INT(fz_minisign_verify(other, s, n, data, data_len, NULL, 0), -EBADMSG);
	CHECK_INT(fz_minisign_verify(other, s, n, data, data_len, err, 0), -EBADMSG);
	CHECK(err[5] == 'x');
	free(s);
}

int main(void)
{
	pubkey_file = read_text(FIX("key.pub"));
	other_file = read_text(FIX("other.pub"));
	key_line(pubkey_file, pubkey);
	key_line(other_file, other);
	data = fz_test_read_file(FIX("data.txt"), &data_len);
	CHECK(data_len > 10);

	test_good();
	test_crlf();
	test_data_changed();
	test_wrong_key();
	test_tampered();
	test_truncated();
	test_shape();
	test_base64();
	test_err_buffer();

	free(pubkey_file);
	free(other_file);
	free(data);
	return fz_test_done();
}
