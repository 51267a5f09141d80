/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fangzha rules install|remove|show: put the firewall rules that feed
 * fangzha-nfq in place, take them away again, or print them. The commands
 * come from fz_rules (pure); this file chooses the backend, runs them and
 * rolls back a half-done install.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fz_cli.h"
#include "fz_nfqcfg.h"
#include "fz_rules.h"

#define CMD	       "rules"
#define DEFAULT_CONFIG "/etc/fangzha/fangzha.conf"
#define OUTPUT_MAX     (1u << 20)

static const char rules_help[] =
    "Usage: fangzha rules install --mode gateway|host [OPTION]...\n"
    "       fangzha rules remove [OPTION]...\n"
    "       fangzha rules show [OPTION]...\n"
    "\n"
    "Put in place (install), take away (remove) or print (show) the firewall rules\n"
    "that queue the first packets of new TCP 80/443/853 and UDP 53/443 flows to\n"
    "fangzha-nfq, until the flow is decided or has sent max_queued_bytes.\n"
    "iptables and ip6tables: the chains " FZ_RULES_CHAIN " and " FZ_RULES_BLOCK_CHAIN " jumped to\n"
    "from rule 1 of FORWARD (gateway) or OUTPUT (host); nft: the table inet " FZ_RULES_NFT_TABLE
    ".\n"
    "install replaces whatever of ours is there (a second install changes nothing);\n"
    "remove deletes exactly that and nothing else.\n"
    "\n"
    "Options:\n"
    "      --mode MODE        gateway (forwarded traffic) or host (this machine's own);\n"
    "                         required for install\n"
    "      --queues N[-M]     queue numbers (default: [nfq] queues)\n"
    "  -c, --config FILE      the config file whose [nfq] gives queues, marks,\n"
    "                         max_queued_bytes and fail_closed (default\n"
    "                         " DEFAULT_CONFIG "; built-in defaults when it is absent)\n"
    "      --backend B        iptables or nft (default: nft when the kernel has the nft\n"
    "                         queue expression, else iptables; remove and show look\n"
    "                         at both)\n"
    "      --family F         4, 6 or both (default both; IPv6 is left out when the\n"
    "                         kernel or ip6tables lacks it)\n"
    "      --fail-closed      no --queue-bypass: without fangzha-nfq, queued flows stop\n"
    "  -n, --dry-run          print the commands (a shell script) instead of running\n"
    "                         them\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 done (also: nothing to remove or show); 1 a command failed (an\n"
    "install is rolled back); 2 usage error.\n";

enum action { ACT_INSTALL, ACT_REMOVE, ACT_SHOW };

struct rules_args {
	enum action action;
	const char *config;
	const char *queues;
	int mode;    /* -1: not given */
	int backend; /* -1: auto */
	unsigned families;
	bool families_given;
	bool fail_closed;
	bool dry_run;
};

enum {
	OPT_MODE = 256,
	OPT_QUEUES,
	OPT_BACKEND,
	OPT_FAMILY,
	OPT_FAIL_CLOSED,
};

static const struct option rules_options[] = {
    {"mode", required_argument, NULL, OPT_MODE},
    {"queues", required_argument, NULL, OPT_QUEUES},
    {"config", required_argument, NULL, 'c'},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"family", required_argument, NULL, OPT_FAMILY},
    {"fail-closed", no_argument, NULL, OPT_FAIL_CLOSED},
    {"dry-run", no_argument, NULL, 'n'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *const backend_name[] = {"iptables", "nft"};

/* Returns -1 to go on, or an exit code. */
static int rules_parse_args(int argc, char **argv, struct rules_args *a)
{
	int c;

	a->mode = -1;
	a->backend = -1;
	a->families = FZ_RULES_BOTH;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:nh", rules_options, NULL)) != -1) {
		switch (c) {
		case OPT_MODE:
			if (strcmp(optarg, "gateway") == 0)
				a->mode = FZ_RULES_GATEWAY;
			else if (strcmp(optarg, "host") == 0)
				a->mode = FZ_RULES_HOST;
			else
				return fz_cli_usage_error(
				    CMD, "--mode is gateway or host, not '%s'", optarg);
			break;
		case OPT_QUEUES:
			a->queues = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case OPT_BACKEND:
			if (strcmp(optarg, "iptables") == 0)
				a->backend = FZ_RULES_IPTABLES;
			else if (strcmp(optarg, "nft") == 0)
				a->backend = FZ_RULES_NFT;
			else
				return fz_cli_usage_error(
				    CMD, "--backend is iptables or nft, not '%s'", optarg);
			break;
		case OPT_FAMILY:
			if (strcmp(optarg, "4") == 0)
				a->families = FZ_RULES_IPV4;
			else if (strcmp(optarg, "6") == 0)
				a->families = FZ_RULES_IPV6;
			else if (strcmp(optarg, "both") == 0)
				a->families = FZ_RULES_BOTH;
			else
				return fz_cli_usage_error(CMD, "--family is 4, 6 or both, not '%s'",
							  optarg);
			a->families_given = true;
			break;
		case OPT_FAIL_CLOSED:
			a->fail_closed = true;
			break;
		case 'n':
			a->dry_run = true;
			break;
		case 'h':
			fputs(rules_help, stdout);
			return FZ_EXIT_OK;
		default:
			return fz_cli_bad_option(CMD, c, argv);
		}
	}
	if (optind >= argc)
		return fz_cli_usage_error(CMD, "install, remove or show?");
	if (strcmp(argv[optind], "install") == 0)
		a->action = ACT_INSTALL;
	else if (strcmp(argv[optind], "remove") == 0)
		a->action = ACT_REMOVE;
	else if (strcmp(argv[optind], "show") == 0)
		a->action = ACT_SHOW;
	else
		return fz_cli_usage_error(CMD, "unknown action '%s' (install, remove or show)",
					  argv[optind]);
	if (optind + 1 < argc)
		return fz_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
	if (a->action == ACT_INSTALL && a->mode < 0)
		return fz_cli_usage_error(CMD, "install needs --mode gateway or --mode host");
	return -1;
}

/* --- running commands ------------------------------------------------------- */

/* Is `prog` an executable file in $PATH? */
static bool have_prog(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n > 0 && n + strlen(prog) + 2 <= sizeof(buf)) {
			memcpy(buf, path, n);
			buf[n] = '/';
			strcpy(buf + n + 1, prog);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

static void to_devnull(int fd)
{
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (nul >= 0) {
		dup2(nul, fd);
		close(nul);
	}
}

/*
 * Run one command: its `input` on standard input; standard output into
 * *ret_out (a new string) when ret_out is given; standard error (and
 * standard output when not captured) to /dev/null when `quiet`. Returns
 * the exit status (127: could not be run), or a negative errno.
 */
static int run(const struct fz_rules_cmd *c, bool quiet, char **ret_out)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, status, r = 0;
	pid_t pid;

	if (c->input && pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (ret_out && pipe2(out, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto fail;
	}
	if (pid == 0) {
		if (c->input)
			dup2(in[0], STDIN_FILENO);
		if (ret_out)
			dup2(out[1], STDOUT_FILENO);
		else if (quiet)
			to_devnull(STDOUT_FILENO);
		if (quiet)
			to_devnull(STDERR_FILENO);
		execvp(c->argv[0], c->argv);
		_exit(127);
	}
	if (c->input) {
		const char *p = c->input;
		size_t left = strlen(p);

		close(in[0]);
		in[0] = -1;
		while (left > 0) {
			ssize_t w = write(in[1], p, left);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break; /* the program stopped reading: its status says why */
			p += w;
			left -= (size_t)w;
		}
		close(in[1]);
		in[1] = -1;
	}
	if (ret_out) {
		size_t len = 0, cap = 4096;
		char *buf = malloc(cap);

		close(out[1]);
		out[1] = -1;
		while (buf) {
			ssize_t n;

			if (len + 1 == cap) {
				char *nb = cap < OUTPUT_MAX ? realloc(buf, cap * 2) : NULL;

				if (!nb) {
					free(buf);
					buf = NULL;
					break;
				}
				buf = nb;
				cap *= 2;
			}
			n = read(out[0], buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		if (buf)
			buf[len] = '\0';
		*ret_out = buf;
		close(out[0]);
		out[0] = -1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			goto fail;
		}
	}
	if (ret_out && !*ret_out)
		return -ENOMEM;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return r;
}

/* A command from a fixed argv (for detection and show). */
static int run_argv(const char *const *argv, bool quiet, char **ret_out)
{
	struct fz_rules_cmd c;

	memset(&c, 0, sizeof(c));
	while (argv[c.argc] && c.argc < FZ_RULES_ARGV_MAX) {
		c.argv[c.argc] = (char *)argv[c.argc];
		c.argc++;
	}
	return run(&c, quiet, ret_out);
}

static void print_cmd_failure(const struct fz_rules_cmd *c, int r)
{
	fputs("fangzha rules: command failed", stderr);
	if (r < 0)
		fprintf(stderr, " (%s)", strerror(-r));
	else if (r == 127)
		fputs(" (cannot run it)", stderr);
	else
		fprintf(stderr, " (exit %d)", r);
	fputs(": ", stderr);
	fz_rules_print(stderr, c);
}

/*
 * Run a list: IGNORE and REPEAT commands quietly, REPEAT until it fails
 * (at most 64 times), OPTIONAL with a note when it fails. 0, or the failing MUST command's status
 * (> 0 or a negative errno), reported.
 */
static int run_list(const struct fz_rules_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct fz_rules_cmd *c = &l->cmds[i];
		int r;

		if (c->on_fail == FZ_RULES_REPEAT) {
			for (int k = 0; k < 64 && run(c, true, NULL) == 0; k++)
				;
			continue;
		}
		r = run(c, c->on_fail == FZ_RULES_IGNORE || c->on_fail == FZ_RULES_OPTIONAL, NULL);
		if (r != 0 && c->on_fail == FZ_RULES_OPTIONAL) {
			fprintf(stderr,
				"fangzha rules: note: left out (the kernel lacks a match it uses; "
				"the inspector reads those packets instead):\n  ");
			fz_rules_print(stderr, c);
			continue;
		}
		if (r != 0 && c->on_fail == FZ_RULES_MUST) {
			print_cmd_failure(c, r);
			return r;
		}
	}
	return 0;
}

static void print_list(const struct fz_rules_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		fz_rules_print(stdout, &l->cmds[i]);
}

/* --- what is there ----------------------------------------------------------- */

static const char *const ipt_prog[2] = {"iptables", "ip6tables"};

/* The families whose iptables have our chain. */
static unsigned ipt_present(unsigned families)
{
	unsigned present = 0;

	for (int f = 0; f < 2; f++) {
		const char *argv[] = {ipt_prog[f], "-w", "-S", FZ_RULES_CHAIN, NULL};

		if ((families & (1u << f)) && have_prog(ipt_prog[f]) &&
		    run_argv(argv, true, NULL) == 0)
			present |= 1u << f;
	}
	return present;
}

static bool nft_present(void)
{
	const char *argv[] = {"nft", "list", "table", "inet", FZ_RULES_NFT_TABLE, NULL};

	return have_prog("nft") && run_argv(argv, true, NULL) == 0;
}

/* Does the kernel take an nft queue rule? (A real, throwaway transaction.) */
static bool nft_has_queue(void)
{
	struct fz_rules_list l = {0};
	bool ok;

	if (!have_prog("nft") || fz_rules_nft_probe(&l) < 0) {
		fz_rules_list_free(&l);
		return false;
	}
	ok = run(&l.cmds[0], true, NULL) == 0;
	fz_rules_list_free(&l);
	return ok;
}

/* The families iptables rules are written for: what was asked, less what is missing. */
static unsigned ipt_families(const struct rules_args *a)
{
	unsigned fam = a->families;

	if (a->families_given || !(fam & FZ_RULES_IPV6))
		return fam;
	if (!have_prog("ip6tables") || access("/proc/net/if_inet6", F_OK) != 0) {
		fprintf(stderr, "fangzha rules: no IPv6 here (%s); IPv4 rules only\n",
			have_prog("ip6tables") ? "the kernel has it off" : "no ip6tables");
		fam &= ~(unsigned)FZ_RULES_IPV6;
	}
	return fam;
}

/* --- the actions ------------------------------------------------------------- */

static const char *where_text(enum fz_rules_backend b, unsigned fam)
{
	if (b == FZ_RULES_NFT)
		return fam == FZ_RULES_BOTH   ? "nft"
		       : fam == FZ_RULES_IPV4 ? "nft, IPv4"
					      : "nft, IPv6";
	return fam == FZ_RULES_BOTH   ? "iptables+ip6tables"
	       : fam == FZ_RULES_IPV4 ? "iptables"
				      : "ip6tables";
}

static int load_opts(const struct rules_args *a, struct fz_rules_opts *o)
{
	struct fz_nfq_cfg cfg;
	const char *path = a->config ? a->config : DEFAULT_CONFIG;
	char err[512] = "";
	int r;

	fz_rules_opts_defaults(o);
	if (!a->config && access(path, F_OK) != 0) {
		fz_nfq_cfg_defaults(&cfg);
	} else {
		r = fz_nfq_cfg_load(path, &cfg, err, sizeof(err));
		if (r < 0) {
			fz_cli_print_lib_error(CMD, path, err, r);
			return FZ_EXIT_FAIL;
		}
	}
	o->queue_first = cfg.queue_first;
	o->n_queues = cfg.n_queues;
	o->mark_decided = cfg.mark_decided;
	o->mark_blocked = cfg.mark_blocked;
	o->max_queued_bytes = cfg.max_queued_bytes;
	o->fail_closed = cfg.fail_closed || a->fail_closed;
	fz_nfq_cfg_free(&cfg);
	if (a->queues && fz_nfq_queues_parse(a->queues, &o->queue_first, &o->n_queues) < 0)
		return fz_cli_usage_error(CMD, "--queues '%s' is not N or N-M (at most %d queues)",
					  a->queues, FZ_NFQ_MAX_QUEUES);
	return -1;
}

static int do_install(const struct rules_args *a)
{
	struct fz_rules_opts o;
	struct fz_rules_list l = {0}, undo = {0};
	char err[256];
	int ret = load_opts(a, &o);

	if (ret >= 0)
		return ret;
	o.mode = (enum fz_rules_mode)a->mode;
	if (a->backend >= 0)
		o.backend = (enum fz_rules_backend)a->backend;
	else
		o.backend = nft_has_queue() ? FZ_RULES_NFT : FZ_RULES_IPTABLES;
	o.families = o.backend == FZ_RULES_NFT ? a->families : ipt_families(a);
	if (fz_rules_opts_check(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "fangzha rules: %s\n", err);
		return FZ_EXIT_FAIL;
	}
	if (fz_rules_install(&o, &l) < 0 || fz_rules_remove(o.backend, o.families, &undo) < 0) {
		fprintf(stderr, "fangzha rules: out of memory\n");
		ret = FZ_EXIT_FAIL;
		goto out;
	}
	if (a->dry_run) {
		printf("# fangzha rules install: backend %s, mode %s\n", backend_name[o.backend],
		       o.mode == FZ_RULES_HOST ? "host" : "gateway");
		print_list(&l);
		ret = FZ_EXIT_OK;
		goto out;
	}
	/* Ours under the other backend goes: one set of rules at a time. */
	if (o.backend == FZ_RULES_NFT) {
		unsigned old = ipt_present(FZ_RULES_BOTH);
		struct fz_rules_list rm = {0};

		if (old && fz_rules_remove(FZ_RULES_IPTABLES, old, &rm) == 0)
			run_list(&rm);
		fz_rules_list_free(&rm);
	} else if (nft_present()) {
		struct fz_rules_list rm = {0};

		if (fz_rules_remove(FZ_RULES_NFT, 0, &rm) == 0)
			run_list(&rm);
		fz_rules_list_free(&rm);
	}
	if (run_list(&l) != 0) {
		fprintf(stderr, "fangzha rules: install failed; removing what was added\n");
		run_list(&undo);
		ret = FZ_EXIT_FAIL;
		goto out;
	}
	if (o.n_queues == 1)
		snprintf(err, sizeof(err), "queue %u", o.queue_first);
	else
		snprintf(err, sizeof(err), "queues %u-%u", o.queue_first,
			 o.queue_first + o.n_queues - 1);
	printf("fangzha rules: installed (%s, %s, %s, %s)\n", where_text(o.backend, o.families),
	       o.mode == FZ_RULES_HOST ? "host" : "gateway", err,
	       o.fail_closed ? "fail-closed" : "bypass");
	ret = FZ_EXIT_OK;
out:
	fz_rules_list_free(&l);
	fz_rules_list_free(&undo);
	return ret;
}

static int do_remove(const struct rules_args *a)
{
	bool check_ipt = a->backend != FZ_RULES_NFT, check_nft = a->backend != FZ_RULES_IPTABLES;
	struct fz_rules_list l = {0};
	unsigned ipt = 0;
	bool nft = false;
	int ret = FZ_EXIT_OK;

	if (a->dry_run) {
		printf("# fangzha rules remove\n");
		if ((check_ipt && fz_rules_remove(FZ_RULES_IPTABLES, a->families, &l) < 0) ||
		    (check_nft && fz_rules_remove(FZ_RULES_NFT, 0, &l) < 0)) {
			fprintf(stderr, "fangzha rules: out of memory\n");
			ret = FZ_EXIT_FAIL;
		} else {
			print_list(&l);
		}
		fz_rules_list_free(&l);
		return ret;
	}
	if (check_ipt)
		ipt = ipt_present(a->families);
	if (check_nft)
		nft = nft_present();
	if (!ipt && !nft) {
		printf("fangzha rules: none installed\n");
		return FZ_EXIT_OK;
	}
	if ((ipt && fz_rules_remove(FZ_RULES_IPTABLES, ipt, &l) < 0) ||
	    (nft && fz_rules_remove(FZ_RULES_NFT, 0, &l) < 0)) {
		fprintf(stderr, "fangzha rules: out of memory\n");
		fz_rules_list_free(&l);
		return FZ_EXIT_FAIL;
	}
	run_list(&l);
	fz_rules_list_free(&l);
	/* Removal steps may fail quietly (a part was already gone): check the result. */
	if ((ipt && ipt_present(ipt)) || (nft && nft_present())) {
		fprintf(stderr, "fangzha rules: our rules are still there after removing them\n");
		return FZ_EXIT_FAIL;
	}
	printf("fangzha rules: removed (%s%s%s)\n", ipt ? where_text(FZ_RULES_IPTABLES, ipt) : "",
	       ipt && nft ? ", " : "", nft ? "nft" : "");
	return FZ_EXIT_OK;
}

/* Print the lines of `text` that end with "-j FANGZHA" (the jumps to our chain). */
static void print_jumps(const char *text)
{
	static const char tail[] = "-j " FZ_RULES_CHAIN;

	while (*text) {
		size_t n = strcspn(text, "\n");

		if (n >= sizeof(tail) - 1 &&
		    memcmp(text + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1) == 0)
			printf("%.*s\n", (int)n, text);
		text += n;
		if (*text)
			text++;
	}
}

static int show_ipt(int f)
{
	static const char *const chains[] = {FZ_RULES_CHAIN, FZ_RULES_BLOCK_CHAIN, "FORWARD",
					     "OUTPUT"};
	int ret = FZ_EXIT_OK;

	printf("# %s\n", ipt_prog[f]);
	for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
		const char *argv[] = {ipt_prog[f], "-w", "-S", chains[i], NULL};
		char *out = NULL;
		int r = run_argv(argv, false, &out);

		if (r != 0) {
			fprintf(stderr, "fangzha rules: %s -S %s failed\n", ipt_prog[f], chains[i]);
			ret = FZ_EXIT_FAIL;
		} else if (i < 2) {
			fputs(out, stdout);
		} else {
			print_jumps(out);
		}
		free(out);
	}
	return ret;
}

static int do_show(const struct rules_args *a)
{
	bool check_ipt = a->backend != FZ_RULES_NFT, check_nft = a->backend != FZ_RULES_IPTABLES;
	unsigned ipt = 0;
	bool nft = false;
	int ret = FZ_EXIT_OK;

	if (a->dry_run) {
		for (int f = 0; f < 2 && check_ipt; f++) {
			if (!(a->families & (1u << f)))
				continue;
			printf("%s -w -S %s\n%s -w -S %s\n%s -w -S FORWARD\n%s -w -S OUTPUT\n",
			       ipt_prog[f], FZ_RULES_CHAIN, ipt_prog[f], FZ_RULES_BLOCK_CHAIN,
			       ipt_prog[f], ipt_prog[f]);
		}
		if (check_nft)
			printf("nft list table inet %s\n", FZ_RULES_NFT_TABLE);
		return FZ_EXIT_OK;
	}
	if (check_ipt)
		ipt = ipt_present(a->families);
	if (check_nft)
		nft = nft_present();
	if (!ipt && !nft) {
		printf("fangzha rules: none installed\n");
		return FZ_EXIT_OK;
	}
	for (int f = 0; f < 2; f++)
		if ((ipt & (1u << f)) && show_ipt(f) != FZ_EXIT_OK)
			ret = FZ_EXIT_FAIL;
	if (nft) {
		const char *argv[] = {"nft", "list", "table", "inet", FZ_RULES_NFT_TABLE, NULL};

		printf("# nft\n");
		if (run_argv(argv, false, NULL) != 0)
			ret = FZ_EXIT_FAIL;
	}
	return ret;
}

int fz_cmd_rules(int argc, char **argv)
{
	struct rules_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	ret = rules_parse_args(argc, argv, &a);
	if (ret >= 0)
		return ret;
	/* nft may stop reading its input early: its exit status says what happened. */
	signal(SIGPIPE, SIG_IGN);
	switch (a.action) {
	case ACT_INSTALL:
		return do_install(&a);
	case ACT_REMOVE:
		return do_remove(&a);
	case ACT_SHOW:
		return do_show(&a);
	}
	return FZ_EXIT_FAIL;
}
