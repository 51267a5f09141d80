/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small valid blocklist built with the real writer: the seed for the
 * reader targets and the starting point of the mutating reader target.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "fz_blwriter.h"

static const char hosts_text[] = "# hosts\n"
				 "0.0.0.0 evil.example\n"
				 "127.0.0.1 www.fraud.test pay.fraud.test\n"
				 "0.0.0.0 xn--80ak6aa92e.com\n";
static const char adblock_text[] = "! adblock\n"
				   "||fraud.test^\n"
				   "@@||allowed.evil.example^\n"
				   "||example.com/phish/login^\n"
				   "||gambling.example^$doc\n";
static const char rpz_text[] = "$TTL 300\n"
			       "@ SOA localhost. root.localhost. 1 3600 600 86400 300\n"
			       "  NS localhost.\n"
			       "scam.example CNAME .\n"
			       "*.scam.example CNAME .\n"
			       "nodata.example CNAME *.\n"
			       "sink.example A 192.0.2.53\n"
			       "sink.example AAAA 2001:db8::53\n"
			       "ok.scam.example CNAME rpz-passthru.\n";
static const char urls_text[] = "http://evil.example/phish/index.html\n"
				"https://198.51.100.7/bin.sh\n"
				"http://[2001:db8::66]/x\n"
				"https://shop.example:8443/pay?id=1#frag\n";

static int add_text(struct fz_blwriter *w, int feed, const char *text, enum fz_format format)
{
	struct fz_parse_opts opts = {.format = format};
	struct fz_parse_result res;
	int r;

	memset(&res, 0, sizeof(res));
	r = fz_parse((const uint8_t *)text, strlen(text), &opts, &res);
	if (r < 0)
		return r;
	r = fz_blwriter_add_parsed(w, feed, &res);
	fz_parse_result_free(&res);
	return r;
}

int fz_fuzz_write_valid(const char *path)
{
	static const uint8_t seed[16] = {0xf0, 0x0d, 0xfa, 0xce, 1, 2,	3,  4,
					 5,    6,    7,	   8,	 9, 10, 11, 12};
	struct fz_blwriter_opts wo = {.generation = 7, .seed = seed, .created = 1700000000};
	struct fz_blwriter *w;
	char err[256];
	int f[6], r;

	r = fz_blwriter_new(&w);
	if (r < 0)
		return r;
	f[0] = fz_blwriter_add_feed(w, "hosts", FZ_CAT_FRAUD, "file:hosts", FZ_FEED_NORMAL);
	f[1] = fz_blwriter_add_feed(w, "adblock", FZ_CAT_PHISHING, "file:adblock", FZ_FEED_NORMAL);
	f[2] = fz_blwriter_add_feed(w, "rpz", FZ_CAT_MALWARE, "axfr:rpz", FZ_FEED_NORMAL);
	f[3] = fz_blwriter_add_feed(w, "urls", FZ_CAT_MALWARE, "https://feeds.example/u",
				    FZ_FEED_NORMAL);
	f[4] = fz_blwriter_add_feed(w, "local-allow", FZ_CAT_CUSTOM, "", FZ_FEED_LOCAL_ALLOW);
	f[5] = fz_blwriter_add_feed(w, "local-block", FZ_CAT_CUSTOM, "", FZ_FEED_LOCAL_BLOCK);
	for (int i = 0; i < 6; i++)
		if (f[i] < 0) {
			r = f[i];
			goto out;
		}
	if ((r = add_text(w, f[0], hosts_text, FZ_FORMAT_HOSTS)) < 0 ||
	    (r = add_text(w, f[1], adblock_text, FZ_FORMAT_ADBLOCK)) < 0 ||
	    (r = add_text(w, f[2], rpz_text, FZ_FORMAT_RPZ)) < 0 ||
	    (r = add_text(w, f[3], urls_text, FZ_FORMAT_URLS)) < 0)
		goto out;
	r = fz_blwriter_add_name(w, f[4], "pay.fraud.test", 14, FZ_ACTION_ALLOW, FZ_MATCH_EXACT,
				 FZ_POLICY_DEFAULT);
	if (r < 0)
		goto out;
	r = fz_blwriter_add_name(w, f[5], "local.block.example", 19, FZ_ACTION_BLOCK,
				 FZ_MATCH_SUBTREE, FZ_POLICY_NXDOMAIN);
	if (r < 0)
		goto out;
	r = fz_blwriter_write(w, path, &wo, NULL, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "fuzz: cannot write %s: %s\n", path, err);
out:
	fz_blwriter_free(w);
	return r;
}

const char *fz_fuzz_tmpdir(void)
{
	static char dir[128];

	if (!dir[0]) {
		struct stat st;
		const char *base = "/dev/shm";

		if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode) || access(base, W_OK) != 0)
			base = "/tmp";
		snprintf(dir, sizeof(dir), "%s/fz-fuzz-%ld", base, (long)getpid());
	}
	/* Made again on every call: users remove it when they are done. */
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return NULL;
	return dir;
}

/* Read a whole file into a malloc'd buffer. */
static uint8_t *read_all(const char *path, size_t *ret_len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || (buf = malloc((size_t)st.st_size)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	*ret_len = got;
	return buf;
}

const uint8_t *fz_fuzz_valid_image(size_t *ret_len)
{
	static uint8_t *img;
	static size_t img_len;
	static bool tried;
	char path[256];
	const char *dir;

	if (!tried) {
		tried = true;
		dir = fz_fuzz_tmpdir();
		if (dir) {
			snprintf(path, sizeof(path), "%s/valid.fzb", dir);
			if (fz_fuzz_write_valid(path) == 0)
				img = read_all(path, &img_len);
			unlink(path);
			rmdir(dir);
		}
		if (!img)
			fprintf(stderr, "fuzz: could not build the valid blocklist image\n");
	}
	*ret_len = img_len;
	return img;
}
