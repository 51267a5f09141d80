/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC client Initial packets: the keys every on-path observer can derive
 * from the Destination Connection ID (RFC 9001 section 5.2, RFC 9369 section
 * 3.3.1, drafts 23-34, Google T051), header protection removed, AES-128-GCM opened,
 * coalesced packets split, CRYPTO frames reassembled across packets and
 * offsets, and the TLS ClientHello read from the CRYPTO stream. libcrypto
 * (OpenSSL 3) does HKDF, AES-ECB and AES-GCM. No I/O.
 */
#ifndef FZ_QUIC_H
#define FZ_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_dpi.h"
#include "fz_reasm.h"
#include "fz_tls.h"

#define FZ_QUIC_V1	   0x00000001u
#define FZ_QUIC_V2	   0x6b3343cfu
#define FZ_QUIC_DRAFT29	   0xff00001du
#define FZ_QUIC_MAX_CID	   20
#define FZ_QUIC_CRYPTO_MAX 16384 /* CRYPTO stream bytes kept per flow */

struct fz_quic_keys {
	uint8_t key[16], iv[12], hp[16];
};

/*
 * Initial keys for `version` from the client's first DCID; `server` picks
 * the server's direction. 0, or -ENOTSUP for a version we do not know,
 * -EINVAL for a DCID over 20 bytes, -EIO when libcrypto fails.
 */
int fz_quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, bool server,
			 struct fz_quic_keys *out);

/*
 * Cheap check on a UDP payload: a long header Initial packet (type bits
 * per version) of a version we read, at least 1200 bytes of datagram not
 * required (captures may cut). Sets *version.
 */
bool fz_quic_is_initial(const uint8_t *p, size_t len, uint32_t *version);

/* Per-flow state: what the client's Initials delivered so far. */
struct fz_quic_state {
	uint32_t version;
	uint8_t dcid[FZ_QUIC_MAX_CID]; /* DCID whose keys last opened an Initial (the first one's,
					  until a Retry) */
	uint8_t dcid_len;
	bool have_keys;
	struct fz_quic_keys keys;
	struct fz_reasm crypto; /* the CRYPTO stream, cap FZ_QUIC_CRYPTO_MAX */
	uint32_t initials;	/* Initial packets opened */
};

void fz_quic_state_init(struct fz_quic_state *st);
void fz_quic_state_free(struct fz_quic_state *st);
/* Empty again for a new flow, the stream's buffer kept for reuse (no allocation). */
void fz_quic_state_reset(struct fz_quic_state *st);

/*
 * One UDP datagram from the client. Every coalesced long-header packet is
 * walked; Initials are opened (with the keys of the DCID of the flow's first
 * Initial, or of this packet's own DCID when that fails — clients switch
 * DCID after a Retry or the server's first packet), their CRYPTO frames
 * added to the stream (PADDING, PING, ACK, CONNECTION_CLOSE skipped), and
 * the ClientHello parsed from the gap-free prefix of the stream.
 * FZ_DPI_OK: `hello` filled. FZ_DPI_MORE: Initials read, ClientHello not
 * complete. FZ_DPI_NOT: no Initial of a version we know in this datagram
 * and none before. FZ_DPI_BAD: the CRYPTO stream is not a ClientHello, or
 * nothing could be opened (not QUIC after all, or keys we cannot derive).
 */
enum fz_dpi_status fz_quic_client_datagram(struct fz_quic_state *st, const uint8_t *p, size_t len,
					   struct fz_tls_hello *hello);

/*
 * Build a client Initial packet (long header, 2-byte packet number) around
 * `frames` (plaintext frames, padded with PADDING so the packet is at least
 * `min_len` bytes), protected with the keys of `dcid`. For tests, fuzz
 * targets and the benchmark's flood generator. Returns the packet length,
 * or a negative errno.
 */
int fz_quic_build_initial(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			  const uint8_t *scid, size_t scid_len, uint32_t pn, const uint8_t *frames,
			  size_t frames_len, size_t min_len, uint8_t *out, size_t cap);

#endif
