/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fz_daemon.h"

void fz_sd_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t l;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	l = strlen(path);
	if (l >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, l);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l));
	close(fd);
}

static bool kept(int cap, const int *keep, size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] == cap)
			return true;
	return false;
}

int fz_drop_privileges(const char *user, const int *keep, size_t n_keep, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		snprintf(err, errlen, "no such user '%s'", user);
		return -ENOENT;
	}
	/* Empty the bounding set (but for what we keep) while we still may. */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (!kept(cap, keep, n_keep))
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	/* Keep the permitted set across setuid when there is something to keep. */
	if (n_keep > 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot keep capabilities: %s", strerror(errno));
		return -errno;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		snprintf(err, errlen, "cannot become user '%s': %s", user, strerror(errno));
		return -EPERM;
	}
	/* Exactly the kept capabilities, permitted and effective; nothing inheritable. */
	memset(data, 0, sizeof(data));
	for (size_t i = 0; i < n_keep; i++) {
		int c = keep[i];
		if (c < 0 || c > CAP_LAST_CAP)
			continue;
		data[c / 32].permitted |= 1u << (c % 32);
		data[c / 32].effective |= 1u << (c % 32);
	}
	if (syscall(SYS_capset, &hdr, data) < 0) {
		snprintf(err, errlen, "cannot set capabilities: %s", strerror(errno));
		return -EPERM;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (setuid(0) == 0) {
		snprintf(err, errlen, "could regain root after dropping to '%s'", user);
		return -EPERM;
	}
	return 0;
}

static const char *log_prog = "fangzha";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void fz_log_init(const char *prog)
{
	log_prog = prog;
}

void fz_logf(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s: ", log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t fz_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t fz_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}
