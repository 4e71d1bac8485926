/* pool.c: the persistent thread pool. A run publishes a job (function,
 * argument, item count), bumps a generation counter and wakes the workers;
 * every thread, the caller included, takes chunks of items from an atomic
 * counter until none are left, and the caller waits until the last worker
 * has finished its chunk. Workers and the caller spin briefly before
 * sleeping on a condition variable, so that runs following each other
 * quickly (the matmuls of one token) do not pay for a wake-up each. */
#include "config.h"

#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "xmalloc.h"

/* Iterations of the busy-wait before blocking. */
#define POOL_SPIN 2000

struct pool {
    int n_threads;             /* caller + started workers */
    pthread_t *threads;        /* the n_threads - 1 workers */
    struct pool_worker *args;  /* per-worker start arguments */
    pthread_mutex_t mu;        /* guards sleeping on the two conditions */
    pthread_cond_t start;      /* signalled when gen changes */
    pthread_cond_t done;       /* signalled when active drops to 0 */
    atomic_uint gen;           /* job generation, bumped by each run */
    atomic_int quit;           /* set by pool_free */
    atomic_int active;         /* workers still in the current job */
    atomic_llong next;         /* next item to hand out */
    pool_fn fn;                /* current job: function */
    void *arg;                 /* current job: its argument */
    int64_t n_items;           /* current job: number of items */
    int64_t chunk;             /* current job: items per take */
};

/* What a worker thread is started with. */
struct pool_worker {
    pool *p;    /* the pool */
    int index;  /* thread index, 1..n_threads-1 */
};

static inline void
pool_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Take chunks of the current job until none are left. */
static void
pool_work(pool *p, int thread)
{
    for (;;) {
        int64_t b = atomic_fetch_add(&p->next, p->chunk);
        int64_t e;

        if (b >= p->n_items)
            break;
        e = b + p->chunk < p->n_items ? b + p->chunk : p->n_items;
        p->fn(p->arg, b, e, thread);
    }
}

static void *
pool_main(void *v)
{
    struct pool_worker *w = v;
    pool *p = w->p;
    unsigned seen = 0;

    for (;;) {
        int i;

        for (i = 0; i < POOL_SPIN && atomic_load(&p->gen) == seen; i++)
            pool_relax();
        if (atomic_load(&p->gen) == seen) {
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->gen) == seen)
                pthread_cond_wait(&p->start, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        seen = atomic_load(&p->gen);
        if (atomic_load(&p->quit))
            break;
        pool_work(p, w->index);
        if (atomic_fetch_sub(&p->active, 1) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

pool *
pool_new(int n_threads)
{
    pool *p = xcalloc(1, sizeof *p);
    int i;

    if (n_threads < 1)
        n_threads = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->quit, 0);
    atomic_init(&p->active, 0);
    atomic_init(&p->next, 0);
    p->n_threads = 1;
    if (n_threads > 1) {
        p->threads = xcalloc((size_t)n_threads - 1, sizeof *p->threads);
        p->args = xcalloc((size_t)n_threads - 1, sizeof *p->args);
        for (i = 0; i < n_threads - 1; i++) {
            p->args[i].p = p;
            p->args[i].index = i + 1;
            if (pthread_create(&p->threads[i], NULL, pool_main, &p->args[i]) != 0)
                break;
            p->n_threads++;
        }
    }
    return p;
}

void
pool_free(pool *p)
{
    int i;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, 1);
    atomic_fetch_add(&p->gen, 1);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (i = 0; i < p->n_threads - 1; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->start);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p->args);
    free(p);
}

int
pool_n_threads(const pool *p)
{
    return p != NULL ? p->n_threads : 1;
}

void
pool_run(pool *p, pool_fn fn, void *arg, int64_t n_items)
{
    int64_t chunk;
    int i;

    if (n_items <= 0)
        return;
    if (p == NULL || p->n_threads == 1 || n_items == 1) {
        fn(arg, 0, n_items, 0);
        return;
    }
    /* about four chunks per thread: balances uneven threads cheaply */
    chunk = n_items / ((int64_t)p->n_threads * 4);
    if (chunk < 1)
        chunk = 1;
    p->fn = fn;
    p->arg = arg;
    p->n_items = n_items;
    p->chunk = chunk;
    atomic_store(&p->next, 0);
    atomic_store(&p->active, p->n_threads - 1);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->gen, 1);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);

    pool_work(p, 0);

    for (i = 0; i < POOL_SPIN && atomic_load(&p->active) > 0; i++)
        pool_relax();
    if (atomic_load(&p->active) > 0) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->active) > 0)
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}
