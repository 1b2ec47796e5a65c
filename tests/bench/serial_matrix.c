/* The wrong-serial-settings matrix (issue 14's "every case"): each corpus push vector (two
 * Kaifa MA309 M-Bus, two HDLC) sent through the bit-level UART model (src/diagnose/uart.c) at
 * one setting and received at another, for every mis-setting the issue lists (baud ratios 2, 4,
 * 8, 16 both ways and usual pairs, 8E1/8N1, 7E1/8N1, odd/even, inverted), with 3 and 10 pushes,
 * the port keeping or zeroing bad characters, the capture's setting told or not. Each case is
 * graded:
 *   right     the verdict's kind and the sender's setting (baud, or parity and data bits, or the
 *             inversion) are the ones used; "+rec" when the frames were recovered too
 *   alt       the setting is among the alternatives the finding lists as explaining the bytes
 *             exactly as well (all 00 from a port that zeroes bad characters: the other parity,
 *             or a sender ten times slower or more); counted as right, and apart
 *   wrong     a setting verdict that names another setting, none of its alternatives right
 *             (the worst outcome)
 *   ok        serial.ok: the bytes hold frames with good checks as captured (a port that ignores
 *             a parity it does not expect delivers the sender's bytes whole): right as well
 *   unnamed   no setting named (serial.not-dlms, near-miss, random): honest but unhelpful
 * and a summary per case family is printed. Not a unit test: a report, like make bench.
 * Usage: dlmscope-serial-matrix [-v] [REPS...]  (run from the top of the tree; MATRIX_ONLY=text
 * runs the cases whose name holds text; -v prints the finding of every case not graded right) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/uart.h"
#include "dlmscope/serial_infer.h"

#define MAX_FRAME 4096

typedef struct vector {
    const char *name;
    uint8_t b[MAX_FRAME];
    size_t n;
} vector;

static int load(const char *path, vector *v)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[8192];
    v->name = path;
    v->n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        int hi = -1;
        for (char *c = line; *c; c++) {
            int d = (*c >= '0' && *c <= '9') ? *c - '0' : (*c >= 'A' && *c <= 'F') ? *c - 'A' + 10 : -1;
            if (d < 0) continue;
            if (hi < 0) {
                hi = d;
            } else {
                if (v->n < MAX_FRAME) v->b[v->n++] = (uint8_t)(hi << 4 | d);
                hi = -1;
            }
        }
    }
    fclose(f);
    return 0;
}

static ds_serial_settings settings(const char *text)
{
    ds_serial_settings s;
    if (ds_serial_settings_parse(text, &s, NULL, 0) != 0) {
        fprintf(stderr, "bad setting %s\n", text);
        exit(2);
    }
    return s;
}

/* The same line as tests/unit/check_serial_infer.c's simulate(): pushes with idle gaps of
 * 25 + 7k bit times plus an odd number of ticks. */
static uint8_t *simulate(const vector *v, int reps, const char *tx, const char *rx, int inverted,
                         ds_uart_error_policy pol, size_t *n)
{
    ds_serial_settings t = settings(tx), r = settings(rx);
    ds_uart_line l;
    ds_uart_line_init(&l);
    uint64_t bit = ds_uart_bit_ticks(t.baud);
    ds_uart_line_add(&l, 1, 40 * bit + 13);
    for (int k = 0; k < reps; k++) {
        for (size_t i = 0; i < v->n; i++) ds_uart_put_char(&l, &t, v->b[i]);
        ds_uart_line_add(&l, 1, (uint64_t)(25 + 7 * k) * bit + 1 + 311u * (unsigned)k);
    }
    if (inverted)
        for (size_t i = 0; i < l.n; i++) l.level[i] ^= 1u;
    long got = ds_uart_receive_bytes(&l, &r, 0, pol, NULL, 0);
    uint8_t *b = malloc((size_t)(got > 0 ? got : 1));
    ds_uart_receive_bytes(&l, &r, 0, pol, b, (size_t)got);
    ds_uart_line_free(&l);
    *n = (size_t)got;
    return b;
}

typedef enum kind { BAUD, PARITY, INVERTED } kind;

typedef struct scase {
    const char *family, *tx, *rx;
    kind k;
    int inverted;
} scase;

static const scase CASES[] = {
    {"sender 2x faster", "4800:8N1", "2400:8N1", BAUD, 0},
    {"sender 4x faster", "9600:8N1", "2400:8N1", BAUD, 0},
    {"sender 8x faster", "19200:8N1", "2400:8N1", BAUD, 0},
    {"sender 16x faster", "38400:8N1", "2400:8N1", BAUD, 0},
    {"sender 12x faster", "115200:8N1", "9600:8N1", BAUD, 0},
    {"sender 2x faster 8E1", "4800:8E1", "2400:8E1", BAUD, 0},
    {"receiver 2x faster", "2400:8N1", "4800:8N1", BAUD, 0},
    {"receiver 4x faster", "2400:8N1", "9600:8N1", BAUD, 0},
    {"receiver 8x faster", "2400:8N1", "19200:8N1", BAUD, 0},
    {"receiver 16x faster", "2400:8N1", "38400:8N1", BAUD, 0},
    {"receiver 12x faster", "9600:8N1", "115200:8N1", BAUD, 0},
    {"receiver 4x faster 8E1", "2400:8E1", "9600:8E1", BAUD, 0},
    {"8E1 read as 8N1", "2400:8E1", "2400:8N1", PARITY, 0},
    {"8N1 read as 8E1", "2400:8N1", "2400:8E1", PARITY, 0},
    {"8O1 read as 8E1", "2400:8O1", "2400:8E1", PARITY, 0},
    {"8E1 read as 8O1", "2400:8E1", "2400:8O1", PARITY, 0},
    {"7E1 read as 8N1", "2400:7E1", "2400:8N1", PARITY, 0},
    {"8N1 read as 7E1", "2400:8N1", "2400:7E1", PARITY, 0},
    {"inverted 8N1", "2400:8N1", "2400:8N1", INVERTED, 1},
    {"inverted 8E1", "2400:8E1", "2400:8E1", INVERTED, 1},
};
#define N_CASES (sizeof CASES / sizeof CASES[0])

static const char *const VECTORS[] = {"testdata/corpus/HAN-AT-tinetz-kaifa-ma309-mbus.hex",
                                      "testdata/corpus/HAN-AT-netznoe-kaifa-ma309-mbus.hex",
                                      "testdata/corpus/HAN-NO-kaifa-list2.hex", "testdata/corpus/HAN-DK-kamstrup-list.hex"};
#define N_VECTORS 4

static int baud_named(const ds_serial_inference *r, unsigned long want)
{
    int named = r->sender.baud == want;
    for (size_t i = 0; i < r->n_other_bauds; i++) named |= r->other_bauds[i] == want;
    return named;
}

static int is_setting(const ds_serial_inference *r)
{
    return r->verdict == DS_SERIAL_BAUD || r->verdict == DS_SERIAL_PARITY || r->verdict == DS_SERIAL_DATA_BITS ||
           r->verdict == DS_SERIAL_INVERTED;
}

static int contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return 1;
    return 0;
}

/* Whether a verdict (the one named, or an alternative the inference lists as explaining the
 * bytes exactly as well) names the case's setting. */
static int names_setting(const scase *c, ds_serial_verdict verdict, const ds_serial_settings *receiver,
                         const ds_serial_settings *sender, int inverted, const ds_serial_inference *r, int told)
{
    ds_serial_settings tx = settings(c->tx), rx = settings(c->rx);
    switch (c->k) {
    case BAUD: {
        unsigned long want = told ? tx.baud : (unsigned long)((double)receiver->baud * tx.baud / rx.baud);
        return verdict == DS_SERIAL_BAUD && (sender->baud == want || (sender == &r->sender && baud_named(r, want)));
    }
    case PARITY:
        return (verdict == DS_SERIAL_PARITY || verdict == DS_SERIAL_DATA_BITS) && !inverted &&
               sender->data_bits == tx.data_bits && sender->parity == tx.parity && sender->baud == receiver->baud;
    default: return verdict == DS_SERIAL_INVERTED && inverted;
    }
}

/* 'R' right ('r' when the frames were recovered too), 'a' right as an alternative listed with
 * the setting named (the bytes cannot tell them apart), 'o' serial.ok, 'W' wrong, '.' unnamed,
 * 'E' error */
static char grade(const scase *c, const vector *v, const ds_serial_inference *r, int told, int *recovered)
{
    *recovered = r->recovered && contains(r->recovered, r->recovered_len, v->b, v->n);
    if (r->verdict == DS_SERIAL_FINE && r->frames_as_captured > 0) return 'o';
    if (!is_setting(r)) return '.';
    if (names_setting(c, r->verdict, &r->receiver, &r->sender, r->inverted, r, told)) return 'R';
    for (size_t i = 0; i < r->n_alternatives; i++) {
        const ds_serial_alternative *a = &r->alternatives[i];
        if (names_setting(c, a->verdict, &a->receiver, &a->sender, a->inverted, r, told)) return 'a';
    }
    return 'W';
}

int main(int argc, char **argv)
{
    int verbose = 0, reps_list[8], n_reps = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) verbose = 1;
        else if (n_reps < 8) reps_list[n_reps++] = atoi(argv[i]);
    }
    if (!n_reps) {
        reps_list[0] = 3;
        reps_list[1] = 10;
        n_reps = 2;
    }
    static vector vec[N_VECTORS];
    for (int f = 0; f < N_VECTORS; f++)
        if (load(VECTORS[f], &vec[f]) != 0) {
            fprintf(stderr, "cannot read %s (run from the top of the tree)\n", VECTORS[f]);
            return 2;
        }
    printf("columns: vector (M1 M2 H1 H2) x pushes (%d", reps_list[0]);
    for (int i = 1; i < n_reps; i++) printf(",%d", reps_list[i]);
    printf(") x port keeps/zeroes bad chars (k z) x told/untold (T u)\n");
    printf("R right  r right and frames recovered  a right among the alternatives listed  o serial.ok (frames as "
           "captured)  W WRONG setting named  . unnamed\n\n");
    unsigned tot_right = 0, tot_wrong = 0, tot_un = 0, tot_rec = 0, tot_alt = 0;
    const char *only = getenv("MATRIX_ONLY"); /* a substring of the case names to run alone */
    for (size_t k = 0; k < N_CASES; k++) {
        const scase *c = &CASES[k];
        if (only && !strstr(c->family, only)) continue;
        char row[256];
        size_t rl = 0;
        unsigned right = 0, wrong = 0, un = 0, rec = 0, alt = 0;
        for (int f = 0; f < N_VECTORS; f++) {
            row[rl++] = ' ';
            for (int ri = 0; ri < n_reps; ri++)
                for (int pol = DS_UART_KEEP; pol <= DS_UART_ZERO; pol++) {
                    size_t n;
                    uint8_t *b = simulate(&vec[f], reps_list[ri], c->tx, c->rx, c->inverted, (ds_uart_error_policy)pol, &n);
                    for (int told = 1; told >= 0; told--) {
                        ds_serial_inference r;
                        ds_serial_settings rx = settings(c->rx);
                        char g = 'E';
                        int recd = 0;
                        if (ds_serial_infer(b, n, told ? &rx : NULL, &r) == 0) {
                            g = grade(c, &vec[f], &r, told, &recd);
                            if (verbose && g != 'R') {
                                char text[1200];
                                ds_serial_inference_text(&r, text, sizeof text);
                                printf("  [%s %s reps %d %s %s] %c %s\n", c->family, VECTORS[f] + 16, reps_list[ri],
                                       pol ? "zero" : "keep", told ? "told" : "untold", g, text);
                            }
                            ds_serial_inference_free(&r);
                        }
                        if (g == 'R' && recd) {
                            g = 'r';
                            rec++;
                        }
                        alt += g == 'a';
                        if (g == 'R' || g == 'r' || g == 'o' || g == 'a') right++;
                        else if (g == 'W') wrong++;
                        else un++;
                        if (rl < sizeof row - 2) row[rl++] = g;
                    }
                    free(b);
                }
        }
        row[rl] = 0;
        printf("%-24s %-9s -> %-9s%s   right %u/%u wrong %u recovered %u", c->family, c->tx, c->rx, row, right,
               right + wrong + un, wrong, rec);
        if (alt) printf(" (%u as alternatives)", alt);
        printf("\n");
        tot_right += right;
        tot_wrong += wrong;
        tot_un += un;
        tot_rec += rec;
        tot_alt += alt;
    }
    printf("\ntotal: right %u (%u as alternatives), wrong %u, unnamed %u, recovered %u of %u\n", tot_right, tot_alt,
           tot_wrong, tot_un, tot_rec, tot_right + tot_wrong + tot_un);
    return 0;
}
