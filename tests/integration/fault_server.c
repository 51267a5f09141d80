/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small plain-HTTP server for the feed integration tests: it serves each
 * feed the way a broken mirror would, so the fetcher's failure paths run
 * against a real socket.
 *
 *   fault_server PORTFILE CTLDIR [LOGFILE]   listen on 127.0.0.1 (a free port,
 *                                            written to PORTFILE once ready)
 *   fault_server --free-port                 print a port that was free now
 *
 * GET /NAME reads CTLDIR/NAME.mode (one word; "ok" when absent) and
 * CTLDIR/NAME.body, so a test switches a feed between good and broken by
 * rewriting a file. Modes:
 *   ok         200 with the body and its Content-Length
 *   500        500 Internal Server Error
 *   hang       reads the request and never answers
 *   reset      reads the request and resets the connection (RST, no response)
 *   truncated  200 claiming 4096 more bytes than the body, sends the body, closes
 *   html       200 text/html: a challenge page instead of a list
 *   big        200 without Content-Length, 8 MiB of valid list lines, then close
 *   bigcl      the same with Content-Length: 8 MiB
 *   empty      200 with Content-Length: 0
 * Each request is logged to LOGFILE as "NAME MODE". One process per
 * connection (fork), each ended by its parent's death or after 60 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#define REQ_MAX	   8192
#define BODY_MAX   (16u << 20)
#define BIG_BYTES  (8u << 20)
#define NAME_MAX_C 64

static const char *ctl_dir;
static const char *log_path;

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read a whole small file; NULL when absent. */
static char *read_file(const char *path, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		if (len == cap) {
			if (cap >= BODY_MAX)
				break;
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf) {
		buf[len] = '\0';
		*ret_len = len;
	}
	return buf;
}

static int header(int fd, const char *status, const char *type, long long length)
{
	char h[512];
	int n;
	if (length >= 0)
		n = snprintf(h, sizeof(h),
			     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %lld\r\n"
			     "Connection: close\r\n\r\n",
			     status, type, length);
	else
		n = snprintf(h, sizeof(h),
			     "HTTP/1.1 %s\r\nContent-Type: %s\r\nConnection: close\r\n\r\n", status,
			     type);
	return write_all(fd, h, (size_t)n);
}

/* Valid list lines until `total` bytes are sent or the peer goes away. */
static void send_big(int fd, size_t total)
{
	char chunk[65536];
	size_t used = 0, sent = 0, i = 0;
	while (sent < total) {
		used = 0;
		while (used + 40 < sizeof(chunk))
			used += (size_t)snprintf(chunk + used, sizeof(chunk) - used,
						 "big-%zu.oversized.example\n", i++);
		if (used > total - sent)
			used = total - sent;
		if (write_all(fd, chunk, used) < 0)
			return;
		sent += used;
	}
}

/* Wait for the peer to close (or 60 s), reading and dropping what it sends. */
static void drain(int fd)
{
	char buf[1024];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (poll(&p, 1, 60000) > 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return;
	}
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > NAME_MAX_C)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return s[0] != '.';
}

static void log_request(const char *name, const char *mode)
{
	if (!log_path)
		return;
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	char line[256];
	int n = snprintf(line, sizeof(line), "%s %s\n", name, mode);
	(void)write_all(fd, line, (size_t)n);
	close(fd);
}

static void serve(int fd)
{
	char req[REQ_MAX + 1];
	size_t len = 0;
	while (len < REQ_MAX) {
		ssize_t n = read(fd, req + len, REQ_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[len] = '\0';

	/* "GET /NAME HTTP/1.1" */
	char *path = strchr(req, ' ');
	char *end = path ? strchr(path + 1, ' ') : NULL;
	if (!path || !end || path[1] != '/' || !valid_name(path + 2, (size_t)(end - path - 2))) {
		const char *msg = "bad request\n";
		header(fd, "400 Bad Request", "text/plain", (long long)strlen(msg));
		write_all(fd, msg, strlen(msg));
		return;
	}
	*end = '\0';
	const char *name = path + 2;

	char file[4096];
	char mode[32] = "ok";
	size_t mlen = 0;
	snprintf(file, sizeof(file), "%s/%s.mode", ctl_dir, name);
	char *m = read_file(file, &mlen);
	if (m) {
		/* the first word */
		size_t i = 0;
		while (i < mlen && i + 1 < sizeof(mode) && m[i] > ' ')
			i++;
		if (i > 0) {
			memcpy(mode, m, i);
			mode[i] = '\0';
		}
		free(m);
	}
	log_request(name, mode);

	size_t blen = 0;
	snprintf(file, sizeof(file), "%s/%s.body", ctl_dir, name);
	char *body = read_file(file, &blen);
	if (!body) {
		body = strdup("");
		blen = 0;
	}

	if (strcmp(mode, "ok") == 0) {
		if (header(fd, "200 OK", "text/plain", (long long)blen) == 0)
			write_all(fd, body, blen);
	} else if (strcmp(mode, "500") == 0) {
		const char *msg = "internal error\n";
		if (header(fd, "500 Internal Server Error", "text/plain", (long long)strlen(msg)) ==
		    0)
			write_all(fd, msg, strlen(msg));
	} else if (strcmp(mode, "hang") == 0) {
		drain(fd);
	} else if (strcmp(mode, "reset") == 0) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	} else if (strcmp(mode, "truncated") == 0) {
		if (header(fd, "200 OK", "text/plain", (long long)blen + 4096) == 0)
			write_all(fd, body, blen);
	} else if (strcmp(mode, "html") == 0) {
		const char *page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
				   "<title>Just a moment...</title>\n</head>\n<body>\n"
				   "<p>Checking your browser before accessing the site.</p>\n"
				   "<script>window.location.reload();</script>\n"
				   "</body>\n</html>\n";
		if (header(fd, "200 OK", "text/html; charset=utf-8", (long long)strlen(page)) == 0)
			write_all(fd, page, strlen(page));
	} else if (strcmp(mode, "big") == 0) {
		if (header(fd, "200 OK", "text/plain", -1) == 0)
			send_big(fd, BIG_BYTES);
	} else if (strcmp(mode, "bigcl") == 0) {
		if (header(fd, "200 OK", "text/plain", (long long)BIG_BYTES) == 0)
			send_big(fd, BIG_BYTES);
	} else if (strcmp(mode, "empty") == 0) {
		header(fd, "200 OK", "text/plain", 0);
	} else {
		const char *msg = "unknown mode\n";
		if (header(fd, "404 Not Found", "text/plain", (long long)strlen(msg)) == 0)
			write_all(fd, msg, strlen(msg));
	}
	free(body);
	if (strcmp(mode, "reset") != 0) {
		/* Let the peer read everything before the close. */
		shutdown(fd, SHUT_WR);
		drain(fd);
	}
}

static int listen_any(uint16_t *ret_port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(fd);
		return -1;
	}
	*ret_port = ntohs(sa.sin_port);
	return fd;
}

int main(int argc, char **argv)
{
	uint16_t port;
	if (argc == 2 && strcmp(argv[1], "--free-port") == 0) {
		int fd = listen_any(&port);
		if (fd < 0) {
			perror("fault_server: listen");
			return 1;
		}
		close(fd);
		printf("%u\n", port);
		return 0;
	}
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: fault_server PORTFILE CTLDIR [LOGFILE] | --free-port\n");
		return 2;
	}
	ctl_dir = argv[2];
	log_path = argc == 4 ? argv[3] : NULL;

	int lfd = listen_any(&port);
	if (lfd < 0) {
		perror("fault_server: listen");
		return 1;
	}
	/* Children are reaped by the kernel. */
	struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *pf = fopen(tmp, "w");
	if (!pf || fprintf(pf, "%u\n", port) < 0 || fclose(pf) != 0 || rename(tmp, argv[1]) < 0) {
		perror("fault_server: port file");
		return 1;
	}

	pid_t parent = getpid();
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("fault_server: accept");
			return 1;
		}
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			close(lfd);
			alarm(60);
			serve(fd);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}
