/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Verifying minisign signatures (Ed25519, with libcrypto): a feed can be
 * pinned to its publisher's key, so a compromised mirror cannot feed us a
 * list that unblocks fraud sites.
 */
#ifndef FZ_MINISIGN_H
#define FZ_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

/*
 * `pubkey` is the base64 public key (the second line of a minisign .pub
 * file, "RWQ..."); `sig` is the whole .minisig file. Legacy ("Ed") and
 * prehashed ("ED", BLAKE2b-512) signatures are both accepted; the trusted
 * comment's global signature is checked too. Returns 0 when the signature
 * is good, -EBADMSG with err saying why otherwise (malformed file, key id
 * mismatch, bad signature).
 */
int fz_minisign_verify(const char *pubkey, const uint8_t *sig, size_t siglen, const uint8_t *data,
		       size_t len, char *err, size_t errlen);

#endif
