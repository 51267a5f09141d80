/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every fangzha daemon does the same way: tell systemd how it is
 * (the sd_notify protocol, without libsystemd) and give up root once its
 * sockets are open, keeping only the capabilities it still needs.
 */
#ifndef FZ_DAEMON_H
#define FZ_DAEMON_H

#include <stddef.h>
#include <stdint.h>

/* Send `msg` ("READY=1", "WATCHDOG=1", "STATUS=...") to $NOTIFY_SOCKET; nothing when unset. */
void fz_sd_notify(const char *msg);

/*
 * Become `user` (its uid, gid, no supplementary groups). The capabilities
 * in keep[0..n_keep) (CAP_NET_ADMIN, ...) stay permitted and effective;
 * every other one is gone, from the bounding set too, and no_new_privs is
 * set, so none can come back. 0, or a negative errno with a sentence in err.
 */
int fz_drop_privileges(const char *user, const int *keep, size_t n_keep, char *err, size_t errlen);

/* Log lines on stderr (journald adds the time): "<prog>: <text>", whole lines from any thread. */
void fz_log_init(const char *prog);
void fz_logf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Milliseconds: monotonic (timeouts, ages) and wall clock (event times). */
uint64_t fz_mono_ms(void);
uint64_t fz_wall_ms(void);

#endif
