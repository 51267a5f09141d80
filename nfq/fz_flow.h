/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inspector's flow table: one entry per TCP connection or UDP flow,
 * found from a packet in either direction, holding the client->server bytes
 * of a flow until the inspector can decide (at most `collect_max` bytes),
 * and then, as a small tombstone, the decision itself so late packets of a
 * decided flow (in flight before the kernel saw the connmark, or
 * retransmitted) get the same verdict without being read again.
 *
 * Bounded: at most max_flows entries and max_bytes of collected bytes and
 * protocol state; when full the least recently used entry goes (counted).
 * One table per queue thread: no locks.
 */
#ifndef FZ_FLOW_H
#define FZ_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_dpi.h"
#include "fz_pkt.h"
#include "fz_quic.h"
#include "fz_reasm.h"

struct fz_flowtab_cfg {
	uint32_t max_flows;   /* default 65536 */
	uint64_t max_bytes;   /* collected bytes + QUIC state, default 64 MiB */
	uint32_t collect_max; /* client->server bytes read per flow, default 16384 */
	uint32_t
	    idle_timeout_ms; /* undecided flow with no packet for this long goes, default 30000 */
	uint32_t decided_timeout_ms; /* decided tombstones live this long after their last packet,
					default 10000 */
};
void fz_flowtab_cfg_defaults(struct fz_flowtab_cfg *cfg);

/* Who started the flow: the first packet's source is the client. */
struct fz_flow_key {
	uint8_t family, proto;
	uint16_t cport, sport;
	uint8_t caddr[16], saddr[16];
};

enum fz_flow_state {
	FZ_FLOW_COLLECTING = 0, /* reading the client's first bytes */
	FZ_FLOW_DECIDED = 1,	/* verdict taken; the entry is a tombstone (no buffers) */
};

struct fz_flow {
	struct fz_flow_key key;
	uint64_t first_ms, last_ms;
	uint8_t state;	  /* enum fz_flow_state */
	uint8_t proto;	  /* enum fz_proto, once recognized */
	uint8_t verdict;  /* the inspector's decision (its own enum), valid when DECIDED */
	uint8_t not_mask; /* bit (1 << enum fz_proto): readers that said FZ_DPI_NOT */
	uint32_t c2s_pkts, s2c_pkts;
	/* TCP: client's initial sequence number + 1 = stream offset 0 */
	bool have_isn;
	bool saw_syn;
	/*
	 * Offset 0 is only the first data segment seen (no SYN, no bare ACK
	 * before it): data that comes later but belongs before it moves
	 * offset 0 back (fz_flow_tcp_data), and the inspector does not call
	 * the flow unreadable on that one segment.
	 */
	bool isn_from_data;
	uint8_t data_segs; /* client segments with data seen (stops at 255) */
	uint32_t isn;
	struct fz_reasm stream;	    /* TCP client->server bytes (cap collect_max) */
	struct fz_quic_state *quic; /* UDP/443: allocated by fz_flow_quic() */
	uint32_t user;		    /* free for the inspector (e.g. an index into its own report) */
	/* table links (private) */
	uint32_t hnext, lru_prev, lru_next;
};

struct fz_flowtab;

struct fz_flowtab_stats {
	uint64_t flows; /* entries now */
	uint64_t bytes; /* collected bytes + QUIC state now */
	uint64_t created, evicted, expired;
	uint64_t mem_refused; /* data not kept because max_bytes was reached */
};

int fz_flowtab_new(const struct fz_flowtab_cfg *cfg, struct fz_flowtab **ret);
/* Frees every flow (calls the drop callback for each, see below) and the table. */
void fz_flowtab_free(struct fz_flowtab *t);

/*
 * Called for every flow that leaves the table other than by
 * fz_flowtab_remove (eviction, expiry, table free), before its buffers are
 * freed: the --pcap mode reports flows that never reached a verdict.
 */
typedef void (*fz_flow_drop_cb)(struct fz_flow *f, void *arg);
void fz_flowtab_set_drop_cb(struct fz_flowtab *t, fz_flow_drop_cb cb, void *arg);

/*
 * The flow of packet `p`, looked up in both directions; *from_client says
 * which way `p` goes. When there is none and `create`, a new COLLECTING
 * entry is made with p's source as the client (evicting the least recently
 * used entry when the table is full). Updates last_ms and the packet
 * counters, and moves the flow to the front of the LRU. NULL when absent
 * and not created.
 */
struct fz_flow *fz_flowtab_lookup(struct fz_flowtab *t, const struct fz_pkt *p, uint64_t now_ms,
				  bool create, bool *from_client);

/* Drop the entry now (no callback). */
void fz_flowtab_remove(struct fz_flowtab *t, struct fz_flow *f);

/* Turn the flow into a decided tombstone with `verdict`: buffers and QUIC state freed. */
void fz_flow_decide(struct fz_flowtab *t, struct fz_flow *f, uint8_t verdict);

/*
 * Decide the flow and let its entry go at once (no callback), keeping only
 * a 16-byte note of it (the tuple's hash, `verdict`, f->proto, the time,
 * for TCP the sequence number after `p`, the deciding packet, or NULL) in
 * a direct-mapped array of as many slots as the table has buckets; a newer
 * flow on the same slot takes the note's place. For accepted flows: once
 * the rules saved the mark the kernel queues none of their packets, so
 * only those already queued come back, a moment later, and a tombstone in
 * the table for each would cost a flood of new flows the table's cache.
 */
void fz_flow_decide_forget(struct fz_flowtab *t, struct fz_flow *f, const struct fz_pkt *p,
			   uint8_t verdict);

/*
 * The same note for a flow that never entered the table: decided on its
 * first packet `p` (the client's), at now_ms, with `verdict` and `proto`.
 */
void fz_flowtab_note(struct fz_flowtab *t, const struct fz_pkt *p, uint64_t now_ms, uint8_t verdict,
		     uint8_t proto);

/*
 * The note fz_flow_decide_forget left for packet p's flow (either
 * direction; for TCP only within 1 MiB of the noted sequence number, so a
 * new connection on the same tuple is not taken for the old one), no
 * older than decided_timeout_ms: true with *verdict and *proto, and the
 * note's time (and sequence number) move on with the packet.
 */
bool fz_flowtab_recent(struct fz_flowtab *t, const struct fz_pkt *p, uint64_t now_ms,
		       uint8_t *verdict, uint8_t *proto);

/*
 * Add a client->server TCP segment (`p` must be from the client). A SYN
 * sets the ISN; without one, a pure ACK (the handshake's last) or else
 * the first data segment gives the sequence number of offset 0; in the
 * last case a segment up to 64 KiB before it (reordered: it was sent
 * first), among the flow's first 16 data segments, moves offset 0 back to
 * itself, the bytes held so far moving along. The rules queue neither bare SYNs nor payload-less
 * segments, so the last case is the usual one. Bytes past collect_max are
 * dropped.
 * On return *stream and *stream_len give the gap-free prefix of the stream
 * collected so far (inside the flow's buffer).
 * Returns 0, or -ENOMEM (the table's byte budget is spent) or -ENOSPC
 * (too many holes): the caller gives up on reading the flow.
 */
int fz_flow_tcp_data(struct fz_flowtab *t, struct fz_flow *f, const struct fz_pkt *p,
		     const uint8_t **stream, size_t *stream_len);

/*
 * Drop the first `n` bytes of the gap-free stream (a request that was read
 * and passed): the next byte becomes offset 0, the bytes after it are
 * kept. The collection cap then applies from there, so a connection's
 * later requests can be read one after another. 0, -EINVAL (not a
 * collecting TCP flow with a known offset) or -ENOMEM.
 */
int fz_flow_tcp_consume(struct fz_flowtab *t, struct fz_flow *f, uint32_t n);

/* The flow's QUIC state, allocated (and accounted) on first use; NULL when over budget. */
struct fz_quic_state *fz_flow_quic(struct fz_flowtab *t, struct fz_flow *f);
/* Re-account a flow's QUIC state after it grew (call after fz_quic_client_datagram). */
void fz_flow_account(struct fz_flowtab *t, struct fz_flow *f);

/*
 * Give a collecting flow without QUIC state the QUIC state `st` read
 * outside the table (its CRYPTO stream's buffer moves with it; st is left
 * empty), charged as fz_flow_quic charges. 0, -EEXIST (the flow has state
 * or is decided), -ENOBUFS (max_bytes; counted in mem_refused), -ENOMEM.
 */
int fz_flow_quic_adopt(struct fz_flowtab *t, struct fz_flow *f, struct fz_quic_state *st);

/* Remove flows idle past their timeout (undecided: idle_timeout_ms; decided: decided_timeout_ms).
 */
size_t fz_flowtab_expire(struct fz_flowtab *t, uint64_t now_ms);
/* Visit every flow (the --pcap mode's final report). */
void fz_flowtab_foreach(struct fz_flowtab *t, void (*fn)(struct fz_flow *f, void *arg), void *arg);
void fz_flowtab_stats(const struct fz_flowtab *t, struct fz_flowtab_stats *st);

#endif
