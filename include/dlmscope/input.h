/* Bytes in: turning files and pasted logs into a byte stream.
 *
 * A reader pulls from a FILE in bounded chunks and hands out decoded bytes
 * with what the text said about them (direction, timestamp, line). Text
 * input is recognised without being told: bare hex in any common shape
 * ("7E A0", "7ea0", "0x7E, 0xA0", wrapped lines) and log lines such as
 * "TX: 18:29:59 7E A0 07 ..." or "<- 7E ...". Lines of prose are skipped.
 * Anything that is not text is taken as a binary dump. */
#ifndef DLMSCOPE_INPUT_H
#define DLMSCOPE_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "dlmscope/diag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    DS_DIR_UNKNOWN = 0,
    DS_DIR_TX,      /* "TX", "->", ">>", "SEND", "client" ... : sent by the logging side */
    DS_DIR_RX,      /* "RX", "<-", "<<", "RECV" ... : received by the logging side */
    DS_DIR_TO_SERVER, /* capture input: sent by the client (the side that sent the AARQ, or
                         else the side away from the DLMS port) */
    DS_DIR_TO_CLIENT  /* capture input: sent by the server */
} ds_direction;

#define DS_TIMESTAMP_MAX 40

/* What the input said about the bytes that follow. */
typedef struct ds_meta {
    ds_direction dir;
    char timestamp[DS_TIMESTAMP_MAX]; /* as written in the log, "" when none */
    uint64_t line;                    /* 1-based line of text input; 0 for binary */
    /* Capture input: the sender and the receiver as "addr:port" ("[v6addr]:port"); NULL
     * otherwise. Borrowed: they stay valid while the decoder may still deliver these bytes.
     * Plain text only (hex digits, '.', ':', '[', ']'): the writers copy them as they are.
     * With them set, timestamp is the capture's ISO 8601 time, plain text too. */
    const char *from, *to;
    /* The lengths of timestamp, from and to when the input knows them (a capture: every frame
     * writes them, and measuring them cost three strlen calls a frame); 0: measured where
     * needed. An input that sets one keeps it right whenever its text changes. */
    uint16_t timestamp_len, from_len, to_len;
    /* With from and to: their From and To attributes as the XML writers write them
     * (` From="a" To="b"`, ds_xml_attrs_run), made once by the input for all the bytes that
     * share from and to, so that a writer copies them in one piece a frame (ds_sink.open_run);
     * NULL: the attributes are written one by one. Borrowed like from and to. */
    const char *from_to_xml;
    uint16_t from_to_xml_len;
} ds_meta;

typedef enum {
    DS_INPUT_AUTO = 0, /* sniff the first block: text (hex/log) or binary */
    DS_INPUT_HEX,      /* force text: hex and log lines */
    DS_INPUT_BINARY    /* force binary */
} ds_input_mode;

typedef struct ds_chunk {
    const uint8_t *data;   /* valid until the next ds_reader_next() call */
    size_t len;
    uint64_t offset;       /* offset of data[0] in the decoded byte stream */
    ds_meta meta;          /* applies to every byte of this chunk */
    int record_start;      /* 1: a new record starts here (a log line with a direction or
                              timestamp, or after a non-hex line): an unfinished frame
                              before it is truncated */
} ds_chunk;

typedef struct ds_reader ds_reader;

/* The reader does not own `in`. diag may be NULL. A pipe, terminal or socket is read through
 * its descriptor (read(2)), so that what has arrived is decoded without waiting for a full
 * block: do not read from such a FILE through stdio before handing it over. */
ds_reader *ds_reader_new(FILE *in, ds_input_mode mode, ds_diag_fn diag, void *diag_user);
/* The same for an input whose first n bytes (at most DS_READER_AFTER_MAX) the caller has read
 * already, with read(2) (to look at a magic number, say): they are read first, then `in`. */
#define DS_READER_AFTER_MAX 64
ds_reader *ds_reader_new_after(const uint8_t *first, size_t n, FILE *in, ds_input_mode mode, ds_diag_fn diag,
                               void *diag_user);
/* 1: a chunk was produced; 0: end of input; -1: read error (errno set). Chunks may be empty
 * only when record_start is set. */
int ds_reader_next(ds_reader *r, ds_chunk *out);
/* Detected or forced mode after the first call to ds_reader_next(). */
ds_input_mode ds_reader_mode(const ds_reader *r);
/* 1 once the input is known to be live (a pipe, terminal or socket): output should then be
 * flushed after each chunk. */
int ds_reader_is_live(const ds_reader *r);
void ds_reader_free(ds_reader *r);

/* Parses a whole in-memory text (hex or log) into bytes; helper for tests and
 * command-line arguments. Returns a malloc'd buffer and its length, or NULL
 * when the text holds no hex at all. */
uint8_t *ds_hex_parse_text(const char *text, size_t text_len, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
