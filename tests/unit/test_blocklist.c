/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The blocklist writer and reader: semantics, round trip, refusal of bad files, refresh. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz_blformat.h"
#include "fz_blocklist.h"
#include "fz_blwriter.h"
#include "fz_hash.h"
#include "fz_parse_impl.h"
#include "fz_test.h"

static char dir[] = "/tmp/fz-test-bl-XXXXXX";
static const uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static char *path_in(const char *name)
{
	static char buf[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static enum fz_verdict lk(const struct fz_blmap *m, const char *name, struct fz_match_info *mi)
{
	return fz_blmap_lookup(m, name, strlen(name), mi);
}

static void add(struct fz_blwriter *w, int feed, const char *name, enum fz_action a,
		enum fz_match mt)
{
	CHECK_INT(fz_blwriter_add_name(w, feed, name, strlen(name), a, mt, FZ_POLICY_DEFAULT), 0);
}

/* A parse result built by hand: URL and address rules without any parser. */
static void make_url_ip_result(struct fz_parse_result *r)
{
	memset(r, 0, sizeof(*r));
	r->max_entries = 1000;
	r->max_problems = 10;
	uint32_t off;
	CHECK_INT(fz_parse_arena_put(r, "", 0, &off), 0);
	CHECK_INT(fz_parse_commit_url(r, 1, "apps.evil.test", 14, "/download/app.apk", 17), 0);
	CHECK_INT(fz_parse_commit_url(r, 2, "apps.evil.test", 14, "/files/", 7), 0);
	CHECK_INT(fz_parse_commit_url(r, 3, "github.com", 10, "/bad/repo/releases/x.exe", 24), 0);
	CHECK_INT(fz_parse_commit_url(r, 4, "github.com", 10, "/bad/repo/releases/x.exe", 24), 0);
	CHECK_INT(r->duplicates, 1);
	uint8_t a4[4] = {192, 0, 2, 99}, b4[4] = {198, 51, 100, 7};
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8};
	CHECK_INT(fz_parse_add_ip(r, 5, AF_INET, a4, 24, FZ_ACTION_BLOCK), 0);
	CHECK_INT(fz_parse_add_ip(r, 6, AF_INET, b4, 32, FZ_ACTION_BLOCK), 0);
	CHECK_INT(fz_parse_add_ip(r, 7, AF_INET6, a6, 32, FZ_ACTION_BLOCK), 0);
	CHECK_INT(r->entries[2].addr[3], 0); /* host bits cleared */
}

static void test_semantics(void)
{
	struct fz_blwriter *w;
	CHECK_INT(fz_blwriter_new(&w), 0);
	int f1 = fz_blwriter_add_feed(w, "feed-one", FZ_CAT_FRAUD, "file:///one", FZ_FEED_NORMAL);
	int f2 =
	    fz_blwriter_add_feed(w, "feed-two", FZ_CAT_PHISHING, "file:///two", FZ_FEED_NORMAL);
	int la =
	    fz_blwriter_add_feed(w, "local-allow", FZ_CAT_CUSTOM, "allow.txt", FZ_FEED_LOCAL_ALLOW);
	int lb =
	    fz_blwriter_add_feed(w, "local-block", FZ_CAT_CUSTOM, "block.txt", FZ_FEED_LOCAL_BLOCK);
	CHECK(f1 == 0 && f2 == 1 && la == 2 && lb == 3);

	add(w, f1, "evil.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE);
	add(w, f2, "evil.example", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE); /* merged */
	add(w, f1, "a.evil.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT); /* pruned */
	add(w, f1, "only.example", FZ_ACTION_BLOCK, FZ_MATCH_EXACT);
	add(w, f1, "bad.test", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE);
	add(w, f2, "good.bad.test", FZ_ACTION_ALLOW, FZ_MATCH_EXACT);
	add(w, f2, "ok.bad.test", FZ_ACTION_ALLOW, FZ_MATCH_SUBTREE);
	add(w, f1, "z.ok.bad.test", FZ_ACTION_BLOCK, FZ_MATCH_EXACT);
	/* same name, different strengths */
	add(w, f1, "same1.test", FZ_ACTION_BLOCK, FZ_MATCH_EXACT);
	add(w, f2, "same1.test", FZ_ACTION_ALLOW, FZ_MATCH_EXACT); /* feed allow beats feed block */
	add(w, f1, "same2.test", FZ_ACTION_ALLOW, FZ_MATCH_EXACT);
	add(w, lb, "same2.test", FZ_ACTION_BLOCK,
	    FZ_MATCH_EXACT); /* local block beats feed allow */
	add(w, lb, "same3.test", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE);
	add(w, la, "same3.test", FZ_ACTION_ALLOW, FZ_MATCH_EXACT); /* local allow beats all */
	add(w, f1, "parent.test", FZ_ACTION_BLOCK, FZ_MATCH_SUBTREE);
	add(w, la, "parent.test", FZ_ACTION_ALLOW, FZ_MATCH_EXACT);

	struct fz_parse_result pr;
	make_url_ip_result(&pr);
	CHECK_INT(fz_blwriter_add_parsed(w, f1, &pr), 0);
	fz_parse_result_free(&pr);

	struct fz_blwriter_stats st;
	char err[256] = "";
	struct fz_blwriter_opts o = {.seed = seed, .generation = 7, .created = 1700000000};
	CHECK_INT(fz_blwriter_write(w, path_in("a.fzb"), &o, &st, err, sizeof(err)), 0);
	CHECK_INT(st.generation, 7);
	CHECK(st.pruned >= 1);
	CHECK(st.merged >= 1);
	CHECK_INT(st.urls, 3);
	CHECK_INT(st.url_hosts, 2);
	CHECK_INT(st.ip4, 2);
	CHECK_INT(st.ip6, 1);

	struct fz_blocklist *bl;
	CHECK_INT(fz_blocklist_open(path_in("a.fzb"), &bl, err, sizeof(err)), 0);
	const struct fz_blmap *m = fz_blocklist_current(bl);
	struct fz_match_info mi;

	CHECK_INT(lk(m, "evil.example", &mi), FZ_VERDICT_BLOCK);
	CHECK_MEM_STR(mi.rule, mi.rule_len, "*.evil.example");
	CHECK_INT(mi.n_feeds, 2);
	CHECK_INT(mi.match, FZ_MATCH_SUBTREE);
	CHECK_INT(mi.category, FZ_CAT_FRAUD);
	CHECK_INT(lk(m, "a.evil.example", NULL), FZ_VERDICT_BLOCK);
	CHECK_INT(lk(m, "X.Y.EVIL.Example.", &mi), FZ_VERDICT_BLOCK);
	CHECK_MEM_STR(mi.rule, mi.rule_len, "*.evil.example");
	CHECK_INT(lk(m, "notevil.example", NULL), FZ_VERDICT_NONE);
	CHECK_INT(lk(m, "example", NULL), FZ_VERDICT_NONE);
	CHECK_INT(lk(m, "evil.example.com", NULL), FZ_VERDICT_NONE);
	CHECK_INT(lk(m, "only.example", &mi), FZ_VERDICT_BLOCK);
	CHECK_INT(mi.match, FZ_MATCH_EXACT);
	CHECK_INT(lk(m, "x.only.example", NULL), FZ_VERDICT_NONE);
	CHECK_INT(lk(m, "bad.test", NULL), FZ_VERDICT_BLOCK);
	CHECK_INT(lk(m, "good.bad.test", &mi), FZ_VERDICT_ALLOW);
	CHECK_MEM_STR(mi.rule, mi.rule_len, "good.bad.test");
	CHECK_INT(lk(m, "x.good.bad.test", NULL), FZ_VERDICT_BLOCK);
	CHECK_INT(lk(m, "ok.bad.test", NULL), FZ_VERDICT_ALLOW);
	CHECK_INT(lk(m, "deep.x.ok.bad.test", NULL), FZ_VERDICT_ALLOW);
	CHECK_INT(lk(m, "z.ok.bad.test", NULL), FZ_VERDICT_BLOCK);
	CHECK_INT(lk(m, "same1.test", NULL), FZ_VERDICT_ALLOW);
	CHECK_INT(lk(m, "same2.test", &mi), FZ_VERDICT_BLOCK);
	CHECK_INT(mi.n_feeds, 1);
	CHECK_INT(mi.feeds[0], lb);
	CHECK_INT(lk(m, "same3.test", NULL), FZ_VERDICT_ALLOW);
	CHECK_INT(lk(m, "c.same3.test", NULL), FZ_VERDICT_BLOCK);
	CHECK_INT(lk(m, "parent.test", NULL), FZ_VERDICT_ALLOW);
	CHECK_INT(lk(m, "child.parent.test", NULL), FZ_VERDICT_BLOCK);
	/* malformed lookups are misses, never crashes */
	CHECK_INT(lk(m, "", NULL), FZ_VERDICT_NONE);
	CHECK_INT(lk(m, "..", NULL), FZ_VERDICT_NONE);
	CHECK_INT(lk(m, "a..evil.example", NULL), FZ_VERDICT_NONE);

	/* URL rules: host + path prefix on separators, never the host as a whole */
	const char *h = "apps.evil.test";
#define LU(host, p) fz_blmap_lookup_url(m, host, strlen(host), p, strlen(p), &mi)
	CHECK_INT(LU(h, "/download/app.apk"), FZ_VERDICT_BLOCK);
	CHECK_MEM_STR(mi.rule, mi.rule_len, "apps.evil.test/download/app.apk");
	CHECK_INT(mi.kind, FZ_RULE_URL);
	CHECK_INT(LU(h, "/download/app.apk?x=1"), FZ_VERDICT_BLOCK);
	CHECK_INT(LU(h, "/DOWNLOAD/App.apk"), FZ_VERDICT_BLOCK);
	CHECK_INT(LU(h, "/download/app.apk2"), FZ_VERDICT_NONE);
	CHECK_INT(LU(h, "/download/"), FZ_VERDICT_NONE);
	CHECK_INT(LU(h, "/files/a/b.zip"), FZ_VERDICT_BLOCK);
	CHECK_INT(LU(h, "/"), FZ_VERDICT_NONE);
	CHECK_INT(LU("other.test", "/download/app.apk"), FZ_VERDICT_NONE);
	CHECK_INT(LU("github.com", "/bad/repo/releases/x.exe"), FZ_VERDICT_BLOCK);
	CHECK_INT(LU("github.com", "/good/repo"), FZ_VERDICT_NONE);
	CHECK_INT(lk(m, "github.com", NULL), FZ_VERDICT_NONE);
	CHECK_INT(lk(m, "apps.evil.test", NULL), FZ_VERDICT_NONE);
#undef LU

	uint8_t ip[16];
	inet_pton(AF_INET, "192.0.2.77", ip);
	CHECK_INT(fz_blmap_lookup_ip(m, AF_INET, ip, &mi), FZ_VERDICT_BLOCK);
	CHECK_MEM_STR(mi.rule, mi.rule_len, "192.0.2.0/24");
	inet_pton(AF_INET, "192.0.3.1", ip);
	CHECK_INT(fz_blmap_lookup_ip(m, AF_INET, ip, NULL), FZ_VERDICT_NONE);
	inet_pton(AF_INET, "198.51.100.7", ip);
	CHECK_INT(fz_blmap_lookup_ip(m, AF_INET, ip, NULL), FZ_VERDICT_BLOCK);
	inet_pton(AF_INET, "198.51.100.8", ip);
	CHECK_INT(fz_blmap_lookup_ip(m, AF_INET, ip, NULL), FZ_VERDICT_NONE);
	inet_pton(AF_INET6, "2001:db8:1::1", ip);
	CHECK_INT(fz_blmap_lookup_ip(m, AF_INET6, ip, NULL), FZ_VERDICT_BLOCK);
	inet_pton(AF_INET6, "2001:db9::1", ip);
	CHECK_INT(fz_blmap_lookup_ip(m, AF_INET6, ip, NULL), FZ_VERDICT_NONE);
	inet_pton(AF_INET6, "::ffff:192.0.2.1", ip);
	CHECK_INT(fz_blmap_lookup_ip(m, AF_INET6, ip, NULL), FZ_VERDICT_BLOCK);

	struct fz_bl_info info;
	fz_blmap_info(m, &info);
	CHECK_INT(info.generation, 7);
	CHECK_INT(info.n_feeds, 4);
	CHECK_INT(info.n_urls, 3);
	struct fz_bl_feed_info fi;
	CHECK_INT(fz_blmap_feed(m, 1, &fi), 0);
	CHECK_STR(fi.name, "feed-two");
	CHECK_STR(fi.source, "file:///two");
	CHECK_INT(fi.category, FZ_CAT_PHISHING);
	CHECK(!fi.local);
	CHECK_INT(fz_blmap_feed(m, 2, &fi), 0);
	CHECK(fi.local);
	CHECK_INT(fz_blmap_feed(m, 4, &fi), -ENOENT);
	fz_blocklist_close(bl);

	/* The same input and seed give the same bytes. */
	CHECK_INT(fz_blwriter_write(w, path_in("b.fzb"), &o, NULL, err, sizeof(err)), 0);
	size_t la_, lb_;
	unsigned char *ba = fz_test_read_file(path_in("a.fzb"), &la_);
	unsigned char *bb = fz_test_read_file(path_in("b.fzb"), &lb_);
	CHECK(la_ == lb_ && memcmp(ba, bb, la_) == 0);
	free(ba);
	free(bb);
	fz_blwriter_free(w);
}

static int write_list(const char *file, const char *const *names, size_t n, uint64_t gen)
{
	struct fz_blwriter *w;
	fz_blwriter_new(&w);
	int f = fz_blwriter_add_feed(w, "f", FZ_CAT_FRAUD, "", FZ_FEED_NORMAL);
	for (size_t i = 0; i < n; i++)
		fz_blwriter_add_name(w, f, names[i], strlen(names[i]), FZ_ACTION_BLOCK,
				     FZ_MATCH_SUBTREE, FZ_POLICY_DEFAULT);
	struct fz_blwriter_opts o = {.generation = gen};
	char err[256];
	int rc = fz_blwriter_write(w, path_in(file), &o, NULL, err, sizeof(err));
	fz_blwriter_free(w);
	return rc;
}

static void write_bytes(const char *file, const void *p, size_t n)
{
	int fd = open(path_in(file), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK((size_t)write(fd, p, n) == n);
	close(fd);
}

static void test_bad_files(void)
{
	const char *names[] = {"one.test", "two.test"};
	CHECK_INT(write_list("good.fzb", names, 2, 3), 0);
	size_t n;
	unsigned char *img = fz_test_read_file(path_in("good.fzb"), &n);
	struct fz_blocklist *bl;
	char err[256];

	CHECK_INT(fz_blmap_from_memory(img, n, NULL, err, sizeof(err)), 0);
	/* every single-byte corruption in the body is caught by a checksum */
	for (size_t off = FZ_BL_HEADER_SIZE; off < n; off += 61) {
		img[off] ^= 0x40;
		int rc = fz_blmap_from_memory(img, n, NULL, err, sizeof(err));
		img[off] ^= 0x40;
		/* padding between sections is not covered; everything else is */
		if (rc == 0)
			continue;
		CHECK_INT(rc, -EBADMSG);
	}
	const struct fz_bl_header *hdr = (const void *)img;
	size_t keys_off = hdr->sections[0].offset;
	img[keys_off] ^= 1;
	write_bytes("corrupt.fzb", img, n);
	img[keys_off] ^= 1;
	err[0] = 0;
	CHECK_INT(fz_blocklist_open(path_in("corrupt.fzb"), &bl, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "checksum") != NULL);

	write_bytes("trunc.fzb", img, n - 100);
	CHECK_INT(fz_blocklist_open(path_in("trunc.fzb"), &bl, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "trunc") != NULL || strstr(err, "bytes") != NULL);

	write_bytes("text.fzb", "0.0.0.0 evil.test\n", 18);
	CHECK_INT(fz_blocklist_open(path_in("text.fzb"), &bl, err, sizeof(err)), -EBADMSG);

	struct fz_bl_header *wh = (void *)img;
	wh->major = 2;
	wh->header_checksum = fz_hash_bytes(0, img, offsetof(struct fz_bl_header, header_checksum));
	write_bytes("v2.fzb", img, n);
	err[0] = 0;
	CHECK_INT(fz_blocklist_open(path_in("v2.fzb"), &bl, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "format 2") != NULL);
	CHECK_INT(fz_blocklist_open(path_in("missing.fzb"), &bl, err, sizeof(err)), -ENOENT);
	free(img);
}

static void test_refresh(void)
{
	const char *v1[] = {"one.test"}, *v2[] = {"one.test", "two.test"};
	char err[256];
	struct fz_blocklist *bl;
	CHECK_INT(write_list("live.fzb", v1, 1, 0), 0);
	CHECK_INT(fz_blocklist_open(path_in("live.fzb"), &bl, err, sizeof(err)), 0);
	uint64_t g1 = fz_blmap_generation(fz_blocklist_current(bl));
	CHECK_INT(fz_blocklist_refresh(bl, err, sizeof(err)), 0);
	CHECK_INT(lk(fz_blocklist_current(bl), "two.test", NULL), FZ_VERDICT_NONE);

	/* generation 0 means "one more than the file replaced" */
	CHECK_INT(write_list("live.fzb", v2, 2, 0), 0);
	CHECK_INT(fz_blocklist_refresh(bl, err, sizeof(err)), 1);
	CHECK_INT(fz_blmap_generation(fz_blocklist_current(bl)), g1 + 1);
	CHECK_INT(lk(fz_blocklist_current(bl), "two.test", NULL), FZ_VERDICT_BLOCK);

	/* a broken file renamed over it is refused; the last good list stays */
	write_bytes("junk.tmp", "garbage garbage garbage", 23);
	CHECK_INT(rename(path_in("junk.tmp"), path_in("live.fzb")), 0);
	int rc = fz_blocklist_refresh(bl, err, sizeof(err));
	CHECK_INT(rc, -EBADMSG);
	CHECK_INT(lk(fz_blocklist_current(bl), "two.test", NULL), FZ_VERDICT_BLOCK);
	CHECK_INT(fz_blocklist_refresh(bl, err, sizeof(err)), 0); /* said once */

	/* an older generation is refused */
	CHECK_INT(write_list("live.fzb", v1, 1, 1), 0);
	CHECK_INT(fz_blocklist_refresh(bl, err, sizeof(err)), -ESTALE);
	CHECK_INT(fz_blmap_generation(fz_blocklist_current(bl)), g1 + 1);
	/* the next good generation is taken */
	CHECK_INT(write_list("live.fzb", v1, 1, g1 + 5), 0);
	CHECK_INT(fz_blocklist_refresh(bl, err, sizeof(err)), 1);
	CHECK_INT(lk(fz_blocklist_current(bl), "two.test", NULL), FZ_VERDICT_NONE);

	/* a writer that cannot write leaves the old file alone */
	struct fz_blwriter *w;
	fz_blwriter_new(&w);
	fz_blwriter_add_feed(w, "f", FZ_CAT_FRAUD, "", FZ_FEED_NORMAL);
	CHECK(fz_blwriter_write(w, "/nonexistent-dir/x.fzb", NULL, NULL, err, sizeof(err)) < 0);
	CHECK(strstr(err, "nonexistent") != NULL);
	fz_blwriter_free(w);
	fz_blocklist_close(bl);
}

static void test_empty(void)
{
	char err[256];
	CHECK_INT(write_list("empty.fzb", NULL, 0, 1), 0);
	struct fz_blocklist *bl;
	CHECK_INT(fz_blocklist_open(path_in("empty.fzb"), &bl, err, sizeof(err)), 0);
	const struct fz_blmap *m = fz_blocklist_current(bl);
	CHECK_INT(lk(m, "any.test", NULL), FZ_VERDICT_NONE);
	CHECK_INT(fz_blmap_lookup_url(m, "a.test", 6, "/", 1, NULL), FZ_VERDICT_NONE);
	uint8_t ip[4] = {1, 2, 3, 4};
	CHECK_INT(fz_blmap_lookup_ip(m, AF_INET, ip, NULL), FZ_VERDICT_NONE);
	fz_blocklist_close(bl);
}

/* Many keys: every one placed (cuckoo moves included) is found, nothing else is. */
static void test_many(void)
{
	struct fz_blwriter *w;
	char name[64], err[256];
	enum { N = 30000 };
	CHECK_INT(fz_blwriter_new(&w), 0);
	int f = fz_blwriter_add_feed(w, "many", FZ_CAT_FRAUD, "", FZ_FEED_NORMAL);
	for (int i = 0; i < N; i++) {
		int n = snprintf(name, sizeof(name), "host%d.zone%d.test", i, i % 97);
		CHECK_INT(fz_blwriter_add_name(w, f, name, (size_t)n, FZ_ACTION_BLOCK,
					       i % 3 ? FZ_MATCH_EXACT : FZ_MATCH_SUBTREE,
					       FZ_POLICY_DEFAULT),
			  0);
	}
	struct fz_blwriter_stats st;
	CHECK_INT(fz_blwriter_write(w, path_in("many.fzb"), NULL, &st, err, sizeof(err)), 0);
	CHECK_INT(st.names, N);
	CHECK(st.index_bytes <= (uint64_t)N * 12);
	struct fz_blocklist *bl;
	CHECK_INT(fz_blocklist_open(path_in("many.fzb"), &bl, err, sizeof(err)), 0);
	const struct fz_blmap *m = fz_blocklist_current(bl);
	int found = 0, child = 0, stray = 0;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "host%d.zone%d.test", i, i % 97);
		found += lk(m, name, NULL) == FZ_VERDICT_BLOCK;
		snprintf(name, sizeof(name), "www.host%d.zone%d.test", i, i % 97);
		child += lk(m, name, NULL) == FZ_VERDICT_BLOCK;
		snprintf(name, sizeof(name), "host%d.zone%d.test", i + N, i % 97);
		stray += lk(m, name, NULL) != FZ_VERDICT_NONE;
	}
	CHECK_INT(found, N);
	CHECK_INT(child, (N + 2) / 3); /* only the subtree rules cover www. */
	CHECK_INT(stray, 0);
	fz_blocklist_close(bl);
	fz_blwriter_free(w);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_semantics();
	test_bad_files();
	test_refresh();
	test_empty();
	test_many();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return fz_test_done();
}
