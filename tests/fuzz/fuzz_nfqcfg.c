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
#include <string.h>

#include "fuzz_cfg_check.h"
#include "fuzz_common.h"
#include "fz_name.h"
#include "fz_nfqcfg.h"

static void check_accepted(const void *cfg)
{
	const struct fz_nfq_cfg *c = cfg;

	FZ_FUZZ_CHECK(c->n_queues >= 1 && c->n_queues <= FZ_NFQ_MAX_QUEUES);
	FZ_FUZZ_CHECK((uint32_t)c->queue_first + c->n_queues - 1 <= 65535);
	FZ_FUZZ_CHECK(c->blocklist && c->blocklist[0]);
	FZ_FUZZ_CHECK(!c->user || (c->user[0] && !strpbrk(c->user, " \t:/")));
	FZ_FUZZ_CHECK(!c->events || c->events[0]);
	if (c->have_metrics)
		fz_fuzz_check_endpoint(&c->metrics);
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

/* fz_nfq_queues_parse over the first line (at most 40 bytes), as a string. */
static void check_queues_line(const uint8_t *data, size_t size)
{
	uint16_t first = 0xbeef, count = 0xbeef;
	char v[41], again[16];
	size_t n = fz_fuzz_first_line(data, size, v, sizeof(v));

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

static int parse(const uint8_t *data, size_t len, const char *file, void *cfg, char *err,
		 size_t errlen)
{
	return fz_nfq_cfg_parse(data, len, file, cfg, err, errlen);
}

static void cfg_free(void *cfg)
{
	fz_nfq_cfg_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fz_fuzz_cfg_schema schema = {sizeof(struct fz_nfq_cfg), parse, cfg_free,
							 check_accepted};

	fz_fuzz_cfg_run(&schema, data, size);
	check_queues_line(data, size);
	return 0;
}
