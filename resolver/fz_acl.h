/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may use the resolver (client networks), and how fast (response rate
 * limiting per client prefix). Never an open resolver by default: loopback,
 * RFC 1918, ULA and link-local only.
 */
#ifndef FZ_ACL_H
#define FZ_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define FZ_ACL_MAX 1024

struct fz_acl {
	struct {
		uint8_t family; /* AF_INET or AF_INET6 */
		uint8_t prefix;
		uint8_t addr[16];
	} nets[FZ_ACL_MAX];
	size_t n;
};

/* The default networks: 127.0.0.0/8 ::1/128 10/8 172.16/12 192.168/16 fc00::/7 fe80::/10
 * 169.254/16. */
void fz_acl_default(struct fz_acl *acl);
/* Add "192.0.2.0/24", "2001:db8::/32" or a bare address. 0, -EINVAL, -E2BIG. */
int fz_acl_add(struct fz_acl *acl, const char *cidr);
/* Is this client allowed? IPv4-mapped IPv6 addresses are matched as IPv4. */
bool fz_acl_allows(const struct fz_acl *acl, const struct sockaddr *sa);

/*
 * Response rate limiting per client prefix (/24 for IPv4, /56 for IPv6 by
 * default): a token bucket of `rate` answers per second with a burst of
 * `burst`. The table is bounded (oldest buckets are reused), and one
 * instance per worker thread needs no lock.
 */
struct fz_rrl;

struct fz_rrl_opts {
	uint32_t rate;	   /* answers per second per prefix; 0 disables limiting */
	uint32_t burst;	   /* 0: equal to rate */
	uint8_t v4_prefix; /* 0: 24 */
	uint8_t v6_prefix; /* 0: 56 */
	size_t table_size; /* buckets; 0: 65536 */
};

int fz_rrl_new(const struct fz_rrl_opts *o, struct fz_rrl **ret);
void fz_rrl_free(struct fz_rrl *r);
/* May we answer this client now? Consumes a token when yes. */
bool fz_rrl_allow(struct fz_rrl *r, const struct sockaddr *sa, uint64_t now_ms);

#endif
