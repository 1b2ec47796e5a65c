/* The meter model inside the emulator: objects, associations, link, and the per-class code
 * (objects.c, clock.c, profile.c, assoc_ln.c, disconnect.c) that answers GET, SET and ACTION. */
#ifndef DS_METER_INT_H
#define DS_METER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/assoc.h"
#include "dlmscope/keys.h"
#include "dlmscope/meter.h"
#include "dlmscope/value.h"
#include "names/names.h"

#define METER_MAX_OBJECTS 512
#define METER_MAX_ASSOCS 32
#define METER_MAX_ATTR 16           /* attribute ids 1..16 are kept per object */
#define METER_VALUE_MAX 16384       /* bytes of one stored attribute value */
#define METER_MODEL_MAX (4u << 20)  /* bytes of a model file */
#define METER_SECRET_MAX 64
#define METER_MAX_ROWS 100000       /* profile generic rows */
#define METER_MAX_ACCESS 64         /* access elements per object */

/* Access modes: bits as the object list writes them (REFERENCE.md §8.5): attribute 1 read,
 * 2 write, 4 authenticated (mode 4..6 = authenticated read/write/read-write); method 1
 * access, 2 authenticated access. */
enum { METER_READ = 1, METER_WRITE = 2, METER_AUTH = 4 };

typedef struct meter_access {
    int client;          /* client SAP */
    uint8_t method;      /* 1: a method's mode, 0: an attribute's */
    uint8_t id;          /* 0 = every attribute (method) */
    uint8_t mode;        /* METER_* bits */
} meter_access;

typedef struct meter_assoc {
    int client;
    int mechanism;                 /* 0..7 */
    uint8_t secret[METER_SECRET_MAX];
    size_t secret_len;
    ds_keyset keys;
    int has_keys;
    int suite;
    uint8_t policy;                /* ds_assoc_settings.security_policy */
    uint8_t server_title[DS_TITLE_LEN];
    int has_title;
    ds_ec_key sign_key;            /* high-ecdsa: the meter's private signing key */
    ds_ec_key client_sign_key;     /* high-ecdsa: the client's public signing key */
    uint8_t attr_mode, method_mode;/* defaults for objects without an <access> for this client */
    uint32_t conformance;
    uint32_t ic;                   /* the invocation counter: first one sent, and the value of a
                                      frame counter object that names this association */
    int has_client_ic;             /* the highest IC this client sent in an earlier association: */
    uint32_t client_ic;            /* its next ciphered request must be above it */
    long line;
} meter_assoc;

typedef struct meter_value {
    uint8_t *p;                    /* encoded A-XDR Data, tag included; NULL: not in the model */
    size_t len;
} meter_value;

typedef struct meter_profile {
    uint32_t rows;                 /* entries in use */
    uint32_t capacity;             /* profile_entries */
    int64_t start;                 /* Unix time of the first row */
    int64_t origin;                /* Unix time of the model's first row (row values count from it) */
    uint32_t period;               /* seconds between rows */
    uint32_t increment;            /* what a numeric column grows by from row to row */
} meter_profile;

typedef struct meter_image meter_image; /* image.c */

typedef struct meter_object {
    uint16_t class_id;
    uint8_t version;
    uint8_t obis[6];
    long line;
    const ds_class_def *def;       /* NULL for a class the table does not know */
    meter_value attr[METER_MAX_ATTR + 1];
    meter_access access[METER_MAX_ACCESS];
    size_t n_access;
    /* clock */
    int clock_fixed;               /* 1: time stands at clock_time; 0: real time + clock_time */
    int64_t clock_time;
    /* association LN: the association described (client SAP), -1 the current one */
    int describes;
    /* data: the association whose invocation counter is the value, -1 none */
    int frame_counter_of;
    meter_profile profile;
    /* disconnect control */
    uint8_t control_state, control_mode;
    /* image transfer: the image under way; NULL until a client asks */
    meter_image *image;
} meter_object;

struct ds_meter {
    meter_object *objects;
    size_t n_objects;
    meter_assoc assocs[METER_MAX_ASSOCS];
    size_t n_assocs;
    ds_meter_link link;
    int64_t fixed_now;             /* 0: the real clock */
    int keep_client_ic;            /* ds_meter_set_keep_client_ic */
    int64_t fixed_mono_ms;         /* 0: the monotonic clock */
    /* image transfer: the options, and what the fault options and the serving loop count */
    ds_meter_image_options image_opts;
    uint32_t image_verify_busy_left; /* image_verify answers temporary-failure this often yet */
    int image_refused_done;        /* the refused block has been refused */
    uint32_t image_blocks_taken;   /* blocks accepted since the meter started */
    int image_activated;           /* an image was activated */
    char warnings[1024];           /* ds_meter_warnings: lines, each ending in '\n' */
};

/* ---- model.c ---- */
meter_object *meter_find_object(const ds_meter *m, const uint8_t obis[6]);
meter_assoc *meter_find_assoc(const ds_meter *m, int client);
int64_t meter_now(const ds_meter *m);
/* the monotonic clock in milliseconds (or the one tests set) */
int64_t meter_mono_ms(const ds_meter *m);
/* Unix time <-> civil UTC fields */
int64_t meter_days_from_civil(int64_t y, unsigned mo, unsigned d);
/* "YYYY-MM-DDTHH:MM:SS" (UTC) -> Unix time; -1 when it is not one */
int meter_parse_time(const char *text, int64_t *out);

/* ---- objects.c ---- */
/* The access mode of an attribute (method = 0) or a method for a client. */
uint8_t meter_access_mode(const meter_object *o, const meter_assoc *as, int method, uint8_t id);
/* A stored attribute as a value in arena a (NULL when not stored or the arena is full). */
ds_value *meter_stored_value(const meter_object *o, uint8_t id, ds_value_arena *a);
/* Stores the Data value v as attribute id. 0, or a data-access-result. */
int meter_store_value(meter_object *o, uint8_t id, const ds_value *v);

/* The per-class handlers: each returns a data-access-result or action-result (0 success) and
 * DS_METER_NOT_MINE when the generic stored-value code is to answer. */
#define DS_METER_NOT_MINE (-1)
int meter_clock_get(ds_meter *m, meter_object *o, uint8_t id, ds_value_arena *a, ds_value **out);
int meter_clock_set(ds_meter *m, meter_object *o, uint8_t id, const ds_value *v);
int meter_clock_action(ds_meter *m, meter_object *o, uint8_t id, const ds_value *p);
/* the date-time (12 bytes) of the meter's local time for Unix time t, with the clock's
   time_zone (deviation) and status */
void meter_clock_bytes(const ds_meter *m, int64_t t, uint8_t out[12]);
/* A date-time (12 bytes, as octet-string or date-time) as Unix time: 0, or -1 when it has
   wildcards or is no date-time. */
int meter_datetime_unix(const ds_meter *m, const ds_value *v, int64_t *t);
int meter_profile_get(ds_meter *m, meter_object *o, uint8_t id, const ds_value *access, ds_value_arena *a,
                      ds_value **out);
int meter_profile_action(ds_meter *m, meter_object *o, uint8_t id, const ds_value *p);
int meter_assoc_ln_get(ds_meter *m, meter_object *o, const meter_assoc *current, uint8_t id, ds_value_arena *a,
                       ds_value **out);
int meter_disconnect_get(meter_object *o, uint8_t id, ds_value_arena *a, ds_value **out);
int meter_disconnect_set(meter_object *o, uint8_t id, const ds_value *v);
int meter_disconnect_action(meter_object *o, uint8_t id, const ds_value *p);
int meter_image_get(ds_meter *m, meter_object *o, uint8_t id, ds_value_arena *a, ds_value **out);
int meter_image_set(meter_object *o, uint8_t id, const ds_value *v);
int meter_image_action(ds_meter *m, meter_object *o, uint8_t id, const ds_value *p);
void meter_image_free(meter_object *o);

/* data-access-result / action-result values (REFERENCE.md §7.1) */
enum {
    METER_OK = 0, METER_HARDWARE_FAULT = 1, METER_TEMPORARY_FAILURE = 2, METER_READ_WRITE_DENIED = 3,
    METER_OBJECT_UNDEFINED = 4, METER_CLASS_INCONSISTENT = 9, METER_OBJECT_UNAVAILABLE = 11,
    METER_TYPE_UNMATCHED = 12, METER_SCOPE_VIOLATED = 13, METER_OTHER_REASON = 250
};

#endif
