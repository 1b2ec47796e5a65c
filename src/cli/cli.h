/* dlmscope command-line interface: subcommands over libdlmscope. */
#ifndef DS_CLI_H
#define DS_CLI_H

#include <stdio.h>

#define DS_EXIT_OK 0
#define DS_EXIT_UNDECODABLE 1
#define DS_EXIT_USAGE 2

int ds_cmd_decode(int argc, char **argv);
void ds_cmd_decode_usage(FILE *out);
int ds_cmd_encode(int argc, char **argv);
void ds_cmd_encode_usage(FILE *out);
int ds_cmd_listen(int argc, char **argv);
void ds_cmd_listen_usage(FILE *out);
int ds_cmd_run(int argc, char **argv);
void ds_cmd_run_usage(FILE *out);
int ds_cmd_emulate(int argc, char **argv);
void ds_cmd_emulate_usage(FILE *out);

#endif
