/* APDU entry point: find the description for the first byte and walk it. */
#include "apdu/apdu.h"

#include "util/fmt.h"

const ds_field *ds_apdu_lookup(uint8_t tag)
{
    const ds_field *f = ds_acse_lookup(tag);
    return f ? f : ds_xdlms_lookup(tag);
}

void ds_emit_undecoded(ds_emit *e, ds_cursor *c)
{
    size_t n = ds_cur_left(c);
    if (n == 0) return;
    ds_emit_hex(e, "Undecoded", c->p + c->pos, n);
    c->pos = c->len;
}

int ds_apdu_decode(ds_emit *e, ds_cursor *c)
{
    uint8_t tag;
    if (ds_cur_peek(c, &tag)) {
        ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, c->pos, "empty APDU");
        return -1;
    }
    const ds_field *f = ds_apdu_lookup(tag);
    if (!f) {
        ds_report(e, DS_D_APDU_UNKNOWN_TAG, DS_SEV_ERROR, c->pos, "0x%02X is not the tag of a DLMS APDU", tag);
        ds_emit_undecoded(e, c);
        return -1;
    }
    size_t start = c->pos;
    c->pos++;
    if (ds_schema_decode(e, c, f)) {
        ds_emit_undecoded(e, c);
        return -1;
    }
    /* a ciphered APDU, shown as such: the security layer may follow it with its plaintext */
    if (e->on_ciphered) e->on_ciphered(e->security, e, c->p + start, c->pos - start, e->base + start);
    if (ds_cur_left(c)) {
        ds_report(e, DS_D_APDU_TRAILING, DS_SEV_ERROR, c->pos, "%zu byte(s) after the end of the APDU",
                  ds_cur_left(c));
        ds_emit_undecoded(e, c);
        return -1;
    }
    return 0;
}
