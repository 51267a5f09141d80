/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: fz_parse() with the format forced to domains. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_fuzz_parse_check(data, size, FZ_FORMAT_DOMAINS);
	return 0;
}
