/* <ImageTransfer>: the firmware update of class 18 (image transfer) as the Blue Book lays it out:
 * enabled? (attribute 5), block size (2) read before initiate and checked against the
 * negotiated max PDU, initiate (method 1) unless the same image is already under way (then
 * resume), the blocks (method 2) of which the meter lacks (3, 4), verify (3) while polling the
 * status (6), the image to activate (7) against the file, activate (4).
 *
 * A block is one ACTION of any length: the association machine sends it in pblocks when it is
 * longer than the meter's max PDU, and the link machine splits it over as many frames as its max
 * info needs, so the block size is never limited to a frame. */
#define _DEFAULT_SOURCE
#include "client/image.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dlmscope/value.h"

#define IMAGE_MAX_BYTES (64u * 1024u * 1024u)
#define IMAGE_ARENA_NODES 4096
#define IMAGE_ARENA_BYTES (1u << 20)
#define IMAGE_CLASS 18

/* image_transfer_status (attribute 6) */
enum {
    ST_NOT_INITIATED = 0, ST_INITIATED = 1, ST_VERIFY_INITIATED = 2, ST_VERIFY_OK = 3, ST_VERIFY_FAILED = 4,
    ST_ACTIVATE_INITIATED = 5, ST_ACTIVATE_OK = 6, ST_ACTIVATE_FAILED = 7
};
/* action-result / data-access-result codes the update handles */
enum { R_SUCCESS = 0, R_HARDWARE_FAULT = 1, R_TEMPORARY_FAILURE = 2 };

typedef struct image_run {
    const image_io *io;
    const ds_run_image *im;
    uint8_t *file;
    size_t size;
    uint32_t block_size, blocks;
    ds_value_arena *a;
    uint8_t *buf;
    size_t cap;
    struct timespec start;
    uint64_t sent_bytes;
} image_run;

static void note(image_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(image_run *r, const char *fmt, ...)
{
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    r->io->say(r->io->user, line);
}

static int read_file(image_run *r)
{
    FILE *f = fopen(r->im->file, "rb");
    if (!f) return note(r, "image: cannot read %s", r->im->file), -1;
    size_t cap = 65536, n = 0;
    uint8_t *p = malloc(cap);
    for (;;) {
        if (!p) break;
        if (n == cap) {
            if (cap >= IMAGE_MAX_BYTES) break;
            uint8_t *q = realloc(p, cap * 2);
            if (!q) break;
            p = q;
            cap *= 2;
        }
        size_t k = fread(p + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    int bad = !p || ferror(f) || !feof(f) || n == 0;
    fclose(f);
    if (bad) {
        free(p);
        return note(r, "image: %s: %s", r->im->file, n == 0 ? "empty" : "cannot read it whole (64 MiB at most)"), -1;
    }
    r->file = p;
    r->size = n;
    return 0;
}

/* The Data of a get answer, in the arena; NULL with *result = the data-access-result. */
static const ds_value *answer_data(image_run *r, const ds_assoc_result *res)
{
    ds_value *tree = NULL;
    ds_diag d;
    memset(&d, 0, sizeof d);
    ds_value_arena_reset(r->a);
    if (res->status != DS_ASSOC_OK || ds_value_decode_apdu(r->a, res->answer, res->answer_len, &tree, &d)) return NULL;
    return ds_value_data(tree);
}

/* GET attribute: 0 and *v, 1 refused (reported), 2 link. */
static int get_attribute(image_run *r, unsigned attribute, const ds_value **v)
{
    ds_cosem_ref ref = {IMAGE_CLASS, {0}, (uint8_t)attribute};
    memcpy(ref.instance, r->im->obis, 6);
    size_t len;
    char err[200];
    if (ds_build_get_request_normal(DS_IIP_DEFAULT, &ref, r->buf, r->cap, &len, err, sizeof err))
        return note(r, "image: get attribute %u: %s", attribute, err), 1;
    const ds_assoc_result *res;
    int rc = r->io->call(r->io->user, r->buf, len, &res);
    if (rc) return rc;
    *v = answer_data(r, res);
    if (!*v) return note(r, "image: attribute %u of the image transfer object not read (result %lu)", attribute,
                         (unsigned long)res->result), 1;
    return 0;
}

static int get_uint(image_run *r, unsigned attribute, uint8_t type, uint64_t *out)
{
    const ds_value *v;
    int rc = get_attribute(r, attribute, &v);
    if (rc) return rc;
    if (v->tag != type) return note(r, "image: attribute %u is of type %u, not %u", attribute, v->tag, type), 1;
    *out = v->u;
    return 0;
}

/* ACTION method with params: 0 and *result, 2 link, 1 not sent. */
static int call_method(image_run *r, unsigned method, const ds_value *params, uint32_t *result)
{
    ds_cosem_ref ref = {IMAGE_CLASS, {0}, (uint8_t)method};
    memcpy(ref.instance, r->im->obis, 6);
    size_t len;
    char err[200];
    if (ds_build_action_request_normal(DS_IIP_DEFAULT, &ref, params, r->buf, r->cap, &len, err, sizeof err))
        return note(r, "image: method %u: %s", method, err), 1;
    const ds_assoc_result *res;
    int rc = r->io->call(r->io->user, r->buf, len, &res);
    if (rc) return rc;
    r->sent_bytes += len;
    *result = res->status == DS_ASSOC_OK ? 0 : res->result ? res->result : 0xFF;
    return 0;
}

static double elapsed(const image_run *r)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - r->start.tv_sec) + (double)(now.tv_nsec - r->start.tv_nsec) / 1e9;
}

static void progress(image_run *r, uint32_t done, int last)
{
    FILE *f = r->io->progress;
    if (!f) return;
    double t = elapsed(r), bytes = (double)done * r->block_size;
    if (bytes > (double)r->size) bytes = (double)r->size;
    double rate = t > 0 ? bytes / t : 0, left = rate > 0 ? ((double)r->size - bytes) / rate : 0;
    if (r->io->tty) {
        int width = 30, fill = r->blocks ? (int)((uint64_t)done * (uint64_t)width / r->blocks) : width;
        fprintf(f, "\r[%-*.*s] %u/%u blocks %.0f/%zu bytes %.0f B/s %.0f s left ", width, fill,
                "##############################", done, r->blocks, bytes, r->size, rate, left);
        if (last) fputc('\n', f);
    } else if (last || done % 100 == 0) {
        fprintf(f, "dlmscope run: image: %u/%u blocks, %.0f/%zu bytes, %.0f B/s, %.0f s left\n", done, r->blocks, bytes,
                r->size, rate, left);
    }
    fflush(f);
}

/* Method 1: structure{identifier, size}. */
static int initiate(image_run *r)
{
    ds_value_arena_reset(r->a);
    ds_value *s = ds_value_new_data(r->a, DS_DATA_STRUCTURE);
    ds_value *id = ds_value_new_bytes(r->a, DS_DATA_OCTET_STRING, r->im->identifier, r->im->identifier_len);
    ds_value *size = ds_value_new_uint(r->a, DS_DATA_DOUBLE_LONG_UNSIGNED, r->size);
    if (!s || !id || !size) return note(r, "image: out of memory"), 1;
    ds_value_append(s, id);
    ds_value_append(s, size);
    uint32_t result;
    int rc = call_method(r, 1, s, &result);
    if (rc) return rc;
    if (result) return note(r, "image: initiate refused (action-result %lu)", (unsigned long)result), 1;
    note(r, "image: initiated %zu bytes in %u blocks of %lu", r->size, r->blocks, (unsigned long)r->block_size);
    return 0;
}

/* Method 2 for block n, retried on hardware-fault / temporary-failure. */
static int send_block(image_run *r, uint32_t n)
{
    size_t off = (size_t)n * r->block_size, k = r->size - off < r->block_size ? r->size - off : r->block_size;
    for (unsigned attempt = 1;; attempt++) {
        ds_value_arena_reset(r->a);
        ds_value *s = ds_value_new_data(r->a, DS_DATA_STRUCTURE);
        ds_value *num = ds_value_new_uint(r->a, DS_DATA_DOUBLE_LONG_UNSIGNED, n);
        ds_value *data = ds_value_new_bytes(r->a, DS_DATA_OCTET_STRING, r->file + off, k);
        if (!s || !num || !data) return note(r, "image: out of memory"), 1;
        ds_value_append(s, num);
        ds_value_append(s, data);
        uint32_t result;
        int rc = call_method(r, 2, s, &result);
        if (rc) return rc;
        if (result == R_SUCCESS) return 0;
        int again = (result == R_HARDWARE_FAULT || result == R_TEMPORARY_FAILURE) && attempt < r->io->retries;
        note(r, "image: block %lu refused (action-result %lu)%s", (unsigned long)n, (unsigned long)result,
             again ? ", sent again" : "");
        if (!again) {
            uint64_t first = 0;
            if (get_uint(r, 4, DS_DATA_DOUBLE_LONG_UNSIGNED, &first) == 0)
                note(r, "image: the meter holds the blocks before %lu (attribute 4)", (unsigned long)first);
            return 1;
        }
        r->io->pause(r->io->user, r->io->poll_ms);
    }
}

/* 1 when block n is marked in the bitmap (first block in the high bit of the first byte). */
static int has_block(const ds_value *bits, uint32_t n)
{
    return bits && n < bits->u && n / 8 < bits->len && (bits->bytes[n / 8] & (0x80u >> (n % 8)));
}

/* The blocks the meter lacks (attribute 3), from `from` on; pass 2 and later resend the gaps. */
static int send_missing(image_run *r, uint32_t from)
{
    for (int pass = 0; pass < 3; pass++) {
        const ds_value *bits = NULL;
        uint8_t *copy = NULL;
        size_t copy_len = 0;
        uint64_t bit_count = 0;
        if (pass > 0 || from > 0) {
            int rc = get_attribute(r, 3, &bits);
            if (rc) return rc;
            if (bits->tag != DS_DATA_BIT_STRING) return note(r, "image: attribute 3 is not a bit-string"), 1;
            copy_len = bits->len;
            bit_count = bits->u;
            copy = malloc(copy_len ? copy_len : 1);
            if (!copy) return 1;
            memcpy(copy, bits->bytes, copy_len);
        }
        ds_value held = {.tag = DS_DATA_BIT_STRING, .u = bit_count, .bytes = copy, .len = copy_len};
        uint32_t sent = 0;
        for (uint32_t n = 0; n < r->blocks; n++) {
            if ((pass > 0 || from > 0) ? has_block(&held, n) : n < from) continue;
            int rc = send_block(r, n);
            if (rc) {
                free(copy);
                return rc;
            }
            sent++;
            progress(r, n + 1, n + 1 == r->blocks);
        }
        free(copy);
        uint64_t first = 0;
        int rc = get_uint(r, 4, DS_DATA_DOUBLE_LONG_UNSIGNED, &first);
        if (rc) return rc;
        if (first >= r->blocks) return 0;
        note(r, "image: the meter lacks block %lu after pass %d: sending the missing blocks", (unsigned long)first, pass + 1);
        from = 1;
    }
    return note(r, "image: blocks still missing after three passes"), 1;
}

static int names_this_image(const image_run *r, const ds_value *v);

/* Resume? A transfer under way (attribute 6 initiated) of the same image: attribute 7 naming
 * its identifier and size. A meter fills attribute 7 only once it has verified an image (the
 * Blue Book makes it the result of verification), so when it names none, the transfer under way
 * is taken as this image when its blocks bitmap (attribute 3) counts this image's blocks; the
 * check of attribute 7 after verify then tells a different image. */
static int under_way(image_run *r, int *yes)
{
    *yes = 0;
    uint64_t status = 0;
    int rc = get_uint(r, 6, DS_DATA_ENUM, &status);
    if (rc) return rc;
    if (status != ST_INITIATED) return 0;
    const ds_value *v;
    rc = get_attribute(r, 7, &v);
    if (rc) return rc;
    *yes = names_this_image(r, v);
    if (*yes || (v && v->child)) return 0;
    const ds_value *bits;
    if ((rc = get_attribute(r, 3, &bits)) != 0) return rc;
    if (bits->tag != DS_DATA_BIT_STRING || bits->u != r->blocks) return 0;
    note(r, "image: attribute 7 names no image yet; the transfer under way has this image's %u blocks (attribute 3)", r->blocks);
    *yes = 1;
    return 0;
}

/* Verify (method 3). A meter that verifies in the background answers temporary-failure; the
 * status (attribute 6) is then polled while it says verification initiated, and the call made
 * again while it still says transfer initiated, up to the poll limit. */
static int verify(image_run *r)
{
    int call = 1;
    for (unsigned poll = 0; poll <= r->io->verify_polls; poll++) {
        if (call) {
            ds_value_arena_reset(r->a);
            ds_value *zero = ds_value_new_int(r->a, DS_DATA_INTEGER, 0);
            uint32_t result;
            if (!zero) return 1;
            int rc = call_method(r, 3, zero, &result);
            if (rc) return rc;
            if (result == R_SUCCESS) return note(r, "image: verified"), 0;
            if (result != R_TEMPORARY_FAILURE) return note(r, "image: verify refused (action-result %lu)", (unsigned long)result), 1;
            note(r, "image: verify answered temporary-failure: waiting");
            call = 0;
        }
        r->io->pause(r->io->user, r->io->poll_ms);
        uint64_t status = 0;
        int rc = get_uint(r, 6, DS_DATA_ENUM, &status);
        if (rc) return rc;
        if (status == ST_VERIFY_OK || status == ST_ACTIVATE_INITIATED || status == ST_ACTIVATE_OK)
            return note(r, "image: verified (attribute 6 = %lu)", (unsigned long)status), 0;
        if (status == ST_VERIFY_FAILED) return note(r, "image: verification failed (attribute 6 = 4)"), 1;
        call = status != ST_VERIFY_INITIATED;
    }
    return note(r, "image: not verified after %u polls", r->io->verify_polls), 1;
}

/* The entry of attribute 7 (array of {size, identifier, signature}) that names the file's
 * image (its size and identifier), or NULL. */
static const ds_value *entry_of_this_image(const image_run *r, const ds_value *v)
{
    for (const ds_value *e = v ? v->child : NULL; e; e = e->next) {
        const ds_value *size = ds_value_child(e, 0), *id = ds_value_child(e, 1);
        if (size && id && size->u == r->size && id->len == r->im->identifier_len &&
            !memcmp(id->bytes, r->im->identifier, id->len))
            return e;
    }
    return NULL;
}

static int names_this_image(const image_run *r, const ds_value *v)
{
    return entry_of_this_image(r, v) != NULL;
}

/* Up to 32 bytes of p as hex, "..." after when there are more. */
static const char *hex_head(const uint8_t *p, size_t n, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < 32 && at + 3 < cap; i++) at += (size_t)snprintf(buf + at, cap - at, "%02X", p[i]);
    if (n > 32 && at + 4 < cap) snprintf(buf + at, cap - at, "...");
    return buf;
}

/* Attribute 7 names the image the meter would activate: its size and identifier must be ours,
 * and its signature (image_to_activate_signature) the script's Signature when it gives one. */
static int check_to_activate(image_run *r)
{
    const ds_value *v;
    int rc = get_attribute(r, 7, &v);
    if (rc) return rc;
    const ds_value *e = entry_of_this_image(r, v);
    if (!e) return note(r, "image: attribute 7 does not name this image (its size and identifier)"), 1;
    if (!r->im->has_signature) return 0;
    const ds_value *sig = ds_value_child(e, 2);
    char got[80], want[80];
    if (!sig || sig->tag != DS_DATA_OCTET_STRING)
        return note(r, "image: attribute 7 gives no signature (an octet-string) to compare with Signature"), 1;
    if (sig->len != r->im->signature_len || memcmp(sig->bytes, r->im->signature, sig->len))
        return note(r, "image: signature mismatch: attribute 7 gives %zu byte(s) %s, Signature is %zu byte(s) %s", sig->len,
                    hex_head(sig->bytes, sig->len, got, sizeof got), r->im->signature_len,
                    hex_head(r->im->signature, r->im->signature_len, want, sizeof want)),
               1;
    note(r, "image: attribute 7's signature is the script's (%zu bytes)", sig->len);
    return 0;
}

/* After activate with Reconnect: the status (attribute 6), reconnecting first when the meter
 * has gone silent (rebooting into the new image), then polled while activation is under way. */
static int activation_status(image_run *r)
{
    uint64_t status = 0;
    int rc = get_uint(r, 6, DS_DATA_ENUM, &status);
    if (rc == 2) {
        note(r, "image: the meter is silent after activate (rebooting?): reconnecting");
        if (r->io->reconnect(r->io->user)) return note(r, "image: could not reconnect after activate"), 2;
        note(r, "image: reconnected");
        rc = get_uint(r, 6, DS_DATA_ENUM, &status);
    }
    for (unsigned poll = 0; rc == 0 && status == ST_ACTIVATE_INITIATED && poll < r->io->verify_polls; poll++) {
        r->io->pause(r->io->user, r->io->poll_ms);
        rc = get_uint(r, 6, DS_DATA_ENUM, &status);
    }
    if (rc) return rc;
    if (status == ST_ACTIVATE_OK) return note(r, "image: activation successful (attribute 6 = 6)"), 0;
    return note(r, "image: activation not successful (attribute 6 = %lu)", (unsigned long)status), 1;
}

static int activate(image_run *r)
{
    ds_value_arena_reset(r->a);
    ds_value *zero = ds_value_new_int(r->a, DS_DATA_INTEGER, 0);
    if (!zero) return 1;
    uint32_t result;
    int rc = call_method(r, 4, zero, &result);
    /* a meter that reboots at once may not even answer: the status after reconnecting tells */
    if (rc == 2 && r->im->reconnect) return activation_status(r);
    if (rc) return rc;
    if (result == R_TEMPORARY_FAILURE && r->im->reconnect) return activation_status(r);
    if (result) return note(r, "image: activate refused (action-result %lu)", (unsigned long)result), 1;
    note(r, "image: activated");
    return r->im->reconnect ? activation_status(r) : 0;
}

static int steps(image_run *r)
{
    uint64_t v = 0;
    const ds_value *enabled;
    int rc = get_attribute(r, 5, &enabled);
    if (rc) return rc;
    if (enabled->tag != DS_DATA_BOOLEAN || !enabled->u) return note(r, "image: image transfer is not enabled (attribute 5)"), 1;
    rc = get_uint(r, 2, DS_DATA_DOUBLE_LONG_UNSIGNED, &v);
    if (rc) return rc;
    if (v == 0 || v > 0xFFFFu) return note(r, "image: block size %lu (attribute 2) is not usable", (unsigned long)v), 1;
    r->block_size = (uint32_t)v;
    r->blocks = (uint32_t)((r->size + r->block_size - 1) / r->block_size);
    /* the block's ACTION: about 24 bytes of header and the block; longer than the meter's max
     * PDU it goes in GBT blocks streamed in the meter's window when general block transfer is
     * negotiated, else in pblocks: the association machine does either */
    size_t action = 24 + (size_t)r->block_size;
    note(r, "image: block size %lu, %u blocks; an ACTION of %zu bytes against the meter's max PDU %u%s",
         (unsigned long)r->block_size, r->blocks, action, r->io->peer_max_pdu,
         action <= r->io->peer_max_pdu ? "" : r->io->gbt ? ": sent in general block transfer blocks" : ": sent in pblocks");
    int resume = 0;
    if (r->im->resume && (rc = under_way(r, &resume)) != 0) return rc;
    uint32_t from = 0;
    if (resume) {
        uint64_t first = 0;
        if ((rc = get_uint(r, 4, DS_DATA_DOUBLE_LONG_UNSIGNED, &first)) != 0) return rc;
        from = first > r->blocks ? r->blocks : (uint32_t)first;
        note(r, "image: the same image is under way: resumed at block %lu, not initiated again", (unsigned long)from);
        if (from == 0) from = 1; /* read the bitmap all the same */
    } else if ((rc = initiate(r)) != 0) return rc;
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    if ((rc = send_missing(r, from)) != 0) return rc;
    note(r, "image: %u blocks transferred in %.1f s", r->blocks, elapsed(r));
    if (r->im->verify && (rc = verify(r)) != 0) return rc;
    if ((r->im->verify || r->im->activate) && (rc = check_to_activate(r)) != 0) return rc;
    if (r->im->activate && (rc = activate(r)) != 0) return rc;
    return 0;
}

int image_transfer(const image_io *io, const ds_run_image *im)
{
    image_run r;
    memset(&r, 0, sizeof r);
    r.io = io;
    r.im = im;
    clock_gettime(CLOCK_MONOTONIC, &r.start);
    if (read_file(&r)) return 1;
    r.cap = 0x10000 + 64;
    r.buf = malloc(r.cap);
    r.a = ds_value_arena_new(IMAGE_ARENA_NODES, IMAGE_ARENA_BYTES);
    int rc = !r.buf || !r.a ? (note(&r, "image: out of memory"), 1) : steps(&r);
    ds_value_arena_free(r.a);
    free(r.buf);
    free(r.file);
    return rc;
}
