/* test_conf_ifmap.c: IOS interface names (interface-map), hardware-only
 * lines and their notes, and the OSPF process IOS creates (issue 16). */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "tests/unit/tcheck.h"

static char *print(const struct cfg_model *m)
{
	struct cfg_buf b = {0};
	cfg_write(m, &b);
	return b.s;
}

static int line(struct cfg_session *s, const char *l)
{
	struct cfg_error e;
	int r = cfg_session_line(s, l, &e);
	if (r < 0)
		printf("  '%s': %d:%d %s\n", l, e.line, e.col, e.msg);
	return r;
}

static void test_names(void)
{
	const char *text = "interface fa0/1\n ip address 203.0.113.2 255.255.255.0\n speed auto\n"
			   "interface Tunnel1\n tunnel source fastethernet0/1\n"
			   " tunnel destination 203.0.113.3\n"
			   "interface-map FastEthernet0/1 eth1\n";
	struct cfg_model *m;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_text(text, strlen(text), &m, &errs), 0);
	if (!m)
		return;
	/* the map given last still spells the names */
	CHECK(cfg_find_interface(m, "FastEthernet0/1") != NULL);
	CHECK(!strcmp(cfg_find_interface(m, "Tunnel1")->src_if, "FastEthernet0/1"));
	CHECK(!strcmp(cfg_linux_ifname(m, "FastEthernet0/1"), "eth1"));
	CHECK(!strcmp(cfg_linux_ifname(m, "Fa0/1"), "eth1"));
	CHECK(!strcmp(cfg_linux_ifname(m, "eth0"), "eth0"));
	CHECK(cfg_find_interface_dev(m, "eth1") == cfg_find_interface(m, "FastEthernet0/1"));
	struct cfg_errors notes;
	cfg_notes(m, &notes);
	CHECK_EQ_INT(notes.n, 1);
	CHECK(notes.e[0].line == 3 && notes.e[0].col == 2);
	char buf[256];
	cfg_note_format(&notes.e[0], "f.conf", buf, sizeof(buf));
	CHECK(!strcmp(buf, "f.conf:3:2: note: ignored on Linux: speed auto (interface FastEthernet0/1)"));
	cfg_model_free(m);
}

static void test_session(void)
{
	struct cfg_session *s = cfg_session_new(NULL, NULL);
	CHECK_EQ_INT(line(s, "interface-map FastEthernet0/0 eth0"), 0);
	CHECK_EQ_INT(line(s, "int fa0/0"), 0); /* int: interface, not interface-map */
	CHECK_EQ_INT(line(s, "ip ospf 1 area 0"), 0);
	CHECK_EQ_INT(line(s, "shutdown"), 0);
	CHECK_EQ_INT(line(s, "speed 100"), 0);
	CHECK_EQ_INT(line(s, "speed auto"), 0); /* replaces */
	CHECK_EQ_INT(line(s, "no cdp enable"), 0);
	char *p = print(cfg_session_model(s));
	CHECK(p && strstr(p, "interface FastEthernet0/0\n ip ospf 1 area 0\n shutdown\n speed auto\n"
			     " no cdp enable\n!\nrouter ospf 1\n!\n"));
	free(p);
	CHECK_EQ_INT(line(s, "no speed"), 0);
	CHECK_EQ_INT(line(s, "interface Tunnel1"), 0);
	CHECK(line(s, "speed auto") < 0);
	/* no router ospf 1: the process's interface lines go with it (IOS) */
	CHECK_EQ_INT(line(s, "no router ospf 1"), 0);
	p = print(cfg_session_model(s));
	CHECK(p && !strstr(p, "router ospf") && !strstr(p, "ip ospf 1 area") && !strstr(p, "speed"));
	free(p);
	/* an existing process is the one every interface joins */
	CHECK_EQ_INT(line(s, "router ospf 7"), 0);
	CHECK_EQ_INT(line(s, "interface Tunnel1"), 0);
	CHECK_EQ_INT(line(s, "ip ospf 1 area 0"), 0);
	p = print(cfg_session_model(s));
	CHECK(p && strstr(p, "router ospf 7\n") && !strstr(p, "router ospf 1"));
	free(p);
	CHECK(line(s, "interface-map Fa0/9 eth0") < 0); /* eth0 is Fa0/0's */
	cfg_session_free(s);
}

/* Interfaces are found through a hash kept with the model: 3,000 tunnels
 * parsed, every third removed again by `no interface`, the rest each
 * found at its own entry, the removed not at all. */
static void test_many_interfaces(void)
{
	enum { N = 3000 };
	size_t cap = (size_t)N * 64 + 4096, len = 0;
	char *text = malloc(cap);
	if (!text)
		return;
	for (int i = 1; i <= N; i++)
		len += (size_t)snprintf(text + len, cap - len, "interface Tunnel%d\n description t%d\n", i, i);
	for (int i = 3; i <= N; i += 3)
		len += (size_t)snprintf(text + len, cap - len, "no interface Tunnel%d\n", i);
	len += (size_t)snprintf(text + len, cap - len, "interface Tunnel%d\n description again\n", 3);
	struct cfg_model *m;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_text(text, len, &m, &errs), 0);
	free(text);
	if (!m)
		return;
	CHECK_EQ_INT((int)m->n_interface, N - N / 3 + 1);
	int wrong = 0;
	char name[32];
	for (int i = 1; i <= N; i++) {
		snprintf(name, sizeof(name), "Tunnel%d", i);
		const struct cfg_interface *x = cfg_find_interface(m, name);
		bool present = i % 3 != 0 || i == 3;
		if (present != (x != NULL) || (x && strcmp(x->name, name) != 0))
			wrong++;
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK(cfg_find_interface(m, "Tunnel0") == NULL);
	CHECK(!strcmp(cfg_find_interface(m, "Tunnel3")->description, "again"));
	cfg_model_free(m);
}

int main(void)
{
	RUN(test_names);
	RUN(test_session);
	RUN(test_many_interfaces);
	cfg_grammar_free();
	return tcheck_done();
}
