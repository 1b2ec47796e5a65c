/* The diagnoser: one state per decoder (conversation), fed by the decoder's frame, APDU and
 * diagnostic callbacks. This file holds the link layer's part (addresses, SNRM/UA, N(S)/N(R),
 * echoes, FRMR/DM) and turns the decoder's diagnostics into findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "diagnose/diagnose_int.h"
#include "dlmscope/serial_infer.h"

/* Every code the diagnoser itself makes, for ds_diagnose_code() (and the man page's test) */
static const char *const CODES[] = {
    DG_LINK_FCS, DG_LINK_HCS, DG_LINK_TRUNCATED, DG_LINK_CHECKSUM, DG_LINK_SEQUENCE, DG_LINK_RETRANSMISSION,
    DG_LINK_ECHO, DG_LINK_FRMR, DG_LINK_DM, DG_LINK_INFO_TOO_LONG, DG_SERVICE_NO_ANSWER, DG_SERVICE_UNANSWERED,
    DG_SERVICE_INVOKE_ID, DG_SERVICE_LATE_ANSWER, DG_APP_DATA_ACCESS, DG_APP_ACTION, DG_APP_EXCEPTION, DG_APP_CSE,
    DG_APP_METHOD_PARAMETER, DG_ASSOC_REJECTED, DG_IMAGE_TRANSFER, DG_IMAGE_BLOCK_SIZE_NOT_READ,
    DG_IMAGE_BLOCK_TOO_LARGE, DG_IMAGE_INITIATE_REPEATED, DG_IMAGE_MISSING_BLOCK, DG_IMAGE_REPEATED_BLOCK,
    DG_IMAGE_BLOCK_FAILED, DG_IMAGE_VERIFY, DG_IMAGE_ACTIVATE, DG_IMAGE_STATUS, DG_IMAGE_BLOCKS_STATUS,
    DG_INPUT_NO_FRAMES, DG_INPUT_CUT_SHORT, DG_SECURITY_HLS_MISMATCH, DG_SECURITY_AUTH_TAG_MISMATCH, DG_SECURITY_IC_REPEATED,
    DG_SECURITY_IC_DECREASING, DG_SECURITY_NO_KEY, DG_SECURITY_KEY_LOOKS_ASCII, DG_SECURITY_NO_TITLE,
    DG_SECURITY_TOO_SHORT, DG_SECURITY_UNSUPPORTED, DG_SECURITY_KEY_UNWRAP, DG_SECURITY_KEY_AGREEMENT,
    DG_SECURITY_SIGNATURE_MISMATCH, DG_SECURITY_SIGNATURE_UNCHECKED,
    /* made by the inference of wrong serial settings on an input without valid frames */
    DS_D_SERIAL_OK, DS_D_SERIAL_BAUD_MISMATCH, DS_D_SERIAL_PARITY_MISMATCH, DS_D_SERIAL_DATA_BITS_MISMATCH,
    DS_D_SERIAL_INVERTED, DS_D_SERIAL_NOT_DLMS, DS_D_SERIAL_NEAR_MISS, DS_D_SERIAL_RANDOM};

const char *ds_diagnose_code(size_t i)
{
    return i < sizeof CODES / sizeof CODES[0] ? CODES[i] : NULL;
}

/* ---- findings ---------------------------------------------------------------------------------- */

void dg_begin(dg_finding *b, dg_conv *c, const char *code, ds_severity sev)
{
    memset(&b->f, 0, sizeof b->f);
    b->c = c;
    b->message[0] = b->hint[0] = 0;
    b->f.code = code;
    b->f.severity = sev;
    b->f.conversation = c ? c->number : 0;
    b->f.frame = c ? c->frame : 0;
    b->f.offset = c ? c->offset : 0;
    b->f.line = c ? c->line : 0;
    b->f.time = c ? c->time : "";
    b->f.message = b->message;
    b->f.hint = b->hint;
    b->f.fields = b->fields;
}

void dg_at(dg_finding *b, uint64_t frame, uint64_t offset)
{
    b->f.frame = frame;
    b->f.offset = offset;
    if (b->c && frame != b->c->frame) b->f.line = 0, b->f.time = "";
}

void dg_message(dg_finding *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->message, sizeof b->message, fmt, ap);
    va_end(ap);
}

void dg_hint(dg_finding *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->hint, sizeof b->hint, fmt, ap);
    va_end(ap);
}

/* Adds a sentence to the hint */
void dg_hint_add(dg_finding *b, const char *fmt, ...)
{
    size_t n = strlen(b->hint);
    if (n + 3 >= sizeof b->hint) return;
    if (n && b->hint[n - 1] != '.') b->hint[n++] = '.';
    if (n) b->hint[n++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->hint + n, sizeof b->hint - n, fmt, ap);
    va_end(ap);
    /* a sentence after another begins with a capital (the hints are written to stand alone) */
    if (n && b->hint[n] >= 'a' && b->hint[n] <= 'z') b->hint[n] = (char)(b->hint[n] - 'a' + 'A');
}

void dg_num(dg_finding *b, const char *key, uint64_t v)
{
    if (b->f.nfields >= DS_FINDING_FIELDS_MAX) return;
    size_t i = b->f.nfields++;
    snprintf(b->values[i], sizeof b->values[i], "%llu", (unsigned long long)v);
    b->fields[i] = (ds_finding_field){key, b->values[i], 1};
}

void dg_str(dg_finding *b, const char *key, const char *v)
{
    if (b->f.nfields >= DS_FINDING_FIELDS_MAX) return;
    size_t i = b->f.nfields++;
    snprintf(b->values[i], sizeof b->values[i], "%s", v ? v : "");
    b->fields[i] = (ds_finding_field){key, b->values[i], 0};
}

void dg_deliver(ds_diagnoser *g, const ds_finding *f)
{
    if ((unsigned)f->severity < 3) g->counts[f->severity]++;
    if (g->fn) g->fn(g->user, f);
}

void dg_emit(dg_finding *b)
{
    b->f.nfields = b->f.nfields > DS_FINDING_FIELDS_MAX ? DS_FINDING_FIELDS_MAX : b->f.nfields;
    dg_security_flush(b->c->g); /* a held security finding came first */
    dg_deliver(b->c->g, &b->f);
}

/* ---- the link --------------------------------------------------------------------------------- */

/* FNV-1a: tells identical frames apart from different ones without keeping their bytes */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static uint64_t addr_key(const ds_hdlc_addr *a)
{
    return (uint64_t)a->len << 32 | a->packed;
}

static ds_direction opposite(ds_direction d)
{
    switch (d) {
    case DS_DIR_TX: return DS_DIR_RX;
    case DS_DIR_RX: return DS_DIR_TX;
    case DS_DIR_TO_SERVER: return DS_DIR_TO_CLIENT;
    case DS_DIR_TO_CLIENT: return DS_DIR_TO_SERVER;
    default: return DS_DIR_UNKNOWN;
    }
}

/* The station whose counts a frame's sender keeps. Client SAP 1 and a one-byte server address 1
 * are the same address byte (03): with equal source and destination only the trace's direction
 * tells the two sides apart, so it is part of the key (the decoder does the same). */
static uint64_t station_key(const ds_hdlc_addr *a, const ds_hdlc_info *h, ds_direction dir)
{
    uint64_t k = addr_key(a);
    if (addr_key(&h->src) == addr_key(&h->dst) && dir != DS_DIR_UNKNOWN) k |= (uint64_t)dir << 40;
    return k;
}

static uint64_t sender_key(const ds_frame *f)
{
    return station_key(&f->u.hdlc.src, &f->u.hdlc, f->meta.dir);
}

static uint64_t receiver_key(const ds_frame *f)
{
    return station_key(&f->u.hdlc.dst, &f->u.hdlc, opposite(f->meta.dir));
}

static dg_seq *seq_of(dg_conv *c, uint64_t k, int make)
{
    for (int i = 0; i < 2; i++)
        if (c->seq[i].used && c->seq[i].addr == k) return &c->seq[i];
    if (!make) return NULL;
    for (int i = 0; i < 2; i++)
        if (!c->seq[i].used) {
            c->seq[i] = (dg_seq){1, k, -1, -1, 0, 0, -1};
            return &c->seq[i];
        }
    /* a third address: the conversation changed partners; start over with this one */
    memset(c->seq, 0, sizeof c->seq);
    c->seq[0] = (dg_seq){1, k, -1, -1, 0, 0, -1};
    return &c->seq[0];
}

/* SNRM/UA reset both counts to 0 (REFERENCE: the link is set up with V(S) = V(R) = 0) */
static void seq_reset(dg_conv *c)
{
    for (int i = 0; i < 2; i++)
        if (c->seq[i].used) c->seq[i].expect = 0, c->seq[i].acked = 0, c->seq[i].last_len = 0, c->seq[i].last_ns = -1;
}

/* The client and server addresses: the SNRM's source is the client; without one the sender of
 * the first request (decided in service.c), or the one-byte address of an I frame pair. */
static void learn_addresses(dg_conv *c, const ds_hdlc_info *h)
{
    if (h->type == DS_HDLC_SNRM || h->type == DS_HDLC_DISC) {
        c->client = h->src;
        c->server = h->dst;
        c->has_hdlc_addr = c->client_known = 1;
    } else if (!c->has_hdlc_addr) {
        /* a guess until a command says otherwise: the server's address is the longer one */
        int src_is_client = h->src.len < h->dst.len;
        c->client = src_is_client ? h->src : h->dst;
        c->server = src_is_client ? h->dst : h->src;
        c->has_hdlc_addr = 1;
    }
}

static void nr_check(dg_conv *c, const ds_frame *f)
{
    const ds_hdlc_info *h = &f->u.hdlc;
    if (h->nr < 0) return;
    dg_seq *me = seq_of(c, sender_key(f), 1);
    dg_seq *other = &c->seq[me == &c->seq[0] ? 1 : 0];
    if (!other->used || other->expect < 0 || other->acked < 0) {
        if (other->used) other->acked = h->nr;
        return;
    }
    int window = (other->expect - other->acked) & 7, got = (h->nr - other->acked) & 7;
    if (got > window) {
        dg_finding b;
        dg_begin(&b, c, DG_LINK_SEQUENCE, DS_SEV_ERROR);
        /* last_ns < 0: nothing sent since SNRM/UA, where "up to N(S)=7" would mislead */
        if (other->last_ns < 0)
            dg_message(&b, "%s frame acknowledges N(R)=%d, but the other side has sent no I frame since the link "
                           "was set up (SNRM/UA)", ds_hdlc_type_name(h->type), h->nr);
        else
            dg_message(&b, "%s frame acknowledges N(R)=%d, but the other side has sent only up to N(S)=%d",
                       ds_hdlc_type_name(h->type), h->nr, (other->expect + 7) & 7);
        dg_hint(&b, "a frame is missing from the trace, or one side lost count (a reset without SNRM/UA); the link "
                    "usually breaks down here: set it up again with DISC and SNRM");
        dg_num(&b, "nr", (uint64_t)h->nr);
        dg_num(&b, "expected_max", (uint64_t)((other->expect + 7) & 7));
        dg_emit(&b);
    }
    other->acked = h->nr;
}

static void ns_check(dg_conv *c, const ds_frame *f)
{
    const ds_hdlc_info *h = &f->u.hdlc;
    dg_seq *s = seq_of(c, sender_key(f), 1);
    uint64_t hash = hash_bytes(f->info, f->info_len);
    if (s->expect >= 0 && h->ns != s->expect) {
        dg_finding b;
        if (h->ns == s->last_ns && s->last_len == f->info_len && s->last_hash == hash) {
            dg_begin(&b, c, DG_LINK_RETRANSMISSION, DS_SEV_WARNING);
            dg_message(&b, "I frame N(S)=%d sent again with the same content", h->ns);
            dg_hint(&b, "the sender did not get the acknowledgement in time (slow answer, lost frame, too short a "
                        "timeout); a few are harmless, many point at a bad line or a timeout below the meter's "
                        "answer time");
        } else {
            dg_begin(&b, c, DG_LINK_SEQUENCE, DS_SEV_ERROR);
            dg_message(&b, "I frame with N(S)=%d where %d was expected", h->ns, s->expect);
            dg_hint(&b, "a frame is missing from the trace or was lost on the line, or the sender counts wrongly; "
                        "the receiver will answer with REJ/RR asking again, or drop the link");
            dg_num(&b, "expected", (uint64_t)s->expect);
        }
        dg_num(&b, "ns", (uint64_t)h->ns);
        dg_emit(&b);
    }
    s->expect = (h->ns + 1) & 7;
    s->last_ns = h->ns;
    s->last_hash = hash;
    s->last_len = f->info_len;
}

/* FRMR: the information field says which frame was refused and why (W X Y Z bits) */
static void frmr(dg_conv *c, const ds_frame *f)
{
    dg_finding b;
    dg_begin(&b, c, DG_LINK_FRMR, DS_SEV_ERROR);
    char why[160] = "";
    if (f->info_len >= 3) {
        uint8_t bits = f->info[2];
        snprintf(why, sizeof why, " (rejected control byte 0x%02X%s%s%s%s)", f->info[0],
                 bits & 0x01 ? "; W: control field unknown" : "", bits & 0x02 ? "; X: information not allowed" : "",
                 bits & 0x04 ? "; Y: information field too long" : "", bits & 0x08 ? "; Z: wrong N(R)" : "");
    }
    dg_message(&b, "frame reject (FRMR): the station refused a frame it could not take%s", why);
    dg_hint(&b, "FRMR means the link is out of step: an I frame longer than the negotiated max info, a frame type "
                "the meter does not know, or an N(R) it did not expect. Set the link up again (DISC, SNRM) and "
                "keep frames within the UA's max info");
    dg_emit(&b);
    c->refusal_frame = c->frame;
    c->refusal = "FRMR";
}

static void dm(dg_conv *c)
{
    dg_finding b;
    int after_disc = c->last_was_disc;
    dg_begin(&b, c, DG_LINK_DM, after_disc ? DS_SEV_INFO : DS_SEV_WARNING);
    if (after_disc) {
        dg_message(&b, "DM (disconnected mode) in answer to DISC: the link was already down");
        dg_hint(&b, "harmless: the meter had no link with this client (it had timed out, or was never set up)");
    } else {
        dg_message(&b, "DM (disconnected mode): the meter has no link with this client and refuses the frame");
        dg_hint(&b, "the meter answers DM to an I frame outside a link (its inactivity timeout ended the link; send "
                    "SNRM again), or to an SNRM it will not take (wrong server or client address, or another "
                    "client holds the port)");
        c->refusal_frame = c->frame;
        c->refusal = "DM";
    }
    dg_emit(&b);
    c->end = DG_END_DM;
    c->end_frame = c->frame;
}

/* 1 for a frame between the client and the server of the link set up by SNRM/UA. Other
 * stations on the same stream (HAN pushes of other meters, mostly with a constant N(S) and no
 * link set up) are not held to that link's counts and sizes. */
static int on_the_link(const dg_conv *c, const ds_hdlc_info *h)
{
    if (!c->link_up || !c->client_known) return 0;
    uint64_t s = addr_key(&h->src), d = addr_key(&h->dst), cl = addr_key(&c->client), sv = addr_key(&c->server);
    return (s == cl && d == sv) || (s == sv && d == cl);
}

static void hdlc_frame(dg_conv *c, const ds_frame *f)
{
    const ds_hdlc_info *h = &f->u.hdlc;
    if (!f->checks_ok || !f->complete) return; /* its diagnostic said why; its fields are not to be trusted */
    learn_addresses(c, h);
    switch (h->type) {
    case DS_HDLC_SNRM:
        c->has_snrm = 1;
        c->snrm = h->params;
        c->snrm_dir = f->meta.dir;
        c->has_ua = 0;
        break;
    case DS_HDLC_UA:
        if (c->last_was_disc) {
            c->end = DG_END_DISC;
            c->end_frame = c->frame;
            c->link_up = 0;
        } else {
            c->has_ua = 1;
            c->link_up = c->has_snrm;
            c->ua = h->params;
            seq_of(c, sender_key(f), 1);
            seq_of(c, receiver_key(f), 1);
            seq_reset(c);
            c->end = DG_END_OPEN;
        }
        break;
    case DS_HDLC_DM:
        dm(c);
        c->link_up = 0;
        break;
    case DS_HDLC_FRMR: frmr(c, f); break;
    case DS_HDLC_I:
        if (on_the_link(c, h)) {
            ns_check(c, f);
            nr_check(c, f);
        }
        break;
    case DS_HDLC_RR:
    case DS_HDLC_RNR:
    case DS_HDLC_REJ:
        if (on_the_link(c, h)) nr_check(c, f);
        break;
    default: break;
    }
    c->last_was_disc = h->type == DS_HDLC_DISC;
    /* the information field against the UA's max info of the sender's direction (default 128) */
    if ((h->type == DS_HDLC_I || h->type == DS_HDLC_UI) && on_the_link(c, h)) {
        int from_client = addr_key(&h->src) != addr_key(&h->dst) || f->meta.dir == DS_DIR_UNKNOWN ||
                                  c->snrm_dir == DS_DIR_UNKNOWN
                              ? addr_key(&h->src) == addr_key(&c->client)
                              : f->meta.dir == c->snrm_dir;
        uint32_t max = from_client ? (c->ua.has_max_info_rx ? c->ua.max_info_rx : 128)
                                   : (c->ua.has_max_info_tx ? c->ua.max_info_tx : 128);
        if (f->info_len > max) {
            dg_finding b;
            dg_begin(&b, c, DG_LINK_INFO_TOO_LONG, DS_SEV_WARNING);
            dg_message(&b, "the %s's I frame carries %zu bytes of information, more than the %u negotiated in the UA",
                       from_client ? "client" : "server", f->info_len, (unsigned)max);
            dg_hint(&b, "the receiver may refuse it (FRMR) or drop it: split APDUs into segments of at most the "
                        "negotiated max info length");
            dg_num(&b, "info_length", f->info_len);
            dg_num(&b, "max_info", max);
            dg_emit(&b);
        }
    }
    if (h->segmented) c->segments++;
}

/* A frame identical to the one before it in the other direction: the probe's own transmission
 * read back (optical heads echo what they send on a half-duplex line). */
static void echo_check(dg_conv *c, const ds_frame *f)
{
    /* without directions (a binary dump, a hex log without TX/RX) nothing is an echo: the
     * frame's bytes are not even hashed */
    if (f->meta.dir == DS_DIR_UNKNOWN) {
        c->has_last_wire = 0;
        return;
    }
    uint64_t hash = hash_bytes(f->wire, f->wire_len);
    int same = c->has_last_wire && c->last_wire_len == f->wire_len && c->last_wire_hash == hash;
    if (same && f->meta.dir != DS_DIR_UNKNOWN && c->last_dir != DS_DIR_UNKNOWN && f->meta.dir != c->last_dir) {
        dg_finding b;
        dg_begin(&b, c, DG_LINK_ECHO, DS_SEV_WARNING);
        dg_message(&b, "the frame received is identical to the one just sent (%zu bytes): an echo", f->wire_len);
        dg_hint(&b, "an optical probe or a half-duplex RS-485 adapter returns what it transmits: the receiver "
                    "must skip its own frames (local echo) or the probe needs echo suppression; if nothing else "
                    "follows, the meter did not answer (wrong address, baud or not woken up)");
        dg_num(&b, "length", f->wire_len);
        dg_emit(&b);
    }
    c->has_last_wire = 1;
    c->last_wire_hash = hash;
    c->last_wire_len = f->wire_len;
    c->last_dir = f->meta.dir;
}

static void on_frame(void *user, const ds_frame *f)
{
    dg_conv *c = user;
    c->g->current = c;
    dg_security_flush(c->g);
    dg_service_flush_stash(c);
    c->frame = f->number;
    c->offset = f->offset;
    c->line = f->meta.line;
    c->dir = f->meta.dir;
    memcpy(c->time, f->meta.timestamp, sizeof c->time);
    c->time[sizeof c->time - 1] = 0;
    if (c->frames++ == 0 && f->meta.from && f->meta.to) {
        snprintf(c->endpoints[0], sizeof c->endpoints[0], "%s", f->meta.from);
        snprintf(c->endpoints[1], sizeof c->endpoints[1], "%s", f->meta.to);
    }
    if ((unsigned)f->kind < 16) c->kinds |= 1u << f->kind;
    /* a raw record has no check of its own: it counts as valid once its APDU decodes (on_apdu) */
    if (f->checks_ok && f->complete && f->kind != DS_LINK_RAW) c->good_frames++;
    c->raw_pending = f->kind == DS_LINK_RAW;
    c->raw_counted = c->raw_bad = c->raw_undecoded = 0;
    c->raw_end = f->info_offset + f->info_len;
    c->apdu_frames = c->segments + 1;
    echo_check(c, f);
    if (f->kind == DS_LINK_HDLC) {
        hdlc_frame(c, f);
        /* an RR asking for the next segment does not end the APDU being gathered */
        int carries = f->u.hdlc.type == DS_HDLC_I || f->u.hdlc.type == DS_HDLC_UI;
        if (carries && !f->u.hdlc.segmented) c->segments = 0;
    } else if (f->kind == DS_LINK_WRAPPER && f->checks_ok) {
        if (!c->has_wrapper) {
            c->wrapper_client = f->u.wrapper.src_port;
            c->wrapper_server = f->u.wrapper.dst_port;
            c->has_wrapper = 1;
        }
    }
}

/* The APDUs read as values: requests and answers (their references, invoke-ids and results),
 * and a raw record's APDU (whether it decodes says whether the record is a frame). Pushes and
 * ciphered APDUs are only counted: not decoding them into values is most of what makes diagnose
 * about as fast as decode on a push-heavy trace. */
static int wants_values(void *user, const uint8_t *apdu, size_t n, int source)
{
    const dg_conv *c = user;
    if (n == 0) return 0;
    if (c->raw_pending && source == DS_APDU_FROM_FRAME) return 1;
    if (source == DS_APDU_FROM_FRAME && ds_apdu_tag_is_ciphered(apdu[0])) return 0;
    uint8_t role = ds_apdu_tag(apdu[0])->role;
    return role == DS_APDU_REQUEST || role == DS_APDU_RESPONSE || apdu[0] == DS_APDU_TAG_INITIATE_REQUEST ||
           apdu[0] == DS_APDU_TAG_INITIATE_RESPONSE;
}

/* How many bytes (1 to CUT_SHORT_MAX) added at the end make the APDU decode whole, or 0. Zeros
 * are added: a zero is a valid null-data, a valid length and a valid digit of any number, so an
 * APDU that is right but for its missing last bytes decodes with them. Random bytes almost never
 * do: every tag, choice and length before the end must fit. */
#define CUT_SHORT_MAX 8
#define CUT_SHORT_APDU_MAX 65536 /* the test copies the APDU: larger records are not tried */

static unsigned apdu_missing_bytes(const uint8_t *apdu, size_t n)
{
    if (n == 0 || n > CUT_SHORT_APDU_MAX) return 0;
    uint8_t *padded = calloc(1, n + CUT_SHORT_MAX);
    /* the tree cannot have more nodes than the bytes it was read from */
    ds_value_arena *a = ds_value_arena_new(n + CUT_SHORT_MAX + 1, n + CUT_SHORT_MAX + 1);
    unsigned missing = 0;
    if (padded && a) {
        memcpy(padded, apdu, n);
        for (unsigned k = 1; k <= CUT_SHORT_MAX && !missing; k++) {
            ds_value_arena_reset(a);
            if (ds_value_decode_apdu(a, padded, n + k, NULL, NULL) == 0) missing = k;
        }
    }
    ds_value_arena_free(a);
    free(padded);
    return missing;
}

/* A raw record (a hex line read as one APDU) that is a DLMS APDU with its last bytes lost: a
 * truncated paste or log line. It is DLMS, so it does not count against the input as a frame
 * that is not (input.no-frames, and the look at serial settings that follows it). */
static int raw_record_cut_short(dg_conv *c, const ds_apdu_event *ev)
{
    unsigned missing = apdu_missing_bytes(ev->apdu, ev->len);
    if (!missing) return 0;
    c->cut_short++;
    dg_finding b;
    dg_begin(&b, c, DG_INPUT_CUT_SHORT, DS_SEV_WARNING);
    dg_at(&b, ev->frame, ev->offset);
    dg_message(&b, "the %s of %zu byte(s) decodes whole with %u byte(s) added at its end: it was cut short",
               ds_apdu_tag(ev->apdu[0])->service ? ds_apdu_tag(ev->apdu[0])->service : "APDU", ev->len, missing);
    dg_hint(&b, "the record lost its last byte(s): a paste or log line cut off, or a frame that broke off; "
                "take the bytes again from their source");
    dg_num(&b, "missing", missing);
    dg_num(&b, "apdu_length", ev->len);
    dg_emit(&b);
    return 1;
}

/* Whether a raw record's APDU is DLMS: it decodes whole and fills the record (counted as a valid
 * frame), it is one cut short, or only its last byte is wrong (the fields before it all fit, as
 * random bytes almost never do; it is not counted valid). A record has no check of its own, so
 * anything else is bytes that only begin with an APDU tag (1 random byte in 8 or so is one): a
 * request, answer or association made of it would be noise, so it is only counted as an APDU
 * that did not decode. An APDU in a frame with good checks is what was sent, and still takes
 * part however it decodes. */
static int raw_record_is_dlms(dg_conv *c, const ds_apdu_event *ev)
{
    int fills_record = ev->offset + ev->len >= c->raw_end;
    if (!ev->value_error && !c->raw_bad && fills_record) {
        c->good_frames++;
        c->raw_counted = 1;
        return 1;
    }
    if (c->raw_bad && c->raw_error_offset + 1 >= c->raw_end) return 1;
    return ev->value_error && ev->len > 0 && raw_record_cut_short(c, ev);
}

static void on_apdu(void *user, const ds_apdu_event *ev)
{
    dg_conv *c = user;
    c->g->current = c;
    dg_security_flush(c->g);
    if (c->raw_undecoded) return; /* a plaintext deciphered from such a record */
    if (c->raw_pending && ev->source == DS_APDU_FROM_FRAME) {
        c->raw_pending = 0;
        if (!raw_record_is_dlms(c, ev)) {
            c->raw_undecoded = 1;
            c->undecoded++;
            return;
        }
    }
    dg_service_apdu(c, ev);
}

/* ---- conversations ----------------------------------------------------------------------------- */

static void conv_end(dg_conv *c)
{
    if (!c->open) return;
    dg_security_flush(c->g);
    dg_service_flush_stash(c);
    dg_service_end(c);
    dg_image_end(c);
    dg_security_end(c);
    const ds_stats *st = ds_decoder_stats(c->dec);
    c->bytes = st->bytes;
    c->g->input_bytes += st->bytes;
    c->open = 0;
    c->dec = NULL;
    if (c->g->current == c) c->g->current = NULL;
}

static void hook(void *user, ds_decoder *d, int ended)
{
    ds_diagnoser *g = user;
    if (ended) {
        for (size_t i = g->nconvs; i-- > 0;)
            if (g->convs[i]->open && g->convs[i]->dec == d) {
                conv_end(g->convs[i]);
                break;
            }
        return;
    }
    if (g->nconvs == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 8;
        dg_conv **p = realloc(g->convs, cap * sizeof *p);
        if (!p) return;
        g->convs = p;
        g->cap = cap;
    }
    dg_conv *c = calloc(1, sizeof *c);
    if (!c) return;
    c->g = g;
    c->number = (unsigned)g->nconvs + 1;
    c->dec = d;
    c->open = 1;
    c->context = c->mechanism = -1;
    c->assoc_result = c->assoc_diag = -1;
    c->image.max_block = c->image.failed_block = -1;
    c->image.verify_result = c->image.activate_result = c->image.status = -1;
    c->end = DG_END_NOTHING;
    if (ds_decoder_on_apdu(d, on_apdu, c)) {
        free(c);
        return;
    }
    ds_decoder_apdu_values_for(d, wants_values);
    ds_decoder_on_frame(d, on_frame, c);
    g->convs[g->nconvs++] = c;
    g->current = c; /* a broken first frame is reported before any frame is delivered */
    dg_security_keys(g, c);
}

ds_diagnoser *ds_diagnoser_new(ds_finding_fn fn, void *user)
{
    ds_diagnoser *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->fn = fn;
    g->user = user;
    return g;
}

void ds_diagnoser_options(ds_diagnoser *g, ds_options *o)
{
    o->decoder_hook = hook;
    o->decoder_hook_user = g;
    g->keys = o->keys && ds_keyring_has_keys(o->keys) ? o->keys : NULL;
}

/* ---- the decoder's diagnostics ----------------------------------------------------------------- */

typedef struct diag_rename {
    const char *from, *to, *hint;
} diag_rename;

/* The framing's checks under link.*, with what usually causes them; the rest keep their code */
static const diag_rename RENAMES[] = {
    {DS_D_FRAME_FCS, DG_LINK_FCS,
     "a byte of the frame changed on the way (noise, a wrong baud rate or parity, two senders at once) or the "
     "trace lost bytes; a sender with a wrong FCS computation is rarer"},
    {DS_D_FRAME_HCS, DG_LINK_HCS,
     "the frame's header was damaged on the way, or the trace lost bytes (see link.fcs)"},
    {DS_D_FRAME_TRUNCATED, DG_LINK_TRUNCATED,
     "the frame stops before its end: the capture stopped, the line dropped bytes (buffer overrun, a too slow "
     "reader) or the sender was interrupted; several in a row point at the serial settings"},
    {DS_D_FRAME_CHECKSUM, DG_LINK_CHECKSUM, "an M-Bus frame was damaged on the way or lost bytes"},
};

typedef struct code_hint {
    const char *prefix, *hint;
} code_hint;

/* Hints for the codes of the decoder that are passed on as they are */
static const code_hint HINTS[] = {
    {"cipher.", "see dlmscope(1) for the security diagnostics"},
    {"hls.", "see dlmscope(1) for the security diagnostics"},
    {"sign.", "see dlmscope(1) for the security diagnostics"},
    {"gbt.", "general block transfer out of step: a block lost or resent; the receiver asks again with its "
             "block-number-ack"},
    {"frame.not-dlms", "the frame is good but carries no DLMS: another protocol on the link (e.g. a meter "
                       "answering in text), or the wrong port"},
    {"frame.garbage", "bytes outside frames: line noise, wrong serial settings, or another protocol on the port"},
    {"apdu.unknown-tag", "the bytes do not begin with an APDU: on a serial port a wrong setting (baud rate, parity, "
                         "data bits) makes such bytes; otherwise a framing that was not recognised (see "
                         "input.no-frames)"},
    {"apdu.", "the APDU does not follow its description: a meter quirk or a damaged frame"},
    {"data.", "a value does not follow A-XDR: a meter quirk or a damaged frame"},
};

static const char *hint_for(const char *code)
{
    for (size_t i = 0; i < sizeof HINTS / sizeof HINTS[0]; i++)
        if (!strncmp(code, HINTS[i].prefix, strlen(HINTS[i].prefix))) return HINTS[i].hint;
    return "";
}

void ds_diagnoser_diag(void *user, const ds_diag *d)
{
    ds_diagnoser *g = user;
    dg_conv *c = g->current;
    dg_finding b;
    const char *code = d->code ? d->code : "unknown";
    const char *hint = NULL;
    /* the decoder's note that it skipped an I frame sent again: ns_check says it, with the
       sequence around it and a hint */
    if (!strcmp(code, DS_D_LINK_RETRANSMISSION)) return;
    /* a key problem is not a framing problem: a raw record that does not decipher is still a frame */
    int security = !strncmp(code, "hls.", 4) || !strncmp(code, "cipher.", 7) || !strncmp(code, "sign.", 5);
    for (size_t i = 0; i < sizeof RENAMES / sizeof RENAMES[0]; i++)
        if (!strcmp(code, RENAMES[i].from)) {
            code = RENAMES[i].to;
            hint = RENAMES[i].hint;
        }
    if (!hint) hint = hint_for(code);
    int malformed = !security || !strcmp(code, "cipher.too-short");
    if (c && malformed && d->severity == DS_SEV_ERROR && d->frame == c->frame && (c->raw_pending || c->raw_counted)) {
        if (c->raw_counted) c->good_frames--;
        if (!c->raw_bad) c->raw_error_offset = d->offset;
        c->raw_counted = 0;
        c->raw_bad = 1;
    }
    /* under security.*, with the cause merged in (security.c); it keeps the key problem for the
     * refusal that may follow */
    if (security && dg_security_diag(g, c, d)) return;
    dg_security_flush(g);
    dg_begin(&b, c, code, d->severity);
    b.f.frame = d->frame;
    b.f.offset = d->offset;
    b.f.line = d->line;
    if (c && d->frame != c->frame) b.f.time = "";
    snprintf(b.message, sizeof b.message, "%.*s", (int)strnlen(d->message, sizeof d->message), d->message);
    snprintf(b.hint, sizeof b.hint, "%s", hint);
    dg_deliver(g, &b.f);
}

/* ---- the end ----------------------------------------------------------------------------------- */

/* The input held no or few valid frames. This is the one place where that is known and said:
 * the inference of wrong serial settings (serial_infer.h) is to be asked here, with the bytes,
 * to name the likely setting instead of the general hint. */
static void input_no_frames(ds_diagnoser *g, uint64_t frames, uint64_t good, uint64_t bytes)
{
    dg_security_flush(g);
    g->no_frames = 1;
    dg_finding b;
    dg_begin(&b, NULL, DG_INPUT_NO_FRAMES, DS_SEV_ERROR);
    b.c = NULL;
    if (frames == 0)
        dg_message(&b, "the input's %llu byte(s) hold no DLMS frame", (unsigned long long)bytes);
    else
        dg_message(&b, "of the input's %llu byte(s), only %llu of %llu frame(s) are valid", (unsigned long long)bytes,
                   (unsigned long long)good, (unsigned long long)frames);
    dg_hint(&b, "on a serial line this is mostly a wrong setting: baud rate, parity or data bits (e.g. 8N1 vs "
                "8E1), or inverted polarity; otherwise the data is not DLMS (another protocol, encrypted "
                "without framing) or not from a meter port");
    dg_num(&b, "frames", frames);
    dg_num(&b, "valid_frames", good);
    dg_num(&b, "bytes", bytes);
    dg_deliver(g, &b.f);
}

void ds_diagnoser_end(ds_diagnoser *g)
{
    dg_security_flush(g); /* held while no conversation was current */
    uint64_t frames = 0, good = 0, bytes = 0;
    for (size_t i = 0; i < g->nconvs; i++) {
        conv_end(g->convs[i]);
        frames += g->convs[i]->frames;
        /* a record cut short is a DLMS APDU: damaged, but no sign of a wrong serial setting */
        good += g->convs[i]->good_frames + g->convs[i]->cut_short;
        bytes += g->convs[i]->bytes;
    }
    /* "few": fewer than one frame in two good, and not one good frame per kilobyte */
    if (bytes > 0 && (good == 0 || (good * 2 < frames && good * 1024 < bytes)))
        input_no_frames(g, frames, good, bytes);
}

int ds_diagnoser_no_frames(const ds_diagnoser *g)
{
    return g->no_frames;
}

uint64_t ds_diagnoser_count(const ds_diagnoser *g, ds_severity s)
{
    return (unsigned)s < 3 ? g->counts[s] : 0;
}

void ds_diagnoser_write_summary(const ds_diagnoser *g, FILE *out)
{
    for (size_t i = 0; i < g->nconvs; i++)
        if (g->convs[i]->frames > 0) dg_summary(g->convs[i], out); /* a connection without DLMS says nothing */
}

void ds_diagnoser_free(ds_diagnoser *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->nconvs; i++) {
        dg_image_free(&g->convs[i]->image);
        dg_service_free(g->convs[i]);
        free(g->convs[i]);
    }
    free(g->convs);
    free(g);
}
