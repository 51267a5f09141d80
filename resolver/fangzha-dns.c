/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fangzha-dns: the filtering resolver.
 *
 * Every worker thread owns an epoll loop, its own SO_REUSEPORT UDP and TCP
 * sockets, its own upstream sockets and pending-query table, and a reader
 * registration on the mapped blocklist; the cache is shared and sharded.
 * A query is checked against the list before the cache, so a new list
 * generation applies to the very next query.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fz_acl.h"
#include "fz_blocklist.h"
#include "fz_cache.h"
#include "fz_config.h"
#include "fz_daemon.h"
#include "fz_dnscfg.h"
#include "fz_dnsmsg.h"
#include "fz_events.h"
#include "fz_metrics.h"
#include "fz_policy.h"

#define DEFAULT_CONFIG	   "/etc/fangzha/fangzha.conf"
#define MAX_WORKERS	   64
#define BATCH		   32
#define MAX_PENDING	   1024 /* in-flight upstream questions per worker */
#define PENDING_BUCKETS	   1024
#define MAX_WAITERS	   16 /* clients sharing one upstream question */
#define TCP_BUF		   (2 + FZ_DNS_MAX_MSG)
#define MAX_TCP_PER_WORKER 4096

/* --- shared state -------------------------------------------------------- */

struct daemon {
	struct fz_dns_cfg cfg;
	struct fz_blocklist *bl;
	struct fz_cache *cache;
	struct fz_acl acl;
	struct fz_events *events;
	struct fz_metrics_shard *shards;
	unsigned n_workers;
	atomic_bool stop;
	atomic_uint tcp_clients;
	atomic_uint_fast64_t generation;
	/* upstream health: consecutive failures, shared (relaxed) */
	atomic_uint up_fail[FZ_DNS_MAX_UPSTREAMS];
	atomic_uint_fast64_t up_down_until[FZ_DNS_MAX_UPSTREAMS]; /* ms */
};

static struct daemon D;

/* --- worker structures ------------------------------------------------- */

enum io_kind { IO_UDP, IO_TCP_LISTEN, IO_TCP_CONN, IO_UPSTREAM };

struct io {
	enum io_kind kind;
	int fd;
};

struct worker;

struct tcp_conn {
	struct io io;
	struct worker *w;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_cap;
	uint64_t last_ms;
	unsigned inflight; /* queries of this connection waiting upstream */
	bool closing;
	struct tcp_conn *next, *prev;
};

struct waiter {
	bool tcp;
	int udp_fd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct tcp_conn *conn;
	uint16_t id;
	uint16_t flags;
	bool has_edns;
	uint16_t udp_size;
	/* the question name as the client wrote it (DNS 0x20 case), echoed back */
	uint8_t qcase_len;
	uint8_t qcase[FZ_DNS_WIRE_NAME];
};

struct pending {
	bool used;
	struct io io; /* upstream socket */
	struct fz_dns_query q;
	uint16_t up_id;
	unsigned attempt;
	unsigned upstream;
	bool tcp;
	uint8_t *tcp_buf; /* TCP_BUF bytes, only while asking over TCP */
	size_t tcp_len;	  /* bytes read (TCP) */
	size_t tcp_sent;
	uint8_t query[600];
	size_t query_len;
	uint64_t sent_ms, deadline_ms;
	struct waiter waiters[MAX_WAITERS];
	size_t n_waiters;
	uint64_t hash;
	int32_t next; /* hash chain, or the free list */
};

struct worker {
	unsigned id;
	pthread_t thread;
	int ep;
	struct fz_bl_reader *reader;
	struct fz_rrl *rrl;
	struct fz_metrics_shard *m;
	struct io udp[FZ_DNS_MAX_LISTEN], tcp[FZ_DNS_MAX_LISTEN];
	size_t n_udp, n_tcp;
	struct pending *pend; /* MAX_PENDING */
	size_t n_pend;
	int32_t bucket[PENDING_BUCKETS]; /* question hash -> first pending, -1 = none */
	int32_t free_head;
	struct tcp_conn *conns;
	unsigned n_conns;
	uint64_t rng;
	/* reply batch for UDP */
	struct mmsghdr out_msgs[BATCH];
	struct iovec out_iov[BATCH];
	uint8_t out_buf[BATCH][FZ_DNS_UDP_PAYLOAD + 64];
	struct sockaddr_storage out_addr[BATCH];
	int out_fd[BATCH];
	size_t n_out;
};

static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

/* --- sending ------------------------------------------------------------- */

static void flush_udp(struct worker *w)
{
	size_t i = 0;
	while (i < w->n_out) {
		/* sendmmsg needs one socket: send runs of the same fd together */
		size_t j = i + 1;
		while (j < w->n_out && w->out_fd[j] == w->out_fd[i])
			j++;
		int r = sendmmsg(w->out_fd[i], &w->out_msgs[i], (unsigned)(j - i), MSG_DONTWAIT);
		if (r < 0 && errno != EAGAIN)
			fz_metrics_inc(w->m, FZ_M_DROPPED);
		i = j;
	}
	w->n_out = 0;
}

/* Queue one UDP answer (copied). */
static void send_udp(struct worker *w, int fd, const struct sockaddr_storage *peer,
		     socklen_t peerlen, const uint8_t *msg, size_t len)
{
	if (len > sizeof(w->out_buf[0]))
		return;
	if (w->n_out == BATCH)
		flush_udp(w);
	size_t k = w->n_out++;
	memcpy(w->out_buf[k], msg, len);
	memcpy(&w->out_addr[k], peer, peerlen);
	w->out_iov[k] = (struct iovec){w->out_buf[k], len};
	w->out_msgs[k].msg_hdr = (struct msghdr){
	    .msg_name = &w->out_addr[k],
	    .msg_namelen = peerlen,
	    .msg_iov = &w->out_iov[k],
	    .msg_iovlen = 1,
	};
	w->out_fd[k] = fd;
}

static void conn_close(struct worker *w, struct tcp_conn *c);

static void conn_flush(struct worker *w, struct tcp_conn *c)
{
	while (c->out_len) {
		ssize_t r = send(c->io.fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			c->closing = true;
			c->out_len = 0;
			break;
		}
		memmove(c->out, c->out + r, c->out_len - (size_t)r);
		c->out_len -= (size_t)r;
	}
	struct epoll_event ev = {.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0),
				 .data.ptr = &c->io};
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->io.fd, &ev);
	if (c->closing && !c->out_len && !c->inflight)
		conn_close(w, c);
}

static void send_tcp(struct worker *w, struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	if (c->closing)
		return;
	if (c->out_len + 2 + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + 2 + len)
			cap *= 2;
		if (cap > 4 * TCP_BUF) { /* a client that does not read: let it go */
			c->closing = true;
			return;
		}
		uint8_t *n = realloc(c->out, cap);
		if (!n) {
			c->closing = true;
			return;
		}
		c->out = n;
		c->out_cap = cap;
	}
	c->out[c->out_len] = (uint8_t)(len >> 8);
	c->out[c->out_len + 1] = (uint8_t)len;
	memcpy(c->out + c->out_len + 2, msg, len);
	c->out_len += 2 + len;
	conn_flush(w, c);
}

/* --- reply shaping ------------------------------------------------------- */

/* Skip a (possibly compressed) name; returns the offset after it or 0. */
static size_t skip_name(const uint8_t *m, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = m[off];
		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0;
		off += 1 + l;
	}
	return 0;
}

/* Remove the OPT record (for a client that sent no EDNS). Returns the new length. */
static size_t strip_opt(uint8_t *m, size_t len)
{
	if (len < FZ_DNS_HEADER)
		return len;
	unsigned qd = (unsigned)m[4] << 8 | m[5], an = (unsigned)m[6] << 8 | m[7];
	unsigned ns = (unsigned)m[8] << 8 | m[9], ar = (unsigned)m[10] << 8 | m[11];
	size_t off = FZ_DNS_HEADER;
	for (unsigned i = 0; i < qd; i++) {
		off = skip_name(m, len, off);
		if (!off || off + 4 > len)
			return len;
		off += 4;
	}
	for (unsigned i = 0; i < an + ns + ar; i++) {
		size_t start = off;
		off = skip_name(m, len, off);
		if (!off || off + 10 > len)
			return len;
		unsigned type = (unsigned)m[off] << 8 | m[off + 1];
		size_t rdlen = (size_t)m[off + 8] << 8 | m[off + 9];
		off += 10 + rdlen;
		if (off > len)
			return len;
		if (i >= an + ns && type == FZ_DNS_TYPE_OPT) {
			memmove(m + start, m + off, len - off);
			len -= off - start;
			ar--;
			m[10] = (uint8_t)(ar >> 8);
			m[11] = (uint8_t)ar;
			return len;
		}
	}
	return len;
}

/* Make a reply fit a waiter: id, flags, OPT, size. In place; returns the length. */
static size_t shape_reply(uint8_t *m, size_t len, const struct waiter *wt)
{
	m[0] = (uint8_t)(wt->id >> 8);
	m[1] = (uint8_t)wt->id;
	/* we recurse (by forwarding): RA on; RD and CD as the client asked */
	m[2] = (uint8_t)((m[2] & ~0x01) | ((wt->flags >> 8) & 0x01));
	m[3] = (uint8_t)((m[3] & ~0x10) | 0x80 | (wt->flags & 0x10));
	if (!wt->has_edns)
		len = strip_opt(m, len);
	if (!wt->tcp) {
		size_t max = wt->has_edns ? wt->udp_size : 512;
		if (max > FZ_DNS_UDP_PAYLOAD)
			max = FZ_DNS_UDP_PAYLOAD;
		len = fz_dns_truncate(m, len, max);
	}
	return len;
}

static void answer(struct worker *w, const struct waiter *wt, uint8_t *m, size_t len)
{
	/* Our answers and accepted replies carry the question uncompressed at offset 12. */
	if (wt->qcase_len && len >= FZ_DNS_HEADER + (size_t)wt->qcase_len)
		memcpy(m + FZ_DNS_HEADER, wt->qcase, wt->qcase_len);
	len = shape_reply(m, len, wt);
	if (wt->tcp)
		send_tcp(w, wt->conn, m, len);
	else
		send_udp(w, wt->udp_fd, &wt->peer, wt->peerlen, m, len);
}

/* --- policy -------------------------------------------------------------- */

static void peer_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a));
	snprintf(buf, len, "%s", a);
}

static const char *qtype_text(uint16_t t, char *buf, size_t len)
{
	switch (t) {
	case 1:
		return "A";
	case 2:
		return "NS";
	case 5:
		return "CNAME";
	case 6:
		return "SOA";
	case 12:
		return "PTR";
	case 15:
		return "MX";
	case 16:
		return "TXT";
	case 28:
		return "AAAA";
	case 33:
		return "SRV";
	case 64:
		return "SVCB";
	case 65:
		return "HTTPS";
	case 255:
		return "ANY";
	default:
		snprintf(buf, len, "TYPE%u", t);
		return buf;
	}
}

/*
 * Build and send the policy answer for a blocked question; count it and
 * write its event. `what` is the alias or address that hit (CNAME/IP).
 */
static void answer_blocked(struct worker *w, const struct fz_blmap *m, const struct fz_dns_query *q,
			   const struct fz_match_info *mi, const struct waiter *wt,
			   enum fz_block_reason reason, const char *what)
{
	/* Within the client's UDP limit, so a long EDE text is cut, not the answer. */
	size_t cap = FZ_DNS_UDP_PAYLOAD;
	if (!wt->tcp) {
		size_t lim = q->has_edns ? q->udp_size : 512;
		if (lim < cap)
			cap = lim;
	}
	uint8_t out[FZ_DNS_UDP_PAYLOAD];
	enum fz_dns_block_action act;
	size_t n = fz_policy_block_answer(m, &D.cfg, q, mi, reason, what, out, cap, &act);
	if (n) {
		struct waiter own = *wt;
		own.has_edns = q->has_edns;
		answer(w, &own, out, n);
	}
	fz_metrics_inc(w->m, reason == FZ_REASON_CNAME ? FZ_M_BLOCKED_CNAME
			     : reason == FZ_REASON_IP  ? FZ_M_BLOCKED_IP
						       : FZ_M_BLOCKED);
	if (!D.events)
		return;
	struct fz_bl_feed_info fi;
	char client[64], tb[16], rule[300];
	peer_text(&wt->peer, client, sizeof(client));
	const char *feeds[FZ_BL_MAX_FEEDS_REPORTED];
	size_t nf = 0;
	for (unsigned i = 0; i < mi->n_feeds && i < FZ_BL_MAX_FEEDS_REPORTED; i++)
		if (fz_blmap_feed(m, mi->feeds[i], &fi) == 0)
			feeds[nf++] = fi.name;
	snprintf(rule, sizeof(rule), "%.*s", (int)mi->rule_len, mi->rule);
	static const char *const acts[] = {"nxdomain", "nodata", "sinkhole"};
	struct fz_event e = {
	    .time_ms = fz_wall_ms(),
	    .source = "dns",
	    .client = client,
	    .qname = q->name_len ? q->name : ".",
	    .qtype = qtype_text(q->qtype, tb, sizeof(tb)),
	    .rule = rule,
	    .category = fz_category_name(mi->category),
	    .feeds = feeds,
	    .n_feeds = nf,
	    .action = acts[act <= FZ_DNS_BLOCK_SINKHOLE ? act : 0],
	    .reason = fz_block_reason_name(reason),
	};
	fz_events_write(D.events, &e);
}

/* --- upstream ------------------------------------------------------------ */

static void pending_free(struct worker *w, struct pending *p)
{
	if (p->io.fd >= 0) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, p->io.fd, NULL);
		close(p->io.fd);
	}
	for (size_t i = 0; i < p->n_waiters; i++)
		if (p->waiters[i].tcp && p->waiters[i].conn) {
			struct tcp_conn *c = p->waiters[i].conn;
			c->inflight--;
			if (c->closing && !c->out_len && !c->inflight)
				conn_close(w, c);
		}
	int32_t idx = (int32_t)(p - w->pend);
	int32_t *link = &w->bucket[p->hash % PENDING_BUCKETS];
	while (*link >= 0 && *link != idx)
		link = &w->pend[*link].next;
	if (*link == idx)
		*link = p->next;
	free(p->tcp_buf);
	p->tcp_buf = NULL;
	p->used = false;
	p->io.fd = -1;
	p->n_waiters = 0;
	p->next = w->free_head;
	w->free_head = idx;
	w->n_pend--;
}

static uint64_t question_hash(const struct fz_dns_query *q)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < q->qname_len; i++)
		h = (h ^ q->qname[i]) * 1099511628211ull;
	h = (h ^ q->qtype) * 1099511628211ull;
	h = (h ^ q->qclass) * 1099511628211ull;
	return (h ^ q->do_bit) * 1099511628211ull;
}

static bool same_question(const struct fz_dns_query *a, const struct fz_dns_query *b)
{
	return a->qtype == b->qtype && a->qclass == b->qclass && a->do_bit == b->do_bit &&
	       a->qname_len == b->qname_len && memcmp(a->qname, b->qname, a->qname_len) == 0;
}

/* Pick the upstream for attempt n: healthy ones first, in order, rotating on retries. */
static unsigned pick_upstream(unsigned attempt)
{
	size_t n = D.cfg.n_upstream;
	uint64_t now = fz_mono_ms();
	for (size_t k = 0; k < n; k++) {
		unsigned u = (unsigned)((attempt + k) % n);
		if (atomic_load_explicit(&D.up_down_until[u], memory_order_relaxed) <= now)
			return u;
	}
	return (unsigned)(attempt % n); /* all marked down: try anyway (recovery) */
}

static void mark_upstream(unsigned u, bool ok)
{
	if (ok) {
		atomic_store_explicit(&D.up_fail[u], 0, memory_order_relaxed);
		atomic_store_explicit(&D.up_down_until[u], 0, memory_order_relaxed);
		return;
	}
	unsigned f = atomic_fetch_add_explicit(&D.up_fail[u], 1, memory_order_relaxed) + 1;
	if (f >= 3) {
		/* Down for a while, longer each time it fails again (5 s .. 80 s); a
		 * query after that probes it, and one answer brings it back. */
		unsigned shift = f - 3 < 4 ? f - 3 : 4;
		atomic_store_explicit(&D.up_down_until[u], fz_mono_ms() + (5000ull << shift),
				      memory_order_relaxed);
	}
}

static int upstream_send(struct worker *w, struct pending *p);

static void fail_pending(struct worker *w, struct pending *p, const char *why)
{
	for (size_t i = 0; i < p->n_waiters; i++) {
		uint8_t out[600];
		struct fz_dns_query q = p->q;
		q.id = p->waiters[i].id;
		q.flags = p->waiters[i].flags;
		q.has_edns = p->waiters[i].has_edns;
		size_t n =
		    fz_dns_answer_error(NULL, 0, &q, FZ_DNS_RCODE_SERVFAIL,
					FZ_EDE_NO_REACHABLE_AUTHORITY, why, out, sizeof(out));
		if (n)
			answer(w, &p->waiters[i], out, n);
		fz_metrics_inc(w->m, FZ_M_SERVFAIL);
	}
	pending_free(w, p);
}

/* Next attempt (another upstream), or SERVFAIL when attempts are spent. */
static void retry_pending(struct worker *w, struct pending *p)
{
	if (p->io.fd >= 0) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, p->io.fd, NULL);
		close(p->io.fd);
		p->io.fd = -1;
	}
	mark_upstream(p->upstream, false);
	p->attempt++;
	p->tcp = false;
	if (p->attempt >= D.cfg.upstream_attempts || upstream_send(w, p) < 0)
		fail_pending(w, p, "no upstream answered");
}

static int upstream_send(struct worker *w, struct pending *p)
{
	p->upstream = pick_upstream(p->attempt);
	const struct fz_dns_endpoint *ep = &D.cfg.upstream[p->upstream];
	p->up_id = (uint16_t)rnd(w);
	p->query_len = fz_dns_build_query(&p->q, p->up_id, p->query, sizeof(p->query));
	if (!p->query_len)
		return -EINVAL;
	/* A fresh socket per question: the kernel picks a random source port. */
	int fd = socket(ep->sa.ss_family,
			(p->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&ep->sa, ep->salen) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -errno;
	}
	p->io = (struct io){IO_UPSTREAM, fd};
	p->tcp_len = p->tcp_sent = 0;
	if (p->tcp && !p->tcp_buf && !(p->tcp_buf = malloc(TCP_BUF))) {
		close(fd);
		p->io.fd = -1;
		return -ENOMEM;
	}
	struct epoll_event ev = {.events = p->tcp ? EPOLLOUT | EPOLLIN : EPOLLIN,
				 .data.ptr = &p->io};
	epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
	if (!p->tcp && send(fd, p->query, p->query_len, MSG_DONTWAIT) < 0) {
		/* e.g. ECONNREFUSED from an earlier ICMP: the next attempt tries another */
		epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
		p->io.fd = -1;
		return -errno;
	}
	p->sent_ms = fz_mono_ms();
	p->deadline_ms = p->sent_ms + D.cfg.upstream_timeout_ms;
	fz_metrics_inc(w->m, FZ_M_FORWARDED);
	return 0;
}

/* A reply for a pending question: policy on the answer, cache, send to every waiter. */
static void handle_reply(struct worker *w, struct pending *p, uint8_t *msg, size_t len)
{
	struct fz_dns_reply r;
	int rc = fz_dns_reply_parse(msg, len, &p->q, p->up_id, &r);
	if (rc == -ENOMSG)
		return; /* not ours (spoofed or late): keep waiting */
	if (rc < 0) {
		retry_pending(w, p);
		return;
	}
	if (r.tc && !p->tcp) {
		/* truncated: ask the same upstream again over TCP */
		epoll_ctl(w->ep, EPOLL_CTL_DEL, p->io.fd, NULL);
		close(p->io.fd);
		p->io.fd = -1;
		p->tcp = true;
		fz_metrics_inc(w->m, FZ_M_UPSTREAM_TCP);
		unsigned keep = p->attempt;
		if (upstream_send(w, p) < 0) {
			p->attempt = keep;
			retry_pending(w, p);
		}
		return;
	}
	mark_upstream(p->upstream, true);
	fz_metrics_observe_latency(w->m, (double)(fz_mono_ms() - p->sent_ms));

	/* CNAME cloaking and response addresses: checked on the list the answer goes out with. */
	const struct fz_blmap *m = fz_bl_read_begin(w->reader);
	struct fz_match_info mi;
	int reason = -1;
	const char *what = NULL;
	char addr[INET6_ADDRSTRLEN];
	if (r.overflow && r.n_chain >= FZ_DNS_MAX_CHAIN && D.cfg.cname_check) {
		/* a chain too long to check all of: do not pass what we cannot vouch for */
		fz_bl_read_end(w->reader);
		fail_pending(w, p, "CNAME chain too long to check");
		return;
	}
	if (D.cfg.cname_check)
		for (size_t i = 0; i < r.n_chain && reason < 0; i++)
			if (fz_blmap_lookup(m, r.chain[i], strlen(r.chain[i]), &mi) ==
			    FZ_VERDICT_BLOCK) {
				reason = FZ_REASON_CNAME;
				what = r.chain[i];
			}
	if (D.cfg.ip_check)
		for (size_t i = 0; i < r.n_addrs && reason < 0; i++) {
			int fam = r.addrs[i].family == 6 ? AF_INET6 : AF_INET;
			if (fz_blmap_lookup_ip(m, fam, r.addrs[i].addr, &mi) == FZ_VERDICT_BLOCK) {
				reason = FZ_REASON_IP;
				inet_ntop(fam, r.addrs[i].addr, addr, sizeof(addr));
				what = addr;
			}
		}
	if (reason >= 0) {
		for (size_t i = 0; i < p->n_waiters; i++) {
			struct fz_dns_query q = p->q;
			q.id = p->waiters[i].id;
			q.flags = p->waiters[i].flags;
			q.has_edns = p->waiters[i].has_edns;
			q.udp_size = p->waiters[i].udp_size;
			answer_blocked(w, m, &q, &mi, &p->waiters[i], (enum fz_block_reason)reason,
				       what);
		}
		fz_bl_read_end(w->reader);
		pending_free(w, p);
		return;
	}
	bool fresh = fz_blmap_generation(m) == atomic_load(&D.generation);
	fz_bl_read_end(w->reader);
	if (D.cache && fresh && r.rcode != FZ_DNS_RCODE_SERVFAIL)
		fz_cache_put(D.cache, p->q.qname, p->q.qname_len, p->q.qtype, p->q.qclass,
			     p->q.do_bit, msg, len, r.ttl, r.negative, fz_mono_ms());
	for (size_t i = 0; i < p->n_waiters; i++) {
		uint8_t copy[FZ_DNS_MAX_MSG];
		memcpy(copy, msg, len);
		answer(w, &p->waiters[i], copy, len);
	}
	pending_free(w, p);
}

static void upstream_event(struct worker *w, struct pending *p, uint32_t events)
{
	if (!p->tcp) {
		uint8_t buf[FZ_DNS_MAX_MSG];
		for (;;) {
			ssize_t n = recv(p->io.fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				retry_pending(w, p); /* ECONNREFUSED: nobody there */
				return;
			}
			handle_reply(w, p, buf, (size_t)n);
			if (!p->used || p->tcp)
				return;
		}
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		retry_pending(w, p);
		return;
	}
	if (p->tcp_sent < p->query_len + 2 && (events & EPOLLOUT)) {
		uint8_t frame[602];
		frame[0] = (uint8_t)(p->query_len >> 8);
		frame[1] = (uint8_t)p->query_len;
		memcpy(frame + 2, p->query, p->query_len);
		ssize_t n = send(p->io.fd, frame + p->tcp_sent, p->query_len + 2 - p->tcp_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			retry_pending(w, p);
			return;
		}
		if (n > 0)
			p->tcp_sent += (size_t)n;
		if (p->tcp_sent == p->query_len + 2) {
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &p->io};
			epoll_ctl(w->ep, EPOLL_CTL_MOD, p->io.fd, &ev);
		}
	}
	if (events & EPOLLIN) {
		for (;;) {
			ssize_t n = recv(p->io.fd, p->tcp_buf + p->tcp_len, TCP_BUF - p->tcp_len,
					 MSG_DONTWAIT);
			if (n == 0) {
				retry_pending(w, p);
				return;
			}
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				retry_pending(w, p);
				return;
			}
			p->tcp_len += (size_t)n;
			if (p->tcp_len >= 2) {
				size_t want = (size_t)p->tcp_buf[0] << 8 | p->tcp_buf[1];
				if (p->tcp_len >= 2 + want) {
					handle_reply(w, p, p->tcp_buf + 2, want);
					return;
				}
			}
		}
	}
}

/* --- queries ------------------------------------------------------------- */

static void forward(struct worker *w, const struct fz_dns_query *q, const struct waiter *wt)
{
	uint64_t h = question_hash(q);
	int32_t *head = &w->bucket[h % PENDING_BUCKETS];
	/* Join an identical question already in flight. */
	for (int32_t i = *head; i >= 0; i = w->pend[i].next) {
		struct pending *p = &w->pend[i];
		if (p->hash == h && same_question(&p->q, q) && p->n_waiters < MAX_WAITERS) {
			p->waiters[p->n_waiters++] = *wt;
			if (wt->tcp)
				wt->conn->inflight++;
			fz_metrics_inc(w->m, FZ_M_COALESCED);
			return;
		}
	}
	if (w->free_head < 0) {
		fz_metrics_inc(w->m, FZ_M_DROPPED); /* overloaded: the client retries */
		return;
	}
	int32_t idx = w->free_head;
	struct pending *p = &w->pend[idx];
	w->free_head = p->next;
	memset(p, 0, offsetof(struct pending, waiters));
	p->used = true;
	p->io.fd = -1;
	p->q = *q;
	p->hash = h;
	p->next = *head;
	*head = idx;
	p->waiters[0] = *wt;
	p->n_waiters = 1;
	if (wt->tcp)
		wt->conn->inflight++;
	w->n_pend++;
	while (upstream_send(w, p) < 0) {
		mark_upstream(p->upstream, false);
		if (++p->attempt >= D.cfg.upstream_attempts) {
			fail_pending(w, p, "no upstream answered");
			return;
		}
	}
}

/* One query from a client, on UDP or TCP. */
static void handle_query(struct worker *w, const uint8_t *msg, size_t len, struct waiter *wt)
{
	fz_metrics_inc(w->m, FZ_M_QUERIES);
	if (wt->tcp)
		fz_metrics_inc(w->m, FZ_M_QUERIES_TCP);
	if (len >= 4) { /* for answers made before the question is understood */
		wt->id = (uint16_t)(msg[0] << 8 | msg[1]);
		wt->flags = (uint16_t)(msg[2] << 8 | msg[3]);
	}
	if (!fz_acl_allows(&D.acl, (const struct sockaddr *)&wt->peer)) {
		fz_metrics_inc(w->m, FZ_M_REFUSED);
		if (!D.cfg.refuse)
			return;
		struct fz_dns_query q;
		if (fz_dns_query_parse(msg, len, &q) == FZ_DNS_DROP)
			return;
		uint8_t out[600];
		size_t n = fz_dns_answer_error(msg, len, &q, FZ_DNS_RCODE_REFUSED,
					       FZ_EDE_PROHIBITED, NULL, out, sizeof(out));
		wt->has_edns = q.has_edns;
		wt->udp_size = q.udp_size;
		if (n)
			answer(w, wt, out, n);
		return;
	}
	if (w->rrl && !wt->tcp &&
	    !fz_rrl_allow(w->rrl, (const struct sockaddr *)&wt->peer, fz_mono_ms())) {
		fz_metrics_inc(w->m, FZ_M_RATELIMITED);
		return;
	}
	struct fz_dns_query q;
	enum fz_dns_verdict v = fz_dns_query_parse(msg, len, &q);
	if (v == FZ_DNS_DROP) {
		fz_metrics_inc(w->m, FZ_M_DROPPED);
		return;
	}
	if (v != FZ_DNS_OK) {
		uint8_t out[600];
		uint8_t rcode = v == FZ_DNS_NOTIMP ? FZ_DNS_RCODE_NOTIMP : FZ_DNS_RCODE_FORMERR;
		size_t n = fz_dns_answer_error(msg, len, &q,
					       v == FZ_DNS_BADVERS ? FZ_DNS_RCODE_BADVERS : rcode,
					       -1, NULL, out, sizeof(out));
		fz_metrics_inc(w->m, FZ_M_FORMERR);
		if (n) {
			struct waiter raw = *wt;
			raw.has_edns = q.has_edns;
			raw.udp_size = q.udp_size;
			answer(w, &raw, out, n);
		}
		return;
	}
	wt->id = q.id;
	wt->flags = q.flags;
	wt->has_edns = q.has_edns;
	wt->udp_size = q.udp_size;
	wt->qcase_len = (uint8_t)q.qname_len;
	memcpy(wt->qcase, msg + FZ_DNS_HEADER, q.qname_len);

	/* Policy first: a list change applies to the next query, cached or not. */
	const struct fz_blmap *m = fz_bl_read_begin(w->reader);
	struct fz_match_info mi;
	enum fz_verdict verdict =
	    q.name_len ? fz_blmap_lookup(m, q.name, q.name_len, &mi) : FZ_VERDICT_NONE;
	if (verdict == FZ_VERDICT_BLOCK) {
		answer_blocked(w, m, &q, &mi, wt, FZ_REASON_LISTED, q.name);
		fz_bl_read_end(w->reader);
		return;
	}
	fz_bl_read_end(w->reader);
	if (verdict == FZ_VERDICT_ALLOW)
		fz_metrics_inc(w->m, FZ_M_ALLOWED);

	if (D.cache) {
		uint8_t out[FZ_DNS_MAX_MSG];
		size_t n = fz_cache_get(D.cache, q.qname, q.qname_len, q.qtype, q.qclass, q.do_bit,
					fz_mono_ms(), q.id, out, sizeof(out));
		if (n) {
			fz_metrics_inc(w->m, FZ_M_CACHE_HITS);
			answer(w, wt, out, n);
			return;
		}
		fz_metrics_inc(w->m, FZ_M_CACHE_MISSES);
	}
	forward(w, &q, wt);
}

static void udp_event(struct worker *w, int fd)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	static __thread uint8_t bufs[BATCH][4096];
	struct sockaddr_storage peers[BATCH];
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
			msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i],
							  .msg_namelen = sizeof(peers[i]),
							  .msg_iov = &iov[i],
							  .msg_iovlen = 1};
		}
		int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			struct waiter wt = {.udp_fd = fd, .peerlen = msgs[i].msg_hdr.msg_namelen};
			memcpy(&wt.peer, &peers[i], sizeof(peers[i]));
			handle_query(w, bufs[i], msgs[i].msg_len, &wt);
		}
		flush_udp(w);
		if (n < BATCH)
			break;
	}
}

/* --- TCP clients ----------------------------------------------------------- */

static void conn_close(struct worker *w, struct tcp_conn *c)
{
	if (c->inflight) {
		/* answers still coming from upstream: close once they are sent */
		c->closing = true;
		shutdown(c->io.fd, SHUT_RD);
		return;
	}
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->io.fd, NULL);
	close(c->io.fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->n_conns--;
	atomic_fetch_sub(&D.tcp_clients, 1);
	free(c->in);
	free(c->out);
	free(c);
}

static void tcp_accept(struct worker *w, int lfd)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (atomic_load(&D.tcp_clients) >= D.cfg.tcp_max_clients ||
		    w->n_conns >= MAX_TCP_PER_WORKER) {
			close(fd); /* over the connection limit */
			continue;
		}
		struct tcp_conn *c = calloc(1, sizeof(*c));
		uint8_t *in = malloc(TCP_BUF);
		if (!c || !in) {
			free(c);
			free(in);
			close(fd);
			continue;
		}
		atomic_fetch_add(&D.tcp_clients, 1);
		c->io = (struct io){IO_TCP_CONN, fd};
		c->w = w;
		c->peer = ss;
		c->peerlen = sl;
		c->in = in;
		c->last_ms = fz_mono_ms();
		c->next = w->conns;
		if (w->conns)
			w->conns->prev = c;
		w->conns = c;
		w->n_conns++;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c->io};
		epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

static void tcp_event(struct worker *w, struct tcp_conn *c, uint32_t events)
{
	c->last_ms = fz_mono_ms();
	if (events & EPOLLOUT)
		conn_flush(w, c);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing)
		return;
	for (;;) {
		ssize_t n = recv(c->io.fd, c->in + c->in_len, TCP_BUF - c->in_len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			conn_close(w, c);
			return;
		}
		if (n < 0)
			break;
		c->in_len += (size_t)n;
		/* every complete message (pipelined queries are answered as they come) */
		size_t off = 0;
		while (c->in_len - off >= 2) {
			size_t l = (size_t)c->in[off] << 8 | c->in[off + 1];
			if (l < FZ_DNS_HEADER) {
				c->closing =
				    true; /* a frame too short to be DNS: the stream is junk */
				break;
			}
			if (c->in_len - off < 2 + l)
				break;
			struct waiter wt = {.tcp = true, .conn = c, .peerlen = c->peerlen};
			memcpy(&wt.peer, &c->peer, sizeof(c->peer));
			handle_query(w, c->in + off + 2, l, &wt);
			off += 2 + l;
		}
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
		if (c->closing) {
			conn_flush(w, c);
			return;
		}
	}
}

/* --- the worker loop ------------------------------------------------------- */

static void timers(struct worker *w, uint64_t now)
{
	for (size_t i = 0; i < MAX_PENDING && w->n_pend; i++) {
		struct pending *p = &w->pend[i];
		if (p->used && p->deadline_ms <= now) {
			fz_metrics_inc(w->m, FZ_M_UPSTREAM_TIMEOUTS);
			retry_pending(w, p);
		}
	}
	for (struct tcp_conn *c = w->conns, *next; c; c = next) {
		next = c->next;
		if (!c->inflight && now - c->last_ms > D.cfg.tcp_idle_timeout_ms)
			conn_close(w, c);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	uint64_t next_timer = fz_mono_ms() + 100;
	while (!atomic_load_explicit(&D.stop, memory_order_relaxed) || w->n_pend) {
		int n = epoll_wait(w->ep, evs, 64, 50);
		for (int i = 0; i < n; i++) {
			struct io *io = evs[i].data.ptr;
			switch (io->kind) {
			case IO_UDP:
				if (!atomic_load(&D.stop))
					udp_event(w, io->fd);
				break;
			case IO_TCP_LISTEN:
				if (!atomic_load(&D.stop))
					tcp_accept(w, io->fd);
				break;
			case IO_TCP_CONN:
				tcp_event(w, (struct tcp_conn *)io, evs[i].events);
				break;
			case IO_UPSTREAM:
				upstream_event(
				    w,
				    (struct pending *)((char *)io - offsetof(struct pending, io)),
				    evs[i].events);
				break;
			}
		}
		flush_udp(w);
		uint64_t now = fz_mono_ms();
		if (now >= next_timer) {
			timers(w, now);
			flush_udp(w);
			next_timer = now + 50;
		}
	}
	while (w->conns) {
		w->conns->inflight = 0;
		conn_close(w, w->conns);
	}
	return NULL;
}

/* --- setup ----------------------------------------------------------------- */

static int bind_socket(const struct fz_dns_endpoint *ep, int type, char *err, size_t errlen)
{
	int fd = socket(ep->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (ep->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		int sz = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (bind(fd, (const struct sockaddr *)&ep->sa, ep->salen) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 1024) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	snprintf(err, errlen, "cannot listen on %s (%s): %s", ep->text,
		 type == SOCK_STREAM ? "tcp" : "udp", strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}

static void on_refresh(struct fz_blocklist *bl, int result, const char *err, void *ud)
{
	if (result > 0) {
		uint64_t g = fz_blmap_generation(fz_blocklist_current(bl));
		atomic_store(&D.generation, g);
		/* Cached answers were vetted against the old list (CNAMEs, addresses). */
		if (D.cache)
			fz_cache_clear(D.cache);
		fz_logf("blocklist generation %llu is live", (unsigned long long)g);
	} else if (result < 0) {
		fz_logf("new blocklist refused, keeping generation %llu: %s",
			(unsigned long long)atomic_load(&D.generation), err);
	}
}

static void gauges(struct fz_metrics_gauges *g, void *ud)
{
	struct fz_bl_info bi;
	fz_blmap_info(fz_blocklist_current(D.bl), &bi);
	g->generation = bi.generation;
	g->names = bi.n_names;
	if (D.cache) {
		struct fz_cache_stats cs;
		fz_cache_stats(D.cache, &cs);
		g->cache_entries = cs.entries;
		g->cache_bytes = cs.bytes;
	}
	uint64_t now = fz_mono_ms();
	g->upstreams_up = 0;
	for (size_t i = 0; i < D.cfg.n_upstream; i++)
		g->upstreams_up += atomic_load(&D.up_down_until[i]) <= now;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: fangzha-dns [--config FILE] [OPTION]...\n"
		"\n"
		"The filtering DNS resolver: names on the fangzha blocklist get a policy\n"
		"answer (NXDOMAIN by default, with Extended DNS Error 15 \"Blocked\"); the rest\n"
		"is forwarded to the upstreams and cached. Flags override the [dns] section.\n"
		"\n"
		"  -c, --config FILE       shared config file (default " DEFAULT_CONFIG
		" if present)\n"
		"  -l, --listen ADDR@PORT  listen here (repeatable; [::1]@5353 for IPv6)\n"
		"  -u, --upstream ADDR@PORT forward to (repeatable)\n"
		"  -b, --blocklist FILE    the compiled blocklist\n"
		"  -t, --threads N         worker threads (default: one per core)\n"
		"      --user NAME         drop to this user after binding\n"
		"      --metrics ADDR@PORT serve /metrics (Prometheus) here\n"
		"      --events FILE|-     block events as JSON lines\n"
		"      --allow-net CIDR    client networks served (repeatable; default:\n"
		"                          loopback, RFC 1918, ULA, link-local)\n"
		"      --action A          nxdomain, nodata or sinkhole (every category)\n"
		"      --sinkhole ADDR     sinkhole address (repeatable)\n"
		"      --no-cache          do not cache answers\n"
		"  -f, --foreground        (always; for compatibility)\n"
		"  -h, --help, -V, --version\n"
		"\n"
		"Signals: SIGHUP clears the cache and re-reads the policy settings,\n"
		"SIGUSR1 reopens the events file, SIGTERM drains and exits.\n");
}

static int add_endpoint(struct fz_dns_endpoint *arr, size_t *n, size_t max, const char *s,
			const char *what)
{
	if (*n >= max) {
		fprintf(stderr, "fangzha-dns: too many --%s\n", what);
		return -1;
	}
	if (fz_dns_endpoint_parse(s, 53, &arr[*n]) < 0) {
		fprintf(stderr, "fangzha-dns: --%s: '%s' is not ADDR@PORT\n", what, s);
		return -1;
	}
	(*n)++;
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_USER = 256, O_METRICS, O_EVENTS, O_ALLOW, O_ACTION, O_SINKHOLE, O_NOCACHE };
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"listen", required_argument, NULL, 'l'},
	    {"upstream", required_argument, NULL, 'u'},
	    {"blocklist", required_argument, NULL, 'b'},
	    {"threads", required_argument, NULL, 't'},
	    {"user", required_argument, NULL, O_USER},
	    {"metrics", required_argument, NULL, O_METRICS},
	    {"events", required_argument, NULL, O_EVENTS},
	    {"allow-net", required_argument, NULL, O_ALLOW},
	    {"action", required_argument, NULL, O_ACTION},
	    {"sinkhole", required_argument, NULL, O_SINKHOLE},
	    {"no-cache", no_argument, NULL, O_NOCACHE},
	    {"foreground", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	fz_log_init("fangzha-dns");
	const char *config = NULL;
	char err[512];
	/* first pass: the config file, so flags can override it */
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc)
			config = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			config = argv[i] + 9;
	}
	if (!config && access(DEFAULT_CONFIG, R_OK) == 0)
		config = DEFAULT_CONFIG;
	if (!config) {
		fz_dns_cfg_defaults(&D.cfg);
	} else if (fz_dns_cfg_load(config, &D.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fangzha-dns: %s\n", err);
		return 1;
	}
	bool listen_flag = false, upstream_flag = false, sinkhole_flag = false, no_cache = false;
	char **allow = NULL;
	size_t n_allow = 0;
	int c;
	while ((c = getopt_long(argc, argv, "c:l:u:b:t:fhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 'l':
			if (!listen_flag)
				D.cfg.n_listen = 0;
			listen_flag = true;
			if (add_endpoint(D.cfg.listen, &D.cfg.n_listen, FZ_DNS_MAX_LISTEN, optarg,
					 "listen") < 0)
				return 2;
			break;
		case 'u':
			if (!upstream_flag)
				D.cfg.n_upstream = 0;
			upstream_flag = true;
			if (add_endpoint(D.cfg.upstream, &D.cfg.n_upstream, FZ_DNS_MAX_UPSTREAMS,
					 optarg, "upstream") < 0)
				return 2;
			break;
		case 'b':
			free(D.cfg.blocklist);
			D.cfg.blocklist = strdup(optarg);
			break;
		case 't': {
			char *end;
			long t = strtol(optarg, &end, 10);
			if (*end || t < 1 || t > MAX_WORKERS) {
				fprintf(stderr, "fangzha-dns: --threads wants 1..%d\n",
					MAX_WORKERS);
				return 2;
			}
			D.cfg.threads = (unsigned)t;
			break;
		}
		case O_USER:
			free(D.cfg.user);
			D.cfg.user = strdup(optarg);
			break;
		case O_METRICS:
			if (fz_dns_endpoint_parse(optarg, 0, &D.cfg.metrics) < 0) {
				fprintf(stderr, "fangzha-dns: --metrics: '%s' is not ADDR@PORT\n",
					optarg);
				return 2;
			}
			D.cfg.have_metrics = true;
			break;
		case O_EVENTS:
			free(D.cfg.events);
			D.cfg.events = strdup(optarg);
			break;
		case O_ALLOW: {
			char **na = realloc(allow, (n_allow + 1) * sizeof(*na));
			if (!na)
				return 1;
			allow = na;
			allow[n_allow++] = optarg;
			break;
		}
		case O_ACTION: {
			int a = strcmp(optarg, "nxdomain") == 0	  ? FZ_DNS_ACTION_NXDOMAIN
				: strcmp(optarg, "nodata") == 0	  ? FZ_DNS_ACTION_NODATA
				: strcmp(optarg, "sinkhole") == 0 ? FZ_DNS_ACTION_SINKHOLE
								  : -1;
			if (a < 0) {
				fprintf(
				    stderr,
				    "fangzha-dns: --action wants nxdomain, nodata or sinkhole\n");
				return 2;
			}
			for (int k = 0; k < FZ_CAT_COUNT; k++)
				D.cfg.action[k] = (enum fz_dns_action)a;
			break;
		}
		case O_SINKHOLE: {
			if (!sinkhole_flag)
				D.cfg.n_sinkhole = 0;
			sinkhole_flag = true;
			uint8_t *s = D.cfg.sinkhole[D.cfg.n_sinkhole];
			if (D.cfg.n_sinkhole >= FZ_DNS_MAX_SINKHOLE) {
				fprintf(stderr, "fangzha-dns: too many --sinkhole\n");
				return 2;
			}
			memset(s, 0, 17);
			if (inet_pton(AF_INET, optarg, s + 1) == 1)
				s[0] = 4;
			else if (inet_pton(AF_INET6, optarg, s + 1) == 1)
				s[0] = 6;
			else {
				fprintf(stderr, "fangzha-dns: --sinkhole: '%s' is not an address\n",
					optarg);
				return 2;
			}
			D.cfg.n_sinkhole++;
			break;
		}
		case O_NOCACHE:
			no_cache = true;
			break;
		case 'f':
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("fangzha-dns %s\n", FZ_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'fangzha-dns --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fangzha-dns: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (D.cfg.n_upstream == 0) {
		fprintf(stderr, "fangzha-dns: no upstream (set [dns] upstream or --upstream)\n");
		return 2;
	}
	for (int k = 0; k < FZ_CAT_COUNT; k++)
		if (D.cfg.action[k] == FZ_DNS_ACTION_SINKHOLE && D.cfg.n_sinkhole == 0) {
			fprintf(stderr,
				"fangzha-dns: the sinkhole action needs a sinkhole address\n");
			return 2;
		}

	/* access control */
	if (n_allow == 0 && D.cfg.n_allow_nets == 0) {
		fz_acl_default(&D.acl);
	} else {
		for (size_t i = 0; i < D.cfg.n_allow_nets + n_allow; i++) {
			const char *net = i < n_allow ? allow[i] : D.cfg.allow_nets[i - n_allow];
			if (fz_acl_add(&D.acl, net) < 0) {
				fprintf(stderr, "fangzha-dns: bad client network '%s'\n", net);
				return 2;
			}
		}
	}
	free(allow);

	/* the list */
	double t0 = (double)fz_mono_ms();
	if (fz_blocklist_open(D.cfg.blocklist, &D.bl, err, sizeof(err)) < 0) {
		fprintf(stderr, "fangzha-dns: %s\n", err);
		return 1;
	}
	atomic_store(&D.generation, fz_blmap_generation(fz_blocklist_current(D.bl)));

	/* cache */
	if (!no_cache && D.cfg.cache_size) {
		struct fz_cache_opts co = {.max_bytes = D.cfg.cache_size,
					   .min_ttl = D.cfg.cache_min_ttl,
					   .max_ttl = D.cfg.cache_max_ttl,
					   .max_negative_ttl = D.cfg.cache_max_negative_ttl};
		if (fz_cache_new(&co, &D.cache) < 0) {
			fprintf(stderr, "fangzha-dns: cannot allocate the cache\n");
			return 1;
		}
	}
	if (D.cfg.events && fz_events_open(D.cfg.events, &D.events) < 0) {
		fprintf(stderr, "fangzha-dns: cannot open the events file %s: %s\n", D.cfg.events,
			strerror(errno));
		return 1;
	}

	/* workers and their sockets, bound while we may still bind port 53 */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	D.n_workers = D.cfg.threads ? D.cfg.threads : (unsigned)(ncpu > 0 ? ncpu : 1);
	if (D.n_workers > MAX_WORKERS)
		D.n_workers = MAX_WORKERS;
	D.shards = calloc(D.n_workers, sizeof(*D.shards));
	struct worker *ws = calloc(D.n_workers, sizeof(*ws));
	if (!D.shards || !ws)
		return 1;
	for (unsigned i = 0; i < D.n_workers; i++) {
		struct worker *w = &ws[i];
		w->id = i;
		w->m = &D.shards[i];
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->pend = calloc(MAX_PENDING, sizeof(*w->pend));
		if (w->ep < 0 || !w->pend)
			return 1;
		for (size_t k = 0; k < MAX_PENDING; k++) {
			w->pend[k].io.fd = -1;
			w->pend[k].next = k + 1 < MAX_PENDING ? (int32_t)(k + 1) : -1;
		}
		w->free_head = 0;
		for (size_t k = 0; k < PENDING_BUCKETS; k++)
			w->bucket[k] = -1;
		if (getrandom(&w->rng, sizeof(w->rng), 0) != sizeof(w->rng) || !w->rng)
			w->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)i;
		if (D.cfg.rrl_rate) {
			struct fz_rrl_opts ro = {.rate = D.cfg.rrl_rate, .burst = D.cfg.rrl_burst};
			if (fz_rrl_new(&ro, &w->rrl) < 0)
				return 1;
		}
		if (fz_bl_reader_register(D.bl, &w->reader) < 0)
			return 1;
		for (size_t k = 0; k < D.cfg.n_listen; k++) {
			int u = bind_socket(&D.cfg.listen[k], SOCK_DGRAM, err, sizeof(err));
			int t = u >= 0
				    ? bind_socket(&D.cfg.listen[k], SOCK_STREAM, err, sizeof(err))
				    : u;
			if (u < 0 || t < 0) {
				fprintf(stderr, "fangzha-dns: %s\n", err);
				return 1;
			}
			w->udp[w->n_udp] = (struct io){IO_UDP, u};
			w->tcp[w->n_tcp] = (struct io){IO_TCP_LISTEN, t};
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->udp[w->n_udp]};
			epoll_ctl(w->ep, EPOLL_CTL_ADD, u, &ev);
			ev.data.ptr = &w->tcp[w->n_tcp];
			epoll_ctl(w->ep, EPOLL_CTL_ADD, t, &ev);
			w->n_udp++;
			w->n_tcp++;
		}
	}
	struct fz_metrics_server *ms = NULL;
	if (D.cfg.have_metrics &&
	    fz_metrics_server_start((const struct sockaddr *)&D.cfg.metrics.sa, D.cfg.metrics.salen,
				    D.shards, D.n_workers, gauges, NULL, &ms) < 0) {
		fprintf(stderr, "fangzha-dns: cannot serve metrics on %s\n", D.cfg.metrics.text);
		return 1;
	}
	if (D.cfg.user && fz_drop_privileges(D.cfg.user, NULL, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "fangzha-dns: %s\n", err);
		return 1;
	}
	if (!D.cfg.user && getuid() == 0)
		fz_logf("running as root: set [dns] user or --user to drop privileges");

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* workers inherit the mask */
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);

	if (fz_blocklist_watch_start(D.bl, 1000, on_refresh, NULL) < 0)
		fz_logf("cannot watch %s for new generations", D.cfg.blocklist);
	for (unsigned i = 0; i < D.n_workers; i++)
		pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);

	printf("fangzha-dns: ready: %u workers, blocklist generation %llu, %zu listeners, %zu "
	       "upstreams (%.0f ms)\n",
	       D.n_workers, (unsigned long long)atomic_load(&D.generation), D.cfg.n_listen,
	       D.cfg.n_upstream, (double)fz_mono_ms() - t0);
	fflush(stdout);
	fz_sd_notify("READY=1");

	uint64_t wd_usec = 0;
	const char *wd = getenv("WATCHDOG_USEC");
	if (wd)
		wd_usec = strtoull(wd, NULL, 10);
	for (;;) {
		struct pollfd p = {.fd = sfd, .events = POLLIN};
		int timeout = wd_usec ? (int)(wd_usec / 2000) : -1;
		int n = poll(&p, 1, timeout);
		if (wd_usec)
			fz_sd_notify("WATCHDOG=1");
		if (n <= 0)
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			if (D.cache)
				fz_cache_clear(D.cache);
			struct fz_dns_cfg fresh;
			memset(&fresh, 0, sizeof(fresh));
			if (config && fz_dns_cfg_load(config, &fresh, err, sizeof(err)) < 0) {
				fz_logf("SIGHUP: %s; keeping the running settings", err);
				memset(&fresh, 0, sizeof(fresh));
			} else if (config) {
				/* policy settings apply live; sockets and threads need a restart */
				memcpy(D.cfg.action, fresh.action, sizeof(D.cfg.action));
				memcpy(D.cfg.sinkhole, fresh.sinkhole, sizeof(D.cfg.sinkhole));
				D.cfg.n_sinkhole = fresh.n_sinkhole;
				D.cfg.block_ttl = fresh.block_ttl;
				D.cfg.cname_check = fresh.cname_check;
				D.cfg.ip_check = fresh.ip_check;
				fz_logf("SIGHUP: policy settings re-read from %s, cache cleared",
					config);
			}
			fz_dns_cfg_free(&fresh);
			fz_blocklist_refresh(D.bl, NULL, 0);
			continue;
		}
		if (si.ssi_signo == SIGUSR1) {
			if (D.events && fz_events_reopen(D.events) < 0)
				fz_logf("cannot reopen the events file: %s", strerror(errno));
			continue;
		}
		if (si.ssi_signo == SIGPIPE)
			continue;
		break;
	}
	fz_sd_notify("STOPPING=1");
	fz_logf("stopping: answering what is in flight");
	atomic_store(&D.stop, true);
	for (unsigned i = 0; i < D.n_workers; i++)
		pthread_join(ws[i].thread, NULL);
	fz_metrics_server_stop(ms);
	fz_blocklist_watch_stop(D.bl);
	for (unsigned i = 0; i < D.n_workers; i++) {
		fz_bl_reader_unregister(ws[i].reader);
		fz_rrl_free(ws[i].rrl);
		free(ws[i].pend);
	}
	fz_blocklist_close(D.bl);
	fz_cache_free(D.cache);
	fz_events_close(D.events);
	free(ws);
	free(D.shards);
	fz_dns_cfg_free(&D.cfg);
	return 0;
}
