/* Walks a PDU description (schema.h) over bytes and emits the elements.
 *
 * Error discipline, the same for every kind: report once, leave the cursor at
 * the first byte that could not be decoded and return -1. The innermost
 * element still open then writes the rest of the APDU as <Undecoded> before
 * it closes (ds_emit_rest), so that the encoder finds those bytes where they
 * were. Bytes the encoder writes without an element of their own (an
 * OPTIONAL's presence flag, a CHOICE's tag, absent OPTIONALs before the
 * failing field) go back into the rest when nothing after them was written.
 * BER sequences are the exception: their TLV lengths let decoding resume at
 * the next field, so each field is a scope of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu.h"
#include "apdu/axdr.h"
#include "apdu/enums.h"
#include "apdu/schema.h"
#include "util/fmt.h"

const char *ds_enum_name(const ds_enum *t, uint32_t v)
{
    for (; t && t->name; t++)
        if (t->value == v) return t->name;
    return NULL;
}

static const char *label(const ds_field *f)
{
    return f->name ? f->name : "field";
}

static int truncated(ds_emit *e, const ds_cursor *c, const ds_field *f, size_t need)
{
    ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, c->pos, "%s needs %zu byte(s), %zu left",
              label(f), need, ds_cur_left(c));
    return -1;
}

/* A cursor over the next n bytes of c, sharing c's buffer so offsets stay absolute. */
static ds_cursor sub_cursor(const ds_cursor *c, size_t n)
{
    ds_cursor s = {c->p, c->pos + n, c->pos};
    return s;
}

/* A number read from the `size` bytes at p (its value v). Padded hex (Gurux hN) is the bytes
 * themselves in hex, so in that form they go to the sink as they are. */
static void emit_number(ds_emit *e, const ds_field *f, const uint8_t *p, uint64_t v, size_t size)
{
    int decimal = f->fmt == NF_DEC || (f->fmt != NF_HEX_ALWAYS && e->opt->decimal);
    if (!decimal && f->fmt != NF_HEX_NOPAD) {
        ds_emit_hex_len(e, f->name, f->name_len, p, size);
        return;
    }
    char buf[24];
    size_t n = decimal ? ds_fmt_udec(buf, v) : ds_fmt_uhex(buf, v, 1);
    ds_emit_value_len(e, f->name, f->name_len, buf, n, decimal ? DS_TEXT_PLAIN | DS_LEAF_NUMBER : DS_TEXT_PLAIN);
}

static int dec_uint(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    uint64_t v;
    const uint8_t *p = c->p + c->pos;
    if (ds_cur_uint(c, f->size, &v)) return truncated(e, c, f, f->size);
    if (f->comment) f->comment(e, p, f->size, v);
    emit_number(e, f, p, v, f->size);
    return 0;
}

/* Signed fields are written as Gurux sN: decimal, or in hex their bytes as they are. */
static int dec_int(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    uint64_t u;
    const uint8_t *p = c->p + c->pos;
    if (ds_cur_uint(c, f->size, &u)) return truncated(e, c, f, f->size);
    if (!e->opt->decimal) {
        ds_emit_hex_len(e, f->name, f->name_len, p, f->size);
        return 0;
    }
    unsigned bits = 8u * f->size;
    int64_t v = (bits < 64 && (u >> (bits - 1)) & 1) ? (int64_t)(u | (~(uint64_t)0 << bits)) : (int64_t)u;
    ds_emit_sint_len(e, f->name, f->name_len, v, (int)(2 * f->size));
    return 0;
}

static int dec_bytes(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    const uint8_t *p;
    if (ds_cur_bytes(c, f->size, &p)) return truncated(e, c, f, f->size);
    if (f->comment) f->comment(e, p, f->size, 0);
    ds_emit_hex_len(e, f->name, f->name_len, p, f->size);
    return 0;
}

/* Reads an A-XDR length and checks it against what is left. */
static int read_length(ds_emit *e, ds_cursor *c, const ds_field *f, const char *overrun_code, size_t *out)
{
    size_t at = c->pos;
    int non_minimal = 0;
    int rc = ds_cur_len(c, out, &non_minimal);
    if (rc == DS_CUR_TRUNCATED) return truncated(e, c, f, 1);
    if (rc == DS_CUR_INVALID) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, at, "%s: invalid length byte 0x%02X",
                  label(f), c->p[at]);
        return -1;
    }
    if (*out > ds_cur_left(c)) {
        ds_report(e, overrun_code, DS_SEV_ERROR, at, "%s: length %zu but only %zu byte(s) left",
                  label(f), *out, ds_cur_left(c));
        c->pos = at;
        return -1;
    }
    if (non_minimal)
        ds_report(e, DS_D_DATA_NON_MINIMAL, DS_SEV_WARNING, at,
                  "%s: length %zu is not in its shortest form", label(f), *out);
    return 0;
}

static int dec_octets(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    size_t n;
    if (read_length(e, c, f, f->len_error ? f->len_error : DS_D_DATA_BAD_LENGTH, &n)) return -1;
    const uint8_t *p = c->p + c->pos; /* read_length checked that n bytes are there */
    c->pos += n;
    if (f->observe == DS_OBS_DEDICATED_KEY && e->hide_keys) {
        /* a key found in a deciphered APDU: not written unless asked for */
        ds_emit_comment(e, "%zu-byte key hidden; --show-keys shows it", n);
        ds_emit_value_len(e, f->name, f->name_len, "hidden", 6, DS_TEXT_PLAIN);
        return 0;
    }
    if (f->comment) f->comment(e, p, n, n);
    ds_emit_hex_len(e, f->name, f->name_len, p, n);
    return 0;
}

/* An enumerated value as its name (program text) or, without one, its number. */
static void emit_enum(ds_emit *e, const char *name, size_t name_len, const ds_enum *names, uint32_t v)
{
    const char *s = ds_enum_name(names, v);
    if (s) {
        ds_emit_value_len(e, name, name_len, s, strlen(s), DS_TEXT_PLAIN);
        return;
    }
    /* No spelling for this value: write the number so nothing is lost. */
    char buf[24];
    size_t n = e->opt->decimal ? ds_fmt_udec(buf, v) : ds_fmt_uhex(buf, v, 2);
    ds_emit_value_len(e, name, name_len, buf, n, ds_emit_number_flags(e));
}

static int dec_enum(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    uint8_t v;
    if (ds_cur_u8(c, &v)) return truncated(e, c, f, 1);
    emit_enum(e, f->name, f->name_len, f->names, v);
    return 0;
}

static int dec_group(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    if (!f->name) return ds_schema_decode_list(e, c, f->sub);
    if (ds_emit_open_len(e, f->name, f->name_len)) return -1;
    int rc = ds_schema_decode_list(e, c, f->sub);
    if (rc) ds_emit_rest(e, c);
    ds_emit_close_len(e, f->name, f->name_len);
    return rc;
}

static int dec_optional(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    uint8_t flag;
    if (ds_cur_peek(c, &flag)) return truncated(e, c, f, 1);
    if (flag == 0) {
        c->pos++;
        return 0;
    }
    if (flag != 1) {
        ds_report(e, DS_D_APDU_INVALID_CHOICE, DS_SEV_ERROR, c->pos,
                  "presence flag of %s is 0x%02X; only 00 (absent) or 01 (present) are valid",
                  f->sub[0].name ? f->sub[0].name : "an optional field", flag);
        return -1;
    }
    size_t at = c->pos++;
    int rc = ds_schema_decode_list(e, c, f->sub);
    if (rc && !e->rest_shown && c->pos == at + 1) c->pos = at; /* nothing written: the flag goes with the rest */
    return rc;
}

static const ds_alt *find_alt(const ds_alt *alts, uint8_t tag)
{
    for (; alts && alts->body; alts++)
        if (alts->tag == tag) return alts;
    return NULL;
}

/* "00, 01" for the tags of a choice, for messages. */
static void list_tags(const ds_alt *alts, char *out, size_t size)
{
    size_t w = 0;
    out[0] = '\0';
    for (; alts && alts->body && w + 8 < size; alts++) {
        int k = snprintf(out + w, size - w, "%s%02X", w ? ", " : "", alts->tag);
        if (k < 0) break;
        w += (size_t)k;
    }
}

static int dec_choice(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    uint8_t tag;
    if (ds_cur_peek(c, &tag)) return truncated(e, c, f, 1);
    const ds_alt *alt = find_alt(f->alts, tag);
    const ds_field *body = alt ? alt->body : (f->has_default ? f->default_body : NULL);
    if (!body) {
        char valid[96];
        list_tags(f->alts, valid, sizeof valid);
        ds_report(e, DS_D_APDU_INVALID_CHOICE, DS_SEV_ERROR, c->pos, "%s%s0x%02X is not a valid choice (valid: %s)",
                  f->name ? f->name : f->tag_leaf ? f->tag_leaf : "", f->name || f->tag_leaf ? ": " : "", tag,
                  valid);
        return -1;
    }
    size_t at = c->pos++;
    if (f->name && ds_emit_open_len(e, f->name, f->name_len)) return -1;
    if (f->tag_leaf) emit_enum(e, f->tag_leaf, strlen(f->tag_leaf), f->names, tag);
    int rc = ds_schema_decode_list(e, c, body);
    if (rc) {
        /* nothing of the alternative written: the encoder cannot tell it, so the tag goes with
         * the rest (unless a tag leaf wrote it) */
        if (!f->tag_leaf && !e->rest_shown && c->pos == at + 1) c->pos = at;
        if (f->name) ds_emit_rest(e, c);
    }
    if (f->name) ds_emit_close_len(e, f->name, f->name_len);
    return rc;
}

static int dec_peek_choice(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    uint8_t first;
    if (ds_cur_peek(c, &first)) return truncated(e, c, f, 1);
    const ds_alt *alt = find_alt(f->alts, first);
    return ds_schema_decode_list(e, c, alt ? alt->body : f->default_body);
}

static int dec_seq_of(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    size_t at = c->pos, count;
    int non_minimal = 0;
    int rc = ds_cur_len(c, &count, &non_minimal);
    if (rc == DS_CUR_TRUNCATED) return truncated(e, c, f, 1);
    /* Every item takes at least one byte: a count beyond what is left is impossible,
     * and refusing it here keeps a forged count from driving a long loop. */
    if (rc == DS_CUR_INVALID || count > ds_cur_left(c)) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, at, "%s: %zu item(s) announced, %zu byte(s) left",
                  label(f), rc == DS_CUR_INVALID ? (size_t)0 : count, ds_cur_left(c));
        c->pos = at;
        return -1;
    }
    if (non_minimal)
        ds_report(e, DS_D_DATA_NON_MINIMAL, DS_SEV_WARNING, at, "%s: count not in its shortest form",
                  label(f));
    if (ds_emit_open_qty_len(e, f->name, f->name_len, count)) return -1;
    for (size_t i = 0; i < count; i++) {
        if (ds_schema_decode_list(e, c, f->sub)) {
            ds_emit_rest(e, c); /* the encoder takes the count from Qty then */
            ds_emit_close_len(e, f->name, f->name_len);
            return -1;
        }
    }
    ds_emit_close_len(e, f->name, f->name_len);
    return 0;
}


static int dec_conformance(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    static const uint8_t HEAD[4] = {0x5F, 0x1F, 0x04, 0x00};
    const uint8_t *p;
    size_t at = c->pos;
    if (ds_cur_bytes(c, 7, &p)) return truncated(e, c, f, 7);
    if (memcmp(p, HEAD, 4) != 0) {
        ds_report(e, DS_D_APDU_INVALID_CHOICE, DS_SEV_ERROR, at,
                  "%s: a conformance block starts 5F 1F 04 00, found %02X %02X %02X %02X",
                  label(f), p[0], p[1], p[2], p[3]);
        c->pos = at;
        return -1;
    }
    uint32_t bits = ((uint32_t)p[4] << 16) | ((uint32_t)p[5] << 8) | p[6];
    char note[] = "conformance 0x000000";
    ds_fmt_uhex(note + sizeof note - 7, bits, 6);
    ds_emit_note(e, note, sizeof note - 1);
    if (ds_emit_open_len(e, f->name, f->name_len)) return -1;
    for (int i = 0; i < 24; i++) {
        if (!(bits & (0x800000u >> i))) continue;
        const char *bit = DS_CONFORMANCE_BITS[i];
        ds_attr a = DS_ATTR_PLAIN("Name", bit, strlen(bit));
        ds_emit_leaf_attrs_len(e, "ConformanceBit", strlen("ConformanceBit"), &a, 1);
    }
    ds_emit_close_len(e, f->name, f->name_len);
    return 0;
}

static int dec_apdu(ds_emit *e, ds_cursor *c)
{
    ds_cursor sub = sub_cursor(c, ds_cur_left(c));
    int rc = ds_apdu_decode_nested(e, &sub); /* reports its own problems */
    c->pos = sub.pos; /* the end, or its tag when nothing of it was written */
    return rc;
}

/* ---- BER (ACSE) ------------------------------------------------------------------------ */

/* Reads a BER tag and definite length; on success the cursor is at the value. */
static int read_tlv(ds_emit *e, ds_cursor *c, const ds_field *f, uint8_t *tag, size_t *len)
{
    size_t at = c->pos;
    if (ds_cur_u8(c, tag)) return truncated(e, c, f, 1);
    if ((*tag & 0x1F) == 0x1F) {
        ds_report(e, DS_D_APDU_UNKNOWN_TAG, DS_SEV_ERROR, at, "%s: multi-byte BER tag 0x%02X not supported",
                  label(f), *tag);
        c->pos = at;
        return -1;
    }
    size_t len_at = c->pos;
    int rc = ds_cur_len(c, len, NULL);
    if (rc == DS_CUR_TRUNCATED) {
        c->pos = at;
        ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, len_at, "%s: BER length missing", label(f));
        return -1;
    }
    if (rc == DS_CUR_INVALID) {
        ds_report(e, DS_D_APDU_BAD_LENGTH, DS_SEV_ERROR, len_at, "%s: indefinite or oversized BER length",
                  label(f));
        c->pos = at;
        return -1;
    }
    if (*len > ds_cur_left(c)) {
        ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, len_at,
                  "%s: BER field 0x%02X declares %zu byte(s), %zu left", label(f), *tag, *len, ds_cur_left(c));
        c->pos = at;
        return -1;
    }
    return 0;
}

/* Decodes `body` over a TLV value of n bytes, a scope of its own: after an error its rest is
 * shown where decoding stopped. When nothing of the value was written, nothing is shown and
 * the cursor goes back to the TLV's tag at `tlv_at`: the caller shows the whole TLV, which is
 * what the encoder reads in place of the field. */
static int dec_value(ds_emit *e, ds_cursor *c, const ds_field *body, size_t n, size_t tlv_at)
{
    ds_cursor v = sub_cursor(c, n);
    size_t value_at = v.pos;
    e->rest_shown = 0;
    int rc = ds_schema_decode_list(e, &v, body);
    if (rc == 0 && ds_cur_left(&v)) {
        ds_report(e, DS_D_APDU_TRAILING, DS_SEV_ERROR, v.pos, "%zu byte(s) left over in a BER field",
                  ds_cur_left(&v));
        rc = -1;
    }
    if (rc && !e->rest_shown && v.pos == value_at) {
        c->pos = tlv_at;
        return -1;
    }
    if (rc) ds_emit_rest(e, &v);
    c->pos = v.len;
    return rc;
}

/* A TLV [at, end) shown whole, in place of the field it should have been. */
static void show_tlv(ds_emit *e, const ds_cursor *c, size_t at, size_t end)
{
    ds_cursor t = {c->p, end, at};
    ds_emit_undecoded(e, &t);
}

static int dec_ber_seq(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    size_t at = c->pos, len;
    int rc = ds_cur_len(c, &len, NULL);
    if (rc) {
        ds_report(e, rc == DS_CUR_TRUNCATED ? DS_D_APDU_TRUNCATED : DS_D_APDU_BAD_LENGTH, DS_SEV_ERROR, at,
                  "%s: missing or invalid BER length", label(f));
        return -1;
    }
    int result = 0;
    if (len > ds_cur_left(c)) {
        ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, at, "%s: BER length %zu but only %zu byte(s) left",
                  label(f), len, ds_cur_left(c));
        len = ds_cur_left(c);
        result = -1;
    }
    ds_cursor body = sub_cursor(c, len);
    if (ds_emit_open_len(e, f->name, f->name_len)) return -1;
    while (ds_cur_left(&body)) {
        size_t field_at = body.pos, vlen;
        uint8_t tag;
        if (read_tlv(e, &body, f, &tag, &vlen)) {
            ds_emit_undecoded(e, &body);
            result = -1;
            break;
        }
        const ds_alt *alt = find_alt(f->alts, tag);
        if (!alt) {
            ds_report(e, DS_D_APDU_UNKNOWN_TAG, DS_SEV_ERROR, field_at, "%s: unknown BER field 0x%02X",
                      label(f), tag);
            /* show the whole TLV: tag, length and value */
            ds_cursor t = {body.p, body.pos + vlen, field_at};
            ds_emit_undecoded(e, &t);
            body.pos = t.len;
            result = -1;
            continue;
        }
        size_t value_end = body.pos + vlen;
        if (dec_value(e, &body, alt->body, vlen, field_at)) {
            result = -1;
            if (body.pos == field_at) show_tlv(e, &body, field_at, value_end);
            body.pos = value_end;
        }
    }
    ds_emit_close_len(e, f->name, f->name_len);
    c->pos = body.len;
    if (result) e->rest_shown = 1; /* every byte of the sequence is written */
    return result;
}

static int dec_ber_tlv(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    size_t at = c->pos, len;
    uint8_t tag;
    if (read_tlv(e, c, f, &tag, &len)) return -1;
    if (tag != f->tag) {
        ds_report(e, DS_D_APDU_INVALID_CHOICE, DS_SEV_ERROR, at, "%s: expected BER tag 0x%02X, found 0x%02X",
                  label(f), f->tag, tag);
        c->pos = at;
        return -1;
    }
    return dec_value(e, c, f->sub, len, at);
}

static int dec_ber_choice(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    size_t at = c->pos, len;
    uint8_t tag;
    if (read_tlv(e, c, f, &tag, &len)) return -1;
    const ds_alt *alt = find_alt(f->alts, tag);
    if (!alt) {
        ds_report(e, DS_D_APDU_INVALID_CHOICE, DS_SEV_ERROR, at, "%s: BER tag 0x%02X is not a valid choice",
                  label(f), tag);
        c->pos = at;
        return -1;
    }
    if (f->name && ds_emit_open_len(e, f->name, f->name_len)) return -1;
    size_t end = c->pos + len;
    int rc = dec_value(e, c, alt->body, len, at);
    if (rc && f->name && c->pos == at) { /* inside the element already open: the whole TLV */
        show_tlv(e, c, at, end);
        c->pos = end;
        e->rest_shown = 1;
    }
    if (f->name) ds_emit_close_len(e, f->name, f->name_len);
    return rc;
}

static int dec_rest_uint(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    size_t n = ds_cur_left(c);
    uint64_t v = 0;
    if (n == 0 || n > 4) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, c->pos, "%s: integer of %zu byte(s)", label(f), n);
        return -1;
    }
    const uint8_t *p = c->p + c->pos;
    ds_cur_uint(c, n, &v);
    if (f->comment) f->comment(e, p, n, v);
    emit_number(e, f, p, v, n);
    return 0;
}

static int dec_rest_enum(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    uint8_t v = 0;
    if (ds_cur_left(c) != 1) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, c->pos, "%s: expected 1 byte, found %zu", label(f),
                  ds_cur_left(c));
        return -1;
    }
    ds_cur_u8(c, &v);
    emit_enum(e, f->name, f->name_len, f->names, v);
    return 0;
}

static int dec_rest_bytes(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    size_t n = ds_cur_left(c);
    const uint8_t *p = c->p + c->pos;
    c->pos += n;
    if (f->comment) f->comment(e, p, n, n);
    ds_emit_hex_len(e, f->name, f->name_len, p, n);
    return 0;
}

static int dec_rest_bits(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    size_t n = ds_cur_left(c);
    const uint8_t *p = c->p + c->pos;
    if (n == 0 || p[0] > 7 || (n == 1 && p[0] != 0)) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, c->pos, "%s: malformed BER bit string", label(f));
        return -1;
    }
    size_t nbits = (n - 1) * 8 - p[0];
    char small[257];
    char *buf = nbits < sizeof small ? small : NULL;
    if (!buf) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, c->pos, "%s: bit string of %zu bits is too long",
                  label(f), nbits);
        return -1;
    }
    for (size_t i = 0; i < nbits; i++) buf[i] = (p[1 + i / 8] & (0x80 >> (i % 8))) ? '1' : '0';
    buf[nbits] = '\0';
    c->pos += n;
    ds_emit_value_len(e, f->name, f->name_len, buf, nbits, DS_TEXT_PLAIN);  /* 0s and 1s */
    return 0;
}

/* Dotted form of a BER OID; returns 0 when malformed. */
static size_t oid_to_text(const uint8_t *p, size_t n, char *out, size_t outsz)
{
    size_t w = 0;
    uint64_t arc = 0;
    int first = 1, in_arc = 0;
    for (size_t i = 0; i < n; i++) {
        if (arc > (UINT64_MAX >> 7)) return 0;
        arc = (arc << 7) | (p[i] & 0x7F);
        in_arc = 1;
        if (p[i] & 0x80) continue;
        char num[48];
        int k;
        if (first) {
            uint64_t x = arc < 40 ? 0 : arc < 80 ? 1 : 2;
            k = snprintf(num, sizeof num, "%llu.%llu", (unsigned long long)x, (unsigned long long)(arc - 40 * x));
            first = 0;
        } else {
            k = snprintf(num, sizeof num, ".%llu", (unsigned long long)arc);
        }
        if (k < 0 || w + (size_t)k + 1 > outsz) return 0;
        memcpy(out + w, num, (size_t)k);
        w += (size_t)k;
        arc = 0;
        in_arc = 0;
    }
    if (in_arc || w == 0) return 0;
    out[w] = '\0';
    return w;
}

static int dec_rest_oid(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    /* DLMS UA arcs: 2.16.756.5.8.<size>.<N> = 60 85 74 05 08 <size> <N> */
    static const uint8_t DLMS_UA[5] = {0x60, 0x85, 0x74, 0x05, 0x08};
    size_t n = ds_cur_left(c);
    const uint8_t *p = c->p + c->pos;
    if (n == 7 && memcmp(p, DLMS_UA, 5) == 0 && p[5] == f->size) {
        const char *name = ds_enum_name(f->names, p[6]);
        if (name) {
            c->pos += n;
            ds_emit_value_len(e, f->name, f->name_len, name, strlen(name), DS_TEXT_PLAIN);
            return 0;
        }
    }
    char text[256];
    if (!oid_to_text(p, n, text, sizeof text)) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, c->pos, "%s: malformed object identifier", label(f));
        return -1;
    }
    c->pos += n;
    ds_emit_value_len(e, f->name, f->name_len, text, strlen(text), DS_TEXT_PLAIN);  /* digits and dots */
    return 0;
}

static int dec_end(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    (void)e, (void)c, (void)f;
    return 0;
}

static int dec_bare(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    (void)c;
    ds_emit_bare_len(e, f->name, f->name_len);
    return 0;
}

static int dec_data(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    (void)f;
    return ds_axdr_data(e, c);
}

static int dec_nested_apdu(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    (void)f;
    return dec_apdu(e, c);
}

/* One decoder per field kind. A table rather than a switch: each decoder stays a function of
 * its own, so that the walk's recursion (group -> list -> field) passes through a small frame
 * instead of one function holding every kind's locals. */
typedef int (*field_decoder)(ds_emit *e, ds_cursor *c, const ds_field *f);
static const field_decoder DECODERS[] = {
    [SK_END] = dec_end,
    [SK_UINT] = dec_uint,
    [SK_INT] = dec_int,
    [SK_BYTES] = dec_bytes,
    [SK_OCTETS] = dec_octets,
    [SK_ENUM] = dec_enum,
    [SK_BARE] = dec_bare,
    [SK_GROUP] = dec_group,
    [SK_OPTIONAL] = dec_optional,
    [SK_CHOICE] = dec_choice,
    [SK_PEEK_CHOICE] = dec_peek_choice,
    [SK_SEQ_OF] = dec_seq_of,
    [SK_DATA] = dec_data,
    [SK_CONFORMANCE] = dec_conformance,
    [SK_APDU] = dec_nested_apdu,
    [SK_BER_SEQ] = dec_ber_seq,
    [SK_BER_TLV] = dec_ber_tlv,
    [SK_BER_CHOICE] = dec_ber_choice,
    [SK_REST_UINT] = dec_rest_uint,
    [SK_REST_ENUM] = dec_rest_enum,
    [SK_REST_BYTES] = dec_rest_bytes,
    [SK_REST_BITS] = dec_rest_bits,
    [SK_REST_OID] = dec_rest_oid,
};
_Static_assert(sizeof DECODERS / sizeof DECODERS[0] == SK_REST_OID + 1, "a decoder for every field kind");

/* Sanitizer and fuzzing builds check that every table name came with its length (DS_NAME). */
static void check_name_len(const ds_field *f)
{
#ifdef DS_CHECK_CONTRACTS
    if ((f->name ? strlen(f->name) : 0) != f->name_len) {
        fprintf(stderr, "dlmscope: internal error: schema field %s: name_len %u\n", label(f), f->name_len);
        abort();
    }
#else
    (void)f;
#endif
}

/* A field that the security layer learns from (ds_field.observe): decoded, then its value bytes
 * reported; for length-prefixed octets, without the length. */
static int __attribute__((noinline)) decode_observed(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    size_t start = c->pos;
    int rc = DECODERS[f->kind](e, c, f);
    if (rc == 0 && e->observe) {
        const uint8_t *p = c->p + start;
        size_t n = c->pos - start;
        if (f->kind == SK_OCTETS) {
            ds_cursor v = {c->p, c->pos, start};
            size_t len;
            if (ds_cur_len(&v, &len, NULL) == 0 && len == ds_cur_left(&v)) {
                p = c->p + v.pos;
                n = len;
            }
        }
        e->observe(e->security, f->observe, p, n);
    }
    return rc;
}

int ds_schema_decode(ds_emit *e, ds_cursor *c, const ds_field *f)
{
    check_name_len(f);
    if ((unsigned)f->kind > SK_REST_OID) return -1;  /* not a kind: a table error, never input */
    if (f->observe) return decode_observed(e, c, f);
    return DECODERS[f->kind](e, c, f);
}

int ds_schema_decode_list(ds_emit *e, ds_cursor *c, const ds_field *list)
{
    size_t absent_from = SIZE_MAX; /* where a run of absent OPTIONALs (00 flags, no element) began */
    for (; list && list->kind != SK_END; list++) {
        size_t at = c->pos;
        if (ds_schema_decode(e, c, list)) {
            /* failed with nothing written: the flags before it go with the rest */
            if (absent_from != SIZE_MAX && c->pos == at && !e->rest_shown) c->pos = absent_from;
            return -1;
        }
        if (list->kind != SK_OPTIONAL || c->pos != at + 1) absent_from = SIZE_MAX;
        else if (absent_from == SIZE_MAX) absent_from = at;
    }
    return 0;
}
