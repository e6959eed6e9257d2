/* errqueue.h: ICMP errors from a socket's IP_RECVERR queue.
 *
 * A socket with IP_RECVERR keeps each ICMP error that quotes one of its
 * datagrams in an error queue (and stays readable, EPOLLERR, until it is
 * emptied).  errq_read takes one entry off it and keeps what vtid's
 * readers need; what an error means is theirs to decide. */
#ifndef VTID_ERRQUEUE_H
#define VTID_ERRQUEUE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct errq_icmp {
	struct sockaddr_in to;	     /* where the quoted datagram went */
	struct sockaddr_in offender; /* who sent the ICMP; sin_family 0 if not said */
	uint8_t type, code;	     /* ICMP type and code */
	int err;		     /* the errno the kernel made of it */
	uint8_t data[64];	     /* the start of the quote: the datagram's payload
				      * (UDP), or its IP header (raw, IP_HDRINCL) */
	size_t len;
};

/* 1: an ICMP error in *out; 0: an entry that is none (local error, no
 * address), skipped; -errno (-EAGAIN: the queue is empty). */
int errq_read(int fd, struct errq_icmp *out);

/* "ICMP port unreachable" and the like, for logs and failure details. */
const char *errq_icmp_name(uint8_t type, uint8_t code);

#endif
