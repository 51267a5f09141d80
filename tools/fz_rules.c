/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The firewall rules of fangzha-nfq as commands: argv arrays built from
 * the options, nothing run. iptables rule specs are written the way
 * `iptables -S` prints them back, so what --dry-run shows is what
 * `fangzha rules show` and iptables-save read after an install.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fz_rules.h"

#define CMD_TEXT_MAX 1024
#define TEXT_MAX     4096

static const char *const ipt_prog[2] = {"iptables", "ip6tables"};

void fz_rules_opts_defaults(struct fz_rules_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = FZ_RULES_GATEWAY;
	o->backend = FZ_RULES_IPTABLES;
	o->families = FZ_RULES_BOTH;
	o->queue_first = 0;
	o->n_queues = 1;
	o->mark_decided = 0x10000000u;
	o->mark_blocked = 0x20000000u;
	o->max_queued_bytes = 262144;
	o->fail_closed = false;
}

static int say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int fz_rules_opts_check(const struct fz_rules_opts *o, char *err, size_t errlen)
{
	if (!o)
		return say(err, errlen, "no options");
	if (o->mode != FZ_RULES_GATEWAY && o->mode != FZ_RULES_HOST)
		return say(err, errlen, "unknown mode");
	if (o->backend != FZ_RULES_IPTABLES && o->backend != FZ_RULES_NFT)
		return say(err, errlen, "unknown backend");
	if (o->families == 0 || (o->families & ~(unsigned)FZ_RULES_BOTH))
		return say(err, errlen, "no address family");
	if (o->n_queues < 1 || o->n_queues > 64 ||
	    (uint32_t)o->queue_first + o->n_queues - 1 > 65535)
		return say(err, errlen, "queues %u+%u: 1 to 64 queues within 0..65535",
			   o->queue_first, o->n_queues);
	if (o->mark_decided == 0 || o->mark_blocked == 0)
		return say(err, errlen, "a mark is 0");
	if (o->mark_decided & o->mark_blocked)
		return say(err, errlen,
			   "the decided mark 0x%x and the blocked mark 0x%x share bits",
			   o->mark_decided, o->mark_blocked);
	if (o->max_queued_bytes == 0)
		return say(err, errlen, "max_queued_bytes is 0");
	return 0;
}

/* --- the list -------------------------------------------------------------- */

void fz_rules_list_free(struct fz_rules_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->cmds[i].buf_);
		free(l->cmds[i].input);
	}
	free(l->cmds);
	memset(l, 0, sizeof(*l));
}

/*
 * Append one command: `fmt` expands to the program and its arguments
 * separated by single spaces (no argument of ours holds a blank).
 * `input` (copied) is its standard input, or NULL.
 */
static int add_cmd(struct fz_rules_list *l, enum fz_rules_on_fail on_fail, const char *input,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int add_cmd(struct fz_rules_list *l, enum fz_rules_on_fail on_fail, const char *input,
		   const char *fmt, ...)
{
	struct fz_rules_cmd *c;
	va_list ap;
	char *buf, *p, *save = NULL;
	int n;

	if (l->n == l->cap_) {
		size_t cap = l->cap_ ? l->cap_ * 2 : 32;
		struct fz_rules_cmd *nc = realloc(l->cmds, cap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		l->cmds = nc;
		l->cap_ = cap;
	}
	buf = malloc(CMD_TEXT_MAX);
	if (!buf)
		return -ENOMEM;
	va_start(ap, fmt);
	n = vsnprintf(buf, CMD_TEXT_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= CMD_TEXT_MAX) {
		free(buf);
		return -EINVAL;
	}
	c = &l->cmds[l->n];
	memset(c, 0, sizeof(*c));
	for (p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		if (c->argc == FZ_RULES_ARGV_MAX) {
			free(buf);
			return -EINVAL;
		}
		c->argv[c->argc++] = p;
	}
	c->argv[c->argc] = NULL;
	if (c->argc == 0) {
		free(buf);
		return -EINVAL;
	}
	if (input) {
		c->input = strdup(input);
		if (!c->input) {
			free(buf);
			return -ENOMEM;
		}
	}
	c->buf_ = buf;
	c->on_fail = on_fail;
	l->n++;
	return 0;
}

/* A growing text buffer for specs and nft rulesets; `bad` once anything failed. */
struct text {
	char *s;
	size_t len;
	bool bad;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->bad)
		return;
	if (!t->s) {
		t->s = malloc(TEXT_MAX);
		if (!t->s) {
			t->bad = true;
			return;
		}
		t->s[0] = '\0';
	}
	va_start(ap, fmt);
	n = vsnprintf(t->s + t->len, TEXT_MAX - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= TEXT_MAX - t->len) {
		t->bad = true;
		return;
	}
	t->len += (size_t)n;
}

static char *text_take(struct text *t)
{
	if (t->bad) {
		free(t->s);
		return NULL;
	}
	return t->s;
}

/* --- iptables -------------------------------------------------------------- */

/* The NFQUEUE target's options: "--queue-num 0 --queue-bypass", "--queue-balance 0:3". */
static void ipt_queue(char *buf, size_t cap, const struct fz_rules_opts *o)
{
	int n;

	if (o->n_queues == 1)
		n = snprintf(buf, cap, "--queue-num %u", o->queue_first);
	else
		n = snprintf(buf, cap, "--queue-balance %u:%u", o->queue_first,
			     o->queue_first + o->n_queues - 1);
	if (!o->fail_closed && n > 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, " --queue-bypass");
}

/*
 * The rule specs of FANGZHA (after `-A FANGZHA `) for family f (0 IPv4,
 * 1 IPv6), in order; `i` picks one.
 */
#define IPT_MAIN_RULES 11
static void ipt_main_rule(int i, int f, char *buf, size_t cap, const struct fz_rules_opts *o)
{
	uint32_t d = o->mark_decided, b = o->mark_blocked;
	char q[64];

	ipt_queue(q, sizeof(q), o);
	switch (i) {
	case 0:
		snprintf(buf, cap, "-m mark --mark 0x%x/0x%x -j " FZ_RULES_BLOCK_CHAIN, b, b);
		break;
	case 1:
		snprintf(buf, cap,
			 "-m mark --mark 0x%x/0x%x -j CONNMARK --save-mark --nfmask 0x%x --ctmask "
			 "0x%x",
			 d, d, d, d);
		break;
	case 2:
		snprintf(buf, cap, "-m mark --mark 0x%x/0x%x -j RETURN", d, d);
		break;
	case 3:
		snprintf(buf, cap, "-m connmark --mark 0x%x/0x%x -j DROP", b, b);
		break;
	case 4:
		snprintf(buf, cap, "-m connmark --mark 0x%x/0x%x -j RETURN", d, d);
		break;
	case 5:
		snprintf(buf, cap, "-m conntrack --ctdir REPLY -j RETURN");
		break;
	case 6:
		/*
		 * A bare SYN carries nothing to read, so it is not queued:
		 * connect() never waits for the daemon. A SYN with data worth
		 * reading (TCP Fast Open: a ClientHello, a request) is longer
		 * than an IPv6 header and a full TCP header (100 bytes) and
		 * still goes in.
		 */
		snprintf(buf, cap,
			 "-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m length --length 0:100 "
			 "-j RETURN");
		break;
	case 7:
	case 8:
		/*
		 * Nor a segment without payload (the handshake's last ACK
		 * above all: queueing it would make every connection's first
		 * request wait for a second round trip through the daemon):
		 * the IP length is exactly the headers' (IPv4 without options,
		 * IPv6 without extension headers; a TCP header of 20 bytes, or
		 * 32 with timestamps, as nearly every ACK has). The inspector
		 * takes offset 0 from the first data it sees and re-bases on
		 * data that comes before it. Written as iptables -S prints it.
		 */
		if (f == 0)
			snprintf(buf, cap,
				 "-p tcp -m u32 --u32 "
				 "0x0>>0x16&0x3c=0x14&&0x0&0xffff=0x%x&&0x20>>0x1c=0x%x -j RETURN",
				 i == 7 ? 40 : 52, i == 7 ? 5 : 8);
		else
			snprintf(buf, cap,
				 "-p tcp -m u32 --u32 "
				 "0x4>>0x10=0x%x&&0x4>>0x8&0xff=0x6&&0x34>>0x1c=0x%x -j RETURN",
				 i == 7 ? 20 : 32, i == 7 ? 5 : 8);
		break;
	case 9:
	case 10:
		snprintf(buf, cap,
			 "-p %s -m multiport --dports %s -m connbytes --connbytes 0:%u "
			 "--connbytes-mode bytes --connbytes-dir original -j NFQUEUE %s",
			 i == 9 ? "tcp" : "udp", i == 9 ? "80,443,853" : "53,443",
			 o->max_queued_bytes, q);
		break;
	default:
		buf[0] = '\0';
	}
}

/* The u32 rules are an optimisation: a kernel without xt_u32 still works without them. */
static bool ipt_rule_optional(int i)
{
	return i == 7 || i == 8;
}

#define IPT_BLOCK_RULES 2
static void ipt_block_rule(int i, char *buf, size_t cap, const struct fz_rules_opts *o)
{
	uint32_t b = o->mark_blocked;

	if (i == 0)
		snprintf(buf, cap, "-j CONNMARK --save-mark --nfmask 0x%x --ctmask 0x%x", b, b);
	else
		snprintf(buf, cap, "-j DROP");
}

char *fz_rules_iptables_spec(const struct fz_rules_opts *o, int family)
{
	struct text t = {0};
	char rule[512];

	if (fz_rules_opts_check(o, NULL, 0) < 0 || (family != 4 && family != 6))
		return NULL;
	put(&t, "-N " FZ_RULES_CHAIN "\n");
	for (int i = 0; i < IPT_MAIN_RULES; i++) {
		ipt_main_rule(i, family == 6, rule, sizeof(rule), o);
		put(&t, "-A " FZ_RULES_CHAIN " %s\n", rule);
	}
	put(&t, "-N " FZ_RULES_BLOCK_CHAIN "\n");
	for (int i = 0; i < IPT_BLOCK_RULES; i++) {
		ipt_block_rule(i, rule, sizeof(rule), o);
		put(&t, "-A " FZ_RULES_BLOCK_CHAIN " %s\n", rule);
	}
	return text_take(&t);
}

static int ipt_remove(const char *prog, struct fz_rules_list *out)
{
	int r = 0;

	/* The jump from either hook chain: a mode change leaves no stale jump. */
	r = r ? r
	      : add_cmd(out, FZ_RULES_REPEAT, NULL, "%s -w -D FORWARD -j " FZ_RULES_CHAIN, prog);
	r = r ? r : add_cmd(out, FZ_RULES_REPEAT, NULL, "%s -w -D OUTPUT -j " FZ_RULES_CHAIN, prog);
	r = r ? r : add_cmd(out, FZ_RULES_IGNORE, NULL, "%s -w -F " FZ_RULES_CHAIN, prog);
	r = r ? r : add_cmd(out, FZ_RULES_IGNORE, NULL, "%s -w -X " FZ_RULES_CHAIN, prog);
	r = r ? r : add_cmd(out, FZ_RULES_IGNORE, NULL, "%s -w -F " FZ_RULES_BLOCK_CHAIN, prog);
	r = r ? r : add_cmd(out, FZ_RULES_IGNORE, NULL, "%s -w -X " FZ_RULES_BLOCK_CHAIN, prog);
	return r;
}

static int ipt_install(int f, const char *prog, const struct fz_rules_opts *o,
		       struct fz_rules_list *out)
{
	char rule[512];
	int r = ipt_remove(prog, out);

	/* The block chain first: the main chain jumps to it. */
	r = r ? r : add_cmd(out, FZ_RULES_MUST, NULL, "%s -w -N " FZ_RULES_BLOCK_CHAIN, prog);
	for (int i = 0; i < IPT_BLOCK_RULES && r == 0; i++) {
		ipt_block_rule(i, rule, sizeof(rule), o);
		r = add_cmd(out, FZ_RULES_MUST, NULL, "%s -w -A " FZ_RULES_BLOCK_CHAIN " %s", prog,
			    rule);
	}
	r = r ? r : add_cmd(out, FZ_RULES_MUST, NULL, "%s -w -N " FZ_RULES_CHAIN, prog);
	for (int i = 0; i < IPT_MAIN_RULES && r == 0; i++) {
		ipt_main_rule(i, f, rule, sizeof(rule), o);
		r = add_cmd(out, ipt_rule_optional(i) ? FZ_RULES_OPTIONAL : FZ_RULES_MUST, NULL,
			    "%s -w -A " FZ_RULES_CHAIN " %s", prog, rule);
	}
	/* Last, so no packet meets a half-built chain. */
	r = r ? r
	      : add_cmd(out, FZ_RULES_MUST, NULL, "%s -w -I %s 1 -j " FZ_RULES_CHAIN, prog,
			o->mode == FZ_RULES_HOST ? "OUTPUT" : "FORWARD");
	return r;
}

/* --- nft ------------------------------------------------------------------- */

char *fz_rules_nft_text(const struct fz_rules_opts *o)
{
	struct text t = {0};
	uint32_t d, b;
	const char *hook;
	char q[64];

	if (fz_rules_opts_check(o, NULL, 0) < 0)
		return NULL;
	d = o->mark_decided;
	b = o->mark_blocked;
	hook = o->mode == FZ_RULES_HOST ? "output" : "forward";
	if (o->n_queues == 1)
		snprintf(q, sizeof(q), "queue num %u%s", o->queue_first,
			 o->fail_closed ? "" : " bypass");
	else
		snprintf(q, sizeof(q), "queue num %u-%u%s", o->queue_first,
			 o->queue_first + o->n_queues - 1, o->fail_closed ? "" : " bypass");

	put(&t, "table inet " FZ_RULES_NFT_TABLE " {\n");
	put(&t, "\tchain %s {\n", hook);
	put(&t, "\t\ttype filter hook %s priority filter; policy accept;\n", hook);
	if (o->families == FZ_RULES_IPV4)
		put(&t, "\t\tmeta nfproto != ipv4 accept\n");
	else if (o->families == FZ_RULES_IPV6)
		put(&t, "\t\tmeta nfproto != ipv6 accept\n");
	put(&t, "\t\tmeta mark & 0x%08x == 0x%08x ct mark set ct mark | 0x%08x drop\n", b, b, b);
	put(&t, "\t\tmeta mark & 0x%08x == 0x%08x ct mark set ct mark | 0x%08x accept\n", d, d, d);
	put(&t, "\t\tct mark & 0x%08x == 0x%08x drop\n", b, b);
	put(&t, "\t\tct mark & 0x%08x == 0x%08x accept\n", d, d);
	put(&t, "\t\tct direction reply accept\n");
	/* a bare SYN carries nothing to read: see ipt_main_rule */
	put(&t, "\t\ttcp flags & (fin | syn | rst | ack) == syn meta length <= 100 accept\n");
	/* nor a segment without payload: see ipt_main_rule */
	for (int doff = 5; doff <= 8; doff += 3) {
		/* two rules, not a concatenation: nft 1.0.6 cannot list one of 4-bit fields */
		if (o->families & FZ_RULES_IPV4)
			put(&t, "\t\tip hdrlength 5 ip length %d tcp doff %d accept\n",
			    20 + 4 * doff, doff);
		if (o->families & FZ_RULES_IPV6)
			put(&t, "\t\tip6 nexthdr tcp ip6 length %d tcp doff %d accept\n", 4 * doff,
			    doff);
	}
	put(&t, "\t\tmeta l4proto tcp tcp dport { 80, 443, 853 } ct original bytes 0-%u %s\n",
	    o->max_queued_bytes, q);
	put(&t, "\t\tmeta l4proto udp udp dport { 53, 443 } ct original bytes 0-%u %s\n",
	    o->max_queued_bytes, q);
	put(&t, "\t}\n");
	put(&t, "}\n");
	return text_take(&t);
}

int fz_rules_nft_probe(struct fz_rules_list *out)
{
	static const char probe[] = "table inet " FZ_RULES_NFT_PROBE " {\n"
				    "\tchain probe {\n"
				    "\t\tqueue num 0 bypass\n"
				    "\t}\n"
				    "}\n"
				    "delete table inet " FZ_RULES_NFT_PROBE "\n";

	return add_cmd(out, FZ_RULES_MUST, probe, "nft -f -");
}

static int nft_install(const struct fz_rules_opts *o, struct fz_rules_list *out)
{
	/*
	 * One transaction: make sure the table exists, delete it, create it
	 * anew. Either all of it happens or nothing does.
	 */
	struct text t = {0};
	char *body = fz_rules_nft_text(o);
	char *all;
	int r;

	if (!body)
		return -ENOMEM;
	put(&t, "table inet " FZ_RULES_NFT_TABLE "\n");
	put(&t, "delete table inet " FZ_RULES_NFT_TABLE "\n");
	put(&t, "%s", body);
	free(body);
	all = text_take(&t);
	if (!all)
		return -ENOMEM;
	r = add_cmd(out, FZ_RULES_MUST, all, "nft -f -");
	free(all);
	return r;
}

/* --- API ------------------------------------------------------------------- */

int fz_rules_install(const struct fz_rules_opts *o, struct fz_rules_list *out)
{
	int r;

	if (!out || fz_rules_opts_check(o, NULL, 0) < 0)
		return -EINVAL;
	if (o->backend == FZ_RULES_NFT)
		return nft_install(o, out);
	for (int f = 0; f < 2; f++) {
		if (!(o->families & (1u << f)))
			continue;
		r = ipt_install(f, ipt_prog[f], o, out);
		if (r < 0)
			return r;
	}
	return 0;
}

int fz_rules_remove(enum fz_rules_backend backend, unsigned families, struct fz_rules_list *out)
{
	int r;

	if (!out)
		return -EINVAL;
	if (backend == FZ_RULES_NFT)
		return add_cmd(out, FZ_RULES_IGNORE, NULL,
			       "nft delete table inet " FZ_RULES_NFT_TABLE);
	if (backend != FZ_RULES_IPTABLES || families == 0 || (families & ~(unsigned)FZ_RULES_BOTH))
		return -EINVAL;
	for (int f = 0; f < 2; f++) {
		if (!(families & (1u << f)))
			continue;
		r = ipt_remove(ipt_prog[f], out);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- printing -------------------------------------------------------------- */

static void put_arg(FILE *f, const char *a)
{
	bool plain = *a != '\0';

	for (const char *p = a; *p && plain; p++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			       "_-.,:/=+@%",
			       *p) != NULL;
	if (plain) {
		fputs(a, f);
		return;
	}
	fputc('\'', f);
	for (const char *p = a; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", f);
		else
			fputc(*p, f);
	}
	fputc('\'', f);
}

void fz_rules_print(FILE *f, const struct fz_rules_cmd *c)
{
	if (c->on_fail == FZ_RULES_REPEAT)
		fputs("while ", f);
	for (int i = 0; i < c->argc; i++) {
		if (i)
			fputc(' ', f);
		put_arg(f, c->argv[i]);
	}
	if (c->on_fail != FZ_RULES_MUST && c->on_fail != FZ_RULES_OPTIONAL)
		fputs(" 2>/dev/null", f);
	if (c->input)
		fputs(" <<'EOF'", f);
	if (c->on_fail == FZ_RULES_IGNORE || c->on_fail == FZ_RULES_OPTIONAL)
		fputs(" || true", f);
	else if (c->on_fail == FZ_RULES_REPEAT)
		fputs("; do :; done", f);
	fputc('\n', f);
	if (c->input) {
		size_t n = strlen(c->input);

		fputs(c->input, f);
		if (n && c->input[n - 1] != '\n')
			fputc('\n', f);
		fputs("EOF\n", f);
	}
}
