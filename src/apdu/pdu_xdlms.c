/* xDLMS APDUs (Green Book, LN and SN referencing): one description each.
 *
 * Element names follow the Gurux simple-XML dialect (GURUX-XML.md §3–4.8);
 * where Gurux has no form for something on the wire, a new name is added
 * (PBlock, InvocationCounter, AccessSelection inside lists, DataAccessError
 * items of with-list responses) so that every byte has a place in the XML.
 * The layouts are those of REFERENCE.md §3.3–3.4. */
#include "apdu/apdu.h"
#include "apdu/apdu_tags.h"
#include "apdu/comments.h"
#include "apdu/enums.h"

/* ---- shared pieces ------------------------------------------------------------------------ */

#define IIP {.kind = SK_UINT, DS_NAME("InvokeIdAndPriority"), .size = 1, .comment = ds_c_invoke_id}
#define LONG_IIP {.kind = SK_UINT, DS_NAME("LongInvokeIdAndPriority"), .size = 4, .comment = ds_c_long_invoke_id}
#define CLASS_ID {.kind = SK_UINT, DS_NAME("ClassId"), .size = 2, .comment = ds_c_class_id}
#define INSTANCE_ID {.kind = SK_BYTES, DS_NAME("InstanceId"), .size = 6, .fmt = NF_HEX_ALWAYS, .comment = ds_c_obis}
#define ATTRIBUTE_ID {.kind = SK_UINT, DS_NAME("AttributeId"), .size = 1, .comment = ds_c_attribute_id}
#define METHOD_ID {.kind = SK_UINT, DS_NAME("MethodId"), .size = 1, .comment = ds_c_method_id}
#define ATTRIBUTE_DESCRIPTOR F_GROUP("AttributeDescriptor", CLASS_ID, INSTANCE_ID, ATTRIBUTE_ID)
#define METHOD_DESCRIPTOR F_GROUP("MethodDescriptor", CLASS_ID, INSTANCE_ID, METHOD_ID)
#define BLOCK_NUMBER F_U32("BlockNumber")
#define DATE_TIME_OCTETS(nm) {.kind = SK_OCTETS, DS_NAME(nm), .comment = ds_c_octets}
#define RAW_DATA F_OCTETS("RawData")

/* Selective-Access-Descriptor: selector + parameters */
#define ACCESS_SELECTION F_GROUP("AccessSelection", F_U8("AccessSelector"), F_GROUP("AccessParameters", F_DATA))
#define OPT_ACCESS_SELECTION F_OPTIONAL(ACCESS_SELECTION)

/* Cosem-Attribute-Descriptor-With-Selection */
#define ATTRIBUTE_DESCRIPTOR_LIST \
    F_SEQ_OF("AttributeDescriptorList", F_GROUP("AttributeDescriptorWithSelection", ATTRIBUTE_DESCRIPTOR, OPT_ACCESS_SELECTION))

/* DataBlock-SA: last-block, block-number, raw-data */
#define DATA_BLOCK(nm) F_GROUP(nm, F_U8("LastBlock"), BLOCK_NUMBER, RAW_DATA)

/* Get-Data-Result: CHOICE { data [0], data-access-result [1] } */
#define GET_DATA_RESULT \
    DS_ALT(0, F_GROUP("Data", F_DATA)), DS_ALT(1, F_ENUM("DataAccessError", DS_DATA_ACCESS_RESULT))

#define DATA_ACCESS_RESULT_LIST F_SEQ_OF("Result", F_ENUM("DataAccessResult", DS_DATA_ACCESS_RESULT))

/* ---- GET ------------------------------------------------------------------------------------- */

static const ds_field GET_REQUEST =
    F_CHOICE("GetRequest",
             DS_ALT(1, F_GROUP("GetRequestNormal", IIP, ATTRIBUTE_DESCRIPTOR, OPT_ACCESS_SELECTION)),
             DS_ALT(2, F_GROUP("GetRequestForNextDataBlock", IIP, BLOCK_NUMBER)),
             DS_ALT(3, F_GROUP("GetRequestWithList", IIP, ATTRIBUTE_DESCRIPTOR_LIST)));

static const ds_field GET_RESPONSE = F_CHOICE(
    "GetResponse",
    DS_ALT(1, F_GROUP("GetResponseNormal", IIP, F_CHOICE("Result", GET_DATA_RESULT))),
    DS_ALT(2, F_GROUP("GetResponsewithDataBlock", IIP,
                      F_GROUP("Result", F_U8("LastBlock"), BLOCK_NUMBER,
                              F_CHOICE("Result", DS_ALT(0, RAW_DATA),
                                       DS_ALT(1, F_ENUM("DataAccessResult", DS_DATA_ACCESS_RESULT)))))),
    DS_ALT(3, F_GROUP("GetResponseWithList", IIP, F_SEQ_OF("Result", F_CHOICE(NULL, GET_DATA_RESULT)))));

/* ---- SET ------------------------------------------------------------------------------------- */

static const ds_field SET_REQUEST = F_CHOICE(
    "SetRequest",
    DS_ALT(1, F_GROUP("SetRequestNormal", IIP, ATTRIBUTE_DESCRIPTOR, OPT_ACCESS_SELECTION, F_GROUP("Value", F_DATA))),
    DS_ALT(2, F_GROUP("SetRequestFirstDataBlock", IIP, ATTRIBUTE_DESCRIPTOR, OPT_ACCESS_SELECTION,
                      DATA_BLOCK("DataBlock"))),
    DS_ALT(3, F_GROUP("SetRequestWithDataBlock", IIP, DATA_BLOCK("DataBlock"))),
    DS_ALT(4, F_GROUP("SetRequestWithList", IIP, ATTRIBUTE_DESCRIPTOR_LIST, F_SEQ_OF("ValueList", F_DATA))),
    DS_ALT(5, F_GROUP("SetRequestWithListAndFirstDataBlock", IIP, ATTRIBUTE_DESCRIPTOR_LIST,
                      DATA_BLOCK("DataBlock"))));

static const ds_field SET_RESPONSE = F_CHOICE(
    "SetResponse",
    DS_ALT(1, F_GROUP("SetResponseNormal", IIP, F_ENUM("Result", DS_DATA_ACCESS_RESULT))),
    DS_ALT(2, F_GROUP("SetResponseDataBlock", IIP, BLOCK_NUMBER)),
    DS_ALT(3, F_GROUP("SetResponseWithLastDataBlock", IIP, F_ENUM("Result", DS_DATA_ACCESS_RESULT), BLOCK_NUMBER)),
    DS_ALT(4, F_GROUP("SetResponseLastDataBlockWithList", IIP, DATA_ACCESS_RESULT_LIST, BLOCK_NUMBER)),
    DS_ALT(5, F_GROUP("SetResponseWithList", IIP, DATA_ACCESS_RESULT_LIST)));

/* ---- ACTION ---------------------------------------------------------------------------------- */

#define METHOD_DESCRIPTOR_LIST F_SEQ_OF("MethodDescriptorList", METHOD_DESCRIPTOR)
#define RETURN_PARAMETERS F_OPTIONAL(F_GROUP("ReturnParameters", F_CHOICE(NULL, GET_DATA_RESULT)))

static const ds_field ACTION_REQUEST = F_CHOICE(
    "ActionRequest",
    DS_ALT(1, F_GROUP("ActionRequestNormal", IIP, METHOD_DESCRIPTOR,
                      F_OPTIONAL(F_GROUP("MethodInvocationParameters", F_DATA)))),
    DS_ALT(2, F_GROUP("ActionRequestForNextDataBlock", IIP, BLOCK_NUMBER)),
    DS_ALT(3, F_GROUP("ActionRequestWithList", IIP, METHOD_DESCRIPTOR_LIST,
                      F_SEQ_OF("MethodInvocationParameters", F_DATA))),
    DS_ALT(4, F_GROUP("ActionRequestWithFirstBlock", IIP, METHOD_DESCRIPTOR, DATA_BLOCK("PBlock"))),
    DS_ALT(5, F_GROUP("ActionRequestWithListAndFirstBlock", IIP, METHOD_DESCRIPTOR_LIST, DATA_BLOCK("PBlock"))),
    DS_ALT(6, F_GROUP("ActionRequestWithBlock", IIP, DATA_BLOCK("PBlock"))));

static const ds_field ACTION_RESPONSE = F_CHOICE(
    "ActionResponse",
    DS_ALT(1, F_GROUP("ActionResponseNormal", IIP, F_ENUM("Result", DS_ACTION_RESULT), RETURN_PARAMETERS)),
    DS_ALT(2, F_GROUP("ActionResponseWithPBlock", IIP, DATA_BLOCK("PBlock"))),
    DS_ALT(3, F_GROUP("ActionResponseWithList", IIP,
                      F_SEQ_OF("Result", F_GROUP("ActionResponseWithOptionalData",
                                                 F_ENUM("Result", DS_ACTION_RESULT), RETURN_PARAMETERS)))),
    DS_ALT(4, F_GROUP("ActionResponseNextBlock", IIP, BLOCK_NUMBER)));

/* ---- notifications, ACCESS, block transfer ----------------------------------------------------- */

static const ds_field EVENT_NOTIFICATION =
    F_GROUP("EventNotificationRequest", F_OPTIONAL(DATE_TIME_OCTETS("Time")), ATTRIBUTE_DESCRIPTOR,
            F_GROUP("AttributeValue", F_DATA));

/* The date-time of a data-notification is a bare octet string (00, or 0C + 12 bytes).
 * Some meters (Kaifa in Norway) send it as a typed Data instead (09 0C + 12 bytes): a
 * length of 9 cannot be a date-time, so 09 first means that form, shown as a DateTime
 * container holding the Data so that the bytes round-trip. */
#define NOTIFICATION_DATE_TIME                                                        \
    {.kind = SK_PEEK_CHOICE, .alts = DS_ALTS(DS_ALT(0x09, F_GROUP("DateTime", F_DATA))), \
     .default_body = DS_LIST(DATE_TIME_OCTETS("DateTime"))}

static const ds_field DATA_NOTIFICATION =
    F_GROUP("DataNotification", LONG_IIP, NOTIFICATION_DATE_TIME,
            F_GROUP("NotificationBody", F_GROUP("DataValue", F_DATA)));

#define ACCESS_REQUEST_SPECIFICATION                                                                 \
    F_SEQ_OF("AccessRequestSpecification",                                                           \
             F_CHOICE("_AccessRequestSpecification",                                                 \
                      DS_ALT(1, F_GROUP("AccessRequestGet", ATTRIBUTE_DESCRIPTOR)),                  \
                      DS_ALT(2, F_GROUP("AccessRequestSet", ATTRIBUTE_DESCRIPTOR)),                  \
                      DS_ALT(3, F_GROUP("AccessRequestAction", METHOD_DESCRIPTOR)),                  \
                      DS_ALT(4, F_GROUP("AccessRequestGetWithSelection", ATTRIBUTE_DESCRIPTOR,       \
                                        ACCESS_SELECTION)),                                          \
                      DS_ALT(5, F_GROUP("AccessRequestSetWithSelection", ATTRIBUTE_DESCRIPTOR,       \
                                        ACCESS_SELECTION))))

static const ds_field ACCESS_REQUEST =
    F_GROUP("AccessRequest", LONG_IIP, DATE_TIME_OCTETS("DateTime"),
            F_GROUP("AccessRequestBody", ACCESS_REQUEST_SPECIFICATION,
                    F_SEQ_OF("AccessRequestListOfData", F_DATA)));

static const ds_field ACCESS_RESPONSE = F_GROUP(
    "AccessResponse", LONG_IIP, DATE_TIME_OCTETS("DateTime"),
    F_GROUP("AccessResponseBody", F_OPTIONAL(ACCESS_REQUEST_SPECIFICATION),
            F_SEQ_OF("AccessResponseListOfData", F_DATA),
            F_SEQ_OF("AccessResponseSpecification",
                     F_CHOICE("_AccessResponseSpecification",
                              DS_ALT(1, F_GROUP("AccessResponseGet", F_ENUM("Result", DS_DATA_ACCESS_RESULT))),
                              DS_ALT(2, F_GROUP("AccessResponseSet", F_ENUM("Result", DS_DATA_ACCESS_RESULT))),
                              DS_ALT(3, F_GROUP("AccessResponseAction", F_ENUM("Result", DS_ACTION_RESULT)))))));

static const ds_field GENERAL_BLOCK_TRANSFER =
    F_GROUP("GeneralBlockTransfer", F_U8("BlockControl"), F_U16("BlockNumber"), F_U16("BlockNumberAck"),
            F_OCTETS("BlockData"));

/* ---- errors ------------------------------------------------------------------------------------ */

static const ds_field EXCEPTION_RESPONSE = F_GROUP(
    "ExceptionResponse", F_ENUM("StateError", DS_STATE_ERROR),
    {.kind = SK_CHOICE, .tag_leaf = "ServiceError", .names = DS_EXCEPTION_SERVICE_ERROR,
     .alts = DS_ALTS(DS_ALT(6, F_U32("InvocationCounter"))), .has_default = 1,
     .default_body = DS_EMPTY});

static const ds_field CONFIRMED_SERVICE_ERROR = F_GROUP(
    "ConfirmedServiceError", {.kind = SK_UINT, DS_NAME("Service"), .size = 1, .comment = ds_c_cse_service},
    F_CHOICE("ServiceError", DS_ALT(0, F_ENUM("ApplicationReference", DS_CSE_APPLICATION_REFERENCE)),
             DS_ALT(1, F_ENUM("HardwareResource", DS_CSE_HARDWARE_RESOURCE)),
             DS_ALT(2, F_ENUM("VdeStateError", DS_CSE_VDE_STATE)),
             DS_ALT(3, F_ENUM("Service", DS_CSE_SERVICE_ERR)), DS_ALT(4, F_ENUM("Definition", DS_CSE_DEFINITION)),
             DS_ALT(5, F_ENUM("Access", DS_CSE_ACCESS)), DS_ALT(6, F_ENUM("Initiate", DS_CSE_INITIATE)),
             DS_ALT(7, F_ENUM("LoadDataSet", DS_CSE_LOAD_DATA_SET)),
             DS_ALT(8, F_ENUM("ChangeScope", DS_CSE_OTHER_ONLY)), DS_ALT(9, F_ENUM("Task", DS_CSE_TASK)),
             DS_ALT(10, F_ENUM("OtherError", DS_CSE_OTHER_ONLY))));

/* ---- initiate ---------------------------------------------------------------------------------- */

static const ds_field INITIATE_REQUEST =
    F_GROUP("InitiateRequest", F_OPTIONAL({.kind = SK_OCTETS, DS_NAME("DedicatedKey"), .observe = DS_OBS_DEDICATED_KEY}), F_OPTIONAL(F_U8("ResponseAllowed")),
            F_OPTIONAL(F_DEC8("ProposedQualityOfService")), F_U8("ProposedDlmsVersionNumber"),
            {.kind = SK_CONFORMANCE, DS_NAME("ProposedConformance"), .observe = DS_OBS_PROPOSED_CONFORMANCE},
            {.kind = SK_UINT, DS_NAME("ProposedMaxPduSize"), .size = 2, .observe = DS_OBS_PROPOSED_MAX_PDU});

static const ds_field INITIATE_RESPONSE =
    F_GROUP("InitiateResponse", F_OPTIONAL(F_U8("NegotiatedQualityOfService")), F_U8("NegotiatedDlmsVersionNumber"),
            {.kind = SK_CONFORMANCE, DS_NAME("NegotiatedConformance"), .observe = DS_OBS_NEGOTIATED_CONFORMANCE},
            {.kind = SK_UINT, DS_NAME("NegotiatedMaxPduSize"), .size = 2, .observe = DS_OBS_NEGOTIATED_MAX_PDU},
            F_U16("VaaName"));

/* ---- short-name services ------------------------------------------------------------------------ */

#define VARIABLE_NAME {.kind = SK_UINT, DS_NAME("VariableName"), .size = 2, .fmt = NF_HEX_ALWAYS}
#define PARAMETERISED_ACCESS \
    F_GROUP("ParameterisedAccess", VARIABLE_NAME, F_U8("Selector"), F_GROUP("Parameter", F_DATA))

static const ds_field READ_REQUEST = F_SEQ_OF(
    "ReadRequest",
    F_CHOICE(NULL, DS_ALT(2, VARIABLE_NAME), DS_ALT(4, PARAMETERISED_ACCESS),
             DS_ALT(5, F_GROUP("BlockNumberAccess", F_U16("BlockNumber"))),
             DS_ALT(6, F_GROUP("ReadDataBlockAccess", F_U8("LastBlock"), F_U16("BlockNumber"), RAW_DATA))));

static const ds_field READ_RESPONSE = F_SEQ_OF(
    "ReadResponse",
    F_CHOICE(NULL, GET_DATA_RESULT,
             DS_ALT(2, F_GROUP("DataBlockResult", F_U8("LastBlock"), F_U16("BlockNumber"), RAW_DATA)),
             DS_ALT(3, F_U16("BlockNumber"))));

#define WRITE_VARIABLES                                                                                  \
    F_SEQ_OF("ListOfVariableAccessSpecification",                                                        \
             F_CHOICE(NULL, DS_ALT(2, VARIABLE_NAME), DS_ALT(4, PARAMETERISED_ACCESS),                   \
                      DS_ALT(7, F_GROUP("WriteDataBlockAccess", F_U8("LastBlock"), F_U16("BlockNumber"))))), \
        F_SEQ_OF("ListOfData", F_DATA)

static const ds_field WRITE_REQUEST = F_GROUP("WriteRequest", WRITE_VARIABLES);
static const ds_field UNCONFIRMED_WRITE_REQUEST = F_GROUP("UnconfirmedWriteRequest", WRITE_VARIABLES);

static const ds_field WRITE_RESPONSE = F_SEQ_OF(
    "WriteResponse", F_CHOICE(NULL, DS_ALT(0, F_BARE("Success")),
                              DS_ALT(1, F_ENUM("DataAccessError", DS_DATA_ACCESS_RESULT)),
                              DS_ALT(2, F_U16("BlockNumber"))));

static const ds_field INFORMATION_REPORT = F_GROUP(
    "InformationReportRequest", F_OPTIONAL(DATE_TIME_OCTETS("CurrentTime")),
    F_SEQ_OF("ListOfVariableAccessSpecification", F_CHOICE(NULL, DS_ALT(2, VARIABLE_NAME))),
    F_SEQ_OF("ListOfData", F_DATA));

/* ---- ciphered APDUs (shown ciphered; decryption is the security layer's) -------------------------- */

#define CIPHERED(nm) {.kind = SK_OCTETS, DS_NAME(nm), .len_error = DS_D_APDU_TRUNCATED, .comment = ds_c_ciphered}
#define SYSTEM_TITLE {.kind = SK_OCTETS, DS_NAME("SystemTitle"), .comment = ds_c_system_title}

static const ds_field GENERAL_GLO_CIPHERING = F_GROUP("GeneralGloCiphering", SYSTEM_TITLE, CIPHERED("CipheredService"));
static const ds_field GENERAL_DED_CIPHERING = F_GROUP("GeneralDedCiphering", SYSTEM_TITLE, CIPHERED("CipheredService"));

#define GENERAL_HEADER                                                                           \
    F_OCTETS("TransactionId"), F_OCTETS("OriginatorSystemTitle"), F_OCTETS("RecipientSystemTitle"), \
        DATE_TIME_OCTETS("DateTime"), F_OCTETS("OtherInformation")

static const ds_field GENERAL_CIPHERING = F_GROUP(
    "GeneralCiphering", GENERAL_HEADER,
    F_OPTIONAL(F_CHOICE("KeyInfo", DS_ALT(0, F_GROUP("IdentifiedKey", F_ENUM("KeyId", DS_KEY_ID))),
                        DS_ALT(1, F_GROUP("WrappedKey", F_U8("KekId"), F_OCTETS("KeyCipheredData"))),
                        DS_ALT(2, F_GROUP("AgreedKey", F_OCTETS("KeyParameters"), F_OCTETS("KeyCipheredData"))))),
    CIPHERED("CipheredContent"));

static const ds_field GENERAL_SIGNING =
    F_GROUP("GeneralSigning", GENERAL_HEADER, F_OCTETS("Content"), F_OCTETS("Signature"));

/* ---- dispatch by tag, from the one list of tags ---------------------------------------------------- */

/* A ciphered form's layout is its content as one octet string, named as Gurux names the element. */
#define CIPHERED_FORMS(tag, gn, dn, g, d) \
    [(tag) + (g)] = &(const ds_field)CIPHERED(gn), [(tag) + (d)] = &(const ds_field)CIPHERED(dn),
#define APDU_LN(tag, name, layout, gn, dn, role, conf, ans, ansd) \
    [tag] = &layout, CIPHERED_FORMS(tag, gn, dn, DS_APDU_LN_GLO_STEP, DS_APDU_LN_DED_STEP)
#define APDU_SN(tag, name, layout, gn, dn, role, conf, ans, ansd) \
    [tag] = &layout, CIPHERED_FORMS(tag, gn, dn, DS_APDU_SN_GLO_STEP, DS_APDU_SN_DED_STEP)
#define APDU_PLAIN(tag, name, layout, role, conf, ans, ansd) [tag] = &layout,
#define APDU_ACSE(tag, name, layout, role, conf, ans, ansd) /* pdu_acse.c */
#define APDU_CARRIER(tag, name, layout, prot) [tag] = &layout,

static const ds_field *const XDLMS[256] = {
#include "apdu/apdu_list.h"
};

const ds_field *ds_xdlms_lookup(uint8_t tag)
{
    return XDLMS[tag];
}
