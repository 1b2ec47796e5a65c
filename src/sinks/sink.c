#include "dlmscope/sink.h"

#include <string.h>

void ds_sink_destroy(ds_sink *s)
{
    if (s && s->destroy) s->destroy(s);
}

int ds_sink_error(const ds_sink *s)
{
    if (!s || !s->error) return 0;
    return s->error(s);
}

void ds_sink_flush(ds_sink *s)
{
    if (s && s->flush) s->flush(s);
}

void ds_sink_leaf_attrs(ds_sink *s, const char *name, const ds_attr *attrs, size_t nattrs)
{
    if (!s || !name) return;
    if (s->leaf_attrs) s->leaf_attrs(s, name, strlen(name), attrs, nattrs);
}
