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

void ds_emit_rest(ds_emit *e, ds_cursor *c)
{
    if (!e->rest_shown) {
        ds_emit_hex(e, "Undecoded", c->p + c->pos, ds_cur_left(c));
        e->rest_shown = 1;
    }
    c->pos = c->len;
}

/* Decodes one APDU. On an error that left nothing of the APDU's element written (its own tag
 * or choice byte is wrong, its first field cut short), the cursor goes back to the APDU's tag:
 * `nested` leaves those bytes to the caller (a field holding an APDU writes them where the
 * encoder expects that field), otherwise they are written here, tag included. */
static int decode_apdu(ds_emit *e, ds_cursor *c, int nested)
{
    uint8_t tag;
    e->rest_shown = 0;
    if (ds_cur_peek(c, &tag)) {
        ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, c->pos, "empty APDU");
        return -1;
    }
    const ds_field *f = ds_apdu_lookup(tag);
    if (!f) {
        ds_report(e, DS_D_APDU_UNKNOWN_TAG, DS_SEV_ERROR, c->pos, "0x%02X is not the tag of a DLMS APDU", tag);
        if (!nested) ds_emit_rest(e, c);
        return -1;
    }
    size_t start = c->pos;
    c->pos++;
    if (ds_schema_decode(e, c, f)) {
        if (!e->rest_shown && c->pos == start + 1) c->pos = start;
        if (!nested || c->pos != start) ds_emit_rest(e, c);
        if (!nested && e->on_apdu) e->on_apdu(e->apdu_user, c->p + start, c->len - start, e->base + start, e->apdu_source);
        return -1;
    }
    if (!nested && e->on_apdu) e->on_apdu(e->apdu_user, c->p + start, c->pos - start, e->base + start, e->apdu_source);
    /* a ciphered APDU, shown as such: the security layer may follow it with its plaintext */
    if (e->on_ciphered) e->on_ciphered(e->security, e, c->p + start, c->pos - start, e->base + start);
    if (ds_cur_left(c)) {
        /* after the APDU's element: inside <PDU> (or alone in a raw record) the encoder writes
         * them after the APDU, as they came */
        ds_report(e, DS_D_APDU_TRAILING, DS_SEV_ERROR, c->pos, "%zu byte(s) after the end of the APDU",
                  ds_cur_left(c));
        ds_emit_undecoded(e, c);
        return -1;
    }
    return 0;
}

int ds_apdu_decode(ds_emit *e, ds_cursor *c) { return decode_apdu(e, c, 0); }

int ds_apdu_decode_nested(ds_emit *e, ds_cursor *c) { return decode_apdu(e, c, 1); }
