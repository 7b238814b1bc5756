#include "report_out.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"

static bool empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

static int default_name(struct rp_out *o)
{
	struct timeval tv;
	struct tm tm;
	char stamp[48];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	if (mkdir("results", 0777) && errno != EEXIST) {
		fc_err("cannot create 'results': %s: give -o DIR", strerror(errno));
		return -FC_EXIT_FABRIC;
	}
	/* the folder itself claims the name, so a second report started in
	 * the same millisecond takes the next suffix instead of failing */
	for (int i = 1; i <= 1000; i++) {
		if (i == 1)
			snprintf(o->final, sizeof(o->final), "results/%s.%03ldZ", stamp, (long)(tv.tv_usec / 1000));
		else
			snprintf(o->final, sizeof(o->final), "results/%s.%03ldZ-%d", stamp, (long)(tv.tv_usec / 1000), i);
		if (mkdir(o->final, 0777) == 0) {
			o->reserved = true;
			return 0;
		}
		if (errno != EEXIST) {
			fc_err("cannot create '%s': %s: give -o DIR", o->final, strerror(errno));
			return -FC_EXIT_FABRIC;
		}
	}
	fc_err("1000 reports named results/%s.%03ldZ-N already: give -o DIR", stamp, (long)(tv.tv_usec / 1000));
	return -FC_EXIT_FABRIC;
}

int rp_out_prepare(struct rp_out *o, const char *requested)
{
	char tmp[PATH_MAX + 16];
	struct stat st;
	size_t n;
	int rc;

	if (requested) {
		n = strlen(requested);
		/* "DIR/" is DIR: the temporary folder goes beside it, not inside */
		while (n > 1 && requested[n - 1] == '/')
			n--;
		if (n == 0 || n + 16 >= sizeof(o->final)) {
			fc_err("output folder '%s': give a folder name shorter than %d bytes", requested, PATH_MAX - 16);
			return -FC_EXIT_USAGE;
		}
		snprintf(o->final, sizeof(o->final), "%.*s", (int)n, requested);
		if (lstat(o->final, &st) == 0) {
			if (S_ISLNK(st.st_mode)) {
				fc_err("output folder '%s' is a symbolic link: name the folder itself", o->final);
				return -FC_EXIT_USAGE;
			}
			if (!S_ISDIR(st.st_mode)) {
				fc_err("'%s' exists and is not a folder: name a new folder with -o", o->final);
				return -FC_EXIT_USAGE;
			}
			if (!empty_dir(o->final)) {
				fc_err("output folder '%s' exists and is not empty: name a new one with -o", o->final);
				return -FC_EXIT_USAGE;
			}
		}
	} else if ((rc = default_name(o))) {
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", o->final);
	if (!mkdtemp(tmp)) {
		fc_err("cannot create a folder beside '%s': %s%s", o->final, strerror(errno),
		       errno == ENOENT ? ": create its parent folder first" : "");
		if (o->reserved)
			rmdir(o->final);
		return -FC_EXIT_FABRIC;
	}
	if (!realpath(tmp, o->dir)) {
		fc_err("cannot resolve '%s': %s", tmp, strerror(errno));
		rp_rm_tree(tmp);
		if (o->reserved)
			rmdir(o->final);
		return -FC_EXIT_FABRIC;
	}
	return 0;
}

FILE *rp_out_create(struct rp_out *o, const char *name)
{
	char path[PATH_MAX + 256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", o->dir, name);
	f = fopen(path, "w");
	if (!f)
		fc_err("cannot write %s: %s", path, strerror(errno));
	return f;
}

bool rp_out_has(const struct rp_out *o, const char *name)
{
	char path[PATH_MAX + 256];
	snprintf(path, sizeof(path), "%s/%s", o->dir, name);
	return access(path, F_OK) == 0;
}

int rp_out_commit(struct rp_out *o)
{
	/* rename() replaces an empty folder atomically: DIR is either absent,
	 * the empty folder it was, or the whole report */
	if (rename(o->dir, o->final)) {
		fc_err("cannot move the report into '%s': %s", o->final, strerror(errno));
		return -FC_EXIT_FABRIC;
	}
	o->reserved = false;
	return 0;
}

void rp_out_abort(struct rp_out *o)
{
	if (*o->dir && rp_rm_tree(o->dir))
		fc_warn("could not remove %s: %s", o->dir, strerror(errno));
	if (o->reserved)
		rmdir(o->final);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int rp_rm_tree(const char *dir)
{
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
