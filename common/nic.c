#include "nic.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_efa(const char *provider)
{
	return provider && !strncmp(provider, "efa", 3);
}

/* EFA domain names are the ibv device plus "-rdm" or "-dgrm". */
static void efa_device(const char *domain, char *dev, size_t len)
{
	char *dash;

	snprintf(dev, len, "%s", domain);
	dash = strrchr(dev, '-');
	if (dash && (!strcmp(dash, "-rdm") || !strcmp(dash, "-dgrm")))
		*dash = '\0';
}

static int read_u64(const char *dir, const char *name, uint64_t *v)
{
	char path[768];
	FILE *f;
	unsigned long long x;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -1;
	*v = x;
	return 0;
}

static int64_t opt_counter(const char *dir, const char *name)
{
	uint64_t v;
	return read_u64(dir, name, &v) ? -1 : (int64_t)v;
}

int fc_nic_read(const char *root, const char *provider, const char *domain, struct fc_nic_snapshot *s)
{
	char dev[128];

	memset(s, 0, sizeof(*s));
	s->retrans = s->timeouts = s->unresponsive = s->impaired = s->drops = -1;
	if (!domain || !*domain || (provider && !strcmp(provider, "shm")))
		return -1;
	if (is_efa(provider)) {
		efa_device(domain, dev, sizeof(dev));
		snprintf(s->path, sizeof(s->path), "%s/class/infiniband/%s/ports/1/hw_counters", root, dev);
		if (read_u64(s->path, "tx_bytes", &s->tx_bytes) || read_u64(s->path, "rx_bytes", &s->rx_bytes))
			return -1;
		s->retrans = opt_counter(s->path, "retrans_pkts");
		s->timeouts = opt_counter(s->path, "retrans_timeout_events");
		s->unresponsive = opt_counter(s->path, "unresponsive_remote_events");
		s->impaired = opt_counter(s->path, "impaired_remote_conn_events");
		s->drops = opt_counter(s->path, "rx_drops");
	} else {
		int64_t tx, rx;
		snprintf(s->path, sizeof(s->path), "%s/class/net/%s/statistics", root, domain);
		if (read_u64(s->path, "tx_bytes", &s->tx_bytes) || read_u64(s->path, "rx_bytes", &s->rx_bytes))
			return -1;
		tx = opt_counter(s->path, "tx_dropped");
		rx = opt_counter(s->path, "rx_dropped");
		s->drops = tx < 0 && rx < 0 ? -1 : (tx > 0 ? tx : 0) + (rx > 0 ? rx : 0);
	}
	s->ok = true;
	return 0;
}

/* Parses "0-15,32-47" into a CPU set. */
static int parse_cpulist(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s)
			return -1;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long c = a; c <= b && c < CPU_SETSIZE; c++)
			CPU_SET((int)c, set);
		s = *end == ',' ? end + 1 : end;
	}
	return CPU_COUNT(set) ? 0 : -1;
}

int fc_nic_pin_thread(const char *root, const char *provider, const char *domain, char *cpulist, int len)
{
	char path[768], dev[128];
	cpu_set_t set;
	FILE *f;

	if (!domain || !*domain)
		return -1;
	if (is_efa(provider)) {
		efa_device(domain, dev, sizeof(dev));
		snprintf(path, sizeof(path), "%s/class/infiniband/%s/device/local_cpulist", root, dev);
	} else {
		snprintf(path, sizeof(path), "%s/class/net/%s/device/local_cpulist", root, domain);
	}
	f = fopen(path, "r");
	if (!f)
		return -1; /* virtual interfaces and shm have no PCI device */
	if (!fgets(cpulist, len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	cpulist[strcspn(cpulist, "\n")] = '\0';
	if (parse_cpulist(cpulist, &set))
		return -1;
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) ? -1 : 0;
}
