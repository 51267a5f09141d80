/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a TLS ClientHello: the server name (SNI), the ALPN list and
 * whether Encrypted Client Hello is offered. Two entry points: the bytes a
 * client sends on a TCP connection (TLS records, the ClientHello possibly
 * spread over several records), and a QUIC CRYPTO stream (handshake
 * messages without records). Pure; bounded; never reads past `len`.
 */
#ifndef FZ_TLS_H
#define FZ_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_dpi.h"

#define FZ_TLS_NAME_MAX	 255
#define FZ_TLS_ALPN_MAX	 127
#define FZ_TLS_HELLO_MAX 16384 /* a ClientHello longer than this is not read (BAD) */

#define FZ_TLS_EXT_ECH 0xfe0d /* encrypted_client_hello (draft-ietf-tls-esni) */

struct fz_tls_hello {
	uint16_t version; /* legacy_version of the ClientHello (0x0303 ...) */
	bool has_sni;
	char sni[FZ_TLS_NAME_MAX + 1]; /* host_name, NUL-terminated, as sent (not lowercased) */
	size_t sni_len;
	char
	    alpn[FZ_TLS_ALPN_MAX + 1]; /* protocols joined by ',' ("h2,http/1.1"), cut at the cap */
	size_t alpn_len;
	bool ech;  /* encrypted_client_hello extension present (outer hello; may be GREASE) */
	bool esni; /* the old encrypted_server_name (0xffce) extension present */
	bool quic_params; /* quic_transport_parameters present */
};

/*
 * `buf` holds the first `len` bytes a client sent on a TCP connection.
 * FZ_DPI_OK: a whole ClientHello was read (has_sni false when it names no
 * server). FZ_DPI_MORE: TLS handshake records so far, the ClientHello is
 * not complete yet. FZ_DPI_NOT: the bytes are not a TLS handshake (content
 * type, version or message type wrong). FZ_DPI_BAD: a TLS handshake that
 * cannot be a valid ClientHello (lengths that disagree, over the cap).
 */
enum fz_dpi_status fz_tls_client_hello_parse(const uint8_t *buf, size_t len,
					     struct fz_tls_hello *out);

/*
 * The same, but on FZ_DPI_MORE `out` holds what the bytes so far showed
 * (zeroed when they showed nothing): has_sni is set once the whole server_name
 * extension has arrived, even while later extensions are still missing.
 * The inspector uses it to block as soon as a listed name is read (a
 * ClientHello sent in tiny segments may never arrive whole through a
 * byte-capped queue); an unlisted name still waits for the whole hello.
 */
enum fz_dpi_status fz_tls_client_hello_peek(const uint8_t *buf, size_t len,
					    struct fz_tls_hello *out);

/* Same, over handshake messages without record headers (a QUIC CRYPTO stream from offset 0). */
enum fz_dpi_status fz_tls_handshake_parse(const uint8_t *buf, size_t len, struct fz_tls_hello *out);

#endif
