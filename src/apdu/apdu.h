/* APDU dispatch: which description decodes which first byte. */
#ifndef DS_APDU_APDU_H
#define DS_APDU_APDU_H

#include <stddef.h>
#include <stdint.h>
#include "apdu/schema.h"
#include "event/emit.h"
#include "util/cursor.h"

/* The description of the APDU with this tag, or NULL when the tag is not an APDU. */
const ds_field *ds_apdu_lookup(uint8_t tag);

/* Decodes one APDU that fills the cursor's remaining bytes and emits its element.
 * Consumes everything: bytes that cannot be decoded are reported and written as
 * <Undecoded>. Returns 0 when the APDU decoded cleanly, -1 otherwise. */
int ds_apdu_decode(ds_emit *e, ds_cursor *c);
/* The same for an APDU carried in a field of another: when the error left nothing of it
 * written, nothing is written either and the cursor is back at its tag (the caller shows it). */
int ds_apdu_decode_nested(ds_emit *e, ds_cursor *c);

/* Emits <Undecoded Value="HEX" /> for bytes [from, c->len) and moves the cursor to the end. */
void ds_emit_undecoded(ds_emit *e, ds_cursor *c);
/* After a decoding error: the bytes from the cursor to the end of its scope (the APDU, or the
 * BER field) as <Undecoded Value="HEX" />, empty when nothing is left, written once at the
 * place where decoding stopped (the innermost element still open), so that the encoder can
 * write them back there and the APDU round-trips exactly. Moves the cursor to the end. */
void ds_emit_rest(ds_emit *e, ds_cursor *c);

/* Tables (pdu_xdlms.c, pdu_acse.c) */
const ds_field *ds_xdlms_lookup(uint8_t tag);
const ds_field *ds_acse_lookup(uint8_t tag);

#endif
