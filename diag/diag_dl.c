#include "diag_dl.h"

#include <dlfcn.h>
#include <link.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

void *diag_dlopen(const char *seam, const char *const *names, int nnames, struct diag_libinfo *info)
{
	const char *forced = getenv(seam);
	void *lib = NULL;
	struct link_map *lm = NULL;
	char real[PATH_MAX];

	memset(info, 0, sizeof(*info));
	if (forced && *forced) {
		names = &forced;
		nnames = 1;
	}
	for (int i = 0; i < nnames && !lib; i++) {
		const char *e;
		/* RTLD_LOCAL: nothing of these leaks into later lookups */
		if ((lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL)))
			break;
		e = dlerror();
		snprintf(info->error, sizeof(info->error), "%s%s", e ? e : names[i],
			 forced && *forced ? " (from $" : "");
		if (forced && *forced)
			snprintf(info->error + strlen(info->error), sizeof(info->error) - strlen(info->error), "%s)",
				 seam);
	}
	if (!lib) {
		info->state = DIAG_LIB_MISSING;
		return NULL;
	}
	info->state = DIAG_LIB_LOADED;
	info->error[0] = '\0';
	if (!dlinfo(lib, RTLD_DI_LINKMAP, &lm) && lm && lm->l_name && *lm->l_name)
		diag_copy(info->path, sizeof(info->path), realpath(lm->l_name, real) ? real : lm->l_name);
	return lib;
}

void *diag_dlsym(void *lib, const char *name, bool required, struct diag_libinfo *info)
{
	void *p = lib ? dlsym(lib, name) : NULL;

	if (!p && required && info->state == DIAG_LIB_LOADED) {
		info->state = DIAG_LIB_BROKEN;
		snprintf(info->error, sizeof(info->error), "%.180s has no %.60s", info->path[0] ? info->path : "the library",
			 name);
	}
	return p;
}
