#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static ssize_t read_fd(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got + 1 < cap) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

ssize_t fc_read_file(const char *path, char *buf, size_t cap)
{
	int fd;
	ssize_t n;

	if (!cap)
		return -EINVAL;
	buf[0] = '\0';
	if ((fd = open_regular(path)) < 0)
		return fd;
	n = read_fd(fd, buf, cap);
	close(fd);
	return n;
}

int fc_read_line(const char *path, char *buf, size_t len)
{
	char tmp[4096];
	ssize_t n = fc_read_file(path, tmp, sizeof(tmp));

	buf[0] = '\0';
	if (n < 0)
		return (int)n;
	tmp[strcspn(tmp, "\n")] = '\0';
	snprintf(buf, len, "%s", tmp);
	return buf[0] ? 0 : -ENODATA;
}

ssize_t fc_read_alloc(const char *path, char **out)
{
	char *buf = malloc(FC_READ_MAX + 1);
	ssize_t n;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	n = fc_read_file(path, buf, FC_READ_MAX + 1);
	if (n < 0) {
		free(buf);
		return n;
	}
	*out = buf;
	return n;
}

int fc_path_join(char *out, size_t len, const char *root, const char *rel)
{
	int n = snprintf(out, len, "%s/%s", root, rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
