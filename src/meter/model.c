/* The meter model: read from XML (man/dlmscope-model.5) into the structures of meter_int.h.
 *
 * The model is trusted no more than any other input: its size is bounded, every number is
 * range-checked, every attribute value is encoded by the encoder's A-XDR writer (the one type
 * table) and checked against the class table's type, and every problem is reported as
 * "file:line: message". */
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "encode/axdr_encode.h"
#include "encode/enc.h"
#include "meter/meter_int.h"
#include "util/buf.h"
#include "util/fail.h"

typedef struct loader {
    ds_meter *m;
    const char *name;
    char *err;
    size_t errsz;
} loader;

static int fail(loader *ld, const xmlNode *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(loader *ld, const xmlNode *node, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ld->errsz) snprintf(ld->err, ld->errsz, "%s:%ld: %s", ld->name, node ? (long)xmlGetLineNo(node) : 0L, msg);
    return -1;
}

/* ---- small parsers ---- */

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max) return -1;
    *out = v;
    return 0;
}

static int attr_uint(loader *ld, const xmlNode *n, const char *name, uint64_t max, uint64_t dflt, uint64_t *out)
{
    const char *s = ds_x_attr(n, name);
    if (!s) {
        *out = dflt;
        return 0;
    }
    if (parse_uint(s, max, out)) return fail(ld, n, "%s=\"%.40s\" is not a number from 0 to %llu", name, s,
                                             (unsigned long long)max);
    return 0;
}

static int parse_obis(const char *s, uint8_t obis[6])
{
    for (int i = 0; i < 6; i++) {
        char *end;
        if (!s || *s < '0' || *s > '9') return -1;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || v > 255 || end == s) return -1;
        obis[i] = (uint8_t)v;
        if (i < 5 && *end != '.') return -1;
        if (i == 5 && *end) return -1;
        s = end + 1;
    }
    return 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Hex text (no separators) into out; returns the byte count or -1. */
static long parse_hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s);
    if (n % 2 || n / 2 > cap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int h = hex_digit(s[2 * i]), l = hex_digit(s[2 * i + 1]);
        if (h < 0 || l < 0) return -1;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return (long)(n / 2);
}

int64_t meter_days_from_civil(int64_t y, unsigned mo, unsigned d)
{
    /* days since 1970-01-01 of a proleptic Gregorian date (the era arithmetic of H. Hinnant's
       well-known derivation, written out here) */
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int meter_parse_time(const char *s, int64_t *out)
{
    unsigned y, mo, d, h, mi, se;
    char tail;
    if (!s || sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &se, &tail) != 6) return -1;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return -1;
    *out = meter_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

int64_t meter_now(const ds_meter *m)
{
    return m->fixed_now ? m->fixed_now : (int64_t)time(NULL);
}

int64_t meter_mono_ms(const ds_meter *m)
{
    if (m->fixed_mono_ms) return m->fixed_mono_ms;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- lookups ---- */

meter_object *meter_find_object(const ds_meter *m, const uint8_t obis[6])
{
    for (size_t i = 0; i < m->n_objects; i++)
        if (!memcmp(m->objects[i].obis, obis, 6)) return &m->objects[i];
    return NULL;
}

meter_assoc *meter_find_assoc(const ds_meter *m, int client)
{
    for (size_t i = 0; i < m->n_assocs; i++)
        if (m->assocs[i].client == client) return (meter_assoc *)&m->assocs[i];
    return NULL;
}

/* ---- the elements ---- */

static const struct {
    const char *name;
    int mechanism;
} MECHANISMS[] = {
    {"none", 0}, {"low", 1}, {"high", 2}, {"high-md5", 3}, {"high-sha1", 4}, {"high-gmac", 5},
    {"high-sha256", 6}, {"high-ecdsa", 7},
};

static const struct {
    const char *name;
    uint8_t mode;
} MODES[] = {
    {"none", 0}, {"read", METER_READ}, {"write", METER_WRITE}, {"read-write", METER_READ | METER_WRITE},
    {"auth-read", METER_AUTH | METER_READ}, {"auth-write", METER_AUTH | METER_WRITE},
    {"auth-read-write", METER_AUTH | METER_READ | METER_WRITE},
    /* methods */
    {"access", METER_READ}, {"auth-access", METER_AUTH | METER_READ},
};

static int parse_mode(loader *ld, const xmlNode *n, const char *name, int method, uint8_t dflt, uint8_t *out)
{
    const char *s = ds_x_attr(n, name);
    if (!s) {
        *out = dflt;
        return 0;
    }
    /* attribute modes are the first seven words, method modes none/access/auth-access */
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++) {
        int for_methods = i == 0 || i >= 7;
        int for_attributes = i < 7;
        if (!strcasecmp(s, MODES[i].name) && (method ? for_methods : for_attributes)) {
            *out = MODES[i].mode;
            return 0;
        }
    }
    return fail(ld, n, "%s=\"%.40s\": use %s", name, s,
                method ? "none, access or auth-access"
                       : "none, read, write, read-write, auth-read, auth-write or auth-read-write");
}

static int parse_key(loader *ld, const xmlNode *n, const char *name, ds_key *key)
{
    const char *s = ds_x_attr(n, name);
    if (!s) return 0;
    long len = parse_hex(s, key->bytes, sizeof key->bytes);
    if (len != 16 && len != 32) return fail(ld, n, "%s: 32 or 64 hex digits expected", name);
    key->len = (size_t)len;
    key->set = 1;
    return 0;
}

/* The security policy of ds_assoc_settings: words or a number. */
static int parse_security(loader *ld, const xmlNode *n, uint8_t *out)
{
    const char *s = ds_x_attr(n, "security");
    uint64_t v;
    if (!s || !strcasecmp(s, "none")) *out = 0;
    else if (!strcasecmp(s, "authenticated")) *out = DS_POLICY_AUTHENTICATED;
    else if (!strcasecmp(s, "encrypted")) *out = DS_POLICY_ENCRYPTED;
    else if (!strcasecmp(s, "authenticated-encrypted")) *out = DS_POLICY_AUTHENTICATED | DS_POLICY_ENCRYPTED;
    else if (!parse_uint(s, 255, &v)) *out = (uint8_t)v;
    else return fail(ld, n, "security=\"%.40s\": use none, authenticated, encrypted, authenticated-encrypted "
                            "or a number", s);
    return 0;
}

/* The meter's private signing key: signing-key="...", or private-key="..." (its old name, which
 * still works but is warned about: elsewhere a private key is a key-agreement key); *name is the
 * one given, for messages. NULL when neither is given, or both (said in ld). */
static const char *signing_key_attr(loader *ld, const xmlNode *n, int *both, const char **name)
{
    const char *key = ds_x_attr(n, "signing-key"), *old = ds_x_attr(n, "private-key");
    *both = key && old;
    *name = old ? "private-key" : "signing-key";
    if (*both) return fail(ld, n, "signing-key and private-key (its old name) together: give one"), NULL;
    if (old)
        ds_add_line(ld->m->warnings, sizeof ld->m->warnings, "%s:%ld: %s", ld->name, (long)xmlGetLineNo(n),
                    "private-key is the old name of signing-key (the meter's ECDSA signing key): say signing-key");
    return key ? key : old;
}

/* high-ecdsa: the meter's private signing key and the client's public one, both on one curve. */
static int parse_ec_keys(loader *ld, const xmlNode *n, meter_assoc *as)
{
    int both;
    const char *name, *priv = signing_key_attr(ld, n, &both, &name), *pub = ds_x_attr(n, "client-public-key");
    char kerr[200];
    if (both) return -1;
    if (priv && ds_ec_key_load(priv, 1, &as->sign_key, kerr, sizeof kerr)) return fail(ld, n, "%s: %s", name, kerr);
    if (pub && ds_ec_key_load(pub, 0, &as->client_sign_key, kerr, sizeof kerr))
        return fail(ld, n, "client-public-key: %s", kerr);
    if (as->mechanism == 7 && (!priv || !pub))
        return fail(ld, n, "mechanism high-ecdsa needs signing-key=\"...\" (the meter's) and client-public-key=\"...\"");
    if (priv && pub && as->sign_key.len * 2 + 1 != as->client_sign_key.len)
        return fail(ld, n, "%s and client-public-key are on different curves", name);
    return 0;
}

static int load_association(loader *ld, const xmlNode *n)
{
    ds_meter *m = ld->m;
    if (m->n_assocs == METER_MAX_ASSOCS) return fail(ld, n, "more than %d associations", METER_MAX_ASSOCS);
    meter_assoc *as = &m->assocs[m->n_assocs];
    memset(as, 0, sizeof *as);
    as->line = xmlGetLineNo(n);
    uint64_t v;
    if (!ds_x_attr(n, "client")) return fail(ld, n, "<association> needs client=\"SAP\"");
    if (attr_uint(ld, n, "client", 0x7F, 0, &v)) return -1;
    as->client = (int)v;
    if (meter_find_assoc(m, as->client)) return fail(ld, n, "a second association for client %d", as->client);
    const char *mech = ds_x_attr(n, "mechanism");
    as->mechanism = -1;
    if (!mech) as->mechanism = 0;
    for (size_t i = 0; mech && i < sizeof MECHANISMS / sizeof MECHANISMS[0]; i++)
        if (!strcasecmp(mech, MECHANISMS[i].name)) as->mechanism = MECHANISMS[i].mechanism;
    if (as->mechanism < 0 && !parse_uint(mech, 7, &v)) as->mechanism = (int)v;
    if (as->mechanism < 0)
        return fail(ld, n, "mechanism=\"%.40s\": use none, low, high, high-md5, high-sha1, high-gmac, high-sha256, "
                           "high-ecdsa or 0..7", mech);
    const char *pw = ds_x_attr(n, "password");
    const char *secret = ds_x_attr(n, "secret");
    if (pw && secret) return fail(ld, n, "password and secret together: give one");
    if (pw) {
        if (strlen(pw) > METER_SECRET_MAX) return fail(ld, n, "password longer than %d characters", METER_SECRET_MAX);
        as->secret_len = strlen(pw);
        memcpy(as->secret, pw, as->secret_len);
    } else if (secret) {
        long len = parse_hex(secret, as->secret, sizeof as->secret);
        if (len < 0) return fail(ld, n, "secret: hex digits expected (at most %d bytes)", METER_SECRET_MAX);
        as->secret_len = (size_t)len;
    }
    if (as->mechanism == 1 && !pw) return fail(ld, n, "mechanism low needs password=\"...\"");
    if (parse_key(ld, n, "ek", &as->keys.ek) || parse_key(ld, n, "ak", &as->keys.ak)) return -1;
    as->has_keys = as->keys.ek.set;
    if (as->mechanism == 5 && !as->has_keys) return fail(ld, n, "mechanism high-gmac needs ek=\"...\" (and ak)");
    if (as->keys.ak.set && !as->keys.ek.set) return fail(ld, n, "ak without ek");
    if (attr_uint(ld, n, "suite", 2, 0, &v)) return -1;
    as->suite = (int)v;
    if (parse_security(ld, n, &as->policy)) return -1;
    if (as->policy && !as->has_keys) return fail(ld, n, "security other than none needs ek=\"...\" and ak=\"...\"");
    const char *title = ds_x_attr(n, "server-title");
    if (title) {
        if (parse_hex(title, as->server_title, sizeof as->server_title) != DS_TITLE_LEN)
            return fail(ld, n, "server-title: 16 hex digits expected");
        as->has_title = 1;
    }
    if (parse_ec_keys(ld, n, as)) return -1;
    if ((as->has_keys || as->mechanism >= 5) && !as->has_title)
        return fail(ld, n, "ciphering and mechanisms 5 to 7 need server-title=\"...\"");
    if (parse_mode(ld, n, "attributes", 0, METER_READ, &as->attr_mode)) return -1;
    if (parse_mode(ld, n, "methods", 1, 0, &as->method_mode)) return -1;
    /* get, set, action, selective access, block transfer with get/set/action, multiple
       references (REFERENCE.md §5.7) */
    if (attr_uint(ld, n, "conformance", 0xFFFFFF, 0x001E1D, &v)) return -1;
    as->conformance = (uint32_t)v;
    if (attr_uint(ld, n, "ic", 0xFFFFFFFFu, 0, &v)) return -1;
    as->ic = (uint32_t)v;
    m->n_assocs++;
    return 0;
}

static int load_link(loader *ld, const xmlNode *n)
{
    ds_meter_link *l = &ld->m->link;
    const char *framing = ds_x_attr(n, "framing");
    if (!framing || !strcasecmp(framing, "hdlc")) l->hdlc = 1;
    else if (!strcasecmp(framing, "wrapper")) l->hdlc = 0;
    else return fail(ld, n, "framing=\"%.40s\": use hdlc or wrapper", framing);
    uint64_t v;
    if (attr_uint(ld, n, "max-info", 2030, 128, &v)) return -1;
    if (v < 32) return fail(ld, n, "max-info below 32");
    l->max_info = (uint16_t)v;
    if (attr_uint(ld, n, "window", 7, 1, &v)) return -1;
    if (v < 1) return fail(ld, n, "window 0: use 1 to 7");
    l->window = (uint8_t)v;
    if (attr_uint(ld, n, "max-pdu", 0xFFFF, 1024, &v)) return -1;
    if (v && v < 64) return fail(ld, n, "max-pdu below 64");
    l->max_pdu = (uint16_t)v;
    if (attr_uint(ld, n, "gbt-window", 63, 0, &v)) return -1;
    l->gbt_window = (uint8_t)v;
    if (attr_uint(ld, n, "server-logical", 0x3FFF, 1, &v)) return -1;
    l->server_logical = (uint16_t)v;
    if (attr_uint(ld, n, "server-physical", 0x3FFF, 0, &v)) return -1;
    l->server_physical = (uint16_t)v;
    return 0;
}

/* The Data element inside <attribute>, encoded and checked against the class table. */
static int load_value(loader *ld, meter_object *o, const xmlNode *n, uint8_t id)
{
    const xmlNode *data = ds_x_first(n);
    if (!data) return 0;
    if (ds_x_next(data)) return fail(ld, n, "<attribute id=\"%u\"> holds more than one value", id);
    if (!ds_axdr_is_data(data))
        return fail(ld, data, "<%s> is not a data element (UInt32, OctetString, Structure ...)", ds_x_name(data));
    ds_enc enc;
    ds_enc_init(&enc, 1);
    ds_buf b;
    ds_buf_init(&b);
    b.limit = METER_VALUE_MAX;
    if (ds_axdr_encode(&enc, data, &b) || b.failed) {
        int rc = fail(ld, data, "attribute %u: %s", id, enc.error[0] ? enc.error : "value too long");
        ds_buf_free(&b);
        return rc;
    }
    ds_value_arena *a = ds_value_arena_new(4096, METER_VALUE_MAX);
    ds_value *v = NULL;
    size_t used = 0;
    int rc = 0;
    if (!a || ds_value_decode_data(a, b.p, b.len, &used, &v, NULL) || used != b.len) {
        rc = fail(ld, data, "attribute %u: the value does not read back", id);
    } else {
        const ds_member_def *def = ds_class_attribute(o->def, id);
        if (def && !ds_type_fits(def->type, ds_type_spec_len(def->type, 64), v, NULL))
            rc = fail(ld, data, "attribute %u (%s) of class %u: the value is not of the attribute's type", id,
                      def->name, o->class_id);
    }
    ds_value_arena_free(a);
    if (!rc) {
        free(o->attr[id].p);
        o->attr[id].p = b.p;
        o->attr[id].len = b.len;
    } else {
        ds_buf_free(&b);
    }
    return rc;
}

static int load_attribute(loader *ld, meter_object *o, const xmlNode *n)
{
    uint64_t id;
    if (!ds_x_attr(n, "id")) return fail(ld, n, "<attribute> needs id=\"N\"");
    if (attr_uint(ld, n, "id", METER_MAX_ATTR, 0, &id)) return -1;
    if (id < 2) return fail(ld, n, "attribute %u: the logical name (1) is the object's obis, give 2 to %d",
                            (unsigned)id, METER_MAX_ATTR);
    if (o->def && o->def->attributes && !ds_class_attribute(o->def, (unsigned)id))
        return fail(ld, n, "class %u (%s) has no attribute %u", o->class_id, o->def->name, (unsigned)id);
    const char *clock = ds_x_attr(n, "clock");
    if (clock) {
        if (o->class_id != 8 || id != 2) return fail(ld, n, "clock=\"...\" belongs on attribute 2 of a clock");
        if (!strcasecmp(clock, "real")) {
            o->clock_fixed = 0;
            o->clock_time = 0;
        } else if (!meter_parse_time(clock, &o->clock_time)) {
            o->clock_fixed = 1;
        } else {
            return fail(ld, n, "clock=\"%.40s\": use real or YYYY-MM-DDTHH:MM:SS (UTC)", clock);
        }
        return 0;
    }
    const char *fc = ds_x_attr(n, "frame-counter");
    if (fc) {
        uint64_t client;
        if (o->class_id != 1 || id != 2) return fail(ld, n, "frame-counter=\"...\" belongs on attribute 2 of a data object");
        if (parse_uint(fc, 0x7F, &client)) return fail(ld, n, "frame-counter=\"%.40s\": a client SAP", fc);
        o->frame_counter_of = (int)client;
        return 0;
    }
    if (!ds_x_first(n)) return fail(ld, n, "<attribute id=\"%u\"> without a value", (unsigned)id);
    return load_value(ld, o, n, (uint8_t)id);
}

static int load_access(loader *ld, meter_object *o, const xmlNode *n)
{
    if (o->n_access == METER_MAX_ACCESS) return fail(ld, n, "more than %d <access> in one object", METER_MAX_ACCESS);
    meter_access *ac = &o->access[o->n_access];
    uint64_t v;
    if (!ds_x_attr(n, "client")) return fail(ld, n, "<access> needs client=\"SAP\"");
    if (attr_uint(ld, n, "client", 0x7F, 0, &v)) return -1;
    ac->client = (int)v;
    const char *attr = ds_x_attr(n, "attribute"), *method = ds_x_attr(n, "method");
    if (!!attr == !!method) return fail(ld, n, "<access> needs one of attribute=\"N|*\" or method=\"N|*\"");
    const char *which = attr ? attr : method;
    ac->method = method != NULL;
    if (!strcmp(which, "*")) ac->id = 0;
    else if (parse_uint(which, 255, &v) || v == 0) return fail(ld, n, "\"%.40s\": a number from 1, or *", which);
    else ac->id = (uint8_t)v;
    if (!ds_x_attr(n, "mode")) return fail(ld, n, "<access> needs mode=\"...\"");
    if (parse_mode(ld, n, "mode", ac->method, 0, &ac->mode)) return -1;
    o->n_access++;
    return 0;
}

static int load_rows(loader *ld, meter_object *o, const xmlNode *n)
{
    if (o->class_id != 7) return fail(ld, n, "<rows> belongs in a profile generic (class 7)");
    uint64_t v;
    if (attr_uint(ld, n, "count", METER_MAX_ROWS, 0, &v)) return -1;
    o->profile.rows = (uint32_t)v;
    if (attr_uint(ld, n, "period", 86400u * 31, 900, &v)) return -1;
    if (!v) return fail(ld, n, "period=\"0\": rows need a period in seconds");
    o->profile.period = (uint32_t)v;
    if (attr_uint(ld, n, "increment", 0xFFFFFFFFu, 1, &v)) return -1;
    o->profile.increment = (uint32_t)v;
    const char *start = ds_x_attr(n, "start");
    if (!start) return fail(ld, n, "<rows> needs start=\"YYYY-MM-DDTHH:MM:SS\"");
    if (meter_parse_time(start, &o->profile.start)) return fail(ld, n, "start=\"%.40s\": YYYY-MM-DDTHH:MM:SS (UTC)", start);
    o->profile.origin = o->profile.start;
    return 0;
}

/* A stored value as an unsigned number (an enum, a double-long-unsigned); dflt when absent. */
static uint64_t stored_uint(const meter_object *o, uint8_t id, uint64_t dflt)
{
    ds_value_arena *a = ds_value_arena_new(64, 256);
    ds_value *v = a ? meter_stored_value(o, id, a) : NULL;
    uint64_t r = v && v->count == 0 ? v->u : dflt;
    ds_value_arena_free(a);
    return r;
}

/* What the class code keeps outside the stored values, taken from them once loaded. */
static int finish_object(loader *ld, meter_object *o, const xmlNode *n)
{
    if (o->class_id == 70) {
        o->control_state = (uint8_t)stored_uint(o, 3, 1);
        o->control_mode = (uint8_t)stored_uint(o, 4, 4);
        if (o->control_state > 2) return fail(ld, n, "disconnect control: control_state %u is not 0, 1 or 2", o->control_state);
        if (o->control_mode > 7) return fail(ld, n, "disconnect control: control_mode %u is not 0 to 7", o->control_mode);
        /* output_state and control_state are kept in the fields, not as stored values */
        for (uint8_t id = 2; id <= 4; id++) {
            free(o->attr[id].p);
            o->attr[id].p = NULL;
            o->attr[id].len = 0;
        }
    }
    if (o->class_id == 18) {
        uint64_t bs = stored_uint(o, 2, 256);
        if (o->attr[2].p && (o->attr[2].p[0] != DS_DATA_DOUBLE_LONG_UNSIGNED || bs == 0))
            return fail(ld, n, "image transfer: image_block_size must be a double-long-unsigned above 0");
        /* the progress, the status and the image to activate are the transfer's, not values */
        static const uint8_t kept_by_transfer[] = {3, 4, 6, 7};
        for (size_t i = 0; i < sizeof kept_by_transfer; i++) {
            free(o->attr[kept_by_transfer[i]].p);
            o->attr[kept_by_transfer[i]].p = NULL;
            o->attr[kept_by_transfer[i]].len = 0;
        }
    }
    if (o->class_id == 7) {
        if (!o->attr[3].p) return fail(ld, n, "profile generic: attribute 3 (capture_objects) is needed");
        uint64_t cap = stored_uint(o, 8, o->profile.rows);
        if (cap < o->profile.rows) return fail(ld, n, "profile generic: profile_entries %llu below the %u rows",
                                              (unsigned long long)cap, o->profile.rows);
        o->profile.capacity = cap > METER_MAX_ROWS ? METER_MAX_ROWS : (uint32_t)cap;
        free(o->attr[8].p);
        o->attr[8].p = NULL;
        free(o->attr[7].p);
        o->attr[7].p = NULL;
        if (!o->profile.period) {
            o->profile.period = 900;
            o->profile.increment = 1;
        }
    }
    return 0;
}

static int load_object(loader *ld, const xmlNode *n)
{
    ds_meter *m = ld->m;
    if (m->n_objects == METER_MAX_OBJECTS) return fail(ld, n, "more than %d objects", METER_MAX_OBJECTS);
    meter_object *o = &m->objects[m->n_objects];
    memset(o, 0, sizeof *o);
    o->line = xmlGetLineNo(n);
    o->describes = -1;
    o->frame_counter_of = -1;
    uint64_t v;
    if (!ds_x_attr(n, "class") || !ds_x_attr(n, "obis")) return fail(ld, n, "<object> needs class=\"N\" and obis=\"a.b.c.d.e.f\"");
    if (attr_uint(ld, n, "class", 0xFFFF, 0, &v)) return -1;
    o->class_id = (uint16_t)v;
    o->def = ds_class_find(o->class_id);
    if (attr_uint(ld, n, "version", 255, o->def ? o->def->version : 0, &v)) return -1;
    o->version = (uint8_t)v;
    if (parse_obis(ds_x_attr(n, "obis"), o->obis)) return fail(ld, n, "obis=\"%.40s\": six numbers 0..255 with dots",
                                                              ds_x_attr(n, "obis"));
    if (meter_find_object(m, o->obis)) return fail(ld, n, "a second object with obis %s", ds_x_attr(n, "obis"));
    if (ds_x_attr(n, "describes")) {
        if (o->class_id != 15) return fail(ld, n, "describes=\"...\" belongs on an association LN (class 15)");
        if (attr_uint(ld, n, "describes", 0x7F, 0, &v)) return -1;
        o->describes = (int)v;
    }
    m->n_objects++; /* from here on, meter_free frees its values */
    for (const xmlNode *c = ds_x_first(n); c; c = ds_x_next(c)) {
        int rc;
        if (ds_x_is(c, "attribute")) rc = load_attribute(ld, o, c);
        else if (ds_x_is(c, "access")) rc = load_access(ld, o, c);
        else if (ds_x_is(c, "rows")) rc = load_rows(ld, o, c);
        else rc = fail(ld, c, "<%s> in <object>: expected <attribute>, <access> or <rows>", ds_x_name(c));
        if (rc) return rc;
    }
    return finish_object(ld, o, n);
}

static int load_root(loader *ld, const xmlNode *root)
{
    if (!root || !ds_x_is(root, "meter")) return fail(ld, root, "the root element is not <meter>");
    ds_meter *m = ld->m;
    m->link.hdlc = 1;
    m->link.max_info = 128;
    m->link.window = 1;
    m->link.max_pdu = 1024;
    m->link.server_logical = 1;
    int links = 0;
    for (const xmlNode *c = ds_x_first(root); c; c = ds_x_next(c)) {
        int rc;
        if (ds_x_is(c, "link")) rc = links++ ? fail(ld, c, "a second <link>") : load_link(ld, c);
        else if (ds_x_is(c, "association")) rc = load_association(ld, c);
        else if (ds_x_is(c, "object")) rc = load_object(ld, c);
        else rc = fail(ld, c, "<%s> in <meter>: expected <link>, <association> or <object>", ds_x_name(c));
        if (rc) return rc;
    }
    if (!m->n_assocs) return fail(ld, root, "no <association>: no client could connect");
    /* every <access> and frame counter names an association of the model */
    for (size_t i = 0; i < m->n_objects; i++) {
        const meter_object *o = &m->objects[i];
        for (size_t k = 0; k < o->n_access; k++)
            if (!meter_find_assoc(m, o->access[k].client))
                return fail(ld, NULL, "object at line %ld: <access client=\"%d\"> names no association", o->line,
                            o->access[k].client);
        if (o->frame_counter_of >= 0 && !meter_find_assoc(m, o->frame_counter_of))
            return fail(ld, NULL, "object at line %ld: frame-counter=\"%d\" names no association", o->line,
                        o->frame_counter_of);
    }
    return 0;
}

void ds_meter_free(ds_meter *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_objects; i++) {
        for (int k = 0; k <= METER_MAX_ATTR; k++) free(m->objects[i].attr[k].p);
        meter_image_free(&m->objects[i]);
    }
    free(m->objects);
    free(m);
}

ds_meter *ds_meter_load_memory(const char *xml, size_t len, const char *name, char *err, size_t errsz)
{
    loader ld = {NULL, name ? name : "model", err, errsz};
    if (errsz) err[0] = 0;
    if (len > METER_MODEL_MAX) {
        fail(&ld, NULL, "the model is larger than %u bytes", METER_MODEL_MAX);
        return NULL;
    }
    ds_meter *m = calloc(1, sizeof *m);
    if (m) m->objects = calloc(METER_MAX_OBJECTS, sizeof *m->objects);
    if (!m || !m->objects) {
        if (m) free(m);
        fail(&ld, NULL, "out of memory");
        return NULL;
    }
    ld.m = m;
    /* no network, no external entities, no entity expansion */
    xmlDoc *doc = xmlReadMemory(xml, (int)len, ld.name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        if (errsz) snprintf(err, errsz, "%s:%d: not well-formed XML: %s", ld.name, e ? e->line : 0,
                            e && e->message ? e->message : "?");
        if (errsz && strlen(err) && err[strlen(err) - 1] == '\n') err[strlen(err) - 1] = 0;
        ds_meter_free(m);
        return NULL;
    }
    int rc = load_root(&ld, xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    if (rc) {
        ds_meter_free(m);
        return NULL;
    }
    return m;
}

ds_meter *ds_meter_load(const char *path, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errsz) snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(METER_MODEL_MAX + 1);
    size_t n = buf ? fread(buf, 1, METER_MODEL_MAX + 1, f) : 0;
    int bad = !buf || ferror(f);
    fclose(f);
    ds_meter *m = NULL;
    if (bad) {
        if (errsz) snprintf(err, errsz, "%s: cannot be read", path);
    } else {
        m = ds_meter_load_memory(buf, n, path, err, errsz);
    }
    free(buf);
    return m;
}

const char *ds_meter_warnings(const ds_meter *m)
{
    return m->warnings;
}

void ds_meter_get_link(const ds_meter *m, ds_meter_link *out)
{
    *out = m->link;
}

void ds_meter_set_gbt_window(ds_meter *m, uint8_t window)
{
    m->link.gbt_window = window > DS_GBT_WINDOW ? DS_GBT_WINDOW : window;
}

void ds_meter_set_max_pdu(ds_meter *m, uint16_t max_pdu)
{
    m->link.max_pdu = max_pdu < 64 ? 64 : max_pdu; /* the model's lower limit */
}

void ds_meter_set_keep_client_ic(ds_meter *m, int keep)
{
    m->keep_client_ic = keep != 0;
}

void ds_meter_set_time(ds_meter *m, int64_t unix_seconds)
{
    m->fixed_now = unix_seconds;
}

void ds_meter_set_mono_ms(ds_meter *m, int64_t ms)
{
    m->fixed_mono_ms = ms;
}

void ds_meter_set_image_options(ds_meter *m, const ds_meter_image_options *o)
{
    m->image_opts = *o;
    m->image_verify_busy_left = o->verify_busy;
    m->image_refused_done = 0;
}
