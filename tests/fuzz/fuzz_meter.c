/* Fuzz target: the emulator's request handler. The input's first byte picks the path:
 *   0  APDUs (each prefixed with a 2-byte length) to a server association machine over the
 *      meter's objects, after an AARQ (byte 1 bit 0: the LOW client, else the public one; bit 1:
 *      general-block-transfer proposed with a max PDU of 256, which the meter offers);
 *   1  raw bytes to an HDLC server link, whose APDUs go to the association as in emulate;
 *   2  the same over the wrapper;
 *   3  one A-XDR value (after a 2-byte class id, 6-byte OBIS, attribute byte) given as SET
 *      data, ACTION parameters and selective access to the objects directly.
 * The meter must neither crash nor leak, whatever comes. The model is built in, so that the
 * target needs no file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/assoc.h"
#include "dlmscope/conn.h"
#include "dlmscope/meter.h"
#include "dlmscope/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char MODEL[] =
    "<meter><link max-pdu=\"512\" gbt-window=\"4\"/>"
    "<association client=\"16\"/>"
    "<association client=\"17\" mechanism=\"low\" password=\"12345678\" attributes=\"read-write\" methods=\"access\"/>"
    "<object class=\"15\" obis=\"0.0.40.0.0.255\"/>"
    "<object class=\"1\" obis=\"0.0.43.1.0.255\"><attribute id=\"2\" frame-counter=\"16\"/></object>"
    "<object class=\"8\" obis=\"0.0.1.0.0.255\"><attribute id=\"2\" clock=\"2026-12-06T12:00:00\"/>"
    "<attribute id=\"3\"><Int16 Value=\"-60\"/></attribute></object>"
    "<object class=\"3\" obis=\"1.0.1.8.0.255\"><attribute id=\"2\"><UInt32 Value=\"123456\"/></attribute>"
    "<attribute id=\"3\"><Structure><Int8 Value=\"1\"/><Enum Value=\"30\"/></Structure></attribute></object>"
    "<object class=\"4\" obis=\"1.0.1.6.0.255\"><attribute id=\"2\"><UInt16 Value=\"5\"/></attribute></object>"
    "<object class=\"70\" obis=\"0.0.96.3.10.255\"><attribute id=\"4\"><Enum Value=\"1\"/></attribute></object>"
    "<object class=\"18\" obis=\"0.0.44.0.0.255\"><attribute id=\"2\"><UInt32 Value=\"256\"/></attribute></object>"
    "<object class=\"7\" obis=\"1.0.99.1.0.255\"><attribute id=\"3\"><Array>"
    "<Structure><UInt16 Value=\"8\"/><OctetString Value=\"0000010000FF\"/><Int8 Value=\"2\"/><UInt16 Value=\"0\"/></Structure>"
    "<Structure><UInt16 Value=\"3\"/><OctetString Value=\"0100010800FF\"/><Int8 Value=\"2\"/><UInt16 Value=\"0\"/></Structure>"
    "</Array></attribute><rows count=\"40\" start=\"2026-12-01T00:00:00\" period=\"900\" increment=\"10\"/></object>"
    "</meter>";

/* The AARQs of the public (16) and LOW (17) clients, built once (aarq()): conformance 0x007E1F
 * and a max PDU of 1200, or with general-block-transfer proposed and a max PDU of 256, so that
 * the meter (gbt-window 4) answers the profile in GBT blocks and takes GBT requests. */
static uint8_t AARQS[4][128];
static size_t AARQ_LEN[4];

static void build_aarqs(void)
{
    for (int i = 0; i < 4; i++) {
        int low = i & 1, gbt = i >> 1;
        ds_association a;
        memset(&a, 0, sizeof a);
        a.context = 1;
        a.mechanism = low ? 1 : -1;
        a.auth = low ? (const uint8_t *)"12345678" : NULL;
        a.auth_len = low ? 8 : 0;
        a.dlms_version = 6;
        a.conformance = gbt ? 0x007E1F | DS_CONFORMANCE_GBT : 0x007E1F;
        a.max_pdu = gbt ? 256 : 1200;
        char err[100];
        if (ds_build_aarq(&a, AARQS[i], sizeof AARQS[i], &AARQ_LEN[i], err, sizeof err)) abort();
    }
}

static ds_meter *meter;
static ds_server_objects objects;

typedef struct path {
    ds_conn *conn;
    ds_assoc *assoc;
    uint64_t now;
} path;

static int to_nowhere(void *user, const uint8_t *apdu, size_t len)
{
    (void)user;
    (void)apdu;
    (void)len;
    return 0;
}

static int to_link(void *user, const uint8_t *apdu, size_t len)
{
    path *p = user;
    return ds_conn_send_apdu(p->conn, apdu, len, p->now);
}

static ds_assoc *new_assoc(ds_assoc_output_fn out, void *user, int client)
{
    ds_assoc_settings s;
    memset(&s, 0, sizeof s);
    s.role = DS_ASSOC_SERVER;
    s.logical_names = 1;
    s.max_pdu = 512;
    ds_assoc *as = ds_assoc_new(&s, out, user);
    if (as) ds_assoc_serve(as, &objects, client);
    return as;
}

static void on_link(void *user, const ds_conn_event *ev)
{
    path *p = user;
    if (ev->kind == DS_CONN_EV_APDU) {
        if (!p->assoc) p->assoc = new_assoc(to_link, p, ds_conn_peer_address(p->conn));
        if (p->assoc) ds_assoc_receive(p->assoc, ev->data, ev->len);
        ds_conn_release_turn(p->conn, p->now); /* as emulate does: nothing to answer */
    } else if (ev->kind == DS_CONN_EV_DISCONNECTED) {
        ds_assoc_free(p->assoc);
        p->assoc = NULL;
    }
}

static void apdus(const uint8_t *d, size_t n)
{
    int pick = n > 0 ? d[0] & 3 : 0; /* bit 0: the LOW client; bit 1: GBT proposed */
    ds_assoc *as = new_assoc(to_nowhere, NULL, pick & 1 ? 17 : 16);
    if (!as) return;
    ds_assoc_receive(as, AARQS[pick], AARQ_LEN[pick]);
    size_t at = n > 0 ? 1 : 0;
    while (at + 2 <= n) {
        size_t len = (size_t)d[at] << 8 | d[at + 1];
        at += 2;
        if (len > n - at) len = n - at;
        ds_assoc_receive(as, d + at, len);
        at += len;
    }
    ds_assoc_free(as);
}

static void link_bytes(const uint8_t *d, size_t n, ds_conn_framing framing)
{
    path p = {NULL, NULL, 1000};
    ds_conn_settings s;
    memset(&s, 0, sizeof s);
    s.role = DS_CONN_SERVER;
    s.framing = framing;
    s.server_logical = 1;
    p.conn = ds_conn_new(&s, on_link, &p);
    if (!p.conn) return;
    uint8_t out[4096];
    /* in pieces, with time passing, as a socket would hand them over */
    for (size_t at = 0; at < n;) {
        size_t k = (size_t)(d[at] % 64) + 1;
        if (k > n - at) k = n - at;
        ds_conn_recv(p.conn, d + at, k, p.now);
        at += k;
        p.now += 700;
        ds_conn_tick(p.conn, p.now);
        while (ds_conn_output(p.conn, out, sizeof out) > 0) {}
    }
    ds_assoc_free(p.assoc);
    ds_conn_free(p.conn);
}

static void direct(const uint8_t *d, size_t n)
{
    if (n < 9) return;
    ds_cosem_ref ref;
    ref.class_id = (uint16_t)(d[0] << 8 | d[1]);
    memcpy(ref.instance, d + 2, 6);
    ref.id = d[8];
    ds_value_arena *a = ds_value_arena_new(1 << 14, 1 << 18);
    if (!a) return;
    ds_value *v = NULL, *out = NULL;
    size_t used = 0;
    if (ds_value_decode_data(a, d + 9, n - 9, &used, &v, NULL) == 0 && v) {
        objects.get(objects.user, 16, &ref, v, a, &out);
        objects.get(objects.user, 17, &ref, NULL, a, &out);
        objects.set(objects.user, 17, &ref, NULL, v);
        objects.action(objects.user, 17, &ref, v, a, &out);
    }
    ds_value_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!meter) {
        char err[256];
        meter = ds_meter_load_memory(MODEL, sizeof MODEL - 1, "fuzz", err, sizeof err);
        if (!meter) abort();
        ds_meter_set_time(meter, 1796558400);
        build_aarqs();
        ds_meter_objects(meter, &objects);
    }
    if (size < 1) return 0;
    switch (data[0] % 4) {
    case 0: apdus(data + 1, size - 1); break;
    case 1: link_bytes(data + 1, size - 1, DS_CONN_HDLC); break;
    case 2: link_bytes(data + 1, size - 1, DS_CONN_WRAPPER); break;
    default: direct(data + 1, size - 1); break;
    }
    return 0;
}
