/* Hex test data for the Check suites: one checked reader instead of a copy in every suite. */
#ifndef DS_TEST_HEX_H
#define DS_TEST_HEX_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static inline int test_hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Hex text to bytes; white space is skipped. Anything else that is not a hex digit, an odd
 * number of digits or more than cap bytes fails the running test (a typo in test data must
 * not turn into different bytes). Returns the byte count. */
static inline size_t test_unhex(const char *text, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = text; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') continue;
        int v = test_hex_digit(*p);
        ck_assert_msg(v >= 0, "test data: '%c' is not hex", *p);
        if (hi < 0) {
            hi = v;
            continue;
        }
        ck_assert_msg(n < cap, "test data: more than %zu bytes", cap);
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    ck_assert_msg(hi < 0, "test data: odd number of hex digits");
    return n;
}

/* The bytes of testdata/corpus/NAME.hex (the suites run from the repository root). */
static inline size_t test_corpus(const char *name, uint8_t *out, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "testdata/corpus/%s.hex", name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return test_unhex(text, out, cap);
}

#endif
