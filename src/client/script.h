/* A loaded script of `dlmscope run` (script.c reads it, runner.c runs it). */
#ifndef DS_CLIENT_SCRIPT_H
#define DS_CLIENT_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/run.h"

typedef struct ds_run_step {
    char name[64];     /* the request element */
    long line;         /* its line in the script */
    char *xml;         /* the element as written */
    uint8_t *apdu;     /* what the encoder made of it */
    size_t len;
    unsigned pause_ms; /* a <Sleep> before it */
} ds_run_step;

struct ds_run_script {
    ds_run_step *steps;
    size_t count, cap;
    size_t skipped;    /* association and link requests left to the machines */
};

#endif
