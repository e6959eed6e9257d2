/* acl_names.c: the names IOS gives to numbers in access lists — IP
 * protocols, TCP and UDP ports, ICMP messages, IP precedence, DSCP — in
 * both directions, and as word sets for the grammar so `?` lists them.
 *
 * The tables are IOS's (12.4/15.x `permit tcp any any eq ?` and friends);
 * the printer uses a name whenever one exists, as IOS's running-config
 * does, so `eq 80` prints as `eq www` and `3 4` as `packet-too-big`. */
#include "conf/internal.h"

#include <stdio.h>
#include <string.h>

/* X(name, number, help) */
#define TCP_PORTS(X)                                                                               \
	X("bgp", 179, "Border Gateway Protocol")                                                   \
	X("chargen", 19, "Character generator")                                                    \
	X("cmd", 514, "Remote commands, rcmd")                                                     \
	X("daytime", 13, "Daytime")                                                                \
	X("discard", 9, "Discard")                                                                 \
	X("domain", 53, "Domain Name Service")                                                     \
	X("drip", 3949, "Dynamic Routing Information Protocol")                                    \
	X("echo", 7, "Echo")                                                                       \
	X("exec", 512, "Exec, rsh")                                                                \
	X("finger", 79, "Finger")                                                                  \
	X("ftp", 21, "File Transfer Protocol")                                                     \
	X("ftp-data", 20, "FTP data connections")                                                  \
	X("gopher", 70, "Gopher")                                                                  \
	X("hostname", 101, "NIC hostname server")                                                  \
	X("ident", 113, "Ident Protocol")                                                          \
	X("irc", 194, "Internet Relay Chat")                                                       \
	X("klogin", 543, "Kerberos login")                                                         \
	X("kshell", 544, "Kerberos shell")                                                         \
	X("login", 513, "Login, rlogin")                                                           \
	X("lpd", 515, "Printer service")                                                           \
	X("msrpc", 135, "MS Remote Procedure Call")                                                \
	X("nntp", 119, "Network News Transport Protocol")                                          \
	X("pim-auto-rp", 496, "PIM Auto-RP")                                                       \
	X("pop2", 109, "Post Office Protocol v2")                                                  \
	X("pop3", 110, "Post Office Protocol v3")                                                  \
	X("smtp", 25, "Simple Mail Transport Protocol")                                            \
	X("sunrpc", 111, "Sun Remote Procedure Call")                                              \
	X("tacacs", 49, "TAC Access Control System")                                               \
	X("talk", 517, "Talk")                                                                     \
	X("telnet", 23, "Telnet")                                                                  \
	X("time", 37, "Time")                                                                      \
	X("uucp", 540, "Unix-to-Unix Copy Program")                                                \
	X("whois", 43, "Nicname")                                                                  \
	X("www", 80, "World Wide Web, HTTP")

#define UDP_PORTS(X)                                                                               \
	X("biff", 512, "Biff, mail notification, comsat")                                          \
	X("bootpc", 68, "Bootstrap Protocol client, BOOTP")                                        \
	X("bootps", 67, "Bootstrap Protocol server, BOOTP")                                        \
	X("discard", 9, "Discard")                                                                 \
	X("dnsix", 195, "DNSIX security protocol auditing")                                        \
	X("domain", 53, "Domain Name Service, DNS")                                                \
	X("echo", 7, "Echo")                                                                       \
	X("isakmp", 500, "Internet Security Association and Key Management Protocol")              \
	X("mobile-ip", 434, "Mobile IP registration")                                              \
	X("nameserver", 42, "IEN116 name service, obsolete")                                       \
	X("netbios-dgm", 138, "NetBios datagram service")                                          \
	X("netbios-ns", 137, "NetBios name service")                                               \
	X("netbios-ss", 139, "NetBios session service")                                            \
	X("non500-isakmp", 4500, "IKE and ESP over UDP, NAT traversal")                            \
	X("ntp", 123, "Network Time Protocol")                                                     \
	X("pim-auto-rp", 496, "PIM Auto-RP")                                                       \
	X("rip", 520, "Routing Information Protocol, router, in.routed")                           \
	X("snmp", 161, "Simple Network Management Protocol")                                       \
	X("snmptrap", 162, "SNMP Traps")                                                           \
	X("sunrpc", 111, "Sun Remote Procedure Call")                                              \
	X("syslog", 514, "System Logger")                                                          \
	X("tacacs", 49, "TAC Access Control System")                                               \
	X("talk", 517, "Talk")                                                                     \
	X("tftp", 69, "Trivial File Transfer Protocol")                                            \
	X("time", 37, "Time")                                                                      \
	X("who", 513, "Who service, rwho")                                                         \
	X("xdmcp", 177, "X Display Manager Control Protocol")

#define PORT_WORD(n, v, h) {n, h " (" #v ")"},
#define PORT_NUM(n, v, h)  v,

static const struct cli_word tcp_words[] = {TCP_PORTS(PORT_WORD)};
static const uint16_t tcp_nums[] = {TCP_PORTS(PORT_NUM)};
static const struct cli_word udp_words[] = {UDP_PORTS(PORT_WORD)};
static const uint16_t udp_nums[] = {UDP_PORTS(PORT_NUM)};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* X(name, type, code or -1 for every code, help) */
#define ICMP_MSGS(X)                                                                               \
	X("administratively-prohibited", 3, 13, "Administratively prohibited (3/13)")              \
	X("alternate-address", 6, -1, "Alternate address (6)")                                     \
	X("conversion-error", 31, -1, "Datagram conversion (31)")                                  \
	X("dod-host-prohibited", 3, 10, "Host prohibited (3/10)")                                  \
	X("dod-net-prohibited", 3, 9, "Net prohibited (3/9)")                                      \
	X("echo", 8, -1, "Echo (ping) (8)")                                                        \
	X("echo-reply", 0, -1, "Echo reply (0)")                                                   \
	X("general-parameter-problem", 12, 0, "Parameter problem (12/0)")                          \
	X("host-isolated", 3, 8, "Host isolated (3/8)")                                            \
	X("host-precedence-unreachable", 3, 14, "Host unreachable for precedence (3/14)")          \
	X("host-redirect", 5, 1, "Host redirect (5/1)")                                            \
	X("host-tos-redirect", 5, 3, "Host redirect for TOS (5/3)")                                \
	X("host-tos-unreachable", 3, 12, "Host unreachable for TOS (3/12)")                        \
	X("host-unknown", 3, 7, "Host unknown (3/7)")                                              \
	X("host-unreachable", 3, 1, "Host unreachable (3/1)")                                      \
	X("information-reply", 16, -1, "Information replies (16)")                                 \
	X("information-request", 15, -1, "Information requests (15)")                              \
	X("mask-reply", 18, -1, "Mask replies (18)")                                               \
	X("mask-request", 17, -1, "Mask requests (17)")                                            \
	X("mobile-redirect", 32, -1, "Mobile host redirect (32)")                                  \
	X("net-redirect", 5, 0, "Network redirect (5/0)")                                          \
	X("net-tos-redirect", 5, 2, "Net redirect for TOS (5/2)")                                  \
	X("net-tos-unreachable", 3, 11, "Network unreachable for TOS (3/11)")                      \
	X("net-unreachable", 3, 0, "Net unreachable (3/0)")                                        \
	X("network-unknown", 3, 6, "Network unknown (3/6)")                                        \
	X("no-room-for-option", 12, 2, "Parameter required but no room (12/2)")                    \
	X("option-missing", 12, 1, "Parameter required but not present (12/1)")                    \
	X("packet-too-big", 3, 4, "Fragmentation needed and DF set (3/4)")                         \
	X("parameter-problem", 12, -1, "All parameter problems (12)")                              \
	X("port-unreachable", 3, 3, "Port unreachable (3/3)")                                      \
	X("precedence-unreachable", 3, 15, "Precedence cutoff (3/15)")                             \
	X("protocol-unreachable", 3, 2, "Protocol unreachable (3/2)")                              \
	X("reassembly-timeout", 11, 1, "Reassembly timeout (11/1)")                                \
	X("redirect", 5, -1, "All redirects (5)")                                                  \
	X("router-advertisement", 9, -1, "Router discovery advertisements (9)")                    \
	X("router-solicitation", 10, -1, "Router discovery solicitations (10)")                    \
	X("source-quench", 4, -1, "Source quenches (4)")                                           \
	X("source-route-failed", 3, 5, "Source route failed (3/5)")                                \
	X("time-exceeded", 11, -1, "All time exceededs (11)")                                      \
	X("timestamp-reply", 14, -1, "Timestamp replies (14)")                                     \
	X("timestamp-request", 13, -1, "Timestamp requests (13)")                                  \
	X("traceroute", 30, -1, "Traceroute (30)")                                                 \
	X("ttl-exceeded", 11, 0, "TTL exceeded (11/0)")                                            \
	X("unreachable", 3, -1, "All unreachables (3)")

#define ICMP_WORD(n, t, c, h) {n, h},
#define ICMP_NUM(n, t, c, h)  {t, c},

static const struct cli_word icmp_words[] = {ICMP_MSGS(ICMP_WORD)};
static const struct {
	uint8_t type;
	int16_t code; /* -1: any code */
} icmp_nums[] = {ICMP_MSGS(ICMP_NUM)};

static const struct cli_word prec_words[] = {
    {"routine", "Match packets with routine precedence (0)"},
    {"priority", "Match packets with priority precedence (1)"},
    {"immediate", "Match packets with immediate precedence (2)"},
    {"flash", "Match packets with flash precedence (3)"},
    {"flash-override", "Match packets with flash override precedence (4)"},
    {"critical", "Match packets with critical precedence (5)"},
    {"internet", "Match packets with internetwork control precedence (6)"},
    {"network", "Match packets with network control precedence (7)"},
};

/* Values from cfg_dscp_value(); the help repeats them for `?`. */
static const struct cli_word dscp_words[] = {
    {"default", "Default DSCP (0)"},
    {"cs1", "CS1 (8)"},
    {"af11", "AF11 (10)"},
    {"af12", "AF12 (12)"},
    {"af13", "AF13 (14)"},
    {"cs2", "CS2 (16)"},
    {"af21", "AF21 (18)"},
    {"af22", "AF22 (20)"},
    {"af23", "AF23 (22)"},
    {"cs3", "CS3 (24)"},
    {"af31", "AF31 (26)"},
    {"af32", "AF32 (28)"},
    {"af33", "AF33 (30)"},
    {"cs4", "CS4 (32)"},
    {"af41", "AF41 (34)"},
    {"af42", "AF42 (36)"},
    {"af43", "AF43 (38)"},
    {"cs5", "CS5 (40)"},
    {"ef", "EF (46)"},
    {"cs6", "CS6 (48)"},
    {"cs7", "CS7 (56)"},
};

static const struct {
	const char *name;
	uint8_t num;
} protos[] = {{"ip", 0},    {"icmp", 1}, {"igmp", 2},  {"ipinip", 4}, {"tcp", 6},
	      {"udp", 17},  {"gre", 47}, {"esp", 50},  {"ahp", 51},   {"eigrp", 88},
	      {"ospf", 89}, {"nos", 94}, {"pim", 103}, {"pcp", 108}};

int cfg_acl_words_register(struct cli *cli)
{
	static const struct {
		const char *name, *what;
		const struct cli_word *w;
		size_t n;
	} sets[] = {
	    {"tcp-port", "tcp port name", tcp_words, N_OF(tcp_words)},
	    {"udp-port", "udp port name", udp_words, N_OF(udp_words)},
	    {"icmp-msg", "ICMP message name", icmp_words, N_OF(icmp_words)},
	    {"precedence", "precedence name", prec_words, N_OF(prec_words)},
	    {"dscp", "DSCP name", dscp_words, N_OF(dscp_words)},
	};
	for (size_t i = 0; i < N_OF(sets); i++) {
		int r = cli_words_add(cli, sets[i].name, sets[i].what, sets[i].w, sets[i].n);
		if (r < 0)
			return r;
	}
	return 0;
}

int cfg_acl_proto_value(const char *s)
{
	for (size_t i = 0; i < N_OF(protos); i++)
		if (!strcmp(s, protos[i].name))
			return protos[i].num;
	return -1;
}

const char *cfg_acl_proto_name(uint8_t p, char *buf)
{
	for (size_t i = 0; i < N_OF(protos); i++)
		if (protos[i].num == p)
			return protos[i].name;
	snprintf(buf, 4, "%u", p);
	return buf;
}

static void port_table(uint8_t proto, const struct cli_word **w, const uint16_t **v, size_t *n)
{
	*w = proto == 6 ? tcp_words : udp_words;
	*v = proto == 6 ? tcp_nums : udp_nums;
	*n = proto == 6 ? N_OF(tcp_words) : proto == 17 ? N_OF(udp_words) : 0;
}

int cfg_acl_port_value(uint8_t proto, const char *s)
{
	const struct cli_word *w;
	const uint16_t *v;
	size_t n;
	port_table(proto, &w, &v, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, w[i].word))
			return v[i];
	return -1;
}

const char *cfg_acl_port_name(uint8_t proto, uint16_t port, char *buf)
{
	const struct cli_word *w;
	const uint16_t *v;
	size_t n;
	port_table(proto, &w, &v, &n);
	for (size_t i = 0; i < n; i++)
		if (v[i] == port)
			return w[i].word;
	snprintf(buf, 6, "%u", port);
	return buf;
}

int cfg_acl_icmp_value(const char *s, int *code)
{
	for (size_t i = 0; i < N_OF(icmp_words); i++)
		if (!strcmp(s, icmp_words[i].word)) {
			*code = icmp_nums[i].code;
			return icmp_nums[i].type;
		}
	return -1;
}

const char *cfg_acl_icmp_name(uint8_t type, bool has_code, uint8_t code)
{
	for (size_t i = 0; i < N_OF(icmp_words); i++)
		if (icmp_nums[i].type == type &&
		    (has_code ? icmp_nums[i].code == code : icmp_nums[i].code < 0))
			return icmp_words[i].word;
	return NULL;
}

int cfg_prec_value(const char *s)
{
	for (size_t i = 0; i < N_OF(prec_words); i++)
		if (!strcmp(s, prec_words[i].word))
			return (int)i;
	if (s[0] >= '0' && s[0] <= '7' && !s[1])
		return s[0] - '0';
	return -1;
}

const char *cfg_prec_name(uint8_t v)
{
	return prec_words[v & 7].word;
}
