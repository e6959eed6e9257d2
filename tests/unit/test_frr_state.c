/* test_frr_state: the vtysh runner and frr_state against a fake vtysh.
 *
 * The fake is a shell script written into a temporary folder that is also
 * its "vty dir": `-f /dev/stdin` appends its input to DIR/applied (and fails
 * when DIR/fail exists), `-c 'show running-config'` prints DIR/running,
 * `-c 'show sleep'` execs sleep (for the deadline), other -c commands echo
 * back.  With DIR/mirror, what -f gets becomes the running config (FRR
 * took it); without, the running config stays (a daemon not up).  The real FRR is exercised by
 * tests/integration/t-frr-apply.sh. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frr-integration/frr.h"
#include "tests/unit/tcheck.h"

static char dir[64];
static char path[128];
static struct frr_vtysh VT; /* the fake vtysh in dir */

static const char fake[] =
    "#!/bin/sh\n"
    "[ \"$1\" = --vty_socket ] || exit 3\n"
    "d=$2; shift 2\n"
    "case \"$1\" in\n"
    "-f) cat \"$2\" >>\"$d/applied\"; echo '----' >>\"$d/applied\"\n"
    "    if [ -f \"$d/mirror\" ]; then cat \"$d/applied\" >\"$d/running\"; fi\n"
    "    if [ -f \"$d/fail\" ]; then echo 'line 2: % Unknown command[4]:  bogus'; "
    "exit 1; fi; exit 0 ;;\n"
    "-c) case \"$2\" in\n"
    "    'show running-config') cat \"$d/running\" 2>/dev/null; exit 0 ;;\n"
    "    'show ip ospf interface json') cat \"$d/ospfifs\" 2>/dev/null; exit 0 ;;\n"
    "    'show interface brief') cat \"$d/brief\" 2>/dev/null; exit 0 ;;\n"
    "    'show sleep') exec sleep 3 ;;\n"
    "    'show down') echo 'Exiting: failed to connect to any daemons.'; exit 1 ;;\n"
    "    'show key') echo 'line 4: % Unknown command[4]:  ip ospf "
    "message-digest-key 1 md5 s3cr3t'; echo ' neighbor 1.2.3.4 password "
    "pw'; echo 'after'; exit 0 ;;\n"
    "    esac; echo \"ran: $2\"; exit 0 ;;\n"
    "esac\nexit 4\n";

static void put_file(const char *name, const char *text)
{
	char p[160];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *get_file(const char *name)
{
	char p[160];
	static char buf[8192];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "r");
	if (!f)
		return strcpy(buf, "");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void rm_file(const char *name)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

static void test_show_output(void)
{
	char *out = NULL;

	CHECK_EQ_INT(frr_show(&VT, "show ip ospf neighbor json", &out), 0);
	CHECK_EQ_STR(out, "ran: show ip ospf neighbor json\n");
	free(out);
}

static void test_show_error_status(void)
{
	char *out = NULL;

	CHECK_EQ_INT(frr_show(&VT, "show down", &out), -EIO);
	CHECK(out && strstr(out, "failed to connect") != NULL);
	free(out);
}

static void test_output_hides_keys(void)
{
	char *out = NULL;

	CHECK_EQ_INT(frr_show(&VT, "show key", &out), 0);
	CHECK_EQ_STR(out, "line 4: % Unknown command[4]:  ip ospf message-digest-key <hidden>\n"
			  " neighbor 1.2.3.4 password <hidden>\nafter\n");
	free(out);
}

static void test_deadline_kills(void)
{
	char *out = NULL;
	int st;

	VT.timeout_ms = 200;
	CHECK_EQ_INT(frr_show(&VT, "show sleep", &out), -ETIMEDOUT);
	free(out);
	VT.timeout_ms = 5000;
	/* the child was reaped: no child of ours is left */
	CHECK(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD);
}

static void test_missing_binary(void)
{
	char *out = NULL;

	VT.bin = "/nonexistent/vtysh";
	CHECK_EQ_INT(frr_show(&VT, "show version", &out), -ENOENT);
	free(out);
	VT.bin = path;
}

static void test_apply_passes_text(void)
{
	char *out = NULL;

	rm_file("applied");
	CHECK_EQ_INT(frr_apply(&VT, "router ospf\n ospf router-id 1.1.1.1\n", &out), 0);
	CHECK_EQ_STR(out, "");
	free(out);
	CHECK_EQ_STR(get_file("applied"), "router ospf\n ospf router-id 1.1.1.1\n----\n");
	put_file("fail", "");
	CHECK_EQ_INT(frr_apply(&VT, "x\n", &out), -EIO);
	CHECK(out && strstr(out, "line 2: % Unknown command") != NULL);
	free(out);
	rm_file("fail");
}

static void test_state_removals_then_text(void)
{
	struct frr_state *st = frr_state_new(&VT);
	struct frr_stats s;

	rm_file("applied");
	put_file("mirror", "");
	CHECK_EQ_INT(frr_state_apply(st, "router ospf\n network 10.1.1.0/24 area 0\n!\n", NULL), 0);
	CHECK_EQ_INT(frr_state_apply(st, "router ospf\n ospf router-id 2.2.2.2\n!\n", NULL), 0);
	CHECK_EQ_STR(get_file("applied"), "router ospf\n network 10.1.1.0/24 area 0\n!\n----\n"
					  "router ospf\n no network 10.1.1.0/24 area 0\nexit\n"
					  "router ospf\n ospf router-id 2.2.2.2\n!\n----\n");
	frr_state_stats(st, &s);
	CHECK_EQ_INT(s.applies, 2);
	CHECK_EQ_INT(s.apply_errors, 0);
	rm_file("mirror");
	frr_state_free(st);
}

static void test_state_check_reapplies_after_restart(void)
{
	struct frr_state *st = frr_state_new(&VT);
	const char *want = "interface Tunnel1\n ip ospf network point-to-point\n ip ospf area 0\n"
			   "!\nrouter ospf\n ospf router-id 2.2.2.2\n!\n";
	struct frr_stats s;

	put_file("mirror", "");
	CHECK_EQ_INT(frr_state_apply(st, want, NULL), 0);
	/* FRR holds it (as FRR prints it: exit lines, other lines around) */
	put_file("running", "Building configuration...\n!\nfrr version 8.4.4\n!\n"
			    "interface Tunnel1\n ip ospf area 0\n ip ospf network point-to-point\n"
			    "exit\n!\nrouter ospf\n ospf router-id 2.2.2.2\nexit\n!\nend\n");
	rm_file("applied");
	CHECK_EQ_INT(frr_state_check(st, NULL), 0);
	CHECK_EQ_STR(get_file("applied"), "");
	/* ospfd restarted: its lines are gone; while it is not up, applying
	 * changes nothing and the check says so */
	rm_file("mirror");
	put_file("running", "Building configuration...\n!\nfrr version 8.4.4\n!\nend\n");
	CHECK_EQ_INT(frr_state_check(st, NULL), -EAGAIN);
	put_file("mirror", "");
	CHECK_EQ_INT(frr_state_check(st, NULL), 1);
	CHECK(strstr(get_file("applied"), "ospf router-id 2.2.2.2") != NULL);
	/* only the interface line went */
	rm_file("applied");
	put_file("running", "router ospf\n ospf router-id 2.2.2.2\nexit\n");
	CHECK_EQ_INT(frr_state_check(st, NULL), 1);
	CHECK(strstr(get_file("applied"), " ip ospf area 0") != NULL);
	CHECK_EQ_INT(frr_state_check(st, NULL), 0);
	frr_state_stats(st, &s);
	CHECK_EQ_INT(s.checks, 5);
	CHECK_EQ_INT(s.reapplies, 3);
	rm_file("mirror");
	frr_state_free(st);
}

static void test_state_refused_not_resent(void)
{
	struct frr_state *st = frr_state_new(&VT);
	struct frr_stats s;

	/* FRR refuses the text: nothing lands */
	put_file("running", "end\n");
	put_file("fail", "");
	CHECK_EQ_INT(frr_state_apply(st,
				     "router ospf\n ospf router-id 1.1.1.1\n!\n"
				     "router bgp 1\n bogus\n!\n",
				     NULL),
		     -EIO);
	/* sending it again every period would not help: the check leaves it */
	rm_file("applied");
	CHECK_EQ_INT(frr_state_check(st, NULL), 0);
	CHECK_EQ_STR(get_file("applied"), "");
	/* FRR took the OSPF block after all (typed by hand): fewer missing */
	put_file("running", "router ospf\n ospf router-id 1.1.1.1\nexit\n");
	CHECK_EQ_INT(frr_state_check(st, NULL), 0);
	/* then lost it (restart): more missing than refused -> applied again */
	put_file("running", "end\n");
	CHECK_EQ_INT(frr_state_check(st, NULL), -EIO);
	CHECK(strstr(get_file("applied"), "router bgp 1") != NULL);
	frr_state_stats(st, &s);
	CHECK_EQ_INT(s.reapplies, 1);
	CHECK_EQ_INT(s.apply_errors, 2);
	rm_file("fail");
	frr_state_free(st);
}

/* A refusal may pass (a daemon busy or half started): what FRR refused is
 * offered again after 3 checks, then after 6, and lands once FRR takes it. */
static void test_state_refused_offered_again(void)
{
	struct frr_state *st = frr_state_new(&VT);
	struct frr_stats s;
	const char *want = "interface Tunnel3\n ip ospf area 0\n!\n";

	put_file("running", "end\n");
	put_file("fail", "");
	CHECK_EQ_INT(frr_state_apply(st, want, NULL), -EIO);
	int sent_at[3], n = 0;
	for (int i = 1; i <= 12 && n < 3; i++) {
		rm_file("applied");
		int r = frr_state_check(st, NULL);
		if (strstr(get_file("applied"), "ip ospf area 0")) {
			CHECK_EQ_INT(r, -EIO);
			sent_at[n++] = i;
		} else {
			CHECK_EQ_INT(r, 0);
		}
	}
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(sent_at[0], 3);
	CHECK_EQ_INT(sent_at[1], 9);
	/* FRR takes it now: in step, nothing more is sent */
	rm_file("fail");
	rm_file("applied");
	for (int i = 0; i < 12; i++)
		frr_state_check(st, NULL);
	CHECK(strstr(get_file("applied"), "ip ospf area 0") != NULL);
	put_file("running", "interface Tunnel3\n ip ospf area 0\nexit\n");
	CHECK(frr_state_check(st, NULL) >= 0); /* back in step */
	rm_file("applied");
	for (int i = 0; i < 20; i++)
		CHECK_EQ_INT(frr_state_check(st, NULL), 0);
	CHECK_EQ_STR(get_file("applied"), "");
	frr_state_stats(st, &s);
	CHECK(s.reapplies >= 3);
	frr_state_free(st);
}

static void test_state_unreachable_then_back(void)
{
	struct frr_state *st = frr_state_new(&VT);
	struct frr_stats s;

	/* the state keeps its own copy of VT: take the binary away instead */
	char away[160];
	snprintf(away, sizeof(away), "%s.away", path);
	CHECK_EQ_INT(rename(path, away), 0);
	CHECK(frr_state_apply(st, "router ospf\n", NULL) < 0);
	CHECK(frr_state_check(st, NULL) < 0);
	CHECK_EQ_INT(rename(away, path), 0);
	/* FRR answers and even shows the block: the failed apply is redone */
	put_file("running", "router ospf\nexit\n");
	rm_file("applied");
	put_file("mirror", "");
	CHECK_EQ_INT(frr_state_check(st, NULL), 1);
	CHECK_EQ_STR(get_file("applied"), "router ospf\n----\n");
	CHECK_EQ_INT(frr_state_check(st, NULL), 0);
	rm_file("mirror");
	frr_state_stats(st, &s);
	CHECK_EQ_INT(s.unreachable, 1);
	frr_state_free(st);
}

/* ospfd lists the interfaces it runs on; one of ours that is up with an
 * address (lo here) and missing gets its lines again, `no ip ospf area`
 * first, after 2 checks, then after 4, 8 ... while it stays out; one that
 * is not up (nosuch0) is never counted. */
static void test_state_ospf_interface_left_out(void)
{
	/* a network namespace of its own: lo up there (127.0.0.1/8), and the
	 * address announced again where nothing else sees it */
	struct ifreq ifr = {.ifr_name = "lo"};
	int fd = -1, nl = -1;
	if (unshare(CLONE_NEWNET) < 0 || (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr)) < 0) {
		CHECK(!"a network namespace with lo up");
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	struct frr_state *st = frr_state_new(&VT);
	const char *want = "interface lo\n ip ospf area 0\n ip ospf hello-interval 1\n!\n"
			   "interface nosuch0\n ip ospf area 0\n!\n"
			   "router ospf\n ospf router-id 2.2.2.2\n!\n";
	struct frr_stats s;

	put_file("mirror", "");
	CHECK_EQ_INT(frr_state_apply(st, want, NULL), 0);
	put_file("ospfifs", "{\"interfaces\":{\"eth0\":{\"ifUp\":true}}}");
	put_file("brief", "Interface       Status  VRF             Addresses\n"
			  "---------       ------  ---             ---------\n"
			  "eth0            up      default         10.1.1.1/24\n"
			  "lo              up      default         127.0.0.1/8\n");
	rm_file("applied");
	CHECK_EQ_INT(frr_state_check_ospf(st, NULL), 0);
	CHECK_EQ_STR(get_file("applied"), "");
	CHECK_EQ_INT(frr_state_check_ospf(st, NULL), 1);
	CHECK_EQ_STR(get_file("applied"),
		     "interface lo\n no ip ospf area 0\n ip ospf area 0\n ip ospf hello-interval 1\n"
		     "exit\n----\n");
	rm_file("applied");
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(frr_state_check_ospf(st, NULL), 0);
	CHECK_EQ_INT(frr_state_check_ospf(st, NULL), 1);
	/* ospfd runs on it: nothing more, and the count starts over */
	put_file("ospfifs", "{\"interfaces\":{\"lo\":{\"ifUp\":true}}}");
	rm_file("applied");
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(frr_state_check_ospf(st, NULL), 0);
	CHECK_EQ_STR(get_file("applied"), "");
	/* zebra does not know lo's address: the address is announced again
	 * (RTM_NEWADDR seen on netlink), no lines go to FRR */
	put_file("ospfifs", "{}");
	put_file("brief", "lo              up      default\n");
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR};
	CHECK(nl >= 0 && bind(nl, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK_EQ_INT(frr_state_check_ospf(st, NULL), 0);
	CHECK_EQ_INT(frr_state_check_ospf(st, NULL), 1);
	CHECK_EQ_STR(get_file("applied"), "");
	char buf[4096];
	ssize_t n = nl >= 0 ? recv(nl, buf, sizeof(buf), 0) : -1;
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	CHECK(n >= (ssize_t)NLMSG_LENGTH(sizeof(struct ifaddrmsg)) && h->nlmsg_type == RTM_NEWADDR);
	if (nl >= 0)
		close(nl);
	frr_state_stats(st, &s);
	CHECK_EQ_INT(s.ospf_rerun, 3);
	rm_file("mirror");
	rm_file("ospfifs");
	rm_file("brief");
	frr_state_free(st);
}

int main(void)
{
	int r;

	strcpy(dir, "/tmp/vtfrrXXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/vtysh", dir);
	put_file("vtysh", fake);
	chmod(path, 0700);
	VT = (struct frr_vtysh){.bin = path, .vty_dir = dir, .timeout_ms = 5000};
	RUN(test_show_output);
	RUN(test_show_error_status);
	RUN(test_output_hides_keys);
	RUN(test_deadline_kills);
	RUN(test_missing_binary);
	RUN(test_apply_passes_text);
	RUN(test_state_removals_then_text);
	RUN(test_state_check_reapplies_after_restart);
	RUN(test_state_refused_not_resent);
	RUN(test_state_refused_offered_again);
	RUN(test_state_unreachable_then_back);
	RUN(test_state_ospf_interface_left_out);
	r = tcheck_done();
	rm_file("applied");
	rm_file("running");
	rm_file("mirror");
	rm_file("vtysh");
	rmdir(dir);
	return r;
}
