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
    const char *name = ds_class_name((uint16_t)v);
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
