/* Image transfer (class 18, REFERENCE.md §8.6 and §10.4): the image a client sends block by
 * block, what the meter tells of its progress, verification and activation.
 *
 *   a2 image_block_size: the model's value (default 256) or the option's, fixed while the meter runs;
 *   a3 image_transferred_blocks_status: one bit per block of the image being transferred,
 *      block 0 the most significant bit of the first byte (the GX order, §10.4);
 *   a4 image_first_not_transferred_block_number: the lowest block not yet received (the reading
 *      that lets a client fill gaps by resending block a4 until a4 = the number of blocks);
 *   a5 image_transfer_enabled: stored, writable; FALSE refuses m1 and m2 with other-reason;
 *   a6 image_transfer_status, a7 image_to_activate_info: the state below.
 *
 * m1 initiate always starts over (a3 cleared, a4 = 0, a6 = 1): a client resumes by not calling it.
 * m3 verify checks that every block is in; the verification then takes the configured delay
 * (a6 = 2, m3 answers temporary-failure meanwhile) and ends in 3 or 4; a verified image is
 * written to the store directory. m4 activate likewise: a6 = 5, then 6 or 7.
 * Time is the monotonic clock in milliseconds (meter_mono_ms), so tests can move it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meter/meter_int.h"

enum {
    NOT_INITIATED = 0, TRANSFER_INITIATED = 1, VERIFICATION_INITIATED = 2, VERIFICATION_SUCCESSFUL = 3,
    VERIFICATION_FAILED = 4, ACTIVATION_INITIATED = 5, ACTIVATION_SUCCESSFUL = 6, ACTIVATION_FAILED = 7
};

#define IMAGE_ID_MAX 120          /* bytes of an image identifier the meter keeps (as hex, 240 + ".part": a file name) */
#define IMAGE_DEFAULT_MAX (16u << 20)

struct meter_image {
    uint8_t status;
    uint8_t id[IMAGE_ID_MAX];
    size_t id_len;
    uint32_t size;
    uint32_t block_size;          /* a2 when the transfer was initiated */
    uint32_t n_blocks;
    uint32_t received;            /* blocks in */
    uint8_t *data;                /* size bytes */
    uint8_t *bitmap;              /* (n_blocks + 7) / 8 bytes */
    int64_t due_ms;               /* when a running verification or activation ends */
    int verified;                 /* a7 tells of the image */
};

void meter_image_free(meter_object *o)
{
    if (!o->image) return;
    free(o->image->data);
    free(o->image->bitmap);
    free(o->image);
    o->image = NULL;
}

static meter_image *image_of(meter_object *o)
{
    if (!o->image) o->image = calloc(1, sizeof *o->image);
    return o->image;
}

static uint32_t block_size_of(const ds_meter *m, const meter_object *o)
{
    /* emulate --image-block-size, else the model's a2; finish_object checked that it is a
     * double-long-unsigned above 0 */
    if (m->image_opts.block_size) return m->image_opts.block_size;
    const meter_value *v = &o->attr[2];
    if (!v->p || v->len != 5) return 256;
    return (uint32_t)v->p[1] << 24 | (uint32_t)v->p[2] << 16 | (uint32_t)v->p[3] << 8 | v->p[4];
}

static int transfer_enabled(const meter_object *o)
{
    const meter_value *v = &o->attr[5];
    return !v->p || v->len != 2 || v->p[1] != 0;
}

static int has_block(const meter_image *img, uint32_t n)
{
    return img->bitmap[n / 8] & (0x80u >> (n % 8));
}

static uint32_t first_missing(const meter_image *img)
{
    uint32_t n = 0;
    while (n < img->n_blocks && has_block(img, n)) n++;
    return n;
}

/* ---- the stored image ---- */

/* A file name from the peer's identifier: the identifier itself when every byte is a letter, a
 * digit or one of "._+-" and it does not start with '.'; its bytes as hex otherwise, so that no
 * path separator, dot-name or control byte from the peer reaches the file system. */
static void store_name(const meter_image *img, char *out, size_t cap)
{
    int plain = img->id_len > 0 && img->id[0] != '.' && img->id_len < cap;
    for (size_t i = 0; plain && i < img->id_len; i++) {
        uint8_t c = img->id[i];
        plain = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' || c == '_' ||
                c == '+' || c == '-';
    }
    if (plain) {
        memcpy(out, img->id, img->id_len);
        out[img->id_len] = 0;
        return;
    }
    size_t i = 0;
    for (; i < img->id_len && 2 * i + 2 < cap; i++) snprintf(out + 2 * i, 3, "%02x", img->id[i]);
    out[2 * i] = 0;
    if (!img->id_len) snprintf(out, cap, "image");
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes the image to DIR/NAME through DIR/NAME.part, so a reader never sees half an image. */
static int store_image(const ds_meter *m, const meter_image *img)
{
    if (!m->image_opts.store_dir) return 0;
    char name[2 * IMAGE_ID_MAX + 8], path[4096], part[4096 + 8];
    store_name(img, name, sizeof name);
    int n = snprintf(path, sizeof path, "%s/%s", m->image_opts.store_dir, name);
    if (n < 0 || (size_t)n >= sizeof path) return -1;
    snprintf(part, sizeof part, "%s.part", path);
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int rc = write_all(fd, img->data, img->size);
    if (close(fd)) rc = -1;
    if (!rc && rename(part, path)) rc = -1;
    if (rc) unlink(part);
    return rc;
}

/* ---- verification and activation that take time ---- */

static void finish_verification(ds_meter *m, meter_image *img)
{
    int ok = !m->image_opts.verify_fails && store_image(m, img) == 0;
    img->status = ok ? VERIFICATION_SUCCESSFUL : VERIFICATION_FAILED;
    img->verified = ok;
}

static void finish_activation(ds_meter *m, meter_image *img)
{
    img->status = m->image_opts.activate_fails ? ACTIVATION_FAILED : ACTIVATION_SUCCESSFUL;
    if (img->status == ACTIVATION_SUCCESSFUL) m->image_activated = 1;
}

/* Ends a verification or activation whose time has come. */
static void advance(ds_meter *m, meter_image *img)
{
    if (img->status != VERIFICATION_INITIATED && img->status != ACTIVATION_INITIATED) return;
    if (meter_mono_ms(m) < img->due_ms) return;
    if (img->status == VERIFICATION_INITIATED)
        finish_verification(m, img);
    else
        finish_activation(m, img);
}

/* ---- GET / SET ---- */

static ds_value *blocks_status(const meter_image *img, ds_value_arena *a)
{
    size_t n = img->bitmap ? (img->n_blocks + 7) / 8 : 0;
    ds_value *v = ds_value_new_bytes(a, DS_DATA_BIT_STRING, img->bitmap, n);
    if (v) v->u = img->bitmap ? img->n_blocks : 0;
    return v;
}

static ds_value *to_activate_info(const ds_meter *m, const meter_image *img, ds_value_arena *a)
{
    const ds_meter_image_options *o = &m->image_opts;
    ds_value *arr = ds_value_new_data(a, DS_DATA_ARRAY);
    if (!arr || !img->verified) return arr;
    ds_value *s = ds_value_new_data(a, DS_DATA_STRUCTURE);
    if (ds_value_append(s, ds_value_new_uint(a, DS_DATA_DOUBLE_LONG_UNSIGNED, img->size)) ||
        ds_value_append(s, ds_value_new_bytes(a, DS_DATA_OCTET_STRING, img->id, img->id_len)) ||
        ds_value_append(s, ds_value_new_bytes(a, DS_DATA_OCTET_STRING, o->signature, o->signature_len)) || ds_value_append(arr, s))
        return NULL;
    return arr;
}

int meter_image_get(ds_meter *m, meter_object *o, uint8_t id, ds_value_arena *a, ds_value **out)
{
    if (id == 2) {
        /* the block size initiate uses, also when the model gives none */
        *out = ds_value_new_uint(a, DS_DATA_DOUBLE_LONG_UNSIGNED, block_size_of(m, o));
        return *out ? METER_OK : METER_TEMPORARY_FAILURE;
    }
    if (id != 3 && id != 4 && id != 6 && id != 7) return DS_METER_NOT_MINE;
    meter_image *img = image_of(o);
    if (!img) return METER_TEMPORARY_FAILURE;
    advance(m, img);
    switch (id) {
    case 3: *out = blocks_status(img, a); break;
    case 4: *out = ds_value_new_uint(a, DS_DATA_DOUBLE_LONG_UNSIGNED, img->bitmap ? first_missing(img) : 0); break;
    case 6: *out = ds_value_new_uint(a, DS_DATA_ENUM, img->status); break;
    default: *out = to_activate_info(m, img, a); break;
    }
    return *out ? METER_OK : METER_TEMPORARY_FAILURE;
}

int meter_image_set(meter_object *o, uint8_t id, const ds_value *v)
{
    (void)o;
    (void)v;
    /* the block size is the meter's; progress and status change through the methods only */
    if (id == 5) return DS_METER_NOT_MINE;
    return METER_READ_WRITE_DENIED;
}

/* ---- methods ---- */

static int initiate(ds_meter *m, meter_object *o, meter_image *img, const ds_value *p)
{
    const ds_value *ident = ds_value_child(p, 0), *size = ds_value_child(p, 1);
    uint32_t limit = m->image_opts.max_image_size ? m->image_opts.max_image_size : IMAGE_DEFAULT_MAX;
    if (!transfer_enabled(o)) return METER_OTHER_REASON;
    /* an image the meter has no room for, or none at all: refused before anything changes */
    if (size->u == 0 || size->u > limit || ident->len > IMAGE_ID_MAX) return METER_OTHER_REASON;
    uint32_t bs = block_size_of(m, o);
    uint32_t n_blocks = (uint32_t)((size->u + bs - 1) / bs);
    uint8_t *data = malloc(size->u);
    uint8_t *bitmap = calloc((n_blocks + 7) / 8, 1);
    if (!data || !bitmap) {
        free(data);
        free(bitmap);
        return METER_TEMPORARY_FAILURE;
    }
    free(img->data);
    free(img->bitmap);
    memset(img, 0, sizeof *img);
    img->data = data;
    img->bitmap = bitmap;
    img->size = (uint32_t)size->u;
    img->block_size = bs;
    img->n_blocks = n_blocks;
    memcpy(img->id, ident->bytes, ident->len);
    img->id_len = ident->len;
    img->status = TRANSFER_INITIATED;
    return METER_OK;
}

static int block_transfer(ds_meter *m, meter_object *o, meter_image *img, const ds_value *p)
{
    const ds_value *num = ds_value_child(p, 0), *block = ds_value_child(p, 1);
    if (!transfer_enabled(o) || img->status != TRANSFER_INITIATED) return METER_OTHER_REASON;
    if (num->u >= img->n_blocks) return METER_OTHER_REASON; /* beyond the image */
    uint32_t n = (uint32_t)num->u;
    uint64_t start = (uint64_t)n * img->block_size;
    uint64_t want = img->size - start < img->block_size ? img->size - start : img->block_size;
    /* every block is block-size long but the last, which is what is left of the image */
    if (block->len != want) return METER_OTHER_REASON;
    if (m->image_opts.has_refuse_block && n == m->image_opts.refuse_block && !m->image_refused_done) {
        m->image_refused_done = 1;
        return METER_HARDWARE_FAULT;
    }
    memcpy(img->data + start, block->bytes, block->len);
    if (!has_block(img, n)) {
        img->bitmap[n / 8] |= (uint8_t)(0x80u >> (n % 8));
        img->received++;
    }
    m->image_blocks_taken++;
    return METER_OK;
}

static int verify(ds_meter *m, meter_image *img)
{
    if (img->status == VERIFICATION_INITIATED) return METER_TEMPORARY_FAILURE; /* still running */
    if (img->status == VERIFICATION_SUCCESSFUL) return METER_OK;
    if (img->status != TRANSFER_INITIATED || img->received != img->n_blocks) return METER_OTHER_REASON;
    if (m->image_verify_busy_left > 0) {
        m->image_verify_busy_left--;
        return METER_TEMPORARY_FAILURE; /* busy: the verification has not started */
    }
    img->status = VERIFICATION_INITIATED;
    img->due_ms = meter_mono_ms(m) + m->image_opts.verify_delay_ms;
    advance(m, img);
    if (img->status == VERIFICATION_INITIATED) return METER_TEMPORARY_FAILURE;
    return img->status == VERIFICATION_SUCCESSFUL ? METER_OK : METER_OTHER_REASON;
}

static int activate(ds_meter *m, meter_image *img)
{
    if (img->status == ACTIVATION_INITIATED) return METER_TEMPORARY_FAILURE;
    if (img->status == ACTIVATION_SUCCESSFUL) return METER_OK;
    if (img->status != VERIFICATION_SUCCESSFUL) return METER_OTHER_REASON;
    img->status = ACTIVATION_INITIATED;
    img->due_ms = meter_mono_ms(m) + m->image_opts.activate_delay_ms;
    advance(m, img);
    if (img->status == ACTIVATION_INITIATED) return METER_TEMPORARY_FAILURE;
    return img->status == ACTIVATION_SUCCESSFUL ? METER_OK : METER_OTHER_REASON;
}

int meter_image_action(ds_meter *m, meter_object *o, uint8_t id, const ds_value *p)
{
    meter_image *img = image_of(o);
    if (!img) return METER_TEMPORARY_FAILURE;
    advance(m, img);
    switch (id) {
    case 1: return initiate(m, o, img, p);
    case 2: return block_transfer(m, o, img, p);
    case 3: return verify(m, img);
    case 4: return activate(m, img);
    default: return METER_OBJECT_UNDEFINED;
    }
}
