/* Inside the wrong-serial-settings inference (include/dlmscope/serial_infer.h): what its three
 * parts share.
 *
 * serial_infer.c     hypotheses scored by the frames with good checks they give, the verdict,
 *                    and why bytes are not DLMS when nothing explains them
 * serial_alphabet.c  the byte values a mis-set receiver can deliver at all (statistical)
 * serial_faster.c    a sender faster than the receiver: the bits its character frame forces
 *                    (statistical)
 * serial_seven_bit.c what a receiver of 7 data bits leaves of 8-bit HDLC frames, and of HDLC
 *                    and M-Bus frames when it zeroes bad characters
 * serial_signature.c the characters a mis-set receiver delivers from the first bytes of a
 *                    frame after an idle line, found at frame starts (statistical) */
#ifndef DS_DIAGNOSE_SERIAL_INFER_INT_H
#define DS_DIAGNOSE_SERIAL_INFER_INT_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/serial_infer.h"

#include "link/framer_int.h" /* DS_MBUS_LONG_START, DS_MBUS_STOP */

typedef struct frame_count {
    size_t frames, bytes, longest;
} frame_count;

typedef struct hypothesis {
    ds_serial_settings receiver, sender;
    int inverted;
    frame_count fc;
    size_t resampled;  /* bytes the sender-side UART delivered */
} hypothesis;

typedef struct hyp_list {
    hypothesis *h;
    size_t n, cap;
} hyp_list;

void si_settings_of(ds_serial_settings *s, unsigned long baud, int data_bits, ds_parity parity);
int si_same_frame_format(const ds_serial_settings *a, const ds_serial_settings *b);
/* How far a hypothesis is from the capture's setting: among equal evidence the nearest wins. */
int si_distance(const hypothesis *h);
/* The setting verdict (code, sender, ratio) that h names. */
void si_verdict_of(ds_serial_inference *out, const hypothesis *h);
/* The byte histogram of p into hist, and its entropy in bits per byte. */
double si_entropy_bits(const uint8_t *p, size_t n, size_t hist[256]);

/* The alphabets of every hypothesis (serial_alphabet.c): 1 when one explains the capture (out
 * is filled), 0 when none does, -1 on no memory. */
int si_statistical_verdict(ds_serial_inference *out, const hyp_list *hl, const uint8_t *p, size_t n);
/* A sender 2 to 16 times faster (serial_faster.c): the same returns. */
int si_faster_sender_verdict(ds_serial_inference *out, const uint8_t *p, size_t n, const ds_serial_settings *told);

/* The frame starts a hypothesis predicts, found in the capture (serial_signature.c): the same
 * returns. */
int si_signature_verdict(ds_serial_inference *out, const uint8_t *p, size_t n, const ds_serial_settings *told);

/* An HDLC frame at s as a receiver of 7 data bits leaves it (serial_seven_bit.c): flags, format,
 * length and header check hold with bit 7 of each byte set back. Its length, or 0. */
size_t si_seven_bit_hdlc_at(const uint8_t *s, size_t avail);
/* 8-bit frames as a 7E1 receiver that zeroes bad characters leaves them (serial_seven_bit.c):
 * the longest-weighing chain of HDLC or M-Bus frames back to back into fc (*hdlc says which).
 * 1 when it weighs enough to name the setting, 0 when not, -1 on no memory. */
int si_seven_bit_zeroed_chain(const uint8_t *p, size_t n, frame_count *fc, int *hdlc);

#endif
