/* CLOCK_MONOTONIC nanoseconds and deadlines: every wait in fabcheck has one. */
#ifndef FC_TIMING_H
#define FC_TIMING_H

#include <stdint.h>
#include <time.h>

static inline uint64_t fc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t fc_deadline_in(double seconds)
{
	return fc_now_ns() + (uint64_t)(seconds * 1e9);
}

static inline uint64_t fc_deadline_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Milliseconds left before a deadline, for poll(); 0 once it has passed. */
static inline int fc_ms_left(uint64_t deadline)
{
	uint64_t now = fc_now_ns();
	uint64_t ms;

	if (now >= deadline)
		return 0;
	ms = (deadline - now + 999999) / 1000000;
	return ms > 1000000 ? 1000000 : (int)ms;
}

#endif
