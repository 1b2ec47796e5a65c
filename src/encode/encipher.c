/* Enciphering while encoding (encipher.h): the ciphered layouts, keys and GCM are the security
 * module's (ds_encipher); here, where the facts of each APDU come from. */
#include "encode/encipher.h"

#include <string.h>

#include <mbedtls/platform_util.h>

#include "apdu/apdu_tags.h"
#include "encode/schema_encode.h"
#include "security/cipher.h"
#include "security/keywrap.h"

#define CIPHER_OVERHEAD 256 /* tag, header fields' lengths, SC, IC, T; the header's own bytes are added */

void ds_enc_cipher_init(ds_enc_cipher *ec, const ds_encode_options *o)
{
    memset(ec, 0, sizeof *ec);
    ec->o = o;
    ds_ic_init(&ec->ic, o->has_ic ? o->ic : 0);
}

int ds_enc_cipher_on(const ds_enc_cipher *ec)
{
    return ec->o && ec->o->keys != NULL;
}

void ds_enc_cipher_unit_start(ds_enc_cipher *ec)
{
    ec->used = 0;
}

void ds_enc_cipher_unit_done(ds_enc_cipher *ec)
{
    uint32_t ic;
    for (uint32_t i = 0; i < ec->used; i++) (void)ds_ic_take(&ec->ic, &ic);
    ec->used = 0;
}

/* The IC of the next APDU of this unit: --ic's counter, else the one the APDU had. */
static int next_ic(ds_enc *enc, ds_enc_cipher *ec, const xmlNode *node, uint32_t own, uint32_t *ic)
{
    if (!ec->o->has_ic) {
        *ic = own;
        return 0;
    }
    uint64_t v = (uint64_t)ec->ic.next + ec->used;
    if (ec->ic.exhausted || v > UINT32_MAX)
        return ds_enc_fail(enc, node, "--ic: the invocation counter is exhausted (FFFFFFFF was used)");
    ec->used++;
    *ic = (uint32_t)v;
    return 0;
}

/* A hex attribute of the view of exactly len bytes; absent: 0 (*found 0). */
static int view_hex(ds_enc *enc, const xmlNode *view, const char *name, uint8_t *out, size_t len, int *found)
{
    const char *v = ds_x_attr(view, name);
    *found = v != NULL;
    if (!v) return 0;
    if (ds_hex_to_bytes(v, out, len) != (int)len)
        return ds_enc_fail(enc, view, "<Decrypted %s=\"%.40s\">: %zu bytes of hex expected", name, v, len);
    return 0;
}

/* The plain APDU of a view: its one APDU element, encoded. */
static int view_plain(ds_enc *enc, const xmlNode *view, ds_buf *plain)
{
    const xmlNode *apdu = ds_x_first(view);
    if (!apdu || ds_x_next(apdu))
        return ds_enc_fail(enc, view, "<Decrypted> must hold one APDU to encipher");
    return ds_apdu_encode(enc, apdu, plain);
}

/* The sender's system title by who sends the plain APDU: the client's for requests. 0, or -1
 * when that title was not given. */
static int title_by_role(const ds_encode_options *o, uint8_t plain_tag, uint8_t title[DS_TITLE_LEN])
{
    int found = ds_apdu_tag_is_request(plain_tag) ? ds_keyring_client_title(o->keys, title)
                                                  : ds_keyring_server_title(o->keys, title);
    return found ? 0 : -1;
}

static int run_encipher(ds_enc *enc, const xmlNode *node, const ds_encipher_params *p, const ds_keyset *keys,
                        const uint8_t *plain, size_t n, size_t extra, ds_buf *out)
{
    size_t cap = n + extra + CIPHER_OVERHEAD, got = 0;
    size_t at = out->len;
    /* room first, then written in place: ds_encipher never writes past cap */
    static const uint8_t ZERO[256];
    for (size_t left = cap; left > 0;) {
        size_t k = left < sizeof ZERO ? left : sizeof ZERO;
        if (ds_buf_append(out, ZERO, k)) return ds_enc_fail(enc, node, "the enciphered APDU is too large");
        left -= k;
    }
    char err[200];
    int rc = ds_encipher(p, keys, plain, n, out->p + at, cap, &got, err, sizeof err);
    out->len = at + got;
    if (rc) return ds_enc_fail(enc, node, "cannot encipher: %s", err);
    return 0;
}

int ds_enc_cipher_view(ds_enc *enc, ds_enc_cipher *ec, const uint8_t *ciphered, size_t n, const xmlNode *view,
                       ds_buf *out)
{
    ds_ciphered c;
    char err[200];
    if (ds_ciphered_parse(ciphered, n, &c, err, sizeof err))
        return ds_enc_fail(enc, view, "the APDU before <Decrypted> is not a ciphered APDU: %s", err);
    if (c.kind == DS_CIPH_GENERAL_CIPHERING && c.key_info == DS_KEY_INFO_AGREED)
        return ds_enc_fail(enc, view, "general-ciphering with an agreed key (ECDH) is not enciphered again");
    ds_buf plain;
    ds_buf_init(&plain);
    uint8_t title[DS_TITLE_LEN], sc_byte = c.sc, icb[4];
    int has_title, has_sc, has_ic, rc = -1;
    if (view_hex(enc, view, "SystemTitle", title, DS_TITLE_LEN, &has_title) ||
        view_hex(enc, view, "Security", &sc_byte, 1, &has_sc) || view_hex(enc, view, "InvocationCounter", icb, 4, &has_ic) ||
        view_plain(enc, view, &plain))
        goto done;
    if (plain.len == 0) {
        ds_enc_fail(enc, view, "<Decrypted>: the APDU is empty");
        goto done;
    }
    if (!has_title && c.title && c.title_len == DS_TITLE_LEN) memcpy(title, c.title, DS_TITLE_LEN), has_title = 1;
    if (!has_title && title_by_role(ec->o, plain.p[0], title) == 0) has_title = 1;
    if (!has_title) {
        ds_enc_fail(enc, view, "no system title: give --client-title or --server-title (or SystemTitle on <Decrypted>)");
        goto done;
    }
    uint32_t own = has_ic ? (uint32_t)icb[0] << 24 | (uint32_t)icb[1] << 16 | (uint32_t)icb[2] << 8 | icb[3] : c.ic;
    ds_encipher_params p;
    ds_encipher_params_init(&p, c.kind, ec->o->has_sc ? ec->o->sc : sc_byte, own, title);
    if (next_ic(enc, ec, view, own, &p.ic)) goto done;
    p.transaction_id = c.transaction_id, p.transaction_id_len = c.transaction_id_len;
    p.recipient_title = c.recipient_title, p.recipient_title_len = c.recipient_title_len;
    p.date_time = c.date_time, p.date_time_len = c.date_time_len;
    p.other_info = c.other_info, p.other_info_len = c.other_info_len;
    p.key_info = c.key_info;
    p.key_id = c.key_id;
    const ds_keyset *keys = ds_keyring_lookup(ec->o->keys, title);
    uint8_t content_key[DS_KEY_MAX];
    if (c.key_info == DS_KEY_INFO_WRAPPED) { /* the same key, wrapped again (RFC 3394 is deterministic) */
        if (!ds_key_usable(&keys->kek) || (c.wrapped_key_len != 24 && c.wrapped_key_len != 40) ||
            ds_aes_key_unwrap(keys->kek.bytes, keys->kek.len, c.wrapped_key, c.wrapped_key_len, content_key)) {
            ds_enc_fail(enc, view, "cannot encipher: the wrapped key does not unwrap with the master key (--kek)");
            goto done;
        }
        p.content_key = content_key;
        p.content_key_len = c.wrapped_key_len - 8;
    }
    rc = run_encipher(enc, view, &p, keys, plain.p, plain.len, n, out);
    mbedtls_platform_zeroize(content_key, sizeof content_key);
done:
    ds_buf_free(&plain);
    return rc;
}

int ds_enc_cipher_plain(ds_enc *enc, ds_enc_cipher *ec, const xmlNode *node, const uint8_t *plain, size_t n,
                        ds_buf *out)
{
    uint8_t title[DS_TITLE_LEN];
    if (n == 0) return ds_enc_fail(enc, node, "an empty APDU cannot be enciphered");
    if (title_by_role(ec->o, plain[0], title))
        return ds_enc_fail(enc, node, "--cipher: no system title of the %s: give --%s-title",
                           ds_apdu_tag_is_request(plain[0]) ? "client" : "server",
                           ds_apdu_tag_is_request(plain[0]) ? "client" : "server");
    ds_encipher_params p;
    ds_encipher_params_init(&p, (ds_cipher_form)ec->o->cipher_form, ec->o->has_sc ? ec->o->sc : 0x30, 0, title);
    if (next_ic(enc, ec, node, 0, &p.ic)) return -1;
    return run_encipher(enc, node, &p, ds_keyring_lookup(ec->o->keys, title), plain, n, 0, out);
}
