/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

#include "fz_acl.h"
#include "fz_test.h"

/* A socket address for a literal, v4 or v6. */
static const struct sockaddr *sa_of(const char *text)
{
	static struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(40000);
	} else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(40000);
	} else {
		fprintf(stderr, "bad test address %s\n", text);
		exit(2);
	}
	return (const struct sockaddr *)&ss;
}

static bool allows(const struct fz_acl *acl, const char *text)
{
	return fz_acl_allows(acl, sa_of(text));
}

static struct fz_acl acl; /* 1024 nets: too big for a comfortable stack frame */

static void test_defaults(void)
{
	fz_acl_default(&acl);
	CHECK_INT(acl.n, 8);
	const char *yes[] = {
	    "127.0.0.1",
	    "127.255.255.254",
	    "10.1.2.3",
	    "10.255.255.255",
	    "172.16.0.1",
	    "172.31.255.255",
	    "192.168.0.1",
	    "192.168.255.255",
	    "169.254.1.1",
	    "::1",
	    "fe80::1",
	    "febf::1",
	    "fd00::1",
	    "fc00::1",
	    "::ffff:192.168.1.1",
	    "::ffff:127.0.0.1",
	};
	const char *no[] = {
	    "8.8.8.8",	     "2001:db8::1",    "172.15.255.255",
	    "172.32.0.0",    "192.169.0.1",    "11.0.0.1",
	    "9.255.255.255", "128.0.0.1",      "::2",
	    "fec0::1",	     "fe00::1",	       "::",
	    "0.0.0.0",	     "::ffff:8.8.8.8", "169.253.0.1",
	    "::fffe:a00:1", /* next to the mapped range, not in it (10.0.0.1 would be) */
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!allows(&acl, yes[i]))
			fprintf(stderr, "default ACL refuses %s\n", yes[i]);
		CHECK(allows(&acl, yes[i]));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (allows(&acl, no[i]))
			fprintf(stderr, "default ACL allows %s\n", no[i]);
		CHECK(!allows(&acl, no[i]));
	}
	/* Defaults replace whatever was there. */
	CHECK_INT(fz_acl_add(&acl, "8.8.8.0/24"), 0);
	CHECK(allows(&acl, "8.8.8.8"));
	fz_acl_default(&acl);
	CHECK(!allows(&acl, "8.8.8.8"));

	/* Not an address family we serve. */
	struct sockaddr sa = {.sa_family = AF_UNIX};
	CHECK(!fz_acl_allows(&acl, &sa));
	CHECK(!fz_acl_allows(&acl, NULL));
}

static void test_custom(void)
{
	memset(&acl, 0, sizeof(acl));
	CHECK(!allows(&acl, "127.0.0.1")); /* an empty list allows nobody */

	CHECK_INT(fz_acl_add(&acl, "192.0.2.0/24"), 0);
	CHECK(allows(&acl, "192.0.2.0"));
	CHECK(allows(&acl, "192.0.2.255"));
	CHECK(!allows(&acl, "192.0.3.0"));
	CHECK(!allows(&acl, "192.0.1.255"));
	CHECK(allows(&acl, "::ffff:192.0.2.7"));

	/* Host bits are cleared. */
	CHECK_INT(fz_acl_add(&acl, "198.51.100.77/25"), 0);
	CHECK_INT(acl.nets[1].addr[3], 0);
	CHECK(allows(&acl, "198.51.100.1"));
	CHECK(allows(&acl, "198.51.100.127"));
	CHECK(!allows(&acl, "198.51.100.128"));

	/* A bare address is one host. */
	CHECK_INT(fz_acl_add(&acl, "203.0.113.9"), 0);
	CHECK_INT(acl.nets[2].prefix, 32);
	CHECK(allows(&acl, "203.0.113.9"));
	CHECK(!allows(&acl, "203.0.113.8"));
	CHECK(!allows(&acl, "203.0.113.10"));

	/* IPv6 networks, odd prefixes. */
	CHECK_INT(fz_acl_add(&acl, "2001:db8:abcd::/48"), 0);
	CHECK(allows(&acl, "2001:db8:abcd:ffff::1"));
	CHECK(!allows(&acl, "2001:db8:abce::1"));
	CHECK_INT(fz_acl_add(&acl, "2001:db8:1:2:3:4:5:6/61"), 0);
	CHECK(allows(&acl, "2001:db8:1:7::1"));
	CHECK(!allows(&acl, "2001:db8:1:8::1"));
	CHECK_INT(fz_acl_add(&acl, "2001:db8::42"), 0);
	CHECK(allows(&acl, "2001:db8::42"));
	CHECK(!allows(&acl, "2001:db8::43"));

	/* An IPv4 network written as mapped IPv6 is an IPv4 network. */
	size_t n = acl.n;
	CHECK_INT(fz_acl_add(&acl, "::ffff:100.64.0.0/106"), 0);
	CHECK_INT(acl.nets[n].family, AF_INET);
	CHECK_INT(acl.nets[n].prefix, 10);
	CHECK(allows(&acl, "100.64.1.1"));
	CHECK(allows(&acl, "100.127.255.255"));
	CHECK(!allows(&acl, "100.128.0.0"));

	/* The same network twice is one entry. */
	n = acl.n;
	CHECK_INT(fz_acl_add(&acl, "192.0.2.99/24"), 0);
	CHECK_INT(acl.n, n);

	/* /0: everyone of that family (explicitly asked for). */
	memset(&acl, 0, sizeof(acl));
	CHECK_INT(fz_acl_add(&acl, "0.0.0.0/0"), 0);
	CHECK(allows(&acl, "8.8.8.8"));
	CHECK(allows(&acl, "::ffff:1.1.1.1"));
	CHECK(!allows(&acl, "2001:db8::1"));
	CHECK_INT(fz_acl_add(&acl, "::/0"), 0);
	CHECK(allows(&acl, "2001:db8::1"));
}

static void test_bad(void)
{
	memset(&acl, 0, sizeof(acl));
	const char *bad[] = {
	    "",
	    "/",
	    "/24",
	    "10/8",
	    "10.0.0.0/",
	    "10.0.0.0/33",
	    "10.0.0.0/-1",
	    "10.0.0.0/+8",
	    "10.0.0.0/8/8",
	    "10.0.0.0/0008",
	    "10.0.0.0/ 8",
	    " 10.0.0.0",
	    "10.0.0.0 ",
	    "10.0.0.256",
	    "10.0.0",
	    "::/129",
	    "fe80::1%eth0",
	    "example.com",
	    "1.2.3.4/8a",
	    "::1/1000",
	    "1.2.3.4.5",
	    "gggg::",
	    "10.0.0.0/08x",
	    "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee:ffff:0/64",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = fz_acl_add(&acl, bad[i]);
		if (r != -EINVAL)
			fprintf(stderr, "fz_acl_add(\"%s\") == %d\n", bad[i], r);
		CHECK_INT(r, -EINVAL);
	}
	CHECK_INT(fz_acl_add(&acl, NULL), -EINVAL);
	CHECK_INT(acl.n, 0);
	CHECK_INT(fz_acl_add(&acl, "10.0.0.0/08"), 0); /* a leading zero in the length is fine */
	CHECK_INT(acl.nets[0].prefix, 8);

	/* Full. */
	memset(&acl, 0, sizeof(acl));
	char text[64];
	for (unsigned i = 0; i < FZ_ACL_MAX; i++) {
		snprintf(text, sizeof(text), "10.%u.%u.0/24", i / 256, i % 256);
		CHECK_INT(fz_acl_add(&acl, text), 0);
	}
	CHECK_INT(acl.n, FZ_ACL_MAX);
	CHECK_INT(fz_acl_add(&acl, "192.0.2.0/24"), -E2BIG);
	CHECK_INT(fz_acl_add(&acl, "10.0.5.0/24"), 0); /* already there: not an addition */
	CHECK_INT(acl.n, FZ_ACL_MAX);
	CHECK(allows(&acl, "10.3.255.1"));
	CHECK(!allows(&acl, "10.4.0.1"));
}

static void test_rrl_basic(void)
{
	struct fz_rrl *r;
	struct fz_rrl_opts o = {.rate = 10, .burst = 5};
	CHECK_INT(fz_rrl_new(&o, &r), 0);
	uint64_t t = 1000000;

	/* The burst, then nothing. */
	for (int i = 0; i < 5; i++)
		CHECK(fz_rrl_allow(r, sa_of("192.0.2.1"), t));
	CHECK(!fz_rrl_allow(r, sa_of("192.0.2.1"), t));
	CHECK(!fz_rrl_allow(r, sa_of("192.0.2.1"), t + 50)); /* half a token */

	/* The same /24 shares the bucket (and mapped addresses are IPv4). */
	CHECK(!fz_rrl_allow(r, sa_of("192.0.2.200"), t + 50));
	CHECK(!fz_rrl_allow(r, sa_of("::ffff:192.0.2.9"), t + 50));

	/* Another prefix is independent. */
	for (int i = 0; i < 5; i++)
		CHECK(fz_rrl_allow(r, sa_of("192.0.3.1"), t));
	CHECK(!fz_rrl_allow(r, sa_of("192.0.3.1"), t));

	/* Refill: 10/s is one per 100 ms (the 50 ms above count too). */
	CHECK(fz_rrl_allow(r, sa_of("192.0.2.1"), t + 100));
	CHECK(!fz_rrl_allow(r, sa_of("192.0.2.1"), t + 100));
	CHECK(!fz_rrl_allow(r, sa_of("192.0.2.1"), t + 199));
	CHECK(fz_rrl_allow(r, sa_of("192.0.2.1"), t + 200));
	/* A long pause refills to the burst, no more. */
	int n = 0;
	for (int i = 0; i < 20; i++)
		n += fz_rrl_allow(r, sa_of("192.0.2.1"), t + 3600 * 1000);
	CHECK_INT(n, 5);
	/* A clock that steps back neither refills nor breaks anything. */
	CHECK(!fz_rrl_allow(r, sa_of("192.0.2.1"), t));

	/* Over a simulated second at 1 ms steps, about `rate` answers. */
	n = 0;
	uint64_t s = t + 7200 * 1000;
	for (int ms = 0; ms < 1000; ms++)
		n += fz_rrl_allow(r, sa_of("192.0.2.77"), s + (uint64_t)ms);
	CHECK(n >= 5 + 9 && n <= 5 + 10);

	/* IPv6: a /56 shares, the next /56 does not. */
	for (int i = 0; i < 5; i++)
		CHECK(fz_rrl_allow(r, sa_of("2001:db8:0:1::1"), t));
	CHECK(!fz_rrl_allow(r, sa_of("2001:db8:0:ff::2"), t));
	CHECK(fz_rrl_allow(r, sa_of("2001:db8:0:100::1"), t));
	/* An IPv4 prefix and an IPv6 prefix with the same leading bytes differ. */
	CHECK(fz_rrl_allow(r, sa_of("::c000:201"), t));
	fz_rrl_free(r);

	/* rate 0: never limits. */
	o = (struct fz_rrl_opts){0};
	CHECK_INT(fz_rrl_new(&o, &r), 0);
	for (int i = 0; i < 10000; i++)
		CHECK(fz_rrl_allow(r, sa_of("192.0.2.1"), t));
	fz_rrl_free(r);
	CHECK_INT(fz_rrl_new(NULL, &r), 0);
	CHECK(fz_rrl_allow(r, sa_of("192.0.2.1"), t));
	fz_rrl_free(r);
	fz_rrl_free(NULL);

	/* burst 0 means burst = rate; custom prefixes. */
	o = (struct fz_rrl_opts){.rate = 3, .v4_prefix = 32, .v6_prefix = 128};
	CHECK_INT(fz_rrl_new(&o, &r), 0);
	for (int i = 0; i < 3; i++)
		CHECK(fz_rrl_allow(r, sa_of("192.0.2.1"), t));
	CHECK(!fz_rrl_allow(r, sa_of("192.0.2.1"), t));
	CHECK(fz_rrl_allow(r, sa_of("192.0.2.2"), t));
	CHECK(fz_rrl_allow(r, sa_of("2001:db8::1"), t));
	CHECK(fz_rrl_allow(r, sa_of("2001:db8::2"), t));
	fz_rrl_free(r);

	/* Bad options. */
	o = (struct fz_rrl_opts){.rate = 1, .v4_prefix = 33};
	CHECK_INT(fz_rrl_new(&o, &r), -EINVAL);
	o = (struct fz_rrl_opts){.rate = 1, .v6_prefix = 129};
	CHECK_INT(fz_rrl_new(&o, &r), -EINVAL);
	o = (struct fz_rrl_opts){.rate = 1, .table_size = (size_t)1 << 40};
	CHECK_INT(fz_rrl_new(&o, &r), -EINVAL);
	o = (struct fz_rrl_opts){.rate = UINT32_MAX};
	CHECK_INT(fz_rrl_new(&o, &r), -EINVAL);
}

/*
 * A table far smaller than the number of prefixes: each call stays bounded,
 * a prefix in active use keeps its bucket (the least recently touched go
 * first), and a prefix that lost its bucket comes back with a full one.
 */
static void test_rrl_exhaustion(void)
{
	struct fz_rrl *r;
	struct fz_rrl_opts o = {.rate = 1, .burst = 2, .table_size = 64};
	CHECK_INT(fz_rrl_new(&o, &r), 0);
	uint64_t t = 5000;
	struct sockaddr_in sin = {.sin_family = AF_INET};

	/* A limited prefix, touched constantly through the flood. */
	CHECK(fz_rrl_allow(r, sa_of("198.51.100.1"), t));
	CHECK(fz_rrl_allow(r, sa_of("198.51.100.1"), t));
	CHECK(!fz_rrl_allow(r, sa_of("198.51.100.1"), t));

	int limited_refusals = 0, flood_allowed = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		t++;
		sin.sin_addr.s_addr = htonl(0x0a000000u + (i << 8)); /* 10.x.y.0/24, all distinct */
		flood_allowed += fz_rrl_allow(r, (struct sockaddr *)&sin, t);
		if (i % 4 == 0) /* 1/s refill at 1 ms steps: 1 token per 1000 calls */
			limited_refusals += !fz_rrl_allow(r, sa_of("198.51.100.1"), t);
	}
	/* Each new prefix starts with a full bucket. */
	CHECK_INT(flood_allowed, 100000);
	/* The busy prefix kept its bucket: 100 s at 1/s is about 100 answers, not 25000. */
	CHECK(limited_refusals >= 25000 - 102 && limited_refusals <= 25000 - 98);

	/* The first flood prefix lost its bucket long ago: it is simply served again. */
	sin.sin_addr.s_addr = htonl(0x0a000000u);
	CHECK(fz_rrl_allow(r, (struct sockaddr *)&sin, t + 1));
	fz_rrl_free(r);
}

int main(void)
{
	test_defaults();
	test_custom();
	test_bad();
	test_rrl_basic();
	test_rrl_exhaustion();
	return fz_test_done();
}
