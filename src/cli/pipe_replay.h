/* A pipe read again from its start. A pipe cannot be rewound, yet decode must look at its first
 * bytes before choosing a reader (a capture's magic), and diagnose must read its bytes a second
 * time for the serial-settings inference. A replay stream gives back the bytes kept, then reads
 * on from the descriptor; with room to spare it keeps what it reads (bounded by cap), and it can
 * seek back among the bytes kept. */
#ifndef DS_CLI_PIPE_REPLAY_H
#define DS_CLI_PIPE_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ds_pipe_replay {
    uint8_t *buf;   /* the bytes kept: buf[0..n), room for cap */
    size_t n, cap;
    size_t pos;     /* the reading position in the stream */
    int overflow;   /* more was read than cap could keep */
    int fd;
} ds_pipe_replay;

/* A FILE over r (which must outlive it): buf[0..n) first, then fd; fclose leaves fd and buf to
 * the caller. NULL (errno set) when the stream cannot be made. */
FILE *ds_pipe_replay_open(ds_pipe_replay *r);

#endif
