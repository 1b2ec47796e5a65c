#include "sinks/levels.h"

#include <stdlib.h>

int ds_levels_init(ds_levels *l, size_t initial_cap)
{
    l->depth = 0;
    l->cap = initial_cap ? initial_cap : 1;
    l->v = malloc(l->cap);
    return l->v ? 0 : -1;
}

int ds_levels_grow(ds_levels *l)
{
    if (l->cap > ((size_t)-1) / 2) return -1;
    unsigned char *grown = realloc(l->v, l->cap * 2);
    if (!grown) return -1;
    l->v = grown;
    l->cap *= 2;
    return 0;
}

void ds_levels_free(ds_levels *l)
{
    free(l->v);
    l->v = NULL;
    l->depth = l->cap = 0;
}
