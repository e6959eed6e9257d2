/* test_frr_translate: IOS routing lines -> FRR text, and the removals diff. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "frr-integration/frr.h"
#include "tests/unit/tcheck.h"

static char err[256];

/* Translates in; returns the text (caller frees) or NULL, with err set. */
static char *xl(const char *in)
{
	char *out = NULL;
	int r = frr_translate(in, &out, err, sizeof(err));

	if (r < 0)
		return NULL;
	return out;
}

static int xl_rc(const char *in)
{
	char *out = (char *)1;
	int r = frr_translate(in, &out, err, sizeof(err));

	CHECK(r < 0 ? out == NULL : out != NULL);
	free(out);
	return r;
}

static void test_router_ospf_number_dropped(void)
{
	char *o = xl("router ospf 1\n router-id 2.2.2.2\n");

	CHECK_EQ_STR(o, "router ospf\n ospf router-id 2.2.2.2\n!\n");
	free(o);
	o = xl("router ospf 7 vrf RED\n");
	CHECK_EQ_STR(o, "router ospf vrf RED\n!\n");
	free(o);
}

static void test_network_wildcard_to_prefix(void)
{
	char *o = xl("router ospf 1\n network 10.1.1.0 0.0.0.255 area 0\n"
		     " network 192.168.1.2 0.0.0.0 area 0.0.0.1\n"
		     " network 10.0.0.0 0.255.255.255 area 5\n"
		     " network 0.0.0.0 255.255.255.255 area 0\n");

	CHECK_EQ_STR(o, "router ospf\n network 10.1.1.0/24 area 0\n"
			" network 192.168.1.2/32 area 0.0.0.1\n network 10.0.0.0/8 area 5\n"
			" network 0.0.0.0/0 area 0\n!\n");
	free(o);
}

static void test_network_host_bits_masked(void)
{
	char *o = xl("router ospf 1\n network 10.1.1.77 0.0.0.255 area 0\n");

	CHECK_EQ_STR(o, "router ospf\n network 10.1.1.0/24 area 0\n!\n");
	free(o);
}

static void test_network_prefix_passes(void)
{
	char *o = xl("router ospf\n network 10.1.1.0/24 area 0\n");

	CHECK_EQ_STR(o, "router ospf\n network 10.1.1.0/24 area 0\n!\n");
	free(o);
}

static void test_noncontiguous_wildcard_refused(void)
{
	CHECK_EQ_INT(
	    xl_rc("router ospf 1\n router-id 1.1.1.1\n network 10.1.0.0 0.0.255.0 area 0\n"),
	    -EINVAL);
	CHECK(strstr(err, "line 3") != NULL);
	CHECK(strstr(err, "non-contiguous wildcard 0.0.255.0") != NULL);
	/* a netmask where IOS wants a wildcard is non-contiguous as a wildcard */
	CHECK_EQ_INT(xl_rc("router ospf 1\n network 10.1.1.0 255.255.255.0 area 0\n"), -EINVAL);
	CHECK(strstr(err, "line 2") != NULL);
}

static void test_area_range_mask(void)
{
	char *o = xl("router ospf 1\n area 1 range 10.4.0.0 255.255.0.0 not-advertise\n");

	CHECK_EQ_STR(o, "router ospf\n area 1 range 10.4.0.0/16 not-advertise\n!\n");
	free(o);
	CHECK_EQ_INT(xl_rc("router ospf 1\n area 1 range 10.4.0.0 255.0.255.0\n"), -EINVAL);
	CHECK(strstr(err, "non-contiguous mask") != NULL);
}

static void test_redistribute_subnets(void)
{
	char *o = xl("router ospf 1\n redistribute connected subnets\n redistribute static\n");

	CHECK_EQ_STR(o, "router ospf\n redistribute connected\n redistribute static\n!\n");
	free(o);
}

static void test_passive_interface(void)
{
	char *o = xl("router ospf 1\n passive-interface default\n no passive-interface Tunnel1\n"
		     " passive-interface eth0\ninterface eth0\n ip ospf 1 area 0\n");

	CHECK_EQ_STR(o, "router ospf\n passive-interface default\n!\ninterface eth0\n"
			" ip ospf area 0\n!\ninterface Tunnel1\n no ip ospf passive\n!\n"
			"interface eth0\n ip ospf passive\n!\n");
	free(o);
}

static void test_diff_merges_repeated_blocks(void)
{
	char *o = NULL;

	/* eth0 appears twice in the old text; only the line that went is negated */
	CHECK_EQ_INT(frr_diff_removals("interface eth0\n ip ospf area 0\n!\ninterface eth0\n"
				       " ip ospf passive\n",
				       "interface eth0\n ip ospf area 0\n", &o),
		     0);
	CHECK_EQ_STR(o, "interface eth0\n no ip ospf passive\nexit\n");
	free(o);
}

static void test_ip_ospf_process_area(void)
{
	char *o = xl("interface eth0\n ip ospf 1 area 0\n ip ospf hello-interval 1\n");

	/* the area line last: OSPF starts on eth0 with hello 1 already set */
	CHECK_EQ_STR(o, "interface eth0\n ip ospf hello-interval 1\n ip ospf area 0\n!\n");
	free(o);
}

static void test_tunnel_gets_point_to_point(void)
{
	char *o = xl("interface Tunnel1\n ip ospf 1 area 0\n ip ospf bfd\n");

	CHECK_EQ_STR(o, "interface Tunnel1\n ip ospf bfd\n ip ospf network point-to-point\n"
			" ip ospf area 0\n!\n");
	free(o);
	/* configured otherwise: left alone */
	o = xl("interface Tunnel2\n ip ospf network broadcast\n ip ospf 1 area 0\n");
	CHECK_EQ_STR(o, "interface Tunnel2\n ip ospf network broadcast\n ip ospf area 0\n!\n");
	free(o);
	/* not a tunnel, or no OSPF on it: nothing added */
	o = xl("interface eth0\n ip ospf area 0\ninterface Tunnel3\n description x\n");
	CHECK_EQ_STR(o,
		     "interface eth0\n ip ospf area 0\n!\ninterface Tunnel3\n description x\n!\n");
	free(o);
}

static void test_unknown_lines_pass(void)
{
	char *o = xl("router ospf 1\n log-adjacency-changes\n timers lsa min-arrival 0\n"
		     " some future command 1 2 3\nbfd\n peer 192.168.1.3\n  detect-multiplier 3\n"
		     "ip prefix-list X seq 5 permit 10.0.0.0/8\n");

	CHECK_EQ_STR(o, "router ospf\n log-adjacency-changes\n timers lsa min-arrival 0\n"
			" some future command 1 2 3\n!\nbfd\n peer 192.168.1.3\n"
			"  detect-multiplier 3\n!\nip prefix-list X seq 5 permit 10.0.0.0/8\n!\n");
	free(o);
}

static void test_bgp(void)
{
	char *o = xl("router bgp 65001\n neighbor 192.168.1.3 remote-as 65002\n"
		     " address-family ipv4 unicast\n  network 10.1.1.0/24\n"
		     " exit-address-family\n");

	CHECK_EQ_STR(o, "router bgp 65001\n neighbor 192.168.1.3 remote-as 65002\n"
			" address-family ipv4 unicast\n  network 10.1.1.0/24\n"
			" exit-address-family\n no bgp ebgp-requires-policy\n!\n");
	free(o);
	o = xl("router bgp 65001\n bgp ebgp-requires-policy\n");
	CHECK_EQ_STR(o, "router bgp 65001\n bgp ebgp-requires-policy\n!\n");
	free(o);
}

static void test_two_ospf_processes_refused(void)
{
	CHECK_EQ_INT(xl_rc("router ospf 1\n router-id 1.1.1.1\nrouter ospf 2\n"), -EINVAL);
	CHECK(strstr(err, "line 3") != NULL);
	CHECK(strstr(err, "one OSPF process") != NULL);
	CHECK_EQ_INT(xl_rc("router ospf 1\nrouter ospf 1\n"), 0);
}

static void test_mixing_network_and_interface_area_refused(void)
{
	CHECK_EQ_INT(xl_rc("interface Tunnel1\n ip ospf 1 area 0\n"
			   "router ospf 1\n network 10.1.1.0 0.0.0.255 area 0\n"),
		     -EINVAL);
	CHECK(strstr(err, "line 2") != NULL);
	CHECK(strstr(err, "line 4") != NULL);
}

static void test_stray_indent_refused(void)
{
	CHECK_EQ_INT(xl_rc(" network 10.0.0.0 0.0.0.255 area 0\n"), -EINVAL);
	CHECK(strstr(err, "outside any block") != NULL);
}

static void test_empty_and_comments(void)
{
	char *o = xl("");

	CHECK_EQ_STR(o, "");
	free(o);
	o = xl("!\n\n# x\nrouter ospf 1\n !\n router-id 1.2.3.4\n");
	CHECK_EQ_STR(o, "router ospf\n ospf router-id 1.2.3.4\n!\n");
	free(o);
}

static void test_model_text(void)
{
	struct cfg_model m;
	struct cfg_interface ifc[2];
	struct cfg_router rt;
	struct cfg_vline l_if[2], l_rt[2];
	char *t = NULL;

	memset(&m, 0, sizeof(m));
	memset(ifc, 0, sizeof(ifc));
	memset(&rt, 0, sizeof(rt));
	memset(l_if, 0, sizeof(l_if));
	memset(l_rt, 0, sizeof(l_rt));
	strcpy(ifc[0].name, "Tunnel1");
	strcpy(l_if[0].text, "ip ospf 1 area 0");
	strcpy(l_if[1].text, "ip ospf hello-interval 1");
	ifc[0].ospf = l_if;
	ifc[0].n_ospf = 2;
	strcpy(ifc[1].name, "eth1"); /* no OSPF lines: absent */
	m.interface = ifc;
	m.n_interface = 2;
	strcpy(rt.header, "router ospf 1");
	strcpy(l_rt[0].text, "router-id 2.2.2.2");
	strcpy(l_rt[1].text, "timers throttle lsa all 0");
	rt.line = l_rt;
	rt.n_line = 2;
	m.router = &rt;
	m.n_router = 1;
	CHECK_EQ_INT(frr_model_text(&m, &t), 0);
	CHECK_EQ_STR(t, "router ospf 1\n router-id 2.2.2.2\n timers throttle lsa all 0\n"
			"interface Tunnel1\n ip ospf 1 area 0\n ip ospf hello-interval 1\n");
	free(t);
	m.n_interface = m.n_router = 0;
	CHECK_EQ_INT(frr_model_text(&m, &t), 0);
	CHECK_EQ_STR(t, "");
	free(t);
}

static char *rm(const char *old, const char *new)
{
	char *o = NULL;

	CHECK_EQ_INT(frr_diff_removals(old, new, &o), 0);
	return o;
}

static void test_diff_nothing_removed(void)
{
	char *o = rm("router ospf\n network 10.1.1.0/24 area 0\n!\n",
		     "router ospf\n network 10.1.1.0/24 area 0\n network 10.2.0.0/16 area 0\n");

	CHECK_EQ_STR(o, "");
	free(o);
	o = rm(NULL, "router ospf\n");
	CHECK_EQ_STR(o, "");
	free(o);
}

static void test_diff_line_removed(void)
{
	char *o = rm("router ospf\n ospf router-id 1.1.1.1\n network 10.1.1.0/24 area 0\n",
		     "router ospf\n ospf router-id 1.1.1.1\n");

	CHECK_EQ_STR(o, "router ospf\n no network 10.1.1.0/24 area 0\nexit\n");
	free(o);
}

static void test_diff_block_removed(void)
{
	char *o = rm("router bgp 1\n neighbor 1.2.3.4 remote-as 2\n no bgp ebgp-requires-policy\n"
		     "!\nrouter ospf\n",
		     "router ospf\nrouter bgp 2\n");

	CHECK_EQ_STR(o, "no router bgp 1\n");
	free(o);
}

static void test_diff_interface_kept(void)
{
	char *o = rm("interface Tunnel1\n ip ospf area 0\n ip ospf cost 5\n",
		     "interface Tunnel1\n ip ospf area 0\n");

	CHECK_EQ_STR(o, "interface Tunnel1\n no ip ospf cost 5\nexit\n");
	free(o);
	o = rm("interface Tunnel9\n ip ospf area 0\n", "");
	CHECK_EQ_STR(o, "interface Tunnel9\n no ip ospf area 0\nexit\n");
	free(o);
}

static void test_diff_negation_removed(void)
{
	char *o = rm("router bgp 1\n no bgp ebgp-requires-policy\n",
		     "router bgp 1\n bgp ebgp-requires-policy\n");

	CHECK_EQ_STR(o, "router bgp 1\n bgp ebgp-requires-policy\nexit\n");
	free(o);
}

static void test_diff_nested(void)
{
	char *o = rm("router bgp 1\n address-family ipv4 unicast\n  network 10.1.0.0/16\n"
		     "  network 10.2.0.0/16\n exit-address-family\nexit\n",
		     "router bgp 1\n address-family ipv4 unicast\n  network 10.1.0.0/16\n"
		     " exit-address-family\n");

	CHECK_EQ_STR(o, "router bgp 1\n address-family ipv4 unicast\n  no network 10.2.0.0/16\n"
			" exit\nexit\n");
	free(o);
}

static void test_long_lines_pass(void)
{
	char in[2048], want[2048], *o;
	size_t n;

	/* longer than the tokenizer's buffer: passed through untouched */
	n = (size_t)snprintf(in, sizeof(in), "router ospf 1\n network 10.0.0.0 0.0.0.255 area ");
	memset(in + n, '1', 700);
	in[n + 700] = '\0';
	strcat(in, "\n");
	o = xl(in);
	snprintf(want, sizeof(want), "router ospf\n%s!\n", strchr(in, '\n') + 1);
	CHECK_EQ_STR(o, want);
	free(o);
	/* more words than the tokenizer keeps */
	o = xl("router ospf 1\n a b c d e f g h i j k l m n o p q r s t u v w x y z\n");
	CHECK_EQ_STR(o, "router ospf\n a b c d e f g h i j k l m n o p q r s t u v w x y z\n!\n");
	free(o);
}

static void test_deep_nesting_diff(void)
{
	char *o = NULL;

	/* deeper than the walk follows: no crash, the top-level removal seen */
	CHECK_EQ_INT(frr_diff_removals("a\n b\n  c\n   d\n    e\n     f\n      g\n       h\n"
				       "        i\n         j\nz\n",
				       "a\n b\n  c\n   d\n    e\n     f\n      g\n       h\n"
				       "        i\n",
				       &o),
		     0);
	CHECK(o != NULL);
	free(o);
	CHECK_EQ_INT(frr_diff_removals("a\nz\n", "a\n", &o), 0);
	CHECK_EQ_STR(o, "no z\n");
	free(o);
}

/* Random text: translate and diff never crash, and either produce text or
 * refuse with a message (a cheap stand-in for a fuzzer, run under ASan). */
static void test_random_text(void)
{
	static const char alphabet[] = "  \n\n\t!abnortuwkspfiecd0123456789./-";
	unsigned seed = 12345;
	int ok = 0, refused = 0;

	for (int it = 0; it < 3000; it++) {
		char in[160], *o = NULL, *rm = NULL;
		size_t n = (size_t)(seed % (sizeof(in) - 1));
		int r;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		in[n] = '\0';
		seed = seed * 1103515245u + 12345u;
		r = frr_translate(in, &o, err, sizeof(err));
		if (r == 0 && o) {
			ok++;
			CHECK_EQ_INT(frr_diff_removals(o, in, &rm), 0);
			free(rm);
		} else if (r == -EINVAL && o == NULL && err[0]) {
			refused++;
		} else {
			CHECK(!"translate neither produced text nor refused with a message");
		}
		free(o);
	}
	CHECK(ok > 0);
	CHECK(refused > 0);
}

static void test_show_refuses(void)
{
	char *out = (char *)1;
	const struct frr_vtysh vt = {.bin = "/nonexistent/vtysh"}; /* never run */

	CHECK_EQ_INT(frr_show(&vt, "configure terminal", &out), -EPERM);
	CHECK(out == NULL);
	CHECK_EQ_INT(frr_show(&vt, "show version\nconfigure terminal", &out), -EPERM);
	CHECK_EQ_INT(frr_show(&vt, NULL, &out), -EPERM);
}

int main(void)
{
	RUN(test_router_ospf_number_dropped);
	RUN(test_network_wildcard_to_prefix);
	RUN(test_network_host_bits_masked);
	RUN(test_network_prefix_passes);
	RUN(test_noncontiguous_wildcard_refused);
	RUN(test_area_range_mask);
	RUN(test_redistribute_subnets);
	RUN(test_passive_interface);
	RUN(test_diff_merges_repeated_blocks);
	RUN(test_ip_ospf_process_area);
	RUN(test_tunnel_gets_point_to_point);
	RUN(test_unknown_lines_pass);
	RUN(test_bgp);
	RUN(test_two_ospf_processes_refused);
	RUN(test_mixing_network_and_interface_area_refused);
	RUN(test_stray_indent_refused);
	RUN(test_empty_and_comments);
	RUN(test_model_text);
	RUN(test_diff_nothing_removed);
	RUN(test_diff_line_removed);
	RUN(test_diff_block_removed);
	RUN(test_diff_interface_kept);
	RUN(test_diff_negation_removed);
	RUN(test_diff_nested);
	RUN(test_long_lines_pass);
	RUN(test_deep_nesting_diff);
	RUN(test_random_text);
	RUN(test_show_refuses);
	return tcheck_done();
}
