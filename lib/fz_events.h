/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block events as JSON lines, for operators' pipelines (rsyslog, Vector,
 * Fluent Bit ...): one line per blocked query or flow. The sink is a file
 * (reopened on request, for log rotation) or stdout. Writers on several
 * threads each write whole lines (one write(2) per line, O_APPEND).
 */
#ifndef FZ_EVENTS_H
#define FZ_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct fz_events;

struct fz_event {
	uint64_t time_ms;	  /* unix time in milliseconds */
	const char *source;	  /* "dns", "nfq" */
	const char *client;	  /* "192.0.2.7" or "[2001:db8::7]:5353" */
	const char *server;	  /* flows: "198.51.100.9:443"; NULL for DNS queries (omitted) */
	const char *protocol;	  /* flows: "tls", "quic", "http", "dns", "dot"; NULL: omitted */
	const char *qname;	  /* the name asked or seen */
	const char *url;	  /* flows: "host/path" of an HTTP request; NULL: omitted */
	const char *qtype;	  /* "A", "AAAA", "TYPE65" ...; NULL for flows */
	const char *rule;	  /* the rule that matched */
	const char *category;	  /* "fraud", ... */
	const char *const *feeds; /* feed names */
	size_t n_feeds;
	const char *action; /* "nxdomain", "nodata", "sinkhole", "rst", ... */
	const char *reason; /* "listed", "cname", "response-ip", ... */
};

/* "-" for stdout, else a path opened O_APPEND|O_CREAT (0640). */
int fz_events_open(const char *path, struct fz_events **ret);
/* Reopen the file (after rotation). Safe to call from a signal-driven loop. */
int fz_events_reopen(struct fz_events *ev);
void fz_events_close(struct fz_events *ev);
/* Write one JSON line; strings escaped for JSON whatever their bytes. 0 or -errno. */
int fz_events_write(struct fz_events *ev, const struct fz_event *e);
/* Format one event into buf (the line, with '\n'); returns the length or -ENOSPC. Pure. */
int fz_event_format(const struct fz_event *e, char *buf, size_t cap);

#endif
