/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The benchmark's peer: the most trivial NFQUEUE program. It binds one
 * queue (libmnl + libnetfilter_queue's mnl API), asks for whole packets with
 * NFQA_CFG_F_GSO and NFQA_CFG_F_FAIL_OPEN, and accepts every packet it gets
 * without looking at it and without a mark. Whatever fangzha-nfq costs on
 * top of this is the inspection.
 *
 * Usage: nfq_acceptall [--queue N] [--maxlen N] [--rcvbuf BYTES]
 * Runs until SIGINT/SIGTERM, then prints "packets N enobufs N" on stdout.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#ifndef SO_RCVBUFFORCE
#define SO_RCVBUFFORCE 33
#endif

static volatile sig_atomic_t stop;
static uint64_t packets, enobufs;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct ctx {
	struct mnl_socket *nl;
	uint16_t queue;
	char vbuf[256];
};

static int on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct ctx *c = data;
	struct nlattr *attr[NFQA_MAX + 1] = {0};
	struct nfqnl_msg_packet_hdr *ph;
	struct nlmsghdr *v;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	v = nfq_nlmsg_put(c->vbuf, NFQNL_MSG_VERDICT, c->queue);
	nfq_nlmsg_verdict_put(v, (int)ntohl(ph->packet_id), NF_ACCEPT);
	if (mnl_socket_sendto(c->nl, v, v->nlmsg_len) < 0)
		return MNL_CB_ERROR;
	packets++;
	return MNL_CB_OK;
}

static int config(struct mnl_socket *nl, uint16_t queue, uint32_t maxlen)
{
	char buf[512];
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long queue = 0, maxlen = 4096, rcvbuf = 8u << 20;
	static char buf[1 << 18];
	struct sigaction sa;
	struct ctx c;
	int one = 1, rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--queue") && i + 1 < argc)
			queue = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--maxlen") && i + 1 < argc)
			maxlen = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc)
			rcvbuf = strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--queue N] [--maxlen N] [--rcvbuf BYTES]\n",
				argv[0]);
			return 2;
		}
	}
	if (queue > 65535 || maxlen == 0 || rcvbuf > (1u << 30)) {
		fprintf(stderr, "nfq_acceptall: bad --queue, --maxlen or --rcvbuf\n");
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: recv returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	c.queue = (uint16_t)queue;
	c.nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!c.nl || mnl_socket_bind(c.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nfq_acceptall: netlink");
		return 1;
	}
	int rb = (int)rcvbuf;
	if (setsockopt(mnl_socket_get_fd(c.nl), SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0)
		setsockopt(mnl_socket_get_fd(c.nl), SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	/* no ENOBUFS reports: a lost packet was let through by the kernel (fail-open) */
	mnl_socket_setsockopt(c.nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	rc = config(c.nl, c.queue, (uint32_t)maxlen);
	if (rc < 0) {
		fprintf(stderr, "nfq_acceptall: binding queue %lu: %s\n", queue, strerror(-rc));
		mnl_socket_close(c.nl);
		return 1;
	}
	fprintf(stderr, "nfq_acceptall: queue %lu bound\n", queue);

	while (!stop) {
		ssize_t n = mnl_socket_recvfrom(c.nl, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				enobufs++;
				continue;
			}
			perror("nfq_acceptall: recv");
			rc = 1;
			break;
		}
		if (mnl_cb_run(buf, (size_t)n, 0, 0, on_packet, &c) < 0 && errno != EINTR) {
			perror("nfq_acceptall: verdict");
			rc = 1;
			break;
		}
	}
	printf("packets %" PRIu64 " enobufs %" PRIu64 "\n", packets, enobufs);
	mnl_socket_close(c.nl);
	return rc;
}
