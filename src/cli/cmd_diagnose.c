/* dlmscope diagnose: what went wrong in a trace, in words. Reads what decode reads (the same
 * options and inputs, through cli.h), decodes into no output, and lets the library's diagnoser
 * watch: a summary per conversation, then the findings; or the findings as JSON lines. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dlmscope/dlmscope.h"

void ds_cmd_diagnose_usage(FILE *out)
{
    fprintf(out,
            "usage: dlmscope diagnose [OPTIONS] [FILE...]\n"
            "\n"
            "Explain what went wrong in a DLMS/COSEM conversation. Reads every input decode reads (hex, logs,\n"
            "binary dumps, pcap/pcapng captures; standard input when no FILE or '-'), and writes a summary of\n"
            "each conversation (framing, addresses, HDLC parameters, association, services, image transfer,\n"
            "how it ended), then the findings, each with a hint at the usual cause and fix.\n"
            "\n"
            "Options:\n"
            "  --json               the findings as JSON lines (code, severity, frame, offset, time, message,\n"
            "                       hint and the code's own fields), without the summary\n"
            "  --list-codes         the codes diagnose makes itself, one a line (see dlmscope(1))\n"
            "  -o, --output FILE    write to FILE instead of standard output\n"
            "  decode's input and key options: --format, --hex, --binary, --pcap, --port, --any-port,\n"
            "  --filter, --ek, --ak, --dedicated-key, --broadcast-key, --kek, --private-key,\n"
            "  --agreement-public-key, --client-title, --server-title, --key-file, --no-verify,\n"
            "  --hls-secret, --hls2, --client-public-key, --server-public-key (see dlmscope help decode)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 no error finding, 1 error findings, 2 usage or input error.\n");
}

typedef struct report {
    int json;
    FILE *out;        /* JSON lines go straight here */
    FILE *findings;   /* text: findings wait here until the summary is written */
} report;

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

static void write_text_report(const ds_diagnoser *g, report *r)
{
    ds_diagnoser_write_summary(g, r->out);
    fprintf(r->out, "findings: %llu error(s), %llu warning(s), %llu info\n",
            (unsigned long long)ds_diagnoser_count(g, DS_SEV_ERROR),
            (unsigned long long)ds_diagnoser_count(g, DS_SEV_WARNING),
            (unsigned long long)ds_diagnoser_count(g, DS_SEV_INFO));
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

static int diagnose(ds_decode_args *a, char **files, int nfiles)
{
    if (check_files(files, nfiles) != DS_GO_ON) return DS_EXIT_USAGE;
    if (a->standard) {
        fprintf(stderr, "dlmscope diagnose: --standard-xml has no meaning here\n");
        return DS_EXIT_USAGE;
    }
    report r = {a->json, NULL, NULL};
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
        int rc = read_inputs(a, files, nfiles);
        ds_diagnoser_end(g);
        /* Here ds_diagnoser_no_frames(g) tells that the input held no or few valid frames
         * (input.no-frames): the place to ask the inference of wrong serial settings
         * (serial_infer.h) about the files' bytes and report its setting. */
        if (!r.json) write_text_report(g, &r);
        status = rc == DS_EXIT_USAGE ? DS_EXIT_USAGE
                 : ds_diagnoser_count(g, DS_SEV_ERROR) ? DS_EXIT_UNDECODABLE : DS_EXIT_OK;
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

int ds_cmd_diagnose(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--list-codes")) return list_codes();
    ds_decode_args a;
    int status = ds_decode_args_init(&a, "diagnose");
    if (status == DS_GO_ON) status = ds_decode_args_parse(&a, argc, argv, ds_cmd_diagnose_usage);
    if (status == DS_GO_ON) status = diagnose(&a, argv + optind, argc - optind);
    ds_decode_args_free(&a);
    return status;
}
