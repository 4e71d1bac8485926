/* spec_lookup.c: draft-free proposals by prompt lookup. Text often repeats
 * what came before (code, names, quoted passages, lists, the loops small
 * models fall into): if the last n tokens occurred earlier, the tokens that
 * followed them then are a good guess for what follows now. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "spec_int.h"

/* The start of the most recent occurrence of hist[n_hist-n..n_hist) that
 * ends before n_hist - 1 (so at least one token follows it), or -1. */
static int
lookup_match(const int32_t *hist, int n_hist, int n)
{
    const int32_t *key = hist + n_hist - n;
    int j;

    for (j = n_hist - n - 1; j >= 0; j--) {
        if (hist[j + n - 1] == key[n - 1] &&
            memcmp(hist + j, key, (size_t)n * sizeof *key) == 0)
            return j;
    }
    return -1;
}

int
spec_lookup(int32_t *hist, int n_hist, int ngram_min, int ngram_max, int max)
{
    int n, i;

    if (max <= 0 || ngram_min < 1)
        return 0;
    for (n = ngram_max; n >= ngram_min; n--) {
        int j, from;

        if (n >= n_hist)
            continue;
        j = lookup_match(hist, n_hist, n);
        if (j < 0)
            continue;
        /* Copy forward one by one: a continuation reaching n_hist reads
         * the proposals just written, i.e. repeats the cycle. */
        from = j + n;
        for (i = 0; i < max; i++)
            hist[n_hist + i] = hist[from + i];
        return max;
    }
    return 0;
}
