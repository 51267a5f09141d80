/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every fangzha daemon does the same way: tell systemd how it is
 * (the sd_notify protocol, without libsystemd) and give up root once its
 * sockets are open, keeping only the capabilities it still needs.
 */
#ifndef FZ_DAEMON_H
#define FZ_DAEMON_H

#include <stddef.h>

/* Send `msg` ("READY=1", "WATCHDOG=1", "STATUS=...") to $NOTIFY_SOCKET; nothing when unset. */
void fz_sd_notify(const char *msg);

/*
 * Become `user` (its uid, gid, no supplementary groups). The capabilities
 * in keep[0..n_keep) (CAP_NET_ADMIN, ...) stay permitted and effective;
 * every other one is gone, from the bounding set too, and no_new_privs is
 * set, so none can come back. 0, or a negative errno with a sentence in err.
 */
int fz_drop_privileges(const char *user, const int *keep, size_t n_keep, char *err, size_t errlen);

#endif
