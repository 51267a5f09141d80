/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PLACEHOLDER until the URL parsers land. */
#include <errno.h>
#include "fz_parse_impl.h"

int fz_parse_urls(const uint8_t *d, size_t n, const struct fz_parse_opts *o, struct fz_parse_result *r)
{
	return -ENOSYS;
}
int fz_parse_csv(const uint8_t *d, size_t n, const struct fz_parse_opts *o, struct fz_parse_result *r)
{
	return -ENOSYS;
}
int fz_parse_add_url(struct fz_parse_result *r, const struct fz_parse_opts *o, uint32_t line,
		     const char *url, size_t len)
{
	return -ENOSYS;
}
int fz_parse_add_host_path(struct fz_parse_result *r, const struct fz_parse_opts *o,
			   uint32_t line, const char *host, size_t host_len, const char *path,
			   size_t path_len)
{
	return -ENOSYS;
}
