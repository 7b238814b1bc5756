/* Slurm's compressed node lists ("gpu-[01-04,07]-ib,login1",
 * "rack[1-2]-n[1-2]") expanded to one name after another, as
 * `scontrol show hostnames` prints them, without running scontrol: the
 * agent reads SLURM_JOB_NODELIST in a task environment that may have no
 * Slurm client, and fabcheck executes nothing it is given. */
#ifndef FC_PAIRS_HOSTLIST_H
#define FC_PAIRS_HOSTLIST_H

#include <stddef.h>

/* Expands list into out as names joined by commas, in Slurm's order
 * (bracket groups left to right, each range in its order, zero padding
 * kept as the range's lower bound writes it). 0; -1 when the list is
 * malformed (an unclosed or empty bracket, a range that goes down, a
 * number past 10^9), names more than FC_HOSTLIST_MAX hosts or does not
 * fit in len: a cut list would name the wrong nodes. */
#define FC_HOSTLIST_MAX 4096
int fc_hostlist_expand(const char *list, char *out, size_t len);

#endif
