/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow table. Entries live in one array of max_flows, linked by uint32
 * indexes: a chained hash (buckets, `hnext`), a free list (also `hnext`),
 * and two recency lists (`lru_prev`/`lru_next`), one for flows still
 * collecting and one for decided tombstones. Each list is ordered by last
 * packet time, so expiry walks a list from its tail and stops at the first
 * fresh flow, each list with its own timeout; the table's least recently
 * used flow (evicted when the table is full) is the older of the two tails.
 *
 * The bucket of a flow is a keyed hash of its 5-tuple with the two
 * endpoints put in a fixed order, so both directions find it; the key is
 * random per table, so outsiders cannot aim collisions at a chain.
 *
 * Memory: every flow is charged its stream buffer, and, for QUIC, the
 * state plus its CRYPTO stream's full cap (reserved when the state is
 * allocated, since the QUIC reader grows it on its own): the charged total
 * never exceeds max_bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "fz_flow.h"
#include "fz_hash.h"

#define NONE		 UINT32_MAX
#define FLOW_MAX_ENTRIES (1u << 26)
#define REASM_CAP_MAX	 (1u << 20)
#define REASM_FIRST	 2048u	/* fz_reasm's first allocation */
#define REBASE_MAX	 65536u /* how far before offset 0 a reordered first segment may be */
/*
 * Reordering moves the first few segments; a re-base copies what is held
 * (up to collect_max), so it is not done for a flow's later segments: a
 * client cannot make every packet cost a copy of the stream.
 */
#define REBASE_SEGS 16

enum { LIST_COLLECTING = 0, LIST_DECIDED = 1 };

struct flow_list {
	uint32_t head, tail; /* head: most recent */
};

/*
 * An accepted flow after its entry is gone (fz_flow_decide_forget): 16
 * bytes in a direct-mapped array indexed by the tuple's hash, so a packet
 * that was already queued when the flow was decided finds the verdict
 * without a tombstone in the table. A newer flow on the same slot simply
 * takes it over.
 */
struct flow_recent {
	uint64_t tag; /* tuple hash, low 16 bits replaced by verdict and proto; 0 = empty */
	uint32_t ms;  /* when decided (low 32 bits of the clock) */
	uint32_t seq; /* TCP: the client's next sequence number then */
};
#define RECENT_VP_MASK 0xffffull
/* TCP: a packet of the same connection is this close to the decision's sequence number */
#define RECENT_SEQ_WINDOW (1u << 20)

struct fz_flowtab {
	struct fz_flowtab_cfg cfg;
	struct fz_flow *ents;
	uint64_t *charged; /* bytes charged per entry */
	uint32_t *buckets;
	struct flow_recent *recent; /* mask + 1 slots */
	uint32_t mask;
	uint32_t high; /* entries [0, high) have been handed out at least once */
	uint32_t free_head;
	struct flow_list lists[2];
	struct fz_hkey key;
	struct fz_flowtab_stats st;
	fz_flow_drop_cb drop_cb;
	void *drop_arg;
};

void fz_flowtab_cfg_defaults(struct fz_flowtab_cfg *cfg)
{
	cfg->max_flows = 65536;
	cfg->max_bytes = 64ull << 20;
	cfg->collect_max = 16384;
	cfg->idle_timeout_ms = 30000;
	cfg->decided_timeout_ms = 10000;
}

static inline uint32_t flow_idx(const struct fz_flowtab *t, const struct fz_flow *f)
{
	return (uint32_t)(f - t->ents);
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * memcmp(a, b, 16)'s order (bytes as big-endian numbers), inline: the
 * library call was a tenth of a new flow's lookup.
 */
static inline int addr_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x = __builtin_bswap64(load64(a)), y = __builtin_bswap64(load64(b));

	if (x == y) {
		x = __builtin_bswap64(load64(a + 8));
		y = __builtin_bswap64(load64(b + 8));
	}
	return (x > y) - (x < y);
}

/* The keyed hash of a tuple, the same for both directions. */
static uint64_t tuple_hash(const struct fz_hkey *k, uint8_t family, uint8_t proto, const uint8_t *a,
			   uint16_t ap, const uint8_t *b, uint16_t bp)
{
	int c = addr_cmp(a, b);
	const uint8_t *lo = a, *hi = b;
	uint16_t lop = ap, hip = bp;
	uint64_t h;

	if (c > 0 || (c == 0 && ap > bp)) {
		lo = b, hi = a;
		lop = bp, hip = ap;
	}
	h = fz_hash_mum(k->k0 ^ ((uint64_t)family | (uint64_t)proto << 8 | (uint64_t)lop << 16 |
				 (uint64_t)hip << 32),
			k->k1 ^ 0x9e3779b97f4a7c15ull);
	h = fz_hash_mum(h ^ load64(lo), k->k1 ^ 0xa0761d6478bd642full);
	h = fz_hash_mum(h ^ load64(lo + 8), k->k0 ^ 0xe7037ed1a0b428dbull);
	h = fz_hash_mum(h ^ load64(hi), k->k1 ^ 0x8ebc6af09c88c6e3ull);
	h = fz_hash_mum(h ^ load64(hi + 8), k->k0 ^ 0x589965cc75374cc3ull);
	return h;
}

static uint32_t flow_bucket(const struct fz_flowtab *t, const struct fz_flow_key *key)
{
	return (uint32_t)tuple_hash(&t->key, key->family, key->proto, key->caddr, key->cport,
				    key->saddr, key->sport) &
	       t->mask;
}

/* --- recency lists ---------------------------------------------------------- */

static void list_unlink(struct fz_flowtab *t, struct fz_flow *f)
{
	struct flow_list *l = &t->lists[f->state == FZ_FLOW_DECIDED];

	if (f->lru_prev != NONE)
		t->ents[f->lru_prev].lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != NONE)
		t->ents[f->lru_next].lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NONE;
}

static void list_push_head(struct fz_flowtab *t, struct fz_flow *f)
{
	struct flow_list *l = &t->lists[f->state == FZ_FLOW_DECIDED];
	uint32_t i = flow_idx(t, f);

	f->lru_prev = NONE;
	f->lru_next = l->head;
	if (l->head != NONE)
		t->ents[l->head].lru_prev = i;
	else
		l->tail = i;
	l->head = i;
}

/* --- memory account --------------------------------------------------------- */

static uint64_t flow_charge(const struct fz_flow *f)
{
	uint64_t c = fz_reasm_bytes(&f->stream);

	if (f->quic) {
		size_t q = fz_reasm_bytes(&f->quic->crypto);

		c += sizeof(struct fz_quic_state) +
		     (q > FZ_QUIC_CRYPTO_MAX ? q : FZ_QUIC_CRYPTO_MAX);
	}
	return c;
}

static void flow_recharge(struct fz_flowtab *t, struct fz_flow *f)
{
	uint32_t i = flow_idx(t, f);
	uint64_t c = flow_charge(f);

	t->st.bytes = t->st.bytes - t->charged[i] + c;
	t->charged[i] = c;
}

static void flow_free_buffers(struct fz_flowtab *t, struct fz_flow *f)
{
	fz_reasm_free(&f->stream);
	if (f->quic) {
		fz_quic_state_free(f->quic);
		free(f->quic);
		f->quic = NULL;
	}
	flow_recharge(t, f);
}

/* --- table ------------------------------------------------------------------ */

static void key_init(struct fz_hkey *k)
{
	uint8_t seed[16];
	size_t got = 0;

	while (got < sizeof(seed)) {
		ssize_t r = getrandom(seed + got, sizeof(seed) - got, GRND_NONBLOCK);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < sizeof(seed)) {
		/* early boot without entropy yet: still unpredictable enough from outside */
		struct timespec ts[2];
		uint64_t a = (uint64_t)(uintptr_t)k, b;

		clock_gettime(CLOCK_MONOTONIC, &ts[0]);
		clock_gettime(CLOCK_REALTIME, &ts[1]);
		b = (uint64_t)ts[0].tv_nsec ^ (uint64_t)ts[1].tv_nsec << 20 ^
		    (uint64_t)ts[1].tv_sec;
		a = fz_hash_mum(a ^ 0x2d358dccaa6c78a5ull, b ^ 0x8bb84b93962eacc9ull);
		for (size_t i = 0; i < 8; i++) {
			seed[i] ^= (uint8_t)(a >> (8 * i));
			seed[8 + i] ^= (uint8_t)(b >> (8 * i));
		}
	}
	k->k0 = load64(seed);
	k->k1 = load64(seed + 8);
}

int fz_flowtab_new(const struct fz_flowtab_cfg *cfg, struct fz_flowtab **ret)
{
	struct fz_flowtab *t;
	uint32_t nb = 16;

	if (!cfg || cfg->max_flows == 0 || cfg->max_flows > FLOW_MAX_ENTRIES ||
	    cfg->collect_max > REASM_CAP_MAX)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cfg = *cfg;
	while (nb < cfg->max_flows)
		nb *= 2;
	t->mask = nb - 1;
	/* calloc: pages of entries never used are never touched */
	t->ents = calloc(cfg->max_flows, sizeof(*t->ents));
	t->charged = calloc(cfg->max_flows, sizeof(*t->charged));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	t->recent = calloc(nb, sizeof(*t->recent));
	if (!t->ents || !t->charged || !t->buckets || !t->recent) {
		free(t->ents);
		free(t->charged);
		free(t->buckets);
		free(t->recent);
		free(t);
		return -ENOMEM;
	}
	memset(t->buckets, 0xff, (size_t)nb * sizeof(*t->buckets));
	t->free_head = NONE;
	for (int l = 0; l < 2; l++)
		t->lists[l].head = t->lists[l].tail = NONE;
	key_init(&t->key);
	*ret = t;
	return 0;
}

void fz_flowtab_set_drop_cb(struct fz_flowtab *t, fz_flow_drop_cb cb, void *arg)
{
	t->drop_cb = cb;
	t->drop_arg = arg;
}

/* Take the entry out of the table; `notify`: call the drop callback first. */
static void flow_release(struct fz_flowtab *t, struct fz_flow *f, bool notify)
{
	uint32_t i = flow_idx(t, f);
	uint32_t *pp;

	if (notify && t->drop_cb)
		t->drop_cb(f, t->drop_arg);
	flow_free_buffers(t, f);
	for (pp = &t->buckets[flow_bucket(t, &f->key)]; *pp != NONE; pp = &t->ents[*pp].hnext)
		if (*pp == i) {
			*pp = f->hnext;
			break;
		}
	list_unlink(t, f);
	f->hnext = t->free_head;
	t->free_head = i;
	t->st.flows--;
}

void fz_flowtab_free(struct fz_flowtab *t)
{
	if (!t)
		return;
	for (int l = 0; l < 2; l++)
		while (t->lists[l].head != NONE)
			flow_release(t, &t->ents[t->lists[l].head], true);
	free(t->ents);
	free(t->charged);
	free(t->buckets);
	free(t->recent);
	free(t);
}

void fz_flowtab_remove(struct fz_flowtab *t, struct fz_flow *f)
{
	flow_release(t, f, false);
}

/* The least recently used flow of the table: the older of the two tails. */
static struct fz_flow *flow_lru(struct fz_flowtab *t)
{
	uint32_t a = t->lists[LIST_COLLECTING].tail, b = t->lists[LIST_DECIDED].tail;

	if (a == NONE)
		return b == NONE ? NULL : &t->ents[b];
	if (b == NONE)
		return &t->ents[a];
	return t->ents[b].last_ms < t->ents[a].last_ms ? &t->ents[b] : &t->ents[a];
}

static struct fz_flow *flow_alloc(struct fz_flowtab *t)
{
	uint32_t i;

	if (t->free_head != NONE) {
		i = t->free_head;
		t->free_head = t->ents[i].hnext;
	} else if (t->high < t->cfg.max_flows) {
		i = t->high++;
	} else {
		struct fz_flow *old = flow_lru(t);

		if (!old)
			return NULL;
		flow_release(t, old, true);
		t->st.evicted++;
		i = t->free_head;
		t->free_head = t->ents[i].hnext;
	}
	return &t->ents[i];
}

struct fz_flow *fz_flowtab_lookup(struct fz_flowtab *t, const struct fz_pkt *p, uint64_t now_ms,
				  bool create, bool *from_client)
{
	size_t alen = p->family == 6 ? 16 : 4;
	uint8_t src[16] = {0}, dst[16] = {0};
	struct fz_flow *f;
	bool fwd = true;
	uint32_t b;

	/* only the address bytes of the family count (IPv4: the first 4) */
	memcpy(src, p->src, alen);
	memcpy(dst, p->dst, alen);
	b = (uint32_t)tuple_hash(&t->key, p->family, p->proto, src, p->sport, dst, p->dport) &
	    t->mask;
	/* a new flow's next stop is its fz_flowtab_recent slot: fetch it alongside */
	__builtin_prefetch(&t->recent[b]);

	for (uint32_t i = t->buckets[b]; i != NONE; i = t->ents[i].hnext) {
		f = &t->ents[i];
		if (f->key.family != p->family || f->key.proto != p->proto)
			continue;
		if (f->key.cport == p->sport && f->key.sport == p->dport &&
		    memcmp(f->key.caddr, src, 16) == 0 && memcmp(f->key.saddr, dst, 16) == 0) {
			fwd = true;
			goto found;
		}
		if (f->key.cport == p->dport && f->key.sport == p->sport &&
		    memcmp(f->key.caddr, dst, 16) == 0 && memcmp(f->key.saddr, src, 16) == 0) {
			fwd = false;
			goto found;
		}
	}
	if (!create)
		return NULL;

	f = flow_alloc(t);
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->key.family = p->family;
	f->key.proto = p->proto;
	f->key.cport = p->sport;
	f->key.sport = p->dport;
	memcpy(f->key.caddr, src, 16);
	memcpy(f->key.saddr, dst, 16);
	f->first_ms = f->last_ms = now_ms;
	f->state = FZ_FLOW_COLLECTING;
	fz_reasm_init(&f->stream, t->cfg.collect_max);
	f->c2s_pkts = 1;
	f->hnext = t->buckets[b];
	t->buckets[b] = flow_idx(t, f);
	t->charged[flow_idx(t, f)] = 0;
	list_push_head(t, f);
	t->st.flows++;
	t->st.created++;
	if (from_client)
		*from_client = true;
	return f;

found:
	if (now_ms > f->last_ms)
		f->last_ms = now_ms;
	if (fwd)
		f->c2s_pkts++;
	else
		f->s2c_pkts++;
	list_unlink(t, f);
	list_push_head(t, f);
	if (from_client)
		*from_client = fwd;
	return f;
}

void fz_flow_decide(struct fz_flowtab *t, struct fz_flow *f, uint8_t verdict)
{
	flow_free_buffers(t, f);
	f->verdict = verdict;
	if (f->state != FZ_FLOW_DECIDED) {
		list_unlink(t, f);
		f->state = FZ_FLOW_DECIDED;
		list_push_head(t, f);
	}
}

/* The note of a flow with tuple hash h (see fz_flow_decide_forget). */
static void note_put(struct fz_flowtab *t, uint64_t h, uint8_t verdict, uint8_t proto, uint64_t ms,
		     const struct fz_pkt *p)
{
	struct flow_recent *r = &t->recent[h & t->mask];

	r->tag = (h & ~RECENT_VP_MASK) | (uint64_t)verdict << 8 | proto | (1ull << 16);
	r->ms = (uint32_t)ms;
	r->seq = 0;
	if (p && p->proto == 6)
		r->seq = p->seq + (uint32_t)p->payload_len;
}

void fz_flow_decide_forget(struct fz_flowtab *t, struct fz_flow *f, const struct fz_pkt *p,
			   uint8_t verdict)
{
	const struct fz_flow_key *k = &f->key;
	uint64_t h =
	    tuple_hash(&t->key, k->family, k->proto, k->caddr, k->cport, k->saddr, k->sport);

	note_put(t, h, verdict, f->proto, f->last_ms, k->proto == 6 ? p : NULL);
	flow_release(t, f, false);
}

void fz_flowtab_note(struct fz_flowtab *t, const struct fz_pkt *p, uint64_t now_ms, uint8_t verdict,
		     uint8_t proto)
{
	size_t alen = p->family == 6 ? 16 : 4;
	uint8_t src[16] = {0}, dst[16] = {0};

	memcpy(src, p->src, alen);
	memcpy(dst, p->dst, alen);
	note_put(t, tuple_hash(&t->key, p->family, p->proto, src, p->sport, dst, p->dport), verdict,
		 proto, now_ms, p);
}

bool fz_flowtab_recent(struct fz_flowtab *t, const struct fz_pkt *p, uint64_t now_ms,
		       uint8_t *verdict, uint8_t *proto)
{
	size_t alen = p->family == 6 ? 16 : 4;
	uint8_t src[16] = {0}, dst[16] = {0};
	struct flow_recent *r;
	uint64_t h;

	memcpy(src, p->src, alen);
	memcpy(dst, p->dst, alen);
	h = tuple_hash(&t->key, p->family, p->proto, src, p->sport, dst, p->dport) | (1ull << 16);
	r = &t->recent[h & t->mask];
	if (r->tag == 0 || ((r->tag ^ h) & ~RECENT_VP_MASK) != 0 ||
	    (uint32_t)now_ms - r->ms > t->cfg.decided_timeout_ms)
		return false;
	/*
	 * TCP: a new connection that reuses the tuple (the kernel gives it a
	 * new conntrack entry, without our mark) starts at an unrelated
	 * sequence number and is read afresh. Only the client's packets count.
	 */
	if (p->proto == 6 &&
	    (uint32_t)(p->seq - r->seq + RECENT_SEQ_WINDOW) >= 2 * RECENT_SEQ_WINDOW)
		return false;
	/* the note follows the flow, as a tombstone's last packet time would */
	r->ms = (uint32_t)now_ms;
	if (p->proto == 6 && (uint32_t)(p->seq + (uint32_t)p->payload_len - r->seq) < (1u << 31))
		r->seq = p->seq + (uint32_t)p->payload_len;
	*verdict = (uint8_t)(r->tag >> 8);
	*proto = (uint8_t)r->tag;
	return true;
}

/* What fz_reasm_add will have allocated after holding offsets below `end` (<= cap). */
static uint32_t reasm_alloc_after(const struct fz_reasm *r, uint32_t end)
{
	uint32_t want;

	if (end <= r->alloc)
		return r->alloc;
	want = r->alloc ? r->alloc : REASM_FIRST;
	while (want < end && want < r->cap)
		want = want > UINT32_MAX / 2 ? UINT32_MAX : want * 2;
	return want > r->cap ? r->cap : want;
}

static const uint8_t empty_stream[1];

/* Move the bytes held `by` bytes up the stream (offset 0 moves back by `by`). */
static int flow_rebase(struct fz_flowtab *t, struct fz_flow *f, uint32_t by)
{
	const struct fz_reasm *r = &f->stream;
	uint32_t cap = r->cap, last = 0;
	struct fz_reasm next;

	fz_reasm_init(&next, cap);
	if (r->n_ranges) {
		uint64_t e = (uint64_t)r->ranges[r->n_ranges - 1].end + by;

		last = e > cap ? cap : (uint32_t)e;
	}
	/* the new buffer, before the old one goes */
	if (t->st.bytes + reasm_alloc_after(&next, last) > t->cfg.max_bytes + r->alloc) {
		t->st.mem_refused++;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < r->n_ranges; i++) {
		uint32_t start = r->ranges[i].start, end = r->ranges[i].end;
		int rc;

		if (start + (uint64_t)by >= cap)
			break;
		if (end + (uint64_t)by > cap)
			end = cap - by;
		rc = fz_reasm_add(&next, start + by, r->data + start, end - start);
		if (rc < 0) {
			fz_reasm_free(&next);
			return rc;
		}
	}
	fz_reasm_free(&f->stream);
	f->stream = next;
	flow_recharge(t, f);
	return 0;
}

int fz_flow_tcp_data(struct fz_flowtab *t, struct fz_flow *f, const struct fz_pkt *p,
		     const uint8_t **stream, size_t *stream_len)
{
	const uint8_t *data = p->payload;
	size_t n = p->payload_len;
	uint32_t seq = p->seq, rel, cap = f->stream.cap;
	int rc = 0;

	if (f->state != FZ_FLOW_COLLECTING)
		goto out;
	if (p->tcp_flags & FZ_TCP_SYN) {
		/* the first SYN (or a retransmission of it) fixes offset 0 */
		if (!f->saw_syn && f->stream.n_ranges == 0) {
			f->saw_syn = true;
			f->have_isn = true;
			f->isn = seq + 1;
		}
		seq++; /* data on a SYN (TCP Fast Open) follows the SYN's number */
	}
	if (n == 0 && !f->have_isn &&
	    (p->tcp_flags & (FZ_TCP_SYN | FZ_TCP_ACK | FZ_TCP_RST | FZ_TCP_FIN)) == FZ_TCP_ACK) {
		/*
		 * The handshake's last ACK carries the client's next sequence
		 * number: offset 0. The rules do not queue bare SYNs, so this
		 * is how a flow usually learns it.
		 */
		f->have_isn = true;
		f->isn = seq;
	}
	if (n == 0)
		goto out;
	if (f->data_segs < UINT8_MAX)
		f->data_segs++;
	if (!f->have_isn) {
		f->have_isn = true;
		f->isn_from_data = true;
		f->isn = seq;
	}
	rel = seq - f->isn;
	if (rel >= 0x80000000u && f->isn_from_data && f->data_segs <= REBASE_SEGS &&
	    f->isn - seq <= REBASE_MAX && f->isn - seq < cap) {
		/* it was sent before the segment taken for offset 0: it is offset 0 */
		rc = flow_rebase(t, f, f->isn - seq);
		if (rc < 0)
			goto out;
		f->isn = seq;
		f->not_mask = 0; /* the stream starts elsewhere: every reader reads it afresh */
		rel = 0;
	}
	if (rel >= 0x80000000u) {
		/* starts before offset 0: keep the part from 0 on */
		uint32_t skip = f->isn - seq;

		if (skip >= n)
			goto out;
		data += skip;
		n -= skip;
		rel = 0;
	}
	if (rel >= cap)
		goto out;
	{
		uint32_t end = n > (size_t)(cap - rel) ? cap : rel + (uint32_t)n;
		uint32_t grown = reasm_alloc_after(&f->stream, end);

		if (grown > f->stream.alloc &&
		    t->st.bytes + (grown - f->stream.alloc) > t->cfg.max_bytes) {
			t->st.mem_refused++;
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = fz_reasm_add(&f->stream, rel, data, n);
	if (rc > 0)
		rc = 0;
	flow_recharge(t, f);
out:
	*stream = f->stream.data ? f->stream.data : empty_stream;
	*stream_len = fz_reasm_contiguous(&f->stream);
	return rc;
}

int fz_flow_tcp_consume(struct fz_flowtab *t, struct fz_flow *f, uint32_t n)
{
	uint32_t have = fz_reasm_contiguous(&f->stream);
	struct fz_reasm next;

	if (f->state != FZ_FLOW_COLLECTING || !f->have_isn)
		return -EINVAL;
	if (n > have)
		n = have;
	fz_reasm_init(&next, f->stream.cap);
	if (have > n) {
		int r = fz_reasm_add(&next, 0, f->stream.data + n, have - n);
		if (r < 0) {
			fz_reasm_free(&next);
			return r;
		}
	}
	/* bytes past a hole are dropped: they passed already and cannot be placed */
	fz_reasm_free(&f->stream);
	f->stream = next;
	f->isn += n;		  /* offset 0 is now the first byte not consumed */
	f->isn_from_data = false; /* what came before was read: nothing to move back to */
	flow_recharge(t, f);
	return 0;
}

struct fz_quic_state *fz_flow_quic(struct fz_flowtab *t, struct fz_flow *f)
{
	if (f->quic)
		return f->quic;
	if (f->state != FZ_FLOW_COLLECTING)
		return NULL;
	if (t->st.bytes + sizeof(struct fz_quic_state) + FZ_QUIC_CRYPTO_MAX > t->cfg.max_bytes) {
		t->st.mem_refused++;
		return NULL;
	}
	f->quic = malloc(sizeof(*f->quic));
	if (!f->quic)
		return NULL;
	fz_quic_state_init(f->quic);
	flow_recharge(t, f);
	return f->quic;
}

void fz_flow_account(struct fz_flowtab *t, struct fz_flow *f)
{
	flow_recharge(t, f);
}

int fz_flow_quic_adopt(struct fz_flowtab *t, struct fz_flow *f, struct fz_quic_state *st)
{
	if (f->quic || f->state != FZ_FLOW_COLLECTING)
		return -EEXIST;
	if (t->st.bytes + sizeof(struct fz_quic_state) + FZ_QUIC_CRYPTO_MAX > t->cfg.max_bytes) {
		t->st.mem_refused++;
		return -ENOBUFS;
	}
	f->quic = malloc(sizeof(*f->quic));
	if (!f->quic)
		return -ENOMEM;
	*f->quic = *st; /* the stream's buffer is the flow's now */
	fz_quic_state_init(st);
	flow_recharge(t, f);
	return 0;
}

size_t fz_flowtab_expire(struct fz_flowtab *t, uint64_t now_ms)
{
	const uint32_t timeout[2] = {t->cfg.idle_timeout_ms, t->cfg.decided_timeout_ms};
	size_t n = 0;

	/* Each list is in last-packet order: stop at its first flow still fresh. */
	for (int l = 0; l < 2; l++) {
		while (t->lists[l].tail != NONE) {
			struct fz_flow *f = &t->ents[t->lists[l].tail];

			if (now_ms < f->last_ms || now_ms - f->last_ms < timeout[l])
				break;
			flow_release(t, f, true);
			t->st.expired++;
			n++;
		}
	}
	return n;
}

void fz_flowtab_foreach(struct fz_flowtab *t, void (*fn)(struct fz_flow *f, void *arg), void *arg)
{
	for (int l = 0; l < 2; l++) {
		uint32_t i = t->lists[l].head;

		while (i != NONE) {
			uint32_t next = t->ents[i].lru_next;

			fn(&t->ents[i], arg);
			i = next;
		}
	}
}

void fz_flowtab_stats(const struct fz_flowtab *t, struct fz_flowtab_stats *st)
{
	*st = t->st;
}
