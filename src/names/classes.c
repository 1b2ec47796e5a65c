/* COSEM interface classes (Blue Book class ids): one table of their names, versions and, for the
 * common classes, their attributes and methods (numbered from 1) with names and A-XDR types
 * (REFERENCE.md §8). It is the one place for these facts: the decoder's comments, the emulator's
 * objects and type checks, and the typed method calls of scripts all read it. */
#include "names/names.h"

#include <stddef.h>
#include <string.h>

#include "dlmscope/value.h"

/* The definitions of the COSEM interface classes this program knows: one row per class with
 * its name, its version and, for the classes that the decoder comments and the emulator
 * serves, each attribute's and method's name and A-XDR type (the type descriptions are
 * explained in names.h). The types are those of REFERENCE.md §8. */

#define T(...) ((const uint8_t[]){__VA_ARGS__})
#define MEMBERS(...) ((const ds_member_def[]){__VA_ARGS__, {NULL, NULL}})

/* short names of the A-XDR types for the table below */
#define ARR DS_DATA_ARRAY
#define STRUCT DS_DATA_STRUCTURE
#define BOOL DS_DATA_BOOLEAN
#define BITS DS_DATA_BIT_STRING
#define U32 DS_DATA_DOUBLE_LONG_UNSIGNED
#define OCT DS_DATA_OCTET_STRING
#define VIS DS_DATA_VISIBLE_STRING
#define I8 DS_DATA_INTEGER
#define I16 DS_DATA_LONG
#define U8 DS_DATA_UNSIGNED
#define U16 DS_DATA_LONG_UNSIGNED
#define ENUM DS_DATA_ENUM
#define ANY DS_TYPE_ANY

/* attribute 1 of every class */
#define LN {"logical_name", T(OCT)}
/* the structures that several members share */
#define SCALER_UNIT STRUCT, 2, I8, ENUM
#define CAPTURE_OBJECT STRUCT, 4, U16, OCT, I8, U16
#define USER STRUCT, 2, U8, VIS
#define ACCESS_RIGHTS STRUCT, 2, ARR, STRUCT, 3, I8, ENUM, ANY, ARR, STRUCT, 2, I8, ANY
#define OBJECT_LIST_ELEMENT STRUCT, 4, U16, U8, OCT, ACCESS_RIGHTS

static const ds_class_def CLASSES[] = {
    {1, 0, "Data",
     MEMBERS(LN, {"value", T(ANY)}),
     NULL},
    {3, 0, "Register",
     MEMBERS(LN, {"value", T(ANY)}, {"scaler_unit", T(SCALER_UNIT)}),
     MEMBERS({"reset", T(I8)})},
    {4, 0, "Extended register",
     MEMBERS(LN, {"value", T(ANY)}, {"scaler_unit", T(SCALER_UNIT)}, {"status", T(ANY)}, {"capture_time", T(OCT)}),
     MEMBERS({"reset", T(I8)})},
    {5, 0, "Demand register", NULL, NULL},
    {6, 0, "Register activation", NULL, NULL},
    {7, 1, "Profile generic",
     MEMBERS(LN, {"buffer", T(ARR, ANY)}, {"capture_objects", T(ARR, CAPTURE_OBJECT)}, {"capture_period", T(U32)},
             {"sort_method", T(ENUM)}, {"sort_object", T(CAPTURE_OBJECT)}, {"entries_in_use", T(U32)},
             {"profile_entries", T(U32)}),
     MEMBERS({"reset", T(I8)}, {"capture", T(I8)})},
    {8, 0, "Clock",
     MEMBERS(LN, {"time", T(OCT)}, {"time_zone", T(I16)}, {"status", T(U8)}, {"daylight_savings_begin", T(OCT)},
             {"daylight_savings_end", T(OCT)}, {"daylight_savings_deviation", T(I8)},
             {"daylight_savings_enabled", T(BOOL)}, {"clock_base", T(ENUM)}),
     MEMBERS({"adjust_to_quarter", T(I8)}, {"adjust_to_measuring_period", T(I8)}, {"adjust_to_minute", T(I8)},
             {"adjust_to_preset_time", T(I8)}, {"preset_adjusting_time", T(STRUCT, 3, OCT, OCT, OCT)},
             {"shift_time", T(I16)})},
    {9, 0, "Script table", NULL, NULL},
    {10, 0, "Schedule", NULL, NULL},
    {11, 0, "Special days table", NULL, NULL},
    {12, 2, "Association SN", NULL, NULL},
    {15, 2, "Association LN",
     MEMBERS(LN, {"object_list", T(ARR, OBJECT_LIST_ELEMENT)}, {"associated_partners_id", T(STRUCT, 2, I8, U16)},
             {"application_context_name", T(ANY)},
             {"xDLMS_context_info", T(STRUCT, 6, BITS, U16, U16, U8, I8, OCT)},
             {"authentication_mechanism_name", T(ANY)}, {"secret", T(OCT)}, {"association_status", T(ENUM)},
             {"security_setup_reference", T(OCT)}, {"user_list", T(ARR, USER)}, {"current_user", T(USER)}),
     MEMBERS({"reply_to_HLS_authentication", T(OCT)}, {"change_HLS_secret", T(OCT)},
             {"add_object", T(OBJECT_LIST_ELEMENT)}, {"remove_object", T(OBJECT_LIST_ELEMENT)},
             {"add_user", T(USER)}, {"remove_user", T(USER)})},
    {17, 0, "SAP assignment",
     MEMBERS(LN, {"SAP_assignment_list", T(ARR, STRUCT, 2, U16, OCT)}),
     MEMBERS({"connect_logical_device", T(STRUCT, 2, U16, OCT)})},
    {18, 0, "Image transfer",
     MEMBERS(LN, {"image_block_size", T(U32)}, {"image_transferred_blocks_status", T(BITS)},
             {"image_first_not_transferred_block_number", T(U32)}, {"image_transfer_enabled", T(BOOL)},
             {"image_transfer_status", T(ENUM)}, {"image_to_activate_info", T(ARR, STRUCT, 3, U32, OCT, OCT)}),
     MEMBERS({"image_transfer_initiate", T(STRUCT, 2, OCT, U32)}, {"image_block_transfer", T(STRUCT, 2, U32, OCT)},
             {"image_verify", T(I8)}, {"image_activate", T(I8)})},
    {19, 1, "IEC local port setup", NULL, NULL},
    {20, 0, "Activity calendar", NULL, NULL},
    {21, 0, "Register monitor", NULL, NULL},
    {22, 0, "Single action schedule", NULL, NULL},
    {23, 1, "IEC HDLC setup", NULL, NULL},
    {24, 0, "IEC twisted pair setup", NULL, NULL},
    {25, 0, "M-Bus slave port setup", NULL, NULL},
    {26, 0, "Utility tables", NULL, NULL},
    {27, 1, "Modem configuration", NULL, NULL},
    {28, 0, "Auto answer", NULL, NULL},
    {29, 1, "Auto connect", NULL, NULL},
    {30, 0, "Data protection", NULL, NULL},
    {40, 0, "Push setup", NULL, NULL},
    {41, 0, "TCP-UDP setup", NULL, NULL},
    {42, 0, "IPv4 setup", NULL, NULL},
    {43, 0, "MAC address setup", NULL, NULL},
    {44, 0, "PPP setup", NULL, NULL},
    {45, 0, "GPRS modem setup", NULL, NULL},
    {46, 0, "SMTP setup", NULL, NULL},
    {47, 0, "GSM diagnostic", NULL, NULL},
    {48, 0, "IPv6 setup", NULL, NULL},
    {50, 0, "S-FSK PHY and MAC setup", NULL, NULL},
    {51, 0, "S-FSK active initiator", NULL, NULL},
    {52, 0, "S-FSK MAC synchronization timeouts", NULL, NULL},
    {53, 0, "S-FSK MAC counters", NULL, NULL},
    {55, 0, "IEC 61334-4-32 LLC setup", NULL, NULL},
    {56, 0, "S-FSK reporting system list", NULL, NULL},
    {57, 0, "ISO/IEC 8802-2 LLC type 1 setup", NULL, NULL},
    {58, 0, "ISO/IEC 8802-2 LLC type 2 setup", NULL, NULL},
    {59, 0, "ISO/IEC 8802-2 LLC type 3 setup", NULL, NULL},
    {61, 0, "Register table", NULL, NULL},
    {62, 0, "Compact data", NULL, NULL},
    {63, 0, "Status mapping", NULL, NULL},
    {64, 1, "Security setup",
     MEMBERS(LN, {"security_policy", T(ENUM)}, {"security_suite", T(ENUM)}, {"client_system_title", T(OCT)},
             {"server_system_title", T(OCT)}, {"certificates", T(ARR, STRUCT, 6, ENUM, ENUM, OCT, OCT, OCT, OCT)}),
     MEMBERS({"security_activate", T(ENUM)}, {"key_transfer", T(ARR, STRUCT, 2, ENUM, OCT)},
             {"key_agreement", T(ARR, STRUCT, 2, ENUM, OCT)}, {"generate_key_pair", T(ENUM)},
             {"generate_certificate_request", T(ENUM)}, {"import_certificate", T(OCT)},
             {"export_certificate", T(STRUCT, 2, ENUM, ANY)}, {"remove_certificate", T(STRUCT, 2, ENUM, ANY)})},
    {65, 0, "Parameter monitor", NULL, NULL},
    {68, 0, "Arbitrator", NULL, NULL},
    {70, 0, "Disconnect control",
     MEMBERS(LN, {"output_state", T(BOOL)}, {"control_state", T(ENUM)}, {"control_mode", T(ENUM)}),
     MEMBERS({"remote_disconnect", T(I8)}, {"remote_reconnect", T(I8)})},
    {71, 0, "Limiter", NULL, NULL},
    {72, 1, "M-Bus client", NULL, NULL},
    {74, 0, "M-Bus master port setup", NULL, NULL},
    {100, 0, "NTP setup", NULL, NULL},
    {111, 0, "Account", NULL, NULL},
    {112, 0, "Credit", NULL, NULL},
    {113, 0, "Charge", NULL, NULL},
    {115, 0, "Token gateway", NULL, NULL},
    {122, 0, "Function control", NULL, NULL},
    {124, 0, "Communication port protection", NULL, NULL},
};

/* Bytes of the type description at spec[0..n), 0 when it is cut short or nested too deep. */
static size_t type_len(const uint8_t *spec, size_t n, int depth)
{
    if (n == 0 || depth > DS_TYPE_SPEC_MAX_DEPTH) return 0;
    if (spec[0] == DS_DATA_ARRAY) {
        size_t e = type_len(spec + 1, n - 1, depth + 1);
        return e ? 1 + e : 0;
    }
    if (spec[0] != DS_DATA_STRUCTURE) return 1;
    if (n < 2) return 0;
    size_t at = 2;
    for (unsigned i = 0; i < spec[1]; i++) {
        size_t e = type_len(spec + at, n - at, depth + 1);
        if (!e) return 0;
        at += e;
    }
    return at;
}

const ds_class_def *ds_class_find(uint16_t class_id)
{
    /* the table is sorted by id */
    size_t lo = 0, hi = sizeof CLASSES / sizeof CLASSES[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (CLASSES[mid].id == class_id) return &CLASSES[mid];
        if (CLASSES[mid].id < class_id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const ds_class_def *ds_class_at(size_t i)
{
    return i < sizeof CLASSES / sizeof CLASSES[0] ? &CLASSES[i] : NULL;
}

const char *ds_class_name(uint16_t class_id)
{
    const ds_class_def *c = ds_class_find(class_id);
    return c ? c->name : NULL;
}

/* The i-th member (from 1) of a list ended by a NULL name, or NULL. */
static const ds_member_def *nth(const ds_member_def *list, unsigned i)
{
    if (!list || i == 0) return NULL;
    for (unsigned k = 1; list->name; list++, k++)
        if (k == i) return list;
    return NULL;
}

static unsigned count(const ds_member_def *list)
{
    unsigned n = 0;
    while (list && list[n].name) n++;
    return n;
}

/* attribute 1 is the logical name in every interface class, also where the table lists no more */
static const ds_member_def LOGICAL_NAME = LN;

const ds_member_def *ds_class_attribute(const ds_class_def *c, unsigned attribute)
{
    if (!c) return NULL;
    if (attribute == 1) return &LOGICAL_NAME;
    return nth(c->attributes, attribute);
}

const ds_member_def *ds_class_method(const ds_class_def *c, unsigned method)
{
    return c ? nth(c->methods, method) : NULL;
}

unsigned ds_class_attribute_count(const ds_class_def *c)
{
    if (!c) return 0;
    unsigned n = count(c->attributes);
    return n ? n : 1;
}

unsigned ds_class_method_count(const ds_class_def *c)
{
    return c ? count(c->methods) : 0;
}

const char *ds_attribute_name(uint16_t class_id, unsigned attribute)
{
    const ds_member_def *m = ds_class_attribute(ds_class_find(class_id), attribute);
    return m ? m->name : NULL;
}

const char *ds_method_name(uint16_t class_id, unsigned method)
{
    const ds_member_def *m = ds_class_method(ds_class_find(class_id), method);
    return m ? m->name : NULL;
}

size_t ds_type_spec_len(const uint8_t *spec, size_t n)
{
    return type_len(spec, n, 0);
}

static int misfit(ds_type_misfit *why, const ds_value *v, int count_differs, size_t want_count)
{
    if (why) {
        why->value = v;
        why->count_differs = count_differs;
        why->want_count = want_count;
    }
    return 0;
}

static int fits(const uint8_t *spec, size_t n, const ds_value *v, ds_type_misfit *why, size_t depth)
{
    if (!n || depth > DS_TYPE_SPEC_MAX_DEPTH) return misfit(why, NULL, 0, 0);
    if (!v || v->kind != DS_VALUE_DATA) return misfit(why, v, 0, 0);
    if (why) why->depth = depth;
    if (spec[0] == DS_TYPE_ANY) return 1;
    if (v->tag != spec[0]) return misfit(why, v, 0, 0);
    if (spec[0] != DS_DATA_ARRAY && spec[0] != DS_DATA_STRUCTURE) return 1;
    size_t at = 1, i = 0;
    if (spec[0] == DS_DATA_STRUCTURE) {
        if (n < 2) return misfit(why, NULL, 0, 0);
        if (v->count != spec[1]) return misfit(why, v, 1, spec[1]);
        at = 2;
    }
    for (const ds_value *c = v->child; c; c = c->next, i++) {
        size_t len = ds_type_spec_len(spec + at, n - at);
        if (!len) return misfit(why, NULL, 0, 0);
        if (why) why->path[depth] = (ds_type_step){spec[0], i + 1};
        if (!fits(spec + at, len, c, why, depth + 1)) return 0;
        if (spec[0] == DS_DATA_STRUCTURE) at += len;
    }
    if (why) why->depth = depth;
    return 1;
}

int ds_type_fits(const uint8_t *spec, size_t n, const ds_value *v, ds_type_misfit *why)
{
    if (why) memset(why, 0, sizeof *why);
    return fits(spec, n, v, why, 0);
}
