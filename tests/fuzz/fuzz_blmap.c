/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_blmap_from_memory() over arbitrary bytes. The reader
 * must refuse with -EBADMSG/-EPROTO and a reason, or accept; an accepted
 * image then answers lookups without reading outside itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_blocklist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_blmap *m = NULL;
	char err[256];
	uint8_t *img;
	int r;

	img = fz_fuzz_aligned_copy(data, size);
	if (!img)
		return 0;
	err[0] = '\0';
	r = fz_blmap_from_memory(img, size, &m, err, sizeof(err));
	if (r < 0) {
		if (r == -ENOMEM)
			goto out;
		FZ_FUZZ_CHECK(r == -EBADMSG || r == -EPROTO);
		FZ_FUZZ_CHECK(m == NULL);
		FZ_FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
	} else {
		FZ_FUZZ_CHECK(r == 0 && m != NULL);
		fz_fuzz_blmap_exercise(m, data, size);
		fz_blmap_free(m);
		/* Validation alone (ret NULL) agrees. */
		FZ_FUZZ_CHECK(fz_blmap_from_memory(img, size, NULL, NULL, 0) == 0);
	}
out:
	free(img);
	return 0;
}
