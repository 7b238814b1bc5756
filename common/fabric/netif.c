#include "netif.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

int fc_netif_for_addr(const char *ip, char *name, size_t len)
{
	struct ifaddrs *all, *ifa;
	char host[INET6_ADDRSTRLEN];
	int rc = -1;

	if (getifaddrs(&all))
		return -1;
	for (ifa = all; ifa && rc; ifa = ifa->ifa_next) {
		socklen_t sl;
		if (!ifa->ifa_addr)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET)
			sl = sizeof(struct sockaddr_in);
		else if (ifa->ifa_addr->sa_family == AF_INET6)
			sl = sizeof(struct sockaddr_in6);
		else
			continue;
		if (getnameinfo(ifa->ifa_addr, sl, host, sizeof(host), NULL, 0, NI_NUMERICHOST))
			continue;
		host[strcspn(host, "%")] = '\0'; /* drop an IPv6 scope suffix */
		if (!strcmp(host, ip)) {
			snprintf(name, len, "%s", ifa->ifa_name);
			rc = 0;
		}
	}
	freeifaddrs(all);
	return rc;
}
