/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the gQUIC CHLO reader. Invariants: a name found is
 * NUL-terminated, as long as it says, without NUL bytes inside; the ALPN
 * text too; anything but OK leaves no name.
 */
#include <string.h>

#include "fuzz_common.h"
#include "fz_gquic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_tls_hello h;
	enum fz_dpi_status st = fz_gquic_chlo_parse(data, size, &h);

	FZ_FUZZ_CHECK(st == FZ_DPI_OK || st == FZ_DPI_NOT || st == FZ_DPI_BAD);
	if (st != FZ_DPI_OK) {
		FZ_FUZZ_CHECK(!h.has_sni);
		return 0;
	}
	if (h.has_sni) {
		FZ_FUZZ_CHECK(h.sni_len > 0 && h.sni_len <= FZ_TLS_NAME_MAX);
		FZ_FUZZ_CHECK(strlen(h.sni) == h.sni_len);
	}
	FZ_FUZZ_CHECK(strlen(h.alpn) == h.alpn_len && h.alpn_len < sizeof(h.alpn));
	return 0;
}
