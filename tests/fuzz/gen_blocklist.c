/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the fuzzers' small valid blocklist to the path given (a build-time seed). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

int main(int argc, char **argv)
{
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTPUT.fzb\n", argv[0]);
		return 2;
	}
	/* Start afresh: a file from an earlier build must not steer the generation. */
	if (unlink(argv[1]) != 0 && errno != ENOENT) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	r = fz_fuzz_write_valid(argv[1]);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	return 0;
}
