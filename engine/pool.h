/* pool.h: a persistent pthread pool for data-parallel loops. The caller
 * thread works too; pool_run() returns once every item is done, so each run
 * is one fork and one barrier, and no thread is created per call. */
#ifndef TERNCHAT_POOL_H
#define TERNCHAT_POOL_H

#include <stdint.h>

typedef struct pool pool;

/* Work on items [begin, end); thread is 0 for the caller, 1..n-1 for the
 * workers (an index for per-thread scratch). */
typedef void (*pool_fn)(void *arg, int64_t begin, int64_t end, int thread);

/* A pool of n_threads threads counting the caller (n_threads - 1 workers
 * are started; 1 or less starts none). If the system refuses threads the
 * pool is smaller: see pool_n_threads(). */
pool *pool_new(int n_threads);
void pool_free(pool *p);
/* Threads that take part in a run, the caller included (1 for p == NULL). */
int pool_n_threads(const pool *p);
/* Call fn over items [0, n_items) split into chunks that the threads take
 * in turn; returns when all are done. p may be NULL (the caller does all).
 * Not reentrant: fn must not call pool_run on the same pool. */
void pool_run(pool *p, pool_fn fn, void *arg, int64_t n_items);

#endif
