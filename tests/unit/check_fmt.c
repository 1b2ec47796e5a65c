/* Number and hex formatting used on the output path. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/copy.h"
#include "util/fmt.h"

START_TEST(udec_edges)
{
    static const struct {
        uint64_t v;
        const char *want;
    } CASES[] = {{0, "0"}, {9, "9"}, {10, "10"}, {99, "99"}, {100, "100"}, {101, "101"}, {255, "255"}, {256, "256"}, {999, "999"},
                 {1000, "1000"}, {65535, "65535"}, {4294967295u, "4294967295"},
                 {UINT64_MAX, "18446744073709551615"}};
    char buf[24];
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        size_t n = ds_fmt_udec(buf, CASES[i].v);
        ck_assert_str_eq(buf, CASES[i].want);
        ck_assert_uint_eq(n, strlen(CASES[i].want));
    }
}
END_TEST

START_TEST(sdec_edges)
{
    char buf[24];
    ds_fmt_sdec(buf, -1);
    ck_assert_str_eq(buf, "-1");
    ds_fmt_sdec(buf, INT64_MIN);
    ck_assert_str_eq(buf, "-9223372036854775808");
    ds_fmt_sdec(buf, 200);
    ck_assert_str_eq(buf, "200");
}
END_TEST

START_TEST(uhex_padding)
{
    char buf[24];
    ck_assert_uint_eq(ds_fmt_uhex(buf, 0, 1), 1);
    ck_assert_str_eq(buf, "0");
    ds_fmt_uhex(buf, 0xC1, 2);
    ck_assert_str_eq(buf, "C1");
    ds_fmt_uhex(buf, 8, 4);
    ck_assert_str_eq(buf, "0008");
    ds_fmt_uhex(buf, 0x1FF, 2); /* wider than asked: all digits kept */
    ck_assert_str_eq(buf, "1FF");
    ds_fmt_uhex(buf, UINT64_MAX, 2);
    ck_assert_str_eq(buf, "FFFFFFFFFFFFFFFF");
    ds_fmt_uhex(buf, 0x12, 20); /* padding is capped at 16 digits */
    ck_assert_str_eq(buf, "0000000000000012");
}
END_TEST

START_TEST(shex_and_hex)
{
    char buf[40];
    ds_fmt_shex(buf, -200, 4);
    ck_assert_str_eq(buf, "FF38");
    ds_fmt_shex(buf, -128, 2);
    ck_assert_str_eq(buf, "80");
    static const uint8_t B[3] = {0x00, 0xAB, 0x7E};
    ck_assert_uint_eq(ds_fmt_hex(buf, B, 3), 6);
    ck_assert_str_eq(buf, "00AB7E");
}
END_TEST

START_TEST(text_builder_cuts_at_capacity)
{
    ds_text t;
    ds_text_init(&t);
    ds_text_str(&t, "id ");
    ds_text_uint(&t, 42);
    ds_text_str(&t, " ");
    ds_text_uint_w(&t, 7, 3);
    ds_text_str(&t, " ");
    ds_text_uhex(&t, 0xA, 2);
    ck_assert_str_eq(t.buf, "id 42 007 0A");
    for (int i = 0; i < 100; i++) ds_text_str(&t, "abcdef");
    ck_assert_uint_eq(t.len, sizeof t.buf - 1);
    ck_assert_int_eq(t.buf[sizeof t.buf - 1], '\0');
}
END_TEST

/* Every length of every size class of the inline copy, at odd offsets, against memcpy; the bytes
 * around the destination stay untouched. */
START_TEST(copy_short_every_length)
{
    char src[80], dst[100], want[100];
    for (size_t i = 0; i < sizeof src; i++) src[i] = (char)('a' + i % 26);
    for (size_t n = 0; n <= 70; n++) {
        memset(dst, '#', sizeof dst);
        memset(want, '#', sizeof want);
        ds_copy_short(dst + 3, src + 5, n);
        memcpy(want + 3, src + 5, n);
        ck_assert_msg(memcmp(dst, want, sizeof dst) == 0, "length %zu", n);
    }
}
END_TEST

/* The 16-byte block path and the byte tail give the same digits as a plain nibble loop, for
 * lengths around the block size and all byte values. */
START_TEST(hex_encode_blocks_and_tail)
{
    static const char D[] = "0123456789ABCDEF";
    uint8_t in[310];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)(i * 37 + 11);
    for (size_t i = 0; i < 256; i++) in[i] = (uint8_t)i;
    char out[2 * sizeof in + 8], want[2 * sizeof in + 8];
    /* every length up to three blocks (the inline short path, whole blocks, the padded tail
     * block and the byte-wise tail), and long ones; at two start offsets */
    size_t lengths[52];
    size_t count = 0;
    for (size_t n = 0; n <= 48; n++) lengths[count++] = n;
    lengths[count++] = 255, lengths[count++] = 256, lengths[count++] = 300;
    for (size_t start = 0; start <= 7; start += 7) {
        for (size_t k = 0; k < count; k++) {
            size_t n = lengths[k];
            const uint8_t *p = in + start;
            memset(out, '#', sizeof out);
            for (size_t i = 0; i < n; i++) {
                want[2 * i] = D[p[i] >> 4];
                want[2 * i + 1] = D[p[i] & 15];
            }
            ds_hex_encode(out, p, n);
            ck_assert_msg(memcmp(out, want, 2 * n) == 0, "length %zu at %zu", n, start);
            ck_assert_int_eq(out[2 * n], '#'); /* exactly 2n bytes written */
            /* the spilling form (n <= 16): the same digits, and for n > 4 nothing past 32 bytes */
            if (n > 16) continue;
            memset(out, '#', sizeof out);
            ds_hex_encode_upto16(out, p, n);
            ck_assert_msg(memcmp(out, want, 2 * n) == 0, "spill: length %zu at %zu", n, start);
            size_t written = n > 4 ? 32 : 2 * n;
            ck_assert_msg(out[written] == '#', "spill: length %zu wrote past %zu", n, written);
        }
    }
}
END_TEST

/* The short-value loads stay inside the value: each length in a heap block of exactly its size
 * (the sanitizer build reports a read past it). */
START_TEST(hex_encode_reads_only_the_value)
{
    static const char D[] = "0123456789ABCDEF";
    for (size_t n = 1; n <= 20; n++) {
        uint8_t *p = malloc(n);
        ck_assert_ptr_nonnull(p);
        char out[64], want[64];
        for (size_t i = 0; i < n; i++) {
            p[i] = (uint8_t)(0xF1 - 13 * i);
            want[2 * i] = D[p[i] >> 4];
            want[2 * i + 1] = D[p[i] & 15];
        }
        ds_hex_encode(out, p, n);
        ck_assert_msg(memcmp(out, want, 2 * n) == 0, "length %zu", n);
        if (n <= 16) {
            ds_hex_encode_upto16(out, p, n);
            ck_assert_msg(memcmp(out, want, 2 * n) == 0, "spill: length %zu", n);
        }
        free(p);
    }
}
END_TEST

START_TEST(uhex_digit_counts)
{
    char buf[24];
    static const struct {
        uint64_t v;
        int digits;
        const char *want;
    } CASES[] = {{0, 0, "0"}, {5, 0, "5"}, {5, 2, "05"}, {0xAB, 1, "AB"}, {0, 2, "00"}, {0xF, 1, "F"}, {0x10, 1, "10"}, {0xFFF, 1, "FFF"}, {0x1000, 1, "1000"}, {0x1000, 6, "001000"},
                 {0xABCDE, 1, "ABCDE"}, {0x123456789, 0, "123456789"}};
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        size_t n = ds_fmt_uhex(buf, CASES[i].v, CASES[i].digits);
        ck_assert_str_eq(buf, CASES[i].want);
        ck_assert_uint_eq(n, strlen(CASES[i].want));
    }
}
END_TEST

START_TEST(u8_every_value)
{
    for (unsigned v = 0; v < 256; v++) {
        char got[8] = {0}, want[8];
        size_t n = ds_fmt_u8(got, (uint8_t)v);
        snprintf(want, sizeof want, "%u", v);
        ck_assert_uint_eq(n, strlen(want));
        ck_assert_msg(memcmp(got, want, n) == 0, "value %u", v);
    }
}
END_TEST

START_TEST(plain_text_predicate)
{
    ck_assert_int_eq(ds_text_is_plain("", 0), 1);
    ck_assert_int_eq(ds_text_is_plain("0.0.1.0.0.255 Clock", 19), 1);
    ck_assert_int_eq(ds_text_is_plain("2017-10-01T00:00:00.00+01:00 dst", 32), 1);
    ck_assert_int_eq(ds_text_is_plain("-7F", 3), 1);
    /* each character a writer would have to escape, and the comment rules */
    static const char *const refused[] = {"a&b", "a<b", "a>b", "a\"b", "a\\b", "a--b", "ab-", "-", "a\tb",
                                          "a\x7F", "caf\xC3\xA9", "a\nb"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        ck_assert_msg(ds_text_is_plain(refused[i], strlen(refused[i])) == 0, "%s", refused[i]);
    ck_assert_int_eq(ds_text_is_plain("a\0b", 3), 0);  /* the length counts, not a NUL */
    ck_assert_int_eq(ds_text_is_plain("ab-", 2), 1);    /* only the bytes given are judged */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fmt");
    TCase *t = tcase_create("fmt");
    tcase_add_test(t, udec_edges);
    tcase_add_test(t, sdec_edges);
    tcase_add_test(t, uhex_padding);
    tcase_add_test(t, shex_and_hex);
    tcase_add_test(t, text_builder_cuts_at_capacity);
    tcase_add_test(t, copy_short_every_length);
    tcase_add_test(t, hex_encode_blocks_and_tail);
    tcase_add_test(t, hex_encode_reads_only_the_value);
    tcase_add_test(t, uhex_digit_counts);
    tcase_add_test(t, u8_every_value);
    tcase_add_test(t, plain_text_predicate);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
