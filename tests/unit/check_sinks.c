/* Output sinks: exact XML/JSON text for event sequences, escaping of
 * everything the input can put into values and comments, well-formedness
 * (checked by libxml2 for XML, by a small syntax checker for JSON), write
 * errors, and the one-line diagnostic JSON. */
#include <check.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlmscope/diag.h"
#include "dlmscope/sink.h"
#include "sinks/xml_text.h"

/* ---- capturing output ------------------------------------------------------------ */

typedef struct capture {
    FILE *f;
    char *buf;
    size_t len;
} capture;

static ds_sink *capture_start(capture *c, ds_sink *(*make)(FILE *))
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    ck_assert_ptr_nonnull(c->f);
    ds_sink *s = make(c->f);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Destroys the sink (which flushes) and returns the text written. */
static const char *capture_end(capture *c, ds_sink *s)
{
    ck_assert_int_eq(ds_sink_error(s), 0);
    ds_sink_destroy(s);
    ck_assert_int_eq(fclose(c->f), 0);
    return c->buf;
}

static void capture_free(capture *c) { free(c->buf); }

/* ---- event helpers ------------------------------------------------------------------- */

static void leaf(ds_sink *s, const char *name, const char *value)
{
    s->leaf(s, name, strlen(name), value, strlen(value), 0);
}

static void leaf_n(ds_sink *s, const char *name, const char *value, size_t n)
{
    s->leaf(s, name, strlen(name), value, n, 0);
}

/* <name attr="value" />, a leaf whose attribute is not Value */
static void named_leaf(ds_sink *s, const char *name, const char *attr, const char *value)
{
    ds_attr a = DS_ATTR(attr, value);
    s->leaf_attrs(s, name, strlen(name), &a, 1);
}

static void bare(ds_sink *s, const char *name) { s->leaf_attrs(s, name, strlen(name), NULL, 0); }

static void open_plain(ds_sink *s, const char *name) { s->open(s, name, strlen(name), NULL, 0, 0); }

static void open_flat1(ds_sink *s, const char *name, const char *attr, const char *value)
{
    ds_attr a = DS_ATTR(attr, value);
    s->open(s, name, strlen(name), attr ? &a : NULL, attr ? 1 : 0, DS_OPEN_FLAT);
}

static void open_qty(ds_sink *s, const char *name, const char *qty)
{
    ds_attr a = DS_ATTR("Qty", qty);
    s->open(s, name, strlen(name), &a, 1, 0);
}

static void comment(ds_sink *s, const char *text) { s->comment(s, text, strlen(text), 0); }

static ds_diag make_diag(const char *code, ds_severity sev, uint64_t offset, uint64_t frame,
                         uint64_t line, const char *msg)
{
    ds_diag d;
    memset(&d, 0, sizeof d);
    d.code = code;
    d.severity = sev;
    d.offset = offset;
    d.frame = frame;
    d.line = line;
    snprintf(d.message, sizeof d.message, "%s", msg);
    return d;
}

/* ---- XML well-formedness via libxml2 ------------------------------------------------- */

static int xml_errors;

static void count_xml_error(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
    xml_errors++;
}

/* Parses the text; returns the document (caller frees) and fails the test on any error. */
static xmlDocPtr parse_xml(const char *text, size_t len)
{
    xml_errors = 0;
    xmlSetGenericErrorFunc(NULL, count_xml_error);
    xmlDocPtr doc = xmlReadMemory(text, (int)len, "sink.xml", NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
    xmlSetGenericErrorFunc(NULL, NULL);
    ck_assert_msg(doc != NULL, "libxml2 rejected the output");
    ck_assert_int_eq(xml_errors, 0);
    return doc;
}

static void assert_well_formed(const char *text)
{
    xmlFreeDoc(parse_xml(text, strlen(text)));
}

/* The first element child of node. */
static xmlNodePtr first_element(xmlNodePtr node)
{
    for (xmlNodePtr c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) return c;
    return NULL;
}

/* ---- a small JSON syntax checker (one value, RFC 8259 grammar) ----------------------- */

typedef struct jp {
    const char *p;
    const char *end;
} jp;

static int jp_value(jp *j, int depth);

static void jp_ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int jp_lit(jp *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) return 0;
    j->p += n;
    return 1;
}

static int jp_string(jp *j)
{
    if (j->p >= j->end || *j->p != '"') return 0;
    j->p++;
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"') return 1;
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (j->p >= j->end) return 0;
            char e = *j->p++;
            if (e == 'u') {
                for (int i = 0; i < 4; i++) {
                    if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p) return 0;
                    j->p++;
                }
            } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
                return 0;
            }
        }
    }
    return 0;
}

static int jp_number(jp *j)
{
    const char *start = j->p;
    if (j->p < j->end && *j->p == '-') j->p++;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    return j->p > start;
}

static int jp_members(jp *j, char close, int depth, int keyed)
{
    j->p++;
    jp_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 1;
    }
    for (;;) {
        jp_ws(j);
        if (keyed) {
            if (!jp_string(j)) return 0;
            jp_ws(j);
            if (j->p >= j->end || *j->p++ != ':') return 0;
        }
        if (!jp_value(j, depth + 1)) return 0;
        jp_ws(j);
        if (j->p >= j->end) return 0;
        char c = *j->p++;
        if (c == close) return 1;
        if (c != ',') return 0;
    }
}

static int jp_value(jp *j, int depth)
{
    if (depth > 1000) return 0;
    jp_ws(j);
    if (j->p >= j->end) return 0;
    switch (*j->p) {
    case '{': return jp_members(j, '}', depth, 1);
    case '[': return jp_members(j, ']', depth, 0);
    case '"': return jp_string(j);
    case 't': return jp_lit(j, "true");
    case 'f': return jp_lit(j, "false");
    case 'n': return jp_lit(j, "null");
    default: return jp_number(j);
    }
}

/* Every line of text is exactly one JSON object; returns the number of lines. */
static int assert_json_lines(const char *text)
{
    int lines = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "JSON line without LF");
        jp j = {p, nl};
        ck_assert_msg(*p == '{', "JSON line is not an object: %.40s", p);
        ck_assert_msg(jp_value(&j, 0) && j.p == nl, "invalid JSON line: %.80s", p);
        lines++;
        p = nl + 1;
    }
    return lines;
}

/* Output must be valid UTF-8 (JSON text is UTF-8). */
static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) { p++; continue; }
        int n = (*p >= 0xF0) ? 4 : (*p >= 0xE0) ? 3 : (*p >= 0xC2) ? 2 : 0;
        if (n == 0 || *p > 0xF4) return 0;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80) return 0;
        p += n;
    }
    return 1;
}

/* ==== XML: layout ======================================================================= */

START_TEST(xml_brief_example)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    open_flat1(s, "HDLC", "len", "1E");
    leaf(s, "TargetAddress", "10");
    open_flat1(s, "PDU", NULL, NULL);
    open_plain(s, "GetRequest");
    open_plain(s, "GetRequestNormal");
    leaf(s, "InvokeIdAndPriority", "C1");
    s->close(s, "GetRequestNormal", sizeof "GetRequestNormal" - 1);
    s->close(s, "GetRequest", sizeof "GetRequest" - 1);
    s->close(s, "PDU", sizeof "PDU" - 1);
    s->close(s, "HDLC", sizeof "HDLC" - 1);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "<Messages>\n"
        "<HDLC len=\"1E\" >\n"
        "<TargetAddress Value=\"10\" />\n"
        "<PDU>\n"
        "<GetRequest>\n"
        "  <GetRequestNormal>\n"
        "    <InvokeIdAndPriority Value=\"C1\" />\n"
        "  </GetRequestNormal>\n"
        "</GetRequest>\n"
        "</PDU>\n"
        "</HDLC>\n"
        "</Messages>\n");
    assert_well_formed(out);
    capture_free(&c);
}
END_TEST

START_TEST(xml_shapes)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    comment(s, "TX 18:29:59");
    open_plain(s, "GetResponse");
    open_plain(s, "GetResponseNormal");
    open_plain(s, "Result");
    open_plain(s, "Data");
    open_qty(s, "Array", "02");
    open_qty(s, "Structure", "00");
    s->close(s, "Structure", sizeof "Structure" - 1);
    bare(s, "None");
    s->close(s, "Array", sizeof "Array" - 1);
    s->close(s, "Data", sizeof "Data" - 1);
    s->close(s, "Result", sizeof "Result" - 1);
    s->close(s, "GetResponseNormal", sizeof "GetResponseNormal" - 1);
    s->close(s, "GetResponse", sizeof "GetResponse" - 1);
    open_flat1(s, "HDLC", "len", "A");
    comment(s, "SNRM frame P/F=1");
    leaf(s, "FrameType", "93");
    open_plain(s, "Snrm");
    s->close(s, "Snrm", sizeof "Snrm" - 1);
    s->close(s, "HDLC", sizeof "HDLC" - 1);
    open_plain(s, "InitiateRequest");
    open_plain(s, "Conformance");
    named_leaf(s, "ConformanceBit", "Name", "Get");
    s->close(s, "Conformance", sizeof "Conformance" - 1);
    leaf(s, "Empty", "");
    s->close(s, "InitiateRequest", sizeof "InitiateRequest" - 1);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "<Messages>\n"
        "<!--TX 18:29:59-->\n"
        "<GetResponse>\n"
        "  <GetResponseNormal>\n"
        "    <Result>\n"
        "      <Data>\n"
        "        <Array Qty=\"02\" >\n"
        "          <Structure Qty=\"00\" >\n"
        "          </Structure>\n"
        "          <None />\n"
        "        </Array>\n"
        "      </Data>\n"
        "    </Result>\n"
        "  </GetResponseNormal>\n"
        "</GetResponse>\n"
        "<HDLC len=\"A\" >\n"
        "<!--SNRM frame P/F=1-->\n"
        "<FrameType Value=\"93\" />\n"
        "<Snrm>\n"
        "</Snrm>\n"
        "</HDLC>\n"
        "<InitiateRequest>\n"
        "  <Conformance>\n"
        "    <ConformanceBit Name=\"Get\" />\n"
        "  </Conformance>\n"
        "  <Empty Value=\"\" />\n"
        "</InitiateRequest>\n"
        "</Messages>\n");
    assert_well_formed(out);
    capture_free(&c);
}
END_TEST

START_TEST(xml_several_attributes_and_flat_inside_indented)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    ds_attr attrs[3] = {DS_ATTR("len", "1E"), DS_ATTR("Direction", "TX"), DS_ATTR("Time", "18:29:59")};
    s->open(s, "HDLC", sizeof "HDLC" - 1, attrs, 3, DS_OPEN_FLAT);
    open_plain(s, "A");
    /* a flat container inside an indented one keeps its children at its own column */
    s->open(s, "F", sizeof "F" - 1, NULL, 0, DS_OPEN_FLAT);
    leaf(s, "X", "1");
    s->close(s, "F", sizeof "F" - 1);
    leaf(s, "Y", "2");
    s->close(s, "A", sizeof "A" - 1);
    s->close(s, "HDLC", sizeof "HDLC" - 1);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "<HDLC len=\"1E\" Direction=\"TX\" Time=\"18:29:59\" >\n"
        "<A>\n"
        "  <F>\n"
        "  <X Value=\"1\" />\n"
        "  </F>\n"
        "  <Y Value=\"2\" />\n"
        "</A>\n"
        "</HDLC>\n");
    capture_free(&c);
}
END_TEST

/* ds_decode_apdu_buffer() writes without begin/end: the APDU element is at column 0. */
START_TEST(xml_without_document)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    open_plain(s, "ReadRequest");
    leaf(s, "VariableName", "FFF8");
    s->close(s, "ReadRequest", sizeof "ReadRequest" - 1);
    s->end_document(s);  /* no <Messages> was opened, so none is closed */
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out, "<ReadRequest>\n  <VariableName Value=\"FFF8\" />\n</ReadRequest>\n");
    capture_free(&c);
}
END_TEST

/* A capture's envelope: open_run with the attributes after the first given as a run of text in
 * pieces writes the very bytes open() writes with them all, in one pass and when the run is too
 * long for it. */
static const char *open_both_ways(capture *c, const ds_attr *attrs, size_t nattrs, const ds_attr_run *run)
{
    ds_sink *s = capture_start(c, ds_xml_sink_new);
    s->begin_document(s);
    if (run) s->open_run(s, "HDLC", 4, attrs, 1, run, DS_OPEN_FLAT);
    else s->open(s, "HDLC", 4, attrs, nattrs, DS_OPEN_FLAT);
    leaf(s, "FrameType", "10");
    s->close(s, "HDLC", 4);
    s->end_document(s);
    return capture_end(c, s);
}

START_TEST(xml_open_run_same_as_open)
{
    static char long_from[700];
    memset(long_from, '1', sizeof long_from - 1);
    const char *froms[] = {"10.0.0.1:4059", "[2001:db8::1]:4059", long_from};
    for (size_t k = 0; k < sizeof froms / sizeof froms[0]; k++) {
        ds_attr attrs[5] = {DS_ATTR_PLAIN("len", "1E", 2), DS_ATTR_PLAIN("Direction", "ToServer", 8),
                            DS_ATTR_PLAIN("Time", "2026-12-07T06:00:00.123456Z", 27),
                            DS_ATTR_PLAIN("From", froms[k], strlen(froms[k])), DS_ATTR_PLAIN("To", "10.0.0.2:50000", 14)};
        char text[1024];
        size_t len = ds_xml_attrs_run(text, sizeof text, attrs + 1, 4);
        ck_assert_uint_gt(len, 40);
        /* all of it in the last piece, and cut in four as the envelope cuts it */
        ds_attr_run whole = {{"", "", "", text}, {0, 0, 0, len}};
        ds_attr_run cut = {{text, text + 10, text + 30, text + 31}, {10, 20, 1, len - 31}};
        capture a, b, c;
        const char *plain = open_both_ways(&a, attrs, 5, NULL);
        ck_assert_str_eq(open_both_ways(&b, attrs, 5, &whole), plain);
        ck_assert_str_eq(open_both_ways(&c, attrs, 5, &cut), plain);
        if (k == 0)
            ck_assert_str_eq(plain, "<Messages>\n<HDLC len=\"1E\" Direction=\"ToServer\" Time=\"2026-12-07T06:00:00.123456Z\" "
                                    "From=\"10.0.0.1:4059\" To=\"10.0.0.2:50000\" >\n<FrameType Value=\"10\" />\n"
                                    "</HDLC>\n</Messages>\n");
        capture_free(&a);
        capture_free(&b);
        capture_free(&c);
    }
    /* a value that needs escaping, or a run that does not fit: no run (written one by one) */
    ds_attr amp[1] = {DS_ATTR("From", "a&b")};
    char small[8];
    ck_assert_uint_eq(ds_xml_attrs_run(small, sizeof small, amp, 1), 0);
    ds_attr fine[1] = {DS_ATTR_PLAIN("To", "1.2.3.4:5", 9)};
    ck_assert_uint_eq(ds_xml_attrs_run(small, sizeof small, fine, 1), 0);
    /* the writers that are not the Gurux XML one take all the attributes through open() */
    capture j;
    ds_sink *js = capture_start(&j, ds_json_sink_new);
    ck_assert_ptr_null(js->open_run);
    capture_end(&j, js);
    capture_free(&j);
}
END_TEST

START_TEST(xml_unbalanced_close_is_dropped)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    s->close(s, "Stray", sizeof "Stray" - 1);
    open_plain(s, "A");
    s->close(s, "A", sizeof "A" - 1);
    s->close(s, "Stray", sizeof "Stray" - 1);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out, "<Messages>\n<A>\n</A>\n</Messages>\n");
    capture_free(&c);
}
END_TEST

START_TEST(xml_deep_nesting)
{
    enum { DEPTH = 300 };  /* beyond the initial level stack and the 64-space run */
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    for (int i = 0; i < DEPTH; i++) open_plain(s, "S");
    leaf(s, "V", "1");
    for (int i = 0; i < DEPTH; i++) s->close(s, "S", sizeof "S" - 1);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    char expect[2 * DEPTH + 32];
    memset(expect, ' ', 2 * DEPTH);
    strcpy(expect + 2 * DEPTH, "<V Value=\"1\" />\n");
    const char *line = strstr(out, "<V ");
    ck_assert_ptr_nonnull(line);
    ck_assert_int_ge(line - out, 2 * DEPTH);
    ck_assert_int_eq(memcmp(line - 2 * DEPTH, expect, strlen(expect)), 0);
    ck_assert_int_eq(line[-2 * DEPTH - 1], '\n');
    /* the last S is closed at column 0 */
    ck_assert_ptr_nonnull(strstr(out, "\n</S>\n</Messages>\n"));
    assert_well_formed(out);
    capture_free(&c);
}
END_TEST

/* ==== XML: escaping ======================================================================= */

START_TEST(xml_escapes_special_characters)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    leaf(s, "String", "a&b<c>d\"e'f");
    leaf(s, "String", "t\tl\nr\r");
    leaf(s, "String", "&&");
    ds_attr a = DS_ATTR("Time", "<&\">");
    s->open(s, "WRAPPER", sizeof "WRAPPER" - 1, &a, 1, DS_OPEN_FLAT);
    s->close(s, "WRAPPER", sizeof "WRAPPER" - 1);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "<Messages>\n"
        "<String Value=\"a&amp;b&lt;c&gt;d&quot;e'f\" />\n"
        "<String Value=\"t&#9;l&#10;r&#13;\" />\n"
        "<String Value=\"&amp;&amp;\" />\n"
        "<WRAPPER Time=\"&lt;&amp;&quot;&gt;\" >\n"
        "</WRAPPER>\n"
        "</Messages>\n");
    capture_free(&c);
}
END_TEST

/* The parser must give back exactly the bytes that went in. */
START_TEST(xml_escaped_values_round_trip)
{
    static const char *values[] = {
        "a&b<c>d\"e'f", "t\tl\nr\r", "  two  spaces ", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
        "\x7F\xC2\x80\xC2\x9F", "]]>", "&amp;", "",
    };
    size_t n = sizeof values / sizeof values[0];
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    for (size_t i = 0; i < n; i++) leaf(s, "String", values[i]);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    xmlDocPtr doc = parse_xml(out, strlen(out));
    xmlNodePtr node = first_element(xmlDocGetRootElement(doc));
    for (size_t i = 0; i < n; i++, node = node->next) {
        while (node && node->type != XML_ELEMENT_NODE) node = node->next;
        ck_assert_ptr_nonnull(node);
        xmlChar *v = xmlGetProp(node, BAD_CAST "Value");
        ck_assert_msg(v != NULL, "value %zu lost", i);
        ck_assert_str_eq((const char *)v, values[i]);
        xmlFree(v);
    }
    xmlFreeDoc(doc);
    capture_free(&c);
}
END_TEST

START_TEST(xml_illegal_values_become_hex)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    leaf_n(s, "String", "Hi\0\x01", 4);             /* NUL and SOH */
    leaf(s, "String", "\x1B[0m");                    /* ESC */
    leaf(s, "String", "\xC3\x28");                   /* bad continuation */
    leaf(s, "String", "\xC0\xAF");                   /* overlong '/' */
    leaf(s, "String", "\xED\xA0\x80");               /* surrogate U+D800 */
    leaf(s, "String", "\xEF\xBF\xBE");               /* U+FFFE, not an XML character */
    leaf(s, "String", "\xF4\x90\x80\x80");           /* above U+10FFFF */
    leaf(s, "String", "ab\xE2\x82");                 /* cut short */
    leaf(s, "String", "\xFF");
    leaf(s, "String", "\x80");                       /* stray continuation */
    named_leaf(s, "ConformanceBit", "Name", "\x02"); /* other attribute names too */
    ds_attr a = DS_ATTR("Time", "18:\x07");
    s->open(s, "HDLC", sizeof "HDLC" - 1, &a, 1, DS_OPEN_FLAT);
    s->close(s, "HDLC", sizeof "HDLC" - 1);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "<Messages>\n"
        "<String ValueHex=\"48690001\" />\n"
        "<String ValueHex=\"1B5B306D\" />\n"
        "<String ValueHex=\"C328\" />\n"
        "<String ValueHex=\"C0AF\" />\n"
        "<String ValueHex=\"EDA080\" />\n"
        "<String ValueHex=\"EFBFBE\" />\n"
        "<String ValueHex=\"F4908080\" />\n"
        "<String ValueHex=\"6162E282\" />\n"
        "<String ValueHex=\"FF\" />\n"
        "<String ValueHex=\"80\" />\n"
        "<ConformanceBit NameHex=\"02\" />\n"
        "<HDLC TimeHex=\"31383A07\" >\n"
        "</HDLC>\n"
        "</Messages>\n");
    assert_well_formed(out);
    capture_free(&c);
}
END_TEST

START_TEST(xml_legal_non_ascii_is_kept)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    leaf(s, "S", "\xC3\xA9\xEF\xBF\xBD\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");  /* é U+FFFD 😀 U+10FFFF */
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out, "<S Value=\"\xC3\xA9\xEF\xBF\xBD\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\" />\n");
    capture_free(&c);
}
END_TEST

START_TEST(xml_comment_sanitising)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    comment(s, "a--b");
    comment(s, "---");
    comment(s, "ends-");
    comment(s, "-starts");
    comment(s, "x\x01y\x1F");
    comment(s, "line1\nline2\r");
    comment(s, "tab\there");
    comment(s, "bad \xFF utf8 \xC3");
    comment(s, "caf\xC3\xA9");
    s->comment(s, "n\0l", 3, 0);
    comment(s, "");
    comment(s, "-->");
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "<Messages>\n"
        "<!--a- -b-->\n"
        "<!--- - - -->\n"
        "<!--ends- -->\n"
        "<!---starts-->\n"
        "<!--x?y?-->\n"
        "<!--line1 line2 -->\n"
        "<!--tab\there-->\n"
        "<!--bad ? utf8 ?-->\n"
        "<!--caf\xC3\xA9-->\n"
        "<!--n?l-->\n"
        "<!---->\n"
        "<!--- ->-->\n"
        "</Messages>\n");
    assert_well_formed(out);
    capture_free(&c);
}
END_TEST

/* Comments longer than one 16-byte block, with the character to handle inside a block, at a
 * block's edge and at the end: the block check must hand them to the byte-wise path. */
START_TEST(xml_comment_long_texts)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    comment(s, "0123456789abcdefghijklmnopqrstuv");        /* two plain blocks */
    comment(s, "0123456789abcdef--ghijklmnopqrstu");       /* "--" right after a block */
    comment(s, "0123456789abcde--fghijklmnopqrstu");       /* "--" across a block edge */
    comment(s, "2017-10-01T00:00:00.00+01:00 dst");        /* single dashes in the first block */
    comment(s, "0123456789abcdefghijklmnopqrstu-");        /* '-' at the very end */
    comment(s, "0123456789\x01" "bcdefghijklmnopqrstuv");    /* a control byte inside a block */
    comment(s, "0123456789abcdefghijk\xC3\xA9mnopqrstuv"); /* UTF-8 in the second block */
    comment(s, "0123456789abcdefghijklmnopqrstu\x7F");     /* DEL is legal XML */
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "<Messages>\n"
        "<!--0123456789abcdefghijklmnopqrstuv-->\n"
        "<!--0123456789abcdef- -ghijklmnopqrstu-->\n"
        "<!--0123456789abcde- -fghijklmnopqrstu-->\n"
        "<!--2017-10-01T00:00:00.00+01:00 dst-->\n"
        "<!--0123456789abcdefghijklmnopqrstu- -->\n"
        "<!--0123456789?bcdefghijklmnopqrstuv-->\n"
        "<!--0123456789abcdefghijk\xC3\xA9mnopqrstuv-->\n"
        "<!--0123456789abcdefghijklmnopqrstu\x7F-->\n"
        "</Messages>\n");
    assert_well_formed(out);
    capture_free(&c);
}
END_TEST

/* XML attribute values that need no escaping: printable ASCII and DEL, but " & < >. */
static size_t plain_run_reference(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] >= 0x20 && p[i] <= 0x7F && p[i] != '"' && p[i] != '&' && p[i] != '<' && p[i] != '>') i++;
    return i;
}

/* The 16-bytes-at-a-time scan of attribute values gives the byte-wise answer at every length
 * around the block size (the last block overlaps), with the bad byte anywhere. */
START_TEST(xml_plain_run_matches_bytewise)
{
    static const unsigned char ALPHABET[] = {'"', '&', '<', '>', ' ', '~', 0x7F, 0x80, 0x1F, 0xFF, '\t', 0x00};
    uint32_t seed = 777;
    unsigned char text[80];
    for (int round = 0; round < 200000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 70;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            /* mostly plain, so that long plain runs end at every position */
            text[i] = (r % 64) ? (unsigned char)('0' + r % 60) : ALPHABET[(r / 64) % sizeof ALPHABET];
        }
        ck_assert_msg(ds_xml_plain_run(text, n) == plain_run_reference(text, n), "round %d", round);
    }
}
END_TEST

/* Several attributes in one start tag: written in one pass when all are plain, else piece by
 * piece (escaping, a value longer than the one-pass pieces); the bytes are the same shape. */
START_TEST(xml_several_attributes_escaped_or_long)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    open_plain(s, "A");
    ds_attr plain[3] = {DS_ATTR_PLAIN("len", "1E", 2), DS_ATTR("Time", "2026-01-02T03:04:05.000001Z"),
                        DS_ATTR("From", "10.1.0.0:40000")};
    s->open(s, "HDLC", sizeof "HDLC" - 1, plain, 3, DS_OPEN_FLAT);
    s->close(s, "HDLC", sizeof "HDLC" - 1);
    ds_attr escaped[2] = {DS_ATTR_PLAIN("len", "1E", 2), DS_ATTR("Time", "a<b\"c")};
    s->open(s, "HDLC", sizeof "HDLC" - 1, escaped, 2, DS_OPEN_FLAT);
    s->close(s, "HDLC", sizeof "HDLC" - 1);
    ds_attr longer[2] = {DS_ATTR("From", "[2001:db8:85a3::8a2e:370:7334]:4059"), DS_ATTR("To", "[::1]:4059")};
    s->leaf_attrs(s, "X", sizeof "X" - 1, longer, 2);
    s->close(s, "A", sizeof "A" - 1);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "<A>\n"
        "  <HDLC len=\"1E\" Time=\"2026-01-02T03:04:05.000001Z\" From=\"10.1.0.0:40000\" >\n"
        "  </HDLC>\n"
        "  <HDLC len=\"1E\" Time=\"a&lt;b&quot;c\" >\n"
        "  </HDLC>\n"
        "  <X From=\"[2001:db8:85a3::8a2e:370:7334]:4059\" To=\"[::1]:4059\" />\n"
        "</A>\n");
    capture_free(&c);
}
END_TEST

/* The block-wise check of comment texts gives the byte-wise answer on random texts made of the
 * bytes that matter ('-', DEL, controls, non-ASCII, plain letters), at every length around the
 * block size. */
START_TEST(xml_comment_check_matches_bytewise)
{
    static const unsigned char ALPHABET[] = {'-', '-', '-', 'a', ' ', '~', 0x7F, 0x80, 0x1F, 0xC3, '\t', 'Z'};
    uint32_t seed = 12345;
    unsigned char text[80];
    for (int round = 0; round < 200000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 70;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            /* mostly plain letters, so that texts of every verdict occur */
            text[i] = (r % 4) ? (unsigned char)('a' + r % 26) : ALPHABET[(r / 4) % sizeof ALPHABET];
        }
        ck_assert_msg(ds_xml_comment_verbatim(text, n) == ds_xml_comment_verbatim_bytes(text, n), "round %d", round);
    }
}
END_TEST

START_TEST(xml_comment_indentation)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    open_plain(s, "A");
    open_plain(s, "B");
    comment(s, "0.0.1.0.0.255 Clock");
    s->close(s, "B", sizeof "B" - 1);
    s->close(s, "A", sizeof "A" - 1);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out, "<A>\n  <B>\n    <!--0.0.1.0.0.255 Clock-->\n  </B>\n</A>\n");
    capture_free(&c);
}
END_TEST

START_TEST(xml_diagnostics)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    ds_diag d1 = make_diag(DS_D_FRAME_FCS, DS_SEV_ERROR, 12, 3, 7, "FCS is 1234, computed ABCD");
    s->diagnostic(s, &d1);
    open_plain(s, "GetRequest");
    ds_diag d2 = make_diag(DS_D_APDU_TRAILING, DS_SEV_WARNING, 0, 1, 0, "x--y\x01z-");
    s->diagnostic(s, &d2);
    ds_diag d3 = make_diag(DS_D_FRAME_STUFFED, DS_SEV_INFO, UINT64_MAX, 1, 0, "");
    s->diagnostic(s, &d3);
    s->close(s, "GetRequest", sizeof "GetRequest" - 1);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "<Messages>\n"
        "<!--error frame.fcs offset=12: FCS is 1234, computed ABCD-->\n"
        "<GetRequest>\n"
        "  <!--warning apdu.trailing-bytes offset=0: x- -y?z- -->\n"
        "  <!--info frame.stuffed offset=18446744073709551615: -->\n"
        "</GetRequest>\n"
        "</Messages>\n");
    assert_well_formed(out);
    capture_free(&c);
}
END_TEST

/* A message filling the whole array without a NUL must not be read past its end. */
START_TEST(xml_diagnostic_unterminated_message)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    ds_diag d = make_diag(DS_D_APDU_TRUNCATED, DS_SEV_ERROR, 5, 0, 0, "");
    memset(d.message, 'm', sizeof d.message);
    s->diagnostic(s, &d);
    const char *out = capture_end(&c, s);
    const char *prefix = "<!--error apdu.truncated offset=5: ";
    ck_assert_uint_eq(strlen(out), strlen(prefix) + DS_DIAG_MESSAGE_MAX + 4);
    ck_assert_int_eq(strncmp(out, prefix, strlen(prefix)), 0);
    ck_assert_str_eq(out + strlen(out) - 5, "m-->\n");
    capture_free(&c);
}
END_TEST

START_TEST(xml_long_values)
{
    enum { N = 1 << 20 };
    char *big = malloc(N + 1);
    ck_assert_ptr_nonnull(big);
    for (size_t i = 0; i < N; i++) big[i] = "0123456789ABCDEF"[i % 16];
    big[N] = 0;
    big[N / 2] = '&';  /* one escape in the middle of a block-sized value */
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    leaf_n(s, "OctetString", big, N);
    big[N / 2] = 0x01;  /* now illegal: the whole value goes out as hex */
    leaf_n(s, "OctetString", big, N);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    size_t expect_len = strlen("<Messages>\n")
                      + strlen("<OctetString Value=\"\" />\n") + (N - 1) + strlen("&amp;")
                      + strlen("<OctetString ValueHex=\"\" />\n") + 2 * (size_t)N
                      + strlen("</Messages>\n");
    ck_assert_uint_eq(c.len, expect_len);
    ck_assert_int_eq(memcmp(out + strlen("<Messages>\n<OctetString Value=\"") + N / 2, "&amp;", 5), 0);
    const char *hex = strstr(out, "ValueHex=\"");
    ck_assert_ptr_nonnull(hex);
    ck_assert_int_eq(memcmp(hex + 10, "3031323334", 10), 0);
    ck_assert_int_eq(memcmp(hex + 10 + 2 * (N / 2), "01", 2), 0);
    xmlDocPtr doc = parse_xml(out, c.len);
    xmlNodePtr node = first_element(xmlDocGetRootElement(doc));
    xmlChar *v = xmlGetProp(node, BAD_CAST "Value");
    big[N / 2] = '&';
    ck_assert_uint_eq(strlen((const char *)v), N);
    ck_assert_int_eq(memcmp(v, big, N), 0);
    xmlFree(v);
    xmlFreeDoc(doc);
    free(big);
    capture_free(&c);
}
END_TEST

/* Names are taken with the length given (not measured), and text marked DS_TEXT_PLAIN is
 * copied as it is, by every writer. */
START_TEST(names_by_length_and_plain_text)
{
    static ds_sink *(*const makers[])(FILE *) = {ds_xml_sink_new, ds_json_sink_new};
    static const char *const want[] = {
        "<Messages>\n<Array Qty=\"01\" >\n  <!--0.0.1.0.0.255 Clock-->\n  <UInt16 Value=\"0008\" />\n"
        "  <OctetString Value=\"0102\" />\n  <None />\n</Array>\n</Messages>\n",
        /* Qty 01 is not the 3 children: it stays; the comment is not written */
        "{\"service\":\"array\",\"Array\":[{\"@Qty\":\"01\"},{\"UInt16\":\"0008\"},{\"OctetString\":\"0102\"},"
        "{\"None\":null}]}\n"};
    for (size_t i = 0; i < 2; i++) {
        capture c;
        ds_sink *s = capture_start(&c, makers[i]);
        s->begin_document(s);
        ds_attr qty = DS_ATTR("Qty", "01");
        s->open(s, "ArrayXYZ", 5, &qty, 1, 0);
        s->comment(s, "0.0.1.0.0.255 Clock", 19, DS_TEXT_PLAIN);
        s->leaf(s, "UInt16XYZ", 6, "0008", 4, DS_TEXT_PLAIN);
        if (s->leaf_hex) s->leaf_hex(s, "OctetStringXYZ", 11, (const unsigned char *)"\x01\x02", 2);
        else s->leaf(s, "OctetStringXYZ", 11, "0102", 4, DS_TEXT_PLAIN);
        s->leaf_attrs(s, "NoneXYZ", 4, NULL, 0);
        s->close(s, "ArrayXYZ", 5);
        s->end_document(s);
        ck_assert_str_eq(capture_end(&c, s), want[i]);
        capture_free(&c);
    }
}
END_TEST

/* Deterministic random bytes in values, attributes and comments: always well-formed. */
static uint32_t rng_state;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static size_t random_text(char *buf, size_t cap)
{
    static const unsigned char interesting[] = {0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, '-', '&', '<', '>', '"',
                                                '\'', '\\', 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xEF,
                                                0xF0, 0xF4, 0xF5, 0xFF, 'A'};
    size_t n = rng() % cap;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rng();
        buf[i] = (r & 1) ? (char)interesting[(r >> 1) % sizeof interesting] : (char)(r >> 8);
    }
    return n;
}

START_TEST(xml_random_input_is_well_formed)
{
    rng_state = 0x12345678u;
    char text[64];
    char attr_value[64];
    capture c;
    ds_sink *s = capture_start(&c, ds_xml_sink_new);
    s->begin_document(s);
    for (int i = 0; i < 4000; i++) {
        size_t n = random_text(text, sizeof text);
        switch (rng() % 4) {
        case 0: leaf_n(s, "V", text, n); break;
        case 1: s->comment(s, text, n, 0); break;
        case 2: {
            ds_diag d = make_diag(DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, (uint64_t)i, 0, 0, "");
            memcpy(d.message, text, n);  /* NUL bytes inside end the message early */
            s->diagnostic(s, &d);
            break;
        }
        default: {
            size_t m = random_text(attr_value, sizeof attr_value - 1);
            attr_value[m] = 0;
            ds_attr a = DS_ATTR("Time", attr_value);
            s->open(s, "E", sizeof "E" - 1, &a, 1, (rng() & 1) ? DS_OPEN_FLAT : 0);
            leaf_n(s, "V", text, n);
            s->close(s, "E", sizeof "E" - 1);
        }
        }
    }
    s->end_document(s);
    const char *out = capture_end(&c, s);
    xmlFreeDoc(parse_xml(out, c.len));
    capture_free(&c);
}
END_TEST

/* ==== write errors ======================================================================== */

static void write_error_case(ds_sink *(*make)(FILE *))
{
    FILE *full = fopen("/dev/full", "w");
    if (!full) return;  /* not on this system: nothing to test */
    ds_sink *s = make(full);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(ds_sink_error(s), 0);
    s->begin_document(s);
    open_plain(s, "A");
    leaf(s, "B", "1");
    s->close(s, "A", sizeof "A" - 1);
    ck_assert_int_eq(ds_sink_error(s), 0);  /* still buffered */
    s->end_document(s);
    ck_assert_int_ne(ds_sink_error(s), 0);
    /* later output is dropped without crashing, the error stays */
    for (int i = 0; i < 20000; i++) leaf(s, "B", "0123456789");
    ck_assert_int_ne(ds_sink_error(s), 0);
    ds_sink_destroy(s);
    fclose(full);
}

START_TEST(xml_write_error_is_remembered) { write_error_case(ds_xml_sink_new); }
END_TEST

START_TEST(json_write_error_is_remembered) { write_error_case(ds_json_sink_new); }
END_TEST

/* A stream opened for reading: every fwrite fails, including block writes before the end. */
START_TEST(xml_write_error_mid_stream)
{
    FILE *ro = tmpfile();
    ck_assert_ptr_nonnull(ro);
    FILE *rd = fdopen(dup(fileno(ro)), "r");
    ck_assert_ptr_nonnull(rd);
    ds_sink *s = ds_xml_sink_new(rd);
    /* more than one output block (DS_WBUF_SIZE) of leaves, so that a block write fails */
    for (int i = 0; i < 200000 && !ds_sink_error(s); i++) leaf(s, "B", "0123456789");
    ck_assert_int_ne(ds_sink_error(s), 0);
    ds_sink_destroy(s);
    fclose(rd);
    fclose(ro);
}
END_TEST

START_TEST(sink_error_and_destroy_on_edge_cases)
{
    ck_assert_int_eq(ds_sink_error(NULL), 0);
    ds_sink_destroy(NULL);
    ds_sink bare_sink;
    memset(&bare_sink, 0, sizeof bare_sink);
    ck_assert_int_eq(ds_sink_error(&bare_sink), 0);
    ds_sink_destroy(&bare_sink);  /* no destroy function: nothing happens */
    ck_assert_ptr_null(ds_xml_sink_new(NULL));
    ck_assert_ptr_null(ds_json_sink_new(NULL));
}
END_TEST

/* ==== null sink ============================================================================ */

START_TEST(null_sink_accepts_everything)
{
    ds_sink *s = ds_null_sink_new();
    ck_assert_ptr_nonnull(s);
    s->begin_document(s);
    open_flat1(s, "HDLC", "len", "1E");
    leaf(s, "A", "\x01");
    bare(s, "None");
    comment(s, "--");
    ds_diag d = make_diag(DS_D_FRAME_FCS, DS_SEV_ERROR, 1, 1, 1, "m");
    s->diagnostic(s, &d);
    s->close(s, "HDLC", sizeof "HDLC" - 1);
    s->close(s, "Stray", sizeof "Stray" - 1);
    s->end_document(s);
    ck_assert_int_eq(ds_sink_error(s), 0);
    ds_sink_destroy(s);
}
END_TEST

/* ==== JSON sink ============================================================================ */

START_TEST(json_brief_example)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_json_sink_new);
    s->begin_document(s);
    comment(s, "TX 18:29:59");
    open_flat1(s, "HDLC", "len", "1E");
    leaf(s, "TargetAddress", "10");
    open_flat1(s, "PDU", NULL, NULL);
    open_plain(s, "GetRequest");
    open_plain(s, "GetRequestNormal");
    comment(s, "0.0.1.0.0.255 Clock");
    leaf(s, "InvokeIdAndPriority", "C1");
    s->close(s, "GetRequestNormal", sizeof "GetRequestNormal" - 1);
    s->close(s, "GetRequest", sizeof "GetRequest" - 1);
    s->close(s, "PDU", sizeof "PDU" - 1);
    s->close(s, "HDLC", sizeof "HDLC" - 1);
    ds_diag d = make_diag(DS_D_FRAME_GARBAGE, DS_SEV_WARNING, 40, 0, 2, "3 bytes skipped");
    s->diagnostic(s, &d);
    open_plain(s, "ReadRequest");
    s->close(s, "ReadRequest", sizeof "ReadRequest" - 1);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    /* comments are not written; a value not marked as a number stays a string (no invoke_id) */
    ck_assert_str_eq(out,
        "{\"service\":\"get-request\",\"HDLC\":{\"@len\":\"1E\",\"TargetAddress\":\"10\","
          "\"PDU\":{\"GetRequest\":{\"GetRequestNormal\":{\"InvokeIdAndPriority\":\"C1\"}}}}}\n"
        "{\"diagnostic\":{\"code\":\"frame.garbage\",\"severity\":\"warning\",\"offset\":40,"
          "\"frame\":0,\"line\":2,\"message\":\"3 bytes skipped\"}}\n"
        "{\"service\":\"read-request\",\"ReadRequest\":{}}\n");
    ck_assert_int_eq(assert_json_lines(out), 3);
    capture_free(&c);
}
END_TEST

START_TEST(json_leaf_shapes_and_nested_diagnostic)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_json_sink_new);
    open_qty(s, "Array", "02");
    bare(s, "None");
    named_leaf(s, "ConformanceBit", "Name", "Get");
    ds_diag d = make_diag(DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, 9, 2, 0, "short");
    s->diagnostic(s, &d);
    leaf(s, "Empty", "");
    s->close(s, "Array", sizeof "Array" - 1);
    bare(s, "Success");
    const char *out = capture_end(&c, s);
    /* Qty 02 is not the 3 children: it leads the list; the diagnostic goes to the line's list */
    ck_assert_str_eq(out,
        "{\"service\":\"array\",\"Array\":[{\"@Qty\":\"02\"},{\"None\":null},"
          "{\"ConformanceBit\":{\"@Name\":\"Get\"}},{\"Empty\":\"\"}],"
          "\"diagnostics\":[{\"code\":\"data.bad-length\",\"severity\":\"error\",\"offset\":9,"
            "\"frame\":2,\"line\":0,\"message\":\"short\"}]}\n"
        "{\"service\":\"success\",\"Success\":null}\n");
    ck_assert_int_eq(assert_json_lines(out), 2);
    capture_free(&c);
}
END_TEST

START_TEST(json_string_escaping)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_json_sink_new);
    leaf_n(s, "S", "q\"b\\n\nt\tr\rb\bf\f\x01\x1F\0\x7F/", 19);
    leaf(s, "S", "caf\xC3\xA9");
    leaf(s, "S", "bad\xFF");                 /* not UTF-8: lossless hex */
    comment(s, "bad\xFF\xC3 and \x01");       /* text for people: U+FFFD per bad byte */
    ds_attr a = DS_ATTR("Time", "\xC0\xAF");
    s->open(s, "E", sizeof "E" - 1, &a, 1, 0);
    s->close(s, "E", sizeof "E" - 1);
    const char *out = capture_end(&c, s);
    /* the Time fact is text for people (U+FFFD per bad byte); the element keeps the bytes */
    ck_assert_str_eq(out,
        "{\"service\":\"s\",\"S\":\"q\\\"b\\\\n\\nt\\tr\\rb\\bf\\f\\u0001\\u001F\\u0000\x7F/\"}\n"
        "{\"service\":\"s\",\"S\":\"caf\xC3\xA9\"}\n"
        "{\"service\":\"s\",\"S\":{\"@ValueHex\":\"626164FF\"}}\n"
        "{\"time\":\"\\uFFFD\\uFFFD\",\"service\":\"e\",\"E\":{\"@TimeHex\":\"C0AF\"}}\n");
    ck_assert_int_eq(assert_json_lines(out), 4);
    capture_free(&c);
}
END_TEST

START_TEST(json_unbalanced_close_is_dropped)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_json_sink_new);
    s->close(s, "Stray", sizeof "Stray" - 1);
    open_plain(s, "A");
    s->close(s, "A", sizeof "A" - 1);
    s->close(s, "Stray", sizeof "Stray" - 1);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out, "{\"service\":\"a\",\"A\":{}}\n");
    capture_free(&c);
}
END_TEST

/* Numbers, facts from the frame and from anywhere in it, views joining the line, annotations. */
START_TEST(json_numbers_facts_and_views)
{
    capture c;
    ds_sink *s = capture_start(&c, ds_json_sink_new);
    const ds_sink_frame f = {.number = 7, .offset = 120, .type = "raw"};
    s->frame_begin(s, &f);
    open_plain(s, "GetResponse");
    open_plain(s, "GetResponseNormal");
    s->leaf(s, "InvokeIdAndPriority", 19, "193", 3, DS_TEXT_PLAIN | DS_LEAF_NUMBER);
    open_plain(s, "Result");
    open_plain(s, "Data");
    open_qty(s, "Structure", "4");
    s->leaf(s, "Int8", 4, "-5", 2, DS_TEXT_PLAIN | DS_LEAF_NUMBER);
    s->leaf(s, "UInt64", 6, "9007199254740992", 16, DS_TEXT_PLAIN | DS_LEAF_NUMBER);  /* 2^53: a number */
    s->leaf(s, "UInt64", 6, "9007199254740993", 16, DS_TEXT_PLAIN | DS_LEAF_NUMBER);  /* beyond: a string */
    s->leaf_hex(s, "OctetString", 11, (const unsigned char *)"\x01\x00\x01\x08\x00\xFF", 6);
    s->close(s, "Structure", 9);
    s->close(s, "Data", 4);
    s->close(s, "Result", 6);
    s->close(s, "GetResponseNormal", 17);
    s->close(s, "GetResponse", 11);
    open_plain(s, "Decrypted");  /* a view of the APDU before it: the same line */
    s->leaf_hex(s, "InstanceId", 10, (const unsigned char *)"\x00\x00\x01\x00\x00\xFF", 6);
    s->close(s, "Decrypted", 9);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_str_eq(out,
        "{\"frame\":7,\"offset\":120,\"frame_type\":\"raw\",\"service\":\"get-response\","
        "\"plain_service\":\"instance-id\",\"invoke_id\":1,\"obis\":\"0.0.1.0.0.255\",\"result\":\"Success\","
        "\"GetResponse\":{\"GetResponseNormal\":{\"InvokeIdAndPriority\":193,\"Result\":{\"Data\":{\"Structure\":["
        "{\"Int8\":-5},{\"UInt64\":9007199254740992},{\"UInt64\":\"9007199254740993\"},"
        "{\"OctetString\":\"01000108" "00FF\",\"#OctetString\":\"1.0.1.8.0.255\"}]}}}},"
        "\"Decrypted\":{\"InstanceId\":\"0.0.1.0.0.255\"}}\n");
    ck_assert_int_eq(assert_json_lines(out), 1);
    capture_free(&c);
}
END_TEST

START_TEST(json_random_input_is_valid)
{
    rng_state = 0xCAFEF00Du;
    char text[64];
    char attr_value[64];
    capture c;
    ds_sink *s = capture_start(&c, ds_json_sink_new);
    s->begin_document(s);
    int depth = 0;
    for (int i = 0; i < 4000; i++) {
        size_t n = random_text(text, sizeof text);
        switch (rng() % 6) {
        case 0: leaf_n(s, "V", text, n); break;
        case 1: s->comment(s, text, n, 0); break;
        case 2: {
            ds_diag d = make_diag(DS_D_DATA_BAD_LENGTH, DS_SEV_WARNING, (uint64_t)i, 1, 2, "");
            memcpy(d.message, text, n);
            s->diagnostic(s, &d);
            break;
        }
        case 3: {
            size_t m = random_text(attr_value, sizeof attr_value - 1);
            attr_value[m] = 0;
            ds_attr a = DS_ATTR("Time", attr_value);
            s->open(s, "E", sizeof "E" - 1, &a, 1, 0);
            depth++;
            break;
        }
        case 4: bare(s, "None"); break;
        default:
            if (depth > 0) {
                s->close(s, "E", sizeof "E" - 1);
                depth--;
            }
        }
    }
    while (depth-- > 0) s->close(s, "E", sizeof "E" - 1);
    s->end_document(s);
    const char *out = capture_end(&c, s);
    ck_assert_int_gt(assert_json_lines(out), 10);
    ck_assert(utf8_ok(out));
    capture_free(&c);
}
END_TEST

/* ==== ds_diag_write_json and severity names ================================================== */

static char *diag_json(const ds_diag *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ds_diag_write_json(f, d);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

START_TEST(diag_json_exact)
{
    ds_diag d = make_diag(DS_D_FRAME_FCS, DS_SEV_ERROR, 12, 3, 7, "FCS 1234 != ABCD");
    char *out = diag_json(&d);
    ck_assert_str_eq(out, "{\"code\": \"frame.fcs\", \"severity\": \"error\", \"offset\": 12, \"frame\": 3, "
                          "\"line\": 7, \"message\": \"FCS 1234 != ABCD\"}\n");
    free(out);

    d = make_diag(DS_D_INPUT_ODD_HEX, DS_SEV_INFO, UINT64_MAX, 0, 0, "a \"q\" \\ \n\t\x01 \xFF end");
    out = diag_json(&d);
    ck_assert_str_eq(out, "{\"code\": \"input.odd-hex\", \"severity\": \"info\", \"offset\": 18446744073709551615, "
                          "\"frame\": 0, \"line\": 0, \"message\": \"a \\\"q\\\" \\\\ \\n\\t\\u0001 \\uFFFD end\"}\n");
    ck_assert_int_eq(assert_json_lines(out), 1);
    free(out);

    d = make_diag(DS_D_FRAME_LENGTH_QUIRK, DS_SEV_WARNING, 0, 1, 0, "");
    memset(d.message, 'x', sizeof d.message);  /* no NUL: read no further than the array */
    out = diag_json(&d);
    ck_assert_uint_eq(strlen(out), strlen("{\"code\": \"frame.length-quirk\", \"severity\": \"warning\", "
                                          "\"offset\": 0, \"frame\": 1, \"line\": 0, \"message\": \"\"}\n")
                                       + DS_DIAG_MESSAGE_MAX);
    free(out);
}
END_TEST

START_TEST(severity_names)
{
    ck_assert_str_eq(ds_severity_name(DS_SEV_INFO), "info");
    ck_assert_str_eq(ds_severity_name(DS_SEV_WARNING), "warning");
    ck_assert_str_eq(ds_severity_name(DS_SEV_ERROR), "error");
    ck_assert_str_eq(ds_severity_name((ds_severity)7), "unknown");
}
END_TEST

static Suite *sinks_suite(void)
{
    Suite *s = suite_create("sinks");
    TCase *xml = tcase_create("xml");
    tcase_set_timeout(xml, 60);
    tcase_add_test(xml, xml_brief_example);
    tcase_add_test(xml, xml_shapes);
    tcase_add_test(xml, xml_several_attributes_and_flat_inside_indented);
    tcase_add_test(xml, xml_several_attributes_escaped_or_long);
    tcase_add_test(xml, xml_plain_run_matches_bytewise);
    tcase_add_test(xml, xml_without_document);
    tcase_add_test(xml, xml_unbalanced_close_is_dropped);
    tcase_add_test(xml, xml_deep_nesting);
    tcase_add_test(xml, xml_escapes_special_characters);
    tcase_add_test(xml, xml_escaped_values_round_trip);
    tcase_add_test(xml, xml_illegal_values_become_hex);
    tcase_add_test(xml, xml_legal_non_ascii_is_kept);
    tcase_add_test(xml, xml_comment_sanitising);
    tcase_add_test(xml, xml_comment_long_texts);
    tcase_add_test(xml, xml_comment_check_matches_bytewise);
    tcase_add_test(xml, xml_comment_indentation);
    tcase_add_test(xml, xml_diagnostics);
    tcase_add_test(xml, xml_diagnostic_unterminated_message);
    tcase_add_test(xml, xml_long_values);
    tcase_add_test(xml, names_by_length_and_plain_text);
    tcase_add_test(xml, xml_random_input_is_well_formed);
    tcase_add_test(xml, xml_open_run_same_as_open);
    suite_add_tcase(s, xml);

    TCase *err = tcase_create("errors");
    tcase_add_test(err, xml_write_error_is_remembered);
    tcase_add_test(err, json_write_error_is_remembered);
    tcase_add_test(err, xml_write_error_mid_stream);
    tcase_add_test(err, sink_error_and_destroy_on_edge_cases);
    tcase_add_test(err, null_sink_accepts_everything);
    suite_add_tcase(s, err);

    TCase *json = tcase_create("json");
    tcase_add_test(json, json_brief_example);
    tcase_add_test(json, json_leaf_shapes_and_nested_diagnostic);
    tcase_add_test(json, json_string_escaping);
    tcase_add_test(json, json_unbalanced_close_is_dropped);
    tcase_add_test(json, json_random_input_is_valid);
    tcase_add_test(json, json_numbers_facts_and_views);
    tcase_add_test(json, diag_json_exact);
    tcase_add_test(json, severity_names);
    suite_add_tcase(s, json);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sinks_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    xmlCleanupParser();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
