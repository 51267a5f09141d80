/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inspector's part of the shared config file: [nfq]. Read by
 * fangzha-nfq and by `fangzha rules` (queue numbers and marks must agree
 * between the daemon and the firewall rules). Other daemons' sections are
 * skipped; unknown keys and bad values are errors naming file:line.
 * Command-line flags of fangzha-nfq override the file.
 */
#ifndef FZ_NFQCFG_H
#define FZ_NFQCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_dnscfg.h" /* struct fz_dns_endpoint, fz_dns_endpoint_parse */

#define FZ_NFQ_MAX_QUEUES    64
#define FZ_NFQ_MAX_ECH_NAMES 32

/* What a blocked DNS query (to a resolver other than ours) gets. */
enum fz_nfq_dns_action {
	FZ_NFQ_DNS_NXDOMAIN =
	    0,		     /* inject NXDOMAIN + EDE 15 as if from the resolver, drop the query */
	FZ_NFQ_DNS_DROP = 1, /* drop the query silently */
};

/* What a blocked HTTP request gets. */
enum fz_nfq_http_action {
	FZ_NFQ_HTTP_PAGE = 0, /* the 403 block page, then close (RST to the server) */
	FZ_NFQ_HTTP_RST = 1,  /* reset both ends, like TLS */
};

struct fz_nfq_cfg {
	/* queues: [queue_first, queue_first + n_queues), one thread each; default 0, 1 */
	uint16_t queue_first;
	uint16_t n_queues;
	char *blocklist; /* default FZ_FEEDS_DEFAULT_OUTPUT */
	char *user;	 /* drop to this user after opening sockets; NULL: stay (warned) */
	char *events;	 /* file path, "-" for stdout, NULL: none */
	struct fz_dns_endpoint metrics;
	bool have_metrics;
	/* netlink */
	bool fail_closed;      /* queue full / daemon slow: drop instead of letting packets through;
				  default no */
	uint32_t queue_maxlen; /* packets the kernel holds for us per queue; default 4096 */
	uint32_t rcvbuf;       /* netlink socket receive buffer, bytes; default 8 MiB */
	/* marks: the verdict's packet mark, saved to the connmark by the rules */
	uint32_t mark_decided; /* default 0x10000000 */
	uint32_t mark_blocked; /* default 0x20000000 */
	/* rules: stop queueing a flow after this many client->server bytes, even undecided */
	uint32_t max_queued_bytes; /* default 256 KiB (1-byte segments of a 2 KB ClientHello are
				      ~140 KB of packets) */
	/* flows */
	uint32_t max_flows;	  /* per queue thread; default 65536 */
	uint64_t max_memory;	  /* collected bytes per queue thread; default 64 MiB */
	uint32_t flow_timeout_ms; /* undecided idle flow; default 30 s */
	/* policy */
	enum fz_nfq_dns_action dns_action;   /* default nxdomain */
	enum fz_nfq_http_action http_action; /* default page */
	bool block_dot;			     /* reset every TCP/853 flow; default no */
	bool block_doh; /* block TLS/QUIC to names listed with category doh; default no */
	bool quic_icmp; /* blocked QUIC: also ICMP admin-prohibited; default yes */
	char *appeal;	/* block page: how to appeal (URL or sentence); NULL: generic */
	/* ECH: ClientHellos offering ECH whose outer SNI is one of these public names are blocked
	 */
	char *ech_block[FZ_NFQ_MAX_ECH_NAMES];
	size_t n_ech_block;
};

void fz_nfq_cfg_defaults(struct fz_nfq_cfg *cfg);
/* Parse the [nfq] section of a config text (pure). 0 or -EINVAL with "file:line: ...". */
int fz_nfq_cfg_parse(const uint8_t *data, size_t len, const char *file, struct fz_nfq_cfg *cfg,
		     char *err, size_t errlen);
int fz_nfq_cfg_load(const char *path, struct fz_nfq_cfg *cfg, char *err, size_t errlen);
void fz_nfq_cfg_free(struct fz_nfq_cfg *cfg);

/* "N" or "N-M" (M >= N, M - N < FZ_NFQ_MAX_QUEUES, M <= 65535). 0 or -EINVAL. */
int fz_nfq_queues_parse(const char *s, uint16_t *first, uint16_t *count);

#endif
