/* Line-level pieces of the text reader: the hex tokenizer and the prefix
 * parser. Both work on plain memory and keep no global state, so the reader
 * can run them over a buffered line head and then keep feeding the tokenizer
 * the rest of a line that did not fit. */
#ifndef DS_INPUT_LINESCAN_H
#define DS_INPUT_LINESCAN_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/input.h"

/* Events from ds_hexrun_feed() / ds_hexrun_end(). */
#define DS_HEX_NONE 0
#define DS_HEX_BYTE 1 /* *b holds a decoded byte */
#define DS_HEX_LONE 2 /* a run had an odd digit count; *b holds the dropped digit's value */
#define DS_HEX_BAD  3 /* the character cannot be part of a hex line */

/* Incremental tokenizer: a run is a maximal sequence of hex digits, optionally
 * introduced by 0x; separators end runs. Digits pair up from the left. */
typedef struct ds_hexrun {
    int nib;               /* pending high nibble, -1 when none */
    unsigned digits;       /* digits in the current run (0x not counted) */
    int prefixed;          /* the current run began with 0x */
    int bad;               /* sticky: a DS_HEX_BAD event happened */
    int run_has_number;    /* the current run holds a digit 0-9 */
    uint64_t bytes;        /* bytes produced so far */
    uint64_t even_runs;    /* finished runs of even length */
    uint64_t word_runs;    /* finished odd runs of letters only ("a", "BAD", "Add") */
} ds_hexrun;

void ds_hexrun_init(ds_hexrun *h);
int ds_hexrun_feed(ds_hexrun *h, int c, uint8_t *b);
/* Closes the current run (end of line). */
int ds_hexrun_end(ds_hexrun *h, uint8_t *b);
/* Feeds the longest start of s[0..n) that can only yield bytes: hex digits,
 * and single ' ' blanks (not followed by another blank in s) that end a run
 * of whole bytes. Same state and bytes as ds_hexrun_feed() one character at a
 * time, but a whole "7E A0 08 " line costs a few instructions per character.
 * The bytes go to out + *out_len, which needs room for n more. Returns the
 * count of characters consumed; the caller feeds the next one the slow way. */
size_t ds_hexrun_feed_quick(ds_hexrun *h, const char *s, size_t n, uint8_t *out, size_t *out_len);
int ds_hex_is_separator(int c);
int ds_hex_is_space(int c);

/* Character classes for the hot loops: one table look-up instead of a chain
 * of comparisons. */
#define DS_CC_VALUE 0x0Fu /* the hex digit's value */
#define DS_CC_HEX   0x10u /* 0-9 a-f A-F */
#define DS_CC_SPACE 0x20u /* blank or line end, see ds_hex_is_space() */
#define DS_CC_SEP   0x40u /* separator between bytes, see ds_hex_is_separator() */
#define DS_CC_DEC   0x80u /* 0-9 */
extern const uint8_t ds_char_class[256];

static inline int ds_cc_is_space(unsigned char c)
{
    return (ds_char_class[c] & DS_CC_SPACE) != 0;
}

/* What the start of a line said. */
typedef struct ds_line_prefix {
    size_t rest;                      /* index of the first character after the prefix */
    ds_direction dir;
    int has_dir;
    int has_time;
    int has_label;                    /* "PDU:", "Decrypted PDU:", "Send data:" ... */
    int serial;                       /* a serial capture's block header: socat's "> date time  length=N
                                         from=N to=N", slsnif's "Host   -->" / "Device -->" */
    unsigned offset_width;            /* digits of a dump offset column, 0 when none */
    size_t offset_pos;                /* index of the offset column's first digit */
    char timestamp[DS_TIMESTAMP_MAX]; /* timestamp parts as written, joined by one space */
    size_t timestamp_len;
} ds_line_prefix;

/* Parses direction words/arrows, dates, times, bracketed timestamps or tags
 * and an offset column at the start of s[0..n). pipe_column: the line ends in
 * a hexdump -C |ascii| column (makes a bare leading number an offset).
 * prev_offset_width: offset width of the previous line, 0 when none. */
void ds_line_prefix_parse(const char *s, size_t n, int pipe_column,
                          unsigned prev_offset_width, ds_line_prefix *pf);

/* interceptty's one byte per line after its direction mark: "0x7e" or "0x7e (~)", the
 * character shown only when printable. 1 and *b set when s[0..n) is exactly that. */
int ds_match_byte_line(const char *s, size_t n, uint8_t *b);

#endif
