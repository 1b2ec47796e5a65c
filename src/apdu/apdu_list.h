/* Every APDU tag, once (REFERENCE.md §3.1): the list that both the table of per-tag facts
 * (apdu_tags.c) and the descriptions' dispatch by tag (pdu_xdlms.c, pdu_acse.c) are made from,
 * so that the tags, their ciphered forms and their layouts cannot drift apart.
 *
 * No include guard: the includer defines the five row macros first, each for its own purpose,
 * and the list expands once per include. The columns:
 *   tag, service name, layout (a ds_field of the including description file),
 *   [glo and ded element names of the ciphered forms,] role, confirmed, answer tag, answered tag.
 * APDU_LN rows have glo = tag + 08 and ded = tag + 10; APDU_SN rows (initiate, short names,
 * confirmed-service-error) glo = tag + 20 and ded = tag + 40 (§3.1's derivation rule). */

/* ACSE (BER) */
APDU_ACSE(0x60, "AARQ", AARQ, REQ, 1, 0x61, 0)
APDU_ACSE(0x61, "AARE", AARE, RESP, 1, 0, 0x60)
APDU_ACSE(0x62, "RLRQ", RLRQ, REQ, 1, 0x63, 0)
APDU_ACSE(0x63, "RLRE", RLRE, RESP, 1, 0, 0x62)

/* xDLMS initiate, short-name services, confirmed-service-error: glo +20, ded +40 */
APDU_SN(0x01, "initiateRequest", INITIATE_REQUEST, "glo_InitiateRequest", "ded_InitiateRequest", REQ, 1, 0x08, 0)
APDU_SN(0x05, "readRequest", READ_REQUEST, "glo_ReadRequest", "ded_ReadRequest", REQ, 1, 0x0C, 0)
APDU_SN(0x06, "writeRequest", WRITE_REQUEST, "glo_WriteRequest", "ded_WriteRequest", REQ, 1, 0x0D, 0)
APDU_SN(0x08, "initiateResponse", INITIATE_RESPONSE, "glo_InitiateResponse", "ded_InitiateResponse", RESP, 1, 0, 0x01)
APDU_SN(0x0C, "readResponse", READ_RESPONSE, "glo_ReadResponse", "ded_ReadResponse", RESP, 1, 0, 0x05)
APDU_SN(0x0D, "writeResponse", WRITE_RESPONSE, "glo_WriteResponse", "ded_WriteResponse", RESP, 1, 0, 0x06)
/* answers initiate, read or write; Gurux names the ciphered forms Glo... in both keys */
APDU_SN(0x0E, "confirmedServiceError", CONFIRMED_SERVICE_ERROR, "glo_GloConfirmedServiceError",
        "ded_GloConfirmedServiceError", RESP, 1, 0, 0)
APDU_SN(0x16, "unconfirmedWriteRequest", UNCONFIRMED_WRITE_REQUEST, "glo_UnconfirmedWriteRequest",
        "ded_UnconfirmedWriteRequest", REQ, 0, 0, 0)
APDU_SN(0x18, "informationReportRequest", INFORMATION_REPORT, "glo_InformationReportRequest",
        "ded_InformationReportRequest", PUSH, 0, 0, 0)

/* logical-name services: glo +08, ded +10 */
APDU_LN(0xC0, "get-request", GET_REQUEST, "glo_GetRequest", "ded_GetRequest", REQ, 1, 0xC4, 0)
APDU_LN(0xC1, "set-request", SET_REQUEST, "glo_SetRequest", "ded_SetRequest", REQ, 1, 0xC5, 0)
APDU_LN(0xC2, "event-notification-request", EVENT_NOTIFICATION, "glo_EventNotificationRequest",
        "ded_EventNotificationRequest", PUSH, 0, 0, 0)
APDU_LN(0xC3, "action-request", ACTION_REQUEST, "glo_ActionRequest", "ded_ActionRequest", REQ, 1, 0xC7, 0)
APDU_LN(0xC4, "get-response", GET_RESPONSE, "glo_GetResponse", "ded_GetResponse", RESP, 1, 0, 0xC0)
APDU_LN(0xC5, "set-response", SET_RESPONSE, "glo_SetResponse", "ded_SetResponse", RESP, 1, 0, 0xC1)
APDU_LN(0xC7, "action-response", ACTION_RESPONSE, "glo_ActionResponse", "ded_ActionResponse", RESP, 1, 0, 0xC3)

/* no service-specific ciphered form: general ciphering carries them */
APDU_PLAIN(0x0F, "data-notification", DATA_NOTIFICATION, PUSH, 0, 0, 0)
APDU_PLAIN(0xD8, "exception-response", EXCEPTION_RESPONSE, RESP, 1, 0, 0) /* answers any request the server cannot take */
APDU_PLAIN(0xD9, "access-request", ACCESS_REQUEST, REQ, 1, 0xDA, 0)
APDU_PLAIN(0xDA, "access-response", ACCESS_RESPONSE, RESP, 1, 0, 0xD9)

/* carriers of either side's APDUs: role "either", not confirmed, no fixed answer */
APDU_CARRIER(0xDB, "general-glo-ciphering", GENERAL_GLO_CIPHERING, DS_APDU_GENERAL_GLO)
APDU_CARRIER(0xDC, "general-ded-ciphering", GENERAL_DED_CIPHERING, DS_APDU_GENERAL_DED)
APDU_CARRIER(0xDD, "general-ciphering", GENERAL_CIPHERING, DS_APDU_GENERAL)
APDU_CARRIER(0xDF, "general-signing", GENERAL_SIGNING, DS_APDU_SIGNED)
APDU_CARRIER(0xE0, "general-block-transfer", GENERAL_BLOCK_TRANSFER, DS_APDU_PLAIN)
