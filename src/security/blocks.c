#include "security/blocks.h"

#include <stdlib.h>
#include <string.h>

#include "apdu/apdu.h"
#include "apdu/apdu_tags.h"
#include "apdu/axdr.h"
#include "apdu/schema.h"
#include "util/cursor.h"

static void stream_free(ds_block_stream *s)
{
    ds_block_join_free(&s->join);
    memset(s, 0, sizeof *s);
}

static void pair_free(ds_block_stream **pair)
{
    if (!*pair) return;
    for (int i = 0; i < 2; i++) stream_free(&(*pair)[i]);
    free(*pair);
    *pair = NULL;
}

void ds_blocks_free(ds_blocks *b)
{
    pair_free(&b->gbt);
    pair_free(&b->get);
    pair_free(&b->set);
    pair_free(&b->action_req);
    pair_free(&b->action_resp);
    b->get_list_pending = 0;
}

/* A stream that would start afresh, whoever sends next: nothing gathered or remembered. */
static int stream_idle(const ds_block_stream *s)
{
    return !s->join.open && !s->join.out && !s->join.highest && !s->join.start_at && !s->resend_next;
}

static void pair_trim(ds_block_stream **pair)
{
    if (*pair && stream_idle(&(*pair)[0]) && stream_idle(&(*pair)[1])) pair_free(pair);
}

void ds_blocks_trim(ds_blocks *b)
{
    pair_trim(&b->gbt);
    pair_trim(&b->get);
    pair_trim(&b->set);
    pair_trim(&b->action_req);
    pair_trim(&b->action_resp);
}

int ds_blocks_empty(const ds_blocks *b)
{
    return !b->gbt && !b->get && !b->set && !b->action_req && !b->action_resp && !b->get_list_pending;
}

/* A stream for this sender, starting afresh; a sender's highest block number is kept when given. */
static ds_block_stream *fresh_stream(ds_block_stream *s, ds_link_addr sender, uint32_t highest)
{
    stream_free(s);
    ds_block_join_init_growing(&s->join, DS_BLOCKS_MAX);
    s->join.highest = highest;
    s->sender = sender;
    return s;
}

/* The stream of this sender (or a free one); the older direction's stream is reused last, an
 * idle one first. A sender's ended transfer is found again too: its highest block number tells a
 * block that goes back, its re-sends asked for tell a copy sent again. The pair is allocated with
 * its kind's first block; NULL when memory runs out. */
static ds_block_stream *stream_for(ds_block_stream **pairp, ds_link_addr sender)
{
    if (!*pairp && !(*pairp = calloc(2, sizeof **pairp))) return NULL;
    ds_block_stream *pair = *pairp;
    for (int i = 0; i < 2; i++)
        if (pair[i].join.open && pair[i].sender == sender) return &pair[i];
    for (int i = 0; i < 2; i++)
        if (!pair[i].join.open && !stream_idle(&pair[i]) && pair[i].sender == sender) {
            ds_block_stream kept = pair[i]; /* the numbers are kept, all else starts afresh */
            ds_block_stream *s = fresh_stream(&pair[i], sender, kept.join.highest);
            s->join.start_at = kept.join.start_at;
            s->resend_next = kept.resend_next;
            s->resend_last = kept.resend_last;
            s->resend_ack = kept.resend_ack;
            return s;
        }
    int free_slot = pair[0].join.open || (stream_idle(&pair[1]) && !stream_idle(&pair[0]));
    return fresh_stream(&pair[free_slot], sender, 0);
}

/* No memory for a kind's streams: the block is shown as it came, its transfer not gathered.
 * Returns 1: the APDU was a block. */
static int no_room(ds_emit *e, const char *what)
{
    ds_report(e, DS_D_INPUT_TOO_LARGE, DS_SEV_ERROR, 0, "out of memory for the %s blocks: they are not gathered",
              what);
    return 1;
}

/* A completed transfer, owning its bytes (free them), and what its stream knew of it. */
typedef struct block_whole {
    uint8_t *bytes;
    size_t len;
    uint64_t first_offset;
    const struct ds_field *list_field;
    size_t list_count;
} block_whole;

/* Adds block `number` (1-based) to the stream's join and says what the join found; returns 1
 * when it completed the whole, 0 when more are to come or it was not taken, -1 when it did not
 * fit (reported). A completed whole is handed over in *done, its bytes no longer the stream's:
 * decoding the whole can start a transfer of its own (a GBT inside a GBT, a signed or ciphered
 * block APDU), which may take this very stream. */
static int add_block(ds_block_stream *s, ds_emit *e, const char *what, uint32_t number, int last,
                     const uint8_t *p, size_t n, uint64_t offset, block_whole *done)
{
    ds_block_step st = ds_block_join_take(&s->join, number, last, p, n);
    if (st.restarted == 1)
        ds_report_abs(e, "gbt.restarted", DS_SEV_WARNING, offset,
                      "%s block 1 again, with the same bytes, after block %lu: a new transfer; the %zu byte(s) "
                      "of the unfinished one are dropped", what, (unsigned long)(st.expected - 1), st.dropped);
    else if (st.restarted)
        ds_report_abs(e, "gbt.restarted", DS_SEV_WARNING, offset,
                      "%s block 1 again with other bytes: a new transfer; the %zu byte(s) of the unfinished one "
                      "are dropped", what, st.dropped);
    if (number == 1 && (st.outcome == DS_BLOCK_TAKEN || st.outcome == DS_BLOCK_COMPLETE)) s->first_offset = offset;
    switch (st.outcome) {
    case DS_BLOCK_BACKWARDS:
        ds_report_abs(e, "gbt.out-of-order", DS_SEV_WARNING, offset,
                      "%s block %lu after block %lu, with no block 1 between: out of order, ignored", what,
                      (unsigned long)number, (unsigned long)st.highest);
        return 0;
    case DS_BLOCK_NO_START:
        /* the input starts in the middle of a transfer (a pasted frame): nothing is wrong with the
         * bytes, so no diagnostic; say why no whole is shown */
        ds_emit_comment(e, "%s block %lu: the blocks before it are not in the input", what, (unsigned long)number);
        return 0;
    case DS_BLOCK_REPEATED:
        ds_report_abs(e, "gbt.repeated-block", DS_SEV_WARNING, offset, "%s block %lu again: ignored", what,
                      (unsigned long)number);
        return 0;
    case DS_BLOCK_GAP:
        ds_report_abs(e, "gbt.missing-block", DS_SEV_ERROR, offset,
                      "%s block %lu arrived where %lu was expected: %zu byte(s) gathered so far are dropped", what,
                      (unsigned long)number, (unsigned long)st.expected, st.dropped);
        return 0;
    case DS_BLOCK_TOO_LARGE:
        ds_report_abs(e, "gbt.too-large", DS_SEV_ERROR, offset, "%s blocks exceed %u bytes: given up", what,
                      (unsigned)DS_BLOCKS_MAX);
        return -1;
    case DS_BLOCK_TAKEN: return 0;
    case DS_BLOCK_COMPLETE: break;
    }
    done->first_offset = s->first_offset;
    done->list_field = s->list_field;
    done->list_count = s->list_count;
    done->len = ds_block_join_detach(&s->join, &done->bytes);
    return 1;
}

/* The stream of the other direction, which an acknowledgement from `sender` answers; NULL when
 * there is none (an input that does not tell the directions apart has one sender only). */
static ds_block_stream *peer_stream(ds_block_stream *pair, ds_link_addr sender)
{
    if (!pair) return NULL;
    for (int i = 0; i < 2; i++)
        if (pair[i].sender != sender && !stream_idle(&pair[i])) return &pair[i];
    return NULL;
}

/* An acknowledgement of block `ack` from the other side: the peer's blocks after it that the
 * input holds (its highest) are to come again (REFERENCE.md 10.3: the sender drops blocks <= BNA
 * and sends the others again). BNA 0 asks for block 1 again, which only a transfer still open
 * can take as a copy: after an ended one, block 1 starts the next transfer. */
static void expect_resend(ds_block_stream *peer, uint32_t ack)
{
    if (!peer || peer->join.highest <= ack || (ack == 0 && !peer->join.open)) return;
    peer->resend_next = ack + 1;
    peer->resend_last = peer->join.highest;
    peer->resend_ack = ack;
}

/* Whether block `number` is the copy the peer's acknowledgement asked for next, to be passed
 * over; the re-sends asked for end with the last of them or with any other block (disorder is
 * then told as ever). The block the open transfer takes next (its first copy was lost before
 * the input) is named too, but joined as usual. */
static int sent_again(ds_block_stream *s, ds_emit *e, uint32_t number)
{
    if (!s->resend_next) return 0;
    if (number != s->resend_next) {
        s->resend_next = s->resend_last = s->resend_ack = 0;
        return 0;
    }
    ds_emit_comment(e, "general block transfer block %lu sent again, as the acknowledgement of block %lu asked",
                    (unsigned long)number, (unsigned long)s->resend_ack);
    s->resend_next = number < s->resend_last ? number + 1 : 0;
    return !(s->join.open && number == s->join.next);
}

/* A held gap that no copy filled: the transfer is given up, as a gap always was. */
static void report_gap(ds_block_stream *s, ds_emit *e)
{
    if (!s->gap_number) return;
    ds_report_abs(e, "gbt.missing-block", DS_SEV_ERROR, s->gap_offset,
                  "general block transfer block %lu arrived where %lu was expected, and %lu was not sent again: "
                  "%zu byte(s) gathered so far are dropped", (unsigned long)s->gap_number,
                  (unsigned long)s->join.next, (unsigned long)s->join.next, s->join.len);
    ds_block_join_abandon(&s->join);
    s->gap_number = 0;
}

static void report_gaps(ds_blocks *b, ds_emit *e)
{
    for (int i = 0; b->gbt && i < 2; i++) report_gap(&b->gbt[i], e);
}

void ds_blocks_end(ds_blocks *b, ds_emit *e) { report_gaps(b, e); }

/* Block `number` against the stream's open transfer and its held gap: a block past the one
 * expected is held (the receiver may ask for the missing one), as are the window's later blocks
 * before that acknowledgement; the copy asked for of the missing block ends the gap (it is then
 * joined); anything else reports the gap. Returns 1 when the block is held, not joined. */
static int held_for_gap(ds_block_stream *s, ds_emit *e, uint32_t number, uint64_t offset)
{
    ds_block_join *j = &s->join;
    if (j->open && !s->gap_number && number > j->next && number != 1) {
        s->gap_number = number;
        s->gap_offset = offset;
    } else if (!s->gap_number) {
        return 0;
    } else if (s->resend_next && s->resend_next == number && number <= j->next) {
        if (number == j->next) s->gap_number = 0; /* the missing block, sent again */
        return 0;
    } else if (s->resend_next || number <= j->next) {
        report_gap(s, e);
        return 0;
    }
    if (number > j->highest) j->highest = number;
    ds_emit_comment(e, "general block transfer block %lu where %lu was expected: held until %lu is sent again",
                    (unsigned long)number, (unsigned long)j->next, (unsigned long)j->next);
    return 1;
}

/* GBT: E0 control(1) number(2) ack(2) len data; control b7 = last block.
 *
 * A block lost on the way is asked for again by its receiver's acknowledgement (BNA = the last
 * block taken in order) and sent again with the blocks after it: a transcript of the sender holds
 * both copies, one of the receiver a gap and then the copies. The copies after such an
 * acknowledgement from the other direction are told from real disorder (sent_again); a gap is
 * held until that acknowledgement and the copy fill it, or reported (held_for_gap). A lost
 * FIRST block cannot be told: nothing announces a stream, so the receiver's later blocks look
 * like an input that starts in the middle of a transfer (DS_BLOCK_NO_START), and an
 * acknowledgement of block 0 after an ended transfer cannot be told from one that begins the
 * next. */
static int gbt(ds_blocks *b, ds_emit *e, ds_link_addr sender, const uint8_t *a, size_t n,
               uint64_t offset)
{
    ds_cursor c;
    ds_cur_init(&c, a, n);
    uint64_t control, number, ack;
    size_t len;
    const uint8_t *data;
    c.pos = 1;
    if (ds_cur_uint(&c, 1, &control) || ds_cur_uint(&c, 2, &number) || ds_cur_uint(&c, 2, &ack) ||
        ds_cur_len(&c, &len, NULL) || ds_cur_bytes(&c, len, &data))
        return 1; /* malformed: the walker has said so */
    if (len == 0) {
        /* an acknowledgement (REFERENCE.md 10.3: block data empty, BNA = the last block taken):
         * no block to join; its number is of its sender's counter, so that sender's next data
         * block may start a transfer after it */
        expect_resend(peer_stream(b->gbt, sender), (uint32_t)ack);
        ds_block_stream *s = stream_for(&b->gbt, sender);
        if (s && !s->join.open) s->join.start_at = (uint32_t)number + 1;
        ds_emit_comment(e, "general block transfer: acknowledges block %lu", (unsigned long)ack);
        return 1;
    }
    ds_block_stream *s = stream_for(&b->gbt, sender);
    if (!s) return no_room(e, "general block transfer");
    if (held_for_gap(s, e, (uint32_t)number, offset) || sent_again(s, e, (uint32_t)number)) return 1;
    block_whole done;
    if (add_block(s, e, "general block transfer", (uint32_t)number, (int)(control >> 7), data, len, offset,
                  &done) != 1)
        return 1;
    ds_attr attrs[1] = {DS_ATTR("Blocks", "GeneralBlockTransfer")};
    if (ds_emit_open_attrs(e, "Reassembled", attrs, 1) == 0) {
        ds_cursor whole;
        ds_cur_init(&whole, done.bytes, done.len);
        uint64_t saved = e->base;
        e->base = done.first_offset;
        int source = e->apdu_source;
        e->apdu_source = DS_APDU_FROM_REASSEMBLED;
        ds_apdu_decode(e, &whole);
        e->apdu_source = source;
        e->base = saved;
        ds_emit_close(e, "Reassembled");
    }
    free(done.bytes);
    return 1;
}

/* The whole of a data-block transfer is one A-XDR Data (or, after a with-list first block, the
 * stream's list of them): shown decoded, with whatever follows it flagged, under a <Reassembled>
 * view named after the APDU that carried the blocks. */
static void show_whole_data(ds_emit *e, const block_whole *s, const char *label)
{
    ds_attr attrs[1] = {DS_ATTR("Blocks", label)};
    if (ds_emit_open_attrs(e, "Reassembled", attrs, 1) != 0) return;
    ds_cursor whole;
    ds_cur_init(&whole, s->bytes, s->len);
    uint64_t saved = e->base;
    e->base = s->first_offset;
    int rc = s->list_field ? ds_schema_decode(e, &whole, s->list_field) : ds_axdr_data(e, &whole);
    if (rc == 0 && ds_cur_left(&whole))
        ds_report(e, DS_D_APDU_TRAILING, DS_SEV_ERROR, whole.pos, "%zu byte(s) after the reassembled data",
                  ds_cur_left(&whole));
    if (ds_cur_left(&whole)) ds_emit_undecoded(e, &whole);
    e->base = saved;
    ds_emit_close(e, "Reassembled");
}

static int is_one_data(const block_whole *s);

/* The results of a get-response-with-list (its SEQUENCE OF Get-Data-Result), found in the APDU
 * table rather than written again: what a with-list answer's datablocks carry. */
static const ds_field *get_result_list_field(void)
{
    const ds_field *f = ds_apdu_lookup(DS_APDU_TAG_GET_RESPONSE);
    if (!f || f->kind != SK_CHOICE || !f->alts) return NULL;
    for (const ds_alt *a = f->alts; a->body; a++) {
        if (a->tag != 3 || a->body[0].kind != SK_GROUP) continue;
        for (const ds_field *g = a->body[0].sub; g && g->kind != SK_END; g++)
            if (g->kind == SK_SEQ_OF) return g;
    }
    return NULL;
}

/* Whether the whole is exactly a SEQUENCE OF Get-Data-Result (count, then per result 00 Data or
 * 01 data-access-result), of `count` results when count is not 0. */
static int is_list_of_results(const block_whole *s, size_t count)
{
    ds_cursor c;
    ds_cur_init(&c, s->bytes, s->len);
    size_t n;
    if (ds_cur_len(&c, &n, NULL) || n == 0 || (count && n != count)) return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t choice, dar;
        if (ds_cur_u8(&c, &choice)) return 0;
        if (choice == 0 ? ds_axdr_skip(&c, 0) != 0 : (choice != 1 || ds_cur_u8(&c, &dar))) return 0;
    }
    return ds_cur_left(&c) == 0;
}

/* A whole shown as bytes only, with why, under the same <Reassembled> view. */
static void show_whole_undecoded(ds_emit *e, const block_whole *s, const char *label, const char *why)
{
    ds_attr attrs[1] = {DS_ATTR("Blocks", label)};
    if (ds_emit_open_attrs(e, "Reassembled", attrs, 1) != 0) return;
    ds_emit_comment(e, "%s", why);
    ds_cursor whole;
    ds_cur_init(&whole, s->bytes, s->len);
    uint64_t saved = e->base;
    e->base = s->first_offset;
    ds_emit_undecoded(e, &whole);
    e->base = saved;
    ds_emit_close(e, "Reassembled");
}

/* The whole of a GET datablock transfer: one Data (the answer to get-request-normal), or the
 * results of a get-request-with-list (REFERENCE.md: GET block transfer), shown so when the
 * with-list request was seen and the count agrees. Bytes that are such a list rather than one
 * Data, with no request to say so, are left undecoded with a comment: nothing says they are wrong. */
static void show_get_whole(ds_emit *e, const block_whole *s)
{
    const char *label = "GetResponsewithDataBlock";
    if (s->list_field && is_list_of_results(s, s->list_count)) show_whole_data(e, s, label);
    else if (!is_one_data(s) && is_list_of_results(s, 0))
        show_whole_undecoded(e, s, label, "the data blocks are not one A-XDR Data but look like the results of a "
                                          "get-request-with-list, which is not in the input: not decoded");
    else {
        block_whole one = *s;
        one.list_field = NULL;
        show_whole_data(e, &one, label);
    }
}

/* A get-request: with-list (C0 03 IIP count ...) is noted for its answer's datablocks; normal
 * (C0 01) forgets it; next (C0 02) keeps it. Not consumed: the APDU decodes as usual. */
static void note_get_request(ds_blocks *b, const uint8_t *a, size_t n)
{
    if (a[1] == 0x01) b->get_list_pending = 0;
    if (a[1] != 0x03) return;
    ds_cursor c;
    ds_cur_init(&c, a, n);
    c.pos = 3;
    size_t count;
    b->get_list_pending = !ds_cur_len(&c, &count, NULL);
    b->get_list_count = b->get_list_pending ? count : 0;
}

/* GET response with datablock: C4 02 IIP last(1) number(4) 00 len raw (01 DAR ends the transfer). */
static int get_block(ds_blocks *b, ds_emit *e, ds_link_addr sender, const uint8_t *a, size_t n,
                     uint64_t offset)
{
    ds_cursor c;
    ds_cur_init(&c, a, n);
    uint64_t last, number, choice;
    size_t len;
    const uint8_t *raw;
    c.pos = 3;
    if (ds_cur_uint(&c, 1, &last) || ds_cur_uint(&c, 4, &number) || ds_cur_uint(&c, 1, &choice)) return 1;
    ds_block_stream *s = stream_for(&b->get, sender);
    if (!s) return no_room(e, "data");
    if (choice != 0) { /* an error instead of data: the transfer is over */
        ds_block_join_abandon(&s->join);
        return 1;
    }
    if (ds_cur_len(&c, &len, NULL) || ds_cur_bytes(&c, len, &raw)) return 1;
    if (number == 1) { /* a transfer starts: does it answer a with-list request? (hex records have no
                          * addresses, so the request's sender is not compared) */
        int list = b->get_list_pending;
        s->list_field = list ? get_result_list_field() : NULL;
        s->list_count = list ? b->get_list_count : 0;
    }
    block_whole done;
    if (add_block(s, e, "data", (uint32_t)number, last != 0, raw, len, offset, &done) != 1) return 1;
    show_get_whole(e, &done);
    free(done.bytes);
    return 1;
}

/* Whether the whole of a stream is exactly one A-XDR Data, as far as ds_axdr_skip (axdr.c's type table) can tell. */
static int is_one_data(const block_whole *s)
{
    ds_cursor c;
    ds_cur_init(&c, s->bytes, s->len);
    return ds_axdr_skip(&c, 0) == 0 && ds_cur_left(&c) == 0;
}

/* The whole of a with-list transfer: one Data per descriptor of the first block, written as a
 * SEQUENCE OF Data (count, then the values), like the value list of set-request-with-list.
 * Shown only when it is exactly that; otherwise left undecoded with a comment, because the
 * ASN.1 only says "raw-data" and a meter may differ. */
static const ds_field SET_VALUE_LIST = F_SEQ_OF("ValueList", F_DATA);
static const ds_field ACTION_PARAMETER_LIST = F_SEQ_OF("MethodInvocationParameters", F_DATA);

static int is_list_of_data(const block_whole *s)
{
    ds_cursor c;
    ds_cur_init(&c, s->bytes, s->len);
    size_t count;
    if (ds_cur_len(&c, &count, NULL) || count != s->list_count) return 0;
    for (size_t i = 0; i < count; i++)
        if (ds_axdr_skip(&c, 0)) return 0;
    return ds_cur_left(&c) == 0;
}

static void show_whole_list(ds_emit *e, const block_whole *s, const char *what, const char *label)
{
    if (!is_list_of_data(s)) {
        ds_emit_comment(e, "the %zu byte(s) of the %s blocks are not a list of %zu A-XDR Data: not decoded",
                        s->len, what, s->list_count);
        return;
    }
    show_whole_data(e, s, label);
}

/* Steps over the descriptor list of a with-list first block: count, then per item a 9-byte
 * descriptor and, for attributes, an access selection (00, or 01 selector Data). */
static int skip_descriptor_list(ds_cursor *c, int with_selection, size_t *count)
{
    if (ds_cur_len(c, count, NULL)) return -1;
    for (size_t i = 0; i < *count; i++) {
        const uint8_t *descriptor;
        uint8_t has_selection, selector;
        if (ds_cur_bytes(c, 9, &descriptor)) return -1;
        if (!with_selection) continue;
        if (ds_cur_u8(c, &has_selection)) return -1;
        if (has_selection && (ds_cur_u8(c, &selector) || ds_axdr_skip(c, 0))) return -1;
    }
    return 0;
}

/* DataBlock-SA / pblock at the cursor: last(1) block-number(4) len raw. Adds it to the stream and
 * shows the whole as one Data once the last block is in. When `must_be_data` is 0 the layout of
 * the whole is not certain, so a whole that is not one Data is left undecoded, without a diagnostic. */
static void data_block_sa(ds_block_stream *s, ds_emit *e, ds_cursor *c, const char *what, const char *label,
                          int must_be_data, uint64_t offset)
{
    uint64_t last, number;
    size_t len;
    const uint8_t *raw;
    if (ds_cur_uint(c, 1, &last) || ds_cur_uint(c, 4, &number) || ds_cur_len(c, &len, NULL) ||
        ds_cur_bytes(c, len, &raw))
        return; /* malformed: the walker has said so */
    block_whole done;
    if (add_block(s, e, what, (uint32_t)number, last != 0, raw, len, offset, &done) != 1) return;
    if (done.list_field)
        show_whole_list(e, &done, what, label);
    else if (must_be_data || is_one_data(&done))
        show_whole_data(e, &done, label);
    else
        ds_emit_comment(e, "the %zu byte(s) of the %s blocks are not one A-XDR Data: not decoded", done.len,
                        what);
    free(done.bytes);
}

/* set-request-with-first-datablock C1 02 IIP AD(9) SEL DataBlock and with-datablock C1 03 IIP
 * DataBlock: the raw bytes of all blocks are the one value to be set. With a list, C1 05 IIP
 * count (AD SEL)* DataBlock: the values, one per descriptor. */
static int set_block(ds_blocks *b, ds_emit *e, ds_link_addr sender, const uint8_t *a, size_t n,
                     uint64_t offset)
{
    ds_cursor c;
    ds_cur_init(&c, a, n);
    c.pos = 3;
    ds_block_stream *s = stream_for(&b->set, sender);
    if (!s) return no_room(e, "set data");
    if (a[1] == 0x02) {
        uint8_t has_selection, selector;
        const uint8_t *descriptor;
        if (ds_cur_bytes(&c, 9, &descriptor) || ds_cur_u8(&c, &has_selection)) return 1;
        if (has_selection && (ds_cur_u8(&c, &selector) || ds_axdr_skip(&c, 0))) {
            ds_emit_comment(e, "the selective access could not be stepped over: the data blocks are not gathered");
            return 1;
        }
        s->list_field = NULL;
    } else if (a[1] == 0x05) {
        size_t count;
        if (skip_descriptor_list(&c, 1, &count)) {
            ds_emit_comment(e, "the attribute descriptor list could not be stepped over: the data blocks are not gathered");
            return 1;
        }
        s->list_field = &SET_VALUE_LIST;
        s->list_count = count;
    }
    data_block_sa(s, e, &c, "set data", s->list_field ? "SetRequestWithListAndDataBlock" : "SetRequestWithDataBlock", 1,
                  offset);
    return 1;
}

/* action-request-with-first-pblock C3 04 IIP MD(9) PBlock and with-pblock C3 06 IIP PBlock: the
 * raw bytes of all blocks are the method invocation parameters, one Data. With a list, C3 05 IIP
 * count MD(9)* PBlock: one parameter Data per method. */
static int action_request_block(ds_blocks *b, ds_emit *e, ds_link_addr sender,
                                const uint8_t *a, size_t n, uint64_t offset)
{
    ds_cursor c;
    ds_cur_init(&c, a, n);
    c.pos = 3;
    const uint8_t *descriptor;
    ds_block_stream *s = stream_for(&b->action_req, sender);
    if (!s) return no_room(e, "action parameter");
    if (a[1] == 0x04) {
        if (ds_cur_bytes(&c, 9, &descriptor)) return 1;
        s->list_field = NULL;
    } else if (a[1] == 0x05) {
        size_t count;
        if (skip_descriptor_list(&c, 0, &count)) return 1; /* truncated: the walker has said so */
        s->list_field = &ACTION_PARAMETER_LIST;
        s->list_count = count;
    }
    data_block_sa(s, e, &c, "action parameter", s->list_field ? "ActionRequestWithListAndBlock" : "ActionRequestWithBlock",
                  1, offset);
    return 1;
}

/* action-response-with-pblock C7 02 IIP PBlock. The ASN.1 only says DataBlock-SA; what the
 * concatenated raw data holds (the return parameters as one Data, or a result with them) is not
 * spelled out there, so the whole is decoded as one Data only when it is exactly one Data. */
static int action_response_block(ds_blocks *b, ds_emit *e, ds_link_addr sender,
                                 const uint8_t *a, size_t n, uint64_t offset)
{
    ds_cursor c;
    ds_cur_init(&c, a, n);
    c.pos = 3;
    ds_block_stream *s = stream_for(&b->action_resp, sender);
    if (!s) return no_room(e, "action return");
    data_block_sa(s, e, &c, "action return", "ActionResponseWithPBlock", 0, offset);
    return 1;
}

int ds_blocks_on_apdu(ds_blocks *b, ds_emit *e, ds_link_addr sender, const uint8_t *apdu,
                      size_t n, uint64_t offset)
{
    if (n >= 1 && apdu[0] == DS_APDU_TAG_GENERAL_BLOCK_TRANSFER) return gbt(b, e, sender, apdu, n, offset);
    report_gaps(b, e); /* the exchange went on without the missing block */
    if (n < 3) return 0; /* the handlers below start reading after tag, choice and invoke-id */
    /* the CHOICE numbers of the block forms (REFERENCE §4, the table of service forms):
     * get-response-with-datablock 2; set-request-with-first-datablock 2, -with-datablock 3,
     * -with-list-and-first-datablock 5; action-request-with-first-pblock 4,
     * -with-list-and-first-pblock 5, -with-pblock 6; action-response-with-pblock 2 */
    uint8_t form = apdu[1];
    switch (apdu[0]) {
    case DS_APDU_TAG_GET_REQUEST: note_get_request(b, apdu, n); return 0;
    case DS_APDU_TAG_GET_RESPONSE: return form == 2 ? get_block(b, e, sender, apdu, n, offset) : 0;
    case DS_APDU_TAG_SET_REQUEST:
        return form == 2 || form == 3 || form == 5 ? set_block(b, e, sender, apdu, n, offset) : 0;
    case DS_APDU_TAG_ACTION_REQUEST:
        return form >= 4 && form <= 6 ? action_request_block(b, e, sender, apdu, n, offset) : 0;
    case DS_APDU_TAG_ACTION_RESPONSE: return form == 2 ? action_response_block(b, e, sender, apdu, n, offset) : 0;
    default: return 0;
    }
}
