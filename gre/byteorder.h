/* byteorder.h: big-endian (network order) loads and stores of 16 and 32
 * bits at any alignment, for every header the data plane reads or writes
 * (IPv4, TCP, ICMP, GRE, ESP).  The one copy of them in gre/; include it
 * from .c files only, so a test with helpers of its own keeps its names. */
#ifndef VTID_GRE_BYTEORDER_H
#define VTID_GRE_BYTEORDER_H

#include <stdint.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
