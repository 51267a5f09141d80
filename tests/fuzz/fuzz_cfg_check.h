/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the config schema targets (config, dnscfg, nfqcfg): one run of
 * a schema's parse function with the checks every schema promises, and
 * the small readers those targets have in common. In fuzz_cfg_check.c.
 */
#ifndef FZ_FUZZ_CFG_CHECK_H
#define FZ_FUZZ_CFG_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "fz_dnscfg.h"

/* The name a target gives its input: messages start "fuzz.conf:LINE: ". */
#define FZ_FUZZ_CFG_FILE "fuzz.conf"

/* One schema: its parse and free over its own struct, and what an accepted one holds. */
struct fz_fuzz_cfg_schema {
	size_t size; /* sizeof the config struct */
	int (*parse)(const uint8_t *data, size_t len, const char *file, void *cfg, char *err,
		     size_t errlen);
	void (*free)(void *cfg);
	void (*check_accepted)(const void *cfg);
};

/*
 * Parse the input as a config file. Accepted: check_accepted, and free
 * leaves the struct all zero. Refused: -EINVAL or -ENOMEM, the struct
 * untouched (all zero), the message "fuzz.conf:LINE: why" with LINE a line
 * of the input. Then the same answer with a tiny error buffer, its text a
 * prefix of the first. Aborts on a violation.
 */
void fz_fuzz_cfg_run(const struct fz_fuzz_cfg_schema *schema, const uint8_t *data, size_t size);

/*
 * The input's first line (up to '\n' or a NUL, at most vsize - 1 bytes)
 * as a string in v. Returns its length.
 */
size_t fz_fuzz_first_line(const uint8_t *data, size_t size, char *v, size_t vsize);

/* An endpoint as fz_dns_endpoint_parse leaves it: its text parses again to the same address. */
void fz_fuzz_check_endpoint(const struct fz_dns_endpoint *ep);

#endif
