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
#include "dlmscope/encoder.h"

#define SCRIPT_MAX_STEPS 10000
#define SCRIPT_MAX_APDU 65535u

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

size_t ds_run_script_steps(const ds_run_script *sc) { return sc ? sc->count : 0; }

void ds_run_script_free(ds_run_script *sc)
{
    if (!sc) return;
    for (size_t i = 0; i < sc->count; i++) {
        free(sc->steps[i].apdu);
        free(sc->steps[i].xml);
    }
    free(sc->steps);
    free(sc);
}

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

static int apply_settings(xmlNode *settings, ds_run_settings *s, char *err, size_t errlen)
{
    for (xmlNode *c = settings->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        xmlChar *v = xmlGetProp(c, (const xmlChar *)"Value");
        char why[300];
        int rc = ds_run_setting(s, (const char *)c->name, v ? (const char *)v : "", why, sizeof why);
        xmlFree(v);
        if (rc) return fail(err, errlen, "line %ld: <Settings>: %s", (long)xmlGetLineNo(c), why);
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

/* One request element as its own document, encoded: its APDU. */
static int encode_step(xmlDoc *doc, xmlNode *node, const char *numbers, const ds_run_settings *s, ds_run_step *step,
                       char *err, size_t errlen)
{
    long line = (long)xmlGetLineNo(node);
    xmlBuffer *buf = xmlBufferCreate();
    if (!buf) return fail(err, errlen, "out of memory");
    const char *root = numbers ? numbers : (s->decimal ? "decimal" : "hex");
    xmlBufferCCat(buf, "<Messages Numbers=\"");
    xmlBufferCCat(buf, root);
    xmlBufferCCat(buf, "\">");
    xmlNodeDump(buf, doc, node, 0, 1);
    xmlBufferCCat(buf, "</Messages>");
    ds_encode_options o;
    ds_encode_options_init(&o);
    collect c;
    memset(&c, 0, sizeof c);
    const char *text = (const char *)xmlBufferContent(buf);
    int rc = ds_encode_memory(text, strlen(text), &o, on_apdu, &c, on_error, &c, NULL);
    step->xml = malloc((size_t)xmlBufferLength(buf) + 1);
    if (step->xml) {
        /* the element alone, for --dry-run and messages */
        xmlBuffer *alone = xmlBufferCreate();
        if (alone) {
            xmlNodeDump(alone, doc, node, 0, 1);
            snprintf(step->xml, (size_t)xmlBufferLength(buf) + 1, "%s", (const char *)xmlBufferContent(alone));
            xmlBufferFree(alone);
        }
    }
    xmlBufferFree(buf);
    step->line = line;
    snprintf(step->name, sizeof step->name, "%s", (const char *)node->name);
    if (rc != 0 || !c.apdu || c.count != 1) {
        free(c.apdu);
        return fail(err, errlen, "line %ld: <%s> does not encode: %s", line, (const char *)node->name,
                    c.message[0] ? c.message : c.count > 1 ? "more than one APDU" : "no APDU");
    }
    step->apdu = c.apdu;
    step->len = c.len;
    return 0;
}

static unsigned sleep_ms(xmlNode *node)
{
    xmlChar *t = xmlNodeGetContent(node);
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
            bad = apply_settings(n, s, err, errlen) != 0;
    unsigned pause = 0;
    for (xmlNode *n = root->children; n && !bad; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        const char *name = (const char *)n->name;
        if (!strcasecmp(name, "Settings") || metadata(name)) continue;
        if (!strcasecmp(name, "Sleep")) {
            pause = sleep_ms(n);
            continue;
        }
        if (made_by_the_machines(name)) {
            sc->skipped++;
            continue;
        }
        if (sc->count == SCRIPT_MAX_STEPS) {
            bad = fail(err, errlen, "more than %d requests", SCRIPT_MAX_STEPS) != 0;
            break;
        }
        if (sc->count == sc->cap) {
            size_t cap = sc->cap ? sc->cap * 2 : 16;
            ds_run_step *grown = realloc(sc->steps, cap * sizeof *grown);
            if (!grown) {
                bad = fail(err, errlen, "out of memory") != 0;
                break;
            }
            sc->steps = grown;
            sc->cap = cap;
        }
        ds_run_step *st = &sc->steps[sc->count];
        memset(st, 0, sizeof *st);
        st->pause_ms = pause;
        pause = 0;
        sc->count++;
        bad = encode_step(doc, n, (const char *)numbers, s, st, err, errlen) != 0;
    }
    xmlFree(numbers);
    xmlFreeDoc(doc);
    if (bad) {
        ds_run_script_free(sc);
        return NULL;
    }
    return sc;
}
