/* Decode context: how decoders talk to the sink and report problems.
 *
 * Every decoder (frame envelopes, APDUs, A-XDR data) gets a ds_emit. It
 * formats numbers the way the options ask (hex or decimal), writes comments
 * only when they are wanted, and turns problems into diagnostics that go
 * both to the sink (at the place they occur) and to the diagnostic listener. */
#ifndef DS_EVENT_EMIT_H
#define DS_EVENT_EMIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "dlmscope/decoder.h"
#include "dlmscope/diag.h"
#include "dlmscope/sink.h"

#define DS_MAX_DEPTH 64  /* nesting limit for data and PDUs: deeper input is an error */
/* The limit counts every element from the outermost one of a frame (envelope, APDU, views), so
 * data inside them gets fewer levels of its own (61 in a bare DataNotification): the message
 * says what is counted. */
#define DS_TOO_DEEP_MESSAGE "elements nested deeper than %d levels, counted from the outermost (the envelope's and " \
                            "the APDU's own included); the rest is not decoded"

typedef struct ds_emit ds_emit;

struct ds_emit {
    ds_sink *sink;
    const ds_options *opt;
    ds_diag_fn diag_fn;
    void *diag_user;
    uint64_t base;      /* stream offset of the buffer being decoded (pos 0) */
    uint64_t frame;     /* current frame number, 0 outside frames */
    uint64_t line;      /* current input line, 0 when unknown */
    uint64_t errors;
    uint64_t warnings;
    int depth;          /* current container nesting, checked against DS_MAX_DEPTH */
    /* Security hooks (set by the decoder when it has a session): fields worth remembering
     * (system titles, dedicated key, challenges) are reported as they are decoded, and a
     * ciphered APDU, once shown, is handed over so that its deciphered view can follow it. */
    void (*observe)(void *user, int what, const uint8_t *p, size_t n);
    void (*on_ciphered)(void *user, struct ds_emit *e, const uint8_t *apdu, size_t n, uint64_t offset);
    void *security;
    /* Every APDU decoded on its own (a frame's, a deciphered plaintext, a reassembled block
     * transfer, a signed content), not those that are a field of another APDU: handed over once
     * decoded, so that the decoder can give it to its caller as values (ds_decoder_on_apdu).
     * apdu_source says which of those it is (ds_apdu_source); the security layer sets it around
     * the views it decodes. */
    void (*on_apdu)(void *user, const uint8_t *apdu, size_t n, uint64_t offset, int source);
    void *apdu_user;
    int apdu_source;
    int hide_keys;      /* key values in deciphered APDUs are not written (no --show-keys) */
    /* Set once the bytes after a decoding error are written as <Undecoded> (ds_emit_rest): the
     * containers that close on the way out must not write them again. Cleared for each APDU
     * and for each BER field, the scopes in which decoding stops at the first error. */
    int rest_shown;
    uint16_t class_id;  /* the last ClassId decoded with comments on: names its attribute or method */
    int no_keys;        /* no deciphering key was given: ciphered APDUs get the comments that
                           explain their security header, and a hint at --ek/--ak */
};

void ds_emit_init(ds_emit *e, ds_sink *sink, const ds_options *opt, ds_diag_fn fn, void *user);

/* Report a problem at `pos` bytes after e->base. printf-style message. */
void ds_report(ds_emit *e, const char *code, ds_severity sev, uint64_t pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Report at an absolute stream offset. */
void ds_report_abs(ds_emit *e, const char *code, ds_severity sev, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Forward a diagnostic made elsewhere (framer, reader): counted, sent to the sink and listener. */
void ds_emit_diag(ds_emit *e, const ds_diag *d);

/* Names are program text: string literals or table entries. Each call that takes a name has a
 * *_len form taking its length too, and an inline form that measures the name (which the
 * compiler does at build time for a literal); tables of names keep the lengths and call the
 * *_len forms, so that no writer measures a name at run time. */

/* The calls made for every element (open, close, leaf, hex leaf, note) are inline: each is a
 * check and a call into the sink, and an out-of-line layer in between cost about a tenth of the
 * decoder's instructions. Their rare parts (too deep, no leaf_hex) are out of line. */

/* Reports apdu.too-deep and returns -1: the container is not opened. */
int ds_emit_too_deep(ds_emit *e);
/* ds_emit_hex_len() for a sink without leaf_hex: formats the bytes and calls leaf(). */
void ds_emit_hex_formatted(ds_emit *e, const char *name, size_t name_len, const uint8_t *p, size_t n);
/* Sanitizer and fuzzing builds (DS_CHECK_CONTRACTS) check every DS_TEXT_PLAIN promise, and abort
 * on a broken one: it would be malformed output in a release build. */
#ifdef DS_CHECK_CONTRACTS
void ds_emit_check_plain(const char *text, size_t len, unsigned flags);
#else
static inline void ds_emit_check_plain(const char *text, size_t len, unsigned flags)
{
    (void)text, (void)len, (void)flags;
}
#endif

/* Containers. The open calls return -1 (after reporting apdu.too-deep) when nesting is too
 * deep; the container is then NOT opened and must not be closed. */
/* children written at this element's indentation (frame envelopes, <PDU>) */
int ds_emit_open_flat_len(ds_emit *e, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs);
/* ds_emit_open_flat_len() where the attributes after attrs[0..nhead) are also given as the XML
 * text run: passed to the sink's open_run when it has one (ds_sink.open_run), else attrs[0..nattrs)
 * to its open(). attrs[nhead..nattrs), when made (nattrs > nhead), are checked against the run in
 * the builds with DS_CHECK_CONTRACTS. */
int ds_emit_open_flat_run(ds_emit *e, const char *name, size_t name_len, const ds_attr *attrs, size_t nhead,
                          size_t nattrs, const ds_attr_run *run);
int ds_emit_open_attrs_len(ds_emit *e, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs);
int ds_emit_open_qty_len(ds_emit *e, const char *name, size_t name_len, uint64_t qty);  /* Qty="h2" or decimal */

/* Leaves. A value that comes from the input may need escaping; one the decoder formatted
 * itself (numbers, hex) is passed as DS_TEXT_PLAIN so that no writer scans it again. */
void ds_emit_bare_len(ds_emit *e, const char *name, size_t name_len);          /* <name /> */
void ds_emit_leaf_attrs_len(ds_emit *e, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs);
void ds_emit_uint_len(ds_emit *e, const char *name, size_t name_len, uint64_t v, int hex_digits);
void ds_emit_sint_len(ds_emit *e, const char *name, size_t name_len, int64_t v, int hex_digits);

/* Leaf flags for a number formatted per the options: decimal text is marked as a number (see
 * DS_LEAF_NUMBER), hex text is not (it reads as a string of digits). */
static inline unsigned ds_emit_number_flags(const ds_emit *e)
{
    return e->opt->decimal ? DS_TEXT_PLAIN | DS_LEAF_NUMBER : DS_TEXT_PLAIN;
}

/* 1 in the builds that check the library's internal promises (DS_CHECK_CONTRACTS). */
#ifdef DS_CHECK_CONTRACTS
#define DS_EMIT_CHECKS 1
#else
#define DS_EMIT_CHECKS 0
#endif

/* Whether the sink copies a run of attribute text (ds_sink.open_run) instead of taking them one
 * by one: a caller then need not make the attributes the run stands for. */
static inline int ds_emit_takes_run(const ds_emit *e) { return e->sink->open_run != NULL; }

/* One more level of nesting, or -1 (reported) when that is too deep. */
static inline int ds_emit_enter(ds_emit *e)
{
    if (e->depth >= DS_MAX_DEPTH) return ds_emit_too_deep(e);
    e->depth++;
    return 0;
}
static inline int ds_emit_open_len(ds_emit *e, const char *name, size_t name_len)
{
    if (ds_emit_enter(e)) return -1;
    e->sink->open(e->sink, name, name_len, NULL, 0, 0);
    return 0;
}
static inline void ds_emit_close_len(ds_emit *e, const char *name, size_t name_len)
{
    e->depth--;
    e->sink->close(e->sink, name, name_len);
}
/* Value="value" */
static inline void ds_emit_value_len(ds_emit *e, const char *name, size_t name_len, const char *value, size_t len,
                                     unsigned flags)
{
    ds_emit_check_plain(value, len, flags);
    e->sink->leaf(e->sink, name, name_len, value, len, flags);
}
/* Value="HEX" */
static inline void ds_emit_hex_len(ds_emit *e, const char *name, size_t name_len, const uint8_t *p, size_t n)
{
    if (e->sink->leaf_hex) e->sink->leaf_hex(e->sink, name, name_len, p, n);
    else ds_emit_hex_formatted(e, name, name_len, p, n);
}

static inline int ds_emit_open_flat(ds_emit *e, const char *name, const ds_attr *attrs, size_t nattrs)
{
    return ds_emit_open_flat_len(e, name, strlen(name), attrs, nattrs);
}
static inline int ds_emit_open_attrs(ds_emit *e, const char *name, const ds_attr *attrs, size_t nattrs)
{
    return ds_emit_open_attrs_len(e, name, strlen(name), attrs, nattrs);
}
static inline void ds_emit_leaf_attrs(ds_emit *e, const char *name, const ds_attr *attrs, size_t nattrs)
{
    ds_emit_leaf_attrs_len(e, name, strlen(name), attrs, nattrs);
}
static inline void ds_emit_close(ds_emit *e, const char *name) { ds_emit_close_len(e, name, strlen(name)); }
/* Value="value" for a value that may come from the input. */
static inline void ds_emit_leaf_n(ds_emit *e, const char *name, const char *value, size_t len)
{
    ds_emit_value_len(e, name, strlen(name), value, len, 0);
}
static inline void ds_emit_leaf(ds_emit *e, const char *name, const char *value)
{
    ds_emit_value_len(e, name, strlen(name), value, strlen(value), 0);
}
/* Value="value" for text the decoder made itself (see DS_TEXT_PLAIN). */
static inline void ds_emit_leaf_plain(ds_emit *e, const char *name, const char *value, size_t len)
{
    ds_emit_value_len(e, name, strlen(name), value, len, DS_TEXT_PLAIN);
}
static inline void ds_emit_hex(ds_emit *e, const char *name, const uint8_t *p, size_t n)
{
    ds_emit_hex_len(e, name, strlen(name), p, n);
}
/* hN / decimal */
static inline void ds_emit_uint(ds_emit *e, const char *name, uint64_t v, int hex_digits)
{
    ds_emit_uint_len(e, name, strlen(name), v, hex_digits);
}

/* Comments: no-ops unless opt->comments. ds_emit_comment_text() and ds_emit_comment() may
 * carry text from the input (the writer makes it safe: "--" broken up, ...); ds_emit_note() is
 * for text the decoder composed from its own words and numbers, which must be DS_TEXT_PLAIN. */
static inline int ds_emit_comments_on(const ds_emit *e) { return e->opt->comments; }
void ds_emit_comment(ds_emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ds_emit_comment_text(ds_emit *e, const char *text, size_t len);
static inline void ds_emit_note(ds_emit *e, const char *text, size_t len)
{
    if (!ds_emit_comments_on(e)) return;
    ds_emit_check_plain(text, len, DS_TEXT_PLAIN);
    e->sink->comment(e->sink, text, len, DS_TEXT_PLAIN);
}

#endif
