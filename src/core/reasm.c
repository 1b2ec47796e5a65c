#include "core/reasm.h"

#include <stdlib.h>
#include <string.h>

void ds_reasm_init(ds_reasm *r)
{
    memset(r, 0, sizeof *r);
}

void ds_reasm_free(ds_reasm *r)
{
    for (size_t i = 0; i < r->nslots; i++) ds_buf_free(&r->slot[i].data);
    free(r->slot);
    memset(r, 0, sizeof *r);
}

ds_reasm_slot *ds_reasm_find(ds_reasm *r, const uint8_t *key, size_t key_len)
{
    if (r->active == 0) return NULL;
    for (size_t i = 0; i < r->nslots; i++) {
        ds_reasm_slot *s = &r->slot[i];
        if (s->active && s->key_len == key_len && memcmp(s->key, key, key_len) == 0) {
            s->last_use = ++r->clock;
            return s;
        }
    }
    return NULL;
}

/* One more slot, zeroed; NULL when there are DS_REASM_SLOTS already or memory runs out. */
static ds_reasm_slot *add_slot(ds_reasm *r)
{
    if (r->nslots >= DS_REASM_SLOTS) return NULL;
    ds_reasm_slot *more = realloc(r->slot, (r->nslots + 1) * sizeof *more);
    if (!more) return NULL;
    r->slot = more;
    memset(&r->slot[r->nslots], 0, sizeof r->slot[0]);
    return &r->slot[r->nslots++];
}

ds_reasm_slot *ds_reasm_start(ds_reasm *r, const uint8_t *key, size_t key_len, uint64_t offset, int *evicted)
{
    ds_reasm_slot *victim = NULL;
    *evicted = 0;
    for (size_t i = 0; i < r->nslots && !victim; i++)
        if (!r->slot[i].active) victim = &r->slot[i];
    if (!victim) victim = add_slot(r);
    if (victim) {
        r->active++;
    } else if (r->nslots == 0) {
        return NULL; /* out of memory */
    } else {
        victim = &r->slot[0];
        for (size_t i = 1; i < r->nslots; i++)
            if (r->slot[i].last_use < victim->last_use) victim = &r->slot[i];
        *evicted = 1;
    }
    if (key_len > DS_REASM_KEY_MAX) key_len = DS_REASM_KEY_MAX;
    victim->active = 1;
    memcpy(victim->key, key, key_len);
    victim->key_len = key_len;
    ds_buf_reset(&victim->data);
    victim->data.limit = DS_REASM_MAX;
    victim->first_offset = offset;
    victim->last_use = ++r->clock;
    victim->next_seq = -1;
    return victim;
}

int ds_reasm_append(ds_reasm *r, ds_reasm_slot *s, const uint8_t *p, size_t n)
{
    (void)r;
    return ds_buf_append(&s->data, p, n);
}

void ds_reasm_release(ds_reasm *r, ds_reasm_slot *s)
{
    if (s->active) r->active--;
    s->active = 0;
    ds_buf_reset(&s->data); /* the buffer is kept: the next conversation reuses it */
}
