/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PLACEHOLDER until the rpz parser lands: refuses every input. */
#include <errno.h>
#include "fz_parse_impl.h"

int fz_parse_rpz(const uint8_t *d, size_t n, const struct fz_parse_opts *o, struct fz_parse_result *r)
{
	return -ENOSYS;
}
