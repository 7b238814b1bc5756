#include <stdlib.h>
#include <string.h>

#include "pairs_schedule.h"

#include "errors.h"

static int round_init(struct fc_round *r, int n)
{
	r->n = n;
	r->partner = malloc((size_t)n * sizeof(int));
	if (!r->partner)
		return -FC_EXIT_FABRIC;
	for (int i = 0; i < n; i++)
		r->partner[i] = -1;
	return 0;
}

void fc_rounds_free(struct fc_round *rounds, int nrounds)
{
	for (int i = 0; rounds && i < nrounds; i++)
		free(rounds[i].partner);
	free(rounds);
}

/* The circle method: node 0 stays, the others rotate one place per round;
 * an odd count gets a phantom node whose partner sits the round out. */
int fc_schedule_full(int n, struct fc_round **out, int *nrounds)
{
	int m = n % 2 ? n + 1 : n, k = m - 1;
	struct fc_round *rounds;

	*out = NULL;
	*nrounds = 0;
	if (n < 2)
		return 0;
	if (!(rounds = calloc((size_t)k, sizeof(*rounds))))
		return -FC_EXIT_FABRIC;
	for (int r = 0; r < k; r++) {
		if (round_init(&rounds[r], n)) {
			fc_rounds_free(rounds, r);
			return -FC_EXIT_FABRIC;
		}
		for (int i = 0; i < m / 2; i++) {
			/* positions i and m-1-i of the circle after r rotations */
			int a = i == 0 ? 0 : 1 + (i - 1 + r) % (m - 1);
			int b = 1 + (m - 2 - i + r) % (m - 1);
			if (a < n && b < n) {
				rounds[r].partner[a] = b;
				rounds[r].partner[b] = a;
			}
		}
	}
	*out = rounds;
	*nrounds = k;
	return 0;
}

static uint64_t next(uint64_t *s)
{
	/* splitmix64: small, seedable, good enough to shuffle nodes */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int fc_schedule_random(int n, const bool *use, uint64_t *seed, struct fc_round *round)
{
	int *order = malloc((size_t)(n ? n : 1) * sizeof(int)), k = 0;

	if (!order || round_init(round, n)) {
		free(order);
		return -FC_EXIT_FABRIC;
	}
	for (int i = 0; i < n; i++)
		if (!use || use[i])
			order[k++] = i;
	for (int i = k - 1; i > 0; i--) { /* Fisher-Yates */
		int j = (int)(next(seed) % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i + 1 < k; i += 2) {
		round->partner[order[i]] = order[i + 1];
		round->partner[order[i + 1]] = order[i];
	}
	free(order);
	return 0;
}

int fc_schedule_recheck(int n, const bool *suspect, const bool *good, const bool *met, struct fc_round *round)
{
	int paired = 0;

	if (round_init(round, n))
		return -FC_EXIT_FABRIC;
	for (int s = 0; s < n; s++) {
		if (!suspect[s])
			continue;
		for (int g = 0; g < n; g++) {
			if (!good[g] || g == s || round->partner[g] >= 0 || met[s * n + g])
				continue;
			round->partner[s] = g;
			round->partner[g] = s;
			paired++;
			break;
		}
	}
	return paired;
}
