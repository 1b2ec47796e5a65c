/* Diagnosis: what went wrong in a conversation, in words.
 *
 * A diagnoser sits on the public callbacks of decoders (frames, APDUs as values, diagnostics)
 * and keeps a small, bounded state per conversation (one decoder: a stream, or one connection
 * of a capture): the link (addresses, SNRM/UA parameters, N(S)/N(R)), the open requests, the
 * association and an image transfer. It never keeps the trace. What it finds goes to a callback
 * as findings: a stable code (documented in dlmscope(1)), a severity, where (frame, offset,
 * time), a message, a hint (the usual cause and fix) and code-specific fields.
 *
 * Use: ds_diagnoser_new(); put ds_diagnoser_options() on the ds_options of the decoders (it
 * sets the decoder hook) and give ds_diagnoser_diag as their diag_fn with the diagnoser as its
 * user; decode; ds_diagnoser_end(); ds_diagnoser_write_summary(). */
#ifndef DLMSCOPE_DIAGNOSE_H
#define DLMSCOPE_DIAGNOSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "dlmscope/decoder.h"
#include "dlmscope/diag.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A code-specific field of a finding: a number (text of decimal digits) or a string. */
typedef struct ds_finding_field {
    const char *key;
    const char *value;
    int is_number;
} ds_finding_field;

#define DS_FINDING_FIELDS_MAX 9

typedef struct ds_finding {
    const char *code;          /* "link.fcs", "app.action-result", ... (static text) */
    ds_severity severity;
    unsigned conversation;     /* 1-based number of the conversation (decoder) it belongs to */
    uint64_t frame;            /* 1-based frame number, 0 when not tied to a frame */
    uint64_t offset;           /* byte offset in the input */
    uint64_t line;             /* input line of text input, 0 otherwise */
    const char *time;          /* the log's timestamp, "" when none */
    const char *message;       /* what happened */
    const char *hint;          /* the usual cause and what to do; "" when none */
    const ds_finding_field *fields;
    size_t nfields;
} ds_finding;

typedef void (*ds_finding_fn)(void *user, const ds_finding *f);

typedef struct ds_diagnoser ds_diagnoser;

/* NULL without memory. fn gets every finding as it is made (valid during the call only). */
ds_diagnoser *ds_diagnoser_new(ds_finding_fn fn, void *user);
/* Sets o's decoder hook so that every decoder made with o reports to g. */
void ds_diagnoser_options(ds_diagnoser *g, ds_options *o);
/* A ds_diag_fn (user = the diagnoser): the decoder's diagnostics become findings. */
void ds_diagnoser_diag(void *user, const ds_diag *d);
/* Ends every conversation still open and makes the findings of the trace as a whole
 * (input.no-frames when the input held no or few valid frames). */
void ds_diagnoser_end(ds_diagnoser *g);
/* The human summary of each conversation (framing, addresses, HDLC parameters, association,
 * services, image transfer, how it ended). After ds_diagnoser_end(). */
void ds_diagnoser_write_summary(const ds_diagnoser *g, FILE *out);
/* 1 when ds_diagnoser_end() found no or few valid frames in the input (input.no-frames): the
 * caller may then look at the bytes for wrong serial settings. */
int ds_diagnoser_no_frames(const ds_diagnoser *g);
/* Counts of findings by severity (DS_SEV_INFO .. DS_SEV_ERROR). */
uint64_t ds_diagnoser_count(const ds_diagnoser *g, ds_severity s);
void ds_diagnoser_free(ds_diagnoser *g);

/* One finding as a JSON line: {"code": ..., "severity": ..., "conversation": N, "frame": N,
 * "offset": N, "line": N, "time": "..." or null, "message": ..., "hint": ..., fields...} */
void ds_finding_write_json(FILE *out, const ds_finding *f);
/* One finding as text: "frame 3 (offset 124): error app.action-result: message\n  hint: ..." */
void ds_finding_write_text(FILE *out, const ds_finding *f);

/* The codes the diagnoser makes itself (besides the decoder's own diagnostic codes, which
 * it passes on, those of the framing renamed link.*): NULL past the last. */
const char *ds_diagnose_code(size_t i);

#ifdef __cplusplus
}
#endif
#endif
