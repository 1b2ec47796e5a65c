/* The association machine, both roles: general block transfer (GBT, REFERENCE.md 10.3).
 *
 * GBT sits under the services: an APDU as it goes on the wire (ciphered first when the
 * association is: "used when the (protected) APDU exceeds the peer's max receive PDU") is cut into
 * GBT blocks, and the peer's blocks are joined back into the APDU it sent, which is then taken as
 * if it had come whole. So every service, in both roles, ciphered or not, goes in GBT the same way,
 * and the glo/ded protection stays around the whole APDU (the GBT blocks themselves are plain).
 *
 * Numbering: each side counts the GBT APDUs it sends in one exchange from 1 (its data blocks and
 * its acknowledgements alike); BN = 1 with BNA = 0 opens an exchange. A sender streams up to the
 * window the peer gave in its last GBT (1 before any came), no more than its own window, the
 * blocks inside the window with the streaming bit, and waits for the acknowledgement at the window's end: a GBT with no data whose
 * BNA is the last block taken in order. The blocks after BNA go again: so a lost block is asked
 * for again at the end of its window. Blocks already taken are dropped. The last block ends the
 * stream and is answered by the service's answer (or acknowledged when a block before it is
 * missing).
 *
 * A stream that goes quiet before its last block (the last block lost, or the block that ends a
 * window, or our acknowledgement of it) has no window end left to answer: the caller, which
 * keeps the time, says so (ds_assoc_gbt_quiet) and the receiver sends the acknowledgement of the
 * last block taken in order again, so the sender sends the rest again: the same recovery as at a
 * window's end (REFERENCE.md 10.3: "the sender drops blocks <= BNA from its queue and sends the
 * others again"). Only the receiver acts on silence: the sender of a last block has nothing to
 * wait for (the service's answer, or nothing, follows), and every other loss leaves the receiver
 * waiting, so one side asking is enough and no two re-sends cross. At most AS_GBT_QUIET_ACKS such
 * acknowledgements in a row bring no block: then the stream is given up with an error. */
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "conn/assoc_int.h"

/* GBT APDU header: tag, control, two numbers, a length of up to 3 bytes */
#define GBT_HEADER 10u
/* Acknowledgements sent again into a quiet stream before it is given up */
#define AS_GBT_QUIET_ACKS DS_ASSOC_GBT_RETRIES

/* The buffers only an association that uses GBT needs: whole APDUs of up to AS_APDU_MAX bytes
 * (tx, ctx, rx and answer grown; the blocks' own buffers). realloc keeps what they hold (the
 * AARE being read). */
static int grow(uint8_t **buf)
{
    uint8_t *p = realloc(*buf, AS_APDU_MAX);
    if (!p) return -1;
    *buf = p;
    return 0;
}

static int grow_buffers(ds_assoc *as)
{
    if (grow(&as->tx) || grow(&as->ctx) || grow(&as->rx) || grow(&as->answer)) return -1;
    as->gbt_out = malloc(AS_APDU_MAX);
    as->gbt_in = malloc(AS_APDU_MAX);
    as->gbt_blk = malloc(0x10000u + 64u);
    if (!as->gbt_out || !as->gbt_in || !as->gbt_blk) {
        free(as->gbt_out);
        free(as->gbt_in);
        free(as->gbt_blk);
        as->gbt_out = as->gbt_in = as->gbt_blk = NULL;
        return -1;
    }
    as->apdu_cap = AS_APDU_MAX;
    return 0;
}

void as_gbt_negotiated(ds_assoc *as)
{
    as->gbt = as->s.gbt_window != 0 && (as->conformance & DS_CONFORMANCE_GBT) != 0;
    as->gbt_peer_window = 1;
    if (as->gbt && !as->gbt_blk && grow_buffers(as)) as->gbt = 0; /* no memory: service blocks remain */
}

void as_gbt_reset(ds_assoc *as)
{
    as->gbt_own_bn = 0;
    as->gbt_peer_bn = 0;
    as->gbt_sending = 0;
    as->gbt_in_len = 0;
    as->gbt_answer_in_gbt = 0;
    as->gbt_receiving = 0;
    as->gbt_quiet_acks = 0;
}

static uint8_t own_window(const ds_assoc *as)
{
    return (uint8_t)(as->s.gbt_window & DS_GBT_WINDOW);
}

static int send_gbt(ds_assoc *as, uint8_t control, uint16_t number, const uint8_t *data, size_t n)
{
    size_t len = 0;
    char err[200];
    if (ds_build_general_block_transfer(control, number, as->gbt_peer_bn, data, n, as->gbt_blk, 0x10000u + 64u, &len,
                                        err, sizeof err))
        return as_fail(as, "general-block-transfer %u: %s", number, err);
    return as->out(as->out_user, as->gbt_blk, len) ? as_fail(as, "output refused") : 0;
}

/* Blocks `from` on, up to the peer's window: every block but the window's last streams. (Not
 * ds_split_general_block_transfer: a window's blocks differ in their control bits, and a lost
 * block's window starts in the middle.) */
static int send_window(ds_assoc *as, uint16_t from)
{
    /* the peer's window, and no more than this side's own (the emulator's --gbt-window says how
       many blocks it streams at most) */
    uint32_t window = as->gbt_peer_window ? as->gbt_peer_window : 1;
    if (own_window(as) && own_window(as) < window) window = own_window(as);
    uint32_t to = (uint32_t)from + window - 1;
    if (to > as->gbt_last) to = as->gbt_last;
    for (uint32_t bn = from; bn <= to; bn++) {
        size_t off = (size_t)(bn - as->gbt_first) * as->gbt_block;
        size_t part = as->gbt_out_len - off < as->gbt_block ? as->gbt_out_len - off : as->gbt_block;
        uint8_t control = (uint8_t)((bn == as->gbt_last ? DS_GBT_LAST : 0) | (bn < to ? DS_GBT_STREAMING : 0) |
                                    own_window(as));
        if (send_gbt(as, control, (uint16_t)bn, as->gbt_out + off, part)) return -1;
    }
    if (to > as->gbt_own_bn) as->gbt_own_bn = (uint16_t)to;
    return 0;
}

int as_output(ds_assoc *as, const uint8_t *wire, size_t n)
{
    int long_apdu = n > (as->peer_max_pdu ? as->peer_max_pdu : 0xFFFFu);
    if (!as->gbt || !(long_apdu || (as->s.role == DS_ASSOC_SERVER && as->gbt_answer_in_gbt)))
        return as->out(as->out_user, wire, n) ? as_fail(as, "output refused") : 0;
    if (n > AS_APDU_MAX) return as_fail(as, "an APDU of %zu bytes is too long even for general block transfer", n);
    size_t max = as->peer_max_pdu ? as->peer_max_pdu : 0xFFFFu;
    as->gbt_block = max > 2 * GBT_HEADER ? max - GBT_HEADER : GBT_HEADER;
    size_t count = (n + as->gbt_block - 1) / as->gbt_block;
    if (count == 0 || count > 0xFFFFu - as->gbt_own_bn)
        return as_fail(as, "an APDU of %zu bytes needs %zu GBT blocks: more than the block numbers", n, count);
    memcpy(as->gbt_out, wire, n);
    as->gbt_out_len = n;
    as->gbt_first = (uint16_t)(as->gbt_own_bn + 1);
    as->gbt_last = (uint16_t)(as->gbt_own_bn + count);
    as->gbt_sending = 1;
    return send_window(as, as->gbt_first);
}

/* The acknowledgement of what was taken in order (BNA), with this side's window. */
static int send_ack(ds_assoc *as)
{
    if (as->gbt_own_bn == 0xFFFFu) return as_fail(as, "general block transfer: no block number left");
    as->gbt_own_bn++;
    return send_gbt(as, (uint8_t)(DS_GBT_LAST | own_window(as)), as->gbt_own_bn, NULL, 0);
}

/* An acknowledgement from the peer: the blocks after its BNA go (again). */
static int on_ack(ds_assoc *as, uint16_t bna)
{
    if (!as->gbt_sending || bna >= as->gbt_last) return 0; /* nothing of ours waits, or all is in */
    uint16_t from = bna >= as->gbt_first ? (uint16_t)(bna + 1) : as->gbt_first;
    return send_window(as, from);
}

/* A whole APDU joined from the peer's blocks: taken as if it had come at once. */
static int deliver(ds_assoc *as)
{
    size_t n = as->gbt_in_len;
    as->gbt_in_len = 0;
    if (n == 0) return as_fail(as, "general block transfer: the joined APDU is empty");
    if (as->s.role == DS_ASSOC_SERVER) as->gbt_answer_in_gbt = 1;
    as->gbt_joined = 1;
    int rc = as->s.role == DS_ASSOC_SERVER ? as_server_receive(as, as->gbt_in, n) : as_client_receive(as, as->gbt_in, n);
    as->gbt_joined = 0;
    return rc;
}

int as_gbt_receive(ds_assoc *as, const uint8_t *apdu, size_t n)
{
    if (as->s.role == DS_ASSOC_CLIENT && as->wait == AS_WAIT_NONE)
        return as_fail(as, "general-block-transfer and no request waits for it");
    ds_value *v = as_decode(as, apdu, n);
    const ds_value *g = v ? ds_value_find(v, "GeneralBlockTransfer") : NULL;
    const ds_value *c = g ? ds_value_find(g, "BlockControl") : NULL, *bn = g ? ds_value_find(g, "BlockNumber") : NULL;
    const ds_value *bna = g ? ds_value_find(g, "BlockNumberAck") : NULL, *d = g ? ds_value_find(g, "BlockData") : NULL;
    if (!c || !bn || !bna || !d || d->kind != DS_VALUE_BYTES) {
        if (v) as_fail(as, "a general-block-transfer without its fields");
        return -1;
    }
    uint8_t control = (uint8_t)c->u;
    uint16_t number = (uint16_t)bn->u, ack = (uint16_t)bna->u;
    if (number == 1 && ack == 0 && d->len) { /* the peer opens an exchange */
        if (as->s.role == DS_ASSOC_SERVER) as_gbt_reset(as);
        as->gbt_peer_bn = 0;
        as->gbt_in_len = 0;
    }
    if (control & DS_GBT_WINDOW) as->gbt_peer_window = control & DS_GBT_WINDOW;
    if (d->len == 0) { /* an acknowledgement: it takes a number of the peer's too */
        if (number > as->gbt_peer_bn) as->gbt_peer_bn = number;
        return on_ack(as, ack);
    }
    as->gbt_sending = 0; /* the peer sends: it took all of ours */
    int end_of_window = (control & DS_GBT_LAST) || !(control & DS_GBT_STREAMING);
    if (number <= as->gbt_peer_bn) return 0; /* a block taken already */
    as->gbt_receiving = 1;
    if (number != as->gbt_peer_bn + 1) return end_of_window ? send_ack(as) : 0; /* one is missing */
    as->gbt_quiet_acks = 0;
    if (d->len > AS_APDU_MAX - as->gbt_in_len) {
        as->gbt_in_len = 0;
        return as_fail(as, "general block transfer: the joined APDU exceeds %u bytes", AS_APDU_MAX);
    }
    memcpy(as->gbt_in + as->gbt_in_len, d->bytes, d->len);
    as->gbt_in_len += d->len;
    as->gbt_peer_bn = number;
    if (control & DS_GBT_LAST) {
        as->gbt_receiving = 0;
        return deliver(as);
    }
    return end_of_window ? send_ack(as) : 0;
}

int ds_assoc_gbt_receiving(const ds_assoc *as)
{
    return as->gbt && as->gbt_receiving;
}

int ds_assoc_gbt_quiet(ds_assoc *as)
{
    if (!ds_assoc_gbt_receiving(as)) return 0;
    if (as->gbt_quiet_acks >= AS_GBT_QUIET_ACKS) {
        unsigned acks = as->gbt_quiet_acks;
        as->gbt_receiving = 0;
        as->gbt_quiet_acks = 0;
        as->gbt_in_len = 0;
        return as_fail(as,
                       "general block transfer: nothing came after the peer's block %u, though it was acknowledged "
                       "again %u times: the stream is given up",
                       as->gbt_peer_bn, acks);
    }
    as->gbt_quiet_acks++;
    return send_ack(as);
}
