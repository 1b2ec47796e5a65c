/* dlmscope diagnose: what went wrong in a trace, in words. Reads what decode reads (the same
 * options and inputs, through cli.h), decodes into no output, and lets the library's diagnoser
 * watch: a summary per conversation, then the findings; or the findings as JSON lines. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pipe_replay.h"
#include "dlmscope/dlmscope.h"
#include "dlmscope/serial_infer.h"

/* The bytes of an input the serial inference looks at: its verdict is clear long before this,
 * and memory stays bounded whatever the input's size. */
#define SERIAL_SCAN_MAX ((size_t)4 << 20)

void ds_cmd_diagnose_usage(FILE *out)
{
    fprintf(out,
            "usage: dlmscope diagnose [OPTIONS] [FILE...]\n"
            "\n"
            "Explain what went wrong in a DLMS/COSEM conversation. Reads every input decode reads (hex, logs,\n"
            "binary dumps, pcap/pcapng captures; standard input when no FILE or '-'), and writes a summary of\n"
            "each conversation (framing, addresses, HDLC parameters, association, security, services, image\n"
            "transfer, how it ended), then the findings, each with a hint at the usual cause and fix (with\n"
            "keys, security findings say which key or title mistake explains a failed check).\n"
            "\n"
            "Options:\n"
            "  --json               the findings as JSON lines (code, severity, frame, offset, time, message,\n"
            "                       hint and the code's own fields), without the summary\n"
            "  --list-codes         the codes diagnose makes itself, one a line (see dlmscope(1))\n"
            "  --serial BAUD:DPS    the setting the capture's port had (2400:8N1): when an input holds no\n"
            "                       valid frame, its bytes are looked at for a wrong baud rate, parity, data\n"
            "                       bits or polarity with this as the receiver's (without: common ones)\n"
            "  -o, --output FILE    write to FILE instead of standard output\n"
            "  decode's input and key options: --format, --hex, --binary, --pcap, --port, --any-port,\n"
            "  --filter, --ek, --ak, --dedicated-key, --broadcast-key, --kek, --private-key (the\n"
            "  key-agreement key, not run's --signing-key), --agreement-public-key, --client-title,\n"
            "  --server-title, --key-file, --no-verify,\n"
            "  --hls-secret, --hls2, --client-public-key, --server-public-key (see dlmscope help decode)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 no error finding, 1 error findings, 2 usage or input error.\n");
}

typedef struct report {
    int json;
    FILE *out;        /* JSON lines go straight here */
    FILE *findings;   /* text: findings wait here until the summary is written */
    uint64_t serial_counts[3]; /* the serial findings, made here, by severity */
    char setting_code[48];     /* the first serial finding that names a wrong setting, or "" */
} report;

/* --serial: the receiver's setting, when told */
typedef struct serial_told {
    ds_serial_settings settings;
    int known;
} serial_told;

static void on_finding(void *user, const ds_finding *f)
{
    report *r = user;
    if (r->json) ds_finding_write_json(r->out, f);
    else if (r->findings) ds_finding_write_text(r->findings, f);
}

/* Copies the findings kept aside after the summary */
static int copy_findings(FILE *from, FILE *to)
{
    char buf[8192];
    size_t n;
    if (fseek(from, 0, SEEK_SET) != 0) return -1;
    while ((n = fread(buf, 1, sizeof buf, from)) > 0)
        if (fwrite(buf, 1, n, to) != n) return -1;
    return ferror(from) ? -1 : 0;
}

static uint64_t count_of(const ds_diagnoser *g, const report *r, ds_severity s)
{
    return ds_diagnoser_count(g, s) + r->serial_counts[s];
}

static void write_text_report(const ds_diagnoser *g, report *r)
{
    ds_diagnoser_write_summary(g, r->out);
    /* the summary is of the bytes as captured: where they were read at a wrong setting, its
       framing line (a wrapper or HDLC frame found in them by chance) is not the meter's */
    if (r->setting_code[0])
        fprintf(r->out,
                "serial: a wrong setting was found (%s, below): the framing above and the frame findings come from "
                "the bytes as the mis-set port delivered them, not from the meter's frames\n",
                r->setting_code);
    fprintf(r->out, "findings: %llu error(s), %llu warning(s), %llu info\n",
            (unsigned long long)count_of(g, r, DS_SEV_ERROR), (unsigned long long)count_of(g, r, DS_SEV_WARNING),
            (unsigned long long)count_of(g, r, DS_SEV_INFO));
    if (copy_findings(r->findings, r->out)) fprintf(stderr, "dlmscope diagnose: cannot read back the findings\n");
}

/* Every input through the decoder into no output, the diagnoser watching. The worst input status. */
static int read_inputs(ds_decode_args *a, char **files, int nfiles)
{
    ds_sink *null = ds_null_sink_new();
    if (!null) return DS_EXIT_UNDECODABLE;
    int status = DS_EXIT_OK;
    if (nfiles == 0) {
        status = ds_decode_input(NULL, a, null, 0);
    } else {
        for (int i = 0; i < nfiles; i++) {
            int rc = ds_decode_input(files[i], a, null, 0);
            if (rc > status) status = rc;
        }
    }
    ds_sink_destroy(null);
    return status;
}

static FILE *open_output(const char *output)
{
    if (!output || !strcmp(output, "-")) return stdout;
    FILE *out = fopen(output, "wb");
    if (!out) fprintf(stderr, "dlmscope: %s: %s\n", output, strerror(errno));
    return out;
}

/* Every file can be read: a missing one is an input error (2), said before anything is decoded */
static int check_files(char **files, int nfiles)
{
    for (int i = 0; i < nfiles; i++) {
        if (!strcmp(files[i], "-")) continue;
        FILE *f = fopen(files[i], "rb");
        if (!f) {
            fprintf(stderr, "dlmscope: %s: %s\n", files[i], strerror(errno));
            return DS_EXIT_USAGE;
        }
        fclose(f);
    }
    return DS_GO_ON;
}

/* ---- wrong serial settings: the inference over an input without valid frames ---------------- */

/* Standard input from a pipe is gone once decoded: while it is, its first SERIAL_SCAN_MAX bytes
 * are kept (and can be read again from the start, so that a capture piped in is still told by
 * its first bytes), for the inference to read afterwards. Bounded: the rest passes through. */
typedef ds_pipe_replay stdin_tee;

static int reads_stdin(char **files, int nfiles)
{
    for (int i = 0; i < nfiles; i++)
        if (!strcmp(files[i], "-")) return 1;
    return nfiles == 0;
}

/* Standard input as a FILE that keeps what it reads, when it is a pipe (a file is read again
 * from its start instead); NULL otherwise or on no memory. */
static FILE *tee_stdin(stdin_tee *t)
{
    memset(t, 0, sizeof *t);
    t->fd = fileno(stdin);
    if (t->fd < 0 || lseek(t->fd, 0, SEEK_CUR) >= 0 || errno != ESPIPE) return NULL;
    t->buf = malloc(SERIAL_SCAN_MAX);
    if (!t->buf) return NULL;
    t->cap = SERIAL_SCAN_MAX;
    FILE *f = ds_pipe_replay_open(t);
    if (!f) {
        free(t->buf);
        t->buf = NULL;
    }
    return f;
}

/* The first SERIAL_SCAN_MAX bytes the input delivers (hex or log text turned into its bytes, a
 * binary dump as it is), read again from the start; NULL for a capture (not a serial line), a
 * pipe already read, or no memory. */
static uint8_t *input_bytes(const char *path, ds_input_mode mode, const stdin_tee *tee, size_t *n)
{
    *n = 0;
    FILE *in = stdin;
    if (path && strcmp(path, "-") != 0) in = fopen(path, "rb");
    else if (tee->buf) in = fmemopen(tee->buf, tee->n ? tee->n : 1, "rb"); /* a pipe: the bytes kept */
    else if (fseek(stdin, 0, SEEK_SET) != 0) return NULL;
    if (!in) return NULL;
    if (in != stdin && tee->buf && tee->n == 0) {
        fclose(in);
        return NULL;
    }
    uint8_t magic[4];
    size_t got = fread(magic, 1, sizeof magic, in);
    uint8_t *buf = NULL;
    ds_reader *rd = NULL;
    if (ds_capture_magic(magic, got) || fseek(in, 0, SEEK_SET) != 0) goto done;
    rd = ds_reader_new(in, mode, NULL, NULL);
    size_t cap = 0;
    ds_chunk c;
    while (rd && *n < SERIAL_SCAN_MAX && ds_reader_next(rd, &c) == 1) {
        size_t take = c.len < SERIAL_SCAN_MAX - *n ? c.len : SERIAL_SCAN_MAX - *n;
        if (*n + take > cap) {
            size_t want = cap ? cap : 65536;
            while (want < *n + take) want *= 2;
            uint8_t *grown = realloc(buf, want);
            if (!grown) break;
            buf = grown;
            cap = want;
        }
        memcpy(buf + *n, c.data, take);
        *n += take;
    }
done:
    ds_reader_free(rd);
    if (in != stdin) fclose(in);
    return buf;
}

/* The recovered bytes decoded as decode would (XML), below the finding in the text report. */
static void write_recovered(const ds_decode_args *a, const ds_serial_inference *inf, FILE *out)
{
    char tx[DS_SERIAL_SETTINGS_TEXT];
    fprintf(out, "  the %zu byte(s) re-read at %s decode as:\n", inf->recovered_len,
            ds_serial_settings_format(&inf->sender, tx, sizeof tx));
    FILE *mem = fmemopen(inf->recovered, inf->recovered_len, "rb");
    ds_sink *xml = mem ? ds_xml_sink_new(out) : NULL;
    if (xml) {
        ds_options opt = a->opt;
        opt.decoder_hook = NULL; /* the diagnoser has ended: these frames are shown, not diagnosed again */
        opt.decoder_hook_user = NULL;
        ds_decode_stream(mem, DS_INPUT_BINARY, &opt, xml, NULL, NULL, NULL);
        ds_sink_destroy(xml);
    }
    if (mem) fclose(mem);
}

/* The finding, counted by its severity, and the recovered bytes decoded below it in text. */
static void serial_finding(report *r, const ds_decode_args *a, const char *file, const ds_serial_inference *inf)
{
    int sev = ds_cli_serial_finding(inf, file, on_finding, r);
    r->serial_counts[sev]++;
    if (ds_cli_serial_is_setting(inf) && !r->setting_code[0])
        snprintf(r->setting_code, sizeof r->setting_code, "%s", inf->code);
    if (!r->json && r->findings && inf->recovered && inf->recovered_len) write_recovered(a, inf, r->findings);
}

/* Each input (not a capture) without valid frames: which setting would have given frames. */
static void infer_serial(report *r, const ds_decode_args *a, const serial_told *told, const stdin_tee *tee,
                         char **files, int nfiles)
{
    for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
        const char *path = nfiles ? files[i] : NULL;
        size_t n;
        uint8_t *bytes = a->pcap ? NULL : input_bytes(path, a->mode, tee, &n);
        if (!bytes) continue;
        ds_serial_inference inf;
        if (ds_serial_infer(bytes, n, told->known ? &told->settings : NULL, &inf) == 0) {
            serial_finding(r, a, path && strcmp(path, "-") ? path : "(stdin)", &inf);
            ds_serial_inference_free(&inf);
        } else {
            fprintf(stderr, "dlmscope diagnose: out of memory for the serial inference\n");
        }
        free(bytes);
    }
}

static int diagnose(ds_decode_args *a, const serial_told *told, char **files, int nfiles)
{
    if (check_files(files, nfiles) != DS_GO_ON) return DS_EXIT_USAGE;
    if (a->standard) {
        fprintf(stderr, "dlmscope diagnose: --standard-xml has no meaning here\n");
        return DS_EXIT_USAGE;
    }
    report r = {a->json, NULL, NULL, {0, 0, 0}, ""};
    r.out = open_output(a->output);
    if (!r.out) return DS_EXIT_USAGE;
    if (!r.json && !(r.findings = tmpfile())) {
        fprintf(stderr, "dlmscope diagnose: no temporary file for the findings: %s\n", strerror(errno));
        if (r.out != stdout) fclose(r.out);
        return DS_EXIT_USAGE;
    }
    ds_diagnoser *g = ds_diagnoser_new(on_finding, &r);
    int status = DS_EXIT_USAGE;
    if (g) {
        ds_diagnoser_options(g, &a->opt);
        a->diag_fn = ds_diagnoser_diag;
        a->diag_user = g;
        /* what does not decode is a finding; only a bad filter or the like ends as usage (2) */
        /* standard input read through a tee that keeps its first bytes (a pipe cannot be read twice) */
        stdin_tee tee = {0};
        FILE *kept = NULL, *real_stdin = stdin;
        if (!a->pcap && reads_stdin(files, nfiles) && (kept = tee_stdin(&tee)) != NULL) stdin = kept;
        int rc = read_inputs(a, files, nfiles);
        if (kept) {
            stdin = real_stdin;
            fclose(kept);
        }
        ds_diagnoser_end(g);
        /* no or few valid frames (input.no-frames): the bytes may tell which setting was wrong */
        if (rc != DS_EXIT_USAGE && ds_diagnoser_no_frames(g)) infer_serial(&r, a, told, &tee, files, nfiles);
        free(tee.buf);
        if (!r.json) write_text_report(g, &r);
        status = rc == DS_EXIT_USAGE ? DS_EXIT_USAGE
                 : count_of(g, &r, DS_SEV_ERROR) ? DS_EXIT_UNDECODABLE : DS_EXIT_OK;
        ds_diagnoser_free(g);
    }
    if (r.findings) fclose(r.findings);
    if (fflush(r.out) != 0 || ferror(r.out)) {
        fprintf(stderr, "dlmscope: error writing output: %s\n", strerror(errno));
        status = DS_EXIT_USAGE;
    }
    if (r.out != stdout) fclose(r.out);
    return status;
}

static int list_codes(void)
{
    for (size_t i = 0; ds_diagnose_code(i); i++) printf("%s\n", ds_diagnose_code(i));
    return DS_EXIT_OK;
}

/* Takes --serial SETTINGS (or --serial=SETTINGS) out of argv, which keeps decode's options:
 * diagnose alone has it. The new argc, or -1 when its value is refused (said). */
static int take_serial(int argc, char **argv, serial_told *told)
{
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--")) {
            while (i < argc) argv[out++] = argv[i++];
            break;
        }
        if (!strcmp(argv[i], "--serial")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "dlmscope diagnose: --serial needs BAUD:DPS (e.g. 2400:8N1)\n");
                return -1;
            }
            v = argv[++i];
        } else if (!strncmp(argv[i], "--serial=", 9)) {
            v = argv[i] + 9;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        char err[128];
        if (ds_serial_settings_parse(v, &told->settings, err, sizeof err) != 0) {
            fprintf(stderr, "dlmscope diagnose: --serial: %s\n", err);
            return -1;
        }
        told->known = 1;
    }
    argv[out] = NULL;
    return out;
}

int ds_cmd_diagnose(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--list-codes")) return list_codes();
    serial_told told = {{0, 0, DS_PARITY_NONE, 0}, 0};
    argc = take_serial(argc, argv, &told);
    if (argc < 0) return DS_EXIT_USAGE;
    ds_decode_args a;
    int status = ds_decode_args_init(&a, "diagnose");
    if (status == DS_GO_ON) status = ds_decode_args_parse(&a, argc, argv, ds_cmd_diagnose_usage);
    if (status == DS_GO_ON) status = diagnose(&a, &told, argv + optind, argc - optind);
    ds_decode_args_free(&a);
    return status;
}
