/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the fuzz targets: an assertion that stops the run (libFuzzer and
 * the replay driver both treat abort() as a finding), and the invariant
 * checks on a parse result that every parser target applies.
 */
#ifndef FZ_FUZZ_COMMON_H
#define FZ_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fz_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_FUZZ_CHECK(cond)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__,  \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * Parse `data` as `format` and check every invariant the parse API
 * promises. Aborts on a violation. Implemented in fuzz_parse_check.c.
 */
void fz_fuzz_parse_check(const uint8_t *data, size_t size, enum fz_format format);

/* Check one finished parse result (used by the compile target too). */
void fz_fuzz_result_check(const struct fz_parse_result *res, enum fz_format asked);

struct fz_blmap;

/*
 * Run the read side over a mapping that validated: info, every feed, and
 * name/URL/address lookups (a fixed set plus names taken from `hint`).
 * Aborts when a result breaks the API's promises. In fuzz_blmap_check.c.
 */
void fz_fuzz_blmap_exercise(const struct fz_blmap *m, const uint8_t *hint, size_t hint_len);

/*
 * Copy `len` bytes into a fresh page-aligned buffer of exactly that size
 * (as a mapping would be aligned). NULL on allocation failure. free() it.
 */
uint8_t *fz_fuzz_aligned_copy(const uint8_t *data, size_t len);

/*
 * A directory for the process's temporary files: on tmpfs (/dev/shm) when
 * there is one, so the writer's fsync costs nothing. Created (again) on
 * every call; a user removes its files and then the directory (rmdir).
 */
const char *fz_fuzz_tmpdir(void);

/*
 * Write a small valid blocklist (every rule kind, several feeds, allow
 * rules, pinned seed and time, so the bytes are the same every run) to
 * `path`. Returns 0 or a negative errno. In fuzz_blbuild.c.
 */
int fz_fuzz_write_valid(const char *path);

/* That file's bytes, built once per process; NULL if it could not be built. */
const uint8_t *fz_fuzz_valid_image(size_t *ret_len);

#endif
