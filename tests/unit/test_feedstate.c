/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Feed state: meta text format, escaping, bounds, atomic writes, raw copies. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz_feedstate.h"
#include "fz_test.h"

static char tmpdir[PATH_MAX];

static void hex32(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int parse_str(const char *s, struct fz_feed_state *st)
{
	return fz_feedstate_parse((const uint8_t *)s, strlen(s), st);
}

static bool state_eq(const struct fz_feed_state *a, const struct fz_feed_state *b)
{
	return a->has_good == b->has_good && memcmp(a->sha256, b->sha256, 32) == 0 &&
	       a->size == b->size && a->entries == b->entries && a->fetched_at == b->fetched_at &&
	       strcmp(a->etag, b->etag) == 0 && strcmp(a->last_modified, b->last_modified) == 0 &&
	       a->attempted_at == b->attempted_at && a->result == b->result &&
	       strcmp(a->error, b->error) == 0 && a->failures == b->failures;
}

/* Number of directory entries other than . and .. */
static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void write_plain(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fwrite(s, 1, len, f) == len);
	fclose(f);
}

static void test_names_and_sha(void)
{
	uint8_t d[32];
	char hex[65];

	CHECK_STR(fz_feed_result_name(FZ_FEED_NEVER), "never");
	CHECK_STR(fz_feed_result_name(FZ_FEED_FETCHED), "fetched");
	CHECK_STR(fz_feed_result_name(FZ_FEED_NOT_MODIFIED), "not-modified");
	CHECK_STR(fz_feed_result_name(FZ_FEED_FAILED), "failed");

	/* FIPS 180-2 test vectors */
	fz_sha256((const uint8_t *)"", 0, d);
	hex32(d, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	fz_sha256(NULL, 0, d);
	hex32(d, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	fz_sha256((const uint8_t *)"abc", 3, d);
	hex32(d, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_format_exact(void)
{
	struct fz_feed_state st, back;
	char buf[4096];
	int n;

	memset(&st, 0, sizeof(st));
	st.has_good = true;
	for (int i = 0; i < 32; i++)
		st.sha256[i] = (uint8_t)(i * 7);
	st.size = 1234;
	st.entries = 56;
	st.fetched_at = 1700000000;
	snprintf(st.etag, sizeof(st.etag), "W/\"a\\b\"\n\r\x7f=é");
	snprintf(st.last_modified, sizeof(st.last_modified), "Wed, 21 Oct 2015 07:28:00 GMT");
	st.attempted_at = -5;
	st.result = FZ_FEED_FAILED;
	snprintf(st.error, sizeof(st.error), "HTTP 500\tthen\x01");
	st.failures = 3;

	n = fz_feedstate_format(&st, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_INT(strlen(buf), n);
	CHECK_STR(buf, "fangzha-feed-state 1\n"
		       "has_good=1\n"
		       "sha256=00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9\n"
		       "size=1234\n"
		       "entries=56\n"
		       "fetched_at=1700000000\n"
		       "etag=W/\"a\\\\b\"\\n\\x0d\\x7f=é\n"
		       "last_modified=Wed, 21 Oct 2015 07:28:00 GMT\n"
		       "attempted_at=-5\n"
		       "result=failed\n"
		       "error=HTTP 500\\x09then\\x01\n"
		       "failures=3\n");
	memset(&back, 0xff, sizeof(back));
	CHECK_INT(fz_feedstate_parse((const uint8_t *)buf, (size_t)n, &back), 0);
	CHECK(state_eq(&st, &back));

	/* Exactly enough room (text + NUL), and one byte less. */
	CHECK_INT(fz_feedstate_format(&st, buf, (size_t)n + 1), n);
	CHECK_INT(fz_feedstate_format(&st, buf, (size_t)n), -ENOSPC);
	CHECK_INT(fz_feedstate_format(&st, buf, 10), -ENOSPC);
	st.result = (enum fz_feed_result)9;
	CHECK_INT(fz_feedstate_format(&st, buf, sizeof(buf)), -EINVAL);

	/* A default state round-trips as "never". */
	memset(&st, 0, sizeof(st));
	n = fz_feedstate_format(&st, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(strstr(buf, "\nresult=never\n") != NULL);
	CHECK_INT(fz_feedstate_parse((const uint8_t *)buf, (size_t)n, &back), 0);
	CHECK(state_eq(&st, &back));
}

static void test_bounds(void)
{
	struct fz_feed_state st, back;
	char buf[4096], line[1200];
	int n;

	/* An unterminated field is read only up to its size - 1. */
	memset(&st, 0, sizeof(st));
	memset(st.etag, 'a', sizeof(st.etag));
	memset(st.last_modified, 'b', sizeof(st.last_modified));
	memset(st.error, '\n', sizeof(st.error)); /* the worst case for escaping */
	n = fz_feedstate_format(&st, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_INT(fz_feedstate_parse((const uint8_t *)buf, (size_t)n, &back), 0);
	CHECK_INT(strlen(back.etag), 255);
	CHECK_INT(strlen(back.last_modified), 63);
	CHECK_INT(strlen(back.error), 255);
	CHECK(back.error[0] == '\n' && back.error[254] == '\n');

	/* The parser takes 255 bytes and refuses 256 (escapes count once). */
	memset(line, 0, sizeof(line));
	memcpy(line, "fangzha-feed-state 1\netag=", 26);
	memset(line + 26, 'x', 255);
	CHECK_INT(parse_str(line, &st), 0);
	CHECK_INT(strlen(st.etag), 255);
	line[26 + 255] = 'x';
	CHECK_INT(parse_str(line, &st), -EBADMSG);
	memset(line + 26, 0, sizeof(line) - 26);
	for (int i = 0; i < 255; i++)
		memcpy(line + 26 + 4 * i, "\\x41", 4);
	CHECK_INT(parse_str(line, &st), 0);
	CHECK_INT(strlen(st.etag), 255);
	CHECK(st.etag[0] == 'A' && st.etag[254] == 'A');
	memcpy(line + 26 + 4 * 255, "\\x41", 4);
	CHECK_INT(parse_str(line, &st), -EBADMSG);

	memset(line, 0, sizeof(line));
	memcpy(line, "fangzha-feed-state 1\nlast_modified=", 35);
	memset(line + 35, 'm', 63);
	CHECK_INT(parse_str(line, &st), 0);
	line[35 + 63] = 'm';
	CHECK_INT(parse_str(line, &st), -EBADMSG);
}

static void test_parse(void)
{
	static const char *const bad[] = {
	    "",
	    "\n",
	    "fangzha-feed-state 2\n",
	    "fangzha-feed-state 1 \n",
	    "fangzha-feed-state 1\r\n",
	    "fangzha-feed-state 10\n",
	    "fangzha-feed-state",
	    "# fangzha-feed-state 1\n",
	    "fangzha-feed-state 1\nsize\n",
	    "fangzha-feed-state 1\n\n",
	    "fangzha-feed-state 1\nsize=12a\n",
	    "fangzha-feed-state 1\nsize=\n",
	    "fangzha-feed-state 1\nsize=-1\n",
	    "fangzha-feed-state 1\nsize=+1\n",
	    "fangzha-feed-state 1\nsize= 1\n",
	    "fangzha-feed-state 1\nsize=01\n",
	    "fangzha-feed-state 1\nsize=1\r\n",
	    "fangzha-feed-state 1\nsize=18446744073709551616\n",
	    "fangzha-feed-state 1\nentries=99999999999999999999\n",
	    "fangzha-feed-state 1\nfailures=4294967296\n",
	    "fangzha-feed-state 1\nfetched_at=9223372036854775808\n",
	    "fangzha-feed-state 1\nfetched_at=-9223372036854775809\n",
	    "fangzha-feed-state 1\nfetched_at=-0\n",
	    "fangzha-feed-state 1\nfetched_at=-\n",
	    "fangzha-feed-state 1\nhas_good=2\n",
	    "fangzha-feed-state 1\nhas_good=true\n",
	    "fangzha-feed-state 1\nhas_good=1\n", /* no sha256 */
	    "fangzha-feed-state 1\nsha256=00\n",
	    "fangzha-feed-state 1\nsha256="
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g\n",
	    "fangzha-feed-state 1\nsha256="
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555\n",
	    "fangzha-feed-state 1\nresult=ok\n",
	    "fangzha-feed-state 1\nresult=Fetched\n",
	    "fangzha-feed-state 1\nsize=1\nsize=1\n",
	    "fangzha-feed-state 1\netag=a\\\n",
	    "fangzha-feed-state 1\netag=a\\t\n",
	    "fangzha-feed-state 1\netag=\\X7E\n",
	    "fangzha-feed-state 1\netag=a\\x4\n",
	    "fangzha-feed-state 1\netag=a\\x4g\n",
	    "fangzha-feed-state 1\netag=a\\x00b\n",
	    "fangzha-feed-state 1\netag=a\tb\n",
	    "fangzha-feed-state 1\nerror=a\rb\n",
	};
	struct fz_feed_state st, ref;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&st, 0x5a, sizeof(st));
		memset(&ref, 0x5a, sizeof(ref));
		int rc = parse_str(bad[i], &st);

		if (rc != -EBADMSG)
			fprintf(stderr, "accepted bad meta #%zu: \"%s\"\n", i, bad[i]);
		CHECK_INT(rc, -EBADMSG);
		/* Nothing written on error. */
		CHECK(memcmp(&st, &ref, sizeof(st)) == 0);
	}
	/* A NUL byte inside a line. */
	CHECK_INT(fz_feedstate_parse((const uint8_t *)"fangzha-feed-state 1\netag=a\0b\n", 30, &st),
		  -EBADMSG);

	/* Unknown keys are ignored, the last newline is optional, missing keys are zero. */
	CHECK_INT(
	    parse_str("fangzha-feed-state 1\nfuture_key=whatever \\q\x01\n=x\nsize=7\n"
		      "entries=0\nfailures=4294967295\nfetched_at=-9223372036854775808\n"
		      "attempted_at=9223372036854775807\nresult=not-modified\netag=\\\\\\n\\x7E",
		      &st),
	    0);
	CHECK(!st.has_good);
	CHECK_INT(st.size, 7);
	CHECK_INT(st.entries, 0);
	CHECK(st.failures == UINT32_MAX);
	CHECK(st.fetched_at == INT64_MIN);
	CHECK(st.attempted_at == INT64_MAX);
	CHECK_INT(st.result, FZ_FEED_NOT_MODIFIED);
	CHECK_STR(st.etag, "\\\n~");
	CHECK_STR(st.last_modified, "");
	CHECK_STR(st.error, "");

	/* The header line alone (with or without its newline) is a valid empty state. */
	CHECK_INT(parse_str("fangzha-feed-state 1", &st), 0);
	CHECK_INT(st.result, FZ_FEED_NEVER);
	CHECK_INT(parse_str("fangzha-feed-state 1\n", &st), 0);

	/* Upper-case hex is read, and written back lower-case. */
	CHECK_INT(parse_str("fangzha-feed-state 1\nhas_good=1\nsha256="
			    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n",
			    &st),
		  0);
	CHECK(st.has_good && st.sha256[0] == 0xe3 && st.sha256[31] == 0x55);
	CHECK_INT(fz_feedstate_parse(NULL, 0, &st), -EBADMSG);
}

static void test_files(void)
{
	struct fz_feed_state st, back;
	char err[512], path[PATH_MAX + 32];
	const char *raw = "example.com\nexample.net\n";
	uint8_t *data = NULL;
	size_t len = 0;
	struct stat sb;

	memset(&st, 0, sizeof(st));
	st.has_good = true;
	st.size = strlen(raw);
	fz_sha256((const uint8_t *)raw, st.size, st.sha256);
	st.entries = 2;
	st.fetched_at = 1700000001;
	snprintf(st.etag, sizeof(st.etag), "\"abc\"");
	st.result = FZ_FEED_FETCHED;

	/* Absent: -ENOENT, said so. */
	CHECK_INT(fz_feedstate_load(tmpdir, "f1", &back, err, sizeof(err)), -ENOENT);
	CHECK_STR(err, "state: f1.meta does not exist");

	CHECK_INT(fz_feedstate_save(tmpdir, "f1", &st, err, sizeof(err)), 0);
	CHECK_INT(
	    fz_feedstate_save_raw(tmpdir, "f1", (const uint8_t *)raw, st.size, err, sizeof(err)),
	    0);
	memset(&back, 0, sizeof(back));
	CHECK_INT(fz_feedstate_load(tmpdir, "f1", &back, err, sizeof(err)), 0);
	CHECK(state_eq(&st, &back));
	/* No temporary file left behind: f1.meta and f1.raw only. */
	CHECK_INT(count_files(tmpdir), 2);
	snprintf(path, sizeof(path), "%s/f1.meta", tmpdir);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644);

	CHECK_INT(fz_feedstate_read_raw(tmpdir, "f1", &back, &data, &len, err, sizeof(err)), 0);
	CHECK(data != NULL && len == st.size && memcmp(data, raw, len) == 0 && data[len] == 0);
	free(data);
	data = NULL;

	/* Same size, one byte changed: the sha256 differs. */
	snprintf(path, sizeof(path), "%s/f1.raw", tmpdir);
	write_plain(path, "example.com\nexample.nex\n", st.size);
	CHECK_INT(fz_feedstate_read_raw(tmpdir, "f1", &back, &data, &len, err, sizeof(err)),
		  -EBADMSG);
	CHECK_STR(err, "state: f1.raw does not match its metadata (sha256 differs); ignoring it");
	CHECK(data == NULL);
	/* Shorter and longer. */
	write_plain(path, raw, st.size - 1);
	CHECK_INT(fz_feedstate_read_raw(tmpdir, "f1", &back, &data, &len, err, sizeof(err)),
		  -EBADMSG);
	CHECK_STR(err, "state: f1.raw does not match its metadata (size differs); ignoring it");
	write_plain(path, "example.com\nexample.net\nx", st.size + 1);
	CHECK_INT(fz_feedstate_read_raw(tmpdir, "f1", &back, &data, &len, err, sizeof(err)),
		  -EBADMSG);
	CHECK_STR(err, "state: f1.raw does not match its metadata (size differs); ignoring it");
	/* Missing raw, and a state without a good copy. */
	unlink(path);
	CHECK_INT(fz_feedstate_read_raw(tmpdir, "f1", &back, &data, &len, err, sizeof(err)),
		  -ENOENT);
	CHECK_STR(err, "state: f1.raw does not exist");
	back.has_good = false;
	CHECK_INT(fz_feedstate_read_raw(tmpdir, "f1", &back, &data, &len, err, sizeof(err)),
		  -ENOENT);

	/* An empty good copy is a copy. */
	memset(&st, 0, sizeof(st));
	st.has_good = true;
	fz_sha256(NULL, 0, st.sha256);
	CHECK_INT(fz_feedstate_save_raw(tmpdir, "empty", NULL, 0, err, sizeof(err)), 0);
	CHECK_INT(fz_feedstate_read_raw(tmpdir, "empty", &st, &data, &len, err, sizeof(err)), 0);
	CHECK(data != NULL && len == 0 && data[0] == 0);
	free(data);

	/* A corrupt meta: -EBADMSG with the reason. */
	snprintf(path, sizeof(path), "%s/bad.meta", tmpdir);
	write_plain(path, "fangzha-feed-state 1\nhas_good=0\nsize=1x\n", 40);
	CHECK_INT(fz_feedstate_load(tmpdir, "bad", &back, err, sizeof(err)), -EBADMSG);
	CHECK_STR(err,
		  "state: bad.meta is corrupt (line 3: size is not a valid value); ignoring it");
	write_plain(path, "<html>\n", 7);
	CHECK_INT(fz_feedstate_load(tmpdir, "bad", &back, err, sizeof(err)), -EBADMSG);
	CHECK_STR(err,
		  "state: bad.meta is corrupt (the first line is not \"fangzha-feed-state 1\"); "
		  "ignoring it");
	write_plain(path, "", 0);
	CHECK_INT(fz_feedstate_load(tmpdir, "bad", &back, err, sizeof(err)), -EBADMSG);
	CHECK_STR(err, "state: bad.meta is corrupt (the file is empty); ignoring it");
	{
		size_t big = 70000;
		char *b = malloc(big);

		CHECK(b != NULL);
		if (b) {
			memset(b, '\n', big);
			memcpy(b, "fangzha-feed-state 1\n", 21);
			write_plain(path, b, big);
			free(b);
		}
		CHECK_INT(fz_feedstate_load(tmpdir, "bad", &back, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "larger than") != NULL);
	}
	unlink(path);

	/* Feed names that could leave the directory are refused. */
	static const char *const bad_names[] = {"", ".hidden", "..", "../f1", "a/b", "/abs"};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		CHECK_INT(fz_feedstate_save(tmpdir, bad_names[i], &st, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, "refusing the feed name") != NULL);
		CHECK_INT(fz_feedstate_load(tmpdir, bad_names[i], &back, err, sizeof(err)),
			  -EINVAL);
		CHECK_INT(fz_feedstate_save_raw(tmpdir, bad_names[i], (const uint8_t *)"x", 1, err,
						sizeof(err)),
			  -EINVAL);
		CHECK_INT(
		    fz_feedstate_read_raw(tmpdir, bad_names[i], &st, &data, &len, err, sizeof(err)),
		    -EINVAL);
	}
	CHECK_INT(fz_feedstate_save(NULL, "x", &st, err, sizeof(err)), -EINVAL);
	CHECK_INT(count_files(tmpdir), 2); /* f1.meta and empty.raw: nothing else */
}

static void test_atomic(void)
{
	char err[512], path[PATH_MAX + 32], missing[PATH_MAX + 32];
	uint8_t *data;
	size_t len;
	char big[4096];
	struct rlimit old, lim;
	int before, rc;

	snprintf(path, sizeof(path), "%s/atomic.txt", tmpdir);
	CHECK_INT(fz_write_file_atomic(path, "old contents\n", 13, err, sizeof(err)), 0);
	data = fz_test_read_file(path, &len);
	CHECK_MEM_STR((char *)data, len, "old contents\n");
	free(data);
	CHECK_INT(fz_write_file_atomic(path, "new\n", 4, err, sizeof(err)), 0);
	data = fz_test_read_file(path, &len);
	CHECK_MEM_STR((char *)data, len, "new\n");
	free(data);

	/* A directory that does not exist: the error names the path and the errno. */
	snprintf(missing, sizeof(missing), "%s/nodir/x.meta", tmpdir);
	CHECK_INT(fz_write_file_atomic(missing, "x", 1, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, missing) != NULL);
	CHECK(strstr(err, "No such file or directory") != NULL);

	/*
	 * A write that fails half way (as on a full disk): the file size limit
	 * makes write() fail with EFBIG after a few bytes. The old file stays
	 * as it was and no temporary file is left.
	 */
	before = count_files(tmpdir);
	memset(big, 'z', sizeof(big));
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 100;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	rc = fz_write_file_atomic(path, big, sizeof(big), err, sizeof(err));
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_INT(rc, -EFBIG);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "File too large") != NULL);
	CHECK(strstr(err, "the previous file is unchanged") != NULL);
	data = fz_test_read_file(path, &len);
	CHECK_MEM_STR((char *)data, len, "new\n");
	free(data);
	CHECK_INT(count_files(tmpdir), before);

	/* A relative path writes in the current directory. */
	{
		char cwd[PATH_MAX];

		CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
		CHECK(chdir(tmpdir) == 0);
		CHECK_INT(fz_write_file_atomic("rel.txt", "r", 1, err, sizeof(err)), 0);
		CHECK(access("rel.txt", F_OK) == 0);
		unlink("rel.txt");
		CHECK(chdir(cwd) == 0);
	}
	CHECK_INT(fz_write_file_atomic("", "r", 1, err, sizeof(err)), -EINVAL);
	unlink(path);
}

static void cleanup_dir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char p[PATH_MAX + 300];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

int main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/fz-test-feedstate-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_names_and_sha();
	test_format_exact();
	test_bounds();
	test_parse();
	test_files();
	test_atomic();
	cleanup_dir();
	return fz_test_done();
}
