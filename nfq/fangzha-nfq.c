/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fangzha-nfq: the NFQUEUE inspector. One thread per queue reads packets
 * from the kernel in batches (recvmmsg on the netlink socket), decides each
 * with fz_inspect, and answers the whole batch in one send. Decisions are
 * packet marks the firewall rules save to the connmark (this kernel, like
 * many router kernels, ignores a connmark set in the verdict), so a decided
 * flow leaves the queue after its first packets.
 *
 * --pcap FILE runs the same inspector over a capture and prints one line
 * per flow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/capability.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fz_blocklist.h"
#include "fz_config.h"
#include "fz_daemon.h"
#include "fz_events.h"
#include "fz_inspect.h"
#include "fz_metrics.h"
#include "fz_nfqcfg.h"

#define DEFAULT_CONFIG "/etc/fangzha/fangzha.conf"
#define BATCH	       32
#define PKT_BUF	       (0xffff + 4096) /* a GSO packet of 64 KiB and its netlink attributes */
#define VERDICT_BUF    (BATCH * 128)

/* What one queue thread counts; the scrape reads it while the thread writes. */
enum qc {
	QC_PACKETS = 0,
	QC_PASS,
	QC_ACCEPT,
	QC_BLOCK,
	QC_DROP,
	QC_LOOPED,  /* a packet that already carried our mark (rules out of step): not re-read */
	QC_ENOBUFS, /* the socket buffer overflowed: the kernel lost packets to us */
	QC_UNSEEN,  /* gaps in the packet ids: let through (fail-open) or dropped unseen */
	QC_INJECTED,
	QC_INJECT_ERRORS,
	QC_VERDICT_ERRORS,
	QC_VERDICT_MSGS, /* verdict messages sent (a run of packets can share one) */
	QC_EVENTS_LOST,
	QC_COUNT,
};

struct qthread {
	unsigned idx;
	uint16_t queue;
	pthread_t th;
	struct mnl_socket *nl;
	struct fz_inspector *ins;
	struct fz_bl_reader *reader;
	uint32_t last_id;
	bool have_id;
	_Atomic uint64_t c[QC_COUNT];
	/* a copy of the inspector's counters, refreshed by the thread for the scrape */
	pthread_mutex_t snap_lock;
	struct fz_inspect_stats snap;
	struct fz_flowtab_stats fsnap;
	char pad[64];
};

static struct {
	struct fz_nfq_cfg cfg;
	struct fz_blocklist *bl;
	struct fz_events *events;
	struct fz_injector *inj;
	struct fz_metrics_server *metrics;
	struct qthread *q;
	unsigned nq;
	atomic_bool stop;
	_Atomic uint64_t generation;
} D;

static inline void qinc(struct qthread *q, enum qc c, uint64_t n)
{
	atomic_fetch_add_explicit(&q->c[c], n, memory_order_relaxed);
}

/* --- reporting a decision --------------------------------------------------- */

static const char *transport_name(const struct fz_pkt *p)
{
	return p->proto == 6 ? "tcp" : "udp";
}

static const char *verdict_name(enum fz_nfq_verdict v)
{
	switch (v) {
	case FZ_NV_ACCEPT:
		return "accept";
	case FZ_NV_BLOCK:
		return "block";
	case FZ_NV_DROP:
		return "drop";
	case FZ_NV_PASS:
		break;
	}
	return "pass";
}

struct report {
	char client[64], server[64];
	char rule[300];
	const char *feeds[FZ_BL_MAX_FEEDS_REPORTED];
	size_t n_feeds;
};

static void report_fill(const struct fz_blmap *m, const struct fz_inspect_result *res,
			struct report *rp)
{
	const struct fz_pkt *p = &res->pkt;
	size_t rl = res->match.rule_len;

	fz_pkt_addr_port(p->family, p->src, p->sport, rp->client, sizeof(rp->client));
	fz_pkt_addr_port(p->family, p->dst, p->dport, rp->server, sizeof(rp->server));
	rp->rule[0] = '\0';
	if (res->match.rule && rl) {
		if (rl >= sizeof(rp->rule))
			rl = sizeof(rp->rule) - 1;
		memcpy(rp->rule, res->match.rule, rl);
		rp->rule[rl] = '\0';
	}
	rp->n_feeds = 0;
	for (unsigned i = 0; m && i < res->match.n_feeds && i < FZ_BL_MAX_FEEDS_REPORTED; i++) {
		struct fz_bl_feed_info fi;
		if (fz_blmap_feed(m, res->match.feeds[i], &fi) == 0)
			rp->feeds[rp->n_feeds++] = fi.name;
	}
}

static void write_event(struct qthread *q, const struct fz_blmap *m,
			const struct fz_inspect_result *res)
{
	struct report rp;
	struct fz_event e = {0};

	if (!D.events)
		return;
	report_fill(m, res, &rp);
	e.time_ms = fz_wall_ms();
	e.source = "nfq";
	e.client = rp.client;
	e.server = rp.server;
	e.protocol = fz_proto_name(res->proto);
	e.qname = res->name[0] ? res->name : NULL;
	e.url = res->url[0] ? res->url : NULL;
	e.rule = rp.rule[0] ? rp.rule : NULL;
	e.category = res->match.rule ? fz_category_name(res->match.category) : NULL;
	e.feeds = rp.feeds;
	e.n_feeds = rp.n_feeds;
	e.action = fz_nfq_action_name(res->action);
	e.reason = res->reason;
	if (fz_events_write(D.events, &e) < 0)
		qinc(q, QC_EVENTS_LOST, 1);
}

/* --- the queue threads -------------------------------------------------------- */

static int nl_config(struct mnl_socket *nl, uint16_t queue, uint8_t cmd, bool params)
{
	char buf[8192];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	uint32_t seq = (uint32_t)time(NULL) ^ queue ^ ((uint32_t)cmd << 16) ^ (params ? 1u : 0u);
	int r;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (!params) {
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, cmd);
	} else {
		uint32_t flags = NFQA_CFG_F_GSO | (D.cfg.fail_closed ? 0 : NFQA_CFG_F_FAIL_OPEN);
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
		nfq_nlmsg_cfg_put_qmaxlen(nlh, D.cfg.queue_maxlen);
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	r = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (r < 0)
		return -errno;
	r = mnl_cb_run(buf, (size_t)r, seq, mnl_socket_get_portid(nl), NULL, NULL);
	return r < 0 ? -errno : 0;
}

static int queue_open(struct qthread *q, char *err, size_t errlen)
{
	int fd, r;
	int sz = (int)D.cfg.rcvbuf;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 250000};

	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "queue %u: netlink socket: %s", q->queue, strerror(errno));
		return -errno;
	}
	fd = mnl_socket_get_fd(q->nl);
	/* A big buffer rides out bursts; FORCE passes rmem_max with CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* The thread wakes up now and then to notice a stop and expire flows. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r = nl_config(q->nl, q->queue, NFQNL_CFG_CMD_BIND, false);
	if (r < 0) {
		snprintf(err, errlen, "queue %u: cannot bind (%s%s)", q->queue, strerror(-r),
			 r == -EBUSY ? ": another program holds this queue" : "");
		return r;
	}
	r = nl_config(q->nl, q->queue, 0, true);
	if (r < 0) {
		snprintf(err, errlen, "queue %u: cannot set copy mode and flags: %s", q->queue,
			 strerror(-r));
		return r;
	}
	return 0;
}

/*
 * The verdicts of one receive batch, sent in one system call. Packets in a
 * row with the same verdict and mark (under a flood of new flows, nearly
 * all: accept, decided) become one NFQNL_MSG_VERDICT_BATCH, which the
 * kernel applies to every packet of the queue up to its id. That is safe
 * because verdicts go out in packet id order and every packet with a
 * lower id has had its own: a packet whose message the socket could not
 * take (ENOBUFS) never entered the queue (the kernel let it through or
 * dropped it when the message failed).
 */
struct vbuf {
	char buf[VERDICT_BUF];
	size_t len;
	unsigned msgs; /* messages in buf */
	/* the run not yet written: n packets, the last one's id */
	unsigned run_n;
	uint32_t run_id, run_mark;
	int run_verdict;
	bool run_set_mark;
	uint16_t run_queue;
};

static void verdict_flush_run(struct vbuf *vb)
{
	struct nlmsghdr *nlh;

	if (!vb->run_n)
		return;
	nlh = nfq_nlmsg_put(vb->buf + vb->len,
			    vb->run_n > 1 ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT,
			    vb->run_queue);
	nfq_nlmsg_verdict_put(nlh, (int)vb->run_id, vb->run_verdict);
	if (vb->run_set_mark)
		nfq_nlmsg_verdict_put_mark(nlh, vb->run_mark);
	vb->len += NLMSG_ALIGN(nlh->nlmsg_len);
	vb->msgs++;
	vb->run_n = 0;
}

static void verdict_put(struct vbuf *vb, uint16_t queue, uint32_t id, int verdict, bool set_mark,
			uint32_t mark)
{
	if (vb->run_n && queue == vb->run_queue && id == vb->run_id + 1 &&
	    verdict == vb->run_verdict && set_mark == vb->run_set_mark &&
	    (!set_mark || mark == vb->run_mark)) {
		vb->run_id = id;
		vb->run_n++;
		return;
	}
	verdict_flush_run(vb);
	vb->run_n = 1;
	vb->run_id = id;
	vb->run_verdict = verdict;
	vb->run_set_mark = set_mark;
	vb->run_mark = mark;
	vb->run_queue = queue;
}

/* Write out the run and send what is in vb. */
static void verdict_send(struct qthread *q, struct vbuf *vb)
{
	verdict_flush_run(vb);
	if (!vb->len)
		return;
	if (mnl_socket_sendto(q->nl, vb->buf, vb->len) < 0)
		qinc(q, QC_VERDICT_ERRORS, 1);
	qinc(q, QC_VERDICT_MSGS, vb->msgs);
	vb->len = 0;
	vb->msgs = 0;
}

static void snapshot(struct qthread *q)
{
	pthread_mutex_lock(&q->snap_lock);
	fz_inspector_stats(q->ins, &q->snap);
	fz_flowtab_stats(fz_inspector_flows(q->ins), &q->fsnap);
	pthread_mutex_unlock(&q->snap_lock);
}

/* One packet from the kernel: decide it and queue its verdict. */
static void handle_packet(struct qthread *q, const struct fz_blmap *m, const struct nlmsghdr *nlh,
			  uint64_t now, struct vbuf *vb)
{
	const struct nfqnl_msg_packet_hdr *ph = NULL;
	const struct nlattr *a;
	struct fz_inspect_result res;
	const uint8_t *payload = NULL;
	size_t plen = 0;
	uint32_t id, mark = 0;
	const uint32_t dmark = D.cfg.mark_decided, bmark = D.cfg.mark_blocked;

	/* Only three attributes matter; walk them (bounds-checked) instead of indexing all. */
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		uint16_t len = mnl_attr_get_payload_len(a);
		switch (mnl_attr_get_type(a)) {
		case NFQA_PACKET_HDR:
			if (len >= sizeof(*ph))
				ph = mnl_attr_get_payload(a);
			break;
		case NFQA_PAYLOAD:
			payload = mnl_attr_get_payload(a);
			plen = len;
			break;
		case NFQA_MARK:
			if (len >= sizeof(uint32_t))
				mark = ntohl(mnl_attr_get_u32(a));
			break;
		}
	}
	if (!ph)
		return;
	id = ntohl(ph->packet_id);
	if (q->have_id && id > q->last_id + 1)
		qinc(q, QC_UNSEEN, id - q->last_id - 1);
	if (!q->have_id || id > q->last_id)
		q->last_id = id;
	q->have_id = true;
	qinc(q, QC_PACKETS, 1);
	if (mark & (dmark | bmark)) {
		/* Our own mark came back: the rules did not act on it. Never loop. */
		qinc(q, QC_LOOPED, 1);
		verdict_put(vb, q->queue, id, (mark & bmark) ? NF_DROP : NF_ACCEPT, false, 0);
		return;
	}
	if (!payload) {
		verdict_put(vb, q->queue, id, NF_ACCEPT, false, 0);
		return;
	}
	fz_inspect_packet(q->ins, m, payload, plen, now, false, &res);
	for (size_t i = 0; i < res.n_inject; i++) {
		int r =
		    D.inj ? fz_injector_send(D.inj, res.inject[i], res.inject_len[i]) : -ENOTCONN;
		qinc(q, r < 0 ? QC_INJECT_ERRORS : QC_INJECTED, 1);
	}
	if (res.decided_now && (res.verdict == FZ_NV_BLOCK || res.verdict == FZ_NV_DROP))
		write_event(q, m, &res);
	switch (res.verdict) {
	case FZ_NV_PASS:
		qinc(q, QC_PASS, 1);
		verdict_put(vb, q->queue, id, NF_ACCEPT, false, 0);
		break;
	case FZ_NV_ACCEPT:
		qinc(q, QC_ACCEPT, 1);
		verdict_put(vb, q->queue, id, NF_REPEAT, true, mark | dmark);
		break;
	case FZ_NV_BLOCK:
		qinc(q, QC_BLOCK, 1);
		verdict_put(vb, q->queue, id, NF_REPEAT, true, mark | bmark);
		break;
	case FZ_NV_DROP:
		qinc(q, QC_DROP, 1);
		verdict_put(vb, q->queue, id, NF_DROP, false, 0);
		break;
	}
}

static void *queue_main(void *arg)
{
	struct qthread *q = arg;
	static __thread struct vbuf vb;
	struct mmsghdr *msgs = calloc(BATCH, sizeof(*msgs));
	struct iovec *iov = calloc(BATCH, sizeof(*iov));
	char *bufs = malloc((size_t)BATCH * PKT_BUF);
	int fd = mnl_socket_get_fd(q->nl);
	uint64_t last_tick = fz_mono_ms(), last_snap = 0;

	if (!msgs || !iov || !bufs) {
		fz_logf("queue %u: out of memory", q->queue);
		atomic_store(&D.stop, true);
		goto out;
	}
	for (unsigned i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs + (size_t)i * PKT_BUF;
		iov[i].iov_len = PKT_BUF;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load_explicit(&D.stop, memory_order_relaxed)) {
		/* Block for the first packet, then take whatever else is already there. */
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		uint64_t now = fz_mono_ms();

		if (n < 0) {
			if (errno == ENOBUFS) {
				/* The kernel could not hand us packets: count, carry on. */
				qinc(q, QC_ENOBUFS, 1);
			} else if (errno != EAGAIN && errno != EINTR) {
				fz_logf("queue %u: receive failed: %s", q->queue, strerror(errno));
				usleep(10000);
			}
			n = 0;
		}
		if (n > 0) {
			const struct fz_blmap *m = fz_bl_read_begin(q->reader);
			vb.len = 0;
			vb.msgs = 0;
			vb.run_n = 0;
			for (int i = 0; i < n; i++) {
				const char *b = iov[i].iov_base;
				int len = (int)msgs[i].msg_len;
				const struct nlmsghdr *nlh = (const struct nlmsghdr *)b;
				for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
					if (nlh->nlmsg_type == NLMSG_ERROR) {
						const struct nlmsgerr *e =
						    mnl_nlmsg_get_payload(nlh);
						if (e->error)
							qinc(q, QC_VERDICT_ERRORS, 1);
						continue;
					}
					if ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET)
						continue;
					if (vb.len + 256 > sizeof(vb.buf))
						verdict_send(q, &vb);
					handle_packet(q, m, nlh, now, &vb);
				}
			}
			fz_bl_read_end(q->reader);
			verdict_send(q, &vb);
		}
		if (now - last_tick >= 1000) {
			fz_inspector_tick(q->ins, now);
			last_tick = now;
		}
		if (now - last_snap >= 200) {
			snapshot(q);
			last_snap = now;
		}
	}
out:
	free(msgs);
	free(iov);
	free(bufs);
	return NULL;
}

/* --- metrics ------------------------------------------------------------------ */

static int render_metrics(char *buf, size_t cap, void *ud)
{
	static const struct {
		enum qc c;
		const char *name, *help;
	} counters[] = {
	    {QC_PACKETS, "packets_total", "Packets the kernel queued to us."},
	    {QC_LOOPED, "looped_packets_total",
	     "Packets that came back with our mark (rules not saving the mark)."},
	    {QC_ENOBUFS, "enobufs_total", "Times the netlink socket buffer overflowed."},
	    {QC_UNSEEN, "unseen_packets_total",
	     "Packets the kernel let through (fail-open) or dropped without showing us (gaps in "
	     "the "
	     "packet ids)."},
	    {QC_INJECTED, "injected_packets_total",
	     "Resets, block pages, ICMP and DNS answers sent."},
	    {QC_INJECT_ERRORS, "inject_errors_total", "Injected packets that could not be sent."},
	    {QC_VERDICT_ERRORS, "verdict_errors_total", "Verdicts the kernel refused."},
	    {QC_VERDICT_MSGS, "verdict_messages_total",
	     "Verdict messages sent (packets in a row with the same verdict share one)."},
	    {QC_EVENTS_LOST, "events_lost_total", "Block events that could not be written."},
	};
	static const struct {
		enum qc c;
		const char *v;
	} verdicts[] = {
	    {QC_PASS, "pass"}, {QC_ACCEPT, "accept"}, {QC_BLOCK, "block"}, {QC_DROP, "drop"}};
	struct fz_prom o = {.buf = buf, .cap = cap};
	uint64_t sum[QC_COUNT] = {0};
	struct fz_inspect_stats is = {0};
	struct fz_flowtab_stats fs = {0};

	for (unsigned i = 0; i < D.nq; i++) {
		struct qthread *q = &D.q[i];
		for (int c = 0; c < QC_COUNT; c++)
			sum[c] += atomic_load_explicit(&q->c[c], memory_order_relaxed);
		pthread_mutex_lock(&q->snap_lock);
		for (int p = 0; p < FZ_PROTO_COUNT; p++) {
			is.by_proto[p] += q->snap.by_proto[p];
			is.blocked_by_proto[p] += q->snap.blocked_by_proto[p];
		}
		is.unreadable += q->snap.unreadable;
		is.gave_up += q->snap.gave_up;
		fs.flows += q->fsnap.flows;
		fs.bytes += q->fsnap.bytes;
		fs.evicted += q->fsnap.evicted;
		fs.expired += q->fsnap.expired;
		fs.mem_refused += q->fsnap.mem_refused;
		pthread_mutex_unlock(&q->snap_lock);
	}
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		char name[96];
		snprintf(name, sizeof(name), "fangzha_nfq_%s", counters[i].name);
		fz_prom_counter(&o, name, counters[i].help, sum[counters[i].c]);
	}
	fz_prom_family(&o, "fangzha_nfq_verdicts_total", "counter",
		       "Verdicts by kind (pass: flow still being read).");
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		fz_prom_say(&o, "fangzha_nfq_verdicts_total{verdict=\"%s\"} %llu\n", verdicts[i].v,
			    (unsigned long long)sum[verdicts[i].c]);
	fz_prom_family(&o, "fangzha_nfq_flows_total", "counter", "Flows recognized, by protocol.");
	for (int p = 1; p < FZ_PROTO_COUNT; p++)
		fz_prom_say(&o, "fangzha_nfq_flows_total{protocol=\"%s\"} %llu\n", fz_proto_name(p),
			    (unsigned long long)is.by_proto[p]);
	fz_prom_family(&o, "fangzha_nfq_blocked_total", "counter",
		       "Flows or DNS queries blocked, by protocol.");
	for (int p = 0; p < FZ_PROTO_COUNT; p++)
		fz_prom_say(&o, "fangzha_nfq_blocked_total{protocol=\"%s\"} %llu\n",
			    fz_proto_name(p), (unsigned long long)is.blocked_by_proto[p]);
	fz_prom_counter(&o, "fangzha_nfq_unreadable_packets_total",
			"Packets that were not IP/TCP/UDP we read.", is.unreadable);
	fz_prom_counter(&o, "fangzha_nfq_gave_up_total",
			"Flows let through unread (cap, memory, malformed).", is.gave_up);
	fz_prom_gauge(&o, "fangzha_nfq_flows", "Flows in the tables now.", fs.flows);
	fz_prom_gauge(&o, "fangzha_nfq_flow_bytes", "Bytes held for flows being read.", fs.bytes);
	fz_prom_counter(&o, "fangzha_nfq_flows_evicted_total", "Flows evicted from full tables.",
			fs.evicted);
	fz_prom_counter(&o, "fangzha_nfq_flows_expired_total", "Idle flows expired.", fs.expired);
	fz_prom_counter(&o, "fangzha_nfq_flow_memory_refused_total",
			"Flow data not kept: memory cap reached.", fs.mem_refused);
	fz_prom_gauge(&o, "fangzha_nfq_blocklist_generation", "Generation of the blocklist in use.",
		      atomic_load(&D.generation));
	return o.full ? -ENOSPC : (int)o.len;
}

/* --- the --pcap mode ------------------------------------------------------------ */

struct pcap_run {
	bool json;
	const struct fz_blmap *m;
	uint64_t flows, blocked;
};

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void pcap_line(struct pcap_run *run, const struct fz_pkt *p, enum fz_proto proto,
		      const struct fz_inspect_result *res, const char *verdict)
{
	char client[64], server[64];
	struct report rp = {0};

	fz_pkt_addr_port(p->family, p->src, p->sport, client, sizeof(client));
	fz_pkt_addr_port(p->family, p->dst, p->dport, server, sizeof(server));
	if (res)
		report_fill(run->m, res, &rp);
	run->flows++;
	if (!run->json) {
		printf("%s %s -> %s %s %s %s", transport_name(p), client, server,
		       fz_proto_name(proto),
		       res && res->url[0]    ? res->url
		       : res && res->name[0] ? res->name
					     : "-",
		       verdict);
		if (res && res->reason)
			printf(" %s %s rule=%s", fz_nfq_action_name(res->action), res->reason,
			       rp.rule[0] ? rp.rule : "-");
		printf("\n");
		return;
	}
	printf("{\"transport\":\"%s\",\"client\":", transport_name(p));
	json_str(stdout, client);
	printf(",\"server\":");
	json_str(stdout, server);
	printf(",\"protocol\":\"%s\"", fz_proto_name(proto));
	if (res && res->name[0]) {
		printf(",\"name\":");
		json_str(stdout, res->name);
	}
	if (res && res->url[0]) {
		printf(",\"url\":");
		json_str(stdout, res->url);
	}
	if (res && res->alpn[0]) {
		printf(",\"alpn\":");
		json_str(stdout, res->alpn);
	}
	if (res && (proto == FZ_PROTO_TLS || proto == FZ_PROTO_QUIC || proto == FZ_PROTO_DOT))
		printf(",\"ech\":%s", res->ech ? "true" : "false");
	printf(",\"verdict\":\"%s\"", verdict);
	if (res && res->reason) {
		printf(",\"action\":\"%s\",\"reason\":\"%s\"", fz_nfq_action_name(res->action),
		       res->reason);
		if (rp.rule[0]) {
			printf(",\"rule\":");
			json_str(stdout, rp.rule);
			printf(",\"category\":\"%s\"", fz_category_name(res->match.category));
		}
		if (rp.n_feeds) {
			printf(",\"feeds\":[");
			for (size_t i = 0; i < rp.n_feeds; i++) {
				if (i)
					putchar(',');
				json_str(stdout, rp.feeds[i]);
			}
			putchar(']');
		}
	}
	printf("}\n");
}

/* A flow that leaves the table without a report line gets one now. */
static void pcap_flow_left(struct fz_flow *f, void *arg)
{
	struct pcap_run *run = arg;
	struct fz_pkt p = {0};

	if (f->user & 1u)
		return;
	f->user |= 1u;
	p.family = f->key.family;
	p.proto = f->key.proto;
	memcpy(p.src, f->key.caddr, 16);
	memcpy(p.dst, f->key.saddr, 16);
	p.sport = f->key.cport;
	p.dport = f->key.sport;
	pcap_line(run, &p, (enum fz_proto)f->proto, NULL, "undecided");
}

/* The IP header inside a captured frame, by link type; NULL when there is none we read. */
static const uint8_t *frame_ip(int dlt, const uint8_t *d, size_t caplen, size_t *len)
{
	size_t off = 0;
	uint16_t et = 0;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return NULL;
		et = (uint16_t)(d[12] << 8 | d[13]);
		off = 14;
		while ((et == 0x8100 || et == 0x88a8) && caplen >= off + 4) {
			et = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
			off += 4;
		}
		if (et != 0x0800 && et != 0x86dd)
			return NULL;
		break;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return NULL;
		et = (uint16_t)(d[14] << 8 | d[15]);
		off = 16;
		if (et != 0x0800 && et != 0x86dd)
			return NULL;
		break;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return NULL;
		et = (uint16_t)(d[0] << 8 | d[1]);
		off = 20;
		if (et != 0x0800 && et != 0x86dd)
			return NULL;
		break;
#endif
	case DLT_NULL:
	case DLT_LOOP:
		off = 4;
		break;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		off = 0;
		break;
	default:
		return NULL;
	}
	if (caplen <= off)
		return NULL;
	*len = caplen - off;
	return d + off;
}

static int run_pcap(const char *file, const char *blpath, bool json)
{
	char errbuf[PCAP_ERRBUF_SIZE], err[256];
	struct fz_blocklist *bl = NULL;
	struct fz_inspector *ins = NULL;
	struct pcap_run run = {.json = json};
	struct pcap_pkthdr *h;
	const uint8_t *d;
	pcap_t *pc;
	int dlt, r;
	uint64_t last = 0;

	if (blpath) {
		if (fz_blocklist_open(blpath, &bl, err, sizeof(err)) < 0) {
			fprintf(stderr, "fangzha-nfq: %s: %s\n", blpath, err);
			return 1;
		}
		run.m = fz_blocklist_current(bl);
	}
	pc = pcap_open_offline(file, errbuf);
	if (!pc) {
		fprintf(stderr, "fangzha-nfq: %s: %s\n", file, errbuf);
		fz_blocklist_close(bl);
		return 1;
	}
	dlt = pcap_datalink(pc);
	if (fz_inspector_new(&D.cfg, &ins) < 0) {
		fprintf(stderr, "fangzha-nfq: out of memory\n");
		pcap_close(pc);
		fz_blocklist_close(bl);
		return 1;
	}
	fz_flowtab_set_drop_cb(fz_inspector_flows(ins), pcap_flow_left, &run);
	while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
		struct fz_inspect_result res;
		size_t len;
		const uint8_t *ip = frame_ip(dlt, d, h->caplen, &len);
		uint64_t now = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;

		if (!ip)
			continue;
		/* Capture clocks can step back; flow timing only moves forward. */
		if (now < last)
			now = last;
		last = now;
		fz_inspect_packet(ins, run.m, ip, len, now, true, &res);
		if (!res.decided_now)
			continue;
		if (res.verdict == FZ_NV_BLOCK || res.verdict == FZ_NV_DROP)
			run.blocked++;
		pcap_line(&run, &res.pkt, res.proto, &res, verdict_name(res.verdict));
	}
	if (r == -1)
		fprintf(stderr, "fangzha-nfq: %s: %s (the flows read so far are reported)\n", file,
			pcap_geterr(pc));
	fz_flowtab_foreach(fz_inspector_flows(ins), pcap_flow_left, &run);
	fz_inspector_free(ins);
	pcap_close(pc);
	fz_blocklist_close(bl);
	return 0;
}

/* --- main ------------------------------------------------------------------------- */

static void on_refresh(struct fz_blocklist *bl, int result, const char *err, void *ud)
{
	if (result > 0) {
		uint64_t g = fz_blmap_generation(fz_blocklist_current(bl));
		atomic_store(&D.generation, g);
		fz_logf("blocklist generation %llu is live", (unsigned long long)g);
	} else if (result < 0) {
		fz_logf("new blocklist refused, keeping generation %llu: %s",
			(unsigned long long)atomic_load(&D.generation), err);
	}
}

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: fangzha-nfq [--config FILE] [--queues N[-M]] [--blocklist FILE]\n"
	       "                   [--user NAME] [--events FILE|-] [--metrics ADDR@PORT]\n"
	       "                   [--fail-closed] [--foreground]\n"
	       "       fangzha-nfq --pcap FILE [--blocklist FILE] [--json] [--config FILE]\n"
	       "\n"
	       "Reads the first packets of new flows from NFQUEUE (TLS and QUIC server names,\n"
	       "HTTP host and URL, DNS queries) and stops flows to listed names. The firewall\n"
	       "rules come from `fangzha rules install`. With --pcap, reads a capture instead and\n"
	       "prints one line per flow (tuple, protocol, name or URL, verdict).\n");
}

/* --pcap is an operator's check on a capture: the machine's config is only read when named. */
static bool pcap_mode(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--pcap") == 0 || strncmp(argv[i], "--pcap=", 7) == 0)
			return true;
	return false;
}

enum {
	O_USER = 256,
	O_EVENTS,
	O_METRICS,
	O_FAIL_CLOSED,
	O_PCAP,
	O_JSON,
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"queues", required_argument, NULL, 'q'},
	    {"blocklist", required_argument, NULL, 'b'},
	    {"user", required_argument, NULL, O_USER},
	    {"events", required_argument, NULL, O_EVENTS},
	    {"metrics", required_argument, NULL, O_METRICS},
	    {"fail-closed", no_argument, NULL, O_FAIL_CLOSED},
	    {"foreground", no_argument, NULL, 'f'},
	    {"pcap", required_argument, NULL, O_PCAP},
	    {"json", no_argument, NULL, O_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	const char *config = NULL, *pcap = NULL;
	bool json = false, bl_flag = false;
	char err[512];
	int c;

	fz_log_init("fangzha-nfq");
	fz_nfq_cfg_defaults(&D.cfg);
	/* The config file first, so flags override it wherever they stand. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			config = argv[i] + 9;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			config = argv[i + 1];
	}
	if (!config && !pcap_mode(argc, argv) && access(DEFAULT_CONFIG, R_OK) == 0)
		config = DEFAULT_CONFIG;
	/* Loading replaces the whole struct (defaults included): free ours first. */
	if (config)
		fz_nfq_cfg_free(&D.cfg);
	if (config && fz_nfq_cfg_load(config, &D.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fangzha-nfq: %s\n", err);
		return 2;
	}
	while ((c = getopt_long(argc, argv, "c:q:b:fhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'f':
			break;
		case 'q':
			if (fz_nfq_queues_parse(optarg, &D.cfg.queue_first, &D.cfg.n_queues) < 0) {
				fprintf(stderr,
					"fangzha-nfq: --queues wants N or N-M (at most %d queues), "
					"not '%s'\n",
					FZ_NFQ_MAX_QUEUES, optarg);
				return 2;
			}
			break;
		case 'b':
			free(D.cfg.blocklist);
			D.cfg.blocklist = strdup(optarg);
			bl_flag = true;
			break;
		case O_USER:
			free(D.cfg.user);
			D.cfg.user = strdup(optarg);
			break;
		case O_EVENTS:
			free(D.cfg.events);
			D.cfg.events = strdup(optarg);
			break;
		case O_METRICS:
			if (fz_dns_endpoint_parse(optarg, 0, &D.cfg.metrics) < 0) {
				fprintf(stderr, "fangzha-nfq: --metrics: '%s' is not ADDR@PORT\n",
					optarg);
				return 2;
			}
			D.cfg.have_metrics = true;
			break;
		case O_FAIL_CLOSED:
			D.cfg.fail_closed = true;
			break;
		case O_PCAP:
			pcap = optarg;
			break;
		case O_JSON:
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("fangzha-nfq %s\n", FZ_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fangzha-nfq: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (pcap) {
		/* Offline: only a list given on the command line or in the config file. */
		int r = run_pcap(pcap, (bl_flag || config) ? D.cfg.blocklist : NULL, json);
		fz_nfq_cfg_free(&D.cfg);
		return r;
	}

	if (fz_blocklist_open(D.cfg.blocklist, &D.bl, err, sizeof(err)) < 0) {
		fz_logf("%s: %s", D.cfg.blocklist, err);
		return 1;
	}
	atomic_store(&D.generation, fz_blmap_generation(fz_blocklist_current(D.bl)));
	if (D.cfg.events && fz_events_open(D.cfg.events, &D.events) < 0) {
		fz_logf("events: cannot open %s: %s", D.cfg.events, strerror(errno));
		return 1;
	}
	int r = fz_injector_open(D.cfg.mark_decided, &D.inj);
	if (r < 0)
		fz_logf("cannot open raw sockets (%s): blocked flows are dropped without resets, "
			"block pages or answers",
			strerror(-r));

	D.nq = D.cfg.n_queues;
	D.q = calloc(D.nq, sizeof(*D.q));
	if (!D.q)
		return 1;
	for (unsigned i = 0; i < D.nq; i++) {
		struct qthread *q = &D.q[i];
		q->idx = i;
		q->queue = (uint16_t)(D.cfg.queue_first + i);
		pthread_mutex_init(&q->snap_lock, NULL);
		if (fz_inspector_new(&D.cfg, &q->ins) < 0 ||
		    fz_bl_reader_register(D.bl, &q->reader) < 0) {
			fz_logf("out of memory");
			return 1;
		}
		if (queue_open(q, err, sizeof(err)) < 0) {
			fz_logf("%s", err);
			return 1;
		}
	}
	if (D.cfg.have_metrics) {
		r = fz_metrics_server_start_render((struct sockaddr *)&D.cfg.metrics.sa,
						   D.cfg.metrics.salen, render_metrics, NULL,
						   &D.metrics);
		if (r < 0) {
			fz_logf("metrics: cannot listen on %s: %s", D.cfg.metrics.text,
				strerror(-r));
			return 1;
		}
	}
	if (D.cfg.user) {
		static const int keep[] = {CAP_NET_ADMIN, CAP_NET_RAW};
		if (fz_drop_privileges(D.cfg.user, keep, 2, err, sizeof(err)) < 0) {
			fz_logf("%s", err);
			return 1;
		}
	} else if (geteuid() == 0) {
		fz_logf("running as root: set user= in [nfq] or --user to drop privileges");
	}

	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);

	if (fz_blocklist_watch_start(D.bl, 500, on_refresh, NULL) < 0)
		fz_logf("cannot watch %s for new generations", D.cfg.blocklist);
	for (unsigned i = 0; i < D.nq; i++) {
		if (pthread_create(&D.q[i].th, NULL, queue_main, &D.q[i]) != 0) {
			fz_logf("cannot start the thread of queue %u", D.q[i].queue);
			return 1;
		}
	}
	fz_logf("inspecting queue%s %u%s%.0u with blocklist generation %llu (%s)",
		D.nq > 1 ? "s" : "", D.cfg.queue_first, D.nq > 1 ? "-" : "",
		D.nq > 1 ? D.cfg.queue_first + D.nq - 1 : 0,
		(unsigned long long)atomic_load(&D.generation),
		D.cfg.fail_closed ? "fail-closed" : "fail-open");
	fz_sd_notify("READY=1");

	const char *wd = getenv("WATCHDOG_USEC");
	uint64_t wd_ms = wd ? strtoull(wd, NULL, 10) / 2000 : 0, last_wd = fz_mono_ms();
	while (!atomic_load(&D.stop)) {
		struct pollfd pfd = {.fd = sfd, .events = POLLIN};
		int pr = poll(&pfd, 1, 500);
		if (wd_ms && fz_mono_ms() - last_wd >= wd_ms) {
			fz_sd_notify("WATCHDOG=1");
			last_wd = fz_mono_ms();
		}
		if (pr <= 0)
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			atomic_store(&D.stop, true);
			break;
		case SIGHUP:
			/* A new list is picked up by itself; SIGHUP also makes us look now. */
			if (fz_blocklist_refresh(D.bl, err, sizeof(err)) < 0)
				fz_logf("blocklist refresh: %s", err);
			/* reopen the events file too */
			__attribute__((fallthrough));
		case SIGUSR1:
			if (D.events && fz_events_reopen(D.events) < 0)
				fz_logf("events: cannot reopen %s: %s", D.cfg.events,
					strerror(errno));
			break;
		}
	}
	fz_sd_notify("STOPPING=1");
	for (unsigned i = 0; i < D.nq; i++)
		pthread_join(D.q[i].th, NULL);
	fz_blocklist_watch_stop(D.bl);
	fz_metrics_server_stop(D.metrics);
	for (unsigned i = 0; i < D.nq; i++) {
		nl_config(D.q[i].nl, D.q[i].queue, NFQNL_CFG_CMD_UNBIND, false);
		mnl_socket_close(D.q[i].nl);
		fz_bl_reader_unregister(D.q[i].reader);
		fz_inspector_free(D.q[i].ins);
	}
	free(D.q);
	fz_injector_close(D.inj);
	fz_events_close(D.events);
	fz_blocklist_close(D.bl);
	fz_nfq_cfg_free(&D.cfg);
	close(sfd);
	fz_logf("stopped");
	return 0;
}
