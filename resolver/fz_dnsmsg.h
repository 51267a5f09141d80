/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS messages on the wire, for the filtering resolver: reading a query,
 * building the answers we make ourselves (policy answers with an Extended
 * DNS Error, errors), the query we send upstream, and reading what an
 * upstream sends back (checks, CNAME chain, addresses, TTLs). Pure
 * functions over (const uint8_t *, size_t): no I/O, no allocation, fuzzed.
 */
#ifndef FZ_DNSMSG_H
#define FZ_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_name.h"

#define FZ_DNS_HEADER	   12
#define FZ_DNS_UDP_PAYLOAD 1232 /* our EDNS UDP size, and the largest UDP answer we send */
#define FZ_DNS_MAX_MSG	   65535
#define FZ_DNS_WIRE_NAME   255

enum {
	FZ_DNS_RCODE_NOERROR = 0,
	FZ_DNS_RCODE_FORMERR = 1,
	FZ_DNS_RCODE_SERVFAIL = 2,
	FZ_DNS_RCODE_NXDOMAIN = 3,
	FZ_DNS_RCODE_NOTIMP = 4,
	FZ_DNS_RCODE_REFUSED = 5,
	FZ_DNS_RCODE_BADVERS = 16, /* extended: needs an OPT in the answer */
};

enum {
	FZ_DNS_TYPE_A = 1,
	FZ_DNS_TYPE_NS = 2,
	FZ_DNS_TYPE_CNAME = 5,
	FZ_DNS_TYPE_SOA = 6,
	FZ_DNS_TYPE_AAAA = 28,
	FZ_DNS_TYPE_DNAME = 39,
	FZ_DNS_TYPE_OPT = 41,
	FZ_DNS_TYPE_ANY = 255,
	FZ_DNS_CLASS_IN = 1,
};

/* Extended DNS Error codes (RFC 8914) we use. */
enum {
	FZ_EDE_OTHER = 0,
	FZ_EDE_PROHIBITED = 18,
	FZ_EDE_BLOCKED = 15,
	FZ_EDE_NETWORK_ERROR = 23,
	FZ_EDE_NO_REACHABLE_AUTHORITY = 22,
};

/* A query as we understood it. */
struct fz_dns_query {
	uint16_t id;
	uint16_t flags;			 /* as received: opcode, RD, CD, ... */
	uint8_t qname[FZ_DNS_WIRE_NAME]; /* wire form, uncompressed, ASCII lowercased */
	size_t qname_len;
	char name[FZ_NAME_BUF]; /* presentation, lowercase, no trailing dot; "" for the root */
	size_t name_len;
	uint16_t qtype, qclass;
	bool has_edns;
	uint16_t udp_size; /* requester's EDNS UDP payload size (512 without EDNS) */
	bool do_bit;
	uint8_t edns_version;
	size_t question_end; /* offset just past the question */
};

enum fz_dns_verdict {
	FZ_DNS_OK = 0,	    /* a query we answer */
	FZ_DNS_FORMERR = 1, /* answer FORMERR (header readable, the rest is not) */
	FZ_DNS_NOTIMP = 2,  /* answer NOTIMP (an opcode other than QUERY) */
	FZ_DNS_BADVERS = 3, /* EDNS version > 0: answer BADVERS */
	FZ_DNS_DROP = 4,    /* not worth an answer: too short, a response, ... */
};

/*
 * Read a query: exactly one question, no compression loops (any pointer in a
 * query is refused), names within limits, at most one OPT record in the
 * additional section. Labels are lowercased; a name with bytes a host name
 * cannot have still parses (policy then simply finds no rule).
 *
 * In `name`, a '.' or NUL byte inside a label is shown as 0x7f, so label
 * boundaries are real and the string has no NUL before name_len; other
 * bytes are kept (ASCII lowercased). On FORMERR/NOTIMP/BADVERS `q` holds
 * the id and flags, the question when it was read (question_end != 0) and
 * the EDNS fields when a well-formed OPT was read (has_edns): pass it to
 * fz_dns_answer_error() as it is. Nothing is written on DROP.
 */
enum fz_dns_verdict fz_dns_query_parse(const uint8_t *msg, size_t len, struct fz_dns_query *q);

/* How we answer a listed name. */
enum fz_dns_block_action {
	FZ_DNS_BLOCK_NXDOMAIN = 0,
	FZ_DNS_BLOCK_NODATA = 1,
	FZ_DNS_BLOCK_SINKHOLE = 2, /* A/AAAA from `addrs`; other types NODATA */
};

struct fz_dns_sinkhole {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
};

/*
 * Build the policy answer for `q` into out (cap bytes; cap >= 512). The
 * answer echoes the question, sets QR/RA, copies RD/CD, and when the query
 * had EDNS carries an OPT with the Extended DNS Error `ede_code` and
 * `ede_text` (truncated to fit, on a UTF-8 boundary). `ttl` is the TTL of
 * sinkhole records; NXDOMAIN/NODATA answers carry no SOA, so caches
 * downstream do not keep them (RFC 2308) and a list change reaches clients
 * at once. Returns the length, or 0 when it cannot fit.
 */
size_t fz_dns_answer_block(const struct fz_dns_query *q, enum fz_dns_block_action action,
			   const struct fz_dns_sinkhole *addrs, size_t naddrs, uint32_t ttl,
			   uint16_t ede_code, const char *ede_text, uint8_t *out, size_t cap);

/*
 * An error answer (SERVFAIL, REFUSED, FORMERR, NOTIMP, BADVERS) with an
 * optional EDE (ede_code < 0: none). The id, opcode, RD and CD come from
 * `msg` (len >= 12) or else from `q`; the question is echoed when `q` holds
 * one, and an OPT (with the EDE) is added when `q` had EDNS. `q` may be
 * NULL. Returns the length, or 0 when it cannot be built (BADVERS without
 * EDNS, no header, cap too small).
 */
size_t fz_dns_answer_error(const uint8_t *msg, size_t len, const struct fz_dns_query *q,
			   uint8_t rcode, int ede_code, const char *ede_text, uint8_t *out,
			   size_t cap);

/*
 * The query we send upstream for `q`: our `id`, RD set, CD copied, EDNS
 * with FZ_DNS_UDP_PAYLOAD and the DO bit copied. Returns the length or 0.
 */
size_t fz_dns_build_query(const struct fz_dns_query *q, uint16_t id, uint8_t *out, size_t cap);

#define FZ_DNS_MAX_CHAIN 16
#define FZ_DNS_MAX_ADDRS 32

/* What an upstream answer says, as far as policy and caching care. */
struct fz_dns_reply {
	uint16_t id;
	uint8_t rcode;
	bool tc, aa;
	uint16_t ancount, nscount, arcount;
	/* CNAME/DNAME targets in the answer section, in presentation form (lowercase) */
	char chain[FZ_DNS_MAX_CHAIN][FZ_NAME_BUF];
	size_t n_chain;
	/* A/AAAA addresses in the answer section */
	struct fz_dns_sinkhole addrs[FZ_DNS_MAX_ADDRS];
	size_t n_addrs;
	/* cache lifetime: the smallest TTL of answer+authority records, or for a
	 * negative answer min(SOA TTL, SOA MINIMUM) (RFC 2308); UINT32_MAX when none */
	uint32_t ttl;
	bool negative; /* NXDOMAIN, or NOERROR with no answer of the asked type */
	bool overflow; /* more targets or addresses than chain/addrs hold: the rest unlisted */
};

/*
 * Read an upstream reply to `q`: it must be a response (QR), have the id
 * `id`, and echo the question (name compared case-insensitively, type,
 * class). Returns 0 and fills `r`, or -EBADMSG (malformed) / -ENOMSG (not
 * an answer to this question: spoofed or stray).
 */
int fz_dns_reply_parse(const uint8_t *msg, size_t len, const struct fz_dns_query *q, uint16_t id,
		       struct fz_dns_reply *r);

/*
 * Prepare a stored reply for a client: set the id, subtract `elapsed`
 * seconds from every TTL (floor 0) except OPT's, in place. Returns 0 or
 * -EBADMSG.
 */
int fz_dns_reply_age(uint8_t *msg, size_t len, uint16_t id, uint32_t elapsed);

/*
 * Fit a reply into a UDP answer of at most `max` bytes: when it is larger,
 * cut it to the header and question (and OPT) with TC set; what does not
 * fit of those goes too (the question, then the OPT). Returns the new
 * length (0 when max < 12).
 */
size_t fz_dns_truncate(uint8_t *msg, size_t len, size_t max);

/* Presentation name of a wire name in a message (follows compression safely). */
int fz_dns_name_at(const uint8_t *msg, size_t len, size_t off, char out[FZ_NAME_BUF],
		   size_t *ret_len, size_t *ret_next);

#endif
