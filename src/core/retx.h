/* HDLC retransmissions in a trace: the last I frame of each sender (its N(S), length and a hash
 * of its information field), so that the decoder can tell an I frame sent again (same N(S),
 * same content) from a new one and not decode, or reassemble, the same bytes twice.
 *
 * Only on a link whose set-up (SNRM or UA) is in the trace: there N(S) counts. A meter that
 * pushes I frames without a link (some HAN ports) may send every frame with the same N(S),
 * and two equal pushes are two pushes. Bounded: the senders seen last are kept, the oldest is
 * forgotten. */
#ifndef DS_CORE_RETX_H
#define DS_CORE_RETX_H

#include <stddef.h>
#include <stdint.h>

#include "core/reasm.h"

#define DS_RETX_SENDERS 16

typedef struct ds_retx_slot {
    uint8_t key[DS_REASM_KEY_MAX]; /* the sender: destination and source addresses */
    size_t key_len;                /* 0: free */
    int ns;                        /* -1: none since the link was set up */
    size_t len;
    uint64_t hash;
    uint64_t used;                 /* when last seen, to forget the oldest */
} ds_retx_slot;

typedef struct ds_retx {
    ds_retx_slot *slot;            /* nslots of them, one more each time a link is set up while all
                                    * are taken, to DS_RETX_SENDERS: a capture's thousands of
                                    * decoders follow one link each, or none */
    size_t nslots;
    uint64_t clock;
} ds_retx;

void ds_retx_init(ds_retx *r);
void ds_retx_free(ds_retx *r);
/* Gives the slots back when no link is followed (for many decoders open at once). */
void ds_retx_trim(ds_retx *r);
/* The link of the sender `key` was set up (SNRM, UA): its I frames are followed from now on. */
void ds_retx_arm(ds_retx *r, const uint8_t *key, size_t key_len);
/* An I frame of the sender `key`: 1 when its link is followed and it repeats that sender's
 * previous I frame (same N(S), same information field), else 0 and it becomes the previous one. */
int ds_retx_is_repeat(ds_retx *r, const uint8_t *key, size_t key_len, int ns, const uint8_t *info, size_t len);
/* The sender's link ended (DISC, DM, FRMR): its I frames are no longer followed. */
void ds_retx_forget(ds_retx *r, const uint8_t *key, size_t key_len);

#endif
