/* ui_ctl.h: the chat screen's controller. It owns the engine, the store
 * and the open conversation (convo.h) and answers the screen's requests
 * (ui.h): prompts, stop, regenerate, edit, system prompt, settings, the
 * quant switch, new / open / rename / delete / export, search, the
 * browser and the statistics page. Engine events stream the reply into
 * the screen and the store and update the speed panel, the progress bar
 * and the status line. cli_ui() (cli_ui.c) parses the options and runs it;
 * the tests drive it without a terminal through the same callbacks:
 *
 *     c = ui_ctl_new(&cfg, err, sizeof err);
 *     ui_run(ui_ctl_ui(c), ...);           // or ui_ctl_request(...) in tests
 *     ui_ctl_free(c);                      // stops and saves a running reply
 */
#ifndef TERNCHAT_UI_CTL_H
#define TERNCHAT_UI_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "convo.h"
#include "engine.h"
#include "sampler.h"
#include "spec.h"
#include "store.h"
#include "ui.h"

/* What the controller starts with (strings are copied). */
typedef struct ui_ctl_config {
    const conf *cfg;           /* the settings (file merged with options): screen, system prompt */
    const char *target_path;   /* the target model */
    const char *draft_path;    /* the draft model, or NULL */
    int n_ctx;                 /* context size (0: the model's, capped) */
    int n_threads;             /* threads (0: online CPUs) */
    const char *chat_template; /* built-in template name, or NULL */
    sampler_params sp;         /* sampling of the replies */
    spec_params pp;            /* speculative decoding */
    int n_predict;             /* most tokens per reply (-1: no limit) */
    const char *db;            /* the database (NULL: the default path) */
    int no_save;               /* 1: no database, the chat is kept in memory */
    int64_t conv_id;           /* open this saved conversation (0: a new one) */
} ui_ctl_config;

typedef struct ui_ctl ui_ctl;

/* Make the screen, open the database (a failure is a warning: the chat
 * goes on in memory), start the engine (the models load in the
 * background) and open conv_id. NULL with a message when the engine
 * cannot start, the screen's settings are bad or conv_id cannot be
 * opened. */
ui_ctl *ui_ctl_new(const ui_ctl_config *cc, char *err, size_t errsz);
/* Stop a running reply (its text is saved, marked stopped), end the
 * session, stop the engine, close the store, free the screen. */
void ui_ctl_free(ui_ctl *c);

/* The screen it drives (its callbacks are the three below). */
ui *ui_ctl_ui(ui_ctl *c);
/* The callbacks (ui_callbacks), for tests. */
int ui_ctl_request(void *ud, const ui_request *r, char *err, size_t errsz);
void ui_ctl_readable(void *ud);
void ui_ctl_tick(void *ud);
/* Handle engine events until the models are loaded and no reply or quant
 * switch is running, or timeout_ms passes (tests, shutdown). Returns 1
 * when idle, 0 on timeout. */
int ui_ctl_settle(ui_ctl *c, int timeout_ms);

/* The open conversation, the store (NULL: none), the session. */
const convo *ui_ctl_convo(const ui_ctl *c);
store *ui_ctl_store(const ui_ctl *c);
int64_t ui_ctl_session(const ui_ctl *c);
/* The weight type the target runs on now ("f32"...), "" before loading. */
const char *ui_ctl_quant(const ui_ctl *c);
/* The weight type the quant key switches to next from cur, in the cycle
 * original (the file's type) -> q8_0 -> tq2_0 -> tq1_0 -> original. */
int ui_ctl_next_quant(int original, int cur);

#endif
