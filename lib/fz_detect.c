/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PLACEHOLDER until format detection lands. */
#include "fz_parse_impl.h"
enum fz_format fz_format_detect(const uint8_t *data, size_t len)
{
	return FZ_FORMAT_DOMAINS;
}
