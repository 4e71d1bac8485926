/* input_hist.c: the input box's history of earlier prompts: Up on the
 * first line shows the previous one, Down on the last line the next; the
 * text being written is kept and comes back after the newest entry. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "input_int.h"
#include "xmalloc.h"

void
input_history_add(input *in, const char *s)
{
    const char *p = s;

    while (*p == ' ' || *p == '\n' || *p == '\t')
        p++;
    if (*p == '\0')
        return;
    if (in->n_hist > 0 && strcmp(in->hist[in->n_hist - 1], s) == 0)
        return;
    if (in->n_hist == INPUT_HISTORY_MAX) {
        free(in->hist[0]);
        memmove(in->hist, in->hist + 1, (in->n_hist - 1) * sizeof *in->hist);
        in->n_hist--;
    }
    in->hist = xreallocarray(in->hist, in->n_hist + 1, sizeof *in->hist);
    in->hist[in->n_hist++] = xstrdup(s);
    in->hpos = in->n_hist;
    free(in->draft);
    in->draft = NULL;
}

size_t
input_history_count(const input *in)
{
    return in->n_hist;
}

int
input_hist_move(input *in, int dir)
{
    if (dir < 0) {
        if (in->hpos == 0)
            return INPUT_HANDLED;
        if (in->hpos == in->n_hist) {
            free(in->draft);
            in->draft = xstrdup(in->text);
        }
        in->hpos--;
        input_set(in, in->hist[in->hpos], strlen(in->hist[in->hpos]));
    } else {
        if (in->hpos >= in->n_hist)
            return INPUT_HANDLED;
        in->hpos++;
        if (in->hpos == in->n_hist) {
            const char *d = in->draft != NULL ? in->draft : "";

            input_set(in, d, strlen(d));
            free(in->draft);
            in->draft = NULL;
        } else {
            input_set(in, in->hist[in->hpos], strlen(in->hist[in->hpos]));
        }
    }
    in->goal = -1;
    return INPUT_HANDLED;
}

char *
input_take(input *in)
{
    char *s = xstrdup(in->text);

    input_history_add(in, s);
    in->hpos = in->n_hist;
    free(in->draft);
    in->draft = NULL;
    in->len = in->cur = 0;
    in->text[0] = '\0';
    in->goal = -1;
    return s;
}
