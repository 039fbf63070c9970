/* bytes: big-endian (network order) 32-bit fields of RTP and RTCP packets. */
#ifndef SCAIDIAL_BYTES_H
#define SCAIDIAL_BYTES_H

#include <stdint.h>

static inline uint32_t
bytes_get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline void
bytes_put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

#endif
