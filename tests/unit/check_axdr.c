/* A-XDR data decoding: every type in hex and decimal mode, containers, compact
 * arrays, comments and every error path. Expected values are computed by hand
 * from the encodings in REFERENCE.md §4 and GURUX-XML.md §5.
 *
 * A recording sink writes the events as compact text:
 *   open <Name a=v>, close </Name>, leaf <Name a=v/>, bare <Name/>,
 *   comment <!--text-->, diagnostic {severity code @offset}. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apdu/axdr.h"
#include "event/emit.h"
#include "test_hex.h"

/* ---- recording sink ---------------------------------------------------------------------- */

typedef struct rec {
    char out[1 << 16];
    size_t len;
    int overflow;
    int depth;
    int max_depth;
    int unbalanced;
    int opens;
    int ndiag;
    char code[64];          /* first diagnostic */
    ds_severity sev;
    uint64_t offset;
} rec;

static rec R;

static void put(const char *s, size_t n)
{
    if (R.len + n >= sizeof R.out) {
        R.overflow = 1;
        return;
    }
    memcpy(R.out + R.len, s, n);
    R.len += n;
    R.out[R.len] = '\0';
}

static void puts_(const char *s) { put(s, strlen(s)); }

static void rec_open(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs,
                     unsigned flags)
{
    (void)s;
    (void)flags;
    ck_assert_uint_eq(name_len, strlen(name));
    puts_("<");
    puts_(name);
    for (size_t i = 0; i < nattrs; i++) {
        puts_(" ");
        puts_(attrs[i].name);
        puts_("=");
        puts_(attrs[i].value);
    }
    puts_(">");
    R.opens++;
    if (++R.depth > R.max_depth) R.max_depth = R.depth;
}

static void rec_close(ds_sink *s, const char *name, size_t name_len)
{
    (void)s;
    ck_assert_uint_eq(name_len, strlen(name));
    puts_("</");
    puts_(name);
    puts_(">");
    if (--R.depth < 0) R.unbalanced = 1;
}

static void rec_leaf(ds_sink *s, const char *name, size_t name_len, const char *value, size_t len, unsigned flags)
{
    (void)s;
    (void)flags;
    ck_assert_uint_eq(name_len, strlen(name));
    puts_("<");
    puts_(name);
    puts_(" Value=");
    put(value, len);
    puts_("/>");
}

static void rec_leaf_attrs(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    (void)s;
    ck_assert_uint_eq(name_len, strlen(name));
    puts_("<");
    puts_(name);
    for (size_t i = 0; i < nattrs; i++) {
        puts_(" ");
        puts_(attrs[i].name);
        puts_("=");
        puts_(attrs[i].value);
    }
    puts_("/>");
}

static void rec_comment(ds_sink *s, const char *text, size_t len, unsigned flags)
{
    (void)s;
    (void)flags;
    puts_("<!--");
    put(text, len);
    puts_("-->");
}

static void rec_diag(ds_sink *s, const ds_diag *d)
{
    (void)s;
    char buf[128];
    const char *sev = d->severity == DS_SEV_ERROR ? "error" : d->severity == DS_SEV_WARNING ? "warning" : "info";
    snprintf(buf, sizeof buf, "{%s %s @%llu}", sev, d->code,
             (unsigned long long)d->offset);
    puts_(buf);
    if (R.ndiag++ == 0) {
        snprintf(R.code, sizeof R.code, "%s", d->code);
        R.sev = d->severity;
        R.offset = d->offset;
    }
}

static ds_sink SINK = {
    .open = rec_open,
    .close = rec_close,
    .leaf = rec_leaf,
    .leaf_attrs = rec_leaf_attrs,
    .comment = rec_comment,
    .diagnostic = rec_diag,
};

/* ---- harness ------------------------------------------------------------------------------ */

static uint8_t BYTES[1 << 15];
static int RC;
static size_t POS;

static const char *run_bytes(const uint8_t *p, size_t n, int decimal, int comments, uint64_t base)
{
    memset(&R, 0, sizeof R);
    ds_options opt;
    memset(&opt, 0, sizeof opt);
    opt.decimal = decimal;
    opt.comments = comments;
    ds_emit e;
    ds_emit_init(&e, &SINK, &opt, NULL, NULL);
    e.base = base;
    ds_cursor c;
    ds_cur_init(&c, p, n);
    RC = ds_axdr_data(&e, &c);
    POS = c.pos;
    ck_assert_int_eq(R.overflow, 0);
    ck_assert_int_eq(R.unbalanced, 0);
    ck_assert_int_eq(R.depth, 0);          /* every open was closed */
    ck_assert_int_eq(e.depth, 0);
    ck_assert_uint_le(POS, n);
    if (RC == 0) ck_assert_uint_eq(e.errors, 0);
    else ck_assert_uint_ge(e.errors, 1); /* a failure always says why */
    return R.out;
}

static const char *run(const char *hex, int decimal, int comments)
{
    size_t n = test_unhex(hex, BYTES, sizeof BYTES);
    return run_bytes(BYTES, n, decimal, comments, 0);
}

/* decodes in hex and decimal mode (comments off), checks success and full consumption */
static void ck_both(const char *hex, const char *in_hex, const char *in_dec)
{
    size_t n = test_unhex(hex, BYTES, sizeof BYTES);
    ck_assert_str_eq(run(hex, 0, 0), in_hex);
    ck_assert_int_eq(RC, 0);
    ck_assert_uint_eq(POS, n);
    ck_assert_str_eq(run(hex, 1, 0), in_dec);
    ck_assert_int_eq(RC, 0);
    ck_assert_uint_eq(POS, n);
}

static void ck_fail(const char *hex, const char *code, uint64_t offset, size_t pos)
{
    run(hex, 0, 0);
    ck_assert_msg(RC == -1, "%s: rc %d", hex, RC);
    ck_assert_msg(strcmp(R.code, code) == 0, "%s: code %s, want %s", hex, R.code, code);
    ck_assert_msg(R.sev == DS_SEV_ERROR, "%s: severity %d", hex, (int)R.sev);
    ck_assert_msg(R.offset == offset, "%s: offset %llu, want %llu", hex, (unsigned long long)R.offset,
                  (unsigned long long)offset);
    ck_assert_msg(POS == pos, "%s: pos %zu, want %zu", hex, POS, pos);
}

/* ---- simple types --------------------------------------------------------------------------- */

START_TEST(integers)
{
    ck_both("0F80", "<Int8 Value=80/>", "<Int8 Value=-128/>");
    ck_both("0F7F", "<Int8 Value=7F/>", "<Int8 Value=127/>");
    ck_both("10FF38", "<Int16 Value=FF38/>", "<Int16 Value=-200/>");
    ck_both("100904", "<Int16 Value=0904/>", "<Int16 Value=2308/>");
    ck_both("05FFFFFF38", "<Int32 Value=FFFFFF38/>", "<Int32 Value=-200/>");
    ck_both("0580000000", "<Int32 Value=80000000/>", "<Int32 Value=-2147483648/>");
    ck_both("0600001215", "<UInt32 Value=00001215/>", "<UInt32 Value=4629/>");
    ck_both("06FFFFFFFF", "<UInt32 Value=FFFFFFFF/>", "<UInt32 Value=4294967295/>");
    ck_both("11FF", "<UInt8 Value=FF/>", "<UInt8 Value=255/>");
    ck_both("1100", "<UInt8 Value=00/>", "<UInt8 Value=0/>");
    ck_both("120904", "<UInt16 Value=0904/>", "<UInt16 Value=2308/>");
    ck_both("14FFFFFFFFFFFFFFFF", "<Int64 Value=FFFFFFFFFFFFFFFF/>", "<Int64 Value=-1/>");
    ck_both("148000000000000000", "<Int64 Value=8000000000000000/>", "<Int64 Value=-9223372036854775808/>");
    ck_both("140000000000000100", "<Int64 Value=0000000000000100/>", "<Int64 Value=256/>");
    ck_both("15FFFFFFFFFFFFFFFF", "<UInt64 Value=FFFFFFFFFFFFFFFF/>",
            "<UInt64 Value=18446744073709551615/>");
    ck_both("1603", "<Enum Value=03/>", "<Enum Value=3/>");
    ck_both("0D12", "<BCD Value=12/>", "<BCD Value=18/>");
}
END_TEST

START_TEST(booleans_null_dontcare)
{
    ck_both("0300", "<Boolean Value=False/>", "<Boolean Value=False/>");
    ck_both("0301", "<Boolean Value=True/>", "<Boolean Value=True/>");
    /* TRUE sent as another byte keeps it, so that it re-encodes as it was */
    ck_both("0380", "<Boolean Value=True Byte=80/>", "<Boolean Value=True Byte=80/>");
    ck_both("00", "<None/>", "<None/>");
    ck_both("FF", "<DontCare/>", "<DontCare/>");
}
END_TEST

START_TEST(bit_strings)
{
    /* 10 bits from 40 C0 = 0100 0000 11|00 0000 */
    ck_both("040A40C0", "<BitString Value=0100000011/>", "<BitString Value=0100000011/>");
    ck_both("0400", "<BitString Value=/>", "<BitString Value=/>");
    ck_both("040180", "<BitString Value=1/>", "<BitString Value=1/>");
    /* conformance block: 24 bits 00 10 1D */
    ck_both("041800101D", "<BitString Value=000000000001000000011101/>",
            "<BitString Value=000000000001000000011101/>");
    /* 300 bits (long length 82 012C): 38 bytes, long text goes through the heap path */
    char hex[200] = "04 82 012C ";
    for (int i = 0; i < 38; i++) strcat(hex, "F0");
    run(hex, 0, 0);
    ck_assert_int_eq(RC, 0);
    ck_assert_uint_eq(POS, 4 + 38);
    ck_assert_str_eq(R.code, ""); /* 82 012C is minimal: no warning */
    const char *v = strstr(R.out, "Value=") + 6;
    for (int i = 0; i < 300; i++) ck_assert_int_eq(v[i], (i % 8) < 4 ? '1' : '0');
    ck_assert_str_eq(v + 300, "/>");
}
END_TEST

START_TEST(strings)
{
    ck_both("0A03616263", "<String Value=abc/>", "<String Value=abc/>");
    ck_both("0A00", "<String Value=/>", "<String Value=/>");
    ck_both("0C02C3A4", "<StringUTF8 Value=\xC3\xA4/>", "<StringUTF8 Value=\xC3\xA4/>");
    ck_both("0903AABBCC", "<OctetString Value=AABBCC/>", "<OctetString Value=AABBCC/>");
    ck_both("0900", "<OctetString Value=/>", "<OctetString Value=/>");
    /* a string with < & " is passed raw: the sink escapes */
    ck_both("0A033C2622", "<String Value=<&\"/>", "<String Value=<&\"/>");
}
END_TEST

START_TEST(reals)
{
    ck_assert_str_eq(run("173FC00000", 0, 1), "<!--1.5--><Float32 Value=3FC00000/>");
    ck_assert_str_eq(run("173DCCCCCD", 0, 1), "<!--0.1--><Float32 Value=3DCCCCCD/>");
    ck_assert_str_eq(run("17C3480000", 1, 1), "<!---200--><Float32 Value=C3480000/>");
    ck_assert_str_eq(run("1741200000", 0, 1), "<!--10--><Float32 Value=41200000/>");
    ck_assert_str_eq(run("183FF8000000000000", 0, 1), "<!--1.5--><Float64 Value=3FF8000000000000/>");
    ck_assert_str_eq(run("183FB999999999999A", 0, 1), "<!--0.1--><Float64 Value=3FB999999999999A/>");
    ck_assert_str_eq(run("184059000000000000", 0, 1), "<!--100--><Float64 Value=4059000000000000/>");
    ck_assert_str_eq(run("174366CCCD", 0, 1), "<!--230.8--><Float32 Value=4366CCCD/>");
    ck_assert_str_eq(run("1760AD78EC", 0, 1), "<!--1e+20--><Float32 Value=60AD78EC/>");
    ck_assert_str_eq(run("177FC00000", 0, 1), "<!--nan--><Float32 Value=7FC00000/>");
    ck_assert_str_eq(run("18C069000000000000", 0, 1), "<!---200--><Float64 Value=C069000000000000/>");
    ck_both("173FC00000", "<Float32 Value=3FC00000/>", "<Float32 Value=3FC00000/>");
    ck_assert_int_eq(RC, 0);
}
END_TEST

START_TEST(dates)
{
    ck_assert_str_eq(run("1907E4020FFF011922FF800080", 0, 1),
                     "<!--2020-02-15T01:25:34 dst--><DateTime Value=07E4020FFF011922FF800080/>");
    ck_assert_str_eq(run("1A07E4020F06", 0, 1), "<!--2020-02-15--><Date Value=07E4020F06/>");
    ck_assert_str_eq(run("1B01192200", 1, 1), "<!--01:25:34.00--><Time Value=01192200/>");
    /* implausible: no comment, still decoded */
    ck_assert_str_eq(run("1A07E40D0F06", 0, 1), "<Date Value=07E40D0F06/>");
    ck_assert_int_eq(RC, 0);
    ck_assert_str_eq(run("1B01192200", 0, 0), "<Time Value=01192200/>");
}
END_TEST

START_TEST(octet_string_comments)
{
    ck_assert_str_eq(run("09060000010000FF", 0, 1), "<!--0.0.1.0.0.255 Clock--><OctetString Value=0000010000FF/>");
    ck_assert_str_eq(run("09060100010800FF", 0, 1),
                     "<!--1.0.1.8.0.255 Active energy import (+A) total--><OctetString Value=0100010800FF/>");
    ck_assert_str_eq(run("09060101200700FF", 0, 1),
                     "<!--1.1.32.7.0.255 Voltage L1--><OctetString Value=0101200700FF/>");
    /* unknown code ending in FF: dotted alone */
    ck_assert_str_eq(run("09060102030405FF", 0, 1), "<!--1.2.3.4.5.255--><OctetString Value=0102030405FF/>");
    /* 6 printable bytes not ending in FF are text */
    ck_assert_str_eq(run("0906414243444546", 0, 1), "<!--ABCDEF--><OctetString Value=414243444546/>");
    /* 6 other bytes: nothing */
    ck_assert_str_eq(run("0906010203040506", 0, 1), "<OctetString Value=010203040506/>");
    /* 12 bytes date-time (CS-u9n-set-request-clock) */
    ck_assert_str_eq(run("090C07E50118FF0E303950FFC400", 0, 1),
                     "<!--2021-01-24T14:48:57.80+01:00--><OctetString Value=07E50118FF0E303950FFC400/>");
    /* 12 printable bytes that are no date: text */
    ck_assert_str_eq(run("090C49534B313033303737373736", 0, 1),
                     "<!--ISK103077776--><OctetString Value=49534B313033303737373736/>");
    ck_assert_str_eq(run("0903414243", 0, 1), "<!--ABC--><OctetString Value=414243/>");
    ck_assert_str_eq(run("09024100", 0, 1), "<OctetString Value=4100/>");
    ck_assert_str_eq(run("0900", 0, 1), "<OctetString Value=/>");
    /* comments off: none */
    ck_assert_str_eq(run("09060000010000FF", 0, 0), "<OctetString Value=0000010000FF/>");
}
END_TEST

/* ---- containers --------------------------------------------------------------------------------- */

START_TEST(arrays_and_structures)
{
    ck_both("0102110511 00", "<Array Qty=02><UInt8 Value=05/><UInt8 Value=00/></Array>",
            "<Array Qty=2><UInt8 Value=5/><UInt8 Value=0/></Array>");
    ck_both("0100", "<Array Qty=00></Array>", "<Array Qty=0></Array>");
    ck_both("0202 0101 120001 0900",
            "<Structure Qty=02><Array Qty=01><UInt16 Value=0001/></Array><OctetString Value=/></Structure>",
            "<Structure Qty=2><Array Qty=1><UInt16 Value=1/></Array><OctetString Value=/></Structure>");
    /* register scaler_unit {int8 -1, enum 35 V} */
    ck_both("0202 0FFF 1623", "<Structure Qty=02><Int8 Value=FF/><Enum Value=23/></Structure>",
            "<Structure Qty=2><Int8 Value=-1/><Enum Value=35/></Structure>");
}
END_TEST

START_TEST(large_qty)
{
    /* 300 nulls: Qty 12C, not cut to 8 bits */
    static char hex[700];
    strcpy(hex, "0182012C");
    for (int i = 0; i < 300; i++) strcat(hex, "00");
    run(hex, 0, 0);
    ck_assert_int_eq(RC, 0);
    ck_assert_uint_eq(POS, 304);
    ck_assert(strncmp(R.out, "<Array Qty=12C><None/>", 22) == 0);
    run(hex, 1, 0);
    ck_assert(strncmp(R.out, "<Array Qty=300><None/>", 22) == 0);
}
END_TEST

START_TEST(non_minimal_length)
{
    ck_assert_str_eq(run("01810211011102", 0, 0),
                     "{warning data.non-minimal-length @1}<Array Qty=02><UInt8 Value=01/><UInt8 Value=02/></Array>");
    ck_assert_int_eq(RC, 0);
    ck_assert_int_eq(R.sev, DS_SEV_WARNING);
    ck_assert_str_eq(run("098102AABB", 0, 0), "{warning data.non-minimal-length @1}<OctetString Value=AABB/>");
    ck_assert_int_eq(RC, 0);
    ck_assert_uint_eq(POS, 5);
    ck_assert_str_eq(run("098400000001AA", 0, 0), "{warning data.non-minimal-length @1}<OctetString Value=AA/>");
    ck_assert_int_eq(RC, 0);
    /* 81 80 is the minimal form of 128 */
    static char hex[400];
    strcpy(hex, "098180");
    for (int i = 0; i < 128; i++) strcat(hex, "00");
    run(hex, 0, 0);
    ck_assert_int_eq(RC, 0);
    ck_assert_int_eq(R.ndiag, 0);
}
END_TEST

/* ---- compact arrays ------------------------------------------------------------------------------ */

START_TEST(compact_simple)
{
    ck_both("13 11 02 0500",
            "<CompactArray><ContentsDescription><UInt8/></ContentsDescription>"
            "<ArrayContents Value=5;0/></CompactArray>",
            "<CompactArray><ContentsDescription><UInt8/></ContentsDescription>"
            "<ArrayContents Value=5;0/></CompactArray>");
    /* signed values and an empty contents */
    ck_both("13 10 04 FF38 0001",
            "<CompactArray><ContentsDescription><Int16/></ContentsDescription>"
            "<ArrayContents Value=-200;1/></CompactArray>",
            "<CompactArray><ContentsDescription><Int16/></ContentsDescription>"
            "<ArrayContents Value=-200;1/></CompactArray>");
    ck_both("13 06 00",
            "<CompactArray><ContentsDescription><UInt32/></ContentsDescription>"
            "<ArrayContents Value=/></CompactArray>",
            "<CompactArray><ContentsDescription><UInt32/></ContentsDescription>"
            "<ArrayContents Value=/></CompactArray>");
    /* octet strings keep their length: AA BB and an empty one */
    ck_both("13 09 04 02AABB 00",
            "<CompactArray><ContentsDescription><OctetString/></ContentsDescription>"
            "<ArrayContents Value=AA BB;/></CompactArray>",
            "<CompactArray><ContentsDescription><OctetString/></ContentsDescription>"
            "<ArrayContents Value=AA BB;/></CompactArray>");
    /* booleans, bit-string, visible string, float */
    ck_both("13 03 02 0001",
            "<CompactArray><ContentsDescription><Boolean/></ContentsDescription>"
            "<ArrayContents Value=False;True/></CompactArray>",
            "<CompactArray><ContentsDescription><Boolean/></ContentsDescription>"
            "<ArrayContents Value=False;True/></CompactArray>");
    ck_both("13 04 03 03A0 00",
            "<CompactArray><ContentsDescription><BitString/></ContentsDescription>"
            "<ArrayContents Value=101;/></CompactArray>",
            "<CompactArray><ContentsDescription><BitString/></ContentsDescription>"
            "<ArrayContents Value=101;/></CompactArray>");
    ck_both("13 0A 03 02 6869",
            "<CompactArray><ContentsDescription><String/></ContentsDescription>"
            "<ArrayContents Value=hi/></CompactArray>",
            "<CompactArray><ContentsDescription><String/></ContentsDescription>"
            "<ArrayContents Value=hi/></CompactArray>");
    ck_both("13 17 04 3FC00000",
            "<CompactArray><ContentsDescription><Float32/></ContentsDescription>"
            "<ArrayContents Value=1.5/></CompactArray>",
            "<CompactArray><ContentsDescription><Float32/></ContentsDescription>"
            "<ArrayContents Value=1.5/></CompactArray>");
}
END_TEST

START_TEST(compact_rows)
{
    ck_both("13 020211 12 06 010002 030004",
            "<CompactArray><ContentsDescription><Structure Qty=02><UInt8/><UInt16/></Structure>"
            "</ContentsDescription><ArrayContents><Row Value=1;2/><Row Value=3;4/></ArrayContents></CompactArray>",
            "<CompactArray><ContentsDescription><Structure Qty=2><UInt8/><UInt16/></Structure>"
            "</ContentsDescription><ArrayContents><Row Value=1;2/><Row Value=3;4/></ArrayContents></CompactArray>");
    /* element type array[2] of uint8 */
    ck_both("13 01000211 04 01020304",
            "<CompactArray><ContentsDescription><Array Qty=02><UInt8/></Array>"
            "</ContentsDescription><ArrayContents><Row Value=1;2/><Row Value=3;4/></ArrayContents></CompactArray>",
            "<CompactArray><ContentsDescription><Array Qty=2><UInt8/></Array>"
            "</ContentsDescription><ArrayContents><Row Value=1;2/><Row Value=3;4/></ArrayContents></CompactArray>");
    /* nested: structure {uint8, structure {int8, date}} */
    ck_both("13 0202 11 0202 0F 1A 07 05 FF 07E4020F06",
            "<CompactArray><ContentsDescription><Structure Qty=02><UInt8/><Structure Qty=02><Int8/><Date/>"
            "</Structure></Structure></ContentsDescription><ArrayContents>"
            "<Row Value=5;-1;07 E4 02 0F 06/></ArrayContents></CompactArray>",
            "<CompactArray><ContentsDescription><Structure Qty=2><UInt8/><Structure Qty=2><Int8/><Date/>"
            "</Structure></Structure></ContentsDescription><ArrayContents>"
            "<Row Value=5;-1;07 E4 02 0F 06/></ArrayContents></CompactArray>");
    /* empty contents with a row type: empty container */
    ck_both("13 020111 00",
            "<CompactArray><ContentsDescription><Structure Qty=01><UInt8/></Structure></ContentsDescription>"
            "<ArrayContents></ArrayContents></CompactArray>",
            "<CompactArray><ContentsDescription><Structure Qty=1><UInt8/></Structure></ContentsDescription>"
            "<ArrayContents></ArrayContents></CompactArray>");
}
END_TEST

START_TEST(compact_errors)
{
    /* null / dont-care / nested compact / unknown as element type */
    ck_fail("13 00 00", DS_D_DATA_UNKNOWN_TYPE, 1, 0);
    ck_fail("13 FF 00", DS_D_DATA_UNKNOWN_TYPE, 1, 0);
    ck_fail("13 13 11 00", DS_D_DATA_UNKNOWN_TYPE, 1, 0);
    ck_fail("13 0201 07 00", DS_D_DATA_UNKNOWN_TYPE, 3, 0);
    /* empty structure, array of 0 elements */
    ck_fail("13 0200 00", DS_D_DATA_BAD_LENGTH, 2, 0);
    ck_fail("13 010000 11 00", DS_D_DATA_BAD_LENGTH, 2, 0);
    /* structure declaring more fields than description bytes */
    ck_fail("13 0205 11", DS_D_DATA_BAD_LENGTH, 2, 0);
    /* description cut short */
    ck_fail("13 020211", DS_D_DATA_BAD_LENGTH, 2, 0);
    ck_fail("13 0201 0100", DS_D_APDU_TRUNCATED, 4, 0);
    ck_fail("13 0100", DS_D_APDU_TRUNCATED, 2, 0);
    ck_fail("13", DS_D_APDU_TRUNCATED, 1, 0);
    /* contents length beyond the input */
    ck_fail("13 11 05 0102", DS_D_DATA_BAD_LENGTH, 2, 0);
    ck_fail("13 11", DS_D_APDU_TRUNCATED, 2, 0);
    /* contents end inside the second uint16: first value shown, pos at the broken element; all the
     * bytes after the tag in <Undecoded> (a compact array is encoded back from them alone) */
    ck_assert_str_eq(run("13 12 03 0001 02", 0, 0),
                     "<CompactArray><ContentsDescription><UInt16/></ContentsDescription>"
                     "<ArrayContents Value=1/>{error data.bad-length @5}<Undecoded Value=1203000102/></CompactArray>");
    ck_assert_int_eq(RC, -1);
    ck_assert_uint_eq(POS, 5);
    /* the second row is cut: first row shown */
    ck_assert_str_eq(run("13 020211 12 04 010002 03", 0, 0),
                     "<CompactArray><ContentsDescription><Structure Qty=02><UInt8/><UInt16/></Structure>"
                     "</ContentsDescription><ArrayContents><Row Value=1;2/>{error data.bad-length @9}"
                     "</ArrayContents><Undecoded Value=020211120401000203/></CompactArray>");
    ck_assert_int_eq(RC, -1);
    ck_assert_uint_eq(POS, 9);
    /* the very first element is broken: nothing decoded, pos back at the tag */
    ck_fail("13 09 02 05AA", DS_D_DATA_BAD_LENGTH, 3, 0);
    /* huge nested array counts with few bytes: bounded work, clean failure */
    ck_fail("13 01FFFF 01FFFF 01FFFF 11 03 010203", DS_D_DATA_BAD_LENGTH, 12, 0);
}
END_TEST

/* ---- error paths ---------------------------------------------------------------------------------- */

START_TEST(bad_lengths)
{
    ck_fail("0905 0102", DS_D_DATA_BAD_LENGTH, 1, 0);
    ck_assert_str_eq(R.out, "{error data.bad-length @1}");
    ck_fail("0A02 41", DS_D_DATA_BAD_LENGTH, 1, 0);
    ck_fail("0C01", DS_D_DATA_BAD_LENGTH, 1, 0);
    ck_fail("0410 FF", DS_D_DATA_BAD_LENGTH, 1, 0);    /* 16 bits need 2 bytes */
    ck_fail("0409 FF", DS_D_DATA_BAD_LENGTH, 1, 0);    /* 9 bits need 2 bytes */
    ck_fail("0480", DS_D_DATA_BAD_LENGTH, 1, 0);       /* indefinite length */
    ck_fail("098501020304050607", DS_D_DATA_BAD_LENGTH, 1, 0); /* 5-byte length */
    ck_fail("0481", DS_D_APDU_TRUNCATED, 1, 0);        /* length field cut */
    ck_fail("0982 01", DS_D_APDU_TRUNCATED, 1, 0);
    ck_fail("09", DS_D_APDU_TRUNCATED, 1, 0);
}
END_TEST

static ds_diag LAST;
static void keep_diag(void *user, const ds_diag *d)
{
    (void)user;
    LAST = *d;
}

START_TEST(message_and_base)
{
    ds_options opt;
    memset(&opt, 0, sizeof opt);
    ds_emit e;
    memset(&R, 0, sizeof R);
    ds_emit_init(&e, &SINK, &opt, keep_diag, NULL);
    e.base = 1000;
    size_t n = test_unhex("0202 1100 0905 0102", BYTES, sizeof BYTES);
    ds_cursor c;
    ds_cur_init(&c, BYTES, n);
    ck_assert_int_eq(ds_axdr_data(&e, &c), -1);
    ck_assert_str_eq(LAST.code, DS_D_DATA_BAD_LENGTH);
    ck_assert_uint_eq(LAST.offset, 1005);
    ck_assert_ptr_nonnull(strstr(LAST.message, "5"));
    ck_assert_ptr_nonnull(strstr(LAST.message, "2"));
    ck_assert_uint_eq(c.pos, 4); /* the OctetString tag */
    /* the rest, from the element that failed, where decoding stopped (for the encoder) */
    ck_assert_str_eq(R.out, "<Structure Qty=02><UInt8 Value=00/>{error data.bad-length @1005}"
                            "<Undecoded Value=09050102/></Structure>");
}
END_TEST

START_TEST(truncated_fixed_types)
{
    static const struct {
        const char *hex;
        size_t need;
    } cases[] = {
        {"03", 1}, {"05", 4}, {"06", 4}, {"0D", 1}, {"0F", 1}, {"10", 2}, {"11", 1}, {"12", 2},
        {"14", 8}, {"15", 8}, {"16", 1}, {"17", 4}, {"18", 8}, {"19", 12}, {"1A", 5}, {"1B", 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* one byte short of the value */
        char hex[64];
        snprintf(hex, sizeof hex, "%s", cases[i].hex);
        for (size_t k = 0; k + 1 < cases[i].need; k++) strcat(hex, "11");
        ck_fail(hex, DS_D_APDU_TRUNCATED, 1, 0);
        ck_assert_str_eq(R.out, "{error apdu.truncated @1}");
    }
    /* no tag at all */
    ck_fail("", DS_D_APDU_TRUNCATED, 0, 0);
}
END_TEST

START_TEST(unknown_tags)
{
    static const char *tags[] = {"07", "08", "0B", "0E", "1C", "1D", "1E", "1F", "20", "21", "80", "FE"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        char hex[16];
        snprintf(hex, sizeof hex, "%s00000000", tags[i]);
        ck_fail(hex, DS_D_DATA_UNKNOWN_TYPE, 0, 0);
    }
    /* inside an array: the container is closed, pos at the bad tag */
    ck_assert_str_eq(run("0102 1105 63", 0, 0),
                     "<Array Qty=02><UInt8 Value=05/>{error data.unknown-type @4}<Undecoded Value=63/></Array>");
    ck_assert_int_eq(RC, -1);
    ck_assert_uint_eq(POS, 4);
}
END_TEST

START_TEST(huge_counts)
{
    ck_fail("0184FFFFFFFF 00", DS_D_DATA_BAD_LENGTH, 1, 0);
    ck_assert_str_eq(R.out, "{error data.bad-length @1}");
    ck_fail("0205 0000", DS_D_DATA_BAD_LENGTH, 1, 0);
    ck_fail("0201", DS_D_DATA_BAD_LENGTH, 1, 0);
    /* count equal to the bytes left is allowed and then fails on content */
    ck_fail("0203 0000 0F", DS_D_APDU_TRUNCATED, 5, 4);
    /* nested: inner count too big */
    ck_assert_str_eq(run("0101 0183FFFFFF 00", 0, 0),
                     "<Array Qty=01>{error data.bad-length @3}<Undecoded Value=0183FFFFFF00/></Array>");
    ck_assert_uint_eq(POS, 2);
}
END_TEST

START_TEST(depth_bomb)
{
    static uint8_t bomb[20001];
    for (int i = 0; i < 10000; i++) {
        bomb[2 * i] = 0x01;
        bomb[2 * i + 1] = 0x01;
    }
    bomb[20000] = 0x00;
    run_bytes(bomb, sizeof bomb, 0, 0, 0);
    ck_assert_int_eq(RC, -1);
    ck_assert_int_eq(R.max_depth, DS_MAX_DEPTH);
    ck_assert_int_eq(R.opens, DS_MAX_DEPTH);
    ck_assert_str_eq(R.code, DS_D_APDU_TOO_DEEP);
    ck_assert_uint_eq(R.offset, 2 * DS_MAX_DEPTH);
    ck_assert_uint_eq(POS, 2 * DS_MAX_DEPTH);
    ck_assert_int_eq(R.ndiag, 1);
    /* structures too */
    for (int i = 0; i < 10000; i++) bomb[2 * i] = 0x02;
    run_bytes(bomb, sizeof bomb, 0, 0, 0);
    ck_assert_int_eq(RC, -1);
    ck_assert_int_eq(R.max_depth, DS_MAX_DEPTH);
    /* compact array descriptions: 02 01 nested */
    static uint8_t cbomb[1 + 20000 + 2];
    cbomb[0] = 0x13;
    for (int i = 0; i < 10000; i++) {
        cbomb[1 + 2 * i] = 0x02;
        cbomb[2 + 2 * i] = 0x01;
    }
    cbomb[20001] = 0x11;
    cbomb[20002] = 0x00;
    run_bytes(cbomb, sizeof cbomb, 0, 0, 0);
    ck_assert_int_eq(RC, -1);
    ck_assert_str_eq(R.code, DS_D_APDU_TOO_DEEP);
    ck_assert_int_eq(R.max_depth, DS_MAX_DEPTH);
    ck_assert_uint_eq(POS, 0);
}
END_TEST

START_TEST(depth_limit_exact)
{
    /* 64 nested arrays + uint8 fit exactly (levels 1..64); one array more is too deep */
    static char hex[400];
    hex[0] = '\0';
    for (int i = 0; i < DS_MAX_DEPTH; i++) strcat(hex, "0101");
    strcat(hex, "1107");
    run(hex, 0, 0);
    ck_assert_int_eq(RC, 0);
    ck_assert_int_eq(R.max_depth, DS_MAX_DEPTH);
    strcpy(hex, "0101");
    for (int i = 0; i < DS_MAX_DEPTH; i++) strcat(hex, "0101");
    strcat(hex, "1107");
    run(hex, 0, 0);
    ck_assert_int_eq(RC, -1);
    ck_assert_str_eq(R.code, DS_D_APDU_TOO_DEEP);
}
END_TEST

START_TEST(type_names)
{
    ck_assert_str_eq(ds_axdr_type_name(DS_T_OCTET_STRING), "OctetString");
    ck_assert_str_eq(ds_axdr_type_name(DS_T_UINT8), "UInt8");
    ck_assert_str_eq(ds_axdr_type_name(DS_T_VISIBLE_STRING), "String");
    ck_assert_str_eq(ds_axdr_type_name(DS_T_BCD), "BCD");
    ck_assert_str_eq(ds_axdr_type_name(DS_T_DONT_CARE), "DontCare");
    ck_assert_ptr_null(ds_axdr_type_name(7));
    ck_assert_ptr_null(ds_axdr_type_name(28));
}
END_TEST

static Suite *axdr_suite(void)
{
    Suite *s = suite_create("axdr");
    TCase *t = tcase_create("core");
    tcase_add_test(t, integers);
    tcase_add_test(t, booleans_null_dontcare);
    tcase_add_test(t, bit_strings);
    tcase_add_test(t, strings);
    tcase_add_test(t, reals);
    tcase_add_test(t, dates);
    tcase_add_test(t, octet_string_comments);
    tcase_add_test(t, arrays_and_structures);
    tcase_add_test(t, large_qty);
    tcase_add_test(t, non_minimal_length);
    tcase_add_test(t, compact_simple);
    tcase_add_test(t, compact_rows);
    tcase_add_test(t, compact_errors);
    tcase_add_test(t, bad_lengths);
    tcase_add_test(t, message_and_base);
    tcase_add_test(t, truncated_fixed_types);
    tcase_add_test(t, unknown_tags);
    tcase_add_test(t, huge_counts);
    tcase_add_test(t, depth_bomb);
    tcase_add_test(t, depth_limit_exact);
    tcase_add_test(t, type_names);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(axdr_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
