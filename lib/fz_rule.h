/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vocabulary shared by parsers, the compiler and the readers: what a rule
 * is (a name, a URL prefix or an address range), what it does, and which
 * category of harm it stands for.
 */
#ifndef FZ_RULE_H
#define FZ_RULE_H

#include <stdint.h>

enum fz_rule_kind {
	FZ_RULE_NAME = 0,
	FZ_RULE_URL = 1,
	FZ_RULE_IP = 2,
};

enum fz_action {
	FZ_ACTION_BLOCK = 0,
	FZ_ACTION_ALLOW = 1,
};

/* How much of the name space a name rule covers. */
enum fz_match {
	FZ_MATCH_DEFAULT = 0, /* as the format says (parsers never emit this) */
	FZ_MATCH_EXACT = 1,   /* exactly this name */
	FZ_MATCH_SUBTREE = 2, /* this name and everything below it */
};

/* What the DNS side answers for a blocked name (RPZ can say which). */
enum fz_policy {
	FZ_POLICY_DEFAULT = 0, /* the resolver's configured action for the category */
	FZ_POLICY_NXDOMAIN = 1,
	FZ_POLICY_NODATA = 2,
	FZ_POLICY_LOCAL = 3, /* answer with local data (sinkhole addresses) */
};

enum fz_category {
	FZ_CAT_FRAUD = 0,
	FZ_CAT_PHISHING,
	FZ_CAT_MALWARE,
	FZ_CAT_GAMBLING,
	FZ_CAT_DOH,
	FZ_CAT_CUSTOM,
	FZ_CAT_COUNT,
};

const char *fz_category_name(enum fz_category c);
/* Returns the category for `name`, or -EINVAL. */
int fz_category_parse(const char *name);
const char *fz_match_name(enum fz_match m);
int fz_match_parse(const char *name);
const char *fz_policy_name(enum fz_policy p);

#endif
