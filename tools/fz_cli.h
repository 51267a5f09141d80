/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `fangzha` command-line tool: what the subcommands share. Output
 * helpers that make untrusted bytes safe for a terminal or for JSON, a
 * bounded file reader, and the exit codes every subcommand uses.
 */
#ifndef FZ_CLI_H
#define FZ_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Exit codes (documented in fangzha(1)). */
enum {
	FZ_EXIT_OK = 0,
	FZ_EXIT_FAIL = 1,    /* nothing useful done: no input read, write failed, cannot open */
	FZ_EXIT_USAGE = 2,   /* bad command line */
	FZ_EXIT_PARTIAL = 3, /* compile: written, but some inputs could not be read */
};

/* Largest input file `fangzha compile` reads. */
#define FZ_CLI_INPUT_MAX ((size_t)1 << 30)

/* The subcommands: argv[0] is the command name. Each returns an exit code. */
int fz_cmd_compile(int argc, char **argv);
int fz_cmd_check(int argc, char **argv);
int fz_cmd_info(int argc, char **argv);
int fz_cmd_feeds(int argc, char **argv);
int fz_cmd_rules(int argc, char **argv);
/* `fangzha compile --config FILE [-o OUTPUT]` (in cmd_feeds.c). */
int fz_cmd_compile_config(const char *config, const char *output);

/* "Try 'fangzha CMD --help'." on stderr; returns FZ_EXIT_USAGE. */
int fz_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report a getopt_long() error (c is '?' or ':'); returns FZ_EXIT_USAGE. */
int fz_cli_bad_option(const char *cmd, int c, char **argv);

/*
 * "fangzha CMD: WHAT: reason" on stderr, with the library's error sentence
 * `err` when there is one (it often names the file already: then WHAT is
 * not repeated), else strerror(-r).
 */
void fz_cli_print_lib_error(const char *cmd, const char *what, const char *err, int r);

/*
 * Read a whole file ("-" is standard input) of at most `cap` bytes into a
 * new buffer (free()). Returns 0, -EFBIG when it is larger than `cap`, or
 * another negative errno.
 */
int fz_cli_read_file(const char *path, size_t cap, uint8_t **ret, size_t *ret_len);

/* Length of the valid UTF-8 sequence at `p` (1..4), or 0 when it is not one. */
size_t fz_cli_utf8_len(const unsigned char *p, size_t n);

/*
 * Write `len` bytes for a person: valid printable UTF-8 as is, a backslash
 * as "\\", control characters and invalid bytes as "\xNN".
 */
void fz_cli_put_text(FILE *f, const char *s, size_t len);

/* Write `len` bytes as a JSON string with quotes; invalid UTF-8 becomes U+FFFD. */
void fz_cli_put_json(FILE *f, const char *s, size_t len);
static inline void fz_cli_put_json_str(FILE *f, const char *s)
{
	if (s)
		fz_cli_put_json(f, s, strlen(s));
	else
		fputs("null", f);
}

/* Parse a decimal unsigned number (the whole string). Returns 0 or -EINVAL/-ERANGE. */
int fz_cli_parse_u64(const char *s, uint64_t *ret);

/* Parse exactly 2*n hex digits into `out`. Returns 0 or -EINVAL. */
int fz_cli_parse_hex(const char *s, uint8_t *out, size_t n);

/* Seconds since an unspecified start (CLOCK_MONOTONIC). */
double fz_cli_now(void);

/* "2026-11-27T20:30:00Z" into `buf` (at least 32 bytes). */
void fz_cli_format_time(uint64_t unix_seconds, char *buf, size_t len);

#endif
