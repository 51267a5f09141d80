/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: fz_feedstate_parse() over arbitrary bytes (the meta files
 * in the state directory). A refused input leaves the output untouched;
 * an accepted one has NUL-terminated, bounded texts and a known result,
 * formats without error, and the formatted text parses back to the same
 * state and formats to the same bytes again (the format is canonical).
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_feedstate.h"

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	FZ_FUZZ_CHECK(n < cap);
}

static bool same_state(const struct fz_feed_state *a, const struct fz_feed_state *b)
{
	return a->has_good == b->has_good && memcmp(a->sha256, b->sha256, 32) == 0 &&
	       a->size == b->size && a->entries == b->entries && a->fetched_at == b->fetched_at &&
	       strcmp(a->etag, b->etag) == 0 && strcmp(a->last_modified, b->last_modified) == 0 &&
	       a->attempted_at == b->attempted_at && a->result == b->result &&
	       strcmp(a->error, b->error) == 0 && a->failures == b->failures;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_feed_state st, ref, back;
	static char buf[8192], again[8192];
	int rc, n, m;

	memset(&st, 0xa5, sizeof(st));
	memcpy(&ref, &st, sizeof(st));
	rc = fz_feedstate_parse(data, size, &st);
	FZ_FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc != 0) {
		FZ_FUZZ_CHECK(memcmp(&st, &ref, sizeof(st)) == 0);
		return 0;
	}
	check_text(st.etag, sizeof(st.etag));
	check_text(st.last_modified, sizeof(st.last_modified));
	check_text(st.error, sizeof(st.error));
	FZ_FUZZ_CHECK(st.result >= FZ_FEED_NEVER && st.result <= FZ_FEED_FAILED);
	FZ_FUZZ_CHECK(strcmp(fz_feed_result_name(st.result), "unknown") != 0);

	/* Round trip: format, parse, same state; format again, same bytes. */
	n = fz_feedstate_format(&st, buf, sizeof(buf));
	FZ_FUZZ_CHECK(n > 0 && (size_t)n < sizeof(buf));
	FZ_FUZZ_CHECK(strlen(buf) == (size_t)n);
	/* The longest meta (every text at its bound, fully escaped) fits 4096. */
	FZ_FUZZ_CHECK(n < 4096);
	memset(&back, 0x3c, sizeof(back));
	FZ_FUZZ_CHECK(fz_feedstate_parse((const uint8_t *)buf, (size_t)n, &back) == 0);
	FZ_FUZZ_CHECK(same_state(&st, &back));
	m = fz_feedstate_format(&back, again, sizeof(again));
	FZ_FUZZ_CHECK(m == n && memcmp(buf, again, (size_t)n) == 0);
	/* Too small a buffer is refused, never overrun. */
	FZ_FUZZ_CHECK(fz_feedstate_format(&st, again, (size_t)n) == -ENOSPC);
	return 0;
}
