/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_dns_cfg_parse() (and fz_ini under it) over arbitrary
 * bytes. A config that is accepted holds only values inside their bounds:
 * endpoints that parse again to the same address, no duplicate, actions
 * that are sinkhole only with sinkhole addresses, min TTL <= max TTL. One
 * that is refused says "fuzz.conf:LINE: why", LINE a line of the input.
 * fz_dns_endpoint_parse runs over the input's first line too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_dnscfg.h"

#define FILE_NAME "fuzz.conf"

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static uint16_t port_of(const struct fz_dns_endpoint *ep)
{
	if (ep->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&ep->sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&ep->sa)->sin6_port);
}

static void check_endpoint(const struct fz_dns_endpoint *ep)
{
	struct fz_dns_endpoint again;
	size_t n = strnlen(ep->text, sizeof(ep->text));

	FZ_FUZZ_CHECK(n > 0 && n < sizeof(ep->text));
	FZ_FUZZ_CHECK(ep->sa.ss_family == AF_INET || ep->sa.ss_family == AF_INET6);
	FZ_FUZZ_CHECK(ep->salen == (ep->sa.ss_family == AF_INET ? sizeof(struct sockaddr_in)
								: sizeof(struct sockaddr_in6)));
	FZ_FUZZ_CHECK(port_of(ep) != 0);
	/* The text is what was given, and means the same again. */
	FZ_FUZZ_CHECK(fz_dns_endpoint_parse(ep->text, port_of(ep), &again) == 0);
	FZ_FUZZ_CHECK(again.salen == ep->salen && memcmp(&again.sa, &ep->sa, ep->salen) == 0);
}

static void check_list(const struct fz_dns_endpoint *eps, size_t n, size_t max)
{
	FZ_FUZZ_CHECK(n <= max);
	for (size_t i = 0; i < n; i++) {
		check_endpoint(&eps[i]);
		for (size_t j = 0; j < i; j++)
			FZ_FUZZ_CHECK(eps[i].salen != eps[j].salen ||
				      memcmp(&eps[i].sa, &eps[j].sa, eps[i].salen) != 0);
	}
}

static void check_accepted(const struct fz_dns_cfg *c)
{
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
		check_endpoint(&c->metrics);
}

/* "fuzz.conf:LINE: why" with 1 <= LINE <= lines in the input (0 only for out of memory). */
static void check_refused(int r, const char *err, const uint8_t *data, size_t size)
{
	const char *p = err + strlen(FILE_NAME ":");
	unsigned long line = 0, lines = 1;
	size_t digits = 0;

	FZ_FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
	FZ_FUZZ_CHECK(has_prefix(err, FILE_NAME ":"));
	while (*p >= '0' && *p <= '9' && digits < 12) {
		line = line * 10 + (unsigned long)(*p - '0');
		p++;
		digits++;
	}
	FZ_FUZZ_CHECK(digits >= 1);
	FZ_FUZZ_CHECK(p[0] == ':' && p[1] == ' ' && p[2] != '\0');
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	FZ_FUZZ_CHECK(line <= lines);
	FZ_FUZZ_CHECK(line >= 1 || r == -ENOMEM);
}

/* fz_dns_endpoint_parse over the first line (at most 80 bytes), as a string. */
static void check_endpoint_line(const uint8_t *data, size_t size)
{
	struct fz_dns_endpoint ep;
	char v[81];
	size_t n = 0;

	while (n < size && n < sizeof(v) - 1 && data[n] != '\n' && data[n] != '\0') {
		v[n] = (char)data[n];
		n++;
	}
	v[n] = '\0';
	if (fz_dns_endpoint_parse(v, 53, &ep) == 0) {
		check_endpoint(&ep);
		FZ_FUZZ_CHECK(strcmp(ep.text, v) == 0);
		/* With "@PORT" the default does not matter; without, it is the port. */
		if (strchr(v, '@'))
			FZ_FUZZ_CHECK(fz_dns_endpoint_parse(v, 0, &ep) == 0);
		else
			FZ_FUZZ_CHECK(fz_dns_endpoint_parse(v, 0, &ep) == -EINVAL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_dns_cfg cfg;
	char err[512], small[8];
	int r, r2;

	memset(&cfg, 0, sizeof(cfg));
	memset(err, 'x', sizeof(err));
	r = fz_dns_cfg_parse(data, size, FILE_NAME, &cfg, err, sizeof(err));
	FZ_FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL || r == 0);
	if (r == 0) {
		check_accepted(&cfg);
		fz_dns_cfg_free(&cfg);
		FZ_FUZZ_CHECK(cfg.blocklist == NULL && cfg.allow_nets == NULL);
	} else {
		check_refused(r, err, data, size);
		FZ_FUZZ_CHECK(cfg.blocklist == NULL && cfg.n_listen == 0);
	}

	/* The same answer with a tiny error buffer, and its text a prefix of the first. */
	r2 = fz_dns_cfg_parse(data, size, FILE_NAME, &cfg, small, sizeof(small));
	FZ_FUZZ_CHECK(r2 == r || r2 == -ENOMEM || r == -ENOMEM);
	if (r2 == 0)
		fz_dns_cfg_free(&cfg);
	else if (r2 == r)
		FZ_FUZZ_CHECK(strlen(small) < sizeof(small) &&
			      strncmp(small, err, strlen(small)) == 0);

	check_endpoint_line(data, size);
	return 0;
}
