/* Clock (class 8, REFERENCE.md §8.4): the time follows the real clock (plus whatever a client
 * set or shifted) or stands at a fixed time; it is written as a date-time of the meter's local
 * time with its time_zone (deviation) and status. */
#include <string.h>

#include "meter/meter_int.h"

/* time_zone (attribute 3, minutes local -> UTC) and status (attribute 4) as stored, else 0 */
static void zone_and_status(const meter_object *o, int16_t *deviation, uint8_t *status)
{
    *deviation = 0;
    *status = 0;
    if (o && o->attr[3].p && o->attr[3].len == 3 && o->attr[3].p[0] == DS_DATA_LONG)
        *deviation = (int16_t)(uint16_t)(o->attr[3].p[1] << 8 | o->attr[3].p[2]);
    if (o && o->attr[4].p && o->attr[4].len == 2 && o->attr[4].p[0] == DS_DATA_UNSIGNED) *status = o->attr[4].p[1];
}

static const meter_object *the_clock(const ds_meter *m)
{
    for (size_t i = 0; i < m->n_objects; i++)
        if (m->objects[i].class_id == 8) return &m->objects[i];
    return NULL;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *mo, unsigned *d)
{
    /* the inverse of meter_days_from_civil */
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *mo = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*mo <= 2);
}

static void datetime_bytes(int64_t t, int16_t deviation, uint8_t status, uint8_t out[12])
{
    int64_t local = t - (int64_t)deviation * 60; /* deviation = minutes from local time to UTC */
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t secs = local - days * 86400;
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    out[0] = (uint8_t)(y >> 8);
    out[1] = (uint8_t)y;
    out[2] = (uint8_t)mo;
    out[3] = (uint8_t)d;
    out[4] = (uint8_t)((days + 3) % 7 + 1 + ((days + 3) % 7 < 0 ? 7 : 0)); /* 1970-01-01 was a Thursday; 1 = Monday */
    out[5] = (uint8_t)(secs / 3600);
    out[6] = (uint8_t)(secs / 60 % 60);
    out[7] = (uint8_t)(secs % 60);
    out[8] = 0;
    out[9] = (uint8_t)((uint16_t)deviation >> 8);
    out[10] = (uint8_t)deviation;
    out[11] = status;
}

void meter_clock_bytes(const ds_meter *m, int64_t t, uint8_t out[12])
{
    int16_t deviation;
    uint8_t status;
    zone_and_status(the_clock(m), &deviation, &status);
    datetime_bytes(t, deviation, status, out);
}

static int64_t clock_now(const ds_meter *m, const meter_object *o)
{
    return o->clock_fixed ? o->clock_time : meter_now(m) + o->clock_time;
}

/* Moves the clock to Unix time t. */
static void clock_to(const ds_meter *m, meter_object *o, int64_t t)
{
    o->clock_time = o->clock_fixed ? t : t - meter_now(m);
}

int meter_clock_get(ds_meter *m, meter_object *o, uint8_t id, ds_value_arena *a, ds_value **out)
{
    if (id != 2) return DS_METER_NOT_MINE;
    int16_t deviation;
    uint8_t status;
    uint8_t dt[12];
    zone_and_status(o, &deviation, &status);
    datetime_bytes(clock_now(m, o), deviation, status, dt);
    *out = ds_value_new_bytes(a, DS_DATA_OCTET_STRING, dt, sizeof dt);
    return *out ? METER_OK : METER_TEMPORARY_FAILURE;
}

int meter_datetime_unix(const ds_meter *m, const ds_value *v, int64_t *t)
{
    ds_datetime dt;
    if (!v || v->len != 12 || ds_value_datetime(v, &dt)) return -1;
    if (dt.year == DS_DT_UNSPECIFIED_YEAR || dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > 31 ||
        dt.hour > 23 || dt.minute > 59 || dt.second > 59)
        return -1;
    int16_t deviation = dt.deviation;
    if (deviation == DS_DT_UNSPECIFIED_DEVIATION) {
        uint8_t status;
        zone_and_status(the_clock(m), &deviation, &status);
    }
    *t = meter_days_from_civil(dt.year, dt.month, dt.day) * 86400 + dt.hour * 3600 + dt.minute * 60 + dt.second +
         (int64_t)deviation * 60;
    return 0;
}

int meter_clock_set(ds_meter *m, meter_object *o, uint8_t id, const ds_value *v)
{
    if (id != 2) return DS_METER_NOT_MINE;
    ds_datetime dt;
    if (v->len != 12 || ds_value_datetime(v, &dt)) return METER_TYPE_UNMATCHED;
    int64_t t;
    if (meter_datetime_unix(m, v, &t)) return METER_OTHER_REASON; /* a time with wildcards is no time to set */
    clock_to(m, o, t);
    return METER_OK;
}

int meter_clock_action(ds_meter *m, meter_object *o, uint8_t id, const ds_value *p)
{
    int64_t t = clock_now(m, o);
    switch (id) {
    case 1: /* adjust_to_quarter: the nearest quarter hour */
        clock_to(m, o, (t + 450) / 900 * 900);
        return METER_OK;
    case 3: /* adjust_to_minute */
        clock_to(m, o, (t + 30) / 60 * 60);
        return METER_OK;
    case 6: /* shift_time: -900..900 seconds */
        if (p->i < -900 || p->i > 900) return METER_OTHER_REASON;
        clock_to(m, o, t + p->i);
        return METER_OK;
    default: /* measuring periods and preset times are not emulated */
        return METER_OBJECT_UNAVAILABLE;
    }
}
