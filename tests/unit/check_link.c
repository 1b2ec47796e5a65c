/* Link layer: CRC, HDLC fields, the framer on corpus vectors, the XML envelope. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/frame.h"
#include "event/emit.h"
#include "link/crc16.h"
#include "link/envelope.h"
#include "test_hex.h"

/* ---- helpers -------------------------------------------------------------------------------- */

#define MAXF 16
#define MAXD 32

typedef struct saved_frame {
    ds_frame f;
    uint8_t *wire;
    uint8_t *info;
} saved_frame;

typedef struct collect {
    saved_frame frames[MAXF];
    size_t nframes;
    ds_diag diags[MAXD];
    size_t ndiags;
    char order[MAXF + MAXD + 1];  /* 'D' and 'F' in callback order */
    size_t norder;
} collect;

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(c);
    if (n) memcpy(c, p, n);
    return c;
}

static void on_frame(void *user, const ds_frame *f)
{
    collect *c = user;
    ck_assert_uint_lt(c->nframes, MAXF);
    saved_frame *s = &c->frames[c->nframes++];
    s->f = *f;
    s->wire = dup_bytes(f->wire, f->wire_len);
    s->info = dup_bytes(f->info, f->info_len);
    c->order[c->norder++] = 'F';
}

static void on_diag(void *user, const ds_diag *d)
{
    collect *c = user;
    ck_assert_uint_lt(c->ndiags, MAXD);
    c->diags[c->ndiags++] = *d;
    c->order[c->norder++] = 'D';
}

static void collect_free(collect *c)
{
    for (size_t i = 0; i < c->nframes; i++) {
        free(c->frames[i].wire);
        free(c->frames[i].info);
    }
    memset(c, 0, sizeof *c);
}

/* Feeds data in pieces of `piece` bytes (0: all at once) from stream offset base, then flushes. */
static void run(collect *c, ds_link_kind kind, const uint8_t *data, size_t len, size_t piece, uint64_t base)
{
    memset(c, 0, sizeof *c);
    ds_framer *fr = ds_framer_new(kind, on_frame, on_diag, c);
    ck_assert_ptr_nonnull(fr);
    ds_meta meta;
    memset(&meta, 0, sizeof meta);
    size_t step = piece ? piece : (len ? len : 1);
    for (size_t at = 0; at < len; at += step) {
        size_t n = len - at < step ? len - at : step;
        ds_framer_feed(fr, data + at, n, base + at, &meta);
    }
    ds_framer_flush(fr);
    ds_framer_free(fr);
}

static void run_vector(collect *c, const char *name)
{
    static uint8_t buf[4096];
    size_t n = test_corpus(name, buf, sizeof buf);
    run(c, DS_LINK_AUTO, buf, n, 0, 0);
}

static const saved_frame *frame_at(const collect *c, size_t i)
{
    ck_assert_uint_gt(c->nframes, i);
    return &c->frames[i];
}

static void assert_diag(const collect *c, size_t i, const char *code, ds_severity sev, uint64_t offset,
                        uint64_t frame)
{
    ck_assert_uint_gt(c->ndiags, i);
    ck_assert_str_eq(c->diags[i].code, code);
    ck_assert_int_eq(c->diags[i].severity, sev);
    ck_assert_uint_eq(c->diags[i].offset, offset);
    ck_assert_uint_eq(c->diags[i].frame, frame);
}

/* Builds 7E A0 LL <addresses+control> [HCS info] FCS 7E with correct checks; returns the length. */
static size_t build_hdlc(const char *head_hex, const char *info_hex, uint8_t *b, size_t max)
{
    uint8_t head[8], info[256];
    size_t nh = test_unhex(head_hex, head, sizeof head);
    size_t ni = test_unhex(info_hex, info, sizeof info);
    size_t len = 2 + nh + (ni ? 2 + ni : 0) + 2;
    ck_assert_uint_lt(len + 2, max);
    size_t n = 0;
    b[n++] = 0x7E;
    b[n++] = 0xA0;
    b[n++] = (uint8_t)len;
    memcpy(b + n, head, nh);
    n += nh;
    if (ni) {
        uint16_t hcs = ds_crc16_x25(b + 1, n - 1);
        b[n++] = (uint8_t)(hcs & 0xFF);
        b[n++] = (uint8_t)(hcs >> 8);
        memcpy(b + n, info, ni);
        n += ni;
    }
    uint16_t fcs = ds_crc16_x25(b + 1, n - 1);
    b[n++] = (uint8_t)(fcs & 0xFF);
    b[n++] = (uint8_t)(fcs >> 8);
    b[n++] = 0x7E;
    return n;
}

static void to_hex(const uint8_t *b, size_t n, char *hex)
{
    for (size_t i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02X", b[i]);
    hex[2 * n] = '\0';
}

/* ---- CRC, addresses, control, parameters ------------------------------------------------------ */

START_TEST(crc_check_value)
{
    ck_assert_uint_eq(ds_crc16_x25((const uint8_t *)"123456789", 9), 0x906E);
    /* REFERENCE §1.4: HCS of the CS-u9n-ua header is sent as E6 C7 */
    const uint8_t hdr[] = {0xA0, 0x1F, 0x21, 0x02, 0x23, 0x73};
    ck_assert_uint_eq(ds_crc16_x25(hdr, sizeof hdr), 0xC7E6);
    ck_assert_uint_eq(ds_crc16_x25(hdr, 0), 0x0000);
}
END_TEST

/* The sliced CRC and its 4/2/1-byte tail, and from 32 bytes on the carry-less folding (where
 * the CPU has it), against a bit-at-a-time CRC-16/X.25 (reflected polynomial 0x8408), at every
 * length up to 160 (several folds, every tail length) and every split into two pieces. */
static uint16_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
    }
    return (uint16_t)(crc ^ 0xFFFF);
}

START_TEST(crc_in_pieces)
{
    uint8_t b[160];
    for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)(i * 73 + 5 + (i * i >> 3));
    for (size_t n = 0; n <= sizeof b; n++) {
        uint16_t want = crc_bitwise(b, n);
        ck_assert_uint_eq(ds_crc16_x25(b, n), want);
        for (size_t k = 0; k <= n; k++) {
            uint16_t reg = ds_crc16_x25_update(DS_CRC16_X25_INIT, b, k);
            ck_assert_msg(ds_crc16_x25_final(ds_crc16_x25_update(reg, b + k, n - k)) == want, "n %zu k %zu", n, k);
        }
    }
}
END_TEST

START_TEST(address_decoding)
{
    ds_hdlc_addr a;
    const uint8_t one[] = {0x21};
    ck_assert_uint_eq(ds_hdlc_addr_decode(one, 1, &a), 1);
    ck_assert_uint_eq(a.upper, 16);
    ck_assert_uint_eq(a.lower, 0);
    ck_assert_uint_eq(a.packed, 0x10);

    const uint8_t two[] = {0x02, 0x23};
    ck_assert_uint_eq(ds_hdlc_addr_decode(two, 2, &a), 2);
    ck_assert_uint_eq(a.upper, 1);
    ck_assert_uint_eq(a.lower, 17);
    ck_assert_uint_eq(a.packed, 0x91);

    const uint8_t four[] = {0x00, 0x02, 0x04, 0x01, 0xFF};
    ck_assert_uint_eq(ds_hdlc_addr_decode(four, 5, &a), 4);
    ck_assert_uint_eq(a.upper, 1);
    ck_assert_uint_eq(a.lower, 256);
    ck_assert_uint_eq(a.packed, 0x4100);
    ck_assert_uint_eq(a.len, 4);

    const uint8_t three[] = {0x00, 0x02, 0x03};
    ck_assert_uint_eq(ds_hdlc_addr_decode(three, 3, &a), 0);
    const uint8_t five[] = {0x00, 0x02, 0x04, 0x06, 0x01};
    ck_assert_uint_eq(ds_hdlc_addr_decode(five, 5, &a), 0);
    /* the terminating byte is not there yet */
    ck_assert_uint_eq(ds_hdlc_addr_decode(two, 1, &a), 0);
    ck_assert_uint_eq(ds_hdlc_addr_decode(two, 0, &a), 0);
}
END_TEST

/* The size rule against its statement (the first byte with b0 set ends the field; 1, 2 or 4
 * bytes only) for every pattern of extension bits in five bytes and every avail up to 5; a
 * failed decode leaves the whole address zero. */
START_TEST(address_sizes_all_patterns)
{
    for (unsigned bits = 0; bits < 32; bits++) {
        uint8_t p[5];
        for (size_t i = 0; i < 5; i++) p[i] = (uint8_t)(0x40 + 2 * i + ((bits >> i) & 1));
        for (size_t avail = 0; avail <= 5; avail++) {
            size_t last = 0, max = avail < 4 ? avail : 4;
            while (last < max && !(p[last] & 1)) last++;
            size_t want = last == max || last == 2 ? 0 : last + 1;
            ds_hdlc_addr a;
            memset(&a, 0xA5, sizeof a);
            ck_assert_uint_eq(ds_hdlc_addr_decode(p, avail, &a), want);
            ck_assert_uint_eq(a.len, want);
            if (want == 0) {
                ck_assert(a.upper == 0 && a.lower == 0 && a.packed == 0);
                ck_assert(a.raw[0] == 0 && a.raw[1] == 0 && a.raw[2] == 0 && a.raw[3] == 0);
            } else {
                ck_assert_int_eq(memcmp(a.raw, p, want), 0);
                for (size_t i = want; i < 4; i++) ck_assert_uint_eq(a.raw[i], 0);
            }
        }
    }
}
END_TEST

START_TEST(control_classification)
{
    int ns, nr, pf;
    ck_assert_int_eq(ds_hdlc_classify(0x10, &ns, &nr, &pf), DS_HDLC_I);
    ck_assert_int_eq(ns, 0); ck_assert_int_eq(nr, 0); ck_assert_int_eq(pf, 1);
    ck_assert_int_eq(ds_hdlc_classify(0x96, &ns, &nr, &pf), DS_HDLC_I);
    ck_assert_int_eq(ns, 3); ck_assert_int_eq(nr, 4); ck_assert_int_eq(pf, 1);
    ck_assert_int_eq(ds_hdlc_classify(0x54, &ns, &nr, &pf), DS_HDLC_I);
    ck_assert_int_eq(ns, 2); ck_assert_int_eq(nr, 2); ck_assert_int_eq(pf, 1);
    ck_assert_int_eq(ds_hdlc_classify(0x31, &ns, &nr, &pf), DS_HDLC_RR);
    ck_assert_int_eq(ns, -1); ck_assert_int_eq(nr, 1); ck_assert_int_eq(pf, 1);
    ck_assert_int_eq(ds_hdlc_classify(0xE1, &ns, &nr, &pf), DS_HDLC_RR);
    ck_assert_int_eq(nr, 7); ck_assert_int_eq(pf, 0);
    ck_assert_int_eq(ds_hdlc_classify(0x05, &ns, &nr, &pf), DS_HDLC_RNR);
    ck_assert_int_eq(ds_hdlc_classify(0x19, &ns, &nr, &pf), DS_HDLC_REJ);
    ck_assert_int_eq(ds_hdlc_classify(0x0D, &ns, &nr, &pf), DS_HDLC_SREJ);
    ck_assert_int_eq(ds_hdlc_classify(0x93, &ns, &nr, &pf), DS_HDLC_SNRM);
    ck_assert_int_eq(ns, -1); ck_assert_int_eq(nr, -1); ck_assert_int_eq(pf, 1);
    ck_assert_int_eq(ds_hdlc_classify(0x83, &ns, &nr, &pf), DS_HDLC_SNRM);
    ck_assert_int_eq(pf, 0);
    ck_assert_int_eq(ds_hdlc_classify(0x73, &ns, &nr, &pf), DS_HDLC_UA);
    ck_assert_int_eq(ds_hdlc_classify(0x53, &ns, &nr, &pf), DS_HDLC_DISC);
    ck_assert_int_eq(ds_hdlc_classify(0x1F, &ns, &nr, &pf), DS_HDLC_DM);
    ck_assert_int_eq(ds_hdlc_classify(0x97, &ns, &nr, &pf), DS_HDLC_FRMR);
    ck_assert_int_eq(ds_hdlc_classify(0x13, &ns, &nr, &pf), DS_HDLC_UI);
    ck_assert_int_eq(ds_hdlc_classify(0x03, &ns, &nr, &pf), DS_HDLC_UI);
    ck_assert_int_eq(pf, 0);
    ck_assert_int_eq(ds_hdlc_classify(0xFF, &ns, &nr, &pf), DS_HDLC_UNKNOWN_U);
    ck_assert_str_eq(ds_hdlc_type_name(DS_HDLC_SNRM), "SNRM");
    ck_assert_str_eq(ds_hdlc_type_name(DS_HDLC_FRMR), "FRMR");
}
END_TEST

START_TEST(snrm_ua_parameters)
{
    ds_hdlc_params p;
    uint8_t b[64];
    size_t n = test_unhex("81801205019A06019A070400000001080400000001", b, sizeof b);
    ck_assert_int_eq(ds_hdlc_params_parse(b, n, &p), 0);
    ck_assert_int_eq(p.present, 1);
    ck_assert_uint_eq(p.max_info_tx, 154);
    ck_assert_uint_eq(p.max_info_rx, 154);
    ck_assert_uint_eq(p.window_tx, 1);
    ck_assert_uint_eq(p.window_rx, 1);
    ck_assert(p.has_max_info_tx && p.has_max_info_rx && p.has_window_tx && p.has_window_rx);

    n = test_unhex("818014 0502 0080 0602 0100 070400000001 080400000007", b, sizeof b);
    ck_assert_int_eq(ds_hdlc_params_parse(b, n, &p), 0);
    ck_assert_uint_eq(p.max_info_tx, 128);
    ck_assert_uint_eq(p.max_info_rx, 256);
    ck_assert_uint_eq(p.window_rx, 7);

    /* only max-info RX: the rest keep their defaults and are marked absent */
    n = test_unhex("818003 0601 40", b, sizeof b);
    ck_assert_int_eq(ds_hdlc_params_parse(b, n, &p), 0);
    ck_assert_uint_eq(p.max_info_rx, 64);
    ck_assert_int_eq(p.has_max_info_tx, 0);
    ck_assert_uint_eq(p.max_info_tx, 128);
    ck_assert_uint_eq(p.window_tx, 1);

    /* group length beyond the field, a 5-byte value, a wrong format identifier */
    n = test_unhex("818014 05019A", b, sizeof b);
    ck_assert_int_eq(ds_hdlc_params_parse(b, n, &p), -1);
    ck_assert_uint_eq(p.max_info_tx, 154);
    n = test_unhex("818007 07050000000001", b, sizeof b);
    ck_assert_int_eq(ds_hdlc_params_parse(b, n, &p), -1);
    n = test_unhex("828003 05019A", b, sizeof b);
    ck_assert_int_eq(ds_hdlc_params_parse(b, n, &p), -1);
    ck_assert_int_eq(ds_hdlc_params_parse(b, 0, &p), -1);
}
END_TEST

/* ---- HDLC vectors ----------------------------------------------------------------------------- */

START_TEST(hdlc_snrm)
{
    collect c;
    run_vector(&c, "CS-u9n-snrm");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    const ds_frame *f = &frame_at(&c, 0)->f;
    ck_assert_int_eq(f->kind, DS_LINK_HDLC);
    ck_assert_uint_eq(f->number, 1);
    ck_assert_uint_eq(f->offset, 0);
    ck_assert_uint_eq(f->wire_len, 10);
    ck_assert_int_eq(f->complete, 1);
    ck_assert_int_eq(f->checks_ok, 1);
    ck_assert_uint_eq(f->info_len, 0);
    const ds_hdlc_info *h = &f->u.hdlc;
    ck_assert_uint_eq(h->frame_len, 8);
    ck_assert_int_eq(h->segmented, 0);
    ck_assert_uint_eq(h->dst.len, 2);
    ck_assert_uint_eq(h->dst.upper, 1);
    ck_assert_uint_eq(h->dst.lower, 17);
    ck_assert_uint_eq(h->dst.packed, 0x91);
    ck_assert_uint_eq(h->src.len, 1);
    ck_assert_uint_eq(h->src.packed, 0x10);
    ck_assert_uint_eq(h->control, 0x93);
    ck_assert_int_eq(h->type, DS_HDLC_SNRM);
    ck_assert_int_eq(h->pf, 1);
    ck_assert_int_eq(h->hcs_ok, -1);
    ck_assert_int_eq(h->fcs_ok, 1);
    ck_assert_int_eq(h->params.present, 0);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_ua_parameters)
{
    collect c;
    run_vector(&c, "CS-u9n-ua");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    const saved_frame *s = frame_at(&c, 0);
    const ds_hdlc_info *h = &s->f.u.hdlc;
    ck_assert_int_eq(h->type, DS_HDLC_UA);
    ck_assert_int_eq(h->hcs_ok, 1);
    ck_assert_int_eq(h->fcs_ok, 1);
    ck_assert_uint_eq(h->dst.packed, 0x10);
    ck_assert_uint_eq(h->src.packed, 0x91);
    ck_assert_uint_eq(s->f.info_len, 21);
    ck_assert_uint_eq(s->f.info_offset, 9);
    ck_assert_uint_eq(s->info[0], 0x81);
    ck_assert_int_eq(h->params.present, 1);
    ck_assert_uint_eq(h->params.max_info_tx, 154);
    ck_assert_uint_eq(h->params.max_info_rx, 154);
    ck_assert_uint_eq(h->params.window_tx, 1);
    ck_assert_uint_eq(h->params.window_rx, 1);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_ua_4byte_two_frames)
{
    collect c;
    run_vector(&c, "CS-u9n-ua-4byte-addr");
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 0);
    const ds_frame *a = &frame_at(&c, 0)->f, *b = &frame_at(&c, 1)->f;
    ck_assert_uint_eq(a->offset, 0);
    ck_assert_uint_eq(a->wire_len, 37);
    ck_assert_uint_eq(b->offset, 37);
    ck_assert_uint_eq(b->number, 2);
    ck_assert_uint_eq(a->u.hdlc.dst.packed, 1);
    ck_assert_uint_eq(b->u.hdlc.dst.packed, 16);
    for (int i = 0; i < 2; i++) {
        const ds_hdlc_info *h = i ? &b->u.hdlc : &a->u.hdlc;
        ck_assert_uint_eq(h->src.len, 4);
        ck_assert_uint_eq(h->src.upper, 1);
        ck_assert_uint_eq(h->src.lower, 17);
        ck_assert_uint_eq(h->src.packed, (1u << 14) | 17u);
        ck_assert_int_eq(h->type, DS_HDLC_UA);
        ck_assert_uint_eq(h->params.max_info_tx, 128);
        ck_assert_uint_eq(h->params.max_info_rx, 128);
        ck_assert_uint_eq(h->params.window_tx, 1);
    }
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_dm_4byte)
{
    collect c;
    run_vector(&c, "CS-gurux-dm-4byte");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    const ds_hdlc_info *h = &frame_at(&c, 0)->f.u.hdlc;
    ck_assert_uint_eq(h->dst.packed, 0x10);
    ck_assert_uint_eq(h->src.packed, 0x4100);
    ck_assert_uint_eq(h->src.lower, 256);
    ck_assert_int_eq(h->type, DS_HDLC_DM);
    ck_assert_int_eq(h->pf, 1);
    ck_assert_int_eq(frame_at(&c, 0)->f.checks_ok, 1);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_unescaped_7e_7d_inside)
{
    collect c;
    run_vector(&c, "HAN-NO-kaifa-list1-0x7E");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    const saved_frame *s = frame_at(&c, 0);
    ck_assert_int_eq(s->f.checks_ok, 1);
    ck_assert_uint_eq(s->f.wire_len, 41);
    ck_assert_uint_eq(s->f.info_len, 29);
    ck_assert_uint_eq(s->info[0], 0xE6);
    ck_assert_uint_eq(s->info[1], 0xE7);
    ck_assert_uint_eq(s->info[28], 0x7E);  /* the power value 0x157E */
    ck_assert_int_eq(s->f.u.hdlc.stuffed, 0);
    collect_free(&c);

    run_vector(&c, "HAN-NO-aidon-list1-0x7D");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    s = frame_at(&c, 0);
    ck_assert_int_eq(s->f.checks_ok, 1);
    ck_assert_int_eq(s->f.u.hdlc.stuffed, 0);
    ck_assert_int_eq(s->f.u.hdlc.type, DS_HDLC_UI);
    ck_assert_uint_eq(s->f.u.hdlc.dst.packed, 0x20);
    ck_assert_uint_eq(s->f.u.hdlc.src.upper, 4);
    ck_assert_uint_eq(s->f.u.hdlc.src.lower, 65);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_segmented)
{
    collect c;
    run_vector(&c, "CS-u9n-segmented-iframe");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    const saved_frame *s = frame_at(&c, 0);
    const ds_hdlc_info *h = &s->f.u.hdlc;
    ck_assert_int_eq(h->segmented, 1);
    ck_assert_uint_eq(h->frame_len, 126);
    ck_assert_int_eq(h->type, DS_HDLC_I);
    ck_assert_int_eq(h->ns, 3);
    ck_assert_int_eq(h->nr, 4);
    ck_assert_uint_eq(s->f.wire_len, 128);
    ck_assert_uint_eq(s->f.info_len, 117);
    ck_assert_uint_eq(s->info[0], 0x0F);
    ck_assert_uint_eq(s->info[116], 0x01);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_truncated_vectors)
{
    collect c;
    run_vector(&c, "BRK-amshan-truncated");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.truncated", DS_SEV_ERROR, 0, 1);
    ck_assert_str_eq(c.order, "DF");
    const ds_frame *f = &frame_at(&c, 0)->f;
    ck_assert_int_eq(f->complete, 0);
    ck_assert_int_eq(f->checks_ok, 0);
    ck_assert_int_eq(f->u.hdlc.fcs_ok, -1);
    ck_assert_uint_eq(f->wire_len, 9);
    collect_free(&c);

    run_vector(&c, "BRK-gurux-bt-adapter-ua");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.truncated", DS_SEV_ERROR, 0, 1);
    f = &frame_at(&c, 0)->f;
    ck_assert_int_eq(f->complete, 0);
    ck_assert_int_eq(f->u.hdlc.type, DS_HDLC_UA);
    ck_assert_int_eq(f->u.hdlc.hcs_ok, 1);
    ck_assert_uint_eq(f->wire_len, 29);
    collect_free(&c);

    run_vector(&c, "BRK-gurux-bt-adapter-aarq");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 2);
    assert_diag(&c, 0, "frame.hcs", DS_SEV_ERROR, 7, 1);  /* HCS after 7E A0 44 03 10 65 94 */
    assert_diag(&c, 1, "frame.truncated", DS_SEV_ERROR, 0, 1);
    f = &frame_at(&c, 0)->f;
    ck_assert_int_eq(f->complete, 0);
    ck_assert_int_eq(f->u.hdlc.hcs_ok, 0);
    ck_assert_uint_eq(f->u.hdlc.frame_len, 0x44);
    ck_assert_uint_eq(f->u.hdlc.src.len, 2);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_abort_sequence)
{
    collect c;
    run_vector(&c, "BRK-amshan-abort");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.abort", DS_SEV_ERROR, 13, 1);
    const ds_frame *f = &frame_at(&c, 0)->f;
    ck_assert_int_eq(f->u.hdlc.fcs_ok, 1);
    ck_assert_int_eq(f->checks_ok, 0);
    ck_assert_uint_eq(f->info_len, 2);  /* 02 01 between HCS 27 A0 and FCS E7 DE */
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_missing_closing_flag)
{
    collect c;
    uint8_t b[64];
    /* SNRM whose closing flag is replaced by 11, then a UA: the FCS vouches for the SNRM */
    size_t n = test_unhex("7EA00802232193BD64 11 7EA00721037301407E", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.bad-length", DS_SEV_WARNING, 9, 1);
    ck_assert_int_eq(frame_at(&c, 0)->f.checks_ok, 0);
    ck_assert_int_eq(frame_at(&c, 0)->f.u.hdlc.fcs_ok, 1);
    ck_assert_uint_eq(frame_at(&c, 0)->f.wire_len, 10);
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 10);
    ck_assert_int_eq(frame_at(&c, 1)->f.checks_ok, 1);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_bad_fcs_delivered)
{
    collect c;
    run_vector(&c, "BRK-gurux-bad-fcs-4byte");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.fcs", DS_SEV_ERROR, 14, 1);
    ck_assert_str_eq(c.order, "DF");
    const saved_frame *s = frame_at(&c, 0);
    ck_assert_int_eq(s->f.checks_ok, 0);
    ck_assert_int_eq(s->f.complete, 1);
    ck_assert_int_eq(s->f.u.hdlc.hcs_ok, 1);
    ck_assert_int_eq(s->f.u.hdlc.fcs_ok, 0);
    ck_assert_int_eq(s->f.u.hdlc.type, DS_HDLC_FRMR);
    ck_assert_uint_eq(s->f.info_len, 3);
    ck_assert_uint_eq(s->info[0], 0x10);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_stuffed)
{
    collect c;
    run_vector(&c, "HAN-amshan-stuffed-frame");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.stuffed", DS_SEV_INFO, 0, 1);
    const saved_frame *s = frame_at(&c, 0);
    ck_assert_int_eq(s->f.u.hdlc.stuffed, 1);
    ck_assert_int_eq(s->f.checks_ok, 1);
    ck_assert_uint_eq(s->f.wire_len, 18);
    ck_assert_uint_eq(s->wire[9], 0x7D);  /* the wire keeps the stuffed form */
    ck_assert_uint_eq(s->f.info_len, 3);
    ck_assert_uint_eq(s->info[0], 0x7E);
    ck_assert_uint_eq(s->info[1], 0x7D);
    ck_assert_uint_eq(s->info[2], 0x03);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_shared_flag_and_garbage)
{
    collect c;
    uint8_t b[128];
    /* SNRM without its own closing flag: the UA's opening flag closes it */
    size_t n = test_unhex("7EA00802232193BD64 7EA00721037301407E", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 0);
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 0);
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 9);
    ck_assert_int_eq(frame_at(&c, 1)->f.u.hdlc.type, DS_HDLC_UA);
    collect_free(&c);

    /* garbage between two frames: reported once with its offset and length */
    n = test_unhex("7EA00802232193BD647E 445566 7EA00721037301407E", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 10, 0);
    ck_assert_ptr_nonnull(strstr(c.diags[0].message, "3 bytes"));
    ck_assert_ptr_nonnull(strstr(c.diags[0].message, "offset 10"));
    ck_assert_str_eq(c.order, "FDF");
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 13);
    collect_free(&c);

    /* garbage before the first frame (forced HDLC: in auto mode it would be a raw record) */
    n = test_unhex("112233 7EA00802232193BD647E", b, sizeof b);
    run(&c, DS_LINK_HDLC, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 3);
    collect_free(&c);

    /* a frame then garbage up to the end of the record: garbage, not raw */
    n = test_unhex("7EA00802232193BD647E C001", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 10, 0);
    collect_free(&c);

    /* double flags between frames are fill, not garbage */
    n = test_unhex("7E7E7EA00802232193BD647E7E7EA00721037301407E7E", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 0);
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 2);
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 13);
    collect_free(&c);
}
END_TEST

/* Noise of every length up to three vector widths before a frame, made of bytes that begin a
 * frame of another kind only (68, 00) and others: skipped as one garbage run, the frame found at
 * its offset, whatever the noise's length and alignment. */
START_TEST(noise_of_every_length_before_a_frame)
{
    static const uint8_t NOISE[4] = {0x11, 0x68, 0x00, 0xA0};
    uint8_t frame[16], b[80];
    size_t fl = test_unhex("7EA00802232193BD647E", frame, sizeof frame);
    for (size_t k = 0; k <= 48; k++) {
        for (size_t i = 0; i < k; i++) b[i] = NOISE[i % 4];
        memcpy(b + k, frame, fl);
        collect c;
        run(&c, DS_LINK_HDLC, b, k + fl, 0, 0);
        ck_assert_msg(c.nframes == 1, "noise %zu: %zu frames", k, c.nframes);
        ck_assert_uint_eq(frame_at(&c, 0)->f.offset, k);
        ck_assert_uint_eq(c.ndiags, k ? 1 : 0);
        if (k) assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
        collect_free(&c);
    }
}
END_TEST

START_TEST(hdlc_resynchronise)
{
    collect c;
    uint8_t b[128];
    /* 7E A0 0A looks like a frame start, but no flag where its length ends and no valid FCS */
    size_t n = test_unhex("7EA00A010101 7EA00802232193BD647E", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
    ck_assert_ptr_nonnull(strstr(c.diags[0].message, "6 bytes"));
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 6);
    ck_assert_int_eq(frame_at(&c, 0)->f.checks_ok, 1);
    collect_free(&c);
}
END_TEST

START_TEST(false_starts_before_good_frames)
{
    collect c;
    uint8_t b[128];
    /* a frame start whose length (0x1E) runs past the end of the record, but a
     * complete frame follows: the first is a false start, not a truncated frame */
    size_t n = test_unhex("7EA01E03037340CC 7EA00802232193BD647E", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 1, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
    ck_assert_ptr_nonnull(strstr(c.diags[0].message, "8 bytes"));
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 8);
    ck_assert_int_eq(frame_at(&c, 0)->f.checks_ok, 1);
    collect_free(&c);

    /* after an HDLC frame, 00 01 ... is noise, not a wrapper that would swallow the next frame */
    n = test_unhex("7EA00802232193BD647E 0001000100010020 7EA00721037301407E", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 10, 0);
    ck_assert_int_eq(frame_at(&c, 1)->f.kind, DS_LINK_HDLC);
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 18);
    collect_free(&c);
}
END_TEST

START_TEST(hdlc_invalid_address_is_not_a_frame)
{
    collect c;
    uint8_t b[64];
    /* 3-byte destination address 00 02 03: the FCS is made valid so only the address is wrong */
    size_t n = build_hdlc("0002032193", "", b, sizeof b);
    run(&c, DS_LINK_HDLC, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_ge(c.ndiags, 1);
    assert_diag(&c, 0, "frame.bad-address", DS_SEV_ERROR, 3, 1);
    ck_assert_int_eq(frame_at(&c, 0)->f.checks_ok, 0);
    collect_free(&c);

    /* the same with a broken FCS is just garbage */
    b[n - 2] ^= 0xFF;
    run(&c, DS_LINK_HDLC, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 0);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
    collect_free(&c);
}
END_TEST

/* ---- feeding in pieces ------------------------------------------------------------------------ */

static void assert_same(const collect *a, const collect *b, uint64_t shift)
{
    ck_assert_uint_eq(a->nframes, b->nframes);
    ck_assert_uint_eq(a->ndiags, b->ndiags);
    ck_assert_str_eq(a->order, b->order);
    for (size_t i = 0; i < a->nframes; i++) {
        const saved_frame *x = &a->frames[i], *y = &b->frames[i];
        ck_assert_int_eq(x->f.kind, y->f.kind);
        ck_assert_uint_eq(x->f.number, y->f.number);
        ck_assert_uint_eq(x->f.offset + shift, y->f.offset);
        ck_assert_uint_eq(x->f.info_offset + shift, y->f.info_offset);
        ck_assert_uint_eq(x->f.wire_len, y->f.wire_len);
        ck_assert_uint_eq(x->f.info_len, y->f.info_len);
        ck_assert_int_eq(x->f.complete, y->f.complete);
        ck_assert_int_eq(x->f.checks_ok, y->f.checks_ok);
        ck_assert_mem_eq(x->wire, y->wire, x->f.wire_len);
        if (x->f.info_len) ck_assert_mem_eq(x->info, y->info, x->f.info_len);
    }
    for (size_t i = 0; i < a->ndiags; i++) {
        ck_assert_str_eq(a->diags[i].code, b->diags[i].code);
        ck_assert_uint_eq(a->diags[i].offset + shift, b->diags[i].offset);
        ck_assert_uint_eq(a->diags[i].frame, b->diags[i].frame);
    }
}

static const char *const piece_vectors[] = {
    "CS-u9n-snrm", "CS-u9n-ua", "CS-u9n-ua-4byte-addr", "CS-gurux-dm-4byte", "HAN-NO-kaifa-list1-0x7E",
    "HAN-NO-aidon-list1-0x7D", "CS-u9n-segmented-iframe", "BRK-amshan-truncated", "BRK-amshan-abort",
    "BRK-gurux-bt-adapter-ua", "BRK-gurux-bt-adapter-aarq", "BRK-gurux-bad-fcs-4byte",
    "HAN-amshan-stuffed-frame", "HAN-CY-lg-e450-hdlc-gbt-plain", "CS-wrapper-image-transfer-initiate",
    "TR-u9n-udp-wrapper-ggc", "HAN-AT-evn-sagemcom-mbus", "HAN-AT-evn-sagemcom-mbus-L01",
    "HAN-SE-kaifa-list-llc",
};

START_TEST(pieces_give_identical_results)
{
    static uint8_t buf[4096];
    const char *name = piece_vectors[_i];
    size_t n = test_corpus(name, buf, sizeof buf);
    collect whole, piece;
    run(&whole, DS_LINK_AUTO, buf, n, 0, 0);
    ck_assert_uint_gt(whole.nframes, 0);
    const size_t sizes[] = {1, 2, 3, 7, 64};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        run(&piece, DS_LINK_AUTO, buf, n, sizes[k], 1000);
        assert_same(&whole, &piece, 1000);
        collect_free(&piece);
    }
    collect_free(&whole);
}
END_TEST

/* The get-request I frame of testdata/diagnose/link-hcs-fcs.hex: its HCS's first byte changed
 * (E6 -> E7) and its FCS as sent over the good bytes, so both checks fail. */
#define BOTH_BAD "7EA01A02232110E770E6E600C001C100080000010000FF0200601A7E"
#define GOOD_UA "7EA00721037301407E"

/* Feeds b whole, then in pieces of 1 to 9 bytes: the pieces give what the whole gives. */
static void run_whole_and_pieces(collect *c, ds_link_kind kind, const uint8_t *b, size_t n)
{
    run(c, kind, b, n, 0, 0);
    for (size_t piece = 1; piece < 10; piece++) {
        collect p;
        run(&p, kind, b, n, piece, 0);
        assert_same(c, &p, 0);
        collect_free(&p);
    }
}

/* A frame whose HCS and FCS both fail is one damaged frame where it stands where a frame is due
 * (the record's start, or right after a frame and its fill flags) and ends where the record ends
 * or another frame begins: one frame.hcs saying that the FCS fails too, and the frame delivered
 * with its checks. Elsewhere nothing vouches for it (noise has such candidates): garbage, and
 * a good frame inside it is found. */
START_TEST(hdlc_both_checks_bad_where_a_frame_stands)
{
    collect c;
    uint8_t b[256];
    /* at the record's start, then a UA after its own flag */
    size_t n = test_unhex(BOTH_BAD GOOD_UA, b, sizeof b);
    run_whole_and_pieces(&c, DS_LINK_AUTO, b, n);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.hcs", DS_SEV_ERROR, 7, 1); /* the HCS after 7E A0 1A 02 23 21 10 */
    ck_assert_ptr_nonnull(strstr(c.diags[0].message, "header check sequence 70E7 does not match the header (computed 70E6)"));
    ck_assert_ptr_nonnull(strstr(c.diags[0].message, "the frame check sequence fails too (1A60, computed E287)"));
    const ds_frame *f = &frame_at(&c, 0)->f;
    ck_assert_int_eq(f->complete, 1);
    ck_assert_int_eq(f->checks_ok, 0);
    ck_assert_int_eq(f->u.hdlc.hcs_ok, 0);
    ck_assert_int_eq(f->u.hdlc.fcs_ok, 0);
    ck_assert_int_eq(f->u.hdlc.type, DS_HDLC_I);
    ck_assert_uint_eq(f->wire_len, 28);
    ck_assert_uint_eq(f->info_len, 16); /* E6 E6 00 C0 01 C1 ... 02 00 */
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 28);
    ck_assert_int_eq(frame_at(&c, 1)->f.checks_ok, 1);
    collect_free(&c);

    /* after a UA, sharing its closing flag; then after fill flags; alone at the end of the record */
    n = test_unhex(GOOD_UA "A01A02232110E770E6E600C001C100080000010000FF0200601A7E7E7E" BOTH_BAD, b, sizeof b);
    run_whole_and_pieces(&c, DS_LINK_AUTO, b, n);
    ck_assert_uint_eq(c.nframes, 3);
    ck_assert_uint_eq(c.ndiags, 2);
    assert_diag(&c, 0, "frame.hcs", DS_SEV_ERROR, 8 + 7, 2);
    assert_diag(&c, 1, "frame.hcs", DS_SEV_ERROR, 8 + 28 + 2 + 7, 3);
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 8);
    ck_assert_uint_eq(frame_at(&c, 2)->f.offset, 8 + 28 + 2);
    collect_free(&c);

    /* after bytes that are no frame: nothing says a frame is due there, so it is garbage up to
     * the UA (forced HDLC: in auto mode the record would be taken for an APDU) */
    n = test_unhex("112233" BOTH_BAD GOOD_UA, b, sizeof b);
    run_whole_and_pieces(&c, DS_LINK_HDLC, b, n);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 3 + 28);
    collect_free(&c);

    /* followed by a byte that begins no frame: garbage too */
    n = test_unhex(BOTH_BAD "55" GOOD_UA, b, sizeof b);
    run_whole_and_pieces(&c, DS_LINK_AUTO, b, n);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 29);
    collect_free(&c);

    /* a good frame inside the candidate (the UA, its closing flag replaced by the candidate's
     * FCS 00 00): the UA is what the bytes hold, the rest still decodes */
    n = test_unhex("7EA01202232110 0000 7EA0072103730140 0000 7E", b, sizeof b);
    ck_assert_uint_ne(ds_crc16_x25(b + 1, 6), 0); /* the HCS 00 00 is wrong */
    run_whole_and_pieces(&c, DS_LINK_AUTO, b, n);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 9);
    ck_assert_int_eq(frame_at(&c, 0)->f.u.hdlc.type, DS_HDLC_UA);
    ck_assert_int_eq(frame_at(&c, 0)->f.u.hdlc.fcs_ok, 1);
    collect_free(&c);
}
END_TEST

/* A piece per frame, each with both its flags (a capture's TCP segments): the closing flag
 * kept from the piece before and the next piece's opening flag are fill, dropped without a word,
 * and the pieces give what the whole stream gives. A piece after them that opens with noise, a
 * piece of flags only and one that shares the kept flag (it begins with the frame format byte)
 * go the same ways as in the whole stream too. */
START_TEST(frame_per_piece_with_own_flags)
{
    static const char *const frames[] = {"CS-u9n-snrm", "CS-u9n-ua", "HAN-NO-kaifa-list1-0x7E", "CS-u9n-ua-4byte-addr"};
    static uint8_t buf[8192];
    size_t at[16], n = 0, k = 0;
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        at[k++] = n;
        n += test_corpus(frames[i], buf + n, sizeof buf - n);
        ck_assert_uint_eq(buf[at[k - 1]], 0x7E);
        ck_assert_uint_eq(buf[n - 1], 0x7E);
    }
    static const uint8_t flags_only[] = {0x7E, 0x7E, 0x7E}, noise[] = {0x7E, 0x11, 0x22, 0x33};
    at[k++] = n;
    memcpy(buf + n, flags_only, sizeof flags_only);
    n += sizeof flags_only;
    at[k++] = n;
    memcpy(buf + n, noise, sizeof noise);
    n += sizeof noise;
    /* the UA again, after its own flag, then sharing its closing flag with a second UA */
    at[k++] = n;
    size_t ua = test_corpus("CS-u9n-ua", buf + n, sizeof buf - n);
    n += ua;
    at[k++] = n;
    memcpy(buf + n, buf + n - ua + 1, ua - 1);
    n += ua - 1;
    at[k] = n;

    collect whole, pieces;
    run(&whole, DS_LINK_AUTO, buf, n, 0, 0);
    ck_assert_uint_ge(whole.nframes, 6);
    memset(&pieces, 0, sizeof pieces);
    ds_framer *fr = ds_framer_new(DS_LINK_AUTO, on_frame, on_diag, &pieces);
    ds_meta meta;
    memset(&meta, 0, sizeof meta);
    for (size_t i = 0; i < k; i++) ds_framer_feed(fr, buf + at[i], at[i + 1] - at[i], at[i], &meta);
    ds_framer_flush(fr);
    ds_framer_free(fr);
    assert_same(&whole, &pieces, 0);
    collect_free(&whole);
    collect_free(&pieces);
}
END_TEST

START_TEST(gbt_three_frames_and_meta)
{
    static uint8_t buf[4096];
    size_t n = test_corpus("HAN-CY-lg-e450-hdlc-gbt-plain", buf, sizeof buf);
    collect c;
    memset(&c, 0, sizeof c);
    ds_framer *fr = ds_framer_new(DS_LINK_AUTO, on_frame, on_diag, &c);
    ds_meta m1, m2;
    memset(&m1, 0, sizeof m1);
    m2 = m1;
    m1.dir = DS_DIR_RX;
    m1.line = 3;
    strcpy(m1.timestamp, "18:29:59");
    m2.dir = DS_DIR_RX;
    m2.line = 4;
    /* the second frame starts at 134 = the closing flag of the first, inside the first piece */
    ds_framer_feed(fr, buf, 150, 0, &m1);
    ds_framer_feed(fr, buf + 150, n - 150, 150, &m2);
    ds_framer_flush(fr);
    ds_framer_free(fr);
    ck_assert_uint_eq(c.nframes, 3);
    ck_assert_uint_eq(c.ndiags, 0);
    ck_assert_uint_eq(c.frames[0].f.meta.line, 3);
    ck_assert_str_eq(c.frames[0].f.meta.timestamp, "18:29:59");
    ck_assert_uint_eq(c.frames[1].f.offset, 134);
    ck_assert_uint_eq(c.frames[1].f.meta.line, 3);
    ck_assert_uint_eq(c.frames[2].f.meta.line, 4);
    ck_assert_uint_eq(c.frames[2].f.number, 3);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(c.frames[i].f.checks_ok, 1);
    collect_free(&c);
}
END_TEST

/* ---- wrapper, M-Bus, raw ------------------------------------------------------------------------ */

START_TEST(wrapper_vectors)
{
    collect c;
    run_vector(&c, "CS-wrapper-image-transfer-initiate");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    const saved_frame *s = frame_at(&c, 0);
    ck_assert_int_eq(s->f.kind, DS_LINK_WRAPPER);
    ck_assert_uint_eq(s->f.u.wrapper.version, 1);
    ck_assert_uint_eq(s->f.u.wrapper.src_port, 1);
    ck_assert_uint_eq(s->f.u.wrapper.dst_port, 1);
    ck_assert_uint_eq(s->f.u.wrapper.length, 0x3D);
    ck_assert_uint_eq(s->f.info_len, 61);
    ck_assert_uint_eq(s->f.info_offset, 8);
    ck_assert_uint_eq(s->info[0], 0xC3);
    ck_assert_int_eq(s->f.checks_ok, 1);
    collect_free(&c);

    run_vector(&c, "TR-u9n-udp-wrapper-ggc");
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    s = frame_at(&c, 0);
    ck_assert_uint_eq(s->f.u.wrapper.length, 0x46);
    ck_assert_uint_eq(s->f.info_len, 70);
    ck_assert_uint_eq(s->info[0], 0xDB);
    collect_free(&c);

    /* ports not swapped: source 16, destination 1; then a second wrapper in the same record */
    uint8_t b[64];
    size_t n = test_unhex("0001 0010 0001 0002 C001  0001 0001 0010 0001 C4", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(frame_at(&c, 0)->f.u.wrapper.src_port, 16);
    ck_assert_uint_eq(frame_at(&c, 0)->f.u.wrapper.dst_port, 1);
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 10);
    ck_assert_uint_eq(frame_at(&c, 1)->f.u.wrapper.dst_port, 16);
    collect_free(&c);

    /* truncated payload */
    n = test_unhex("0001 0001 0001 0005 C001", b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 1, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.truncated", DS_SEV_ERROR, 0, 1);
    ck_assert_int_eq(frame_at(&c, 0)->f.complete, 0);
    ck_assert_uint_eq(frame_at(&c, 0)->f.info_len, 2);
    collect_free(&c);
}
END_TEST

START_TEST(mbus_two_telegrams)
{
    collect c;
    run_vector(&c, "HAN-AT-evn-sagemcom-mbus");
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 0);
    const saved_frame *a = frame_at(&c, 0), *b = frame_at(&c, 1);
    ck_assert_int_eq(a->f.kind, DS_LINK_MBUS);
    ck_assert_uint_eq(a->f.u.mbus.l_field, 0xFA);
    ck_assert_uint_eq(a->f.u.mbus.c, 0x53);
    ck_assert_uint_eq(a->f.u.mbus.a, 0xFF);
    ck_assert_uint_eq(a->f.u.mbus.ci, 0x00);
    ck_assert_int_eq(a->f.u.mbus.has_tsap, 1);
    ck_assert_uint_eq(a->f.u.mbus.stsap, 0x01);
    ck_assert_uint_eq(a->f.u.mbus.dtsap, 0x67);
    ck_assert_int_eq(a->f.u.mbus.seq, 0);
    ck_assert_int_eq(a->f.u.mbus.fin, 0);
    ck_assert_int_eq(a->f.u.mbus.checksum_ok, 1);
    ck_assert_int_eq(a->f.u.mbus.l_quirk, 0);
    ck_assert_uint_eq(a->f.wire_len, 256);
    ck_assert_uint_eq(a->f.info_len, 245);
    ck_assert_uint_eq(a->f.info_offset, 9);
    ck_assert_uint_eq(a->info[0], 0xDB);
    ck_assert_uint_eq(b->f.offset, 256);
    ck_assert_uint_eq(b->f.u.mbus.ci, 0x11);
    ck_assert_int_eq(b->f.u.mbus.seq, 1);
    ck_assert_int_eq(b->f.u.mbus.fin, 1);
    ck_assert_uint_eq(b->f.info_len, 0x14 - 5);
    ck_assert_int_eq(b->f.checks_ok, 1);
    collect_free(&c);

    run_vector(&c, "HAN-AT-tinetz-kaifa-ma309-mbus");
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 0);
    ck_assert_uint_eq(frame_at(&c, 1)->f.u.mbus.l_field, 0x26);
    collect_free(&c);
}
END_TEST

START_TEST(mbus_length_quirk)
{
    collect c;
    run_vector(&c, "HAN-AT-evn-sagemcom-mbus-L01");
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.length-quirk", DS_SEV_WARNING, 1, 1);
    const saved_frame *a = frame_at(&c, 0), *b = frame_at(&c, 1);
    ck_assert_uint_eq(a->f.u.mbus.l_field, 0x01);
    ck_assert_int_eq(a->f.u.mbus.l_quirk, 1);
    ck_assert_int_eq(a->f.u.mbus.checksum_ok, 1);
    ck_assert_int_eq(a->f.checks_ok, 1);
    ck_assert_uint_eq(a->f.wire_len, 263);
    ck_assert_uint_eq(a->f.info_len, 252);
    ck_assert_uint_eq(b->f.offset, 263);
    ck_assert_uint_eq(b->f.u.mbus.l_field, 0x0D);
    ck_assert_int_eq(b->f.u.mbus.l_quirk, 0);
    collect_free(&c);
}
END_TEST

START_TEST(mbus_bad_checksum)
{
    static uint8_t buf[4096];
    size_t n = test_corpus("HAN-AT-evn-sagemcom-mbus", buf, sizeof buf);
    buf[256 + 12] ^= 0x01;  /* a data byte of the second telegram */
    collect c;
    run(&c, DS_LINK_AUTO, buf, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.checksum", DS_SEV_ERROR, 256 + 4 + 0x14, 2);
    ck_assert_int_eq(frame_at(&c, 1)->f.checks_ok, 0);
    ck_assert_int_eq(frame_at(&c, 1)->f.u.mbus.checksum_ok, 0);
    ck_assert_int_eq(frame_at(&c, 0)->f.checks_ok, 1);
    collect_free(&c);

    /* stop byte replaced: the checksum vouches for the telegram, a warning says what is off */
    n = test_corpus("HAN-AT-evn-sagemcom-mbus", buf, sizeof buf);
    ck_assert_uint_eq(buf[n - 1], 0x16);
    buf[n - 1] = 0x17;
    run(&c, DS_LINK_AUTO, buf, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.bad-length", DS_SEV_WARNING, n - 1, 2);
    ck_assert_int_eq(frame_at(&c, 1)->f.checks_ok, 0);
    ck_assert_int_eq(frame_at(&c, 1)->f.u.mbus.checksum_ok, 1);
    collect_free(&c);

    /* cut inside the second telegram */
    n = test_corpus("HAN-AT-evn-sagemcom-mbus", buf, sizeof buf);
    run(&c, DS_LINK_AUTO, buf, n - 5, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.truncated", DS_SEV_ERROR, 256, 2);
    ck_assert_int_eq(frame_at(&c, 1)->f.complete, 0);
    ck_assert_int_eq(frame_at(&c, 1)->f.u.mbus.checksum_ok, -1);
    collect_free(&c);
}
END_TEST

START_TEST(raw_records)
{
    static uint8_t buf[4096];
    size_t n = test_corpus("HAN-SE-kaifa-list-llc", buf, sizeof buf);
    collect c;
    run(&c, DS_LINK_AUTO, buf, n, 5, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    const saved_frame *s = frame_at(&c, 0);
    ck_assert_int_eq(s->f.kind, DS_LINK_RAW);
    ck_assert_uint_eq(s->f.info_len, 275);
    ck_assert_uint_eq(s->info[0], 0xE6);
    ck_assert_int_eq(s->f.complete, 1);
    collect_free(&c);

    /* a raw record is delivered at the flush, then a framed record follows */
    uint8_t b[64];
    memset(&c, 0, sizeof c);
    ds_framer *fr = ds_framer_new(DS_LINK_AUTO, on_frame, on_diag, &c);
    n = test_unhex("C001C100080000010000FF0200", b, sizeof b);
    for (size_t i = 0; i < n; i++) ds_framer_feed(fr, b + i, 1, i, NULL);
    ck_assert_uint_eq(c.nframes, 0);
    ds_framer_flush(fr);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.frames[0].f.info_len, 13);
    size_t m = test_unhex("7EA00802232193BD647E", b, sizeof b);
    ds_framer_feed(fr, b, m, n, NULL);
    ds_framer_flush(fr);
    ds_framer_free(fr);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_int_eq(c.frames[1].f.kind, DS_LINK_HDLC);
    ck_assert_uint_eq(c.frames[1].f.offset, 13);
    ck_assert_uint_eq(c.frames[1].f.number, 2);
    ck_assert_uint_eq(c.ndiags, 0);
    collect_free(&c);

    /* forced kinds only look for their own framing */
    n = test_unhex("7EA00802232193BD647E", b, sizeof b);
    run(&c, DS_LINK_RAW, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_int_eq(frame_at(&c, 0)->f.kind, DS_LINK_RAW);
    collect_free(&c);
    run(&c, DS_LINK_WRAPPER, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 0);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
    collect_free(&c);
    run(&c, DS_LINK_MBUS, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 0);
    collect_free(&c);
}
END_TEST

START_TEST(raw_record_too_large)
{
    size_t n = (size_t)DS_RAW_MAX + 100;
    uint8_t *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    memset(big, 0xC0, n);
    collect c;
    /* forced raw: the first DS_RAW_MAX bytes are delivered, the rest is reported */
    run(&c, DS_LINK_RAW, big, n, 4096, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "input.too-large", DS_SEV_ERROR, DS_RAW_MAX, 1);
    ck_assert_uint_eq(frame_at(&c, 0)->f.info_len, DS_RAW_MAX);
    ck_assert_int_eq(frame_at(&c, 0)->f.complete, 0);
    collect_free(&c);
    /* exactly DS_RAW_MAX is fine */
    run(&c, DS_LINK_RAW, big, DS_RAW_MAX, 0, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    ck_assert_int_eq(frame_at(&c, 0)->f.complete, 1);
    collect_free(&c);
    /* auto: an unframed record up to DS_RAW_AUTO_MAX is a raw APDU ... */
    run(&c, DS_LINK_AUTO, big, DS_RAW_AUTO_MAX - 1, 0, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 0);
    collect_free(&c);
    /* ... a longer one is no APDU: it is scanned for frames, here all garbage */
    run(&c, DS_LINK_AUTO, big, n, 4096, 0);
    ck_assert_uint_eq(c.nframes, 0);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
    collect_free(&c);
    free(big);
}
END_TEST

START_TEST(diag_line_from_meta)
{
    collect c;
    memset(&c, 0, sizeof c);
    uint8_t b[64];
    size_t n = test_unhex("7EA00F21000204019727C5100004C6067E", b, sizeof b);
    ds_meta m;
    memset(&m, 0, sizeof m);
    m.line = 42;
    ds_framer *fr = ds_framer_new(DS_LINK_AUTO, on_frame, on_diag, &c);
    ds_framer_feed(fr, b, n, 500, &m);
    ds_framer_flush(fr);
    ds_framer_free(fr);
    ck_assert_uint_eq(c.ndiags, 1);
    ck_assert_uint_eq(c.diags[0].line, 42);
    ck_assert_uint_eq(c.diags[0].offset, 514);
    ck_assert_uint_eq(c.frames[0].f.meta.line, 42);
    collect_free(&c);
}
END_TEST


/* ---- issue 12: frames anywhere, lines, every framing, M-Bus short frame and E5 ----------------- */

/* Feeds text lines (hex, one string each) as the reader hands them out: one piece a line, with
 * its line number in the meta, and flushes at the end. */
static void run_lines(collect *c, const char *const *lines, size_t nlines)
{
    memset(c, 0, sizeof *c);
    ds_framer *fr = ds_framer_new(DS_LINK_AUTO, on_frame, on_diag, c);
    ck_assert_ptr_nonnull(fr);
    uint64_t off = 0;
    for (size_t i = 0; i < nlines; i++) {
        uint8_t b[256];
        size_t n = test_unhex(lines[i], b, sizeof b);
        ds_meta m;
        memset(&m, 0, sizeof m);
        m.line = i + 1;
        ds_framer_feed(fr, b, n, off, &m);
        off += n;
    }
    ds_framer_flush(fr);
    ds_framer_free(fr);
}

START_TEST(frame_after_junk_in_a_record)
{
    /* a record that begins with junk (not an APDU tag, then an APDU tag) holds a checked frame */
    static const char *const starts[] = {"FF", "C4", "C40102"};
    for (size_t k = 0; k < 3; k++) {
        char line[64];
        snprintf(line, sizeof line, "%s 7EA00802232193BD647E", starts[k]);
        const char *const lines[] = {line};
        collect c;
        run_lines(&c, lines, 1);
        ck_assert_uint_eq(c.nframes, 1);
        ck_assert_int_eq(frame_at(&c, 0)->f.kind, DS_LINK_HDLC);
        ck_assert_uint_eq(frame_at(&c, 0)->f.offset, strlen(starts[k]) / 2);
        ck_assert_uint_eq(c.ndiags, 1);
        assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
        ck_assert_uint_eq(c.diags[0].line, 1);
        collect_free(&c);
    }
}
END_TEST

START_TEST(frame_across_line_break_after_junk)
{
    const char *const lines[] = {"112233 7EA007", "21037301407E 44", "7EA00802232193BD647E"};
    collect c;
    run_lines(&c, lines, 3);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 3);
    ck_assert_uint_eq(frame_at(&c, 0)->f.wire_len, 9);
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 13);
    ck_assert_uint_eq(c.ndiags, 2);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
    assert_diag(&c, 1, "frame.garbage", DS_SEV_ERROR, 12, 0);
    ck_assert_uint_eq(c.diags[1].line, 2);
    collect_free(&c);
}
END_TEST

START_TEST(lines_of_one_apdu_each_stay_apart)
{
    const char *const lines[] = {"C001C1000100002B0100FF0200", "C501C100", "D80102", "C002C100000001"};
    collect c;
    run_lines(&c, lines, 4);
    ck_assert_uint_eq(c.nframes, 4);
    static const size_t lens[] = {13, 4, 3, 7};
    uint64_t off = 0;
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(frame_at(&c, i)->f.kind, DS_LINK_RAW);
        ck_assert_uint_eq(frame_at(&c, i)->f.info_len, lens[i]);
        ck_assert_uint_eq(frame_at(&c, i)->f.offset, off);
        ck_assert_uint_eq(frame_at(&c, i)->f.meta.line, i + 1);
        off += lens[i];
    }
    ck_assert_uint_eq(c.ndiags, 0);
    collect_free(&c);
}
END_TEST

START_TEST(wrapped_apdu_lines_join)
{
    /* 16 + 16 + 5 bytes: wrapped at a width of whole 8-byte groups, one record */
    const char *const wrapped[] = {"C001C1000100002B0100FF0200C001C1", "000100002B0100FF0200C001C1000100", "002B0100FF"};
    collect c;
    run_lines(&c, wrapped, 3);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(frame_at(&c, 0)->f.info_len, 37);
    collect_free(&c);
    /* 12 + 12 bytes: not a wrap width, two records; 16 + 20 + 4: the second line is wider, so the
     * third starts a record of its own */
    const char *const apart[] = {"C001C1000100002B0100FF02", "C001C1000100002B0100FF02"};
    run_lines(&c, apart, 2);
    ck_assert_uint_eq(c.nframes, 2);
    collect_free(&c);
    const char *const wider[] = {"C001C1000100002B0100FF0200C001C1", "000100002B0100FF0200C001C1000100AABBCCDD",
                                 "C501C100"};
    run_lines(&c, wider, 3);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(frame_at(&c, 0)->f.info_len, 36);
    ck_assert_uint_eq(frame_at(&c, 1)->f.info_len, 4);
    collect_free(&c);
}
END_TEST

START_TEST(binary_wrapper_after_hdlc)
{
    uint8_t b[256];
    /* SNRM, a wrapper of 5 APDU bytes (00 05), the empty UA */
    size_t n = test_unhex("7EA00802232193BD647E"
                   "0001000100010005C501C10000"
                   "7EA00721037301407E",
                   b, sizeof b);
    collect c;
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 3);
    ck_assert_int_eq(frame_at(&c, 1)->f.kind, DS_LINK_WRAPPER);
    ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 10);
    ck_assert_uint_eq(frame_at(&c, 1)->f.info_len, 5);
    ck_assert_int_eq(frame_at(&c, 2)->f.kind, DS_LINK_HDLC);
    ck_assert_uint_eq(c.ndiags, 0);
    collect_free(&c);
    /* the same in pieces of one byte */
    run(&c, DS_LINK_AUTO, b, n, 1, 0);
    ck_assert_uint_eq(c.nframes, 3);
    ck_assert_uint_eq(c.ndiags, 0);
    collect_free(&c);
    /* a header whose length does not end where a frame begins is garbage after a checked frame */
    n = test_unhex("7EA00802232193BD647E"
                   "0001000100010002C501C10000"
                   "7EA00721037301407E",
                   b, sizeof b);
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 2);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 10, 0);
    collect_free(&c);
}
END_TEST

START_TEST(mbus_short_frame_and_ack)
{
    uint8_t b[64];
    /* REQ_UD2 (5B+FE = 159 -> 59), E5, SND_NKE (40+FE = 13E -> 3E) */
    size_t n = test_unhex("105BFE5916 E5 1040FE3E16", b, sizeof b);
    collect c;
    for (size_t piece = 0; piece <= 1; piece++) {
        run(&c, DS_LINK_AUTO, b, n, piece, 0);
        ck_assert_uint_eq(c.nframes, 3);
        ck_assert_uint_eq(c.ndiags, 0);
        ck_assert_int_eq(frame_at(&c, 0)->f.kind, DS_LINK_MBUS);
        ck_assert_int_eq(frame_at(&c, 0)->f.u.mbus.form, DS_MBUS_SHORT);
        ck_assert_uint_eq(frame_at(&c, 0)->f.u.mbus.c, 0x5B);
        ck_assert_uint_eq(frame_at(&c, 0)->f.u.mbus.a, 0xFE);
        ck_assert_uint_eq(frame_at(&c, 0)->f.wire_len, 5);
        ck_assert_uint_eq(frame_at(&c, 0)->f.info_len, 0);
        ck_assert_int_eq(frame_at(&c, 1)->f.u.mbus.form, DS_MBUS_ACK);
        ck_assert_uint_eq(frame_at(&c, 1)->f.offset, 5);
        ck_assert_uint_eq(frame_at(&c, 1)->f.wire_len, 1);
        ck_assert_int_eq(frame_at(&c, 2)->f.u.mbus.form, DS_MBUS_SHORT);
        ck_assert_uint_eq(frame_at(&c, 2)->f.u.mbus.c, 0x40);
        collect_free(&c);
    }
    /* bad checksum; E5 in the middle of noise; a good short frame amid noise (the record's
     * start and the end of a frame are the places where it needs no frame after it) */
    static const char *const no[] = {"105BFE5816", "1122E53344", "33 105BFE5916 33"};
    for (size_t k = 0; k < 3; k++) {
        n = test_unhex(no[k], b, sizeof b);
        run(&c, DS_LINK_AUTO, b, n, 0, 0);
        for (size_t i = 0; i < c.nframes; i++) ck_assert_int_ne(frame_at(&c, i)->f.kind, DS_LINK_MBUS);
        collect_free(&c);
    }
    /* told it is M-Bus, a short frame needs no follower */
    n = test_unhex("33 105BFE5916 33", b, sizeof b);
    run(&c, DS_LINK_MBUS, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(frame_at(&c, 0)->f.offset, 1);
    ck_assert_uint_eq(c.ndiags, 2);
    assert_diag(&c, 1, "frame.garbage", DS_SEV_ERROR, 6, 0);
    collect_free(&c);
}
END_TEST

START_TEST(noise_with_weak_starts_before_a_frame)
{
    /* 00 and 10 are starts only with 01 / a 16 four bytes on: noise full of them, in every
     * alignment against the sixteen-byte scan, still leaves the frame where it is */
    static const uint8_t NOISE[6] = {0x00, 0x10, 0x00, 0x02, 0x10, 0x16};
    uint8_t frame[16], b[96];
    size_t fl = test_unhex("7EA00802232193BD647E", frame, sizeof frame);
    for (size_t k = 1; k <= 64; k++) {
        for (size_t i = 0; i < k; i++) b[i] = NOISE[i % 6];
        memcpy(b + k, frame, fl);
        collect c;
        run(&c, DS_LINK_AUTO, b, k + fl, 0, 0);
        ck_assert_msg(c.nframes == 1, "noise %zu: %zu frames", k, c.nframes);
        ck_assert_uint_eq(frame_at(&c, 0)->f.offset, k);
        ck_assert_uint_eq(c.ndiags, 1);
        assert_diag(&c, 0, "frame.garbage", DS_SEV_ERROR, 0, 0);
        collect_free(&c);
    }
}
END_TEST

/* ---- envelope ------------------------------------------------------------------------------------ */

/* A sink that writes a simplified XML text: flat containers keep their children at their own column. */
typedef struct text_sink {
    ds_sink base;
    char out[8192];
    size_t len;
    int indent[32];
    int depth;
} text_sink;

static void ts_put(text_sink *t, const char *s)
{
    size_t n = strlen(s);
    ck_assert_uint_lt(t->len + n, sizeof t->out);
    memcpy(t->out + t->len, s, n + 1);
    t->len += n;
}

static void ts_pad(text_sink *t)
{
    int cols = t->depth ? t->indent[t->depth] : 0;
    for (int i = 0; i < cols; i++) ts_put(t, " ");
}

/* "<name a="v"..." at the current indentation; the name's length must be the one given */
static void ts_start_tag(text_sink *t, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    ck_assert_uint_eq(name_len, strlen(name));
    ts_pad(t);
    ts_put(t, "<");
    ts_put(t, name);
    for (size_t i = 0; i < nattrs; i++) {
        ts_put(t, " ");
        ts_put(t, attrs[i].name);
        ts_put(t, "=\"");
        ts_put(t, attrs[i].value);
        ts_put(t, "\"");
    }
}

static void ts_open(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs,
                    unsigned flags)
{
    text_sink *t = (text_sink *)s;
    ts_start_tag(t, name, name_len, attrs, nattrs);
    ts_put(t, nattrs ? " >\n" : ">\n");
    int cur = t->depth ? t->indent[t->depth] : 0;
    ck_assert_int_lt(t->depth + 1, 32);
    t->indent[++t->depth] = (flags & DS_OPEN_FLAT) ? cur : cur + 2;
}

static void ts_close(ds_sink *s, const char *name, size_t name_len)
{
    text_sink *t = (text_sink *)s;
    ck_assert_uint_eq(name_len, strlen(name));
    ck_assert_int_gt(t->depth, 0);
    t->depth--;
    ts_pad(t);
    ts_put(t, "</");
    ts_put(t, name);
    ts_put(t, ">\n");
}

static void ts_leaf(ds_sink *s, const char *name, size_t name_len, const char *value, size_t value_len,
                    unsigned flags)
{
    text_sink *t = (text_sink *)s;
    char v[512];
    (void)flags;
    ck_assert_uint_eq(name_len, strlen(name));
    ck_assert_uint_lt(value_len, sizeof v);
    memcpy(v, value, value_len);
    v[value_len] = '\0';
    ts_pad(t);
    ts_put(t, "<");
    ts_put(t, name);
    ts_put(t, " Value=\"");
    ts_put(t, v);
    ts_put(t, "\" />\n");
}

static void ts_leaf_attrs(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    text_sink *t = (text_sink *)s;
    ts_start_tag(t, name, name_len, attrs, nattrs);
    ts_put(t, " />\n");
}

static void ts_comment(ds_sink *s, const char *text, size_t len, unsigned flags)
{
    (void)flags;
    text_sink *t = (text_sink *)s;
    char v[512];
    ck_assert_uint_lt(len, sizeof v);
    memcpy(v, text, len);
    v[len] = '\0';
    ts_pad(t);
    ts_put(t, "<!--");
    ts_put(t, v);
    ts_put(t, "-->\n");
}

static void ts_diag(ds_sink *s, const ds_diag *d)
{
    text_sink *t = (text_sink *)s;
    ts_put(t, "DIAG ");
    ts_put(t, d->code);
    ts_put(t, "\n");
}

static void ts_init(text_sink *t)
{
    memset(t, 0, sizeof *t);
    t->base.open = ts_open;
    t->base.close = ts_close;
    t->base.leaf = ts_leaf;
    t->base.leaf_attrs = ts_leaf_attrs;
    t->base.comment = ts_comment;
    t->base.diagnostic = ts_diag;
}

/* Frames the hex (one frame expected) and writes its envelope; body_ret receives ds_envelope_body's result. */
static void envelope_of(const char *hex, ds_link_kind kind, int decimal, int comments, const ds_meta *meta,
                        text_sink *t, int *body_ret)
{
    static uint8_t b[4096];
    size_t n = test_unhex(hex, b, sizeof b);
    collect c;
    run(&c, kind, b, n, 0, 0);
    ck_assert_uint_ge(c.nframes, 1);
    ds_frame f = c.frames[0].f;
    f.wire = c.frames[0].wire;
    f.info = c.frames[0].info;
    if (meta) f.meta = *meta;
    ds_options opt;
    memset(&opt, 0, sizeof opt);
    opt.decimal = decimal;
    opt.comments = comments;
    ds_emit e;
    ts_init(t);
    ds_emit_init(&e, &t->base, &opt, NULL, NULL);
    ck_assert_int_eq(ds_envelope_open(&e, &f), 0);
    *body_ret = ds_envelope_body(&e, &f);
    ds_envelope_close(&e, &f);
    ck_assert_int_eq(e.depth, 0);
    ck_assert_int_eq(t->depth, 0);
    collect_free(&c);
}

START_TEST(envelope_ua_with_parameters)
{
    text_sink t;
    int body;
    envelope_of("7EA01F21022373E6C781801205019A06019A070400000001080400000001CCA27E", DS_LINK_AUTO, 0, 1, NULL,
                &t, &body);
    ck_assert_int_eq(body, 1);
    ck_assert_str_eq(t.out,
                     "<HDLC len=\"1E\" >\n"
                     "<TargetAddress Value=\"10\" />\n"
                     "<!--logical 1, physical 17-->\n"
                     "<SourceAddress Value=\"91\" />\n"
                     "<!--UA frame P/F=1-->\n"
                     "<FrameType Value=\"73\" />\n"
                     "<PDU>\n"
                     "<Ua>\n"
                     "  <MaxInfoTX Value=\"154\" />\n"
                     "  <MaxInfoRX Value=\"154\" />\n"
                     "  <WindowSizeTX Value=\"1\" />\n"
                     "  <WindowSizeRX Value=\"1\" />\n"
                     "</Ua>\n"
                     "</PDU>\n"
                     "</HDLC>\n");
}
END_TEST

START_TEST(envelope_snrm_direction_time)
{
    text_sink t;
    int body;
    ds_meta m;
    memset(&m, 0, sizeof m);
    m.dir = DS_DIR_TX;
    strcpy(m.timestamp, "18:29:59");
    envelope_of("7EA00802232193BD647E", DS_LINK_AUTO, 0, 1, &m, &t, &body);
    ck_assert_int_eq(body, 1);
    ck_assert_str_eq(t.out,
                     "<HDLC len=\"A\" Direction=\"TX\" Time=\"18:29:59\" >\n"
                     "<!--logical 1, physical 17-->\n"
                     "<TargetAddress Value=\"91\" />\n"
                     "<SourceAddress Value=\"10\" />\n"
                     "<!--SNRM frame P/F=1-->\n"
                     "<FrameType Value=\"93\" />\n"
                     "<Snrm>\n"
                     "</Snrm>\n"
                     "</HDLC>\n");
}
END_TEST

START_TEST(envelope_dm_decimal_no_comments)
{
    text_sink t;
    int body;
    envelope_of("7EA00A21000204011FC43D7E", DS_LINK_AUTO, 1, 0, NULL, &t, &body);
    ck_assert_int_eq(body, 1);
    ck_assert_str_eq(t.out,
                     "<HDLC len=\"12\" >\n"
                     "<TargetAddress Value=\"16\" />\n"
                     "<SourceAddress Value=\"16640\" />\n"
                     "<FrameType Value=\"1F\" />\n"
                     "<DisconnectMode>\n"
                     "</DisconnectMode>\n"
                     "</HDLC>\n");
    /* hex mode: the 4-byte address 00 02 04 01 packs to 4100 */
    envelope_of("7EA00A21000204011FC43D7E", DS_LINK_AUTO, 0, 1, NULL, &t, &body);
    ck_assert_str_eq(t.out,
                     "<HDLC len=\"C\" >\n"
                     "<TargetAddress Value=\"10\" />\n"
                     "<!--logical 1, physical 256-->\n"
                     "<SourceAddress Value=\"4100\" />\n"
                     "<!--DM frame P/F=1-->\n"
                     "<FrameType Value=\"1F\" />\n"
                     "<DisconnectMode>\n"
                     "</DisconnectMode>\n"
                     "</HDLC>\n");
}
END_TEST

START_TEST(envelope_iframe_leaves_payload)
{
    static uint8_t b[512];
    text_sink t;
    int body;
    size_t n = test_corpus("CS-u9n-segmented-iframe", b, sizeof b);
    char hex[1100];
    for (size_t i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02X", b[i]);
    envelope_of(hex, DS_LINK_AUTO, 0, 1, NULL, &t, &body);
    ck_assert_int_eq(body, 0);
    ck_assert_str_eq(t.out,
                     "<HDLC len=\"7D\" >\n"
                     "<TargetAddress Value=\"10\" />\n"
                     "<SourceAddress Value=\"1\" />\n"
                     "<!--I frame N(S)=3 N(R)=4 P/F=1-->\n"
                     "<FrameType Value=\"96\" />\n"
                     "</HDLC>\n");
}
END_TEST

START_TEST(envelope_rr_frame)
{
    uint8_t b[16];
    char hex[40];
    size_t n = build_hdlc("032131", "", b, sizeof b);
    ck_assert_uint_eq(n, 9);
    to_hex(b, n, hex);
    text_sink t;
    int body;
    envelope_of(hex, DS_LINK_AUTO, 0, 1, NULL, &t, &body);
    ck_assert_int_eq(body, 1);
    ck_assert_str_eq(t.out,
                     "<HDLC len=\"9\" >\n"
                     "<TargetAddress Value=\"1\" />\n"
                     "<SourceAddress Value=\"10\" />\n"
                     "<!--RR frame N(R)=1 P/F=1-->\n"
                     "<FrameType Value=\"31\" />\n"
                     "<Command Value=\"NextFrame\" />\n"
                     "</HDLC>\n");
}
END_TEST

START_TEST(envelope_wrapper_and_mbus)
{
    text_sink t;
    int body;
    envelope_of("0001 0010 0001 0002 C001", DS_LINK_AUTO, 0, 1, NULL, &t, &body);
    ck_assert_int_eq(body, 0);
    ck_assert_str_eq(t.out,
                     "<WRAPPER len=\"A\" >\n"
                     "<TargetAddress Value=\"1\" />\n"
                     "<SourceAddress Value=\"10\" />\n"
                     "</WRAPPER>\n");
    envelope_of("0001 0010 0001 0002 C001", DS_LINK_AUTO, 1, 0, NULL, &t, &body);
    ck_assert_str_eq(t.out,
                     "<WRAPPER len=\"10\" >\n"
                     "<TargetAddress Value=\"1\" />\n"
                     "<SourceAddress Value=\"16\" />\n"
                     "</WRAPPER>\n");

    static uint8_t b[512];
    static char hex[1100];
    size_t n = test_corpus("HAN-AT-evn-sagemcom-mbus-L01", b, sizeof b);
    for (size_t i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02X", b[i]);
    ds_meta m;
    memset(&m, 0, sizeof m);
    m.dir = DS_DIR_RX;
    envelope_of(hex, DS_LINK_AUTO, 0, 1, &m, &t, &body);
    ck_assert_int_eq(body, 0);
    ck_assert_str_eq(t.out,
                     "<WiredMBus len=\"105\" Direction=\"RX\" >\n"
                     "<Control Value=\"53\" />\n"
                     "<Address Value=\"FF\" />\n"
                     "<CI Value=\"00\" />\n"
                     "<TargetAddress Value=\"67\" />\n"
                     "<SourceAddress Value=\"1\" />\n"
                     "</WiredMBus>\n");
}
END_TEST

START_TEST(envelope_raw_comment)
{
    text_sink t;
    int body;
    ds_meta m;
    memset(&m, 0, sizeof m);
    m.dir = DS_DIR_RX;
    strcpy(m.timestamp, "12:00:01");
    envelope_of("C001C100080000010000FF0200", DS_LINK_AUTO, 0, 1, &m, &t, &body);
    ck_assert_int_eq(body, 0);
    ck_assert_str_eq(t.out, "<!--RX 12:00:01-->\n");
    envelope_of("C001C100080000010000FF0200", DS_LINK_AUTO, 0, 0, &m, &t, &body);
    ck_assert_str_eq(t.out, "");
}
END_TEST

START_TEST(envelope_malformed_ua_parameters)
{
    /* group length 5 ends inside the 06 parameter: 05 01 80 is shown, the rest is Undecoded */
    uint8_t b[64];
    char hex[140];
    size_t n = build_hdlc("21022373", "8180050501800601", b, sizeof b);
    to_hex(b, n, hex);
    collect c;
    run(&c, DS_LINK_AUTO, b, n, 0, 0);
    ck_assert_uint_eq(c.nframes, 1);
    ck_assert_uint_eq(c.ndiags, 1);
    assert_diag(&c, 0, "frame.bad-length", DS_SEV_WARNING, 9, 1);
    ck_assert_int_eq(frame_at(&c, 0)->f.checks_ok, 1);
    collect_free(&c);
    text_sink t;
    int body;
    envelope_of(hex, DS_LINK_AUTO, 0, 0, NULL, &t, &body);
    ck_assert_int_eq(body, 1);
    ck_assert_str_eq(t.out,
                     "<HDLC len=\"11\" >\n"
                     "<TargetAddress Value=\"10\" />\n"
                     "<SourceAddress Value=\"91\" />\n"
                     "<FrameType Value=\"73\" />\n"
                     "<PDU>\n"
                     "<Ua>\n"
                     "  <MaxInfoTX Value=\"128\" />\n"
                     "  <Undecoded Value=\"0601\" />\n"
                     "</Ua>\n"
                     "</PDU>\n"
                     "</HDLC>\n");
}
END_TEST

static Suite *link_suite(void)
{
    Suite *s = suite_create("link");
    TCase *t = tcase_create("fields");
    tcase_add_test(t, crc_check_value);
    tcase_add_test(t, crc_in_pieces);
    tcase_add_test(t, address_decoding);
    tcase_add_test(t, address_sizes_all_patterns);
    tcase_add_test(t, control_classification);
    tcase_add_test(t, snrm_ua_parameters);
    suite_add_tcase(s, t);

    t = tcase_create("hdlc");
    tcase_add_test(t, hdlc_snrm);
    tcase_add_test(t, hdlc_ua_parameters);
    tcase_add_test(t, hdlc_ua_4byte_two_frames);
    tcase_add_test(t, hdlc_dm_4byte);
    tcase_add_test(t, hdlc_unescaped_7e_7d_inside);
    tcase_add_test(t, hdlc_segmented);
    tcase_add_test(t, hdlc_truncated_vectors);
    tcase_add_test(t, hdlc_abort_sequence);
    tcase_add_test(t, hdlc_bad_fcs_delivered);
    tcase_add_test(t, hdlc_both_checks_bad_where_a_frame_stands);
    tcase_add_test(t, hdlc_missing_closing_flag);
    tcase_add_test(t, hdlc_stuffed);
    tcase_add_test(t, hdlc_shared_flag_and_garbage);
    tcase_add_test(t, noise_of_every_length_before_a_frame);
    tcase_add_test(t, hdlc_resynchronise);
    tcase_add_test(t, hdlc_invalid_address_is_not_a_frame);
    tcase_add_test(t, false_starts_before_good_frames);
    tcase_add_test(t, frame_per_piece_with_own_flags);
    tcase_add_loop_test(t, pieces_give_identical_results, 0,
                        (int)(sizeof piece_vectors / sizeof piece_vectors[0]));
    tcase_add_test(t, gbt_three_frames_and_meta);
    tcase_add_test(t, diag_line_from_meta);
    suite_add_tcase(s, t);

    t = tcase_create("other");
    tcase_add_test(t, wrapper_vectors);
    tcase_add_test(t, mbus_two_telegrams);
    tcase_add_test(t, mbus_length_quirk);
    tcase_add_test(t, mbus_bad_checksum);
    tcase_add_test(t, raw_records);
    tcase_add_test(t, raw_record_too_large);
    tcase_add_test(t, frame_after_junk_in_a_record);
    tcase_add_test(t, frame_across_line_break_after_junk);
    tcase_add_test(t, lines_of_one_apdu_each_stay_apart);
    tcase_add_test(t, wrapped_apdu_lines_join);
    tcase_add_test(t, binary_wrapper_after_hdlc);
    tcase_add_test(t, mbus_short_frame_and_ack);
    tcase_add_test(t, noise_with_weak_starts_before_a_frame);
    tcase_set_timeout(t, 30);
    suite_add_tcase(s, t);

    t = tcase_create("envelope");
    tcase_add_test(t, envelope_ua_with_parameters);
    tcase_add_test(t, envelope_snrm_direction_time);
    tcase_add_test(t, envelope_dm_decimal_no_comments);
    tcase_add_test(t, envelope_iframe_leaves_payload);
    tcase_add_test(t, envelope_rr_frame);
    tcase_add_test(t, envelope_wrapper_and_mbus);
    tcase_add_test(t, envelope_raw_comment);
    tcase_add_test(t, envelope_malformed_ua_parameters);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(link_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
