/* A stack of one byte per open container, for the sinks' nesting state
 * (XML: was the container flat; JSON: does it have children yet). It grows
 * by doubling, so there is no allocation per event; the decoder caps the
 * depth anyway (DS_MAX_DEPTH), the sinks do not rely on it. */
#ifndef DS_OUT_LEVELS_H
#define DS_OUT_LEVELS_H

#include <stddef.h>

typedef struct ds_levels {
    unsigned char *v;
    size_t depth;
    size_t cap;
} ds_levels;

/* Returns -1 when out of memory. */
int ds_levels_init(ds_levels *l, size_t initial_cap);
/* Out-of-line part of ds_levels_push(): grows the stack. Returns -1 when out of memory. */
int ds_levels_grow(ds_levels *l);

/* Returns -1 when out of memory (nothing pushed). Inline: one per container open. */
static inline int ds_levels_push(ds_levels *l, unsigned char value)
{
    if (l->depth == l->cap && ds_levels_grow(l) != 0) return -1;
    l->v[l->depth++] = value;
    return 0;
}

/* Returns -1 when the stack is empty. */
static inline int ds_levels_pop(ds_levels *l, unsigned char *value)
{
    if (l->depth == 0) return -1;
    *value = l->v[--l->depth];
    return 0;
}
/* The innermost value; the stack must not be empty. */
static inline unsigned char *ds_levels_top(ds_levels *l) { return &l->v[l->depth - 1]; }
void ds_levels_free(ds_levels *l);

#endif
