#include "resultfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "stop.h"

static mode_t umask_now(void)
{
	mode_t m = umask(022);
	umask(m);
	return m;
}

/* The folder a path would be created in, which must exist and take files. */
static int check_folder(const char *path)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int rc = 0;

	if (!copy)
		return -FC_EXIT_FABRIC;
	dir = dirname(copy);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fc_err("cannot write results to '%s': folder '%s' does not exist; create it or name another path",
		       path, dir);
		rc = -FC_EXIT_USAGE;
	} else if (access(dir, W_OK | X_OK)) {
		fc_err("cannot write results to '%s': folder '%s' is not writable here (%s); name another path",
		       path, dir, strerror(errno));
		rc = -FC_EXIT_USAGE;
	}
	free(copy);
	return rc;
}

/* Special files are written where they are; O_NONBLOCK first, so a FIFO
 * nobody reads is an error now (ENXIO) instead of a hang. */
static int open_direct(struct fc_resfile *r)
{
	int fd = open(r->target, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		fc_err("cannot write results to '%s': %s%s", r->path, strerror(errno),
		       errno == ENXIO ? " (a FIFO nobody reads: start its reader first)" : "");
		return -FC_EXIT_USAGE;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (!(r->f = fdopen(fd, "w"))) {
		close(fd);
		return -FC_EXIT_FABRIC;
	}
	return 0;
}

static int open_temp(struct fc_resfile *r)
{
	int fd;

	if (asprintf(&r->tmp, "%s.tmp-XXXXXX", r->target) < 0) {
		r->tmp = NULL;
		return -FC_EXIT_FABRIC;
	}
	fd = mkstemp(r->tmp);
	if (fd < 0) {
		fc_err("cannot write results to '%s': %s", r->path, strerror(errno));
		free(r->tmp);
		r->tmp = NULL;
		return -FC_EXIT_USAGE;
	}
	/* mkstemp makes 0600; a result file is as shareable as the umask says */
	fchmod(fd, 0666 & ~umask_now());
	if (!(r->f = fdopen(fd, "w"))) {
		close(fd);
		unlink(r->tmp);
		return -FC_EXIT_FABRIC;
	}
	return 0;
}

static int open_checked(struct fc_resfile *r, const char *path)
{
	char real[PATH_MAX];
	struct stat st;
	int rc;

	if (!strcmp(path, "-")) {
		r->f = stdout;
		r->path = strdup("stdout");
		return r->path ? 0 : -FC_EXIT_FABRIC;
	}
	r->path = strdup(path);
	/* a symlink (or a chain of them) is followed to what it names */
	r->target = strdup(realpath(path, real) ? real : path);
	if (!r->path || !r->target)
		return -FC_EXIT_FABRIC;
	if (stat(r->target, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			fc_err("cannot write results to '%s': it is a folder; name a file in it", path);
			return -FC_EXIT_USAGE;
		}
		if (!S_ISREG(st.st_mode))
			return open_direct(r);
		if (access(r->target, W_OK)) {
			fc_err("cannot write results to '%s': %s", path, strerror(errno));
			return -FC_EXIT_USAGE;
		}
	} else if (errno != ENOENT) {
		fc_err("cannot write results to '%s': %s", path, strerror(errno));
		return -FC_EXIT_USAGE;
	}
	if ((rc = check_folder(r->target)))
		return rc;
	return open_temp(r);
}

/* On failure nothing is left open or allocated: callers just exit. */
int fc_resfile_open(struct fc_resfile *r, const char *path)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = open_checked(r, path))) {
		free(r->path);
		free(r->target);
		free(r->tmp);
		memset(r, 0, sizeof(*r));
	}
	return rc;
}

int fc_resfile_commit(struct fc_resfile *r)
{
	if (r->failed)
		return -FC_EXIT_FABRIC;
	if (fflush(r->f) == 0 && !ferror(r->f)) {
		r->records++;
		if (r->tmp)
			r->good = ftello(r->f);
		return 0;
	}
	r->failed = true;
	if (errno == EPIPE) {
		/* the reader went away (`--json - | head`): a stop, as SIGPIPE */
		fc_stop_request(SIGPIPE);
		return fc_stop_check();
	}
	fc_err("cannot write a record to '%s': %s%s", r->path, strerror(errno),
	       errno == ENOSPC || errno == EDQUOT || errno == EFBIG ? " (the disk or a quota is full)" : "");
	return -FC_EXIT_FABRIC;
}

int fc_resfile_close(struct fc_resfile *r, int run_rc)
{
	char *partial = NULL;
	int rc = 0;

	if (!r->f)
		goto out;
	if (!r->tmp) {
		/* written directly: what went out is out */
		if (fflush(r->f) && errno != EPIPE && !r->failed) {
			fc_err("cannot finish writing '%s': %s", r->path, strerror(errno));
			rc = -FC_EXIT_FABRIC;
		}
		if (r->f != stdout)
			fclose(r->f);
		goto out;
	}
	if (!r->failed && (fflush(r->f) || ferror(r->f) || fsync(fileno(r->f)))) {
		fc_err("cannot finish writing '%s': %s", r->path, strerror(errno));
		r->failed = true;
		rc = -FC_EXIT_FABRIC;
	}
	/* only whole records are kept: cut what a failed write left half */
	if (r->failed && ftruncate(fileno(r->f), r->good))
		r->good = 0;
	if (fclose(r->f) && !r->failed) {
		fc_err("cannot finish writing '%s': %s", r->path, strerror(errno));
		r->failed = true;
		rc = -FC_EXIT_FABRIC;
	}
	if (run_rc == 0 && !r->failed) {
		if (rename(r->tmp, r->target)) {
			fc_err("cannot move the results into '%s': %s", r->path, strerror(errno));
			unlink(r->tmp);
			rc = -FC_EXIT_FABRIC;
		}
	} else if (r->records && r->good > 0 && asprintf(&partial, "%s.partial", r->target) > 0 &&
		   !rename(r->tmp, partial)) {
		fc_note("the run did not complete: the %zu record(s) it finished are in %s", r->records, partial);
	} else {
		unlink(r->tmp);
		if (run_rc && !r->records)
			fc_note("the run did not complete and finished no record: nothing was written to %s", r->path);
	}
	free(partial);
out:
	free(r->path);
	free(r->target);
	free(r->tmp);
	memset(r, 0, sizeof(*r));
	return rc;
}

bool fc_resfile_same(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	struct stat sa, sb;

	if (!strcmp(a, b))
		return true;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	/* not there yet: the same once both folders are resolved */
	if (!realpath(a, ra) || !realpath(b, rb)) {
		char *ca = strdup(a), *cb = strdup(b);
		bool same = false;
		if (ca && cb && realpath(dirname(ca), ra) && realpath(dirname(cb), rb) && !strcmp(ra, rb)) {
			const char *ba = strrchr(a, '/'), *bb = strrchr(b, '/');
			same = !strcmp(ba ? ba + 1 : a, bb ? bb + 1 : b);
		}
		free(ca);
		free(cb);
		return same;
	}
	return !strcmp(ra, rb);
}
