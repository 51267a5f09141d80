/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fz_dpi.h"

const char *fz_proto_name(enum fz_proto p)
{
	static const char *const names[FZ_PROTO_COUNT] = {
	    [FZ_PROTO_UNKNOWN] = "unknown", [FZ_PROTO_TLS] = "tls", [FZ_PROTO_QUIC] = "quic",
	    [FZ_PROTO_HTTP] = "http",	    [FZ_PROTO_DNS] = "dns", [FZ_PROTO_DOT] = "dot",
	};

	if ((unsigned)p >= FZ_PROTO_COUNT)
		return "unknown";
	return names[p];
}
