/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay driver: runs saved inputs through one fuzz target without
 * libFuzzer, so any compiler (and CI without clang) replays the seed corpus
 * and past crashes. Arguments are files or directories (every regular file
 * in them, in name order, dot files skipped). Each input is copied into a
 * buffer of exactly its size, as libFuzzer does, so a sanitizer build
 * catches reads past the end.
 *
 * Exit status: 0 when every input ran (a failing input aborts), 1 on a
 * usage or I/O error, or when no input was found at all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"

/* Optional in a target, as in libFuzzer. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static size_t n_run;

static int run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* malloc(0) may return NULL: keep a real, empty-sized allocation. */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "replay: %s: short read\n", path);
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, got);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	n_run++;
	return 0;
}

static int run_dir(const char *dir)
{
	struct dirent **ents;
	int n, rc = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && run_file(path) < 0)
				rc = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 1;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i]) < 0)
				rc = 1;
		} else if (run_file(argv[i]) < 0) {
			rc = 1;
		}
	}
	if (n_run == 0) {
		fprintf(stderr, "replay: no input found\n");
		rc = 1;
	}
	if (rc == 0)
		printf("replay: %zu inputs ran, none failed\n", n_run);
	return rc;
}
