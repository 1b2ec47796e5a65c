/* Fuzz target: ciphered APDU layouts, deciphering and the mistake diagnosis.
 * Input = one APDU. Keys are fixed (the Green Book ones, REFERENCE §6.2) so that
 * seeds built with them reach the GCM paths; the dedicated and broadcast keys are
 * typed "as ASCII" so that the diagnosis tries its alternatives too; the master key lets
 * general-ciphering wrapped keys reach the key unwrap; fixed key-agreement keys (the recipient's
 * private key, the originator's static and signing public keys of make-gc-agreed-key.py, on P-256
 * and on P-384) let agreed keys reach ECDH, the KDF and the signature check (seeds
 * gc-agreed-key*.bin decipher with them). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/keys.h"
#include "security/agree.h"
#include "security/cipher.h"

static const uint8_t TITLE[DS_TITLE_LEN] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};
static const uint8_t OTHER[DS_TITLE_LEN] = {0x43, 0x49, 0x52, 0x00, 0x00, 0x00, 0x00, 0x01};

static void set_key(ds_key *k, const char *text)
{
    memset(k, 0, sizeof *k);
    int n = ds_hex_to_bytes(text, k->bytes, sizeof k->bytes);
    if (n <= 0) abort();
    k->len = (size_t)n;
    k->set = 1;
    strncpy(k->text, text, sizeof k->text - 1);
}

static void set_ec(ds_ec_key *k, const char *text)
{
    memset(k, 0, sizeof *k);
    int n = ds_hex_to_bytes(text, k->bytes, sizeof k->bytes);
    if (n <= 0) abort();
    k->len = (size_t)n;
    k->set = 1;
}

static ds_keyset keys, keys384;
static int ready;

static void setup(void)
{
    set_key(&keys.ek, "000102030405060708090A0B0C0D0E0F");
    set_key(&keys.ak, "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
    set_key(&keys.dk, "1111111111111111");
    set_key(&keys.bk, "00112233445566778899AABBCCDDEEFF");
    set_key(&keys.kek, "000102030405060708090A0B0C0D0E0F"); /* seed gc-wrapped-key.bin unwraps with it */
    set_ec(&keys.priv, "7D7DC5F71EB29DDAF80D6214632EEAE03D9058AF1FB6D22ED80BADB62BC1A534");
    set_ec(&keys.pub, "04A7A3E38CD3EA60B9B383EEB5734A43A02D2965F79C2F6374EE830FFB95513A4C8D62E6984FB7019A7AC46D59"
                      "3319ED09249BC5A5C03636BEFB72A0B73FEA6D05");
    set_ec(&keys.sign, "04720594FEE9B664B7D450234B53A12B667AC96278EC9A3FFF7BD8ED067EE22630135D68100698C1584B975A7E6"
                       "DCF28009392486421B732B3CFF548DA0EE45623");
    keys384 = keys;
    set_key(&keys384.ak, "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF");
    set_ec(&keys384.priv, "3CC3122A68F0D95027AD38C067916BA0EB8C38894D22E1B15618B6818A661774AD463B205DA88CF699AB4D43C9CF98A1");
    set_ec(&keys384.sign, "04197A3EBB496E62F2CBF9D3BB860561FBC54307FBB234163A07206CC7284FC482052E57DBEED651429DD3C468"
                          "8965DD832411DE3367400ADC19DD151D5FEAEB74942A63641665E24CA3EC40D028214CAF829F8F0E097388EB7CFFA"
                          "7D4AABEE3C1");
    ready = 1;
}

static void check_result(ds_dec_status st, size_t plain_len, const ds_ciphered *c)
{
    if (st == DS_DEC_OK && plain_len != c->body_len) abort();
    if (st != DS_DEC_OK && plain_len != 0) abort();
}

/* An agreed key: each keyset once with the report (ECDH, KDF, signature), then once without
 * verification. The usual-mistake loop below is not for agreed keys (and each run is an ECDH). */
static void agreed(const ds_ciphered *c, uint8_t *plain)
{
    const ds_keyset *sets[2] = {&keys, &keys384};
    size_t plain_len = 0;
    for (int i = 0; i < 2; i++) {
        ds_agree_report rep;
        ds_dec_status st = ds_decipher_ex(c, TITLE, sets[i], 0, 1, plain, &plain_len, &rep);
        check_result(st, plain_len, c);
        if (st == DS_DEC_AGREEMENT_FAILED && !rep.why[0]) abort(); /* every failure of the agreement says why */
        if (rep.signature > DS_KEYSIG_MISMATCH) abort();
        if (rep.signature == DS_KEYSIG_UNUSABLE && !rep.sig_why[0]) abort();
    }
    ds_dec_status st = ds_decipher(c, NULL, &keys, 0, 0, plain, &plain_len);
    check_result(st, plain_len, c);
    char why[200];
    if (ds_decipher_diagnose_ex(c, TITLE, OTHER, &keys, 0, 1, plain, &plain_len, why, sizeof why)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) setup();
    ds_ciphered c;
    char err[160];
    if (ds_ciphered_parse(data, size, &c, err, sizeof err) != 0) {
        if (!err[0]) abort(); /* every failure says why */
        return 0;
    }
    if (c.consumed > size || c.body + c.body_len > data + size) abort();
    if (c.tag && c.tag + c.tag_len > data + size) abort();
    uint8_t *plain = malloc(c.body_len ? c.body_len : 1);
    if (!plain) return 0;
    if (c.kind == DS_CIPH_GENERAL_CIPHERING && c.key_info == 2) {
        if (c.agreed_data + c.agreed_data_len > data + size) abort();
        agreed(&c, plain);
        free(plain);
        return 0;
    }
    size_t plain_len = 0;
    char why[200];
    for (int ded = 0; ded <= 1; ded++) {
        ds_dec_status st = ds_decipher(&c, TITLE, &keys, ded, 1, plain, &plain_len);
        check_result(st, plain_len, &c);
        st = ds_decipher(&c, NULL, &keys, ded, 0, plain, &plain_len);
        check_result(st, plain_len, &c);
        if (ds_decipher(&c, TITLE, &keys, ded, 1, plain, &plain_len) != DS_DEC_OK) {
            const char *code = ds_decipher_diagnose_ex(&c, TITLE, OTHER, &keys, ded, 1, plain, &plain_len, why,
                                                       sizeof why);
            if (code && (plain_len != c.body_len || !why[0])) abort();
            if (!code && plain_len != 0) abort();
        }
    }
    free(plain);
    return 0;
}
