/* Reading what the system says (sysfs, /proc, facts files), safely: for
 * fabcheck-diag and the benchmarks' NIC counters alike. A fact is a small regular file:
 * files are opened non-blocking (a FIFO never waits for a writer), anything
 * but a regular file is refused (a character device such as /dev/zero or
 * /dev/urandom is never read), and at most a fixed number of bytes is read
 * (a sysfs attribute is one page; proc files here are a few KiB). */
#ifndef FC_READFILE_H
#define FC_READFILE_H

#include <stddef.h>
#include <sys/types.h>

#define FC_READ_MAX (256 * 1024)

/* Up to cap-1 bytes of a regular file, NUL-terminated; the byte count, or
 * -errno (-EINVAL: not a regular file). */
ssize_t fc_read_file(const char *path, char *buf, size_t cap);
/* The first line, without its newline; 0, -ENODATA when empty, or -errno. */
int fc_read_line(const char *path, char *buf, size_t len);
/* A whole file into malloc'd memory (at most FC_READ_MAX); *out is NUL-terminated. */
ssize_t fc_read_alloc(const char *path, char **out);
/* root + "/" + rel, cut to fit (returns -ENAMETOOLONG when cut). */
int fc_path_join(char *out, size_t len, const char *root, const char *rel);

#endif
