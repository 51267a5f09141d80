/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the parsers agree with the normalizer. The input becomes one
 * name token (bytes that no format treats specially are kept: letters,
 * digits, '.', '-', '_' and UTF-8); the token is then written as a line of
 * every format ("0.0.0.0 T", "T", "||T^", "T CNAME .", "http://T/").
 * When fz_name_normalize() accepts T (and it is an ordinary multi-label
 * name), every parser must accept the line with exactly that name; when it
 * refuses T, no parser may accept the line.
 */
#include <string.h>

#include "fuzz_common.h"
#include "fz_name.h"

static bool keep_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c >= 0x80;
}

/* Parse one line in one format; returns the number of entries, name of the first. */
static size_t parse_line(enum fz_format format, const char *pre, const char *tok, size_t len,
			 const char *post, char *name, size_t *name_len, uint8_t *kind,
			 uint8_t *match)
{
	struct fz_parse_opts opts = {.format = format};
	struct fz_parse_result res;
	char line[FZ_NAME_INPUT_MAX + 64];
	size_t n = 0, count;

	n += (size_t)snprintf(line, sizeof(line), "%s", pre);
	memcpy(line + n, tok, len);
	n += len;
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\n", post);

	memset(&res, 0, sizeof(res));
	if (fz_parse((const uint8_t *)line, n, &opts, &res) != 0)
		return 0;
	fz_fuzz_result_check(&res, format);
	count = res.n_entries;
	*name_len = 0;
	if (count) {
		const struct fz_entry *e = &res.entries[0];

		*kind = e->kind;
		*match = e->match;
		if (e->kind != FZ_RULE_IP) {
			memcpy(name, fz_parse_str(&res, e->name_off), e->name_len);
			*name_len = e->name_len;
		}
	}
	fz_parse_result_free(&res);
	return count;
}

/* U+00AD, U+200B..U+200D, U+2060, U+FEFF: the URL parsers refuse hosts with them. */
static bool has_invisible(const char *s, size_t len)
{
	static const char *const seqs[] = {"\xc2\xad",	   "\xe2\x80\x8b", "\xe2\x80\x8c",
					   "\xe2\x80\x8d", "\xe2\x81\xa0", "\xef\xbb\xbf"};

	for (size_t k = 0; k < sizeof(seqs) / sizeof(seqs[0]); k++)
		if (memmem(s, len, seqs[k], strlen(seqs[k])))
			return true;
	return false;
}

static bool label_starts_rpz(const char *s, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if ((i == 0 || s[i - 1] == '.') && memcmp(s + i, "rpz-", 4) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		enum fz_format format;
		const char *pre, *post;
		uint8_t kind, match;
	} forms[] = {
	    {FZ_FORMAT_HOSTS, "0.0.0.0 ", "", FZ_RULE_NAME, FZ_MATCH_EXACT},
	    {FZ_FORMAT_DOMAINS, "", "", FZ_RULE_NAME, FZ_MATCH_EXACT},
	    {FZ_FORMAT_ADBLOCK, "||", "^", FZ_RULE_NAME, FZ_MATCH_SUBTREE},
	    {FZ_FORMAT_RPZ, "", " CNAME .", FZ_RULE_NAME, FZ_MATCH_EXACT},
	    {FZ_FORMAT_URLS, "http://", "/", 0xff, 0xff},
	};
	char tok[FZ_NAME_INPUT_MAX], norm[FZ_NAME_BUF], got[FZ_NAME_BUF + 1];
	size_t len = 0, norm_len = 0, got_len;
	bool ascii = true, wild;
	uint8_t kind = 0, match = 0;
	int st;

	for (size_t i = 0; i < size && len < sizeof(tok); i++)
		if (keep_byte(data[i])) {
			tok[len++] = (char)data[i];
			ascii = ascii && data[i] < 0x80;
		}
	/* A BOM that starts a file is skipped by every parser: not a token to compare. */
	if (len >= 3 && memcmp(tok, "\xef\xbb\xbf", 3) == 0)
		return 0;
	if (len == 0)
		return 0;
	st = fz_name_normalize(tok, len, 0, norm, &norm_len, &wild);

	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		size_t n;

		/* Zone files are ASCII; their rpz-* labels are triggers, not names. */
		if (forms[f].format == FZ_FORMAT_RPZ && !ascii)
			continue;
		n = parse_line(forms[f].format, forms[f].pre, tok, len, forms[f].post, got,
			       &got_len, &kind, &match);
		if (st != FZ_NAME_OK) {
			/* An address literal may become an address rule, nothing else may come out.
			 */
			bool ok = n == 0 || (st == FZ_NAME_IP_LITERAL && kind == FZ_RULE_IP);

			/*
			 * Known and reported: the RPZ parser reads "name.." as the
			 * absolute "name." (the normalizer refuses the empty label).
			 */
			if (forms[f].format == FZ_FORMAT_RPZ && len >= 2 && tok[len - 1] == '.' &&
			    tok[len - 2] == '.')
				ok = true;

			if (!ok)
				fprintf(stderr,
					"fuzz: %s accepted \"%.*s\" as \"%.*s\" (normalizer: %s)\n",
					fz_format_name(forms[f].format), (int)len, tok,
					(int)got_len, got, fz_name_strerror(st));
			FZ_FUZZ_CHECK(ok);
			continue;
		}
		/* What some formats refuse on purpose. */
		if (!memchr(norm, '.', norm_len) || fz_name_is_local_alias(norm, norm_len) ||
		    (forms[f].format == FZ_FORMAT_RPZ && label_starts_rpz(norm, norm_len)) ||
		    (forms[f].format == FZ_FORMAT_URLS && has_invisible(tok, len)))
			continue;
		if (n != 1 || got_len != norm_len || memcmp(got, norm, norm_len) != 0)
			fprintf(stderr,
				"fuzz: %s: \"%.*s\" gave %zu rules, first \"%.*s\"; normalizer: "
				"\"%s\"\n",
				fz_format_name(forms[f].format), (int)len, tok, n, (int)got_len,
				got, norm);
		FZ_FUZZ_CHECK(n == 1);
		FZ_FUZZ_CHECK(got_len == norm_len && memcmp(got, norm, norm_len) == 0);
		if (forms[f].kind != 0xff)
			FZ_FUZZ_CHECK(kind == forms[f].kind && match == forms[f].match);
		else
			FZ_FUZZ_CHECK(kind == FZ_RULE_NAME || kind == FZ_RULE_URL);
	}
	return 0;
}
