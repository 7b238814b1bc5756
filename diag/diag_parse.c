#include "diag_parse.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The value after "key" at the start of a line, or NULL. */
static const char *line_value(const char *text, const char *key)
{
	size_t k = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, k))
			return l + k;
	return NULL;
}

long long diag_parse_memlock(const char *text)
{
	const char *v = line_value(text, "Max locked memory");
	char word[32];

	if (!v || sscanf(v, " %31s", word) != 1)
		return -2;
	if (!strcmp(word, "unlimited"))
		return -1;
	if (!isdigit((unsigned char)word[0]))
		return -2;
	return strtoll(word, NULL, 10);
}

int diag_parse_cap_ipc_lock(const char *status)
{
	const char *v = line_value(status, "CapEff:");
	unsigned long long caps;

	if (!v || sscanf(v, " %llx", &caps) != 1)
		return -1;
	return (int)(caps >> 14 & 1); /* CAP_IPC_LOCK is capability 14 */
}

void diag_parse_hugepages(const char *text, long *total, long *free_pages)
{
	const char *t = line_value(text, "HugePages_Total:"), *f = line_value(text, "HugePages_Free:");

	*total = *free_pages = -1;
	if (t)
		sscanf(t, " %ld", total);
	if (f)
		sscanf(f, " %ld", free_pages);
}

long long diag_parse_cgroup_max(const char *text)
{
	long long v;

	if (!strncmp(text, "max", 3))
		return -1;
	if (sscanf(text, "%lld", &v) != 1 || v < 0)
		return -2;
	/* cgroup v1 says "no limit" as LONG_MAX rounded down to a page */
	return v >= LLONG_MAX / 2 ? -1 : v;
}

int diag_parse_rate(const char *text)
{
	int gbps;
	char unit[8];

	if (sscanf(text, "%d %7s", &gbps, unit) != 2 || strcmp(unit, "Gb/sec") || gbps <= 0 || gbps > 100000)
		return 0;
	return gbps;
}

int diag_parse_version(const char *text, int *maj, int *min, int *patch)
{
	int a = 0, b = 0, c = 0, n;

	if (!text)
		return -1;
	if (*text == 'r' || *text == 'v')
		text++;
	n = sscanf(text, "%d.%d.%d", &a, &b, &c);
	if (n < 2 || a < 0 || b < 0 || c < 0)
		return -1;
	*maj = a;
	*min = b;
	*patch = n == 3 ? c : 0;
	return 0;
}

int diag_version_cmp(const char *a, const char *b)
{
	int x[3], y[3];
	bool ok_a = !diag_parse_version(a, &x[0], &x[1], &x[2]), ok_b = !diag_parse_version(b, &y[0], &y[1], &y[2]);

	if (!ok_a || !ok_b)
		return ok_a - ok_b;
	for (int i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

int diag_parse_installer(const char *text, char *out, size_t len)
{
	const char *v = line_value(text, "# EFA installer version:");
	char word[32];

	if (!v || sscanf(v, " %31s", word) != 1 || !isdigit((unsigned char)word[0]))
		return -1;
	snprintf(out, len, "%s", word);
	return 0;
}

int diag_parse_bool(const char *s)
{
	if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
		return 0;
	if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
		return 1;
	return -1;
}

bool diag_provider_allowed(const char *list, const char *prov)
{
	bool negated = false, named = false;
	size_t plen = strlen(prov);

	if (!list || !*list)
		return true;
	if (*list == '^') {
		negated = true;
		list++;
	}
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == plen && !strncasecmp(p, prov, n))
			named = true;
		p += n;
		if (*p == ',')
			p++;
	}
	return negated ? !named : named;
}

int diag_find_plugin_version(const char *data, unsigned long len, char *out, unsigned long outlen)
{
	static const char key[] = "aws-ofi-nccl ";
	const size_t k = sizeof(key) - 1;

	for (unsigned long i = 0; i + k < len; i++) {
		unsigned long j = i + k, n = 0;
		if (memcmp(data + i, key, k) || !isdigit((unsigned char)data[j]))
			continue;
		while (j + n < len && n + 1 < outlen && (isalnum((unsigned char)data[j + n]) || data[j + n] == '.' ||
							data[j + n] == '-'))
			n++;
		memcpy(out, data + j, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}
