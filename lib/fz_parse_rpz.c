/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RPZ (DNS Response Policy Zone) files: a zone file whose owner names are
 * the triggers and whose records say what to do.
 *
 * How it is read: we walk the buffer line by line ourselves (it is memory,
 * not a FILE, and the input is untrusted), strip comments, join lines
 * inside parentheses, and handle the directives: $ORIGIN and $TTL are
 * followed, $INCLUDE is refused (a feed must never make us open a file),
 * anything else is refused. Each record then takes one of two paths:
 *  - the fast path, for the shapes that make up nearly every RPZ feed:
 *    "owner [ttl] [class] CNAME|A|AAAA|NS rdata" without quotes or
 *    escapes. ldns_rr_new_frm_str() costs ~12 us per record here (it
 *    allocates ~80 KB of buffers per call): 0.5 s for the 43k-line
 *    hagezi TIF medium list, ~12 s for the ~1M lines hagezi lists have in
 *    production, against ~25 ms and ~1.2 s for the whole parse this
 *    way (of which about half is the shared duplicate check).
 *  - ldns (ldns_rr_new_frm_str) for every other record: escapes, quotes,
 *    other types, and the SOA. ldns validates it and gives the type and
 *    rdata; an error becomes a rejected line with ldns' own reason.
 * Lines with NUL bytes and records longer than FZ_RPZ_RECORD_MAX are
 * refused before ldns sees them.
 *
 * Semantics (owner names are relative to the origin: $ORIGIN, else an
 * absolute SOA owner; an absolute owner ending in the origin has it
 * stripped, one outside it is refused; without any origin an absolute owner
 * is taken as the trigger itself):
 *   name CNAME .              block, NXDOMAIN, EXACT
 *   *.name CNAME .            block, NXDOMAIN, SUBTREE (see below)
 *   name CNAME *.             block, NODATA
 *   name CNAME rpz-passthru.  allow (also the old form: CNAME to the name itself)
 *   name CNAME rpz-drop.      block with the resolver's default answer: the
 *                             feed wants the name unreachable; how to refuse
 *                             it is our resolver's choice (FZ_POLICY_DEFAULT)
 *   name CNAME rpz-tcp-only.  skipped: an anti-spoofing measure, not a block
 *   name CNAME other.name.    skipped: redirect to a walled garden
 *   name A / AAAA addr        block with local data (FZ_POLICY_LOCAL); all
 *                             A/AAAA records of consecutive lines with the same
 *                             owner make one rule (at most FZ_RPZ_LOCAL_MAX)
 *   SOA / NS at the apex      ignored (not a problem)
 *   N.d.c.b.a.rpz-ip          address rule a.b.c.d/N (and the IPv6 form with
 *                             "zz" for "::"), block or allow as above
 *   rpz-nsdname, rpz-nsip, rpz-client-ip triggers: skipped
 *
 * About "*.name": in RPZ it covers the names below `name` but not `name`
 * itself. Our rules have no "strictly below" match, so it becomes SUBTREE,
 * which also covers `name`. Every RPZ feed we have seen pairs it with a
 * "name CNAME ." line, so nothing is widened in practice; a feed with only
 * the wildcard line gets its apex blocked too, which we accept rather than
 * silently letting the subdomains through.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fz_name.h"
#include "fz_parse_impl.h"

/* Longest record (after joining parenthesized lines) we read. */
#define FZ_RPZ_RECORD_MAX 4096
/* Lines one parenthesized record may span. */
#define FZ_RPZ_RECORD_LINES 64
/* Addresses of local data merged into one rule. */
#define FZ_RPZ_LOCAL_MAX 16
/* Tokens of a record we look at (more go to ldns). */
#define FZ_RPZ_TOKENS 16
/* Owner text we keep (a raw owner may exceed 253 before normalization). */
#define FZ_RPZ_OWNER_MAX (FZ_NAME_INPUT_MAX + 2)

struct tok {
	const char *s;
	size_t len;
};

struct rpz {
	struct fz_parse_result *r;
	const struct fz_parse_opts *o;

	/* Origin, lowercase, no trailing dot; the root is have_origin with len 0. */
	bool have_origin;
	char origin[FZ_NAME_BUF];
	size_t origin_len;
	ldns_rdf *ldns_origin; /* made when ldns needs it */

	/* Previous owner, for records that start with a blank. */
	bool have_prev, prev_apex, prev_bad;
	char prev[FZ_RPZ_OWNER_MAX];
	size_t prev_len;

	/* Local data waiting for more records of the same owner. */
	size_t naddr;
	uint32_t local_line;
	char local_name[FZ_RPZ_OWNER_MAX];
	size_t local_len;
	struct fz_local_addr local[FZ_RPZ_LOCAL_MAX];
};

/* What a record asks for. */
enum rpz_action {
	RPZ_NXDOMAIN,
	RPZ_NODATA,
	RPZ_PASSTHRU,
	RPZ_DROP,
	RPZ_TCP_ONLY,
	RPZ_REDIRECT,
};

static bool ends_with_label_ci(const char *s, size_t len, const char *label)
{
	size_t n = strlen(label);
	if (len < n || !fz_eq_nocase(s + len - n, n, label))
		return false;
	return len == n || s[len - n - 1] == '.';
}

static int problem(struct rpz *z, uint32_t line, enum fz_problem_kind kind, const char *why,
		   const char *text, size_t len)
{
	return fz_parse_problem(z->r, line, kind, why, text, len);
}

static int reject(struct rpz *z, uint32_t line, const char *why, const char *text, size_t len)
{
	return problem(z, line, FZ_PROBLEM_REJECTED, why, text, len);
}

static int skip(struct rpz *z, uint32_t line, const char *why, const char *text, size_t len)
{
	return problem(z, line, FZ_PROBLEM_SKIPPED, why, text, len);
}

/* ---- local data ---------------------------------------------------------- */

static int local_flush(struct rpz *z)
{
	if (z->naddr == 0)
		return 0;
	size_t n = z->naddr;
	z->naddr = 0;
	return fz_parse_add_name_local(z->r, z->o, z->local_line, z->local_name, z->local_len, true,
				       FZ_MATCH_EXACT, z->local, n);
}

static int local_add(struct rpz *z, uint32_t line, const char *name, size_t len, int family,
		     const uint8_t *addr)
{
	if (z->naddr && (z->local_len != len || memcmp(z->local_name, name, len) != 0)) {
		int rc = local_flush(z);
		if (rc < 0)
			return rc;
	}
	if (z->naddr == 0) {
		memcpy(z->local_name, name, len);
		z->local_len = len;
		z->local_line = line;
	}
	size_t alen = family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < z->naddr; i++)
		if (z->local[i].family == family && memcmp(z->local[i].addr, addr, alen) == 0)
			return 0; /* the same address twice */
	if (z->naddr == FZ_RPZ_LOCAL_MAX)
		return skip(z, line, "more than 16 local-data addresses for one name", name, len);
	struct fz_local_addr *a = &z->local[z->naddr++];
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	memcpy(a->addr, addr, alen);
	return 0;
}

/* ---- rpz-ip triggers ------------------------------------------------------ */

static bool parse_dec(const char *s, size_t len, unsigned max, unsigned *v)
{
	unsigned x = 0;
	if (len == 0 || len > 3)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)fz_lower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * "prefix.labels" (the part before ".rpz-ip") into an address and prefix:
 * IPv4 is prefix.d.c.b.a; IPv6 is prefix.w8...w1 with one "zz" for "::".
 */
static bool rpz_ip_parse(const char *s, size_t len, int *family, uint8_t addr[16], unsigned *prefix)
{
	struct tok l[10];
	size_t n = 0, i = 0;

	while (i <= len) {
		size_t j = i;
		while (j < len && s[j] != '.')
			j++;
		if (n == 10)
			return false;
		l[n].s = s + i;
		l[n].len = j - i;
		n++;
		i = j + 1;
	}
	if (n < 2)
		return false;
	unsigned v = 0;
	if (n == 5) {
		bool v4 = parse_dec(l[0].s, l[0].len, 32, prefix) && *prefix >= 1;
		for (size_t k = 1; v4 && k < 5; k++) {
			v4 = parse_dec(l[k].s, l[k].len, 255, &v);
			addr[4 - k] = (uint8_t)v;
		}
		if (v4) {
			*family = AF_INET;
			return true;
		}
	}
	if (!parse_dec(l[0].s, l[0].len, 128, prefix) || *prefix < 1)
		return false;
	/* Groups from the last label (w1) to the first (w8). */
	uint16_t g[8] = {0};
	size_t ngroups = n - 1, zz = SIZE_MAX;
	for (size_t k = 1; k < n; k++)
		if (fz_eq_nocase(l[k].s, l[k].len, "zz")) {
			if (zz != SIZE_MAX)
				return false;
			zz = k;
		}
	if (zz == SIZE_MAX ? ngroups != 8 : ngroups > 8)
		return false;
	size_t fill = zz == SIZE_MAX ? 0 : 8 - (ngroups - 1);
	size_t pos = 0; /* index into g[], from w1 */
	for (size_t k = n - 1; k >= 1; k--) {
		if (k == zz) {
			pos += fill;
			continue;
		}
		if (l[k].len == 0 || l[k].len > 4)
			return false;
		unsigned x = 0;
		for (size_t c = 0; c < l[k].len; c++) {
			int h = hexval(l[k].s[c]);
			if (h < 0)
				return false;
			x = x * 16 + (unsigned)h;
		}
		g[pos++] = (uint16_t)x;
	}
	for (size_t k = 0; k < 8; k++) {
		addr[2 * k] = (uint8_t)(g[k] >> 8);
		addr[2 * k + 1] = (uint8_t)g[k];
	}
	*family = AF_INET6;
	return true;
}

/* ---- one record ------------------------------------------------------------ */

static enum rpz_action cname_action(const char *t, size_t len, const char *owner, size_t owner_len)
{
	if (len == 1 && t[0] == '.')
		return RPZ_NXDOMAIN;
	if (len == 2 && t[0] == '*' && t[1] == '.')
		return RPZ_NODATA;
	if (fz_eq_nocase(t, len, "rpz-passthru."))
		return RPZ_PASSTHRU;
	if (fz_eq_nocase(t, len, "rpz-drop."))
		return RPZ_DROP;
	if (fz_eq_nocase(t, len, "rpz-tcp-only."))
		return RPZ_TCP_ONLY;
	/* The pre-2012 passthru: a CNAME to the trigger name itself. */
	if (len == owner_len + 1 && t[owner_len] == '.') {
		bool same = true;
		for (size_t i = 0; i < owner_len && same; i++)
			same = fz_lower((unsigned char)t[i]) == fz_lower((unsigned char)owner[i]);
		if (same)
			return RPZ_PASSTHRU;
	}
	return RPZ_REDIRECT;
}

/*
 * Apply a policy. `owner` is the trigger (relative to the origin); `type` is
 * LDNS_RR_TYPE_CNAME with the target in t, or A/AAAA with addr.
 */
static int rpz_policy(struct rpz *z, uint32_t line, const char *owner, size_t olen, int type,
		      const char *t, size_t tlen, const uint8_t *addr)
{
	enum rpz_action act = RPZ_NXDOMAIN;

	if (type == LDNS_RR_TYPE_CNAME) {
		act = cname_action(t, tlen, owner, olen);
		if (act == RPZ_TCP_ONLY)
			return skip(z, line, "rpz-tcp-only is not a block", owner, olen);
		if (act == RPZ_REDIRECT)
			return skip(z, line,
				    "CNAME to another name (walled garden) is not supported", t,
				    tlen);
	}

	if (ends_with_label_ci(owner, olen, "rpz-nsdname"))
		return skip(z, line, "rpz-nsdname (name server name) triggers are not supported",
			    owner, olen);
	if (ends_with_label_ci(owner, olen, "rpz-nsip"))
		return skip(z, line, "rpz-nsip (name server address) triggers are not supported",
			    owner, olen);
	if (ends_with_label_ci(owner, olen, "rpz-client-ip"))
		return skip(z, line, "rpz-client-ip triggers are not supported", owner, olen);
	if (ends_with_label_ci(owner, olen, "rpz-ip")) {
		int family;
		uint8_t a[16];
		unsigned prefix;
		if (type != LDNS_RR_TYPE_CNAME)
			return skip(z, line, "local data for an rpz-ip trigger is not supported",
				    owner, olen);
		size_t plen = olen > 7 ? olen - 7 : 0;
		if (!rpz_ip_parse(owner, plen, &family, a, &prefix))
			return reject(z, line, "malformed rpz-ip trigger", owner, olen);
		return fz_parse_add_ip(z->r, line, family, a, prefix,
				       act == RPZ_PASSTHRU ? FZ_ACTION_ALLOW : FZ_ACTION_BLOCK);
	}

	if (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA)
		return local_add(z, line, owner, olen, type == LDNS_RR_TYPE_A ? AF_INET : AF_INET6,
				 addr);

	switch (act) {
	case RPZ_PASSTHRU:
		return fz_parse_add_name(z->r, z->o, line, owner, olen, true, FZ_ACTION_ALLOW,
					 FZ_MATCH_EXACT, FZ_POLICY_DEFAULT);
	case RPZ_NODATA:
		return fz_parse_add_name(z->r, z->o, line, owner, olen, true, FZ_ACTION_BLOCK,
					 FZ_MATCH_EXACT, FZ_POLICY_NODATA);
	case RPZ_DROP:
		return fz_parse_add_name(z->r, z->o, line, owner, olen, true, FZ_ACTION_BLOCK,
					 FZ_MATCH_EXACT, FZ_POLICY_DEFAULT);
	default:
		return fz_parse_add_name(z->r, z->o, line, owner, olen, true, FZ_ACTION_BLOCK,
					 FZ_MATCH_EXACT, FZ_POLICY_NXDOMAIN);
	}
}

static bool is_ttl(const struct tok *t)
{
	if (t->len == 0 || t->s[0] < '0' || t->s[0] > '9')
		return false;
	for (size_t i = 0; i < t->len; i++) {
		char c = (char)fz_lower((unsigned char)t->s[i]);
		if (!((c >= '0' && c <= '9') || c == 's' || c == 'm' || c == 'h' || c == 'd' ||
		      c == 'w'))
			return false;
	}
	return true;
}

static bool is_class(const struct tok *t)
{
	return fz_eq_nocase(t->s, t->len, "in") || fz_eq_nocase(t->s, t->len, "ch") ||
	       fz_eq_nocase(t->s, t->len, "hs") || fz_eq_nocase(t->s, t->len, "cs") ||
	       fz_eq_nocase(t->s, t->len, "none") || fz_eq_nocase(t->s, t->len, "any") ||
	       (t->len > 5 && fz_eq_nocase(t->s, 5, "class"));
}

/*
 * Resolve an owner token against the origin. Sets *apex, or the trigger
 * name (relative to the origin, no trailing dot) in out. Returns NULL or a
 * reason.
 */
static const char *owner_resolve(struct rpz *z, const char *s, size_t len, bool *apex, char *out,
				 size_t *out_len)
{
	*apex = false;
	if (len == 1 && s[0] == '@') {
		*apex = true;
		return NULL;
	}
	if (memchr(s, '\\', len))
		return "escaped characters in owner names are not supported";
	if (len >= FZ_RPZ_OWNER_MAX)
		return fz_name_strerror(FZ_NAME_TOO_LONG);
	if (s[len - 1] == '.') {
		len--;
		if (z->have_origin) {
			size_t ol = z->origin_len;
			if (ol == 0) {
				/* root origin: every absolute name is inside */
			} else if (len == ol && fz_eq_nocase(s, len, z->origin)) {
				*apex = true;
				return NULL;
			} else if (len > ol + 1 && s[len - ol - 1] == '.' &&
				   fz_eq_nocase(s + len - ol, ol, z->origin)) {
				len -= ol + 1;
			} else {
				return "owner name is outside the zone origin";
			}
		}
		if (len == 0) {
			*apex = true;
			return NULL;
		}
	}
	memcpy(out, s, len);
	*out_len = len;
	return NULL;
}

static int set_origin(struct rpz *z, const char *s, size_t len)
{
	char buf[FZ_NAME_BUF];
	size_t n = 0;

	if (len == 1 && s[0] == '.') {
		z->have_origin = true;
		z->origin_len = 0;
	} else {
		int st = fz_name_normalize(s, len, 0, buf, &n, NULL);
		if (st != FZ_NAME_OK)
			return st;
		if (s[len - 1] != '.' && z->have_origin && z->origin_len) {
			/* relative to the current origin */
			if (n + 1 + z->origin_len > FZ_NAME_MAX)
				return FZ_NAME_TOO_LONG;
			buf[n++] = '.';
			memcpy(buf + n, z->origin, z->origin_len);
			n += z->origin_len;
			buf[n] = '\0';
		}
		memcpy(z->origin, buf, n + 1);
		z->origin_len = n;
		z->have_origin = true;
	}
	if (z->ldns_origin) {
		ldns_rdf_deep_free(z->ldns_origin);
		z->ldns_origin = NULL;
	}
	return FZ_NAME_OK;
}

/*
 * The slow path: let ldns parse the record (with "@" as its owner, which we
 * resolved ourselves). `rest` is the NUL-terminated text after the owner.
 */
static int rpz_ldns(struct rpz *z, uint32_t line, bool apex, const char *owner, size_t olen,
		    const char *rest, const char *text, size_t text_len)
{
	char buf[FZ_RPZ_RECORD_MAX + 8];
	ldns_rr *rr = NULL;
	int rc = 0;

	if (!z->ldns_origin) {
		char o[FZ_NAME_BUF + 2];
		size_t n = z->have_origin ? z->origin_len : 0;
		memcpy(o, z->origin, n);
		o[n++] = '.';
		o[n] = '\0';
		z->ldns_origin = ldns_dname_new_frm_str(n == 1 ? "." : o);
		if (!z->ldns_origin)
			return -ENOMEM;
	}
	size_t rl = strlen(rest);
	if (rl + 3 > sizeof(buf))
		return reject(z, line, "record too long", text, text_len);
	buf[0] = '@';
	buf[1] = ' ';
	memcpy(buf + 2, rest, rl + 1);
	ldns_status st = ldns_rr_new_frm_str(&rr, buf, 0, z->ldns_origin, NULL);
	if (st != LDNS_STATUS_OK)
		return reject(z, line, ldns_get_errorstr_by_id(st), text, text_len);

	ldns_rr_type type = ldns_rr_get_type(rr);
	if (apex) {
		if (type != LDNS_RR_TYPE_SOA && type != LDNS_RR_TYPE_NS)
			rc = skip(z, line, "record at the zone apex is not a policy", text,
				  text_len);
	} else if (type == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1) {
		char *target = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		if (!target) {
			rc = -ENOMEM;
		} else {
			rc = rpz_policy(z, line, owner, olen, LDNS_RR_TYPE_CNAME, target,
					strlen(target), NULL);
			free(target);
		}
	} else if ((type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) &&
		   ldns_rr_rd_count(rr) == 1) {
		const ldns_rdf *d = ldns_rr_rdf(rr, 0);
		size_t want = type == LDNS_RR_TYPE_A ? 4 : 16;
		if (ldns_rdf_size(d) != want)
			rc = reject(z, line, "bad address", text, text_len);
		else
			rc = rpz_policy(z, line, owner, olen, type, NULL, 0, ldns_rdf_data(d));
	} else if (type == LDNS_RR_TYPE_SOA || type == LDNS_RR_TYPE_NS) {
		rc = skip(z, line, "SOA or NS record below the zone apex", text, text_len);
	} else {
		rc = skip(z, line, "record type not used by RPZ policies here", text, text_len);
	}
	ldns_rr_free(rr);
	return rc;
}

/*
 * One record: `rec` is NUL-terminated, comments and parentheses removed.
 * `blank_owner` when the record started with a blank (previous owner).
 */
static int rpz_record(struct rpz *z, uint32_t line, char *rec, size_t len, bool blank_owner)
{
	struct tok t[FZ_RPZ_TOKENS];
	size_t nt = 0, i = 0;
	bool quotes = false, escapes = false, more = false;

	while (i < len) {
		while (i < len && fz_is_space(rec[i]))
			i++;
		if (i >= len)
			break;
		size_t st = i;
		if (rec[i] == '"') {
			quotes = true;
			i++;
			while (i < len && rec[i] != '"')
				i += rec[i] == '\\' ? 2 : 1;
			i++;
			if (i > len)
				i = len;
		} else {
			while (i < len && !fz_is_space(rec[i])) {
				if (rec[i] == '\\' || rec[i] == '"')
					escapes = true;
				i++;
			}
		}
		if (nt == FZ_RPZ_TOKENS) {
			more = true;
			break;
		}
		t[nt].s = rec + st;
		t[nt].len = i - st;
		nt++;
	}
	if (nt == 0)
		return 0;

	/* The owner. */
	char owner[FZ_RPZ_OWNER_MAX];
	size_t olen = 0;
	bool apex;
	size_t k = 0;
	if (blank_owner) {
		if (z->prev_bad)
			return reject(z, line, "the owner this record continues was refused", rec,
				      len);
		apex = z->have_prev ? z->prev_apex : true;
		if (!apex) {
			memcpy(owner, z->prev, z->prev_len);
			olen = z->prev_len;
		}
	} else {
		const char *why = owner_resolve(z, t[0].s, t[0].len, &apex, owner, &olen);
		if (why) {
			int rc = local_flush(z);
			if (rc < 0)
				return rc;
			z->prev_bad = true;
			return reject(z, line, why, t[0].s, t[0].len);
		}
		k = 1;
		z->prev_bad = false;
		z->have_prev = true;
		z->prev_apex = apex;
		memcpy(z->prev, owner, olen);
		z->prev_len = olen;
	}
	const char *rest = k < nt ? t[k].s : rec + len;

	/* [ttl] [class] in either order. */
	bool other_class = false;
	for (int n = 0; n < 2 && k < nt; n++) {
		if (is_ttl(&t[k])) {
			k++;
		} else if (is_class(&t[k])) {
			other_class = !fz_eq_nocase(t[k].s, t[k].len, "in");
			k++;
		}
	}
	if (k >= nt)
		return reject(z, line, "record without a type", rec, len);
	const struct tok *type = &t[k];
	size_t nrd = nt - k - 1;
	const struct tok *rd = &t[k + 1];

	/* A different owner ends the local data being gathered. */
	bool is_addr =
	    fz_eq_nocase(type->s, type->len, "a") || fz_eq_nocase(type->s, type->len, "aaaa");
	if (z->naddr &&
	    (!is_addr || apex || olen != z->local_len || memcmp(owner, z->local_name, olen) != 0)) {
		int rc = local_flush(z);
		if (rc < 0)
			return rc;
	}
	if (other_class)
		return skip(z, line, "record class is not IN", rec, len);

	/* SOA at the apex names the origin when there is no $ORIGIN. */
	if (!z->have_origin && !blank_owner && fz_eq_nocase(type->s, type->len, "soa") &&
	    t[0].len > 1 && t[0].s[t[0].len - 1] == '.') {
		if (set_origin(z, t[0].s, t[0].len) == FZ_NAME_OK) {
			apex = true;
			z->prev_apex = true;
		}
	}

	if (!quotes && !escapes && !more) {
		if (fz_eq_nocase(type->s, type->len, "ns")) {
			if (nrd != 1)
				return reject(z, line, "NS record needs one name", rec, len);
			if (apex)
				return 0;
			return skip(z, line, "SOA or NS record below the zone apex", rec, len);
		}
		if (fz_eq_nocase(type->s, type->len, "cname") && !apex) {
			if (nrd != 1)
				return reject(z, line, "CNAME record needs one target", rec, len);
			return rpz_policy(z, line, owner, olen, LDNS_RR_TYPE_CNAME, rd->s, rd->len,
					  NULL);
		}
		if (is_addr && !apex) {
			char buf[INET6_ADDRSTRLEN + 1];
			uint8_t a[16];
			bool v6 = type->len == 4;
			if (nrd != 1 || rd->len >= sizeof(buf))
				return reject(z, line, "bad address", rec, len);
			memcpy(buf, rd->s, rd->len);
			buf[rd->len] = '\0';
			if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, a) != 1)
				return reject(z, line, "bad address", rec, len);
			return rpz_policy(z, line, owner, olen,
					  v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A, NULL, 0, a);
		}
	}
	return rpz_ldns(z, line, apex, owner, olen, rest, rec, len);
}

/* ---- lines ------------------------------------------------------------------ */

static int rpz_directive(struct rpz *z, uint32_t line, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && !fz_is_space(s[i]))
		i++;
	const char *arg = s + i;
	size_t alen = len - i;
	fz_trim(&arg, &alen);
	/* one argument; a comment may follow */
	size_t a = 0;
	while (a < alen && !fz_is_space(arg[a]) && arg[a] != ';')
		a++;

	if (fz_eq_nocase(s, i, "$origin")) {
		if (a == 0)
			return reject(z, line, "$ORIGIN without a name", s, len);
		int rc = local_flush(z);
		if (rc < 0)
			return rc;
		int st = set_origin(z, arg, a);
		if (st != FZ_NAME_OK)
			return reject(z, line, fz_name_strerror(st), s, len);
		return 0;
	}
	if (fz_eq_nocase(s, i, "$ttl")) {
		struct tok t = {arg, a};
		if (!is_ttl(&t))
			return reject(z, line, "$TTL without a valid time", s, len);
		return 0;
	}
	if (fz_eq_nocase(s, i, "$include"))
		return reject(z, line, "$INCLUDE is refused: a feed must be a single file", s, len);
	return reject(z, line, "unknown zone file directive", s, len);
}

/*
 * Copy a line into the record buffer without its comment, turning
 * parentheses (outside quotes) into blanks and tracking their depth.
 * Returns false on an unbalanced ')'.
 */
static bool rec_append(char *rec, size_t *rlen, const char *s, size_t len, int *depth)
{
	bool quoted = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < len) {
			rec[(*rlen)++] = c;
			rec[(*rlen)++] = s[++i];
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == ';')
			break;
		else if (!quoted && (c == '(' || c == ')')) {
			*depth += c == '(' ? 1 : -1;
			if (*depth < 0)
				return false;
			c = ' ';
		}
		rec[(*rlen)++] = c;
	}
	rec[(*rlen)++] = ' ';
	return true;
}

int fz_parse_rpz(const uint8_t *d, size_t n, const struct fz_parse_opts *o,
		 struct fz_parse_result *r)
{
	struct fz_lines it;
	const char *s;
	size_t len;
	int rc = 0;

	struct rpz *z = calloc(1, sizeof(*z));
	char *rec = malloc(FZ_RPZ_RECORD_MAX + 2);
	if (!z || !rec) {
		free(z);
		free(rec);
		return -ENOMEM;
	}
	z->r = r;
	z->o = o;

	size_t rlen = 0;
	int depth = 0;
	unsigned rec_lines = 0;
	uint32_t rec_line = 0;
	bool blank_owner = false, bad_rec = false;

	fz_lines_init(&it, d, n);
	while (rc >= 0 && fz_lines_next(&it, &s, &len)) {
		if (depth == 0) {
			/* A new record (or directive, or nothing). */
			const char *t = s;
			size_t tl = len;
			fz_trim(&t, &tl);
			if (tl == 0 || t[0] == ';')
				continue;
			if (memchr(s, '\0', len)) {
				rc = reject(z, it.lineno, "NUL byte in a zone file line", t, tl);
				continue;
			}
			if (s[0] == '$') {
				rc = rpz_directive(z, it.lineno, t, tl);
				continue;
			}
			rlen = 0;
			rec_lines = 0;
			rec_line = it.lineno;
			blank_owner = fz_is_space(s[0]);
			bad_rec = false;
		} else if (memchr(s, '\0', len)) {
			if (!bad_rec)
				rc = reject(z, it.lineno, "NUL byte in a zone file line", s, len);
			bad_rec = true;
		}
		rec_lines++;
		if (!bad_rec) {
			if (len + 2 > FZ_RPZ_RECORD_MAX - rlen) {
				rc = reject(z, rec_line, "record longer than 4096 bytes", s, len);
				bad_rec = true;
			} else if (!rec_append(rec, &rlen, s, len, &depth)) {
				rc = reject(z, it.lineno, "unbalanced ')'", s, len);
				bad_rec = true;
				depth = 0;
			}
		} else {
			/* Still follow the parentheses to find where the record ends. */
			for (size_t i = 0; i < len; i++) {
				if (s[i] == ';')
					break;
				depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
			}
			if (depth < 0)
				depth = 0;
		}
		if (depth > 0 && rec_lines >= FZ_RPZ_RECORD_LINES) {
			if (!bad_rec)
				rc = reject(z, rec_line, "'(' not closed within 64 lines", s, len);
			bad_rec = true;
			depth = 0;
		}
		if (depth > 0 || rc < 0)
			continue;
		if (!bad_rec) {
			rec[rlen] = '\0';
			rc = rpz_record(z, rec_line, rec, rlen, blank_owner);
		}
	}
	if (rc >= 0 && depth > 0 && !bad_rec)
		rc = reject(z, rec_line, "'(' not closed at the end of the file", rec, rlen);
	if (rc >= 0)
		rc = local_flush(z);
	if (z->ldns_origin)
		ldns_rdf_deep_free(z->ldns_origin);
	free(z);
	free(rec);
	return rc == -E2BIG ? 0 : rc;
}
