/* Run-time libraries (libfabric, rdma-core, NVML, the CUDA driver) are
 * loaded with dlopen, never linked: fabcheck-diag must start in an image
 * that lacks them and say so as a finding. Each has a seam variable naming
 * the file to load instead (the tests load stand-ins, or point it nowhere
 * to play a missing library). */
#ifndef FC_DIAG_DL_H
#define FC_DIAG_DL_H

#include "diag.h"

/* The first of names that loads (or only $seam when set); NULL and
 * info->state DIAG_LIB_MISSING with dlerror's text when none does. */
void *diag_dlopen(const char *seam, const char *const *names, int nnames, struct diag_libinfo *info);
/* Resolves a symbol; a required one that is missing marks the library
 * DIAG_LIB_BROKEN. */
void *diag_dlsym(void *lib, const char *name, bool required, struct diag_libinfo *info);

#endif
