/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Format detection: read the start of a feed (at most DETECT_BYTES and
 * DETECT_LINES data lines), give every line one vote for the format it looks
 * like, then decide:
 *
 *   - RPZ when zone-file lines ($TTL, $ORIGIN, SOA, NS, "name CNAME .") make
 *     up half of the data lines;
 *   - adblock at once for an "[Adblock Plus]" style header;
 *   - CSV when most data lines have commas and most of those have the same
 *     number of fields (quote-aware), or a "# id,dateadded,url,..." banner
 *     names the columns;
 *   - otherwise the most voted of hosts, adblock, URL list and domain list.
 *     Bare names count for adblock when the list's comments are "!" (uBO
 *     lists mix bare names with "||" rules that may come only much later;
 *     the adblock parser reads a bare name exactly like the domains parser).
 *
 * Nothing is allocated; the input is never read past `len`.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_parse_impl.h"

#define DETECT_BYTES	(64u * 1024u)
#define DETECT_LINES	400u
#define DETECT_TOKENS	6u
#define DETECT_MAX_COLS 64u
#define DETECT_ADDR_MAX 64u

struct detect_votes {
	size_t data; /* lines that are neither blank nor comments */
	size_t hash_comments, bang_comments;
	bool adblock_header, csv_header;
	size_t rpz, hosts, adblock, urls, domains;
	size_t comma_lines;
	size_t cols[DETECT_MAX_COLS + 1]; /* comma lines by field count (last = more) */
};

struct detect_tok {
	const char *s;
	size_t len;
};

static bool det_eq_nocase(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != word[i])
			return false;
	}
	return true;
}

static bool det_contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(s + i, needle, n) == 0)
			return true;
	return false;
}

static size_t det_tokens(const char *s, size_t len, struct detect_tok *t, size_t max)
{
	size_t n = 0, i = 0;

	while (n < max) {
		while (i < len && fz_is_space(s[i]))
			i++;
		if (i == len)
			break;
		size_t b = i;
		while (i < len && !fz_is_space(s[i]))
			i++;
		t[n].s = s + b;
		t[n].len = i - b;
		n++;
	}
	return n;
}

/* A hosts-file address: IPv4, IPv6 (zone allowed) or the "0" shorthand. */
static bool det_is_addr(const char *s, size_t len)
{
	char buf[DETECT_ADDR_MAX];
	uint8_t a[16];

	if (len == 1 && s[0] == '0')
		return true;
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1)
		return true;
	char *pct = memchr(buf, '%', len);
	if (pct)
		*pct = '\0';
	return memchr(buf, ':', len) && inet_pton(AF_INET6, buf, a) == 1;
}

static bool det_is_rrtype(const struct detect_tok *t)
{
	return det_eq_nocase(t->s, t->len, "SOA") || det_eq_nocase(t->s, t->len, "NS") ||
	       det_eq_nocase(t->s, t->len, "CNAME");
}

/* Number of comma-separated fields, quotes respected; 1 when there is no comma. */
static size_t det_fields(const char *s, size_t len)
{
	size_t fields = 1;
	bool quoted = false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == ',' && !quoted)
			fields++;
	}
	return fields;
}

/* A comment line that names CSV columns: "# id,dateadded,url,url_status,...". */
static bool det_csv_banner(const char *s, size_t len)
{
	return det_fields(s, len) >= 3 &&
	       (det_contains(s, len, "url") || det_contains(s, len, "domain") ||
		det_contains(s, len, "host"));
}

/* "##.ad", "###ad", "#@#.ad": an adblock cosmetic rule, not a "#" comment or banner. */
static bool det_generic_cosmetic(const char *s, size_t len)
{
	size_t k;

	if (len >= 3 && s[1] == '@' && s[2] == '#')
		k = 3;
	else if (len >= 2 && s[1] == '#')
		k = (len >= 3 && s[2] == '#') ? 3 : 2;
	else
		return false;
	if (k >= len)
		return false;
	char c = s[k];
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '[' || c == '*';
}

static void det_line(struct detect_votes *v, const char *s, size_t len)
{
	struct detect_tok t[DETECT_TOKENS];

	fz_trim(&s, &len);
	if (len == 0)
		return;
	if (s[0] == '!') {
		v->bang_comments++;
		return;
	}
	if (s[0] == '[') {
		if (fz_starts_nocase(s, len, "[adblock") || fz_starts_nocase(s, len, "[adguard") ||
		    fz_starts_nocase(s, len, "[ublock"))
			v->adblock_header = true;
		return;
	}
	if (s[0] == ';' || (len >= 2 && s[0] == '/' && s[1] == '/'))
		return;
	if (s[0] == '#' && !det_generic_cosmetic(s, len)) {
		v->hash_comments++;
		if (det_csv_banner(s, len))
			v->csv_header = true;
		return;
	}

	v->data++;
	size_t fields = det_fields(s, len);
	if (fields > 1) {
		v->comma_lines++;
		v->cols[fields < DETECT_MAX_COLS ? fields : DETECT_MAX_COLS]++;
	}

	if (s[0] == '$' &&
	    (fz_starts_nocase(s, len, "$ttl") || fz_starts_nocase(s, len, "$origin") ||
	     fz_starts_nocase(s, len, "$include"))) {
		v->rpz++;
		return;
	}
	size_t nt = det_tokens(s, len, t, DETECT_TOKENS);
	for (size_t i = 0; i < nt; i++) {
		if (det_is_rrtype(&t[i]) && (i > 0 || det_eq_nocase(t[i].s, t[i].len, "NS"))) {
			v->rpz++;
			return;
		}
	}
	if (nt >= 2 && det_is_addr(t[0].s, t[0].len)) {
		v->hosts++;
		return;
	}
	if (s[0] == '|' || (s[0] == '@' && len >= 2 && s[1] == '@') || s[len - 1] == '^' ||
	    det_contains(s, len, "^$") || det_contains(s, len, "##") ||
	    (s[0] == '/' && len >= 2 && s[len - 1] == '/')) {
		v->adblock++;
		return;
	}
	if (fz_starts_nocase(s, len, "http://") || fz_starts_nocase(s, len, "https://")) {
		v->urls++;
		return;
	}
	if (nt == 1) {
		if (memchr(s, '/', len))
			v->urls++; /* "host/path" */
		else
			v->domains++;
	}
}

static bool det_is_csv(const struct detect_votes *v)
{
	if (v->comma_lines == 0)
		return false;
	size_t best = 0;
	for (size_t i = 2; i <= DETECT_MAX_COLS; i++)
		if (v->cols[i] > best)
			best = v->cols[i];
	if (v->csv_header && v->comma_lines * 2 >= v->data)
		return true;
	return v->comma_lines * 2 > v->data && best * 2 > v->comma_lines;
}

enum fz_format fz_format_detect(const uint8_t *data, size_t len)
{
	struct detect_votes v;
	struct fz_lines it;
	const char *line;
	size_t line_len;

	memset(&v, 0, sizeof(v));
	if (!data)
		len = 0;

	/* Only whole lines: stop before a line the window cuts in two. */
	size_t window = len;
	if (window > DETECT_BYTES) {
		const uint8_t *nl = memrchr(data, '\n', DETECT_BYTES);
		window = nl ? (size_t)(nl - data) + 1 : DETECT_BYTES;
	}

	fz_lines_init(&it, data, window);
	while (v.data < DETECT_LINES && fz_lines_next(&it, &line, &line_len))
		det_line(&v, line, line_len);

	if (v.adblock_header)
		return FZ_FORMAT_ADBLOCK;
	if (v.data == 0)
		return v.bang_comments > v.hash_comments ? FZ_FORMAT_ADBLOCK : FZ_FORMAT_DOMAINS;
	if (v.rpz * 2 >= v.data)
		return FZ_FORMAT_RPZ;
	if (det_is_csv(&v))
		return FZ_FORMAT_CSV;

	size_t adblock = v.adblock, domains = v.domains;
	if (v.bang_comments > v.hash_comments) {
		adblock += domains;
		domains = 0;
	}

	enum fz_format best = FZ_FORMAT_DOMAINS;
	size_t best_votes = domains;
	if (v.urls > best_votes) {
		best = FZ_FORMAT_URLS;
		best_votes = v.urls;
	}
	if (adblock > best_votes) {
		best = FZ_FORMAT_ADBLOCK;
		best_votes = adblock;
	}
	if (v.hosts > best_votes)
		best = FZ_FORMAT_HOSTS;
	return best;
}
