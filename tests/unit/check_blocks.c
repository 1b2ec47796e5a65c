/* Block reassembly in the decoder: general block transfer, GET and SET data blocks and ACTION
 * pblocks, whole once the last block is in, and what is said when blocks are missing or repeated. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"

typedef struct run {
    char *xml;
    char codes[256];
} run;

static void collect(void *user, const ds_diag *d)
{
    run *r = user;
    size_t n = strlen(r->codes);
    snprintf(r->codes + n, sizeof r->codes - n, "%s ", d->code);
}

/* The hex records decoded as ds_decode_stream does, with ds_decoder_trim after every record (as a
 * capture with many connections does after every piece): block streams and sessions that hold
 * nothing are given back between records, those that remember something are kept. */
static run decode_trimmed(const char *text, size_t w, const ds_options *opt)
{
    run r;
    memset(&r, 0, sizeof r);
    FILE *in = fmemopen((void *)text, w, "rb");
    size_t size = 0;
    FILE *out = open_memstream(&r.xml, &size);
    ds_sink *sink = ds_xml_sink_new(out);
    ds_decoder *d = ds_decoder_new(opt, sink, collect, &r);
    ds_reader *rd = ds_reader_new(in, DS_INPUT_HEX, collect, &r);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(rd);
    ds_chunk chunk;
    while (ds_reader_next(rd, &chunk) > 0) {
        if (chunk.record_start) ds_decoder_boundary(d);
        if (chunk.len) ds_decoder_feed(d, chunk.data, chunk.len, chunk.offset, &chunk.meta);
        ds_decoder_trim(d);
    }
    ds_decoder_end(d);
    ds_reader_free(rd);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    fclose(out);
    fclose(in);
    return r;
}

/* Each string is one raw APDU record (hex). Every input is decoded twice, the second time
 * trimmed between records (decode_trimmed): the output must be the same. */
static run decode(const char *const *records, size_t count)
{
    run r;
    memset(&r, 0, sizeof r);
    char text[4096];
    size_t w = 0;
    for (size_t i = 0; i < count; i++) w += (size_t)snprintf(text + w, sizeof text - w, "%s\n\n", records[i]);
    FILE *in = fmemopen(text, w, "rb");
    size_t size = 0;
    FILE *out = open_memstream(&r.xml, &size);
    ds_sink *sink = ds_xml_sink_new(out);
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = 0;
    ds_decode_stream(in, DS_INPUT_HEX, &opt, sink, collect, &r, NULL);
    ds_sink_destroy(sink);
    fclose(out);
    fclose(in);
    run trimmed = decode_trimmed(text, w, &opt);
    ck_assert_str_eq(trimmed.xml, r.xml);
    ck_assert_str_eq(trimmed.codes, r.codes);
    free(trimmed.xml);
    return r;
}

START_TEST(get_data_blocks_reassembled)
{
    /* the octet-string 09 04 01020304 split over two blocks of 3 bytes */
    static const char *const BLOCKS[] = {"C402C100000000010003090401", "C402C101000000020003020304"};
    run r = decode(BLOCKS, 2);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"GetResponsewithDataBlock\" >\n"
                                        "  <OctetString Value=\"01020304\" />\n"
                                        "</Reassembled>"));
    free(r.xml);
}
END_TEST

START_TEST(gbt_blocks_reassembled)
{
    /* a set-response-normal C5 01 C1 00 carried in two GBT blocks */
    static const char *const BLOCKS[] = {"E0400001000002C501", "E0C00002000002C100"};
    run r = decode(BLOCKS, 2);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"GeneralBlockTransfer\" >\n  <SetResponse>"));
    ck_assert_ptr_nonnull(strstr(r.xml, "<Result Value=\"Success\" />"));
    free(r.xml);
}
END_TEST

/* A reassembled GBT whose whole is itself a GBT block 1 (last): decoding the whole starts a
 * transfer on the same stream. The whole must not belong to the stream any more (it was freed
 * under the decoder before: a use after free, found in review, seen by ASan), and a second
 * transfer after it still works. */
START_TEST(gbt_inside_gbt)
{
    static const char *const BLOCKS[] = {"E08000010000" "09" "E08000010000" "02" "C501",
                                         "E0400001000002C501", "E0C00002000002C100"};
    run r = decode(BLOCKS, 3);
    const char *outer = strstr(r.xml, "<Reassembled Blocks=\"GeneralBlockTransfer\" >\n  <GeneralBlockTransfer>");
    ck_assert_ptr_nonnull(outer);
    ck_assert_ptr_nonnull(strstr(outer, "  <Reassembled Blocks=\"GeneralBlockTransfer\" >\n"));
    ck_assert_ptr_nonnull(strstr(r.xml, "<Result Value=\"Success\" />"));
    free(r.xml);
}
END_TEST

START_TEST(missing_and_repeated_blocks)
{
    static const char *const GAP[] = {"E0400001000002C501", "E0C00003000002C100"};
    run r = decode(GAP, 2);
    ck_assert_str_eq(r.codes, "gbt.missing-block ");
    ck_assert_ptr_null(strstr(r.xml, "<Reassembled"));
    free(r.xml);
    static const char *const AGAIN[] = {"E0400001000002C501", "E0400001000002C501", "E0C00002000002C100"};
    r = decode(AGAIN, 3);
    ck_assert_str_eq(r.codes, "gbt.repeated-block ");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled"));
    free(r.xml);
    /* block 1 again with other bytes: a new transfer, the old one dropped and never joined to it
     * (found in review: AB then QR then the last block gave AB + the new block 2) */
    static const char *const RESTART[] = {"E0400001000002C501", "E04000010000" "01" "C5", "E0C00002000003" "01C100"};
    r = decode(RESTART, 3);
    ck_assert_str_eq(r.codes, "gbt.restarted ");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"GeneralBlockTransfer\" >\n  <SetResponse>"));
    ck_assert_ptr_nonnull(strstr(r.xml, "<Result Value=\"Success\" />"));
    free(r.xml);
    /* block 1 again with its first bytes, but after block 2: still a new transfer (the message
     * says so); the old blocks are not joined to it */
    static const char *const SAME[] = {"E0400001000002C501", "E0400002000002C501", "E0400001000002C501",
                                       "E0C00002000002C100"};
    r = decode(SAME, 4);
    ck_assert_str_eq(r.codes, "gbt.restarted ");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Result Value=\"Success\" />"));
    free(r.xml);
    /* a block number going back once the transfer was given up, or after a late start */
    static const char *const BACK[] = {"E0400001000002C501", "E0400003000002C501", "E0400002000002C501"};
    r = decode(BACK, 3);
    ck_assert_str_eq(r.codes, "gbt.missing-block gbt.out-of-order ");
    free(r.xml);
    static const char *const LATE_BACK[] = {"E04000050000020102", "E04000040000020102"};
    r = decode(LATE_BACK, 2);
    ck_assert_str_eq(r.codes, "gbt.out-of-order ");
    free(r.xml);
    /* a transfer that starts before the input: no diagnostic, no whole */
    static const char *const LATE[] = {"E0C00003000002C100"};
    r = decode(LATE, 1);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_null(strstr(r.xml, "<Reassembled"));
    free(r.xml);
}
END_TEST

/* SET: the UInt32 06 00000102 split 2+2+1 bytes over a first block (class 1, 0.0.1.0.0.255,
 * attribute 2, no selective access) and two more. */
#define SET_1 "C102C100010000010000FF0200" "0000000001" "020600"
#define SET_2 "C103C1" "0000000002" "020001"
#define SET_3 "C103C1" "0100000003" "0102"
#define SET_WHOLE "<Reassembled Blocks=\"SetRequestWithDataBlock\" >\n  <UInt32 Value=\"00000102\" />\n</Reassembled>"

START_TEST(set_data_blocks_reassembled)
{
    static const char *const BLOCKS[] = {SET_1, SET_2, SET_3};
    run r = decode(BLOCKS, 3);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, SET_WHOLE));
    /* shown once only, after the last block */
    ck_assert_ptr_null(strstr(strstr(r.xml, "<Reassembled") + 1, "<Reassembled"));
    free(r.xml);
}
END_TEST

START_TEST(set_first_block_with_selective_access)
{
    /* SEL 01, selector 02, parameters structure{UInt8 05, UInt16 0007}; one block holding UInt8 09 */
    static const char *const BLOCKS[] = {"C102C100010000010000FF02" "0102" "0202110512 0007" "0100000001" "021109"};
    char one[128];
    size_t w = 0;
    for (const char *p = BLOCKS[0]; *p; p++)
        if (*p != ' ') one[w++] = *p;
    one[w] = 0;
    const char *const REC[] = {one};
    run r = decode(REC, 1);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"SetRequestWithDataBlock\" >\n"
                                        "  <UInt8 Value=\"09\" />\n</Reassembled>"));
    free(r.xml);
}
END_TEST

START_TEST(set_missing_and_repeated_blocks)
{
    static const char *const GAP[] = {SET_1, SET_3};
    run r = decode(GAP, 2);
    ck_assert_str_eq(r.codes, "gbt.missing-block ");
    ck_assert_ptr_null(strstr(r.xml, "<Reassembled"));
    free(r.xml);
    /* one empty last block: the whole is no Data at all (and an empty block must not crash) */
    static const char *const EMPTY[] = {"C102C100010000010000FF0200" "0100000001" "00"};
    r = decode(EMPTY, 1);
    ck_assert_str_eq(r.codes, "apdu.truncated ");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"SetRequestWithDataBlock\" >"));
    free(r.xml);
    static const char *const AGAIN[] = {SET_1, SET_2, SET_2, SET_3};
    r = decode(AGAIN, 4);
    ck_assert_str_eq(r.codes, "gbt.repeated-block ");
    ck_assert_ptr_nonnull(strstr(r.xml, SET_WHOLE));
    free(r.xml);
}
END_TEST

START_TEST(get_transfer_interleaved_with_set)
{
    /* the GET response blocks of the first test, between the SET blocks */
    static const char *const BLOCKS[] = {SET_1, "C402C100000000010003090401", SET_2, "C402C101000000020003020304",
                                         SET_3};
    run r = decode(BLOCKS, 5);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, SET_WHOLE));
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"GetResponsewithDataBlock\" >\n"
                                        "  <OctetString Value=\"01020304\" />\n</Reassembled>"));
    free(r.xml);
}
END_TEST

START_TEST(action_request_pblocks_reassembled)
{
    /* method 1 of script table 0.0.10.0.0.255 (class 9); parameter UInt16 0005 over two pblocks */
    static const char *const BLOCKS[] = {"C304C1000900000A0000FF01" "0000000001" "021200", "C306C1" "0100000002" "0105"};
    run r = decode(BLOCKS, 2);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"ActionRequestWithBlock\" >\n"
                                        "  <UInt16 Value=\"0005\" />\n</Reassembled>"));
    free(r.xml);
    static const char *const GAP[] = {"C304C1000900000A0000FF01" "0000000001" "021200", "C306C1" "0100000003" "0105"};
    r = decode(GAP, 2);
    ck_assert_str_eq(r.codes, "gbt.missing-block ");
    ck_assert_ptr_null(strstr(r.xml, "<Reassembled"));
    free(r.xml);
}
END_TEST

START_TEST(action_response_pblocks_reassembled)
{
    /* return data: octet string 010203 split 3+2 bytes */
    static const char *const BLOCKS[] = {"C702C1" "0000000001" "03090301", "C702C1" "0100000002" "020203"};
    run r = decode(BLOCKS, 2);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"ActionResponseWithPBlock\" >\n"
                                        "  <OctetString Value=\"010203\" />\n</Reassembled>"));
    free(r.xml);
    static const char *const AGAIN[] = {"C702C1" "0000000001" "03090301", "C702C1" "0000000001" "03090301",
                                        "C702C1" "0100000002" "020203"};
    r = decode(AGAIN, 3);
    ck_assert_str_eq(r.codes, "gbt.repeated-block ");
    ck_assert_ptr_nonnull(strstr(r.xml, "<OctetString Value=\"010203\" />\n</Reassembled>"));
    free(r.xml);
    /* the layout of the whole is not fixed: bytes that are not one Data (AA is no type tag) are left
     * as they are, without a diagnostic */
    static const char *const ODD[] = {"C702C1" "0100000001" "03AABBCC"};
    r = decode(ODD, 1);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_null(strstr(r.xml, "<Reassembled"));
    free(r.xml);
}
END_TEST

/* with-list first blocks: SET C1 05 with two attribute descriptors (register 0.0.96.1.0.255 and
 * 1.0.1.8.0.255, attribute 2, no selection) and ACTION C3 05 with two methods of disconnect
 * control 0.0.96.3.0.255; the whole is count + one Data per descriptor, split over two blocks. */
#define SET_LIST_1 "C105C102" "0001 0000600100FF 02 00" "0003 0100010800FF 02 00" "00 00000001 04 02090341"
#define SET_LIST_2 "C103C1" "01 00000002 05 4243120005"
#define ACT_LIST_1 "C305C102" "0046 0000600300FF 01" "0046 0000600300FF 02" "00 00000001 03 020F00"
#define ACT_LIST_2 "C306C1" "01 00000002 02 0F00"

START_TEST(with_list_blocks_reassembled)
{
    static const char *const BLOCKS[] = {SET_LIST_1, SET_LIST_2, ACT_LIST_1, ACT_LIST_2};
    run r = decode(BLOCKS, 4);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"SetRequestWithListAndDataBlock\" >\n"
                                        "  <ValueList Qty=\"02\" >\n"
                                        "    <OctetString Value=\"414243\" />\n"
                                        "    <UInt16 Value=\"0005\" />\n"
                                        "  </ValueList>\n"
                                        "</Reassembled>"));
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"ActionRequestWithListAndBlock\" >\n"
                                        "  <MethodInvocationParameters Qty=\"02\" >\n"
                                        "    <Int8 Value=\"00\" />\n"
                                        "    <Int8 Value=\"00\" />\n"
                                        "  </MethodInvocationParameters>\n"
                                        "</Reassembled>"));
    free(r.xml);
}
END_TEST

START_TEST(with_list_whole_not_a_list)
{
    /* one value where the first block named two attributes: not shown as a list */
    static const char *const SHORT[] = {"C105C102" "0001 0000600100FF 02 00" "0003 0100010800FF 02 00"
                                        "01 00000001 03 01 0F00"};
    run r = decode(SHORT, 1);
    ck_assert_ptr_null(strstr(r.xml, "<Reassembled"));
    free(r.xml);
    /* a single-value first block after a list transfer is not taken for a list */
    static const char *const AFTER[] = {SET_LIST_1, SET_LIST_2, SET_1, SET_2, SET_3};
    r = decode(AFTER, 5);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "SetRequestWithListAndDataBlock"));
    ck_assert_ptr_nonnull(strstr(r.xml, SET_WHOLE));
    free(r.xml);
}
END_TEST

/* Issue 15: a get-request-with-list answered in datablocks; the joined data is the answer's
 * SEQUENCE OF Get-Data-Result (REFERENCE.md: GET block transfer): 02 results, 00 + octet-string
 * 09 04 01020304, 01 + data-access-result 04, split 5 + 5 */
#define GET_LIST_REQ "C003C102" "0008 0000010000FF 02 00" "0003 0100010800FF 02 00"
#define GET_LIST_1 "C402C1 00 00000001 00 05 0200090401"
#define GET_LIST_2 "C402C1 01 00000002 00 05 0203040104"

START_TEST(get_with_list_blocks_reassembled)
{
    static const char *const SEEN[] = {GET_LIST_REQ, GET_LIST_1, "C002C1 00000001", GET_LIST_2};
    run r = decode(SEEN, 4);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"GetResponsewithDataBlock\" >\n"
                                        "  <Result Qty=\"02\" >\n"
                                        "    <Data>\n"
                                        "      <OctetString Value=\"01020304\" />\n"
                                        "    </Data>\n"
                                        "    <DataAccessError Value=\"UndefinedObject\" />\n"
                                        "  </Result>\n"
                                        "</Reassembled>"));
    free(r.xml);
    /* the request not in the input: left undecoded, no diagnostic */
    static const char *const UNSEEN[] = {GET_LIST_1, GET_LIST_2};
    r = decode(UNSEEN, 2);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"GetResponsewithDataBlock\" >\n"
                                        "  <Undecoded Value=\"02000904010203040104\" />\n"
                                        "</Reassembled>"));
    free(r.xml);
    /* a get-request-normal after the with-list one: its answer in blocks is one Data again */
    static const char *const AFTER[] = {GET_LIST_REQ, "C001C1 0008 0000010000FF 02 00", "C402C100000000010003090401",
                                        "C402C101000000020003020304"};
    r = decode(AFTER, 4);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"GetResponsewithDataBlock\" >\n"
                                        "  <OctetString Value=\"01020304\" />\n"
                                        "</Reassembled>"));
    free(r.xml);
}
END_TEST

/* GBT blocks sent again (REFERENCE.md 10.3: the receiver acknowledges BNA = the last block taken
 * in order, the sender sends the blocks after it again), in wrapper frames so that the two
 * directions are told apart: the client (wPort 0x10) sends the blocks, the meter (wPort 1)
 * acknowledges (E0 81 BN BNA 00: block data empty). Frames are built here from the APDU. */
static char frames[8][128];

static const char *wrapped(int slot, int from_client, const char *apdu)
{
    snprintf(frames[slot], sizeof frames[slot], "0001%s%04zX%s", from_client ? "00100001" : "00010010",
             strlen(apdu) / 2, apdu);
    return frames[slot];
}

/* set-response-normal C5 01 C1 00 in 4 blocks of one byte, then the meter's acknowledgements */
#define GBT_B1 "E04000010000" "01C5"
#define GBT_B2 "E04000020000" "0101"
#define GBT_B3 "E04000030000" "01C1"
#define GBT_B4_LAST "E0C000040000" "0100"
#define GBT_ACK1 "E08100010001" "00"
#define GBT_ACK3 "E08100020003" "00"
#define GBT_WHOLE "<Reassembled Blocks=\"GeneralBlockTransfer\" >\n  <SetResponse>"

/* how many times the whole is shown */
static int wholes(const char *xml)
{
    int n = 0;
    for (const char *p = xml; (p = strstr(p, GBT_WHOLE)); p++) n++;
    return n;
}

START_TEST(gbt_blocks_sent_again_as_asked)
{
    /* the sender's transcript, block 2 lost on the way: blocks 1 to 3, the acknowledgement of
     * block 1, blocks 2 and 3 again, then the last: no diagnostic, the whole once */
    const char *const MID[] = {wrapped(0, 1, GBT_B1), wrapped(1, 1, GBT_B2),   wrapped(2, 1, GBT_B3),
                               wrapped(3, 0, GBT_ACK1), wrapped(4, 1, GBT_B2), wrapped(5, 1, GBT_B3),
                               wrapped(6, 1, GBT_B4_LAST)};
    run r = decode(MID, 7);
    ck_assert_str_eq(r.codes, "");
    ck_assert_int_eq(wholes(r.xml), 1);
    ck_assert_ptr_nonnull(strstr(r.xml, "<Result Value=\"Success\" />"));
    free(r.xml);
    /* the last block lost: the transfer had ended in the sender's transcript; the acknowledgement
     * of block 3 asks for block 4 again, which is no second whole and no warning */
    const char *const LAST[] = {wrapped(0, 1, GBT_B1), wrapped(1, 1, GBT_B2), wrapped(2, 1, GBT_B3),
                                wrapped(3, 1, GBT_B4_LAST), wrapped(4, 0, GBT_ACK3), wrapped(5, 1, GBT_B4_LAST)};
    r = decode(LAST, 6);
    ck_assert_str_eq(r.codes, "");
    ck_assert_int_eq(wholes(r.xml), 1);
    free(r.xml);
}
END_TEST

/* What is not a copy asked for keeps its warning: with no acknowledgement, with one from the
 * sender's own direction, or a block other than the next one asked for. */
START_TEST(gbt_blocks_again_unasked_still_warned)
{
    const char *const UNASKED[] = {wrapped(0, 1, GBT_B1), wrapped(1, 1, GBT_B2), wrapped(2, 1, GBT_B3),
                                   wrapped(3, 1, GBT_B4_LAST), wrapped(4, 1, GBT_B4_LAST)};
    run r = decode(UNASKED, 5);
    ck_assert_str_eq(r.codes, "gbt.out-of-order ");
    free(r.xml);
    const char *const OWN_ACK[] = {wrapped(0, 1, GBT_B1), wrapped(1, 1, GBT_B2), wrapped(2, 1, GBT_B3),
                                   wrapped(3, 1, GBT_ACK1), wrapped(4, 1, GBT_B2)};
    r = decode(OWN_ACK, 5);
    ck_assert_str_eq(r.codes, "gbt.repeated-block ");
    free(r.xml);
    /* block 1 acknowledged: 2 must come first; 3 then 2 is disorder, and the copies asked for end
     * with it */
    const char *const SKIP[] = {wrapped(0, 1, GBT_B1), wrapped(1, 1, GBT_B2), wrapped(2, 1, GBT_B3),
                                wrapped(3, 0, GBT_ACK1), wrapped(4, 1, GBT_B3), wrapped(5, 1, GBT_B2)};
    r = decode(SKIP, 6);
    ck_assert_str_eq(r.codes, "gbt.repeated-block gbt.repeated-block ");
    free(r.xml);
    /* the copies asked for end with the last of them: block 3 once more is repeated */
    const char *const EXTRA[] = {wrapped(0, 1, GBT_B1), wrapped(1, 1, GBT_B2), wrapped(2, 1, GBT_B3),
                                 wrapped(3, 0, GBT_ACK1), wrapped(4, 1, GBT_B2), wrapped(5, 1, GBT_B3),
                                 wrapped(6, 1, GBT_B3), wrapped(7, 1, GBT_B4_LAST)};
    r = decode(EXTRA, 8);
    ck_assert_str_eq(r.codes, "gbt.repeated-block ");
    ck_assert_int_eq(wholes(r.xml), 1);
    free(r.xml);
}
END_TEST

/* The receiver's transcript: block 2 lost before the input, so block 3 comes where 2 was
 * expected. The gap is held (not reported) until the receiver's acknowledgement of block 1 asks
 * for 2 again and it comes: the transfer goes on with the bytes gathered and completes once. A
 * gap no copy fills is still gbt.missing-block, said once anything else comes or the input ends. */
START_TEST(gbt_gap_filled_by_blocks_sent_again)
{
    const char *const FILLED[] = {wrapped(0, 1, GBT_B1),   wrapped(1, 1, GBT_B3), wrapped(2, 0, GBT_ACK1),
                                  wrapped(3, 1, GBT_B2),   wrapped(4, 1, GBT_B3), wrapped(5, 1, GBT_B4_LAST)};
    run r = decode(FILLED, 6);
    ck_assert_str_eq(r.codes, "");
    ck_assert_int_eq(wholes(r.xml), 1);
    ck_assert_ptr_nonnull(strstr(r.xml, "<Result Value=\"Success\" />"));
    free(r.xml);
    /* blocks 2 and 3 lost of a window 2..4: 4 (the last) is held too, then 2, 3, 4 again */
    const char *const WINDOW[] = {wrapped(0, 1, GBT_B1),   wrapped(1, 1, GBT_B4_LAST), wrapped(2, 0, GBT_ACK1),
                                  wrapped(3, 1, GBT_B2),   wrapped(4, 1, GBT_B3),      wrapped(5, 1, GBT_B4_LAST)};
    r = decode(WINDOW, 6);
    ck_assert_str_eq(r.codes, "");
    ck_assert_int_eq(wholes(r.xml), 1);
    free(r.xml);
    /* no acknowledgement: block 2 after 3 is disorder, and the gap is reported first */
    const char *const LATE[] = {wrapped(0, 1, GBT_B1), wrapped(1, 1, GBT_B3), wrapped(2, 1, GBT_B2)};
    r = decode(LATE, 3);
    ck_assert_str_eq(r.codes, "gbt.missing-block gbt.out-of-order ");
    ck_assert_int_eq(wholes(r.xml), 0);
    free(r.xml);
    /* the exchange goes on with another APDU (a release request): the gap is reported then */
    const char *const MOVED_ON[] = {wrapped(0, 1, GBT_B1), wrapped(1, 1, GBT_B3), wrapped(2, 1, "6200")};
    r = decode(MOVED_ON, 3);
    ck_assert_str_eq(r.codes, "gbt.missing-block ");
    const char *gap = strstr(r.xml, "gbt.missing-block");
    ck_assert_ptr_nonnull(gap);
    ck_assert_ptr_nonnull(strstr(r.xml, "<ReleaseRequest"));
    ck_assert_ptr_null(strstr(gap, "<ReleaseRequest")); /* said with the release request, after it */
    free(r.xml);
    /* the input ends with the gap held */
    const char *const ENDS[] = {wrapped(0, 1, GBT_B1), wrapped(1, 1, GBT_B3)};
    r = decode(ENDS, 2);
    ck_assert_str_eq(r.codes, "gbt.missing-block ");
    free(r.xml);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blocks");
    TCase *t = tcase_create("blocks");
    tcase_add_test(t, get_data_blocks_reassembled);
    tcase_add_test(t, gbt_blocks_reassembled);
    tcase_add_test(t, gbt_inside_gbt);
    tcase_add_test(t, missing_and_repeated_blocks);
    tcase_add_test(t, gbt_blocks_sent_again_as_asked);
    tcase_add_test(t, gbt_blocks_again_unasked_still_warned);
    tcase_add_test(t, gbt_gap_filled_by_blocks_sent_again);
    tcase_add_test(t, set_data_blocks_reassembled);
    tcase_add_test(t, set_first_block_with_selective_access);
    tcase_add_test(t, set_missing_and_repeated_blocks);
    tcase_add_test(t, get_transfer_interleaved_with_set);
    tcase_add_test(t, action_request_pblocks_reassembled);
    tcase_add_test(t, action_response_pblocks_reassembled);
    tcase_add_test(t, with_list_blocks_reassembled);
    tcase_add_test(t, with_list_whole_not_a_list);
    tcase_add_test(t, get_with_list_blocks_reassembled);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
