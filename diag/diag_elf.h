/* What a shared object would make the dynamic loader do, read from its ELF
 * dynamic section with libelf (no loading, no running its constructors):
 * DT_NEEDED, DT_RPATH, DT_RUNPATH, and the aws-ofi-nccl version string in
 * its read-only data. */
#ifndef FC_DIAG_ELF_H
#define FC_DIAG_ELF_H

#include <stddef.h>

#define DIAG_ELF_NEEDED 32

struct diag_elf {
	char needed[DIAG_ELF_NEEDED][64];
	int nneeded;
	char rpath[512], runpath[512];
	char plugin_version[48];
};

/* 0, or -1 when it is not an ELF shared object libelf can read. */
int diag_elf_file(const char *path, struct diag_elf *out);
int diag_elf_memory(const char *data, size_t len, struct diag_elf *out);

#endif
