/* cli_opts.h: the options that every command running a model shares
 * (generate, chat, bench, the chat screen): models, context, threads,
 * sampling, speculative decoding, system prompt and chat template. Each
 * command adds CLI_RUN_LONGOPTS to its getopt_long table, hands every
 * option to cli_run_option first, and prints cli_run_help in its --help. */
#ifndef TERNCHAT_CLI_OPTS_H
#define TERNCHAT_CLI_OPTS_H

#include <getopt.h>
#include <stdio.h>

#include "sampler.h"
#include "spec.h"

/* Option codes of the shared long options (beyond any short option). */
enum {
    CLI_OPT_TEMP = 1000, CLI_OPT_TOP_K, CLI_OPT_TOP_P, CLI_OPT_MIN_P, CLI_OPT_REPEAT_PENALTY,
    CLI_OPT_REPEAT_LAST_N, CLI_OPT_SEED, CLI_OPT_SPEC, CLI_OPT_DRAFT_MAX, CLI_OPT_DRAFT_MIN,
    CLI_OPT_DRAFT, CLI_OPT_SYSTEM, CLI_OPT_TEMPLATE, CLI_OPT_MODELS_DIR
};

/* Short options of the shared set, for getopt_long's optstring. */
#define CLI_RUN_SHORTOPTS "m:d:c:t:"

/* Entries for a getopt_long table. */
#define CLI_RUN_LONGOPTS \
    { "model", required_argument, NULL, 'm' }, \
    { "draft-model", required_argument, NULL, 'd' }, \
    { "models-dir", required_argument, NULL, CLI_OPT_MODELS_DIR }, \
    { "ctx-size", required_argument, NULL, 'c' }, \
    { "threads", required_argument, NULL, 't' }, \
    { "temp", required_argument, NULL, CLI_OPT_TEMP }, \
    { "top-k", required_argument, NULL, CLI_OPT_TOP_K }, \
    { "top-p", required_argument, NULL, CLI_OPT_TOP_P }, \
    { "min-p", required_argument, NULL, CLI_OPT_MIN_P }, \
    { "repeat-penalty", required_argument, NULL, CLI_OPT_REPEAT_PENALTY }, \
    { "repeat-last-n", required_argument, NULL, CLI_OPT_REPEAT_LAST_N }, \
    { "seed", required_argument, NULL, CLI_OPT_SEED }, \
    { "spec", required_argument, NULL, CLI_OPT_SPEC }, \
    { "draft-max", required_argument, NULL, CLI_OPT_DRAFT_MAX }, \
    { "draft-min", required_argument, NULL, CLI_OPT_DRAFT_MIN }, \
    { "draft", required_argument, NULL, CLI_OPT_DRAFT }, \
    { "system", required_argument, NULL, CLI_OPT_SYSTEM }, \
    { "chat-template", required_argument, NULL, CLI_OPT_TEMPLATE }

/* The shared settings. */
typedef struct cli_run {
    const char *model;      /* -m: target model, NULL until resolved */
    const char *draft;      /* -d: draft model or NULL */
    const char *models_dir; /* --models-dir */
    long n_ctx;             /* -c; 0: the model's, capped at 4096 */
    long n_threads;         /* -t; default: online CPUs */
    sampler_params sp;      /* sampling */
    int seed_given;         /* --seed was given */
    spec_params pp;         /* speculative decoding */
    int spec_given;         /* --spec was given */
    int draft_fixed;        /* --draft N was given */
    int draft_range;        /* --draft-min or --draft-max was given */
    const char *system;     /* --system */
    const char *chat_template; /* --chat-template */
    int default_models;     /* the shipped pair is used (no -m) */
    char *owned[2];         /* resolved default paths (freed by cli_run_free) */
} cli_run;

void cli_run_init(cli_run *r);
void cli_run_free(cli_run *r);
/* Handle option c (from getopt_long, with optarg arg) if it is a shared
 * one. Returns -1 when it is not, 0 when handled, or an exit status after
 * printing a usage error (cmd names the command in the message). */
int cli_run_option(cli_run *r, const char *cmd, int c, const char *arg);
/* After parsing: check combinations, pick a seed, and find the default
 * models when no -m was given (the shipped draft too, unless --spec says
 * otherwise). Returns -1 to go on, or an exit status after printing. */
int cli_run_finish(cli_run *r, const char *cmd);
/* The --help lines of the shared options (models, sampling, speculative
 * decoding; with_chat adds --system and --chat-template). */
void cli_run_help(FILE *f, int with_chat);

#endif
