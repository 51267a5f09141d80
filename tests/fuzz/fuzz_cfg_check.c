/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every config schema target checks: a parse that is accepted or
 * refused with a located message, the same answer whatever the size of
 * the error buffer, nothing left behind by free or by a refusal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_cfg_check.h"
#include "fuzz_common.h"

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* "fuzz.conf:LINE: why" with 1 <= LINE <= lines in the input (0 only for out of memory). */
static void check_refused(int r, const char *err, const uint8_t *data, size_t size)
{
	const char *p = err + strlen(FZ_FUZZ_CFG_FILE ":");
	unsigned long line = 0, lines = 1;
	size_t digits = 0;

	FZ_FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
	FZ_FUZZ_CHECK(strncmp(err, FZ_FUZZ_CFG_FILE ":", strlen(FZ_FUZZ_CFG_FILE ":")) == 0);
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

void fz_fuzz_cfg_run(const struct fz_fuzz_cfg_schema *schema, const uint8_t *data, size_t size)
{
	/* On the heap, sized exactly: a write past the struct is an ASan finding. */
	void *cfg = calloc(1, schema->size);
	char err[512], small[8];
	int r, r2;

	if (!cfg)
		return;
	memset(err, 'x', sizeof(err));
	r = schema->parse(data, size, FZ_FUZZ_CFG_FILE, cfg, err, sizeof(err));
	FZ_FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL || r == 0);
	if (r == 0) {
		schema->check_accepted(cfg);
		schema->free(cfg);
	} else {
		check_refused(r, err, data, size);
	}
	FZ_FUZZ_CHECK(all_zero(cfg, schema->size));

	/* The same answer with a tiny error buffer, and its text a prefix of the first. */
	r2 = schema->parse(data, size, FZ_FUZZ_CFG_FILE, cfg, small, sizeof(small));
	FZ_FUZZ_CHECK(r2 == r || r2 == -ENOMEM || r == -ENOMEM);
	if (r2 == 0)
		schema->free(cfg);
	else if (r2 == r)
		FZ_FUZZ_CHECK(strlen(small) < sizeof(small) &&
			      strncmp(small, err, strlen(small)) == 0);
	free(cfg);
}

size_t fz_fuzz_first_line(const uint8_t *data, size_t size, char *v, size_t vsize)
{
	size_t n = 0;

	while (n < size && n < vsize - 1 && data[n] != '\n' && data[n] != '\0') {
		v[n] = (char)data[n];
		n++;
	}
	v[n] = '\0';
	return n;
}

static uint16_t port_of(const struct fz_dns_endpoint *ep)
{
	if (ep->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&ep->sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&ep->sa)->sin6_port);
}

void fz_fuzz_check_endpoint(const struct fz_dns_endpoint *ep)
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
