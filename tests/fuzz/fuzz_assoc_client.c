/* libFuzzer target: the association machine's handling of the peer's APDUs.
 *
 * Byte 0 picks the scene: bits 0-2 what the client waits for (an AARE for no security, LLS,
 * HLS-SHA256 and HLS-GMAC; the answer to reply_to_HLS_authentication; a GET, a long SET in
 * blocks, an ACTION; the RLRE), bit 3 ciphering with fixed keys, bit 4 (scene 4) a with-list GET
 * of two attributes instead of a normal one, bit 6 general block transfer negotiated (window 3;
 * a server starts associated with it), bit 7 the server role instead (its objects answer
 * everything with errors or a long value). The rest is a sequence of APDUs,
 * each a 2-byte big-endian length and its bytes, given one after the other to
 * ds_assoc_receive; what the machine sends goes nowhere. Nothing the peer sends may crash,
 * hang, leak or read out of bounds. */
#include <stdint.h>
#include <string.h>

#include "dlmscope/assoc.h"
#include "dlmscope/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *user, const uint8_t *apdu, size_t len)
{
    (void)user;
    (void)apdu;
    (void)len;
    return 0;
}

static const uint8_t CLIENT_TITLE[8] = {0x4D, 0x4D, 0x4D, 0, 0, 0, 0, 1};
static const uint8_t SERVER_TITLE[8] = {0x4D, 0x4D, 0x4D, 0, 0, 0xBC, 0x61, 0x4E};

static void key(ds_key *k, uint8_t first)
{
    k->set = 1;
    k->len = 16;
    for (int i = 0; i < 16; i++) k->bytes[i] = (uint8_t)(first + i);
}

static ds_keyset KEYS;
static ds_assoc_settings SERVER;

static int accept_all(void *user, int client_sap, const ds_association *aarq, ds_assoc_settings *out)
{
    (void)user;
    (void)client_sap;
    (void)aarq;
    *out = SERVER;
    return 0;
}

static int get_long(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *access, ds_value_arena *a,
                    ds_value **out)
{
    (void)user;
    (void)client_sap;
    (void)access;
    if (ref->id != 2) return 4;
    static const uint8_t FILL[600];
    *out = ds_value_new_bytes(a, DS_DATA_OCTET_STRING, FILL, sizeof FILL);
    return 0;
}

static int set_any(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *access, const ds_value *d)
{
    (void)user;
    (void)client_sap;
    (void)access;
    (void)d;
    return ref->id == 2 ? 0 : 3;
}

static int act_any(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *p, ds_value_arena *a,
                   ds_value **ret)
{
    (void)user;
    (void)client_sap;
    (void)p;
    *ret = ref->id == 2 ? ds_value_new_uint(a, DS_DATA_UNSIGNED, 7) : NULL;
    return ref->id == 3 ? 11 : 0;
}

static const ds_server_objects OBJECTS = {NULL, accept_all, get_long, set_any, act_any};

/* A client waiting for what scene asks. */
static void client_scene(ds_assoc *as, int scene, int with_list)
{
    uint8_t req[2048];
    size_t n = 0;
    char err[100];
    ds_cosem_ref clock = {8, {0, 0, 1, 0, 0, 255}, 2};
    if (scene <= 3) {
        ds_assoc_open(as);
        return;
    }
    ds_assoc_assume_open(as, 128);
    ds_value_arena *a = ds_value_arena_new(8, 2048);
    if (!a) return;
    switch (scene) {
    case 4:
        if (with_list) { /* its answer in datablocks is joined into a list of results */
            const ds_cosem_ref refs[2] = {clock, clock};
            ds_build_get_request_with_list(0xC1, refs, 2, req, sizeof req, &n, err, sizeof err);
        } else
            ds_build_get_request_normal(0xC1, &clock, req, sizeof req, &n, err, sizeof err);
        break;
    case 5: { /* longer than 128: set-request with datablocks */
        static const uint8_t FILL[400];
        ds_build_set_request_normal(0xC1, &clock, ds_value_new_bytes(a, DS_DATA_OCTET_STRING, FILL, sizeof FILL), req,
                                    sizeof req, &n, err, sizeof err);
        break;
    }
    case 6: ds_build_action_request_normal(0xC1, &clock, ds_value_new_int(a, DS_DATA_INTEGER, 0), req, sizeof req, &n,
                                           err, sizeof err); break;
    default: ds_assoc_release(as); break;
    }
    if (n) ds_assoc_request(as, req, n);
    ds_value_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int scene = data[0] & 7, ciphered = (data[0] >> 3) & 1, server = data[0] >> 7;
    memset(&KEYS, 0, sizeof KEYS);
    key(&KEYS.ek, 0x00);
    key(&KEYS.ak, 0xD0);
    key(&KEYS.dk, 0xA0);
    static const int MECHANISMS[4] = {0, 1, 6, 5};
    ds_assoc_settings s;
    memset(&s, 0, sizeof s);
    s.role = server ? DS_ASSOC_SERVER : DS_ASSOC_CLIENT;
    s.logical_names = 1;
    s.mechanism = scene <= 3 ? MECHANISMS[scene] : 0;
    s.secret = (const uint8_t *)"12345678";
    s.secret_len = 8;
    s.keys = &KEYS;
    s.security_policy = ciphered ? 3 : 0;
    s.dedicated = (data[0] >> 4) & 1;
    s.general_ciphering = (data[0] >> 5) & 1;
    s.own_title = server ? SERVER_TITLE : CLIENT_TITLE;
    int gbt = (data[0] >> 6) & 1;
    s.conformance = gbt ? 0x00FE1F | DS_CONFORMANCE_GBT : 0x00FE1F;
    s.gbt_window = gbt ? 3 : 0;
    s.max_pdu = 256;
    s.first_ic = 1;
    s.max_values = 4096;
    SERVER = s;
    ds_assoc *as = ds_assoc_new(&s, sink, NULL);
    if (!as) return 0;
    static const uint8_t CHALLENGE[16] = "0123456789ABCDEF";
    ds_assoc_set_challenge(as, CHALLENGE, sizeof CHALLENGE);
    if (server) {
        ds_assoc_serve(as, &OBJECTS, 1);
        if (gbt) ds_assoc_assume_open(as, 128); /* GBT paths without an AARQ proposing it */
    } else client_scene(as, scene, (data[0] >> 4) & 1);
    size_t at = 1;
    while (at + 2 <= size) {
        size_t n = (size_t)data[at] << 8 | data[at + 1];
        at += 2;
        if (n > size - at) n = size - at;
        if (n) ds_assoc_receive(as, data + at, n);
        at += n;
        /* a client whose service completed asks for the next one of the same scene */
        if (!server && !ds_assoc_busy(as) && scene >= 4 && scene <= 6 && ds_assoc_is_open(as)) client_scene(as, scene, (data[0] >> 4) & 1);
    }
    ds_assoc_free(as);
    return 0;
}
