/* JSON in (see json_in.h): a small JSON reader for untrusted input, and the mapping of a
 * decoded line back into the element tree the encoder walks.
 *
 * Three steps per top-level value: the scanner finds where it ends (strings and nesting
 * tracked byte by byte, so that a value may span lines), the parser makes a small tree of it
 * (bounded depth, strings unescaped), and the builder turns that into libxml2 elements. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode/json_in.h"

enum { JV_NULL, JV_TRUE, JV_FALSE, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

typedef struct jv {
    uint8_t type;
    uint32_t first, last, next; /* items or members, 0 = none (index 0 is never a value) */
    size_t key, key_len;        /* a member's key in the string store */
    size_t text, text_len;      /* a string (unescaped, NUL-terminated) or a number's token */
    long line, col;
} jv;

typedef struct parser {
    const char *p, *end;
    long line;
    const char *line_start;
    long col_base;              /* columns of the first line before p's start */
    jv *v;
    size_t n, cap;
    char *s;
    size_t slen, scap;
    int depth;
    char error[200];
    long err_line, err_col;
} parser;

/* ---- the parser ------------------------------------------------------------------------------ */

static long column(const parser *ps, const char *at)
{
    return (long)(at - ps->line_start) + 1 + ps->col_base;
}

static int fail_at(parser *ps, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(parser *ps, const char *at, const char *fmt, ...)
{
    if (ps->error[0]) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->error, sizeof ps->error, fmt, ap);
    va_end(ap);
    ps->err_line = ps->line;
    ps->err_col = column(ps, at);
    return -1;
}

static void skip_space(parser *ps)
{
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c == '\n') {
            ps->line++;
            ps->line_start = ps->p + 1;
            ps->col_base = 0;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return;
        }
        ps->p++;
    }
}

static uint32_t new_value(parser *ps, int type)
{
    if (ps->n + 1 > ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 256;
        if (cap > DS_JSON_MAX_VALUE / 4) cap = DS_JSON_MAX_VALUE / 4;
        if (ps->n + 1 > cap) {
            fail_at(ps, ps->p, "%s", "too many values");
            return 0;
        }
        jv *q = realloc(ps->v, cap * sizeof *q);
        if (!q) {
            fail_at(ps, ps->p, "%s", "out of memory");
            return 0;
        }
        ps->v = q;
        ps->cap = cap;
    }
    uint32_t id = (uint32_t)ps->n++;
    memset(&ps->v[id], 0, sizeof ps->v[id]);
    ps->v[id].type = (uint8_t)type;
    ps->v[id].line = ps->line;
    ps->v[id].col = column(ps, ps->p);
    return id;
}

static int store_byte(parser *ps, char c)
{
    if (ps->slen + 1 > ps->scap) {
        size_t cap = ps->scap ? ps->scap * 2 : 4096;
        if (cap > DS_JSON_MAX_VALUE + 16) cap = DS_JSON_MAX_VALUE + 16;
        if (ps->slen + 1 > cap) return fail_at(ps, ps->p, "%s", "strings too long");
        char *q = realloc(ps->s, cap);
        if (!q) return fail_at(ps, ps->p, "%s", "out of memory");
        ps->s = q;
        ps->scap = cap;
    }
    ps->s[ps->slen++] = c;
    return 0;
}

static int store_utf8(parser *ps, uint32_t cp)
{
    char b[4];
    int n;
    if (cp < 0x80) b[0] = (char)cp, n = 1;
    else if (cp < 0x800) b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)), b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    for (int i = 0; i < n; i++)
        if (store_byte(ps, b[i])) return -1;
    return 0;
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
    if (end - p < 4) return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* \uXXXX, with a surrogate pair as one code point; p after the 'u'. */
static int parse_unicode_escape(parser *ps)
{
    const char *at = ps->p - 2;
    uint32_t cp;
    if (hex4(ps->p, ps->end, &cp)) return fail_at(ps, at, "%s", "bad \\u escape");
    ps->p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail_at(ps, at, "%s", "lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        uint32_t lo;
        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, ps->end, &lo) || lo < 0xDC00 ||
            lo > 0xDFFF)
            return fail_at(ps, at, "%s", "high surrogate without its low half");
        ps->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0) return fail_at(ps, at, "%s", "\\u0000: a NUL cannot be an element's text");
    return store_utf8(ps, cp);
}

/* A string at p (the opening quote); *off / *len: its text in the store, NUL-terminated. */
static int parse_string(parser *ps, size_t *off, size_t *len)
{
    const char *start = ps->p;
    ps->p++;
    *off = ps->slen;
    for (;;) {
        if (ps->p >= ps->end) return fail_at(ps, start, "%s", "string not closed");
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') break;
        if (c < 0x20) return fail_at(ps, ps->p, "%s", "control character in a string (write it as \\u00XX)");
        if (c != '\\') {
            const char *run = ps->p;
            while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (unsigned char)*ps->p >= 0x20) ps->p++;
            for (const char *q = run; q < ps->p; q++)
                if (store_byte(ps, *q)) return -1;
            continue;
        }
        if (ps->end - ps->p < 2) return fail_at(ps, ps->p, "%s", "string not closed");
        char e = ps->p[1];
        ps->p += 2;
        char plain = e == '"' ? '"' : e == '\\' ? '\\' : e == '/' ? '/' : e == 'b' ? '\b' : e == 'f' ? '\f'
                   : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : 0;
        if (plain) {
            if (store_byte(ps, plain)) return -1;
        } else if (e == 'u') {
            if (parse_unicode_escape(ps)) return -1;
        } else {
            return fail_at(ps, ps->p - 2, "%s", "unknown escape in a string");
        }
    }
    ps->p++;
    *len = ps->slen - *off;
    return store_byte(ps, '\0');
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The grammar of a JSON number; its token is kept as it is. */
static int parse_number(parser *ps, uint32_t id)
{
    const char *start = ps->p, *q = ps->p, *end = ps->end;
    if (q < end && *q == '-') q++;
    if (q >= end || !is_digit(*q)) return fail_at(ps, start, "%s", "bad number");
    if (*q == '0') q++;
    else
        while (q < end && is_digit(*q)) q++;
    if (q < end && *q == '.') {
        q++;
        if (q >= end || !is_digit(*q)) return fail_at(ps, start, "%s", "bad number");
        while (q < end && is_digit(*q)) q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-')) q++;
        if (q >= end || !is_digit(*q)) return fail_at(ps, start, "%s", "bad number");
        while (q < end && is_digit(*q)) q++;
    }
    size_t off = ps->slen;
    for (const char *c = start; c < q; c++)
        if (store_byte(ps, *c)) return -1;
    if (store_byte(ps, '\0')) return -1;
    ps->v[id].text = off;
    ps->v[id].text_len = (size_t)(q - start);
    ps->p = q;
    return 0;
}

static int parse_value(parser *ps, uint32_t *out);

static void append_child(parser *ps, uint32_t parent, uint32_t child)
{
    if (ps->v[parent].last) ps->v[ps->v[parent].last].next = child;
    else ps->v[parent].first = child;
    ps->v[parent].last = child;
}

static int parse_container(parser *ps, uint32_t id, int object)
{
    char close = object ? '}' : ']';
    ps->p++;
    if (++ps->depth > DS_JSON_MAX_DEPTH) return fail_at(ps, ps->p - 1, "%s", "nested too deeply");
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        size_t key = 0, key_len = 0;
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') return fail_at(ps, ps->p, "%s", "expected a key (a string)");
            if (parse_string(ps, &key, &key_len)) return -1;
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != ':') return fail_at(ps, ps->p, "%s", "expected ':'");
            ps->p++;
            skip_space(ps);
        }
        uint32_t child;
        if (parse_value(ps, &child)) return -1;
        ps->v[child].key = key;
        ps->v[child].key_len = key_len;
        append_child(ps, id, child);
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            skip_space(ps);
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            ps->depth--;
            return 0;
        }
        return fail_at(ps, ps->p, "expected ',' or '%s'", object ? "}" : "]");
    }
}

static int literal(parser *ps, const char *word, uint32_t *out, int type)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail_at(ps, ps->p, "%s", "unexpected character");
    *out = new_value(ps, type);
    if (!*out) return -1;
    ps->p += n;
    return 0;
}

static int parse_value(parser *ps, uint32_t *out)
{
    *out = 0;
    if (ps->p >= ps->end) return fail_at(ps, ps->p, "%s", "unexpected end of the value");
    char c = *ps->p;
    if (c == 'n') return literal(ps, "null", out, JV_NULL);
    if (c == 't') return literal(ps, "true", out, JV_TRUE);
    if (c == 'f') return literal(ps, "false", out, JV_FALSE);
    int type = c == '{' ? JV_OBJECT : c == '[' ? JV_ARRAY : c == '"' ? JV_STRING : JV_NUMBER;
    if (type == JV_NUMBER && c != '-' && !is_digit(c)) return fail_at(ps, ps->p, "%s", "unexpected character");
    uint32_t id = new_value(ps, type);
    if (!id) return -1;
    *out = id;
    if (type == JV_STRING) {
        size_t off, len;
        if (parse_string(ps, &off, &len)) return -1;
        ps->v[id].text = off;
        ps->v[id].text_len = len;
        return 0;
    }
    if (type == JV_NUMBER) return parse_number(ps, id);
    return parse_container(ps, id, type == JV_OBJECT);
}

/* ---- the builder: values -> elements -------------------------------------------------------- */

typedef struct builder {
    parser *ps;
    char error[240];
    long line, col;
} builder;

static const char *str(const builder *b, size_t off) { return b->ps->s + off; }

static int build_fail(builder *b, const jv *v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int build_fail(builder *b, const jv *v, const char *fmt, ...)
{
    if (b->error[0]) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
    b->line = v->line;
    b->col = v->col;
    return -1;
}

/* Names the encoder knows are letters, digits and '_': anything else is refused here, where the
 * line and column are known. */
static int element_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 100 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return 0;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-')) return 0;
    }
    return 1;
}

/* "a.b.c.d.e.f" (each 0..255) as 12 hex digits; 0 when it is not that. */
static int dotted_obis(const char *s, char hex[13])
{
    static const char DIGITS[] = "0123456789ABCDEF";
    for (int i = 0; i < 6; i++) {
        if (i) {
            if (*s != '.') return 0;
            s++;
        }
        unsigned v = 0;
        int k = 0;
        while (is_digit(*s) && k < 3) v = v * 10 + (unsigned)(*s++ - '0'), k++;
        if (k == 0 || v > 255 || is_digit(*s)) return 0;
        hex[2 * i] = DIGITS[v >> 4];
        hex[2 * i + 1] = DIGITS[v & 15];
    }
    hex[12] = '\0';
    return *s == '\0';
}

static void set_line(xmlNode *n, long line)
{
    n->line = (unsigned short)(line > 65535 ? 65535 : line < 0 ? 0 : line);
}

/* A scalar as attribute text; -1 for arrays and objects. */
static const char *scalar_text(const builder *b, const jv *v)
{
    switch (v->type) {
    case JV_NULL: return "";
    case JV_TRUE: return "True";
    case JV_FALSE: return "False";
    case JV_NUMBER:
    case JV_STRING: return str(b, v->text);
    default: return NULL;
    }
}

static xmlNode *build_element(builder *b, const char *name, size_t name_len, const jv *v, int depth);

/* A member of an element's object, or of one of its list's items: "@A" an attribute, "#..." a
 * note for people, any other key a child element. */
static int build_member(builder *b, xmlNode *parent, const jv *m, int depth)
{
    const char *key = str(b, m->key);
    if (m->key_len && key[0] == '#') return 0;
    if (m->key_len > 1 && key[0] == '@') {
        const char *text = scalar_text(b, m);
        if (!text) return build_fail(b, m, "attribute %s: a string or a number, not a list or an object", key);
        if (!element_name_ok(key + 1, m->key_len - 1)) return build_fail(b, m, "%s: not an attribute name", key);
        if (!xmlNewProp(parent, BAD_CAST(key + 1), BAD_CAST text)) return build_fail(b, m, "%s", "out of memory");
        return 0;
    }
    xmlNode *child = build_element(b, key, m->key_len, m, depth + 1);
    if (!child) return -1;
    xmlAddChild(parent, child);
    return 0;
}

static int count_elements(const xmlNode *n)
{
    int k = 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) k++;
    return k;
}

static xmlNode *build_element(builder *b, const char *name, size_t name_len, const jv *v, int depth)
{
    if (!element_name_ok(name, name_len)) {
        build_fail(b, v, "\"%s\": not an element name", name);
        return NULL;
    }
    if (depth > DS_JSON_MAX_DEPTH) {
        build_fail(b, v, "%s", "elements nested too deeply");
        return NULL;
    }
    xmlNode *n = xmlNewNode(NULL, BAD_CAST name);
    if (!n) {
        build_fail(b, v, "%s", "out of memory");
        return NULL;
    }
    set_line(n, v->line);
    int rc = 0;
    if (v->type == JV_OBJECT) {
        for (uint32_t m = v->first; m && !rc; m = b->ps->v[m].next) rc = build_member(b, n, &b->ps->v[m], depth);
    } else if (v->type == JV_ARRAY) {
        for (uint32_t it = v->first; it && !rc; it = b->ps->v[it].next) {
            const jv *item = &b->ps->v[it];
            if (item->type != JV_OBJECT) {
                rc = build_fail(b, item, "a list item of <%s> is an object: {\"Element\": value}", name);
                break;
            }
            for (uint32_t m = item->first; m && !rc; m = b->ps->v[m].next) rc = build_member(b, n, &b->ps->v[m], depth);
        }
        if (!rc && !xmlHasProp(n, BAD_CAST "Qty")) {
            char qty[24];
            snprintf(qty, sizeof qty, "%d", count_elements(n));
            if (!xmlNewProp(n, BAD_CAST "Qty", BAD_CAST qty)) rc = build_fail(b, v, "%s", "out of memory");
        }
    } else if (v->type != JV_NULL) {
        const char *text = scalar_text(b, v);
        char hex[13];
        if (v->type == JV_STRING && strcmp(name, "InstanceId") == 0 && dotted_obis(text, hex)) text = hex;
        if (!xmlNewProp(n, BAD_CAST "Value", BAD_CAST text)) rc = build_fail(b, v, "%s", "out of memory");
    }
    if (rc) {
        xmlFreeNode(n);
        return NULL;
    }
    return n;
}

/* ---- driving: one top-level value at a time ----------------------------------------------------- */

static void report(const ds_json_callbacks *cb, long line, long col, const char *msg)
{
    char text[300];
    if (col > 0) snprintf(text, sizeof text, "column %ld: JSON: %s", col, msg);
    else snprintf(text, sizeof text, "JSON: %s", msg);
    if (cb->error) cb->error(cb->user, line, text);
}

typedef struct reader {
    const ds_json_callbacks *cb;
    parser ps;
    uint64_t units;
} reader;

static int has_upper(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z') return 1;
    return 0;
}

/* One top-level value: text[0..len) starting at line/col. Returns -1 when it is not JSON. */
static int handle_value(reader *r, const char *text, size_t len, long line, long col)
{
    parser *ps = &r->ps;
    ps->p = text;
    ps->end = text + len;
    ps->line = line;
    ps->line_start = text;
    ps->col_base = col - 1;
    ps->n = 1; /* index 0 means "none" */
    ps->slen = 0;
    ps->depth = 0;
    ps->error[0] = '\0';
    uint32_t root;
    if (!ps->v && !new_value(ps, JV_NULL)) {
        report(r->cb, line, col, ps->error);
        return -1;
    }
    if (parse_value(ps, &root)) {
        report(r->cb, ps->err_line, ps->err_col, ps->error);
        return -1;
    }
    skip_space(ps);
    if (ps->p != ps->end) {
        report(r->cb, ps->line, column(ps, ps->p), "text after the value");
        return -1;
    }
    const jv *top = &ps->v[root];
    if (top->type != JV_OBJECT) {
        report(r->cb, line, col, "each line is an object (one frame: {\"HDLC\": ...})");
        return -1;
    }
    /* keys without an upper-case letter are the facts and diagnostics; the others elements */
    for (uint32_t m = top->first; m; m = ps->v[m].next) {
        const jv *member = &ps->v[m];
        const char *key = ps->s + member->key;
        if (!has_upper(key, member->key_len)) continue;
        r->units++;
        builder b = {.ps = ps};
        xmlNode *unit = build_element(&b, key, member->key_len, member, 1);
        if (!unit) {
            report(r->cb, b.line, b.col, b.error);
            continue;
        }
        if (r->cb->unit) r->cb->unit(r->cb->user, unit);
        xmlFreeNode(unit);
    }
    return 0;
}

/* Finds where the value that starts at text[0] ends: *end_len its length, 0 when it is not
 * complete in len bytes. Strings and nesting are followed; the parser checks the rest. */
static size_t value_end(const char *text, size_t len)
{
    int in_string = 0, escape = 0;
    size_t depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (escape) escape = 0;
            else if (c == '\\') escape = 1;
            else if (c == '"') in_string = 0;
            else if (c == '\n') return i; /* a string never spans lines: the parser says so */
            continue;
        }
        if (c == '"') in_string = 1;
        else if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0 || --depth == 0) return i + 1;
        } else if (depth == 0 && (c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == ',')) {
            return i; /* a scalar at the top */
        }
    }
    return 0;
}

typedef struct pending {
    char *buf;
    size_t len, cap;
    size_t at;      /* where the unread text starts */
    long line, col; /* of buf[at] */
    int eof;
    int skipping;   /* a value over the limit: dropped up to its line's end */
} pending;

static void consume(pending *p, size_t n)
{
    for (size_t i = p->at; i < p->at + n; i++) {
        if (p->buf[i] == '\n') {
            p->line++;
            p->col = 1;
        } else {
            p->col++;
        }
    }
    p->at += n;
}

/* Drops the text up to and including the next line end; 0 when there is none yet. */
static int skip_line(pending *p)
{
    char *nl = memchr(p->buf + p->at, '\n', p->len - p->at);
    consume(p, nl ? (size_t)(nl - (p->buf + p->at)) + 1 : p->len - p->at);
    return nl != NULL;
}

/* Handles every complete value in the buffer; keeps an incomplete one for more input. */
static void drain(reader *r, pending *p)
{
    for (;;) {
        if (p->skipping) {
            if (!skip_line(p)) break;
            p->skipping = 0;
        }
        size_t i = p->at;
        while (i < p->len && (p->buf[i] == ' ' || p->buf[i] == '\t' || p->buf[i] == '\r' || p->buf[i] == '\n')) i++;
        consume(p, i - p->at);
        size_t left = p->len - p->at;
        if (left == 0) break;
        size_t n = value_end(p->buf + p->at, left);
        if (n) {
            int bad = handle_value(r, p->buf + p->at, n, p->line, p->col);
            consume(p, n);
            /* what follows a broken value on its line is part of it: one error a line */
            if (bad && !skip_line(p)) p->skipping = 1;
            continue;
        }
        if (!p->eof && left <= DS_JSON_MAX_VALUE) break; /* wait for the rest */
        if (p->eof) { /* never closed: said, and the lines after its first are read again */
            report(r->cb, p->line, p->col, "the input ends inside this value (is it closed?)");
            skip_line(p);
            continue;
        }
        report(r->cb, p->line, p->col, "a value longer than the limit (64 MiB); skipped to its line's end");
        p->skipping = 1;
    }
    /* keep only the unread text */
    if (p->at == 0) return;
    memmove(p->buf, p->buf + p->at, p->len - p->at);
    p->len -= p->at;
    p->at = 0;
}

static int append(pending *p, const uint8_t *data, size_t n)
{
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 65536;
        while (cap < p->len + n) cap *= 2;
        char *q = realloc(p->buf, cap);
        if (!q) return -1;
        p->buf = q;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, data, n);
    p->len += n;
    return 0;
}

int ds_json_read(const uint8_t *pre, size_t pre_len, ds_json_source_fn source, void *source_user,
                 const ds_json_callbacks *cb)
{
    reader r = {.cb = cb};
    pending p = {.line = 1, .col = 1};
    int rc = 0;
    if (pre_len && append(&p, pre, pre_len)) rc = -1;
    uint8_t chunk[65536];
    while (!rc) {
        drain(&r, &p);
        if (p.eof) break;
        long got = source ? source(source_user, chunk, sizeof chunk) : 0;
        if (got < 0) {
            report(cb, p.line, p.col, "cannot read the input");
            got = 0;
        }
        if (got == 0) p.eof = 1;
        else if (append(&p, chunk, (size_t)got)) rc = -1;
    }
    if (rc) report(cb, p.line, p.col, "out of memory");
    else if (r.units == 0) report(cb, 0, 0, "no element in the input (nothing to encode)");
    free(p.buf);
    free(r.ps.v);
    free(r.ps.s);
    return rc;
}

int ds_json_read_memory(const char *text, size_t len, const ds_json_callbacks *cb)
{
    return ds_json_read((const uint8_t *)text, text ? len : 0, NULL, NULL, cb);
}
