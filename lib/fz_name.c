/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Name normalization. ASCII names (nearly all of every feed) take a single
 * pass with no allocation; only names with non-ASCII bytes go through
 * libidn2.
 */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "fz_name.h"

static const char *const status_text[FZ_NAME_STATUS_COUNT] = {
    [FZ_NAME_OK] = "ok",
    [FZ_NAME_EMPTY] = "empty name",
    [FZ_NAME_TOO_LONG] = "name longer than 253 octets",
    [FZ_NAME_LABEL_TOO_LONG] = "label longer than 63 octets",
    [FZ_NAME_EMPTY_LABEL] = "empty label (two dots in a row, or a leading dot)",
    [FZ_NAME_BAD_CHAR] = "character not allowed in a host name (only letters, digits, '-', '_')",
    [FZ_NAME_HYPHEN_EDGE] = "label starts or ends with '-'",
    [FZ_NAME_IP_LITERAL] = "IP address literal, not a name",
    [FZ_NAME_IDN_INVALID] = "invalid internationalized name (IDNA2008 and UTS#46 both refuse it)",
    [FZ_NAME_BAD_WILDCARD] = "'*' is only allowed as a whole leading label (\"*.name\")",
};

const char *fz_name_strerror(int status)
{
	if (status < 0 || status >= FZ_NAME_STATUS_COUNT)
		return "unknown name error";
	return status_text[status];
}

static inline bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * WHATWG URL "ends in a number": a host whose last label is all digits, or
 * "0x" followed by hex digits, is parsed by browsers as an IPv4 address and
 * never looked up as a name.
 */
static bool last_label_is_number(const char *s, size_t len)
{
	if (len && s[len - 1] == '.')
		len--;
	size_t start = len;
	while (start > 0 && s[start - 1] != '.')
		start--;
	const char *l = s + start;
	size_t n = len - start;
	if (n == 0)
		return false;
	if (n >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
		for (size_t i = 2; i < n; i++)
			if (!is_hex((unsigned char)l[i]))
				return false;
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)l[i]))
			return false;
	return true;
}

bool fz_name_is_ip_literal(const char *s, size_t len)
{
	if (len == 0)
		return false;
	if (s[0] == '[')
		return true;
	/* IPv6: at least two colons and only hex digits, colons, dots, '%' zone. */
	size_t colons = 0;
	bool v6chars = true;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':')
			colons++;
		else if (!(is_hex(c) || c == '.' || c == '%'))
			v6chars = false;
	}
	if (colons >= 2 && (v6chars || memchr(s, '%', len)))
		return true;
	return last_label_is_number(s, len);
}

bool fz_name_is_local_alias(const char *s, size_t len)
{
	static const char *const aliases[] = {
	    "localhost",       "localhost.localdomain", "local",	  "localdomain",
	    "broadcasthost",   "ip6-localhost",		"ip6-loopback",	  "ip6-localnet",
	    "ip6-mcastprefix", "ip6-allnodes",		"ip6-allrouters", "ip6-allhosts",
	    "0.0.0.0",	       "ip6-allrouters.",	"localhost.",	  "local.",
	};
	if (len && s[len - 1] == '.')
		len--;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strlen(aliases[i]) == len && strncasecmp(aliases[i], s, len) == 0)
			return true;
	return false;
}

/* Check and lowercase an ASCII name into out. */
static int normalize_ascii(const char *in, size_t len, char *out, size_t *ret_len)
{
	if (len == 0)
		return FZ_NAME_EMPTY;
	if (len > FZ_NAME_MAX)
		return FZ_NAME_TOO_LONG;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c == '.') {
			if (label == 0)
				return FZ_NAME_EMPTY_LABEL;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_') {
			/*
			 * Leading and trailing hyphens are kept: registries
			 * refuse them but wildcard DNS and some hosting
			 * services answer such names, and fraud uses them.
			 */
			if (++label > FZ_LABEL_MAX)
				return FZ_NAME_LABEL_TOO_LONG;
		} else if (c == '*') {
			return FZ_NAME_BAD_WILDCARD;
		} else if (c == ':' || c == '[' || c == ']') {
			return fz_name_is_ip_literal(in, len) ? FZ_NAME_IP_LITERAL
							      : FZ_NAME_BAD_CHAR;
		} else {
			return FZ_NAME_BAD_CHAR;
		}
		out[i] = (char)c;
	}
	if (label == 0)
		return FZ_NAME_EMPTY_LABEL;
	out[len] = '\0';
	*ret_len = len;
	return FZ_NAME_OK;
}

static int normalize_idn(const char *in, size_t len, char *out, size_t *ret_len)
{
	char buf[FZ_NAME_INPUT_MAX + 1];
	char *ascii = NULL;

	if (memchr(in, '\0', len))
		return FZ_NAME_BAD_CHAR;
	memcpy(buf, in, len);
	buf[len] = '\0';
	/*
	 * IDNA2008 first; browsers fall back to UTS#46 transitional
	 * processing (e.g. for names with symbols IDNA2008 disallows), so do
	 * we, or a feed's name and the browser's name would differ.
	 */
	int rc = idn2_to_ascii_8z(buf, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		ascii = NULL;
		rc = idn2_to_ascii_8z(buf, &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
	}
	if (rc != IDN2_OK || !ascii)
		return FZ_NAME_IDN_INVALID;
	size_t alen = strlen(ascii);
	if (alen && ascii[alen - 1] == '.')
		alen--;
	int st = normalize_ascii(ascii, alen, out, ret_len);
	idn2_free(ascii);
	return st;
}

int fz_name_normalize(const char *in, size_t len, unsigned flags, char out[FZ_NAME_BUF],
		      size_t *ret_len, bool *ret_wildcard)
{
	char tmp[FZ_NAME_BUF];
	size_t n = 0;
	bool wildcard = false;

	if (len == 0)
		return FZ_NAME_EMPTY;
	if (len > FZ_NAME_INPUT_MAX)
		return FZ_NAME_TOO_LONG;
	if (len >= 2 && in[0] == '*' && in[1] == '.') {
		if (!(flags & FZ_NAME_F_WILDCARD))
			return FZ_NAME_BAD_WILDCARD;
		wildcard = true;
		in += 2;
		len -= 2;
	}
	if (len && in[len - 1] == '.')
		len--;
	if (len == 0)
		return FZ_NAME_EMPTY;

	bool ascii = true;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80) {
			ascii = false;
			break;
		}
	int st = ascii ? normalize_ascii(in, len, tmp, &n) : normalize_idn(in, len, tmp, &n);
	if (st != FZ_NAME_OK)
		return st;
	if (last_label_is_number(tmp, n))
		return FZ_NAME_IP_LITERAL;
	memcpy(out, tmp, n + 1);
	*ret_len = n;
	if (ret_wildcard)
		*ret_wildcard = wildcard;
	return FZ_NAME_OK;
}
