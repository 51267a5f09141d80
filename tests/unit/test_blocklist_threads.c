/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Readers on several threads look up without pause while new generations
 * are published and swapped in by the watcher thread. Every answer must be
 * consistent with the generation the reader holds, generations never go
 * backwards, and no old mapping is unmapped under a reader (that would
 * crash; run under ASan in CI).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fz_blocklist.h"
#include "fz_blwriter.h"
#include "fz_test.h"

#define READERS	    3
#define GENERATIONS 40

static char dir[] = "/tmp/fz-test-blt-XXXXXX";
static char path[256];
static struct fz_blocklist *bl;
static atomic_bool stop;
static atomic_uint_fast64_t seen_max[READERS];
static atomic_int bad;
static _Atomic unsigned long lookups;

static int publish(uint64_t gen)
{
	struct fz_blwriter *w;
	if (fz_blwriter_new(&w) < 0)
		return -1;
	int f = fz_blwriter_add_feed(w, "f", FZ_CAT_FRAUD, "", FZ_FEED_NORMAL);
	char name[64];
	/* Filler so each generation is a real file with a real index. */
	for (int i = 0; i < 2000; i++) {
		int n = snprintf(name, sizeof(name), "n%d.g%llu.filler.test", i,
				 (unsigned long long)(gen % 3));
		fz_blwriter_add_name(w, f, name, (size_t)n, FZ_ACTION_BLOCK, FZ_MATCH_EXACT,
				     FZ_POLICY_DEFAULT);
	}
	fz_blwriter_add_name(w, f, "always.test", 11, FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE,
			     FZ_POLICY_DEFAULT);
	if (gen % 2 == 0)
		fz_blwriter_add_name(w, f, "flip.test", 9, FZ_ACTION_BLOCK, FZ_MATCH_EXACT,
				     FZ_POLICY_DEFAULT);
	struct fz_blwriter_opts o = {.generation = gen};
	char err[256];
	int rc = fz_blwriter_write(w, path, &o, NULL, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "publish: %s\n", err);
	fz_blwriter_free(w);
	return rc;
}

static void *reader_main(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct fz_bl_reader *r;
	if (fz_bl_reader_register(bl, &r) < 0) {
		atomic_fetch_add(&bad, 1);
		return NULL;
	}
	uint64_t last = 0;
	unsigned long n = 0;
	while (!atomic_load(&stop)) {
		const struct fz_blmap *m = fz_bl_read_begin(r);
		uint64_t g = fz_blmap_generation(m);
		struct fz_match_info mi;
		bool ok = g >= last;
		ok &= fz_blmap_lookup(m, "x.always.test", 13, &mi) == FZ_VERDICT_BLOCK;
		ok &= mi.rule_len == 13 && memcmp(mi.rule, "*.always.test", 13) == 0;
		ok &=
		    (fz_blmap_lookup(m, "flip.test", 9, NULL) == FZ_VERDICT_BLOCK) == (g % 2 == 0);
		ok &= fz_blmap_lookup(m, "n5.g0.filler.test", 17, NULL) ==
		      (g % 3 == 0 ? FZ_VERDICT_BLOCK : FZ_VERDICT_NONE);
		ok &= fz_blmap_generation(m) == g;
		fz_bl_read_end(r);
		if (!ok) {
			fprintf(stderr, "reader %d: inconsistent answer at generation %llu\n", id,
				(unsigned long long)g);
			atomic_fetch_add(&bad, 1);
		}
		last = g;
		atomic_store(&seen_max[id], g);
		n++;
	}
	atomic_fetch_add(&lookups, n * 3);
	fz_bl_reader_unregister(r);
	return NULL;
}

static void on_refresh(struct fz_blocklist *b, int result, const char *err, void *ud)
{
	if (result < 0) {
		fprintf(stderr, "refresh refused: %s\n", err);
		atomic_fetch_add(&bad, 1);
	}
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/list.fzb", dir);
	CHECK_INT(publish(1), 0);
	char err[256];
	CHECK_INT(fz_blocklist_open(path, &bl, err, sizeof(err)), 0);
	CHECK_INT(fz_blocklist_watch_start(bl, 20, on_refresh, NULL), 0);

	pthread_t th[READERS];
	for (int i = 0; i < READERS; i++)
		pthread_create(&th[i], NULL, reader_main, (void *)(intptr_t)i);

	struct timespec t0, t1;
	double worst_ms = 0;
	for (uint64_t g = 2; g <= GENERATIONS; g++) {
		CHECK_INT(publish(g), 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* Every reader must see it within a second. */
		for (;;) {
			bool all = true;
			for (int i = 0; i < READERS; i++)
				all &= atomic_load(&seen_max[i]) >= g;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
			if (all) {
				if (ms > worst_ms)
					worst_ms = ms;
				break;
			}
			if (ms > 1000) {
				fprintf(stderr, "generation %llu not seen within 1 s\n",
					(unsigned long long)g);
				atomic_fetch_add(&bad, 1);
				break;
			}
			usleep(200);
		}
	}
	atomic_store(&stop, true);
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(atomic_load(&bad), 0);
	CHECK_INT(fz_blmap_generation(fz_blocklist_current(bl)), GENERATIONS);
	printf("%lu lookups across %d generations; slowest swap seen by all readers: %.1f ms\n",
	       (unsigned long)atomic_load(&lookups), GENERATIONS, worst_ms);
	fz_blocklist_close(bl);
	unlink(path);
	rmdir(dir);
	return fz_test_done();
}
