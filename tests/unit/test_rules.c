/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_rules: the firewall rules of `fangzha rules` as commands — both
 * modes, both families, one queue and a range, fail-closed without
 * bypass, marks and the byte cap in every rule that uses them, removal
 * that touches only our chains, the nft ruleset, and the shell text of
 * --dry-run.
 */
#include <stdint.h>

#include "fz_rules.h"
#include "fz_test.h"

/* The command as one line "argv[0] argv[1] ..." (for comparisons). */
static const char *joined(const struct fz_rules_cmd *c, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < c->argc && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "", c->argv[i]);
	return buf;
}

/* Index of the first command equal to `line` (and `on_fail`), or -1. */
static int find(const struct fz_rules_list *l, const char *line, enum fz_rules_on_fail on_fail)
{
	char buf[1024];

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(joined(&l->cmds[i], buf, sizeof(buf)), line) == 0 &&
		    l->cmds[i].on_fail == on_fail)
			return (int)i;
	return -1;
}

static int count_prefix(const struct fz_rules_list *l, const char *prefix)
{
	char buf[1024];
	int n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += strncmp(joined(&l->cmds[i], buf, sizeof(buf)), prefix, strlen(prefix)) == 0;
	return n;
}

static void test_defaults_and_check(void)
{
	struct fz_rules_opts o;
	char err[256];

	fz_rules_opts_defaults(&o);
	CHECK_INT(o.mode, FZ_RULES_GATEWAY);
	CHECK_INT(o.backend, FZ_RULES_IPTABLES);
	CHECK_INT(o.families, FZ_RULES_BOTH);
	CHECK_INT(o.queue_first, 0);
	CHECK_INT(o.n_queues, 1);
	CHECK_INT(o.mark_decided, 0x10000000);
	CHECK_INT(o.mark_blocked, 0x20000000);
	CHECK_INT(o.max_queued_bytes, 262144);
	CHECK(!o.fail_closed);
	CHECK_INT(fz_rules_opts_check(&o, err, sizeof(err)), 0);

	struct fz_rules_opts b = o;
	b.mark_blocked = 0x30000000;
	CHECK_INT(fz_rules_opts_check(&b, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "the decided mark 0x10000000 and the blocked mark 0x30000000 share bits");
	b = o;
	b.mark_decided = 0;
	CHECK_INT(fz_rules_opts_check(&b, err, sizeof(err)), -EINVAL);
	b = o;
	b.n_queues = 0;
	CHECK_INT(fz_rules_opts_check(&b, err, sizeof(err)), -EINVAL);
	b.n_queues = 65;
	CHECK_INT(fz_rules_opts_check(&b, err, sizeof(err)), -EINVAL);
	b.n_queues = 2;
	b.queue_first = 65535;
	CHECK_INT(fz_rules_opts_check(&b, err, sizeof(err)), -EINVAL);
	b = o;
	b.families = 0;
	CHECK_INT(fz_rules_opts_check(&b, err, sizeof(err)), -EINVAL);
	b.families = 4;
	CHECK_INT(fz_rules_opts_check(&b, err, sizeof(err)), -EINVAL);
	b = o;
	b.max_queued_bytes = 0;
	CHECK_INT(fz_rules_opts_check(&b, NULL, 0), -EINVAL);

	/* Bad options build nothing. */
	struct fz_rules_list l = {0};
	b = o;
	b.mark_blocked = b.mark_decided;
	CHECK_INT(fz_rules_install(&b, &l), -EINVAL);
	CHECK_INT(l.n, 0);
	CHECK(fz_rules_nft_text(&b) == NULL);
	CHECK(fz_rules_iptables_spec(&b, 4) == NULL);
	CHECK_INT(fz_rules_remove(FZ_RULES_IPTABLES, 0, &l), -EINVAL);
	fz_rules_list_free(&l);
}

static const char *const gateway_v4[] = {
    "iptables -w -N FANGZHA_BLOCK",
    "iptables -w -A FANGZHA_BLOCK -j CONNMARK --save-mark --nfmask 0x20000000 --ctmask "
    "0x20000000",
    "iptables -w -A FANGZHA_BLOCK -j DROP",
    "iptables -w -N FANGZHA",
    "iptables -w -A FANGZHA -m mark --mark 0x20000000/0x20000000 -j FANGZHA_BLOCK",
    "iptables -w -A FANGZHA -m mark --mark 0x10000000/0x10000000 -j CONNMARK --save-mark "
    "--nfmask 0x10000000 --ctmask 0x10000000",
    "iptables -w -A FANGZHA -m mark --mark 0x10000000/0x10000000 -j RETURN",
    "iptables -w -A FANGZHA -m connmark --mark 0x20000000/0x20000000 -j DROP",
    "iptables -w -A FANGZHA -m connmark --mark 0x10000000/0x10000000 -j RETURN",
    "iptables -w -A FANGZHA -m conntrack --ctdir REPLY -j RETURN",
    "iptables -w -A FANGZHA -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m length --length "
    "0:100 -j RETURN",
    "iptables -w -A FANGZHA -p tcp -m u32 --u32 "
    "0x0>>0x16&0x3c=0x14&&0x0&0xffff=0x28&&0x20>>0x1c=0x5 "
    "-j RETURN",
    "iptables -w -A FANGZHA -p tcp -m u32 --u32 "
    "0x0>>0x16&0x3c=0x14&&0x0&0xffff=0x34&&0x20>>0x1c=0x8 "
    "-j RETURN",
    "iptables -w -A FANGZHA -p tcp -m multiport --dports 80,443,853 -m connbytes --connbytes "
    "0:262144 --connbytes-mode bytes --connbytes-dir original -j NFQUEUE --queue-num 0 "
    "--queue-bypass",
    "iptables -w -A FANGZHA -p udp -m multiport --dports 53,443 -m connbytes --connbytes "
    "0:262144 --connbytes-mode bytes --connbytes-dir original -j NFQUEUE --queue-num 0 "
    "--queue-bypass",
    "iptables -w -I FORWARD 1 -j FANGZHA",
};

static const char *const removal_v4[] = {
    "iptables -w -D FORWARD -j FANGZHA",
    "iptables -w -D OUTPUT -j FANGZHA",
    "iptables -w -F FANGZHA",
    "iptables -w -X FANGZHA",
    "iptables -w -F FANGZHA_BLOCK",
    "iptables -w -X FANGZHA_BLOCK",
};

static void test_gateway_defaults(void)
{
	struct fz_rules_opts o;
	struct fz_rules_list l = {0};
	char buf[1024];
	size_t n4 = sizeof(removal_v4) / sizeof(removal_v4[0]);
	size_t na = sizeof(gateway_v4) / sizeof(gateway_v4[0]);

	fz_rules_opts_defaults(&o);
	CHECK_INT(fz_rules_install(&o, &l), 0);
	/* IPv4: the removal, then the rules, in this order; then the same for IPv6. */
	CHECK_INT(l.n, 2 * (n4 + na));
	for (size_t i = 0; i < n4 && i < l.n; i++) {
		CHECK_STR(joined(&l.cmds[i], buf, sizeof(buf)), removal_v4[i]);
		CHECK_INT(l.cmds[i].on_fail, i < 2 ? FZ_RULES_REPEAT : FZ_RULES_IGNORE);
		CHECK(l.cmds[i].input == NULL);
	}
	for (size_t i = 0; i < na && n4 + i < l.n; i++) {
		CHECK_STR(joined(&l.cmds[n4 + i], buf, sizeof(buf)), gateway_v4[i]);
		CHECK_INT(l.cmds[n4 + i].on_fail,
			  strstr(gateway_v4[i], "-m u32") ? FZ_RULES_OPTIONAL : FZ_RULES_MUST);
	}
	/* IPv6 is the same with ip6tables, but for the u32 match of payload-less segments. */
	for (size_t i = 0; i < n4 + na && n4 + na + i < l.n; i++) {
		const struct fz_rules_cmd *c4 = &l.cmds[i], *c6 = &l.cmds[n4 + na + i];

		CHECK_STR(c6->argv[0], "ip6tables");
		CHECK_INT(c6->argc, c4->argc);
		for (int k = 1; k < c4->argc && k < c6->argc; k++)
			if (strcmp(c4->argv[k - 1], "--u32") != 0)
				CHECK_STR(c6->argv[k], c4->argv[k]);
		CHECK_INT(c6->on_fail, c4->on_fail);
	}
	/* IPv6: payload length == TCP header, next header TCP, doff at byte 40 + 12. */
	CHECK(find(&l,
		   "ip6tables -w -A FANGZHA -p tcp -m u32 --u32 "
		   "0x4>>0x10=0x20&&0x4>>0x8&0xff=0x6&&0x34>>0x1c=0x8 -j RETURN",
		   FZ_RULES_OPTIONAL) >= 0);
	CHECK(find(&l,
		   "ip6tables -w -A FANGZHA -p tcp -m u32 --u32 "
		   "0x4>>0x10=0x14&&0x4>>0x8&0xff=0x6&&0x34>>0x1c=0x5 -j RETURN",
		   FZ_RULES_OPTIONAL) >= 0);
	/* argv is NULL-terminated and split on blanks. */
	CHECK(l.cmds[0].argv[l.cmds[0].argc] == NULL);
	CHECK_STR(l.cmds[0].argv[3], "FORWARD");
	fz_rules_list_free(&l);
	CHECK(l.cmds == NULL && l.n == 0);
	fz_rules_list_free(NULL);
}

static void test_host_families_queues(void)
{
	struct fz_rules_opts o;
	struct fz_rules_list l = {0};

	fz_rules_opts_defaults(&o);
	o.mode = FZ_RULES_HOST;
	o.families = FZ_RULES_IPV6;
	o.queue_first = 4;
	o.n_queues = 4;
	o.mark_decided = 0x100;
	o.mark_blocked = 0x200;
	o.max_queued_bytes = 131072;
	CHECK_INT(fz_rules_install(&o, &l), 0);
	CHECK_INT(count_prefix(&l, "iptables "), 0);
	CHECK_INT(count_prefix(&l, "ip6tables "), 22);
	CHECK(find(&l, "ip6tables -w -I OUTPUT 1 -j FANGZHA", FZ_RULES_MUST) >= 0);
	CHECK_INT(count_prefix(&l, "ip6tables -w -I FORWARD"), 0);
	/* The jump is the last command: nothing reaches a half-built chain. */
	CHECK_INT(find(&l, "ip6tables -w -I OUTPUT 1 -j FANGZHA", FZ_RULES_MUST), (int)l.n - 1);
	/* Removal still takes a jump from either chain (a mode change leaves none behind). */
	CHECK(find(&l, "ip6tables -w -D FORWARD -j FANGZHA", FZ_RULES_REPEAT) >= 0);
	CHECK(find(&l, "ip6tables -w -D OUTPUT -j FANGZHA", FZ_RULES_REPEAT) >= 0);
	CHECK(find(&l,
		   "ip6tables -w -A FANGZHA -p tcp -m multiport --dports 80,443,853 -m connbytes "
		   "--connbytes 0:131072 --connbytes-mode bytes --connbytes-dir original -j "
		   "NFQUEUE --queue-balance 4:7 --queue-bypass",
		   FZ_RULES_MUST) >= 0);
	CHECK(find(&l,
		   "ip6tables -w -A FANGZHA -p udp -m multiport --dports 53,443 -m connbytes "
		   "--connbytes 0:131072 --connbytes-mode bytes --connbytes-dir original -j "
		   "NFQUEUE --queue-balance 4:7 --queue-bypass",
		   FZ_RULES_MUST) >= 0);
	CHECK(find(&l, "ip6tables -w -A FANGZHA -m mark --mark 0x200/0x200 -j FANGZHA_BLOCK",
		   FZ_RULES_MUST) >= 0);
	CHECK(find(&l,
		   "ip6tables -w -A FANGZHA -m mark --mark 0x100/0x100 -j CONNMARK --save-mark "
		   "--nfmask 0x100 --ctmask 0x100",
		   FZ_RULES_MUST) >= 0);
	CHECK(find(&l, "ip6tables -w -A FANGZHA -m connmark --mark 0x200/0x200 -j DROP",
		   FZ_RULES_MUST) >= 0);
	CHECK(find(&l,
		   "ip6tables -w -A FANGZHA_BLOCK -j CONNMARK --save-mark --nfmask 0x200 --ctmask "
		   "0x200",
		   FZ_RULES_MUST) >= 0);
	fz_rules_list_free(&l);

	/* IPv4 only. */
	o.families = FZ_RULES_IPV4;
	CHECK_INT(fz_rules_install(&o, &l), 0);
	CHECK_INT(count_prefix(&l, "ip6tables "), 0);
	CHECK_INT(count_prefix(&l, "iptables "), 22);
	fz_rules_list_free(&l);
}

static void test_fail_closed(void)
{
	struct fz_rules_opts o;
	struct fz_rules_list l = {0};
	char buf[1024];
	int queued = 0;

	fz_rules_opts_defaults(&o);
	o.fail_closed = true;
	o.queue_first = 2;
	o.n_queues = 2;
	CHECK_INT(fz_rules_install(&o, &l), 0);
	for (size_t i = 0; i < l.n; i++) {
		const char *s = joined(&l.cmds[i], buf, sizeof(buf));

		CHECK(strstr(s, "bypass") == NULL);
		if (strstr(s, "-j NFQUEUE")) {
			queued++;
			CHECK(strstr(s, "-j NFQUEUE --queue-balance 2:3") != NULL);
			CHECK(strcmp(s + strlen(s) - strlen("--queue-balance 2:3"),
				     "--queue-balance 2:3") == 0);
		}
	}
	CHECK_INT(queued, 4); /* tcp and udp, two families */
	fz_rules_list_free(&l);

	char *nft = fz_rules_nft_text(&o);
	CHECK(nft != NULL);
	if (nft) {
		CHECK(strstr(nft, "bypass") == NULL);
		CHECK(strstr(nft, "queue num 2-3\n") != NULL);
	}
	free(nft);
}

static void test_spec(void)
{
	struct fz_rules_opts o;
	char *spec;

	fz_rules_opts_defaults(&o);
	CHECK(fz_rules_iptables_spec(&o, 5) == NULL);
	spec = fz_rules_iptables_spec(&o, 4);
	CHECK(spec != NULL);
	if (!spec)
		return;
	/* The spec is the install's rules as `iptables -S` prints them: each chain in order. */
	CHECK(strncmp(spec,
		      "-N FANGZHA\n-A FANGZHA -m mark --mark 0x20000000/0x20000000 -j "
		      "FANGZHA_BLOCK\n",
		      strlen("-N FANGZHA\n-A FANGZHA -m mark --mark 0x20000000/0x20000000 -j "
			     "FANGZHA_BLOCK\n")) == 0);
	CHECK(strstr(spec, "\n-N FANGZHA_BLOCK\n-A FANGZHA_BLOCK -j CONNMARK --save-mark --nfmask "
			   "0x20000000 --ctmask 0x20000000\n-A FANGZHA_BLOCK -j DROP\n") != NULL);
	{
		struct fz_rules_list l = {0};
		char buf[1024], line[1100];
		int a_lines = 0;

		o.families = FZ_RULES_IPV4;
		CHECK_INT(fz_rules_install(&o, &l), 0);
		for (size_t i = 0; i < l.n; i++) {
			const char *s = joined(&l.cmds[i], buf, sizeof(buf));

			if (strncmp(s, "iptables -w -A ", 15) != 0)
				continue;
			a_lines++;
			snprintf(line, sizeof(line), "\n%s\n", s + strlen("iptables -w "));
			CHECK(strstr(spec, line) != NULL);
		}
		CHECK_INT(a_lines, 13);
		fz_rules_list_free(&l);
	}
	free(spec);
}

static void test_remove(void)
{
	struct fz_rules_list l = {0};
	char buf[1024];

	CHECK_INT(fz_rules_remove(FZ_RULES_IPTABLES, FZ_RULES_BOTH, &l), 0);
	const size_t nr = sizeof(removal_v4) / sizeof(removal_v4[0]);

	CHECK_INT(l.n, 2 * nr);
	for (size_t i = 0; i < l.n; i++) {
		const char *s = joined(&l.cmds[i], buf, sizeof(buf));

		char want[256];

		/* IPv4 first, then the same with ip6tables. */
		snprintf(want, sizeof(want), "%s%s", i < nr ? "" : "ip6",
			 removal_v4[i % nr] + (i < nr ? 0 : 2));
		CHECK_STR(s, want);
		CHECK(l.cmds[i].on_fail != FZ_RULES_MUST);
		/* Nothing but our chains and the jumps to them. */
		CHECK(strstr(s, "FANGZHA") != NULL);
		CHECK(strstr(s, " -A ") == NULL && strstr(s, " -I ") == NULL &&
		      strstr(s, " -P ") == NULL);
	}
	fz_rules_list_free(&l);
	CHECK_INT(fz_rules_remove(FZ_RULES_NFT, 0, &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1) {
		CHECK_STR(joined(&l.cmds[0], buf, sizeof(buf)), "nft delete table inet fangzha");
		CHECK_INT(l.cmds[0].on_fail, FZ_RULES_IGNORE);
	}
	fz_rules_list_free(&l);
}

static void test_nft(void)
{
	struct fz_rules_opts o;
	struct fz_rules_list l = {0};
	char *text, buf[256];

	fz_rules_opts_defaults(&o);
	o.backend = FZ_RULES_NFT;
	text = fz_rules_nft_text(&o);
	CHECK(text != NULL);
	if (!text)
		return;
	CHECK_STR(text,
		  "table inet fangzha {\n"
		  "\tchain forward {\n"
		  "\t\ttype filter hook forward priority filter; policy accept;\n"
		  "\t\tmeta mark & 0x20000000 == 0x20000000 ct mark set ct mark | 0x20000000 "
		  "drop\n"
		  "\t\tmeta mark & 0x10000000 == 0x10000000 ct mark set ct mark | 0x10000000 "
		  "accept\n"
		  "\t\tct mark & 0x20000000 == 0x20000000 drop\n"
		  "\t\tct mark & 0x10000000 == 0x10000000 accept\n"
		  "\t\tct direction reply accept\n"
		  "\t\ttcp flags & (fin | syn | rst | ack) == syn meta length <= 100 accept\n"
		  "\t\tip hdrlength 5 ip length 40 tcp doff 5 accept\n"
		  "\t\tip6 nexthdr tcp ip6 length 20 tcp doff 5 accept\n"
		  "\t\tip hdrlength 5 ip length 52 tcp doff 8 accept\n"
		  "\t\tip6 nexthdr tcp ip6 length 32 tcp doff 8 accept\n"
		  "\t\tmeta l4proto tcp tcp dport { 80, 443, 853 } ct original bytes 0-262144 "
		  "queue num 0 bypass\n"
		  "\t\tmeta l4proto udp udp dport { 53, 443 } ct original bytes 0-262144 queue "
		  "num 0 bypass\n"
		  "\t}\n"
		  "}\n");

	/* Install: one transaction that replaces the table whole. */
	CHECK_INT(fz_rules_install(&o, &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1) {
		CHECK_STR(joined(&l.cmds[0], buf, sizeof(buf)), "nft -f -");
		CHECK_INT(l.cmds[0].on_fail, FZ_RULES_MUST);
		CHECK(l.cmds[0].input != NULL);
		if (l.cmds[0].input) {
			const char *head = "table inet fangzha\ndelete table inet fangzha\n";

			CHECK(strncmp(l.cmds[0].input, head, strlen(head)) == 0);
			CHECK_STR(l.cmds[0].input + strlen(head), text);
		}
	}
	fz_rules_list_free(&l);
	free(text);

	/* Host mode, a queue range, one family, other marks. */
	o.mode = FZ_RULES_HOST;
	o.queue_first = 10;
	o.n_queues = 3;
	o.families = FZ_RULES_IPV4;
	o.mark_decided = 0x1;
	o.mark_blocked = 0x2;
	o.max_queued_bytes = 4096;
	text = fz_rules_nft_text(&o);
	CHECK(text != NULL);
	if (text) {
		CHECK(strstr(text, "\tchain output {\n\t\ttype filter hook output priority filter; "
				   "policy accept;\n\t\tmeta nfproto != ipv4 accept\n") != NULL);
		CHECK(strstr(text, "hook forward") == NULL);
		CHECK(strstr(text, "meta mark & 0x00000002 == 0x00000002 ct mark set ct mark | "
				   "0x00000002 drop\n") != NULL);
		CHECK(strstr(text, "ct mark & 0x00000001 == 0x00000001 accept\n") != NULL);
		CHECK(strstr(text, "ip hdrlength 5 ip length 52 tcp doff 8 accept\n") != NULL);
		CHECK(strstr(text, "ip6 nexthdr") == NULL);
		CHECK(
		    strstr(text, "{ 53, 443 } ct original bytes 0-4096 queue num 10-12 bypass\n") !=
		    NULL);
	}
	free(text);
	o.families = FZ_RULES_IPV6;
	text = fz_rules_nft_text(&o);
	CHECK(text && strstr(text, "meta nfproto != ipv6 accept\n") != NULL);
	free(text);

	/* The probe adds a throwaway table with a queue rule and deletes it in one go. */
	CHECK_INT(fz_rules_nft_probe(&l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1 && l.cmds[0].input) {
		CHECK(strstr(l.cmds[0].input, "table inet fangzha_probe {") != NULL);
		CHECK(strstr(l.cmds[0].input, "queue num 0 bypass") != NULL);
		CHECK(strstr(l.cmds[0].input, "delete table inet fangzha_probe\n") != NULL);
		/* Never our real table. */
		CHECK(strstr(l.cmds[0].input, "inet fangzha ") == NULL);
		CHECK(strstr(l.cmds[0].input, "inet fangzha\n") == NULL);
	}
	fz_rules_list_free(&l);
}

/* --dry-run's text: a shell script. */
static void test_print(void)
{
	struct fz_rules_opts o;
	struct fz_rules_list l = {0};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	fz_rules_opts_defaults(&o);
	o.families = FZ_RULES_IPV4;
	CHECK_INT(fz_rules_install(&o, &l), 0);
	f = open_memstream(&out, &len);
	CHECK(f != NULL);
	if (!f)
		return;
	for (size_t i = 0; i < l.n; i++)
		fz_rules_print(f, &l.cmds[i]);
	fclose(f);
	CHECK(strncmp(out,
		      "while iptables -w -D FORWARD -j FANGZHA 2>/dev/null; do :; done\n"
		      "while iptables -w -D OUTPUT -j FANGZHA 2>/dev/null; do :; done\n"
		      "iptables -w -F FANGZHA 2>/dev/null || true\n",
		      strlen("while iptables -w -D FORWARD -j FANGZHA 2>/dev/null; do :; done\n"
			     "while iptables -w -D OUTPUT -j FANGZHA 2>/dev/null; do :; done\n"
			     "iptables -w -F FANGZHA 2>/dev/null || true\n")) == 0);
	CHECK(strstr(out, "\niptables -w -A FANGZHA -m conntrack --ctdir REPLY -j RETURN\n") !=
	      NULL);
	CHECK(strstr(out, "\niptables -w -I FORWARD 1 -j FANGZHA\n") != NULL);
	free(out);
	fz_rules_list_free(&l);

	/* nft: a here-document. */
	o.backend = FZ_RULES_NFT;
	CHECK_INT(fz_rules_install(&o, &l), 0);
	out = NULL;
	f = open_memstream(&out, &len);
	if (f) {
		fz_rules_print(f, &l.cmds[0]);
		fclose(f);
		CHECK(strncmp(out, "nft -f - <<'EOF'\ntable inet fangzha\n", 36) == 0);
		CHECK(len > 5 && strcmp(out + len - 6, "}\nEOF\n") == 0);
		free(out);
	}
	fz_rules_list_free(&l);

	/* Odd arguments are quoted. */
	struct fz_rules_cmd c;
	char a0[] = "echo", a1[] = "a b", a2[] = "it's", a3[] = "";
	memset(&c, 0, sizeof(c));
	c.argv[0] = a0;
	c.argv[1] = a1;
	c.argv[2] = a2;
	c.argv[3] = a3;
	c.argc = 4;
	out = NULL;
	f = open_memstream(&out, &len);
	if (f) {
		fz_rules_print(f, &c);
		fclose(f);
		CHECK_STR(out, "echo 'a b' 'it'\\''s' ''\n");
		free(out);
	}
}

int main(void)
{
	test_defaults_and_check();
	test_gateway_defaults();
	test_host_families_queues();
	test_fail_closed();
	test_spec();
	test_remove();
	test_nft();
	test_print();
	return fz_test_done();
}
