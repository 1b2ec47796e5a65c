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
/* Returns -1 when out of memory (nothing pushed). */
int ds_levels_push(ds_levels *l, unsigned char value);
/* Returns -1 when the stack is empty. */
int ds_levels_pop(ds_levels *l, unsigned char *value);
/* The innermost value; the stack must not be empty. */
static inline unsigned char *ds_levels_top(ds_levels *l) { return &l->v[l->depth - 1]; }
void ds_levels_free(ds_levels *l);

#endif
