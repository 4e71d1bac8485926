/* gguf_sigbus.c: a model file truncated (or rewritten in place) while it
 * is mapped makes the next read of a page past its new end raise SIGBUS.
 * The reader registers each mapping here; a SIGBUS handler installed on
 * the first mapping turns a fault inside one of them into a clear message
 * ("model file X changed on disk while in use") and exits with status 1,
 * after the program's fatal hook (xmalloc_set_fatal_hook: the chat screen
 * restores the terminal there). Any other SIGBUS goes to the handler that
 * was installed before, or kills the process as usual. A file replaced by
 * a new one (rename) is harmless: the old mapping stays valid. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "gguf_int.h"
#include "xmalloc.h"

#define MAX_MAPS 64    /* mappings tracked at once (more are not guarded) */
#define NAME_MAX_LEN 512

/* One registered mapping. */
struct map_slot {
    _Atomic uintptr_t base; /* start, 0 when the slot is free */
    size_t len;             /* bytes mapped */
    char name[NAME_MAX_LEN];/* the file's path, for the message */
};

static struct map_slot maps[MAX_MAPS];
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction old_bus;  /* the handler before ours */

static void
put(const char *s)
{
    size_t n = strlen(s);

    while (n > 0) {
        ssize_t w = write(2, s, n);

        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void
on_sigbus(int sig, siginfo_t *si, void *ctx)
{
    uintptr_t a = (uintptr_t)si->si_addr;

    for (int i = 0; i < MAX_MAPS; i++) {
        uintptr_t b = atomic_load(&maps[i].base);

        if (b != 0 && a >= b && a - b < maps[i].len) {
            xmalloc_run_fatal_hook();
            put("ternchat: model file ");
            put(maps[i].name);
            put(" changed on disk while in use (truncated or overwritten); stopping\n");
            _exit(1);
        }
    }
    /* not ours: as if we were not here */
    if (old_bus.sa_flags & SA_SIGINFO) {
        if (old_bus.sa_sigaction != NULL) {
            old_bus.sa_sigaction(sig, si, ctx);
            return;
        }
    } else if (old_bus.sa_handler != SIG_DFL && old_bus.sa_handler != SIG_IGN) {
        old_bus.sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Put our handler in place unless it already is (something installed
 * after us, e.g. the chat screen's, is chained to). maps_lock is held. */
static void
install(void)
{
    struct sigaction sa, cur;

    if (sigaction(SIGBUS, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
        cur.sa_sigaction == on_sigbus)
        return;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGBUS, &sa, &old_bus);
}

void
gguf_map_register(const void *base, size_t len, const char *name)
{
    pthread_mutex_lock(&maps_lock);
    install();
    for (int i = 0; i < MAX_MAPS; i++) {
        if (atomic_load(&maps[i].base) == 0) {
            size_t n = strlen(name);

            if (n >= NAME_MAX_LEN)
                n = NAME_MAX_LEN - 1;
            memcpy(maps[i].name, name, n);
            maps[i].name[n] = '\0';
            gguf_one_line(maps[i].name);
            maps[i].len = len;
            atomic_store(&maps[i].base, (uintptr_t)base);
            break;
        }
    }
    pthread_mutex_unlock(&maps_lock);
}

void
gguf_map_unregister(const void *base)
{
    pthread_mutex_lock(&maps_lock);
    for (int i = 0; i < MAX_MAPS; i++)
        if (atomic_load(&maps[i].base) == (uintptr_t)base)
            atomic_store(&maps[i].base, 0);
    pthread_mutex_unlock(&maps_lock);
}
