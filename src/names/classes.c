/* COSEM interface class names (Blue Book class ids). */
#include "names/names.h"

typedef struct class_name {
    uint16_t id;
    const char *name;
} class_name;

static const class_name CLASS_NAMES[] = {
    {1, "Data"},
    {3, "Register"},
    {4, "Extended register"},
    {5, "Demand register"},
    {6, "Register activation"},
    {7, "Profile generic"},
    {8, "Clock"},
    {9, "Script table"},
    {10, "Schedule"},
    {11, "Special days table"},
    {12, "Association SN"},
    {15, "Association LN"},
    {17, "SAP assignment"},
    {18, "Image transfer"},
    {19, "IEC local port setup"},
    {20, "Activity calendar"},
    {21, "Register monitor"},
    {22, "Single action schedule"},
    {23, "IEC HDLC setup"},
    {24, "IEC twisted pair setup"},
    {25, "M-Bus slave port setup"},
    {26, "Utility tables"},
    {27, "Modem configuration"},
    {28, "Auto answer"},
    {29, "Auto connect"},
    {30, "Data protection"},
    {40, "Push setup"},
    {41, "TCP-UDP setup"},
    {42, "IPv4 setup"},
    {43, "MAC address setup"},
    {44, "PPP setup"},
    {45, "GPRS modem setup"},
    {46, "SMTP setup"},
    {47, "GSM diagnostic"},
    {48, "IPv6 setup"},
    {50, "S-FSK PHY and MAC setup"},
    {51, "S-FSK active initiator"},
    {52, "S-FSK MAC synchronization timeouts"},
    {53, "S-FSK MAC counters"},
    {55, "IEC 61334-4-32 LLC setup"},
    {56, "S-FSK reporting system list"},
    {57, "ISO/IEC 8802-2 LLC type 1 setup"},
    {58, "ISO/IEC 8802-2 LLC type 2 setup"},
    {59, "ISO/IEC 8802-2 LLC type 3 setup"},
    {61, "Register table"},
    {62, "Compact data"},
    {63, "Status mapping"},
    {64, "Security setup"},
    {65, "Parameter monitor"},
    {68, "Arbitrator"},
    {70, "Disconnect control"},
    {71, "Limiter"},
    {72, "M-Bus client"},
    {74, "M-Bus master port setup"},
    {100, "NTP setup"},
    {111, "Account"},
    {112, "Credit"},
    {113, "Charge"},
    {115, "Token gateway"},
    {122, "Function control"},
    {124, "Communication port protection"},
};

const char *ds_class_name(uint16_t class_id)
{
    /* the table is sorted by id */
    size_t lo = 0, hi = sizeof CLASS_NAMES / sizeof CLASS_NAMES[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (CLASS_NAMES[mid].id == class_id) return CLASS_NAMES[mid].name;
        if (CLASS_NAMES[mid].id < class_id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}
