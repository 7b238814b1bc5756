#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "hostname.h"

bool fc_ip_literal(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

bool fc_host_name_ok(const char *s)
{
	size_t len, label = 0;

	if (!s || !(len = strnlen(s, FC_HOST_NAME_MAX + 1)) || len > FC_HOST_NAME_MAX)
		return false;
	if (fc_ip_literal(s))
		return true;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			/* a label: not empty, not too long, no hyphen at its ends */
			if (!label || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
				return false;
			label = 0;
		} else if (isascii((unsigned char)c) && (isalnum((unsigned char)c) || c == '-')) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}
