/* Wrong serial settings, found from the bits.
 *
 * A serial capture with no valid frame (or few) is often the bytes a receiver at one setting
 * made of a line that a sender drove at another. ds_serial_infer() rebuilds the line as the
 * receiver sampled it, samples it again at each candidate sender setting (baud ratios 2, 4, 8,
 * 16 and their inverses, the usual rates 300 ... 115200, 8N1/8E1/8O1/7E1/7O1, inverted
 * polarity), and scores each by the HDLC, M-Bus and IEC 62056-21 frames with good checksums
 * it then holds. The best hypothesis is the answer, with its evidence; when no hypothesis
 * gives frames, the byte values a mis-set receiver can deliver, the bits a sender 2 to 16
 * times faster, an inverted line or 8N1 read with a parity bit leaves, and the first characters
 * an inverted line delivers from each frame (statistical: nothing recovered), may still name
 * the setting (with the other settings that explain the bytes
 * exactly as well, when there are: all 00 is a much slower sender or the other parity read
 * by a port that zeroes bad characters); otherwise the bytes are looked at for why they are
 * not DLMS at all. */
#ifndef DLMSCOPE_SERIAL_INFER_H
#define DLMSCOPE_SERIAL_INFER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "dlmscope/serial.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Finding codes (documented in dlmscope(1)). */
#define DS_D_SERIAL_OK             "serial.ok"             /* the bytes hold valid frames as they are */
#define DS_D_SERIAL_BAUD_MISMATCH  "serial.baud-mismatch"
#define DS_D_SERIAL_PARITY_MISMATCH "serial.parity-mismatch"
#define DS_D_SERIAL_DATA_BITS_MISMATCH "serial.data-bits-mismatch"
#define DS_D_SERIAL_INVERTED       "serial.inverted"
#define DS_D_SERIAL_NOT_DLMS       "serial.not-dlms"       /* no flag or start byte, no frame anywhere */
#define DS_D_SERIAL_NEAR_MISS      "serial.near-miss"      /* frame starts whose length or checksum fail */
#define DS_D_SERIAL_RANDOM         "serial.random"         /* a flat byte histogram: ciphered or noise */

typedef enum ds_serial_verdict {
    DS_SERIAL_FINE = 0,       /* serial.ok */
    DS_SERIAL_BAUD,           /* serial.baud-mismatch (maybe with other differences too) */
    DS_SERIAL_PARITY,         /* serial.parity-mismatch */
    DS_SERIAL_DATA_BITS,      /* serial.data-bits-mismatch */
    DS_SERIAL_INVERTED,       /* serial.inverted */
    DS_SERIAL_NOT_DLMS,       /* serial.not-dlms */
    DS_SERIAL_NEAR_MISS,      /* serial.near-miss */
    DS_SERIAL_RANDOM          /* serial.random */
} ds_serial_verdict;

/* Another setting that explains the bytes exactly as well as the one named (statistical): a
 * port that zeroes bad characters (INPCK) turns every character of a sender with the other
 * parity into 00, as a receiver ten times faster or more turns every character of any sender
 * into 00 (a break). */
typedef struct ds_serial_alternative {
    ds_serial_verdict verdict;       /* a setting verdict */
    const char *code;                /* DS_D_SERIAL_* */
    ds_serial_settings receiver, sender;
    int inverted;
    int receiver_zeroes_errors;
} ds_serial_alternative;

typedef struct ds_serial_inference {
    ds_serial_verdict verdict;
    const char *code;                /* DS_D_SERIAL_* */

    /* the receiver (the capture's setting): as told, or the one assumed */
    ds_serial_settings receiver;
    int receiver_known;              /* told by the caller: its baud is the capture's baud */

    /* the sender (the meter), for the setting verdicts and serial.ok */
    ds_serial_settings sender;       /* the settings to use */
    int inverted;                    /* the line must be read inverted */
    unsigned ratio_num, ratio_den;   /* sender baud / receiver baud, lowest terms */
    int statistical;                 /* found from the byte values the capture holds, not from
                                        frames: nothing can be recovered */
    int receiver_zeroes_errors;      /* statistical, or from the chains of frames a 7E1 port left
                                        of 8-bit ones: the capture's port turned characters with a
                                        framing or parity error into 00 (termios INPCK) */
    unsigned long other_bauds[8];    /* statistical: other sender rates that explain the bytes
                                        as well (a receiver 10 times faster or more sees only
                                        00 whatever the rate) */
    size_t n_other_bauds;
    ds_serial_alternative alternatives[4]; /* statistical: settings of another kind or frame
                                        format that explain the bytes as well (the bytes
                                        cannot tell them apart; the hint says how to) */
    size_t n_alternatives;

    /* evidence */
    size_t frames;                   /* frames with good checksums under the best hypothesis */
    size_t frame_bytes;              /* bytes inside them */
    size_t frames_as_captured;       /* the same in the bytes as they are */
    size_t hypotheses;               /* how many were scored */

    /* the bytes re-sampled at the sender's setting when the receiver sampled faster than the
     * sender sent (they decode); NULL otherwise. Owned, freed by ds_serial_inference_free. */
    uint8_t *recovered;
    size_t recovered_len;

    /* for the not-DLMS verdicts */
    size_t flag_bytes;               /* 7E, 68, STX seen */
    uint64_t near_miss_offset;       /* first 68 L L 68 or 7E A. whose checks fail */
    double entropy;                  /* bits per byte of the byte histogram */

    char why[320];                   /* one sentence of evidence */
} ds_serial_inference;

/* Infers what went wrong. receiver: the capture's setting when known (as parsed from
 * "--serial 2400:8N1"), or NULL to try the common ones. 0, or -1 on no memory (out is then
 * empty). Bounded: every hypothesis is scored on a prefix, the best ones on the whole. */
int ds_serial_infer(const uint8_t *p, size_t n, const ds_serial_settings *receiver, ds_serial_inference *out);

void ds_serial_inference_free(ds_serial_inference *r);

/* Severity of the finding: 0 info (serial.ok), 1 warning (not DLMS, near miss), 2 error (a
 * setting is wrong). */
int ds_serial_inference_severity(const ds_serial_inference *r);

/* The finding in words (one paragraph: what, the evidence, and a hint with the settings to
 * use). Returns the length it needed, like snprintf. */
int ds_serial_inference_text(const ds_serial_inference *r, char *buf, size_t len);

/* Its two parts alone, for a report that lays findings out itself (diagnose): what is wrong
 * with the evidence, and the hint with the settings to use. Like snprintf. */
int ds_serial_inference_message(const ds_serial_inference *r, char *buf, size_t len);
int ds_serial_inference_hint(const ds_serial_inference *r, char *buf, size_t len);

/* The finding as JSON members, without braces, for a finding line: "code":..,"severity":..,
 * "message":..,"hint":.., then the fields of the code (capture_settings, sender_settings,
 * ratio, inverted, frames, frame_bytes, recovered_bytes, statistical). Returns the length it
 * needed, like snprintf. */
int ds_serial_inference_json(const ds_serial_inference *r, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
