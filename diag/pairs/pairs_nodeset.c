#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairs_nodeset.h"

static int add(struct fc_nodeset *s, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage *n = realloc(s->addr, (s->n + 1) * sizeof(*n));

	if (!n)
		return -1;
	s->addr = n;
	memset(&s->addr[s->n], 0, sizeof(*n));
	memcpy(&s->addr[s->n++], sa, len);
	return 0;
}

int fc_nodeset_from_list(struct fc_nodeset *s, const char *hosts, char *why, size_t len)
{
	*s = (struct fc_nodeset){0};
	snprintf(why, len, "the launcher names no nodes");
	for (const char *p = hosts; p && *p;) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
		char name[256];
		size_t n = strcspn(p, ",");
		int rc;

		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			if ((rc = getaddrinfo(name, NULL, &hints, &res))) {
				snprintf(why, len, "node %s of the launcher's list does not resolve here (%s)", name,
					 gai_strerror(rc));
				fc_nodeset_free(s);
				return 1;
			}
			for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
				if (add(s, ai->ai_addr, ai->ai_addrlen)) {
					freeaddrinfo(res);
					fc_nodeset_free(s);
					return -1;
				}
			freeaddrinfo(res);
		}
		p += n;
		p += *p == ',';
	}
	s->known = s->n > 0;
	return s->known ? 0 : 1;
}

bool fc_nodeset_has(const struct fc_nodeset *s, const char *ip)
{
	struct in_addr v4;
	struct in6_addr v6;
	bool is4 = inet_pton(AF_INET, ip, &v4) == 1, is6 = !is4 && inet_pton(AF_INET6, ip, &v6) == 1;

	if (!s->known)
		return true;
	for (size_t i = 0; i < s->n; i++) {
		const struct sockaddr_storage *a = &s->addr[i];
		if (is4 && a->ss_family == AF_INET &&
		    !memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr, &v4, sizeof(v4)))
			return true;
		if (is6 && a->ss_family == AF_INET6 &&
		    !memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr, &v6, sizeof(v6)))
			return true;
		/* an IPv4 node seen as IPv4-mapped IPv6 (a dual-stack listener) */
		if (is6 && a->ss_family == AF_INET && IN6_IS_ADDR_V4MAPPED(&v6) &&
		    !memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr, &v6.s6_addr[12], 4))
			return true;
	}
	return false;
}

void fc_nodeset_free(struct fc_nodeset *s)
{
	free(s->addr);
	*s = (struct fc_nodeset){0};
}
