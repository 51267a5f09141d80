/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fangzha compile: read feeds and the local allow/block lists, parse them,
 * report what was accepted and what was not, and publish one blocklist file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "fz_blwriter.h"
#include "fz_cli.h"
#include "fz_parse.h"
#include "fz_rule.h"

#define CMD		      "compile"
#define DEFAULT_SHOW_PROBLEMS 5

static const char compile_help[] =
    "Usage: fangzha compile -o FILE [OPTION]... [INPUT-OPTION]... INPUT...\n"
    "       fangzha compile --config FILE [-o FILE]\n"
    "\n"
    "With --config, the feeds of the config file are compiled from their last good\n"
    "copies in its state_dir (what fangzha-feed keeps), with its allow and block\n"
    "lists, into its output (or -o FILE); nothing is downloaded.\n"
    "\n"
    "Parse feed files and write one blocklist file, atomically (a temporary file\n"
    "beside FILE is renamed over it only when complete). INPUT '-' is standard input.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE      the blocklist file to write (required)\n"
    "      --allow FILE       local allowlist (domains format); beats every feed\n"
    "      --block FILE       local blocklist (domains format); beats feed allow rules\n"
    "      --generation N     generation number (default: one more than FILE's)\n"
    "      --seed HEX         hash seed, 32 hex digits (default: random)\n"
    "      --created SECONDS  build time in unix seconds (default: now)\n"
    "      --problems N       problems listed per input (default 5)\n"
    "  -v, --verbose          list every problem kept (up to 1000 per input)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Input options apply to the INPUTs after them on the command line:\n"
    "      --format F         auto hosts domains adblock rpz urls csv (default auto);\n"
    "                         stays in effect until given again\n"
    "      --match M          exact, subtree, or default (the format's own meaning);\n"
    "                         stays in effect until given again\n"
    "      --category C       fraud phishing malware gambling doh custom (default\n"
    "                         fraud); stays in effect until given again\n"
    "      --name N           feed name of the NEXT input only (default: its file\n"
    "                         name without directories; 'stdin' for '-')\n"
    "\n"
    "Local lists: one name per line, '*.name' for the name and everything below it,\n"
    "'#' comments; their feeds are named local-allow and local-block (category custom).\n"
    "An unreadable local list is an error: nothing is written.\n"
    "\n"
    "Exit status: 0 written; 1 nothing written (no input could be read, a local\n"
    "list could not be read, or the write failed: FILE is left as it was);\n"
    "2 usage error; 3 written, but some inputs could not be read.\n";

struct compile_input {
	const char *path;
	const char *name; /* NULL: the file name */
	enum fz_format format;
	enum fz_match match;
	enum fz_category category;
};

struct compile_args {
	const char *output;
	const char *config;
	const char *allow_path;
	const char *block_path;
	struct compile_input *inputs;
	size_t n_inputs;
	struct fz_blwriter_opts wopts;
	uint8_t seed[16];
	size_t show_problems;
	bool verbose;
};

struct compile_totals {
	size_t inputs, read, unreadable;
	size_t lines, accepted, duplicates, rejected, skipped;
};

enum {
	OPT_ALLOW = 256,
	OPT_CONFIG,
	OPT_BLOCK,
	OPT_FORMAT,
	OPT_MATCH,
	OPT_CATEGORY,
	OPT_NAME,
	OPT_GENERATION,
	OPT_SEED,
	OPT_CREATED,
	OPT_PROBLEMS,
};

static const struct option compile_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"allow", required_argument, NULL, OPT_ALLOW},
    {"block", required_argument, NULL, OPT_BLOCK},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"match", required_argument, NULL, OPT_MATCH},
    {"category", required_argument, NULL, OPT_CATEGORY},
    {"name", required_argument, NULL, OPT_NAME},
    {"generation", required_argument, NULL, OPT_GENERATION},
    {"seed", required_argument, NULL, OPT_SEED},
    {"created", required_argument, NULL, OPT_CREATED},
    {"problems", required_argument, NULL, OPT_PROBLEMS},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *input_basename(const char *path)
{
	const char *slash;

	if (strcmp(path, "-") == 0)
		return "stdin";
	slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

static const char *input_source(const char *path)
{
	return strcmp(path, "-") == 0 ? "stdin" : path;
}

static const char *input_feed_name(const struct compile_input *in)
{
	return in->name ? in->name : input_basename(in->path);
}

static int parse_match(const char *s)
{
	if (strcmp(s, "default") == 0)
		return FZ_MATCH_DEFAULT;
	int m = fz_match_parse(s);
	return m == FZ_MATCH_EXACT || m == FZ_MATCH_SUBTREE ? m : -EINVAL;
}

/* A non-option argument: one more input, with the input options now in effect. */
static int add_input(struct compile_args *a, const char *path, const struct compile_input *cur)
{
	struct compile_input *n = realloc(a->inputs, (a->n_inputs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	a->inputs = n;
	n[a->n_inputs] = *cur;
	n[a->n_inputs].path = path;
	a->n_inputs++;
	return 0;
}

static size_t count_stdin(const struct compile_args *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_inputs; i++)
		n += strcmp(a->inputs[i].path, "-") == 0;
	n += a->allow_path && strcmp(a->allow_path, "-") == 0;
	n += a->block_path && strcmp(a->block_path, "-") == 0;
	return n;
}

/* Returns -1 to go on, or an exit code. */
static int compile_parse_args(int argc, char **argv, struct compile_args *a)
{
	struct compile_input cur = {
	    .format = FZ_FORMAT_AUTO, .match = FZ_MATCH_DEFAULT, .category = FZ_CAT_FRAUD};
	uint64_t v;
	int c, r;

	a->show_problems = DEFAULT_SHOW_PROBLEMS;
	opterr = 0;
	/* '-': non-options come back in order (as 1), so input options apply by position. */
	while ((c = getopt_long(argc, argv, "-:o:vh", compile_options, NULL)) != -1) {
		switch (c) {
		case 1:
			if (add_input(a, optarg, &cur) < 0)
				return FZ_EXIT_FAIL;
			cur.name = NULL;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		case OPT_ALLOW:
		case OPT_BLOCK: {
			const char **slot = c == OPT_ALLOW ? &a->allow_path : &a->block_path;
			if (*slot)
				return fz_cli_usage_error(CMD, "--%s given twice",
							  c == OPT_ALLOW ? "allow" : "block");
			*slot = optarg;
			break;
		}
		case OPT_FORMAT:
			r = fz_format_parse(optarg);
			if (r < 0)
				return fz_cli_usage_error(CMD, "unknown format '%s'", optarg);
			cur.format = (enum fz_format)r;
			break;
		case OPT_MATCH:
			r = parse_match(optarg);
			if (r < 0)
				return fz_cli_usage_error(CMD, "unknown match '%s'", optarg);
			cur.match = (enum fz_match)r;
			break;
		case OPT_CATEGORY:
			r = fz_category_parse(optarg);
			if (r < 0)
				return fz_cli_usage_error(CMD, "unknown category '%s'", optarg);
			cur.category = (enum fz_category)r;
			break;
		case OPT_NAME:
			if (!*optarg)
				return fz_cli_usage_error(CMD, "empty --name");
			cur.name = optarg;
			break;
		case OPT_GENERATION:
			if (fz_cli_parse_u64(optarg, &v) < 0 || v == 0)
				return fz_cli_usage_error(CMD, "bad generation '%s'", optarg);
			a->wopts.generation = v;
			break;
		case OPT_SEED:
			if (fz_cli_parse_hex(optarg, a->seed, sizeof(a->seed)) < 0)
				return fz_cli_usage_error(CMD, "--seed wants 32 hex digits");
			a->wopts.seed = a->seed;
			break;
		case OPT_CREATED:
			if (fz_cli_parse_u64(optarg, &v) < 0 || v == 0)
				return fz_cli_usage_error(CMD, "bad time '%s'", optarg);
			a->wopts.created = v;
			break;
		case OPT_PROBLEMS:
			if (fz_cli_parse_u64(optarg, &v) < 0 || v > 1000)
				return fz_cli_usage_error(CMD, "--problems wants 0..1000");
			a->show_problems = (size_t)v;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			fputs(compile_help, stdout);
			return FZ_EXIT_OK;
		default:
			return fz_cli_bad_option(CMD, c, argv);
		}
	}
	/* After "--" everything is an input. */
	for (; optind < argc; optind++) {
		if (add_input(a, argv[optind], &cur) < 0)
			return FZ_EXIT_FAIL;
		cur.name = NULL;
	}
	if (a->config) {
		if (a->n_inputs || a->allow_path || a->block_path)
			return fz_cli_usage_error(
			    CMD, "--config takes its inputs and local lists from the config file");
		return -1;
	}
	if (cur.name)
		return fz_cli_usage_error(CMD, "--name '%s' has no input after it", cur.name);
	if (!a->output)
		return fz_cli_usage_error(CMD, "no output file (-o FILE)");
	if (a->n_inputs == 0)
		return fz_cli_usage_error(CMD, "no input files");
	if (count_stdin(a) > 1)
		return fz_cli_usage_error(CMD, "standard input ('-') can be read only once");
	return -1;
}

static void print_problems(const char *path, const struct fz_parse_result *res,
			   const struct compile_args *a)
{
	size_t total = res->rejected + res->skipped;
	size_t shown = res->n_problems;

	if (!a->verbose && shown > a->show_problems)
		shown = a->show_problems;
	for (size_t i = 0; i < shown; i++) {
		const struct fz_problem *p = &res->problems[i];

		fputs("  ", stdout);
		fz_cli_put_text(stdout, path, strlen(path));
		printf(":%u: %s: ", p->line, p->reason ? p->reason : "?");
		fz_cli_put_text(stdout, fz_parse_str(res, p->text_off), p->text_len);
		putchar('\n');
	}
	if (total > shown) {
		printf("  ... %zu more problem%s", total - shown, total - shown == 1 ? "" : "s");
		if (!a->verbose)
			fputs(" (-v lists up to 1000)", stdout);
		else
			fputs(" (counted, not kept)", stdout);
		putchar('\n');
	}
}

static void print_input_report(const char *name, const char *path, const char *role_note,
			       enum fz_category category, enum fz_format given,
			       const struct fz_parse_result *res, const struct compile_args *a)
{
	fputs("feed ", stdout);
	fz_cli_put_text(stdout, name, strlen(name));
	fputs(" from ", stdout);
	fz_cli_put_text(stdout, path, strlen(path));
	printf("%s\n", role_note);
	printf("  format=%s (%s) category=%s lines=%zu accepted=%zu duplicates=%zu "
	       "rejected=%zu skipped=%zu\n",
	       fz_format_name(res->format), given == FZ_FORMAT_AUTO ? "detected" : "given",
	       fz_category_name(category), res->lines, res->accepted, res->duplicates,
	       res->rejected, res->skipped);
	if (res->truncated)
		printf("  warning: entry bound reached, the rest of the input was not read\n");
	print_problems(input_source(path), res, a);
}

/* Local allowlist: the domains parser yields block rules; add them as allow rules. */
static int add_allow_entries(struct fz_blwriter *w, int feed, const struct fz_parse_result *res)
{
	size_t ignored = 0;

	for (size_t i = 0; i < res->n_entries; i++) {
		const struct fz_entry *e = &res->entries[i];
		int r;

		if (e->kind != FZ_RULE_NAME) {
			ignored++;
			continue;
		}
		r = fz_blwriter_add_name(w, feed, fz_parse_str(res, e->name_off), e->name_len,
					 FZ_ACTION_ALLOW, (enum fz_match)e->match,
					 FZ_POLICY_DEFAULT);
		if (r < 0)
			return r;
	}
	if (ignored)
		printf("  warning: %zu allowlist entries are not names and were ignored\n",
		       ignored);
	return 0;
}

static void totals_add(struct compile_totals *t, const struct fz_parse_result *res)
{
	t->lines += res->lines;
	t->accepted += res->accepted;
	t->duplicates += res->duplicates;
	t->rejected += res->rejected;
	t->skipped += res->skipped;
}

/*
 * Read, parse and add one input. Returns 0, 1 when the input could not be
 * read or parsed (reported; the caller decides whether that is fatal), or
 * a negative errno when the writer failed (reported).
 */
static int compile_one(struct fz_blwriter *w, const struct compile_input *in,
		       enum fz_feed_role role, const struct compile_args *a,
		       struct compile_totals *t)
{
	struct fz_parse_opts popts = {
	    .format = in->format,
	    .match = in->match,
	    .max_problems = a->verbose ? 1000 : (a->show_problems ? a->show_problems : 1),
	};
	struct fz_parse_result res;
	const char *name = input_feed_name(in);
	const char *source = input_source(in->path);
	uint8_t *data = NULL;
	size_t len = 0;
	int r, feed;

	r = fz_cli_read_file(in->path, FZ_CLI_INPUT_MAX, &data, &len);
	if (r < 0) {
		fprintf(stderr, "fangzha compile: cannot read %s: %s\n", source,
			r == -EFBIG ? "larger than 1 GiB" : strerror(-r));
		return 1;
	}
	memset(&res, 0, sizeof(res));
	r = fz_parse(data, len, &popts, &res);
	free(data);
	if (r < 0) {
		fprintf(stderr, "fangzha compile: cannot parse %s: %s\n", source, strerror(-r));
		fz_parse_result_free(&res);
		return 1;
	}
	print_input_report(name, source,
			   role == FZ_FEED_LOCAL_ALLOW	 ? " (local allowlist)"
			   : role == FZ_FEED_LOCAL_BLOCK ? " (local blocklist)"
							 : "",
			   in->category, in->format, &res, a);
	totals_add(t, &res);

	feed = fz_blwriter_add_feed(w, name, in->category, source, role);
	if (feed < 0) {
		r = feed;
		fprintf(stderr, "fangzha compile: cannot add feed '%s': %s\n", name, strerror(-r));
	} else if (role == FZ_FEED_LOCAL_ALLOW) {
		r = add_allow_entries(w, feed, &res);
	} else {
		r = fz_blwriter_add_parsed(w, feed, &res);
	}
	if (r < 0 && feed >= 0)
		fprintf(stderr, "fangzha compile: cannot add the rules of %s: %s\n", source,
			strerror(-r));
	fz_parse_result_free(&res);
	return r < 0 ? r : 0;
}

/* The local allow and block lists: unreadable is fatal. Returns 0 or an exit code. */
static int compile_local(struct fz_blwriter *w, const char *path, enum fz_feed_role role,
			 const struct compile_args *a, struct compile_totals *t)
{
	struct compile_input in = {
	    .path = path,
	    .name = role == FZ_FEED_LOCAL_ALLOW ? "local-allow" : "local-block",
	    .format = FZ_FORMAT_DOMAINS,
	    .match = FZ_MATCH_DEFAULT,
	    .category = FZ_CAT_CUSTOM,
	};

	if (!path)
		return 0;
	if (compile_one(w, &in, role, a, t) != 0) {
		fprintf(stderr, "fangzha compile: %s not written\n", a->output);
		return FZ_EXIT_FAIL;
	}
	return 0;
}

static void print_write_report(const char *output, const struct fz_blwriter_stats *s,
			       double seconds)
{
	fputs("wrote ", stdout);
	fz_cli_put_text(stdout, output, strlen(output));
	printf(" generation=%llu size=%llu time=%.3fs\n", (unsigned long long)s->generation,
	       (unsigned long long)s->file_size, seconds);
	printf("rules input=%llu names=%llu allow_names=%llu urls=%llu url_hosts=%llu ip4=%llu "
	       "ip6=%llu\n",
	       (unsigned long long)s->input_rules, (unsigned long long)s->names,
	       (unsigned long long)s->allow_names, (unsigned long long)s->urls,
	       (unsigned long long)s->url_hosts, (unsigned long long)s->ip4,
	       (unsigned long long)s->ip6);
	printf("merge merged=%llu pruned=%llu shadowed=%llu reseeds=%u index_bytes=%llu\n",
	       (unsigned long long)s->merged, (unsigned long long)s->pruned,
	       (unsigned long long)s->shadowed, s->reseeds, (unsigned long long)s->index_bytes);
}

/* Feed names tell feeds apart in `check` and `info`: say when two are the same. */
static void warn_duplicate_names(const struct compile_args *a)
{
	for (size_t i = 0; i < a->n_inputs; i++) {
		const char *name = input_feed_name(&a->inputs[i]);
		bool dup = strcmp(name, "local-allow") == 0 || strcmp(name, "local-block") == 0;

		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(name, input_feed_name(&a->inputs[j])) == 0;
		if (dup)
			fprintf(stderr,
				"fangzha compile: warning: feed name '%s' (%s) is used twice; "
				"--name tells feeds apart\n",
				name, input_source(a->inputs[i].path));
	}
}

static int compile_run(const struct compile_args *a)
{
	struct compile_totals t = {0};
	struct fz_blwriter_stats stats = {0};
	struct fz_blwriter *w = NULL;
	char err[512] = "";
	double start = fz_cli_now();
	int r, ret = FZ_EXIT_FAIL;

	warn_duplicate_names(a);
	r = fz_blwriter_new(&w);
	if (r < 0) {
		fprintf(stderr, "fangzha compile: %s\n", strerror(-r));
		return FZ_EXIT_FAIL;
	}
	r = compile_local(w, a->allow_path, FZ_FEED_LOCAL_ALLOW, a, &t);
	if (r == 0)
		r = compile_local(w, a->block_path, FZ_FEED_LOCAL_BLOCK, a, &t);
	if (r != 0)
		goto out;
	for (size_t i = 0; i < a->n_inputs; i++) {
		t.inputs++;
		r = compile_one(w, &a->inputs[i], FZ_FEED_NORMAL, a, &t);
		if (r < 0) {
			fprintf(stderr, "fangzha compile: %s not written\n", a->output);
			goto out;
		}
		if (r == 1)
			t.unreadable++;
		else
			t.read++;
	}
	printf("total inputs=%zu read=%zu unreadable=%zu lines=%zu accepted=%zu duplicates=%zu "
	       "rejected=%zu skipped=%zu\n",
	       t.inputs, t.read, t.unreadable, t.lines, t.accepted, t.duplicates, t.rejected,
	       t.skipped);
	if (t.read == 0) {
		fprintf(stderr, "fangzha compile: no input could be read; %s not written\n",
			a->output);
		goto out;
	}
	r = fz_blwriter_write(w, a->output, &a->wopts, &stats, err, sizeof(err));
	if (r < 0) {
		fz_cli_print_lib_error(CMD, a->output, err, r);
		goto out;
	}
	print_write_report(a->output, &stats, fz_cli_now() - start);
	if (t.unreadable) {
		fprintf(stderr,
			"fangzha compile: warning: %zu of %zu inputs could not be read; %s was "
			"written without them\n",
			t.unreadable, t.inputs, a->output);
		ret = FZ_EXIT_PARTIAL;
	} else {
		ret = FZ_EXIT_OK;
	}
out:
	fz_blwriter_free(w);
	return ret;
}

int fz_cmd_compile(int argc, char **argv)
{
	struct compile_args a = {0};
	int ret;

	/* Reports on stdout and warnings on stderr stay in order in a shared log. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = compile_parse_args(argc, argv, &a);
	if (ret < 0)
		ret = a.config ? fz_cmd_compile_config(a.config, a.output) : compile_run(&a);
	free(a.inputs);
	return ret;
}
