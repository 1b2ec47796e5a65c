/* Security findings (security.*): the decoder's hls.*, cipher.* and sign.* diagnostics under
 * one family, each merged with the likely cause the decoder found after it; the invocation
 * counters per sender, from the ciphered APDUs' headers (keys or not); ciphered APDUs nobody
 * could read; keys given that read as text.
 *
 * A mismatch (hls.stoc-mismatch, cipher.tag-mismatch ...) is followed, at the same offset, by
 * the diagnostic naming its likely cause when the decoder found one (hls.cause, cipher.key-ascii
 * ...). The mismatch is held until the next diagnostic, frame or APDU so that the two become one
 * finding: the cause in its message, its hint and its `cause` field. */
#include <stdio.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "diagnose/diagnose_int.h"
#include "security/cipher.h"

#define SENDER_CLIENT 0
#define SENDER_SERVER 1
#define SENDER_UNKNOWN 2

/* A system title in hex: made only for a finding (a printf per byte for every APDU is most of
 * what the counters would cost) */
static void title_text(char out[2 * DS_TITLE_LEN + 1], const uint8_t title[DS_TITLE_LEN])
{
    static const char HEX[] = "0123456789ABCDEF";
    for (int i = 0; i < DS_TITLE_LEN; i++) out[2 * i] = HEX[title[i] >> 4], out[2 * i + 1] = HEX[title[i] & 15];
    out[2 * DS_TITLE_LEN] = 0;
}

static const char *sender_name(int sender)
{
    return sender == SENDER_CLIENT ? "client" : sender == SENDER_SERVER ? "server" : "unknown";
}

/* ---- the decoder's codes ------------------------------------------------------------------------ */

typedef enum sec_kind {
    SEC_PLAIN,      /* renamed, message as the decoder's, hint from the table */
    SEC_MISMATCH,   /* held for its cause */
    SEC_CAUSE,      /* the cause of the held mismatch */
    SEC_DROPPED     /* said by the diagnoser itself (the IC tracking) */
} sec_kind;

typedef struct sec_rename {
    const char *from, *to;
    sec_kind kind;
    const char *hint;
} sec_rename;

static const sec_rename RENAMES[] = {
    {"hls.stoc-mismatch", DG_SECURITY_HLS_MISMATCH, SEC_MISMATCH,
     "the client's answer to the meter's challenge does not check with the secret or keys given: the client "
     "uses another secret or key than the one given here, or the one given is mistyped"},
    {"hls.ctos-mismatch", DG_SECURITY_HLS_MISMATCH, SEC_MISMATCH,
     "the meter's answer to the client's challenge does not check: the meter holds another secret or key than "
     "the one given here, or the one given is mistyped"},
    {"hls.cause", DG_SECURITY_HLS_MISMATCH, SEC_CAUSE, ""},
    {"cipher.tag-mismatch", DG_SECURITY_AUTH_TAG_MISMATCH, SEC_MISMATCH,
     "the GMAC authentication tag does not verify: a wrong AK or EK, a wrong system title (the sender's, "
     "from the AARQ/AARE or --client-title/--server-title), a wrong invocation counter, or the APDU was "
     "changed on the way"},
    {"cipher.key-ascii", DG_SECURITY_AUTH_TAG_MISMATCH, SEC_CAUSE, ""},
    {"cipher.key-ascii-prefix", DG_SECURITY_AUTH_TAG_MISMATCH, SEC_CAUSE, ""},
    {"cipher.key-hex-digits", DG_SECURITY_AUTH_TAG_MISMATCH, SEC_CAUSE, ""},
    {"cipher.keys-swapped", DG_SECURITY_AUTH_TAG_MISMATCH, SEC_CAUSE, ""},
    {"cipher.titles-swapped", DG_SECURITY_AUTH_TAG_MISMATCH, SEC_CAUSE, ""},
    {"cipher.ic-off-by-one", DG_SECURITY_AUTH_TAG_MISMATCH, SEC_CAUSE, ""},
    {"cipher.wrong-key-kind", DG_SECURITY_AUTH_TAG_MISMATCH, SEC_CAUSE, ""},
    {"cipher.ic-replay", NULL, SEC_DROPPED, ""},
    {"cipher.no-key", DG_SECURITY_NO_KEY, SEC_PLAIN,
     "the key this APDU needs was not given: give --ek/--ak (--dedicated-key, --broadcast-key, --kek as the "
     "message says), or a key file line for the sender's system title"},
    {"cipher.no-title", DG_SECURITY_NO_TITLE, SEC_PLAIN,
     "the sender's system title is needed for the IV: give --client-title/--server-title, or include the "
     "AARQ/AARE (they carry the titles) in the trace"},
    {"cipher.too-short", DG_SECURITY_TOO_SHORT, SEC_PLAIN,
     "the ciphered APDU is shorter than its security header and tag: it was cut (a lost segment or block) "
     "or damaged"},
    {"cipher.unsupported", DG_SECURITY_UNSUPPORTED, SEC_PLAIN,
     "a security control or key form this tool does not decipher (e.g. compression): the APDU is shown "
     "ciphered"},
    {"cipher.key-unwrap", DG_SECURITY_KEY_UNWRAP, SEC_PLAIN,
     "the master key (KEK) given does not unwrap the key in the general-ciphering APDU: wrong KEK or "
     "damaged key data"},
    {"cipher.key-agreement", DG_SECURITY_KEY_AGREEMENT, SEC_PLAIN,
     "the key could not be agreed (ECDH): a missing or wrong private key of the recipient, or a public key "
     "that is not on the curve"},
    {"cipher.signature-mismatch", DG_SECURITY_SIGNATURE_MISMATCH, SEC_PLAIN,
     "the signature does not verify with the originator's public signing key: a wrong key given, or the "
     "content was changed"},
    {"sign.mismatch", DG_SECURITY_SIGNATURE_MISMATCH, SEC_PLAIN,
     "the signature does not verify with the originator's public signing key: a wrong key given, or the "
     "content was changed"},
    {"cipher.signature-unchecked", DG_SECURITY_SIGNATURE_UNCHECKED, SEC_PLAIN,
     "the signature could not be checked: give the originator's public signing key (key file signpub=, "
     "--client-public-key/--server-public-key)"},
    {"sign.unchecked", DG_SECURITY_SIGNATURE_UNCHECKED, SEC_PLAIN,
     "the signature could not be checked: give the originator's public signing key (key file signpub=, "
     "--client-public-key/--server-public-key)"},
};

static const sec_rename *rename_of(const char *code)
{
    for (size_t i = 0; i < sizeof RENAMES / sizeof RENAMES[0]; i++)
        if (!strcmp(code, RENAMES[i].from)) return &RENAMES[i];
    return NULL;
}

/* The fix for each likely cause the decoder can name (its hls.cause and cipher.* codes) */
static const char *cause_hint(const char *cause)
{
    static const struct {
        const char *cause, *hint;
    } HINTS[] = {
        {"key-ascii", "the key or secret was typed as text where hex was expected, or the reverse: give the "
                      "32 hex digits of the key (for a secret: the form the meter was configured with)"},
        {"key-ascii-prefix", "the other side took the first 16 characters of the key's hex text as the key: "
                             "configure the key as 16 bytes given in hex, not as text"},
        {"key-hex-digits", "the key's bytes are the ASCII codes of hex digits: the key is those digits read as "
                           "hex (half as many bytes); give the digits themselves as the key"},
        {"keys-swapped", "the block cipher key (EK) and the authentication key (AK) are swapped"},
        {"titles-swapped", "the client's and the server's system titles are swapped"},
        {"challenges-swapped", "the sender computed its answer over its own challenge instead of the peer's: "
                               "an implementation error of that side"},
        {"ic-off-by-one", "the invocation counter is off by one: the sender uses the counter before or after "
                          "incrementing it"},
        {"wrong-key-kind", "the dedicated key is used where the global one is expected, or the reverse"},
        {"dedicated-key", "the dedicated key is used where the global one is expected"},
        {"global-key", "the global key is used where the dedicated one is expected"},
        {"mechanism-6-variant", "the sender computes SHA-256(challenge || secret) without the system titles: "
                                "an older reading of mechanism 6; configure both sides alike"},
        {"mechanism-", "the sender uses another mechanism's formula than the AARQ names: set the same "
                       "mechanism (authentication level) on both sides"},
    };
    for (size_t i = 0; i < sizeof HINTS / sizeof HINTS[0]; i++)
        if (!strcmp(cause, HINTS[i].cause)) return HINTS[i].hint;
    /* mechanism-2 ... mechanism-6: another mechanism's formula */
    return strncmp(cause, "mechanism-", 10) ? "" : HINTS[sizeof HINTS / sizeof HINTS[0] - 1].hint;
}

/* ---- holding a mismatch for its cause ----------------------------------------------------------- */

void dg_security_flush(ds_diagnoser *g)
{
    if (!g->has_held) return;
    g->has_held = 0;
    dg_deliver(g, &g->held.f);
}

/* The sender of an HLS value: f(StoC) is the client's answer, f(CtoS) the server's */
static void begin_hls_mismatch(dg_finding *b, dg_conv *c, const ds_diag *d)
{
    int server_side = !strcmp(d->code, "hls.ctos-mismatch");
    dg_str(b, "value", server_side ? "f(CtoS)" : "f(StoC)");
    dg_str(b, "sender", server_side ? "server" : "client");
    if (c && c->mechanism >= 0) dg_num(b, "mechanism", (uint64_t)c->mechanism);
}

/* The ciphered APDU the diagnostic is about, when the diagnoser saw its header */
static void add_ciphered_fields(dg_finding *b, const dg_conv *c, uint64_t offset)
{
    if (!c || !c->ciph_known || c->ciph_offset != offset) return;
    if (c->ciph_sender != SENDER_UNKNOWN) dg_str(b, "sender", sender_name(c->ciph_sender));
    dg_num(b, "ic", c->ciph_ic);
    dg_num(b, "security_control", c->ciph_sc);
    if (c->ciph_has_title) {
        char t[2 * DS_TITLE_LEN + 1];
        title_text(t, c->ciph_title);
        dg_str(b, "system_title", t);
    }
}

/* The cause diagnostic's text is "cause: sentence" (hls.cause) or the sentence alone, its cause
 * in the code (cipher.key-ascii ...) */
static void merge_cause(dg_finding *b, const ds_diag *d)
{
    const char *text = d->message;
    char cause[48];
    if (!strcmp(d->code, "hls.cause")) {
        const char *colon = strstr(d->message, ": ");
        size_t n = colon ? (size_t)(colon - d->message) : 0;
        if (n == 0 || n >= sizeof cause) return;
        memcpy(cause, d->message, n);
        cause[n] = 0;
        text = colon + 2;
    } else {
        snprintf(cause, sizeof cause, "%s", d->code + strlen("cipher."));
    }
    size_t len = strlen(b->message);
    snprintf(b->message + len, sizeof b->message - len, "; likely cause: %s", text);
    const char *hint = cause_hint(cause);
    if (*hint) dg_hint(b, "%s", hint);
    dg_str(b, "cause", cause);
}

static void begin_from_diag(dg_finding *b, dg_conv *c, const ds_diag *d, const sec_rename *r)
{
    dg_begin(b, c, r->to, d->severity);
    b->f.frame = d->frame;
    b->f.offset = d->offset;
    b->f.line = d->line;
    if (c && d->frame != c->frame) b->f.time = "";
    snprintf(b->message, sizeof b->message, "%.*s", (int)strnlen(d->message, sizeof d->message), d->message);
    dg_hint(b, "%s", r->hint);
}

int dg_security_diag(ds_diagnoser *g, dg_conv *c, const ds_diag *d)
{
    const sec_rename *r = rename_of(d->code);
    if (!r) return 0;
    if (r->kind == SEC_CAUSE && g->has_held && g->held.f.offset == d->offset && !strcmp(g->held.f.code, r->to)) {
        merge_cause(&g->held, d);
        dg_security_flush(g);
        return 1;
    }
    dg_security_flush(g);
    if (r->kind == SEC_DROPPED) return 1;
    if (c && d->severity == DS_SEV_ERROR) c->key_problem = r->to; /* the usual cause of a refusal that may follow */
    if (c) {
        c->sec_diag_offset = d->offset; /* the APDU is not "unread without a word" */
        c->has_sec_diag = 1;
    }
    dg_finding *b = &g->held;
    begin_from_diag(b, c, d, r);
    if (!strcmp(r->to, DG_SECURITY_HLS_MISMATCH)) {
        if (r->kind == SEC_MISMATCH) begin_hls_mismatch(b, c, d);
    } else {
        add_ciphered_fields(b, c, d->offset);
    }
    dg_str(b, "decoder_code", d->code);
    if (r->kind == SEC_CAUSE) merge_cause(b, d); /* a cause without its mismatch: said alone */
    g->has_held = 1;
    if (r->kind != SEC_MISMATCH) dg_security_flush(g);
    return 1;
}

/* ---- invocation counters ------------------------------------------------------------------------- */

/* Which counter an APDU's IC is checked against: each sender and key has its own (the global and
 * the dedicated key; a general form's system title names its sender) */
static dg_ic_sender *ic_sender(dg_conv *c, int sender, int dedicated, const ds_ciphered *k)
{
    int has_title = k->title && k->title_len == DS_TITLE_LEN;
    for (size_t i = 0; i < DG_IC_SENDERS_MAX; i++) {
        dg_ic_sender *s = &c->ic[i];
        if (!s->used) {
            memset(s, 0, sizeof *s);
            s->used = 1;
            s->sender = sender;
            s->dedicated = dedicated;
            s->has_title = has_title;
            if (has_title) memcpy(s->title, k->title, DS_TITLE_LEN);
            ds_ic_init(&s->counters, 0);
            return s;
        }
        if (s->dedicated == dedicated && s->has_title == has_title &&
            (has_title ? !memcmp(s->title, k->title, DS_TITLE_LEN) : s->sender == sender))
            return s;
    }
    return NULL; /* more senders than kept: not checked */
}

static void ic_finding(dg_conv *c, const dg_ic_sender *s, ds_ic_verdict v, uint32_t ic, uint32_t last)
{
    dg_finding b;
    int repeated = v == DS_IC_REPEATED;
    dg_begin(&b, c, repeated ? DG_SECURITY_IC_REPEATED : DG_SECURITY_IC_DECREASING, DS_SEV_WARNING);
    char who[48], t[2 * DS_TITLE_LEN + 1];
    title_text(t, s->title);
    if (s->has_title) {
        snprintf(who, sizeof who, "the sender with system title %s", t);
    } else {
        snprintf(who, sizeof who, "the %s", sender_name(s->sender));
    }
    dg_message(&b, "%s's invocation counter %08lX (%s key) is %s its last one, %08lX", who, (unsigned long)ic,
               s->dedicated ? "dedicated" : "global", repeated ? "the same as" : "below", (unsigned long)last);
    if (repeated)
        dg_hint(&b, "the same counter twice is a replay: the receiver refuses it (an exception-response "
                    "InvocationCounterError, or silence); a sender must increase its counter with every APDU, "
                    "and keep it across associations and restarts (the meter's frame counter object)");
    else
        dg_hint(&b, "a counter that goes back is refused as a replay: the sender restarted it (a client that "
                    "does not keep it, a meter reset) or two clients share the key; read the frame counter "
                    "(class 1, 0.0.43.1.x.255) and continue above it");
    if (s->sender != SENDER_UNKNOWN) dg_str(&b, "sender", sender_name(s->sender));
    if (s->has_title) dg_str(&b, "system_title", t);
    dg_num(&b, "ic", ic);
    dg_num(&b, "last_ic", last);
    dg_str(&b, "key", s->dedicated ? "dedicated" : "global");
    dg_hint_add(&b, "Only the first of each kind per sender is a finding: the summary counts them all");
    dg_emit(&b);
}

void dg_security_ciphered(dg_conv *c, const ds_apdu_event *ev)
{
    ds_ciphered k;
    char err[80];
    c->ciph_known = 0;
    /* a malformed one, or bytes after it (random bytes can look like a ciphered APDU's start): the
     * decoder says what is wrong, and it is no APDU to count */
    if (ds_ciphered_parse(ev->apdu, ev->len, &k, err, sizeof err) || k.consumed != ev->len) return;
    uint8_t prot = ds_apdu_tag(ev->apdu[0])->protection;
    int sender = prot == DS_APDU_GLO || prot == DS_APDU_DED
                     ? (ds_cipher_tag_is_request(ev->apdu[0]) ? SENDER_CLIENT : SENDER_SERVER)
                     : SENDER_UNKNOWN; /* the general forms carry either side's APDUs */
    c->ciph_known = 1;
    c->ciph_offset = ev->offset;
    c->ciph_ic = k.ic;
    c->ciph_sc = k.sc;
    c->ciph_sender = sender;
    c->ciph_has_title = k.title && k.title_len == DS_TITLE_LEN;
    if (c->ciph_has_title) memcpy(c->ciph_title, k.title, DS_TITLE_LEN);
    if (!(k.sc & (DS_SC_AUTH | DS_SC_ENC))) return; /* no protection: no counter to keep */
    int dedicated = k.kind == DS_CIPH_SERVICE_DED || k.kind == DS_CIPH_GENERAL_DED;
    dg_ic_sender *s = ic_sender(c, sender, dedicated, &k);
    if (!s) return;
    uint32_t last = s->counters.last[0];
    ds_ic_verdict v = ds_ic_seen(&s->counters, 0, k.ic);
    /* the first of each kind per sender is a finding; the others are counted in the summary (a
     * replayed trace would otherwise bury everything else) */
    uint64_t *count = v == DS_IC_REPEATED ? &s->repeated : v == DS_IC_DECREASED ? &s->decreased : NULL;
    if (count && (*count)++ == 0) ic_finding(c, s, v, k.ic, last);
}

/* The dedicated key lives for one association (the AARQ carries a new one), so its counter may
 * start again; the global keys' counters go on across associations and are kept. */
void dg_security_association(dg_conv *c)
{
    for (size_t i = 0; i < DG_IC_SENDERS_MAX; i++)
        if (c->ic[i].used && c->ic[i].dedicated) ds_ic_init(&c->ic[i].counters, 0);
}

/* ---- ciphered APDUs nobody could read ----------------------------------------------------------- */

void dg_security_unread(dg_conv *c, uint64_t offset)
{
    if (c->has_sec_diag && c->sec_diag_offset == offset) return; /* its diagnostic says why */
    if (!c->ciph_known || c->ciph_offset != offset) return;      /* not a well-formed ciphered APDU */
    if (c->raw_bad) return; /* a raw record with an error: bytes that only look like an APDU */
    if (c->ciphered_unread++ == 0) c->unread_first_frame = c->frame, c->unread_first_offset = offset;
}

/* The decoder does not hand an AARQ's or AARE's ciphered initiate over as an APDU of its own, so
 * it is counted here; only without keys: with keys given, a failure has the decoder's diagnostic. */
void dg_security_unread_initiate(dg_conv *c, uint64_t frame, uint64_t offset)
{
    if (c->g->keys) return;
    if (c->ciphered_unread++ == 0) c->unread_first_frame = frame, c->unread_first_offset = offset;
}

void dg_security_end(dg_conv *c)
{
    if (c->ciphered_unread == 0) return;
    dg_finding b;
    dg_begin(&b, c, DG_SECURITY_NO_KEY, DS_SEV_WARNING);
    dg_at(&b, c->unread_first_frame, c->unread_first_offset);
    dg_message(&b, "%llu ciphered APDU(s) were not read: no key was given for them (the first in frame %llu)",
               (unsigned long long)c->ciphered_unread, (unsigned long long)c->unread_first_frame);
    dg_hint(&b, "without keys the requests and answers inside are not seen, so neither are their findings: "
                "give the EK and AK (--ek, --ak or a key file) and the system titles if the trace lacks the "
                "AARQ/AARE");
    dg_num(&b, "apdus", c->ciphered_unread);
    dg_num(&b, "first_frame", c->unread_first_frame);
    dg_emit(&b);
    c->ciphered_unread = 0;
}

/* ---- keys that read as text --------------------------------------------------------------------- */

static int all_printable(const ds_key *k)
{
    if (!ds_key_usable(k)) return 0;
    for (size_t i = 0; i < k->len; i++)
        if (k->bytes[i] < 0x20 || k->bytes[i] > 0x7E) return 0;
    return 1;
}

static int all_hex_digit_codes(const ds_key *k)
{
    for (size_t i = 0; i < k->len; i++) {
        uint8_t b = k->bytes[i];
        if (!((b >= '0' && b <= '9') || (b >= 'A' && b <= 'F') || (b >= 'a' && b <= 'f'))) return 0;
    }
    return 1;
}

static void key_looks_ascii(dg_conv *c, const ds_key *k, const char *name)
{
    if (!all_printable(k)) return;
    int hex = all_hex_digit_codes(k);
    dg_finding b;
    dg_begin(&b, c, DG_SECURITY_KEY_LOOKS_ASCII, DS_SEV_WARNING);
    b.f.frame = b.f.offset = b.f.line = 0;
    dg_message(&b, "the %s given (%zu bytes) reads as text: every byte is a printable character%s", name, k->len,
               hex ? ", and each the ASCII code of a hex digit" : "");
    if (hex)
        dg_hint(&b, "if the key was written down in hex, its digits were turned into characters once too "
                    "often (these bytes are %s of the digits): give the hex digits themselves; a meter that does "
                    "take the key's text (some do) deciphers with it as given",
                k->len == 16 ? "only the first 16" : "all");
    else
        dg_hint(&b, "some meters do use a text as key (its characters' codes are the key, as given here); if "
                    "the meter's key is hex digits, give those instead; a security.auth-tag-mismatch or "
                    "security.hls-mismatch tells which");
    dg_str(&b, "key", name);
    dg_num(&b, "length", k->len);
    dg_emit(&b);
}

void dg_security_keys(ds_diagnoser *g, dg_conv *c)
{
    if (g->keys_checked || !g->keys) return;
    g->keys_checked = 1;
    const ds_keyset *ks = ds_keyring_lookup(g->keys, NULL);
    key_looks_ascii(c, &ks->ek, "EK");
    key_looks_ascii(c, &ks->ak, "AK");
    key_looks_ascii(c, &ks->dk, "dedicated key");
    key_looks_ascii(c, &ks->bk, "broadcast key");
    key_looks_ascii(c, &ks->kek, "KEK");
}
