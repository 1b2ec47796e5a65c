/* The last I frame of each sender, to recognise a retransmission (retx.h). */
#include "core/retx.h"

#include <stdlib.h>
#include <string.h>

void ds_retx_init(ds_retx *r)
{
    memset(r, 0, sizeof *r);
}

void ds_retx_free(ds_retx *r)
{
    free(r->slot);
    r->slot = NULL;
    r->nslots = 0;
}

void ds_retx_trim(ds_retx *r)
{
    for (size_t i = 0; i < r->nslots; i++)
        if (r->slot[i].key_len) return;
    ds_retx_free(r);
}

/* FNV-1a over 8-byte words (then the bytes left), mixed after each word: two different
 * information fields with one N(S) and one length are told apart, at an eighth of the cost of
 * going byte by byte (this runs on every I frame of a followed link) */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof w);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static ds_retx_slot *find(ds_retx *r, const uint8_t *key, size_t key_len)
{
    for (size_t i = 0; i < r->nslots; i++)
        if (r->slot[i].key_len == key_len && memcmp(r->slot[i].key, key, key_len) == 0) return &r->slot[i];
    return NULL;
}

/* A free slot, else a new one while there are fewer than DS_RETX_SENDERS, else the one seen
 * longest ago; NULL when memory runs out before any (the link is then not followed). */
static ds_retx_slot *take(ds_retx *r)
{
    ds_retx_slot *oldest = NULL;
    for (size_t i = 0; i < r->nslots; i++) {
        if (!r->slot[i].key_len) return &r->slot[i];
        if (!oldest || r->slot[i].used < oldest->used) oldest = &r->slot[i];
    }
    if (r->nslots < DS_RETX_SENDERS) {
        ds_retx_slot *more = realloc(r->slot, (r->nslots + 1) * sizeof *more);
        if (more) {
            r->slot = more;
            memset(&more[r->nslots], 0, sizeof *more);
            return &more[r->nslots++];
        }
    }
    return oldest;
}

void ds_retx_arm(ds_retx *r, const uint8_t *key, size_t key_len)
{
    if (key_len == 0 || key_len > DS_REASM_KEY_MAX) return;
    ds_retx_slot *s = find(r, key, key_len);
    if (!s) {
        if (!(s = take(r))) return;
        memcpy(s->key, key, key_len);
        s->key_len = key_len;
    }
    s->ns = -1;
    s->len = 0;
    s->hash = 0;
    s->used = ++r->clock;
}

int ds_retx_is_repeat(ds_retx *r, const uint8_t *key, size_t key_len, int ns, const uint8_t *info, size_t len)
{
    if (key_len == 0 || key_len > DS_REASM_KEY_MAX) return 0;
    ds_retx_slot *s = find(r, key, key_len);
    if (!s) return 0; /* no link set up in the trace: N(S) may not count */
    uint64_t hash = hash_bytes(info, len);
    if (s->ns == ns && s->len == len && s->hash == hash) {
        s->used = ++r->clock;
        return 1;
    }
    s->ns = ns;
    s->len = len;
    s->hash = hash;
    s->used = ++r->clock;
    return 0;
}

void ds_retx_forget(ds_retx *r, const uint8_t *key, size_t key_len)
{
    ds_retx_slot *s = find(r, key, key_len);
    if (s) s->key_len = 0;
}
