/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "fz_rule.h"

static const char *const category_names[FZ_CAT_COUNT] = {
    [FZ_CAT_FRAUD] = "fraud",	    [FZ_CAT_PHISHING] = "phishing", [FZ_CAT_MALWARE] = "malware",
    [FZ_CAT_GAMBLING] = "gambling", [FZ_CAT_DOH] = "doh",	    [FZ_CAT_CUSTOM] = "custom",
};

const char *fz_category_name(enum fz_category c)
{
	if ((unsigned)c >= FZ_CAT_COUNT)
		return "unknown";
	return category_names[c];
}

int fz_category_parse(const char *name)
{
	for (int i = 0; i < FZ_CAT_COUNT; i++)
		if (strcmp(name, category_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *fz_match_name(enum fz_match m)
{
	switch (m) {
	case FZ_MATCH_EXACT:
		return "exact";
	case FZ_MATCH_SUBTREE:
		return "subtree";
	default:
		return "default";
	}
}

int fz_match_parse(const char *name)
{
	if (strcmp(name, "exact") == 0)
		return FZ_MATCH_EXACT;
	if (strcmp(name, "subtree") == 0)
		return FZ_MATCH_SUBTREE;
	if (strcmp(name, "default") == 0)
		return FZ_MATCH_DEFAULT;
	return -EINVAL;
}

const char *fz_policy_name(enum fz_policy p)
{
	switch (p) {
	case FZ_POLICY_NXDOMAIN:
		return "nxdomain";
	case FZ_POLICY_NODATA:
		return "nodata";
	case FZ_POLICY_LOCAL:
		return "local-data";
	default:
		return "default";
	}
}
