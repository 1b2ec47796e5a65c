/* dlmscope: the command line. Parses the subcommand and hands over; all
 * protocol work is in the library. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "dlmscope/dlmscope.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dlmscope [--help] [--version] COMMAND [ARGS...]\n"
            "\n"
            "DLMS/COSEM frame translator and protocol analyzer.\n"
            "\n"
            "Commands:\n"
            "  decode       translate DLMS bytes (hex, logs, binary dumps) to XML or JSON\n"
            "  encode       translate XML (decode output, Gurux XML, XmlClient scripts) to bytes\n"
            "  listen       decode what arrives on a serial port, as it arrives\n"
            "  run          send the requests of a script to a meter, print the answers\n"
            "  emulate      be a meter (a model in XML) for clients over TCP, UDP or serial\n"
            "  diagnose     explain what went wrong in a trace: summary and findings with hints\n"
            "  script-from  the requests of a captured session as a script for run (replay)\n"
            "  help         show the help of a command (dlmscope help decode)\n"
            "\n"
            "See dlmscope(1).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return DS_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return DS_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("dlmscope %s\n", ds_version());
        return DS_EXIT_OK;
    }
    if (!strcmp(cmd, "decode")) return ds_cmd_decode(argc - 1, argv + 1);
    if (!strcmp(cmd, "encode")) return ds_cmd_encode(argc - 1, argv + 1);
    if (!strcmp(cmd, "listen")) return ds_cmd_listen(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) return ds_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "emulate")) return ds_cmd_emulate(argc - 1, argv + 1);
    if (!strcmp(cmd, "diagnose")) return ds_cmd_diagnose(argc - 1, argv + 1);
    if (!strcmp(cmd, "script-from")) return ds_cmd_script_from(argc - 1, argv + 1);
    if (!strcmp(cmd, "help")) {
        if (argc > 2 && !strcmp(argv[2], "decode")) {
            ds_cmd_decode_usage(stdout);
            return DS_EXIT_OK;
        }
        if (argc > 2 && !strcmp(argv[2], "encode")) {
            ds_cmd_encode_usage(stdout);
            return DS_EXIT_OK;
        }
        if (argc > 2 && !strcmp(argv[2], "script-from")) {
            ds_cmd_script_from_usage(stdout);
            return DS_EXIT_OK;
        }
        if (argc > 2 && !strcmp(argv[2], "diagnose")) {
            ds_cmd_diagnose_usage(stdout);
            return DS_EXIT_OK;
        }
        if (argc > 2 && !strcmp(argv[2], "listen")) {
            ds_cmd_listen_usage(stdout);
            return DS_EXIT_OK;
        }
        if (argc > 2 && !strcmp(argv[2], "run")) {
            ds_cmd_run_usage(stdout);
            return DS_EXIT_OK;
        }
        if (argc > 2 && !strcmp(argv[2], "emulate")) {
            ds_cmd_emulate_usage(stdout);
            return DS_EXIT_OK;
        }
        if (argc > 2) {
            fprintf(stderr, "dlmscope: no help for unknown command '%s'\n", argv[2]);
            return DS_EXIT_USAGE;
        }
        usage(stdout);
        return DS_EXIT_OK;
    }
    fprintf(stderr, "dlmscope: unknown command '%s'\n", cmd);
    usage(stderr);
    return DS_EXIT_USAGE;
}
