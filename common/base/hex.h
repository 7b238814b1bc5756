/* Bytes as lowercase hex text: fabric addresses, the run cookie and the
 * cluster runner's round tokens travel in JSON this way. */
#ifndef FC_HEX_H
#define FC_HEX_H

#include <stddef.h>

/* Writes 2n hex digits and a NUL to dst (2n + 1 bytes); returns dst. */
char *fc_hex_encode(char *dst, const unsigned char *src, size_t n);

#endif
