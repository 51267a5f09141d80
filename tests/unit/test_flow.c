/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfq/fz_flow.c: the inspector's flow table. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "fz_flow.h"
#include "fz_test.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* A TCP/UDP packet from client i (10.x.y.z:port) to a server. */
static struct fz_pkt mkpkt(uint8_t family, uint8_t proto, uint32_t client, uint16_t cport,
			   uint32_t server, uint16_t sport)
{
	struct fz_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = family;
	p.proto = proto;
	p.ttl = 64;
	if (family == 4) {
		p.src[0] = 10;
		p.src[1] = (uint8_t)(client >> 16);
		p.src[2] = (uint8_t)(client >> 8);
		p.src[3] = (uint8_t)client;
		p.dst[0] = 192;
		p.dst[1] = 0;
		p.dst[2] = (uint8_t)(server >> 8);
		p.dst[3] = (uint8_t)server;
	} else {
		p.src[0] = 0xfd;
		p.src[12] = (uint8_t)(client >> 24);
		p.src[13] = (uint8_t)(client >> 16);
		p.src[14] = (uint8_t)(client >> 8);
		p.src[15] = (uint8_t)client;
		p.dst[0] = 0x20;
		p.dst[1] = 0x01;
		p.dst[2] = 0x0d;
		p.dst[3] = 0xb8;
		p.dst[14] = (uint8_t)(server >> 8);
		p.dst[15] = (uint8_t)server;
	}
	p.sport = cport;
	p.dport = sport;
	return p;
}

static struct fz_pkt reverse(const struct fz_pkt *p)
{
	struct fz_pkt r = *p;

	memcpy(r.src, p->dst, 16);
	memcpy(r.dst, p->src, 16);
	r.sport = p->dport;
	r.dport = p->sport;
	return r;
}

static struct fz_flowtab *mktab(uint32_t max_flows, uint64_t max_bytes, uint32_t collect_max)
{
	struct fz_flowtab_cfg cfg;
	struct fz_flowtab *t = NULL;

	fz_flowtab_cfg_defaults(&cfg);
	cfg.max_flows = max_flows;
	if (max_bytes)
		cfg.max_bytes = max_bytes;
	if (collect_max)
		cfg.collect_max = collect_max;
	CHECK_INT(fz_flowtab_new(&cfg, &t), 0);
	return t;
}

/* drop callback: records the client ports of dropped flows */
struct drops {
	int n;
	uint16_t ports[64];
	int had_buffers;
};

static void on_drop(struct fz_flow *f, void *arg)
{
	struct drops *d = arg;

	if (d->n < 64)
		d->ports[d->n] = f->key.cport;
	d->n++;
	/* called before the buffers go */
	if (f->stream.data || f->quic)
		d->had_buffers++;
}

static void test_cfg(void)
{
	struct fz_flowtab_cfg cfg;
	struct fz_flowtab *t = NULL;

	fz_flowtab_cfg_defaults(&cfg);
	CHECK_INT(cfg.max_flows, 65536);
	CHECK_INT(cfg.max_bytes, 64ull << 20);
	CHECK_INT(cfg.collect_max, 16384);
	CHECK_INT(cfg.idle_timeout_ms, 30000);
	CHECK_INT(cfg.decided_timeout_ms, 10000);
	cfg.max_flows = 0;
	CHECK_INT(fz_flowtab_new(&cfg, &t), -EINVAL);
	cfg.max_flows = 10;
	cfg.collect_max = (1u << 20) + 1;
	CHECK_INT(fz_flowtab_new(&cfg, &t), -EINVAL);
	CHECK(t == NULL);
	fz_flowtab_free(NULL);
}

static void test_many_flows(void)
{
	enum { N = 5000 };
	struct fz_flowtab *t = mktab(8192, 0, 0);
	struct fz_flowtab_stats st;
	bool fc = false;
	int bad = 0;

	for (uint32_t i = 0; i < N; i++) {
		struct fz_pkt p = mkpkt(i & 1 ? 6 : 4, i & 2 ? IPPROTO_UDP : IPPROTO_TCP, i,
					(uint16_t)(1024 + i), i % 7, 443);
		struct fz_flow *f = fz_flowtab_lookup(t, &p, 1000, true, &fc);

		if (!f || !fc || f->key.cport != p.sport || f->c2s_pkts != 1)
			bad++;
		f->user = i;
	}
	CHECK_INT(bad, 0);
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.flows, N);
	CHECK_INT(st.created, N);
	CHECK_INT(st.evicted, 0);
	for (uint32_t i = 0; i < N; i++) {
		struct fz_pkt p = mkpkt(i & 1 ? 6 : 4, i & 2 ? IPPROTO_UDP : IPPROTO_TCP, i,
					(uint16_t)(1024 + i), i % 7, 443);
		struct fz_pkt r = reverse(&p);
		struct fz_flow *f = fz_flowtab_lookup(t, &r, 1001, false, &fc);

		if (!f || fc || f->user != i || f->s2c_pkts != 1)
			bad++;
		f = fz_flowtab_lookup(t, &p, 1002, false, &fc);
		if (!f || !fc || f->user != i || f->c2s_pkts != 2 || f->last_ms != 1002 ||
		    f->first_ms != 1000)
			bad++;
		/* the other protocol, family or port is another flow */
		p.proto = p.proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
		if (fz_flowtab_lookup(t, &p, 1002, false, &fc))
			bad++;
		p.proto = p.proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
		p.dport = 80;
		if (fz_flowtab_lookup(t, &p, 1002, false, &fc))
			bad++;
	}
	CHECK_INT(bad, 0);
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.flows, N);
	CHECK_INT(st.created, N);
	fz_flowtab_free(t);

	/* IPv4 addresses: bytes past the first 4 in the packet do not matter */
	t = mktab(16, 0, 0);
	{
		struct fz_pkt p = mkpkt(4, IPPROTO_TCP, 1, 2000, 1, 443), q = p;
		struct fz_flow *f = fz_flowtab_lookup(t, &p, 1, true, &fc);

		memset(q.src + 4, 0x55, 12);
		memset(q.dst + 4, 0xaa, 12);
		CHECK(fz_flowtab_lookup(t, &q, 2, false, &fc) == f);
		q = reverse(&q);
		CHECK(fz_flowtab_lookup(t, &q, 2, false, &fc) == f);
		CHECK(!fc);
		/* a client and server on the same address (ports tell) */
		p = mkpkt(4, IPPROTO_UDP, 5, 53, 0, 53);
		memcpy(p.dst, p.src, 16);
		p.sport = 5353;
		f = fz_flowtab_lookup(t, &p, 3, true, &fc);
		q = reverse(&p);
		CHECK(fz_flowtab_lookup(t, &q, 3, false, &fc) == f);
		CHECK(!fc);
		CHECK(fz_flowtab_lookup(t, &p, 3, false, &fc) == f);
		CHECK(fc);
	}
	fz_flowtab_free(t);
}

static void test_lru_eviction(void)
{
	struct fz_flowtab *t = mktab(4, 0, 0);
	struct fz_flowtab_stats st;
	struct drops d = {0};
	struct fz_pkt p[8];
	bool fc;

	fz_flowtab_set_drop_cb(t, on_drop, &d);
	for (int i = 0; i < 8; i++)
		p[i] = mkpkt(4, IPPROTO_TCP, 1, (uint16_t)(100 + i), 1, 443);
	for (int i = 0; i < 4; i++)
		CHECK(fz_flowtab_lookup(t, &p[i], (uint64_t)i, true, &fc) != NULL);
	/* touch 0 (via the reverse direction): 1 becomes the least recent */
	{
		struct fz_pkt r = reverse(&p[0]);
		CHECK(fz_flowtab_lookup(t, &r, 10, false, &fc) != NULL);
	}
	CHECK(fz_flowtab_lookup(t, &p[4], 11, true, &fc) != NULL);
	CHECK_INT(d.n, 1);
	CHECK_INT(d.ports[0], 101);
	CHECK(fz_flowtab_lookup(t, &p[1], 12, false, &fc) == NULL);
	/* a lookup without create does not evict */
	CHECK(fz_flowtab_lookup(t, &p[5], 12, false, &fc) == NULL);
	CHECK_INT(d.n, 1);
	/* decided flows are in the LRU order too: 3 decided at 13, 2 (at 2) is older */
	fz_flow_decide(t, fz_flowtab_lookup(t, &p[3], 13, false, &fc), 7);
	CHECK(fz_flowtab_lookup(t, &p[5], 14, true, &fc) != NULL); /* evicts 2 */
	CHECK_INT(d.n, 2);
	CHECK_INT(d.ports[1], 102);
	CHECK(fz_flowtab_lookup(t, &p[6], 15, true, &fc) != NULL); /* evicts 0 (at 10) */
	CHECK_INT(d.ports[2], 100);
	CHECK(fz_flowtab_lookup(t, &p[7], 16, true, &fc) != NULL); /* evicts 4 (at 11) */
	CHECK_INT(d.ports[3], 104);
	CHECK(fz_flowtab_lookup(t, &p[0], 17, true, &fc) != NULL); /* evicts 3, decided, at 13 */
	CHECK_INT(d.ports[4], 103);
	CHECK_INT(d.n, 5);
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.flows, 4);
	CHECK_INT(st.evicted, 5);
	CHECK_INT(st.created, 9);
	/* remove: no callback; the slot is reused without eviction */
	fz_flowtab_remove(t, fz_flowtab_lookup(t, &p[5], 18, false, &fc));
	CHECK(fz_flowtab_lookup(t, &p[5], 19, false, &fc) == NULL);
	CHECK(fz_flowtab_lookup(t, &p[1], 20, true, &fc) != NULL);
	CHECK_INT(d.n, 5);
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.flows, 4);
	CHECK_INT(st.evicted, 5);
	/* free: a callback for each flow left */
	fz_flowtab_free(t);
	CHECK_INT(d.n, 9);
}

static void count_flow(struct fz_flow *f, void *arg)
{
	(*(int *)arg) += f->key.cport;
}

static void test_foreach(void)
{
	struct fz_flowtab *t = mktab(100, 0, 0);
	int sum = 0, want = 0;
	bool fc;

	for (int i = 1; i <= 50; i++) {
		struct fz_pkt p = mkpkt(6, IPPROTO_UDP, (uint32_t)i, (uint16_t)i, 1, 443);
		struct fz_flow *f = fz_flowtab_lookup(t, &p, 1, true, &fc);

		if (i % 3 == 0)
			fz_flow_decide(t, f, 1);
		want += i;
	}
	fz_flowtab_foreach(t, count_flow, &sum);
	CHECK_INT(sum, want);
	fz_flowtab_free(t);
}

static void test_memory(void)
{
	struct fz_flowtab *t = mktab(16, 5000, 0);
	struct fz_flowtab_stats st;
	uint8_t data[100];
	const uint8_t *s;
	size_t n;
	bool fc;
	struct fz_flow *f[3];
	struct fz_pkt p[3];

	memset(data, 'x', sizeof(data));
	for (int i = 0; i < 3; i++) {
		p[i] = mkpkt(4, IPPROTO_TCP, 1, (uint16_t)(1000 + i), 1, 443);
		p[i].seq = 1000;
		p[i].payload = data;
		p[i].payload_len = sizeof(data);
		p[i].tcp_flags = FZ_TCP_ACK | FZ_TCP_PSH;
		f[i] = fz_flowtab_lookup(t, &p[i], 1, true, &fc);
	}
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.bytes, 0); /* no data yet: nothing allocated */
	CHECK_INT(fz_flow_tcp_data(t, f[0], &p[0], &s, &n), 0);
	CHECK_INT(n, 100);
	CHECK_INT(fz_flow_tcp_data(t, f[1], &p[1], &s, &n), 0);
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.bytes, 4096);
	CHECK_INT(fz_flow_tcp_data(t, f[2], &p[2], &s, &n), -ENOMEM);
	CHECK_INT(n, 0);
	CHECK(f[2]->stream.data == NULL);
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.bytes, 4096);
	CHECK_INT(st.mem_refused, 1);
	/* a segment within what flow 0 holds needs no more memory */
	p[0].seq = 1100;
	CHECK_INT(fz_flow_tcp_data(t, f[0], &p[0], &s, &n), 0);
	CHECK_INT(n, 200);
	/* deciding frees the buffer: now flow 2 fits */
	fz_flow_decide(t, f[0], 3);
	CHECK(f[0]->stream.data == NULL);
	CHECK_INT(f[0]->state, FZ_FLOW_DECIDED);
	CHECK_INT(f[0]->verdict, 3);
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.bytes, 2048);
	CHECK_INT(fz_flow_tcp_data(t, f[2], &p[2], &s, &n), 0);
	CHECK_INT(n, 100);
	/* a decided flow collects nothing */
	CHECK_INT(fz_flow_tcp_data(t, f[0], &p[0], &s, &n), 0);
	CHECK_INT(n, 0);
	CHECK(fz_flow_quic(t, f[0]) == NULL);
	/* QUIC state needs room for itself and its CRYPTO stream */
	{
		struct fz_pkt u = mkpkt(4, IPPROTO_UDP, 9, 5000, 1, 443);
		struct fz_flow *q = fz_flowtab_lookup(t, &u, 2, true, &fc);

		CHECK(fz_flow_quic(t, q) == NULL);
		fz_flowtab_stats(t, &st);
		CHECK_INT(st.mem_refused, 2);
		fz_flowtab_remove(t, f[1]);
		fz_flowtab_remove(t, f[2]);
		fz_flowtab_stats(t, &st);
		CHECK_INT(st.bytes, 0);
		CHECK_INT(st.flows, 2);
		fz_flowtab_free(t);

		t = mktab(16, sizeof(struct fz_quic_state) + FZ_QUIC_CRYPTO_MAX + 2048, 0);
		q = fz_flowtab_lookup(t, &u, 2, true, &fc);
		struct fz_quic_state *qs = fz_flow_quic(t, q);
		CHECK(qs != NULL);
		CHECK(fz_flow_quic(t, q) == qs);
		fz_flowtab_stats(t, &st);
		CHECK_INT(st.bytes, sizeof(struct fz_quic_state) + FZ_QUIC_CRYPTO_MAX);
		/* the CRYPTO stream grows within what was reserved */
		CHECK_INT(fz_reasm_add(&qs->crypto, 0, data, sizeof(data)), 100);
		fz_flow_account(t, q);
		fz_flowtab_stats(t, &st);
		CHECK_INT(st.bytes, sizeof(struct fz_quic_state) + FZ_QUIC_CRYPTO_MAX);
		/* one more TCP stream buffer fits, a second does not */
		p[0].seq = 1;
		f[0] = fz_flowtab_lookup(t, &p[0], 3, true, &fc);
		f[1] = fz_flowtab_lookup(t, &p[1], 3, true, &fc);
		CHECK_INT(fz_flow_tcp_data(t, f[0], &p[0], &s, &n), 0);
		CHECK_INT(fz_flow_tcp_data(t, f[1], &p[1], &s, &n), -ENOMEM);
		fz_flow_decide(t, q, 1);
		CHECK(q->quic == NULL);
		fz_flowtab_stats(t, &st);
		CHECK_INT(st.bytes, 2048);
		/* expiry releases the memory as well */
		CHECK_INT(fz_flowtab_expire(t, 1000000), 3);
		fz_flowtab_stats(t, &st);
		CHECK_INT(st.bytes, 0);
		CHECK_INT(st.flows, 0);
	}
	fz_flowtab_free(t);
}

static void test_expire(void)
{
	struct fz_flowtab_cfg cfg;
	struct fz_flowtab *t;
	struct fz_flowtab_stats st;
	struct drops d = {0};
	struct fz_pkt p[6];
	struct fz_flow *f[6];
	bool fc;

	fz_flowtab_cfg_defaults(&cfg);
	cfg.max_flows = 16;
	cfg.idle_timeout_ms = 30000;
	cfg.decided_timeout_ms = 10000;
	CHECK_INT(fz_flowtab_new(&cfg, &t), 0);
	fz_flowtab_set_drop_cb(t, on_drop, &d);
	for (int i = 0; i < 6; i++) {
		p[i] = mkpkt(4, IPPROTO_TCP, 2, (uint16_t)(200 + i), 1, 443);
		f[i] = fz_flowtab_lookup(t, &p[i], 1000 + (uint64_t)i * 1000, true, &fc);
	}
	/*
	 * 0 collecting (last 1000), 1 decided (2000), 2 collecting, touched at 8000,
	 * 3 decided (4000), 4 collecting, touched at 20000, 5 decided at 25000.
	 */
	fz_flow_decide(t, f[1], 1);
	fz_flow_decide(t, f[3], 1);
	fz_flowtab_lookup(t, &p[2], 8000, false, &fc);
	fz_flowtab_lookup(t, &p[4], 20000, false, &fc);
	fz_flowtab_lookup(t, &p[5], 25000, false, &fc);
	fz_flow_decide(t, f[5], 2);

	CHECK_INT(fz_flowtab_expire(t, 11999), 0);
	CHECK_INT(fz_flowtab_expire(t, 12000), 1); /* 1: decided, 10 s idle */
	CHECK_INT(d.ports[0], 201);
	CHECK_INT(fz_flowtab_expire(t, 14000), 1); /* 3 */
	CHECK_INT(d.ports[1], 203);
	/* a collecting flow older than a decided one stays until its own timeout */
	CHECK_INT(fz_flowtab_expire(t, 30999), 0);
	CHECK_INT(fz_flowtab_expire(t, 31000), 1); /* 0 */
	CHECK_INT(d.ports[2], 200);
	/* 5 (decided at 25000) goes at 35000 though 2 (collecting, 8000) is older */
	CHECK_INT(fz_flowtab_expire(t, 35000), 1);
	CHECK_INT(d.ports[3], 205);
	CHECK(fz_flowtab_lookup(t, &p[2], 35000, false, &fc) != NULL); /* refreshed: stays */
	CHECK_INT(fz_flowtab_expire(t, 50000), 1);		       /* 4 (20000) */
	CHECK_INT(d.ports[4], 204);
	/* time going backwards expires nothing */
	CHECK_INT(fz_flowtab_expire(t, 10), 0);
	CHECK_INT(fz_flowtab_expire(t, 65000), 1);
	CHECK_INT(d.ports[5], 202);
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.expired, 6);
	CHECK_INT(st.flows, 0);
	CHECK_INT(d.n, 6);
	fz_flowtab_free(t);
	CHECK_INT(d.n, 6);
}

/* A TCP segment from the client. */
static struct fz_pkt seg(uint32_t seq, uint8_t flags, const void *data, size_t n)
{
	struct fz_pkt p = mkpkt(4, IPPROTO_TCP, 3, 40000, 1, 443);

	p.seq = seq;
	p.ack = 777;
	p.tcp_flags = flags;
	p.payload = data;
	p.payload_len = n;
	return p;
}

static void test_tcp_stream(void)
{
	static const char msg[] = "GET /some/path HTTP/1.1\r\nHost: example.com\r\n\r\n";
	const size_t len = sizeof(msg) - 1;
	struct fz_flowtab *t = mktab(16, 0, 0);
	struct fz_pkt p;
	struct fz_flow *f;
	const uint8_t *s;
	size_t n;
	bool fc;

	/* SYN, then segments out of order with a retransmission that differs */
	p = seg(5000, FZ_TCP_SYN, NULL, 0);
	f = fz_flowtab_lookup(t, &p, 1, true, &fc);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK(f->have_isn && f->saw_syn);
	CHECK_INT(f->isn, 5001);
	CHECK_INT(n, 0);
	p = seg(5001 + 10, FZ_TCP_ACK, msg + 10, 10);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(n, 0);
	p = seg(5001, FZ_TCP_ACK, msg, 5);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(n, 5);
	p = seg(5001, FZ_TCP_ACK, "XXXXXXXX", 8); /* retransmission with other bytes */
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(n, 8);
	CHECK_MEM_STR((const char *)s, 8, "GET /XXX");
	p = seg(5001 + 8, FZ_TCP_ACK, msg + 8, len - 8);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(n, len);
	CHECK(memcmp(s, "GET /XXX", 8) == 0 && memcmp(s + 8, msg + 8, len - 8) == 0);
	/* a segment from before the ISN adds nothing */
	p = seg(4000, FZ_TCP_ACK, "zzzz", 4);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(n, len);
	fz_flowtab_remove(t, f);

	/* 1-byte segments in random order, with duplicates, across the seq wrap */
	for (int trial = 0; trial < 20; trial++) {
		uint32_t isn = UINT32_MAX - 20 + (uint32_t)trial, order[64];

		p = seg(isn, FZ_TCP_SYN, NULL, 0);
		f = fz_flowtab_lookup(t, &p, 1, true, &fc);
		CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
		for (uint32_t i = 0; i < len; i++)
			order[i] = i;
		for (uint32_t i = (uint32_t)len - 1; i > 0; i--) {
			uint32_t j = rnd() % (i + 1), x = order[i];

			order[i] = order[j];
			order[j] = x;
		}
		int errs = 0;
		for (uint32_t k = 0; k < len; k++) {
			uint32_t i = order[k];

			p = seg(isn + 1 + i, FZ_TCP_ACK, msg + i, 1);
			if (fz_flow_tcp_data(t, f, &p, &s, &n) != 0)
				errs++;
			if (rnd() % 4 == 0 && fz_flow_tcp_data(t, f, &p, &s, &n) != 0)
				errs++;
		}
		/* at most 16 holes at a time: a refused byte comes again later */
		for (uint32_t i = 0; i < len; i++) {
			p = seg(isn + 1 + i, FZ_TCP_ACK, msg + i, 1);
			fz_flow_tcp_data(t, f, &p, &s, &n);
		}
		(void)errs;
		CHECK_INT(n, len);
		CHECK(n == len && memcmp(s, msg, len) == 0);
		fz_flowtab_remove(t, f);
	}
	fz_flowtab_free(t);
}

static void test_tcp_rebase(void)
{
	struct fz_flowtab *t = mktab(16, 0, 1000);
	static uint8_t big[600];
	struct fz_pkt p;
	struct fz_flow *f;
	const uint8_t *s;
	size_t n;
	bool fc;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	/* offset 0 from the handshake's last ACK: an earlier segment's head is cut, no re-base */
	p = seg(5000, FZ_TCP_ACK, NULL, 0);
	f = fz_flowtab_lookup(t, &p, 1, true, &fc);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK(f->have_isn && !f->isn_from_data);
	p = seg(4990, FZ_TCP_ACK, big, 30);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(f->isn, 5000);
	CHECK_INT(n, 20);
	CHECK(memcmp(s, big + 10, 20) == 0);
	fz_flowtab_remove(t, f);

	/* three segments in reverse order, with a hole on the way: all in place at the end */
	p = seg(9000 + 400, FZ_TCP_ACK | FZ_TCP_PSH, big + 400, 200);
	f = fz_flowtab_lookup(t, &p, 1, true, &fc);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(n, 200);
	f->not_mask = 3; /* what the readers said of the wrong start */
	p = seg(9000, FZ_TCP_ACK, big, 100);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(f->isn, 9000);
	CHECK_INT(f->not_mask, 0);
	CHECK_INT(n, 100); /* 100..400 missing */
	CHECK(memcmp(s, big, 100) == 0);
	p = seg(9100, FZ_TCP_ACK, big + 100, 300);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(n, 600);
	CHECK(memcmp(s, big, 600) == 0);
	fz_flowtab_remove(t, f);

	/* more than 64 KiB before the first data: not a reordering, cut as before */
	p = seg(200000, FZ_TCP_ACK, big, 10);
	f = fz_flowtab_lookup(t, &p, 1, true, &fc);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	p = seg(200000 - 70000, FZ_TCP_ACK, big, 10);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(f->isn, 200000);
	CHECK_INT(n, 10);
	/* a segment before offset 0 by more than collect_max: the same */
	p = seg(200000 - 2000, FZ_TCP_ACK, big, 10);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(f->isn, 200000);
	fz_flowtab_remove(t, f);
	/* only among a flow's first 16 data segments: later, an earlier segment is cut */
	for (uint32_t i = 0; i < 16; i++) {
		p = seg(300000 + i * 10, FZ_TCP_ACK, big + i * 10, 10);
		if (i == 0)
			f = fz_flowtab_lookup(t, &p, 1, true, &fc);
		CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	}
	CHECK_INT(n, 160);
	p = seg(300000 - 5, FZ_TCP_ACK, big, 10);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(f->isn, 300000);
	CHECK_INT(f->data_segs, 17);
	CHECK_INT(n, 160);
	fz_flowtab_remove(t, f);
	p = seg(200000, FZ_TCP_ACK, big, 10);
	f = fz_flowtab_lookup(t, &p, 1, true, &fc);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	/* after a request was consumed, nothing moves back */
	CHECK_INT(fz_flow_tcp_consume(t, f, 10), 0);
	CHECK(!f->isn_from_data);
	p = seg(200000 + 5, FZ_TCP_ACK, big, 10);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(f->isn, 200010);
	CHECK_INT(n, 5);
	fz_flowtab_free(t);
}

/* The note an accepted flow leaves when its entry goes (fz_flow_decide_forget). */
static void test_forget(void)
{
	struct fz_flowtab *t = mktab(64, 0, 0);
	struct fz_flowtab_stats st;
	struct fz_pkt u = mkpkt(6, IPPROTO_UDP, 5, 50000, 9, 443), back = u, other = u, p;
	struct fz_flow *f;
	uint8_t v = 0, proto = 0;
	bool fc;

	/* UDP: either direction finds the note; its time moves with each packet */
	f = fz_flowtab_lookup(t, &u, 1000, true, &fc);
	f->proto = 4;
	fz_flow_decide_forget(t, f, &u, 1);
	fz_flowtab_stats(t, &st);
	CHECK_INT(st.flows, 0);
	CHECK(fz_flowtab_lookup(t, &u, 1001, false, &fc) == NULL);
	CHECK(fz_flowtab_recent(t, &u, 1001, &v, &proto));
	CHECK_INT(v, 1);
	CHECK_INT(proto, 4);
	memcpy(back.src, u.dst, 16);
	memcpy(back.dst, u.src, 16);
	back.sport = u.dport;
	back.dport = u.sport;
	CHECK(fz_flowtab_recent(t, &back, 9000, &v, &proto));
	CHECK(fz_flowtab_recent(t, &u, 9000 + 9999, &v, &proto));
	/* no packet for longer than decided_timeout (10 s): gone */
	CHECK(!fz_flowtab_recent(t, &u, 9000 + 9999 + 10001, &v, &proto));
	/* another tuple: no note */
	other.sport = 50001;
	CHECK(!fz_flowtab_recent(t, &other, 9000, &v, &proto));

	/* TCP: only within 1 MiB of the sequence number after the deciding packet */
	p = seg(7000, FZ_TCP_ACK, "GET / HTTP/1.0\r\n\r\n", 18);
	f = fz_flowtab_lookup(t, &p, 2000, true, &fc);
	fz_flow_decide_forget(t, f, &p, 1);
	p = seg(7018, FZ_TCP_ACK, "x", 1);
	CHECK(fz_flowtab_recent(t, &p, 2001, &v, &proto));
	p = seg(7018 + 900000, FZ_TCP_ACK, "x", 1);
	CHECK(fz_flowtab_recent(t, &p, 2002, &v, &proto));
	/* the note follows the stream: further on is still this connection */
	p = seg(7018 + 1800000, FZ_TCP_ACK, "x", 1);
	CHECK(fz_flowtab_recent(t, &p, 2003, &v, &proto));
	/* a new connection on the same tuple starts elsewhere: read afresh */
	p = seg(7018 + 0x40000000u, FZ_TCP_ACK, "x", 1);
	CHECK(!fz_flowtab_recent(t, &p, 2004, &v, &proto));
	fz_flowtab_free(t);
}

static void test_tcp_edges(void)
{
	struct fz_flowtab *t = mktab(16, 0, 100);
	static uint8_t big[300];
	struct fz_pkt p;
	struct fz_flow *f;
	const uint8_t *s;
	size_t n;
	bool fc;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	/*
	 * No SYN, no bare ACK: the first data segment is offset 0 until a
	 * segment that was sent before it comes: then offset 0 moves back and
	 * the bytes held move up.
	 */
	p = seg(1000000, FZ_TCP_ACK, big + 10, 10);
	f = fz_flowtab_lookup(t, &p, 1, true, &fc);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK(f->have_isn && !f->saw_syn && f->isn_from_data);
	CHECK_INT(f->isn, 1000000);
	CHECK_INT(f->data_segs, 1);
	CHECK_INT(n, 10);
	p = seg(1000000 - 10, FZ_TCP_ACK, big, 15);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(f->isn, 1000000 - 10);
	CHECK_INT(f->data_segs, 2);
	CHECK_INT(n, 20);
	CHECK(memcmp(s, big, 20) == 0);
	/* past collect_max (100): clipped */
	p = seg(1000000 + 10, FZ_TCP_ACK, big + 20, 200);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(n, 100);
	CHECK(memcmp(s, big, 100) == 0);
	CHECK_INT(fz_reasm_bytes(&f->stream), 100);
	/* far beyond (a huge relative offset): ignored */
	p = seg(1000000 + 0x40000000u, FZ_TCP_ACK, big, 10);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(n, 100);
	fz_flowtab_remove(t, f);

	/* SYN with data (TCP Fast Open): the data is offset 0 */
	p = seg(UINT32_MAX, FZ_TCP_SYN, "hello", 5);
	f = fz_flowtab_lookup(t, &p, 1, true, &fc);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(f->isn, 0);
	CHECK_MEM_STR((const char *)s, n, "hello");
	/* a retransmitted SYN changes nothing */
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_MEM_STR((const char *)s, n, "hello");
	p = seg(5, FZ_TCP_ACK | FZ_TCP_PSH, " world", 6);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_MEM_STR((const char *)s, n, "hello world");
	/* consuming a read request: the rest becomes offset 0, later data follows it */
	CHECK_INT(fz_flow_tcp_consume(t, f, 6), 0);
	p = seg(11, FZ_TCP_ACK, "!", 1);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_MEM_STR((const char *)s, n, "world!");
	p = seg(5, FZ_TCP_ACK, " world",
		6); /* a retransmission of consumed bytes changes nothing */
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_MEM_STR((const char *)s, n, "world!");
	CHECK_INT(fz_flow_tcp_consume(t, f, 100), 0);
	CHECK_INT(fz_reasm_contiguous(&f->stream), 0);
	fz_flowtab_remove(t, f);

	/* without a SYN, a pure ACK (the handshake's last) fixes offset 0 ... */
	p = seg(500, FZ_TCP_ACK, NULL, 0);
	f = fz_flowtab_lookup(t, &p, 1, true, &fc);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK(f->have_isn);
	CHECK_INT(f->isn, 500);
	p = seg(500, FZ_TCP_ACK | FZ_TCP_PSH, "hi", 2);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_MEM_STR((const char *)s, n, "hi");
	fz_flowtab_remove(t, f);
	/* ... but not a FIN or RST; then the first data does; too many holes is -ENOSPC */
	p = seg(400, FZ_TCP_ACK | FZ_TCP_FIN, NULL, 0);
	f = fz_flowtab_lookup(t, &p, 1, true, &fc);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK(!f->have_isn);
	p = seg(600, FZ_TCP_ACK, "a", 1);
	CHECK_INT(fz_flow_tcp_data(t, f, &p, &s, &n), 0);
	CHECK_INT(f->isn, 600);
	int rc = 0;
	for (uint32_t i = 1; i <= FZ_REASM_MAX_RANGES && rc == 0; i++) {
		p = seg(600 + 2 * i, FZ_TCP_ACK, "b", 1);
		rc = fz_flow_tcp_data(t, f, &p, &s, &n);
	}
	CHECK_INT(rc, -ENOSPC);
	CHECK_INT(n, 1);
	fz_flowtab_free(t);
}

int main(void)
{
	test_cfg();
	test_many_flows();
	test_lru_eviction();
	test_foreach();
	test_memory();
	test_expire();
	test_tcp_stream();
	test_tcp_edges();
	test_tcp_rebase();
	test_forget();
	return fz_test_done();
}
