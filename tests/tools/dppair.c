/* dppair: one userspace data-plane instance with one tunnel, driven by
 * commands on stdin, for tests and the benchmark.  Static keys and SPIs:
 * no IKE.  Run one per network namespace.
 *
 *   dppair --name Tunnel1 --local A --remote B --addr 10.0.0.1/30
 *          [--plain] [--encap gre|none] [--workers N] [--gre-key K]
 *          [--gre-seq] [--gre-csum] [--mtu N] [--tcp-mss N] [--keepalive P[,R]]
 *          [--natt]   (own UDP 4500 socket, as vtid's IKE socket: ESP in UDP,
 *                      read by the data plane's workers through their own
 *                      socket on the port)
 *          [--natt-ctl] (the same, but the socket is not shared: ESP arrives
 *                      here and goes through udp_input, the fallback)
 * `stats` ends with udp_ctl=N: ESP datagrams that took the fallback.
 *
 * Commands (one per line; each answers one line "ok ..." or "err ..."):
 *   sa in|out SPI transport|tunnel ENCR KEYHEX [INTEG KEYHEX] [esn] [window N]
 *      [soft-packets N] [hard-packets N] [natt] [defer IN_SPI]
 *   del in|out SPI
 *   carrier up|down
 *   stats                 link counters as key=value
 *   sastats in|out SPI    SA counters as key=value
 *   events                the events received so far
 *   relink                delete the tunnel device and create it again (no SAs)
 *   quit */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "gre/dp.h"
#include "lib/log.h"

static char events_seen[4096];

static void on_event(void *ctx, struct dp_link *link, enum dp_event ev, uint32_t spi, bool inbound)
{
	(void)ctx;
	(void)link;
	static const char *const names[] = {
	    [DP_EV_SOFT_EXPIRE] = "soft",	 [DP_EV_HARD_EXPIRE] = "hard",
	    [DP_EV_ACQUIRE] = "acquire",	 [DP_EV_KEEPALIVE_DOWN] = "ka-down",
	    [DP_EV_KEEPALIVE_UP] = "ka-up",
	};
	size_t n = strlen(events_seen);
	const char *name = (unsigned)ev < sizeof(names) / sizeof(names[0]) && names[ev]
			       ? names[ev]
			       : "?";
	snprintf(events_seen + n, sizeof(events_seen) - n, "%s:%s:%x ", name,
		 inbound ? "in" : "out", spi);
}

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static int cmd_sa(const struct dp_ops *ops, struct dp_link *link, char **tok, int nt)
{
	struct dp_sa_cfg c;
	memset(&c, 0, sizeof(c));
	if (nt < 6)
		return -EINVAL;
	c.inbound = !strcmp(tok[1], "in");
	c.spi = (uint32_t)strtoul(tok[2], NULL, 0);
	c.mode = !strcmp(tok[3], "tunnel") ? DP_ESP_TUNNEL : DP_ESP_TRANSPORT;
	c.encr = suite_by_name(SUITE_ENCR, tok[4]);
	if (!c.encr)
		return -ENOENT;
	int kl = unhex(tok[5], c.encr_key, sizeof(c.encr_key));
	if (kl < 0)
		return -EINVAL;
	c.encr_key_len = (uint8_t)kl;
	c.replay_window = 1024;
	int i = 6;
	if (!c.encr->aead) {
		if (nt < 8 || !(c.integ = suite_by_name(SUITE_INTEG, tok[6])))
			return -ENOENT;
		if ((kl = unhex(tok[7], c.integ_key, sizeof(c.integ_key))) < 0)
			return -EINVAL;
		c.integ_key_len = (uint8_t)kl;
		i = 8;
	}
	for (; i < nt; i++) {
		if (!strcmp(tok[i], "esn"))
			c.esn = true;
		else if (!strcmp(tok[i], "window") && i + 1 < nt)
			c.replay_window = (uint32_t)atoi(tok[++i]);
		else if (!strcmp(tok[i], "soft-packets") && i + 1 < nt)
			c.soft_packets = strtoull(tok[++i], NULL, 0);
		else if (!strcmp(tok[i], "hard-packets") && i + 1 < nt)
			c.hard_packets = strtoull(tok[++i], NULL, 0);
		else if (!strcmp(tok[i], "natt"))
			c.natt_local_port = c.natt_remote_port = 4500;
		else if (!strcmp(tok[i], "defer") && i + 1 < nt) {
			c.defer = true;
			c.pair_spi = (uint32_t)strtoul(tok[++i], NULL, 0);
		}
		else
			return -EINVAL;
	}
	int rc = ops->sa_add(link, &c);
	OPENSSL_cleanse(&c, sizeof(c));
	return rc;
}

static unsigned long long udp_ctl_esp;

/* What vtid's IKE socket does with port 4500: non-ESP marker -> IKE (not
 * ours here), one 0xff byte -> NAT keepalive, anything else -> ESP. */
static void udp_read(const struct dp_ops *ops, struct dp *dp, int udp)
{
	static uint8_t buf[65536];
	char ctl[128];
	struct sockaddr_in from, to = {.sin_family = AF_INET, .sin_port = htons(4500)};
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_name = &from,
			    .msg_namelen = sizeof(from),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	ssize_t n = recvmsg(udp, &mh, MSG_DONTWAIT);
	if (n <= 0)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			to.sin_addr = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
	if (n == 1 && buf[0] == 0xff)
		return;
	if (n >= 4 && !buf[0] && !buf[1] && !buf[2] && !buf[3])
		return;
	udp_ctl_esp++;
	ops->udp_input(dp, buf, (size_t)n, &from, &to);
}

static void cmd_stats(const struct dp_ops *ops, struct dp_link *link)
{
	struct dp_link_stats s;
	ops->link_stats(link, &s);
	printf("ok encaps=%llu encrypt=%llu digest=%llu decaps=%llu decrypt=%llu verify=%llu "
	       "bytes_out=%llu bytes_in=%llu replay=%llu auth=%llu pad=%llu send_err=%llu "
	       "recv_err=%llu no_sa=%llu frag_needed=%llu unprotected=%llu malformed=%llu "
	       "mtu=%u carrier=%d udp_ctl=%llu\n",
	       (unsigned long long)s.pkts_encaps, (unsigned long long)s.pkts_encrypt,
	       (unsigned long long)s.pkts_digest, (unsigned long long)s.pkts_decaps,
	       (unsigned long long)s.pkts_decrypt, (unsigned long long)s.pkts_verify,
	       (unsigned long long)s.bytes_out, (unsigned long long)s.bytes_in,
	       (unsigned long long)s.replay_fail, (unsigned long long)s.auth_fail,
	       (unsigned long long)s.pad_fail, (unsigned long long)s.send_errors,
	       (unsigned long long)s.recv_errors, (unsigned long long)s.no_sa_drops,
	       (unsigned long long)s.frag_needed, (unsigned long long)s.unprotected_drops,
	       (unsigned long long)s.malformed, s.mtu, s.carrier, udp_ctl_esp);
}

static void usage(void)
{
	fprintf(stderr, "usage: dppair --name N --local A --remote B [--addr A/P] [--plain] "
			"[--encap gre|none] [--workers N] [--gre-key K] [--gre-seq] [--gre-csum] "
			"[--mtu N] [--tcp-mss N] [--keepalive P[,R]] [--natt|--natt-ctl]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct dp_link_cfg lc;
	memset(&lc, 0, sizeof(lc));
	lc.protected = true;
	lc.encap = DP_ENCAP_GRE;
	int workers = 0;
	static const struct option opts[] = {
	    {"name", 1, 0, 'n'},      {"local", 1, 0, 'l'},   {"remote", 1, 0, 'r'},
	    {"addr", 1, 0, 'a'},      {"plain", 0, 0, 'p'},   {"encap", 1, 0, 'e'},
	    {"workers", 1, 0, 'w'},   {"gre-key", 1, 0, 'k'}, {"gre-seq", 0, 0, 's'},
	    {"gre-csum", 0, 0, 'c'},  {"mtu", 1, 0, 'm'},     {"tcp-mss", 1, 0, 't'},
	    {"keepalive", 1, 0, 'K'}, {"natt", 0, 0, 'N'},    {"natt-ctl", 0, 0, 'C'},
	    {0, 0, 0, 0}};
	int udp = -1;
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			snprintf(lc.name, sizeof(lc.name), "%s", optarg);
			break;
		case 'l':
			if (inet_pton(AF_INET, optarg, &lc.local) != 1)
				usage();
			break;
		case 'r':
			if (inet_pton(AF_INET, optarg, &lc.remote) != 1)
				usage();
			break;
		case 'a': {
			char *sl = strchr(optarg, '/');
			if (!sl)
				usage();
			*sl = 0;
			if (inet_pton(AF_INET, optarg, &lc.addr) != 1)
				usage();
			lc.prefixlen = (uint8_t)atoi(sl + 1);
			break;
		}
		case 'p':
			lc.protected = false;
			break;
		case 'e':
			lc.encap = !strcmp(optarg, "none") ? DP_ENCAP_NONE : DP_ENCAP_GRE;
			break;
		case 'w':
			workers = atoi(optarg);
			break;
		case 'k':
			lc.gre_key_set = true;
			lc.gre_key = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			lc.gre_seq = true;
			break;
		case 'c':
			lc.gre_csum = true;
			break;
		case 'm':
			lc.mtu = (uint16_t)atoi(optarg);
			break;
		case 't':
			lc.tcp_mss = (uint16_t)atoi(optarg);
			break;
		case 'N':
		case 'C': {
			struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(4500)};
			int one = 1;
			udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (udp < 0 ||
			    setsockopt(udp, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
			    (o == 'N' &&
			     setsockopt(udp, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
			    bind(udp, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
				perror("dppair: udp 4500");
				return 1;
			}
			break;
		}
		case 'K': {
			lc.keepalive_period = (uint16_t)atoi(optarg);
			const char *c = strchr(optarg, ',');
			lc.keepalive_retries = c ? (uint8_t)atoi(c + 1) : 0;
			break;
		}
		default:
			usage();
		}
	}
	if (!lc.name[0] || !lc.local.s_addr || !lc.remote.s_addr)
		usage();
	log_init("dppair", LOG_TO_STDERR, LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	const struct dp_ops *ops = dp_ops_by_name("userspace");
	struct dp_init init = {.on_event = on_event, .workers = workers, .udp_encap_fd = udp};
	struct dp *dp;
	struct dp_link *link;
	int rc = ops->create(&init, &dp);
	if (rc) {
		fprintf(stderr, "dppair: create: %s\n", strerror(-rc));
		return 1;
	}
	if ((rc = ops->link_add(dp, &lc, &link))) {
		fprintf(stderr, "dppair: link_add: %s\n", strerror(-rc));
		ops->destroy(dp);
		return 1;
	}
	/* unbuffered: poll() on fd 0 must see every line stdio has not taken */
	setvbuf(stdin, NULL, _IONBF, 0);
	printf("ready\n");
	fflush(stdout);
	char line[1024];
	struct pollfd pf[3] = {{.fd = 0, .events = POLLIN},
			       {.fd = ops->event_fd(dp), .events = POLLIN},
			       {.fd = udp, .events = POLLIN}};
	for (;;) {
		if (poll(pf, udp >= 0 ? 3 : 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents & POLLIN)
			ops->dispatch(dp);
		if (udp >= 0 && (pf[2].revents & POLLIN))
			udp_read(ops, dp, udp);
		if (!(pf[0].revents & (POLLIN | POLLHUP)))
			continue;
		if (!fgets(line, sizeof(line), stdin))
			break;
		char *tok[32], *save = NULL;
		int nt = 0;
		for (char *t = strtok_r(line, " \t\r\n", &save); t && nt < 32;
		     t = strtok_r(NULL, " \t\r\n", &save))
			tok[nt++] = t;
		if (!nt)
			continue;
		rc = 0;
		if (!strcmp(tok[0], "quit")) {
			printf("ok bye\n");
			fflush(stdout);
			break;
		} else if (!strcmp(tok[0], "sa")) {
			rc = cmd_sa(ops, link, tok, nt);
		} else if (!strcmp(tok[0], "del") && nt == 3) {
			rc = ops->sa_del(link, (uint32_t)strtoul(tok[2], NULL, 0),
					 !strcmp(tok[1], "in"));
		} else if (!strcmp(tok[0], "carrier") && nt == 2) {
			rc = ops->link_carrier(link, !strcmp(tok[1], "up"));
		} else if (!strcmp(tok[0], "stats")) {
			cmd_stats(ops, link);
			fflush(stdout);
			continue;
		} else if (!strcmp(tok[0], "sastats") && nt == 3) {
			struct dp_sa_stats s;
			rc = ops->sa_stats(link, (uint32_t)strtoul(tok[2], NULL, 0),
					   !strcmp(tok[1], "in"), &s);
			if (!rc) {
				printf("ok packets=%llu bytes=%llu replay=%llu auth=%llu pad=%llu "
				       "seq=%llu\n",
				       (unsigned long long)s.packets, (unsigned long long)s.bytes,
				       (unsigned long long)s.replay_fail,
				       (unsigned long long)s.auth_fail,
				       (unsigned long long)s.pad_fail, (unsigned long long)s.seq);
				fflush(stdout);
				continue;
			}
		} else if (!strcmp(tok[0], "relink")) {
			ops->link_del(link);
			link = NULL;
			rc = ops->link_add(dp, &lc, &link);
			if (rc) {
				printf("err %s\n", strerror(-rc));
				fflush(stdout);
				break;
			}
		} else if (!strcmp(tok[0], "events")) {
			printf("ok %s\n", events_seen);
			fflush(stdout);
			continue;
		} else {
			rc = -EINVAL;
		}
		if (rc)
			printf("err %s\n", strerror(-rc));
		else
			printf("ok\n");
		fflush(stdout);
	}
	ops->link_del(link);
	ops->destroy(dp);
	if (udp >= 0)
		close(udp);
	return 0;
}
