/* Scripts of `dlmscope run`: the XML read with libxml2 (no network, no entities), <Settings>
 * taken into the settings, and each request element encoded by the library's encoder (the same
 * that `dlmscope encode` runs) into the APDU the association machine sends. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/script.h"
#include "client/typed.h"
#include "dlmscope/encoder.h"
#include "dlmscope/keys.h"
#include "util/fail.h"

#define SCRIPT_MAX_STEPS 10000
#define SCRIPT_MAX_APDU 65535u

#define fail ds_fail /* util/fail.h: the one helper, under the short name used here */

size_t ds_run_script_steps(const ds_run_script *sc) { return sc ? sc->count : 0; }

const char *ds_run_script_warnings(const ds_run_script *sc) { return sc ? sc->warnings : ""; }

void ds_run_script_free(ds_run_script *sc)
{
    if (!sc) return;
    for (size_t i = 0; i < sc->count; i++) {
        free(sc->steps[i].apdu);
        free(sc->steps[i].xml);
        free(sc->steps[i].image);
        free(sc->steps[i].expect_data);
    }
    free(sc->steps);
    free(sc);
}

static unsigned sleep_ms(xmlNode *node);

/* Elements the machines make themselves: left out of the run. */
static int made_by_the_machines(const char *name)
{
    static const char *const NAMES[] = {"AssociationRequest", "AssociationResponse", "ReleaseRequest", "ReleaseResponse",
                                        "Snrm", "SNRM", "DisconnectRequest", "Disc", "DISC", "Ua", "UA",
                                        "DisconnectMode", NULL};
    for (int i = 0; NAMES[i]; i++)
        if (strcasecmp(name, NAMES[i]) == 0) return 1;
    return 0;
}

/* The XmlClient's metadata, not PDUs. */
static int metadata(const char *name)
{
    return !strcasecmp(name, "Description") || !strcasecmp(name, "Error") || !strcasecmp(name, "ErrorUrl");
}

static int apply_settings(ds_run_script *sc, xmlNode *settings, ds_run_settings *s, char *err, size_t errlen)
{
    for (xmlNode *c = settings->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        xmlChar *v = xmlGetProp(c, (const xmlChar *)"Value");
        char why[300];
        int rc = ds_run_setting(s, (const char *)c->name, v ? (const char *)v : "", why, sizeof why);
        xmlFree(v);
        if (rc == DS_RUN_SETTING_OLD_NAME)
            ds_add_line(sc->warnings, sizeof sc->warnings, "line %ld: <Settings>: <%s>: %s", (long)xmlGetLineNo(c),
                        (const char *)c->name, why);
        else if (rc) return fail(err, errlen, "line %ld: <Settings>: %s", (long)xmlGetLineNo(c), why);
    }
    return 0;
}

typedef struct collect {
    uint8_t *apdu;
    size_t len;
    int count;
    char message[300];
} collect;

static void on_apdu(void *user, const uint8_t *p, size_t n)
{
    collect *c = user;
    c->count++;
    if (c->apdu || n > SCRIPT_MAX_APDU) return;
    c->apdu = malloc(n ? n : 1);
    if (!c->apdu) return;
    memcpy(c->apdu, p, n);
    c->len = n;
}

static void on_error(void *user, long line, const char *message)
{
    collect *c = user;
    (void)line;
    if (!c->message[0]) snprintf(c->message, sizeof c->message, "%s", message);
}

/* What the loader carries through the script (and into <Repeat>). */
typedef struct loader {
    xmlDoc *doc;
    ds_run_script *sc;
    const ds_run_settings *s;
    int decimal;         /* the script's numbers */
    unsigned pause;      /* a <Sleep> waiting for the next step */
    char *err;
    size_t errlen;
} loader;

/* The request elements in buf (without the root) encoded: exactly one APDU, in *apdu. */
static int encode_text(const loader *L, xmlBuffer *elements, uint8_t **apdu, size_t *len, char *why, size_t whylen)
{
    xmlBuffer *buf = xmlBufferCreate();
    if (!buf) return snprintf(why, whylen, "out of memory"), -1;
    xmlBufferCCat(buf, L->decimal ? "<Messages Numbers=\"decimal\">" : "<Messages Numbers=\"hex\">");
    xmlBufferCCat(buf, (const char *)xmlBufferContent(elements));
    xmlBufferCCat(buf, "</Messages>");
    ds_encode_options o;
    ds_encode_options_init(&o);
    collect c;
    memset(&c, 0, sizeof c);
    const char *text = (const char *)xmlBufferContent(buf);
    int rc = ds_encode_memory(text, strlen(text), &o, on_apdu, &c, on_error, &c, NULL);
    xmlBufferFree(buf);
    if (rc != 0 || !c.apdu || c.count != 1) {
        free(c.apdu);
        snprintf(why, whylen, "%s", c.message[0] ? c.message : c.count > 1 ? "more than one APDU" : "no APDU");
        return -1;
    }
    *apdu = c.apdu;
    *len = c.len;
    return 0;
}

static ds_run_step *new_step(loader *L, xmlNode *node)
{
    ds_run_script *sc = L->sc;
    if (sc->count == SCRIPT_MAX_STEPS) return fail(L->err, L->errlen, "more than %d requests", SCRIPT_MAX_STEPS), NULL;
    if (sc->count == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 16;
        ds_run_step *grown = realloc(sc->steps, cap * sizeof *grown);
        if (!grown) return fail(L->err, L->errlen, "out of memory"), NULL;
        sc->steps = grown;
        sc->cap = cap;
    }
    ds_run_step *st = &sc->steps[sc->count++];
    memset(st, 0, sizeof *st);
    st->pause_ms = L->pause;
    L->pause = 0;
    st->line = (long)xmlGetLineNo(node);
    snprintf(st->name, sizeof st->name, "%s", (const char *)node->name);
    xmlBuffer *alone = xmlBufferCreate(); /* the element as written, for --dry-run and messages */
    if (alone) {
        xmlNodeDump(alone, L->doc, node, 0, 1);
        st->xml = strdup((const char *)xmlBufferContent(alone));
        xmlBufferFree(alone);
    }
    return st;
}

/* One request element as its own document, encoded: its APDU. */
static int encode_step(loader *L, xmlNode *node)
{
    ds_run_step *st = new_step(L, node);
    if (!st) return -1;
    xmlBuffer *buf = xmlBufferCreate();
    if (!buf) return fail(L->err, L->errlen, "out of memory");
    xmlNodeDump(buf, L->doc, node, 0, 1);
    char why[300];
    int rc = encode_text(L, buf, &st->apdu, &st->len, why, sizeof why);
    xmlBufferFree(buf);
    if (rc) return fail(L->err, L->errlen, "line %ld: <%s> does not encode: %s", st->line, st->name, why);
    return 0;
}

/* ---- typed steps: <Get>, <Set>, <Method> ---- */

static const char *prop(xmlNode *n, const char *name, char *buf, size_t cap)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v) return NULL;
    snprintf(buf, cap, "%s", (const char *)v);
    xmlFree(v);
    return buf;
}

/* ClassId, LogicalName (or InstanceId) and Index (or AttributeId / MethodId). */
static int typed_ref_of(loader *L, xmlNode *n, typed_ref *ref)
{
    char text[64];
    unsigned long v;
    long line = (long)xmlGetLineNo(n);
    const char *name = (const char *)n->name;
    if (typed_parse_uint(prop(n, "ClassId", text, sizeof text), 0xFFFF, &v))
        return fail(L->err, L->errlen, "line %ld: <%s> needs ClassId=\"N\" (0..65535)", line, name);
    ref->class_id = (uint16_t)v;
    const char *ln = prop(n, "LogicalName", text, sizeof text);
    if (!ln) ln = prop(n, "InstanceId", text, sizeof text);
    if (typed_parse_obis(ln, ref->obis))
        return fail(L->err, L->errlen, "line %ld: <%s> needs LogicalName=\"A.B.C.D.E.F\"", line, name);
    const char *ix = prop(n, "Index", text, sizeof text);
    if (!ix) ix = prop(n, "AttributeId", text, sizeof text);
    if (!ix) ix = prop(n, "MethodId", text, sizeof text);
    if (typed_parse_uint(ix, 255, &v) || v == 0)
        return fail(L->err, L->errlen, "line %ld: <%s> needs Index=\"N\" (1..255)", line, name);
    ref->index = (unsigned)v;
    return 0;
}

static void number(xmlBuffer *b, const loader *L, const char *element, unsigned long v, int hex_digits)
{
    char t[96];
    if (L->decimal) snprintf(t, sizeof t, "<%s Value=\"%lu\"/>", element, v);
    else snprintf(t, sizeof t, "<%s Value=\"%0*lX\"/>", element, hex_digits, v);
    xmlBufferCCat(b, t);
}

/* The descriptor of a typed step in the encoder's dialect. */
static void descriptor(xmlBuffer *b, const loader *L, const char *element, const typed_ref *ref, const char *id)
{
    char t[64];
    xmlBufferCCat(b, "<");
    xmlBufferCCat(b, element);
    xmlBufferCCat(b, ">");
    number(b, L, "ClassId", ref->class_id, 4);
    snprintf(t, sizeof t, "<InstanceId Value=\"%02X%02X%02X%02X%02X%02X\"/>", ref->obis[0], ref->obis[1], ref->obis[2],
             ref->obis[3], ref->obis[4], ref->obis[5]);
    xmlBufferCCat(b, t);
    number(b, L, id, ref->index, 2);
    xmlBufferCCat(b, "</");
    xmlBufferCCat(b, element);
    xmlBufferCCat(b, ">");
}

/* The one value element among n's children, NULL when none; -1 in *many when more than one. */
static xmlNode *value_child(xmlNode *n, int *many)
{
    xmlNode *found = NULL;
    *many = 0;
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (found) *many = 1;
        found = c;
    }
    return found;
}

/* The Data of a request the encoder made (a Set's value or a Method's parameters), in a. */
static const ds_value *request_data(ds_value_arena *a, const uint8_t *apdu, size_t len, const char *field)
{
    ds_value *tree = NULL;
    ds_diag d;
    memset(&d, 0, sizeof d);
    if (ds_value_decode_apdu(a, apdu, len, &tree, &d) || !tree) return NULL;
    const ds_value *f = ds_value_find_any(tree, field);
    return f ? ds_value_data(f) : NULL;
}

/* A variable's name from attribute `attr` (letters, digits, '_'; at most cap - 1): 0 (empty
 * when absent), or -1. */
static int variable_name(loader *L, xmlNode *n, const char *attr, char *out, size_t cap)
{
    char text[64];
    out[0] = '\0';
    const char *v = prop(n, attr, text, sizeof text);
    if (!v) return 0;
    size_t len = strlen(v);
    if (!len || len >= cap || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len)
        return fail(L->err, L->errlen, "line %ld: variable name \"%.40s\": letters, digits and _, at most %zu",
                    (long)xmlGetLineNo(n), v, cap - 1);
    memcpy(out, v, len + 1);
    return 0;
}

static int typed_step(loader *L, xmlNode *n, int kind /* 0 get, 1 set, 2 method */)
{
    typed_ref ref;
    if (typed_ref_of(L, n, &ref)) return -1;
    int many;
    xmlNode *value = value_child(n, &many);
    long line = (long)xmlGetLineNo(n);
    if (many) return fail(L->err, L->errlen, "line %ld: <%s> takes one value element", line, (const char *)n->name);
    if (kind == 0 && value) return fail(L->err, L->errlen, "line %ld: <Get> takes no value", line);
    if (kind == 1 && !value) return fail(L->err, L->errlen, "line %ld: <Set> needs a value element", line);
    ds_run_step *st = new_step(L, n);
    if (!st) return -1;
    st->ref = ref;
    st->typed_kind = kind;
    if (kind == 0 && variable_name(L, n, "Variable", st->store_var, sizeof st->store_var)) return -1;
    if (value && !strcmp((const char *)value->name, "Variable")) /* built when it runs */
        return variable_name(L, value, "Name", st->value_var, sizeof st->value_var) || !st->value_var[0]
                   ? fail(L->err, L->errlen, "line %ld: <Variable Name=\"x\"/>", line)
                   : 0;
    xmlBuffer *b = xmlBufferCreate();
    if (!b) return fail(L->err, L->errlen, "out of memory");
    static const char *const SERVICE[] = {"GetRequest", "SetRequest", "ActionRequest"};
    xmlBufferCCat(b, kind == 0 ? "<GetRequest><GetRequestNormal>" : kind == 1 ? "<SetRequest><SetRequestNormal>"
                                                                              : "<ActionRequest><ActionRequestNormal>");
    number(b, L, "InvokeIdAndPriority", DS_IIP_DEFAULT, 2);
    descriptor(b, L, kind == 2 ? "MethodDescriptor" : "AttributeDescriptor", &ref,
               kind == 2 ? "MethodId" : "AttributeId");
    const char *field = kind == 1 ? "Value" : "MethodInvocationParameters";
    if (value) {
        xmlBufferCCat(b, "<");
        xmlBufferCCat(b, field);
        xmlBufferCCat(b, ">");
        xmlNodeDump(b, L->doc, value, 0, 0);
        xmlBufferCCat(b, "</");
        xmlBufferCCat(b, field);
        xmlBufferCCat(b, ">");
    }
    xmlBufferCCat(b, kind == 0 ? "</GetRequestNormal>" : kind == 1 ? "</SetRequestNormal>" : "</ActionRequestNormal>");
    xmlBufferCCat(b, "</");
    xmlBufferCCat(b, SERVICE[kind]);
    xmlBufferCCat(b, ">");
    char why[400];
    int rc = encode_text(L, b, &st->apdu, &st->len, why, sizeof why);
    xmlBufferFree(b);
    if (rc) return fail(L->err, L->errlen, "line %ld: <%s> does not encode: %s", line, st->name, why);
    if (kind == 0)
        return typed_check(&ref, 0, NULL, why, sizeof why) ? fail(L->err, L->errlen, "line %ld: <Get>: %s", line, why) : 0;
    ds_value_arena *a = ds_value_arena_new(100000, 1u << 20);
    if (!a) return fail(L->err, L->errlen, "out of memory");
    const ds_value *v = value ? request_data(a, st->apdu, st->len, field) : NULL;
    if (value && !v) {
        ds_value_arena_free(a);
        return fail(L->err, L->errlen, "line %ld: <%s>: its value cannot be read back", line, st->name);
    }
    rc = typed_check(&ref, kind == 2, v, why, sizeof why);
    ds_value_arena_free(a);
    if (rc) return fail(L->err, L->errlen, "line %ld: <%s> not sent: %s", line, st->name, why);
    return 0;
}

/* <Expect Result="N">[a value element]</Expect>: on the answer to the step before it. */
static int expect_step(loader *L, xmlNode *n)
{
    long line = (long)xmlGetLineNo(n);
    if (!L->sc->count || L->sc->steps[L->sc->count - 1].kind != STEP_REQUEST)
        return fail(L->err, L->errlen, "line %ld: <Expect> follows a request", line);
    ds_run_step *st = &L->sc->steps[L->sc->count - 1];
    if (st->has_expect) return fail(L->err, L->errlen, "line %ld: a second <Expect> on one request", line);
    char text[64];
    unsigned long v;
    st->expect_result = -1;
    const char *r = prop(n, "Result", text, sizeof text);
    if (r) {
        if (typed_parse_uint(r, 255, &v)) return fail(L->err, L->errlen, "line %ld: <Expect Result=\"N\"> (0..255)", line);
        st->expect_result = (long)v;
    }
    int many;
    xmlNode *value = value_child(n, &many);
    if (many) return fail(L->err, L->errlen, "line %ld: <Expect> takes one value element", line);
    if (!r && !value) return fail(L->err, L->errlen, "line %ld: <Expect> needs Result=\"N\" or a value", line);
    st->has_expect = 1;
    st->expect_line = line;
    if (!value) return 0;
    if (!strcmp((const char *)value->name, "Variable"))
        return variable_name(L, value, "Name", st->expect_var, sizeof st->expect_var) || !st->expect_var[0]
                   ? fail(L->err, L->errlen, "line %ld: <Variable Name=\"x\"/>", line)
                   : 0;
    /* the value's bytes: the encoder writes it as a Set's value, the Data is taken back out */
    xmlBuffer *b = xmlBufferCreate();
    if (!b) return fail(L->err, L->errlen, "out of memory");
    typed_ref any = {1, {0, 0, 0, 0, 0, 0}, 2};
    xmlBufferCCat(b, "<SetRequest><SetRequestNormal>");
    number(b, L, "InvokeIdAndPriority", DS_IIP_DEFAULT, 2);
    descriptor(b, L, "AttributeDescriptor", &any, "AttributeId");
    xmlBufferCCat(b, "<Value>");
    xmlNodeDump(b, L->doc, value, 0, 0);
    xmlBufferCCat(b, "</Value></SetRequestNormal></SetRequest>");
    uint8_t *apdu = NULL;
    size_t len = 0;
    char why[300];
    int rc = encode_text(L, b, &apdu, &len, why, sizeof why);
    xmlBufferFree(b);
    if (rc) return fail(L->err, L->errlen, "line %ld: the <Expect> value does not encode: %s", line, why);
    ds_value_arena *a = ds_value_arena_new(100000, 1u << 20);
    const ds_value *d = a ? request_data(a, apdu, len, "Value") : NULL;
    uint8_t *bytes = malloc(len);
    rc = !d || !bytes || ds_value_encode_data(d, bytes, len, &st->expect_len, why, sizeof why);
    ds_value_arena_free(a);
    free(apdu);
    if (rc) {
        free(bytes);
        return fail(L->err, L->errlen, "line %ld: the <Expect> value does not encode", line);
    }
    st->expect_data = bytes;
    return 0;
}

/* <ImageTransfer File=... Identifier=...|IdentifierHex=... [LogicalName=...] [Signature=HEX]
 * [Verify] [Activate] [Resume] [Reconnect]/> */
static int yes(xmlNode *n, const char *name)
{
    char t[16];
    const char *v = prop(n, name, t, sizeof t);
    return v && (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !*v);
}

/* Hex text into out (at most cap bytes; "" is no byte): 0, or -1. */
static int hex_attribute(const char *text, uint8_t *out, size_t cap, size_t *len)
{
    if (!*text) return *len = 0, 0;
    int n = ds_hex_to_bytes(text, out, cap);
    if (n <= 0) return -1;
    *len = (size_t)n;
    return 0;
}

/* The identifier: Identifier="TEXT" (its bytes as written) or IdentifierHex="HEX" (any bytes),
 * one of them. */
static int image_identifier(loader *L, xmlNode *n, ds_run_image *im, long line)
{
    char text[DS_RUN_TEXT_MAX];
    char hex[DS_RUN_TEXT_MAX];
    const char *id = prop(n, "Identifier", text, sizeof text);
    const char *idhex = prop(n, "IdentifierHex", hex, sizeof hex);
    if (id && idhex) return fail(L->err, L->errlen, "line %ld: <ImageTransfer> takes Identifier or IdentifierHex, not both", line);
    if (idhex) {
        if (hex_attribute(idhex, im->identifier, sizeof im->identifier, &im->identifier_len) || !im->identifier_len)
            return fail(L->err, L->errlen, "line %ld: <ImageTransfer IdentifierHex=\"HEX\"> (1..%zu bytes)", line,
                        sizeof im->identifier);
        return 0;
    }
    if (!id || !*id || strlen(id) > sizeof im->identifier)
        return fail(L->err, L->errlen, "line %ld: <ImageTransfer> needs Identifier=\"TEXT\" or IdentifierHex=\"HEX\" (1..%zu bytes)",
                    line, sizeof im->identifier);
    im->identifier_len = strlen(id);
    memcpy(im->identifier, id, im->identifier_len);
    return 0;
}

static int image_step(loader *L, xmlNode *n)
{
    long line = (long)xmlGetLineNo(n);
    ds_run_image *im = calloc(1, sizeof *im);
    if (!im) return fail(L->err, L->errlen, "out of memory");
    char text[DS_RUN_TEXT_MAX];
    const char *file = prop(n, "File", im->file, sizeof im->file);
    const uint8_t default_ln[6] = {0, 0, 44, 0, 0, 255};
    memcpy(im->obis, default_ln, 6);
    const char *ln = prop(n, "LogicalName", text, 64);
    const char *sig = prop(n, "Signature", text + 64, sizeof text - 64);
    int bad = !file || !*file ? fail(L->err, L->errlen, "line %ld: <ImageTransfer> needs File=\"PATH\"", line)
              : image_identifier(L, n, im, line) ? -1
              : ln && typed_parse_obis(ln, im->obis)
                  ? fail(L->err, L->errlen, "line %ld: <ImageTransfer LogicalName=\"A.B.C.D.E.F\">", line)
              : sig && hex_attribute(sig, im->signature, sizeof im->signature, &im->signature_len)
                  ? fail(L->err, L->errlen, "line %ld: <ImageTransfer Signature=\"HEX\"> (0..%zu bytes)", line,
                         sizeof im->signature)
                  : 0;
    if (bad) {
        free(im);
        return -1;
    }
    im->has_signature = sig != NULL;
    im->verify = yes(n, "Verify");
    im->activate = yes(n, "Activate");
    im->resume = yes(n, "Resume");
    im->reconnect = yes(n, "Reconnect");
    ds_run_step *st = new_step(L, n);
    if (!st) {
        free(im);
        return -1;
    }
    st->kind = STEP_IMAGE;
    st->image = im;
    return 0;
}

#define SCRIPT_MAX_REPEAT_DEPTH 4

static int load_children(loader *L, xmlNode *parent, int depth);

static int repeat_step(loader *L, xmlNode *n, int depth)
{
    char text[32];
    unsigned long count;
    long line = (long)xmlGetLineNo(n);
    if (typed_parse_uint(prop(n, "Count", text, sizeof text), SCRIPT_MAX_STEPS, &count))
        return fail(L->err, L->errlen, "line %ld: <Repeat Count=\"N\"> (0..%d)", line, SCRIPT_MAX_STEPS);
    if (depth >= SCRIPT_MAX_REPEAT_DEPTH) return fail(L->err, L->errlen, "line %ld: <Repeat> nested too deep", line);
    for (unsigned long i = 0; i < count; i++)
        if (load_children(L, n, depth + 1)) return -1;
    return 0;
}

static int load_children(loader *L, xmlNode *parent, int depth)
{
    for (xmlNode *n = parent->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        const char *name = (const char *)n->name;
        int rc = 0;
        if (!strcasecmp(name, "Settings") || metadata(name)) continue;
        if (!strcasecmp(name, "Sleep")) L->pause = sleep_ms(n);
        else if (made_by_the_machines(name)) L->sc->skipped++;
        else if (!strcmp(name, "Get")) rc = typed_step(L, n, 0);
        else if (!strcmp(name, "Set")) rc = typed_step(L, n, 1);
        else if (!strcmp(name, "Method")) rc = typed_step(L, n, 2);
        else if (!strcmp(name, "Expect")) rc = expect_step(L, n);
        else if (!strcmp(name, "ImageTransfer")) rc = image_step(L, n);
        else if (!strcmp(name, "Repeat")) rc = repeat_step(L, n, depth);
        else rc = encode_step(L, n);
        if (rc) return -1;
    }
    return 0;
}

static unsigned sleep_ms(xmlNode *node)
{
    /* <Sleep>MS</Sleep> (XmlClient) or <Sleep Ms="MS"/> */
    xmlChar *t = xmlGetProp(node, (const xmlChar *)"Ms");
    if (!t) t = xmlNodeGetContent(node);
    unsigned long ms = t ? strtoul((const char *)t, NULL, 10) : 0;
    xmlFree(t);
    return (unsigned)(ms > 60000 ? 60000 : ms);
}

ds_run_script *ds_run_script_load(const char *path, ds_run_settings *s, char *err, size_t errlen)
{
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        fail(err, errlen, "%s: not well-formed XML%s%s", path, e && e->message ? ": " : "", e && e->message ? e->message : "");
        if (err) {
            size_t n = strlen(err);
            if (n && err[n - 1] == '\n') err[n - 1] = '\0';
        }
        return NULL;
    }
    ds_run_script *sc = calloc(1, sizeof *sc);
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!sc || !root) {
        fail(err, errlen, "%s: %s", path, sc ? "no root element" : "out of memory");
        ds_run_script_free(sc);
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlChar *numbers = xmlGetProp(root, (const xmlChar *)"Numbers");
    /* Settings first, wherever they stand: they say how the numbers are written */
    int bad = 0;
    for (xmlNode *n = root->children; n && !bad; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !strcasecmp((const char *)n->name, "Settings"))
            bad = apply_settings(sc, n, s, err, errlen) != 0;
    loader L = {doc, sc, s, numbers ? !xmlStrcasecmp(numbers, (const xmlChar *)"decimal") : s->decimal, 0, err, errlen};
    if (!bad) bad = load_children(&L, root, 0) != 0;
    xmlFree(numbers);
    xmlFreeDoc(doc);
    if (bad) {
        ds_run_script_free(sc);
        return NULL;
    }
    return sc;
}
