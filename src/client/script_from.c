/* `dlmscope script-from`: the requests of a captured session made into a script for `run`.
 *
 * Each request the client sent is written as the decode output of its plain APDU (the same
 * element the encoder reads back: no second description of the dialect), so that a replay is
 * enciphered again by `run` with its own keys and a fresh invocation counter instead of
 * resending captured bytes a meter rejects as a replay. The association is not replayed: its
 * settings (client address, mechanism, security) go into <Settings>, and `run` makes it anew,
 * answering HLS challenges afresh. Secrets and keys are never written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "dlmscope/decoder.h"
#include "dlmscope/run.h"
#include "dlmscope/sink.h"

/* The choices of the requests that `run` makes itself while it goes through block transfers:
 * get-request-next (C0 02) and action-request-next-pblock (C3 02). */
#define NEXT_BLOCK_CHOICE 2
/* The association's own method (Association LN, class 15, method 1 reply_to_HLS_authentication)
 * answers the HLS challenge of one association: `run` answers the new one's afresh. */
#define ASSOCIATION_LN_CLASS 15
#define REPLY_TO_HLS_METHOD 1

struct ds_script_from {
    FILE *body;                /* the requests, written after the settings */
    char *body_text;
    size_t body_len;
    ds_sink *sink;             /* the XML writer on body */
    ds_options plain;          /* how a plain request is written */
    int decimal;
    /* what the traffic said */
    int has_aarq, mechanism, client_address, server_logical, server_physical, has_server;
    int ciphered_security;     /* the security control's bits 4..5 of a ciphered request, -1 none */
    int dedicated, general, short_names;
    int last_client_side;      /* the frame now decoding comes from the client (1), server (0), unknown (-1) */
    int frame_client, frame_server_logical, frame_server_physical, frame_has_server;
    /* the ciphered request whose plaintext has not come (yet) */
    int pending;
    uint64_t pending_offset;
    const char *pending_service;
    size_t requests, undeciphered, skipped;
    FILE *log;
};

/* ---- a ciphered APDU's security control byte ---------------------------------------------------- */

/* Skips a BER length at p[*i]; 0, or -1 when it does not fit in n. */
static int skip_length(const uint8_t *p, size_t n, size_t *i)
{
    if (*i >= n) return -1;
    uint8_t b = p[(*i)++];
    if (b < 0x80) return 0;
    size_t k = b & 0x7F;
    if (k == 0 || k > 4 || *i + k > n) return -1;
    *i += k;
    return 0;
}

/* The security control byte of a ciphered APDU (service-specific: tag, length, SC; general glo
 * and ded: tag, system title as an octet string, length, SC), or -1 when it is not there. */
static int security_control(const uint8_t *p, size_t n)
{
    if (n < 2) return -1;
    size_t i = 1;
    uint8_t prot = ds_apdu_tag(p[0])->protection;
    if (prot == DS_APDU_GENERAL_GLO || prot == DS_APDU_GENERAL_DED) {
        if (i >= n || (size_t)p[i] + i + 1 > n) return -1;
        i += (size_t)p[i] + 1;
    } else if (prot != DS_APDU_GLO && prot != DS_APDU_DED) {
        return -1; /* general-ciphering (DD) has more fields: the settings say nothing of it */
    }
    if (skip_length(p, n, &i) || i >= n) return -1;
    return p[i];
}

/* ---- frames: which side sent it, the addresses of the association ------------------------------- */

static void on_frame(void *user, const ds_frame *f)
{
    ds_script_from *w = user;
    w->last_client_side = -1;
    if (f->kind == DS_LINK_WRAPPER) {
        int client = f->u.wrapper.src_port;
        w->frame_client = client;
        w->frame_server_logical = f->u.wrapper.dst_port;
        w->frame_server_physical = -1;
        w->frame_has_server = 1;
        if (w->has_aarq) w->last_client_side = client == w->client_address;
    } else if (f->kind == DS_LINK_HDLC) {
        w->frame_client = f->u.hdlc.src.upper;
        w->frame_server_logical = f->u.hdlc.dst.upper;
        w->frame_server_physical = f->u.hdlc.dst.len > 1 ? f->u.hdlc.dst.lower : -1;
        w->frame_has_server = 1;
        if (w->has_aarq) w->last_client_side = f->u.hdlc.src.len == 1 && f->u.hdlc.src.upper == w->client_address;
    } else {
        w->frame_client = -1;
        w->frame_has_server = 0;
    }
}

/* ---- APDUs -------------------------------------------------------------------------------------- */

static void report_undeciphered(ds_script_from *w)
{
    if (!w->pending) return;
    w->pending = 0;
    w->undeciphered++;
    if (w->log)
        fprintf(w->log, "dlmscope script-from: offset %llu: %s not deciphered (no or wrong keys): left out\n",
                (unsigned long long)w->pending_offset, w->pending_service);
}

static void take_aarq(ds_script_from *w, const ds_apdu_event *ev)
{
    if (w->has_aarq) return; /* the first association's settings: a script has one */
    w->has_aarq = 1;
    w->mechanism = ev->session->mechanism;
    w->client_address = w->frame_client;
    if (w->frame_has_server) {
        w->has_server = 1;
        w->server_logical = w->frame_server_logical;
        w->server_physical = w->frame_server_physical;
    }
}

static void take_ciphered(ds_script_from *w, const ds_apdu_event *ev)
{
    const ds_apdu_tag_info *t = ds_apdu_tag(ev->apdu[0]);
    int from_client = t->role == DS_APDU_REQUEST || (t->role == DS_APDU_EITHER && w->last_client_side != 0);
    if (!from_client) return;
    report_undeciphered(w);
    w->pending = 1;
    w->pending_offset = ev->offset;
    w->pending_service = t->service;
    int sc = security_control(ev->apdu, ev->len);
    if (sc >= 0 && t->role == DS_APDU_REQUEST) w->ciphered_security = (sc >> 4) & 3;
    if (t->protection == DS_APDU_DED || t->protection == DS_APDU_GENERAL_DED) w->dedicated = 1;
    if (t->protection >= DS_APDU_GENERAL_GLO && t->protection <= DS_APDU_GENERAL) w->general = 1;
}

/* 1 for a request a script holds: the services `run` sends from a script, but not the requests
 * for the next block, which `run` makes itself. */
static int hls_reply(const uint8_t *p, size_t n)
{
    /* action-request-normal: tag, choice, invoke id, class id (2), instance id (6), method id */
    return n >= 12 && p[0] == DS_APDU_TAG_ACTION_REQUEST && p[1] == 1 &&
           ((unsigned)p[3] << 8 | p[4]) == ASSOCIATION_LN_CLASS && p[11] == REPLY_TO_HLS_METHOD;
}

static int script_request(const uint8_t *p, size_t n)
{
    if (hls_reply(p, n)) return 0;
    switch (p[0]) {
    case DS_APDU_TAG_GET_REQUEST:
    case DS_APDU_TAG_ACTION_REQUEST:
        return n >= 2 && p[1] != NEXT_BLOCK_CHOICE;
    case DS_APDU_TAG_SET_REQUEST:
    case DS_APDU_TAG_READ_REQUEST:
    case DS_APDU_TAG_WRITE_REQUEST:
        return 1;
    default:
        return 0;
    }
}

static void take_request(ds_script_from *w, const ds_apdu_event *ev)
{
    if (!script_request(ev->apdu, ev->len)) {
        if (ds_apdu_tag_is_request(ev->apdu[0]) && ev->apdu[0] != DS_APDU_TAG_AARQ &&
            ev->apdu[0] != DS_APDU_TAG_RLRQ && ev->apdu[0] != DS_APDU_TAG_INITIATE_REQUEST)
            w->skipped++;
        return;
    }
    if (ev->value_error) { /* a request that does not decode cannot be encoded again */
        if (w->log)
            fprintf(w->log, "dlmscope script-from: offset %llu: %s does not decode (%s): left out\n",
                    (unsigned long long)ev->offset, ds_apdu_tag(ev->apdu[0])->service, ev->value_error);
        w->skipped++;
        return;
    }
    if (ev->apdu[0] == DS_APDU_TAG_READ_REQUEST || ev->apdu[0] == DS_APDU_TAG_WRITE_REQUEST) w->short_names = 1;
    ds_decode_apdu_buffer(ev->apdu, ev->len, &w->plain, w->sink, NULL, NULL);
    w->requests++;
}

static void on_apdu(void *user, const ds_apdu_event *ev)
{
    ds_script_from *w = user;
    if (ev->len == 0) return;
    uint8_t tag = ev->apdu[0];
    if (ev->source == DS_APDU_FROM_DECIPHERED) w->pending = 0; /* its ciphered APDU was read */
    else report_undeciphered(w);
    if (tag == DS_APDU_TAG_AARQ) take_aarq(w, ev);
    else if (ds_apdu_tag_is_ciphered(tag)) take_ciphered(w, ev);
    else if (ds_apdu_tag_is_request(tag)) take_request(w, ev);
}

static void hook(void *user, ds_decoder *d, int ended)
{
    ds_script_from *w = user;
    if (ended) {
        report_undeciphered(w);
        return;
    }
    if (ds_decoder_on_apdu(d, on_apdu, w) == 0) ds_decoder_on_frame(d, on_frame, w);
}

/* ---- the script ---------------------------------------------------------------------------------- */

ds_script_from *ds_script_from_new(int decimal, FILE *log)
{
    ds_script_from *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->body = open_memstream(&w->body_text, &w->body_len);
    w->sink = w->body ? ds_xml_sink_new(w->body) : NULL;
    if (!w->sink) {
        ds_script_from_free(w);
        return NULL;
    }
    ds_options_init(&w->plain);
    w->plain.pdu_only = 1;
    w->plain.comments = 0;
    w->plain.decimal = w->decimal = decimal;
    w->mechanism = w->client_address = w->ciphered_security = -1;
    w->frame_client = w->last_client_side = -1;
    w->log = log;
    return w;
}

void ds_script_from_options(ds_script_from *w, ds_options *opt)
{
    opt->decoder_hook = hook;
    opt->decoder_hook_user = w;
}

static void setting(ds_sink *s, const char *name, const char *value)
{
    ds_attr a = DS_ATTR("Value", value);
    s->leaf_attrs(s, name, strlen(name), &a, 1);
}

static void write_settings(ds_script_from *w, ds_sink *s)
{
    static const char *const MECHANISMS[8] = {"None", "Low", "High", "HighMd5", "HighSha1", "HighGmac",
                                              "HighSha256", "HighEcdsa"};
    static const char *const POLICIES[4] = {"None", "Authentication", "Encryption", "AuthenticationEncryption"};
    char num[32];
    if (!w->has_aarq && w->ciphered_security < 0 && !w->short_names) return;
    s->open(s, "Settings", 8, NULL, 0, 0);
    if (w->client_address >= 0) {
        snprintf(num, sizeof num, "%d", w->client_address);
        setting(s, "ClientAddress", num);
    }
    if (w->has_server) {
        if (w->server_physical >= 0) snprintf(num, sizeof num, "%d:%d", w->server_logical, w->server_physical);
        else snprintf(num, sizeof num, "%d", w->server_logical);
        setting(s, "ServerAddress", num);
    }
    if (w->mechanism >= 0 && w->mechanism < 8) setting(s, "Authentication", MECHANISMS[w->mechanism]);
    else if (w->has_aarq && w->mechanism < 0) setting(s, "Authentication", MECHANISMS[0]); /* no mechanism name */
    if (w->ciphered_security >= 0) setting(s, "Security", POLICIES[w->ciphered_security]);
    if (w->dedicated) setting(s, "Dedicated", "true");
    if (w->general) setting(s, "GeneralCiphering", "true");
    if (w->short_names) setting(s, "UseLogicalNameReferencing", "false");
    s->close(s, "Settings", 8);
}

int ds_script_from_write(ds_script_from *w, FILE *out)
{
    ds_sink_flush(w->sink);
    if (fflush(w->body) != 0) return -1;
    ds_sink *s = ds_xml_sink_new(out);
    if (!s) return -1;
    ds_xml_sink_set_decimal(s, w->decimal);
    s->begin_document(s);
    write_settings(w, s);
    ds_sink_flush(s);
    fwrite(w->body_text, 1, w->body_len, out);
    s->end_document(s);
    int bad = s->error ? s->error(s) : 0;
    ds_sink_destroy(s);
    if (w->log)
        fprintf(w->log, "dlmscope script-from: %zu request%s written, %zu not deciphered, %zu left out\n",
                w->requests, w->requests == 1 ? "" : "s", w->undeciphered, w->skipped);
    return bad || ferror(out) ? -1 : 0;
}

size_t ds_script_from_undeciphered(const ds_script_from *w)
{
    return w->undeciphered;
}

void ds_script_from_free(ds_script_from *w)
{
    if (!w) return;
    if (w->sink) ds_sink_destroy(w->sink);
    if (w->body) fclose(w->body);
    free(w->body_text);
    free(w);
}
