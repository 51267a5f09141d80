/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Domain name normalization: the one place that decides what a "name" is.
 *
 * Every feed parser, the compiler and the lookup side agree on this form:
 * lowercase A-labels, no trailing dot, LDH plus underscore, labels of 1..63
 * octets, at most 253 octets in all.
 */
#ifndef FZ_NAME_H
#define FZ_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define FZ_NAME_MAX  253
#define FZ_LABEL_MAX 63
#define FZ_NAME_BUF  (FZ_NAME_MAX + 1)
/* Longest raw input we look at; longer is refused before any work. */
#define FZ_NAME_INPUT_MAX 1024

enum fz_name_status {
	FZ_NAME_OK = 0,
	FZ_NAME_EMPTY,
	FZ_NAME_TOO_LONG,
	FZ_NAME_LABEL_TOO_LONG,
	FZ_NAME_EMPTY_LABEL,
	FZ_NAME_BAD_CHAR,
	FZ_NAME_HYPHEN_EDGE,
	FZ_NAME_IP_LITERAL,
	FZ_NAME_IDN_INVALID,
	FZ_NAME_BAD_WILDCARD,
	FZ_NAME_STATUS_COUNT,
};

/* Flags for fz_name_normalize(). */
enum {
	/* Accept a leading "*." and report it through *ret_wildcard. */
	FZ_NAME_F_WILDCARD = 1u << 0,
};

/*
 * Normalize `in` (`len` bytes, any case, UTF-8 or A-labels, one optional
 * trailing dot) into `out` (FZ_NAME_BUF bytes, NUL-terminated).
 * Returns FZ_NAME_OK and writes *ret_len (and *ret_wildcard when the flag is
 * given and a leading "*." was stripped), or a status > 0 that
 * fz_name_strerror() turns into a sentence. Nothing is written on error.
 */
int fz_name_normalize(const char *in, size_t len, unsigned flags, char out[FZ_NAME_BUF],
		      size_t *ret_len, bool *ret_wildcard);

/* A person-readable reason for a status from fz_name_normalize(). */
const char *fz_name_strerror(int status);

/*
 * True when `s` is an IP address literal as a browser would read it: dotted
 * IPv4 (also the WHATWG forms whose last label is numeric, such as
 * "0x7f000001"), or IPv6 with or without brackets. "000000.com" and
 * "0.0-02.net" are names, not addresses.
 */
bool fz_name_is_ip_literal(const char *s, size_t len);

/* Names a hosts file uses for the machine itself ("localhost", "broadcasthost", ...). */
bool fz_name_is_local_alias(const char *s, size_t len);

#endif
