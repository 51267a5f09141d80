/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_events: the exact JSON line of an event, escaping of any bytes,
 * omitted fields, bounded lines, the file sink with reopen after a
 * rename, stdout, and concurrent writers (with reopens under them) that
 * produce whole lines only.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz_events.h"
#include "fz_test.h"

#define T0 1795815600123ull /* 2026-11-27T21:40:00.123Z */

static char *fmt(const struct fz_event *e, char *buf, size_t cap)
{
	int n = fz_event_format(e, buf, cap);

	CHECK(n > 0);
	if (n <= 0)
		snprintf(buf, cap, "(error %d)", n);
	else
		CHECK_INT(strlen(buf), n);
	return buf;
}

static void test_format(void)
{
	const char *feeds[] = {"a", "b"};
	struct fz_event e = {
	    .time_ms = T0,
	    .source = "dns",
	    .client = "192.0.2.7",
	    .qname = "evil.example",
	    .qtype = "A",
	    .rule = "*.evil.example",
	    .category = "fraud",
	    .feeds = feeds,
	    .n_feeds = 2,
	    .action = "nxdomain",
	    .reason = "listed",
	};
	static const char want[] =
	    "{\"time\":\"2026-11-27T21:40:00.123Z\",\"source\":\"dns\",\"client\":\"192.0.2.7\","
	    "\"qname\":\"evil.example\",\"qtype\":\"A\",\"rule\":\"*.evil.example\","
	    "\"category\":\"fraud\",\"feeds\":[\"a\",\"b\"],\"action\":\"nxdomain\","
	    "\"reason\":\"listed\"}\n";
	char buf[4096];
	int n;

	CHECK_STR(fmt(&e, buf, sizeof(buf)), want);

	/* Exactly the room for the line (no NUL), and one byte less. */
	n = fz_event_format(&e, buf, strlen(want));
	CHECK_INT(n, strlen(want));
	CHECK(memcmp(buf, want, strlen(want)) == 0);
	CHECK_INT(fz_event_format(&e, buf, strlen(want) - 1), -ENOSPC);
	CHECK_INT(fz_event_format(&e, buf, 10), -ENOSPC);

	/* NULL fields are left out, and so is an empty feed list; a NULL feed is skipped. */
	{
		const char *f3[] = {NULL, "x", NULL};
		struct fz_event m = {.time_ms = 0, .source = "nfq", .qname = "a.example"};

		CHECK_STR(fmt(&m, buf, sizeof(buf)),
			  "{\"time\":\"1970-01-01T00:00:00.000Z\",\"source\":\"nfq\","
			  "\"qname\":\"a.example\"}\n");
		m.feeds = feeds;
		m.n_feeds = 0;
		m.source = NULL;
		m.reason = "response-ip";
		CHECK_STR(fmt(&m, buf, sizeof(buf)),
			  "{\"time\":\"1970-01-01T00:00:00.000Z\",\"qname\":\"a.example\","
			  "\"reason\":\"response-ip\"}\n");
		m.feeds = f3;
		m.n_feeds = 3;
		m.time_ms = 951782400007ull; /* 2000-02-29 */
		CHECK_STR(fmt(&m, buf, sizeof(buf)),
			  "{\"time\":\"2000-02-29T00:00:00.007Z\",\"qname\":\"a.example\","
			  "\"feeds\":[\"x\"],\"reason\":\"response-ip\"}\n");
		/* An absurd clock (past year 9999) prints the epoch, never a wide year. */
		m.time_ms = UINT64_MAX;
		m.feeds = NULL;
		CHECK_STR(fmt(&m, buf, sizeof(buf)),
			  "{\"time\":\"1970-01-01T00:00:00.000Z\",\"qname\":\"a.example\","
			  "\"reason\":\"response-ip\"}\n");
	}
	CHECK_INT(fz_event_format(NULL, buf, sizeof(buf)), -EINVAL);
}

static void test_escaping(void)
{
	struct fz_event e = {.time_ms = T0};
	char buf[4096];

	/* Quotes, backslashes, every control character, DEL. */
	e.qname = "a\"b\\c\n\r\t\x01\x1f\x7f/";
	CHECK_STR(fmt(&e, buf, sizeof(buf)),
		  "{\"time\":\"2026-11-27T21:40:00.123Z\",\"qname\":\"a\\\"b\\\\c\\u000a\\u000d"
		  "\\u0009\\u0001\\u001f\\u007f/\"}\n");
	/* Valid UTF-8 passes: 2, 3 and 4 byte sequences. */
	e.qname = "\xc3\xa9.\xe4\xbe\x8b\xe5\xad\x90.\xf0\x9f\x98\x80";
	CHECK_STR(fmt(&e, buf, sizeof(buf)),
		  "{\"time\":\"2026-11-27T21:40:00.123Z\",\"qname\":\"\xc3\xa9.\xe4\xbe\x8b\xe5\xad"
		  "\x90.\xf0\x9f\x98\x80\"}\n");
	/*
	 * Invalid UTF-8, one U+FFFD per bad byte: a lone continuation byte, 0xff, an
	 * overlong '/', a surrogate, past U+10FFFF, a sequence cut by the end.
	 */
	e.qname = "\x80|\xff|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe4\xbe";
	CHECK_STR(
	    fmt(&e, buf, sizeof(buf)),
	    "{\"time\":\"2026-11-27T21:40:00.123Z\",\"qname\":\"\\ufffd|\\ufffd|\\ufffd\\ufffd|"
	    "\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\"}\n");
	/* The smallest and largest of each length are valid. */
	e.qname = "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
	CHECK_STR(fmt(&e, buf, sizeof(buf)),
		  "{\"time\":\"2026-11-27T21:40:00.123Z\",\"qname\":\"\xc2\x80\xdf\xbf\xe0\xa0\x80"
		  "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}\n");
	/* Keys' values in feeds are escaped too. */
	{
		const char *f[] = {"q\"", "\x05"};

		e.qname = NULL;
		e.feeds = f;
		e.n_feeds = 2;
		CHECK_STR(fmt(&e, buf, sizeof(buf)),
			  "{\"time\":\"2026-11-27T21:40:00.123Z\",\"feeds\":[\"q\\\"\","
			  "\"\\u0005\"]}\n");
	}
}

static void test_bounds(void)
{
	static char big[5000], want[600];
	const char *feeds[12];
	struct fz_event e = {.time_ms = T0};
	char buf[4096], *p;
	int n;

	/* A long name is cut at 512 bytes. */
	memset(big, 'a', sizeof(big) - 1);
	e.qname = big;
	fmt(&e, buf, sizeof(buf));
	memset(want, 'a', 512);
	want[512] = '\0';
	p = strstr(buf, "\"qname\":\"");
	CHECK(p && strncmp(p + 9, want, 512) == 0 && strcmp(p + 9 + 512, "\"}\n") == 0);

	/* Never inside an escape: 510 bytes, then a 6-byte escape that does not fit. */
	big[510] = '\x01';
	fmt(&e, buf, sizeof(buf));
	p = strstr(buf, "\"qname\":\"");
	CHECK(p && strcmp(p + 9 + 510, "\"}\n") == 0);
	/* Nor inside a UTF-8 character: 511 bytes then a 2-byte character. */
	big[510] = 'a';
	big[511] = '\xc3';
	big[512] = '\xa9';
	fmt(&e, buf, sizeof(buf));
	p = strstr(buf, "\"qname\":\"");
	CHECK(p && strcmp(p + 9 + 511, "\"}\n") == 0);

	/* Every field at its longest, 12 feeds: the line still fits in 4096 (8 feeds listed). */
	for (int i = 0; i < 12; i++)
		feeds[i] = big;
	memset(big, '\x01', sizeof(big) - 1);
	e.source = e.client = e.qname = e.qtype = e.rule = e.category = e.action = e.reason = big;
	e.feeds = feeds;
	e.n_feeds = 12;
	n = fz_event_format(&e, buf, sizeof(buf));
	CHECK(n > 0 && n <= 4096);
	if (n > 0) {
		int commas = 0;

		p = strstr(buf, "\"feeds\":[");
		for (; p && *p != ']'; p++)
			commas += *p == ',';
		CHECK_INT(commas, 7);
	}
}

static char *slurp(const char *path, size_t *len)
{
	return (char *)fz_test_read_file(path, len);
}

static size_t count_lines(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

static void test_file(const char *dir)
{
	char path[256], rotated[256], *data;
	const char *one[] = {"f1"};
	struct fz_event e = {
	    .time_ms = T0, .source = "dns", .qname = "x.example", .feeds = one, .n_feeds = 1};
	struct fz_events *ev = NULL;
	struct stat sb;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/events.json", dir);
	snprintf(rotated, sizeof(rotated), "%s/events.json.1", dir);
	CHECK_INT(fz_events_open(path, &ev), 0);
	if (!ev)
		return;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640);
	CHECK_INT(fz_events_write(ev, &e), 0);
	e.qname = "y.example";
	CHECK_INT(fz_events_write(ev, &e), 0);
	/* Rotation: rename, then reopen; later lines go to the new file. */
	CHECK_INT(rename(path, rotated), 0);
	e.qname = "z.example";
	CHECK_INT(fz_events_write(ev, &e), 0); /* still the old file */
	CHECK_INT(fz_events_reopen(ev), 0);
	e.qname = "w.example";
	CHECK_INT(fz_events_write(ev, &e), 0);
	fz_events_close(ev);

	data = slurp(rotated, &len);
	CHECK_MEM_STR(
	    data, len,
	    "{\"time\":\"2026-11-27T21:40:00.123Z\",\"source\":\"dns\",\"qname\":\"x.example\","
	    "\"feeds\":[\"f1\"]}\n"
	    "{\"time\":\"2026-11-27T21:40:00.123Z\",\"source\":\"dns\",\"qname\":\"y.example\","
	    "\"feeds\":[\"f1\"]}\n"
	    "{\"time\":\"2026-11-27T21:40:00.123Z\",\"source\":\"dns\",\"qname\":\"z.example\","
	    "\"feeds\":[\"f1\"]}\n");
	free(data);
	data = slurp(path, &len);
	CHECK_MEM_STR(
	    data, len,
	    "{\"time\":\"2026-11-27T21:40:00.123Z\",\"source\":\"dns\",\"qname\":\"w.example\","
	    "\"feeds\":[\"f1\"]}\n");
	free(data);

	/* Appends to what is there. */
	CHECK_INT(fz_events_open(path, &ev), 0);
	if (ev) {
		CHECK_INT(fz_events_write(ev, &e), 0);
		fz_events_close(ev);
	}
	data = slurp(path, &len);
	CHECK_INT(count_lines(data, len), 2);
	free(data);

	/* A reopen that fails keeps the old file. */
	CHECK_INT(fz_events_open(path, &ev), 0);
	if (ev) {
		CHECK_INT(rename(path, rotated), 0);
		CHECK_INT(chmod(dir, 0500), 0);
		r = fz_events_reopen(ev);
		if (geteuid() != 0)
			CHECK_INT(r, -EACCES);
		CHECK_INT(chmod(dir, 0700), 0);
		CHECK_INT(fz_events_write(ev, &e), 0);
		fz_events_close(ev);
	}
	unlink(path);
	unlink(rotated);

	snprintf(path, sizeof(path), "%s/no/such/dir", dir);
	ev = NULL;
	CHECK_INT(fz_events_open(path, &ev), -ENOENT);
	CHECK(ev == NULL);
	CHECK_INT(fz_events_open("", &ev), -EINVAL);
}

/* "-" writes to fd 1 and never closes it. */
static void test_stdout(void)
{
	struct fz_event e = {.time_ms = T0, .qname = "s.example"};
	struct fz_events *ev = NULL;
	int pfd[2], saved;
	char buf[256];
	ssize_t n;

	fflush(stdout);
	if (pipe(pfd) < 0) {
		CHECK(0);
		return;
	}
	saved = dup(STDOUT_FILENO);
	dup2(pfd[1], STDOUT_FILENO);
	CHECK_INT(fz_events_open("-", &ev), 0);
	if (ev) {
		CHECK_INT(fz_events_write(ev, &e), 0);
		CHECK_INT(fz_events_reopen(ev), 0);
		CHECK_INT(fz_events_write(ev, &e), 0);
		fz_events_close(ev);
	}
	CHECK(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(pfd[1]);
	n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "{\"time\":\"2026-11-27T21:40:00.123Z\",\"qname\":\"s.example\"}\n"
		       "{\"time\":\"2026-11-27T21:40:00.123Z\",\"qname\":\"s.example\"}\n");
}

/* --- concurrent writers ------------------------------------------------------- */

#define WRITERS	   4
#define PER_WRITER 3000

struct writer {
	struct fz_events *ev;
	int id;
	int errors;
};

static char pad[1500];

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char qname[1600];

	for (int i = 0; i < PER_WRITER; i++) {
		/* Lengths vary up to ~1.5 KB so lines cross any buffer boundary. */
		int plen = (i * 37 + w->id * 101) % 1400;
		struct fz_event e = {.time_ms = T0, .qname = qname};

		snprintf(qname, sizeof(qname), "w%d-%d-%.*s", w->id, i, plen > 500 ? 500 : plen,
			 pad);
		e.rule = pad + (sizeof(pad) - 1) - (size_t)(plen % 500);
		if (fz_events_write(w->ev, &e) != 0)
			w->errors++;
	}
	return NULL;
}

/* Check every line of `data` is whole; count lines per writer and in order. */
static void check_lines(const char *data, size_t len, int next[WRITERS], size_t *total)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int id = -1, seq = -1;

		CHECK(nl != NULL);
		if (!nl)
			break;
		CHECK(nl - p > 48);
		if (nl - p <= 48)
			break;
		CHECK(strncmp(p, "{\"time\":\"2026-11-27T21:40:00.123Z\",\"qname\":\"w", 45) == 0);
		CHECK(nl - p >= 3 && nl[-1] == '}' && nl[-2] == '"');
		{
			/* The file is not NUL-terminated: parse a bounded copy. */
			char head[32];
			size_t hn = (size_t)(nl - p) - 45 < sizeof(head) - 1 ? (size_t)(nl - p) - 45
									     : sizeof(head) - 1;

			memcpy(head, p + 45, hn);
			head[hn] = '\0';
			if (sscanf(head, "%d-%d-", &id, &seq) != 2)
				id = -1;
		}
		if (id >= 0 && id < WRITERS) {
			CHECK_INT(seq, next[id]);
			next[id] = seq + 1;
		} else {
			CHECK(0);
		}
		(*total)++;
		p = nl + 1;
	}
}

static void test_concurrent(const char *dir)
{
	char path[256], rotated[WRITERS * 4][256];
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	struct fz_events *ev = NULL;
	int next[WRITERS] = {0}, rotations = 0;
	size_t total = 0;

	memset(pad, 'p', sizeof(pad) - 1);
	snprintf(path, sizeof(path), "%s/conc.json", dir);
	CHECK_INT(fz_events_open(path, &ev), 0);
	if (!ev)
		return;
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){.ev = ev, .id = i};
		CHECK_INT(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	/* Rotate a few times while they write. */
	for (int i = 0; i < (int)(sizeof(rotated) / sizeof(rotated[0])); i++) {
		usleep(2000);
		snprintf(rotated[i], sizeof(rotated[i]), "%s/conc.json.%d", dir, i);
		if (rename(path, rotated[i]) == 0) {
			CHECK_INT(fz_events_reopen(ev), 0);
			rotations++;
		} else {
			rotated[i][0] = '\0';
		}
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(w[i].errors, 0);
	}
	fz_events_close(ev);
	CHECK(rotations > 0);

	/* Files in the order they were written; each writer's lines in its order. */
	for (size_t i = 0; i <= sizeof(rotated) / sizeof(rotated[0]); i++) {
		const char *p = i < sizeof(rotated) / sizeof(rotated[0]) ? rotated[i] : path;
		size_t len;
		char *data;

		if (!*p)
			continue;
		data = slurp(p, &len);
		check_lines(data, len, next, &total);
		free(data);
		unlink(p);
	}
	CHECK_INT(total, WRITERS * PER_WRITER);
	for (int i = 0; i < WRITERS; i++)
		CHECK_INT(next[i], PER_WRITER);
}

int main(void)
{
	char dir[] = "/tmp/fz_events_XXXXXX";

	umask(022);
	test_format();
	test_escaping();
	test_bounds();
	if (!mkdtemp(dir)) {
		CHECK(0);
		return fz_test_done();
	}
	test_file(dir);
	test_stdout();
	test_concurrent(dir);
	rmdir(dir);
	return fz_test_done();
}
