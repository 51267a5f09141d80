/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: nfq/fz_reasm.c. The input is a cap and a sequence of add
 * operations (offset, length; the bytes come from the input), checked
 * against a plain model array of held bytes: each add returns exactly the
 * number of offsets below the cap it held for the first time (or -ENOSPC
 * with the stream unchanged, only when every range slot is used and the
 * piece touches no held range); held bytes are the first ones offered;
 * the ranges are sorted, disjoint, not touching, within the cap and the
 * allocation; the contiguous prefix is the model's.
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_reasm.h"

#define MODEL_MAX 8192

static uint8_t model[MODEL_MAX], held[MODEL_MAX];

static void check_ranges(const struct fz_reasm *r)
{
	FZ_FUZZ_CHECK(r->n_ranges <= FZ_REASM_MAX_RANGES);
	FZ_FUZZ_CHECK(r->alloc <= r->cap);
	for (uint32_t i = 0; i < r->n_ranges; i++) {
		FZ_FUZZ_CHECK(r->ranges[i].start < r->ranges[i].end);
		FZ_FUZZ_CHECK(r->ranges[i].end <= r->alloc);
		if (i)
			FZ_FUZZ_CHECK(r->ranges[i].start > r->ranges[i - 1].end);
	}
}

static void check_model(const struct fz_reasm *r, uint32_t cap)
{
	uint32_t k = 0, c = 0;

	for (uint32_t i = 0; i < cap; i++) {
		int in = k < r->n_ranges && i >= r->ranges[k].start && i < r->ranges[k].end;

		FZ_FUZZ_CHECK(in == held[i]);
		if (in)
			FZ_FUZZ_CHECK(r->data[i] == model[i]);
		if (k < r->n_ranges && i + 1 == r->ranges[k].end)
			k++;
	}
	while (c < cap && held[c])
		c++;
	FZ_FUZZ_CHECK(fz_reasm_contiguous(r) == c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_reasm r, before;
	uint32_t cap;
	size_t pos = 2;

	if (size < 2)
		return 0;
	cap = ((uint32_t)data[0] << 8 | data[1]) % (MODEL_MAX + 1);
	memset(held, 0, cap);
	fz_reasm_init(&r, cap);
	/* op: 2 bytes offset (scaled), 1 byte length, then that many bytes (as present) */
	while (pos + 3 <= size) {
		uint64_t off = (uint64_t)data[pos] << 8 | data[pos + 1];
		size_t len = data[pos + 2], avail;
		uint32_t expect = 0;
		int rc;

		pos += 3;
		if (off >= 0xff00)
			off = (uint64_t)UINT32_MAX + off; /* far beyond any cap */
		else if (off & 0x8000)
			off = (off & 0x7fff) % (MODEL_MAX + 64); /* near or past the cap */
		avail = size - pos;
		if (len > avail)
			len = avail;
		for (size_t i = 0; i < len && off + i < cap; i++)
			expect += !held[off + i];
		before = r;
		rc = fz_reasm_add(&r, off, data + pos, len);
		if (rc == -ENOSPC) {
			FZ_FUZZ_CHECK(memcmp(&before, &r, sizeof(r)) == 0);
			FZ_FUZZ_CHECK(r.n_ranges == FZ_REASM_MAX_RANGES);
			FZ_FUZZ_CHECK(expect > 0);
		} else {
			FZ_FUZZ_CHECK(rc >= 0 && (uint32_t)rc == expect);
			for (size_t i = 0; i < len && off + i < cap; i++)
				if (!held[off + i]) {
					held[off + i] = 1;
					model[off + i] = data[pos + i];
				}
		}
		check_ranges(&r);
		pos += len;
	}
	check_model(&r, cap);
	fz_reasm_free(&r);
	return 0;
}
