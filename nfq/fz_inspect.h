/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inspector's decision for one packet: walk it (fz_pkt), find its flow
 * (fz_flow), hand the client's bytes so far to the protocol readers (TLS,
 * QUIC, HTTP, DNS), look what they found up in the blocklist, and say what
 * to do with the packet and which packets to send. Used unchanged by the
 * NFQUEUE threads and by the --pcap mode. One inspector per thread; no I/O.
 */
#ifndef FZ_INSPECT_H
#define FZ_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_blocklist.h"
#include "fz_dpi.h"
#include "fz_flow.h"
#include "fz_inject.h"
#include "fz_nfqcfg.h"
#include "fz_pkt.h"

enum fz_nfq_verdict {
	FZ_NV_PASS = 0,	  /* let it through, keep queueing the flow (no decision yet) */
	FZ_NV_ACCEPT = 1, /* decided, unlisted: accept with the "decided" mark */
	FZ_NV_BLOCK = 2,  /* decided, listed: drop with the "blocked" mark (+ injected packets) */
	FZ_NV_DROP = 3, /* drop this packet only, no mark (a blocked DNS query: the next one is read
			   again) */
};

/* Why a flow was blocked, and how. */
enum fz_nfq_action {
	FZ_NA_NONE = 0,
	FZ_NA_RST,	/* TCP: resets to both ends */
	FZ_NA_PAGE,	/* HTTP: 403 block page to the client, reset to the server */
	FZ_NA_ICMP,	/* QUIC: drop + ICMP administratively prohibited */
	FZ_NA_DROP,	/* drop silently */
	FZ_NA_NXDOMAIN, /* DNS: injected NXDOMAIN + EDE 15 */
};
const char *
fz_nfq_action_name(enum fz_nfq_action a); /* "rst", "page", "icmp", "drop", "nxdomain" */

#define FZ_INSPECT_MAX_INJECT 2

struct fz_inspect_result {
	enum fz_nfq_verdict verdict;
	enum fz_nfq_action action;
	enum fz_proto proto; /* what the flow was recognized as */
	bool decided_now;    /* this packet took the flow's decision (events, --pcap report) */
	/* what was found (valid when the reader answered) */
	char name[256]; /* SNI, Host or DNS qname, lowercase; "" when none */
	char url[1024]; /* HTTP: "host/path" (path cut at the cap); "" otherwise */
	char alpn[128];
	bool ech;
	const char
	    *reason; /* "listed", "url", "ip", "ech", "dot", "doh" ...; NULL when not blocked */
	struct fz_match_info match; /* the rule (valid within the blocklist read section) */
	/* packets to send, built into the inspector's own buffers (valid until the next call) */
	size_t n_inject;
	const uint8_t *inject[FZ_INSPECT_MAX_INJECT];
	size_t inject_len[FZ_INSPECT_MAX_INJECT];
	/* the packet's parse (valid while the packet is) */
	struct fz_pkt pkt;
	int pkt_err; /* fz_pkt_parse's result: non-zero packets are passed (FZ_NV_PASS) */
};

struct fz_inspector;

/* `cfg` is kept by pointer: it must outlive the inspector. */
int fz_inspector_new(const struct fz_nfq_cfg *cfg, struct fz_inspector **ret);
void fz_inspector_free(struct fz_inspector *ins);

/*
 * Decide packet `p` (len bytes from its IP header) seen at `now_ms`, with
 * the blocklist mapping `m` (NULL: nothing is listed, every flow is
 * accepted once recognized). `capture` relaxes length checks for packets a
 * capture cut short. Never fails: packets it cannot read are passed.
 */
void fz_inspect_packet(struct fz_inspector *ins, const struct fz_blmap *m, const uint8_t *p,
		       size_t len, uint64_t now_ms, bool capture, struct fz_inspect_result *res);

/* Expire idle flows (call about once a second). */
void fz_inspector_tick(struct fz_inspector *ins, uint64_t now_ms);
struct fz_flowtab *fz_inspector_flows(struct fz_inspector *ins);

/* Counters of one inspector (summed over threads for /metrics). */
struct fz_inspect_stats {
	uint64_t packets, passed, accepted, blocked, dropped;
	uint64_t by_proto[FZ_PROTO_COUNT];	   /* flows recognized */
	uint64_t blocked_by_proto[FZ_PROTO_COUNT]; /* flows blocked */
	uint64_t unreadable;			   /* packets fz_pkt_parse refused */
	uint64_t gave_up; /* flows decided without an answer (cap, memory, holes) */
};
void fz_inspector_stats(const struct fz_inspector *ins, struct fz_inspect_stats *st);

#endif
