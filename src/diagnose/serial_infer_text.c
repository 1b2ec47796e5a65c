/* The serial-settings finding in words and as JSON members (serial_infer.h), so that the
 * diagnose report can print it like its other findings. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dlmscope/serial_infer.h"

int ds_serial_inference_severity(const ds_serial_inference *r)
{
    switch (r->verdict) {
    case DS_SERIAL_FINE: return 0;
    case DS_SERIAL_NOT_DLMS:
    case DS_SERIAL_NEAR_MISS:
    case DS_SERIAL_RANDOM: return 1;
    default: return 2;
    }
}

static int is_setting_verdict(const ds_serial_inference *r)
{
    return r->verdict == DS_SERIAL_BAUD || r->verdict == DS_SERIAL_PARITY || r->verdict == DS_SERIAL_DATA_BITS ||
           r->verdict == DS_SERIAL_INVERTED;
}

/* A growing text in a caller's buffer that counts what it would need, like snprintf. */
typedef struct out_text {
    char *buf;
    size_t len, used;
} out_text;

static void put(out_text *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_text *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->used < o->len ? o->len - o->used : 0;
    int k = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0) o->used += (size_t)k;
}

static const char *what_is_wrong(const ds_serial_inference *r)
{
    switch (r->verdict) {
    case DS_SERIAL_BAUD: return "the capture's baud rate is not the sender's";
    case DS_SERIAL_PARITY: return "the capture's parity is not the sender's";
    case DS_SERIAL_DATA_BITS: return "the capture's data bits are not the sender's";
    case DS_SERIAL_INVERTED: return "the line is inverted (a P1 or open-collector port read without an inverter)";
    case DS_SERIAL_FINE: return "the serial settings are right";
    case DS_SERIAL_NEAR_MISS: return "frame starts are there but their checks fail";
    case DS_SERIAL_RANDOM: return "the bytes look random, not like DLMS frames";
    default: return "the bytes are not DLMS frames";
    }
}

/* The other settings that explain the bytes as well (ds_serial_alternative). */
static void alternatives_message(out_text *o, const ds_serial_inference *r)
{
    int zeroing_parity = 0;
    for (size_t i = 0; i < r->n_alternatives; i++) {
        const ds_serial_alternative *a = &r->alternatives[i];
        char rx[DS_SERIAL_SETTINGS_TEXT], tx[DS_SERIAL_SETTINGS_TEXT];
        ds_serial_settings_format(&a->receiver, rx, sizeof rx);
        ds_serial_settings_format(&a->sender, tx, sizeof tx);
        put(o, "%s", i ? ", or " : "; the bytes are explained as well by ");
        if (a->verdict == DS_SERIAL_BAUD) put(o, "another rate (%s read at %s)", tx, rx);
        else if (a->verdict == DS_SERIAL_INVERTED) put(o, "an inverted line (captured at %s)", rx);
        else
            put(o, "the %s (captured at %s%s, sent at %s)", a->verdict == DS_SERIAL_PARITY ? "parity" : "data bits", rx,
                a->receiver_zeroes_errors ? " by a port that zeroes bad characters" : "", tx);
        zeroing_parity |= a->verdict == DS_SERIAL_PARITY && a->receiver_zeroes_errors;
    }
    if (zeroing_parity)
        put(o, ": a port that zeroes bad characters (INPCK) turns every character of a sender with the other "
               "parity into 00, as a receiver ten times faster or more does with any sender");
}

/* How to tell the alternatives apart. */
static void alternatives_hint(out_text *o, const ds_serial_inference *r)
{
    if (!r->n_alternatives) return;
    put(o, "; nor can these bytes tell the kind: try also");
    int zeroing = r->receiver_zeroes_errors;
    for (size_t i = 0; i < r->n_alternatives; i++) {
        char tx[DS_SERIAL_SETTINGS_TEXT];
        put(o, "%s %s", i ? "," : "", ds_serial_settings_format(&r->alternatives[i].sender, tx, sizeof tx));
        zeroing |= r->alternatives[i].receiver_zeroes_errors;
    }
    if (zeroing)
        put(o, ", and capture with INPCK off (stty -inpck) to tell them apart: a wrong parity's bytes then arrive "
               "whole, while a much slower sender still gives only 00");
}

/* The frame format of a settings text ("8E1" of "2400:8E1"): what a verdict at the capture's own
 * rate names when that rate was not told, so that no assumed rate reads as a finding. */
static const char *frame_format(const char *settings)
{
    const char *colon = strchr(settings, ':');
    return colon ? colon + 1 : settings;
}

static void message(out_text *o, const ds_serial_inference *r)
{
    char rx[DS_SERIAL_SETTINGS_TEXT], tx[DS_SERIAL_SETTINGS_TEXT];
    ds_serial_settings_format(&r->receiver, rx, sizeof rx);
    ds_serial_settings_format(&r->sender, tx, sizeof tx);
    put(o, "%s: %s", what_is_wrong(r), r->why);
    if (!is_setting_verdict(r)) return;
    if (r->verdict == DS_SERIAL_BAUD && !r->receiver_known)
        put(o, "; the sender's rate is %u/%u of the capture's (%lu if the capture was at %lu)", r->ratio_num,
            r->ratio_den, r->sender.baud, r->receiver.baud);
    else if (!r->receiver_known && r->sender.baud == r->receiver.baud)
        put(o, "; captured at %s, sent at %s, both at the capture's rate (not told: %lu assumed)", frame_format(rx),
            frame_format(tx), r->receiver.baud);
    else put(o, "; captured at %s, sent at %s", rx, tx);
    if (r->inverted && r->verdict != DS_SERIAL_INVERTED) put(o, ", inverted");
    if (r->n_other_bauds) {
        put(o, "; sender rates of");
        for (size_t i = 0; i < r->n_other_bauds; i++) put(o, "%s %lu", i ? "," : "", r->other_bauds[i]);
        put(o, " explain the bytes as well");
    }
    if (r->recovered) put(o, "; %zu bytes recovered from the bits", r->recovered_len);
    alternatives_message(o, r);
}

/* The sender faster than the capture: its bits between the receiver's samples are gone. */
static int sender_faster(const ds_serial_inference *r) { return r->sender.baud > r->receiver.baud; }

static void setting_hint(out_text *o, const ds_serial_inference *r)
{
    char tx[DS_SERIAL_SETTINGS_TEXT];
    ds_serial_settings_format(&r->sender, tx, sizeof tx);
    /* rates found against a capture rate only assumed hold as ratios */
    int assumed = !r->receiver_known;
    if (is_setting_verdict(r) && r->n_other_bauds) {
        put(o, "the sender's rate cannot be told from these bytes: try %lu", r->sender.baud);
        for (size_t i = 0; i < r->n_other_bauds; i++) put(o, ", %lu", r->other_bauds[i]);
        if (assumed) put(o, " if the capture was at %lu (the same ratios to its rate otherwise)", r->receiver.baud);
        put(o, " (dlmscope listen --probe tries them)");
        return;
    }
    if (is_setting_verdict(r)) {
        if (assumed && r->sender.baud == r->receiver.baud)
            put(o, "set the port to %s at the capture's rate (%s if the capture was at %lu)%s and capture again",
                frame_format(tx), tx, r->receiver.baud, r->inverted ? " with the line inverted" : "");
        else if (assumed)
            put(o, "set the port to the capture's rate times %u/%u (%s if the capture was at %lu)%s and capture again",
                r->ratio_num, r->ratio_den, tx, r->receiver.baud, r->inverted ? " with the line inverted" : "");
        else put(o, "set the port to %s%s and capture again", tx, r->inverted ? " with the line inverted" : "");
        if (r->statistical && sender_faster(r))
            put(o, " (the sender's bits between the port's samples cannot be recovered from this capture)");
        else if (r->statistical)
            put(o, " (the bytes lost to framing errors cannot be recovered from this capture)");
        return;
    }
    switch (r->verdict) {
    case DS_SERIAL_FINE: put(o, "decode the capture as it is"); break;
    case DS_SERIAL_NEAR_MISS:
        put(o, "check the wiring and the settings (try dlmscope listen --probe); a frame cut or damaged in the "
               "capture also looks like this");
        break;
    case DS_SERIAL_RANDOM:
        put(o, "if this is a meter port, the data may be ciphered below the framing or the port is not a DLMS "
               "one; otherwise try dlmscope listen --probe");
        break;
    default:
        put(o, "check that this port carries DLMS (HDLC, M-Bus or IEC 62056-21); a sender faster than the capture, an "
               "inverted line, or 8N1 read with a parity bit lose bits that bytes without their timing cannot give "
               "back: try dlmscope listen --probe");
        break;
    }
}

static void hint(out_text *o, const ds_serial_inference *r)
{
    setting_hint(o, r);
    alternatives_hint(o, r);
}

int ds_serial_inference_text(const ds_serial_inference *r, char *buf, size_t len)
{
    out_text o = {buf, len, 0};
    if (len) buf[0] = 0;
    put(&o, "%s: ", r->code ? r->code : DS_D_SERIAL_NOT_DLMS);
    message(&o, r);
    put(&o, ". Hint: ");
    hint(&o, r);
    put(&o, ".");
    return (int)o.used;
}

int ds_serial_inference_message(const ds_serial_inference *r, char *buf, size_t len)
{
    out_text o = {buf, len, 0};
    if (len) buf[0] = 0;
    message(&o, r);
    return (int)o.used;
}

int ds_serial_inference_hint(const ds_serial_inference *r, char *buf, size_t len)
{
    out_text o = {buf, len, 0};
    if (len) buf[0] = 0;
    hint(&o, r);
    return (int)o.used;
}

/* A JSON string of text (escaped). */
static void put_json_string(out_text *o, const char *s)
{
    put(o, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') put(o, "\\%c", c);
        else if (c < 0x20) put(o, "\\u%04x", c);
        else put(o, "%c", c);
    }
    put(o, "\"");
}

static void put_part_as_json(out_text *o, void (*part)(out_text *, const ds_serial_inference *),
                             const ds_serial_inference *r)
{
    char tmp[2048];
    out_text t = {tmp, sizeof tmp, 0};
    part(&t, r);
    put_json_string(o, tmp);
}

int ds_serial_inference_json(const ds_serial_inference *r, char *buf, size_t len)
{
    static const char *const SEVERITY[] = {"info", "warning", "error"};
    out_text o = {buf, len, 0};
    if (len) buf[0] = 0;
    char rx[DS_SERIAL_SETTINGS_TEXT], tx[DS_SERIAL_SETTINGS_TEXT];
    ds_serial_settings_format(&r->receiver, rx, sizeof rx);
    ds_serial_settings_format(&r->sender, tx, sizeof tx);
    put(&o, "\"code\":\"%s\",\"severity\":\"%s\",\"message\":", r->code ? r->code : DS_D_SERIAL_NOT_DLMS,
        SEVERITY[ds_serial_inference_severity(r)]);
    put_part_as_json(&o, message, r);
    put(&o, ",\"hint\":");
    put_part_as_json(&o, hint, r);
    put(&o, ",\"capture_settings\":\"%s\",\"capture_settings_known\":%s", rx, r->receiver_known ? "true" : "false");
    if (is_setting_verdict(r) || r->verdict == DS_SERIAL_FINE)
        put(&o, ",\"sender_settings\":\"%s\",\"ratio\":\"%u/%u\",\"inverted\":%s,\"statistical\":%s", tx,
            r->ratio_num, r->ratio_den, r->inverted ? "true" : "false", r->statistical ? "true" : "false");
    put(&o, ",\"frames\":%zu,\"frame_bytes\":%zu,\"frames_as_captured\":%zu,\"hypotheses\":%zu", r->frames,
        r->frame_bytes, r->frames_as_captured, r->hypotheses);
    if (r->n_alternatives) {
        put(&o, ",\"alternatives\":[");
        for (size_t i = 0; i < r->n_alternatives; i++) {
            const ds_serial_alternative *a = &r->alternatives[i];
            ds_serial_settings_format(&a->receiver, rx, sizeof rx);
            ds_serial_settings_format(&a->sender, tx, sizeof tx);
            put(&o, "%s{\"code\":\"%s\",\"capture_settings\":\"%s\",\"sender_settings\":\"%s\",\"inverted\":%s,"
                    "\"zeroes_bad_characters\":%s}",
                i ? "," : "", a->code, rx, tx, a->inverted ? "true" : "false",
                a->receiver_zeroes_errors ? "true" : "false");
        }
        put(&o, "]");
    }
    if (r->recovered) put(&o, ",\"recovered_bytes\":%zu", r->recovered_len);
    if (r->verdict == DS_SERIAL_NEAR_MISS) put(&o, ",\"offset\":%llu", (unsigned long long)r->near_miss_offset);
    if (r->verdict == DS_SERIAL_RANDOM || r->verdict == DS_SERIAL_NOT_DLMS)
        put(&o, ",\"entropy\":%.2f,\"flag_bytes\":%zu", r->entropy, r->flag_bytes);
    return (int)o.used;
}
