#include "nic.h"

#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>

#include "readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

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

/* Counters are small regular files: read safely (a FIFO or device put
 * under --sysfs-root never blocks a run). */
static int read_u64(const char *dir, const char *name, uint64_t *v)
{
	char path[768], line[64], *end;
	unsigned long long x;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fc_read_line(path, line, sizeof(line)))
		return -1;
	x = strtoull(line, &end, 10);
	if (end == line)
		return -1;
	*v = x;
	return 0;
}

static int64_t opt_counter(const char *dir, const char *name)
{
	uint64_t v;
	return read_u64(dir, name, &v) ? -1 : (int64_t)v;
}

static bool over_tcp(const char *provider)
{
	return provider && (!strncmp(provider, "tcp", 3) || !strcmp(provider, "sockets") || !strcmp(provider, "kernel-tcp"));
}

/* The host's TCP segments sent and retransmitted: the "Tcp:" header and
 * values lines of /proc/net/snmp (of this network namespace), found
 * beside the sysfs root ("/sys" -> "/proc/net/snmp"). */
static void tcp_segments(const char *root, int64_t *out, int64_t *retrans)
{
	char path[600], *text = NULL, *head = NULL, *vals = NULL, *save1, *save2;
	const char *slash = strrchr(root, '/');
	ssize_t n;

	snprintf(path, sizeof(path), "%.*s/proc/net/snmp", slash ? (int)(slash - root) : 0, root);
	if ((n = fc_read_alloc(path, &text)) <= 0) {
		free(text);
		return;
	}
	for (char *line = strtok_r(text, "\n", &save1); line; line = strtok_r(NULL, "\n", &save1))
		if (!strncmp(line, "Tcp: ", 5)) {
			if (!head)
				head = line + 5;
			else
				vals = line + 5;
		}
	if (head && vals) {
		char *h = strtok_r(head, " ", &save1), *v = strtok_r(vals, " ", &save2);
		for (; h && v; h = strtok_r(NULL, " ", &save1), v = strtok_r(NULL, " ", &save2)) {
			if (!strcmp(h, "OutSegs"))
				*out = strtoll(v, NULL, 10);
			else if (!strcmp(h, "RetransSegs"))
				*retrans = strtoll(v, NULL, 10);
		}
	}
	free(text);
}

int fc_nic_read(const char *root, const char *provider, const char *domain, struct fc_nic_snapshot *s)
{
	char dev[128];

	memset(s, 0, sizeof(*s));
	s->retrans = s->timeouts = s->unresponsive = s->impaired = s->drops = s->tx_pkts = -1;
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
		s->tx_pkts = opt_counter(s->path, "tx_pkts");
	} else {
		int64_t tx, rx;
		snprintf(s->path, sizeof(s->path), "%s/class/net/%s/statistics", root, domain);
		if (read_u64(s->path, "tx_bytes", &s->tx_bytes) || read_u64(s->path, "rx_bytes", &s->rx_bytes))
			return -1;
		tx = opt_counter(s->path, "tx_dropped");
		rx = opt_counter(s->path, "rx_dropped");
		s->drops = tx < 0 && rx < 0 ? -1 : (tx > 0 ? tx : 0) + (rx > 0 ? rx : 0);
		if (over_tcp(provider) && strcmp(domain, "lo")) {
			tcp_segments(root, &s->tx_pkts, &s->retrans);
			if (s->tx_pkts < 0 || s->retrans < 0)
				s->tx_pkts = s->retrans = -1;
		}
	}
	s->ok = true;
	return 0;
}


static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

int fc_efa_unbound(const char *root, char bdf[][16], int max)
{
	char path[768], vendor[32], device[32];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", root);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= 16)
			continue;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor", root, e->d_name);
		if (fc_read_line(path, vendor, sizeof(vendor)) || strcasecmp(vendor, "0x1d0f"))
			continue;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/device", root, e->d_name);
		if (fc_read_line(path, device, sizeof(device)) || strncasecmp(device, "0xefa", 5) || strlen(device) != 6 ||
		    device[5] < '0' || device[5] > '4')
			continue;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/infiniband", root, e->d_name);
		if (stat(path, &st) == 0)
			continue;
		snprintf(bdf[n++], 16, "%.15s", e->d_name);
	}
	closedir(d);
	qsort(bdf, (size_t)n, sizeof(bdf[0]), by_name); /* the same order on every node */
	return n;
}

/* As -d all sees them: an EFA that failed is a function without a device. */
static int efa_down(const char *root, char names[][128], char states[][32], int max)
{
	char bdf[64][16];
	int n = fc_efa_unbound(root, bdf, max < 64 ? max : 64);

	for (int i = 0; i < n; i++) {
		snprintf(names[i], 128, "EFA at PCI %.15s", bdf[i]);
		snprintf(states[i], 32, "no device");
	}
	return n;
}

/* An interface with an IPv4 address that is administratively down or has
 * no carrier (the tcp provider lists only interfaces that are up). */
static int netif_down(char names[][128], char states[][32], int max)
{
	struct ifaddrs *all, *ifa;
	int n = 0;

	if (getifaddrs(&all))
		return 0;
	for (ifa = all; ifa && n < max; ifa = ifa->ifa_next) {
		bool seen = false;
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET || (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		if ((ifa->ifa_flags & IFF_UP) && (ifa->ifa_flags & IFF_RUNNING))
			continue;
		for (int i = 0; i < n && !seen; i++)
			seen = !strcmp(names[i], ifa->ifa_name);
		if (seen)
			continue;
		snprintf(names[n], 128, "%s", ifa->ifa_name);
		snprintf(states[n++], 32, "%s", !(ifa->ifa_flags & IFF_UP) ? "down" : "no carrier");
	}
	freeifaddrs(all);
	return n;
}

int fc_nic_list_down(const char *root, const char *provider, char names[][128], char states[][32], int max)
{
	if (provider && !strcmp(provider, "shm"))
		return 0;
	return is_efa(provider) ? efa_down(root, names, states, max) : netif_down(names, states, max);
}
