/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the inspector fed packet sequences, as the queue threads
 * and --pcap feed it: the input is a series of records, each either a raw
 * IP packet or payload bytes wrapped in an IPv4/IPv6 TCP or UDP header
 * toward the ports we read (so the readers, the flow table and its
 * reassembly are reached often), over a real compiled list and a small
 * flow table (so eviction and expiry happen).
 *
 * Record: len (2 bytes), mode (1), time step (1), sequence step (1), then
 * len bytes. Invariants: every verdict is one of ours; a block names a
 * reason; injected packets are within FZ_INJECT_MAX and TCP/UDP ones parse
 * back; a decided flow keeps its verdict; the table stays within bounds.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "fz_blocklist.h"
#include "fz_blwriter.h"
#include "fz_inspect.h"

static struct fz_blocklist *bl;
static struct fz_nfq_cfg cfg;

static void setup(void)
{
	char dir[] = "/tmp/fz-fuzz-inspect-XXXXXX", path[80], err[256];
	struct fz_blwriter *w;
	static const char *const names[] = {"fraud.test", "a", "evil.example", "doh.test"};

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/list.fzb", dir);
	if (fz_blwriter_new(&w) < 0)
		abort();
	int f = fz_blwriter_add_feed(w, "fraud-feed", FZ_CAT_FRAUD, "", FZ_FEED_NORMAL);
	int d = fz_blwriter_add_feed(w, "doh-feed", FZ_CAT_DOH, "", FZ_FEED_NORMAL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		fz_blwriter_add_name(w, i == 3 ? d : f, names[i], strlen(names[i]), FZ_ACTION_BLOCK,
				     FZ_MATCH_SUBTREE, FZ_POLICY_DEFAULT);
	if (fz_blwriter_write(w, path, NULL, NULL, err, sizeof(err)) < 0 ||
	    fz_blocklist_open(path, &bl, err, sizeof(err)) < 0)
		abort();
	fz_blwriter_free(w);
	unlink(path);
	rmdir(dir);
	fz_nfq_cfg_defaults(&cfg);
	cfg.max_flows = 8;
	cfg.max_memory = 64 * 1024;
	cfg.flow_timeout_ms = 2000;
	cfg.block_doh = true;
}

/* Wrap `n` payload bytes in a header chosen by `mode`; returns the packet length. */
static size_t wrap(uint8_t mode, uint32_t seq, const uint8_t *d, size_t n, uint8_t *out, size_t cap)
{
	static const uint16_t ports[] = {443, 80, 53, 853, 443, 53, 8080, 443};
	bool v6 = mode & 0x10, udp = mode & 0x08;
	uint16_t dport = ports[mode & 7], sport = (uint16_t)(40000 + ((mode >> 5) & 3));
	size_t ih = v6 ? 40 : 20, l4 = udp ? 8 : 20;

	if (ih + l4 + n > cap)
		n = cap - ih - l4;
	memset(out, 0, ih + l4);
	if (v6) {
		out[0] = 0x60;
		out[4] = (uint8_t)((l4 + n) >> 8);
		out[5] = (uint8_t)(l4 + n);
		out[6] = udp ? IPPROTO_UDP : IPPROTO_TCP;
		out[7] = 64;
		out[23] = 1;
		out[39] = 2;
	} else {
		out[0] = 0x45;
		out[2] = (uint8_t)((20 + l4 + n) >> 8);
		out[3] = (uint8_t)(20 + l4 + n);
		out[8] = 64;
		out[9] = udp ? IPPROTO_UDP : IPPROTO_TCP;
		out[12] = 10, out[15] = 1;
		out[16] = 10, out[19] = 2;
	}
	uint8_t *h = out + ih;
	h[0] = (uint8_t)(sport >> 8);
	h[1] = (uint8_t)sport;
	h[2] = (uint8_t)(dport >> 8);
	h[3] = (uint8_t)dport;
	if (udp) {
		h[4] = (uint8_t)((8 + n) >> 8);
		h[5] = (uint8_t)(8 + n);
	} else {
		h[4] = (uint8_t)(seq >> 24);
		h[5] = (uint8_t)(seq >> 16);
		h[6] = (uint8_t)(seq >> 8);
		h[7] = (uint8_t)seq;
		h[12] = 5 << 4;
		h[13] = (mode & 0x80) ? FZ_TCP_SYN : FZ_TCP_ACK;
	}
	memcpy(out + ih + l4, d, n);
	return ih + l4 + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[70000];
	struct fz_inspector *ins;
	struct fz_inspect_result res;
	uint64_t now = 1000;
	uint32_t seq[4] = {0};
	size_t packets = 0;

	if (!bl)
		setup();
	if (fz_inspector_new(&cfg, &ins) < 0)
		abort();
	const struct fz_blmap *m = fz_blocklist_current(bl);
	while (size >= 5) {
		size_t n = (size_t)(data[0] << 8 | data[1]);
		uint8_t mode = data[2], dt = data[3], step = data[4];
		data += 5;
		size -= 5;
		if (n > size)
			n = size;
		now += dt * 16u;
		const uint8_t *p = data;
		size_t len = n;
		if (mode != 0xff) {
			unsigned s = (mode >> 5) & 3;
			uint32_t sq = seq[s] + (step >= 0xf0 ? (uint32_t)(step - 0xf0) * 100 : 0);
			len = wrap(mode, sq, data, n, pkt, sizeof(pkt));
			p = pkt;
			if (step < 0xf0)
				seq[s] += (uint32_t)n + ((mode & 0x80) ? 1 : 0);
		}
		fz_inspect_packet(ins, m, p, len, now, (mode & 1) != 0, &res);
		packets++;
		FZ_FUZZ_CHECK(res.verdict <= FZ_NV_DROP);
		FZ_FUZZ_CHECK(res.n_inject <= FZ_INSPECT_MAX_INJECT);
		if (res.decided_now && (res.verdict == FZ_NV_BLOCK || res.verdict == FZ_NV_DROP))
			FZ_FUZZ_CHECK(res.reason != NULL);
		if (res.verdict == FZ_NV_BLOCK || res.verdict == FZ_NV_ACCEPT)
			FZ_FUZZ_CHECK(res.pkt_err == 0);
		FZ_FUZZ_CHECK(strlen(res.name) < sizeof(res.name));
		for (size_t i = 0; i < res.n_inject; i++) {
			struct fz_pkt back;
			FZ_FUZZ_CHECK(res.inject_len[i] > 0 && res.inject_len[i] <= FZ_INJECT_MAX);
			int r = fz_pkt_parse(res.inject[i], res.inject_len[i], false, &back);
			if (res.action != FZ_NA_ICMP)
				FZ_FUZZ_CHECK(r == 0);
		}
		if (res.verdict == FZ_NV_BLOCK || res.verdict == FZ_NV_ACCEPT) {
			/* the same packet again gets the same verdict (tombstone), no packets */
			struct fz_inspect_result again;
			fz_inspect_packet(ins, m, p, len, now, (mode & 1) != 0, &again);
			packets++;
			FZ_FUZZ_CHECK(again.verdict == res.verdict);
			FZ_FUZZ_CHECK(again.n_inject == 0 && !again.decided_now);
		}
		if ((dt & 0x0f) == 0x0f)
			fz_inspector_tick(ins, now);
		data += n;
		size -= n;
	}
	struct fz_inspect_stats st;
	struct fz_flowtab_stats fs;
	fz_inspector_stats(ins, &st);
	fz_flowtab_stats(fz_inspector_flows(ins), &fs);
	FZ_FUZZ_CHECK(st.packets == packets);
	FZ_FUZZ_CHECK(fs.flows <= cfg.max_flows);
	FZ_FUZZ_CHECK(fs.bytes <= cfg.max_memory);
	fz_inspector_free(ins);
	return 0;
}
