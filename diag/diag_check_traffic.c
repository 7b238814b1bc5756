/* The one-node traffic self-test's verdict (diag_traffic.c ran it): each
 * device carried its own traffic at a latency and a rate, or the device
 * that did not is named. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "diag_check.h"
#include "errors.h"

static json_t *lane_details(const struct diag_traffic *t)
{
	json_t *a = json_array();

	for (int i = 0; i < t->nlanes; i++) {
		const struct diag_traffic_lane *l = &t->lane[i];
		json_array_append_new(a, json_pack("{s:s, s:f, s:f, s:s, s:I, s:I}", "domain", l->domain, "lat_us_p50",
						   l->lat_us, "bw_gbps", l->bw_gbps, "coverage", l->coverage, "nic_tx_bytes",
						   (json_int_t)l->nic_tx, "nic_rx_bytes", (json_int_t)l->nic_rx));
	}
	return a;
}

void diag_check_traffic(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_traffic *t = &c->f->traffic;
	double lmin = INFINITY, lmax = 0, bmin = INFINITY, bmax = 0;
	int bad = -1, unverifiable = -1;

	if (!t->asked) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "not run: --traffic sends traffic through every EFA device, two "
						  "endpoints per device (seconds)");
		return;
	}
	if (!t->ran) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "could not run: %s", t->error);
		return;
	}
	k->details = lane_details(t);
	if (t->exit) {
		enum diag_action a = t->exit == FC_EXIT_FABRIC ? DIAG_ACT_CONFIG : DIAG_ACT_REBOOT;
		diag_set(k, DIAG_FAIL, a,
			 a == DIAG_ACT_CONFIG ? "check the provider and its devices (`fi_info -p PROVIDER`) and the checks above"
					 : "reboot the node; if the self-test still fails, replace it",
			 "traffic over %s failed: %s", t->provider, t->error);
		return;
	}
	for (int i = 0; i < t->nlanes; i++) {
		const struct diag_traffic_lane *l = &t->lane[i];
		if (!strcmp(l->coverage, "failed") && bad < 0)
			bad = i;
		if (strcmp(l->coverage, "ok") && strcmp(l->coverage, "failed") && unverifiable < 0)
			unverifiable = i;
		lmin = fmin(lmin, l->lat_us), lmax = fmax(lmax, l->lat_us);
		bmin = fmin(bmin, l->bw_gbps), bmax = fmax(bmax, l->bw_gbps);
	}
	if (t->nlanes == 0)
		diag_set(k, DIAG_FAIL, DIAG_ACT_REBOOT, "reboot the node; if the self-test still fails, replace it",
			 "traffic over %s ran but reported no device", t->provider);
	else if (bad >= 0)
		diag_set(k, DIAG_FAIL, DIAG_ACT_REBOOT, "reboot the node; if the device still carries nothing, replace it",
			 "device %s carried none of its traffic (its counters did not move): the bytes went another way",
			 t->lane[bad].domain);
	else if (unverifiable >= 0)
		diag_set(k, DIAG_WARN, DIAG_ACT_MONITOR, "check that the device's counters are readable (sysfs hw_counters)",
			 "%d device(s) over %s ran, but device %s's counters could not prove it carried its traffic",
			 t->nlanes, t->provider, t->lane[unverifiable].domain);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "%d device(s) over %s: p50 %.1f-%.1f us at 8 B, %.2f-%.2f GB/s at 1 MiB, each device's counters "
			 "moved with its own traffic",
			 t->nlanes, t->provider, lmin, lmax, bmin, bmax);
}
