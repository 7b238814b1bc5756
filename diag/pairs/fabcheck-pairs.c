/* fabcheck-pairs: validate a whole cluster before an NCCL job. Run it on
 * every node with the cluster's own launcher; rank 0 also coordinates and
 * its exit code is the verdict (see pairs.h, README "Before your NCCL
 * job"). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "pairs.h"
#include "pairs_options.h"
#include "sizes.h"
#include "stop.h"

static const char *getenv_wrap(const char *name)
{
	return getenv(name);
}

int main(int argc, char **argv)
{
	struct fc_pairs_opts o;
	struct fc_pairs_cli cli = {.o = &o};
	struct fc_pairs_cfg *c = &o.cfg;
	struct fc_launch l;
	struct fc_sizes check;
	char why[256];
	int rc;
	pid_t agent;

	fc_log_set_prog("fabcheck-pairs");
	if ((rc = fc_pairs_parse(&cli, argc, argv)))
		return rc > 0 ? 0 : fc_exit_status(rc);
	if ((rc = fc_launch_detect(&l, getenv_wrap, o.rank, o.nodes, o.coordinator)))
		return fc_exit_status(rc);
	if (o.where) {
		/* the launcher's view, once: scripts (diag/recipes/cluster-lib.sh) ask
		 * here instead of reading the launchers' variables again */
		return fc_launch_where(&l, stdout) ? FC_EXIT_FABRIC : 0;
	}
	/* the run's shape: what every agent will be told */
	snprintf(c->mode, sizeof(c->mode), "%s", cli.mode ? cli.mode : l.nodes > 32 ? "sweep" : "full");
	if (!*c->pp_sizes)
		snprintf(c->pp_sizes, sizeof(c->pp_sizes), "%s", c->quick ? "8" : "8:1M");
	if (!*c->bw_sizes)
		snprintf(c->bw_sizes, sizeof(c->bw_sizes), "%s", c->quick ? "1M" : "4K:4M");
	if (!c->pair_timeout_s)
		c->pair_timeout_s = c->quick ? 20 : 60;
	if (!cli.seeded)
		c->seed = (uint64_t)time(NULL);
	c->pp = c->bw;
	snprintf(c->pp.test, sizeof(c->pp.test), "pingpong");
	snprintf(c->bw.test, sizeof(c->bw.test), "bw");
	for (struct fc_params *p = &c->pp; p <= &c->bw; p++) {
		p->streams = 1;
		p->endpoints = o.bench.endpoints;
		p->all_nics = o.bench.domain && !strcmp(o.bench.domain, "all");
		snprintf(p->op, sizeof(p->op), "write");
		snprintf(p->buffers, sizeof(p->buffers), "reuse");
		if (fc_params_check(p, why, sizeof(why))) {
			fc_err("%s", why);
			return FC_EXIT_USAGE;
		}
	}
	if (fc_sizes_expand(c->pp_sizes, NULL, 0, &check) || (fc_sizes_free(&check), fc_sizes_expand(c->bw_sizes, NULL, 0, &check)))
		return FC_EXIT_USAGE;
	fc_sizes_free(&check);
	fc_stop_install();
	if (l.rank != 0)
		return fc_pairs_agent(&o, &l);
	/* rank 0: the agent in a process of its own, the coordinator here; the
	 * exit code is the coordinator's */
	fflush(NULL);
	agent = fork();
	if (agent < 0) {
		fc_err("cannot start rank 0's agent: %m");
		return FC_EXIT_FABRIC;
	}
	if (agent == 0)
		_exit(fc_pairs_agent(&o, &l));
	rc = fc_pairs_coordinate(&o, &l);
	/* the agent has its FINISH; a stopped coordinator stops it too */
	if (fc_stop_signal())
		kill(agent, SIGTERM);
	while (waitpid(agent, NULL, 0) < 0 && errno == EINTR)
		;
	return fc_exit_status(rc);
}
