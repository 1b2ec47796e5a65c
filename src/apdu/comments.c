/* Comments that explain a field's value to a person. Only called when
 * comments are on is not guaranteed, so each checks first: formatting a
 * comment nobody reads is wasted work on the hot path. */
#include "apdu/comments.h"

#include "apdu/axdr.h"
#include "apdu/enums.h"
#include "names/names.h"
#include "util/fmt.h"

#include <string.h>

void ds_c_class_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)p;
    (void)n;
    if (!ds_emit_comments_on(e)) return;
    e->class_id = (uint16_t)v; /* for the AttributeId or MethodId after it */
    const char *name = ds_class_name((uint16_t)v);
    if (name) ds_emit_note(e, name, strlen(name));
}

void ds_c_attribute_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)p;
    (void)n;
    if (!ds_emit_comments_on(e)) return;
    const char *name = ds_attribute_name(e->class_id, (unsigned)v);
    if (name) ds_emit_note(e, name, strlen(name));
}

void ds_c_method_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)p;
    (void)n;
    if (!ds_emit_comments_on(e)) return;
    const char *name = ds_method_name(e->class_id, (unsigned)v);
    if (name) ds_emit_note(e, name, strlen(name));
}

void ds_c_obis(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)v;
    if (!ds_emit_comments_on(e) || n != 6) return;
    char buf[DS_OBIS_TEXT_MAX];
    ds_emit_note(e, buf, ds_obis_text(p, buf, NULL));
}

void ds_c_invoke_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)p;
    (void)n;
    if (!ds_emit_comments_on(e)) return;
    ds_text t;
    ds_text_init(&t);
    ds_text_str(&t, "invoke-id ");
    ds_text_uint(&t, v & 0x0F);
    ds_text_str(&t, (v & 0x40) ? ", confirmed, " : ", unconfirmed, ");
    ds_text_str(&t, (v & 0x80) ? "high priority" : "normal priority");
    ds_emit_note(e, t.buf, t.len);
}

void ds_c_long_invoke_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)p;
    (void)n;
    if (!ds_emit_comments_on(e)) return;
    /* one per push notification: built without printf */
    ds_text t;
    ds_text_init(&t);
    ds_text_str(&t, "invoke-id ");
    ds_text_uint(&t, v & 0xFFFFFF);
    ds_text_str(&t, (v & 0x40000000u) ? ", confirmed, " : ", unconfirmed, ");
    ds_text_str(&t, (v & 0x80000000u) ? "high priority" : "normal priority");
    if (v & 0x10000000u) ds_text_str(&t, ", self-descriptive");
    if (v & 0x20000000u) ds_text_str(&t, ", break on error");
    ds_emit_note(e, t.buf, t.len);
}

void ds_c_octets(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)v;
    ds_axdr_octets_comment(e, p, n);
}

static void enum_comment(ds_emit *e, const ds_enum *t, uint64_t v)
{
    if (!ds_emit_comments_on(e)) return;
    const char *name = ds_enum_name(t, (uint32_t)v);
    if (name) ds_emit_note(e, name, strlen(name));
}

void ds_c_association_result(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)p;
    (void)n;
    enum_comment(e, DS_ASSOCIATION_RESULT, v);
}

void ds_c_acse_user(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)p;
    (void)n;
    enum_comment(e, DS_ACSE_USER_DIAG, v);
}

void ds_c_acse_provider(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)p;
    (void)n;
    enum_comment(e, DS_ACSE_PROVIDER_DIAG, v);
}

void ds_c_cse_service(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)p;
    (void)n;
    enum_comment(e, DS_CSE_SERVICE, v);
}

/* The security control byte (REFERENCE.md §6.1): b3..b0 suite, b4 authentication, b5
 * encryption, b6 key set, b7 compression. */
static void security_control_note(ds_emit *e, uint8_t sc)
{
    ds_text t;
    ds_text_init(&t);
    ds_text_str(&t, "security control ");
    ds_text_uhex(&t, sc, 2);
    ds_text_str(&t, ": suite ");
    ds_text_uint(&t, sc & 0x0F);
    ds_text_str(&t, (sc & 0x10) ? ", authenticated" : ", not authenticated");
    ds_text_str(&t, (sc & 0x20) ? ", encrypted" : ", not encrypted");
    ds_text_str(&t, (sc & 0x40) ? ", broadcast key" : ", unicast key");
    ds_text_str(&t, (sc & 0x80) ? ", compressed" : ", not compressed");
    ds_emit_note(e, t.buf, t.len);
}

void ds_c_ciphered(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)v;
    if (!e->no_keys || !ds_emit_comments_on(e) || n < 5) return; /* 5: SC and the counter */
    security_control_note(e, p[0]);
    uint32_t ic = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    ds_text t;
    ds_text_init(&t);
    ds_text_str(&t, "invocation counter ");
    ds_text_uhex(&t, ic, 8);
    ds_text_str(&t, " (");
    ds_text_uint(&t, ic);
    ds_text_str(&t, ")");
    ds_emit_note(e, t.buf, t.len);
    /* an authenticated APDU ends with the first 12 bytes of the GCM tag */
    size_t tag = (p[0] & 0x10) && n >= 5 + 12 ? 12 : 0;
    ds_text_init(&t);
    ds_text_uint(&t, n - 5 - tag);
    ds_text_str(&t, (p[0] & 0x20) ? " byte(s) of ciphertext, " : " byte(s) of plaintext, ");
    if (tag) ds_text_str(&t, "tag 12 bytes");
    else ds_text_str(&t, "no tag");
    ds_emit_note(e, t.buf, t.len);
    /* an XML comment cannot hold "--": the options are named without their dashes */
    static const char HINT[] = "not deciphered: the keys (options ek and ak) would decipher it";
    ds_emit_note(e, HINT, sizeof HINT - 1);
}

void ds_c_system_title(ds_emit *e, const uint8_t *p, size_t n, uint64_t v)
{
    (void)v;
    if (!e->no_keys || !ds_emit_comments_on(e) || n != 8) return;
    /* the first three bytes are the manufacturer's FLAG id, when they are letters */
    for (size_t i = 0; i < 3; i++)
        if (p[i] < 'A' || p[i] > 'Z') return;
    char t[] = "system title of manufacturer XXX";
    memcpy(t + sizeof t - 4, p, 3);
    ds_emit_note(e, t, sizeof t - 1);
}
