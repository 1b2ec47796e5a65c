#include "sinks/text.h"

size_t ds_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char b = p[0];
    size_t len;
    uint32_t min, c;
    if (b >= 0xC2 && b <= 0xDF) { len = 2; min = 0x80; c = b & 0x1Fu; }
    else if (b >= 0xE0 && b <= 0xEF) { len = 3; min = 0x800; c = b & 0x0Fu; }
    else if (b >= 0xF0 && b <= 0xF4) { len = 4; min = 0x10000; c = b & 0x07u; }
    else return 0;  /* ASCII is not handled here; 80..C1 and F5..FF never lead */
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

int ds_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { i++; continue; }
        uint32_t cp;
        size_t len = ds_utf8_seq(p + i, n - i, &cp);
        if (len == 0) return 0;
        i += len;
    }
    return 1;
}

/* Bytes that can be copied into a JSON string as they are. */
static int json_plain(unsigned char b)
{
    return b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
}

static void json_escape_ascii(ds_wbuf *w, unsigned char b)
{
    static const char digits[] = "0123456789ABCDEF";
    switch (b) {
    case '"': ds_wbuf_write(w, "\\\"", 2); return;
    case '\\': ds_wbuf_write(w, "\\\\", 2); return;
    case '\n': ds_wbuf_write(w, "\\n", 2); return;
    case '\t': ds_wbuf_write(w, "\\t", 2); return;
    case '\r': ds_wbuf_write(w, "\\r", 2); return;
    case '\b': ds_wbuf_write(w, "\\b", 2); return;
    case '\f': ds_wbuf_write(w, "\\f", 2); return;
    default: {
        char u[6] = {'\\', 'u', '0', '0', digits[b >> 4], digits[b & 0x0F]};
        ds_wbuf_write(w, u, sizeof u);
    }
    }
}

void ds_json_write_string(ds_wbuf *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    ds_wbuf_putc(w, '"');
    while (i < n) {
        size_t run = i;
        while (run < n && json_plain(p[run])) run++;
        ds_wbuf_write(w, p + i, run - i);
        i = run;
        if (i >= n) break;
        if (p[i] < 0x80) {
            json_escape_ascii(w, p[i]);
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = ds_utf8_seq(p + i, n - i, &cp);
        if (len) {
            ds_wbuf_write(w, p + i, len);
            i += len;
        } else {
            ds_wbuf_write(w, "\\uFFFD", 6);
            i++;
        }
    }
    ds_wbuf_putc(w, '"');
}
