/* The key store: global keys, per-system-title keys, and where they come from
 * (command line text, a key file, the environment). Error messages name the key
 * and the place, never the key material itself. */
#include "dlmscope/keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <strings.h>

/* A key file is written by a person; a few thousand meters is plenty, and the cap
 * keeps a runaway file from eating memory. */
#define DS_KEYRING_MAX_TITLES 65536
#define KEY_LINE_MAX 4096
/* A P-384 public key in hex with a separator after every byte, and room to spare; longer text is
 * not a key. */
#define EC_TEXT_MAX 400
#define P256_LEN 32
#define P384_LEN 48

typedef struct ds_title_keys {
    uint8_t title[DS_TITLE_LEN];
    ds_keyset keys;
} ds_title_keys;

struct ds_keyring {
    ds_keyset global;
    ds_keyring_warn_fn warn; /* told of keys that are taken but look mistyped */
    void *warn_user;
    ds_title_keys *titled;
    size_t n_titled, cap_titled;
    int has_client_title, has_server_title;
    uint8_t client_title[DS_TITLE_LEN], server_title[DS_TITLE_LEN];
};

ds_keyring *ds_keyring_new(void)
{
    return calloc(1, sizeof(ds_keyring));
}


void ds_keyring_on_warning(ds_keyring *kr, ds_keyring_warn_fn fn, void *user)
{
    if (!kr) return;
    kr->warn = fn;
    kr->warn_user = user;
}

static void warn_from(const ds_keyring *kr, const char *place, const char *msg)
{
    if (kr->warn && msg[0]) {
        char line[512];
        snprintf(line, sizeof line, "%s: %s", place, msg);
        kr->warn(kr->warn_user, line);
    }
}

void ds_keyring_free(ds_keyring *kr)
{
    if (!kr) return;
    if (kr->titled) mbedtls_platform_zeroize(kr->titled, kr->cap_titled * sizeof(ds_title_keys));
    free(kr->titled);
    mbedtls_platform_zeroize(kr, sizeof *kr);
    free(kr);
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int is_separator(char ch)
{
    return ch == ' ' || ch == '\t' || ch == ':' || ch == '\r' || ch == '\n' || ch == '-';
}

int ds_hex_to_bytes(const char *text, uint8_t *out, size_t cap)
{
    if (!text) return -1;
    size_t n = 0;
    int high = -1;
    const char *p = text;
    while (*p) {
        if (is_separator(*p)) {
            p++;
            continue;
        }
        /* a 0x prefix is allowed at the start of the text or of any separated group */
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && high < 0 && (p == text || is_separator(p[-1]))) {
            p += 2;
            continue;
        }
        int v = hex_value(*p);
        if (v < 0) return -1;
        if (high < 0) {
            high = v;
        } else {
            if (n >= cap) return -1;
            out[n++] = (uint8_t)(high << 4 | v);
            high = -1;
        }
        p++;
    }
    if (high >= 0) return -1; /* odd number of digits */
    return (int)n;
}

static const char *key_name(char which)
{
    switch (which) {
    case 'e': return "EK";
    case 'a': return "AK";
    case 'd': return "dedicated key";
    case 'b': return "broadcast key";
    case 'k': return "master key (KEK)";
    case 'p': return "private key";
    case 'q': return "agreement public key";
    case 's': return "signing public key";
    default: return "key";
    }
}

static ds_key *key_slot(ds_keyset *ks, char which)
{
    switch (which) {
    case 'e': return &ks->ek;
    case 'a': return &ks->ak;
    case 'd': return &ks->dk;
    case 'b': return &ks->bk;
    case 'k': return &ks->kek;
    default: return NULL;
    }
}

static ds_title_keys *find_titled(const ds_keyring *kr, const uint8_t *title)
{
    for (size_t i = 0; i < kr->n_titled; i++)
        if (memcmp(kr->titled[i].title, title, DS_TITLE_LEN) == 0) return &kr->titled[i];
    return NULL;
}

static ds_keyset *keyset_for_writing(ds_keyring *kr, const uint8_t *title)
{
    if (!title) return &kr->global;
    ds_title_keys *t = find_titled(kr, title);
    if (t) return &t->keys;
    if (kr->n_titled == kr->cap_titled) {
        if (kr->cap_titled >= DS_KEYRING_MAX_TITLES) return NULL;
        size_t cap = kr->cap_titled ? kr->cap_titled * 2 : 8;
        ds_title_keys *grown = calloc(cap, sizeof *grown);
        if (!grown) return NULL;
        if (kr->titled) {
            memcpy(grown, kr->titled, kr->n_titled * sizeof *grown);
            mbedtls_platform_zeroize(kr->titled, kr->cap_titled * sizeof *grown);
            free(kr->titled);
        }
        kr->titled = grown;
        kr->cap_titled = cap;
    }
    t = &kr->titled[kr->n_titled++];
    memset(t, 0, sizeof *t);
    memcpy(t->title, title, DS_TITLE_LEN);
    return &t->keys;
}

static void set_err(char *err, size_t errlen, const char *a, const char *b, const char *c)
{
    if (err && errlen) snprintf(err, errlen, "%s%s%s", a, b, c);
}

static ds_ec_key *ec_slot(ds_keyset *ks, char which)
{
    switch (which) {
    case 'p': return &ks->priv;
    case 'q': return &ks->pub;
    case 's': return &ks->sign;
    default: return NULL;
    }
}

/* A private key is the bare scalar of its curve: its length names the curve. */
static int take_private(const uint8_t *b, int n, ds_ec_key *out, char *err, size_t errlen)
{
    if (n != P256_LEN && n != P384_LEN) {
        if (err && errlen)
            snprintf(err, errlen, "the private key is %d bytes: a P-256 key (suite 1) is 32 bytes, a P-384 key (suite 2) 48", n);
        return -1;
    }
    memcpy(out->bytes, b, (size_t)n);
    out->len = (size_t)n;
    return 0;
}

/* A public key as an uncompressed point 04||X||Y, or as X||Y alone (how DLMS carries points);
 * kept as 04||X||Y, the form mbedtls reads. */
static int take_public(const char *name, const uint8_t *b, int n, ds_ec_key *out, char *err, size_t errlen)
{
    if (n == 2 * P256_LEN || n == 2 * P384_LEN) {
        out->bytes[0] = 0x04;
        memcpy(out->bytes + 1, b, (size_t)n);
        out->len = (size_t)n + 1;
        return 0;
    }
    if ((n == 2 * P256_LEN + 1 || n == 2 * P384_LEN + 1) && b[0] == 0x04) {
        memcpy(out->bytes, b, (size_t)n);
        out->len = (size_t)n;
        return 0;
    }
    if (err && errlen)
        snprintf(err, errlen,
                 "the %s is %d bytes%s: give an uncompressed point 04||X||Y of 65 (P-256) or 97 (P-384) bytes, or X||Y",
                 name, n, n == 2 * P256_LEN + 1 || n == 2 * P384_LEN + 1 ? " and does not start with 04" : "");
    return -1;
}

/* The three elliptic-curve keys: checked for a length of their curve here, for being a valid key
 * of it when used (src/security/agree.c), so that a typo is caught before any traffic is read.
 * *out is set only on success. */
static int parse_ec_key(char which, const char *text, ds_ec_key *out, char *err, size_t errlen)
{
    const char *name = key_name(which);
    if (strlen(text) > EC_TEXT_MAX) {
        set_err(err, errlen, "the ", name, " is too long");
        return -1;
    }
    uint8_t raw[DS_EC_KEY_MAX + 1];
    ds_ec_key parsed;
    memset(&parsed, 0, sizeof parsed);
    int n = ds_hex_to_bytes(text, raw, sizeof raw);
    int rc = -1;
    if (n < 0)
        set_err(err, errlen, "the ", name, " is not hex or longer than 97 bytes");
    else if (n == 0)
        set_err(err, errlen, "the ", name, " is empty");
    else if (which == 'p')
        rc = take_private(raw, n, &parsed, err, errlen);
    else
        rc = take_public(name, raw, n, &parsed, err, errlen);
    if (rc == 0) {
        parsed.set = 1;
        *out = parsed;
    }
    mbedtls_platform_zeroize(raw, sizeof raw);
    mbedtls_platform_zeroize(&parsed, sizeof parsed);
    return rc;
}

static int set_ec_key(ds_keyset *ks, char which, const char *text, char *err, size_t errlen)
{
    return parse_ec_key(which, text, ec_slot(ks, which), err, errlen);
}

int ds_ec_public_key_parse(const char *text, ds_ec_key *out, char *err, size_t errlen)
{
    return parse_ec_key('s', text, out, err, errlen);
}

/* Every security suite's block cipher and authentication keys are AES-128 (16 bytes) or AES-256
 * (32): any other length is a typing mistake, said at start rather than as a failure to decipher.
 * A 16-digit text (8 bytes) is mostly a key meant as ASCII text. */
static int key_length_ok(const char *name, int n, char *err, size_t errlen)
{
    if (n == 16 || n == 32) return 1;
    if (err && errlen)
        snprintf(err, errlen, "the %s is %d bytes: a key is 16 bytes (security suites 0 and 1) or 32 (suite 2)%s", name,
                 n,
                 n == 8 ? "; if its 16 characters are the key as ASCII text, give the hex of their codes "
                          "(32 digits: 1 is 31, A is 41)"
                        : "");
    return 0;
}

static int all_hex_digit_codes(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit(p[i])) return 0;
    return 1;
}

/* A key whose bytes are all ASCII codes of hex digits (31 31 ... for "11...") is mostly hex text
 * converted to ASCII once too often. It is kept (a meter's key may be such a text), but said. */
static void hex_digit_codes_warning(const char *name, int n, char *err, size_t errlen)
{
    if (!err || !errlen) return;
    if (n == 32)
        snprintf(err, errlen,
                 "the %s's 32 bytes are all ASCII codes of hex digits: if those 32 digits are the key in hex, give "
                 "them; the key is used as given and they are tried when a tag does not verify",
                 name);
    else
        snprintf(err, errlen,
                 "the %s's 16 bytes are all ASCII codes of hex digits: if those digits are the key in hex, they "
                 "were converted to ASCII once too often and are only the first half of a key; the key is used "
                 "as given",
                 name);
}

int ds_keyring_set(ds_keyring *kr, const uint8_t *title, char which, const char *text, char *err, size_t errlen)
{
    const char *name = key_name(which);
    if (err && errlen) err[0] = '\0';
    if (!kr || !text) {
        set_err(err, errlen, "no ", name, " given");
        return -1;
    }
    ds_keyset *ks = keyset_for_writing(kr, title);
    if (ks && ec_slot(ks, which)) return set_ec_key(ks, which, text, err, errlen);
    ds_key *slot = ks ? key_slot(ks, which) : NULL;
    if (!slot) {
        set_err(err, errlen, "cannot store the ", name, ks ? " (unknown key kind)" : " (too many system titles)");
        return -1;
    }
    if (strlen(text) >= DS_KEY_TEXT_MAX) {
        set_err(err, errlen, "the ", name, " is too long");
        return -1;
    }
    ds_key parsed;
    memset(&parsed, 0, sizeof parsed);
    int n = ds_hex_to_bytes(text, parsed.bytes, sizeof parsed.bytes);
    if (n < 0) {
        /* tell the two causes apart without showing the text */
        uint8_t big[DS_KEY_TEXT_MAX];
        if (ds_hex_to_bytes(text, big, sizeof big) > 0)
            set_err(err, errlen, "the ", name, " is longer than 32 bytes");
        else
            set_err(err, errlen, "the ", name, " is not hex");
        mbedtls_platform_zeroize(big, sizeof big);
        mbedtls_platform_zeroize(&parsed, sizeof parsed);
        return -1;
    }
    if (n == 0) {
        set_err(err, errlen, "the ", name, " is empty");
        return -1;
    }
    if (!key_length_ok(name, n, err, errlen)) {
        mbedtls_platform_zeroize(&parsed, sizeof parsed);
        return -1;
    }
    if (all_hex_digit_codes(parsed.bytes, (size_t)n)) hex_digit_codes_warning(name, n, err, errlen);
    parsed.set = 1;
    parsed.len = (size_t)n;
    memcpy(parsed.text, text, strlen(text) + 1);
    *slot = parsed;
    mbedtls_platform_zeroize(&parsed, sizeof parsed);
    return 0;
}

void ds_keyring_set_titles(ds_keyring *kr, const uint8_t *client_title, const uint8_t *server_title)
{
    if (!kr) return;
    if (client_title) {
        memcpy(kr->client_title, client_title, DS_TITLE_LEN);
        kr->has_client_title = 1;
    }
    if (server_title) {
        memcpy(kr->server_title, server_title, DS_TITLE_LEN);
        kr->has_server_title = 1;
    }
}

int ds_keyring_client_title(const ds_keyring *kr, uint8_t out[DS_TITLE_LEN])
{
    if (!kr || !kr->has_client_title) return 0;
    memcpy(out, kr->client_title, DS_TITLE_LEN);
    return 1;
}

int ds_keyring_server_title(const ds_keyring *kr, uint8_t out[DS_TITLE_LEN])
{
    if (!kr || !kr->has_server_title) return 0;
    memcpy(out, kr->server_title, DS_TITLE_LEN);
    return 1;
}

/* A system title is exactly 16 hex digits (separators allowed, as for keys). */
static int parse_title(const char *text, uint8_t out[DS_TITLE_LEN])
{
    uint8_t buf[DS_TITLE_LEN + 1];
    int n = ds_hex_to_bytes(text, buf, sizeof buf);
    if (n != DS_TITLE_LEN) return -1;
    memcpy(out, buf, DS_TITLE_LEN);
    return 0;
}

static char key_letter(const char *name, size_t len)
{
    static const struct {
        const char *name;
        char which;
    } NAMES[] = {{"ek", 'e'}, {"ak", 'a'}, {"dk", 'd'}, {"bk", 'b'}, {"kek", 'k'},
                 {"priv", 'p'}, {"pub", 'q'}, {"signpub", 's'}};
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (len == strlen(NAMES[i].name) && strncasecmp(name, NAMES[i].name, len) == 0) return NAMES[i].which;
    return 0;
}

/* One line of a key file, already stripped of its newline. 0 ok (or nothing on it), -1 with msg;
 * place ("file:line") prefixes the warnings. */
static int load_line(ds_keyring *kr, char *line, const char *place, char *msg, size_t msglen)
{
    char *save = NULL;
    char *tok = strtok_r(line, " \t\r", &save);
    if (!tok || tok[0] == '#') return 0;
    uint8_t title[DS_TITLE_LEN];
    const uint8_t *tp = NULL;
    if (strcmp(tok, "*") != 0) {
        if (strlen(tok) != 2 * DS_TITLE_LEN || parse_title(tok, title) != 0) {
            snprintf(msg, msglen, "the system title is not 16 hex digits or *");
            return -1;
        }
        tp = title;
    }
    int keys_on_line = 0;
    while ((tok = strtok_r(NULL, " \t\r", &save)) != NULL) {
        if (tok[0] == '#') break;
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(msg, msglen, "expected name=hex, e.g. ek=...; found a word without '='");
            return -1;
        }
        char which = key_letter(tok, (size_t)(eq - tok));
        if (!which) {
            /* the name is not key material; show it, capped */
            snprintf(msg, msglen, "unknown key name '%.*s' (known: ek ak dk bk kek priv pub signpub)", (int)((eq - tok) > 16 ? 16 : (eq - tok)),
                     tok);
            return -1;
        }
        char inner[200];
        if (ds_keyring_set(kr, tp, which, eq + 1, inner, sizeof inner) != 0) {
            snprintf(msg, msglen, "%s", inner);
            return -1;
        }
        warn_from(kr, place, inner);
        keys_on_line++;
    }
    if (!keys_on_line) {
        snprintf(msg, msglen, "no keys after the system title");
        return -1;
    }
    return 0;
}

/* One key-file line, without its newline, into buf (the line is a person's: a few hundred
 * characters; the cap keeps a file that is not a key file from being read whole into memory).
 * 1 a line, 0 end of file, -1 with *why: too long or a NUL byte in it. */
static int read_key_line(FILE *f, char *buf, size_t cap, const char **why)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (c == '\0') {
            *why = "NUL byte in the line";
            return -1;
        }
        if (n + 1 >= cap) {
            *why = "line longer than 4095 characters";
            return -1;
        }
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    return c == EOF && n == 0 ? 0 : 1;
}

int ds_keyring_load_file(ds_keyring *kr, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (err && errlen) snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char line[KEY_LINE_MAX];
    unsigned long lineno = 0;
    int rc = 0, got;
    const char *why = NULL;
    while ((got = read_key_line(f, line, sizeof line, &why)) != 0) {
        lineno++;
        char msg[256], place[200];
        snprintf(place, sizeof place, "%s:%lu", path, lineno);
        if (got < 0) {
            snprintf(msg, sizeof msg, "%s", why);
        } else if (load_line(kr, line, place, msg, sizeof msg) == 0) {
            continue;
        }
        if (err && errlen) snprintf(err, errlen, "%s:%lu: %s", path, lineno, msg);
        rc = -1;
        break;
    }
    if (rc == 0 && ferror(f)) {
        if (err && errlen) snprintf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    mbedtls_platform_zeroize(line, sizeof line);
    fclose(f);
    return rc;
}

int ds_keyring_from_env(ds_keyring *kr, char *err, size_t errlen)
{
    static const struct {
        const char *var;
        char which;
    } KEYS[] = {{"DLMSCOPE_EK", 'e'},          {"DLMSCOPE_AK", 'a'},  {"DLMSCOPE_DK", 'd'},
                {"DLMSCOPE_BK", 'b'},          {"DLMSCOPE_KEK", 'k'}, {"DLMSCOPE_PRIVATE_KEY", 'p'},
                {"DLMSCOPE_AGREEMENT_PUBLIC_KEY", 'q'}};
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
        const char *v = getenv(KEYS[i].var);
        if (!v || !*v) continue;
        char inner[200];
        if (ds_keyring_set(kr, NULL, KEYS[i].which, v, inner, sizeof inner) != 0) {
            if (err && errlen) snprintf(err, errlen, "%s: %s", KEYS[i].var, inner);
            return -1;
        }
        warn_from(kr, KEYS[i].var, inner);
    }
    static const char *const TITLES[] = {"DLMSCOPE_CLIENT_TITLE", "DLMSCOPE_SERVER_TITLE"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(TITLES[i]);
        if (!v || !*v) continue;
        uint8_t t[DS_TITLE_LEN];
        if (parse_title(v, t) != 0) {
            if (err && errlen) snprintf(err, errlen, "%s: not a system title (16 hex digits)", TITLES[i]);
            return -1;
        }
        ds_keyring_set_titles(kr, i == 0 ? t : NULL, i == 1 ? t : NULL);
    }
    return 0;
}

const ds_keyset *ds_keyring_lookup(const ds_keyring *kr, const uint8_t *title)
{
    static const ds_keyset EMPTY;
    if (!kr) return &EMPTY;
    if (title) {
        const ds_title_keys *t = find_titled(kr, title);
        if (t) return &t->keys;
    }
    return &kr->global;
}

int ds_key_usable(const ds_key *k)
{
    return k->set && (k->len == 16 || k->len == 32);
}

static int keyset_has_keys(const ds_keyset *ks)
{
    return ds_key_usable(&ks->ek) || ds_key_usable(&ks->ak) || ds_key_usable(&ks->dk) || ds_key_usable(&ks->bk) ||
           ds_key_usable(&ks->kek) || ks->priv.set;
}

int ds_keyring_has_keys(const ds_keyring *kr)
{
    if (!kr) return 0;
    if (keyset_has_keys(&kr->global)) return 1;
    for (size_t i = 0; i < kr->n_titled; i++)
        if (keyset_has_keys(&kr->titled[i].keys)) return 1;
    return 0;
}
