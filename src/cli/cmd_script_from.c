/* dlmscope script-from: the requests of a captured session as a script for `dlmscope run`. Reads
 * what decode reads (the same options and inputs, through cli.h), decodes into no output with the
 * given keys, and lets the library's script writer take each request as its plain APDU. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dlmscope/dlmscope.h"
#include "dlmscope/run.h"

void ds_cmd_script_from_usage(FILE *out)
{
    fprintf(out,
            "usage: dlmscope script-from [OPTIONS] [CAPTURE...]\n"
            "\n"
            "Turn the requests of a captured session (anything decode reads: hex, logs, transcripts of\n"
            "dlmscope run --transcript, binary dumps, pcap/pcapng; standard input when no file or '-')\n"
            "into a script for dlmscope run (dlmscope-script(5)). Ciphered requests are written plain,\n"
            "deciphered with the keys given here, so that run enciphers them again with the current keys\n"
            "and a fresh invocation counter; the association is not replayed but made anew by run from\n"
            "the <Settings> taken from the captured AARQ (addresses, mechanism, security policy). Secrets\n"
            "and keys are never written: give them to run. Requests for the next block are left out (run\n"
            "makes them).\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE    write the script to FILE instead of standard output\n"
            "  decode's input and key options: --format, --hex, --binary, --pcap, --port, --any-port,\n"
            "  --filter, --ek, --ak, --dedicated-key, --broadcast-key, --kek, --key-file, --client-title,\n"
            "  --server-title (see dlmscope help decode)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 every request written, 1 a ciphered request could not be deciphered or the\n"
            "input did not all decode (the rest is written), 2 usage or input error.\n");
}

static int read_inputs(ds_decode_args *a, char **files, int nfiles)
{
    ds_sink *null = ds_null_sink_new();
    if (!null) return DS_EXIT_USAGE;
    int status = DS_EXIT_OK;
    if (nfiles == 0) status = ds_decode_input(NULL, a, null, 0);
    for (int i = 0; i < nfiles; i++) {
        int rc = ds_decode_input(files[i], a, null, 0);
        if (rc > status) status = rc;
    }
    ds_sink_destroy(null);
    return status;
}

static int script_from(ds_decode_args *a, char **files, int nfiles)
{
    if (a->json || a->standard) {
        fprintf(stderr, "dlmscope script-from: the script is XML: --json and --standard-xml have no meaning here\n");
        return DS_EXIT_USAGE;
    }
    ds_script_from *w = ds_script_from_new(1, stderr);
    if (!w) return DS_EXIT_USAGE;
    ds_script_from_options(w, &a->opt);
    int status = read_inputs(a, files, nfiles);
    FILE *out = stdout;
    if (status != DS_EXIT_USAGE && a->output && strcmp(a->output, "-") != 0 && !(out = fopen(a->output, "wb"))) {
        fprintf(stderr, "dlmscope: %s: %s\n", a->output, strerror(errno));
        status = DS_EXIT_USAGE;
    }
    if (status != DS_EXIT_USAGE) {
        if (ds_script_from_write(w, out) || fflush(out) != 0) {
            fprintf(stderr, "dlmscope: error writing the script: %s\n", strerror(errno));
            status = DS_EXIT_USAGE;
        } else if (ds_script_from_undeciphered(w) && status == DS_EXIT_OK) {
            status = DS_EXIT_UNDECODABLE;
        }
        if (out != stdout) fclose(out);
    }
    ds_script_from_free(w);
    return status;
}

int ds_cmd_script_from(int argc, char **argv)
{
    ds_decode_args a;
    int status = ds_decode_args_init(&a, "script-from");
    if (status == DS_GO_ON) status = ds_decode_args_parse(&a, argc, argv, ds_cmd_script_from_usage);
    if (status == DS_GO_ON) status = script_from(&a, argv + optind, argc - optind);
    ds_decode_args_free(&a);
    return status;
}
