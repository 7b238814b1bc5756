#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *prog_name = "fabcheck";
static bool progress_shown;
static char last_error[1024];

void fc_log_set_prog(const char *prog)
{
	prog_name = prog;
}

const char *fc_log_prog(void)
{
	return prog_name;
}

static void emit(const char *tag, const char *fmt, va_list ap)
{
	fc_progress_done();
	fprintf(stderr, "%s: %s", prog_name, tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Lane threads can fail together (a peer dies under every NIC at once):
 * the lock keeps each message whole, and the first one is what the peer
 * is told. */
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static bool error_kept;

void fc_err_mark(void)
{
	pthread_mutex_lock(&err_lock);
	error_kept = false;
	last_error[0] = '\0';
	pthread_mutex_unlock(&err_lock);
}

void fc_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&err_lock);
	if (!error_kept) {
		memcpy(last_error, msg, sizeof(last_error));
		error_kept = true;
	}
	fc_progress_done();
	fprintf(stderr, "%s: error: %s\n", prog_name, msg);
	pthread_mutex_unlock(&err_lock);
}

const char *fc_first_error(void)
{
	return last_error;
}

char *fc_printable(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (len)
		dst[i] = '\0';
	return dst;
}

void fc_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("warning: ", fmt, ap);
	va_end(ap);
}

void fc_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

void fc_progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = true;
}

void fc_progress_done(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
}
