/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The on-disk layout of a compiled blocklist (format 1), shared by the
 * writer and the reader only. Little-endian, sections 64-byte aligned.
 *
 *   header (4 KiB) | sections ... | trailer (16 bytes)
 *
 * Name keys are 64-bit fingerprints with the rule kind in the low 2 bits,
 * placed in buckets of 8 slots (one cache line); a key sits in one of two
 * buckets its fingerprint chooses (bucketized cuckoo hashing), so a probe
 * is two independent cache lines, fetched together for every suffix.
 * Everything needed to explain a hit (rule text, feeds, category, policy)
 * sits in META/STRINGS and is read only after a hit. The file is untrusted
 * input to the reader: every offset is checked before use.
 */
#ifndef FZ_BLFORMAT_H
#define FZ_BLFORMAT_H

#include <stdint.h>

#define FZ_BL_MAGIC	   "FZBLIST\x01"
#define FZ_BL_END_MAGIC	   "FZBLEND\x01"
#define FZ_BL_MAJOR	   1
#define FZ_BL_MINOR	   0
#define FZ_BL_HEADER_SIZE  4096
#define FZ_BL_ALIGN	   64
#define FZ_BL_MAX_SECTIONS 32
#define FZ_BL_SLOTS	   8 /* keys per bucket: one 64-byte line */
#define FZ_BL_MAX_FILE	   (16ull << 30)

/* Low two bits of a name key. */
enum fz_bl_keykind {
	FZ_KEY_BLOCK_SUBTREE = 0,
	FZ_KEY_BLOCK_EXACT = 1,
	FZ_KEY_ALLOW_SUBTREE = 2,
	FZ_KEY_ALLOW_EXACT = 3,
};

enum fz_bl_section_type {
	FZ_SEC_NAME_KEYS = 1,  /* u64[buckets * 8]: slots, 0 = empty */
	FZ_SEC_NAME_INDEX = 2, /* reserved (an earlier layout's index); ignored */
	FZ_SEC_NAME_META = 3,  /* struct fz_bl_meta[buckets * 8], parallel to the slots */
	FZ_SEC_URL_KEYS = 4,   /* u64[count], sorted: fingerprint of host + path prefix */
	FZ_SEC_URL_META = 5,   /* struct fz_bl_meta[count] */
	FZ_SEC_URL_HOSTS = 6,  /* u64[count], sorted: hosts that have URL rules */
	FZ_SEC_IP4 = 7,	       /* struct fz_bl_ip4[count], sorted, disjoint */
	FZ_SEC_IP6 = 8,	       /* struct fz_bl_ip6[count], sorted, disjoint */
	FZ_SEC_FEEDSETS = 9,   /* u16[]: runs of (n, id_1 .. id_n) */
	FZ_SEC_FEEDS = 10,     /* struct fz_bl_feed[count] */
	FZ_SEC_STRINGS = 11,   /* NUL-terminated strings; the section ends in NUL */
	FZ_SEC_LOCAL = 12,     /* 17-byte records: family (4/6), 16 address bytes */
	FZ_SEC_TYPE_MAX = 12,
};

struct fz_bl_section {
	uint32_t type;
	uint32_t flags;
	uint64_t offset;
	uint64_t length;
	uint64_t count;
	uint64_t checksum; /* fz_hash_bytes(type, bytes, length) */
};

struct fz_bl_header {
	char magic[8];
	uint16_t major;
	uint16_t minor;
	uint32_t header_size;
	uint64_t file_size;
	uint64_t generation;
	uint64_t created;
	uint32_t hash_alg;
	uint32_t buckets; /* name key buckets */
	uint8_t seed[16];
	uint64_t n_names, n_allow_names, n_urls, n_url_hosts, n_ip4, n_ip6, n_feeds;
	uint32_t n_sections;
	uint32_t reserved;
	struct fz_bl_section sections[FZ_BL_MAX_SECTIONS];
	uint64_t header_checksum; /* fz_hash_bytes(0, header bytes before this field) */
};

struct fz_bl_meta {
	uint32_t rule_off;    /* STRINGS offset of the rule text */
	uint32_t feedset_off; /* FEEDSETS index (in u16 units) of the run */
	uint32_t local_idx;   /* low 24 bits: first LOCAL record; high 8 bits: length of the
				 rule text (255: longer, or unknown: read it to its NUL), so a
				 lookup need not touch the strings to report the rule */
	uint8_t local_n;      /* LOCAL records */
	uint8_t policy;	      /* enum fz_policy */
	uint8_t category;     /* enum fz_category */
	uint8_t match;	      /* enum fz_match */
};

struct fz_bl_ip4 {
	uint32_t first, last; /* host order, inclusive */
	uint32_t rule_off;
	uint32_t feedset_off;
	uint8_t category;
	uint8_t pad[3];
};

struct fz_bl_ip6 {
	uint8_t first[16], last[16]; /* network order, inclusive */
	uint32_t rule_off;
	uint32_t feedset_off;
	uint8_t category;
	uint8_t pad[7];
};

struct fz_bl_feed {
	uint32_t name_off;
	uint32_t source_off;
	uint8_t category;
	uint8_t role;
	uint8_t pad[6];
	uint64_t entries;
};

struct fz_bl_trailer {
	uint64_t file_size;
	char magic[8];
};

_Static_assert(sizeof(struct fz_bl_header) <= FZ_BL_HEADER_SIZE, "header fits");
_Static_assert(sizeof(struct fz_bl_meta) == 16, "meta is 16 bytes");
_Static_assert(sizeof(struct fz_bl_ip4) == 20, "ip4 is 20 bytes");
_Static_assert(sizeof(struct fz_bl_ip6) == 48, "ip6 is 48 bytes");
_Static_assert(sizeof(struct fz_bl_feed) == 24, "feed is 24 bytes");

#define FZ_BL_LOCAL_RECORD   17
#define FZ_BL_LOCAL_IDX_MASK 0xffffffu

/*
 * The two buckets of a fingerprint, by multiply-shift range reduction of
 * two independent 32-bit parts (any bucket count, no power of two needed).
 */
static inline uint64_t fz_bl_bucket1(uint64_t fp, uint64_t buckets)
{
	return ((fp >> 32) * buckets) >> 32;
}

static inline uint64_t fz_bl_bucket2(uint64_t fp, uint64_t buckets)
{
	return (((fp >> 2) & 0xffffffffull) * buckets) >> 32;
}

#endif
