#include "log.h"

#include <stdarg.h>
#include <stdio.h>
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

void fc_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fc_progress_done();
	fprintf(stderr, "%s: error: %s\n", prog_name, last_error);
}

const char *fc_last_error(void)
{
	return last_error;
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
