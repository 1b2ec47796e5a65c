/* Internals shared by the value files (value.c, value_decode.c, value_encode.c, value_build.c). */
#ifndef DS_APDU_VALUE_INT_H
#define DS_APDU_VALUE_INT_H

#include <stddef.h>
#include <stdint.h>
#include "apdu/schema.h"
#include "dlmscope/value.h"

/* A node of this kind in the arena, zeroed, or NULL (the arena's message says why). */
ds_value *ds_value_node(ds_value_arena *a, ds_value_kind kind, const char *name);
/* n bytes of the arena (copied from p when p is not NULL, else zeroed), or NULL. */
uint8_t *ds_value_bytes(ds_value_arena *a, const uint8_t *p, size_t n);
/* Appends child to parent's children. */
void ds_value_link(ds_value *parent, ds_value *child);
/* A node for field f with its defaults (see ds_value_new_apdu). */
ds_value *ds_value_skeleton(ds_value_arena *a, const ds_field *f);
/* Skeleton nodes of a field list appended to parent. */
int ds_value_skeleton_list(ds_value_arena *a, ds_value *parent, const ds_field *list);
/* The alternative of choice field f for tag, NULL when there is none (*is_default set when the
 * default body is taken). */
const ds_field *ds_value_alt_body(const ds_field *f, uint8_t tag, int *is_default);

/* The kind of node a field of this kind makes. */
ds_value_kind ds_value_kind_of(ds_fkind k);
/* Bytes an A-XDR / BER length of value n takes in its shortest form. */
size_t ds_value_len_size(size_t n);

#endif
