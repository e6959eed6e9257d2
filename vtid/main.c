/* vtid: route-based GRE-over-IPsec VPN router daemon.
 *
 *   vtid --check-config FILE
 *   vtid -f FILE [-s SOCKET] [--frr-vty-socket DIR] [-F|-n] [-d] [--dataplane NAME]
 *        [--vtysh PATH]
 *   vtid --version
 *
 * See README.md and docs/. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "vtid/daemon.h"
#include "vtid/notify.h"
#include "vtid/version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vtid --check-config FILE\n"
		"       vtid [-f FILE] [-s SOCKET] [--frr-vty-socket DIR] [-F|-n] [-d]\n"
		"            [--dataplane auto|userspace|kernel] [--workers N]\n"
		"            [--ike-port N --natt-port N] [--vtysh PATH]\n"
		"  -f FILE                configuration (default /etc/vtid/vtid.conf)\n"
		"  -s SOCKET              control socket (default /run/vtid/vtid.sock)\n"
		"  --frr-vty-socket DIR   FRR's vty socket folder (for a namespace's own FRR)\n"
		"  --vtysh PATH           FRR's vtysh (default /usr/bin/vtysh)\n"
		"  -F                     foreground, log to stderr (else syslog)\n"
		"  -n, --no-daemon        foreground, log to syslog (the journal under systemd)\n"
		"  -d                     debug logging\n"
		"  --check-config FILE    check FILE, print it canonically, exit 0/1\n"
		"  --version              print the version\n");
}

int main(int argc, char **argv)
{
	enum {
		OPT_CHECK = 256,
		OPT_FRR,
		OPT_DP,
		OPT_WORKERS,
		OPT_IKEPORT,
		OPT_NATTPORT,
		OPT_VTYSH,
		OPT_VERSION
	};
	static const struct option longopts[] = {
		{"check-config", required_argument, NULL, OPT_CHECK},
		{"frr-vty-socket", required_argument, NULL, OPT_FRR},
		{"dataplane", required_argument, NULL, OPT_DP},
		{"workers", required_argument, NULL, OPT_WORKERS},
		{"ike-port", required_argument, NULL, OPT_IKEPORT},
		{"natt-port", required_argument, NULL, OPT_NATTPORT},
		{"vtysh", required_argument, NULL, OPT_VTYSH},
		{"no-daemon", no_argument, NULL, 'n'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct vtid v;
	const char *check = NULL;
	bool no_daemon = false;
	int c;

	memset(&v, 0, sizeof(v));
	v.opts.conf_path = "/etc/vtid/vtid.conf";
	v.opts.sock_path = "/run/vtid/vtid.sock";
	while ((c = getopt_long(argc, argv, "f:s:Fndh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			v.opts.conf_path = optarg;
			break;
		case 's':
			v.opts.sock_path = optarg;
			break;
		case 'F':
			v.opts.foreground = true;
			break;
		case 'n':
			no_daemon = true;
			break;
		case 'd':
			v.opts.debug = true;
			break;
		case OPT_VERSION:
			printf("vtid %s\n", VTID_VERSION);
			return 0;
		case OPT_CHECK:
			check = optarg;
			break;
		case OPT_FRR:
			v.opts.frr_dir = optarg;
			break;
		case OPT_DP:
			v.opts.dataplane = optarg;
			break;
		case OPT_WORKERS:
			v.opts.workers = atoi(optarg);
			break;
		case OPT_IKEPORT:
			v.opts.ike_port = (uint16_t)atoi(optarg);
			break;
		case OPT_NATTPORT:
			v.opts.natt_port = (uint16_t)atoi(optarg);
			break;
		case OPT_VTYSH:
			v.opts.vtysh = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (check)
		return vtid_check_config(check);

	log_init("vtid", v.opts.foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG,
		 v.opts.debug ? LOG_DEBUG : LOG_INFO);
	/* -n: systemd (Type=notify) supervises the process it started, and
	 * syslog reaches its journal with each message's priority. */
	if (!v.opts.foreground && !no_daemon && daemon(0, 0) < 0) {
		perror("vtid: daemon");
		return 1;
	}
	int err = vtid_start(&v);
	if (err == 0) {
		/* vtid_start applied the configuration (or logged why not). */
		vtid_notify_ready("running");
		err = loop_run(v.loop);
		vtid_notify_stopping();
	}
	vtid_stop(&v);
	return err < 0 ? 1 : 0;
}
