#include "diag_elf.h"

#include <fcntl.h>
#include <stdint.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "diag_parse.h"

static int read_elf(Elf *e, struct diag_elf *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx))
		return -1;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		const char *secname;
		if (!gelf_getshdr(scn, &sh) || !(data = elf_getdata(scn, NULL)) || !data->d_buf)
			continue;
		secname = elf_strptr(e, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_PROGBITS && secname && !strcmp(secname, ".rodata"))
			diag_find_plugin_version(data->d_buf, data->d_size, out->plugin_version,
						 sizeof(out->plugin_version));
		if (sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		found = 1;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *s;
			if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RPATH && dyn.d_tag != DT_RUNPATH)
				continue;
			/* strings live in the section sh_link names (.dynstr) */
			if (!(s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val)))
				continue;
			if (dyn.d_tag == DT_NEEDED && out->nneeded < DIAG_ELF_NEEDED)
				diag_copy(out->needed[out->nneeded++], sizeof(out->needed[0]), s);
			else if (dyn.d_tag == DT_RPATH)
				diag_copy(out->rpath, sizeof(out->rpath), s);
			else if (dyn.d_tag == DT_RUNPATH)
				diag_copy(out->runpath, sizeof(out->runpath), s);
		}
	}
	return found ? 0 : -1;
}

int diag_elf_memory(const char *data, size_t len, struct diag_elf *out)
{
	Elf *e;
	int rc;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	/* libelf takes a writable pointer but does not write with ELF_C_READ */
	e = elf_memory((char *)(uintptr_t)data, len);
	rc = read_elf(e, out);
	elf_end(e);
	return rc;
}

int diag_elf_file(const char *path, struct diag_elf *out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), rc = -1;
	Elf *e;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -1;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && elf_version(EV_CURRENT) != EV_NONE) {
		e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		rc = read_elf(e, out);
		elf_end(e);
	}
	close(fd);
	return rc;
}
