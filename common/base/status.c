#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Per thread, not per process: two runs never share a reason. */
static _Thread_local struct fc_status *bound;

void fc_status_clear(struct fc_status *st)
{
	__atomic_store_n(&st->taken, 0, __ATOMIC_RELEASE);
	st->code = 0;
	st->msg[0] = '\0';
}

int fc_status_set(struct fc_status *st, int rc, const char *msg)
{
	/* lane threads that fail together race here: one claims the slot,
	 * the rest leave it as it is */
	if (!st || __atomic_exchange_n(&st->taken, 1, __ATOMIC_ACQ_REL))
		return rc;
	st->code = rc;
	snprintf(st->msg, sizeof(st->msg), "%s", msg ? msg : "");
	return rc;
}

int fc_status_setf(struct fc_status *st, int rc, const char *fmt, ...)
{
	char msg[FC_STATUS_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fc_status_set(st, rc, msg);
}

void fc_status_take(struct fc_status *dst, const struct fc_status *src)
{
	if (fc_status_failed(src))
		fc_status_set(dst, src->code, src->msg);
}

bool fc_status_failed(const struct fc_status *st)
{
	return st && __atomic_load_n(&st->taken, __ATOMIC_ACQUIRE);
}

const char *fc_status_msg(const struct fc_status *st, const char *none)
{
	return fc_status_failed(st) && st->msg[0] ? st->msg : none;
}

struct fc_status *fc_status_bind(struct fc_status *st)
{
	struct fc_status *prev = bound;

	bound = st;
	return prev;
}

struct fc_status *fc_status_bound(void)
{
	return bound;
}
