/* Enciphering while encoding: a ciphered APDU followed by its deciphered view (<Decrypted>, as
 * decode writes it with keys) is enciphered again from the view's plaintext, and bare plain APDUs
 * are enciphered in a form the caller chose (ds_encode_options: keys, cipher_form, ic, sc). */
#ifndef DS_ENCODE_ENCIPHER_H
#define DS_ENCODE_ENCIPHER_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#include "dlmscope/cipher.h"
#include "dlmscope/encoder.h"
#include "encode/enc.h"
#include "util/buf.h"

typedef struct ds_enc_cipher {
    const ds_encode_options *o;
    ds_ic_counters ic;   /* --ic: the next IC to send */
    uint32_t used;       /* ICs taken by the unit being encoded (a unit may be read twice while
                            its notation is inferred: the counter moves when it is written) */
} ds_enc_cipher;

void ds_enc_cipher_init(ds_enc_cipher *ec, const ds_encode_options *o);
/* 1 when enciphering is asked for (keys given). */
int ds_enc_cipher_on(const ds_enc_cipher *ec);
/* A unit is about to be read (again): no IC taken yet. */
void ds_enc_cipher_unit_start(ds_enc_cipher *ec);
/* The unit was written: its ICs are spent. */
void ds_enc_cipher_unit_done(ds_enc_cipher *ec);

/* ciphered[0..n) is a ciphered APDU (its bytes as the XML gave them) and view the <Decrypted>
 * that follows it: the view's APDU is encoded and enciphered in the same form, with the same
 * header, security control, IC and title, except where the options say otherwise (--sc, --ic).
 * Appends to out. 0, or -1 with the error in enc. */
int ds_enc_cipher_view(ds_enc *enc, ds_enc_cipher *ec, const uint8_t *ciphered, size_t n, const xmlNode *view,
                       ds_buf *out);
/* A plain APDU to encipher in the form of the options (--cipher); node for the error line.
 * Appends to out. 0, or -1 with the error in enc. */
int ds_enc_cipher_plain(ds_enc *enc, ds_enc_cipher *ec, const xmlNode *node, const uint8_t *plain, size_t n,
                        ds_buf *out);

#endif
