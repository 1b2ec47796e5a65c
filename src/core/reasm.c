#include "core/reasm.h"

#include <stdlib.h>
#include <string.h>

void ds_reasm_init(ds_reasm *r)
{
    memset(r, 0, sizeof *r);
}

void ds_reasm_free(ds_reasm *r)
{
    for (int i = 0; i < DS_REASM_SLOTS; i++) free(r->slot[i].data);
    memset(r, 0, sizeof *r);
}

ds_reasm_slot *ds_reasm_find(ds_reasm *r, const uint8_t *key, size_t key_len)
{
    for (int i = 0; i < DS_REASM_SLOTS; i++) {
        ds_reasm_slot *s = &r->slot[i];
        if (s->active && s->key_len == key_len && memcmp(s->key, key, key_len) == 0) {
            s->last_use = ++r->clock;
            return s;
        }
    }
    return NULL;
}

ds_reasm_slot *ds_reasm_start(ds_reasm *r, const uint8_t *key, size_t key_len, uint64_t offset, int *evicted)
{
    ds_reasm_slot *victim = NULL;
    *evicted = 0;
    for (int i = 0; i < DS_REASM_SLOTS && !victim; i++)
        if (!r->slot[i].active) victim = &r->slot[i];
    if (!victim) {
        victim = &r->slot[0];
        for (int i = 1; i < DS_REASM_SLOTS; i++)
            if (r->slot[i].last_use < victim->last_use) victim = &r->slot[i];
        *evicted = 1;
    }
    if (key_len > DS_REASM_KEY_MAX) key_len = DS_REASM_KEY_MAX;
    victim->active = 1;
    memcpy(victim->key, key, key_len);
    victim->key_len = key_len;
    victim->len = 0;
    victim->first_offset = offset;
    victim->last_use = ++r->clock;
    victim->next_seq = -1;
    return victim;
}

int ds_reasm_append(ds_reasm *r, ds_reasm_slot *s, const uint8_t *p, size_t n)
{
    (void)r;
    if (n > DS_REASM_MAX - s->len) return -1;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 512;
        while (cap < s->len + n) cap *= 2;
        if (cap > DS_REASM_MAX) cap = DS_REASM_MAX;
        uint8_t *q = realloc(s->data, cap);
        if (!q) return -1;
        s->data = q;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    return 0;
}

void ds_reasm_release(ds_reasm_slot *s)
{
    s->active = 0;
    s->len = 0;
    /* keep the buffer: the next conversation reuses it without allocating */
}
