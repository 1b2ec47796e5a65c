/* Image transfer (class 18) as the trace shows it: the identifier and size from
 * image_transfer_initiate, the block size read (attribute 2), each image_block_transfer and its
 * answer in two bitmaps (sent, acknowledged), verify and activate, and the status read back.
 * Method and attribute numbers are those of the class (IEC 62056-6-2, class 18 version 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "diagnose/diagnose_int.h"

enum {
    ATTR_BLOCK_SIZE = 2, ATTR_BLOCKS_STATUS = 3, ATTR_FIRST_NOT_TRANSFERRED = 4, ATTR_STATUS = 6
};
enum { M_INITIATE = 1, M_BLOCK = 2, M_VERIFY = 3, M_ACTIVATE = 4 };
enum { RESULT_HARDWARE_FAULT = 1, RESULT_TEMPORARY_FAILURE = 2 };

/* image_transfer_status (attribute 6) */
static const char *const STATUS[] = {
    "image transfer not initiated", "image transfer initiated", "image verification initiated",
    "image verification successful", "image verification failed", "image activation initiated",
    "image activation successful", "image activation failed"};

const char *dg_image_status_name(int v)
{
    return v >= 0 && (size_t)v < sizeof STATUS / sizeof STATUS[0] ? STATUS[v] : "unknown";
}

static int bit(const uint8_t *map, uint64_t n)
{
    return map && n < DG_IMAGE_BLOCKS_MAX && (map[n >> 3] >> (n & 7)) & 1;
}

static void set_bit(uint8_t *map, uint64_t n)
{
    if (map && n < DG_IMAGE_BLOCKS_MAX) map[n >> 3] |= (uint8_t)(1u << (n & 7));
}

static int maps(dg_image *im);

/* A block the meter says it holds (bit i of image_transferred_blocks_status, i from 0) */
static void set_stored(dg_image *im, uint64_t i)
{
    if (bit(im->stored, i)) return;
    set_bit(im->stored, i);
    im->blocks_stored++;
}

static int maps(dg_image *im)
{
    if (im->sent) return 0;
    im->sent = calloc(1, DG_IMAGE_BLOCKS_MAX / 8);
    im->acked = calloc(1, DG_IMAGE_BLOCKS_MAX / 8);
    im->stored = calloc(1, DG_IMAGE_BLOCKS_MAX / 8);
    if (im->sent && im->acked && im->stored) return 0;
    dg_image_free(im);
    return -1;
}

void dg_image_free(dg_image *im)
{
    free(im->sent);
    free(im->acked);
    free(im->stored);
    im->sent = im->acked = im->stored = NULL;
}

static void restart(dg_image *im)
{
    if (im->sent) memset(im->sent, 0, DG_IMAGE_BLOCKS_MAX / 8);
    if (im->acked) memset(im->acked, 0, DG_IMAGE_BLOCKS_MAX / 8);
    if (im->stored) memset(im->stored, 0, DG_IMAGE_BLOCKS_MAX / 8);
    im->blocks_stored = im->stored_before_first = 0;
    im->blocks_sent = im->blocks_acked = im->blocks_repeated = im->blocks_failed = 0;
    im->max_block = im->failed_block = -1;
    im->max_block_len = im->max_block_apdu = 0;
    im->max_block_frames = 0;
    im->missing_reported = 0;
    im->too_large_reported = 0;
    im->verify_result = im->activate_result = -1;
}

/* The Data of a method's parameters or of a get-response */
static const ds_value *params_of(const ds_value *apdu)
{
    const ds_value *p = ds_value_find_any(apdu, "MethodInvocationParameters");
    return ds_value_data(p ? p : apdu);
}

static void initiate(dg_conv *c, const ds_value *apdu)
{
    dg_image *im = &c->image;
    const ds_value *s = params_of(apdu);
    const ds_value *id = s ? ds_value_child(s, 0) : NULL, *size = s ? ds_value_child(s, 1) : NULL;
    if (im->initiates > 0 && im->blocks_sent > 0) {
        dg_finding b;
        dg_begin(&b, c, DG_IMAGE_INITIATE_REPEATED, DS_SEV_WARNING);
        dg_message(&b, "image_transfer_initiate again after %llu block(s) were sent (last block %lld): the meter "
                       "starts the transfer over and forgets the blocks it has",
                   (unsigned long long)im->blocks_sent, (long long)im->max_block);
        dg_hint(&b, "a client that initiates again after an error never gets to the end; to resume, read "
                    "image_first_not_transferred_block_number (attribute 4) and go on from there without a new "
                    "initiate (the same identifier and size keep the blocks on most meters)");
        dg_num(&b, "blocks_sent", im->blocks_sent);
        dg_num(&b, "initiate", im->initiates + 1);
        dg_emit(&b);
    }
    if (im->initiates == 0) im->block_size_before_initiate = im->has_block_size;
    if (!im->has_block_size && im->initiates == 0) {
        dg_finding b;
        dg_begin(&b, c, DG_IMAGE_BLOCK_SIZE_NOT_READ, DS_SEV_INFO);
        dg_message(&b, "image_transfer_initiate without reading image_block_size (attribute 2) before it in the trace");
        dg_hint(&b, "the blocks must be of the meter's image_block_size (the last may be shorter): read attribute "
                    "2 first unless the size is known for this meter");
        dg_emit(&b);
    }
    im->initiates++;
    im->initiate_frame = c->frame;
    restart(im);
    if (id && id->kind == DS_VALUE_DATA && id->tag == DS_DATA_OCTET_STRING && id->bytes) {
        im->id_len = id->len < DG_ID_MAX ? id->len : DG_ID_MAX;
        memcpy(im->id, id->bytes, im->id_len);
    }
    if (size && size->kind == DS_VALUE_DATA && size->tag == DS_DATA_DOUBLE_LONG_UNSIGNED)
        im->has_size = 1, im->size = size->u;
}

/* The PDU size the block's APDU must fit: the AARE's negotiated size; without an AARE in the
 * trace, the client's own budget (the AARQ's proposed size); 0 when neither was seen. */
static unsigned pdu_limit(const dg_conv *c, const char **what)
{
    const ds_negotiated *ng = &c->xdlms;
    *what = ng->negotiated_max_pdu ? "the negotiated max PDU size" : "the client's proposed max PDU size (no AARE seen)";
    return ng->negotiated_max_pdu ? ng->negotiated_max_pdu : ng->proposed_max_pdu;
}

static void too_large(dg_conv *c, uint64_t number, size_t len, size_t apdu_len)
{
    dg_image *im = &c->image;
    const char *limit_name;
    unsigned limit = pdu_limit(c, &limit_name);
    /* with general block transfer negotiated, a longer APDU goes in GBT blocks (REFERENCE.md 10.3) */
    int gbt = c->xdlms.has_negotiated && (c->xdlms.negotiated_conformance & DS_CONFORMANCE_GBT);
    int over_pdu = limit && apdu_len > limit && !gbt;
    int over_size = im->has_block_size && len > im->block_size;
    if (!over_pdu && !over_size) return;
    dg_finding b;
    dg_begin(&b, c, DG_IMAGE_BLOCK_TOO_LARGE, DS_SEV_ERROR);
    char pdu[140] = "", size[100] = "", frames[100];
    if (limit)
        snprintf(pdu, sizeof pdu, "; the %zu-byte APDU %s %s of %u", apdu_len, over_pdu ? "is larger than" : "fits",
                 limit_name, limit);
    else
        snprintf(pdu, sizeof pdu, "; the negotiated max PDU size is not in the trace");
    if (im->has_block_size)
        snprintf(size, sizeof size, "; image_block_size is %llu", (unsigned long long)im->block_size);
    if (c->apdu_frames > 1)
        snprintf(frames, sizeof frames, "it was split over %llu HDLC frames", (unsigned long long)c->apdu_frames);
    else
        snprintf(frames, sizeof frames, "it came in one frame");
    dg_message(&b, "image block %llu carries %zu bytes%s%s; %s", (unsigned long long)number, len, size, pdu, frames);
    if (over_pdu)
        dg_hint_add(&b, "The meter cannot take an APDU above the max PDU size of its AARE: send smaller blocks "
                        "(image_block_size should fit it), or use block transfer with action.");
    if (over_size) dg_hint_add(&b, "Send blocks of exactly image_block_size (attribute 2); the last may be shorter.");
    dg_hint_add(&b, "A block longer than the HDLC max info is normal: the APDU is split into several frames by "
                    "segmentation; only the PDU size and the block size limit it.");
    dg_num(&b, "block", number);
    dg_num(&b, "block_length", len);
    dg_num(&b, "apdu_length", apdu_len);
    if (limit) dg_num(&b, "max_pdu", limit);
    if (im->has_block_size) dg_num(&b, "image_block_size", im->block_size);
    dg_num(&b, "frames", c->apdu_frames);
    dg_emit(&b);
}

static void block(dg_conv *c, dg_request *r, const ds_value *apdu, size_t apdu_len)
{
    dg_image *im = &c->image;
    const ds_value *s = params_of(apdu);
    const ds_value *num = s ? ds_value_child(s, 0) : NULL, *data = s ? ds_value_child(s, 1) : NULL;
    if (!num || num->kind != DS_VALUE_DATA || !data || data->kind != DS_VALUE_DATA) return;
    uint64_t n = num->u;
    r->image_block = n < DG_IMAGE_BLOCKS_MAX ? (int)n : -1;
    if (maps(im)) return;
    if (bit(im->acked, n)) {
        im->blocks_repeated++;
        dg_finding b;
        dg_begin(&b, c, DG_IMAGE_REPEATED_BLOCK, DS_SEV_INFO);
        dg_message(&b, "image block %llu sent again although the meter acknowledged it", (unsigned long long)n);
        dg_hint(&b, "harmless for the meter, but time lost: the client did not see the acknowledgement (timeout) "
                    "or restarted without reading image_first_not_transferred_block_number");
        dg_num(&b, "block", n);
        dg_emit(&b);
    } else if (bit(im->sent, n)) {
        im->blocks_repeated++; /* a retry after an error or a lost answer */
    }
    if (im->blocks_sent == 0) im->stored_before_first = im->blocks_stored;
    set_bit(im->sent, n);
    im->blocks_sent++;
    if ((int64_t)n > im->max_block) im->max_block = (int64_t)n;
    if (data->len > im->max_block_len || apdu_len > im->max_block_apdu) {
        im->max_block_len = data->len;
        im->max_block_apdu = apdu_len;
        im->max_block_frames = c->apdu_frames;
    }
    if (!im->too_large_reported) {
        uint64_t before = c->g->counts[DS_SEV_ERROR];
        too_large(c, n, data->len, apdu_len);
        if (c->g->counts[DS_SEV_ERROR] != before) im->too_large_reported = 1;
    }
}

/* Blocks from 0 to the last expected one that were never acknowledged */
static void missing(dg_conv *c)
{
    dg_image *im = &c->image;
    if (im->missing_reported || !im->sent || im->blocks_sent == 0) return;
    uint64_t expected = (uint64_t)(im->max_block + 1);
    if (im->has_size && im->has_block_size && im->block_size > 0)
        expected = (im->size + im->block_size - 1) / im->block_size;
    if (expected > DG_IMAGE_BLOCKS_MAX) expected = DG_IMAGE_BLOCKS_MAX;
    const uint8_t *map = im->blocks_acked ? im->acked : im->sent; /* without answers: what was sent */
    uint64_t count = 0;
    char list[120] = "";
    size_t used = 0;
    for (uint64_t i = 0; i < expected; i++) {
        if (bit(map, i) || bit(im->stored, i)) continue;
        if (count < 8 && used < sizeof list - 24)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%llu", count ? ", " : "", (unsigned long long)i);
        count++;
    }
    im->missing_reported = 1;
    if (!count) return;
    dg_finding b;
    dg_begin(&b, c, DG_IMAGE_MISSING_BLOCK, DS_SEV_ERROR);
    dg_message(&b, "%llu of the image's %llu block(s) were never %s: %s%s", (unsigned long long)count,
               (unsigned long long)expected, im->blocks_acked ? "acknowledged" : "sent", list, count > 8 ? ", ..." : "");
    dg_hint(&b, "the meter cannot verify an incomplete image (verify answers with an error or the status says "
                "verification failed): read image_first_not_transferred_block_number (attribute 4) or "
                "image_transferred_blocks_status (attribute 3) and send the missing blocks before image_verify");
    dg_num(&b, "missing", count);
    dg_num(&b, "blocks", expected);
    dg_str(&b, "first_missing", list);
    dg_emit(&b);
}

void dg_image_request(dg_conv *c, dg_request *r, const ds_value *apdu, size_t apdu_len)
{
    c->image.active = 1;
    if (r->tag != DS_APDU_TAG_ACTION_REQUEST || !apdu) return;
    if (r->id == M_INITIATE) initiate(c, apdu);
    else if (r->id == M_BLOCK) block(c, r, apdu, apdu_len);
    else if (r->id == M_VERIFY) missing(c);
}

static void block_answer(dg_conv *c, const dg_request *r, uint32_t result)
{
    dg_image *im = &c->image;
    if (r->image_block < 0) return;
    uint64_t n = (uint64_t)r->image_block;
    if (result == 0) {
        if (!bit(im->acked, n)) im->blocks_acked++;
        set_bit(im->acked, n);
        return;
    }
    im->blocks_failed++;
    im->failed_block = (int64_t)n;
    im->failed_result = result;
    dg_finding b;
    dg_begin(&b, c, DG_IMAGE_BLOCK_FAILED, DS_SEV_ERROR);
    dg_message(&b, "image block %llu answered with %s (%u)", (unsigned long long)n, dg_action_result_name(result),
               (unsigned)result);
    if (result == RESULT_HARDWARE_FAULT && n > 0)
        dg_hint(&b, "the meter could not store the block. Read image_transferred_blocks_status (attribute 3) and "
                    "see whether block %llu's bit is set: if it is, the blocks before were stored and only this "
                    "one failed (resend it, check it has image_block_size bytes); if not, the meter lost earlier "
                    "blocks too: go on from image_first_not_transferred_block_number (attribute 4)",
                (unsigned long long)(n - 1));
    else if (result == RESULT_HARDWARE_FAULT)
        dg_hint(&b, "the meter could not store the first block: check the transfer was initiated (image_transfer_"
                    "enabled, attribute 5) and that the block has image_block_size bytes");
    else if (result == RESULT_TEMPORARY_FAILURE)
        dg_hint(&b, "the meter is still busy with the block before (writing flash): wait a moment and send the same "
                    "block again");
    else
        dg_hint(&b, "%s", dg_result_hint(result));
    dg_num(&b, "block", n);
    dg_str(&b, "result", dg_action_result_name(result));
    dg_emit(&b);
}

/* image_transfer_initiate is answered by service.c's app.action-result; the step gives the cause.
 * Hardware-fault and temporary-failure mean something else here than at a block. */
void dg_image_initiate_cause(dg_finding *b, uint32_t result)
{
    if (result == RESULT_HARDWARE_FAULT)
        dg_hint_add(b, "Usual cause here: the meter will not start this transfer: image transfer disabled "
                       "(image_transfer_enabled, attribute 5, is FALSE), an image larger than its storage, or an "
                       "identifier it does not take; read attributes 5 and 6 (image_transfer_status) before "
                       "trying again.");
    else if (result == RESULT_TEMPORARY_FAILURE)
        dg_hint_add(b, "Usual cause here: the meter is preparing its image storage (erasing flash) or still busy "
                       "with an earlier transfer: wait, then read image_transfer_status (attribute 6): transfer initiated "
                       "(1) means block 0 can be sent, anything else that the initiate is to be sent again.");
}

static void step_answer(dg_conv *c, const char *code, const char *what, uint32_t result, int *slot)
{
    *slot = (int)result;
    dg_finding b;
    ds_severity sev = result == 0 || result == RESULT_TEMPORARY_FAILURE ? DS_SEV_INFO : DS_SEV_ERROR;
    dg_begin(&b, c, code, sev);
    dg_message(&b, "image_%s answered %s (%u)", what, dg_action_result_name(result), (unsigned)result);
    if (result == RESULT_TEMPORARY_FAILURE)
        dg_hint(&b, "the %s is running in the meter (temporary-failure means not finished yet): read "
                    "image_transfer_status (attribute 6) until it says %s successful or failed",
                what, what[0] == 'v' ? "verification" : "activation");
    else if (result == RESULT_HARDWARE_FAULT)
        dg_hint(&b, "the %s failed in the meter: the image is incomplete or damaged, or not for this meter; read "
                    "image_transfer_status (attribute 6) and image_transferred_blocks_status (attribute 3)", what);
    else if (result != 0)
        dg_hint(&b, "%s", dg_result_hint(result));
    dg_str(&b, "result", dg_action_result_name(result));
    dg_emit(&b);
}

static void got_attribute(dg_conv *c, uint8_t attr, const ds_value *apdu)
{
    dg_image *im = &c->image;
    const ds_value *d = ds_value_data(apdu);
    if (!d || d->kind != DS_VALUE_DATA) return;
    if (attr == ATTR_BLOCK_SIZE && d->tag == DS_DATA_DOUBLE_LONG_UNSIGNED) {
        im->has_block_size = 1;
        im->block_size = d->u;
        im->block_size_frame = c->frame;
    } else if (attr == ATTR_STATUS && d->tag == DS_DATA_ENUM) {
        im->status = (int)d->u;
        dg_finding b;
        dg_begin(&b, c, DG_IMAGE_STATUS, d->u == 4 || d->u == 7 ? DS_SEV_ERROR : DS_SEV_INFO);
        dg_message(&b, "image_transfer_status read back: %s (%llu)", dg_image_status_name((int)d->u),
                   (unsigned long long)d->u);
        if (d->u == 4) dg_hint(&b, "the image did not verify: blocks missing or damaged, or an image not for this "
                                   "meter (signature, identifier); transfer it again from initiate");
        else if (d->u == 7) dg_hint(&b, "the meter could not activate the image: see the manufacturer's log");
        else if (d->u == 2 || d->u == 5) dg_hint(&b, "still running: read the status again later");
        dg_num(&b, "status", d->u);
        dg_emit(&b);
    } else if (attr == ATTR_FIRST_NOT_TRANSFERRED && d->tag == DS_DATA_DOUBLE_LONG_UNSIGNED) {
        /* the blocks before it are in the meter */
        if (maps(im)) return;
        for (uint64_t i = 0; i < d->u && i < DG_IMAGE_BLOCKS_MAX; i++) set_stored(im, i);
    } else if (attr == ATTR_BLOCKS_STATUS && d->tag == DS_DATA_BIT_STRING) {
        uint64_t bits = d->u, set = 0;
        if (maps(im)) return;
        for (uint64_t i = 0; i < bits && i / 8 < d->len; i++) {
            int on = (d->bytes[i / 8] >> (7 - i % 8)) & 1;
            set += (uint64_t)on;
            if (on) set_stored(im, i);
        }
        dg_finding b;
        dg_begin(&b, c, DG_IMAGE_BLOCKS_STATUS, DS_SEV_INFO);
        char about[160] = "";
        if (im->failed_block > 0) {
            uint64_t p = (uint64_t)im->failed_block - 1;
            int isset = p < bits && p / 8 < d->len && ((d->bytes[p / 8] >> (7 - p % 8)) & 1);
            snprintf(about, sizeof about, "; block %llu (before the one that failed) is %s", (unsigned long long)p,
                     isset ? "set: it was stored" : "not set: it was not stored either");
        }
        dg_message(&b, "image_transferred_blocks_status read back: %llu of %llu block bit(s) set%s",
                   (unsigned long long)set, (unsigned long long)bits, about);
        dg_num(&b, "bits", bits);
        dg_num(&b, "set", set);
        dg_emit(&b);
    }
}

void dg_image_response(dg_conv *c, const dg_request *r, uint32_t result, const ds_value *apdu)
{
    c->image.active = 1;
    if (r->tag == DS_APDU_TAG_GET_REQUEST) {
        if (result == 0) got_attribute(c, r->id, apdu);
        return;
    }
    if (r->tag != DS_APDU_TAG_ACTION_REQUEST) return;
    if (r->id == M_BLOCK) block_answer(c, r, result);
    else if (r->id == M_VERIFY) step_answer(c, DG_IMAGE_VERIFY, "verify", result, &c->image.verify_result);
    else if (r->id == M_ACTIVATE) step_answer(c, DG_IMAGE_ACTIVATE, "activate", result, &c->image.activate_result);
}

static void id_text(const dg_image *im, char *out, size_t size)
{
    int printable = im->id_len > 0;
    for (size_t i = 0; i < im->id_len; i++)
        if (im->id[i] < 0x20 || im->id[i] > 0x7E || im->id[i] == '"' || im->id[i] == '\\') printable = 0;
    if (printable) {
        snprintf(out, size, "%.*s", (int)im->id_len, (const char *)im->id);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < im->id_len && o + 3 < size; i++) o += (size_t)snprintf(out + o, size - o, "%02X", im->id[i]);
    if (o == 0 && size) out[0] = 0;
}

void dg_image_end(dg_conv *c)
{
    dg_image *im = &c->image;
    if (!im->active || (!im->initiates && !im->blocks_sent)) return;
    missing(c);
    char id[2 * DG_ID_MAX + 1];
    id_text(im, id, sizeof id);
    dg_finding b;
    dg_begin(&b, c, DG_IMAGE_TRANSFER, DS_SEV_INFO);
    char resumed[120] = "";
    if (!im->initiates && im->stored_before_first)
        snprintf(resumed, sizeof resumed, "; resumed without image_transfer_initiate: %llu block(s) already in the meter",
                 (unsigned long long)im->stored_before_first);
    dg_message(&b, "image transfer: identifier %s, size %s%llu, %llu block(s) sent, %llu acknowledged, %llu failed%s",
               im->id_len ? id : "(not seen)", im->has_size ? "" : "unknown ", (unsigned long long)im->size,
               (unsigned long long)im->blocks_sent, (unsigned long long)im->blocks_acked,
               (unsigned long long)im->blocks_failed, resumed);
    dg_str(&b, "identifier", id);
    if (im->has_size) dg_num(&b, "size", im->size);
    if (im->has_block_size) dg_num(&b, "block_size", im->block_size);
    dg_num(&b, "blocks_sent", im->blocks_sent);
    dg_num(&b, "blocks_acknowledged", im->blocks_acked);
    dg_num(&b, "initiates", im->initiates);
    if (im->stored_before_first) dg_num(&b, "blocks_in_meter_before", im->stored_before_first);
    dg_emit(&b);
}
