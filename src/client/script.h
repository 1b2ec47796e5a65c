/* A loaded script of `dlmscope run` (script.c reads it, runner.c runs it). */
#ifndef DS_CLIENT_SCRIPT_H
#define DS_CLIENT_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "client/typed.h"
#include "dlmscope/run.h"

/* <ImageTransfer>: the whole firmware update of image.c */
typedef struct ds_run_image {
    char file[DS_RUN_TEXT_MAX];
    uint8_t identifier[128];
    size_t identifier_len;
    uint8_t obis[6];   /* the image transfer object, default 0.0.44.0.0.255 */
    int verify, activate, resume;
    /* Signature="HEX": the image's signature as attribute 7 (image_to_activate_signature) must
     * give it; without it the signature is not compared */
    int has_signature;
    uint8_t signature[255];
    size_t signature_len;
    /* Reconnect="true": after activate, a meter gone silent (rebooting) is reconnected to and
     * attribute 6 read for the activation's result */
    int reconnect;
} ds_run_image;

typedef enum { STEP_REQUEST = 0, STEP_IMAGE } ds_run_step_kind;

typedef struct ds_run_step {
    ds_run_step_kind kind;
    char name[64];     /* the request element */
    long line;         /* its line in the script */
    char *xml;         /* the element as written */
    uint8_t *apdu;     /* what the encoder made of it */
    size_t len;
    unsigned pause_ms; /* a <Sleep> before it */
    ds_run_image *image;       /* STEP_IMAGE */
    /* an <Expect> after it: the result code (-1: any) and/or the Data of the answer */
    int has_expect;
    long expect_line;
    long expect_result;
    uint8_t *expect_data;
    size_t expect_len;
    /* variables: a <Get Variable="x"/> keeps its answer's Data under x; a <Set>, <Method> or
     * <Expect> whose value is <Variable Name="x"/> takes it (a Set or Method is then built and
     * checked against the class table when it runs) */
    char store_var[32];
    char value_var[32];
    char expect_var[32];
    typed_ref ref;
    int typed_kind;            /* 0 get, 1 set, 2 method */
} ds_run_step;

struct ds_run_script {
    ds_run_step *steps;
    size_t count, cap;
    size_t skipped;    /* association and link requests left to the machines */
    char warnings[1024]; /* ds_run_script_warnings: lines, each ending in '\n'; the last ones
                            that do not fit are left out */
};

#endif
