/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS messages on the wire (RFC 1035, EDNS RFC 6891, EDE RFC 8914),
 * written by hand for the resolver's hot path: no allocation, every read
 * bounded by the message length, names bounded by 255 wire octets and
 * compression pointers followed only backwards.
 *
 * Compression: a pointer must point before the first byte of the labels
 * read since the last jump (or since the start of the name), and the labels
 * read from there must end before that run too. A pointer into a run would
 * read the same labels again forever, so this rule alone ends every walk;
 * the 128-jump limit is a second, explicit bound. Everything a pointer
 * reaches thus lies before the name, as a compressor writes it. Pointers
 * into the 12-byte header are refused. In a reply, a name reached through
 * a pointer must not read any record's type/class/TTL/length bytes: no
 * compressor writes that, and aging (which rewrites TTLs) could otherwise
 * change a name after the reply was checked.
 */
#include <errno.h>
#include <string.h>

#include "fz_dnsmsg.h"

#define F_QR	 0x8000u
#define F_OPCODE 0x7800u
#define F_AA	 0x0400u
#define F_TC	 0x0200u
#define F_RD	 0x0100u
#define F_RA	 0x0080u
#define F_CD	 0x0010u
#define F_RCODE	 0x000fu

#define EDNS_DO	      0x8000u
#define OPT_CODE_EDE  15
#define OPT_RR_FIXED  11 /* root owner, type, class, ttl, rdlength */
#define EDE_FIXED     6	 /* option code, length, INFO-CODE */
#define RR_FIXED      10 /* type, class, ttl, rdlength (after the owner) */
#define MAX_JUMPS     128
#define NAME_SUBST    0x7f /* shown for '.' and NUL inside a label */
#define TTL_MAX_VALID 0x7fffffffu

/*
 * Where the fixed fields (type, class, TTL, rdlength) of the records read so
 * far are, in order. Only the ones a pointer can reach are kept: a pointer
 * holds 14 bits and a name read from there spans at most 255 octets.
 */
#define FIXED_REACH (0x4000 + FZ_DNS_WIRE_NAME)
#define FIXED_MAX   (FIXED_REACH / (1 + 10) + 1)

struct fixed_fields {
	uint16_t start[FIXED_MAX];
	size_t n;
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* RFC 2181 section 8: a TTL with the top bit set counts as zero. */
static inline uint32_t ttl_value(uint32_t ttl)
{
	return ttl > TTL_MAX_VALID ? 0 : ttl;
}

/* Does [a, b) overlap the fixed fields of a record? */
static bool fixed_overlap(const struct fixed_fields *fx, size_t a, size_t b)
{
	size_t lo = 0, hi = fx->n;

	/* the last record whose fields start before b */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fx->start[mid] < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && (size_t)fx->start[lo - 1] + RR_FIXED > a;
}

/*
 * Read the name at `off` into `wire` (uncompressed, ASCII lowercased, the
 * root label included, at most FZ_DNS_WIRE_NAME octets). *ret_next is the
 * offset just past the name's own bytes at `off` (after its first pointer,
 * or its root label). Pointers only when `allow_ptr`; with `fx`, the bytes
 * reached through them must not be fixed fields of a record.
 */
static int name_read(const uint8_t *msg, size_t len, size_t off, bool allow_ptr,
		     const struct fixed_fields *fx, uint8_t wire[FZ_DNS_WIRE_NAME],
		     size_t *ret_wlen, size_t *ret_next)
{
	/* the bytes of a run (labels read since a jump) end before the previous run */
	size_t pos = off, run = off, limit = len, wlen = 0, next = 0;
	unsigned jumps = 0;

	for (;;) {
		uint8_t c;

		if (pos >= limit)
			return -EBADMSG;
		c = msg[pos];
		if (c == 0) {
			if (jumps && fx && fixed_overlap(fx, pos, pos + 1))
				return -EBADMSG;
			wire[wlen++] = 0;
			if (!jumps)
				next = pos + 1;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (!allow_ptr || limit - pos < 2 ||
			    (jumps && fx && fixed_overlap(fx, pos, pos + 2)))
				return -EBADMSG;
			target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (target >= run || target < FZ_DNS_HEADER || ++jumps > MAX_JUMPS)
				return -EBADMSG;
			if (jumps == 1)
				next = pos + 2;
			limit = run;
			pos = run = target;
			continue;
		}
		if (c > FZ_LABEL_MAX) /* 0x40 and 0x80: extended label types */
			return -EBADMSG;
		/* the label, and at least the root label after it */
		if (limit - pos - 1 < c || wlen + 1 + c + 1 > FZ_DNS_WIRE_NAME)
			return -EBADMSG;
		if (jumps && fx && fixed_overlap(fx, pos, pos + 1 + (size_t)c))
			return -EBADMSG;
		wire[wlen++] = c;
		for (size_t i = 1; i <= c; i++)
			wire[wlen++] = lower(msg[pos + i]);
		pos += 1 + (size_t)c;
	}
	*ret_wlen = wlen;
	*ret_next = next;
	return 0;
}

/* Presentation form of a valid wire name; at most FZ_NAME_MAX characters. */
static size_t wire_to_text(const uint8_t *wire, char out[FZ_NAME_BUF])
{
	size_t i = 0, n = 0;

	while (wire[i]) {
		size_t l = wire[i++];

		if (n)
			out[n++] = '.';
		for (size_t k = 0; k < l; k++, i++) {
			uint8_t c = wire[i];

			out[n++] = (char)(c == '.' || c == 0 ? NAME_SUBST : c);
		}
	}
	out[n] = '\0';
	return n;
}

/* Skip a name without reading it (walks stored, already checked messages). */
static int name_skip(const uint8_t *msg, size_t len, size_t *pos)
{
	size_t p = *pos;

	for (;;) {
		uint8_t c;

		if (p >= len)
			return -EBADMSG;
		c = msg[p];
		if (c == 0) {
			*pos = p + 1;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {
			if (len - p < 2)
				return -EBADMSG;
			*pos = p + 2;
			return 0;
		}
		if (c > FZ_LABEL_MAX)
			return -EBADMSG;
		p += 1 + (size_t)c;
	}
}

int fz_dns_name_at(const uint8_t *msg, size_t len, size_t off, char out[FZ_NAME_BUF],
		   size_t *ret_len, size_t *ret_next)
{
	uint8_t wire[FZ_DNS_WIRE_NAME];
	size_t wlen, next, n;

	if (!msg || name_read(msg, len, off, true, NULL, wire, &wlen, &next) < 0)
		return -EBADMSG;
	n = wire_to_text(wire, out);
	if (ret_len)
		*ret_len = n;
	if (ret_next)
		*ret_next = next;
	return 0;
}

/* --- queries ------------------------------------------------------------ */

/* The OPT record of a query at *pos (the whole additional section). */
static enum fz_dns_verdict query_opt(const uint8_t *msg, size_t len, size_t *pos,
				     struct fz_dns_query *q)
{
	size_t p = *pos, rdlen, end;
	uint16_t udp;
	uint8_t ext, version;

	if (len - p < OPT_RR_FIXED || msg[p] != 0 || rd16(msg + p + 1) != FZ_DNS_TYPE_OPT)
		return FZ_DNS_FORMERR;
	udp = rd16(msg + p + 3);
	ext = msg[p + 5];
	version = msg[p + 6];
	rdlen = rd16(msg + p + 9);
	p += OPT_RR_FIXED;
	if (rdlen > len - p || ext != 0)
		return FZ_DNS_FORMERR;
	end = p + rdlen;
	/* options of version 0 must tile the rdata; a later version's are not ours to read */
	while (version == 0 && p < end) {
		size_t olen;

		if (end - p < 4)
			return FZ_DNS_FORMERR;
		olen = rd16(msg + p + 2);
		p += 4;
		if (olen > end - p)
			return FZ_DNS_FORMERR;
		p += olen;
	}
	q->has_edns = true;
	q->udp_size = udp < 512 ? 512 : udp;
	q->do_bit = (rd16(msg + *pos + 7) & EDNS_DO) != 0;
	q->edns_version = version;
	*pos = end;
	return FZ_DNS_OK;
}

enum fz_dns_verdict fz_dns_query_parse(const uint8_t *msg, size_t len, struct fz_dns_query *q)
{
	size_t pos, wlen;
	enum fz_dns_verdict v;

	if (!msg || len < FZ_DNS_HEADER)
		return FZ_DNS_DROP;
	if (msg[2] & (F_QR >> 8))
		return FZ_DNS_DROP;
	q->id = rd16(msg);
	q->flags = rd16(msg + 2);
	q->qname_len = 0;
	q->name[0] = '\0';
	q->name_len = 0;
	q->qtype = q->qclass = 0;
	q->has_edns = false;
	q->udp_size = 512;
	q->do_bit = false;
	q->edns_version = 0;
	q->question_end = 0;
	if (q->flags & F_OPCODE)
		return FZ_DNS_NOTIMP;
	if (rd16(msg + 4) != 1)
		return FZ_DNS_FORMERR;

	if (name_read(msg, len, FZ_DNS_HEADER, false, NULL, q->qname, &wlen, &pos) < 0 ||
	    len - pos < 4)
		return FZ_DNS_FORMERR;
	q->qname_len = wlen;
	q->name_len = wire_to_text(q->qname, q->name);
	q->qtype = rd16(msg + pos);
	q->qclass = rd16(msg + pos + 2);
	pos += 4;
	q->question_end = pos;

	/* a query carries no answer or authority records, and one OPT at most */
	if (rd16(msg + 6) != 0 || rd16(msg + 8) != 0 || rd16(msg + 10) > 1)
		return FZ_DNS_FORMERR;
	if (rd16(msg + 10) == 1) {
		v = query_opt(msg, len, &pos, q);
		if (v != FZ_DNS_OK)
			return v;
	}
	if (pos != len)
		return FZ_DNS_FORMERR;
	return q->has_edns && q->edns_version != 0 ? FZ_DNS_BADVERS : FZ_DNS_OK;
}

/* --- answers we build ----------------------------------------------------- */

static size_t put_header(uint8_t *out, uint16_t id, unsigned flags, unsigned qd, unsigned an,
			 unsigned ar)
{
	wr16(out, id);
	wr16(out + 2, flags);
	wr16(out + 4, qd);
	wr16(out + 6, an);
	wr16(out + 8, 0);
	wr16(out + 10, ar);
	return FZ_DNS_HEADER;
}

static size_t put_question(uint8_t *out, const struct fz_dns_query *q)
{
	memcpy(out, q->qname, q->qname_len);
	wr16(out + q->qname_len, q->qtype);
	wr16(out + q->qname_len + 2, q->qclass);
	return q->qname_len + 4;
}

/* Bytes of `text` that fit in `room`, not cutting a UTF-8 sequence. */
static size_t ede_text_fit(const char *text, size_t room)
{
	size_t n;

	if (!text)
		return 0;
	n = strnlen(text, room + 1);
	if (n <= room)
		return n;
	n = room;
	while (n > 0 && ((uint8_t)text[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/*
 * Our OPT record: UDP size FZ_DNS_UDP_PAYLOAD, version 0, the DO bit copied
 * (RFC 3225), the high bits of the rcode, and an EDE option when ede_code
 * >= 0 with `text_len` bytes of text.
 */
static size_t put_opt(uint8_t *out, bool do_bit, unsigned rcode, int ede_code, const char *text,
		      size_t text_len)
{
	size_t rdlen = ede_code >= 0 ? EDE_FIXED + text_len : 0;

	out[0] = 0;
	wr16(out + 1, FZ_DNS_TYPE_OPT);
	wr16(out + 3, FZ_DNS_UDP_PAYLOAD);
	out[5] = (uint8_t)(rcode >> 4);
	out[6] = 0;
	wr16(out + 7, do_bit ? EDNS_DO : 0);
	wr16(out + 9, (unsigned)rdlen);
	if (ede_code >= 0) {
		wr16(out + 11, OPT_CODE_EDE);
		wr16(out + 13, (unsigned)(2 + text_len));
		wr16(out + 15, (unsigned)ede_code);
		if (text_len)
			memcpy(out + 17, text, text_len);
	}
	return OPT_RR_FIXED + rdlen;
}

/* Room for the EDE text after `used` bytes and the OPT with the option's fixed part. */
static size_t ede_room(size_t used, size_t cap)
{
	if (cap > FZ_DNS_MAX_MSG)
		cap = FZ_DNS_MAX_MSG;
	return cap - used - OPT_RR_FIXED - EDE_FIXED;
}

size_t fz_dns_answer_block(const struct fz_dns_query *q, enum fz_dns_block_action action,
			   const struct fz_dns_sinkhole *addrs, size_t naddrs, uint32_t ttl,
			   uint16_t ede_code, const char *ede_text, uint8_t *out, size_t cap)
{
	unsigned rcode = FZ_DNS_RCODE_NOERROR, family = 0, nans = 0;
	size_t need, n, text_len = 0;

	if (!q || !out || q->qname_len == 0 || q->qname_len > FZ_DNS_WIRE_NAME)
		return 0;
	if (action == FZ_DNS_BLOCK_NXDOMAIN)
		rcode = FZ_DNS_RCODE_NXDOMAIN;
	else if (action == FZ_DNS_BLOCK_SINKHOLE && q->qclass == FZ_DNS_CLASS_IN)
		family = q->qtype == FZ_DNS_TYPE_A ? 4 : q->qtype == FZ_DNS_TYPE_AAAA ? 6 : 0;
	if (family) {
		for (size_t i = 0; i < naddrs; i++)
			nans += addrs[i].family == family;
		if (nans > FZ_DNS_MAX_MSG / 16)
			return 0;
	}

	need = FZ_DNS_HEADER + q->qname_len + 4 + nans * (2 + RR_FIXED + (family == 6 ? 16 : 4));
	if (q->has_edns)
		need += OPT_RR_FIXED + EDE_FIXED;
	if (need > cap || need > FZ_DNS_MAX_MSG)
		return 0;
	if (q->has_edns)
		text_len = ede_text_fit(ede_text, ede_room(need - OPT_RR_FIXED - EDE_FIXED, cap));

	n = put_header(out, q->id, F_QR | F_RA | (q->flags & (F_RD | F_CD)) | rcode, 1, nans,
		       q->has_edns ? 1 : 0);
	n += put_question(out + n, q);
	for (size_t i = 0; family && i < naddrs; i++) {
		size_t alen = family == 6 ? 16 : 4;

		if (addrs[i].family != family)
			continue;
		wr16(out + n, 0xc000 | FZ_DNS_HEADER); /* the question's name */
		wr16(out + n + 2, q->qtype);
		wr16(out + n + 4, FZ_DNS_CLASS_IN);
		wr32(out + n + 6, ttl);
		wr16(out + n + 10, (unsigned)alen);
		memcpy(out + n + 12, addrs[i].addr, alen);
		n += 12 + alen;
	}
	if (q->has_edns)
		n += put_opt(out + n, q->do_bit, 0, ede_code, ede_text, text_len);
	return n;
}

size_t fz_dns_answer_error(const uint8_t *msg, size_t len, const struct fz_dns_query *q,
			   uint8_t rcode, int ede_code, const char *ede_text, uint8_t *out,
			   size_t cap)
{
	bool question =
	    q && q->question_end != 0 && q->qname_len != 0 && q->qname_len <= FZ_DNS_WIRE_NAME;
	bool edns = q && q->has_edns;
	uint16_t id, flags;
	size_t need, n, text_len = 0;

	if (!out)
		return 0;
	if (msg && len >= FZ_DNS_HEADER) {
		id = rd16(msg);
		flags = rd16(msg + 2);
	} else if (q) {
		id = q->id;
		flags = q->flags;
	} else {
		return 0;
	}
	if (rcode > F_RCODE && !edns)
		return 0;
	if (ede_code > 0xffff || !edns)
		ede_code = -1;

	need = FZ_DNS_HEADER + (question ? q->qname_len + 4 : 0);
	if (edns)
		need += OPT_RR_FIXED + (ede_code >= 0 ? EDE_FIXED : 0);
	if (need > cap)
		return 0;
	if (ede_code >= 0)
		text_len = ede_text_fit(ede_text, ede_room(need - OPT_RR_FIXED - EDE_FIXED, cap));

	n = put_header(out, id,
		       F_QR | F_RA | (flags & (F_OPCODE | F_RD | F_CD)) | (rcode & F_RCODE),
		       question ? 1 : 0, 0, edns ? 1 : 0);
	if (question)
		n += put_question(out + n, q);
	if (edns)
		n += put_opt(out + n, q->do_bit, rcode, ede_code, ede_text, text_len);
	return n;
}

size_t fz_dns_build_query(const struct fz_dns_query *q, uint16_t id, uint8_t *out, size_t cap)
{
	size_t n;

	if (!q || !out || q->qname_len == 0 || q->qname_len > FZ_DNS_WIRE_NAME ||
	    FZ_DNS_HEADER + q->qname_len + 4 + OPT_RR_FIXED > cap)
		return 0;
	n = put_header(out, id, F_RD | (q->flags & F_CD), 1, 0, 1);
	n += put_question(out + n, q);
	n += put_opt(out + n, q->do_bit, 0, -1, NULL, 0);
	return n;
}

/* --- replies from upstream ------------------------------------------------- */

static bool qname_equal(const uint8_t *wire, size_t wlen, const struct fz_dns_query *q)
{
	if (wlen != q->qname_len)
		return false;
	for (size_t i = 0; i < wlen; i++)
		if (wire[i] != lower(q->qname[i]))
			return false;
	return true;
}

/* A name in rdata [*pos, end): decoded into `wire`, *pos moved past it. */
static int rdata_name(const uint8_t *msg, size_t end, size_t *pos, const struct fixed_fields *fx,
		      uint8_t wire[FZ_DNS_WIRE_NAME])
{
	size_t wlen, next;

	/* reading within `end` keeps the name's own bytes inside the rdata */
	if (name_read(msg, end, *pos, true, fx, wire, &wlen, &next) < 0)
		return -EBADMSG;
	*pos = next;
	return 0;
}

static void add_chain(struct fz_dns_reply *r, const uint8_t *wire)
{
	if (r->n_chain == FZ_DNS_MAX_CHAIN) {
		r->overflow = true;
		return;
	}
	wire_to_text(wire, r->chain[r->n_chain++]);
}

static void add_addr(struct fz_dns_reply *r, uint8_t family, const uint8_t *a, size_t alen)
{
	struct fz_dns_sinkhole *s;

	if (r->n_addrs == FZ_DNS_MAX_ADDRS) {
		r->overflow = true;
		return;
	}
	s = &r->addrs[r->n_addrs++];
	memset(s, 0, sizeof(*s));
	s->family = family;
	memcpy(s->addr, a, alen);
}

int fz_dns_reply_parse(const uint8_t *msg, size_t len, const struct fz_dns_query *q, uint16_t id,
		       struct fz_dns_reply *r)
{
	uint8_t wire[FZ_DNS_WIRE_NAME];
	size_t wlen, pos;
	uint16_t flags, count[3];
	uint32_t min_all = UINT32_MAX, min_an = UINT32_MAX, soa_neg = UINT32_MAX;
	unsigned rcode;
	bool positive = false, have_soa = false, have_opt = false;
	struct fixed_fields fx;

	if (!msg || !q || len < FZ_DNS_HEADER)
		return -EBADMSG;
	flags = rd16(msg + 2);
	if (rd16(msg) != id || !(flags & F_QR) || (flags & F_OPCODE) || rd16(msg + 4) != 1)
		return -ENOMSG;
	if (name_read(msg, len, FZ_DNS_HEADER, true, NULL, wire, &wlen, &pos) < 0 || len - pos < 4)
		return -EBADMSG;
	if (!qname_equal(wire, wlen, q) || rd16(msg + pos) != q->qtype ||
	    rd16(msg + pos + 2) != q->qclass)
		return -ENOMSG;
	pos += 4;

	rcode = flags & F_RCODE;
	count[0] = rd16(msg + 6);
	count[1] = rd16(msg + 8);
	count[2] = rd16(msg + 10);
	r->id = id;
	r->tc = (flags & F_TC) != 0;
	r->aa = (flags & F_AA) != 0;
	r->ancount = count[0];
	r->nscount = count[1];
	r->arcount = count[2];
	r->n_chain = 0;
	r->n_addrs = 0;
	r->overflow = false;
	r->negative = false;
	r->ttl = UINT32_MAX;
	fx.n = 0;
	/* truncated: only the question matters, the client or we retry over TCP */
	if (r->tc) {
		r->rcode = (uint8_t)rcode;
		return 0;
	}

	for (unsigned sec = 0; sec < 3; sec++) {
		for (unsigned i = 0; i < count[sec]; i++) {
			size_t rd, end;
			uint16_t type, rclass, rdlen;
			uint32_t ttl;

			if (name_read(msg, len, pos, true, &fx, wire, &wlen, &pos) < 0 ||
			    len - pos < RR_FIXED)
				return -EBADMSG;
			if (pos < FIXED_REACH && fx.n < FIXED_MAX)
				fx.start[fx.n++] = (uint16_t)pos;
			type = rd16(msg + pos);
			rclass = rd16(msg + pos + 2);
			ttl = rd32(msg + pos + 4);
			rdlen = rd16(msg + pos + 8);
			pos += RR_FIXED;
			if (rdlen > len - pos)
				return -EBADMSG;
			rd = pos;
			end = pos + rdlen;
			pos = end;

			if (type == FZ_DNS_TYPE_OPT) {
				/* one, in the additional section, owned by the root */
				if (sec != 2 || have_opt || wlen != 1)
					return -EBADMSG;
				have_opt = true;
				rcode |= (unsigned)(ttl >> 24) << 4;
				continue;
			}
			ttl = ttl_value(ttl);
			if (sec < 2 && ttl < min_all)
				min_all = ttl;
			if (sec == 0) {
				if (ttl < min_an)
					min_an = ttl;
				if (type == q->qtype || q->qtype == FZ_DNS_TYPE_ANY ||
				    type == FZ_DNS_TYPE_CNAME || type == FZ_DNS_TYPE_DNAME)
					positive = true;
				if (type == FZ_DNS_TYPE_CNAME || type == FZ_DNS_TYPE_DNAME) {
					if (rdata_name(msg, end, &rd, &fx, wire) < 0 || rd != end)
						return -EBADMSG;
					add_chain(r, wire);
				} else if (rclass == FZ_DNS_CLASS_IN && type == FZ_DNS_TYPE_A) {
					if (rdlen != 4)
						return -EBADMSG;
					add_addr(r, 4, msg + rd, 4);
				} else if (rclass == FZ_DNS_CLASS_IN && type == FZ_DNS_TYPE_AAAA) {
					if (rdlen != 16)
						return -EBADMSG;
					add_addr(r, 6, msg + rd, 16);
				}
			} else if (sec == 1 && type == FZ_DNS_TYPE_SOA) {
				uint32_t neg;

				if (rdata_name(msg, end, &rd, &fx, wire) < 0 ||
				    rdata_name(msg, end, &rd, &fx, wire) < 0 || end - rd != 20)
					return -EBADMSG;
				neg = ttl_value(rd32(msg + rd + 16)); /* MINIMUM */
				if (ttl < neg)
					neg = ttl;
				if (neg < soa_neg)
					soa_neg = neg;
				have_soa = true;
			}
		}
	}

	r->rcode = (uint8_t)(rcode > 0xff ? 0xff : rcode);
	r->negative =
	    rcode == FZ_DNS_RCODE_NXDOMAIN || (rcode == FZ_DNS_RCODE_NOERROR && !positive);
	if (!r->negative)
		r->ttl = min_all;
	else if (have_soa)
		r->ttl = soa_neg < min_an ? soa_neg : min_an;
	return 0;
}

/* --- stored replies ------------------------------------------------------- */

/*
 * Walk the question and the records of a message. With `elapsed_ttl`,
 * count every TTL but OPT's down by *elapsed_ttl. When `opt` is given,
 * report where the first OPT record is (*opt_len 0 when none). Returns the
 * offset after the last record, or 0 when the message does not hold what
 * its counts say. `qend` gets the offset after the question section (left
 * alone when the questions cannot be read).
 */
static size_t walk(uint8_t *msg, size_t len, const uint32_t *elapsed_ttl, size_t *qend,
		   size_t *opt_off, size_t *opt_len)
{
	size_t pos = FZ_DNS_HEADER, nrr, first_ar;
	unsigned qd = rd16(msg + 4);

	for (unsigned i = 0; i < qd; i++) {
		if (name_skip(msg, len, &pos) < 0 || len - pos < 4)
			return 0;
		pos += 4;
	}
	if (qend)
		*qend = pos;
	nrr = (size_t)rd16(msg + 6) + rd16(msg + 8) + rd16(msg + 10);
	first_ar = (size_t)rd16(msg + 6) + rd16(msg + 8);
	for (size_t i = 0; i < nrr; i++) {
		size_t start = pos, rdlen;
		uint16_t type;

		if (name_skip(msg, len, &pos) < 0 || len - pos < RR_FIXED)
			return 0;
		type = rd16(msg + pos);
		rdlen = rd16(msg + pos + 8);
		if (rdlen > len - pos - RR_FIXED)
			return 0;
		if (elapsed_ttl && type != FZ_DNS_TYPE_OPT) {
			uint32_t ttl = ttl_value(rd32(msg + pos + 4));

			wr32(msg + pos + 4, ttl > *elapsed_ttl ? ttl - *elapsed_ttl : 0);
		}
		pos += RR_FIXED + rdlen;
		if (opt_off && i >= first_ar && type == FZ_DNS_TYPE_OPT && *opt_len == 0) {
			*opt_off = start;
			*opt_len = pos - start;
		}
	}
	return pos;
}

int fz_dns_reply_age(uint8_t *msg, size_t len, uint16_t id, uint32_t elapsed)
{
	if (!msg || len < FZ_DNS_HEADER)
		return -EBADMSG;
	/* check the whole walk first: nothing changes in a message we refuse */
	if (walk(msg, len, NULL, NULL, NULL, NULL) == 0)
		return -EBADMSG;
	walk(msg, len, &elapsed, NULL, NULL, NULL);
	wr16(msg, id);
	return 0;
}

size_t fz_dns_truncate(uint8_t *msg, size_t len, size_t max)
{
	size_t qend = 0, opt_off = 0, opt_len = 0, n;
	unsigned qd, ar = 0;

	if (!msg || len <= max)
		return len;
	if (len < FZ_DNS_HEADER || max < FZ_DNS_HEADER)
		return 0;
	/* an OPT is kept only from a readable message, and only with its root owner */
	if (walk(msg, len, NULL, &qend, &opt_off, &opt_len) == 0 || (opt_len && msg[opt_off] != 0))
		opt_len = 0;
	qd = rd16(msg + 4);
	if (qend == 0 || qend > max) {
		qend = FZ_DNS_HEADER;
		qd = 0;
	}
	n = qend;
	if (opt_len && n + opt_len <= max) {
		memmove(msg + n, msg + opt_off, opt_len);
		n += opt_len;
		ar = 1;
	}
	msg[2] |= F_TC >> 8;
	wr16(msg + 4, qd);
	wr16(msg + 6, 0);
	wr16(msg + 8, 0);
	wr16(msg + 10, ar);
	return n;
}
