/* Setting verdicts on bytes that are no mis-set UART's doing (issue 14: "random bytes are never
 * diagnosed as a setting problem"): files (programs: /usr/bin) are cut into chunks, each chunk is
 * given to ds_serial_infer() with the capture's setting untold and told, and every setting
 * verdict (baud, parity, data bits, inverted) is counted and, with -v, printed. Each one is
 * false, save what -z and one-byte-value chunks are said to earn below. Not a unit test: the
 * files differ between machines; a report, of which a change in the counts is what to watch.
 *
 * Usage: dlmscope-serial-chunks [options] FILE|DIR...
 *   -c SIZE     chunk size in bytes (default 1500)
 *   -p WHERE    where files are cut: middle (default: one chunk from the middle of the file),
 *               at:OFFSET (one chunk at that byte), spread:MAX (chunks at multiples of SIZE, at
 *               most MAX a file, spread over it)
 *   -t LIST     the capture settings the inference is told, by commas, "untold" for none
 *               (default untold,2400:8N1)
 *   -z          also each chunk as a port that zeroes bad characters delivers it: 8N1 read at
 *               7E1 (bytes of even weight as their low 7 bits, the others 00) and 8E1 read at
 *               8N1 (bytes of odd weight whole, the others 00); such chunks hold no frame, but
 *               the statistical parity verdict on the 8N1-zeroed ones is right
 *   -u          skip chunks of one byte value (counted apart: all 00 is what a much slower
 *               sender gives, and gets that verdict by design)
 *   -d          as `dlmscope diagnose` does: the chunk through the input reader, decoder and
 *               diagnoser first, inferred only when no frames are found, from the reader's bytes
 *   -l LIST     also the files named in LIST, one a line
 *   -L          a DIR gives every name in it (as ls lists them, links followed; what is not a
 *               regular file is passed over when read); without it, its regular files (as
 *               find DIR -maxdepth 1 -type f). In name order.
 *   -e N[:K]    of the files named and listed, the K-th, (K+N)-th, ... only (K from 1,
 *               default 1: awk 'NR % N == K % N')
 *   -s MIN      only files of at least MIN bytes
 *   -n MAX      at most MAX files cut
 *   -r N        also N chunks of pseudo-random bytes (a fixed seed: the same every run)
 *   -v          print each setting verdict (and with -d each chunk not inferred)
 * e.g. build/release/dlmscope-serial-chunks -e 3 /usr/bin   (every 3rd program, 1500 bytes
 * from its middle, untold and told 2400:8N1) */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlmscope/diagnose.h"
#include "dlmscope/dlmscope.h"
#include "dlmscope/serial_infer.h"

#define CHUNK_MAX ((size_t)1 << 20)
#define TOLD_MAX 8
#define DIAGNOSE_SCAN_MAX ((size_t)4 << 20) /* as cmd_diagnose.c's SERIAL_SCAN_MAX */

typedef enum transform { AS_IS, SEVEN_E1_ZEROED, EIGHT_N1_ZEROED, TRANSFORMS } transform;
static const char *const TRANSFORM_NAME[TRANSFORMS] = {"as-is", "7E1-zeroed", "8N1-zeroed"};

typedef enum placement { MIDDLE, AT, SPREAD } placement;

typedef struct plan {
    size_t chunk;
    placement where;
    size_t at, spread_max;
    const char *told_name[TOLD_MAX];
    ds_serial_settings told[TOLD_MAX];
    int told_known[TOLD_MAX];
    size_t n_told;
    int zeroed, skip_uniform, through_diagnose, verbose, every_name;
    unsigned long every, every_first, min_size, max_files, random_chunks;
} plan;

typedef struct tally {
    unsigned long named, cut, chunks, uniform, inferences, not_inferred;
    unsigned long verdicts[TRANSFORMS][TOLD_MAX], on_uniform, by_kind[DS_SERIAL_RANDOM + 1];
} tally;

typedef struct file_list {
    char **path;
    size_t n, cap;
} file_list;

/* ---- the files ------------------------------------------------------------------------------ */

static int list_add(file_list *l, const char *dir, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        char **grown = realloc(l->path, cap * sizeof *grown);
        if (!grown) return -1;
        l->path = grown;
        l->cap = cap;
    }
    size_t len = (dir ? strlen(dir) + 1 : 0) + strlen(name) + 1;
    char *p = malloc(len);
    if (!p) return -1;
    snprintf(p, len, "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
    l->path[l->n++] = p;
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names in dir (every one, or its regular files only), in name order, after those in l. */
static int list_dir(file_list *l, const char *dir, int every_name)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    size_t first = l->n;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        rc = list_add(l, dir, e->d_name);
        struct stat st;
        int regular = rc == 0 && lstat(l->path[l->n - 1], &st) == 0 && S_ISREG(st.st_mode);
        if (rc == 0 && !every_name && !regular) free(l->path[--l->n]);
    }
    closedir(d);
    qsort(l->path + first, l->n - first, sizeof *l->path, by_name);
    return rc;
}

static int list_lines(file_list *l, const char *list)
{
    FILE *f = fopen(list, "r");
    if (!f) return -1;
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0]) rc = list_add(l, NULL, line);
    }
    fclose(f);
    return rc;
}

static int list_argument(file_list *l, const char *arg, int every_name)
{
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) return list_dir(l, arg, every_name);
    return list_add(l, NULL, arg);
}

/* ---- the chunks ----------------------------------------------------------------------------- */

static int weight_odd(unsigned b)
{
    int ones = 0;
    for (; b; b >>= 1) ones += (int)(b & 1u);
    return ones & 1;
}

/* What a port that zeroes bad characters delivers of b (see -z). */
static void apply(transform t, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t == SEVEN_E1_ZEROED) b[i] = weight_odd(b[i]) ? 0 : (uint8_t)(b[i] & 0x7Fu);
        else if (t == EIGHT_N1_ZEROED) b[i] = weight_odd(b[i]) ? b[i] : 0;
    }
}

static int one_byte_value(const uint8_t *b, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (b[i] != b[0]) return 0;
    return 1;
}

static int is_setting(const ds_serial_inference *r)
{
    return r->verdict == DS_SERIAL_BAUD || r->verdict == DS_SERIAL_PARITY || r->verdict == DS_SERIAL_DATA_BITS ||
           r->verdict == DS_SERIAL_INVERTED;
}

static void ignore_finding(void *user, const ds_finding *f)
{
    (void)user;
    (void)f;
}

/* The bytes the input reader (auto mode: hex or log text turned into its bytes, binary as is)
 * makes of in, at most DIAGNOSE_SCAN_MAX as dlmscope diagnose takes; NULL when none. */
static uint8_t *reader_bytes(FILE *in, size_t *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ds_reader *rd = out ? ds_reader_new(in, DS_INPUT_AUTO, NULL, NULL) : NULL;
    ds_chunk c;
    while (rd && len < DIAGNOSE_SCAN_MAX && ds_reader_next(rd, &c) == 1) {
        fwrite(c.data, 1, c.len < DIAGNOSE_SCAN_MAX - len ? c.len : DIAGNOSE_SCAN_MAX - len, out);
        fflush(out); /* brings len up to date */
    }
    ds_reader_free(rd);
    if (out) fclose(out);
    *n = len;
    if (len == 0) {
        free(buf);
        return NULL;
    }
    return (uint8_t *)buf;
}

/* As `dlmscope diagnose FILE` does with a file holding b: decoded and diagnosed first, inferred
 * only when the diagnoser found no or few valid frames (and the bytes are not a capture's).
 * 1: inferred into out; 0: not inferred (frames found, a capture, or no bytes from the reader);
 * -1: no memory. */
static int infer_as_diagnose(const uint8_t *b, size_t n, const ds_serial_settings *told, ds_serial_inference *out)
{
    if (ds_capture_magic(b, n)) return 0;
    FILE *in = fmemopen((void *)b, n, "rb");
    ds_diagnoser *g = ds_diagnoser_new(ignore_finding, NULL);
    ds_sink *null = ds_null_sink_new();
    int rc = -1;
    if (in && g && null) {
        ds_options opt;
        ds_options_init(&opt);
        ds_diagnoser_options(g, &opt);
        ds_decode_stream(in, DS_INPUT_AUTO, &opt, null, ds_diagnoser_diag, g, NULL);
        ds_diagnoser_end(g);
        rc = 0;
        size_t got = 0;
        uint8_t *bytes = ds_diagnoser_no_frames(g) && fseek(in, 0, SEEK_SET) == 0 ? reader_bytes(in, &got) : NULL;
        if (bytes) rc = ds_serial_infer(bytes, got, told, out) == 0 ? 1 : -1;
        free(bytes);
    }
    if (null) ds_sink_destroy(null);
    ds_diagnoser_free(g);
    if (in) fclose(in);
    return rc;
}

static void count_verdict(const plan *p, tally *t, const ds_serial_inference *r, int uniform, const char *name,
                          uint64_t offset, transform tr, size_t k)
{
    t->verdicts[tr][k]++;
    t->by_kind[r->verdict]++;
    t->on_uniform += (unsigned long)uniform;
    if (!p->verbose) return;
    char text[1200];
    ds_serial_inference_text(r, text, sizeof text);
    printf("%s @%llu %s %s: %s\n", name, (unsigned long long)offset, TRANSFORM_NAME[tr], p->told_name[k], text);
}

/* Every inference the plan asks of one chunk (raw; b is room for its transforms). */
static int judge_chunk(const plan *p, tally *t, const uint8_t *raw, uint8_t *b, const char *name, uint64_t offset)
{
    int uniform = one_byte_value(raw, p->chunk);
    if (uniform && p->skip_uniform) {
        t->uniform++;
        return 0;
    }
    t->chunks++;
    t->uniform += (unsigned long)uniform;
    for (int tr = 0; tr < (p->zeroed ? TRANSFORMS : 1); tr++) {
        memcpy(b, raw, p->chunk);
        apply((transform)tr, b, p->chunk);
        for (size_t k = 0; k < p->n_told; k++) {
            const ds_serial_settings *told = p->told_known[k] ? &p->told[k] : NULL;
            ds_serial_inference r;
            int inferred = p->through_diagnose ? infer_as_diagnose(b, p->chunk, told, &r)
                                               : ds_serial_infer(b, p->chunk, told, &r) == 0;
            if (inferred < 0) return -1;
            if (!inferred) {
                t->not_inferred++;
                if (p->verbose) printf("%s @%llu %s %s: not inferred (frames found or no bytes read)\n", name,
                                       (unsigned long long)offset, TRANSFORM_NAME[tr], p->told_name[k]);
                continue;
            }
            t->inferences++;
            if (is_setting(&r)) count_verdict(p, t, &r, uniform, name, offset, (transform)tr, k);
            ds_serial_inference_free(&r);
        }
    }
    return 0;
}

/* The offset of the index-th chunk of a file of size bytes: 1, or 0 past the last. */
static int chunk_offset(const plan *p, long size, size_t index, size_t *offset)
{
    size_t n = (size_t)size;
    if (size < 0 || n < p->chunk) return 0;
    if (p->where == MIDDLE) *offset = (n - p->chunk) / 2;
    else if (p->where == AT) *offset = p->at;
    if (p->where != SPREAD) return index == 0 && *offset <= n - p->chunk;
    size_t pieces = n / p->chunk, step = pieces > p->spread_max ? pieces / p->spread_max : 1;
    *offset = index * step * p->chunk;
    return index < p->spread_max && index * step < pieces;
}

/* 1: the file gave chunks; 0: it did not (too short, not a regular file, unreadable). */
static int judge_file(const plan *p, tally *t, const char *path, uint8_t *raw, uint8_t *b)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (unsigned long)st.st_size < p->min_size) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    size_t offset = 0, index = 0;
    int rc = 0;
    for (; rc == 0 && chunk_offset(p, size, index, &offset); index++) {
        if (fseek(f, (long)offset, SEEK_SET) != 0 || fread(raw, 1, p->chunk, f) != p->chunk) break;
        rc = judge_chunk(p, t, raw, b, path, offset);
    }
    fclose(f);
    if (rc < 0) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return index > 0;
}

static void judge_random(const plan *p, tally *t, uint8_t *raw, uint8_t *b)
{
    uint32_t x = 2463534242u; /* xorshift32: the same chunks on every run */
    for (unsigned long k = 1; k <= p->random_chunks; k++) {
        for (size_t i = 0; i < p->chunk; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            raw[i] = (uint8_t)(x >> 24);
        }
        char name[40];
        snprintf(name, sizeof name, "random chunk %lu", k);
        if (judge_chunk(p, t, raw, b, name, 0) < 0) exit(1);
    }
}

/* ---- the options and the report ------------------------------------------------------------- */

static int number(const char *s, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') return -1;
    *out = v;
    return 0;
}

static int parse_where(plan *p, const char *arg)
{
    unsigned long v = 0;
    if (!strcmp(arg, "middle")) p->where = MIDDLE;
    else if (!strncmp(arg, "at:", 3) && number(arg + 3, &v) == 0) p->where = AT, p->at = v;
    else if (!strncmp(arg, "spread:", 7) && number(arg + 7, &v) == 0 && v > 0) p->where = SPREAD, p->spread_max = v;
    else return -1;
    return 0;
}

/* "untold,2400:8N1,...": arg is kept (it is argv's) and cut at its commas. */
static int parse_told(plan *p, char *arg)
{
    p->n_told = 0;
    for (char *s = strtok(arg, ","); s; s = strtok(NULL, ",")) {
        if (p->n_told == TOLD_MAX) return -1;
        size_t k = p->n_told++;
        p->told_name[k] = s;
        p->told_known[k] = strcmp(s, "untold") != 0;
        if (p->told_known[k] && ds_serial_settings_parse(s, &p->told[k], NULL, 0) != 0) return -1;
    }
    return p->n_told ? 0 : -1;
}

static int parse_every(plan *p, const char *arg)
{
    char n[32];
    const char *colon = strchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
    if (len >= sizeof n) return -1;
    memcpy(n, arg, len);
    n[len] = '\0';
    p->every_first = 1;
    if (number(n, &p->every) != 0 || p->every == 0) return -1;
    if (colon && (number(colon + 1, &p->every_first) != 0 || p->every_first == 0)) return -1;
    return 0;
}

static void print_report(const plan *p, const tally *t)
{
    printf("files: %lu named, %lu cut; random chunks: %lu\n", t->named, t->cut, p->random_chunks);
    printf("chunks of %zu bytes: %lu judged, %lu of one byte value%s\n", p->chunk, t->chunks,
           t->uniform, p->skip_uniform ? " skipped" : " among them");
    printf("inferences: %lu", t->inferences);
    if (p->through_diagnose)
        printf(" (%lu not made, as by dlmscope diagnose: frames found or no bytes read)", t->not_inferred);
    printf("\nsetting verdicts, by the setting told:\n  %-11s", "");
    for (size_t k = 0; k < p->n_told; k++) printf(" %9s", p->told_name[k]);
    printf("\n");
    unsigned long total = 0;
    for (int tr = 0; tr < (p->zeroed ? TRANSFORMS : 1); tr++) {
        printf("  %-11s", TRANSFORM_NAME[tr]);
        for (size_t k = 0; k < p->n_told; k++) {
            printf(" %9lu", t->verdicts[tr][k]);
            total += t->verdicts[tr][k];
        }
        printf("\n");
    }
    printf("setting verdicts: %lu (baud %lu, parity %lu, data bits %lu, inverted %lu; %lu on chunks of one byte "
           "value)\n",
           total, t->by_kind[DS_SERIAL_BAUD], t->by_kind[DS_SERIAL_PARITY], t->by_kind[DS_SERIAL_DATA_BITS],
           t->by_kind[DS_SERIAL_INVERTED], t->on_uniform);
}

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [-c SIZE] [-p middle|at:OFFSET|spread:MAX] [-t untold,BAUD:DPS,...] [-z] [-u] [-d]\n"
            "       [-l LIST] [-L] [-e N[:K]] [-s MIN] [-n MAX] [-r N] [-v] FILE|DIR...\n"
            "(the options: tests/bench/serial_chunks.c)\n",
            argv0);
    return 2;
}

static int parse_options(plan *p, file_list *lists, int argc, char **argv)
{
    static char default_told[] = "untold,2400:8N1";
    unsigned long v = 0;
    int c, bad = parse_told(p, default_told);
    while (!bad && (c = getopt(argc, argv, "c:p:t:zudl:Le:s:n:r:v")) != -1) {
        if (c == 'c') {
            bad = number(optarg, &v) != 0 || v == 0 || v > CHUNK_MAX;
            p->chunk = bad ? p->chunk : (size_t)v;
        }
        else if (c == 'p') bad = parse_where(p, optarg);
        else if (c == 't') bad = parse_told(p, optarg);
        else if (c == 'z') p->zeroed = 1;
        else if (c == 'u') p->skip_uniform = 1;
        else if (c == 'd') p->through_diagnose = 1;
        else if (c == 'l') bad = list_add(lists, NULL, optarg);
        else if (c == 'L') p->every_name = 1;
        else if (c == 'e') bad = parse_every(p, optarg);
        else if (c == 's') bad = number(optarg, &p->min_size);
        else if (c == 'n') bad = number(optarg, &p->max_files);
        else if (c == 'r') bad = number(optarg, &p->random_chunks);
        else if (c == 'v') p->verbose = 1;
        else bad = 1;
    }
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    plan p = {.chunk = 1500, .where = MIDDLE, .every = 1, .every_first = 1};
    file_list lists = {0}, files = {0};
    if (parse_options(&p, &lists, argc, argv) != 0) return usage(argv[0]);
    for (size_t i = 0; i < lists.n; i++)
        if (list_lines(&files, lists.path[i]) != 0) return fprintf(stderr, "%s: cannot read\n", lists.path[i]), 2;
    for (int i = optind; i < argc; i++)
        if (list_argument(&files, argv[i], p.every_name) != 0) return fprintf(stderr, "%s: cannot list\n", argv[i]), 2;
    if (files.n == 0 && p.random_chunks == 0) return usage(argv[0]);
    uint8_t *raw = malloc(p.chunk), *b = malloc(p.chunk);
    if (!raw || !b) return 1;
    tally t = {0};
    for (size_t i = 0; i < files.n && (!p.max_files || t.cut < p.max_files); i++) {
        if ((i + 1) % p.every != p.every_first % p.every) continue;
        t.named++;
        t.cut += (unsigned long)judge_file(&p, &t, files.path[i], raw, b);
    }
    judge_random(&p, &t, raw, b);
    print_report(&p, &t);
    for (size_t i = 0; i < files.n; i++) free(files.path[i]);
    for (size_t i = 0; i < lists.n; i++) free(lists.path[i]);
    free(files.path);
    free(lists.path);
    free(raw);
    free(b);
    return 0;
}
