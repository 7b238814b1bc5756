/* Which NCCL net plugin NCCL would load and which libfabric that plugin
 * would load, found the way the loaders do, without running either:
 *   NCCL (src/plugin/plugin_open.cc): NCCL_NET_PLUGIN, a comma list, each
 *   name tried as given and then as libnccl-net-<name>.so; unset, it tries
 *   libnccl-net.so; "none" disables plugins. aws-ofi-nccl installs
 *   libnccl-net-ofi.so and a libnccl-net.so copy (its configure.ac).
 *   ld.so: DT_RPATH (when no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH,
 *   the ld.so.conf directories, then the default directories.
 * Paths are the node's; they are read under the root. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "diag.h"
#include "diag_elf.h"
#include "readfile.h"

#define MAX_DIRS 64

struct dirs {
	char d[MAX_DIRS][256];
	int n;
};

static void add_dir(struct dirs *ds, const char *d, size_t len)
{
	if (!len || len >= sizeof(ds->d[0]) || ds->n == MAX_DIRS)
		return;
	for (int i = 0; i < ds->n; i++)
		if (strlen(ds->d[i]) == len && !strncmp(ds->d[i], d, len))
			return;
	memcpy(ds->d[ds->n], d, len);
	ds->d[ds->n++][len] = '\0';
}

/* "a:b;c" (ld.so takes ':' and ';'), $ORIGIN replaced by origin */
static void add_path_list(struct dirs *ds, const char *list, const char *origin)
{
	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ":;");
		char one[256];
		if (n && n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (origin && (!strncmp(one, "$ORIGIN", 7) || !strncmp(one, "${ORIGIN}", 9))) {
				char sub[512];
				snprintf(sub, sizeof(sub), "%s%s", origin, one + (one[1] == '{' ? 9 : 7));
				add_dir(ds, sub, strlen(sub));
			} else {
				add_dir(ds, one, n);
			}
		}
		p += n;
		if (*p)
			p++;
	}
}

static void ld_conf(const struct diag_facts *f, struct dirs *ds, const char *file, int depth)
{
	char path[1024], *text, *save = NULL;

	if (depth > 4 || fc_path_join(path, sizeof(path), f->root, file) || fc_read_alloc(path, &text) < 0)
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		l[strcspn(l, "#")] = '\0';
		l += strspn(l, " \t");
		if (!strncmp(l, "include", 7) && (l[7] == ' ' || l[7] == '\t')) {
			char pat[1024];
			glob_t g;
			l += 8 + strspn(l + 8, " \t");
			l[strcspn(l, " \t\r")] = '\0';
			/* a relative include is relative to /etc */
			snprintf(pat, sizeof(pat), "%s%s%s", f->root, *l == '/' ? "" : "/etc/", l);
			if (glob(pat, 0, NULL, &g) == 0)
				for (size_t i = 0; i < g.gl_pathc; i++)
					ld_conf(f, ds, g.gl_pathv[i] + strlen(f->root), depth + 1);
			globfree(&g);
			continue;
		}
		for (char *p = l; *p;) {
			size_t n = strcspn(p, " \t,:\r");
			if (n && *p == '/')
				add_dir(ds, p, n);
			p += n;
			if (*p)
				p++;
		}
	}
	free(text);
}

static void default_dirs(const struct diag_facts *f, struct dirs *ds)
{
	static const char *const defaults[] = {"/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu",
					       "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
					       "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"};
	ld_conf(f, ds, "etc/ld.so.conf", 0);
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		add_dir(ds, defaults[i], strlen(defaults[i]));
}

static bool is_file(const struct diag_facts *f, const char *node_path)
{
	char path[1024];
	struct stat st;

	return !fc_path_join(path, sizeof(path), f->root, node_path[0] == '/' ? node_path + 1 : node_path) &&
	       !stat(path, &st) && S_ISREG(st.st_mode);
}

/* The first directory holding name, as a node path in out. */
static bool search(const struct diag_facts *f, const struct dirs *ds, const char *name, char *out, size_t len)
{
	for (int i = 0; i < ds->n; i++) {
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", ds->d[i], name);
		if (is_file(f, p)) {
			diag_copy(out, len, p);
			return true;
		}
	}
	return false;
}

static bool find_plugin(struct diag_facts *f, const struct dirs *ds)
{
	const char *env = diag_env_get(f, "NCCL_NET_PLUGIN");
	char list[256], *save = NULL;

	snprintf(list, sizeof(list), "%s", env && *env ? env : "libnccl-net.so");
	if (env && !strcasecmp(env, "none")) {
		snprintf(f->plugin_error, sizeof(f->plugin_error), "NCCL_NET_PLUGIN=none disables net plugins");
		return false;
	}
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(name);
		char alt[300];
		if (strchr(name, '/')) {
			if (is_file(f, name)) {
				diag_copy(f->plugin_path, sizeof(f->plugin_path), name);
				return true;
			}
			continue;
		}
		if (search(f, ds, name, f->plugin_path, sizeof(f->plugin_path)))
			return true;
		if (strncmp(name, "lib", 3) || n < 3 || strcmp(name + n - 3, ".so")) {
			snprintf(alt, sizeof(alt), "libnccl-net-%s.so", name);
			if (search(f, ds, alt, f->plugin_path, sizeof(f->plugin_path)))
				return true;
		}
	}
	snprintf(f->plugin_error, sizeof(f->plugin_error), "no %s on the library path (LD_LIBRARY_PATH, ld.so.conf, %s)",
		 env && *env ? env : "libnccl-net.so", "the default directories");
	return false;
}

/* libnccl.so.2.27.7 in the search path: its version from the file name */
static void find_nccl(struct diag_facts *f, const struct dirs *ds)
{
	for (int i = 0; i < ds->n && !f->nccl_path[0]; i++) {
		char dir[600];
		DIR *d;
		struct dirent *e;
		if (fc_path_join(dir, sizeof(dir), f->root, ds->d[i] + 1) || !(d = opendir(dir)))
			continue;
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, "libnccl.so.2.", 13) && strlen(e->d_name) > strlen(f->nccl_version) + 11) {
				snprintf(f->nccl_path, sizeof(f->nccl_path), "%s/%s", ds->d[i], e->d_name);
				diag_copy(f->nccl_version, sizeof(f->nccl_version), e->d_name + 11);
			}
		closedir(d);
	}
}

/* The EFA installer's folders, where a library missing from the search
 * path most often is (a training image that installed it but never set
 * LD_LIBRARY_PATH). */
static void installed_off_path(const struct diag_facts *f, const char *const *names, char *out, size_t len)
{
	static const char *const dirs[] = {"/opt/amazon/ofi-nccl/lib", "/opt/amazon/ofi-nccl/lib64",
					   "/opt/amazon/efa/lib", "/opt/amazon/efa/lib64", "/opt/aws-ofi-nccl/lib"};
	char p[600];

	for (const char *const *n = names; *n; n++)
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", dirs[i], *n);
			if (is_file(f, p)) {
				diag_copy(out, len, p);
				return;
			}
		}
}

void diag_nccl_find(struct diag_facts *f)
{
	struct dirs common = {.n = 0}, lf = {.n = 0};
	const char *ldlp = diag_env_get(f, "LD_LIBRARY_PATH");
	struct diag_elf elf;
	char real[1024], origin[512];

	f->plugin_searched = true;
	add_path_list(&common, ldlp, NULL);
	default_dirs(f, &common);
	find_nccl(f, &common);
	if (!find_plugin(f, &common)) {
		const char *env = diag_env_get(f, "NCCL_NET_PLUGIN");
		if (!env || strcasecmp(env, "none"))
			installed_off_path(f, (const char *const[]){"libnccl-net-ofi.so", "libnccl-net.so", NULL},
					   f->plugin_offpath, sizeof(f->plugin_offpath));
		return;
	}
	if (fc_path_join(real, sizeof(real), f->root, f->plugin_path + (f->plugin_path[0] == '/')) ||
	    diag_elf_file(real, &elf)) {
		snprintf(f->plugin_error, sizeof(f->plugin_error), "%.200s is not an ELF shared object", f->plugin_path);
		return;
	}
	diag_copy(f->plugin_version, sizeof(f->plugin_version), elf.plugin_version);
	for (int i = 0; i < elf.nneeded; i++)
		if (!strncmp(elf.needed[i], "libfabric.so", 12))
			diag_copy(f->plugin_needs_lf, sizeof(f->plugin_needs_lf), elf.needed[i]);
	if (!f->plugin_needs_lf[0])
		return;
	diag_copy(origin, sizeof(origin), f->plugin_path);
	if (strrchr(origin, '/'))
		*strrchr(origin, '/') = '\0';
	if (!elf.runpath[0])
		add_path_list(&lf, elf.rpath, origin);
	add_path_list(&lf, ldlp, NULL);
	add_path_list(&lf, elf.runpath, origin);
	default_dirs(f, &lf);
	if (!search(f, &lf, f->plugin_needs_lf, f->plugin_lf_path, sizeof(f->plugin_lf_path))) {
		snprintf(f->plugin_error, sizeof(f->plugin_error), "%.160s needs %.40s, which is not on its search path",
			 f->plugin_path, f->plugin_needs_lf);
		installed_off_path(f, (const char *const[]){f->plugin_needs_lf, NULL}, f->lf_offpath,
				   sizeof(f->lf_offpath));
	}
}
