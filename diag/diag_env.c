/* The environment variables the checks read, captured once so the checks
 * work from facts alone. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static const char *const names[] = {
	"FI_PROVIDER", "FI_EFA_USE_DEVICE_RDMA", "FI_EFA_USE_HUGE_PAGE", "FI_EFA_FORK_SAFE", "RDMAV_FORK_SAFE",
	"IBV_FORK_SAFE", "FI_EFA_MTU_SIZE", "FI_EFA_TX_IOV_LIMIT", "FI_EFA_RX_IOV_LIMIT", "FI_EFA_IFACE",
	"FI_HMEM_DISABLE_P2P", "FI_HMEM", "NCCL_NET", "NCCL_NET_PLUGIN", "NCCL_IB_DISABLE",
	"OFI_NCCL_DISABLE_DMABUF", "OFI_NCCL_DISABLE_GDR_REQUIRED_CHECK", "OFI_NCCL_FORCE_PRODUCT_NAME",
	"LD_LIBRARY_PATH", "KUBERNETES_SERVICE_HOST", "CUDA_VISIBLE_DEVICES", "NCCL_SOCKET_IFNAME",
};

void diag_env_capture(struct diag_facts *f)
{
	f->nenv = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && f->nenv < DIAG_ENV_MAX; i++) {
		const char *v = getenv(names[i]);
		struct diag_env *e = &f->env[f->nenv++];
		e->name = names[i];
		e->set = v != NULL;
		diag_copy(e->value, sizeof(e->value), v ? v : "");
	}
}

const char *diag_env_get(const struct diag_facts *f, const char *name)
{
	for (int i = 0; i < f->nenv; i++)
		if (!strcmp(f->env[i].name, name))
			return f->env[i].set ? f->env[i].value : NULL;
	return NULL;
}

void diag_env_set(struct diag_facts *f, const char *name, const char *value)
{
	for (int i = 0; i < f->nenv; i++)
		if (!strcmp(f->env[i].name, name)) {
			f->env[i].set = value != NULL;
			diag_copy(f->env[i].value, sizeof(f->env[i].value), value ? value : "");
			return;
		}
	if (f->nenv < DIAG_ENV_MAX) {
		struct diag_env *e = &f->env[f->nenv++];
		e->name = name;
		e->set = value != NULL;
		diag_copy(e->value, sizeof(e->value), value ? value : "");
	}
}

bool diag_gpus_hidden(const struct diag_facts *f)
{
	const char *v = diag_env_get(f, "CUDA_VISIBLE_DEVICES");
	return v && (!*v || !strcmp(v, "-1") || !strcmp(v, "NoDevFiles"));
}
