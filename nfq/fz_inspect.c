/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inspector's decision for one packet. A flow is read until one reader
 * answers (TLS ClientHello, QUIC Initial, HTTP request head, DNS query) or
 * until every reader has said "not mine", the collection cap is reached or
 * memory runs out; then the flow is decided once and the decision is kept
 * in the flow table as a tombstone for packets still in flight.
 *
 * Fail-open by design: a packet or flow we cannot read is let through and
 * counted. Blocking is only ever the result of a rule that matched.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_dnsmsg.h"
#include "fz_gquic.h"
#include "fz_http.h"
#include "fz_inspect.h"
#include "fz_quic.h"
#include "fz_tls.h"

/* HTTP: requests read from one packet (pipelined) before the flow is decided as it stands. */
#define HTTP_MAX_PIPELINED 16
/* QUIC: after this many client datagrams without a ClientHello, stop reading the flow. */
#define QUIC_MAX_DATAGRAMS 16
/* The reported flag in fz_flow.user: the flow has had its report line (--pcap). */
#define FLOW_REPORTED 1u

struct fz_inspector {
	const struct fz_nfq_cfg *cfg;
	struct fz_flowtab *flows;
	struct fz_inspect_stats st;
	/*
	 * Live (not --pcap): an accepted flow leaves the table at once, a note
	 * of it kept for packets already queued (fz_flow_decide_forget). A
	 * capture keeps a tombstone per flow: there every packet of a decided
	 * flow comes back and must not be taken for a new flow.
	 */
	bool live;
	uint64_t now_ms; /* the packet's, for notes of flows decided outside the table */
	/*
	 * Live: a new flow's first QUIC datagram is read into this state, not
	 * a flow's: most are decided on it (one Initial holds the whole
	 * ClientHello), and an accepted one then never enters the table. A
	 * flow is made only for what must outlive the packet: a tombstone, or
	 * an unfinished CRYPTO stream (the state then moves into it).
	 */
	struct fz_quic_state qfirst;
	uint8_t inject[FZ_INSPECT_MAX_INJECT][FZ_INJECT_MAX];
	char page[FZ_INJECT_MAX];
};

const char *fz_nfq_action_name(enum fz_nfq_action a)
{
	switch (a) {
	case FZ_NA_RST:
		return "rst";
	case FZ_NA_PAGE:
		return "page";
	case FZ_NA_ICMP:
		return "icmp";
	case FZ_NA_DROP:
		return "drop";
	case FZ_NA_NXDOMAIN:
		return "nxdomain";
	case FZ_NA_NONE:
		break;
	}
	return "none";
}

int fz_inspector_new(const struct fz_nfq_cfg *cfg, struct fz_inspector **ret)
{
	struct fz_flowtab_cfg fc;
	struct fz_inspector *ins = calloc(1, sizeof(*ins));
	int r;

	if (!ins)
		return -ENOMEM;
	ins->cfg = cfg;
	fz_flowtab_cfg_defaults(&fc);
	if (cfg->max_flows)
		fc.max_flows = cfg->max_flows;
	if (cfg->max_memory)
		fc.max_bytes = cfg->max_memory;
	if (cfg->flow_timeout_ms)
		fc.idle_timeout_ms = cfg->flow_timeout_ms;
	r = fz_flowtab_new(&fc, &ins->flows);
	if (r < 0) {
		free(ins);
		return r;
	}
	fz_quic_state_init(&ins->qfirst);
	*ret = ins;
	return 0;
}

void fz_inspector_free(struct fz_inspector *ins)
{
	if (!ins)
		return;
	fz_flowtab_free(ins->flows);
	fz_quic_state_free(&ins->qfirst);
	free(ins);
}

struct fz_flowtab *fz_inspector_flows(struct fz_inspector *ins)
{
	return ins->flows;
}

void fz_inspector_tick(struct fz_inspector *ins, uint64_t now_ms)
{
	fz_flowtab_expire(ins->flows, now_ms);
}

void fz_inspector_stats(const struct fz_inspector *ins, struct fz_inspect_stats *st)
{
	*st = ins->st;
}

/* Copy a name found on the wire as a lowercase C string; false when it cannot be a host name. */
static bool take_name(const char *s, size_t n, char out[256])
{
	if (n == 0 || n > 253 + 1)
		return false;
	if (s[n - 1] == '.')
		n--;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '/')
			return false;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[n] = '\0';
	return true;
}

static void add_inject(struct fz_inspector *ins, struct fz_inspect_result *res, size_t len)
{
	if (len == 0 || res->n_inject >= FZ_INSPECT_MAX_INJECT)
		return;
	res->inject[res->n_inject] = ins->inject[res->n_inject];
	res->inject_len[res->n_inject] = len;
	res->n_inject++;
}

static uint8_t *next_inject_buf(struct fz_inspector *ins, const struct fz_inspect_result *res)
{
	return ins->inject[res->n_inject < FZ_INSPECT_MAX_INJECT ? res->n_inject : 0];
}

static void inject_rst_both(struct fz_inspector *ins, struct fz_inspect_result *res)
{
	add_inject(ins, res,
		   fz_inject_tcp_rst(&res->pkt, true, next_inject_buf(ins, res), FZ_INJECT_MAX));
	add_inject(ins, res,
		   fz_inject_tcp_rst(&res->pkt, false, next_inject_buf(ins, res), FZ_INJECT_MAX));
}

static const char *first_feed(const struct fz_blmap *m, const struct fz_match_info *mi)
{
	struct fz_bl_feed_info fi;

	if (m && mi->n_feeds && fz_blmap_feed(m, mi->feeds[0], &fi) == 0 && fi.name)
		return fi.name;
	return "?";
}

/*
 * Take the flow's decision: verdict, action and the packets to send. f is
 * NULL for a flow outside the table (live only): accepted, it leaves the
 * note an entry would have left; blocked, no tombstone (its next packet is
 * read and blocked again, if the kernel's mark has not dropped it first).
 */
static void decide(struct fz_inspector *ins, struct fz_flow *f, struct fz_inspect_result *res,
		   bool block, const char *reason)
{
	const struct fz_nfq_cfg *cfg = ins->cfg;

	res->decided_now = true;
	if (f) {
		f->user |= FLOW_REPORTED;
		f->proto = (uint8_t)res->proto;
	}
	if (!block) {
		res->verdict = FZ_NV_ACCEPT;
		res->action = FZ_NA_NONE;
		ins->st.accepted++;
		if (!f)
			fz_flowtab_note(ins->flows, &res->pkt, ins->now_ms, FZ_NV_ACCEPT,
					(uint8_t)res->proto);
		else if (ins->live)
			fz_flow_decide_forget(ins->flows, f, &res->pkt, FZ_NV_ACCEPT);
		else
			fz_flow_decide(ins->flows, f, FZ_NV_ACCEPT);
		return;
	}
	res->reason = reason;
	res->verdict = FZ_NV_BLOCK;
	ins->st.blocked++;
	if (res->proto < FZ_PROTO_COUNT)
		ins->st.blocked_by_proto[res->proto]++;
	if (res->pkt.proto == IPPROTO_TCP) {
		if (res->proto == FZ_PROTO_HTTP && cfg->http_action == FZ_NFQ_HTTP_PAGE) {
			size_t n = fz_http_block_page(fz_category_name(res->match.category),
						      res->url[0] ? res->url : res->name,
						      cfg->appeal, ins->page, sizeof(ins->page));
			res->action = FZ_NA_PAGE;
			add_inject(ins, res,
				   fz_inject_tcp_payload(&res->pkt, (const uint8_t *)ins->page, n,
							 next_inject_buf(ins, res), FZ_INJECT_MAX));
			add_inject(ins, res,
				   fz_inject_tcp_rst(&res->pkt, false, next_inject_buf(ins, res),
						     FZ_INJECT_MAX));
			if (res->n_inject == 1) /* the page did not fit: reset the client too */
				add_inject(ins, res,
					   fz_inject_tcp_rst(&res->pkt, true,
							     next_inject_buf(ins, res),
							     FZ_INJECT_MAX));
		} else {
			res->action = FZ_NA_RST;
			inject_rst_both(ins, res);
		}
	} else if (res->proto == FZ_PROTO_QUIC && cfg->quic_icmp) {
		res->action = FZ_NA_ICMP;
		/* The ICMP quotes the packet; it needs the original bytes: the caller's. */
	} else {
		res->action = FZ_NA_DROP;
	}
	if (f)
		fz_flow_decide(ins->flows, f, FZ_NV_BLOCK);
}

/* Are ClientHellos with ECH toward this outer name to be blocked? */
static bool ech_blocked(const struct fz_nfq_cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_ech_block; i++)
		if (cfg->ech_block[i] && strcmp(cfg->ech_block[i], name) == 0)
			return true;
	return false;
}

/* Is the server address listed? Fills res->match. */
static bool ip_listed(const struct fz_blmap *m, struct fz_inspect_result *res)
{
	if (!m)
		return false;
	if (res->pkt.family == 4)
		return fz_blmap_lookup_ip(m, AF_INET, res->pkt.dst, &res->match) ==
		       FZ_VERDICT_BLOCK;
	return fz_blmap_lookup_ip(m, AF_INET6, res->pkt.dst, &res->match) == FZ_VERDICT_BLOCK;
}

/* Look a name up; a doh-category rule only blocks when block_doh is set. */
static bool name_listed(const struct fz_inspector *ins, const struct fz_blmap *m,
			struct fz_inspect_result *res, const char **reason)
{
	if (!m || !res->name[0])
		return false;
	if (fz_blmap_lookup(m, res->name, strlen(res->name), &res->match) != FZ_VERDICT_BLOCK)
		return false;
	if (res->match.category == FZ_CAT_DOH) {
		if (!ins->cfg->block_doh)
			return false;
		*reason = "doh";
		return true;
	}
	*reason = "listed";
	return true;
}

/* A flow whose server name is known (TLS, QUIC): decide it. */
static void decide_hello(struct fz_inspector *ins, const struct fz_blmap *m, struct fz_flow *f,
			 struct fz_inspect_result *res, const struct fz_tls_hello *h)
{
	const char *reason = NULL;
	bool have_name = h->has_sni && take_name(h->sni, h->sni_len, res->name);

	if (!have_name)
		res->name[0] = '\0';
	{
		/* every new TLS/QUIC flow comes here: a copy, not a printf */
		size_t n = strnlen(h->alpn, sizeof(h->alpn));

		if (n >= sizeof(res->alpn))
			n = sizeof(res->alpn) - 1;
		memcpy(res->alpn, h->alpn, n);
		res->alpn[n] = '\0';
	}
	res->ech = h->ech;
	if (res->proto == FZ_PROTO_DOT && ins->cfg->block_dot) {
		decide(ins, f, res, true, "dot");
		return;
	}
	if (have_name && name_listed(ins, m, res, &reason)) {
		decide(ins, f, res, true, reason);
		return;
	}
	if (have_name && h->ech && ech_blocked(ins->cfg, res->name)) {
		memset(&res->match, 0, sizeof(res->match));
		decide(ins, f, res, true, "ech");
		return;
	}
	decide(ins, f, res, ip_listed(m, res), "ip");
}

/* A name read from an unfinished ClientHello: is it blocked whatever the rest says? */
static bool early_block(const struct fz_inspector *ins, const struct fz_blmap *m,
			struct fz_inspect_result *res, const struct fz_tls_hello *h)
{
	const char *reason = NULL;

	if (!take_name(h->sni, h->sni_len, res->name))
		return false;
	return name_listed(ins, m, res, &reason);
}

/* Where the request head in s[0..n) ends (just past its empty line); 0 when it does not. */
static size_t http_head_end(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\n')
			continue;
		size_t j = i + 1;
		if (j < n && s[j] == '\r')
			j++;
		if (j < n && s[j] == '\n')
			return j + 1;
	}
	return 0;
}

static bool http_no_body(const struct fz_http_req *h)
{
	return (h->method_len == 3 && !memcmp(h->method, "GET", 3)) ||
	       (h->method_len == 4 && !memcmp(h->method, "HEAD", 4));
}

/*
 * One request read from the flow's stream (its head ends at head_len):
 * block the flow, or decide it, or - on a host that has URL rules of its
 * own, for a request without a body - let it pass and read the next
 * request of the connection, so a listed download fetched after a page on
 * the same keep-alive connection is still caught. True when decided.
 */
static bool http_request(struct fz_inspector *ins, const struct fz_blmap *m, struct fz_flow *f,
			 struct fz_inspect_result *res, const struct fz_http_req *h,
			 size_t head_len)
{
	const char *reason = NULL;
	bool have_name = take_name(h->host, h->host_len, res->name);

	if (!have_name)
		res->name[0] = '\0';
	if (have_name) {
		size_t pl = h->path_len;
		if (pl > sizeof(res->url) - strlen(res->name) - 1)
			pl = sizeof(res->url) - strlen(res->name) - 1;
		snprintf(res->url, sizeof(res->url), "%s%.*s", res->name, (int)pl, h->path);
		if (m && h->path_len &&
		    fz_blmap_lookup_url(m, res->name, strlen(res->name), h->path, h->path_len,
					&res->match) == FZ_VERDICT_BLOCK) {
			decide(ins, f, res, true, "url");
			return true;
		}
		if (name_listed(ins, m, res, &reason)) {
			decide(ins, f, res, true, reason);
			return true;
		}
		if (head_len && http_no_body(h) &&
		    fz_blmap_url_host(m, res->name, strlen(res->name)) &&
		    fz_flow_tcp_consume(ins->flows, f, (uint32_t)head_len) == 0) {
			res->verdict = FZ_NV_PASS;
			return false;
		}
	}
	decide(ins, f, res, ip_listed(m, res), "ip");
	return true;
}

/* A DNS query (UDP payload, or one message of a TCP stream). True when it was read. */
static bool dns_query(struct fz_inspector *ins, const struct fz_blmap *m,
		      struct fz_inspect_result *res, const uint8_t *msg, size_t len,
		      struct fz_dns_query *q, bool *listed)
{
	const char *reason = NULL;

	*listed = false;
	if (fz_dns_query_parse(msg, len, q) != FZ_DNS_OK)
		return false;
	if (!take_name(q->name, q->name_len, res->name))
		return true; /* the root or odd bytes: nothing to look up */
	*listed = name_listed(ins, m, res, &reason);
	res->reason = *listed ? reason : NULL;
	return true;
}

/*
 * Is the start of this TCP stream still in doubt? Offset 0 came from the
 * first data segment seen (the rules queue no bare SYN or ACK); when that
 * was a later segment overtaking the first, the bytes read as nothing we
 * know. Such a flow is not called unreadable on one segment: the next one
 * either comes before it (fz_flow_tcp_data moves offset 0 back, and the
 * stream is read again) or after it (the start was right).
 */
static bool start_unsure(const struct fz_flow *f)
{
	return f->isn_from_data && f->data_segs < 2;
}

static void tcp_packet(struct fz_inspector *ins, const struct fz_blmap *m, struct fz_flow *f,
		       struct fz_inspect_result *res)
{
	const struct fz_pkt *pk = &res->pkt;
	const uint8_t *s;
	size_t n;
	int r = fz_flow_tcp_data(ins->flows, f, pk, &s, &n);

	if (r < 0) {
		ins->st.gave_up++;
		decide(ins, f, res, ip_listed(m, res), "ip");
		return;
	}
	if (n == 0) {
		res->verdict = FZ_NV_PASS;
		return;
	}
	if (pk->dport == 53) {
		/* DNS over TCP: a 2-byte length, then the query. */
		res->proto = FZ_PROTO_DNS;
		if (n < 2 || n < 2 + (size_t)(s[0] << 8 | s[1])) {
			if (n >= ins->cfg->max_queued_bytes || n >= 16384) {
				ins->st.gave_up++;
				decide(ins, f, res, false, NULL);
			} else {
				res->verdict = FZ_NV_PASS;
			}
			return;
		}
		struct fz_dns_query q;
		bool listed;
		dns_query(ins, m, res, s + 2, (size_t)(s[0] << 8 | s[1]), &q, &listed);
		decide(ins, f, res, listed, res->reason);
		return;
	}

	bool more = false;
	if (!(f->not_mask & (1u << FZ_PROTO_TLS))) {
		struct fz_tls_hello h;
		enum fz_dpi_status st = fz_tls_client_hello_peek(s, n, &h);
		if (st == FZ_DPI_OK) {
			res->proto = pk->dport == 853 ? FZ_PROTO_DOT : FZ_PROTO_TLS;
			ins->st.by_proto[res->proto]++;
			decide_hello(ins, m, f, res, &h);
			return;
		}
		if (st == FZ_DPI_MORE && h.has_sni && early_block(ins, m, res, &h)) {
			/* The name is read and listed: no need to wait for the rest. */
			res->proto = pk->dport == 853 ? FZ_PROTO_DOT : FZ_PROTO_TLS;
			ins->st.by_proto[res->proto]++;
			decide_hello(ins, m, f, res, &h);
			return;
		}
		if (st == FZ_DPI_MORE) {
			res->proto = FZ_PROTO_TLS;
			more = true;
		} else if (st == FZ_DPI_BAD && start_unsure(f)) {
			res->verdict = FZ_NV_PASS;
			return;
		} else if (st == FZ_DPI_BAD) {
			res->proto = FZ_PROTO_TLS;
			ins->st.gave_up++;
			decide(ins, f, res, ip_listed(m, res), "ip");
			return;
		} else {
			f->not_mask |= 1u << FZ_PROTO_TLS;
		}
	}
	if (!more && !(f->not_mask & (1u << FZ_PROTO_HTTP))) {
		struct fz_http_req h;
		enum fz_dpi_status st;
		for (int reqs = 0;; reqs++) {
			st = fz_http_request_parse(s, n, &h);
			if (st != FZ_DPI_OK)
				break;
			res->proto = FZ_PROTO_HTTP;
			if (f->proto != FZ_PROTO_HTTP) {
				f->proto = FZ_PROTO_HTTP;
				ins->st.by_proto[FZ_PROTO_HTTP]++;
			}
			if (http_request(ins, m, f, res, &h,
					 reqs < HTTP_MAX_PIPELINED ? http_head_end(s, n) : 0))
				return;
			/* passed; the next request of the connection, when it is there */
			n = fz_reasm_contiguous(&f->stream);
			s = f->stream.data;
			if (n == 0)
				return;
		}
		if (st == FZ_DPI_MORE) {
			res->proto = FZ_PROTO_HTTP;
			more = true;
		} else if (st == FZ_DPI_BAD && start_unsure(f)) {
			res->verdict = FZ_NV_PASS;
			return;
		} else if (st == FZ_DPI_BAD) {
			res->proto = FZ_PROTO_HTTP;
			ins->st.gave_up++;
			decide(ins, f, res, ip_listed(m, res), "ip");
			return;
		} else {
			f->not_mask |= 1u << FZ_PROTO_HTTP;
		}
	}
	if (pk->dport == 853 && ins->cfg->block_dot) {
		res->proto = FZ_PROTO_DOT;
		decide(ins, f, res, true, "dot");
		return;
	}
	if (!more && start_unsure(f)) {
		res->verdict = FZ_NV_PASS;
		return;
	}
	if (!more) {
		/* No reader knows these bytes: the flow is not ours to read. */
		res->proto = FZ_PROTO_UNKNOWN;
		decide(ins, f, res, ip_listed(m, res), "ip");
		return;
	}
	if (fz_reasm_contiguous(&f->stream) >= f->stream.cap) {
		ins->st.gave_up++;
		decide(ins, f, res, ip_listed(m, res), "ip");
		return;
	}
	res->verdict = FZ_NV_PASS;
}

/*
 * A DNS query over UDP: read per packet, without a flow entry (a client
 * may send many queries from one port, each is read; and a flood of
 * queries from new ports does not churn the flow table).
 */
static void udp_dns(struct fz_inspector *ins, const struct fz_blmap *m,
		    struct fz_inspect_result *res)
{
	const struct fz_pkt *pk = &res->pkt;
	struct fz_dns_query q;
	bool listed;

	res->proto = FZ_PROTO_DNS;
	if (!dns_query(ins, m, res, pk->payload, pk->payload_len, &q, &listed)) {
		res->verdict = FZ_NV_PASS;
		return;
	}
	/* Every query is a decision of its own; the flow stays open to the next one. */
	res->decided_now = true;
	ins->st.by_proto[FZ_PROTO_DNS]++;
	if (!listed) {
		res->verdict = FZ_NV_PASS;
		ins->st.passed++;
		return;
	}
	res->verdict = FZ_NV_DROP;
	ins->st.dropped++;
	ins->st.blocked_by_proto[FZ_PROTO_DNS]++;
	if (ins->cfg->dns_action != FZ_NFQ_DNS_NXDOMAIN) {
		res->action = FZ_NA_DROP;
		return;
	}
	char text[320];
	uint8_t ans[FZ_DNS_UDP_PAYLOAD];
	size_t cap = q.udp_size < sizeof(ans) ? q.udp_size : sizeof(ans);
	if (cap < 512)
		cap = 512;
	snprintf(text, sizeof(text), "%s: listed by %s", fz_category_name(res->match.category),
		 first_feed(m, &res->match));
	size_t n = fz_dns_answer_block(&q, FZ_DNS_BLOCK_NXDOMAIN, NULL, 0, 60, FZ_EDE_BLOCKED, text,
				       ans, cap);
	res->action = FZ_NA_NXDOMAIN;
	add_inject(ins, res,
		   fz_inject_udp_reply(pk, ans, n, next_inject_buf(ins, res), FZ_INJECT_MAX));
}

static void udp_quic(struct fz_inspector *ins, const struct fz_blmap *m, struct fz_flow *f,
		     struct fz_inspect_result *res)
{
	struct fz_quic_state *qs = fz_flow_quic(ins->flows, f);
	struct fz_tls_hello h;
	enum fz_dpi_status st;

	res->proto = FZ_PROTO_QUIC;
	if (!qs) {
		ins->st.gave_up++;
		decide(ins, f, res, ip_listed(m, res), "ip");
		return;
	}
	st = fz_quic_client_datagram(qs, res->pkt.payload, res->pkt.payload_len, &h);
	fz_flow_account(ins->flows, f);
	switch (st) {
	case FZ_DPI_OK:
		ins->st.by_proto[FZ_PROTO_QUIC]++;
		decide_hello(ins, m, f, res, &h);
		return;
	case FZ_DPI_MORE:
		if (f->c2s_pkts < QUIC_MAX_DATAGRAMS) {
			res->verdict = FZ_NV_PASS;
			return;
		}
		ins->st.gave_up++;
		break;
	case FZ_DPI_NOT:
		res->proto = FZ_PROTO_UNKNOWN;
		break;
	case FZ_DPI_BAD:
		ins->st.gave_up++;
		break;
	}
	decide(ins, f, res, ip_listed(m, res), "ip");
}

/*
 * Live: the first datagram of a flow not in the table, a QUIC Initial
 * (see struct fz_inspector's qfirst). The same outcomes as udp_quic on a
 * new flow.
 */
static void quic_first(struct fz_inspector *ins, const struct fz_blmap *m,
		       struct fz_inspect_result *res)
{
	struct fz_quic_state *qs = &ins->qfirst;
	struct fz_tls_hello h;
	enum fz_dpi_status st;
	struct fz_flow *f = NULL;
	bool from_client;

	res->proto = FZ_PROTO_QUIC;
	fz_quic_state_reset(qs);
	st = fz_quic_client_datagram(qs, res->pkt.payload, res->pkt.payload_len, &h);
	if (st == FZ_DPI_OK) {
		ins->st.by_proto[FZ_PROTO_QUIC]++;
		decide_hello(ins, m, NULL, res, &h);
		if (res->verdict != FZ_NV_BLOCK)
			return;
		/* blocked: the tombstone keeps the rest of the flow from being read again */
		f = fz_flowtab_lookup(ins->flows, &res->pkt, ins->now_ms, true, &from_client);
		if (f) {
			f->user |= FLOW_REPORTED;
			f->proto = (uint8_t)res->proto;
			fz_flow_decide(ins->flows, f, FZ_NV_BLOCK);
		}
		return;
	}
	f = fz_flowtab_lookup(ins->flows, &res->pkt, ins->now_ms, true, &from_client);
	if (!f)
		return; /* passed, as any packet without room for its flow */
	switch (st) {
	case FZ_DPI_MORE:
		if (fz_flow_quic_adopt(ins->flows, f, qs) == 0) {
			res->verdict = FZ_NV_PASS;
			return;
		}
		ins->st.gave_up++;
		break;
	case FZ_DPI_NOT:
		res->proto = FZ_PROTO_UNKNOWN;
		break;
	default:
		ins->st.gave_up++;
		break;
	}
	decide(ins, f, res, ip_listed(m, res), "ip");
}

/* A QUIC long header packet of a version family we know (any packet type). */
static bool quic_long_header(const uint8_t *p, size_t len)
{
	if (len < 7 || (p[0] & 0xc0) != 0xc0)
		return false;
	uint32_t v = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	return v == FZ_QUIC_V1 || v == FZ_QUIC_V2 || (v >> 8) == 0xff0000 ||
	       (v >> 16) == 0x5430 /* Google T0xx */;
}

static bool service_port(uint16_t port)
{
	return port == 443 || port == 80 || port == 53 || port == 853;
}

/*
 * Does this packet, the first seen of its flow, come from the server? A
 * capture (or a daemon started mid-way) can show a server's packet first;
 * taking its sender for the client would leave the real client's bytes
 * unread. Live rules queue only the client's direction, so this is rare
 * there.
 */
static bool from_server(const struct fz_pkt *p)
{
	if (p->proto == IPPROTO_TCP &&
	    (p->tcp_flags & (FZ_TCP_SYN | FZ_TCP_ACK)) == (FZ_TCP_SYN | FZ_TCP_ACK))
		return true;
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & FZ_TCP_SYN))
		return false;
	return service_port(p->sport) && !service_port(p->dport) && p->dport >= 1024;
}

void fz_inspect_packet(struct fz_inspector *ins, const struct fz_blmap *m, const uint8_t *p,
		       size_t len, uint64_t now_ms, bool capture, struct fz_inspect_result *res)
{
	struct fz_flow *f;
	bool from_client;
	uint8_t verdict, proto;
	uint32_t version;

	res->verdict = FZ_NV_PASS;
	res->action = FZ_NA_NONE;
	res->proto = FZ_PROTO_UNKNOWN;
	res->decided_now = false;
	res->name[0] = res->url[0] = res->alpn[0] = '\0';
	res->ech = false;
	res->reason = NULL;
	memset(&res->match, 0, sizeof(res->match));
	res->n_inject = 0;
	ins->st.packets++;
	ins->live = !capture;
	ins->now_ms = now_ms;

	res->pkt_err = fz_pkt_parse(p, len, capture, &res->pkt);
	if (res->pkt_err < 0) {
		ins->st.unreadable++;
		ins->st.passed++;
		return;
	}
	if (res->pkt.proto == IPPROTO_UDP && res->pkt.dport == 53) {
		udp_dns(ins, m, res);
		return;
	}
	f = fz_flowtab_lookup(ins->flows, &res->pkt, now_ms, false, &from_client);
	if (!f && fz_flowtab_recent(ins->flows, &res->pkt, now_ms, &verdict, &proto)) {
		/* Accepted a moment ago; this packet was queued before the connmark was saved. */
		res->proto = (enum fz_proto)proto;
		res->verdict = (enum fz_nfq_verdict)verdict;
		ins->st.accepted++;
		return;
	}
	if (!f && from_server(&res->pkt)) {
		/* A server's packet before any of its client's: the client's makes the flow. */
		ins->st.passed++;
		return;
	}
	if (!f && ins->live && res->pkt.proto == IPPROTO_UDP &&
	    fz_quic_is_initial(res->pkt.payload, res->pkt.payload_len, &version)) {
		quic_first(ins, m, res);
		goto out;
	}
	if (!f)
		f = fz_flowtab_lookup(ins->flows, &res->pkt, now_ms, true, &from_client);
	if (!f) {
		ins->st.passed++;
		return;
	}
	if (f->state == FZ_FLOW_DECIDED) {
		/* A packet in flight before the kernel saw the connmark, or a retransmission. */
		res->proto = (enum fz_proto)f->proto;
		res->verdict = (enum fz_nfq_verdict)f->verdict;
		if (res->verdict == FZ_NV_BLOCK)
			ins->st.blocked++;
		else
			ins->st.accepted++;
		return;
	}
	if (!from_client) {
		/* Only the client's bytes decide (live rules queue only that direction). */
		ins->st.passed++;
		return;
	}
	if (res->pkt.proto == IPPROTO_TCP) {
		tcp_packet(ins, m, f, res);
	} else {
		struct fz_tls_hello h;
		if (f->quic ||
		    fz_quic_is_initial(res->pkt.payload, res->pkt.payload_len, &version)) {
			udp_quic(ins, m, f, res);
		} else if (fz_gquic_chlo_parse(res->pkt.payload, res->pkt.payload_len, &h) ==
			   FZ_DPI_OK) {
			/* Google QUIC: the CHLO is in clear in the first packet. */
			res->proto = FZ_PROTO_QUIC;
			ins->st.by_proto[FZ_PROTO_QUIC]++;
			decide_hello(ins, m, f, res, &h);
		} else if (quic_long_header(res->pkt.payload, res->pkt.payload_len) &&
			   f->c2s_pkts < QUIC_MAX_DATAGRAMS) {
			/* 0-RTT or Handshake overtaking the Initial: wait for it. */
			res->proto = FZ_PROTO_QUIC;
			res->verdict = FZ_NV_PASS;
		} else {
			decide(ins, f, res, ip_listed(m, res), "ip");
		}
	}
out:
	if (res->verdict == FZ_NV_PASS)
		ins->st.passed++;
	if (res->action == FZ_NA_ICMP)
		add_inject(ins, res,
			   fz_inject_icmp_prohibited(p, len, &res->pkt, next_inject_buf(ins, res),
						     FZ_INJECT_MAX));
}
