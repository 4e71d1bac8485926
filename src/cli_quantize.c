/* cli_quantize.c: `ternchat quantize IN.gguf OUT.gguf TYPE`: write a copy
 * of a model with its matrices converted to another weight type (q8_0,
 * q4_0, tq2_0, tq1_0, f16, bf16, f32), with the per-tensor rules and the
 * converter of the in-memory switch (model.h), so the file and a model
 * switched while running give the same logits. Metadata is copied, with
 * general.file_type and general.quantization_version set; tensors keep
 * their order and the file layout is llama.cpp's. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gguf.h"
#include "kern.h"
#include "model.h"
#include "qtype.h"
#include "xmalloc.h"

/* Options of one run. */
struct qz_opts {
    const char *in;       /* input file */
    const char *out;      /* output file */
    int type;             /* target type (enum qtype) */
    int opt;              /* least-squares ternary quantizer */
    int allow_requant;    /* --allow-requantize */
    int dry_run;          /* --dry-run: print the plan only */
    int quiet;            /* --quiet: no summary line */
    long n_threads;       /* -t */
};

static void
qz_help(void)
{
    printf(
        "Usage: ternchat quantize [OPTIONS] IN.gguf OUT.gguf TYPE\n"
        "\n"
        "Write a copy of a model with its weight matrices converted to TYPE:\n"
        "  q8_0   8-bit, blocks of 32 (8.5 bits per weight)\n"
        "  q4_0   4-bit, blocks of 32 (4.5 bits per weight)\n"
        "  tq2_0  ternary, 2 bits per weight, blocks of 256 (2.06 bits per weight)\n"
        "  tq1_0  ternary, base-3 packed, blocks of 256 (1.69 bits per weight)\n"
        "  f16, bf16, f32  floating point\n"
        "\n"
        "Which tensors get which type:\n"
        "  - norms, biases, .scale tensors and all 1-D tensors are copied as they are;\n"
        "  - q4_0: the LM head (output.weight, or token_embd when it is shared)\n"
        "    becomes q8_0;\n"
        "  - tq2_0, tq1_0: token_embd and the LM head become q8_0 (llama-quantize\n"
        "    uses q4_k and q6_k there; a 2-bit LM head wrecks the output);\n"
        "  - a matrix whose rows are not a multiple of the type's block (32 or 256)\n"
        "    becomes q8_0 if they are a multiple of 32, else f16.\n"
        "The metadata is copied; general.file_type and general.quantization_version\n"
        "(2) are set. The file loads in llama.cpp and in `ternchat --model`; the\n"
        "running chat can switch to the same weights without a file (same rules,\n"
        "except that in memory ternary rows that are not whole 256-blocks are\n"
        "padded with zeros instead of falling back).\n"
        "\n"
        "Options:\n"
        "      --opt              ternary types: least-squares scale and trits per\n"
        "                         block (the default)\n"
        "      --ref              ternary types: llama.cpp's reference quantizer\n"
        "                         (scale = largest magnitude; the ternary tensors get\n"
        "                         the same bytes as with llama-quantize)\n"
        "      --allow-requantize convert matrices that are already quantized (each\n"
        "                         conversion adds error; start from f16/bf16/f32)\n"
        "      --dry-run          print each tensor's type change and write nothing\n"
        "  -t, --threads N        threads (default: the number of online CPUs)\n"
        "  -q, --quiet            no progress and no summary line\n"
        "  -h, --help             show this help and exit\n");
}

/* llama_ftype of a target type (general.file_type). */
static unsigned
qz_file_type(int type)
{
    switch (type) {
    case QT_F32: return 0;
    case QT_F16: return 1;
    case QT_Q4_0: return 2;
    case QT_Q8_0: return 7;
    case QT_BF16: return 32;
    case QT_TQ1_0: return 36;
    case QT_TQ2_0: return 37;
    default: return 0;
    }
}

static int
qz_is_float(int type)
{
    return type == QT_F32 || type == QT_F16 || type == QT_BF16;
}

static double
qz_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum { QZ_OPT = 256, QZ_REF, QZ_ALLOW, QZ_DRY };

/* Parse the command line. Returns -1 to go on, else an exit status. */
static int
qz_parse(int argc, char **argv, struct qz_opts *o)
{
    static const struct option longopts[] = {
        { "opt", no_argument, NULL, QZ_OPT },
        { "ref", no_argument, NULL, QZ_REF },
        { "allow-requantize", no_argument, NULL, QZ_ALLOW },
        { "dry-run", no_argument, NULL, QZ_DRY },
        { "threads", required_argument, NULL, 't' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int c;

    memset(o, 0, sizeof *o);
    o->opt = 1;
    o->n_threads = ncpu > 0 ? ncpu : 1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":t:qh", longopts, NULL)) != -1) {
        switch (c) {
        case QZ_OPT: o->opt = 1; break;
        case QZ_REF: o->opt = 0; break;
        case QZ_ALLOW: o->allow_requant = 1; break;
        case QZ_DRY: o->dry_run = 1; break;
        case 'q': o->quiet = 1; break;
        case 't':
            if (cli_parse_long(optarg, 1, 512, &o->n_threads) != 0)
                return cli_usage_error("quantize", "-t wants a thread count from 1 to 512, "
                                       "not '%s'", optarg);
            break;
        case 'h':
            qz_help();
            return 0;
        case ':':
            return cli_usage_error("quantize", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("quantize", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 3)
        return cli_usage_error("quantize", "want IN.gguf OUT.gguf TYPE (%d argument%s given)",
                               argc - optind, argc - optind == 1 ? "" : "s");
    o->in = argv[optind];
    o->out = argv[optind + 1];
    o->type = qtype_from_name(argv[optind + 2]);
    if (o->type < 0 || !model_quant_supported(o->type))
        return cli_usage_error("quantize", "cannot quantize to '%s': the types are %s",
                               argv[optind + 2], model_quant_supported_names());
    if (strcmp(o->in, o->out) == 0)
        return cli_usage_error("quantize", "the output would overwrite the input '%s'", o->in);
    return -1;
}

/* Progress on a terminal: "quantizing NAME (i/n) p%". */
static void
qz_progress(const struct qz_opts *o, const char *name, int64_t i, int64_t n, double frac)
{
    if (o->quiet || !isatty(STDERR_FILENO))
        return;
    fprintf(stderr, "\rquantizing %-40.40s %4lld/%lld %3d%%\033[K", name, (long long)i + 1,
            (long long)n, (int)(frac * 100.0));
    fflush(stderr);
}

int
cli_quantize(int argc, char **argv)
{
    static const char *const skip[] = { "general.file_type", "general.quantization_version",
                                        NULL };
    struct qz_opts o;
    char err[512];
    gguf *g = NULL;
    gguf_writer *w = NULL;
    void **bufs = NULL;
    int64_t nt = 0, t, n_conv = 0, elems_total = 0, elems_done = 0;
    int *types = NULL, tied, rc, main_src = -1;
    uint64_t in_bytes = 0, out_bytes = 0;
    double t0 = qz_now();

    if ((rc = qz_parse(argc, argv, &o)) >= 0)
        return rc;
    rc = 1;
    g = gguf_open(o.in, err, sizeof err);
    if (g == NULL)
        return cli_fail("%s", err);
    nt = gguf_n_tensors(g);
    if (nt == 0) {
        cli_fail("%s has no tensors (a vocabulary-only file?): nothing to quantize", o.in);
        goto out;
    }
    tied = gguf_find_tensor(g, "output.weight") < 0;
    types = xcalloc((size_t)nt, sizeof *types);
    bufs = xcalloc((size_t)nt, sizeof *bufs);

    /* The plan: every tensor's new type; refuse what cannot be done. */
    for (t = 0; t < nt; t++) {
        const char *name = gguf_tensor_name(g, t);
        const int64_t *ne = gguf_tensor_ne(g, t);
        int src = gguf_tensor_type(g, t);
        int role = model_quant_role(name, gguf_tensor_ndims(g, t), tied);

        types[t] = model_quant_pick(role, o.type, ne[0], src);
        in_bytes += gguf_tensor_nbytes(g, t);
        if (types[t] == src)
            continue;
        if (kern_lookup(src) == NULL) {
            cli_fail("%s: tensor '%s' has type %s, which cannot be converted (readable: f32, "
                     "f16, bf16, q8_0, q4_0, q4_k, q6_k, tq1_0, tq2_0)", o.in, name,
                     qtype_name(src) ? qtype_name(src) : "unknown");
            goto out;
        }
        if (!qz_is_float(src) && !o.allow_requant) {
            cli_fail("%s is already quantized ('%s' is %s): converting it to %s adds to the "
                     "error; start from the f16/bf16/f32 file, or pass --allow-requantize",
                     o.in, name, qtype_name(src), qtype_name(o.type));
            goto out;
        }
        if (role == MODEL_QROLE_LINEAR)
            main_src = src;
        n_conv++;
        elems_total += ne[0] * ne[1] * ne[2] * ne[3];
    }
    if (o.dry_run) {
        for (t = 0; t < nt; t++)
            printf("%s\t%s -> %s\n", gguf_tensor_name(g, t),
                   qtype_name(gguf_tensor_type(g, t)), qtype_name(types[t]));
        rc = 0;
        goto out;
    }

    w = gguf_writer_new();
    gguf_writer_set_version(w, 3);
    gguf_writer_copy_kv(w, g, skip);
    gguf_writer_set_u32(w, "general.quantization_version", 2);
    gguf_writer_set_u32(w, "general.file_type", qz_file_type(o.type));
    for (t = 0; t < nt; t++) {
        const char *name = gguf_tensor_name(g, t);
        const int64_t *ne = gguf_tensor_ne(g, t);
        int src = gguf_tensor_type(g, t), nd = gguf_tensor_ndims(g, t);
        const void *data = gguf_tensor_data(g, t);
        int64_t rows = ne[1] * ne[2] * ne[3];

        if (types[t] != src) {
            size_t bytes = qtype_row_bytes(types[t], ne[0]) * (size_t)rows;

            bufs[t] = malloc(bytes ? bytes : 1);
            if (bufs[t] == NULL) {
                cli_fail("cannot allocate %.1f MiB for tensor '%s'",
                         (double)bytes / (1024.0 * 1024.0), name);
                goto out;
            }
            qz_progress(&o, name, t, nt,
                        elems_total ? (double)elems_done / (double)elems_total : 1);
            if (model_quant_convert(src, data, types[t], o.opt, bufs[t], rows, ne[0],
                                    (int)o.n_threads) != 0) {
                cli_fail("cannot convert tensor '%s' from %s to %s", name, qtype_name(src),
                         qtype_name(types[t]));
                goto out;
            }
            elems_done += ne[0] * rows;
            data = bufs[t];
        }
        if (gguf_writer_add_tensor(w, name, types[t], nd < 1 ? 1 : nd, ne, data, err,
                                   sizeof err) != 0) {
            cli_fail("%s", err);
            goto out;
        }
        out_bytes += qtype_row_bytes(types[t], ne[0]) * (uint64_t)rows;
    }
    if (!o.quiet && isatty(STDERR_FILENO))
        fprintf(stderr, "\rwriting %s\033[K", o.out);
    if (gguf_writer_write(w, o.out, err, sizeof err) != 0) {
        if (!o.quiet && isatty(STDERR_FILENO))
            fputc('\n', stderr);
        cli_fail("%s", err);
        goto out;
    }
    if (!o.quiet && isatty(STDERR_FILENO))
        fputs("\r\033[K", stderr);
    if (!o.quiet)
        printf("%s: %s%s, %lld of %lld tensors converted%s%s, %.1f MiB -> %.1f MiB in %.1f s\n",
               o.out, qtype_name(o.type),
               o.type != QT_TQ1_0 && o.type != QT_TQ2_0 ? "" :
               o.opt ? " (least squares)" : " (reference)",
               (long long)n_conv, (long long)nt, main_src >= 0 ? " from " : "",
               main_src >= 0 ? qtype_name(main_src) : "", (double)in_bytes / (1024.0 * 1024.0),
               (double)out_bytes / (1024.0 * 1024.0), qz_now() - t0);
    rc = 0;
out:
    if (bufs != NULL)
        for (t = 0; t < nt; t++)
            free(bufs[t]);
    free(bufs);
    free(types);
    gguf_writer_free(w);
    gguf_close(g);
    return rc;
}
