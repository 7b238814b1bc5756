#include "stop.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "errors.h"
#include "log.h"

static atomic_int stop_sig;
static atomic_bool stop_told;

static void on_signal(int sig)
{
	int none = 0;
	atomic_compare_exchange_strong(&stop_sig, &none, sig);
}

void fc_stop_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking poll() returns EINTR and sees the flag */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

int fc_stop_signal(void)
{
	return atomic_load(&stop_sig);
}

void fc_stop_request(int sig)
{
	on_signal(sig);
}

int fc_stop_check(void)
{
	int sig = atomic_load(&stop_sig);
	bool no = false;

	if (!sig)
		return 0;
	if (atomic_compare_exchange_strong(&stop_told, &no, true))
		/* where the completed records went (if any) is said as the
		 * result files close, with their path and count */
		fc_err("stopped by %s: the run was cut short",
		       sig == SIGPIPE ? "SIGPIPE (the reader of the output went away)" : strsignal(sig));
	return -(FC_EXIT_SIGNAL + sig);
}
