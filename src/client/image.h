/* <ImageTransfer>: a whole firmware update over an open association (image.c). */
#ifndef DS_CLIENT_IMAGE_H
#define DS_CLIENT_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client/script.h"
#include "dlmscope/assoc.h"

typedef struct image_io {
    void *user;
    /* one plain request through the association, waited for: 0 and *res when answered,
     * 1 when it could not be sent, 2 when the link broke or no answer came in time */
    int (*call)(void *user, const uint8_t *apdu, size_t len, const ds_assoc_result **res);
    void (*pause)(void *user, unsigned ms);
    void (*say)(void *user, const char *line);
    uint16_t peer_max_pdu;     /* the meter's negotiated max PDU */
    FILE *progress;            /* progress lines (a bar when tty) */
    int tty;
    unsigned retries;          /* a block refused with hardware-fault or temporary-failure: tries */
    unsigned verify_polls;     /* polls of the status while the meter verifies */
    unsigned poll_ms;          /* between them */
    /* Reconnect="true": the link and the association made again after the meter went silent
     * (rebooting after activate), with bounded tries and waits: 0 associated again, 2 not */
    int (*reconnect)(void *user);
    int gbt;                   /* general block transfer negotiated: a long ACTION goes in GBT blocks */
} image_io;

/* 0 done, 1 the meter refused or answered wrong (reported), 2 the link broke. */
int image_transfer(const image_io *io, const ds_run_image *im);

#endif
