/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PLACEHOLDER until the reader lands. */
#include <errno.h>
#include "fz_blocklist.h"
int fz_blocklist_open(const char *path, struct fz_blocklist **ret, char *errbuf, size_t errlen) { return -ENOSYS; }
int fz_blocklist_refresh(struct fz_blocklist *bl, char *errbuf, size_t errlen) { return -ENOSYS; }
int fz_blocklist_watch_fd(struct fz_blocklist *bl) { return -1; }
int fz_blocklist_watch_start(struct fz_blocklist *bl, unsigned poll_ms, fz_blocklist_cb cb, void *userdata) { return -ENOSYS; }
void fz_blocklist_watch_stop(struct fz_blocklist *bl) { }
void fz_blocklist_close(struct fz_blocklist *bl) { }
int fz_bl_reader_register(struct fz_blocklist *bl, struct fz_bl_reader **ret) { return -ENOSYS; }
void fz_bl_reader_unregister(struct fz_bl_reader *r) { }
const struct fz_blmap *fz_bl_read_begin(struct fz_bl_reader *r) { return 0; }
void fz_bl_read_end(struct fz_bl_reader *r) { }
const struct fz_blmap *fz_blocklist_current(const struct fz_blocklist *bl) { return 0; }
enum fz_verdict fz_blmap_lookup(const struct fz_blmap *m, const char *name, size_t len, struct fz_match_info *info) { return FZ_VERDICT_NONE; }
enum fz_verdict fz_blmap_lookup_url(const struct fz_blmap *m, const char *host, size_t host_len, const char *path, size_t path_len, struct fz_match_info *info) { return FZ_VERDICT_NONE; }
enum fz_verdict fz_blmap_lookup_ip(const struct fz_blmap *m, int family, const uint8_t *addr, struct fz_match_info *info) { return FZ_VERDICT_NONE; }
void fz_blmap_info(const struct fz_blmap *m, struct fz_bl_info *info) { }
int fz_blmap_feed(const struct fz_blmap *m, unsigned id, struct fz_bl_feed_info *info) { return -ENOENT; }
uint64_t fz_blmap_generation(const struct fz_blmap *m) { return 0; }
int fz_blmap_from_memory(const uint8_t *data, size_t len, struct fz_blmap **ret, char *errbuf, size_t errlen) { return -ENOSYS; }
void fz_blmap_free(struct fz_blmap *m) { }
