/* ikeio.h: vtid's IKE sockets (UDP 500 and 4500, RFC 7296 2.23, RFC 3948).
 *
 * Both sockets are bound to 0.0.0.0 and learn the local address of every
 * datagram through IP_PKTINFO, so one pair serves every tunnel source.  On
 * 4500 a datagram whose first four bytes are zero (the non-ESP marker) is IKE
 * and goes to the engine without the marker; anything else is ESP in UDP and
 * goes to the data plane.  Sending: the engine's messages leave from the port
 * it names, with the marker added on 4500. */
#ifndef VTID_IKEIO_H
#define VTID_IKEIO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct ikeio;

typedef void (*ikeio_ike_fn)(void *ctx, const struct sockaddr_in *local,
			     const struct sockaddr_in *remote, const uint8_t *msg, size_t len);
typedef void (*ikeio_esp_fn)(void *ctx, const struct sockaddr_in *local,
			     const struct sockaddr_in *remote, const uint8_t *pkt, size_t len);

/* An ICMP error came back for a datagram we sent to `to`: `quoted` is as
 * much of its IKE message as the error holds (no non-ESP marker), `what`
 * one line ("ICMP port unreachable from 192.0.2.1"). */
typedef void (*ikeio_err_fn)(void *ctx, const struct sockaddr_in *to, const uint8_t *quoted,
			     size_t len, const char *what);

struct ikeio_stats {
	uint64_t rx_ike, rx_esp, tx_ike, rx_errors, tx_errors, rx_short, rx_keepalive;
	uint64_t rx_icmp; /* ICMP errors read from the sockets' error queues */
};

/* port_ike / port_natt: 500 / 4500 normally (tests may pick others). */
int ikeio_new(struct loop *loop, uint16_t port_ike, uint16_t port_natt, ikeio_ike_fn on_ike,
	      ikeio_esp_fn on_esp, void *ctx, struct ikeio **out);
void ikeio_free(struct ikeio *io);
/* Reads what already waits on both sockets (up to 8,192 datagrams), as
 * the IKE timers are about to run: after the loop was busy, an answer
 * sitting in the socket is not a lost one, and must not be retransmitted
 * for. */
void ikeio_catch_up(struct ikeio *io);
void ikeio_on_error(struct ikeio *io, ikeio_err_fn on_err);
int ikeio_send(struct ikeio *io, const struct sockaddr_in *from, const struct sockaddr_in *to,
	       const uint8_t *msg, size_t len);
int ikeio_natt_fd(const struct ikeio *io);
uint16_t ikeio_natt_port(const struct ikeio *io);
const struct ikeio_stats *ikeio_stats(const struct ikeio *io);

#endif
