/* The report: each conversation's summary in words, and findings as text or JSON lines. */
#include <stdio.h>
#include <string.h>

#include "dlmscope/cipher.h"
#include "apdu/apdu_tags.h"
#include "apdu/enums.h"
#include "diagnose/diagnose_int.h"
#include "sinks/text.h"
#include "sinks/wbuf.h"

static const char *const KIND_NAMES[] = {"auto", "HDLC", "wrapper", "M-Bus", "raw APDU"};

static void framing(const dg_conv *c, FILE *out)
{
    fprintf(out, "  framing: ");
    int first = 1;
    for (unsigned k = 1; k < sizeof KIND_NAMES / sizeof KIND_NAMES[0]; k++)
        if (c->kinds & (1u << k)) fprintf(out, "%s%s", first ? "" : ", ", KIND_NAMES[k]), first = 0;
    if (first) fprintf(out, "none");
    fprintf(out, "; %llu frame(s), %llu valid; %llu byte(s)\n", (unsigned long long)c->frames,
            (unsigned long long)c->good_frames, (unsigned long long)c->bytes);
}

static void hdlc_addr(const ds_hdlc_addr *a, FILE *out)
{
    if (a->len == 1) fprintf(out, "%u", a->upper);
    else fprintf(out, "%u (logical %u, physical %u)", (unsigned)a->packed, a->upper, a->lower);
}

static void params(const char *who, const ds_hdlc_params *p, FILE *out)
{
    fprintf(out, "%s max info TX %u RX %u, window TX %u RX %u%s", who, p->has_max_info_tx ? p->max_info_tx : 128,
            p->has_max_info_rx ? p->max_info_rx : 128, p->has_window_tx ? p->window_tx : 1,
            p->has_window_rx ? p->window_rx : 1, p->present ? "" : " (defaults: no parameters sent)");
}

static void link(const dg_conv *c, FILE *out)
{
    if (c->has_hdlc_addr) {
        fprintf(out, "  addresses: client ");
        hdlc_addr(&c->client, out);
        fprintf(out, ", server ");
        hdlc_addr(&c->server, out);
        fprintf(out, "%s\n", c->client_known ? "" : " (guessed: no SNRM in the trace)");
    }
    if (c->has_wrapper) fprintf(out, "  wrapper ports: client %u, server %u\n", c->wrapper_client, c->wrapper_server);
    if (c->has_snrm || c->has_ua) {
        fprintf(out, "  HDLC parameters: ");
        if (c->has_snrm) params("SNRM proposes", &c->snrm, out);
        if (c->has_snrm && c->has_ua) fprintf(out, "; ");
        if (c->has_ua) params("UA negotiates", &c->ua, out);
        else fprintf(out, "; no UA answered it");
        fprintf(out, "\n");
    }
}

static void conformance(uint32_t bits, FILE *out)
{
    int first = 1;
    for (int i = 0; i < 24; i++)
        if (bits & (0x800000u >> i) && DS_CONFORMANCE_BITS[i])
            fprintf(out, "%s%s", first ? "" : " ", DS_CONFORMANCE_BITS[i]), first = 0;
    if (first) fprintf(out, "(none)");
}

static void association(const dg_conv *c, FILE *out)
{
    if (!c->has_aarq && !c->has_aare) {
        fprintf(out, "  association: none in the trace\n");
    } else {
        const char *ctx = c->context >= 0 ? ds_enum_name(DS_APPLICATION_CONTEXT, (uint32_t)c->context) : NULL;
        const char *mech = c->mechanism >= 0 ? ds_enum_name(DS_MECHANISM, (uint32_t)c->mechanism) : NULL;
        fprintf(out, "  association: context %s, mechanism %s", ctx ? ctx : "unknown", mech ? mech : "none");
        if (c->mechanism >= 0) fprintf(out, " (%d)", c->mechanism);
        if (c->assoc_result >= 0) {
            const char *rn = ds_enum_name(DS_ASSOCIATION_RESULT, (uint32_t)c->assoc_result);
            fprintf(out, ", %s", rn ? rn : "result unknown");
            if (c->assoc_result > 0 && c->assoc_diag >= 0) {
                const char *dn = ds_enum_name(DS_ACSE_USER_DIAG, (uint32_t)c->assoc_diag);
                fprintf(out, " (%s)", dn ? dn : "?");
            }
        } else {
            fprintf(out, ", no AARE in the trace");
        }
        if (c->associations > 1) fprintf(out, "; %u associations, the last shown", c->associations);
        fprintf(out, "\n");
        const ds_negotiated *ng = &c->xdlms;
        if (ng->has_negotiated || ng->has_proposed) {
            fprintf(out, "  conformance: ");
            conformance(ng->has_negotiated ? ng->negotiated_conformance : ng->proposed_conformance, out);
            fprintf(out, "%s\n", ng->has_negotiated ? " (negotiated)" : " (proposed; no AARE)");
        }
        fprintf(out, "  max PDU size: client %s", ng->proposed_max_pdu ? "" : "not seen");
        if (ng->proposed_max_pdu) fprintf(out, "%u", ng->proposed_max_pdu);
        fprintf(out, ", negotiated (server) %s", ng->negotiated_max_pdu ? "" : "not seen");
        if (ng->negotiated_max_pdu) fprintf(out, "%u", ng->negotiated_max_pdu);
        fprintf(out, "\n");
    }
    if (c->sc_seen) {
        uint8_t sc = c->sc;
        unsigned both = DS_SC_AUTH | DS_SC_ENC;
        fprintf(out, "  security: suite %u, %s%s%s%s (security control 0x%02X)\n", sc & DS_SC_SUITE_MASK,
                sc & DS_SC_AUTH ? "authenticated" : "", (sc & both) == both ? " and " : "",
                sc & DS_SC_ENC ? "encrypted" : "", (sc & both) == 0 ? "neither authenticated nor encrypted" : "", sc);
    } else {
        fprintf(out, "  security: no ciphered APDU\n");
    }
    uint64_t repeated = 0, decreased = 0;
    for (size_t i = 0; i < DG_IC_SENDERS_MAX; i++) repeated += c->ic[i].repeated, decreased += c->ic[i].decreased;
    if (repeated || decreased)
        fprintf(out, "  invocation counters: %llu repeated, %llu below the sender's last (security.ic-*)\n",
                (unsigned long long)repeated, (unsigned long long)decreased);
}

static void services(const dg_conv *c, FILE *out)
{
    fprintf(out, "  services:");
    int any = 0;
    for (int t = 0; t < 256; t++) {
        if (!c->services[t]) continue;
        const char *n = ds_apdu_tag((uint8_t)t)->service;
        fprintf(out, "%s %s %u", any ? "," : "", n ? n : "unknown", c->services[t]);
        any = 1;
    }
    fprintf(out, "%s", any ? "" : " none");
    if (c->undecoded) fprintf(out, "; %llu APDU(s) did not decode", (unsigned long long)c->undecoded);
    fprintf(out, "\n");
}

static void image(const dg_conv *c, FILE *out)
{
    const dg_image *im = &c->image;
    if (!im->active) return;
    fprintf(out, "  image transfer: ");
    if (im->id_len) {
        fprintf(out, "identifier ");
        for (size_t i = 0; i < im->id_len; i++) {
            uint8_t b = im->id[i];
            if (b >= 0x20 && b <= 0x7E) fputc(b, out);
            else fprintf(out, "\\x%02X", b);
        }
        fprintf(out, ", ");
    }
    if (im->has_size) fprintf(out, "size %llu, ", (unsigned long long)im->size);
    if (im->has_block_size)
        fprintf(out, "block size %llu (read %s initiate), ", (unsigned long long)im->block_size,
                im->block_size_before_initiate || !im->initiates ? "before" : "after");
    else fprintf(out, "block size not read, ");
    fprintf(out, "%u initiate(s), %llu block(s) sent, %llu acknowledged, %llu repeated, %llu failed\n",
            im->initiates, (unsigned long long)im->blocks_sent, (unsigned long long)im->blocks_acked,
            (unsigned long long)im->blocks_repeated, (unsigned long long)im->blocks_failed);
    if (im->max_block_len)
        fprintf(out, "    largest block %zu bytes in a %zu-byte APDU, carried in %llu frame(s)%s\n", im->max_block_len,
                im->max_block_apdu, (unsigned long long)im->max_block_frames,
                c->xdlms.negotiated_max_pdu ? (im->max_block_apdu <= c->xdlms.negotiated_max_pdu ? ", fits the negotiated max PDU"
                                                                              : ", larger than the negotiated max PDU")
                                  : "");
    if (im->verify_result >= 0) fprintf(out, "    verify: %s\n", dg_action_result_name((uint32_t)im->verify_result));
    if (im->activate_result >= 0)
        fprintf(out, "    activate: %s\n", dg_action_result_name((uint32_t)im->activate_result));
    if (im->status >= 0) fprintf(out, "    status read back: %s\n", dg_image_status_name(im->status));
}

static void ending(const dg_conv *c, FILE *out)
{
    static const char *const HOW[] = {
        [DG_END_OPEN] = "the trace stops while the link or the association is up",
        [DG_END_RELEASED] = "released (RLRQ/RLRE)",
        [DG_END_DISC] = "link disconnected (DISC/UA)",
        [DG_END_DM] = "the meter answered DM (disconnected mode)",
        [DG_END_REJECTED] = "the association was refused",
        [DG_END_NOTHING] = "no link or association set up in the trace"};
    fprintf(out, "  ended: %s", HOW[c->end]);
    if (c->end_frame) fprintf(out, " (frame %llu)", (unsigned long long)c->end_frame);
    fprintf(out, "\n");
}

void dg_summary(const dg_conv *c, FILE *out)
{
    fprintf(out, "conversation %u", c->number);
    if (c->endpoints[0][0]) fprintf(out, ": %s - %s", c->endpoints[0], c->endpoints[1]);
    fprintf(out, "\n");
    framing(c, out);
    link(c, out);
    association(c, out);
    services(c, out);
    image(c, out);
    ending(c, out);
}

/* ---- findings ------------------------------------------------------------------------------------ */

static void json_str(ds_wbuf *w, const char *s)
{
    ds_json_write_string(w, s ? s : "", s ? strlen(s) : 0);
}

void ds_finding_write_json(FILE *out, const ds_finding *f)
{
    char block[4096];
    ds_wbuf w;
    ds_wbuf_init(&w, out, block, sizeof block);
    ds_wbuf_puts(&w, "{\"code\": ");
    json_str(&w, f->code);
    ds_wbuf_puts(&w, ", \"severity\": ");
    json_str(&w, ds_severity_name(f->severity));
    ds_wbuf_puts(&w, ", \"conversation\": ");
    ds_wbuf_udec(&w, f->conversation);
    ds_wbuf_puts(&w, ", \"frame\": ");
    ds_wbuf_udec(&w, f->frame);
    ds_wbuf_puts(&w, ", \"offset\": ");
    ds_wbuf_udec(&w, f->offset);
    ds_wbuf_puts(&w, ", \"line\": ");
    ds_wbuf_udec(&w, f->line);
    ds_wbuf_puts(&w, ", \"time\": ");
    if (f->time && f->time[0]) json_str(&w, f->time);
    else ds_wbuf_puts(&w, "null");
    ds_wbuf_puts(&w, ", \"message\": ");
    json_str(&w, f->message);
    ds_wbuf_puts(&w, ", \"hint\": ");
    json_str(&w, f->hint);
    for (size_t i = 0; i < f->nfields; i++) {
        ds_wbuf_puts(&w, ", ");
        json_str(&w, f->fields[i].key);
        ds_wbuf_puts(&w, ": ");
        if (f->fields[i].is_number) ds_wbuf_puts(&w, f->fields[i].value);
        else json_str(&w, f->fields[i].value);
    }
    ds_wbuf_puts(&w, "}\n");
    ds_wbuf_flush(&w);
}

void ds_finding_write_text(FILE *out, const ds_finding *f)
{
    fprintf(out, "%s %s", ds_severity_name(f->severity), f->code);
    if (f->frame) fprintf(out, " at frame %llu", (unsigned long long)f->frame);
    fprintf(out, " (offset %llu", (unsigned long long)f->offset);
    if (f->line) fprintf(out, ", line %llu", (unsigned long long)f->line);
    if (f->time && f->time[0]) fprintf(out, ", %s", f->time);
    fprintf(out, "): %s\n", f->message);
    if (f->hint && f->hint[0]) fprintf(out, "  hint: %s\n", f->hint);
}
