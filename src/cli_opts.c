/* cli_opts.c: parsing, checking and documenting the options shared by the
 * commands that run a model, and finding the shipped default models when
 * the user names none. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "modeldir.h"
#include "xmalloc.h"

void
cli_run_init(cli_run *r)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    memset(r, 0, sizeof *r);
    r->n_threads = ncpu > 0 ? ncpu : 1;
    sampler_params_default(&r->sp);
    spec_params_default(&r->pp);
}

void
cli_run_free(cli_run *r)
{
    free(r->owned[0]);
    free(r->owned[1]);
    r->owned[0] = r->owned[1] = NULL;
}

/* Parse a seed: any unsigned 64-bit decimal. */
static int
parse_seed(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long u;

    if (*s == '\0' || *s == '-' || *s == '+')
        return -1;
    u = strtoull(s, &end, 10);
    if (*end != '\0')
        return -1;
    *out = u;
    return 0;
}

int
cli_run_option(cli_run *r, const char *cmd, int c, const char *arg)
{
    long l;
    double d;

    switch (c) {
    case 'm':
        r->model = arg;
        return 0;
    case 'd':
        r->draft = arg;
        return 0;
    case CLI_OPT_MODELS_DIR:
        r->models_dir = arg;
        return 0;
    case 'c':
        if (cli_parse_long(arg, 0, INT32_MAX, &r->n_ctx) != 0)
            return cli_usage_error(cmd, "-c wants a context size >= 0, not '%s'", arg);
        return 0;
    case 't':
        if (cli_parse_long(arg, 1, 512, &r->n_threads) != 0)
            return cli_usage_error(cmd, "-t wants a thread count from 1 to 512, not '%s'", arg);
        return 0;
    case CLI_OPT_TEMP:
        if (cli_parse_float(arg, &d) != 0 || d < 0)
            return cli_usage_error(cmd, "--temp wants a number >= 0, not '%s'", arg);
        r->sp.temp = (float)d;
        return 0;
    case CLI_OPT_TOP_K:
        if (cli_parse_long(arg, 0, INT32_MAX, &l) != 0)
            return cli_usage_error(cmd, "--top-k wants a number >= 0, not '%s'", arg);
        r->sp.top_k = (int)l;
        return 0;
    case CLI_OPT_TOP_P:
        if (cli_parse_float(arg, &d) != 0 || d <= 0 || d > 1)
            return cli_usage_error(cmd, "--top-p wants a number in (0, 1], not '%s'", arg);
        r->sp.top_p = (float)d;
        return 0;
    case CLI_OPT_MIN_P:
        if (cli_parse_float(arg, &d) != 0 || d < 0 || d > 1)
            return cli_usage_error(cmd, "--min-p wants a number in [0, 1], not '%s'", arg);
        r->sp.min_p = (float)d;
        return 0;
    case CLI_OPT_REPEAT_PENALTY:
        if (cli_parse_float(arg, &d) != 0 || d <= 0)
            return cli_usage_error(cmd, "--repeat-penalty wants a number > 0, not '%s'", arg);
        r->sp.repeat_penalty = (float)d;
        return 0;
    case CLI_OPT_REPEAT_LAST_N:
        if (cli_parse_long(arg, 0, INT32_MAX, &l) != 0)
            return cli_usage_error(cmd, "--repeat-last-n wants a number >= 0, not '%s'", arg);
        r->sp.repeat_last_n = (int)l;
        return 0;
    case CLI_OPT_SEED:
        if (parse_seed(arg, &r->sp.seed) != 0)
            return cli_usage_error(cmd, "--seed wants a non-negative integer, not '%s'", arg);
        r->seed_given = 1;
        return 0;
    case CLI_OPT_SPEC:
        if ((r->pp.mode = spec_mode_parse(arg)) < 0)
            return cli_usage_error(cmd, "--spec wants off, draft, lookup or auto, not '%s'", arg);
        r->spec_given = 1;
        return 0;
    case CLI_OPT_DRAFT_MAX:
    case CLI_OPT_DRAFT_MIN:
    case CLI_OPT_DRAFT:
        if (cli_parse_long(arg, 0, SPEC_DRAFT_LIMIT, &l) != 0)
            return cli_usage_error(cmd, "--%s wants a number of tokens from 0 to %d, not '%s'",
                                   c == CLI_OPT_DRAFT ? "draft" : c == CLI_OPT_DRAFT_MIN ? "draft-min" : "draft-max",
                                   SPEC_DRAFT_LIMIT, arg);
        if (c != CLI_OPT_DRAFT_MIN)
            r->pp.draft_max = (int)l;
        if (c != CLI_OPT_DRAFT_MAX)
            r->pp.draft_min = (int)l;
        if (c == CLI_OPT_DRAFT)
            r->draft_fixed = 1;
        else
            r->draft_range = 1;
        return 0;
    case CLI_OPT_SYSTEM:
        r->system = arg;
        return 0;
    case CLI_OPT_TEMPLATE:
        r->chat_template = arg;
        return 0;
    default:
        return -1;
    }
}

int
cli_run_finish(cli_run *r, const char *cmd)
{
    char err[512];

    if (r->draft_fixed && r->draft_range)
        return cli_usage_error(cmd, "--draft N fixes the proposal length: no --draft-min or --draft-max with it");
    if (r->pp.draft_min > r->pp.draft_max)
        return cli_usage_error(cmd, "--draft-min (%d) is larger than --draft-max (%d)",
                               r->pp.draft_min, r->pp.draft_max);
    if (r->model == NULL) {
        /* The shipped pair: the target, and its draft unless told otherwise. */
        r->owned[0] = modeldir_model(r->models_dir, MODELDIR_TARGET, err, sizeof err);
        if (r->owned[0] == NULL)
            return cli_fail("no model given (-m) and %s", err);
        r->model = r->owned[0];
        r->default_models = 1;
        if (r->draft == NULL && (r->pp.mode == SPEC_AUTO || r->pp.mode == SPEC_DRAFT)) {
            r->owned[1] = modeldir_model(r->models_dir, MODELDIR_DRAFT, err, sizeof err);
            r->draft = r->owned[1]; /* NULL when the pair has no draft: lookup */
        }
    } else if (r->models_dir != NULL) {
        return cli_usage_error(cmd, "--models-dir is for the shipped models: not with -m");
    }
    if (r->pp.mode == SPEC_DRAFT && r->draft == NULL)
        return cli_usage_error(cmd, "--spec draft needs a draft model: give -d FILE");
    if (r->pp.mode == SPEC_OFF || r->pp.mode == SPEC_LOOKUP)
        r->draft = NULL; /* not used: not loaded */
    r->pp.reproducible = r->seed_given;
    if (!r->seed_given)
        r->sp.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return -1;
}

void
cli_run_help(FILE *f, int with_chat)
{
    spec_params def;

    spec_params_default(&def);
    fprintf(f,
            "Models (without -m, the shipped default pair: see --models-dir):\n"
            "  -m, --model FILE       the model (GGUF; architectures llama and bitnet)\n"
            "  -d, --draft-model FILE a small model with the same vocabulary that\n"
            "                         proposes tokens for the model to verify in one pass\n"
            "      --models-dir DIR   where the shipped models are (default: the\n"
            "                         TERNCHAT_MODELS variable, the source tree when run\n"
            "                         from it, else the installed folder)\n"
            "  -c, --ctx-size N       context size in tokens (default: the model's,\n"
            "                         capped at 4096)\n"
            "  -t, --threads N        threads (default: the number of online CPUs)\n");
    if (with_chat)
        fprintf(f,
                "      --system TEXT      a system prompt (chat format only)\n"
                "      --chat-template NAME  use this built-in template instead of the\n"
                "                         model's (implies the chat format); an unknown\n"
                "                         name lists the valid ones\n");
    fprintf(f,
            "\n"
            "Sampling:\n"
            "      --temp T           temperature; 0 = greedy (default 0.8)\n"
            "      --top-k K          keep the K most likely tokens; 0 = off (default 40)\n"
            "      --top-p P          keep the smallest set with probability >= P; 1 = off\n"
            "                         (default 0.95)\n"
            "      --min-p M          drop tokens below M times the best one's\n"
            "                         probability; 0 = off (default 0.05)\n"
            "      --repeat-penalty R penalise recently seen tokens; 1 = off (default 1.0)\n"
            "      --repeat-last-n N  how many recent tokens the penalty sees (default 64)\n"
            "      --seed S           random seed; the same seed gives the same output\n"
            "                         (default: a new seed each run); with a seed the\n"
            "                         proposal length of speculative decoding adapts to\n"
            "                         the acceptance rate only, not to measured speed\n"
            "\n"
            "Speculative decoding (same output distribution, often faster):\n"
            "      --spec MODE        where proposals come from: draft (the -d model),\n"
            "                         lookup (earlier text of the prompt and the reply),\n"
            "                         off, or auto: draft with a draft model, else\n"
            "                         lookup (default)\n"
            "      --draft-max N      longest proposal per step, 0 to %d (default %d)\n"
            "      --draft-min N      shortest proposal per step (default %d); the length\n"
            "                         in between adapts to the acceptance rate and speed\n"
            "      --draft N          a fixed proposal length (no adapting)\n",
            SPEC_DRAFT_LIMIT, def.draft_max, def.draft_min);
}
