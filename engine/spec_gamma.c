/* spec_gamma.c: choosing the draft length of each round.
 *
 * With per-token acceptance rate a, a round that drafts gamma tokens yields
 * E = (1 - a^(gamma+1)) / (1 - a) tokens (Leviathan et al. 2023) and costs
 * gamma draft steps plus one verification pass of gamma + 1 tokens; the
 * length with the most tokens per second is chosen. The paper takes the
 * pass as constant; on a CPU it grows with the batch, so the cost of a
 * pass is measured for each size that has been run and interpolated in
 * between. A cost is the least of its last SPEC_TIME_WINDOW times: noise
 * from other programs only ever adds time, and with full windows every
 * size is judged by as many samples. Sizes above the largest measured one
 * are assumed to cost it plus the slope of the two largest measured ones,
 * at least SPEC_FIXED_SLOPE of its cost per token (so a cold start tries a
 * short proposal first, not the longest: on a small compute-bound target a
 * 17-token pass costs ~16 single passes), and sizes below the smallest in
 * proportion to their size: both guesses lean towards trying the sizes not
 * yet measured (larger ones when acceptance is high, smaller ones, down to
 * plain decoding, when it is low), which are then measured and the guess
 * replaced. (With fixed costs nothing is measured: a draft step costs c0
 * passes and a pass of n tokens 1 + SPEC_FIXED_SLOPE (n - 1), so that the
 * choice depends on the acceptance history alone and a seeded run repeats
 * exactly.) The acceptance rate is a decayed count over recent proposals,
 * started from a prior of one half. gamma 0 (plain decoding) wins when the
 * draft is poor; every SPEC_PROBE_EVERY rounds one round takes the other
 * side (a draft of 2 when 0 is best, else 0) to keep the estimates fresh,
 * except when no acceptance rate could make drafting pay; the interval
 * between drafting probes doubles (up to SPEC_PROBE_MAX) while they keep
 * failing, as each also has to bring the draft's cache up to date. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "spec_int.h"

#define GAMMA_DECAY 0.98     /* weight kept per later judged proposal */
#define GAMMA_PRIOR_N 2.0    /* pseudo-proposals of the prior */
#define GAMMA_PRIOR_A 0.5    /* prior acceptance rate */
#define GAMMA_ALPHA_MAX 0.999

void
spec_gamma_init(spec_gamma *g, int min, int max, double c0, int fixed_costs)
{
    int i;

    memset(g, 0, sizeof *g);
    g->min = min;
    g->max = max;
    g->c0 = c0;
    g->td = -1.0;
    g->probe_every = SPEC_PROBE_EVERY;
    g->fixed_costs = fixed_costs;
    if (fixed_costs) {
        g->td = c0;
        for (i = 1; i < SPEC_DRAFT_LIMIT + 2; i++)
            g->tv[i] = 1.0 + SPEC_FIXED_SLOPE * (i - 1);
    }
}

double
spec_gamma_alpha(const spec_gamma *g)
{
    double a = (g->acc + GAMMA_PRIOR_A * GAMMA_PRIOR_N) / (g->trials + GAMMA_PRIOR_N);

    return a < GAMMA_ALPHA_MAX ? a : GAMMA_ALPHA_MAX;
}

void
spec_gamma_observe(spec_gamma *g, int proposed, int accepted)
{
    int i;

    /* Proposals are judged in order until the first rejection. */
    for (i = 0; i < proposed && i <= accepted; i++) {
        g->acc = g->acc * GAMMA_DECAY + (i < accepted ? 1.0 : 0.0);
        g->trials = g->trials * GAMMA_DECAY + 1.0;
    }
}

/* Record a time in a window and return the least time in it. */
static double
window_min(double *win, int *pos, double x)
{
    double m = x;
    int i;

    win[*pos] = x;
    *pos = (*pos + 1) % SPEC_TIME_WINDOW;
    for (i = 0; i < SPEC_TIME_WINDOW; i++)
        if (win[i] > 0.0 && win[i] < m)
            m = win[i];
    return m;
}

void
spec_gamma_time_draft(spec_gamma *g, double seconds)
{
    if (g->fixed_costs || !(seconds >= 0.0))
        return;
    g->td = window_min(g->td_win, &g->td_pos, seconds > 0.0 ? seconds : 1e-12);
}

void
spec_gamma_time_verify(spec_gamma *g, int n, double seconds)
{
    if (g->fixed_costs || n < 1 || n > SPEC_DRAFT_LIMIT + 1 || !(seconds > 0.0))
        return;
    g->tv[n] = window_min(g->tv_win[n], &g->tv_pos[n], seconds);
}

double
spec_gamma_tv(const spec_gamma *g, int n)
{
    int lo, hi;

    if (n < 1)
        n = 1;
    if (n > SPEC_DRAFT_LIMIT + 1)
        n = SPEC_DRAFT_LIMIT + 1;
    if (g->tv[n] > 0.0)
        return g->tv[n];
    for (lo = n - 1; lo >= 1 && !(g->tv[lo] > 0.0); lo--)
        ;
    for (hi = n + 1; hi <= SPEC_DRAFT_LIMIT + 1 && !(g->tv[hi] > 0.0); hi++)
        ;
    if (lo >= 1 && hi <= SPEC_DRAFT_LIMIT + 1)
        return g->tv[lo] + (g->tv[hi] - g->tv[lo]) * (double)(n - lo) / (double)(hi - lo);
    if (lo >= 1) {
        /* above the largest size measured: its cost plus the slope of the
         * two largest (at least SPEC_FIXED_SLOPE of its own cost per
         * token, the cost the fixed model assumes, also when it is the
         * only one measured) */
        double slope = SPEC_FIXED_SLOPE * g->tv[lo] / (double)lo;
        int lo2;

        for (lo2 = lo - 1; lo2 >= 1 && !(g->tv[lo2] > 0.0); lo2--)
            ;
        if (lo2 >= 1 && (g->tv[lo] - g->tv[lo2]) / (double)(lo - lo2) > slope)
            slope = (g->tv[lo] - g->tv[lo2]) / (double)(lo - lo2);
        return g->tv[lo] + slope * (double)(n - lo);
    }
    if (hi <= SPEC_DRAFT_LIMIT + 1)
        return g->tv[hi] * (double)n / (double)hi;
    return 0.0;
}


/* The draft length in lo..hi with the most expected tokens per second at
 * acceptance rate a. */
static int
best_gamma(const spec_gamma *g, double a, int lo, int hi)
{
    double tv1 = spec_gamma_tv(g, 1), td, best_rate = -1.0;
    int gm, best = lo;

    if (!(tv1 > 0.0))
        tv1 = 1.0; /* nothing measured yet: work in units of one pass */
    td = g->td >= 0.0 ? g->td : g->c0 * tv1;
    for (gm = lo; gm <= hi; gm++) {
        double tv = spec_gamma_tv(g, gm + 1);
        double e = (1.0 - pow(a, gm + 1)) / (1.0 - a);
        double rate;

        if (!(tv > 0.0)) /* nothing measured yet: the fixed model's slope */
            tv = tv1 * (1.0 + SPEC_FIXED_SLOPE * gm);
        rate = e / (gm * td + tv);
        if (rate > best_rate * (1.0 + 1e-9)) {
            best_rate = rate;
            best = gm;
        }
    }
    return best;
}

int
spec_gamma_choose(spec_gamma *g, int limit)
{
    int hi = g->max < limit ? g->max : limit;
    int lo = g->min < hi ? g->min : hi;
    int best;

    if (hi <= 0)
        return 0;
    if (lo == hi)
        return hi;
    best = best_gamma(g, spec_gamma_alpha(g), lo, hi);
    /* Every SPEC_PROBE_EVERY rounds the other side of 0 gets a turn: a
     * draft that looked useless is tried again, unless the costs rule it
     * out even at full acceptance (a draft as slow as the target), and
     * while drafting, plain decoding is timed again (a stale cost of
     * either would stick). */
    if (best > 0)
        g->probe_every = SPEC_PROBE_EVERY;
    if (++g->probe_run >= g->probe_every) {
        g->probe_run = 0;
        if (best == 0 && best_gamma(g, GAMMA_ALPHA_MAX, lo, hi) > 0) {
            /* Each probe that finds the draft still useless waits twice
             * as long for the next. */
            if (g->probe_every < SPEC_PROBE_MAX)
                g->probe_every *= 2;
            return lo > 2 ? lo : hi < 2 ? hi : 2; /* 2: one single draft step to time */
        }
        if (best > 0 && lo == 0)
            return 0;
    }
    return best;
}
