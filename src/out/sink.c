#include "dlmscope/sink.h"

void ds_sink_destroy(ds_sink *s)
{
    if (s && s->destroy) s->destroy(s);
}

int ds_sink_error(const ds_sink *s)
{
    if (!s || !s->error) return 0;
    return s->error(s);
}
