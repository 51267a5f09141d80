/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_dns_cfg_parse() (and fz_ini under it) over arbitrary
 * bytes. A config that is accepted holds only values inside their bounds:
 * endpoints that parse again to the same address, no duplicate, actions
 * that are sinkhole only with sinkhole addresses, min TTL <= max TTL. One
 * that is refused says "fuzz.conf:LINE: why", LINE a line of the input.
 * fz_dns_endpoint_parse runs over the input's first line too.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz_cfg_check.h"
#include "fuzz_common.h"
#include "fz_dnscfg.h"

static void check_list(const struct fz_dns_endpoint *eps, size_t n, size_t max)
{
	FZ_FUZZ_CHECK(n <= max);
	for (size_t i = 0; i < n; i++) {
		fz_fuzz_check_endpoint(&eps[i]);
		for (size_t j = 0; j < i; j++)
			FZ_FUZZ_CHECK(eps[i].salen != eps[j].salen ||
				      memcmp(&eps[i].sa, &eps[j].sa, eps[i].salen) != 0);
	}
}

static void check_accepted(const void *cfg)
{
	const struct fz_dns_cfg *c = cfg;
	bool any_sinkhole = false;

	FZ_FUZZ_CHECK(c->n_listen >= 1);
	check_list(c->listen, c->n_listen, FZ_DNS_MAX_LISTEN);
	check_list(c->upstream, c->n_upstream, FZ_DNS_MAX_UPSTREAMS);
	FZ_FUZZ_CHECK(c->blocklist && c->blocklist[0]);
	FZ_FUZZ_CHECK(c->threads <= 64);
	FZ_FUZZ_CHECK(!c->user || (c->user[0] && !strpbrk(c->user, " \t:/")));
	FZ_FUZZ_CHECK((c->allow_nets == NULL) == (c->n_allow_nets == 0));
	FZ_FUZZ_CHECK(c->n_allow_nets <= 1024);
	for (size_t i = 0; i < c->n_allow_nets; i++)
		FZ_FUZZ_CHECK(c->allow_nets[i][0] && !strpbrk(c->allow_nets[i], " \t,"));
	FZ_FUZZ_CHECK(c->rrl_rate <= 1000000 && c->rrl_burst <= 1000000);
	for (int i = 0; i < FZ_CAT_COUNT; i++) {
		FZ_FUZZ_CHECK(c->action[i] == FZ_DNS_ACTION_NXDOMAIN ||
			      c->action[i] == FZ_DNS_ACTION_NODATA ||
			      c->action[i] == FZ_DNS_ACTION_SINKHOLE);
		any_sinkhole |= c->action[i] == FZ_DNS_ACTION_SINKHOLE;
	}
	FZ_FUZZ_CHECK(!any_sinkhole || c->n_sinkhole > 0);
	FZ_FUZZ_CHECK(c->n_sinkhole <= FZ_DNS_MAX_SINKHOLE);
	for (size_t i = 0; i < c->n_sinkhole; i++) {
		FZ_FUZZ_CHECK(c->sinkhole[i][0] == 4 || c->sinkhole[i][0] == 6);
		for (size_t j = 0; j < i; j++)
			FZ_FUZZ_CHECK(memcmp(c->sinkhole[i], c->sinkhole[j], 17) != 0);
	}
	FZ_FUZZ_CHECK(c->block_ttl <= 7 * 86400);
	FZ_FUZZ_CHECK(c->upstream_timeout_ms >= 10 && c->upstream_timeout_ms <= 60000);
	FZ_FUZZ_CHECK(c->upstream_attempts >= 1 && c->upstream_attempts <= 16);
	FZ_FUZZ_CHECK(c->cache_size <= 64ull << 30);
	FZ_FUZZ_CHECK(c->cache_min_ttl <= c->cache_max_ttl && c->cache_max_ttl <= 7 * 86400);
	FZ_FUZZ_CHECK(c->cache_max_negative_ttl <= 7 * 86400);
	FZ_FUZZ_CHECK(c->tcp_max_clients >= 1 && c->tcp_max_clients <= 65536);
	FZ_FUZZ_CHECK(c->tcp_idle_timeout_ms >= 100 && c->tcp_idle_timeout_ms <= 3600000);
	FZ_FUZZ_CHECK(!c->events || c->events[0]);
	if (c->have_metrics)
		fz_fuzz_check_endpoint(&c->metrics);
}

/* fz_dns_endpoint_parse over the first line (at most 80 bytes), as a string. */
static void check_endpoint_line(const uint8_t *data, size_t size)
{
	struct fz_dns_endpoint ep;
	char v[81];

	fz_fuzz_first_line(data, size, v, sizeof(v));
	if (fz_dns_endpoint_parse(v, 53, &ep) == 0) {
		fz_fuzz_check_endpoint(&ep);
		FZ_FUZZ_CHECK(strcmp(ep.text, v) == 0);
		/* With "@PORT" the default does not matter; without, it is the port. */
		if (strchr(v, '@'))
			FZ_FUZZ_CHECK(fz_dns_endpoint_parse(v, 0, &ep) == 0);
		else
			FZ_FUZZ_CHECK(fz_dns_endpoint_parse(v, 0, &ep) == -EINVAL);
	}
}

static int parse(const uint8_t *data, size_t len, const char *file, void *cfg, char *err,
		 size_t errlen)
{
	return fz_dns_cfg_parse(data, len, file, cfg, err, errlen);
}

static void cfg_free(void *cfg)
{
	fz_dns_cfg_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fz_fuzz_cfg_schema schema = {sizeof(struct fz_dns_cfg), parse, cfg_free,
							 check_accepted};

	fz_fuzz_cfg_run(&schema, data, size);
	check_endpoint_line(data, size);
	return 0;
}
