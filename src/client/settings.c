/* The settings of `dlmscope run`, one parser for the command line and the script's <Settings>:
 * our option names and Gurux's (GXDLMSClient settings and XmlClient command line). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/run.h"
#include "util/fail.h"

void ds_run_settings_init(ds_run_settings *s)
{
    memset(s, 0, sizeof *s);
    s->client_sap = 16;
    s->server_logical = 1;
    s->security_policy = -1;
    s->logical_names = 1;
    s->decimal = 1;
    s->timeout_ms = 5000;
    s->max_pdu = 0xFFFF;
    s->conformance = 0x007E1F;
    s->max_info = 128;
    s->window = 1;
    s->ic = 1;
    static const uint8_t FRAME_COUNTER[6] = {0, 0, 43, 1, 0, 255};
    memcpy(s->ic_obis, FRAME_COUNTER, 6);
}

#define fail ds_fail /* util/fail.h: the one helper, under the short name used here */

/* The name without case, '-', '_' and spaces: "hdlc-tcp", "HdlcTcp" -> "hdlctcp". */
static void squeeze(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++) {
        if (*in == '-' || *in == '_' || *in == ' ') continue;
        out[n++] = (char)tolower((unsigned char)*in);
    }
    out[n] = '\0';
}

static int is(const char *name, const char *a)
{
    return strcmp(name, a) == 0;
}

/* A number: decimal, or hex after 0x; within max. */
static int number(const char *v, unsigned long max, unsigned long *out)
{
    if (!v || !*v) return -1;
    char *end;
    errno = 0;
    int base = (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) ? 16 : 10;
    unsigned long x = strtoul(base == 16 ? v + 2 : v, &end, base);
    if (errno || *end || x > max || v[0] == '-') return -1;
    *out = x;
    return 0;
}

static int flag(const char *v)
{
    if (!v || !*v) return 1;
    char t[16];
    squeeze(v, t, sizeof t);
    return !(is(t, "0") || is(t, "false") || is(t, "no") || is(t, "off"));
}

/* An OBIS code: six numbers 0..255, each after '.', '-', ':' or '*' (1.0.1.8.0.255, 1-0:1.8.0*255). */
static int obis_of(const char *v, uint8_t out[6])
{
    for (int i = 0; i < 6; i++) {
        char *end;
        if (!isdigit((unsigned char)*v)) return -1;
        errno = 0;
        unsigned long x = strtoul(v, &end, 10);
        if (errno || x > 255) return -1;
        out[i] = (uint8_t)x;
        if (i == 5) return *end ? -1 : 0;
        if (!*end || !strchr(".-:*", *end)) return -1;
        v = end + 1;
    }
    return -1;
}

/* IcFromMeter: true/false, or the frame counter object's OBIS code (true with it). */
static int ic_from_meter_of(ds_run_settings *s, const char *v, char *err, size_t errlen)
{
    if (v && strchr(v, '.')) {
        if (obis_of(v, s->ic_obis)) return fail(err, errlen, "IcFromMeter '%s': true, false or an OBIS code (0.0.43.1.0.255)", v);
        s->ic_from_meter = 1;
        return 0;
    }
    s->ic_from_meter = flag(v);
    return 0;
}

static int hex_bytes(const char *v, uint8_t *out, size_t cap, size_t *len)
{
    int n = ds_hex_to_bytes(v, out, cap);
    if (n <= 0) return -1;
    *len = (size_t)n;
    return 0;
}

static int set_key(ds_key *k, const char *v, const char *what, char *err, size_t errlen)
{
    size_t n = 0;
    if (hex_bytes(v, k->bytes, sizeof k->bytes, &n) || (n != 16 && n != 32))
        return fail(err, errlen, "%s: 16 or 32 bytes in hex (the key is not repeated here)", what);
    k->len = n;
    k->set = 1;
    return 0;
}

/* none|low|high|high-md5|... and Gurux's None/Low/High/HighMd5/..., or the number. */
static int mechanism_of(const char *v)
{
    static const char *const NAMES[8] = {"none", "low", "high", "highmd5", "highsha1", "highgmac", "highsha256",
                                         "highecdsa"};
    char t[32];
    squeeze(v, t, sizeof t);
    for (int i = 0; i < 8; i++)
        if (is(t, NAMES[i])) return i;
    if (t[0] >= '0' && t[0] <= '7' && !t[1]) return t[0] - '0';
    return -1;
}

/* Text, or hex after 0x (a secret of any bytes). */
static int secret_of(ds_run_settings *s, const char *v, char *err, size_t errlen)
{
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        if (hex_bytes(v + 2, s->secret, sizeof s->secret, &s->secret_len))
            return fail(err, errlen, "the secret after 0x is not hex of at most 64 bytes");
        return 0;
    }
    size_t n = strlen(v);
    if (n > sizeof s->secret) return fail(err, errlen, "a secret of more than 64 bytes");
    memcpy(s->secret, v, n);
    s->secret_len = n;
    return 0;
}

static int server_of(ds_run_settings *s, const char *v, char *err, size_t errlen)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    char *colon = strchr(buf, ':');
    if (colon) *colon = '\0';
    unsigned long l, p;
    if (number(buf, 0x3FFF, &l)) return fail(err, errlen, "server address '%s': L or L:P", v);
    s->server_logical = (unsigned)l;
    if (colon) {
        if (number(colon + 1, 0x3FFF, &p)) return fail(err, errlen, "server address '%s': L or L:P", v);
        s->server_physical = (unsigned)p;
        s->has_physical = 1;
    }
    return 0;
}

static int security_of(const char *v)
{
    char t[48];
    squeeze(v, t, sizeof t);
    if (is(t, "none") || is(t, "0")) return 0;
    if (is(t, "authentication") || is(t, "1")) return 1;
    if (is(t, "encryption") || is(t, "2")) return 2;
    if (is(t, "authenticationencryption") || is(t, "3")) return 3;
    return -1;
}

static int target(ds_run_settings *s, ds_run_transport t, const char *v, char *err, size_t errlen)
{
    if (!v || !*v) return fail(err, errlen, "an address is needed");
    if (strlen(v) >= sizeof s->target) return fail(err, errlen, "address too long");
    s->transport = t;
    snprintf(s->target, sizeof s->target, "%s", v);
    return 0;
}

int ds_run_setting(ds_run_settings *s, const char *name, const char *value, char *err, size_t errlen)
{
    char n[48];
    unsigned long x;
    const char *v = value ? value : "";
    squeeze(name, n, sizeof n);
    if (is(n, "tcp")) return target(s, DS_RUN_TCP, v, err, errlen);
    if (is(n, "udp")) return target(s, DS_RUN_UDP, v, err, errlen);
    if (is(n, "hdlctcp")) return target(s, DS_RUN_HDLC_TCP, v, err, errlen);
    if (is(n, "serial") || is(n, "s") || is(n, "serialport")) return target(s, DS_RUN_SERIAL, v, err, errlen);
    if (is(n, "host") || is(n, "hostname")) {
        if (strlen(v) >= sizeof s->host || !*v) return fail(err, errlen, "host: a name or address");
        snprintf(s->host, sizeof s->host, "%s", v);
        return 0;
    }
    if (is(n, "port")) {
        if (number(v, 65535, &x) || !x) return fail(err, errlen, "port '%s': 1..65535", v);
        s->port = (unsigned)x;
        return 0;
    }
    if (is(n, "w") || is(n, "wrapper") || is(n, "usewrapper")) return s->wrapper = flag(value), 0;
    if (is(n, "interfacetype")) {
        char t[16];
        squeeze(v, t, sizeof t);
        if (is(t, "wrapper")) s->wrapper = 1;
        else if (is(t, "hdlc")) s->wrapper = 0;
        else return fail(err, errlen, "InterfaceType '%s': HDLC or WRAPPER", v);
        return 0;
    }
    if (is(n, "i") || is(n, "iec") || is(n, "modee")) return s->iec = flag(value), 0;
    if (is(n, "client") || is(n, "clientaddress") || is(n, "c")) {
        if (number(v, 0x7F, &x)) return fail(err, errlen, "client address '%s': 0..127", v);
        s->client_sap = (unsigned)x;
        return 0;
    }
    if (is(n, "server") || is(n, "serveraddress")) return server_of(s, v, err, errlen);
    if (is(n, "logicaladdress") || is(n, "physicaladdress")) {
        if (number(v, 0x3FFF, &x)) return fail(err, errlen, "%s '%s': 0..16383", name, v);
        if (is(n, "logicaladdress")) s->server_logical = (unsigned)x;
        else s->server_physical = (unsigned)x, s->has_physical = 1;
        return 0;
    }
    if (is(n, "auth") || is(n, "authentication") || is(n, "a")) {
        int m = mechanism_of(v);
        if (m < 0) return fail(err, errlen, "authentication '%s': none, low, high, high-md5, high-sha1, high-gmac, high-sha256 or high-ecdsa", v);
        s->mechanism = m;
        return 0;
    }
    if (is(n, "password") || is(n, "p") || is(n, "hlssecret") || is(n, "secret")) return secret_of(s, v, err, errlen);
    if (is(n, "ek") || is(n, "blockcipherkey")) return set_key(&s->keys.ek, v, "the block cipher key (ek)", err, errlen);
    if (is(n, "ak") || is(n, "authenticationkey")) return set_key(&s->keys.ak, v, "the authentication key (ak)", err, errlen);
    if (is(n, "dk") || is(n, "dedicatedkey")) {
        s->dedicated = 1;
        return set_key(&s->keys.dk, v, "the dedicated key (dk)", err, errlen);
    }
    if (is(n, "clienttitle") || is(n, "systemtitle")) {
        size_t len = 0;
        if (hex_bytes(v, s->client_title, sizeof s->client_title, &len) || len != 8)
            return fail(err, errlen, "client title '%s': 8 bytes in hex", v);
        s->has_client_title = 1;
        return 0;
    }
    if (is(n, "signingkey") || is(n, "privatekey") || is(n, "serverpublickey")) {
        int own = !is(n, "serverpublickey");
        char kerr[200];
        if (ds_ec_key_load(v, own, own ? &s->sign_key : &s->server_sign_key, kerr, sizeof kerr))
            return fail(err, errlen, "%s", kerr);
        /* decode's --private-key is the recipient's key-agreement key: the same name for this
           signing key let a command line pasted from one command into the other take a wrong
           key silently, so the old name still works but says so */
        if (!is(n, "privatekey")) return 0;
        fail(err, errlen, "the old name of --signing-key (<SigningKey> in <Settings>): the client's ECDSA signing key "
                          "of high-ecdsa, not the key-agreement key of decode's --private-key");
        return DS_RUN_SETTING_OLD_NAME;
    }
    if (is(n, "ic") || is(n, "invocationcounter")) {
        if (number(v, 0xFFFFFFFFul, &x)) return fail(err, errlen, "invocation counter '%s'", v);
        s->ic = (uint32_t)x;
        s->has_ic = 1;
        return 0;
    }
    if (is(n, "icfrommeter")) return ic_from_meter_of(s, value, err, errlen);
    if (is(n, "icfile")) return snprintf(s->ic_file, sizeof s->ic_file, "%s", v) >= (int)sizeof s->ic_file ? fail(err, errlen, "file name too long") : 0;
    if (is(n, "transcript")) return snprintf(s->transcript, sizeof s->transcript, "%s", v) >= (int)sizeof s->transcript ? fail(err, errlen, "file name too long") : 0;
    if (is(n, "security") || is(n, "securitypolicy")) {
        int p = security_of(v);
        if (p < 0) return fail(err, errlen, "security '%s': None, Authentication, Encryption or AuthenticationEncryption", v);
        s->security_policy = p;
        return 0;
    }
    if (is(n, "suite") || is(n, "securitysuite")) {
        if (number(v, 2, &x)) return fail(err, errlen, "security suite '%s': 0, 1 or 2", v);
        s->security_suite = (int)x;
        return 0;
    }
    if (is(n, "dedicated")) return s->dedicated = flag(value), 0;
    if (is(n, "general") || is(n, "generalciphering")) return s->general_ciphering = flag(value), 0;
    if (is(n, "referencing") || is(n, "uselogicalnamereferencing")) {
        char t[16];
        squeeze(v, t, sizeof t);
        s->logical_names = !(is(t, "sn") || is(t, "false") || is(t, "0"));
        return 0;
    }
    if (is(n, "sn")) return s->logical_names = !flag(value), 0;
    if (is(n, "dryrun")) return s->dry_run = flag(value), 0;
    if (is(n, "decimal")) return s->decimal = flag(value), 0;
    if (is(n, "hex")) return s->decimal = !flag(value), 0;
    if (is(n, "timeout")) {
        if (number(v, 3600, &x) || !x) return fail(err, errlen, "timeout '%s': 1..3600 seconds", v);
        s->timeout_ms = (int)x * 1000;
        return 0;
    }
    if (is(n, "waittime")) { /* Gurux's, in milliseconds */
        if (number(v, 3600000, &x) || !x) return fail(err, errlen, "WaitTime '%s': 1..3600000 milliseconds", v);
        s->timeout_ms = (int)x;
        return 0;
    }
    if (is(n, "maxpdu") || is(n, "pdusize") || is(n, "maxreceivepdusize")) {
        if (number(v, 65535, &x) || x < 12) return fail(err, errlen, "max PDU '%s': 12..65535", v);
        s->max_pdu = (unsigned)x;
        return 0;
    }
    if (is(n, "gbtwindow")) {
        if (number(v, 63, &x)) return fail(err, errlen, "GBT window '%s': 0..63 (0: no general block transfer)", v);
        s->gbt_window = (unsigned)x;
        return 0;
    }
    if (is(n, "conformance") || is(n, "proposedconformance")) {
        if (number(v, 0xFFFFFF, &x)) return fail(err, errlen, "conformance '%s': 24 bits", v);
        s->conformance = (uint32_t)x;
        return 0;
    }
    if (is(n, "maxinfo") || is(n, "maxinfotx") || is(n, "maxinforx")) {
        if (number(v, 2030, &x) || x < 32) return fail(err, errlen, "max info '%s': 32..2030", v);
        s->max_info = (unsigned)x;
        return 0;
    }
    if (is(n, "window") || is(n, "windowsize") || is(n, "windowsizetx") || is(n, "windowsizerx")) {
        if (number(v, 7, &x) || x < 1) return fail(err, errlen, "HDLC window '%s': 1..7", v);
        s->window = (unsigned)x;
        return 0;
    }
    if (is(n, "stats")) return s->stats = flag(value), 0;
    if (is(n, "continueonerror")) return s->continue_on_error = flag(value), 0;
    return fail(err, errlen, "unknown setting '%s'", name);
}
