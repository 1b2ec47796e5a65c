/* A-XDR Data encoding from XML: every type in hex and decimal mode, compact
 * arrays, Gurux spellings, and every error path with its XML line; each case also read into a
 * Data value and written by value_encode.c (the APDU encoder's path), which must agree.
 * Expected bytes are computed by hand from REFERENCE.md §4 (tags, lengths,
 * compact-array layout) and GURUX-XML.md §5 (value notation). */
#include <check.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode/axdr_encode.h"

static ds_enc E;
static ds_buf B;
static char HEXOUT[1 << 16];

/* The other reading of the same element: into a Data value (ds_axdr_read_value, what the APDU
 * encoder uses), written by value_encode.c. It must give the same bytes, or fail with the same
 * message at the same line. */
static void same_through_values(xmlDoc *doc, int decimal, int r)
{
    ds_enc e;
    ds_enc_init(&e, decimal);
    ds_value_arena *a = ds_value_arena_new(100000, 1 << 20);
    ds_buf scratch;
    ds_buf_init(&scratch);
    ds_value holder = {0};
    int rv = ds_axdr_read_value(&e, xmlDocGetRootElement(doc), a, &scratch, &holder);
    ck_assert_int_eq(e.depth, 0);
    if (r) {
        ck_assert_msg(rv == -1, "values: no error where the bytes had \"%s\"", E.error);
        ck_assert_str_eq(e.error, E.error);
        ck_assert_int_eq(e.error_line, E.error_line);
    } else {
        ck_assert_msg(rv == 0, "values: %s (line %ld)", e.error, e.error_line);
        static uint8_t out[1 << 16];
        size_t n = 0;
        char err[256];
        ck_assert_msg(ds_value_encode_data(holder.child, out, sizeof out, &n, err, sizeof err) == 0, "%s", err);
        ck_assert_msg(n == B.len && memcmp(out, B.p, n) == 0, "values: other bytes (%zu, want %zu)", n, B.len);
    }
    ds_buf_free(&scratch);
    ds_value_arena_free(a);
}

/* Parses xml, encodes its root element; the bytes go to B (and HEXOUT as hex). */
static int encode_xml(const char *xml, int decimal)
{
    xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "test.xml", NULL, XML_PARSE_NONET);
    ck_assert_msg(doc != NULL, "test XML does not parse: %s", xml);
    ds_enc_init(&E, decimal);
    ds_buf_free(&B);
    ds_buf_init(&B);
    int r = ds_axdr_encode(&E, xmlDocGetRootElement(doc), &B);
    same_through_values(doc, decimal, r);
    xmlFreeDoc(doc);
    size_t n = 0;
    for (size_t i = 0; i < B.len && n + 3 < sizeof HEXOUT; i++) n += (size_t)sprintf(HEXOUT + n, "%02X", B.p[i]);
    HEXOUT[n] = '\0';
    ck_assert_int_eq(E.depth, 0);
    return r;
}

/* Expected hex may contain spaces for readability. */
static void expect_bytes(const char *xml, int decimal, const char *hex)
{
    char want[1 << 16];
    size_t n = 0;
    for (const char *s = hex; *s && n + 1 < sizeof want; s++)
        if (*s != ' ') want[n++] = *s;
    want[n] = '\0';
    int r = encode_xml(xml, decimal);
    ck_assert_msg(r == 0, "encoding failed: %s (line %ld) for %s", E.error, E.error_line, xml);
    ck_assert_msg(E.error[0] == '\0', "error text set on success: %s", E.error);
    ck_assert_msg(strcmp(HEXOUT, want) == 0, "%s (%s mode): got %s, want %s", xml, decimal ? "decimal" : "hex",
                  HEXOUT, want);
}

static void expect_both(const char *xml_hex, const char *xml_dec, const char *hex)
{
    expect_bytes(xml_hex, 0, hex);
    expect_bytes(xml_dec, 1, hex);
}

static void expect_error(const char *xml, int decimal, long line, const char *needle)
{
    int r = encode_xml(xml, decimal);
    ck_assert_msg(r == -1, "%s: expected an error, got %s", xml, HEXOUT);
    ck_assert_msg(strstr(E.error, needle) != NULL, "error \"%s\" does not mention \"%s\"", E.error, needle);
    ck_assert_msg(E.error_line == line, "error \"%s\" at line %ld, want %ld", E.error, E.error_line, line);
}

/* ---- simple types ------------------------------------------------------------------------ */

START_TEST(bare_and_boolean)
{
    expect_bytes("<None />", 0, "00");
    expect_bytes("<DontCare />", 1, "FF");
    expect_both("<Boolean Value=\"True\" />", "<Boolean Value=\"True\" />", "03 01");
    expect_both("<Boolean Value=\"False\" />", "<Boolean Value=\"False\" />", "03 00");
    /* Gurux C++ spelling and the numeric forms */
    expect_bytes("<Boolean Value=\"true\" />", 0, "0301");
    expect_bytes("<Boolean Value=\"FALSE\" />", 1, "0300");
    expect_bytes("<Boolean Value=\"1\" />", 0, "0301");
    expect_bytes("<Boolean Value=\"0\" />", 1, "0300");
    expect_bytes("<boolean value=\"True\" />", 0, "0301"); /* names are case-insensitive */
}
END_TEST

START_TEST(integers)
{
    expect_both("<Int8 Value=\"80\" />", "<Int8 Value=\"-128\" />", "0F 80");
    expect_both("<Int8 Value=\"7F\" />", "<Int8 Value=\"127\" />", "0F 7F");
    expect_both("<Int16 Value=\"FF38\" />", "<Int16 Value=\"-200\" />", "10 FF38");
    expect_both("<Int32 Value=\"FFFFFF38\" />", "<Int32 Value=\"-200\" />", "05 FFFFFF38");
    expect_both("<Int32 Value=\"7FFFFFFF\" />", "<Int32 Value=\"2147483647\" />", "05 7FFFFFFF");
    expect_both("<Int64 Value=\"8000000000000000\" />", "<Int64 Value=\"-9223372036854775808\" />",
                "14 8000000000000000");
    expect_both("<Int64 Value=\"FFFFFFFFFFFFFFFF\" />", "<Int64 Value=\"-1\" />", "14 FFFFFFFFFFFFFFFF");
    expect_both("<UInt8 Value=\"FF\" />", "<UInt8 Value=\"255\" />", "11 FF");
    expect_both("<UInt16 Value=\"1234\" />", "<UInt16 Value=\"4660\" />", "12 1234");
    expect_both("<UInt32 Value=\"0001E240\" />", "<UInt32 Value=\"123456\" />", "06 0001E240");
    expect_both("<UInt64 Value=\"FFFFFFFFFFFFFFFF\" />", "<UInt64 Value=\"18446744073709551615\" />",
                "15 FFFFFFFFFFFFFFFF");
    expect_both("<Enum Value=\"03\" />", "<Enum Value=\"3\" />", "16 03");
    expect_both("<BCD Value=\"12\" />", "<BCD Value=\"18\" />", "0D 12");
    expect_bytes("<Bcd Value=\"99\" />", 0, "0D 99"); /* Gurux C++ spelling */
    /* hex mode: fewer digits than the size are fine, the top bit of the field decides the sign */
    expect_bytes("<Int16 Value=\"FF\" />", 0, "10 00FF");
    expect_bytes("<Int8 Value=\"81\" />", 0, "0F 81"); /* = -127 */
    /* a 0x prefix is read as for the unsigned types, not counted as digits */
    expect_bytes("<Int8 Value=\"0x7F\" />", 0, "0F 7F");
    expect_bytes("<UInt8 Value=\"0x7F\" />", 0, "11 7F");
    /* decimal: zero-padded values still read as decimal (GURUX-XML.md §8), empty = 0 */
    expect_bytes("<UInt16 Value=\"0008\" />", 1, "12 0008");
    expect_bytes("<UInt8 Value=\"\" />", 1, "11 00");
    /* Gurux reads the first attribute, whatever its name */
    expect_bytes("<UInt8 V=\"0A\" />", 0, "11 0A");
}
END_TEST

START_TEST(bytes_and_strings)
{
    expect_both("<Float32 Value=\"3FC00000\" />", "<Float32 Value=\"3FC00000\" />", "17 3FC00000");
    expect_both("<Float64 Value=\"3FF8000000000000\" />", "<Float64 Value=\"3FF8000000000000\" />",
                "18 3FF8000000000000");
    expect_both("<DateTime Value=\"07E50118070D303950FFC400\" />", "<DateTime Value=\"07E50118070D303950FFC400\" />",
                "19 07E50118070D303950FFC400");
    expect_both("<Date Value=\"07E4020F06\" />", "<Date Value=\"07E4020F06\" />", "1A 07E4020F06");
    expect_both("<Time Value=\"01192200\" />", "<Time Value=\"01192200\" />", "1B 01192200");
    expect_both("<OctetString Value=\"0000010000FF\" />", "<OctetString Value=\"0000010000FF\" />",
                "09 06 0000010000FF");
    expect_bytes("<OctetString Value=\"01 02 0a\" />", 0, "09 03 01020A"); /* spaces between pairs, lower case */
    expect_bytes("<OctetString Value=\"\" />", 1, "09 00");
    expect_bytes("<String Value=\"Hello\" />", 0, "0A 05 48656C6C6F");
    expect_bytes("<String Value=\"a&amp;&lt;&quot;&#9;b\" />", 1, "0A 06 61263C220962");
    expect_bytes("<String Value=\"\" />", 0, "0A 00");
    expect_bytes("<StringUTF8 Value=\"\xC3\xA4" "A\" />", 0, "0C 03 C3A441");
    /* the writer's escape hatch for bytes XML cannot carry */
    expect_bytes("<String ValueHex=\"48690001\" />", 0, "0A 04 48690001");
    expect_bytes("<StringUTF8 ValueHex=\"FF\" />", 1, "0C 01 FF");
}
END_TEST

START_TEST(bit_strings)
{
    expect_bytes("<BitString Value=\"1010000011\" />", 0, "04 0A A0C0");
    expect_bytes("<BitString Value=\"1010000011\" />", 1, "04 0A A0C0");
    expect_bytes("<BitString Value=\"11111111\" />", 0, "04 08 FF");
    expect_bytes("<BitString Value=\"0\" />", 0, "04 01 00");
    expect_bytes("<BitString Value=\"\" />", 0, "04 00");
}
END_TEST

/* ---- containers ---------------------------------------------------------------------------- */

START_TEST(containers)
{
    /* Qty is not read: the count is the number of children */
    expect_both("<Array Qty=\"05\" ><UInt8 Value=\"01\" /><!--c--><UInt8 Value=\"02\" /></Array>",
                "<Array Qty=\"5\" ><UInt8 Value=\"1\" /><UInt8 Value=\"2\" /></Array>", "01 02 1101 1102");
    expect_bytes("<Structure Qty=\"00\" >\n</Structure>", 0, "02 00");
    expect_bytes("<Array>\n</Array>", 1, "01 00");
    expect_bytes("<Structure Qty=\"02\" >\n  <Structure Qty=\"01\" >\n    <None />\n  </Structure>\n"
                 "  <OctetString Value=\"AB\" />\n</Structure>",
                 0, "02 02 02 01 00 09 01 AB");
}
END_TEST

/* 200 children: the count needs the long form 81 C8; 300 needs 82 01 2C. */
static void long_array(size_t n, const char *len_hex)
{
    char *xml = malloc(32 * n + 64);
    char *want = malloc(4 * n + 64);
    ck_assert_ptr_nonnull(xml);
    ck_assert_ptr_nonnull(want);
    size_t x = (size_t)sprintf(xml, "<Array Qty=\"%zX\" >", n);
    size_t w = (size_t)sprintf(want, "01%s", len_hex);
    for (size_t i = 0; i < n; i++) {
        x += (size_t)sprintf(xml + x, "<Enum Value=\"%02zX\" />", i & 0xFF);
        w += (size_t)sprintf(want + w, "16%02zX", i & 0xFF);
    }
    strcpy(xml + x, "</Array>");
    expect_bytes(xml, 0, want);
    free(xml);
    free(want);
}

START_TEST(long_form_lengths)
{
    long_array(127, "7F");
    long_array(128, "8180");
    long_array(200, "81C8");
    long_array(300, "82012C");
    /* a 130-byte octet string: length 81 82 */
    char xml[600] = "<OctetString Value=\"";
    char want[600] = "09 81 82 ";
    for (int i = 0; i < 130; i++) {
        strcat(xml, "5A");
        strcat(want, "5A");
    }
    strcat(xml, "\" />");
    expect_bytes(xml, 1, want);
}
END_TEST

/* ---- compact arrays -------------------------------------------------------------------------- */

START_TEST(compact_simple)
{
    /* 13 | type 11 | contents length 02 | 05 00 */
    expect_both("<CompactArray><ContentsDescription><UInt8 /></ContentsDescription>"
                "<ArrayContents Value=\"5;0\" /></CompactArray>",
                "<CompactArray><ContentsDescription><UInt8 /></ContentsDescription>"
                "<ArrayContents Value=\"5;0\" /></CompactArray>",
                "13 11 02 05 00");
    /* row values are decimal in both modes: 255 */
    expect_bytes("<CompactArray><ContentsDescription><UInt8/></ContentsDescription>"
                 "<ArrayContents Value=\"255\" /></CompactArray>",
                 0, "13 11 01 FF");
    /* Gurux form: the values as element text */
    expect_bytes("<CompactArray><ContentsDescription><UInt8/></ContentsDescription>"
                 "<ArrayContents>5;0</ArrayContents></CompactArray>",
                 0, "13 11 02 05 00");
    /* no elements */
    expect_bytes("<CompactArray><ContentsDescription><Int16/></ContentsDescription>"
                 "<ArrayContents Value=\"\" /></CompactArray>",
                 0, "13 10 00");
    /* signed, strings, octet strings (spaced hex), booleans */
    expect_bytes("<CompactArray><ContentsDescription><Int16/></ContentsDescription>"
                 "<ArrayContents Value=\"-200;7\" /></CompactArray>",
                 0, "13 10 04 FF38 0007");
    expect_bytes("<CompactArray><ContentsDescription><String/></ContentsDescription>"
                 "<ArrayContents Value=\"ab;;c\" /></CompactArray>",
                 1, "13 0A 06 026162 00 0163");
    expect_bytes("<CompactArray><ContentsDescription><OctetString/></ContentsDescription>"
                 "<ArrayContents Value=\"AA BB CC;01\" /></CompactArray>",
                 0, "13 09 06 03AABBCC 0101");
    expect_bytes("<CompactArray><ContentsDescription><Boolean/></ContentsDescription>"
                 "<ArrayContents Value=\"True;False\" /></CompactArray>",
                 0, "13 03 02 01 00");
    /* a ValueHex contents (a string value XML could not carry): "A;\x01" */
    expect_bytes("<CompactArray><ContentsDescription><String/></ContentsDescription>"
                 "<ArrayContents ValueHex=\"413B01\" /></CompactArray>",
                 0, "13 0A 04 0141 0101");
}
END_TEST

START_TEST(compact_rows)
{
    /* structure {UInt8, UInt16}: 13 | 02 02 11 12 | 06 | 01 0002 03 0004 */
    const char *xml = "<CompactArray>\n<ContentsDescription>\n<Structure Qty=\"02\" >\n<UInt8 />\n<UInt16 />\n"
                      "</Structure>\n</ContentsDescription>\n<ArrayContents>\n<Row Value=\"1;2\" />\n"
                      "<Row Value=\"3;4\" />\n</ArrayContents>\n</CompactArray>";
    expect_both(xml, xml, "13 02 02 11 12 06 01 0002 03 0004");
    /* Gurux text form: one row per line */
    expect_bytes("<CompactArray><ContentsDescription><Structure><UInt8/><UInt16/></Structure>"
                 "</ContentsDescription><ArrayContents>\n  1;2\n  3;4\n</ArrayContents></CompactArray>",
                 0, "13 02 02 11 12 06 01 0002 03 0004");
    /* array of 2 Int8 in the description: Qty IS read there (hex in hex mode, decimal in decimal) */
    expect_bytes("<CompactArray><ContentsDescription><Array Qty=\"02\" ><Int8/></Array></ContentsDescription>"
                 "<ArrayContents><Row Value=\"-1;2\" /></ArrayContents></CompactArray>",
                 0, "13 01 0002 0F 02 FF 02");
    expect_bytes("<CompactArray><ContentsDescription><Array Qty=\"10\" ><Int8/></Array></ContentsDescription>"
                 "<ArrayContents><Row Value=\"0;1;2;3;4;5;6;7;8;9\" /></ArrayContents></CompactArray>",
                 1, "13 01 000A 0F 0A 00010203040506070809");
    /* every row-value notation in one structure */
    expect_bytes("<CompactArray><ContentsDescription><Structure Qty=\"06\" ><OctetString/><String/><Boolean/>"
                 "<BitString/><Float32/><Date/></Structure></ContentsDescription><ArrayContents>"
                 "<Row Value=\"AA BB;hi;True;101;1.5;07 E5 01 18 07\" /></ArrayContents></CompactArray>",
                 0, "13 02 06 09 0A 03 04 17 1A 12 02AABB 026869 01 03A0 3FC00000 07E5011807");
    expect_bytes("<CompactArray><ContentsDescription><Structure><Float64/><Int64/><UInt64/></Structure>"
                 "</ContentsDescription><ArrayContents><Row Value=\"-0.1;-9223372036854775808;18446744073709551615\" />"
                 "</ArrayContents></CompactArray>",
                 0, "13 02 03 18 14 15 18 BFB999999999999A 8000000000000000 FFFFFFFFFFFFFFFF");
    /* an empty compact array of structures */
    expect_bytes("<CompactArray><ContentsDescription><Structure><UInt8/></Structure></ContentsDescription>"
                 "<ArrayContents>\n</ArrayContents></CompactArray>",
                 0, "13 02 01 11 00");
}
END_TEST

/* ---- errors --------------------------------------------------------------------------------------- */

START_TEST(value_errors)
{
    expect_error("<Structure>\n  <UInt8 Value=\"01\" />\n  <UInt8 Value=\"1FF\" />\n</Structure>", 0, 3, "1FF");
    expect_error("<UInt8 Value=\"1FF\" />", 0, 1, "does not fit");
    expect_error("<UInt8 Value=\"256\" />", 1, 1, "does not fit");
    expect_error("<UInt16 Value=\"12x\" />", 0, 1, "not a hex number");
    expect_error("<Array>\n\n<Int8 Value=\"-129\" />\n</Array>", 1, 3, "does not fit");
    expect_error("<Int8 Value=\"128\" />", 1, 1, "does not fit");
    expect_error("<Int8 Value=\"180\" />", 0, 1, "not a 1-byte hex value");
    expect_error("<Int8 Value=\"-1\" />", 0, 1, "Int8");
    expect_error("<Boolean Value=\"yes\" />", 0, 1, "not a boolean");
    expect_error("<UInt8 />", 0, 1, "no Value");
    expect_error("<UInt8 ValueHex=\"01\" />", 0, 1, "ValueHex");
}
END_TEST

START_TEST(byte_errors)
{
    expect_error("<Structure>\n<OctetString Value=\"ABC\" />\n</Structure>", 0, 2, "odd number of hex digits");
    expect_error("<OctetString Value=\"A B\" />", 1, 1, "odd");
    expect_error("<OctetString Value=\"0G\" />", 0, 1, "'G' is not a hex digit");
    expect_error("<Array>\n<Array>\n<DateTime Value=\"07E50118070D303950FFC4\" />\n</Array>\n</Array>", 0, 3,
                 "11 byte(s) where 12 are needed");
    expect_error("<Date Value=\"07E4020F0601\" />", 0, 1, "6 byte(s) where 5");
    expect_error("<Time Value=\"\" />", 1, 1, "0 byte(s) where 4");
    expect_error("<Float32 Value=\"3FC000\" />", 0, 1, "3 byte(s) where 4");
    expect_error("<Float64 Value=\"3FC00000\" />", 1, 1, "4 byte(s) where 8");
    expect_error("<String ValueHex=\"4\" />", 0, 1, "odd");
    expect_error("<Structure>\n<BitString Value=\"1012\" />\n</Structure>", 0, 2, "'2' at position 3 is not a bit");
    expect_error("<BitString Value=\"10 1\" />", 0, 1, "not a bit");
}
END_TEST

START_TEST(structure_errors)
{
    expect_error("<Array>\n<UInt8 Value=\"01\" />\n<UInt9 Value=\"01\" />\n</Array>", 0, 3, "<UInt9> is not a known");
    expect_error("<Data />", 0, 1, "<Data> is not a known data type");
    /* depth bomb: 100 nested arrays, one per line; the 65th cannot be entered */
    char xml[4096] = "";
    for (int i = 0; i < 100; i++) strcat(xml, "<Array>\n");
    for (int i = 0; i < 100; i++) strcat(xml, "</Array>");
    expect_error(xml, 0, DS_ENC_MAX_DEPTH + 1, "nested deeper than 64 levels");
    /* exactly at the limit is fine */
    xml[0] = '\0';
    for (int i = 0; i < DS_ENC_MAX_DEPTH; i++) strcat(xml, "<Structure>");
    for (int i = 0; i < DS_ENC_MAX_DEPTH; i++) strcat(xml, "</Structure>");
    ck_assert_int_eq(encode_xml(xml, 0), 0);
    ck_assert_uint_eq(B.len, 2 * DS_ENC_MAX_DEPTH);
    ck_assert_uint_eq(B.p[B.len - 2], 0x02);
    ck_assert_uint_eq(B.p[B.len - 1], 0x00);
}
END_TEST

START_TEST(compact_errors)
{
    const char *head = "<CompactArray>\n<ContentsDescription>\n";
    char xml[1024];
#define CA(desc, contents) (snprintf(xml, sizeof xml, "%s%s\n</ContentsDescription>\n%s\n</CompactArray>", head, desc, contents), xml)
    expect_error(CA("<None />", "<ArrayContents Value=\"\" />"), 0, 3, "cannot be a compact-array element");
    expect_error(CA("<CompactArray />", "<ArrayContents Value=\"\" />"), 0, 3, "cannot be a compact-array element");
    expect_error(CA("<Structure>\n</Structure>", "<ArrayContents Value=\"\" />"), 0, 3, "no fields");
    expect_error(CA("<Array Qty=\"00\" ><UInt8/></Array>", "<ArrayContents />"), 0, 3, "0 elements");
    expect_error(CA("<Array><UInt8/></Array>", "<ArrayContents />"), 0, 3, "needs Qty");
    /* a declared count that does not fit the 16-bit field */
    expect_error(CA("<Array Qty=\"10000\" ><UInt8/></Array>", "<ArrayContents />"), 0, 3, "does not fit in 2 byte");
    expect_error(CA("<Array Qty=\"65536\" ><UInt8/></Array>", "<ArrayContents />"), 1, 3, "does not fit in 2 byte");
    expect_error(CA("<Array Qty=\"02\" ><UInt8/><UInt8/></Array>", "<ArrayContents />"), 0, 3, "exactly one");
    expect_error(CA("<UInt9 />", "<ArrayContents Value=\"\" />"), 0, 3, "<UInt9> is not a known");
    expect_error(CA("<UInt8 />", "<ArrayContents Value=\"1;256\" />"), 0, 5, "larger than 255");
    expect_error(CA("<UInt8 />", "<ArrayContents Value=\"1;x\" />"), 0, 5, "not a decimal number");
    /* an empty piece is a missing value, not 0 (it was taken for 0 before) */
    expect_error(CA("<UInt16 />", "<ArrayContents Value=\"1;;2\" />"), 0, 5, "empty value");
    expect_error(CA("<Int8 />", "<ArrayContents Value=\"-129\" />"), 0, 5, "does not fit");
    expect_error(CA("<Float32 />", "<ArrayContents Value=\"1.5x\" />"), 0, 5, "not a Float32 value");
    expect_error(CA("<Float32 />", "<ArrayContents Value=\"1e999\" />"), 0, 5, "not a Float32 value");
    expect_error(CA("<Date />", "<ArrayContents Value=\"07 E5 01\" />"), 0, 5, "3 byte(s) where 5");
    expect_error(CA("<Boolean />", "<ArrayContents Value=\"True;maybe\" />"), 0, 5, "not a boolean");
    expect_error(CA("<UInt8 />", "<ArrayContents ValueHex=\"310032\" />"), 0, 5, "NUL");
    expect_error(CA("<Structure><UInt8/><UInt8/></Structure>",
                    "<ArrayContents>\n<Row Value=\"1;2\" />\n<Row Value=\"1\" />\n</ArrayContents>"),
                 0, 7, "fewer values");
    expect_error(CA("<Structure><UInt8/><UInt8/></Structure>",
                    "<ArrayContents>\n<Row Value=\"1;2;3\" />\n</ArrayContents>"),
                 0, 6, "more values");
    expect_error(CA("<Structure><UInt8/></Structure>", "<ArrayContents>\n<Line Value=\"1\" />\n</ArrayContents>"),
                 0, 6, "<Line> is not expected");
    expect_error("<CompactArray>\n<ArrayContents Value=\"\" />\n</CompactArray>", 0, 1, "ContentsDescription");
    expect_error("<CompactArray>\n<ContentsDescription><UInt8/></ContentsDescription>\n</CompactArray>", 0, 1,
                 "ArrayContents");
    expect_error("<CompactArray>\n<ContentsDescription>\n</ContentsDescription>\n<ArrayContents Value=\"\" />\n"
                 "</CompactArray>",
                 0, 2, "exactly one type");
#undef CA
}
END_TEST

START_TEST(compact_row_forms)
{
    /* a Row whose text XML could not carry: "1;A\x01" as ValueHex; structure {UInt8, String} */
    expect_bytes("<CompactArray><ContentsDescription><Structure><UInt8/><String/></Structure></ContentsDescription>"
                 "<ArrayContents><Row ValueHex=\"313B4101\" /></ArrayContents></CompactArray>",
                 0, "13 02 02 11 0A 04 01 02 4101");
    /* rows given as one Value on ArrayContents, one row per line (&#10;) */
    expect_bytes("<CompactArray><ContentsDescription><Structure><UInt8/><UInt8/></Structure></ContentsDescription>"
                 "<ArrayContents Value=\"1;2&#10;3;4\" /></CompactArray>",
                 1, "13 02 02 11 11 04 01 02 03 04");
}
END_TEST

/* The 16 MiB cap of ds_buf: an encoding that would pass it fails with a message, not a crash. */
START_TEST(output_cap)
{
    const char *xml = "<Structure>\n<UInt16 Value=\"1234\" />\n</Structure>";
    xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    ds_buf out;
    ds_buf_init(&out);
    static uint8_t filler[4096];
    while (out.len + sizeof filler <= DS_BUF_MAX - 4) ck_assert_int_eq(ds_buf_append(&out, filler, sizeof filler), 0);
    ck_assert_int_eq(ds_buf_append(&out, filler, DS_BUF_MAX - 4 - out.len), 0);
    /* 4 bytes left: 02 01 12 fit, the two value bytes do not */
    ds_enc_init(&E, 0);
    ck_assert_int_eq(ds_axdr_encode(&E, xmlDocGetRootElement(doc), &out), -1);
    ck_assert_msg(strstr(E.error, "<UInt16>: the encoding does not fit") != NULL, "%s", E.error);
    ck_assert_int_eq(E.error_line, 2);
    ck_assert_int_eq(E.depth, 0);
    ds_buf_free(&out);
    xmlFreeDoc(doc);
}
END_TEST

START_TEST(is_data)
{
    const char *xml = "<R><UInt8/><bcd/><CompactArray/><DontCare/><None/><Row/><Data/><UInt9/><Array/></R>";
    xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    const int want[] = {1, 1, 1, 1, 1, 0, 0, 0, 1};
    size_t i = 0;
    for (xmlNode *n = ds_x_first(xmlDocGetRootElement(doc)); n; n = ds_x_next(n), i++)
        ck_assert_msg(ds_axdr_is_data(n) == want[i], "element %zu (%s)", i, (const char *)n->name);
    ck_assert_uint_eq(i, 9);
    ck_assert_int_eq(ds_axdr_is_data(NULL), 0);
    xmlFreeDoc(doc);
}
END_TEST

static Suite *axdr_encode_suite(void)
{
    Suite *s = suite_create("axdr_encode");
    TCase *t = tcase_create("core");
    tcase_add_test(t, bare_and_boolean);
    tcase_add_test(t, integers);
    tcase_add_test(t, bytes_and_strings);
    tcase_add_test(t, bit_strings);
    tcase_add_test(t, containers);
    tcase_add_test(t, long_form_lengths);
    tcase_add_test(t, compact_simple);
    tcase_add_test(t, compact_rows);
    tcase_add_test(t, value_errors);
    tcase_add_test(t, byte_errors);
    tcase_add_test(t, structure_errors);
    tcase_add_test(t, compact_errors);
    tcase_add_test(t, compact_row_forms);
    tcase_add_test(t, output_cap);
    tcase_add_test(t, is_data);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(axdr_encode_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    ds_buf_free(&B);
    xmlCleanupParser();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
