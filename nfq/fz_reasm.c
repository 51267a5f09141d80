/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream reassembly: a sorted list of held ranges over one growing buffer.
 * A new piece is clipped to the cap, its bytes copied only into the gaps
 * between held ranges (first arrival wins), then the ranges it touches are
 * merged into one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fz_reasm.h"

#define FZ_REASM_FIRST_ALLOC 2048u

void fz_reasm_init(struct fz_reasm *r, uint32_t cap)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap;
}

void fz_reasm_free(struct fz_reasm *r)
{
	if (!r)
		return;
	free(r->data);
	r->data = NULL;
	r->alloc = 0;
	r->n_ranges = 0;
}

void fz_reasm_reset(struct fz_reasm *r)
{
	r->n_ranges = 0;
}

/* Make room for offsets [0, need); need <= cap. */
static int reasm_grow(struct fz_reasm *r, uint32_t need)
{
	uint32_t want;
	uint8_t *nd;

	if (need <= r->alloc)
		return 0;
	want = r->alloc ? r->alloc : FZ_REASM_FIRST_ALLOC;
	while (want < need && want < r->cap)
		want = want > UINT32_MAX / 2 ? UINT32_MAX : want * 2;
	if (want > r->cap)
		want = r->cap;
	nd = realloc(r->data, want);
	if (!nd)
		return -ENOMEM;
	r->data = nd;
	r->alloc = want;
	return 0;
}

int fz_reasm_add(struct fz_reasm *r, uint64_t off, const uint8_t *p, size_t n)
{
	uint32_t s, e, first, last, i, cur;
	int added = 0, rc;

	if (n == 0 || off >= r->cap)
		return 0;
	s = (uint32_t)off;
	e = n > (size_t)(r->cap - s) ? r->cap : s + (uint32_t)n;

	/*
	 * Ranges that overlap or touch [s, e): first..last-1. Ranges are
	 * sorted and never touch each other, so they form one run.
	 */
	for (first = 0; first < r->n_ranges && r->ranges[first].end < s; first++)
		;
	for (last = first; last < r->n_ranges && r->ranges[last].start <= e; last++)
		;
	if (first == last && r->n_ranges >= FZ_REASM_MAX_RANGES)
		return -ENOSPC;
	rc = reasm_grow(r, e);
	if (rc < 0)
		return rc;

	/* copy into the gaps of [s, e) between the touched ranges */
	cur = s;
	for (i = first; i < last && cur < e; i++) {
		if (r->ranges[i].start > cur) {
			uint32_t ge = r->ranges[i].start < e ? r->ranges[i].start : e;

			memcpy(r->data + cur, p + (cur - s), ge - cur);
			added += (int)(ge - cur);
		}
		if (r->ranges[i].end > cur)
			cur = r->ranges[i].end;
	}
	if (cur < e) {
		memcpy(r->data + cur, p + (cur - s), e - cur);
		added += (int)(e - cur);
	}

	/* merge: the touched ranges and the piece become one */
	if (first == last) {
		memmove(&r->ranges[first + 1], &r->ranges[first],
			(r->n_ranges - first) * sizeof(r->ranges[0]));
		r->ranges[first].start = s;
		r->ranges[first].end = e;
		r->n_ranges++;
		return added;
	}
	if (r->ranges[first].start < s)
		s = r->ranges[first].start;
	if (r->ranges[last - 1].end > e)
		e = r->ranges[last - 1].end;
	r->ranges[first].start = s;
	r->ranges[first].end = e;
	memmove(&r->ranges[first + 1], &r->ranges[last],
		(r->n_ranges - last) * sizeof(r->ranges[0]));
	r->n_ranges -= last - first - 1;
	return added;
}

uint32_t fz_reasm_contiguous(const struct fz_reasm *r)
{
	if (r->n_ranges == 0 || r->ranges[0].start != 0)
		return 0;
	return r->ranges[0].end;
}
