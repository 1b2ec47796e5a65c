/* Blocks reassembled per conversation: general block transfer (GBT, E0), the data blocks of
 * GET responses and SET requests, and the parameter blocks (pblocks) of ACTION requests and
 * responses. Each block is shown as it came; once the last one is there, the whole is
 * decoded once, as a <Reassembled> view (not bytes of its own: the encoder skips it). */
#ifndef DS_SECURITY_BLOCKS_H
#define DS_SECURITY_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/value.h"
#include "event/emit.h"

#define DS_BLOCKS_MAX (1u << 20)  /* a reassembled APDU or data value may not grow past 1 MiB */

/* A link address as a number, so that senders and conversations compare in a move: within a
 * link kind, equal numbers are equal addresses. 0 is no address. */
typedef uint64_t ds_link_addr;
#define DS_LINK_ADDR_MAX 7 /* bytes for ds_link_addr_of: the count goes in the top byte */

/* The number of the address p[0..n): its bytes big-endian and, above them, how many there
 * were (so that 01 and 00 01 differ). n <= DS_LINK_ADDR_MAX: longer addresses are cut. */
static inline ds_link_addr ds_link_addr_of(const uint8_t *p, size_t n)
{
    if (n > DS_LINK_ADDR_MAX) n = DS_LINK_ADDR_MAX;
    ds_link_addr v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v | (ds_link_addr)n << 8 * DS_LINK_ADDR_MAX;
}

/* One sender's transfers of one kind: the builders' join (dlmscope/value.h), the lenient way,
 * and what the output needs beside the bytes. */
typedef struct ds_block_stream {
    ds_link_addr sender;             /* who sends the blocks, to keep directions apart */
    ds_block_join join;              /* growing, up to DS_BLOCKS_MAX; join.open: a transfer in progress */
    uint64_t first_offset;           /* of the APDU with block 1 */
    /* started by a with-list first block (SET C1 05, ACTION C3 05): how to show the whole (a
     * SEQUENCE OF Data) and how many descriptors it had; NULL for a single value */
    const struct ds_field *list_field;
    size_t list_count;
    /* GBT: the blocks the peer's acknowledgement asked for again (REFERENCE.md 10.3: the sender
     * sends the blocks after BNA again), resend_next up to resend_last, and that BNA; 0: none.
     * Kept while the stream's transfer is ended, like join.highest: the copies sent again are
     * told from blocks out of order by them. */
    uint32_t resend_next, resend_last, resend_ack;
    /* GBT: a block past the one expected (a gap) in an open transfer, held rather than reported:
     * the receiver's acknowledgement of the block before the missing one asks for it again, and
     * its copy goes on with the gathered bytes. gap_number: the block that came (0: none held),
     * gap_offset: where; reported as gbt.missing-block once anything else comes (or the input ends). */
    uint32_t gap_number;
    uint64_t gap_offset;
} ds_block_stream;

/* Each kind's pair of streams (one per direction) is allocated with the first block of that
 * kind: most conversations see no block at all, and those that do mostly see one kind. */
typedef struct ds_blocks {
    ds_block_stream *gbt;            /* [2], one per direction; NULL: none yet */
    ds_block_stream *get;            /* [2], GET datablocks */
    ds_block_stream *set;            /* [2], SET request datablocks */
    ds_block_stream *action_req;     /* [2], ACTION request pblocks */
    ds_block_stream *action_resp;    /* [2], ACTION response pblocks */
    /* the last get-request seen was with-list (C0 03): who sent it and its count of descriptors,
     * so that its answer in datablocks shows as that many Get-Data-Result */
    int get_list_pending;
    size_t get_list_count;
} ds_blocks;

/* Drops every transfer in progress and the streams (b can be used again afterwards). */
void ds_blocks_free(ds_blocks *b);
/* Frees the pairs of streams that hold nothing: no transfer in progress, no block number or start
 * remembered from one that ended (those tell a later block that goes back). */
void ds_blocks_trim(ds_blocks *b);
/* 1 when b holds nothing at all (no pair of streams, no with-list request pending). */
int ds_blocks_empty(const ds_blocks *b);
/* The input ended: a gap held in a GBT transfer (no copy of the missing block came) is reported. */
void ds_blocks_end(ds_blocks *b, ds_emit *e);
/* Looks at every decoded APDU; returns 1 when it was a block of one of the kinds handled. */
int ds_blocks_on_apdu(ds_blocks *b, ds_emit *e, ds_link_addr sender, const uint8_t *apdu, size_t n,
                      uint64_t offset);

#endif
