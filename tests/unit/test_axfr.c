/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_axfr_url_parse(), and fz_axfr_fetch() against a small primary of our
 * own in a thread (ldns builds its answers): a good transfer over several
 * messages, refusals, a primary that never answers, one that closes early,
 * wrong ids, a zone larger than max_size, a changed serial. The transfer
 * from a real nsd is in tests/integration/test_axfr.sh.
 */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fz_axfr.h"
#include "fz_parse.h"
#include "fz_test.h"

/* ---- URLs ---- */

static void url_ok(const char *in, const char *host, unsigned port, const char *zone)
{
	struct fz_axfr_url u;
	int r = fz_axfr_url_parse(in, &u);

	CHECK_INT(r, 0);
	if (r) {
		fprintf(stderr, "  input: %s\n", in);
		return;
	}
	CHECK_STR(u.host, host);
	CHECK_INT(u.port, port);
	CHECK_STR(u.zone, zone);
}

static void url_bad(const char *in)
{
	struct fz_axfr_url u, before;
	int r;

	memset(&u, 0x5a, sizeof(u));
	before = u;
	r = fz_axfr_url_parse(in, &u);
	CHECK_INT(r, -EINVAL);
	if (r != -EINVAL)
		fprintf(stderr, "  input: %s\n", in ? in : "(null)");
	CHECK(memcmp(&u, &before, sizeof(u)) == 0); /* nothing written */
}

static void test_url(void)
{
	url_ok("axfr://127.0.0.1/rpz.example", "127.0.0.1", 53, "rpz.example.");
	url_ok("axfr://127.0.0.1:5353/rpz.example.", "127.0.0.1", 5353, "rpz.example.");
	url_ok("AXFR://NS1.Example.NET:53/RPZ.Example", "ns1.example.net", 53, "rpz.example.");
	url_ok("axfr://[::1]/rpz.example", "::1", 53, "rpz.example.");
	url_ok("axfr://[2001:db8::53]:8053/rpz.example", "2001:db8::53", 8053, "rpz.example.");
	url_ok("axfr://[::ffff:192.0.2.1]/z", "::ffff:192.0.2.1", 53, "z.");
	url_ok("axfr://localhost:65535/a.b.c", "localhost", 65535, "a.b.c.");
	url_ok("axfr://primary/_rpz.example", "primary", 53, "_rpz.example.");
	url_ok("axfr://h:1/x", "h", 1, "x.");

	url_bad(NULL);
	url_bad("");
	url_bad("axfr://");
	url_bad("axfr:///rpz.example");
	url_bad("axfr://127.0.0.1");
	url_bad("axfr://127.0.0.1/");
	url_bad("axfr://127.0.0.1/.");
	url_bad("axfr://127.0.0.1:/rpz.example");
	url_bad("axfr://127.0.0.1:0/rpz.example");
	url_bad("axfr://127.0.0.1:65536/rpz.example");
	url_bad("axfr://127.0.0.1:99999999999999999999/rpz.example");
	url_bad("axfr://127.0.0.1:53x/rpz.example");
	url_bad("axfr://127.0.0.1:-1/rpz.example");
	url_bad("axfr://127.0.0.1/rpz.example/");
	url_bad("axfr://127.0.0.1/rpz.example?serial=1");
	url_bad("axfr://127.0.0.1/rpz..example");
	url_bad("axfr://127.0.0.1/rpz example");
	url_bad("axfr://::1/rpz.example");
	url_bad("axfr://[::1/rpz.example");
	url_bad("axfr://[]/rpz.example");
	url_bad("axfr://[not:an:address::x]/rpz.example");
	url_bad("axfr://[127.0.0.1]/rpz.example");
	url_bad("axfr://[::1]x/rpz.example");
	url_bad("axfr://user@host/rpz.example");
	url_bad("axfr://ho st/rpz.example");
	url_bad("axfr://1.2.3/rpz.example"); /* an address, but not one inet_pton reads */
	url_bad("axfr://0x7f000001/rpz.example");
	url_bad("http://127.0.0.1/rpz.example");
	url_bad("axfr:/127.0.0.1/rpz.example");
	url_bad(" axfr://127.0.0.1/rpz.example");

	/* Bounds: a 63-octet label is a name, 64 is not; a 253-octet zone fits, 254 not. */
	char in[1200], zone[300], want[320];
	memset(zone, 'a', 63);
	zone[63] = '\0';
	snprintf(in, sizeof(in), "axfr://h/%s", zone);
	snprintf(want, sizeof(want), "%s.", zone);
	url_ok(in, "h", 53, want);
	memset(zone, 'a', 64);
	zone[64] = '\0';
	snprintf(in, sizeof(in), "axfr://h/%s", zone);
	url_bad(in);
	memset(zone, 'a', 253);
	zone[63] = zone[127] = zone[191] = '.';
	zone[253] = '\0';
	snprintf(in, sizeof(in), "axfr://h/%s", zone);
	snprintf(want, sizeof(want), "%s.", zone);
	url_ok(in, "h", 53, want);
	zone[253] = 'a';
	zone[254] = '\0';
	snprintf(in, sizeof(in), "axfr://h/%s", zone);
	url_bad(in);
	/* A host name longer than the buffer, a URL longer than we read. */
	memset(in, 0, sizeof(in));
	memcpy(in, "axfr://", 7);
	memset(in + 7, 'h', 300);
	memcpy(in + 307, "/z", 2);
	url_bad(in);
	memset(in + 7, 'h', 1150);
	memcpy(in + 1157, "/z", 2);
	url_bad(in);
}

/* ---- a primary in a thread ---- */

enum mode {
	M_GOOD,	     /* the zone in three messages */
	M_REFUSED,   /* rcode REFUSED */
	M_NOTAUTH,   /* rcode NOTAUTH */
	M_SERVFAIL,  /* rcode SERVFAIL */
	M_SILENT,    /* reads the query, never answers */
	M_CLOSE,     /* first message, then closes */
	M_BADID,     /* answers with another id */
	M_SERIAL,    /* closing SOA with another serial */
	M_NOSOA,     /* first record is not the SOA */
	M_EMPTY,     /* NOERROR with no records */
	M_GARBAGE,   /* a length and bytes that are not DNS */
	M_EMPTYMANY, /* SOA, then thousands of empty messages, then the rest */
};

struct primary {
	int lfd;
	uint16_t port;
	enum mode mode;
	pthread_t th;
	int result; /* 0 when the thread saw a well-formed AXFR query */
};

static const char *zone_rrs[] = {
    "rpz.example. 300 IN SOA localhost. root.localhost. 7 3600 600 86400 300",
    "rpz.example. 300 IN NS localhost.",
    "evil.example.rpz.example. 300 IN CNAME .",
    "*.evil.example.rpz.example. 300 IN CNAME .",
    "good.example.rpz.example. 300 IN CNAME rpz-passthru.",
    "sink.example.rpz.example. 300 IN A 192.0.2.1",
    "32.4.3.2.1.rpz-ip.rpz.example. 300 IN CNAME .",
    "txt.example.rpz.example. 300 IN TXT \"a \\\"quoted\\\" text; not a comment\"",
};
#define N_RRS (sizeof(zone_rrs) / sizeof(zone_rrs[0]))

static int send_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = recv(fd, b, n, 0);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One message: id, rcode, and records [from, to) of zone_rrs (serial patched). */
static int send_msg(int fd, uint16_t id, ldns_pkt_rcode rc, const char **rrs, size_t n)
{
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire = NULL, hdr[2];
	size_t wlen = 0;
	int r = -1;

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rc);
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL) != LDNS_STATUS_OK)
			goto out;
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	if (ldns_pkt2wire(&wire, p, &wlen) != LDNS_STATUS_OK)
		goto out;
	hdr[0] = (uint8_t)(wlen >> 8);
	hdr[1] = (uint8_t)wlen;
	r = send_all(fd, hdr, 2) || send_all(fd, wire, wlen) ? -1 : 0;
out:
	free(wire);
	ldns_pkt_free(p);
	return r;
}

static void *primary_run(void *arg)
{
	struct primary *pr = arg;
	int fd = accept(pr->lfd, NULL, NULL);
	uint8_t hdr[2], q[512];
	size_t qlen;
	ldns_pkt *query = NULL;
	uint16_t id;
	const char *soa2 =
	    "rpz.example. 300 IN SOA localhost. root.localhost. 8 3600 600 86400 300";

	pr->result = -1;
	if (fd < 0)
		return NULL;
	if (recv_all(fd, hdr, 2) || (qlen = (size_t)hdr[0] << 8 | hdr[1]) > sizeof(q) ||
	    recv_all(fd, q, qlen) || ldns_wire2pkt(&query, q, qlen) != LDNS_STATUS_OK)
		goto out;
	/* What a primary would check: one AXFR question for the zone, class IN. */
	ldns_rr *question = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	char *qname = question ? ldns_rdf2str(ldns_rr_owner(question)) : NULL;
	if (ldns_pkt_qdcount(query) == 1 && question &&
	    ldns_rr_get_type(question) == LDNS_RR_TYPE_AXFR &&
	    ldns_rr_get_class(question) == LDNS_RR_CLASS_IN && qname &&
	    strcmp(qname, "rpz.example.") == 0 && !ldns_pkt_qr(query))
		pr->result = 0;
	free(qname);
	id = ldns_pkt_id(query);

	switch (pr->mode) {
	case M_GOOD:
		send_msg(fd, id, LDNS_RCODE_NOERROR, zone_rrs, 3);
		send_msg(fd, id, LDNS_RCODE_NOERROR, zone_rrs + 3, N_RRS - 3);
		send_msg(fd, id, LDNS_RCODE_NOERROR, zone_rrs, 1);
		break;
	case M_REFUSED:
		send_msg(fd, id, LDNS_RCODE_REFUSED, NULL, 0);
		break;
	case M_NOTAUTH:
		send_msg(fd, id, LDNS_RCODE_NOTAUTH, NULL, 0);
		break;
	case M_SERVFAIL:
		send_msg(fd, id, LDNS_RCODE_SERVFAIL, NULL, 0);
		break;
	case M_SILENT: {
		char c;
		(void)!recv(fd, &c, 1, 0); /* until the client gives up */
		break;
	}
	case M_CLOSE:
		send_msg(fd, id, LDNS_RCODE_NOERROR, zone_rrs, 3);
		break;
	case M_BADID:
		send_msg(fd, (uint16_t)(id + 1), LDNS_RCODE_NOERROR, zone_rrs, N_RRS);
		break;
	case M_SERIAL:
		send_msg(fd, id, LDNS_RCODE_NOERROR, zone_rrs, N_RRS);
		send_msg(fd, id, LDNS_RCODE_NOERROR, &soa2, 1);
		break;
	case M_NOSOA:
		send_msg(fd, id, LDNS_RCODE_NOERROR, zone_rrs + 1, N_RRS - 1);
		break;
	case M_EMPTY:
		send_msg(fd, id, LDNS_RCODE_NOERROR, NULL, 0);
		break;
	case M_GARBAGE: {
		uint8_t g[] = {0, 5, 1, 2, 3, 4, 5};
		send_all(fd, g, sizeof(g));
		break;
	}
	case M_EMPTYMANY:
		send_msg(fd, id, LDNS_RCODE_NOERROR, zone_rrs, 1);
		for (int i = 0; i < 20000; i++)
			if (send_msg(fd, id, LDNS_RCODE_NOERROR, NULL, 0))
				break;
		send_msg(fd, id, LDNS_RCODE_NOERROR, zone_rrs + 1, N_RRS - 1);
		send_msg(fd, id, LDNS_RCODE_NOERROR, zone_rrs, 1);
		break;
	}
out:
	ldns_pkt_free(query);
	shutdown(fd, SHUT_WR);
	/* Wait for the client to close before we do. */
	char c;
	while (recv(fd, &c, 1, 0) > 0)
		;
	close(fd);
	return NULL;
}

static void primary_start(struct primary *pr, enum mode m)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);

	pr->mode = m;
	pr->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (pr->lfd < 0 || bind(pr->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(pr->lfd, 4) ||
	    getsockname(pr->lfd, (struct sockaddr *)&a, &al)) {
		perror("primary");
		exit(2);
	}
	pr->port = ntohs(a.sin_port);
	if (pthread_create(&pr->th, NULL, primary_run, pr) != 0)
		exit(2);
}

static void primary_stop(struct primary *pr)
{
	pthread_join(pr->th, NULL);
	close(pr->lfd);
}

static int fetch(enum mode m, unsigned timeout, uint64_t max, char **text, size_t *len, char *err,
		 size_t errlen)
{
	struct primary pr;
	struct fz_axfr_url u;
	char url[64];
	uint8_t *t = NULL;
	int r;

	primary_start(&pr, m);
	snprintf(url, sizeof(url), "axfr://127.0.0.1:%u/rpz.example", pr.port);
	CHECK_INT(fz_axfr_url_parse(url, &u), 0);
	r = fz_axfr_fetch(&u, timeout, max, &t, len, err, errlen);
	primary_stop(&pr);
	CHECK_INT(pr.result, 0);
	*text = (char *)t;
	return r;
}

static void test_good(void)
{
	char *text = NULL, err[256] = "unchanged";
	size_t len = 0;
	int r = fetch(M_GOOD, 10, 0, &text, &len, err, sizeof(err));

	CHECK_INT(r, 0);
	CHECK_STR(err, "");
	if (r)
		return;
	CHECK(strlen(text) == len); /* NUL-terminated past the text */
	CHECK(strncmp(text, "$ORIGIN rpz.example.\n", 21) == 0);
	/* One line per record, the closing SOA left out. */
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	CHECK_INT(lines, 1 + N_RRS);
	CHECK(strstr(text, "evil.example.rpz.example.\t300\tIN\tCNAME\t.\n") != NULL);
	CHECK(strstr(text, "\"a \\\"quoted\\\" text; not a comment\"") != NULL);

	/* What the RPZ parser makes of it. */
	struct fz_parse_opts o = {.format = FZ_FORMAT_RPZ};
	struct fz_parse_result res;
	CHECK_INT(fz_parse((const uint8_t *)text, len, &o, &res), 0);
	CHECK_INT(res.n_entries, 5);
	CHECK_INT(res.rejected, 0);
	bool evil = false, wild = false, good = false, sink = false, ip = false;
	for (size_t i = 0; i < res.n_entries; i++) {
		const struct fz_entry *e = &res.entries[i];
		const char *name = fz_parse_str(&res, e->name_off);
		if (e->kind == FZ_RULE_NAME && strcmp(name, "evil.example") == 0) {
			if (e->match == FZ_MATCH_EXACT)
				evil = e->action == FZ_ACTION_BLOCK;
			else
				wild = e->action == FZ_ACTION_BLOCK;
		}
		if (e->kind == FZ_RULE_NAME && strcmp(name, "good.example") == 0)
			good = e->action == FZ_ACTION_ALLOW;
		if (e->kind == FZ_RULE_NAME && strcmp(name, "sink.example") == 0)
			sink = e->policy == FZ_POLICY_LOCAL && e->naddr == 1;
		if (e->kind == FZ_RULE_IP)
			ip = e->prefix == 32 && e->addr[0] == 1 && e->addr[3] == 4;
	}
	CHECK(evil && wild && good && sink && ip);
	fz_parse_result_free(&res);
	free(text);

	/* Thousands of empty messages in between change nothing. */
	r = fetch(M_EMPTYMANY, 20, 0, &text, &len, err, sizeof(err));
	CHECK_INT(r, 0);
	if (r == 0) {
		CHECK(strstr(text, "sink.example.rpz.example.") != NULL);
		free(text);
	}
}

static void bad(enum mode m, unsigned timeout, uint64_t max, int want, const char *why, int line)
{
	char *text = (char *)"untouched", err[256];
	size_t len = 12345;
	int r;

	memset(err, 0, sizeof(err));
	r = fetch(m, timeout, max, &text, &len, err, sizeof(err));
	CHECK_INT(r, want);
	CHECK(strstr(err, why) != NULL);
	if (r != want || !strstr(err, why))
		fprintf(stderr, "  (line %d) got %d \"%s\", wanted %d \"%s\"\n", line, r, err, want,
			why);
	/* Outputs untouched on failure. */
	CHECK(len == 12345);
}

static void test_failures(void)
{
	char want[128];

	bad(M_REFUSED, 10, 0, -EACCES, "AXFR of rpz.example. from 127.0.0.1:", __LINE__);
	bad(M_REFUSED, 10, 0, -EACCES, "refused (REFUSED)", __LINE__);
	bad(M_NOTAUTH, 10, 0, -EACCES, "(NOTAUTH)", __LINE__);
	bad(M_SERVFAIL, 10, 0, -EPROTO, "the server answered SERVFAIL", __LINE__);
	bad(M_SILENT, 1, 0, -ETIMEDOUT, "timed out after 1 s", __LINE__);
	bad(M_CLOSE, 10, 0, -ECONNRESET, "closed before the closing SOA", __LINE__);
	bad(M_BADID, 10, 0, -EPROTO, "does not match the query", __LINE__);
	bad(M_SERIAL, 10, 0, -EPROTO, "closing SOA serial 8 differs from 7", __LINE__);
	bad(M_NOSOA, 10, 0, -EPROTO, "does not start with the zone's SOA", __LINE__);
	bad(M_EMPTY, 10, 0, -EPROTO, "empty answer", __LINE__);
	bad(M_GARBAGE, 10, 0, -EPROTO, "malformed DNS message", __LINE__);
	snprintf(want, sizeof(want), "exceeds max_size %u bytes", 200);
	bad(M_GOOD, 10, 200, -EFBIG, want, __LINE__);
	/* Wire bytes count too: empty messages add no text but are bounded. */
	bad(M_EMPTYMANY, 20, 1000, -EFBIG, "transfer exceeds max_size", __LINE__);

	/* Nobody listening: a port we just had and closed. */
	struct fz_axfr_url u;
	uint8_t *t = NULL;
	size_t len = 0;
	char url[64], err[256] = "";
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      getsockname(s, (struct sockaddr *)&a, &al) == 0);
	close(s);
	snprintf(url, sizeof(url), "axfr://127.0.0.1:%u/rpz.example", ntohs(a.sin_port));
	CHECK_INT(fz_axfr_url_parse(url, &u), 0);
	CHECK_INT(fz_axfr_fetch(&u, 5, 0, &t, &len, err, sizeof(err)), -ECONNREFUSED);
	CHECK(strstr(err, "cannot connect to 127.0.0.1:") != NULL);

	/* Arguments. */
	memset(&u, 0, sizeof(u));
	CHECK_INT(fz_axfr_fetch(&u, 5, 0, &t, &len, err, sizeof(err)), -EINVAL);
	CHECK_INT(fz_axfr_fetch(NULL, 5, 0, &t, &len, NULL, 0), -EINVAL);
}

int main(void)
{
	test_url();
	test_good();
	test_failures();
	return fz_test_done();
}
