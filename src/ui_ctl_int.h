/* ui_ctl_int.h: the controller's state, shared by ui_ctl.c (life cycle
 * and the conversation requests), ui_ctl_ev.c (engine events, speed
 * numbers, status line) and ui_ctl_hist.c (opening, browsing, searching
 * and the statistics page). */
#ifndef TERNCHAT_UI_CTL_INT_H
#define TERNCHAT_UI_CTL_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ui_ctl.h"

/* Conversations per page of the browser and of the list on the left. */
#define UI_CTL_PAGE 100
/* Tokens/s "now" is measured over this many seconds. */
#define UI_CTL_NOW_S 1.0
/* Pieces remembered for it. */
#define UI_CTL_RING 64

struct ui_ctl {
    ui *u;                   /* the screen */
    conf *cfg;               /* a copy of the settings */
    engine *e;               /* the engine thread */
    store *st;               /* the database, or NULL */
    char *store_problem;     /* why there is no database, or NULL */
    convo_env env;           /* names the replies are saved under */
    convo *c;                /* the open conversation */
    char *target_path;       /* the target model */
    char *draft_path;        /* the draft model, or NULL */
    const char *target_name; /* its file name (in target_path) */
    sampler_params sp;       /* sampling for the next reply */
    spec_params pp;          /* speculation for the next reply */
    int n_predict;           /* most tokens per reply */
    int loaded;              /* the models are ready */
    char *load_error;        /* why they did not load, or NULL */
    int orig_quant;          /* the target's weight type in its file (-1: not known yet) */
    int cur_quant;           /* the type it runs on now */
    char quant_name[16];     /* its name (env.quant points here) */
    uint64_t quant_req;      /* a quant switch being made (0: none) */
    int quant_want;          /* the type it switches to */
    uint64_t reply_req;      /* the reply being streamed (0: none) */
    size_t reply_msg;        /* its message on the screen */
    double t_sent;           /* when it was asked for */
    double t_first;          /* when its first piece came (0: none yet) */
    long n_tok;              /* tokens of it so far (estimated from the pieces) */
    long n_acc;              /* of those, accepted draft proposals */
    int last_ctx;            /* the context's tokens at the last piece (0: none yet) */
    double ring_t[UI_CTL_RING]; /* times of recent pieces */
    int ring_n[UI_CTL_RING]; /* their tokens */
    size_t ring_pos;         /* next slot */
    char *ctx_msg;           /* the last context overflow message, or NULL */
    ui_stats stats;          /* the speed panel */
    char spec_name[16];      /* speculation mode shown */
    char *warned;            /* the store warning last shown, or NULL */
    volatile sig_atomic_t in_store; /* store code is running (the crash hook keeps off) */
};

/* ui_ctl_ev.c */
/* Handle one engine event. */
void ui_ctl_event(ui_ctl *c, const engine_event *ev);
/* Redo the status line. */
void ui_ctl_status(ui_ctl *c);
/* Show a store warning once (and keep the status line's marker). */
void ui_ctl_check_warning(ui_ctl *c);
/* A reply was asked for: reset the numbers, add its message, go busy. */
void ui_ctl_reply_started(ui_ctl *c, uint64_t req);
/* The crash hook: save the streaming reply if the store is not in use. */
void ui_ctl_crash(void *arg);

/* ui_ctl_hist.c */
/* Show the conversation c->c on the screen (replacing what is there). */
void ui_ctl_show_convo(ui_ctl *c);
/* Refill the list on the left from the store. */
void ui_ctl_refresh_list(ui_ctl *c);
/* "12:30" today, "2 Mar" this year, "2 Mar 2025" before; with_time adds
 * the time to older dates. */
void ui_ctl_when(int64_t ms, int with_time, char *buf, size_t bufsz);
int ui_ctl_open(ui_ctl *c, const ui_request *r, char *err, size_t errsz);
int ui_ctl_search(ui_ctl *c, const ui_request *r, char *err, size_t errsz);
int ui_ctl_browse(ui_ctl *c, const ui_request *r, char *err, size_t errsz);
int ui_ctl_stats_page(ui_ctl *c, char *err, size_t errsz);
int ui_ctl_export(ui_ctl *c, const char *path, char *err, size_t errsz);

#endif
