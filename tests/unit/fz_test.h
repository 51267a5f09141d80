/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A minimal test harness: checks that report file:line and keep going. */
#ifndef FZ_TEST_H
#define FZ_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fz_test_failures;
static int fz_test_checks;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		fz_test_checks++;                                                                  \
		if (!(cond)) {                                                                     \
			fz_test_failures++;                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long fz_a_ = (long long)(a), fz_b_ = (long long)(b);                          \
		fz_test_checks++;                                                                  \
		if (fz_a_ != fz_b_) {                                                              \
			fz_test_failures++;                                                        \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,      \
				__LINE__, #a, fz_a_, #b, fz_b_);                                   \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *fz_a_ = (a), *fz_b_ = (b);                                             \
		fz_test_checks++;                                                                  \
		if (!fz_a_ || !fz_b_ || strcmp(fz_a_, fz_b_) != 0) {                               \
			fz_test_failures++;                                                        \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,        \
				__LINE__, #a, fz_a_ ? fz_a_ : "(null)", fz_b_ ? fz_b_ : "(null)"); \
		}                                                                                  \
	} while (0)

/* Compare the first `n` bytes of a and the string b, and their lengths. */
#define CHECK_MEM_STR(a, n, b)                                                                     \
	do {                                                                                       \
		const char *fz_a_ = (a), *fz_b_ = (b);                                             \
		size_t fz_n_ = (n);                                                                \
		fz_test_checks++;                                                                  \
		if (!fz_a_ || strlen(fz_b_) != fz_n_ || memcmp(fz_a_, fz_b_, fz_n_) != 0) {        \
			fz_test_failures++;                                                        \
			fprintf(stderr, "%s:%d: %s == \"%.*s\", expected \"%s\"\n", __FILE__,      \
				__LINE__, #a, (int)(fz_a_ ? fz_n_ : 6), fz_a_ ? fz_a_ : "(null)",  \
				fz_b_);                                                            \
		}                                                                                  \
	} while (0)

static inline int fz_test_done(void)
{
	if (fz_test_failures) {
		fprintf(stderr, "%d of %d checks failed\n", fz_test_failures, fz_test_checks);
		return 1;
	}
	printf("all %d checks passed\n", fz_test_checks);
	return 0;
}

/* Read a whole file (fixtures); aborts the test on failure. Caller frees. */
static inline unsigned char *fz_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	size_t cap = 4096, n = 0;
	unsigned char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			unsigned char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (!buf)
		exit(2);
	*len = n;
	return buf;
}

#endif
