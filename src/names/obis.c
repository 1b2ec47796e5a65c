/* OBIS codes: dotted formatting and the standard meanings of the codes met in
 * everyday traffic (clock, association, HAN push lists, energy registers).
 *
 * The table is deliberately short and exact: a wrong name is worse than none,
 * so codes that only match a pattern loosely get no meaning. */
#include "names/names.h"
#include "util/copy.h"
#include "util/fmt.h"

#include <string.h>

#define ANY_E 0x100u /* table marker: any value group E */

typedef struct obis_name {
    uint64_t key;     /* A.B.C.D.F packed in the sort order (ROW_KEY), so that a search compares one number */
    uint16_t e;       /* 0..255, or ANY_E */
    uint8_t len;      /* strlen(name), known at compile time: comments copy the name without measuring it */
    const char *name;
} obis_name;

#define ROW_KEY(a, b, c, d, f) \
    ((uint64_t)(a) << 32 | (uint64_t)(b) << 24 | (uint64_t)(c) << 16 | (uint64_t)(d) << 8 | (uint64_t)(f))
/* The array size term fails to compile for a name longer than DS_OBIS_NAME_MAX. */
#define NAME_LEN(name) (sizeof(name) - 1 + 0 * sizeof(char[sizeof(name) <= DS_OBIS_NAME_MAX + 1 ? 1 : -1]))
#define ROW(a, b, c, d, e, f, name) {ROW_KEY(a, b, c, d, f), (e), NAME_LEN(name), (name)}

/* Sorted by (A, B, C, D, F, E), ANY_E counting as 256, for the reader (an exact row comes before
 * the ANY_E row that generalises it) and so that a repeated code stands out: check_names
 * verifies the order, strictly. */
static const obis_name OBIS_NAMES[] = {
    ROW(0, 0, 0, 1, 0, 255, "Billing period counter"),
    ROW(0, 0, 0, 2, 0, 255, "Active firmware identifier"),
    ROW(0, 0, 0, 2, 8, 255, "Active firmware signature"),
    ROW(0, 0, 1, 0, 0, 255, "Clock"),
    ROW(0, 0, 10, 0, 0, 255, "Global meter reset script table"),
    ROW(0, 0, 10, 0, 1, 255, "End of billing period script table"),
    ROW(0, 0, 10, 0, 100, 255, "Tariffication script table"),
    ROW(0, 0, 10, 0, 106, 255, "Disconnect control script table"),
    ROW(0, 0, 10, 0, 107, 255, "Image activation script table"),
    ROW(0, 0, 10, 0, 108, 255, "Push script table"),
    ROW(0, 0, 11, 0, 0, 255, "Special days table"),
    ROW(0, 0, 12, 0, 0, 255, "Schedule"),
    ROW(0, 0, 13, 0, 0, 255, "Activity calendar"),
    ROW(0, 0, 14, 0, 0, 255, "Register activation"),
    ROW(0, 0, 15, 0, 0, 255, "End of billing period single action schedule"),
    ROW(0, 0, 15, 0, 1, 255, "Disconnect control single action schedule"),
    ROW(0, 0, 15, 0, 2, 255, "Image activation single action schedule"),
    ROW(0, 0, 15, 0, 3, 255, "Output control single action schedule"),
    ROW(0, 0, 15, 0, 4, 255, "Push single action schedule"),
    ROW(0, 0, 16, 0, 0, 255, "Register monitor"),
    ROW(0, 0, 17, 0, 0, 255, "Limiter"),
    ROW(0, 0, 20, 0, 0, 255, "IEC optical port setup"),
    ROW(0, 0, 22, 0, 0, 255, "IEC HDLC setup"),
    ROW(0, 0, 25, 0, 0, 255, "TCP-UDP setup"),
    ROW(0, 0, 25, 1, 0, 255, "IPv4 setup"),
    ROW(0, 0, 25, 2, 0, 255, "MAC address setup"),
    ROW(0, 0, 25, 3, 0, 255, "PPP setup"),
    ROW(0, 0, 25, 4, 0, 255, "GPRS modem setup"),
    ROW(0, 0, 25, 5, 0, 255, "SMTP setup"),
    ROW(0, 0, 25, 6, 0, 255, "GSM diagnostic"),
    ROW(0, 0, 25, 7, 0, 255, "IPv6 setup"),
    ROW(0, 0, 25, 9, 0, 255, "Push setup"),
    ROW(0, 0, 40, 0, 0, 255, "Current association"),
    ROW(0, 0, 40, 0, ANY_E, 255, "Association"),
    ROW(0, 0, 41, 0, 0, 255, "SAP assignment"),
    ROW(0, 0, 42, 0, 0, 255, "COSEM logical device name"),
    ROW(0, 0, 43, 0, ANY_E, 255, "Security setup"),
    ROW(0, 0, 43, 1, ANY_E, 255, "Invocation counter"),
    ROW(0, 0, 44, 0, ANY_E, 255, "Image transfer"),
    ROW(0, 0, 96, 1, 0, 255, "Device ID 1"),
    ROW(0, 0, 96, 1, 1, 255, "Device ID 2"),
    ROW(0, 0, 96, 1, 2, 255, "Device ID 3"),
    ROW(0, 0, 96, 1, 3, 255, "Device ID 4"),
    ROW(0, 0, 96, 1, 4, 255, "Device ID 5"),
    ROW(0, 0, 96, 1, 5, 255, "Device ID 6"),
    ROW(0, 0, 96, 1, 6, 255, "Device ID 7"),
    ROW(0, 0, 96, 1, 7, 255, "Device ID 8"),
    ROW(0, 0, 96, 1, 8, 255, "Device ID 9"),
    ROW(0, 0, 96, 1, 9, 255, "Device ID 10"),
    ROW(0, 0, 96, 1, 10, 255, "Metering point ID"),
    ROW(0, 0, 96, 3, 10, 255, "Disconnect control"),
    ROW(0, 0, 96, 7, 21, 255, "Number of power failures"),
    ROW(0, 0, 96, 11, 0, 255, "Event code"),
    ROW(0, 0, 96, 14, 0, 255, "Currently active tariff"),
    ROW(0, 0, 97, 98, 0, 255, "Alarm register 1"),
    ROW(0, 0, 97, 98, 10, 255, "Alarm filter 1"),
    ROW(0, 0, 99, 98, 0, 255, "Standard event log"),
    ROW(0, 0, 99, 98, ANY_E, 255, "Event log"),
    ROW(0, 1, 24, 1, 0, 255, "M-Bus client"),
    ROW(0, 2, 24, 1, 0, 255, "M-Bus client"),
    ROW(0, 3, 24, 1, 0, 255, "M-Bus client"),
    ROW(0, 4, 24, 1, 0, 255, "M-Bus client"),
    ROW(1, 0, 0, 2, 0, 255, "Active firmware identifier"),
    ROW(1, 0, 0, 2, 129, 255, "List version identifier"),
    ROW(1, 0, 1, 4, 0, 255, "Active power import (+P) current average demand"),
    ROW(1, 0, 1, 5, 0, 255, "Active power import (+P) last average demand"),
    ROW(1, 0, 1, 6, 0, 255, "Active power import (+P) maximum demand"),
    ROW(1, 0, 1, 7, 0, 255, "Active power import (+P)"),
    ROW(1, 0, 1, 8, 0, 255, "Active energy import (+A) total"),
    ROW(1, 0, 1, 8, 1, 255, "Active energy import (+A) tariff 1"),
    ROW(1, 0, 1, 8, 2, 255, "Active energy import (+A) tariff 2"),
    ROW(1, 0, 1, 8, 3, 255, "Active energy import (+A) tariff 3"),
    ROW(1, 0, 1, 8, 4, 255, "Active energy import (+A) tariff 4"),
    ROW(1, 0, 2, 4, 0, 255, "Active power export (-P) current average demand"),
    ROW(1, 0, 2, 5, 0, 255, "Active power export (-P) last average demand"),
    ROW(1, 0, 2, 6, 0, 255, "Active power export (-P) maximum demand"),
    ROW(1, 0, 2, 7, 0, 255, "Active power export (-P)"),
    ROW(1, 0, 2, 8, 0, 255, "Active energy export (-A) total"),
    ROW(1, 0, 2, 8, 1, 255, "Active energy export (-A) tariff 1"),
    ROW(1, 0, 2, 8, 2, 255, "Active energy export (-A) tariff 2"),
    ROW(1, 0, 2, 8, 3, 255, "Active energy export (-A) tariff 3"),
    ROW(1, 0, 2, 8, 4, 255, "Active energy export (-A) tariff 4"),
    ROW(1, 0, 3, 7, 0, 255, "Reactive power import (+Q)"),
    ROW(1, 0, 3, 8, 0, 255, "Reactive energy import (+R) total"),
    ROW(1, 0, 4, 7, 0, 255, "Reactive power export (-Q)"),
    ROW(1, 0, 4, 8, 0, 255, "Reactive energy export (-R) total"),
    ROW(1, 0, 5, 8, 0, 255, "Reactive energy QI total"),
    ROW(1, 0, 6, 8, 0, 255, "Reactive energy QII total"),
    ROW(1, 0, 7, 8, 0, 255, "Reactive energy QIII total"),
    ROW(1, 0, 8, 8, 0, 255, "Reactive energy QIV total"),
    ROW(1, 0, 9, 7, 0, 255, "Apparent power import (+S)"),
    ROW(1, 0, 10, 7, 0, 255, "Apparent power export (-S)"),
    ROW(1, 0, 11, 7, 0, 255, "Current"),
    ROW(1, 0, 12, 7, 0, 255, "Voltage"),
    ROW(1, 0, 13, 7, 0, 255, "Power factor"),
    ROW(1, 0, 14, 7, 0, 255, "Supply frequency"),
    ROW(1, 0, 21, 7, 0, 255, "Active power import (+P) L1"),
    ROW(1, 0, 22, 7, 0, 255, "Active power export (-P) L1"),
    ROW(1, 0, 23, 7, 0, 255, "Reactive power import (+Q) L1"),
    ROW(1, 0, 24, 7, 0, 255, "Reactive power export (-Q) L1"),
    ROW(1, 0, 31, 7, 0, 255, "Current L1"),
    ROW(1, 0, 32, 7, 0, 255, "Voltage L1"),
    ROW(1, 0, 33, 7, 0, 255, "Power factor L1"),
    ROW(1, 0, 41, 7, 0, 255, "Active power import (+P) L2"),
    ROW(1, 0, 42, 7, 0, 255, "Active power export (-P) L2"),
    ROW(1, 0, 43, 7, 0, 255, "Reactive power import (+Q) L2"),
    ROW(1, 0, 44, 7, 0, 255, "Reactive power export (-Q) L2"),
    ROW(1, 0, 51, 7, 0, 255, "Current L2"),
    ROW(1, 0, 52, 7, 0, 255, "Voltage L2"),
    ROW(1, 0, 53, 7, 0, 255, "Power factor L2"),
    ROW(1, 0, 61, 7, 0, 255, "Active power import (+P) L3"),
    ROW(1, 0, 62, 7, 0, 255, "Active power export (-P) L3"),
    ROW(1, 0, 63, 7, 0, 255, "Reactive power import (+Q) L3"),
    ROW(1, 0, 64, 7, 0, 255, "Reactive power export (-Q) L3"),
    ROW(1, 0, 71, 7, 0, 255, "Current L3"),
    ROW(1, 0, 72, 7, 0, 255, "Voltage L3"),
    ROW(1, 0, 73, 7, 0, 255, "Power factor L3"),
    ROW(1, 0, 91, 7, 0, 255, "Neutral current"),
    ROW(1, 0, 98, 1, 0, 255, "Data of billing period 1"),
    ROW(1, 0, 99, 1, 0, 255, "Load profile 1"),
    ROW(1, 0, 99, 2, 0, 255, "Load profile 2"),
    ROW(1, 1, 0, 0, 5, 255, "Meter ID"),
    ROW(1, 1, 0, 2, 129, 255, "List version identifier"),
    ROW(1, 1, 96, 1, 1, 255, "Meter type"),
};

/* "a.b.c.d.e.f" at buf, no NUL; returns the end. buf has room for 24 characters: the last
 * number starts at index 20 at the latest and ds_fmt_u8 stores 4 bytes. */
static char *put_obis(char *buf, const uint8_t o[6])
{
    char *w = buf + ds_fmt_u8(buf, o[0]);
#pragma GCC unroll 5 /* five fixed steps: no loop counter */
    for (int i = 1; i < 6; i++) {
        *w++ = '.';
        w += ds_fmt_u8(w, o[i]);
    }
    return w;
}

size_t ds_obis_format(const uint8_t obis[6], char *buf)
{
    char *end = put_obis(buf, obis);
    *end = '\0';
    return (size_t)(end - buf);
}

#define N_OBIS_NAMES (sizeof OBIS_NAMES / sizeof OBIS_NAMES[0])

/* An index over the table, so that a lookup reads a slot or two instead of searching the table
 * by halves: open addressing on the whole code as one number (index_key). At most a quarter
 * full, so that most probes read one slot; an empty slot has no row. */
#define INDEX_BITS 9
#define INDEX_SLOTS (1u << INDEX_BITS)
_Static_assert(4 * N_OBIS_NAMES <= INDEX_SLOTS, "OBIS index more than a quarter full: raise INDEX_BITS");

typedef struct index_slot {
    uint64_t key;
    const obis_name *row;
} index_slot;

static index_slot INDEX[INDEX_SLOTS];

/* The code as one number: its six bytes, E zero and a mark in a seventh byte for a row that
 * stands for any E, as the bytes of a uint64_t. Host order is fine: the number is only hashed
 * and compared, and a 6-byte load is cheaper than packing the fields. */
static uint64_t index_key(const uint8_t o[6], int any_e)
{
    uint8_t b[8] = {0};
    memcpy(b, o, 6);
    if (any_e) b[4] = 0, b[6] = 1;
    uint64_t key;
    memcpy(&key, b, sizeof key);
    return key;
}

static size_t first_slot(uint64_t key)
{
    /* Fibonacci hashing: the multiply spreads every byte over the top bits */
    return (size_t)((key * 0x9E3779B97F4A7C15u) >> (64 - INDEX_BITS));
}

static size_t next_slot(size_t slot)
{
    return (slot + 1) & (INDEX_SLOTS - 1);
}

static const obis_name *probe(uint64_t key)
{
    for (size_t slot = first_slot(key);; slot = next_slot(slot)) {
        const index_slot *s = &INDEX[slot];
        if (!s->row || s->key == key) return s->row;
    }
}

static uint64_t row_key(const obis_name *row)
{
    const uint8_t code[6] = {(uint8_t)(row->key >> 32), (uint8_t)(row->key >> 24), (uint8_t)(row->key >> 16),
                             (uint8_t)(row->key >> 8), (uint8_t)row->e, (uint8_t)row->key};
    return index_key(code, row->e == ANY_E);
}

/* Built when the program (or library) is loaded, before anything can look a code up: the
 * table is constant, and an index built on first use would need a lock for threads. */
__attribute__((constructor)) static void build_index(void)
{
    for (size_t i = 0; i < N_OBIS_NAMES; i++) {
        uint64_t key = row_key(&OBIS_NAMES[i]);
        size_t slot = first_slot(key);
        while (INDEX[slot].row) slot = next_slot(slot);
        INDEX[slot] = (index_slot){key, &OBIS_NAMES[i]};
    }
}

/* The row naming o, or NULL: the row of its exact E first, else the row for any E. */
static const obis_name *lookup(const uint8_t o[6])
{
    const obis_name *row = probe(index_key(o, 0));
    return row ? row : probe(index_key(o, 1));
}

const char *ds_obis_table_name(size_t i)
{
    return i < N_OBIS_NAMES ? OBIS_NAMES[i].name : NULL;
}

int ds_obis_table_sorted(void)
{
    for (size_t i = 1; i < N_OBIS_NAMES; i++) {
        uint64_t prev = OBIS_NAMES[i - 1].key, cur = OBIS_NAMES[i].key;
        if (prev > cur || (prev == cur && OBIS_NAMES[i - 1].e >= OBIS_NAMES[i].e)) return 0;
    }
    return 1;
}

int ds_obis_table_indexed(void)
{
    for (size_t i = 0; i < N_OBIS_NAMES; i++)
        if (probe(row_key(&OBIS_NAMES[i])) != &OBIS_NAMES[i]) return 0;
    return 1;
}

static const obis_name *find(const uint8_t obis[6])
{
    const obis_name *row = lookup(obis);
    if (row || obis[0] != 1 || obis[1] != 1) return row;
    /* Some meters (Kamstrup) number their electricity quantities on channel B=1
     * instead of B=0; the quantity is the same. */
    uint8_t channel0[6];
    memcpy(channel0, obis, 6);
    channel0[1] = 0;
    return lookup(channel0);
}

const char *ds_obis_meaning(const uint8_t obis[6])
{
    const obis_name *row = find(obis);
    return row ? row->name : NULL;
}

size_t ds_obis_text(const uint8_t obis[6], char *buf, int *named)
{
    char *w = put_obis(buf, obis);
    const obis_name *row = find(obis);
    if (named) *named = row != NULL;
    if (row) {
        *w++ = ' ';
        w = ds_put(w, row->name, row->len);
    }
    return (size_t)(w - buf);
}
