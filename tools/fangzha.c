/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fangzha: compile feeds into a blocklist, check names against it, describe it. */
#include <stdio.h>
#include <string.h>

#include "fz_cli.h"
#include "fz_config.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"compile", fz_cmd_compile, "compile feeds and local lists into a blocklist file"},
    {"check", fz_cmd_check, "look up names, URLs and addresses in a blocklist file"},
    {"info", fz_cmd_info, "describe a blocklist file and check its integrity"},
    {"feeds", fz_cmd_feeds, "list the configured feeds and the state of each"},
    {"rules", fz_cmd_rules, "install, remove or show the firewall rules of fangzha-nfq"},
};

static void usage(FILE *f)
{
	fputs("Usage: fangzha COMMAND [OPTION]... [ARG]...\n"
	      "       fangzha --help | --version\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("  help CMD  the same as 'fangzha CMD --help'\n"
	      "\n"
	      "Run 'fangzha COMMAND --help' for a command's options; see fangzha(1).\n"
	      "Exit status: 0 success, 1 failure, 2 usage error, 3 compile wrote the\n"
	      "blocklist but some inputs could not be read.\n",
	      f);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return FZ_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return FZ_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("fangzha %s\n", FZ_VERSION);
		return FZ_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc == 2) {
			usage(stdout);
			return FZ_EXIT_OK;
		}
		cmd = find_command(argv[2]);
		if (!cmd)
			return fz_cli_usage_error(NULL, "unknown command '%s'", argv[2]);
		char *help_argv[] = {argv[2], "--help", NULL};
		return cmd->run(2, help_argv);
	}
	if (argv[1][0] == '-')
		return fz_cli_usage_error(NULL, "unknown option '%s'", argv[1]);
	cmd = find_command(argv[1]);
	if (!cmd)
		return fz_cli_usage_error(NULL, "unknown command '%s'", argv[1]);
	return cmd->run(argc - 1, argv + 1);
}
