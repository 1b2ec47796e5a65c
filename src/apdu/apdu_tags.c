/* The facts of each APDU tag (apdu_tags.h), from REFERENCE.md §3.1. A plain APDU that has
 * service-specific ciphered forms is written once: its glo and ded rows follow from the
 * derivation rule of §3.1 (LN tags C0-C7: glo = plain + 08, ded = plain + 10; SN, initiate and
 * confirmed-service-error tags: glo = plain + 20, ded = plain + 40), which also maps a request's
 * answer to the answer in the same protection. */
#include "apdu/apdu_tags.h"

#define ROW(svc, role_, prot, conf, plain_, glo_, ded_, ans, ansd)                                          \
    {.service = (svc), .role = (role_), .protection = (prot), .confirmed = (conf), .plain = (plain_),     \
     .glo = (glo_), .ded = (ded_), .answer = (ans), .answers = (ansd)}

/* `tag` and its glo (+g) and ded (+d) forms; `ans` / `ansd` are plain tags (0: none) */
#define CIPHERABLE(tag, name, role, conf, ans, ansd, g, d)                                                   \
    [tag] = ROW(name, role, DS_APDU_PLAIN, conf, tag, (tag) + (g), (tag) + (d), ans, ansd),                  \
    [(tag) + (g)] = ROW("glo-" name, role, DS_APDU_GLO, conf, tag, 0, 0, (ans) ? (ans) + (g) : 0,           \
                        (ansd) ? (ansd) + (g) : 0),                                                          \
    [(tag) + (d)] = ROW("ded-" name, role, DS_APDU_DED, conf, tag, 0, 0, (ans) ? (ans) + (d) : 0,           \
                        (ansd) ? (ansd) + (d) : 0)
#define LN(tag, name, role, conf, ans, ansd) CIPHERABLE(tag, name, role, conf, ans, ansd, 0x08, 0x10)
#define SN(tag, name, role, conf, ans, ansd) CIPHERABLE(tag, name, role, conf, ans, ansd, 0x20, 0x40)
#define PLAIN(tag, name, role, conf, ans, ansd) [tag] = ROW(name, role, DS_APDU_PLAIN, conf, tag, 0, 0, ans, ansd)
#define CARRIER(tag, name, prot) [tag] = ROW(name, DS_APDU_EITHER, prot, 0, 0, 0, 0, 0, 0)

enum { REQ = DS_APDU_REQUEST, RESP = DS_APDU_RESPONSE, PUSH = DS_APDU_UNSOLICITED };

const ds_apdu_tag_info DS_APDU_TAGS[256] = {
    /* ACSE (BER) */
    PLAIN(0x60, "AARQ", REQ, 1, 0x61, 0),
    PLAIN(0x61, "AARE", RESP, 1, 0, 0x60),
    PLAIN(0x62, "RLRQ", REQ, 1, 0x63, 0),
    PLAIN(0x63, "RLRE", RESP, 1, 0, 0x62),

    /* xDLMS initiate, short-name services, confirmed-service-error: glo +20, ded +40 */
    SN(0x01, "initiateRequest", REQ, 1, 0x08, 0),
    SN(0x05, "readRequest", REQ, 1, 0x0C, 0),
    SN(0x06, "writeRequest", REQ, 1, 0x0D, 0),
    SN(0x08, "initiateResponse", RESP, 1, 0, 0x01),
    SN(0x0C, "readResponse", RESP, 1, 0, 0x05),
    SN(0x0D, "writeResponse", RESP, 1, 0, 0x06),
    SN(0x0E, "confirmedServiceError", RESP, 1, 0, 0), /* answers initiate, read or write */
    SN(0x16, "unconfirmedWriteRequest", REQ, 0, 0, 0),
    SN(0x18, "informationReportRequest", PUSH, 0, 0, 0),

    /* logical-name services: glo +08, ded +10 */
    LN(0xC0, "get-request", REQ, 1, 0xC4, 0),
    LN(0xC1, "set-request", REQ, 1, 0xC5, 0),
    LN(0xC2, "event-notification-request", PUSH, 0, 0, 0),
    LN(0xC3, "action-request", REQ, 1, 0xC7, 0),
    LN(0xC4, "get-response", RESP, 1, 0, 0xC0),
    LN(0xC5, "set-response", RESP, 1, 0, 0xC1),
    LN(0xC7, "action-response", RESP, 1, 0, 0xC3),

    /* no service-specific ciphered form: general ciphering carries them */
    PLAIN(0x0F, "data-notification", PUSH, 0, 0, 0),
    PLAIN(0xD8, "exception-response", RESP, 1, 0, 0), /* answers any request the server cannot take */
    PLAIN(0xD9, "access-request", REQ, 1, 0xDA, 0),
    PLAIN(0xDA, "access-response", RESP, 1, 0, 0xD9),

    /* carriers of either side's APDUs */
    CARRIER(0xDB, "general-glo-ciphering", DS_APDU_GENERAL_GLO),
    CARRIER(0xDC, "general-ded-ciphering", DS_APDU_GENERAL_DED),
    CARRIER(0xDD, "general-ciphering", DS_APDU_GENERAL),
    CARRIER(0xDF, "general-signing", DS_APDU_SIGNED),
    CARRIER(0xE0, "general-block-transfer", DS_APDU_PLAIN),
};
