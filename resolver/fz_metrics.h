/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counters and an upstream latency histogram, per worker (no shared
 * writes on the hot path), summed when /metrics is read. Served in the
 * Prometheus text format by a minimal HTTP/1.0 responder on a configured
 * (localhost by default) address.
 */
#ifndef FZ_METRICS_H
#define FZ_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum fz_metric {
	FZ_M_QUERIES = 0, /* queries received (UDP + TCP) */
	FZ_M_QUERIES_TCP,
	FZ_M_BLOCKED,	    /* answered by policy (name) */
	FZ_M_BLOCKED_CNAME, /* blocked because the CNAME chain reached a listed name */
	FZ_M_BLOCKED_IP,    /* blocked because an answer address is listed */
	FZ_M_ALLOWED,	    /* an allow rule matched */
	FZ_M_CACHE_HITS,
	FZ_M_CACHE_MISSES,
	FZ_M_FORWARDED, /* queries sent upstream (coalesced ones count once) */
	FZ_M_COALESCED, /* queries that joined one already in flight */
	FZ_M_UPSTREAM_TIMEOUTS,
	FZ_M_UPSTREAM_TCP, /* retried over TCP after TC=1 */
	FZ_M_SERVFAIL,
	FZ_M_REFUSED, /* outside the client networks */
	FZ_M_RATELIMITED,
	FZ_M_FORMERR,
	FZ_M_DROPPED,
	FZ_M_COUNT,
};

/* Upper bounds 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000 ms; then +Inf. */
#define FZ_METRICS_LAT_BUCKETS 12

struct fz_metrics_shard {
	uint64_t c[FZ_M_COUNT];
	uint64_t lat_bucket[FZ_METRICS_LAT_BUCKETS + 1];
	uint64_t lat_count;
	double lat_sum_ms;
	char pad[64];
};

/*
 * A shard has one writer (its worker): a plain load and store, no locked
 * read-modify-write on the hot path; the scrape reads them atomically.
 */
static inline void fz_metrics_inc(struct fz_metrics_shard *s, enum fz_metric m)
{
	__atomic_store_n(&s->c[m], __atomic_load_n(&s->c[m], __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}
void fz_metrics_observe_latency(struct fz_metrics_shard *s, double ms);

/* Building Prometheus text: lines are appended until the buffer is full (then `full`). */
struct fz_prom {
	char *buf;
	size_t cap, len;
	bool full;
};
void fz_prom_say(struct fz_prom *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fz_prom_family(struct fz_prom *o, const char *name, const char *type, const char *help);
void fz_prom_counter(struct fz_prom *o, const char *name, const char *help, uint64_t v);
void fz_prom_gauge(struct fz_prom *o, const char *name, const char *help, uint64_t v);

/* Gauges the daemon fills at scrape time. */
struct fz_metrics_gauges {
	uint64_t generation;
	uint64_t names;
	uint64_t cache_entries, cache_bytes;
	uint64_t upstreams_up;
};

/*
 * Render the Prometheus text for `n` shards plus gauges into buf. Returns
 * the length, or -ENOSPC. Pure.
 */
int fz_metrics_render(const struct fz_metrics_shard *shards, size_t n,
		      const struct fz_metrics_gauges *g, char *buf, size_t cap);

/*
 * A tiny HTTP server for GET /metrics on its own thread. `gauges_cb` is
 * called at each scrape. Returns 0 or -errno.
 */
struct fz_metrics_server;
typedef void (*fz_metrics_gauges_cb)(struct fz_metrics_gauges *g, void *userdata);
int fz_metrics_server_start(const struct sockaddr *sa, socklen_t salen,
			    const struct fz_metrics_shard *shards, size_t n,
			    fz_metrics_gauges_cb cb, void *userdata,
			    struct fz_metrics_server **ret);
/*
 * The same server for another daemon's counters: `render` writes the whole
 * Prometheus text into buf (at most cap bytes) and returns its length or
 * -ENOSPC; it runs on the server's thread at each scrape.
 */
typedef int (*fz_metrics_render_cb)(char *buf, size_t cap, void *userdata);
int fz_metrics_server_start_render(const struct sockaddr *sa, socklen_t salen,
				   fz_metrics_render_cb render, void *userdata,
				   struct fz_metrics_server **ret);
void fz_metrics_server_stop(struct fz_metrics_server *s);
/* The port the server listens on (host order): for a start on port 0. */
int fz_metrics_server_port(const struct fz_metrics_server *s);

#endif
