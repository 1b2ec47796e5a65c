/* Typed script steps: the logical names and numbers they are written with, and the check of
 * their values against the one class table (names/classes.c) before anything is sent, so that a
 * meter never sees a call whose parameter is of the wrong type (the forum's remote disconnect
 * that failed until its parameter was integer(0)). */
#include "client/typed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/axdr.h"
#include "names/names.h"

int typed_parse_uint(const char *text, unsigned long max, unsigned long *out)
{
    if (!text || !*text || *text == '-' || *text == '+') return -1;
    char *end = NULL;
    int hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    /* decimal unless 0x: a leading zero is not octal ("08" is eight) */
    unsigned long v = strtoul(hex ? text + 2 : text, &end, hex ? 16 : 10);
    const char *digits = hex ? text + 2 : text;
    if (!strchr("0123456789abcdefABCDEF", *digits) || !*digits || (!hex && (*digits < '0' || *digits > '9'))) return -1;
    if (!end || *end || v > max) return -1;
    *out = v;
    return 0;
}

int typed_parse_obis(const char *text, uint8_t obis[6])
{
    if (!text) return -1;
    if (strlen(text) == 12 && strspn(text, "0123456789abcdefABCDEF") == 12) {
        for (int i = 0; i < 6; i++) {
            char two[3] = {text[2 * i], text[2 * i + 1], 0};
            obis[i] = (uint8_t)strtoul(two, NULL, 16);
        }
        return 0;
    }
    const char *p = text;
    for (int i = 0; i < 6; i++) {
        if (*p < '0' || *p > '9') return -1;
        char *end = NULL;
        unsigned long v = strtoul(p, &end, 10);
        if (v > 255 || end == p || end - p > 3) return -1;
        obis[i] = (uint8_t)v;
        p = end;
        if (i < 5) {
            if (*p != '.') return -1;
            p++;
        }
    }
    return *p ? -1 : 0;
}

/* Appends the text of the type at spec; returns the bytes of spec it took (0: malformed). */
static size_t spec_text(const uint8_t *spec, size_t n, char *buf, size_t cap, size_t *at, int depth)
{
#define PUT(...) (*at += (size_t)snprintf(buf + (*at < cap ? *at : cap - 1), *at < cap ? cap - *at : 1, __VA_ARGS__))
    if (!n || depth > DS_TYPE_SPEC_MAX_DEPTH) return 0;
    if (spec[0] == DS_TYPE_ANY) {
        PUT("any");
        return 1;
    }
    const char *name = ds_axdr_type_name(spec[0]);
    PUT("%s", name ? name : "?");
    if (spec[0] == DS_DATA_ARRAY) {
        PUT(" of ");
        size_t e = spec_text(spec + 1, n - 1, buf, cap, at, depth + 1);
        return e ? 1 + e : 0;
    }
    if (spec[0] != DS_DATA_STRUCTURE) return 1;
    if (n < 2) return 0;
    size_t used = 2;
    PUT("{");
    for (unsigned i = 0; i < spec[1]; i++) {
        if (i) PUT(", ");
        size_t e = spec_text(spec + used, n - used, buf, cap, at, depth + 1);
        if (!e) return 0;
        used += e;
    }
    PUT("}");
    return used;
#undef PUT
}

const char *typed_spec_text(const uint8_t *spec, size_t n, char *buf, size_t cap)
{
    size_t at = 0;
    if (!cap) return buf;
    buf[0] = '\0';
    spec_text(spec, n, buf, cap, &at, 0);
    return buf;
}

/* 1 when v has the type at spec (the one check of names/, which the emulator uses too); else
 * *where says which part differs, as a path of elements from the outside in. */
static int fits(const uint8_t *spec, size_t n, const ds_value *v, char *where, size_t cap)
{
    ds_type_misfit why;
    if (ds_type_fits(spec, n, v, &why)) return 1;
    size_t at = 0;
#define PUT(...) (at += (size_t)snprintf(where + (at < cap ? at : cap - 1), at < cap ? cap - at : 1, __VA_ARGS__))
    for (size_t i = 0; i < why.depth; i++)
        PUT("element %zu of the %s: ", why.path[i].element, why.path[i].container == DS_DATA_ARRAY ? "array" : "structure");
    const ds_value *part = why.value;
    const char *got = part && part->kind == DS_VALUE_DATA ? ds_axdr_type_name(part->tag) : NULL;
    if (!part || part->kind != DS_VALUE_DATA) PUT("the value does not fit");
    else if (why.count_differs) PUT("a Structure of %zu element(s) given, not %zu", (size_t)part->count, why.want_count);
    else PUT("%s given", got ? got : "an unknown type");
#undef PUT
    return 0;
}

int typed_check(const typed_ref *ref, int method, const ds_value *v, char *err, size_t errlen)
{
    const ds_class_def *c = ds_class_find(ref->class_id);
    char obis[24];
    ds_obis_format(ref->obis, obis);
    if (!c) {
        snprintf(err, errlen, "class %u is not a COSEM interface class this program knows", ref->class_id);
        return -1;
    }
    const ds_member_def *list = method ? c->methods : c->attributes;
    const ds_member_def *m = method ? ds_class_method(c, ref->index) : ds_class_attribute(c, ref->index);
    const char *what = method ? "method" : "attribute";
    if (!m) {
        if (!list && !(method == 0 && ref->index == 1)) return 0; /* the table does not describe this class */
        snprintf(err, errlen, "class %u (%s) has no %s %u", ref->class_id, c->name, what, ref->index);
        return -1;
    }
    if (!method && !v) return 0; /* a Get: the attribute exists */
    char want[200];
    size_t n = ds_type_spec_len(m->type, 64);
    typed_spec_text(m->type, n, want, sizeof want);
    char where[240] = "";
    if (!v) snprintf(where, sizeof where, "no value given");
    else if (fits(m->type, n, v, where, sizeof where)) return 0;
    snprintf(err, errlen, "%s %u (%s) of class %u (%s) at %s takes %s: %s", what, ref->index, m->name, ref->class_id,
             c->name, obis, want, where[0] ? where : "the value does not fit");
    return -1;
}
