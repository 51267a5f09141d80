/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PLACEHOLDER until the writer lands. */
#include <errno.h>
#include "fz_blwriter.h"
int fz_blwriter_new(struct fz_blwriter **ret) { return -ENOSYS; }
void fz_blwriter_free(struct fz_blwriter *w) { }
int fz_blwriter_add_feed(struct fz_blwriter *w, const char *name, enum fz_category category, const char *source, enum fz_feed_role role) { return -ENOSYS; }
int fz_blwriter_add_parsed(struct fz_blwriter *w, int feed, const struct fz_parse_result *res) { return -ENOSYS; }
int fz_blwriter_add_name(struct fz_blwriter *w, int feed, const char *name, size_t len, enum fz_action action, enum fz_match match, enum fz_policy policy) { return -ENOSYS; }
int fz_blwriter_write(struct fz_blwriter *w, const char *path, const struct fz_blwriter_opts *opts, struct fz_blwriter_stats *stats, char *errbuf, size_t errlen) { return -ENOSYS; }
