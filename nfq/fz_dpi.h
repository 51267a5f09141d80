/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every protocol reader of the inspector answers about the bytes it was
 * given so far. The readers are pure functions over (const uint8_t *, size_t):
 * the flow table hands them the client->server bytes collected up to now and
 * calls them again when more arrive.
 */
#ifndef FZ_DPI_H
#define FZ_DPI_H

enum fz_dpi_status {
	FZ_DPI_OK = 0,	 /* found what the reader looks for (the output is filled) */
	FZ_DPI_MORE = 1, /* looks like this protocol, the answer lies in bytes not seen yet */
	FZ_DPI_NOT = 2,	 /* not this protocol: stop asking this reader */
	FZ_DPI_BAD = 3,	 /* this protocol, but malformed beyond repair: no answer will come */
};

/* The protocols a flow can be recognized as (events and --pcap output use the names). */
enum fz_proto {
	FZ_PROTO_UNKNOWN = 0,
	FZ_PROTO_TLS,
	FZ_PROTO_QUIC,
	FZ_PROTO_HTTP,
	FZ_PROTO_DNS,
	FZ_PROTO_DOT,
	FZ_PROTO_COUNT,
};

/* "unknown", "tls", "quic", "http", "dns", "dot" */
const char *fz_proto_name(enum fz_proto p);

#endif
