/* COSEM interface classes (Blue Book class ids): one table of their names and, for the common
 * classes, the names of their attributes and methods (REFERENCE.md §8), numbered from 1. It is
 * the one place for these names: comments of the decoder, and later the client and emulator. */
#include "names/names.h"

#include <stddef.h>

typedef struct class_name {
    uint16_t id;
    const char *name;
    const char *const *attributes; /* attribute i is attributes[i - 1]; NULL-terminated, or NULL */
    const char *const *methods;    /* method i is methods[i - 1]; NULL-terminated, or NULL */
} class_name;

#define DS_MEMBERS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const class_name CLASS_NAMES[] = {
    {1, "Data",
     DS_MEMBERS("logical_name", "value"),
     NULL},
    {3, "Register",
     DS_MEMBERS("logical_name", "value", "scaler_unit"),
     DS_MEMBERS("reset")},
    {4, "Extended register", NULL, NULL},
    {5, "Demand register", NULL, NULL},
    {6, "Register activation", NULL, NULL},
    {7, "Profile generic",
     DS_MEMBERS("logical_name", "buffer", "capture_objects", "capture_period", "sort_method", "sort_object",
                "entries_in_use", "profile_entries"),
     DS_MEMBERS("reset", "capture")},
    {8, "Clock",
     DS_MEMBERS("logical_name", "time", "time_zone", "status", "daylight_savings_begin", "daylight_savings_end",
                "daylight_savings_deviation", "daylight_savings_enabled", "clock_base"),
     DS_MEMBERS("adjust_to_quarter", "adjust_to_measuring_period", "adjust_to_minute", "adjust_to_preset_time",
                "preset_adjusting_time", "shift_time")},
    {9, "Script table", NULL, NULL},
    {10, "Schedule", NULL, NULL},
    {11, "Special days table", NULL, NULL},
    {12, "Association SN", NULL, NULL},
    {15, "Association LN",
     DS_MEMBERS("logical_name", "object_list", "associated_partners_id", "application_context_name",
                "xDLMS_context_info", "authentication_mechanism_name", "secret", "association_status",
                "security_setup_reference", "user_list", "current_user"),
     DS_MEMBERS("reply_to_HLS_authentication", "change_HLS_secret", "add_object", "remove_object", "add_user",
                "remove_user")},
    {17, "SAP assignment", NULL, NULL},
    {18, "Image transfer",
     DS_MEMBERS("logical_name", "image_block_size", "image_transferred_blocks_status",
                "image_first_not_transferred_block_number", "image_transfer_enabled", "image_transfer_status",
                "image_to_activate_info"),
     DS_MEMBERS("image_transfer_initiate", "image_block_transfer", "image_verify", "image_activate")},
    {19, "IEC local port setup", NULL, NULL},
    {20, "Activity calendar", NULL, NULL},
    {21, "Register monitor", NULL, NULL},
    {22, "Single action schedule", NULL, NULL},
    {23, "IEC HDLC setup", NULL, NULL},
    {24, "IEC twisted pair setup", NULL, NULL},
    {25, "M-Bus slave port setup", NULL, NULL},
    {26, "Utility tables", NULL, NULL},
    {27, "Modem configuration", NULL, NULL},
    {28, "Auto answer", NULL, NULL},
    {29, "Auto connect", NULL, NULL},
    {30, "Data protection", NULL, NULL},
    {40, "Push setup", NULL, NULL},
    {41, "TCP-UDP setup", NULL, NULL},
    {42, "IPv4 setup", NULL, NULL},
    {43, "MAC address setup", NULL, NULL},
    {44, "PPP setup", NULL, NULL},
    {45, "GPRS modem setup", NULL, NULL},
    {46, "SMTP setup", NULL, NULL},
    {47, "GSM diagnostic", NULL, NULL},
    {48, "IPv6 setup", NULL, NULL},
    {50, "S-FSK PHY and MAC setup", NULL, NULL},
    {51, "S-FSK active initiator", NULL, NULL},
    {52, "S-FSK MAC synchronization timeouts", NULL, NULL},
    {53, "S-FSK MAC counters", NULL, NULL},
    {55, "IEC 61334-4-32 LLC setup", NULL, NULL},
    {56, "S-FSK reporting system list", NULL, NULL},
    {57, "ISO/IEC 8802-2 LLC type 1 setup", NULL, NULL},
    {58, "ISO/IEC 8802-2 LLC type 2 setup", NULL, NULL},
    {59, "ISO/IEC 8802-2 LLC type 3 setup", NULL, NULL},
    {61, "Register table", NULL, NULL},
    {62, "Compact data", NULL, NULL},
    {63, "Status mapping", NULL, NULL},
    {64, "Security setup",
     DS_MEMBERS("logical_name", "security_policy", "security_suite", "client_system_title", "server_system_title",
                "certificates"),
     DS_MEMBERS("security_activate", "key_transfer", "key_agreement", "generate_key_pair",
                "generate_certificate_request", "import_certificate", "export_certificate", "remove_certificate")},
    {65, "Parameter monitor", NULL, NULL},
    {68, "Arbitrator", NULL, NULL},
    {70, "Disconnect control",
     DS_MEMBERS("logical_name", "output_state", "control_state", "control_mode"),
     DS_MEMBERS("remote_disconnect", "remote_reconnect")},
    {71, "Limiter", NULL, NULL},
    {72, "M-Bus client", NULL, NULL},
    {74, "M-Bus master port setup", NULL, NULL},
    {100, "NTP setup", NULL, NULL},
    {111, "Account", NULL, NULL},
    {112, "Credit", NULL, NULL},
    {113, "Charge", NULL, NULL},
    {115, "Token gateway", NULL, NULL},
    {122, "Function control", NULL, NULL},
    {124, "Communication port protection", NULL, NULL},
};

static const class_name *find_class(uint16_t class_id)
{
    /* the table is sorted by id */
    size_t lo = 0, hi = sizeof CLASS_NAMES / sizeof CLASS_NAMES[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (CLASS_NAMES[mid].id == class_id) return &CLASS_NAMES[mid];
        if (CLASS_NAMES[mid].id < class_id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const char *ds_class_name(uint16_t class_id)
{
    const class_name *c = find_class(class_id);
    return c ? c->name : NULL;
}

/* The i-th name (from 1) of a NULL-terminated list, or NULL. */
static const char *nth(const char *const *list, unsigned i)
{
    if (!list || i == 0) return NULL;
    for (unsigned k = 1; *list; list++, k++)
        if (k == i) return *list;
    return NULL;
}

const char *ds_attribute_name(uint16_t class_id, unsigned attribute)
{
    const class_name *c = find_class(class_id);
    if (!c) return NULL;
    /* attribute 1 is the logical name in every interface class */
    if (attribute == 1) return "logical_name";
    return nth(c->attributes, attribute);
}

const char *ds_method_name(uint16_t class_id, unsigned method)
{
    const class_name *c = find_class(class_id);
    return c ? nth(c->methods, method) : NULL;
}
