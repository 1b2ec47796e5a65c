/* The APDU tag table against REFERENCE.md §3.1, written out by hand here (not derived with the
 * table's own rule): which tags exist, who sends them, request/response pairs, the glo and ded
 * forms and their plain tags; and that the decoder's descriptions know exactly the same tags. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu.h"
#include "apdu/apdu_tags.h"
#include "link/llc.h"

/* every tag of §3.1 (E6/E7 gateway PDUs are GX's, reserved in the ASN.1: not APDUs here) */
static const uint8_t ALL[] = {
    0x60, 0x61, 0x62, 0x63, 0x01, 0x05, 0x06, 0x08, 0x0C, 0x0D, 0x0E, 0x0F, 0x16, 0x18,
    0x21, 0x25, 0x26, 0x28, 0x2C, 0x2D, 0x2E, 0x36, 0x38,
    0x41, 0x45, 0x46, 0x48, 0x4C, 0x4D, 0x4E, 0x56, 0x58,
    0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCF,
    0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDF, 0xE0,
};

/* sent by the client: AARQ, RLRQ, initiate, SN read/write/unconfirmed write, LN get/set/action,
 * access, each with its glo and ded forms where it has them */
static const uint8_t REQUESTS[] = {
    0x60, 0x62, 0x01, 0x05, 0x06, 0x16, 0x21, 0x25, 0x26, 0x36, 0x41, 0x45, 0x46, 0x56,
    0xC0, 0xC1, 0xC3, 0xC8, 0xC9, 0xCB, 0xD0, 0xD1, 0xD3, 0xD9,
};

/* sent by the server unasked */
static const uint8_t UNSOLICITED[] = {0x0F, 0x18, 0x38, 0x58, 0xC2, 0xCA, 0xD2};

/* either side: general ciphering and signing, general block transfer */
static const uint8_t EITHER[] = {0xDB, 0xDC, 0xDD, 0xDF, 0xE0};

/* request -> response */
static const uint8_t PAIRS[][2] = {
    {0x60, 0x61}, {0x62, 0x63}, {0x01, 0x08}, {0x05, 0x0C}, {0x06, 0x0D},
    {0x21, 0x28}, {0x25, 0x2C}, {0x26, 0x2D}, {0x41, 0x48}, {0x45, 0x4C}, {0x46, 0x4D},
    {0xC0, 0xC4}, {0xC1, 0xC5}, {0xC3, 0xC7}, {0xC8, 0xCC}, {0xC9, 0xCD}, {0xCB, 0xCF},
    {0xD0, 0xD4}, {0xD1, 0xD5}, {0xD3, 0xD7}, {0xD9, 0xDA},
};

/* plain -> glo, ded */
static const uint8_t CIPHERED[][3] = {
    {0x01, 0x21, 0x41}, {0x05, 0x25, 0x45}, {0x06, 0x26, 0x46}, {0x08, 0x28, 0x48}, {0x0C, 0x2C, 0x4C},
    {0x0D, 0x2D, 0x4D}, {0x0E, 0x2E, 0x4E}, {0x16, 0x36, 0x56}, {0x18, 0x38, 0x58},
    {0xC0, 0xC8, 0xD0}, {0xC1, 0xC9, 0xD1}, {0xC2, 0xCA, 0xD2}, {0xC3, 0xCB, 0xD3}, {0xC4, 0xCC, 0xD4},
    {0xC5, 0xCD, 0xD5}, {0xC7, 0xCF, 0xD7},
};

static int in(const uint8_t *list, size_t n, unsigned tag)
{
    return memchr(list, (int)tag, n) != NULL;
}

START_TEST(known_tags_and_names)
{
    size_t known = 0;
    for (unsigned t = 0; t < 256; t++) {
        const ds_apdu_tag_info *i = ds_apdu_tag((uint8_t)t);
        int want = in(ALL, sizeof ALL, t);
        ck_assert_msg((i->role != DS_APDU_NOT_AN_APDU) == want, "tag %02X", t);
        ck_assert_msg((i->service != NULL) == want, "name of %02X", t);
        known += (size_t)want;
    }
    ck_assert_uint_eq(known, sizeof ALL);
    ck_assert_str_eq(ds_apdu_tag(0xC0)->service, "get-request");
    ck_assert_str_eq(ds_apdu_tag(0xCC)->service, "glo-get-response");
    ck_assert_str_eq(ds_apdu_tag(0x4C)->service, "ded-readResponse");
    ck_assert_str_eq(ds_apdu_tag(0x2E)->service, "glo-confirmedServiceError");
    ck_assert_str_eq(ds_apdu_tag(0x60)->service, "AARQ");
    ck_assert_str_eq(ds_apdu_tag(0xE0)->service, "general-block-transfer");
}
END_TEST

/* the same tags as the descriptions the decoder walks: the two tables cannot drift apart */
START_TEST(same_tags_as_the_descriptions)
{
    for (unsigned t = 0; t < 256; t++)
        ck_assert_msg((ds_apdu_tag((uint8_t)t)->role != DS_APDU_NOT_AN_APDU) == (ds_apdu_lookup((uint8_t)t) != NULL),
                      "tag %02X", t);
}
END_TEST

START_TEST(who_sends_it)
{
    for (unsigned t = 0; t < 256; t++) {
        if (!in(ALL, sizeof ALL, t)) continue;
        uint8_t role = ds_apdu_tag((uint8_t)t)->role;
        uint8_t want = in(REQUESTS, sizeof REQUESTS, t)         ? DS_APDU_REQUEST
                       : in(UNSOLICITED, sizeof UNSOLICITED, t) ? DS_APDU_UNSOLICITED
                       : in(EITHER, sizeof EITHER, t)           ? DS_APDU_EITHER
                                                                : DS_APDU_RESPONSE;
        ck_assert_msg(role == want, "tag %02X: role %u, want %u", t, role, want);
        /* the LLC follows the sender: E6 E6 00 before a client's APDU, E6 E7 00 otherwise */
        ck_assert_msg(ds_llc_for_tag((uint8_t)t)[1] == (want == DS_APDU_REQUEST ? 0xE6 : 0xE7), "LLC of %02X", t);
    }
}
END_TEST

START_TEST(request_response_pairs)
{
    for (size_t i = 0; i < sizeof PAIRS / sizeof PAIRS[0]; i++) {
        uint8_t req = PAIRS[i][0], resp = PAIRS[i][1];
        ck_assert_msg(ds_apdu_tag(req)->answer == resp, "%02X answered by %02X", req, ds_apdu_tag(req)->answer);
        ck_assert_msg(ds_apdu_tag(resp)->answers == req, "%02X answers %02X", resp, ds_apdu_tag(resp)->answers);
        ck_assert_msg(ds_apdu_tag(req)->confirmed && ds_apdu_tag(resp)->confirmed, "%02X/%02X confirmed", req, resp);
    }
    /* no fixed partner: errors answer whatever came, unconfirmed services have no answer */
    static const uint8_t NONE[] = {0x0E, 0x2E, 0x4E, 0xD8, 0x0F, 0x16, 0x18, 0xC2, 0xE0, 0xDB};
    for (size_t i = 0; i < sizeof NONE; i++) {
        ck_assert_msg(ds_apdu_tag(NONE[i])->answer == 0 && ds_apdu_tag(NONE[i])->answers == 0, "%02X", NONE[i]);
    }
    static const uint8_t UNCONFIRMED[] = {0x0F, 0x16, 0x36, 0x56, 0x18, 0x38, 0x58, 0xC2, 0xCA, 0xD2};
    for (size_t i = 0; i < sizeof UNCONFIRMED; i++)
        ck_assert_msg(!ds_apdu_tag(UNCONFIRMED[i])->confirmed, "%02X unconfirmed", UNCONFIRMED[i]);
    ck_assert(ds_apdu_tag(0x0E)->confirmed && ds_apdu_tag(0xD8)->confirmed);
}
END_TEST

START_TEST(ciphered_forms)
{
    for (size_t i = 0; i < sizeof CIPHERED / sizeof CIPHERED[0]; i++) {
        uint8_t plain = CIPHERED[i][0], glo = CIPHERED[i][1], ded = CIPHERED[i][2];
        ck_assert_msg(ds_apdu_tag(plain)->glo == glo && ds_apdu_tag(plain)->ded == ded, "%02X", plain);
        ck_assert_msg(ds_apdu_tag(plain)->protection == DS_APDU_PLAIN && ds_apdu_tag(plain)->plain == plain, "%02X", plain);
        ck_assert_msg(ds_apdu_tag(glo)->protection == DS_APDU_GLO && ds_apdu_tag(glo)->plain == plain, "%02X", glo);
        ck_assert_msg(ds_apdu_tag(ded)->protection == DS_APDU_DED && ds_apdu_tag(ded)->plain == plain, "%02X", ded);
        ck_assert_msg(ds_apdu_tag(glo)->role == ds_apdu_tag(plain)->role, "%02X", glo);
        ck_assert_msg(ds_apdu_tag(ded)->role == ds_apdu_tag(plain)->role, "%02X", ded);
        ck_assert(ds_apdu_tag_is_ciphered(glo) && ds_apdu_tag_is_ciphered(ded) && !ds_apdu_tag_is_ciphered(plain));
    }
    /* no service-specific form: general ciphering carries them */
    static const uint8_t ONLY_PLAIN[] = {0x0F, 0x60, 0x61, 0x62, 0x63, 0xD8, 0xD9, 0xDA};
    for (size_t i = 0; i < sizeof ONLY_PLAIN; i++) {
        const ds_apdu_tag_info *t = ds_apdu_tag(ONLY_PLAIN[i]);
        ck_assert_msg(t->glo == 0 && t->ded == 0 && t->protection == DS_APDU_PLAIN, "%02X", ONLY_PLAIN[i]);
    }
    ck_assert_uint_eq(ds_apdu_tag(0xDB)->protection, DS_APDU_GENERAL_GLO);
    ck_assert_uint_eq(ds_apdu_tag(0xDC)->protection, DS_APDU_GENERAL_DED);
    ck_assert_uint_eq(ds_apdu_tag(0xDD)->protection, DS_APDU_GENERAL);
    ck_assert_uint_eq(ds_apdu_tag(0xDF)->protection, DS_APDU_SIGNED);
    ck_assert(ds_apdu_tag_is_ciphered(0xDB) && ds_apdu_tag_is_ciphered(0xDC) && ds_apdu_tag_is_ciphered(0xDD));
    ck_assert(!ds_apdu_tag_is_ciphered(0xDF) && !ds_apdu_tag_is_ciphered(0xE0));
    ck_assert_uint_eq(ds_apdu_tag(0xDD)->plain, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("apdu_tags");
    TCase *tc = tcase_create("apdu_tags");
    tcase_add_test(tc, known_tags_and_names);
    tcase_add_test(tc, same_tags_as_the_descriptions);
    tcase_add_test(tc, who_sends_it);
    tcase_add_test(tc, request_response_pairs);
    tcase_add_test(tc, ciphered_forms);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
