/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pulling an RPZ zone by AXFR (ldns), so fangzha can follow existing DNS
 * firewall infrastructure. The zone comes back as zone-file text for the
 * RPZ parser.
 */
#ifndef FZ_AXFR_H
#define FZ_AXFR_H

#include <stddef.h>
#include <stdint.h>

struct fz_axfr_url {
	char host[256];
	uint16_t port; /* default 53 */
	char zone[256];
};

/* Split "axfr://host[:port]/zone" ([v6] in brackets). 0 or -EINVAL. */
int fz_axfr_url_parse(const char *url, struct fz_axfr_url *u);

/*
 * Transfer the zone; on success *ret is zone-file text ("$ORIGIN zone.\n"
 * then one record per line, caller frees). The transfer is bounded by
 * `max_size` bytes of text and `timeout` seconds. 0 or a negative errno
 * with err saying what failed (refused, not authoritative, timeout, ...).
 */
int fz_axfr_fetch(const struct fz_axfr_url *u, unsigned timeout, uint64_t max_size, uint8_t **ret,
		  size_t *ret_len, char *err, size_t errlen);

#endif
