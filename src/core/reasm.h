/* Reassembly of APDUs split over several frames, per conversation.
 *
 * A conversation is identified by a short key built from the link
 * addresses (HDLC destination + source, M-Bus address + TSAPs); since the
 * key includes the direction, each direction reassembles on its own.
 * Memory is bounded: at most DS_REASM_SLOTS conversations in progress, each
 * at most DS_REASM_MAX bytes; the least recently used slot is given up
 * (and reported by the caller) when a new conversation needs room. */
#ifndef DS_CORE_REASM_H
#define DS_CORE_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define DS_REASM_SLOTS 16
#define DS_REASM_MAX (1u << 20)
#define DS_REASM_KEY_MAX 12

typedef struct ds_reasm_slot {
    int active;
    uint8_t key[DS_REASM_KEY_MAX];
    size_t key_len;
    ds_buf data;            /* the gathered bytes, at most DS_REASM_MAX */
    uint64_t first_offset;  /* stream offset of the first segment's payload */
    uint64_t last_use;
    int next_seq;           /* next expected segment number (M-Bus), -1 when unused */
} ds_reasm_slot;

typedef struct ds_reasm {
    ds_reasm_slot *slot;    /* nslots of them, at most DS_REASM_SLOTS, one more allocated each
                             * time all are in use: a capture's thousands of connections gather
                             * one conversation each, when they gather at all */
    size_t nslots;
    uint64_t clock;
    size_t active;          /* slots in use: most frames are looked up while none is */
} ds_reasm;

void ds_reasm_init(ds_reasm *r);
void ds_reasm_free(ds_reasm *r);
/* 1 when some conversation is gathering segments. */
static inline int ds_reasm_gathering(const ds_reasm *r)
{
    return r->active != 0;
}
/* The active slot for key, or NULL. */
ds_reasm_slot *ds_reasm_find(ds_reasm *r, const uint8_t *key, size_t key_len);
/* A fresh slot for key (reusing an idle one, or evicting the least recently used:
 * *evicted is set to 1 then); NULL when memory runs out. */
ds_reasm_slot *ds_reasm_start(ds_reasm *r, const uint8_t *key, size_t key_len, uint64_t offset, int *evicted);
/* Appends bytes; returns -1 when the slot would exceed DS_REASM_MAX or memory runs out. */
int ds_reasm_append(ds_reasm *r, ds_reasm_slot *s, const uint8_t *p, size_t n);
void ds_reasm_release(ds_reasm *r, ds_reasm_slot *s);

#endif
