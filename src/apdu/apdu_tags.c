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
#define APDU_LN(tag, name, layout, gn, dn, role, conf, ans, ansd) \
    CIPHERABLE(tag, name, role, conf, ans, ansd, DS_APDU_LN_GLO_STEP, DS_APDU_LN_DED_STEP),
#define APDU_SN(tag, name, layout, gn, dn, role, conf, ans, ansd) \
    CIPHERABLE(tag, name, role, conf, ans, ansd, DS_APDU_SN_GLO_STEP, DS_APDU_SN_DED_STEP),
#define APDU_PLAIN(tag, name, layout, role, conf, ans, ansd) \
    [tag] = ROW(name, role, DS_APDU_PLAIN, conf, tag, 0, 0, ans, ansd),
#define APDU_ACSE APDU_PLAIN
#define APDU_CARRIER(tag, name, layout, prot) [tag] = ROW(name, DS_APDU_EITHER, prot, 0, 0, 0, 0, 0, 0),

enum { REQ = DS_APDU_REQUEST, RESP = DS_APDU_RESPONSE, PUSH = DS_APDU_UNSOLICITED };

const ds_apdu_tag_info DS_APDU_TAGS[256] = {
#include "apdu/apdu_list.h"
};

uint8_t ds_apdu_carrier_tag(uint8_t protection)
{
    if (protection == DS_APDU_PLAIN) return 0; /* general-block-transfer carries, but protects nothing */
    for (unsigned t = 0; t < 256; t++)
        if (DS_APDU_TAGS[t].role == DS_APDU_EITHER && DS_APDU_TAGS[t].protection == protection) return (uint8_t)t;
    return 0;
}
