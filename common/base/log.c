#include "log.h"

#include "status.h"
#include "timing.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *prog_name = "fabcheck";
static bool progress_shown;

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
 * the lock keeps each message whole on stderr. The reason a peer is told
 * is not kept here but in the status of the run this thread works for. */
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

void fc_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fc_status_set(fc_status_bound(), 0, msg);
	pthread_mutex_lock(&err_lock);
	fc_progress_done();
	fprintf(stderr, "%s: error: %s\n", prog_name, msg);
	pthread_mutex_unlock(&err_lock);
}

/* The length of the UTF-8 sequence at s (1-4) and its code point, or 0
 * when s does not start a well-formed one (stray continuation, overlong
 * form, surrogate, past U+10FFFF, cut short). */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	size_t n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;

	if (!n)
		return 0;
	*cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/* Characters a terminal obeys or that make a line read otherwise than it
 * is: C1 controls (U+009B is CSI), bidirectional overrides and isolates
 * (U+202E turns "exe.txt" around), invisible separators and tags. */
static bool unsafe_code_point(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	       (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

char *fc_printable(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	while (s && *s && o + 1 < len) {
		uint32_t cp = 0;
		size_t n = *s < 0x80 ? 1 : utf8_seq(s, &cp);
		if (n == 1 && *s >= 0x20 && *s != 0x7f) {
			dst[o++] = (char)*s;
		} else if (n > 1 && !unsafe_code_point(cp)) {
			if (o + n >= len)
				break; /* a character is kept whole or not at all */
			memcpy(dst + o, s, n);
			o += n;
		} else {
			dst[o++] = '?';
		}
		s += n ? n : 1;
	}
	if (len)
		dst[o] = '\0';
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

/* Off a terminal (a job's log), progress is a plain line at most every
 * FC_PROGRESS_LOG_S seconds: a long wait or run shows it is alive without
 * a line per poll; the first call only starts the clock. */
#define FC_PROGRESS_LOG_S 10

static bool progress_due(void)
{
	static uint64_t last;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t now = fc_now_ns();
	bool due;

	pthread_mutex_lock(&lock);
	due = last && now - last >= (uint64_t)FC_PROGRESS_LOG_S * 1000000000u;
	if (!last || due)
		last = now;
	pthread_mutex_unlock(&lock);
	return due;
}

void fc_progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO)) {
		if (!progress_due())
			return;
		fprintf(stderr, "%s: ", prog_name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
		return;
	}
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
