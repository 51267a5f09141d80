/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verdict benchmark's packet flood: UDP datagrams over IPv4 from a raw
 * socket (sendmmsg), each one the first packet of a new flow, so the
 * gateway's rules queue every one of them and the inspector must read it.
 *   --kind dns    a DNS query (A, RD) for a random name under
 *                 .flood-unlisted.example to port 53
 *   --kind quic   a QUIC v1 client Initial (1200 bytes, built with
 *                 fz_quic_build_initial) carrying a TLS 1.3 ClientHello with
 *                 the SNI --sni, for a random DCID, to port 443
 *   --kind tls    a TCP segment (ACK|PSH, no handshake before it: conntrack
 *                 takes it up as a new flow) carrying that ClientHello in a
 *                 TLS record, to port 443
 * A pool of --pool distinct payloads is made first; the flood cycles over
 * it. Flows differ by source address (--src and the --srcs - 1 after it)
 * and source port (1024..65023): --srcs * 64000 tuples before one repeats.
 * Runs --seconds, or until --count packets are sent, or until
 * SIGINT/SIGTERM; prints on stdout
 *   sent N seconds S pps X errors E
 *
 * --inspect BLOCKLIST sends nothing: the same packets go straight to
 * fangzha-nfq's inspector (fz_inspect_packet, live mode) in this process,
 * which shows what deciding costs without the kernel's queueing and
 * forwarding (BLOCKLIST: a blocklist file, or - for none); it prints
 *   inspected N seconds S ns_per_packet X accepted A
 * with S the thread's CPU time.
 *
 * Usage: nfq_flood --kind dns|quic|tls --src ADDR --dst ADDR [--srcs N]
 *                  [--port P] [--seconds S] [--count N] [--pps RATE]
 *                  [--pool N] [--sni NAME] [--seed N] [--inspect BLOCKLIST]
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "fz_blocklist.h"
#include "fz_inspect.h"
#include "fz_nfqcfg.h"
#include "fz_quic.h"

#define BATCH	 64
#define PAY_MAX	 1400
#define N_PORTS	 64000
#define PORT_MIN 1024

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct payload {
	uint8_t *data;
	uint16_t len;
	uint32_t sum; /* ones' complement partial sum of data (unfolded) */
};

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void rand_label(uint8_t *p, size_t n)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)al[rnd() % (sizeof(al) - 1)];
}

/* A DNS query for <10>.<6>.flood-unlisted.example A IN, RD set. */
static size_t make_dns(uint8_t *p)
{
	static const char tail[] = "\016flood-unlisted\007example";
	size_t k = 0;
	uint16_t id = (uint16_t)rnd();

	p[k++] = (uint8_t)(id >> 8);
	p[k++] = (uint8_t)id;
	p[k++] = 0x01; /* RD */
	p[k++] = 0x00;
	p[k++] = 0;
	p[k++] = 1; /* QDCOUNT */
	memset(p + k, 0, 6);
	k += 6;
	p[k++] = 10;
	rand_label(p + k, 10);
	k += 10;
	p[k++] = 6;
	rand_label(p + k, 6);
	k += 6;
	memcpy(p + k, tail, sizeof(tail) - 1);
	k += sizeof(tail) - 1;
	p[k++] = 0;
	p[k++] = 0;
	p[k++] = 1; /* A */
	p[k++] = 0;
	p[k++] = 1; /* IN */
	return k;
}

static size_t put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* A TLS 1.3 ClientHello (handshake message, no record) as a QUIC client sends it. */
static size_t make_hello(uint8_t *p, const char *sni)
{
	size_t sl = strlen(sni), k = 0, ext0, body0;

	p[k++] = 1; /* client_hello */
	k += 3;	    /* length, below */
	body0 = k;
	k += put16(p + k, 0x0303);
	for (int i = 0; i < 32; i++)
		p[k++] = (uint8_t)rnd();
	p[k++] = 0; /* legacy_session_id */
	k += put16(p + k, 6);
	k += put16(p + k, 0x1301);
	k += put16(p + k, 0x1302);
	k += put16(p + k, 0x1303);
	p[k++] = 1; /* compression: null */
	p[k++] = 0;
	k += 2; /* extensions length, below */
	ext0 = k;
	/* server_name */
	k += put16(p + k, 0);
	k += put16(p + k, (unsigned)(sl + 5));
	k += put16(p + k, (unsigned)(sl + 3));
	p[k++] = 0;
	k += put16(p + k, (unsigned)sl);
	memcpy(p + k, sni, sl);
	k += sl;
	/* supported_groups: x25519, secp256r1 */
	k += put16(p + k, 10);
	k += put16(p + k, 6);
	k += put16(p + k, 4);
	k += put16(p + k, 0x001d);
	k += put16(p + k, 0x0017);
	/* signature_algorithms */
	k += put16(p + k, 13);
	k += put16(p + k, 8);
	k += put16(p + k, 6);
	k += put16(p + k, 0x0403);
	k += put16(p + k, 0x0804);
	k += put16(p + k, 0x0401);
	/* ALPN h3 */
	k += put16(p + k, 16);
	k += put16(p + k, 5);
	k += put16(p + k, 3);
	p[k++] = 2;
	p[k++] = 'h';
	p[k++] = '3';
	/* supported_versions: TLS 1.3 */
	k += put16(p + k, 43);
	k += put16(p + k, 3);
	p[k++] = 2;
	k += put16(p + k, 0x0304);
	/* psk_key_exchange_modes: psk_dhe_ke */
	k += put16(p + k, 45);
	k += put16(p + k, 2);
	p[k++] = 1;
	p[k++] = 1;
	/* key_share: x25519 */
	k += put16(p + k, 51);
	k += put16(p + k, 38);
	k += put16(p + k, 36);
	k += put16(p + k, 0x001d);
	k += put16(p + k, 32);
	for (int i = 0; i < 32; i++)
		p[k++] = (uint8_t)rnd();
	/* quic_transport_parameters: initial_max_data 1048576, max_idle_timeout 30000 */
	k += put16(p + k, 0x39);
	k += put16(p + k, 10);
	p[k++] = 0x04;
	p[k++] = 4;
	p[k++] = 0x80;
	p[k++] = 0x10;
	p[k++] = 0x00;
	p[k++] = 0x00;
	p[k++] = 0x01;
	p[k++] = 2;
	p[k++] = 0x75;
	p[k++] = 0x30;
	put16(p + ext0 - 2, (unsigned)(k - ext0));
	p[1] = (uint8_t)((k - body0) >> 16);
	p[2] = (uint8_t)((k - body0) >> 8);
	p[3] = (uint8_t)(k - body0);
	return k;
}

/* A 1200-byte QUIC v1 client Initial with the ClientHello in one CRYPTO frame. */
/* The same ClientHello in one TLS handshake record, as a client sends it over TCP. */
static int make_tls(uint8_t *out, const char *sni)
{
	size_t n = make_hello(out + 5, sni);

	out[0] = 22;
	out[1] = 3;
	out[2] = 1;
	put16(out + 3, (unsigned)n);
	return (int)(n + 5);
}

static int make_quic(uint8_t *out, size_t cap, const char *sni)
{
	uint8_t hello[600], frames[700], dcid[8], scid[8];
	size_t hn = make_hello(hello, sni), fn = 0;

	for (int i = 0; i < 8; i++) {
		dcid[i] = (uint8_t)rnd();
		scid[i] = (uint8_t)rnd();
	}
	frames[fn++] = 0x06; /* CRYPTO, offset 0, 2-byte length varint */
	frames[fn++] = 0x00;
	frames[fn++] = (uint8_t)(0x40 | (hn >> 8));
	frames[fn++] = (uint8_t)hn;
	memcpy(frames + fn, hello, hn);
	fn += hn;
	return fz_quic_build_initial(FZ_QUIC_V1, dcid, sizeof(dcid), scid, sizeof(scid), 0, frames,
				     fn, 1200, out, cap);
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * --inspect: the packets the flood would send, each with its own source
 * address and port as on the wire, through the inspector in this process.
 */
static int inspect_run(const char *blfile, const char *kind, const struct payload *pool,
		       unsigned long pool_n, struct in_addr a_src, struct in_addr a_dst,
		       unsigned long srcs, unsigned long port, double seconds)
{
	struct fz_blocklist *bl = NULL;
	const struct fz_blmap *m = NULL;
	struct fz_inspector *ins;
	struct fz_nfq_cfg cfg;
	char err[256];
	static uint8_t pkt[65536];
	const bool tcp = !strcmp(kind, "tls");
	uint32_t base = ntohl(a_src.s_addr);
	uint64_t k = 0, accepted = 0;
	double t0, t;

	if (strcmp(blfile, "-") != 0) {
		if (fz_blocklist_open(blfile, &bl, err, sizeof(err)) < 0) {
			fprintf(stderr, "nfq_flood: %s: %s\n", blfile, err);
			return 1;
		}
		m = fz_blocklist_current(bl);
	}
	fz_nfq_cfg_defaults(&cfg);
	if (fz_inspector_new(&cfg, &ins) < 0) {
		fprintf(stderr, "nfq_flood: no inspector\n");
		return 1;
	}
	t0 = t = cpu_s();
	while (!stop && t - t0 < seconds) {
		for (int b = 0; b < 1024; b++, k++) {
			const struct payload *pl = &pool[k % pool_n];
			struct iphdr *ip = (struct iphdr *)pkt;
			size_t l4 = tcp ? sizeof(struct tcphdr) : sizeof(struct udphdr);
			uint16_t sport = (uint16_t)(PORT_MIN + (k / srcs) % N_PORTS);
			struct fz_inspect_result res;

			memset(pkt, 0, sizeof(*ip) + l4);
			ip->version = 4;
			ip->ihl = 5;
			ip->ttl = 64;
			ip->protocol = tcp ? IPPROTO_TCP : IPPROTO_UDP;
			ip->saddr = htonl(base + (uint32_t)(k % srcs));
			ip->daddr = a_dst.s_addr;
			ip->tot_len = htons((uint16_t)(sizeof(*ip) + l4 + pl->len));
			if (tcp) {
				struct tcphdr *th = (struct tcphdr *)(pkt + sizeof(*ip));

				th->source = htons(sport);
				th->dest = htons((uint16_t)port);
				th->seq = htonl((uint32_t)(k * 2654435761u));
				th->doff = 5;
				th->ack = 1;
				th->psh = 1;
			} else {
				struct udphdr *udp = (struct udphdr *)(pkt + sizeof(*ip));

				udp->source = htons(sport);
				udp->dest = htons((uint16_t)port);
				udp->len = htons((uint16_t)(sizeof(*udp) + pl->len));
			}
			memcpy(pkt + sizeof(*ip) + l4, pl->data, pl->len);
			fz_inspect_packet(ins, m, pkt, sizeof(*ip) + l4 + pl->len,
					  (uint64_t)(now_s() * 1000), false, &res);
			accepted += res.verdict == FZ_NV_ACCEPT || res.verdict == FZ_NV_PASS;
		}
		t = cpu_s();
	}
	printf("inspected %" PRIu64 " seconds %.2f ns_per_packet %.0f accepted %" PRIu64 "\n", k,
	       t - t0, k ? (t - t0) * 1e9 / (double)k : 0, accepted);
	fz_inspector_free(ins);
	fz_blocklist_close(bl);
	return 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s --kind dns|quic|tls --src ADDR --dst ADDR [--srcs N] [--port P]\n"
		"       [--seconds S] [--count N] [--pps RATE] [--pool N] [--sni NAME] [--seed N]\n"
		"       [--inspect BLOCKLIST|-]\n",
		argv0);
}

int main(int argc, char **argv)
{
	const char *kind = NULL, *src = NULL, *dst = NULL, *sni = "www.quic-unlisted.example";
	const char *inspect = NULL;
	unsigned long srcs = 200, port = 0, pool_n = 16384, count = 0;
	double seconds = 5, pps = 0;
	struct in_addr a_src, a_dst;
	struct sockaddr_in to;
	struct payload *pool;
	int fd;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			usage(argv[0]);
			return 2;
		}
		i++;
		if (!strcmp(o, "--kind"))
			kind = v;
		else if (!strcmp(o, "--src"))
			src = v;
		else if (!strcmp(o, "--dst"))
			dst = v;
		else if (!strcmp(o, "--srcs"))
			srcs = strtoul(v, NULL, 10);
		else if (!strcmp(o, "--port"))
			port = strtoul(v, NULL, 10);
		else if (!strcmp(o, "--seconds"))
			seconds = strtod(v, NULL);
		else if (!strcmp(o, "--count"))
			count = strtoul(v, NULL, 10);
		else if (!strcmp(o, "--pps"))
			pps = strtod(v, NULL);
		else if (!strcmp(o, "--pool"))
			pool_n = strtoul(v, NULL, 10);
		else if (!strcmp(o, "--sni"))
			sni = v;
		else if (!strcmp(o, "--inspect"))
			inspect = v;
		else if (!strcmp(o, "--seed"))
			rng_state = strtoull(v, NULL, 10) * 0x9e3779b97f4a7c15ull + 1;
		else {
			usage(argv[0]);
			return 2;
		}
	}
	if (!kind || !src || !dst ||
	    (strcmp(kind, "dns") && strcmp(kind, "quic") && strcmp(kind, "tls"))) {
		usage(argv[0]);
		return 2;
	}
	if (!port)
		port = !strcmp(kind, "dns") ? 53 : 443;
	if (inet_pton(AF_INET, src, &a_src) != 1 || inet_pton(AF_INET, dst, &a_dst) != 1 ||
	    srcs == 0 || srcs > 65536 || port > 65535 || pool_n == 0 || pool_n > 1000000 ||
	    !(seconds > 0) || pps < 0 || strlen(sni) > 200) {
		fprintf(stderr, "nfq_flood: bad argument\n");
		return 2;
	}

	/* the payloads */
	pool = calloc(pool_n, sizeof(*pool));
	if (!pool)
		return 1;
	for (unsigned long i = 0; i < pool_n; i++) {
		uint8_t buf[PAY_MAX];
		int n;

		if (!strcmp(kind, "dns"))
			n = (int)make_dns(buf);
		else if (!strcmp(kind, "tls"))
			n = make_tls(buf, sni);
		else
			n = make_quic(buf, sizeof(buf), sni);
		if (n <= 0) {
			fprintf(stderr, "nfq_flood: building a payload failed (%d)\n", n);
			return 1;
		}
		pool[i].data = malloc((size_t)n);
		if (!pool[i].data)
			return 1;
		memcpy(pool[i].data, buf, (size_t)n);
		pool[i].len = (uint16_t)n;
		pool[i].sum = sum16(buf, (size_t)n, 0);
	}

	if (!strcmp(kind, "quic")) {
		/* the inspector's own reader must find the SNI in what we send */
		struct fz_quic_state st;
		struct fz_tls_hello h;
		enum fz_dpi_status r;

		memset(&h, 0, sizeof(h));
		fz_quic_state_init(&st);
		r = fz_quic_client_datagram(&st, pool[0].data, pool[0].len, &h);
		fz_quic_state_free(&st);
		if (r != FZ_DPI_OK || strcmp(h.sni, sni)) {
			fprintf(stderr, "nfq_flood: our Initial does not read back (%d, \"%s\")\n",
				(int)r, h.sni);
			return 1;
		}
	}

	if (inspect)
		return inspect_run(inspect, kind, pool, pool_n, a_src, a_dst, srcs, port, seconds);
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* IP_HDRINCL implied */
	if (fd < 0) {
		perror("nfq_flood: raw socket");
		return 1;
	}
	int sb = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr = a_dst;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	static uint8_t hdr[BATCH][sizeof(struct iphdr) + sizeof(struct tcphdr)];
	const bool tcp = !strcmp(kind, "tls");
	static struct iovec iov[BATCH][2];
	static struct mmsghdr msg[BATCH];
	uint32_t base = ntohl(a_src.s_addr), daddr = ntohl(a_dst.s_addr);
	uint64_t k = 0, sent = 0, errors = 0;
	double t0 = now_s(), t_end = t0 + seconds, t = t0;

	while (!stop && t < t_end && (!count || sent < count)) {
		/* the last batch of --count may be short */
		int want = count && count - sent < BATCH ? (int)(count - sent) : BATCH;

		for (int b = 0; b < want; b++, k++) {
			const struct payload *pl = &pool[k % pool_n];
			uint32_t saddr = base + (uint32_t)(k % srcs);
			uint16_t sport = (uint16_t)(PORT_MIN + (k / srcs) % N_PORTS);
			struct iphdr *ip = (struct iphdr *)hdr[b];
			struct udphdr *udp = (struct udphdr *)(hdr[b] + sizeof(*ip));
			uint16_t ulen = (uint16_t)(sizeof(*udp) + pl->len);
			uint32_t s = pl->sum;
			uint16_t c;

			memset(ip, 0, sizeof(*ip));
			ip->version = 4;
			ip->ihl = 5;
			ip->ttl = 64;
			ip->protocol = IPPROTO_UDP;
			ip->saddr = htonl(saddr);
			ip->daddr = htonl(daddr);
			ip->tot_len = htons((uint16_t)(sizeof(*ip) + ulen));
			/* the pseudo header's addresses, for either checksum */
			s += (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff);
			if (tcp) {
				/* a data segment of a flow conntrack has not seen: a new flow */
				struct tcphdr *th = (struct tcphdr *)(hdr[b] + sizeof(*ip));
				uint16_t tlen = (uint16_t)(sizeof(*th) + pl->len);
				uint32_t seq = (uint32_t)(k * 2654435761u);

				memset(th, 0, sizeof(*th));
				ip->protocol = IPPROTO_TCP;
				ip->tot_len = htons((uint16_t)(sizeof(*ip) + tlen));
				th->source = htons(sport);
				th->dest = htons((uint16_t)port);
				th->seq = htonl(seq);
				th->ack_seq = htonl(1);
				th->doff = 5;
				th->ack = 1;
				th->psh = 1;
				th->window = htons(65535);
				s += IPPROTO_TCP + tlen;
				s = sum16((const uint8_t *)th, sizeof(*th), s);
				c = (uint16_t)~fold(s);
				th->check = htons(c);
				iov[b][0].iov_len = sizeof(*ip) + sizeof(*th);
			} else {
				udp->source = htons(sport);
				udp->dest = htons((uint16_t)port);
				udp->len = htons(ulen);
				/* pseudo header + UDP header + payload */
				s += IPPROTO_UDP + ulen;
				s += sport + (uint32_t)port + ulen;
				c = (uint16_t)~fold(s);
				udp->check = htons(c ? c : 0xffff);
				iov[b][0].iov_len = sizeof(*ip) + sizeof(*udp);
			}
			iov[b][0].iov_base = hdr[b];
			iov[b][1].iov_base = pl->data;
			iov[b][1].iov_len = pl->len;
			memset(&msg[b], 0, sizeof(msg[b]));
			msg[b].msg_hdr.msg_name = &to;
			msg[b].msg_hdr.msg_namelen = sizeof(to);
			msg[b].msg_hdr.msg_iov = iov[b];
			msg[b].msg_hdr.msg_iovlen = 2;
		}
		int done = 0;
		while (done < want && !stop) {
			int n = sendmmsg(fd, msg + done, (unsigned)(want - done), 0);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				errors++;
				if (errno != ENOBUFS && errno != EAGAIN) {
					perror("nfq_flood: sendmmsg");
					return 1;
				}
				done++; /* that packet is lost; go on */
				continue;
			}
			done += n;
			sent += (uint64_t)n;
		}
		t = now_s();
		if (pps > 0) {
			double due = t0 + (double)sent / pps;

			if (due > t) {
				struct timespec ts;
				double d = due - t;

				ts.tv_sec = (time_t)d;
				ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
				nanosleep(&ts, NULL);
				t = now_s();
			}
		}
	}
	double el = t - t0;
	printf("sent %" PRIu64 " seconds %.2f pps %.0f errors %" PRIu64 "\n", sent, el,
	       el > 0 ? (double)sent / el : 0, errors);
	close(fd);
	for (unsigned long i = 0; i < pool_n; i++)
		free(pool[i].data);
	free(pool);
	return 0;
}
