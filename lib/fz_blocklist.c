/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The blocklist reader: validate a mapping once, then answer lookups from
 * it without locks; follow the path for new generations and retire old
 * mappings once no registered reader can still hold them (a grace period
 * in the style of userspace RCU's membarrier flavour: readers only store
 * a counter, the writer pays for the barrier).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fz_blformat.h"
#include "fz_blocklist.h"
#include "fz_hash.h"

#define MAX_URL_CUTS 256

struct fz_blmap {
	const uint8_t *base;
	size_t size;
	void *mapping; /* munmap on free (mmap), or */
	void *owned;   /* free on free (an aligned copy) */
	dev_t dev;
	ino_t ino;
	uint64_t generation;
	const struct fz_bl_header *hdr;
	struct fz_hkey hk;
	uint64_t buckets;
	const uint64_t *keys; /* buckets * FZ_BL_SLOTS slots */
	const struct fz_bl_meta *meta;
	size_t n_slots, n_names;
	const uint64_t *ukeys, *uhosts;
	const struct fz_bl_meta *umeta;
	size_t n_urls, n_uhosts;
	const struct fz_bl_ip4 *ip4;
	const struct fz_bl_ip6 *ip6;
	size_t n_ip4, n_ip6;
	const uint16_t *feedsets;
	size_t n_feedsets;
	const struct fz_bl_feed *feeds;
	size_t n_feeds;
	const char *strings;
	size_t strings_len;
	const uint8_t *local;
	size_t n_local;
};

struct fz_bl_reader {
	_Atomic uint64_t ctr; /* 0 outside a read section, else the grace period seen */
	struct fz_blocklist *bl;
	char pad[64 - sizeof(uint64_t) - sizeof(void *)];
} __attribute__((aligned(64)));

struct fz_blocklist {
	char *path, *dir, *file;
	_Atomic(struct fz_blmap *) cur;
	_Atomic uint64_t gp;
	pthread_mutex_t lock; /* readers list, refresh */
	struct fz_bl_reader **readers;
	size_t n_readers, cap_readers;
	int ino_fd;
	/*
	 * What the last refused file was, so it is not re-read every poll.
	 * Inode numbers are reused once a file is gone, so the identity
	 * includes a hash of the first bytes: a new file on a recycled
	 * inode is always read.
	 */
	dev_t refused_dev;
	ino_t refused_ino;
	off_t refused_size;
	uint64_t refused_head;
	/* watcher thread */
	pthread_t watcher;
	bool watching;
	int stop_fd;
	unsigned poll_ms;
	fz_blocklist_cb cb;
	void *userdata;
};

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (!errbuf || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* --- grace periods --------------------------------------------------------- */

static pthread_once_t mb_once = PTHREAD_ONCE_INIT;
static _Atomic int mb_ok;

static void mb_init(void)
{
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
		atomic_store(&mb_ok, 1);
}

static void reader_fence(void)
{
	if (atomic_load_explicit(&mb_ok, memory_order_relaxed))
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

static void writer_fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&mb_ok))
		syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

/* Wait until no reader can still use what `cur` pointed to before. Lock held. */
static void synchronize(struct fz_blocklist *bl)
{
	uint64_t ng = atomic_load(&bl->gp) + 1;
	atomic_store(&bl->gp, ng);
	writer_fence();
	for (size_t i = 0; i < bl->n_readers; i++) {
		struct fz_bl_reader *r = bl->readers[i];
		for (;;) {
			uint64_t c = atomic_load_explicit(&r->ctr, memory_order_acquire);
			if (c == 0 || c >= ng)
				break;
			struct timespec ts = {0, 50000};
			nanosleep(&ts, NULL);
		}
	}
}

int fz_bl_reader_register(struct fz_blocklist *bl, struct fz_bl_reader **ret)
{
	struct fz_bl_reader *r = aligned_alloc(64, sizeof(*r));
	if (!r)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	atomic_init(&r->ctr, 0);
	r->bl = bl;
	pthread_mutex_lock(&bl->lock);
	if (bl->n_readers == bl->cap_readers) {
		size_t cap = bl->cap_readers ? bl->cap_readers * 2 : 16;
		struct fz_bl_reader **nr = realloc(bl->readers, cap * sizeof(*nr));
		if (!nr) {
			pthread_mutex_unlock(&bl->lock);
			free(r);
			return -ENOMEM;
		}
		bl->readers = nr;
		bl->cap_readers = cap;
	}
	bl->readers[bl->n_readers++] = r;
	pthread_mutex_unlock(&bl->lock);
	*ret = r;
	return 0;
}

void fz_bl_reader_unregister(struct fz_bl_reader *r)
{
	if (!r)
		return;
	struct fz_blocklist *bl = r->bl;
	pthread_mutex_lock(&bl->lock);
	for (size_t i = 0; i < bl->n_readers; i++)
		if (bl->readers[i] == r) {
			bl->readers[i] = bl->readers[--bl->n_readers];
			break;
		}
	pthread_mutex_unlock(&bl->lock);
	free(r);
}

const struct fz_blmap *fz_bl_read_begin(struct fz_bl_reader *r)
{
	uint64_t g = atomic_load_explicit(&r->bl->gp, memory_order_acquire);
	atomic_store_explicit(&r->ctr, g, memory_order_relaxed);
	reader_fence();
	return atomic_load_explicit(&r->bl->cur, memory_order_acquire);
}

void fz_bl_read_end(struct fz_bl_reader *r)
{
	atomic_store_explicit(&r->ctr, 0, memory_order_release);
}

const struct fz_blmap *fz_blocklist_current(const struct fz_blocklist *bl)
{
	return atomic_load_explicit(&((struct fz_blocklist *)bl)->cur, memory_order_acquire);
}

/* --- validation ------------------------------------------------------------- */

static const struct {
	size_t elem; /* bytes per counted element */
} section_elem[FZ_SEC_TYPE_MAX + 1] = {
    [FZ_SEC_NAME_KEYS] = {8},
    [FZ_SEC_NAME_INDEX] = {4},
    [FZ_SEC_NAME_META] = {sizeof(struct fz_bl_meta)},
    [FZ_SEC_URL_KEYS] = {8},
    [FZ_SEC_URL_META] = {sizeof(struct fz_bl_meta)},
    [FZ_SEC_URL_HOSTS] = {8},
    [FZ_SEC_IP4] = {sizeof(struct fz_bl_ip4)},
    [FZ_SEC_IP6] = {sizeof(struct fz_bl_ip6)},
    [FZ_SEC_FEEDSETS] = {2},
    [FZ_SEC_FEEDS] = {sizeof(struct fz_bl_feed)},
    [FZ_SEC_STRINGS] = {1},
    [FZ_SEC_LOCAL] = {FZ_BL_LOCAL_RECORD},
};

static const char *const section_names[FZ_SEC_TYPE_MAX + 1] = {
    [FZ_SEC_NAME_KEYS] = "name keys", [FZ_SEC_NAME_INDEX] = "name index",
    [FZ_SEC_NAME_META] = "name meta", [FZ_SEC_URL_KEYS] = "URL keys",
    [FZ_SEC_URL_META] = "URL meta",   [FZ_SEC_URL_HOSTS] = "URL hosts",
    [FZ_SEC_IP4] = "IPv4 ranges",     [FZ_SEC_IP6] = "IPv6 ranges",
    [FZ_SEC_FEEDSETS] = "feed sets",  [FZ_SEC_FEEDS] = "feeds",
    [FZ_SEC_STRINGS] = "strings",     [FZ_SEC_LOCAL] = "local data",
};

static int validate(struct fz_blmap *m, char *errbuf, size_t errlen)
{
	const uint8_t *d = m->base;
	size_t len = m->size;
	const struct fz_bl_header *h = (const struct fz_bl_header *)d;

	if (len < FZ_BL_HEADER_SIZE + sizeof(struct fz_bl_trailer)) {
		set_err(errbuf, errlen, "too short to be a blocklist (%zu bytes)", len);
		return -EBADMSG;
	}
	if (memcmp(h->magic, FZ_BL_MAGIC, 7) != 0) {
		set_err(errbuf, errlen, "not a fangzha blocklist (bad magic)");
		return -EBADMSG;
	}
	if (h->major != FZ_BL_MAJOR) {
		set_err(errbuf, errlen,
			"blocklist format %u.%u is not supported (this build reads %u.x)", h->major,
			h->minor, FZ_BL_MAJOR);
		return -EPROTO;
	}
	if (h->header_size != FZ_BL_HEADER_SIZE ||
	    h->header_checksum !=
		fz_hash_bytes(0, d, offsetof(struct fz_bl_header, header_checksum))) {
		set_err(errbuf, errlen, "header checksum mismatch (corrupt file)");
		return -EBADMSG;
	}
	if (h->file_size != len) {
		set_err(errbuf, errlen, "file is %zu bytes but its header says %llu (truncated?)",
			len, (unsigned long long)h->file_size);
		return -EBADMSG;
	}
	/* The trailer may sit anywhere in a foreign file: copy, don't cast. */
	struct fz_bl_trailer t;
	memcpy(&t, d + len - sizeof(t), sizeof(t));
	if (t.file_size != len || memcmp(t.magic, FZ_BL_END_MAGIC, 8) != 0) {
		set_err(errbuf, errlen, "bad trailer (truncated or overwritten file)");
		return -EBADMSG;
	}
	if (h->hash_alg != FZ_HASH_ALG_V1 || h->n_sections > FZ_BL_MAX_SECTIONS) {
		set_err(errbuf, errlen, "unknown hash algorithm or section table");
		return -EBADMSG;
	}

	const struct fz_bl_section *sec[FZ_SEC_TYPE_MAX + 1] = {0};
	uint64_t body_end = len - sizeof(struct fz_bl_trailer);
	for (uint32_t i = 0; i < h->n_sections; i++) {
		const struct fz_bl_section *s = &h->sections[i];
		if (s->type == 0 || s->type > FZ_SEC_TYPE_MAX)
			continue; /* a later minor version's section: ignore */
		const char *nm = section_names[s->type];
		if (sec[s->type]) {
			set_err(errbuf, errlen, "section '%s' appears twice", nm);
			return -EBADMSG;
		}
		if (s->offset < FZ_BL_HEADER_SIZE || s->offset % FZ_BL_ALIGN ||
		    s->offset > body_end || s->length > body_end - s->offset) {
			set_err(errbuf, errlen, "section '%s' lies outside the file", nm);
			return -EBADMSG;
		}
		if (s->count > s->length || s->count * section_elem[s->type].elem != s->length) {
			set_err(errbuf, errlen, "section '%s' has a bad size", nm);
			return -EBADMSG;
		}
		if (fz_hash_bytes(s->type, d + s->offset, s->length) != s->checksum) {
			set_err(errbuf, errlen, "section '%s' checksum mismatch (corrupt file)",
				nm);
			return -EBADMSG;
		}
		sec[s->type] = s;
	}
#define SEC_PTR(type) (sec[type] ? (const void *)(d + sec[type]->offset) : NULL)
#define SEC_N(type)   (sec[type] ? (size_t)sec[type]->count : 0)
	if (!sec[FZ_SEC_STRINGS] || !sec[FZ_SEC_STRINGS]->length) {
		set_err(errbuf, errlen, "required section missing");
		return -EBADMSG;
	}
	m->keys = SEC_PTR(FZ_SEC_NAME_KEYS);
	m->n_slots = SEC_N(FZ_SEC_NAME_KEYS);
	m->meta = SEC_PTR(FZ_SEC_NAME_META);
	m->ukeys = SEC_PTR(FZ_SEC_URL_KEYS);
	m->n_urls = SEC_N(FZ_SEC_URL_KEYS);
	m->umeta = SEC_PTR(FZ_SEC_URL_META);
	m->uhosts = SEC_PTR(FZ_SEC_URL_HOSTS);
	m->n_uhosts = SEC_N(FZ_SEC_URL_HOSTS);
	m->ip4 = SEC_PTR(FZ_SEC_IP4);
	m->n_ip4 = SEC_N(FZ_SEC_IP4);
	m->ip6 = SEC_PTR(FZ_SEC_IP6);
	m->n_ip6 = SEC_N(FZ_SEC_IP6);
	m->feedsets = SEC_PTR(FZ_SEC_FEEDSETS);
	m->n_feedsets = SEC_N(FZ_SEC_FEEDSETS);
	m->feeds = SEC_PTR(FZ_SEC_FEEDS);
	m->n_feeds = SEC_N(FZ_SEC_FEEDS);
	m->strings = SEC_PTR(FZ_SEC_STRINGS);
	m->strings_len = SEC_N(FZ_SEC_STRINGS);
	m->local = SEC_PTR(FZ_SEC_LOCAL);
	m->n_local = SEC_N(FZ_SEC_LOCAL);
#undef SEC_PTR
#undef SEC_N
	if (m->strings[m->strings_len - 1] != '\0') {
		set_err(errbuf, errlen, "strings section is not terminated");
		return -EBADMSG;
	}
	/* The slot table bounds every probe: it must be exactly buckets x 8. */
	if (m->n_slots != (uint64_t)h->buckets * FZ_BL_SLOTS ||
	    (m->meta ? sec[FZ_SEC_NAME_META]->count : 0) != m->n_slots ||
	    (m->umeta ? sec[FZ_SEC_URL_META]->count : 0) != m->n_urls ||
	    (m->n_urls && !m->n_uhosts) || h->n_names > m->n_slots || h->n_urls != m->n_urls ||
	    h->n_ip4 != m->n_ip4 || h->n_ip6 != m->n_ip6 || h->n_feeds != m->n_feeds) {
		set_err(errbuf, errlen, "section counts disagree with each other or the header");
		return -EBADMSG;
	}
	m->hdr = h;
	m->buckets = h->buckets;
	m->n_names = h->n_names;
	m->generation = h->generation;
	fz_hkey_init(&m->hk, h->seed);
	return 0;
}

int fz_blmap_from_memory(const uint8_t *data, size_t len, struct fz_blmap **ret, char *errbuf,
			 size_t errlen)
{
	struct fz_blmap *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if ((uintptr_t)data % 8) {
		/* Sections are read as u64/u32 arrays: keep them aligned. */
		m->owned = malloc(len ? len : 1);
		if (!m->owned) {
			free(m);
			return -ENOMEM;
		}
		memcpy(m->owned, data, len);
		data = m->owned;
	}
	m->base = data;
	m->size = len;
	int rc = validate(m, errbuf, errlen);
	if (rc < 0 || !ret) {
		fz_blmap_free(m);
		return rc;
	}
	*ret = m;
	return 0;
}

void fz_blmap_free(struct fz_blmap *m)
{
	if (!m)
		return;
	if (m->mapping)
		munmap(m->mapping, m->size);
	free(m->owned);
	free(m);
}

/*
 * After validation every page of the file is mapped (the checksums read
 * them all). Keep only what every lookup touches, the name key slots,
 * mapped; the rest (rule texts, feeds, URL and address rules a daemon may
 * never need) comes back page by page on first use from the page cache.
 * MADV_RANDOM stops the kernel mapping neighbours of each such page, so a
 * daemon's resident size follows what it really uses.
 */
static void trim_resident(struct fz_blmap *m)
{
	long pg = sysconf(_SC_PAGESIZE);
	if (pg <= 0 || !m->mapping)
		return;
	madvise(m->mapping, m->size, MADV_RANDOM);
	madvise(m->mapping, m->size, MADV_DONTNEED);
	/* Fault the key slots back in now, off the query path. */
	volatile uint8_t sink = 0;
	const uint8_t *k = (const uint8_t *)m->keys;
	size_t klen = m->n_slots * sizeof(uint64_t);
	for (size_t off = 0; k && off < klen; off += (size_t)pg)
		sink ^= k[off];
	if (k && klen)
		sink ^= k[klen - 1];
	sink ^= m->base[0];
	(void)sink;
}

static int map_file(const char *path, struct fz_blmap **ret, char *errbuf, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		set_err(errbuf, errlen, "cannot open %s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		set_err(errbuf, errlen, "cannot stat %s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)FZ_BL_HEADER_SIZE ||
	    (uint64_t)st.st_size > FZ_BL_MAX_FILE) {
		close(fd);
		set_err(errbuf, errlen, "%s: not a blocklist file (size %lld)", path,
			(long long)st.st_size);
		return -EBADMSG;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		set_err(errbuf, errlen, "cannot map %s: %s", path, strerror(e));
		return -e;
	}
	struct fz_blmap *m = calloc(1, sizeof(*m));
	if (!m) {
		munmap(p, (size_t)st.st_size);
		return -ENOMEM;
	}
	m->mapping = p;
	m->base = p;
	m->size = (size_t)st.st_size;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	char why[256];
	int rc = validate(m, why, sizeof(why));
	if (rc < 0) {
		set_err(errbuf, errlen, "%s: %s", path, why);
		fz_blmap_free(m);
		return rc;
	}
	trim_resident(m);
	*ret = m;
	return 0;
}

/* --- open / follow ---------------------------------------------------------- */

int fz_blocklist_open(const char *path, struct fz_blocklist **ret, char *errbuf, size_t errlen)
{
	pthread_once(&mb_once, mb_init);
	struct fz_blocklist *bl = calloc(1, sizeof(*bl));
	if (!bl)
		return -ENOMEM;
	bl->ino_fd = -1;
	bl->stop_fd = -1;
	bl->path = strdup(path);
	bl->dir = strdup(path);
	if (!bl->path || !bl->dir) {
		fz_blocklist_close(bl);
		return -ENOMEM;
	}
	char *slash = strrchr(bl->dir, '/');
	if (!slash) {
		free(bl->dir);
		bl->dir = strdup(".");
		bl->file = bl->path;
	} else {
		bl->file = bl->path + (slash - bl->dir) + 1;
		if (slash == bl->dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	pthread_mutex_init(&bl->lock, NULL);
	atomic_init(&bl->gp, 1);
	struct fz_blmap *m;
	int rc = map_file(path, &m, errbuf, errlen);
	if (rc < 0) {
		fz_blocklist_close(bl);
		return rc;
	}
	atomic_init(&bl->cur, m);
	/* Renames into the directory; a watch on the file would follow the old inode. */
	bl->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (bl->ino_fd >= 0 && inotify_add_watch(bl->ino_fd, bl->dir,
						 IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE |
						     IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close(bl->ino_fd);
		bl->ino_fd = -1;
	}
	*ret = bl;
	return 0;
}

int fz_blocklist_watch_fd(struct fz_blocklist *bl)
{
	return bl->ino_fd;
}

static void drain_inotify(int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

/* A hash of the first 4 KiB (the header of a real blocklist). */
static uint64_t head_hash(const char *path)
{
	uint8_t buf[FZ_BL_HEADER_SIZE];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	return n > 0 ? fz_hash_bytes(0x68656164, buf, (size_t)n) : 0;
}

int fz_blocklist_refresh(struct fz_blocklist *bl, char *errbuf, size_t errlen)
{
	int rc = 0;
	pthread_mutex_lock(&bl->lock);
	drain_inotify(bl->ino_fd);
	struct fz_blmap *cur = atomic_load(&bl->cur);
	struct stat st;
	if (stat(bl->path, &st) < 0) {
		/* Gone for now (being replaced, or removed): keep serving what we have. */
		goto out;
	}
	if (st.st_dev == cur->dev && st.st_ino == cur->ino)
		goto out;
	uint64_t head = head_hash(bl->path);
	if (st.st_dev == bl->refused_dev && st.st_ino == bl->refused_ino &&
	    st.st_size == bl->refused_size && head == bl->refused_head)
		goto out; /* already refused and said so */
	struct fz_blmap *m;
	rc = map_file(bl->path, &m, errbuf, errlen);
	if (rc == 0 && m->generation < cur->generation) {
		set_err(errbuf, errlen,
			"%s: generation %llu is older than the one in use (%llu); keeping %llu",
			bl->path, (unsigned long long)m->generation,
			(unsigned long long)cur->generation, (unsigned long long)cur->generation);
		fz_blmap_free(m);
		rc = -ESTALE;
	}
	if (rc < 0) {
		bl->refused_dev = st.st_dev;
		bl->refused_ino = st.st_ino;
		bl->refused_size = st.st_size;
		bl->refused_head = head;
		goto out;
	}
	atomic_store(&bl->cur, m);
	synchronize(bl);
	fz_blmap_free(cur);
	rc = 1;
out:
	pthread_mutex_unlock(&bl->lock);
	return rc;
}

static void *watch_main(void *arg)
{
	struct fz_blocklist *bl = arg;
	char err[512];
	for (;;) {
		struct pollfd p[2] = {{.fd = bl->stop_fd, .events = POLLIN},
				      {.fd = bl->ino_fd, .events = POLLIN}};
		int n = poll(p, bl->ino_fd >= 0 ? 2 : 1, (int)bl->poll_ms);
		if (n > 0 && (p[0].revents & POLLIN))
			break;
		err[0] = '\0';
		int rc = fz_blocklist_refresh(bl, err, sizeof(err));
		if (rc != 0 && bl->cb)
			bl->cb(bl, rc, err, bl->userdata);
	}
	return NULL;
}

int fz_blocklist_watch_start(struct fz_blocklist *bl, unsigned poll_ms, fz_blocklist_cb cb,
			     void *userdata)
{
	if (bl->watching)
		return -EALREADY;
	bl->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bl->stop_fd < 0)
		return -errno;
	bl->poll_ms = poll_ms ? poll_ms : 1000;
	bl->cb = cb;
	bl->userdata = userdata;
	int rc = pthread_create(&bl->watcher, NULL, watch_main, bl);
	if (rc) {
		close(bl->stop_fd);
		bl->stop_fd = -1;
		return -rc;
	}
	bl->watching = true;
	return 0;
}

void fz_blocklist_watch_stop(struct fz_blocklist *bl)
{
	if (!bl || !bl->watching)
		return;
	uint64_t one = 1;
	if (write(bl->stop_fd, &one, sizeof(one)) < 0) {
		/* eventfd writes only fail on overflow; the thread wakes anyway */
	}
	pthread_join(bl->watcher, NULL);
	close(bl->stop_fd);
	bl->stop_fd = -1;
	bl->watching = false;
}

void fz_blocklist_close(struct fz_blocklist *bl)
{
	if (!bl)
		return;
	fz_blocklist_watch_stop(bl);
	if (bl->ino_fd >= 0)
		close(bl->ino_fd);
	fz_blmap_free(atomic_load(&bl->cur));
	for (size_t i = 0; i < bl->n_readers; i++)
		free(bl->readers[i]);
	free(bl->readers);
	if (bl->file != bl->path || !bl->dir)
		free(bl->dir);
	else
		free(bl->dir);
	free(bl->path);
	pthread_mutex_destroy(&bl->lock);
	free(bl);
}

/* --- lookups ---------------------------------------------------------------- */

static void fill_feeds(const struct fz_blmap *m, uint32_t fs, struct fz_match_info *info)
{
	info->n_feeds = 0;
	if (fs >= m->n_feedsets)
		return;
	size_t n = m->feedsets[fs];
	if (n > m->n_feedsets - fs - 1)
		n = m->n_feedsets - fs - 1;
	info->n_feeds = (unsigned)n;
	for (size_t i = 0; i < n && i < FZ_BL_MAX_FEEDS_REPORTED; i++)
		info->feeds[i] = m->feedsets[fs + 1 + i];
}

static const char *string_at(const struct fz_blmap *m, uint32_t off, size_t *len)
{
	if (off >= m->strings_len)
		off = (uint32_t)(m->strings_len - 1);
	const char *s = m->strings + off;
	*len = strlen(s); /* the section ends in NUL: bounded */
	return s;
}

static void fill_meta(const struct fz_blmap *m, const struct fz_bl_meta *mt,
		      struct fz_match_info *info)
{
	size_t rl = mt->local_idx >> 24;
	if (rl && rl < 255 && mt->rule_off < m->strings_len && rl < m->strings_len - mt->rule_off) {
		info->rule = m->strings + mt->rule_off; /* not read here: RSS stays small */
		info->rule_len = rl;
	} else {
		info->rule = string_at(m, mt->rule_off, &info->rule_len);
	}
	info->category =
	    mt->category < FZ_CAT_COUNT ? (enum fz_category)mt->category : FZ_CAT_CUSTOM;
	info->policy =
	    mt->policy <= FZ_POLICY_LOCAL ? (enum fz_policy)mt->policy : FZ_POLICY_DEFAULT;
	fill_feeds(m, mt->feedset_off, info);
	info->n_local = 0;
	info->local = NULL;
	uint32_t li = mt->local_idx & FZ_BL_LOCAL_IDX_MASK;
	if (mt->local_n && li <= m->n_local && mt->local_n <= m->n_local - li) {
		info->n_local = mt->local_n;
		info->local = m->local + (size_t)li * FZ_BL_LOCAL_RECORD;
	}
}

/* Does the rule text (minus "*.") equal the last labels of name from `off`? */
static bool rule_matches_suffix(const struct fz_blmap *m, uint32_t rule_off, const char *name,
				size_t len, unsigned labels)
{
	size_t rlen;
	const char *r = string_at(m, rule_off, &rlen);
	if (rlen >= 2 && r[0] == '*' && r[1] == '.') {
		r += 2;
		rlen -= 2;
	}
	if (len && name[len - 1] == '.')
		len--;
	size_t start = len;
	for (unsigned l = 0; l < labels; l++) {
		if (l)
			start--; /* the dot */
		while (start > 0 && name[start - 1] != '.')
			start--;
	}
	return len - start == rlen && strncasecmp(name + start, r, rlen) == 0;
}

/*
 * Scan one bucket for keys of fingerprint `base`: the exact key wins when
 * `whole` (the query itself), else only a subtree key applies.
 */
static inline void scan_bucket(const uint64_t *slot, uint64_t base, bool whole, size_t at,
			       size_t *sub, size_t *exact)
{
	for (unsigned i = 0; i < FZ_BL_SLOTS; i++) {
		uint64_t k = slot[i];
		if ((k & ~3ull) != base)
			continue;
		unsigned kind = k & 3;
		if (kind == FZ_KEY_BLOCK_SUBTREE || kind == FZ_KEY_ALLOW_SUBTREE)
			*sub = at + i;
		else if (whole)
			*exact = at + i;
	}
}

enum fz_verdict fz_blmap_lookup(const struct fz_blmap *m, const char *name, size_t len,
				struct fz_match_info *info)
{
	uint64_t fps[FZ_MAX_LABELS];
	if (info)
		memset(info, 0, sizeof(*info));
	if (!m || !m->buckets)
		return FZ_VERDICT_NONE;
	unsigned n = fz_hash_suffixes(&m->hk, name, len, fps, FZ_MAX_LABELS);
	if (!n)
		return FZ_VERDICT_NONE;
	/* Both buckets of every suffix are fetched at once: the misses overlap. */
	for (unsigned d = 0; d < n; d++) {
		__builtin_prefetch(&m->keys[fz_bl_bucket1(fps[d], m->buckets) * FZ_BL_SLOTS]);
		__builtin_prefetch(&m->keys[fz_bl_bucket2(fps[d], m->buckets) * FZ_BL_SLOTS]);
	}
	for (unsigned d = n; d-- > 0;) {
		uint64_t base = fps[d] & ~3ull;
		size_t b1 = fz_bl_bucket1(fps[d], m->buckets) * FZ_BL_SLOTS;
		size_t b2 = fz_bl_bucket2(fps[d], m->buckets) * FZ_BL_SLOTS;
		size_t sub = SIZE_MAX, exact = SIZE_MAX;
		bool whole = d == n - 1;
		scan_bucket(m->keys + b1, base, whole, b1, &sub, &exact);
		if (b2 != b1)
			scan_bucket(m->keys + b2, base, whole, b2, &sub, &exact);
		/* an exact rule on the name itself is more specific than its subtree rule */
		size_t found = exact != SIZE_MAX ? exact : sub;
		if (found == SIZE_MAX)
			continue;
		unsigned kind = m->keys[found] & 3;
		bool allow = kind >= FZ_KEY_ALLOW_SUBTREE;
		/* Allow rules are verified by text: a crafted collision must not unblock. */
		if (allow && !rule_matches_suffix(m, m->meta[found].rule_off, name, len, d + 1))
			continue;
		enum fz_verdict v = allow ? FZ_VERDICT_ALLOW : FZ_VERDICT_BLOCK;
		if (info) {
			info->verdict = v;
			info->kind = FZ_RULE_NAME;
			info->match = (kind == FZ_KEY_BLOCK_SUBTREE || kind == FZ_KEY_ALLOW_SUBTREE)
					  ? FZ_MATCH_SUBTREE
					  : FZ_MATCH_EXACT;
			fill_meta(m, &m->meta[found], info);
		}
		return v;
	}
	return FZ_VERDICT_NONE;
}

static bool sorted_contains(const uint64_t *a, size_t n, uint64_t k, size_t *pos)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && a[lo] == k) {
		if (pos)
			*pos = lo;
		return true;
	}
	return false;
}

/* The separators of adblock's '^': anything but a letter, digit or "_-.%". */
static inline bool is_url_sep(unsigned char c)
{
	return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		 c == '_' || c == '-' || c == '.' || c == '%');
}

bool fz_blmap_url_host(const struct fz_blmap *m, const char *host, size_t host_len)
{
	if (!m || !m->n_urls)
		return false;
	uint64_t hfp = fz_hash_name(&m->hk, host, host_len);
	return hfp && sorted_contains(m->uhosts, m->n_uhosts, hfp, NULL);
}

enum fz_verdict fz_blmap_lookup_url(const struct fz_blmap *m, const char *host, size_t host_len,
				    const char *path, size_t path_len, struct fz_match_info *info)
{
	if (info)
		memset(info, 0, sizeof(*info));
	if (!m || !m->n_urls)
		return FZ_VERDICT_NONE;
	uint64_t hfp = fz_hash_name(&m->hk, host, host_len);
	if (!hfp || !sorted_contains(m->uhosts, m->n_uhosts, hfp, NULL))
		return FZ_VERDICT_NONE;
	if (path_len == 0) {
		path = "/";
		path_len = 1;
	}
	/* Fingerprint every prefix that ends on a separator; longest first wins. */
	uint64_t cuts[MAX_URL_CUTS];
	size_t nc = 0;
	uint64_t s = fz_hash_path_init(&m->hk, hfp);
	for (size_t i = 0; i < path_len; i++) {
		s = fz_hash_path_byte(s, (unsigned char)path[i]);
		size_t end = i + 1;
		if (end == path_len || is_url_sep((unsigned char)path[end]) ||
		    is_url_sep((unsigned char)path[i])) {
			if (nc == MAX_URL_CUTS) {
				/* keep the longest: shift out the oldest half */
				memmove(cuts, cuts + MAX_URL_CUTS / 2,
					(MAX_URL_CUTS / 2) * sizeof(*cuts));
				nc = MAX_URL_CUTS / 2;
			}
			cuts[nc++] = fz_hash_path_final(&m->hk, s);
		}
	}
	for (size_t c = nc; c-- > 0;) {
		size_t pos;
		if (!sorted_contains(m->ukeys, m->n_urls, cuts[c], &pos))
			continue;
		if (info) {
			info->verdict = FZ_VERDICT_BLOCK;
			info->kind = FZ_RULE_URL;
			info->match = FZ_MATCH_DEFAULT;
			fill_meta(m, &m->umeta[pos], info);
			info->policy = FZ_POLICY_DEFAULT;
		}
		return FZ_VERDICT_BLOCK;
	}
	return FZ_VERDICT_NONE;
}

enum fz_verdict fz_blmap_lookup_ip(const struct fz_blmap *m, int family, const uint8_t *addr,
				   struct fz_match_info *info)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (info)
		memset(info, 0, sizeof(*info));
	if (!m)
		return FZ_VERDICT_NONE;
	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0)
		return fz_blmap_lookup_ip(m, AF_INET, addr + 12, info);
	uint32_t rule_off = 0, fs = 0;
	uint8_t cat = 0;
	bool hit = false;
	if (family == AF_INET) {
		uint32_t x;
		memcpy(&x, addr, 4);
		x = ntohl(x);
		size_t lo = 0, hi = m->n_ip4;
		while (lo < hi) { /* first range with first > x */
			size_t mid = lo + (hi - lo) / 2;
			if (m->ip4[mid].first <= x)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && x <= m->ip4[lo - 1].last) {
			const struct fz_bl_ip4 *r = &m->ip4[lo - 1];
			hit = true;
			rule_off = r->rule_off;
			fs = r->feedset_off;
			cat = r->category;
		}
	} else if (family == AF_INET6) {
		size_t lo = 0, hi = m->n_ip6;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (memcmp(m->ip6[mid].first, addr, 16) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && memcmp(addr, m->ip6[lo - 1].last, 16) <= 0) {
			const struct fz_bl_ip6 *r = &m->ip6[lo - 1];
			hit = true;
			rule_off = r->rule_off;
			fs = r->feedset_off;
			cat = r->category;
		}
	}
	if (!hit)
		return FZ_VERDICT_NONE;
	if (info) {
		struct fz_bl_meta mt = {.rule_off = rule_off, .feedset_off = fs, .category = cat};
		info->verdict = FZ_VERDICT_BLOCK;
		info->kind = FZ_RULE_IP;
		fill_meta(m, &mt, info);
	}
	return FZ_VERDICT_BLOCK;
}

void fz_blmap_info(const struct fz_blmap *m, struct fz_bl_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!m)
		return;
	const struct fz_bl_header *h = m->hdr;
	info->version_major = h->major;
	info->version_minor = h->minor;
	info->generation = h->generation;
	info->created = h->created;
	info->file_size = m->size;
	info->n_names = m->n_names;
	info->n_allow_names = h->n_allow_names;
	info->n_urls = m->n_urls;
	info->n_url_hosts = m->n_uhosts;
	info->n_ip4 = m->n_ip4;
	info->n_ip6 = m->n_ip6;
	info->n_feeds = m->n_feeds;
	info->index_bytes = m->n_slots * 8;
	info->buckets = m->buckets;
}

int fz_blmap_feed(const struct fz_blmap *m, unsigned id, struct fz_bl_feed_info *info)
{
	if (!m || id >= m->n_feeds)
		return -ENOENT;
	const struct fz_bl_feed *f = &m->feeds[id];
	size_t l;
	info->name = string_at(m, f->name_off, &l);
	info->source = string_at(m, f->source_off, &l);
	info->category = f->category < FZ_CAT_COUNT ? (enum fz_category)f->category : FZ_CAT_CUSTOM;
	info->entries = f->entries;
	info->local = f->role != 0;
	return 0;
}

uint64_t fz_blmap_generation(const struct fz_blmap *m)
{
	return m ? m->generation : 0;
}
