/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Google QUIC (gQUIC Q024..Q046): the client's first handshake message
 * (CHLO) travels in clear text inside the first packet, a tag-value map
 * whose "SNI" tag names the server. Older Chrome builds and apps still
 * speak it. Pure; bounded.
 */
#ifndef FZ_GQUIC_H
#define FZ_GQUIC_H

#include <stddef.h>
#include <stdint.h>

#include "fz_dpi.h"
#include "fz_tls.h"

/*
 * A UDP payload from the client. FZ_DPI_OK: a CHLO was read (has_sni false
 * when it has no SNI tag); FZ_DPI_NOT: not a gQUIC packet carrying a CHLO
 * in clear (including IETF QUIC); FZ_DPI_BAD: a CHLO whose tag table is
 * inconsistent.
 */
enum fz_dpi_status fz_gquic_chlo_parse(const uint8_t *p, size_t len, struct fz_tls_hello *out);

#endif
