/* bench.h: the measuring helpers of `ternchat bench`: robust summaries of
 * repeated timings, a memory-bandwidth probe, what the CPU is and can do,
 * and the peak resident memory. */
#ifndef TERNCHAT_BENCH_H
#define TERNCHAT_BENCH_H

#include <stddef.h>

#include "model.h"
#include "spec.h"
#include "tok.h"

/* Summary of repeated measurements. */
typedef struct bench_stat {
    double median;  /* the middle value (mean of the two middle ones) */
    double min;     /* smallest */
    double max;     /* largest */
    double mad;     /* median absolute deviation from the median */
    int n;          /* measurements */
} bench_stat;

/* Summarise v[0..n) (n >= 1; v is not changed). */
void bench_stat_of(const double *v, int n, bench_stat *out);
/* Read bandwidth in bytes per second: a buffer of bytes is written once,
 * then read by n_threads threads reps times; the best pass counts. Returns
 * 0 if the buffer cannot be allocated. */
double bench_bandwidth(size_t bytes, int n_threads, int reps);
/* The CPU's model name ("?" if unknown). */
void bench_cpu_name(char *buf, size_t sz);
/* The CPU flags that matter to the kernels, space-separated (avx2 fma f16c
 * avx512f avx512bw avx512vl avx512vnni avx512vbmi gfni), or "none". */
void bench_cpu_flags(char *buf, size_t sz);
/* Peak resident memory of the process in bytes. */
size_t bench_peak_rss(void);
/* Leviathan et al.'s expected speedup of speculative decoding for
 * acceptance rate alpha, draft length gamma and cost ratio c:
 * (1 - alpha^(gamma+1)) / ((1 - alpha)(gamma c + 1)). */
double bench_spec_speedup(double alpha, double gamma, double c);

/* Target-only versus speculative generation over the same prompts. */
typedef struct bench_spec_result {
    int mode;               /* enum spec_mode of the speculative runs */
    int n_prompts;          /* prompts per repeat */
    long n_tokens;          /* tokens generated per mode in one repeat */
    bench_stat base_tps;    /* target alone: tokens/s of each repeat */
    bench_stat spec_tps;    /* speculative: tokens/s of each repeat */
    double accept_rate;     /* accepted / proposed, all speculative runs */
    double gamma_mean;      /* proposals per verification round */
    double cost_ratio;      /* c: time of one proposal / time of one verification */
    double speedup;         /* median speculative / median target-only tokens/s */
    double speedup_pred;    /* bench_spec_speedup(accept_rate, gamma_mean, cost_ratio) */
    int identical;          /* greedy: both produced the same tokens */
} bench_spec_result;

/* Generate up to n_gen greedy tokens for each prompt (already tokenized,
 * through the chat template) with the target alone and with speculation
 * (pp; draft and dctx NULL for lookup), repeats times. Returns 0, or -1
 * with a message. */
int bench_spec_run(const model *target, model_ctx *tctx, const model *draft, model_ctx *dctx,
                   const tok *tk, const spec_params *pp, const tok_ids *prompts, int n_prompts,
                   int n_gen, int repeats, bench_spec_result *out, char *err, size_t errsz);

#endif
