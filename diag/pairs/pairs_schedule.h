/* Which nodes meet in which round. Full mode: every unordered pair once,
 * in rounds of disjoint pairs (the circle method: N-1 rounds for even N, N
 * rounds with a bye each for odd N), so a node meets one peer per round
 * and a NIC's counters in a round belong to that peer. Sweep mode: R
 * random perfect matchings, then each suspect re-paired with distinct
 * known-good nodes, then the original failing pair once more: a constant
 * number of rounds whatever N. */
#ifndef FC_PAIRS_SCHEDULE_H
#define FC_PAIRS_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

/* A round: partner[i] is node i's peer, or -1 (a bye). */
struct fc_round {
	int n;
	int *partner;
};

/* Full mode over n nodes: *rounds of them (n-1 or n). 0, or -FC_EXIT_FABRIC
 * out of memory (so do the others). */
int fc_schedule_full(int n, struct fc_round **rounds, int *nrounds);
/* One random perfect matching of the nodes in use[] (a bye when odd),
 * from a seed: the same seed gives the same round. */
int fc_schedule_random(int n, const bool *use, uint64_t *seed, struct fc_round *round);
/* Re-pairing of suspects: each suspect s meets a good node it has not met
 * (met[s * n + g] false), distinct goods per round. Returns how many
 * suspects got a partner. */
int fc_schedule_recheck(int n, const bool *suspect, const bool *good, const bool *met, struct fc_round *round);
void fc_rounds_free(struct fc_round *rounds, int nrounds);

#endif
