/* <ImageTransfer> of `dlmscope run` (src/client/image.c) against the association machine in the
 * server role with a class 18 object in memory: the whole sequence (block size read before
 * initiate, initiate, every block, verify, attribute 7, activate), the image the meter holds
 * byte-identical; a block refused with hardware-fault once and then accepted; verify answered
 * temporary-failure three times; a transfer cut after block 7 and resumed without initiating
 * again and without sending a block the meter holds; a block size whose ACTION is longer than
 * the meter's max PDU (sent in pblocks, not cut to it); a block refused for good stops the
 * transfer before verify and activate; resumed when attribute 7 names no image before
 * verification (as the Blue Book has it) by the bitmap's block count; the signature of
 * attribute 7 against the script's (equal, different); Reconnect after activate: the meter
 * silent, reconnected once, the status read (activation successful), or no reconnection (2).
 *
 * The expected counts are worked out from the sizes: 5000 bytes in blocks of 256 are
 * ceil(5000 / 256) = 20 blocks, the last of 5000 - 19 * 256 = 136 bytes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/image.h"
#include "dlmscope/assoc.h"
#include "dlmscope/value.h"

#define QMAX 8
#define IMG_MAX 8192

typedef struct queue {
    uint8_t *apdu[QMAX];
    size_t len[QMAX];
    size_t head, tail;
} queue;

static int q_push(void *user, const uint8_t *apdu, size_t len)
{
    queue *q = user;
    ck_assert_msg(q->tail - q->head < QMAX, "queue full");
    uint8_t *c = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(c);
    memcpy(c, apdu, len);
    q->apdu[q->tail % QMAX] = c;
    q->len[q->tail % QMAX] = len;
    q->tail++;
    return 0;
}

static uint8_t *q_pop(queue *q, size_t *len)
{
    if (q->head == q->tail) return NULL;
    size_t i = q->head++ % QMAX;
    *len = q->len[i];
    return q->apdu[i];
}

/* ---- the meter's image transfer object ---- */

typedef struct meter {
    uint32_t block_size;
    uint8_t image[IMG_MAX];
    size_t size;                /* initiated size */
    uint8_t id[64];
    size_t id_len;
    uint8_t held[IMG_MAX / 8];  /* blocks held, first in the high bit */
    unsigned status;            /* attribute 6 */
    int initiates, activates, verifies;
    unsigned block_sends[64];   /* how often each block came */
    int fault_block;            /* refuse this block with hardware-fault once (-1: none) */
    int temporary_verifies;     /* answer verify with temporary-failure this often */
    int cut_after;              /* the link breaks after this block (-1: never) */
    int info_when_verified;     /* attribute 7 lists the image only once verified */
    uint8_t signature[8];       /* attribute 7's signature */
    size_t signature_len;
    int silent_after_activate;  /* the link goes down once activate is answered */
} meter;

static meter M;
static queue TO_SERVER, TO_CLIENT;
static ds_assoc *CLIENT, *SERVER;
static int CUT;
static const uint8_t IMAGE_LN[6] = {0, 0, 44, 0, 0, 255};

static uint32_t blocks(void) { return M.block_size ? (uint32_t)((M.size + M.block_size - 1) / M.block_size) : 0; }

static uint32_t first_missing(void)
{
    uint32_t n = 0;
    while (n < blocks() && (M.held[n / 8] & (0x80u >> (n % 8)))) n++;
    return n;
}

static int m_accept(void *user, int client_sap, const ds_association *aarq, ds_assoc_settings *out)
{
    (void)user;
    (void)client_sap;
    (void)aarq;
    memset(out, 0, sizeof *out);
    out->role = DS_ASSOC_SERVER;
    out->logical_names = 1;
    out->conformance = 0x00FE1F;
    out->max_pdu = 1024;
    return 0;
}

static int m_get(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *access, ds_value_arena *a,
                 ds_value **out)
{
    (void)user;
    (void)client_sap;
    (void)access;
    if (ref->class_id != 18 || memcmp(ref->instance, IMAGE_LN, 6)) return 4;
    switch (ref->id) {
    case 2: *out = ds_value_new_uint(a, DS_DATA_DOUBLE_LONG_UNSIGNED, M.block_size); break;
    case 3: {
        *out = ds_value_new_bytes(a, DS_DATA_BIT_STRING, M.held, (blocks() + 7) / 8);
        if (*out) (*out)->u = blocks();
        break;
    }
    case 4: *out = ds_value_new_uint(a, DS_DATA_DOUBLE_LONG_UNSIGNED, first_missing()); break;
    case 5: *out = ds_value_new_uint(a, DS_DATA_BOOLEAN, 1); break;
    case 6: *out = ds_value_new_uint(a, DS_DATA_ENUM, M.status); break;
    case 7: {
        ds_value *arr = ds_value_new_data(a, DS_DATA_ARRAY), *s = ds_value_new_data(a, DS_DATA_STRUCTURE);
        ds_value_append(s, ds_value_new_uint(a, DS_DATA_DOUBLE_LONG_UNSIGNED, M.size));
        ds_value_append(s, ds_value_new_bytes(a, DS_DATA_OCTET_STRING, M.id, M.id_len));
        ds_value_append(s, ds_value_new_bytes(a, DS_DATA_OCTET_STRING, M.signature, M.signature_len));
        if (M.status >= (M.info_when_verified ? 3u : 1u)) ds_value_append(arr, s);
        *out = arr;
        break;
    }
    default: return 4;
    }
    return *out ? 0 : 250;
}

static int m_set(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *access, const ds_value *data)
{
    (void)user, (void)client_sap, (void)ref, (void)access, (void)data;
    return 3;
}

static int m_action(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *params, ds_value_arena *a,
                    ds_value **ret)
{
    (void)user, (void)client_sap, (void)a, (void)ret;
    if (ref->class_id != 18 || memcmp(ref->instance, IMAGE_LN, 6)) return 4;
    if (ref->id == 1) { /* {identifier, size} */
        const ds_value *id = ds_value_child(params, 0), *size = ds_value_child(params, 1);
        if (!params || params->tag != DS_DATA_STRUCTURE || !id || !size || size->u > IMG_MAX || id->len > 64) return 12;
        M.initiates++;
        M.size = size->u;
        M.id_len = id->len;
        memcpy(M.id, id->bytes, id->len);
        memset(M.held, 0, sizeof M.held);
        M.status = 1;
        return 0;
    }
    if (ref->id == 2) { /* {number, block} */
        const ds_value *n = ds_value_child(params, 0), *b = ds_value_child(params, 1);
        if (!params || !n || !b || M.status != 1 || n->u >= blocks()) return 12;
        uint32_t k = (uint32_t)n->u;
        size_t want = k + 1 == blocks() ? M.size - (size_t)k * M.block_size : M.block_size;
        if (b->len != want) return 12;
        if (k < 64) M.block_sends[k]++;
        if ((int)k == M.fault_block) {
            M.fault_block = -1;
            return 1; /* hardware-fault */
        }
        memcpy(M.image + (size_t)k * M.block_size, b->bytes, b->len);
        M.held[k / 8] |= (uint8_t)(0x80u >> (k % 8));
        if ((int)k == M.cut_after) CUT = 1;
        return 0;
    }
    if (ref->id == 3) {
        M.verifies++;
        if (M.temporary_verifies > 0) {
            M.temporary_verifies--;
            return 2; /* temporary-failure */
        }
        if (first_missing() != blocks()) return 250;
        M.status = 3;
        return 0;
    }
    if (ref->id == 4) {
        if (M.status != 3) return 250;
        M.activates++;
        M.status = 6;
        if (M.silent_after_activate) CUT = 1;
        return 0;
    }
    return 11;
}

static ds_server_objects OBJECTS = {NULL, m_accept, m_get, m_set, m_action};

static void pump(void)
{
    for (int round = 0; round < 10000; round++) {
        size_t n;
        uint8_t *a = q_pop(&TO_SERVER, &n);
        if (a) {
            ds_assoc_receive(SERVER, a, n);
            free(a);
        }
        uint8_t *b = q_pop(&TO_CLIENT, &n);
        if (b) {
            ds_assoc_receive(CLIENT, b, n);
            free(b);
        }
        if (!a && !b) return;
    }
    ck_abort_msg("the machines did not settle");
}

static int call(void *user, const uint8_t *apdu, size_t len, const ds_assoc_result **res)
{
    (void)user;
    if (CUT) return 2; /* the link is down */
    if (ds_assoc_request(CLIENT, apdu, len)) return 1;
    pump();
    ck_assert(!ds_assoc_busy(CLIENT));
    *res = ds_assoc_last_result(CLIENT);
    return 0;
}

static unsigned PAUSES;
static void pause_ms(void *user, unsigned ms)
{
    (void)user;
    (void)ms;
    PAUSES++;
}

static char LAST[400];
static void say(void *user, const char *line)
{
    (void)user;
    snprintf(LAST, sizeof LAST, "%s", line);
}

static int RECONNECTS, RECONNECT_WORKS;
static int reconnect(void *user)
{
    (void)user;
    RECONNECTS++;
    if (!RECONNECT_WORKS) return 2;
    CUT = 0;
    return 0;
}

static ds_run_image IM;

static uint8_t FILE_BYTES[5000];
static char PATH[64];

static void setup(void)
{
    memset(&M, 0, sizeof M);
    M.block_size = 256;
    M.fault_block = -1;
    M.cut_after = -1;
    CUT = 0;
    PAUSES = 0;
    RECONNECTS = 0;
    RECONNECT_WORKS = 1;
    memset(&IM, 0, sizeof IM);
    for (size_t i = 0; i < sizeof FILE_BYTES; i++) FILE_BYTES[i] = (uint8_t)(i * 7 + (i >> 8));
    snprintf(PATH, sizeof PATH, "/tmp/check_image.%ld.bin", (long)getpid());
    FILE *f = fopen(PATH, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(FILE_BYTES, 1, sizeof FILE_BYTES, f), sizeof FILE_BYTES);
    fclose(f);
    ds_assoc_settings c;
    memset(&c, 0, sizeof c);
    c.role = DS_ASSOC_CLIENT;
    c.logical_names = 1;
    c.conformance = 0x00FE1F;
    c.max_pdu = 1024;
    CLIENT = ds_assoc_new(&c, q_push, &TO_SERVER);
    ds_assoc_settings s = c;
    s.role = DS_ASSOC_SERVER;
    SERVER = ds_assoc_new(&s, q_push, &TO_CLIENT);
    ck_assert_ptr_nonnull(CLIENT);
    ck_assert_ptr_nonnull(SERVER);
    ds_assoc_serve(SERVER, &OBJECTS, 16);
    ck_assert_int_eq(ds_assoc_open(CLIENT), 0);
    pump();
    ck_assert(ds_assoc_is_open(CLIENT));
}

static void teardown(void)
{
    ds_assoc_free(CLIENT);
    ds_assoc_free(SERVER);
    size_t n;
    uint8_t *p;
    while ((p = q_pop(&TO_SERVER, &n))) free(p);
    while ((p = q_pop(&TO_CLIENT, &n))) free(p);
    unlink(PATH);
}

static int transfer(int resume)
{
    ds_run_image im;
    memset(&im, 0, sizeof im);
    snprintf(im.file, sizeof im.file, "%s", PATH);
    memcpy(im.identifier, "fw-1.2", 6);
    im.identifier_len = 6;
    memcpy(im.obis, IMAGE_LN, 6);
    im.verify = im.activate = 1;
    im.resume = resume;
    im.has_signature = IM.has_signature;
    im.signature_len = IM.signature_len;
    memcpy(im.signature, IM.signature, sizeof im.signature);
    im.reconnect = IM.reconnect;
    image_io io = {NULL, call, pause_ms, say, ds_assoc_peer_max_pdu(CLIENT), NULL, 0, 3, 20, 10, reconnect, 0};
    return image_transfer(&io, &im);
}

static void whole_image_held(void)
{
    ck_assert_uint_eq(M.size, sizeof FILE_BYTES);
    ck_assert_int_eq(memcmp(M.image, FILE_BYTES, sizeof FILE_BYTES), 0);
    ck_assert_uint_eq(first_missing(), 20);
    ck_assert_uint_eq(M.status, 6);
    ck_assert_int_eq(M.activates, 1);
}

START_TEST(whole_transfer)
{
    ck_assert_int_eq(transfer(0), 0);
    whole_image_held();
    ck_assert_int_eq(M.initiates, 1);
    for (int k = 0; k < 20; k++) ck_assert_uint_eq(M.block_sends[k], 1);
}
END_TEST

START_TEST(hardware_fault_once)
{
    M.fault_block = 2;
    ck_assert_int_eq(transfer(0), 0);
    whole_image_held();
    ck_assert_uint_eq(M.block_sends[2], 2);
    ck_assert_uint_eq(M.block_sends[3], 1);
}
END_TEST

START_TEST(hardware_fault_always)
{
    M.fault_block = 2;
    image_io io = {NULL, call, pause_ms, say, 1024, NULL, 0, 1, 20, 10, reconnect, 0}; /* one try: no retry */
    ds_run_image im;
    memset(&im, 0, sizeof im);
    snprintf(im.file, sizeof im.file, "%s", PATH);
    memcpy(im.identifier, "fw", 2);
    im.identifier_len = 2;
    memcpy(im.obis, IMAGE_LN, 6);
    im.verify = im.activate = 1;
    ck_assert_int_eq(image_transfer(&io, &im), 1);
    /* the meter's status read back: it holds blocks 0 and 1 */
    ck_assert_msg(strstr(LAST, "before 2") != NULL, "last message: %s", LAST);
    /* the failed stage stops the transfer: no further block, no verify, no activate */
    ck_assert_uint_eq(M.block_sends[3], 0);
    ck_assert_int_eq(M.verifies, 0);
    ck_assert_int_eq(M.activates, 0);
}
END_TEST

START_TEST(verify_temporary_failure)
{
    M.temporary_verifies = 3;
    ck_assert_int_eq(transfer(0), 0);
    whole_image_held();
    ck_assert_int_eq(M.verifies, 4);
    ck_assert_uint_ge(PAUSES, 3);
}
END_TEST

START_TEST(cut_and_resumed)
{
    M.cut_after = 7;
    ck_assert_int_eq(transfer(1), 2);
    ck_assert_uint_eq(first_missing(), 8);
    CUT = 0;
    M.cut_after = -1;
    ck_assert_int_eq(transfer(1), 0);
    whole_image_held();
    ck_assert_int_eq(M.initiates, 1);      /* not initiated again */
    for (int k = 0; k < 20; k++) ck_assert_uint_eq(M.block_sends[k], 1); /* no block twice */
}
END_TEST

START_TEST(resumed_before_attribute_7)
{
    M.info_when_verified = 1;
    M.cut_after = 11;
    ck_assert_int_eq(transfer(1), 2);
    CUT = 0;
    M.cut_after = -1;
    ck_assert_int_eq(transfer(1), 0);
    whole_image_held();
    ck_assert_int_eq(M.initiates, 1);
    for (int k = 0; k < 20; k++) ck_assert_uint_eq(M.block_sends[k], 1);
}
END_TEST

START_TEST(signature_equal)
{
    memcpy(M.signature, "\xA1\xB2\xC3", 3);
    M.signature_len = 3;
    IM.has_signature = 1;
    memcpy(IM.signature, "\xA1\xB2\xC3", 3);
    IM.signature_len = 3;
    ck_assert_int_eq(transfer(0), 0);
    whole_image_held();
}
END_TEST

START_TEST(signature_differs)
{
    memcpy(M.signature, "\xA1\xB2\xC3", 3);
    M.signature_len = 3;
    IM.has_signature = 1;
    memcpy(IM.signature, "\xA1\xB2\xC4", 3);
    IM.signature_len = 3;
    ck_assert_int_eq(transfer(0), 1);
    ck_assert_msg(strstr(LAST, "signature mismatch: attribute 7 gives 3 byte(s) A1B2C3, Signature is 3 byte(s) A1B2C4"),
                  "last message: %s", LAST);
    ck_assert_int_eq(M.activates, 0);
    ck_assert_uint_eq(M.status, 3);
}
END_TEST

START_TEST(reconnect_after_activate)
{
    M.silent_after_activate = 1;
    IM.reconnect = 1;
    ck_assert_int_eq(transfer(0), 0);
    whole_image_held();
    ck_assert_int_eq(RECONNECTS, 1);
    ck_assert_msg(strstr(LAST, "activation successful") != NULL, "last message: %s", LAST);
}
END_TEST

START_TEST(reconnect_fails)
{
    M.silent_after_activate = 1;
    IM.reconnect = 1;
    RECONNECT_WORKS = 0;
    ck_assert_int_eq(transfer(0), 2);
    ck_assert_int_eq(RECONNECTS, 1);
    ck_assert_msg(strstr(LAST, "could not reconnect") != NULL, "last message: %s", LAST);
}
END_TEST

START_TEST(block_longer_than_max_pdu)
{
    M.block_size = 2000; /* an ACTION of about 2024 bytes against a max PDU of 1024: pblocks */
    ck_assert_int_eq(transfer(0), 0);
    ck_assert_int_eq(memcmp(M.image, FILE_BYTES, sizeof FILE_BYTES), 0);
    ck_assert_uint_eq(M.status, 6);
}
END_TEST

static Suite *image_suite(void)
{
    Suite *s = suite_create("image");
    TCase *t = tcase_create("transfer");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, whole_transfer);
    tcase_add_test(t, hardware_fault_once);
    tcase_add_test(t, hardware_fault_always);
    tcase_add_test(t, verify_temporary_failure);
    tcase_add_test(t, cut_and_resumed);
    tcase_add_test(t, block_longer_than_max_pdu);
    tcase_add_test(t, resumed_before_attribute_7);
    tcase_add_test(t, signature_equal);
    tcase_add_test(t, signature_differs);
    tcase_add_test(t, reconnect_after_activate);
    tcase_add_test(t, reconnect_fails);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(image_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
