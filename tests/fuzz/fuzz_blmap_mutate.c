/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: start from a valid blocklist image (built once per process
 * with the real writer) and apply the edits the input describes. The
 * reader must never crash or read outside the buffer, whatever the edit,
 * and an image it accepts must still answer lookups.
 *
 * Checksums would refuse nearly every edit before the structural checks
 * run, so the first input byte says what to repair afterwards, the way a
 * forger would (this uses the private format header, lib/fz_blformat.h):
 *   mode & 3 == 0: nothing; 1: the header checksum; 2: every section
 *   checksum, then the header checksum; 3: also the file size in the header
 *   and the trailer (so a truncated image looks complete), then both.
 * Then records of 5 bytes {op, off0, off1, off2, val}, at most 32;
 * op bit 7 set: the offset falls in the first 512 bytes (the header).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_blformat.h"
#include "fz_blocklist.h"
#include "fz_hash.h"

static void put_le(uint8_t *img, size_t len, size_t off, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n && off + i < len; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

static size_t edit(uint8_t *work, size_t len, const uint8_t *rec)
{
	uint8_t op = rec[0], v = rec[4];
	size_t off = (size_t)rec[1] | (size_t)rec[2] << 8 | (size_t)rec[3] << 16;

	off %= (op & 0x80) ? (len < 512 ? len : 512) : len;
	switch ((op & 0x7f) % 7) {
	case 0:
		work[off] = v;
		break;
	case 1:
		work[off] ^= v ? v : 1;
		break;
	case 2:
		return off; /* truncate */
	case 3:		    /* a small 32-bit count or offset */
		put_le(work, len, off, v, 4);
		break;
	case 4: /* a huge 64-bit value */
		put_le(work, len, off, UINT64_MAX - v, 8);
		break;
	case 5: /* a 64-bit offset near the end of the image */
		put_le(work, len, off, len > v ? len - v : 0, 8);
		break;
	case 6: /* a 32-bit value near the end of the image */
		put_le(work, len, off, len > v ? len - v : 0, 4);
		break;
	}
	return len;
}

static void repair(uint8_t *img, size_t len, unsigned mode)
{
	struct fz_bl_header h;

	if (len < sizeof(h))
		return;
	memcpy(&h, img, sizeof(h));
	if (mode == 3 && len >= FZ_BL_HEADER_SIZE + sizeof(struct fz_bl_trailer)) {
		struct fz_bl_trailer t = {.file_size = len};

		memcpy(t.magic, FZ_BL_END_MAGIC, sizeof(t.magic));
		memcpy(img + len - sizeof(t), &t, sizeof(t));
		h.file_size = len;
	}
	if (mode >= 2) {
		for (uint32_t i = 0; i < h.n_sections && i < FZ_BL_MAX_SECTIONS; i++) {
			struct fz_bl_section *s = &h.sections[i];

			if (s->offset <= len && s->length <= len - s->offset)
				s->checksum =
				    fz_hash_bytes(s->type, img + s->offset, (size_t)s->length);
		}
	}
	memcpy(img, &h, sizeof(h));
	h.header_checksum = fz_hash_bytes(0, img, offsetof(struct fz_bl_header, header_checksum));
	memcpy(img, &h, sizeof(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *valid;
	size_t valid_len, len;
	struct fz_blmap *m = NULL;
	uint8_t *work, *img;
	unsigned mode;
	char err[256];
	int r;

	valid = fz_fuzz_valid_image(&valid_len);
	if (!valid)
		abort(); /* the writer is broken: nothing to fuzz */
	if (size < 1)
		return 0;
	mode = data[0] & 3;

	work = malloc(valid_len);
	if (!work)
		return 0;
	memcpy(work, valid, valid_len);
	len = valid_len;
	for (size_t i = 1; i + 5 <= size && i < 1 + 5 * 32 && len > 0; i += 5)
		len = edit(work, len, data + i);
	if (mode)
		repair(work, len, mode);

	img = fz_fuzz_aligned_copy(work, len);
	free(work);
	if (!img)
		return 0;
	err[0] = '\0';
	r = fz_blmap_from_memory(img, len, &m, err, sizeof(err));
	if (r < 0) {
		if (r == -ENOMEM)
			goto out;
		FZ_FUZZ_CHECK(r == -EBADMSG || r == -EPROTO);
		FZ_FUZZ_CHECK(err[0] != '\0');
	} else {
		FZ_FUZZ_CHECK(m != NULL);
		fz_fuzz_blmap_exercise(m, data, size);
		fz_blmap_free(m);
	}
	/* With no edit at all the image must validate. */
	if (size < 6)
		FZ_FUZZ_CHECK(r == 0);
out:
	free(img);
	return 0;
}
