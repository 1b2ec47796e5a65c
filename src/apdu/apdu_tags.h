/* What the first byte of an APDU says, one row per tag (REFERENCE.md §3.1): who sends it, whether
 * it belongs to a confirmed service and which tag answers it, how it is protected and what the
 * plain form of a ciphered tag is. The one place for these facts: the decoder's descriptions
 * (pdu_xdlms.c, pdu_acse.c) say how an APDU is laid out, this table what it is for, and the unit
 * test checks that both know the same tags.
 *
 * A lookup is one array index (the decoder asks per APDU), and this header needs nothing but
 * <stdint.h>, so that the link layer can use it. */
#ifndef DS_APDU_APDU_TAGS_H
#define DS_APDU_APDU_TAGS_H

#include <stdint.h>

/* REFERENCE §3.1's derivation rule: a service-specific ciphered tag is its plain tag plus these */
enum {
    DS_APDU_LN_GLO_STEP = 0x08, DS_APDU_LN_DED_STEP = 0x10,  /* get/set/action/event: C0 -> C8, D0 */
    DS_APDU_SN_GLO_STEP = 0x20, DS_APDU_SN_DED_STEP = 0x40   /* initiate, short names, error: 05 -> 25, 45 */
};

/* Each plain tag by name (DS_APDU_TAG_GET_REQUEST = C0 ...), made from the one list, for code that
 * builds or tests one APDU kind: a builder names what it writes instead of repeating a number. */
enum {
#define APDU_ACSE(tag, name, layout, role, conf, ans, ansd) DS_APDU_TAG_##layout = (tag),
#define APDU_LN(tag, name, layout, gn, dn, role, conf, ans, ansd) DS_APDU_TAG_##layout = (tag),
#define APDU_SN(tag, name, layout, gn, dn, role, conf, ans, ansd) DS_APDU_TAG_##layout = (tag),
#define APDU_PLAIN(tag, name, layout, role, conf, ans, ansd) DS_APDU_TAG_##layout = (tag),
#define APDU_CARRIER(tag, name, layout, prot) DS_APDU_TAG_##layout = (tag),
#include "apdu/apdu_list.h"
#undef APDU_ACSE
#undef APDU_LN
#undef APDU_SN
#undef APDU_PLAIN
#undef APDU_CARRIER
};

/* The context tag of the ACSE user-information field ([30] constructed; REFERENCE §5.1-5.3), in
 * AARQ, AARE, RLRQ and RLRE alike: it holds the xDLMS APDU (an InitiateRequest, ...) of the
 * association. */
#define DS_ACSE_TAG_USER_INFORMATION 0xBEu

typedef enum ds_apdu_role {
    DS_APDU_NOT_AN_APDU = 0,
    DS_APDU_REQUEST,      /* sent by the client (AARQ, get-request, readRequest, access-request, ...) */
    DS_APDU_RESPONSE,     /* sent by the server in answer (AARE, get-response, exception-response, ...) */
    DS_APDU_UNSOLICITED,  /* sent by the server unasked: data-notification, event-notification (a
                             "request" by name) and informationReportRequest */
    DS_APDU_EITHER        /* general ciphering and signing, general block transfer: they carry an
                             APDU of either side */
} ds_apdu_role;

typedef enum ds_apdu_protection {
    DS_APDU_PLAIN = 0,
    DS_APDU_GLO,          /* service-specific, global key: glo-get-request C8, glo-readRequest 25, ... */
    DS_APDU_DED,          /* service-specific, dedicated key: ded-get-request D0, ded-readRequest 45, ... */
    DS_APDU_GENERAL_GLO,  /* general-glo-ciphering DB */
    DS_APDU_GENERAL_DED,  /* general-ded-ciphering DC */
    DS_APDU_GENERAL,      /* general-ciphering DD */
    DS_APDU_SIGNED        /* general-signing DF: signed, not ciphered */
} ds_apdu_protection;

typedef struct ds_apdu_tag_info {
    const char *service;  /* "get-request", "glo-get-request", "AARQ", ...; NULL for no APDU */
    uint8_t role;         /* ds_apdu_role */
    uint8_t protection;   /* ds_apdu_protection */
    /* 1 for a request that gets a response and for that response (the invoke-id-and-priority's
     * service-class bit can still ask for no response, REFERENCE §7.5); 0 for unconfirmed
     * services and for the carriers of DS_APDU_EITHER */
    uint8_t confirmed;
    uint8_t plain;        /* the plain APDU a glo/ded tag carries (C8 -> C0); its own tag when plain;
                             0 for the general forms, which can carry any APDU */
    uint8_t glo, ded;     /* a plain tag's service-specific ciphered forms (C0 -> C8, D0); 0 when none */
    uint8_t answer;       /* a request's response tag in the same protection (C0 -> C4, C8 -> CC); 0 when
                             none or not fixed (an error may come instead: 0E, D8) */
    uint8_t answers;      /* a response's request tag (C4 -> C0); 0 when it answers no fixed one */
} ds_apdu_tag_info;

extern const ds_apdu_tag_info DS_APDU_TAGS[256];

/* The row of `tag` (role DS_APDU_NOT_AN_APDU when it is none): never NULL. */
static inline const ds_apdu_tag_info *ds_apdu_tag(uint8_t tag)
{
    return &DS_APDU_TAGS[tag];
}

/* 1 when an APDU starting with `tag` is sent by a client. The carriers of either side's APDUs
 * (DS_APDU_EITHER) count as a server's: they are mostly pushes on HAN ports. */
static inline int ds_apdu_tag_is_request(uint8_t tag)
{
    return DS_APDU_TAGS[tag].role == DS_APDU_REQUEST;
}

/* The tag of the carrier APDU of a general protection (DS_APDU_GENERAL_GLO -> DB, DS_APDU_GENERAL_DED
 * -> DC, DS_APDU_GENERAL -> DD, DS_APDU_SIGNED -> DF), from the table; 0 for any other. */
uint8_t ds_apdu_carrier_tag(uint8_t protection);

/* 1 for a ciphered APDU, service-specific (glo, ded) or general (DB, DC, DD); not general-signing. */
static inline int ds_apdu_tag_is_ciphered(uint8_t tag)
{
    uint8_t p = DS_APDU_TAGS[tag].protection;
    return p >= DS_APDU_GLO && p <= DS_APDU_GENERAL;
}

#endif
