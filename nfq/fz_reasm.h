/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reassembling a byte stream from pieces that arrive out of order, repeated
 * or overlapping (TCP segments by sequence offset, QUIC CRYPTO frames by
 * stream offset), up to a fixed cap. The buffer grows on demand (a flow
 * whose first piece completes the answer never allocates). Where pieces
 * overlap, the bytes that arrived first are kept (as the receiving hosts
 * here do), so a retransmission cannot rewrite what was inspected.
 */
#ifndef FZ_REASM_H
#define FZ_REASM_H

#include <stddef.h>
#include <stdint.h>

#define FZ_REASM_MAX_RANGES 16 /* disjoint pieces held at once; more: -ENOSPC */

struct fz_reasm {
	uint8_t *data;	/* NULL until the first add; grows by doubling up to cap */
	uint32_t alloc; /* bytes allocated at data */
	uint32_t cap;	/* offsets >= cap are dropped (clipped) */
	uint32_t n_ranges;
	struct {
		uint32_t start, end; /* [start, end), sorted, disjoint, not touching */
	} ranges[FZ_REASM_MAX_RANGES];
};

/* An empty stream holding offsets [0, cap). cap <= 1 MiB. No allocation. */
void fz_reasm_init(struct fz_reasm *r, uint32_t cap);
void fz_reasm_free(struct fz_reasm *r);
/* Empty again, the buffer kept (its old bytes are never read: only held ranges are). */
void fz_reasm_reset(struct fz_reasm *r);

/*
 * Add `n` bytes at stream offset `off` (bytes at or past cap are dropped).
 * Returns the number of bytes that were new (0 for a pure repeat), or
 * -ENOMEM (growing failed; the stream is unchanged) or -ENOSPC (the piece
 * would make more than FZ_REASM_MAX_RANGES holes; unchanged).
 */
int fz_reasm_add(struct fz_reasm *r, uint64_t off, const uint8_t *p, size_t n);

/* Length of the gap-free prefix [0, n) held. */
uint32_t fz_reasm_contiguous(const struct fz_reasm *r);
/* Bytes allocated (for the flow table's memory account). */
static inline size_t fz_reasm_bytes(const struct fz_reasm *r)
{
	return r->alloc;
}

#endif
