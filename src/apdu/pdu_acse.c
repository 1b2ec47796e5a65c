/* ACSE APDUs (AARQ, AARE, RLRQ, RLRE): BER-encoded, one description each.
 *
 * Fields are context-tagged TLVs (REFERENCE.md §5.1–5.3); element names are
 * those of the Gurux dialect (GURUX-XML.md §4.6). acse-service-provider
 * diagnostics get their own element (Gurux folds them into ACSEServiceUser,
 * which loses a bit). The user-information field carries an xDLMS APDU
 * (InitiateRequest, a ciphered one, or ConfirmedServiceError) decoded with
 * the xDLMS descriptions. */
#include "apdu/apdu.h"
#include "apdu/apdu_tags.h"
#include "apdu/comments.h"
#include "apdu/enums.h"

#define BER_WRAPPED(univ, ...) {.kind = SK_BER_TLV, .tag = (univ), .sub = DS_LIST(__VA_ARGS__)}
#define OCTETS_IN(nm) BER_WRAPPED(0x04, {.kind = SK_REST_BYTES, DS_NAME(nm), .comment = ds_c_octets})
#define TITLE_IN(nm, obs) BER_WRAPPED(0x04, {.kind = SK_REST_BYTES, DS_NAME(nm), .comment = ds_c_octets, .observe = (obs)})
#define INTEGER_IN(nm) BER_WRAPPED(0x02, {.kind = SK_REST_UINT, DS_NAME(nm)})
#define BITS(nm) {.kind = SK_REST_BITS, DS_NAME(nm)}
#define APPLICATION_CONTEXT \
    BER_WRAPPED(0x06, {.kind = SK_REST_OID, DS_NAME("ApplicationContextName"), .size = 1, .names = DS_APPLICATION_CONTEXT})
#define MECHANISM {.kind = SK_REST_OID, DS_NAME("MechanismName"), .size = 2, .names = DS_MECHANISM, .observe = DS_OBS_MECHANISM}
#define AUTHENTICATION(nm, obs)                                                                 \
    {.kind = SK_BER_CHOICE,                                                                     \
     .alts = DS_ALTS(DS_ALT(0x80, {.kind = SK_REST_BYTES, DS_NAME(nm), .comment = ds_c_octets, .observe = (obs)}), \
                     DS_ALT(0x81, BITS(nm "Bits")))}
#define USER_INFORMATION BER_WRAPPED(0x04, {.kind = SK_APDU})

static const ds_field AARQ = {
    .kind = SK_BER_SEQ,
    DS_NAME("AssociationRequest"),
    .alts = DS_ALTS(DS_ALT(0x80, BITS("ProtocolVersion")), DS_ALT(0xA1, APPLICATION_CONTEXT),
                    DS_ALT(0xA2, OCTETS_IN("CalledAPTitle")), DS_ALT(0xA3, OCTETS_IN("CalledAEQualifier")),
                    DS_ALT(0xA4, INTEGER_IN("CalledAPInvocationId")),
                    DS_ALT(0xA5, INTEGER_IN("CalledAEInvocationId")), DS_ALT(0xA6, TITLE_IN("CallingAPTitle", DS_OBS_CALLING_TITLE)),
                    DS_ALT(0xA7, OCTETS_IN("CallingAEQualifier")),
                    DS_ALT(0xA8, INTEGER_IN("CallingApInvocationId")),
                    DS_ALT(0xA9, INTEGER_IN("CallingAEInvocationId")),
                    DS_ALT(0x8A, BITS("SenderACSERequirements")), DS_ALT(0x8B, MECHANISM),
                    DS_ALT(0xAC, AUTHENTICATION("CallingAuthentication", DS_OBS_CTOS)),
                    DS_ALT(0xBD, {.kind = SK_REST_BYTES, DS_NAME("ImplementationInformation")}),
                    DS_ALT(DS_ACSE_TAG_USER_INFORMATION, USER_INFORMATION)),
};

static const ds_field AARE = {
    .kind = SK_BER_SEQ,
    DS_NAME("AssociationResponse"),
    .alts = DS_ALTS(
        DS_ALT(0x80, BITS("ProtocolVersion")), DS_ALT(0xA1, APPLICATION_CONTEXT),
        DS_ALT(0xA2, BER_WRAPPED(0x02, {.kind = SK_REST_UINT, DS_NAME("AssociationResult"),
                                        .comment = ds_c_association_result, .observe = DS_OBS_AARE_RESULT})),
        DS_ALT(0xA3, {.kind = SK_BER_CHOICE, DS_NAME("ResultSourceDiagnostic"),
                      .alts = DS_ALTS(DS_ALT(0xA1, BER_WRAPPED(0x02, {.kind = SK_REST_UINT, DS_NAME("ACSEServiceUser"),
                                                                     .comment = ds_c_acse_user})),
                                      DS_ALT(0xA2, BER_WRAPPED(0x02, {.kind = SK_REST_UINT,
                                                                     DS_NAME("ACSEServiceProvider"),
                                                                     .comment = ds_c_acse_provider})))}),
        DS_ALT(0xA4, TITLE_IN("RespondingAPTitle", DS_OBS_RESPONDING_TITLE)), DS_ALT(0xA5, OCTETS_IN("RespondingAEQualifier")),
        DS_ALT(0xA6, INTEGER_IN("RespondingAPInvocationId")), DS_ALT(0xA7, INTEGER_IN("RespondingAEInvocationId")),
        DS_ALT(0x88, BITS("ResponderACSERequirement")), DS_ALT(0x89, MECHANISM),
        DS_ALT(0xAA, AUTHENTICATION("RespondingAuthentication", DS_OBS_STOC)),
        DS_ALT(0xBD, {.kind = SK_REST_BYTES, DS_NAME("ImplementationInformation")}),
        DS_ALT(DS_ACSE_TAG_USER_INFORMATION, USER_INFORMATION)),
};

static const ds_field RLRQ = {
    .kind = SK_BER_SEQ,
    DS_NAME("ReleaseRequest"),
    .alts = DS_ALTS(DS_ALT(0x80, {.kind = SK_REST_ENUM, DS_NAME("Reason"), .names = DS_RELEASE_REQUEST_REASON}),
                    DS_ALT(DS_ACSE_TAG_USER_INFORMATION, USER_INFORMATION)),
};

static const ds_field RLRE = {
    .kind = SK_BER_SEQ,
    DS_NAME("ReleaseResponse"),
    .alts = DS_ALTS(DS_ALT(0x80, {.kind = SK_REST_ENUM, DS_NAME("Reason"), .names = DS_RELEASE_RESPONSE_REASON}),
                    DS_ALT(DS_ACSE_TAG_USER_INFORMATION, USER_INFORMATION)),
};

/* ---- dispatch by tag, from the one list of tags ---------------------------------------------------- */

#define APDU_ACSE(tag, name, layout, role, conf, ans, ansd) [tag] = &layout,
#define APDU_LN(tag, name, layout, gn, dn, role, conf, ans, ansd) /* pdu_xdlms.c */
#define APDU_SN(tag, name, layout, gn, dn, role, conf, ans, ansd)
#define APDU_PLAIN(tag, name, layout, role, conf, ans, ansd)
#define APDU_CARRIER(tag, name, layout, prot)

static const ds_field *const ACSE[256] = {
#include "apdu/apdu_list.h"
};

const ds_field *ds_acse_lookup(uint8_t tag)
{
    return ACSE[tag];
}
