/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_nfq_cfg_parse() (and fz_ini under it) over arbitrary
 * bytes. A config that is accepted holds only values inside their bounds:
 * a queue range of 1..64 queues inside 0..65535, nonzero disjoint marks,
 * ECH names already normal and distinct, a metrics endpoint that parses
 * again to the same address. One that is refused says "fuzz.conf:LINE:
 * why", LINE a line of the input. fz_nfq_queues_parse runs over the
 * input's first line too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_name.h"
#include "fz_nfqcfg.h"

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
	FZ_FUZZ_CHECK(port_of(ep) != 0);
	FZ_FUZZ_CHECK(fz_dns_endpoint_parse(ep->text, 0, &again) == 0);
	FZ_FUZZ_CHECK(again.salen == ep->salen && memcmp(&again.sa, &ep->sa, ep->salen) == 0);
}

static void check_accepted(const struct fz_nfq_cfg *c)
{
	FZ_FUZZ_CHECK(c->n_queues >= 1 && c->n_queues <= FZ_NFQ_MAX_QUEUES);
	FZ_FUZZ_CHECK((uint32_t)c->queue_first + c->n_queues - 1 <= 65535);
	FZ_FUZZ_CHECK(c->blocklist && c->blocklist[0]);
	FZ_FUZZ_CHECK(!c->user || (c->user[0] && !strpbrk(c->user, " \t:/")));
	FZ_FUZZ_CHECK(!c->events || c->events[0]);
	if (c->have_metrics)
		check_endpoint(&c->metrics);
	FZ_FUZZ_CHECK(c->queue_maxlen >= 16 && c->queue_maxlen <= (1u << 20));
	FZ_FUZZ_CHECK(c->rcvbuf >= (64u << 10) && c->rcvbuf <= (1u << 30));
	FZ_FUZZ_CHECK(c->mark_decided != 0 && c->mark_blocked != 0);
	FZ_FUZZ_CHECK((c->mark_decided & c->mark_blocked) == 0);
	FZ_FUZZ_CHECK(c->max_queued_bytes >= 1024 && c->max_queued_bytes <= (1u << 30));
	FZ_FUZZ_CHECK(c->max_flows >= 1 && c->max_flows <= (1u << 24));
	FZ_FUZZ_CHECK(c->max_memory >= (64u << 10) && c->max_memory <= (64ull << 30));
	FZ_FUZZ_CHECK(c->flow_timeout_ms >= 100 && c->flow_timeout_ms <= 3600000);
	FZ_FUZZ_CHECK(c->dns_action == FZ_NFQ_DNS_NXDOMAIN || c->dns_action == FZ_NFQ_DNS_DROP);
	FZ_FUZZ_CHECK(c->http_action == FZ_NFQ_HTTP_PAGE || c->http_action == FZ_NFQ_HTTP_RST);
	FZ_FUZZ_CHECK(!c->appeal || (c->appeal[0] && strlen(c->appeal) <= 256));
	FZ_FUZZ_CHECK(c->n_ech_block <= FZ_NFQ_MAX_ECH_NAMES);
	for (size_t i = 0; i < c->n_ech_block; i++) {
		char again[FZ_NAME_BUF];
		size_t len;
		const char *n = c->ech_block[i];

		/* Normal already: normalizing gives it back unchanged. */
		FZ_FUZZ_CHECK(n && n[0]);
		FZ_FUZZ_CHECK(fz_name_normalize(n, strlen(n), 0, again, &len, NULL) == FZ_NAME_OK);
		FZ_FUZZ_CHECK(len == strlen(n) && strcmp(again, n) == 0);
		for (size_t j = 0; j < i; j++)
			FZ_FUZZ_CHECK(strcmp(n, c->ech_block[j]) != 0);
	}
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

/* fz_nfq_queues_parse over the first line (at most 40 bytes), as a string. */
static void check_queues_line(const uint8_t *data, size_t size)
{
	uint16_t first = 0xbeef, count = 0xbeef;
	char v[41], again[16];
	size_t n = 0;

	while (n < size && n < sizeof(v) - 1 && data[n] != '\n' && data[n] != '\0') {
		v[n] = (char)data[n];
		n++;
	}
	v[n] = '\0';
	if (fz_nfq_queues_parse(v, &first, &count) == 0) {
		FZ_FUZZ_CHECK(count >= 1 && count <= FZ_NFQ_MAX_QUEUES);
		FZ_FUZZ_CHECK((uint32_t)first + count - 1 <= 65535);
		/* Only digits and at most one dash. */
		FZ_FUZZ_CHECK(strspn(v, "0123456789-") == n);
		/* The canonical spelling means the same. */
		if (count == 1)
			snprintf(again, sizeof(again), "%u", first);
		else
			snprintf(again, sizeof(again), "%u-%u", first, first + count - 1);
		uint16_t f2, c2;
		FZ_FUZZ_CHECK(fz_nfq_queues_parse(again, &f2, &c2) == 0);
		FZ_FUZZ_CHECK(f2 == first && c2 == count);
	} else {
		FZ_FUZZ_CHECK(first == 0xbeef && count == 0xbeef);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_nfq_cfg cfg;
	char err[512], small[8];
	int r, r2;

	memset(&cfg, 0, sizeof(cfg));
	memset(err, 'x', sizeof(err));
	r = fz_nfq_cfg_parse(data, size, FILE_NAME, &cfg, err, sizeof(err));
	FZ_FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL || r == 0);
	if (r == 0) {
		check_accepted(&cfg);
		fz_nfq_cfg_free(&cfg);
		FZ_FUZZ_CHECK(cfg.blocklist == NULL && cfg.n_ech_block == 0);
	} else {
		check_refused(r, err, data, size);
		FZ_FUZZ_CHECK(cfg.blocklist == NULL && cfg.n_queues == 0);
	}

	/* The same answer with a tiny error buffer, and its text a prefix of the first. */
	r2 = fz_nfq_cfg_parse(data, size, FILE_NAME, &cfg, small, sizeof(small));
	FZ_FUZZ_CHECK(r2 == r || r2 == -ENOMEM || r == -ENOMEM);
	if (r2 == 0)
		fz_nfq_cfg_free(&cfg);
	else if (r2 == r)
		FZ_FUZZ_CHECK(strlen(small) < sizeof(small) &&
			      strncmp(small, err, strlen(small)) == 0);

	check_queues_line(data, size);
	return 0;
}
