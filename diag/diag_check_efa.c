/* Checks of the EFA hardware and its driver: the instance type, devices,
 * RDMA capabilities, ports and link rate, the driver, error counters. */
#include <stdio.h>
#include <string.h>

#include "diag_check.h"
#include "diag_parse.h"

void diag_check_instance(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	const struct diag_itype *it = f->it;
	bool named = f->instance_from && !strcmp(f->instance_from, "--instance-type");

	if (it) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "%s (%s): %d NVIDIA GPU(s)%s%s, %d EFA at %d Gb/s each, RDMA read %s, write %s, "
			 "GPUDirect RDMA %s",
			 f->instance, f->instance_from, it->gpus, strcmp(it->accel, "-") ? " / " : "",
			 strcmp(it->accel, "-") ? it->accel : "", it->efa, it->nic_gbps, it->rdma_read ? "yes" : "no",
			 it->rdma_write ? "yes" : "no", it->gdr_supported ? "yes" : "no");
		return;
	}
	if (!*f->instance) {
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG,
			 "name the type with --instance-type (e.g. p5.48xlarge) to compare counts against it",
			 "no DMI product name (not an EC2 instance, or /sys/devices/virtual/dmi hidden): counts "
			 "are not compared");
		return;
	}
	/* the remedy depends on where the name came from: a type the user
	 * named is not fixed by naming it again */
	diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG,
		 named ? "check the spelling; EC2 types with EFA are in diag/instance-types.tsv: a type with "
			 "EFA that is missing there can be added with --table FILE"
		       : "name the type with --instance-type (e.g. p5.48xlarge), or add a row for it with "
			 "--table FILE",
		 "'%s' (%s) is not an instance type fabcheck knows: counts are not compared", f->instance,
		 f->instance_from);
}

void diag_check_efa_provider(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	bool want = diag_efa_expected(c);

	if (!f->lf_known) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "libfabric not loaded (see libfabric)");
		return;
	}
	if (f->efa_rdm_domains == 0) {
		if (!want) {
			diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no efa provider in this libfabric, and no EFA expected here");
			return;
		}
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
			 "check `fi_info -p efa`, the efa kernel module, and that this libfabric has the efa "
			 "provider (the EFA installer's does)",
			 "no efa provider: fi_getinfo(prov efa, FI_EP_RDM) finds nothing, so NCCL would fall back "
			 "to TCP sockets%s",
			 f->ndevs ? " although EFA devices are present" : "");
		return;
	}
	diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%d RDM and %d DGRAM domain(s) (API %s)", f->efa_rdm_domains,
		 f->efa_dgram_domains, f->lf_api);
}

void diag_check_efa_hmem(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;

	if (!diag_nvidia_gpus(f)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no NVIDIA GPUs here");
		return;
	}
	if (!f->lf_known || f->efa_rdm_domains == 0) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no efa provider to ask (see efa_provider)");
		return;
	}
	if (f->efa_hmem) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "the efa provider offers FI_HMEM (GPU memory)");
		return;
	}
	if (diag_gpus_hidden(f)) { /* libfabric's CUDA init fails then, whatever it was built with */
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, DIAG_GPUS_HIDDEN_WHY);
		return;
	}
	diag_set(k, f->it && f->it->gdr_required ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG,
		 "use the EFA installer's libfabric, built with CUDA support",
		 "the efa provider offers no FI_HMEM: GPU memory cannot go over EFA");
}

void diag_check_devices(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	int want = f->it ? f->it->efa : 0;
	bool sure = f->it && f->it->efa_sourced;

	if (f->ndevs == 0) {
		if (!diag_efa_expected(c)) {
			diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL,
				 "no EFA hardware (no device with PCI vendor 0x1d0f in class/infiniband%s), and none "
				 "expected",
				 f->non_efa ? "; only non-EFA RDMA devices" : "");
			return;
		}
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
			 "attach EFA interfaces to the instance (launch template / SkyPilot network_tier: best); "
			 "on Kubernetes request vpc.amazonaws.com/efa",
			 "no EFA hardware: no device with PCI vendor 0x1d0f in class/infiniband%s",
			 f->non_efa ? " (only non-EFA RDMA devices)" : "");
		return;
	}
	if (f->nunbound) {
		/* a device the driver did not bind, or dropped: on the PCI bus,
		 * absent from class/infiniband, whatever the type says */
		char list[160] = "";
		for (int i = 0; i < f->nunbound && strlen(list) < 120; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", f->unbound[i]);
		diag_set(k, DIAG_FAIL, DIAG_ACT_REBOOT,
			 "reboot the node (the efa driver binds at boot); if the function stays without a device, "
			 "replace the node",
			 "%d EFA PCI function(s) without an EFA device (no efa driver bound, or the device failed): %s; "
			 "%d device(s) present",
			 f->nunbound, list, f->ndevs);
		return;
	}
	if (!want)
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%d EFA device(s); instance type unknown", f->ndevs);
	else if (f->ndevs < want)
		diag_set(k, sure ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG,
			 "attach every EFA interface the type offers (one per network card); on Kubernetes request "
			 "all of them: vpc.amazonaws.com/efa",
			 "%d of %d EFA devices present on %s%s", f->ndevs, want, f->instance,
			 sure ? "" : " (the table's count is unconfirmed)");
	else if (f->ndevs > want)
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG, "check the instance type (--instance-type)",
			 "%d EFA devices, more than the %d a %s has", f->ndevs, want, f->instance);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%d of %d EFA devices present", f->ndevs, want);
}

void diag_check_rdma_caps(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	const struct diag_itype *it = f->it;
	char bad[512] = "";
	int nbad = 0, known = 0;
	bool write_unreported = false;

	if (f->ndevs == 0) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no EFA devices");
		return;
	}
	for (int i = 0; i < f->ndevs; i++) {
		const struct diag_efa_dev *v = &f->devs[i];
		bool no_read, no_write;
		if (!v->have_caps)
			continue;
		known++;
		no_read = it && it->rdma_read && !v->rdma_read;
		no_write = it && it->rdma_write && !v->rdma_write;
		if (!no_read && !no_write)
			continue;
		nbad++;
		write_unreported |= no_write;
		if (strlen(bad) < 400)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s (no RDMA %s)", *bad ? ", " : "",
				 v->name, no_read && no_write ? "read or write" : no_read ? "read" : "write");
	}
	if (!known) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "device attributes not known (rdma-core not loaded: see rdma_core)");
		return;
	}
	if (!nbad) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%d device(s) queried: RDMA read %s, write %s", known,
			 f->devs[0].rdma_read ? "yes" : "no", f->devs[0].rdma_write ? "yes" : "no");
		return;
	}
	/* rdma-core reports RDMA write from v46 on (efadv.h): an older library
	 * says "no" on hardware that has it */
	if (write_unreported && f->rdma_core && f->rdma_core < 46) {
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG,
			 "update rdma-core to v46 or newer (the EFA installer's): older libefa cannot report "
			 "RDMA write, and libfabric built on it emulates writes",
			 "%d device(s) report less than a %s has: %s; rdma-core %d predates RDMA write reporting",
			 nbad, f->instance, bad, f->rdma_core);
		return;
	}
	/* a table value no source confirms must not fail a healthy node */
	diag_set(k, it->rdma_sourced ? DIAG_FAIL : DIAG_WARN, it->rdma_sourced ? DIAG_ACT_CONFIG : DIAG_ACT_MONITOR,
		 it->rdma_sourced ? "the device firmware or driver does not expose RDMA: update the EFA driver (EFA "
				    "installer); if it persists, replace the node"
				  : "the table's RDMA flags for this type are unconfirmed: tell fabcheck what the "
				    "hardware has (diag/instance-types.tsv)",
		 "%d device(s) lack what a %s has%s: %s", nbad, f->instance,
		 it->rdma_sourced ? "" : " (unconfirmed in the table)", bad);
}

/* The efa driver reports a port's rate as one of the IB speed rungs (25,
 * 30, 40, 50, 60, 100, 120, 200, 400 Gb/s), while the table's per-NIC
 * figure is the instance's bandwidth over its EFA count (35 for a
 * g6e.16xlarge, 150 for an hpc7a): a healthy port reports the rung at or
 * below it, which is the line. */
static int reportable_rate(int gbps)
{
	static const int rungs[] = {400, 200, 120, 100, 60, 50, 40, 30, 25};
	for (size_t i = 0; i < sizeof(rungs) / sizeof(rungs[0]); i++)
		if (rungs[i] <= gbps)
			return rungs[i];
	return gbps;
}

void diag_check_link(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	char slow[400] = "";
	int nslow = 0, rate = 0;

	if (f->ndevs == 0) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no EFA devices");
		return;
	}
	/* no port state here: the efa driver reports every port ACTIVE
	 * (efa_query_port), so a failed device shows as one missing from
	 * class/infiniband (efa_devices), in its counters and in traffic */
	for (int i = 0; i < f->ndevs; i++) {
		const struct diag_efa_dev *v = &f->devs[i];
		if (v->rate_gbps)
			rate = v->rate_gbps;
		if (f->it && v->rate_gbps && v->rate_gbps < reportable_rate(f->it->nic_gbps)) {
			nslow++;
			if (strlen(slow) < 300)
				snprintf(slow + strlen(slow), sizeof(slow) - strlen(slow), "%s%s %d Gb/s", *slow ? ", " : "",
					 v->name, v->rate_gbps);
		}
	}
	if (nslow) {
		/* EFA drivers before r2.13.0 report 100 Gb/s whatever the device has
		 * ("Report link speed according to device parameters") */
		bool old = !*f->efa_driver || diag_version_cmp(f->efa_driver, "2.13.0") < 0;
		diag_set(k, DIAG_WARN, old ? DIAG_ACT_CONFIG : DIAG_ACT_MONITOR,
			 old ? "update the EFA driver (EFA installer): drivers before r2.13.0 report 100 Gb/s on every "
			       "device"
			     : "compare with fabcheck-bw -d all against a known-good node",
			 "%d device(s) below the %d Gb/s a %s has%s: %s", nslow, f->it->nic_gbps, f->instance,
			 f->it->gbps_sourced ? "" : " (unconfirmed in the table)", slow);
		return;
	}
	if (rate)
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%d port(s) ACTIVE at %d Gb/s", f->ndevs, rate);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%d port(s) ACTIVE, rate not reported", f->ndevs);
}

void diag_check_driver(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	int nv = 0, x, y;

	if (f->ndevs == 0) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no EFA devices");
		return;
	}
	if (!*f->efa_driver) {
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG, "the in-tree efa driver lacks NVIDIA p2p: install the EFA installer's driver",
			 "no version in /sys/module/efa/version (the in-tree driver?)");
		return;
	}
	diag_parse_version(f->nvidia_driver, &nv, &x, &y);
	/* amzn-drivers r2.17.3: "Support P2P with NVIDIA 580 drivers". That is
	 * the peer-memory path; dmabuf works without it, so only a node that
	 * cannot use dmabuf (CUDA says no) fails */
	if (nv >= 580 && diag_version_cmp(f->efa_driver, "2.17.3") < 0 && f->it && f->it->gdr_supported) {
		diag_set(k, f->cuda_dmabuf == 0 ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG,
			 "install EFA driver r2.17.3 or newer (a current EFA installer)",
			 "version %s with NVIDIA driver %s: the peer-memory path of GPUDirect RDMA needs r2.17.3 with "
			 "580+ drivers%s",
			 f->efa_driver, f->nvidia_driver,
			 f->cuda_dmabuf == 0 ? ", and CUDA offers no dmabuf here" : "; the dmabuf path does not");
		return;
	}
	diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "version %s%s%s", f->efa_driver, *f->installer ? ", EFA installer " : "",
		 f->installer);
}

static void count_names(json_t *o, const char **names, const int64_t *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i] >= 0)
			json_object_set_new(o, names[i], json_integer(v[i]));
}

/* Since boot, against the uptime: a device that keeps losing its peers
 * (retransmit timeouts, unresponsive or impaired remotes, at least
 * EVENTS_MIN and EVENTS_PER_HOUR an hour) or its packets (retransmits over
 * RETRANS_SHARE of LOSS_MIN_PKTS or more sent). A peer that died counts on
 * its partners too: a warning to watch, not a failure. */
#define EVENTS_MIN 100
#define EVENTS_PER_HOUR 10.0
#define LOSS_MIN_PKTS 1000000
#define RETRANS_SHARE 0.01

static void since_boot(const struct diag_facts *f, char *out, size_t len)
{
	double hours = f->uptime_s > 0 ? f->uptime_s / 3600 : -1;

	for (int i = 0; i < f->ndevs; i++) {
		const struct diag_counters *b = &f->devs[i].before;
		int64_t ev = (b->timeouts > 0 ? b->timeouts : 0) + (b->unresponsive > 0 ? b->unresponsive : 0) +
			     (b->impaired > 0 ? b->impaired : 0);
		size_t n = strlen(out);
		if (n > len - 120)
			return;
		if (hours > 0 && ev >= EVENTS_MIN && ev / hours >= EVENTS_PER_HOUR)
			snprintf(out + n, len - n,
				 "%s%s: %lld retransmit timeouts, unresponsive or impaired remotes in %.1f h up (%.0f an "
				 "hour)",
				 *out ? "; " : "", f->devs[i].name, (long long)ev, hours, ev / hours);
		n = strlen(out);
		if (b->tx_pkts >= LOSS_MIN_PKTS && b->retrans > 0 && b->retrans > RETRANS_SHARE * (double)b->tx_pkts)
			snprintf(out + n, len - n, "%s%s: retrans_pkts %.1f%% of tx_pkts since boot", *out ? "; " : "",
				 f->devs[i].name, 100.0 * (double)b->retrans / (double)b->tx_pkts);
	}
}

void diag_check_counters(const struct diag_ctx *c, struct diag_check *k)
{
	static const char *names[] = {"retrans_pkts", "retrans_timeout_events", "unresponsive_remote_events",
				      "impaired_remote_conn_events", "rx_drops"};
	const struct diag_facts *f = c->f;
	char grew[600] = "", missing[300] = "", booted[700] = "";
	int nmissing = 0;
	bool sampled = f->sample_seconds > 0;
	json_t *all;

	if (f->ndevs == 0) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no EFA devices");
		return;
	}
	all = json_object();
	for (int i = 0; i < f->ndevs; i++) {
		const struct diag_efa_dev *d = &f->devs[i];
		const struct diag_counters *b = &d->before, *a = &d->after;
		int64_t vb[] = {b->retrans, b->timeouts, b->unresponsive, b->impaired, b->drops};
		int64_t va[] = {a->retrans, a->timeouts, a->unresponsive, a->impaired, a->drops};
		json_t *o = json_object(), *since = json_object();
		if (b->retrans < 0 || b->timeouts < 0 || b->unresponsive < 0) {
			nmissing++;
			if (strlen(missing) < 200)
				snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
					 *missing ? ", " : "", d->name);
		}
		count_names(since, names, vb, 5);
		json_object_set_new(o, "since_boot", since);
		if (sampled) {
			json_t *delta = json_object();
			for (int n = 0; n < 5; n++) {
				if (vb[n] < 0 || va[n] < 0)
					continue;
				json_object_set_new(delta, names[n], json_integer(va[n] - vb[n]));
				if (va[n] > vb[n] && strlen(grew) < 500)
					snprintf(grew + strlen(grew), sizeof(grew) - strlen(grew), "%s%s %s +%lld",
						 *grew ? ", " : "", d->name, names[n], (long long)(va[n] - vb[n]));
			}
			json_object_set_new(o, "during_check", delta);
		}
		json_object_set_new(all, d->name, o);
	}
	k->details = all;
	if (*grew) {
		diag_set(k, DIAG_WARN, DIAG_ACT_MONITOR,
			 "errors are happening now: run fabcheck-bw -d all against a known-good node and watch "
			 "which device's counters grow",
			 "grew during the %.1f s check: %s", f->sample_seconds, grew);
		return;
	}
	since_boot(f, booted, sizeof(booted));
	if (*booted) {
		diag_set(k, DIAG_WARN, DIAG_ACT_MONITOR,
			 "this node's EFA has been losing peers or packets since boot: run fabcheck-bw -d all against a "
			 "known-good node; if the named device's counters grow, drain the node",
			 "%s (over %d events and %.0f an hour, or over %.0f%% retransmitted, since boot)", booted,
			 EVENTS_MIN, EVENTS_PER_HOUR, 100 * RETRANS_SHARE);
		return;
	}
	if (nmissing) {
		/* counters that are absent read as "no errors" in a naive check */
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG,
			 "update the EFA driver to r2.17.0 or newer (EFA installer): it adds the network counters",
			 "%d of %d device(s) have no network error counters (retransmits, timeouts, unresponsive "
			 "remotes): %s; EFA driver %s",
			 nmissing, f->ndevs, missing, *f->efa_driver ? f->efa_driver : "unknown");
		return;
	}
	if (!sampled)
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "counters present on every device; not sampled (--counter-interval 0): totals since boot "
			 "in details");
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "no retransmits, timeouts, unresponsive remotes or drops during the %.1f s check, none "
			 "out of the ordinary since boot (totals in details)",
			 f->sample_seconds);
}
