/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name normalization: case, dots, IDN, limits, characters, IP literals, wildcards. */
#include "fz_name.h"
#include "fz_test.h"

static int norm(const char *in, unsigned flags, char *out, bool *wild)
{
	size_t len;
	return fz_name_normalize(in, strlen(in), flags, out, &len, wild);
}

#define OK(in, want)                                                                               \
	do {                                                                                       \
		char o_[FZ_NAME_BUF];                                                              \
		CHECK_INT(norm(in, 0, o_, NULL), FZ_NAME_OK);                                      \
		CHECK_STR(o_, want);                                                               \
	} while (0)
#define BAD(in, st)                                                                                \
	do {                                                                                       \
		char o_[FZ_NAME_BUF];                                                              \
		CHECK_INT(norm(in, 0, o_, NULL), st);                                              \
	} while (0)

static char *repeat(char c, size_t n, const char *suffix)
{
	static char buf[2048];
	memset(buf, c, n);
	strcpy(buf + n, suffix);
	return buf;
}

int main(void)
{
	OK("Example.COM", "example.com");
	OK("example.com.", "example.com");
	BAD("example.com..", FZ_NAME_EMPTY_LABEL);
	BAD(".example.com", FZ_NAME_EMPTY_LABEL);
	BAD("a..b", FZ_NAME_EMPTY_LABEL);
	BAD("", FZ_NAME_EMPTY);
	BAD(".", FZ_NAME_EMPTY);
	OK("_dmarc.example.com", "_dmarc.example.com");
	OK("my_host.example", "my_host.example");
	OK("-lead.example", "-lead.example"); /* kept: see fz_name.c */
	OK("xn--fiqs8s", "xn--fiqs8s");
	BAD("exa mple.com", FZ_NAME_BAD_CHAR);
	BAD("example.com/path", FZ_NAME_BAD_CHAR);
	BAD("host:8080", FZ_NAME_BAD_CHAR);
	BAD("a\tb", FZ_NAME_BAD_CHAR);
	{
		char o[FZ_NAME_BUF];
		size_t l;
		CHECK_INT(fz_name_normalize("a\0b.com", 7, 0, o, &l, NULL), FZ_NAME_BAD_CHAR);
	}

	/* IDN: U-labels become A-labels (IDNA2008, UTS#46 mapping) */
	OK("中国", "xn--fiqs8s");
	OK("例子.测试", "xn--fsqu00a.xn--0zwm56d");
	OK("Bücher.example", "xn--bcher-kva.example");
	OK("ÄÖÜ.de", "xn--4ca0bs.de");
	OK("faß.de", "xn--fa-hia.de");		 /* IDNA2008: ß kept */
	OK("рус", "xn--p1acf");			 /* single Cyrillic label (a TLD rule) */
	OK("example。com", "example.com");	 /* ideographic full stop */
	OK("ｅｘａｍｐｌｅ.com", "example.com"); /* fullwidth letters map */
	BAD("\xff\xfe.com", FZ_NAME_IDN_INVALID);
	OK("a\xe2\x80\x8b.com", "a.com"); /* zero-width space maps to nothing, as in browsers */
	BAD("\xcc\x81"
	    "a.com",
	    FZ_NAME_IDN_INVALID); /* leading combining mark: refused by both */

	/* limits: 63 per label, 253 in all */
	OK(repeat('a', 63, ".com"), repeat('a', 63, ".com"));
	BAD(repeat('a', 64, ".com"), FZ_NAME_LABEL_TOO_LONG);
	{
		char ok[300], o[FZ_NAME_BUF];
		size_t p = 0;
		const size_t lens[4] = {61, 63, 63, 63};
		for (int i = 0; i < 4; i++) {
			memset(ok + p, 'a' + i, lens[i]);
			p += lens[i];
			ok[p++] = '.';
		}
		ok[p - 1] = '\0';
		CHECK_INT(strlen(ok), 253);
		CHECK_INT(norm(ok, 0, o, NULL), FZ_NAME_OK);
		size_t l = strlen(ok);
		ok[l] = '.';
		ok[l + 1] = '\0';
		CHECK_INT(norm(ok, 0, o, NULL), FZ_NAME_OK); /* trailing dot does not count */
		memmove(ok + 1, ok, l + 2);
		ok[0] = 'x';
		ok[l + 1] = '\0';
		CHECK_INT(norm(ok, 0, o, NULL), FZ_NAME_TOO_LONG); /* 254 */
	}
	BAD(repeat('a', 2000, ""), FZ_NAME_TOO_LONG);

	/* IP literals are not names; numeric-looking names are */
	BAD("1.2.3.4", FZ_NAME_IP_LITERAL);
	BAD("1.2.3.4.", FZ_NAME_IP_LITERAL);
	BAD("0x7f000001", FZ_NAME_IP_LITERAL);
	BAD("127.1", FZ_NAME_IP_LITERAL);
	BAD("::1", FZ_NAME_IP_LITERAL);
	BAD("2001:db8::1", FZ_NAME_IP_LITERAL);
	BAD("[2001:db8::1]", FZ_NAME_IP_LITERAL);
	BAD("fe80::1%lo0", FZ_NAME_IP_LITERAL);
	BAD("example.123", FZ_NAME_IP_LITERAL); /* browsers parse it as an address */
	OK("0.0-02.net", "0.0-02.net");
	OK("000000.com", "000000.com");
	OK("123.example", "123.example");
	OK("1.2.3.4.example", "1.2.3.4.example");
	OK("0x1.com", "0x1.com");
	CHECK(fz_name_is_ip_literal("10.0.0.1", 8));
	CHECK(!fz_name_is_ip_literal("10.0.0.x1", 9));
	CHECK(!fz_name_is_ip_literal("cafe.babe", 9));

	/* wildcards */
	{
		char o[FZ_NAME_BUF];
		bool w = false;
		CHECK_INT(norm("*.Evil.Example", FZ_NAME_F_WILDCARD, o, &w), FZ_NAME_OK);
		CHECK_STR(o, "evil.example");
		CHECK(w);
		w = true;
		CHECK_INT(norm("evil.example", FZ_NAME_F_WILDCARD, o, &w), FZ_NAME_OK);
		CHECK(!w);
		CHECK_INT(norm("*.evil.example", 0, o, &w), FZ_NAME_BAD_WILDCARD);
		CHECK_INT(norm("a*.evil.example", FZ_NAME_F_WILDCARD, o, &w), FZ_NAME_BAD_WILDCARD);
		CHECK_INT(norm("*.*.evil.example", FZ_NAME_F_WILDCARD, o, &w),
			  FZ_NAME_BAD_WILDCARD);
		CHECK_INT(norm("*", FZ_NAME_F_WILDCARD, o, &w), FZ_NAME_BAD_WILDCARD);
		CHECK_INT(norm("*.", FZ_NAME_F_WILDCARD, o, &w), FZ_NAME_EMPTY);
	}

	/* every status has a sentence */
	for (int s = 1; s < FZ_NAME_STATUS_COUNT; s++)
		CHECK(strlen(fz_name_strerror(s)) > 5);
	CHECK(fz_name_is_local_alias("localhost", 9));
	CHECK(fz_name_is_local_alias("LocalHost.", 10));
	CHECK(fz_name_is_local_alias("broadcasthost", 13));
	CHECK(fz_name_is_local_alias("ip6-allnodes", 12));
	CHECK(!fz_name_is_local_alias("localhost.evil.test", 19));
	return fz_test_done();
}
