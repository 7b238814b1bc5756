/* Names peers give for themselves (host names, the scheduler's node names)
 * end up in good-hosts.txt, which an NCCL job reads as its host list, and
 * in drain commands an operator pastes into a root shell. Only an RFC 1123
 * host name or an IP literal is taken: no spaces, commas, brackets, shell
 * or terminal characters can pass. */
#ifndef FC_HOSTNAME_H
#define FC_HOSTNAME_H

#include <stdbool.h>

#define FC_HOST_NAME_MAX 253 /* RFC 1123's longest name (and longer than any IPv6 literal) */

/* Labels of letters, digits and hyphens (1-63 characters, no hyphen at
 * either end) joined by dots, at most FC_HOST_NAME_MAX characters; or an
 * IPv4 or IPv6 address in numeric form. */
bool fc_host_name_ok(const char *s);
/* Only an IPv4 or IPv6 address in numeric form (NULL: false). */
bool fc_ip_literal(const char *s);

#endif
