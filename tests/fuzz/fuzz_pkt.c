/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: nfq/fz_pkt.c, the IP/TCP/UDP walk (compiled into the target).
 * The input is a packet from its IP header. Checks: a walk that succeeds
 * has a TCP or UDP payload inside the packet, after the L4 header; the
 * strict walk's success implies the capture walk's with the same result;
 * the addresses format within the buffer sizes the header promises.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_pkt.h"

static void check_ok(const struct fz_pkt *k, const uint8_t *data, size_t size)
{
	char buf[64], small[9];

	FZ_FUZZ_CHECK(k->family == 4 || k->family == 6);
	FZ_FUZZ_CHECK(k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP);
	FZ_FUZZ_CHECK(k->l4_off >= (k->family == 4 ? 20u : 40u));
	FZ_FUZZ_CHECK(k->l4_off + (k->proto == IPPROTO_TCP ? 20u : 8u) <= size);
	FZ_FUZZ_CHECK(k->payload >= data + k->l4_off + (k->proto == IPPROTO_TCP ? 20 : 8));
	FZ_FUZZ_CHECK(k->payload <= data + size);
	FZ_FUZZ_CHECK(k->payload_len <= (size_t)(data + size - k->payload));
	if (k->proto == IPPROTO_UDP)
		FZ_FUZZ_CHECK(k->tcp_flags == 0 && k->seq == 0);

	fz_pkt_addr_port(k->family, k->src, k->sport, buf, sizeof(buf));
	FZ_FUZZ_CHECK(strlen(buf) > 2 && strlen(buf) < sizeof(buf));
	fz_pkt_addr(k->family, k->dst, buf, 48);
	FZ_FUZZ_CHECK(strlen(buf) >= 2 && strlen(buf) < 48);
	fz_pkt_addr_port(k->family, k->dst, k->dport, small, sizeof(small));
	FZ_FUZZ_CHECK(strlen(small) < sizeof(small));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_pkt strict, capture;
	int rs, rc;

	memset(&strict, 0, sizeof(strict));
	memset(&capture, 0, sizeof(capture));
	rs = fz_pkt_parse(data, size, false, &strict);
	rc = fz_pkt_parse(data, size, true, &capture);
	FZ_FUZZ_CHECK(rs == 0 || rs == -EAGAIN || rs == -EPROTONOSUPPORT || rs == -EBADMSG);
	FZ_FUZZ_CHECK(rc == 0 || rc == -EAGAIN || rc == -EPROTONOSUPPORT || rc == -EBADMSG);
	if (rs == 0) {
		check_ok(&strict, data, size);
		FZ_FUZZ_CHECK(rc == 0);
		FZ_FUZZ_CHECK(strict.payload == capture.payload);
		FZ_FUZZ_CHECK(strict.payload_len == capture.payload_len);
		FZ_FUZZ_CHECK(strict.l4_off == capture.l4_off && strict.proto == capture.proto);
		FZ_FUZZ_CHECK(memcmp(strict.src, capture.src, 16) == 0);
		FZ_FUZZ_CHECK(strict.sport == capture.sport && strict.seq == capture.seq);
	} else if (rs != -EBADMSG) {
		/* only a length beyond the buffer differs between the two */
		FZ_FUZZ_CHECK(rc == rs);
	}
	if (rc == 0)
		check_ok(&capture, data, size);
	return 0;
}
