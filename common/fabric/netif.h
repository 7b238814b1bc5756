/* Which network interface owns a local address (the `domain` of the socket
 * transport, and the interface whose counters prove where traffic went). */
#ifndef FC_NETIF_H
#define FC_NETIF_H

#include <stddef.h>

/* 0 and the interface name, or -1 when no interface has that address. */
int fc_netif_for_addr(const char *ip, char *name, size_t len);

#endif
