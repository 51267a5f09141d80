/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: nfq/fz_flow.c fed packet sequences (fz_pkt.c, fz_reasm.c,
 * fz_quic.c and fz_tls.c compiled in). The first input byte picks small
 * table limits (1-8 flows, a 64-byte or 4 KiB collect cap, a tight or
 * ample byte budget) so eviction, refusal and expiry all happen. Then
 * records: a 2-byte length, an action byte (bits 0-5: time step in
 * quarter seconds; bit 6: remove the flow afterwards; bit 7: decide it),
 * and that many bytes of IP packet. Each packet that fz_pkt_parse reads
 * is looked up (created), its reverse direction found as the same flow,
 * client TCP segments go through fz_flow_tcp_data and client UDP/443
 * datagrams through fz_flow_quic + fz_quic_client_datagram.
 * Invariants after every record: the stream prefix is at most collect_max
 * and is the reassembly's contiguous prefix; flows <= max_flows and equal
 * to what foreach visits; created == flows + evicted + expired + removed;
 * the drop callback ran once per evicted or expired flow; the byte count
 * is the sum over the flows of their charges and within max_bytes;
 * decided flows hold no buffers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_flow.h"
#include "fz_pkt.h"
#include "fz_quic.h"

struct walk {
	uint64_t n, bytes;
};

static uint64_t drops;

static void on_drop(struct fz_flow *f, void *arg)
{
	(void)arg;
	FZ_FUZZ_CHECK(f->state == FZ_FLOW_COLLECTING || f->state == FZ_FLOW_DECIDED);
	drops++;
}

static void visit(struct fz_flow *f, void *arg)
{
	struct walk *w = arg;
	uint64_t c = fz_reasm_bytes(&f->stream);

	if (f->quic) {
		size_t q = fz_reasm_bytes(&f->quic->crypto);

		c += sizeof(struct fz_quic_state) +
		     (q > FZ_QUIC_CRYPTO_MAX ? q : FZ_QUIC_CRYPTO_MAX);
	}
	if (f->state == FZ_FLOW_DECIDED)
		FZ_FUZZ_CHECK(f->stream.data == NULL && f->quic == NULL);
	else
		FZ_FUZZ_CHECK(f->state == FZ_FLOW_COLLECTING);
	FZ_FUZZ_CHECK(f->last_ms >= f->first_ms);
	w->n++;
	w->bytes += c;
}

static void check_table(struct fz_flowtab *t, const struct fz_flowtab_cfg *cfg, uint64_t removed)
{
	struct fz_flowtab_stats st;
	struct walk w = {0, 0};

	fz_flowtab_stats(t, &st);
	fz_flowtab_foreach(t, visit, &w);
	FZ_FUZZ_CHECK(st.flows <= cfg->max_flows);
	FZ_FUZZ_CHECK(w.n == st.flows);
	FZ_FUZZ_CHECK(st.created == st.flows + st.evicted + st.expired + removed);
	FZ_FUZZ_CHECK(drops == st.evicted + st.expired);
	FZ_FUZZ_CHECK(w.bytes == st.bytes);
	FZ_FUZZ_CHECK(st.bytes <= cfg->max_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_flowtab_cfg cfg;
	struct fz_flowtab *t;
	uint64_t now = 1000, removed = 0;
	size_t pos = 1;
	uint8_t c;

	if (size < 1)
		return 0;
	c = data[0];
	fz_flowtab_cfg_defaults(&cfg);
	cfg.max_flows = 1 + (c & 7);
	cfg.collect_max = (c & 8) ? 64 : 4096;
	cfg.max_bytes = (c & 16)   ? 3000
			: (c & 32) ? sizeof(struct fz_quic_state) + FZ_QUIC_CRYPTO_MAX + 4096
				   : 1u << 20;
	cfg.idle_timeout_ms = 2000;
	cfg.decided_timeout_ms = 1000;
	FZ_FUZZ_CHECK(fz_flowtab_new(&cfg, &t) == 0);
	drops = 0;
	fz_flowtab_set_drop_cb(t, on_drop, NULL);

	while (pos + 3 <= size) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];
		uint8_t act = data[pos + 2];
		struct fz_pkt p, r;
		struct fz_flow *f, *g;
		bool fc, rc;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		now += (uint64_t)(act & 63) * 250;
		fz_flowtab_expire(t, now);
		check_table(t, &cfg, removed);

		if (fz_pkt_parse(data + pos, len, true, &p) == 0) {
			f = fz_flowtab_lookup(t, &p, now, true, &fc);
			FZ_FUZZ_CHECK(f != NULL);
			FZ_FUZZ_CHECK(f->key.family == p.family && f->key.proto == p.proto);
			/* the other direction finds the same flow */
			r = p;
			memcpy(r.src, p.dst, 16);
			memcpy(r.dst, p.src, 16);
			r.sport = p.dport;
			r.dport = p.sport;
			g = fz_flowtab_lookup(t, &r, now, false, &rc);
			FZ_FUZZ_CHECK(g == f);
			if (memcmp(p.src, p.dst, p.family == 6 ? 16 : 4) != 0 || p.sport != p.dport)
				FZ_FUZZ_CHECK(rc == !fc);
			if (fc && f->state == FZ_FLOW_COLLECTING && p.proto == IPPROTO_TCP) {
				const uint8_t *s;
				size_t n;
				int e = fz_flow_tcp_data(t, f, &p, &s, &n);

				FZ_FUZZ_CHECK(e == 0 || e == -ENOMEM || e == -ENOSPC);
				FZ_FUZZ_CHECK(n <= cfg.collect_max);
				FZ_FUZZ_CHECK(n == fz_reasm_contiguous(&f->stream));
				FZ_FUZZ_CHECK(s != NULL && (n == 0 || s == f->stream.data));
			} else if (fc && f->state == FZ_FLOW_COLLECTING && p.dport == 443) {
				struct fz_quic_state *qs = fz_flow_quic(t, f);

				if (qs) {
					struct fz_tls_hello h;

					FZ_FUZZ_CHECK(fz_flow_quic(t, f) == qs);
					fz_quic_client_datagram(qs, p.payload, p.payload_len, &h);
					fz_flow_account(t, f);
				}
			}
			if ((act & 0xc0) == 0xc0) {
				/* accepted and gone: only its note answers, in both directions */
				uint8_t v = 0, pr = 0;

				fz_flow_decide_forget(t, f, &p, act & 0x3f);
				removed++;
				FZ_FUZZ_CHECK(fz_flowtab_lookup(t, &p, now, false, &rc) == NULL);
				FZ_FUZZ_CHECK(fz_flowtab_recent(t, &p, now, &v, &pr));
				FZ_FUZZ_CHECK(v == (act & 0x3f));
				if (p.proto != IPPROTO_TCP)
					FZ_FUZZ_CHECK(fz_flowtab_recent(t, &r, now, &v, &pr));
			} else {
				if (act & 0x80)
					fz_flow_decide(t, f, act);
				if (act & 0x40) {
					fz_flowtab_remove(t, f);
					removed++;
				}
			}
		}
		check_table(t, &cfg, removed);
		pos += len;
	}
	{
		struct fz_flowtab_stats st;
		uint64_t before = drops;

		fz_flowtab_stats(t, &st);
		fz_flowtab_free(t);
		FZ_FUZZ_CHECK(drops == before + st.flows);
	}
	return 0;
}
