/* A facts file stands in for the libraries, section by section (fixtures,
 * or facts collected on another node); what it lacks is asked live:
 *   {"libfabric": {"version", "path", "api", "efa_rdm_domains",
 *                  "efa_dgram_domains", "hmem"},
 *    "rdma_core": N, "fork_unneeded": bool,
 *    "devices": {"<name>": {"max_rdma", "rdma_read", "rdma_write"}},
 *    "cuda_dmabuf": bool}                                                  */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "readfile.h"
#include "errors.h"
#include "log.h"

static const char *jstr(json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : dflt;
}

static int jint(json_t *o, const char *k, long long lo, long long hi, long long *v)
{
	json_t *x = json_object_get(o, k);

	if (!x)
		return 0;
	if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
		return -1;
	*v = json_integer_value(x);
	return 0;
}

static void mark(struct diag_libinfo *l)
{
	l->state = DIAG_LIB_LOADED;
	diag_copy(l->path, sizeof(l->path), "(facts file)");
}

int diag_facts_parse(struct diag_facts *f, const char *text, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err), *lf, *devs, *x;
	long long v;

	if (!j || !json_is_object(j)) {
		fc_err("facts file: %s (line %d)", j ? "not a JSON object" : err.text, j ? 1 : err.line);
		json_decref(j);
		return -FC_EXIT_USAGE;
	}
	if (json_is_object(lf = json_object_get(j, "libfabric"))) {
		f->lf_known = true;
		mark(&f->lf);
		diag_copy(f->lf.version, sizeof(f->lf.version), jstr(lf, "version", "?"));
		diag_copy(f->lf.path, sizeof(f->lf.path), jstr(lf, "path", "?"));
		diag_copy(f->lf_api, sizeof(f->lf_api), jstr(lf, "api", f->lf.version));
		v = 0;
		if (jint(lf, "efa_rdm_domains", 0, 4096, &v))
			goto bad;
		f->efa_rdm_domains = (int)v;
		v = 0;
		if (jint(lf, "efa_dgram_domains", 0, 4096, &v))
			goto bad;
		f->efa_dgram_domains = (int)v;
		f->efa_hmem = json_is_true(json_object_get(lf, "hmem"));
	}
	if ((x = json_object_get(j, "rdma_core"))) {
		v = 0;
		if (jint(j, "rdma_core", 0, 1000, &v))
			goto bad;
		f->rdma_core = (int)v;
		mark(&f->ibverbs);
		mark(&f->efadv);
		snprintf(f->ibverbs.version, sizeof(f->ibverbs.version), "%d", f->rdma_core);
	}
	if (json_is_boolean(x = json_object_get(j, "fork_unneeded")))
		f->fork_unneeded = json_is_true(x);
	if (json_is_boolean(x = json_object_get(j, "cuda_dmabuf")))
		f->cuda_dmabuf = json_is_true(x);
	if ((devs = json_object_get(j, "devices"))) {
		if (!json_is_object(devs))
			goto bad;
		mark(&f->ibverbs);
		mark(&f->efadv);
		for (int d = 0; d < f->ndevs; d++) {
			json_t *o = json_object_get(devs, f->devs[d].name);
			if (!json_is_object(o))
				continue;
			v = 0;
			if (jint(o, "max_rdma", 0, INT64_MAX, &v))
				goto bad;
			f->devs[d].have_caps = true;
			f->devs[d].max_rdma = (uint64_t)v;
			f->devs[d].rdma_read = json_is_true(json_object_get(o, "rdma_read"));
			f->devs[d].rdma_write = json_is_true(json_object_get(o, "rdma_write"));
		}
	}
	json_decref(j);
	return 0;
bad:
	fc_err("facts file: a value out of range or of the wrong type");
	json_decref(j);
	return -FC_EXIT_USAGE;
}

int diag_facts_file(struct diag_facts *f, const char *path)
{
	char *text;
	ssize_t n = fc_read_alloc(path, &text);
	int rc;

	if (n < 0) {
		fc_err("cannot read the facts file %s: %s", path, n == -EINVAL ? "not a regular file" : strerror((int)-n));
		return -FC_EXIT_USAGE;
	}
	rc = diag_facts_parse(f, text, (size_t)n);
	free(text);
	return rc;
}
