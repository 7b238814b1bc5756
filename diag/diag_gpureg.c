/* fabcheck-diag --traffic, GPU half: is GPUDirect RDMA there, tried rather
 * than inferred. For each GPU CUDA sees, fabcheck-mr registers a cudaMalloc
 * buffer with the GPU's closest EFA device the way aws-ofi-nccl does
 * (FI_OPT_CUDA_API_PERMITTED false on the endpoint), once by address (the
 * peer-memory path: nvidia-peermem or the EFA driver's p2p) and once by a
 * dmabuf fd, each in its own process so one path's failure cannot hide the
 * other's answer. The records' gpu_path says whether the endpoint accepted
 * the ban on CUDA calls (gpudirect) or needs them (staged). */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "diag_spawn.h"
#include "log.h"
#include "readfile.h"

#define MR_SECONDS 60 /* fabcheck-mr's own deadline (-t); diag waits a little longer */

/* CUDA device ordinal k as an index into gpus[]: with CUDA_DEVICE_ORDER=
 * PCI_BUS_ID, CUDA numbers visible GPUs in PCI order, as the facts list
 * them; CUDA_VISIBLE_DEVICES by number picks among them, by UUID or MIG
 * name it cannot be mapped here (-1). Returns how many ordinals there are. */
static int ordinals(const struct diag_facts *f, int map[DIAG_MAX_GPUS])
{
	const char *v = diag_env_get(f, "CUDA_VISIBLE_DEVICES");
	int n = 0;

	if (!v) {
		for (; n < f->ngpus; n++)
			map[n] = n;
		return n;
	}
	for (const char *p = v; *p && n < DIAG_MAX_GPUS;) {
		char *end;
		long g = strtol(p, &end, 10);
		if (end == p || (*end && *end != ','))
			break; /* CUDA stops at the first entry it cannot read, too */
		map[n++] = g >= 0 && g < f->ngpus ? (int)g : -1;
		p = *end ? end + 1 : end;
	}
	if (n == 0 && *v) /* UUIDs or MIG names: one each, nearest NIC unknown */
		for (const char *p = v; *p && n < DIAG_MAX_GPUS; p += strcspn(p, ","), p += *p == ',')
			map[n++] = -1;
	return n;
}

/* The NIC a GPU's buffers go out on, as aws-ofi-nccl picks it: the EFA
 * device closest in the PCI tree; without topology, round robin. */
static void nic_for(const struct diag_facts *f, const struct diag_options *o, int gpu, int k, char *out, size_t len)
{
	const char *d = o->traffic_domains;

	out[0] = '\0';
	if (strcmp(o->traffic_provider, "efa")) {
		/* another provider (tcp on a test box): a single -d it was given */
		if (d && *d && strcmp(d, "all") && !strchr(d, ','))
			snprintf(out, len, "%s", d);
		return;
	}
	if (f->ndevs == 0)
		return;
	if (gpu >= 0 && f->topo_known && f->gpus[gpu].nclosest > 0)
		snprintf(out, len, "%.58s-rdm", f->devs[f->gpus[gpu].closest[0]].name);
	else
		snprintf(out, len, "%.58s-rdm", f->devs[k % f->ndevs].name);
}

/* One path on one GPU: fabcheck-mr's exit, its error, its gpu_path. */
static int try_path(struct diag_gpureg *r, const struct diag_options *o, const char *dir, const char *tmp, char **env,
		    const char *path, char *err, size_t errlen)
{
	char prog[PATH_MAX], mem[32], json[PATH_MAX], out[PATH_MAX], deadline[16];
	char *argv[24];
	int a = 0, rc;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/fabcheck-mr", dir);
	snprintf(mem, sizeof(mem), "cuda:%d", r->ordinal);
	snprintf(deadline, sizeof(deadline), "%d", MR_SECONDS);
	snprintf(json, sizeof(json), "%s/mr-%d-%s.jsonl", tmp, r->ordinal, path);
	snprintf(out, sizeof(out), "%s/mr-%d-%s.out", tmp, r->ordinal, path);
	argv[a++] = prog;
	argv[a++] = "-p", argv[a++] = (char *)o->traffic_provider;
	if (r->domain[0])
		argv[a++] = "-d", argv[a++] = r->domain;
	argv[a++] = "-D", argv[a++] = mem;
	argv[a++] = "-S", argv[a++] = "1M";
	argv[a++] = "-I", argv[a++] = "2";
	argv[a++] = "--mr-path", argv[a++] = (char *)path;
	argv[a++] = "-t", argv[a++] = deadline;
	argv[a++] = "--json", argv[a++] = json;
	argv[a] = NULL;
	if ((pid = diag_spawn(argv, env, out)) < 0) {
		snprintf(err, errlen, "could not start fabcheck-mr: %s", strerror(errno));
		return -1;
	}
	rc = diag_reap(pid, time(NULL) + MR_SECONDS + 10);
	if (rc) {
		diag_last_error(out, err, errlen);
		if (!*err)
			snprintf(err, errlen, "fabcheck-mr exited %d with no message (killed at the deadline?)", rc);
		return rc;
	}
	/* registered: the endpoint's answer to the ban on CUDA calls */
	char *text;
	if (fc_read_alloc(json, &text) >= 0) {
		json_t *rec = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
		const char *gp = json_string_value(json_object_get(rec, "gpu_path"));
		if (gp)
			fc_printable(r->gpu_path, sizeof(r->gpu_path), gp);
		json_decref(rec);
		free(text);
	}
	return 0;
}

void diag_gpureg_run(struct diag_facts *f, const struct diag_options *o, const char *dir, const char *tmp,
		     char **env)
{
	struct diag_traffic *t = &f->traffic;
	int map[DIAG_MAX_GPUS], n;

	if (f->ngpus == 0)
		return;
	if (diag_gpus_hidden(f)) {
		snprintf(t->gpureg_skipped, sizeof(t->gpureg_skipped),
			 "CUDA_VISIBLE_DEVICES hides every GPU from this process");
		return;
	}
	n = ordinals(f, map);
	for (int k = 0; k < n; k++) {
		struct diag_gpureg *r = &t->gpureg[t->ngpureg++];
		char nic[sizeof(r->domain)];
		*r = (struct diag_gpureg){.gpu = map[k], .ordinal = k};
		nic_for(f, o, map[k], k, nic, sizeof(nic));
		diag_copy(r->domain, sizeof(r->domain), nic);
		fc_progress("registering GPU memory: GPU %d of %d", k + 1, n);
		r->va_exit = try_path(r, o, dir, tmp, env, "va", r->va_error, sizeof(r->va_error));
		r->dmabuf_exit = try_path(r, o, dir, tmp, env, "dmabuf", r->dmabuf_error, sizeof(r->dmabuf_error));
	}
	fc_progress_done();
}
