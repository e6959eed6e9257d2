/* errqueue.c: see errqueue.h. */
#include "lib/errqueue.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>

int errq_read(int fd, struct errq_icmp *out)
{
	/* room for IP_PKTINFO and the like besides the error itself */
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(int)) +
		  CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
	memset(out, 0, sizeof(*out));
	struct iovec iov = {.iov_base = out->data, .iov_len = sizeof(out->data)};
	struct msghdr mh = {.msg_name = &out->to,
			    .msg_namelen = sizeof(out->to),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	ssize_t len = recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (len < 0)
		return -errno;
	out->len = (size_t)len < sizeof(out->data) ? (size_t)len : sizeof(out->data);
	const struct sock_extended_err *ee = NULL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*ee)))
			ee = (const struct sock_extended_err *)CMSG_DATA(c);
	if (!ee || ee->ee_origin != SO_EE_ORIGIN_ICMP || mh.msg_namelen < sizeof(out->to) ||
	    out->to.sin_family != AF_INET)
		return 0;
	out->type = ee->ee_type;
	out->code = ee->ee_code;
	out->err = (int)ee->ee_errno;
	const struct sockaddr_in *off = (const struct sockaddr_in *)SO_EE_OFFENDER(ee);
	if (off->sin_family == AF_INET)
		out->offender = *off;
	return 1;
}

const char *errq_icmp_name(uint8_t type, uint8_t code)
{
	if (type == ICMP_TIME_EXCEEDED)
		return "ICMP time exceeded";
	if (type != ICMP_DEST_UNREACH)
		return "ICMP error";
	switch (code) {
	case ICMP_NET_UNREACH:
		return "ICMP network unreachable";
	case ICMP_HOST_UNREACH:
		return "ICMP host unreachable";
	case ICMP_PROT_UNREACH:
		return "ICMP protocol unreachable";
	case ICMP_PORT_UNREACH:
		return "ICMP port unreachable";
	case ICMP_NET_ANO:
	case ICMP_HOST_ANO:
	case ICMP_PKT_FILTERED:
		return "ICMP administratively prohibited";
	default:
		return "ICMP destination unreachable";
	}
}
