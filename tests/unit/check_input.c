/* Check suite for the bytes-in layer (include/dlmscope/input.h). Expected
 * bytes are written out by hand from the inputs, not taken from the reader. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "dlmscope/input.h"
#include "input/linescan.h"

#define MAX_CHUNKS 64
#define MAX_DIAGS 16

typedef struct got_chunk {
    size_t start; /* index into result.bytes */
    size_t len;
    uint64_t offset;
    ds_meta meta;
    int record_start;
} got_chunk;

typedef struct result {
    uint8_t *bytes;
    size_t len;
    size_t cap;
    got_chunk chunks[MAX_CHUNKS];
    size_t nchunks;      /* may exceed MAX_CHUNKS; only the first ones are kept */
    size_t max_chunk;
    int contiguous;      /* every chunk's offset continued the previous one */
    ds_diag diags[MAX_DIAGS];
    size_t ndiags;
    ds_input_mode mode;
    int rc;              /* last return of ds_reader_next */
} result;

static void collect_diag(void *user, const ds_diag *d)
{
    result *res = user;
    if (res->ndiags < MAX_DIAGS) res->diags[res->ndiags] = *d;
    res->ndiags++;
}

static void append(result *res, const ds_chunk *ch)
{
    if (res->len + ch->len > res->cap) {
        size_t cap = (res->len + ch->len) * 2 + 16;
        uint8_t *p = realloc(res->bytes, cap);
        ck_assert_ptr_nonnull(p);
        res->bytes = p;
        res->cap = cap;
    }
    if (ch->offset != res->len) res->contiguous = 0;
    if (res->nchunks < MAX_CHUNKS) {
        got_chunk *g = &res->chunks[res->nchunks];
        g->start = res->len;
        g->len = ch->len;
        g->offset = ch->offset;
        g->meta = ch->meta;
        g->record_start = ch->record_start;
    }
    res->nchunks++;
    if (ch->len > res->max_chunk) res->max_chunk = ch->len;
    if (ch->len) memcpy(res->bytes + res->len, ch->data, ch->len);
    res->len += ch->len;
}

static void drain(FILE *f, ds_input_mode mode, result *res)
{
    memset(res, 0, sizeof *res);
    res->contiguous = 1;
    ds_reader *r = ds_reader_new(f, mode, collect_diag, res);
    ck_assert_ptr_nonnull(r);
    ds_chunk ch;
    while ((res->rc = ds_reader_next(r, &ch)) == 1) {
        ck_assert(ch.len > 0 || ch.record_start);
        append(res, &ch);
    }
    res->mode = ds_reader_mode(r);
    ds_reader_free(r);
}

static FILE *file_with(const void *data, size_t len)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    if (len) ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    rewind(f);
    return f;
}

static void read_mem(const char *text, ds_input_mode mode, result *res)
{
    size_t len = strlen(text);
    FILE *f = len ? fmemopen((void *)text, len, "r") : file_with(text, 0);
    ck_assert_ptr_nonnull(f);
    drain(f, mode, res);
    fclose(f);
    ck_assert_int_eq(res->rc, 0);
    ck_assert(res->contiguous);
}

static void read_text(const char *text, result *res)
{
    read_mem(text, DS_INPUT_AUTO, res);
}

static void free_result(result *res)
{
    free(res->bytes);
    res->bytes = NULL;
}

static void assert_bytes(const result *res, const uint8_t *want, size_t n)
{
    ck_assert_uint_eq(res->len, n);
    ck_assert(n == 0 || memcmp(res->bytes, want, n) == 0);
}

#define ASSERT_BYTES(res, ...)                                         \
    do {                                                               \
        static const uint8_t want_[] = {__VA_ARGS__};                  \
        assert_bytes((res), want_, sizeof want_);                      \
    } while (0)

static const uint8_t SNRM[] = {0x7E, 0xA0, 0x08, 0x02, 0x23, 0x21, 0x93, 0xBD, 0x64, 0x7E};

/* ---- shapes of hex ---------------------------------------------------------------------------- */

START_TEST(spaced_upper)
{
    result res;
    read_text("7E A0 08 02 23 21 93 BD 64 7E\n", &res);
    ck_assert_int_eq(res.mode, DS_INPUT_HEX);
    assert_bytes(&res, SNRM, sizeof SNRM);
    ck_assert_uint_eq(res.nchunks, 1);
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    ck_assert_uint_eq(res.chunks[0].meta.line, 1);
    ck_assert_int_eq(res.chunks[0].meta.dir, DS_DIR_UNKNOWN);
    ck_assert_str_eq(res.chunks[0].meta.timestamp, "");
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
}
END_TEST

START_TEST(compact_lower_no_newline)
{
    result res;
    read_text("7ea00802232193bd647e", &res);
    assert_bytes(&res, SNRM, sizeof SNRM);
    free_result(&res);
}
END_TEST

START_TEST(c_style_and_separators)
{
    const char *shapes[] = {
        "0x7E, 0xA0, 0x08, 0x02, 0x23, 0x21, 0x93, 0xBD, 0x64, 0x7E\n",
        "{0x7e,0xa0,0x08,0x02,0x23,0x21,0x93,0xbd,0x64,0x7e};\n",
        "7E:A0:08:02:23:21:93:BD:64:7E\n",
        "7E-A0-08-02-23-21-93-BD-64-7E\n",
        "7EA0 0802 2321 93BD 647E\n",
        "  \t7E A0 08 02\t23 21 93 BD 64 7E   \n",
        "0x7EA0080223 0x2193BD647E\n",
        "[7E A0 08 02 23 21 93 BD 64 7E]\n",
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        result res;
        read_text(shapes[i], &res);
        assert_bytes(&res, SNRM, sizeof SNRM);
        ck_assert_uint_eq(res.ndiags, 0);
        free_result(&res);
    }
}
END_TEST

START_TEST(single_digit_after_0x_is_a_byte)
{
    result res;
    read_text("0x7, 0xA0, 0x0\n", &res);
    ASSERT_BYTES(&res, 0x07, 0xA0, 0x00);
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
}
END_TEST

START_TEST(wrapped_lines_continue)
{
    result res;
    read_text("7E A0 08\n02 23 21\n93 BD 64 7E\n", &res);
    assert_bytes(&res, SNRM, sizeof SNRM);
    ck_assert_uint_eq(res.nchunks, 3);
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    ck_assert_int_eq(res.chunks[1].record_start, 0);
    ck_assert_int_eq(res.chunks[2].record_start, 0);
    for (int i = 0; i < 3; i++) ck_assert_uint_eq(res.chunks[i].meta.line, (uint64_t)i + 1);
    ck_assert_uint_eq(res.chunks[0].offset, 0);
    ck_assert_uint_eq(res.chunks[1].offset, 3);
    ck_assert_uint_eq(res.chunks[2].offset, 6);
    free_result(&res);
}
END_TEST

START_TEST(xxd_lines)
{
    /* 17 bytes: "0123456789abcdef" then 7E. The first ascii column is made of
     * hex digits itself and must not be read as data. */
    result res;
    read_text("00000000: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n"
              "00000010: 7e                                       ~\n",
              &res);
    ASSERT_BYTES(&res, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62,
                 0x63, 0x64, 0x65, 0x66, 0x7E);
    ck_assert_uint_eq(res.nchunks, 2);
    ck_assert_int_eq(res.chunks[1].record_start, 0);
    ck_assert_uint_eq(res.chunks[1].meta.line, 2);
    free_result(&res);

    read_text("00000000: 7ea0 0802 2321 93bd 647e                 ~...#!..d~\n", &res);
    assert_bytes(&res, SNRM, sizeof SNRM);
    free_result(&res);
}
END_TEST

START_TEST(hexdump_canonical)
{
    result res;
    read_text("00000000  7e a0 08 02 23 21 93 bd  64 7e                    |~...#!..d~|\n"
              "0000000a\n",
              &res);
    assert_bytes(&res, SNRM, sizeof SNRM);
    ck_assert_uint_eq(res.nchunks, 1);
    free_result(&res);

    /* two lines; the ascii column holds '|' and hex-looking text */
    read_text("00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 7c 66  |0123456789abcd|f|\n"
              "00000010  7e                                                |~|\n"
              "00000011\n",
              &res);
    ASSERT_BYTES(&res, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62,
                 0x63, 0x64, 0x7C, 0x66, 0x7E);
    free_result(&res);
}
END_TEST

START_TEST(squeezed_dump_lines_expand)
{
    /* 8-byte lines; "*" stands for two more copies of line 1 (offsets 8 and 10) */
    result res;
    read_text("00000000  00 01 02 03 04 05 06 07  |........|\n"
              "*\n"
              "00000018  7e a0 07 03 21 93 0f 01  |~...!...|\n"
              "*\n"
              "00000030\n",
              &res);
    ck_assert_uint_eq(res.len, 48);
    for (size_t k = 0; k < 24; k++) ck_assert_uint_eq(res.bytes[k], k % 8);
    static const uint8_t tail[] = {0x7E, 0xA0, 0x07, 0x03, 0x21, 0x93, 0x0F, 0x01};
    for (size_t k = 24; k < 48; k++) ck_assert_uint_eq(res.bytes[k], tail[k % 8]);
    ck_assert_uint_eq(res.chunks[1].meta.line, 2); /* the repetition comes from the "*" line */
    ck_assert_uint_eq(res.chunks[1].offset, 8);
    ck_assert_uint_eq(res.chunks[2].meta.line, 3);
    ck_assert_uint_eq(res.chunks[2].offset, 24);
    free_result(&res);

    /* od: octal offsets (0000020 = 16) */
    read_text("0000000 41 41 41 41 41 41 41 41\n*\n0000020 42\n0000021\n", &res);
    ck_assert_uint_eq(res.len, 17);
    ck_assert_uint_eq(res.bytes[15], 0x41);
    ck_assert_uint_eq(res.bytes[16], 0x42);
    free_result(&res);

    /* a repetition beyond the budget is reported and not expanded */
    read_text("00000000  00 01 02 03 04 05 06 07  |........|\n*\nfffffff8  01  |.|\n", &res);
    ASSERT_BYTES(&res, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x01);
    ck_assert_uint_eq(res.ndiags, 1);
    ck_assert_str_eq(res.diags[0].code, DS_D_INPUT_TOO_LARGE);
    ck_assert_int_eq(res.diags[0].severity, DS_SEV_ERROR);
    ck_assert_uint_eq(res.diags[0].line, 3);
    free_result(&res);

    /* ds_hex_parse_text returns repeated bytes too */
    const char *dump = "00000000  41 42 43 44  |ABCD|\n*\n00000010\n";
    size_t n = 0;
    uint8_t *p = ds_hex_parse_text(dump, strlen(dump), &n);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(n, 16);
    ck_assert_mem_eq(p + 12, "ABCD", 4);
    free(p);
}
END_TEST

START_TEST(od_lines)
{
    result res;
    read_text("0000000 7e a0 08 02 23 21 93 bd 64 7e\n0000012\n", &res);
    assert_bytes(&res, SNRM, sizeof SNRM);
    free_result(&res);

    /* od widens the offset to 8 digits after 2 MiB */
    read_text("7777760 7e a0 08 02 23\n10000000 21 93 bd 64 7e\n10000012\n", &res);
    assert_bytes(&res, SNRM, sizeof SNRM);
    free_result(&res);

    /* od -A x -t x1z: hex offset, >text< column */
    read_text("000000 7e a0 08 02 23 21 93 bd 64 7e                    >~...#!..d~<\n00000a\n", &res);
    assert_bytes(&res, SNRM, sizeof SNRM);
    free_result(&res);
}
END_TEST

START_TEST(wireshark_dump)
{
    result res;
    read_text("0000   30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66   0123456789abcdef\n"
              "0010   7e a0 08  02                                    ~...\n",
              &res);
    ASSERT_BYTES(&res, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62,
                 0x63, 0x64, 0x65, 0x66, 0x7E, 0xA0, 0x08, 0x02);
    ck_assert_int_eq(res.chunks[1].record_start, 0);
    free_result(&res);
}
END_TEST

/* ---- log lines ---------------------------------------------------------------------------------- */

typedef struct log_case {
    const char *line;
    ds_direction dir;
    const char *timestamp;
} log_case;

START_TEST(log_prefixes)
{
    static const log_case cases[] = {
        {"TX: 18:29:59 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, "18:29:59"},
        {"RX: 18:30:00.125 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, "18:30:00.125"},
        {"<- 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, ""},
        {"-> 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
        {"[2024-01-05 10:11:12.345] RX 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX,
         "2024-01-05 10:11:12.345"},
        {"2021-03-04 12:00:00 TX 7EA00802232193BD647E", DS_DIR_TX, "2021-03-04 12:00:00"},
        {"Sent: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
        {"Received: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, ""},
        {">> 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
        {"<< 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, ""},
        {"tx 7e a0 08 02 23 21 93 bd 64 7e", DS_DIR_TX, ""},
        {"recv: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, ""},
        {"SEND 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
        {"[RX] 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, ""},
        {"Client: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
        {"meter: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, ""},
        {"12:00:01 -> 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, "12:00:01"},
        {"2024-01-05T10:11:12Z RX: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX,
         "2024-01-05T10:11:12Z"},
        {"05.01.2024 10:11:12 RX 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX,
         "05.01.2024 10:11:12"},
        {"1704449472.123 TX 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, "1704449472.123"},
        {"[DEBUG] [10:11:12] TX: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, "10:11:12"},
        {"\x1b[32mTX\x1b[0m: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "intro prose line\n%s\n", cases[i].line);
        result res;
        read_text(text, &res);
        ck_assert_msg(res.len == sizeof SNRM && memcmp(res.bytes, SNRM, sizeof SNRM) == 0,
                      "bytes of case %zu: %s", i, cases[i].line);
        ck_assert_uint_eq(res.nchunks, 1);
        ck_assert_msg(res.chunks[0].meta.dir == cases[i].dir, "dir of case %zu", i);
        ck_assert_str_eq(res.chunks[0].meta.timestamp, cases[i].timestamp);
        ck_assert_uint_eq(res.chunks[0].meta.line, 2);
        ck_assert_int_eq(res.chunks[0].record_start, 1);
        free_result(&res);
    }
}
END_TEST

START_TEST(log_session_records)
{
    result res;
    read_text("TX: 18:29:59 7E A0 08 02 23 21\n"
              "93 BD 64 7E\n"
              "RX: 18:30:00 7E A0 07\n"
              "03 21\n",
              &res);
    ck_assert_uint_eq(res.len, 15);
    ck_assert_uint_eq(res.nchunks, 4);
    /* a prefixed line starts a record; the plain line after it continues it with the same meta */
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    ck_assert_int_eq(res.chunks[1].record_start, 0);
    ck_assert_int_eq(res.chunks[1].meta.dir, DS_DIR_TX);
    ck_assert_str_eq(res.chunks[1].meta.timestamp, "18:29:59");
    ck_assert_uint_eq(res.chunks[1].meta.line, 2);
    ck_assert_int_eq(res.chunks[2].record_start, 1);
    ck_assert_int_eq(res.chunks[2].meta.dir, DS_DIR_RX);
    ck_assert_str_eq(res.chunks[2].meta.timestamp, "18:30:00");
    ck_assert_uint_eq(res.chunks[2].offset, 10);
    ck_assert_int_eq(res.chunks[3].record_start, 0);
    ck_assert_int_eq(res.chunks[3].meta.dir, DS_DIR_RX);
    ck_assert_uint_eq(res.chunks[3].meta.line, 4);
    free_result(&res);
}
END_TEST

START_TEST(prefix_only_line_announces_record)
{
    result res;
    read_text("7E 01\n[2024-01-05 10:11:12] RX:\n7E A0\n07 03\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0x01, 0x7E, 0xA0, 0x07, 0x03);
    ck_assert_uint_eq(res.nchunks, 3);
    ck_assert_int_eq(res.chunks[1].record_start, 1);
    ck_assert_int_eq(res.chunks[1].meta.dir, DS_DIR_RX);
    ck_assert_str_eq(res.chunks[1].meta.timestamp, "2024-01-05 10:11:12");
    ck_assert_uint_eq(res.chunks[1].meta.line, 3);
    ck_assert_int_eq(res.chunks[2].record_start, 0);
    ck_assert_int_eq(res.chunks[2].meta.dir, DS_DIR_RX);
    free_result(&res);
}
END_TEST

START_TEST(timestamp_truncated)
{
    result res;
    read_text("[2024-01-05 10:11:12.345 2024-01-05 10:11:12.345 2024-01-05] TX 7E 01\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0x01);
    ck_assert_uint_eq(strlen(res.chunks[0].meta.timestamp), DS_TIMESTAMP_MAX - 1);
    ck_assert(strncmp(res.chunks[0].meta.timestamp, "2024-01-05 10:11:12.345 2024-01-05 10:1",
                      DS_TIMESTAMP_MAX - 1) == 0);
    free_result(&res);
}
END_TEST


START_TEST(labels_and_single_arrows)
{
    static const log_case cases[] = {
        {"Decrypted PDU: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_UNKNOWN, ""},
        {"PDU: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_UNKNOWN, ""},
        {"Data: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_UNKNOWN, ""},
        {"frame: 7EA00802232193BD647E", DS_DIR_UNKNOWN, ""},
        {"Send data: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
        {"Received data: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, ""},
        {"> 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
        {"< 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, ""},
        {"TX 18:29:59.120: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, "18:29:59.120"},
        {"18:29:59.120 RX Data: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, "18:29:59.120"},
        {"2:02:11 PM RX: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_RX, "2:02:11 PM"},
        {"TX:\t 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
        {"Send SNRM request.7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_TX, ""},
        {"Parsing UA reply: 7E A0 08 02 23 21 93 BD 64 7E", DS_DIR_UNKNOWN, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "7E 01\n%s\n", cases[i].line);
        result res;
        read_text(text, &res);
        ck_assert_msg(res.len == 2 + sizeof SNRM && memcmp(res.bytes + 2, SNRM, sizeof SNRM) == 0,
                      "bytes of case %zu: %s", i, cases[i].line);
        ck_assert_uint_eq(res.nchunks, 2);
        ck_assert_msg(res.chunks[1].meta.dir == cases[i].dir, "dir of case %zu", i);
        ck_assert_str_eq(res.chunks[1].meta.timestamp, cases[i].timestamp);
        ck_assert_msg(res.chunks[1].record_start == 1, "a label starts a record: case %zu", i);
        ck_assert_uint_eq(res.ndiags, 0);
        free_result(&res);
    }
}
END_TEST

/* socat -x -v: a header per block, hex lines with a text column, "--" after each block. Blocks
 * of one direction make one record; the time of each block marks its bytes. */
START_TEST(serial_socat_blocks)
{
    result res;
    read_text("> 2024/01/01 12:00:00.000000  length=3 from=0 to=2\n"
              " 7e a0 08                                         ~..\n"
              "--\n"
              "> 2024/01/01 12:00:00.010000  length=2 from=3 to=4\n"
              " 02 23                                            .#\n"
              "--\n"
              "< 2024/01/01 12:00:00.050000  length=1 from=0 to=0\n"
              " 7e                                               ~\n"
              "--\n",
              &res);
    ASSERT_BYTES(&res, 0x7E, 0xA0, 0x08, 0x02, 0x23, 0x7E);
    ck_assert_uint_eq(res.nchunks, 3);
    ck_assert_int_eq(res.chunks[0].meta.dir, DS_DIR_TX);
    ck_assert_str_eq(res.chunks[0].meta.timestamp, "2024/01/01 12:00:00.000000");
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    ck_assert_int_eq(res.chunks[1].meta.dir, DS_DIR_TX);
    ck_assert_str_eq(res.chunks[1].meta.timestamp, "2024/01/01 12:00:00.010000");
    ck_assert_int_eq(res.chunks[1].record_start, 0); /* same direction: the record goes on */
    ck_assert_uint_eq(res.chunks[1].meta.line, res.chunks[0].meta.line); /* ... as one line */
    ck_assert_int_eq(res.chunks[2].meta.dir, DS_DIR_RX);
    ck_assert_int_eq(res.chunks[2].record_start, 1);
    ck_assert_uint_eq(res.chunks[2].meta.line, 7); /* its header's line */
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
}
END_TEST

/* interceptty: one byte per line, with its character when printable. */
START_TEST(serial_interceptty_bytes)
{
    result res;
    read_text("> 0x7e (~)\n> 0xa0\n> 0x23 (#)\n< 0x7e (~)\n< 0x28 (()\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0xA0, 0x23, 0x7E, 0x28);
    ck_assert_uint_eq(res.nchunks, 5);
    for (size_t k = 0; k < 5; k++) {
        ck_assert_int_eq(res.chunks[k].meta.dir, k < 3 ? DS_DIR_TX : DS_DIR_RX);
        ck_assert_int_eq(res.chunks[k].record_start, k == 0 || k == 3);
        ck_assert_uint_eq(res.chunks[k].meta.line, k < 3 ? 1 : 4);
    }
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
    /* a character that is not the byte's: not interceptty's line, so text */
    read_text("> 0x7e (x)\n", &res);
    ck_assert_uint_eq(res.len, 0);
    free_result(&res);
}
END_TEST

/* slsnif: "Host   -->" is what the program sent (TX), "Device -->" what came back (RX); the
 * hex may go on over lines, blank lines come between blocks. */
START_TEST(serial_slsnif_blocks)
{
    result res;
    read_text("Host   --> 7e a0\n08\n\nHost   --> 02\n\nDevice --> 7e\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0xA0, 0x08, 0x02, 0x7E);
    ck_assert_uint_eq(res.nchunks, 4);
    ck_assert_int_eq(res.chunks[0].meta.dir, DS_DIR_TX);
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    ck_assert_int_eq(res.chunks[1].record_start, 0);
    ck_assert_int_eq(res.chunks[2].meta.dir, DS_DIR_TX);
    ck_assert_int_eq(res.chunks[2].record_start, 0);
    ck_assert_uint_eq(res.chunks[2].meta.line, 1);
    ck_assert_int_eq(res.chunks[3].meta.dir, DS_DIR_RX);
    ck_assert_int_eq(res.chunks[3].record_start, 1);
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
}
END_TEST

START_TEST(director_time_line_gives_its_time)
{
    result res;
    read_text("14:02:10 Send SNRM request.\r\nTX:\t 7E 01\r\n14:02:10 \r\nRX:\t 7E 02\r\n12:34\n", &res);
    /* "12:34" alone (no seconds) stays colon-separated hex */
    ASSERT_BYTES(&res, 0x7E, 0x01, 0x7E, 0x02, 0x12, 0x34);
    ck_assert_uint_eq(res.nchunks, 3);
    /* the time before "Send SNRM request." is the TX entry's (OnTrace writes time, text, then TX:) */
    ck_assert_int_eq(res.chunks[0].meta.dir, DS_DIR_TX);
    ck_assert_str_eq(res.chunks[0].meta.timestamp, "14:02:10");
    ck_assert_int_eq(res.chunks[1].meta.dir, DS_DIR_RX);
    ck_assert_str_eq(res.chunks[1].meta.timestamp, "14:02:10");
    ck_assert_str_eq(res.chunks[2].meta.timestamp, "14:02:10"); /* the RX entry's time goes on */
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
}
END_TEST

START_TEST(unread_hex_and_no_data_reported)
{
    result res;
    read_text("Meter log\nthe meter sent 7E A0 07 03 21 73 and stopped\nWe saw DEAD BEEF\n", &res);
    ck_assert_uint_eq(res.len, 0);
    ck_assert_uint_eq(res.ndiags, 2);
    ck_assert_str_eq(res.diags[0].code, "input.unread-hex");
    ck_assert_int_eq(res.diags[0].severity, DS_SEV_WARNING);
    ck_assert_uint_eq(res.diags[0].line, 2);
    ck_assert_str_eq(res.diags[1].code, "input.no-data");
    ck_assert_int_eq(res.diags[1].severity, DS_SEV_ERROR);
    ck_assert_uint_eq(res.diags[1].line, 0); /* the whole input's, not its last line's */
    free_result(&res);
    /* an empty input says so as well; an input with bytes does not */
    read_text("", &res);
    ck_assert_uint_eq(res.ndiags, 1);
    ck_assert_str_eq(res.diags[0].code, "input.no-data");
    free_result(&res);
    read_text("7E 01\nno hex in this line\n", &res);
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
}
END_TEST

/* ---- prose -------------------------------------------------------------------------------------- */

START_TEST(prose_is_skipped)
{
    result res;
    read_text("Capture of the meter session\n"
              "Frame was BAD\n"
              "Received 3 bytes\n"
              "We saw DEAD BEEF in a sentence\n"
              "Add a bad face\n"
              "A\n"
              "TX at 12:00 the meter did not answer\n"
              "7E 01 02\n"
              "Then the answer came:\n"
              "7E 03\n",
              &res);
    ASSERT_BYTES(&res, 0x7E, 0x01, 0x02, 0x7E, 0x03);
    ck_assert_uint_eq(res.nchunks, 2);
    ck_assert_uint_eq(res.chunks[0].meta.line, 8);
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    ck_assert_int_eq(res.chunks[0].meta.dir, DS_DIR_UNKNOWN);
    ck_assert_uint_eq(res.chunks[1].meta.line, 10);
    ck_assert_int_eq(res.chunks[1].record_start, 1);
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
}
END_TEST

START_TEST(hex_words_alone_are_hex)
{
    result res;
    read_text("CAFE\nDEAD BEEF\n", &res);
    ASSERT_BYTES(&res, 0xCA, 0xFE, 0xDE, 0xAD, 0xBE, 0xEF);
    ck_assert_int_eq(res.chunks[1].record_start, 0);
    free_result(&res);
}
END_TEST

START_TEST(prose_and_blank_lines_reset_record_and_meta)
{
    result res;
    read_text("TX: 7E 01\nsome note\n7E 02\nRX: 7E 03\n\n7E 04\n# comment\n7E 05 // trailing\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0x01, 0x7E, 0x02, 0x7E, 0x03, 0x7E, 0x04, 0x7E, 0x05);
    ck_assert_uint_eq(res.nchunks, 5);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(res.chunks[i].record_start, 1);
    ck_assert_int_eq(res.chunks[0].meta.dir, DS_DIR_TX);
    ck_assert_int_eq(res.chunks[1].meta.dir, DS_DIR_UNKNOWN);
    ck_assert_int_eq(res.chunks[2].meta.dir, DS_DIR_RX);
    ck_assert_int_eq(res.chunks[3].meta.dir, DS_DIR_UNKNOWN);
    ck_assert_uint_eq(res.chunks[3].meta.line, 6);
    ck_assert_uint_eq(res.chunks[4].meta.line, 8);
    free_result(&res);
}
END_TEST

/* ---- line endings, empty input ----------------------------------------------------------------- */

START_TEST(crlf_line_endings)
{
    result res;
    read_text("TX: 7E A0\r\n08 02\r\n\r\n7E 01\r\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0xA0, 0x08, 0x02, 0x7E, 0x01);
    ck_assert_uint_eq(res.nchunks, 3);
    ck_assert_uint_eq(res.chunks[1].meta.line, 2);
    ck_assert_int_eq(res.chunks[1].record_start, 0);
    ck_assert_uint_eq(res.chunks[2].meta.line, 4);
    ck_assert_int_eq(res.chunks[2].record_start, 1);
    free_result(&res);
}
END_TEST

START_TEST(bom_is_ignored)
{
    result res;
    read_text("\xEF\xBB\xBF" "7E 01\n", &res);
    ck_assert_int_eq(res.mode, DS_INPUT_HEX);
    ASSERT_BYTES(&res, 0x7E, 0x01);
    free_result(&res);
}
END_TEST

START_TEST(empty_input)
{
    result res;
    read_text("", &res);
    ck_assert_uint_eq(res.len, 0);
    ck_assert_uint_eq(res.nchunks, 0);
    free_result(&res);
    read_text("\n\n   \n", &res);
    ck_assert_uint_eq(res.nchunks, 0);
    free_result(&res);
    size_t n = 99;
    ck_assert_ptr_null(ds_hex_parse_text("", 0, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(ds_hex_parse_text("no hex here\n", 12, &n));
    ck_assert_ptr_null(ds_hex_parse_text(NULL, 5, &n));
}
END_TEST

/* ---- odd digits --------------------------------------------------------------------------------- */

/* A terminal's hex display wraps at the screen's width, between the digits of a byte too. */
START_TEST(wrap_between_digits_joins_the_byte)
{
    result res;
    read_text("7e a0 0\n8 02 2\n3 21\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0xA0, 0x08, 0x02, 0x23, 0x21);
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);

    /* the next line does not begin with a lone digit: the warning names the first line */
    read_text("7e 0\nbc 01\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0xBC, 0x01);
    ck_assert_uint_eq(res.ndiags, 1);
    ck_assert_str_eq(res.diags[0].code, DS_D_INPUT_ODD_HEX);
    ck_assert_uint_eq(res.diags[0].line, 1);
    ck_assert_uint_eq(res.diags[0].offset, 1);
    free_result(&res);

    /* a line in between, or a direction on the next line, keeps them apart */
    read_text("7e 0\nTX: 1 02\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0x02);
    ck_assert_uint_eq(res.ndiags, 2);
    ck_assert_uint_eq(res.diags[0].line, 1);
    ck_assert_uint_eq(res.diags[1].line, 2);
    free_result(&res);
}
END_TEST

START_TEST(odd_hex_digit_reported)
{
    result res;
    read_text("7E A0\n7EA0 7\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0xA0, 0x7E, 0xA0);
    ck_assert_uint_eq(res.ndiags, 1);
    ck_assert_str_eq(res.diags[0].code, DS_D_INPUT_ODD_HEX);
    ck_assert_int_eq(res.diags[0].severity, DS_SEV_WARNING);
    ck_assert_uint_eq(res.diags[0].line, 2);
    ck_assert_uint_eq(res.diags[0].offset, 4);
    ck_assert(strlen(res.diags[0].message) > 0);
    free_result(&res);

    read_text("7EA07 01\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0xA0, 0x01);
    ck_assert_uint_eq(res.ndiags, 1);
    ck_assert_uint_eq(res.diags[0].offset, 2);
    free_result(&res);

    /* a lone letter among data bytes is a typo in data, not a word of prose */
    read_text("7E A0 B 01 02\n", &res);
    ASSERT_BYTES(&res, 0x7E, 0xA0, 0x01, 0x02);
    ck_assert_uint_eq(res.ndiags, 1);
    ck_assert_uint_eq(res.diags[0].offset, 2);
    ck_assert_ptr_nonnull(strchr(res.diags[0].message, 'B'));
    free_result(&res);
}
END_TEST

START_TEST(many_odd_digits_summarised)
{
    result res;
    read_text("7E 1 2 3 4 5 6 7 8 9 0 1 AABBCCDDEEFF00112233445566778899\n", &res);
    ck_assert_uint_eq(res.len, 17);
    /* 11 lone digits: 8 reported one by one, then one summary */
    ck_assert_uint_eq(res.ndiags, 9);
    ck_assert_ptr_nonnull(strstr(res.diags[8].message, "3 more"));
    free_result(&res);
}
END_TEST

/* ---- long lines -------------------------------------------------------------------------------- */

static uint8_t pattern(size_t i) { return (uint8_t)(i * 7 + 3); }

static char *long_hex_line(const char *prefix, size_t nbytes, const char *suffix)
{
    size_t plen = strlen(prefix);
    size_t slen = strlen(suffix);
    char *text = malloc(plen + nbytes * 2 + slen + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, prefix, plen);
    for (size_t i = 0; i < nbytes; i++) {
        text[plen + 2 * i] = "0123456789ABCDEF"[pattern(i) >> 4];
        text[plen + 2 * i + 1] = "0123456789abcdef"[pattern(i) & 15];
    }
    memcpy(text + plen + 2 * nbytes, suffix, slen + 1);
    return text;
}

START_TEST(very_long_hex_line)
{
    char *text = long_hex_line("RX: 10:00:00 ", 150000, "\n7E 01\n");
    result res;
    read_text(text, &res);
    ck_assert_uint_eq(res.len, 150002);
    for (size_t i = 0; i < 150000; i++)
        if (res.bytes[i] != pattern(i)) ck_abort_msg("byte %zu wrong", i);
    ck_assert(res.max_chunk <= 65536);
    ck_assert_uint_ge(res.nchunks, 4); /* 150000 bytes need at least 3 chunks, plus line 2 */
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    ck_assert_int_eq(res.chunks[0].meta.dir, DS_DIR_RX);
    ck_assert_str_eq(res.chunks[0].meta.timestamp, "10:00:00");
    for (size_t i = 1; i + 1 < res.nchunks; i++) {
        ck_assert_int_eq(res.chunks[i].record_start, 0);
        ck_assert_uint_eq(res.chunks[i].meta.line, 1);
        ck_assert_int_eq(res.chunks[i].meta.dir, DS_DIR_RX);
    }
    ck_assert_uint_eq(res.chunks[res.nchunks - 1].meta.line, 2);
    ck_assert_uint_eq(res.chunks[res.nchunks - 1].offset, 150000);
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
    free(text);
}
END_TEST

START_TEST(very_long_line_odd_tail_and_spaced)
{
    /* spaced long line ending in a lone digit */
    size_t n = 100000;
    char *text = malloc(n * 3 + 16);
    ck_assert_ptr_nonnull(text);
    size_t p = 0;
    for (size_t i = 0; i < n; i++) p += (size_t)sprintf(text + p, "%02X ", pattern(i));
    strcpy(text + p, "F\n");
    result res;
    read_text(text, &res);
    ck_assert_uint_eq(res.len, n);
    for (size_t i = 0; i < n; i++)
        if (res.bytes[i] != pattern(i)) ck_abort_msg("byte %zu wrong", i);
    ck_assert_uint_eq(res.ndiags, 1);
    ck_assert_str_eq(res.diags[0].code, DS_D_INPUT_ODD_HEX);
    ck_assert_uint_eq(res.diags[0].offset, n);
    ck_assert_uint_eq(res.diags[0].line, 1);
    free_result(&res);
    free(text);
}
END_TEST

START_TEST(very_long_prose_line_skipped)
{
    size_t n = 50000;
    char *text = malloc(n + 32);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < n; i++) text[i] = (i % 6 == 5) ? ' ' : "words"[i % 6];
    strcpy(text + n, "\n7E 01\n");
    result res;
    read_text(text, &res);
    ASSERT_BYTES(&res, 0x7E, 0x01);
    ck_assert_uint_eq(res.chunks[0].meta.line, 2);
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    free_result(&res);
    free(text);
}
END_TEST

START_TEST(long_line_stops_at_trailing_text)
{
    char *text = long_hex_line("", 10000, " and then words\n7E 01\n");
    result res;
    read_text(text, &res);
    ck_assert_uint_eq(res.len, 10002);
    for (size_t i = 0; i < 10000; i++)
        if (res.bytes[i] != pattern(i)) ck_abort_msg("byte %zu wrong", i);
    free_result(&res);
    free(text);
}
END_TEST

/* ---- binary ------------------------------------------------------------------------------------- */

START_TEST(binary_with_nul_bytes)
{
    static const uint8_t frame[] = {0x7E, 0xA0, 0x07, 0x03, 0x21, 0x93, 0x0F, 0x01, 0x7E, 0x00};
    FILE *f = file_with(frame, sizeof frame);
    result res;
    drain(f, DS_INPUT_AUTO, &res);
    fclose(f);
    ck_assert_int_eq(res.rc, 0);
    ck_assert_int_eq(res.mode, DS_INPUT_BINARY);
    assert_bytes(&res, frame, sizeof frame);
    ck_assert_uint_eq(res.chunks[0].meta.line, 0);
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    free_result(&res);
}
END_TEST

/* A file of one byte 0xE5 (the M-Bus acknowledgement) is binary: a UTF-8 lead byte that the
 * whole input cuts short is not the start of a character (it was read as text without hex:
 * input.no-data). Text that ends in a whole UTF-8 character stays text. */
START_TEST(binary_lone_e5)
{
    static const uint8_t ack[] = {0xE5};
    FILE *f = file_with(ack, sizeof ack);
    result res;
    drain(f, DS_INPUT_AUTO, &res);
    fclose(f);
    ck_assert_int_eq(res.mode, DS_INPUT_BINARY);
    assert_bytes(&res, ack, sizeof ack);
    ck_assert_uint_eq(res.ndiags, 0);
    free_result(&res);
    read_text("7E A0 07 03 21 93 0F 01 7E \xC3\xA9\n", &res);
    ck_assert_int_eq(res.mode, DS_INPUT_HEX);
    free_result(&res);
}
END_TEST

START_TEST(binary_random_bytes)
{
    size_t n = 200000;
    uint8_t *data = malloc(n);
    ck_assert_ptr_nonnull(data);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)(x >> 16);
        if (data[i] == 0) data[i] = 1; /* no NUL: the share of odd bytes must decide */
    }
    FILE *f = file_with(data, n);
    result res;
    drain(f, DS_INPUT_AUTO, &res);
    fclose(f);
    ck_assert_int_eq(res.rc, 0);
    ck_assert_int_eq(res.mode, DS_INPUT_BINARY);
    assert_bytes(&res, data, n);
    ck_assert(res.contiguous);
    ck_assert(res.max_chunk <= 65536);
    ck_assert_uint_ge(res.max_chunk, 4096); /* big blocks, not tiny reads */
    ck_assert_int_eq(res.chunks[0].record_start, 1);
    ck_assert_int_eq(res.chunks[1].record_start, 0);
    ck_assert_uint_eq(res.chunks[1].meta.line, 0);
    free_result(&res);
    free(data);
}
END_TEST

START_TEST(forced_modes)
{
    const char *text = "7E 01\n";
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    result res;
    drain(f, DS_INPUT_BINARY, &res);
    fclose(f);
    ck_assert_int_eq(res.mode, DS_INPUT_BINARY);
    assert_bytes(&res, (const uint8_t *)text, strlen(text));
    free_result(&res);

    /* forced text on bytes that would sniff as binary: the hex line is still found */
    static const char mixed[] = "\x01\x02\x03\x04\n7E 02\n";
    f = fmemopen((void *)mixed, sizeof mixed - 1, "r");
    drain(f, DS_INPUT_HEX, &res);
    fclose(f);
    ck_assert_int_eq(res.mode, DS_INPUT_HEX);
    ASSERT_BYTES(&res, 0x7E, 0x02);
    free_result(&res);

    f = fmemopen((void *)mixed, sizeof mixed - 1, "r");
    drain(f, DS_INPUT_AUTO, &res);
    fclose(f);
    ck_assert_int_eq(res.mode, DS_INPUT_BINARY);
    free_result(&res);
}
END_TEST

START_TEST(mode_before_and_bad_arguments)
{
    const char *text = "7E\n";
    FILE *f = fmemopen((void *)text, 3, "r");
    ds_reader *r = ds_reader_new(f, DS_INPUT_AUTO, NULL, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(ds_reader_mode(r), DS_INPUT_AUTO);
    ds_chunk ch;
    ck_assert_int_eq(ds_reader_next(r, &ch), 1);
    ck_assert_int_eq(ds_reader_mode(r), DS_INPUT_HEX);
    ck_assert_int_eq(ds_reader_next(r, &ch), 0);
    ck_assert_int_eq(ds_reader_next(r, &ch), 0);
    ck_assert_int_eq(ds_reader_next(r, NULL), -1);
    ds_reader_free(r);
    fclose(f);
    ck_assert_ptr_null(ds_reader_new(NULL, DS_INPUT_AUTO, NULL, NULL));
    ds_reader_free(NULL);
}
END_TEST

START_TEST(read_error_reported)
{
    FILE *f = fopen("/dev/null", "w"); /* reading a write-only stream fails */
    ck_assert_ptr_nonnull(f);
    ds_reader *r = ds_reader_new(f, DS_INPUT_HEX, NULL, NULL);
    ds_chunk ch;
    errno = 0;
    ck_assert_int_eq(ds_reader_next(r, &ch), -1);
    ck_assert_int_ne(errno, 0);
    ds_reader_free(r);
    fclose(f);
}
END_TEST

/* The reader takes text from the FILE in blocks (16 KiB; 64 KiB is a
 * boundary for any power-of-two size up to it): a CRLF, an ANSI escape and a
 * line split by a block boundary must read as if whole. */
START_TEST(text_split_across_input_blocks)
{
    const size_t block = 65536;
    const char *tail = "01 02 \r\n03\r\n\x1B[1m04\x1B[0m 05\n";
    size_t pad = block - 7; /* "01 02 " then the CR as the block's last byte */
    size_t len = pad + strlen(tail);
    char *text = malloc(len + 1);
    ck_assert_ptr_nonnull(text);
    memset(text, 'z', pad - 1); /* one long prose line */
    text[pad - 1] = '\n';
    memcpy(text + pad, tail, strlen(tail) + 1);
    ck_assert_int_eq(text[block - 1], '\r');
    for (int pass = 0; pass < 2; pass++) {
        FILE *f = pass == 0 ? file_with(text, len) : fmemopen(text, len, "r");
        ck_assert_ptr_nonnull(f);
        result res;
        drain(f, DS_INPUT_HEX, &res);
        fclose(f);
        ck_assert_int_eq(res.rc, 0);
        ASSERT_BYTES(&res, 0x01, 0x02, 0x03, 0x04, 0x05);
        ck_assert_uint_eq(res.nchunks, 3);
        ck_assert_uint_eq(res.chunks[0].meta.line, 2);
        ck_assert_uint_eq(res.chunks[1].meta.line, 3); /* the split CRLF is one line end */
        ck_assert_uint_eq(res.chunks[2].meta.line, 4);
        ck_assert_int_eq(res.chunks[1].record_start, 0);
        ck_assert_uint_eq(res.chunks[2].len, 2);
        free_result(&res);
    }
    /* a 1 MB log of many lines crosses blocks in every place of a line */
    size_t lines = 20000;
    char *log = malloc(lines * 32 + 1);
    ck_assert_ptr_nonnull(log);
    size_t p = 0;
    for (size_t i = 0; i < lines; i++)
        p += (size_t)sprintf(log + p, "%s: 10:00:%02u %02X %02X%s", i % 2 ? "RX" : "TX", (unsigned)(i % 60),
                             (unsigned)(i & 0xFF), (unsigned)((i >> 8) & 0xFF), i % 3 ? "\n" : "\r\n");
    FILE *f = file_with(log, p);
    result res;
    drain(f, DS_INPUT_AUTO, &res);
    fclose(f);
    ck_assert_uint_eq(res.len, 2 * lines);
    ck_assert_uint_ge(res.nchunks, MAX_CHUNKS);
    for (size_t i = 0; i < lines; i++)
        if (res.bytes[2 * i] != (i & 0xFF) || res.bytes[2 * i + 1] != ((i >> 8) & 0xFF))
            ck_abort_msg("line %zu decoded wrong", i + 1);
    ck_assert_uint_eq(res.chunks[MAX_CHUNKS - 1].meta.line, MAX_CHUNKS);
    ck_assert_int_eq(res.chunks[MAX_CHUNKS - 1].meta.dir, DS_DIR_RX);
    ck_assert_str_eq(res.chunks[MAX_CHUNKS - 1].meta.timestamp, "10:00:03");
    free_result(&res);
    free(log);
    free(text);
}
END_TEST

/* Feeds text to a tokenizer one character at a time (the reference) and
 * through ds_hexrun_feed_quick() with the same fallback the reader uses;
 * both must end in the same state with the same bytes. */
static void feed_both_ways(const char *text)
{
    size_t n = strlen(text);
    uint8_t slow_out[256], quick_out[256];
    size_t slow_len = 0, quick_len = 0;
    ds_hexrun slow, quick;
    ds_hexrun_init(&slow);
    ds_hexrun_init(&quick);
    ck_assert_uint_lt(n, sizeof slow_out);
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        if (ds_hexrun_feed(&slow, (unsigned char)text[i], &b) == DS_HEX_BYTE) slow_out[slow_len++] = b;
    }
    for (size_t i = 0; i < n;) {
        i += ds_hexrun_feed_quick(&quick, text + i, n - i, quick_out, &quick_len);
        if (i >= n) break;
        uint8_t b;
        if (ds_hexrun_feed(&quick, (unsigned char)text[i++], &b) == DS_HEX_BYTE) quick_out[quick_len++] = b;
    }
    ck_assert_msg(slow_len == quick_len && memcmp(slow_out, quick_out, slow_len) == 0, "bytes of \"%s\"", text);
    ck_assert_int_eq(quick.nib, slow.nib);
    ck_assert_uint_eq(quick.digits, slow.digits);
    ck_assert_int_eq(quick.prefixed, slow.prefixed);
    ck_assert_int_eq(quick.bad, slow.bad);
    ck_assert_int_eq(quick.run_has_number, slow.run_has_number);
    ck_assert_uint_eq(quick.bytes, slow.bytes);
    ck_assert_uint_eq(quick.even_runs, slow.even_runs);
    ck_assert_uint_eq(quick.word_runs, slow.word_runs);
}

START_TEST(quick_tokenizer_matches_slow_one)
{
    static const char *const texts[] = {
        "7E A0 08 0D", "7ea0080d", "7E A0  08", "0x7E 0xA0, 0x8", "7 E A 0", "ABC DE F00D 1",
        "7E\tA0 08 ", "7E A0 BAD face 0", "0x 7E", "7E A0 08 02 23 21 93 BD 64 7E 7E A0", "a b c",
        "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff", "12:34:56", "7E A0 # note", "7E A0 zz 01",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) feed_both_ways(texts[t]);

    /* hand-worked: three whole runs closed by blanks and one still open */
    ds_hexrun h;
    ds_hexrun_init(&h);
    uint8_t out[16];
    size_t len = 0;
    ck_assert_uint_eq(ds_hexrun_feed_quick(&h, "7E A0 08 0D", 11, out, &len), 11);
    ck_assert_uint_eq(len, 4);
    ck_assert(out[0] == 0x7E && out[1] == 0xA0 && out[2] == 0x08 && out[3] == 0x0D);
    ck_assert_uint_eq(h.bytes, 4);
    ck_assert_uint_eq(h.even_runs, 3);
    ck_assert_uint_eq(h.digits, 2);
    /* it stops before what needs the slow path: a double blank (an xxd text
     * column may follow), a blank after an odd digit, and the x of 0x */
    ds_hexrun_init(&h);
    len = 0;
    ck_assert_uint_eq(ds_hexrun_feed_quick(&h, "7E  A0", 6, out, &len), 2);
    ck_assert_uint_eq(len, 1);
    ds_hexrun_init(&h);
    len = 0;
    ck_assert_uint_eq(ds_hexrun_feed_quick(&h, "7 E", 3, out, &len), 1);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(h.nib, 7);
    ds_hexrun_init(&h);
    ck_assert_uint_eq(ds_hexrun_feed_quick(&h, "0x7E", 4, out, &len), 1);
}
END_TEST

/* ---- ds_hex_parse_text --------------------------------------------------------------------------- */

START_TEST(parse_text)
{
    const char *text = "Snrm from the client:\nTX: 12:00:00 7E A0 08 02\n23 21 93 BD 64 7E\n";
    size_t n = 0;
    uint8_t *p = ds_hex_parse_text(text, strlen(text), &n);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(n, sizeof SNRM);
    ck_assert_mem_eq(p, SNRM, sizeof SNRM);
    free(p);

    /* text_len bounds the parse: the NUL and what follows are outside */
    p = ds_hex_parse_text("7E A0 FF", 5, &n);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(p[1], 0xA0);
    free(p);
}
END_TEST

/* ---- corpus ------------------------------------------------------------------------------------- */

/* The README states "- length: N bytes" under "## NAME" for every vector. */
static long corpus_stated_length(const char *readme, const char *name)
{
    char heading[300];
    snprintf(heading, sizeof heading, "## %s\n", name);
    const char *h = strstr(readme, heading);
    if (!h) return -1;
    const char *l = strstr(h, "- length: ");
    const char *next = strstr(h + 3, "\n## ");
    if (!l || (next && l > next)) return -1;
    return strtol(l + 10, NULL, 10);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20;
    char *buf = malloc(cap + 1);
    ck_assert_ptr_nonnull(buf);
    *len = fread(buf, 1, cap, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

START_TEST(corpus_files_parse)
{
    size_t readme_len;
    char *readme = slurp("testdata/corpus/README.md", &readme_len);
    ck_assert_msg(readme != NULL, "run from the repository root");
    DIR *d = opendir("testdata/corpus");
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 4, ".hex") != 0) continue;
        char path[512];
        snprintf(path, sizeof path, "testdata/corpus/%s", e->d_name);
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(nl - 4), e->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        result res;
        drain(f, DS_INPUT_AUTO, &res);
        fclose(f);
        ck_assert_int_eq(res.rc, 0);
        ck_assert_msg(res.mode == DS_INPUT_HEX, "%s sniffed as binary", name);
        ck_assert_msg(res.ndiags == 0, "%s: diagnostics", name);
        long want = corpus_stated_length(readme, name);
        ck_assert_msg(want > 0, "%s: no length in README", name);
        ck_assert_msg(res.len == (size_t)want, "%s: %zu bytes, README says %ld", name, res.len, want);

        size_t tlen;
        char *text = slurp(path, &tlen);
        size_t plen = 0;
        uint8_t *parsed = ds_hex_parse_text(text, tlen, &plen);
        ck_assert_uint_eq(plen, res.len);
        ck_assert(memcmp(parsed, res.bytes, plen) == 0);
        if (strcmp(name, "CS-u9n-snrm") == 0) assert_bytes(&res, SNRM, sizeof SNRM);
        free(parsed);
        free(text);
        free_result(&res);
        files++;
    }
    closedir(d);
    free(readme);
    ck_assert_int_ge(files, 80);
}
END_TEST

/* A pipe is read as it fills: each line (text) or burst (binary) comes out while the writer
 * still holds the pipe open. Were the reader waiting for a full block, these would hang until
 * Check's timeout fails them. */
static FILE *pipe_with(const void *data, size_t n, int *writer)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], data, n), (ssize_t)n);
    *writer = fds[1];
    FILE *in = fdopen(fds[0], "r");
    ck_assert_ptr_nonnull(in);
    return in;
}

START_TEST(live_pipe_text_line_by_line)
{
    int w;
    FILE *in = pipe_with("TX: 7E A0 07 03 A1 93 C3 8D 7E\n", 31, &w);
    ds_reader *r = ds_reader_new(in, DS_INPUT_AUTO, NULL, NULL);
    ds_chunk c;
    ck_assert_int_eq(ds_reader_next(r, &c), 1);
    ck_assert_int_eq(ds_reader_is_live(r), 1);
    ck_assert_int_eq(ds_reader_mode(r), DS_INPUT_HEX);
    ck_assert_uint_eq(c.len, 9);
    ck_assert_uint_eq(c.data[8], 0x7E);
    /* the next line arrives later */
    ck_assert_int_eq(write(w, "RX: 7E A0 07 03 A1 73 C5 4E 7E\n", 31), 31);
    ck_assert_int_eq(ds_reader_next(r, &c), 1);
    ck_assert_uint_eq(c.len, 9);
    ck_assert_uint_eq(c.data[5], 0x73);
    close(w);
    ck_assert_int_eq(ds_reader_next(r, &c), 0);
    ds_reader_free(r);
    fclose(in);
}
END_TEST

START_TEST(live_pipe_binary_burst)
{
    uint8_t frame[40];
    for (size_t i = 0; i < sizeof frame; i++) frame[i] = (uint8_t)(i * 7); /* a NUL: binary */
    int w;
    FILE *in = pipe_with(frame, sizeof frame, &w);
    ds_reader *r = ds_reader_new(in, DS_INPUT_AUTO, NULL, NULL);
    ds_chunk c;
    ck_assert_int_eq(ds_reader_next(r, &c), 1);
    ck_assert_int_eq(ds_reader_mode(r), DS_INPUT_BINARY);
    ck_assert_uint_eq(c.len, sizeof frame);
    ck_assert_mem_eq(c.data, frame, sizeof frame);
    ck_assert_int_eq(write(w, frame, 10), 10);
    ck_assert_int_eq(ds_reader_next(r, &c), 1);
    ck_assert_uint_eq(c.len, 10);
    ck_assert_uint_eq(c.offset, sizeof frame);
    close(w);
    ck_assert_int_eq(ds_reader_next(r, &c), 0);
    ds_reader_free(r);
    fclose(in);
}
END_TEST

/* a regular file is not live */
START_TEST(regular_file_not_live)
{
    FILE *in = tmpfile();
    ck_assert_ptr_nonnull(in);
    fputs("7E A0 07 03 A1 93 C3 8D 7E\n", in);
    rewind(in);
    ds_reader *r = ds_reader_new(in, DS_INPUT_AUTO, NULL, NULL);
    ds_chunk c;
    ck_assert_int_eq(ds_reader_next(r, &c), 1);
    ck_assert_int_eq(ds_reader_is_live(r), 0);
    ck_assert_int_eq(ds_reader_next(r, &c), 0);
    ds_reader_free(r);
    fclose(in);
}
END_TEST

/* Bytes the caller took from the input first (ds_reader_new_after): read before the rest, in the
 * auto mode (sniffed with the rest: text here) and in binary */
static void drain_after(const char *first, const char *rest, ds_input_mode mode, result *res)
{
    memset(res, 0, sizeof *res);
    res->contiguous = 1;
    FILE *f = fmemopen((void *)rest, strlen(rest), "r");
    ck_assert_ptr_nonnull(f);
    ds_reader *r = ds_reader_new_after((const uint8_t *)first, strlen(first), f, mode, collect_diag, res);
    ck_assert_ptr_nonnull(r);
    ds_chunk ch;
    while ((res->rc = ds_reader_next(r, &ch)) == 1) append(res, &ch);
    res->mode = ds_reader_mode(r);
    ds_reader_free(r);
    fclose(f);
}

START_TEST(bytes_taken_first)
{
    result res;
    drain_after("7E A0", " 08 02 23 21 93 BD 64 7E\n", DS_INPUT_AUTO, &res);
    ck_assert_int_eq(res.rc, 0);
    ck_assert_int_eq(res.mode, DS_INPUT_HEX);
    assert_bytes(&res, SNRM, sizeof SNRM);
    free_result(&res);
    drain_after("~", "A", DS_INPUT_BINARY, &res); /* 7E 41 */
    ASSERT_BYTES(&res, 0x7E, 0x41);
    free_result(&res);
    /* more than DS_READER_AFTER_MAX bytes are refused */
    static const uint8_t many[DS_READER_AFTER_MAX + 1];
    ck_assert_ptr_null(ds_reader_new_after(many, sizeof many, stdin, DS_INPUT_AUTO, NULL, NULL));
}
END_TEST

static Suite *input_suite(void)
{
    Suite *s = suite_create("input");
    TCase *shapes = tcase_create("shapes");
    tcase_add_test(shapes, spaced_upper);
    tcase_add_test(shapes, compact_lower_no_newline);
    tcase_add_test(shapes, c_style_and_separators);
    tcase_add_test(shapes, single_digit_after_0x_is_a_byte);
    tcase_add_test(shapes, wrapped_lines_continue);
    tcase_add_test(shapes, xxd_lines);
    tcase_add_test(shapes, hexdump_canonical);
    tcase_add_test(shapes, od_lines);
    tcase_add_test(shapes, squeezed_dump_lines_expand);
    tcase_add_test(shapes, wireshark_dump);
    suite_add_tcase(s, shapes);

    TCase *logs = tcase_create("logs");
    tcase_add_test(logs, log_prefixes);
    tcase_add_test(logs, log_session_records);
    tcase_add_test(logs, prefix_only_line_announces_record);
    tcase_add_test(logs, timestamp_truncated);
    tcase_add_test(logs, labels_and_single_arrows);
    tcase_add_test(logs, serial_socat_blocks);
    tcase_add_test(logs, serial_interceptty_bytes);
    tcase_add_test(logs, serial_slsnif_blocks);
    tcase_add_test(logs, wrap_between_digits_joins_the_byte);
    tcase_add_test(logs, director_time_line_gives_its_time);
    tcase_add_test(logs, unread_hex_and_no_data_reported);
    tcase_add_test(logs, prose_is_skipped);
    tcase_add_test(logs, hex_words_alone_are_hex);
    tcase_add_test(logs, prose_and_blank_lines_reset_record_and_meta);
    suite_add_tcase(s, logs);

    TCase *edges = tcase_create("edges");
    tcase_add_test(edges, bytes_taken_first);
    tcase_set_timeout(edges, 30);
    tcase_add_test(edges, crlf_line_endings);
    tcase_add_test(edges, bom_is_ignored);
    tcase_add_test(edges, empty_input);
    tcase_add_test(edges, odd_hex_digit_reported);
    tcase_add_test(edges, many_odd_digits_summarised);
    tcase_add_test(edges, very_long_hex_line);
    tcase_add_test(edges, very_long_line_odd_tail_and_spaced);
    tcase_add_test(edges, very_long_prose_line_skipped);
    tcase_add_test(edges, long_line_stops_at_trailing_text);
    tcase_add_test(edges, binary_with_nul_bytes);
    tcase_add_test(edges, binary_lone_e5);
    tcase_add_test(edges, binary_random_bytes);
    tcase_add_test(edges, forced_modes);
    tcase_add_test(edges, mode_before_and_bad_arguments);
    tcase_add_test(edges, read_error_reported);
    tcase_add_test(edges, text_split_across_input_blocks);
    tcase_add_test(edges, quick_tokenizer_matches_slow_one);
    tcase_add_test(edges, parse_text);
    tcase_add_test(edges, corpus_files_parse);
    tcase_add_test(edges, live_pipe_text_line_by_line);
    tcase_add_test(edges, live_pipe_binary_burst);
    tcase_add_test(edges, regular_file_not_live);
    suite_add_tcase(s, edges);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(input_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
