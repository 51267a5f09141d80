/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resolver's part of the shared config file: [dns]. Other daemons'
 * sections are skipped; unknown keys and bad values are errors naming
 * file:line. Command-line flags of fangzha-dns override the file.
 */
#ifndef FZ_DNSCFG_H
#define FZ_DNSCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fz_rule.h"

#define FZ_DNS_MAX_LISTEN    16
#define FZ_DNS_MAX_UPSTREAMS 8
#define FZ_DNS_MAX_SINKHOLE  8

struct fz_dns_endpoint {
	struct sockaddr_storage sa; /* address and port */
	socklen_t salen;
	char text[64]; /* as given, for messages: "127.0.0.1@53", "[::1]@5353" */
};

enum fz_dns_action {
	FZ_DNS_ACTION_NXDOMAIN = 0,
	FZ_DNS_ACTION_NODATA = 1,
	FZ_DNS_ACTION_SINKHOLE = 2,
};

struct fz_dns_cfg {
	struct fz_dns_endpoint listen[FZ_DNS_MAX_LISTEN];
	size_t n_listen; /* default: 127.0.0.1@53 and [::1]@53 */
	struct fz_dns_endpoint upstream[FZ_DNS_MAX_UPSTREAMS];
	size_t n_upstream;
	char *blocklist;  /* default FZ_FEEDS_DEFAULT_OUTPUT */
	unsigned threads; /* 0: one per core */
	char *user;	  /* drop to this user after binding; NULL: stay (warned) */
	/* access */
	char **allow_nets; /* client networks; NULL: the defaults (fz_acl_default) */
	size_t n_allow_nets;
	bool refuse; /* clients outside: REFUSED (true) or silence (false); default true */
	uint32_t rrl_rate, rrl_burst; /* per client prefix; 0: off (default) */
	/* policy */
	enum fz_dns_action action[FZ_CAT_COUNT];   /* per category; default NXDOMAIN */
	uint8_t sinkhole[FZ_DNS_MAX_SINKHOLE][17]; /* family (4/6) + 16 address bytes */
	size_t n_sinkhole;
	uint32_t block_ttl; /* TTL of policy answers; default 60 */
	bool cname_check;   /* block answers whose CNAME chain reaches a listed name; default yes */
	bool ip_check;	    /* block answers with a listed address; default yes */
	/* forwarding */
	uint32_t upstream_timeout_ms; /* per attempt; default 1500 */
	unsigned upstream_attempts;   /* total attempts across upstreams; default 3 */
	/* cache */
	uint64_t cache_size; /* bytes; default 64 MiB; 0 disables */
	uint32_t cache_min_ttl, cache_max_ttl, cache_max_negative_ttl;
	/* tcp */
	unsigned tcp_max_clients;     /* default 1000 */
	uint32_t tcp_idle_timeout_ms; /* default 10000 */
	/* events and metrics */
	char *events;			/* file path, "-" for stdout, NULL: none */
	struct fz_dns_endpoint metrics; /* listen for /metrics */
	bool have_metrics;		/* default off */
};

void fz_dns_cfg_defaults(struct fz_dns_cfg *cfg);
/* Parse the [dns] section of a config text (pure). 0 or -EINVAL with "file:line: ...". */
int fz_dns_cfg_parse(const uint8_t *data, size_t len, const char *file, struct fz_dns_cfg *cfg,
		     char *err, size_t errlen);
int fz_dns_cfg_load(const char *path, struct fz_dns_cfg *cfg, char *err, size_t errlen);
void fz_dns_cfg_free(struct fz_dns_cfg *cfg);

/*
 * "ADDR@PORT" (IPv4, or IPv6 in brackets "[::1]@5353"; the port defaults to
 * `default_port` without "@PORT"; 0: "@PORT" is required). "::1@53" is
 * refused, a bare "::1" is not. 0 or -EINVAL.
 */
int fz_dns_endpoint_parse(const char *s, uint16_t default_port, struct fz_dns_endpoint *ep);

#endif
