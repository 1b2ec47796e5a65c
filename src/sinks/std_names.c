/* Gurux-dialect <-> IEC 62056 standard XML names: the one table both directions use.
 *
 * Sources for the standard spellings:
 *  - the ASN.1 of the Green Book COSEMpdu (xDLMS-APDU, Data CHOICE, Get/Set/Action-Request and
 *    -Response, Data-Access-Result, Action-Result, ServiceError, Conformance), as transcribed in
 *    the jDLMS project (asn1/cosem/cosem.asn), with the current edition's spellings where they
 *    differ (Data: boolean, long, enum; Conformance: reserved-zero, general-protection,
 *    general-block-transfer, delta-value-encoding, block-transfer-with-get-or-read ...);
 *  - the ACSE ASN.1 (ISO 8650 / X.227 AARQ-apdu, AARE-apdu, RLRQ-apdu, RLRE-apdu field names);
 *  - the tag table of Gurux's STANDARD_XML translator mode (Gurux.DLMS.Net
 *    TranslatorStandardTags.cs) as a cross-check of spellings and of value conventions.
 * Rows marked DS_STD_DERIVED had no spelling in those sources (our own extensions, or ASN.1
 * types without a field name): they follow the kebab-case rule, and SEQUENCE OF items use the
 * ASN.1 type name (Cosem-Attribute-Descriptor-With-Selection), as XER does. The fields of
 * access-request/-response, data-notification, general-block-transfer, general-ciphering and
 * general-signing are the Green Book (ed. 9) ASN.1 field names as recalled; the transcription
 * above predates them and Gurux spells several in its own way, so they were not cross-checked
 * against a text. The xDLMS CHOICE names keep the ASN.1's mixed style (initiateRequest,
 * glo-initiateRequest, confirmedServiceError next to get-request, glo-get-request).
 *
 * Values (checked against Gurux's standard output, e.g. invoke-id-and-priority 193, class-id 1,
 * instance-id 00006001FEFF, octet-string EF06): integers are decimal element text, octet
 * strings (instance-id, octet-string, raw-data, date-time ...) are hex. So the standard sink is
 * fed by the decoder in decimal mode, and encode reads the standard XML in decimal mode.
 * Enumerations are element text in their ASN.1 spelling (hardware-fault); booleans true/false;
 * the application context and mechanism names are written as dotted object identifiers, which is
 * what they are in the ASN.1.
 *
 * The element STRUCTURE stays that of our dialect: the adapters rename, they do not regroup.
 * Known differences from the ASN.1 nesting: action-response-normal has result/return-parameters
 * directly (no single-response), user-information is not shown (the nested initiateRequest is),
 * authentication values hold the charstring directly, Action-Result 15/16 are written with the
 * Data-Access-Result spellings (long-get-aborted) because our enumeration shares them.
 *
 * Ambiguities on the standard side are resolved by the parent (the `parent` column) or by a
 * distinct spelling: DataAccessResult (items of result lists and the DataBlock-G alternative) is
 * "Data-Access-Result", DataAccessError (the Get-Data-Result alternative) "data-access-result". */
#include "sinks/std_names.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#define V DS_STD_VALUE
#define E (DS_STD_VALUE | DS_STD_ENUM)
#define D DS_STD_DERIVED

/* Rows with a parent come before the general row of the same standard name. */
static const ds_std_name NAMES[] = {
    /* ---- xDLMS APDUs ---- */
    {"GetRequest", "get-request", 0, NULL},
    {"GetRequestNormal", "get-request-normal", 0, NULL},
    {"GetRequestForNextDataBlock", "get-request-next", 0, NULL},
    {"GetRequestWithList", "get-request-with-list", 0, NULL},
    {"GetResponse", "get-response", 0, NULL},
    {"GetResponseNormal", "get-response-normal", 0, NULL},
    {"GetResponsewithDataBlock", "get-response-with-datablock", 0, NULL},
    {"GetResponseWithList", "get-response-with-list", 0, NULL},
    {"SetRequest", "set-request", 0, NULL},
    {"SetRequestNormal", "set-request-normal", 0, NULL},
    {"SetRequestFirstDataBlock", "set-request-with-first-datablock", 0, NULL},
    {"SetRequestWithDataBlock", "set-request-with-datablock", 0, NULL},
    {"SetRequestWithList", "set-request-with-list", 0, NULL},
    {"SetRequestWithListAndFirstDataBlock", "set-request-with-list-and-first-datablock", 0, NULL},
    {"SetResponse", "set-response", 0, NULL},
    {"SetResponseNormal", "set-response-normal", 0, NULL},
    {"SetResponseDataBlock", "set-response-datablock", 0, NULL},
    {"SetResponseWithLastDataBlock", "set-response-last-datablock", 0, NULL},
    {"SetResponseLastDataBlockWithList", "set-response-last-datablock-with-list", 0, NULL},
    {"SetResponseWithList", "set-response-with-list", 0, NULL},
    {"ActionRequest", "action-request", 0, NULL},
    {"ActionRequestNormal", "action-request-normal", 0, NULL},
    {"ActionRequestForNextDataBlock", "action-request-next-pblock", 0, NULL},
    {"ActionRequestWithList", "action-request-with-list", 0, NULL},
    {"ActionRequestWithFirstBlock", "action-request-with-first-pblock", 0, NULL},
    {"ActionRequestWithListAndFirstBlock", "action-request-with-list-and-first-pblock", 0, NULL},
    {"ActionRequestWithBlock", "action-request-with-pblock", 0, NULL},
    {"ActionResponse", "action-response", 0, NULL},
    {"ActionResponseNormal", "action-response-normal", 0, NULL},
    {"ActionResponseWithPBlock", "action-response-with-pblock", 0, NULL},
    {"ActionResponseWithList", "action-response-with-list", 0, NULL},
    {"ActionResponseNextBlock", "action-response-next-pblock", 0, NULL},
    {"ActionResponseWithOptionalData", "Action-Response-With-Optional-Data", D, NULL},
    {"EventNotificationRequest", "event-notification-request", 0, NULL},
    {"DataNotification", "data-notification", 0, NULL},
    {"AccessRequest", "access-request", 0, NULL},
    {"AccessResponse", "access-response", 0, NULL},
    {"GeneralBlockTransfer", "general-block-transfer", 0, NULL},
    {"ExceptionResponse", "exception-response", 0, NULL},
    {"ConfirmedServiceError", "confirmedServiceError", 0, NULL},
    {"InitiateRequest", "initiateRequest", 0, NULL},
    {"InitiateResponse", "initiateResponse", 0, NULL},
    {"ReadRequest", "readRequest", 0, NULL},
    {"ReadResponse", "readResponse", 0, NULL},
    {"WriteRequest", "writeRequest", 0, NULL},
    {"WriteResponse", "writeResponse", 0, NULL},
    {"UnconfirmedWriteRequest", "unconfirmedWriteRequest", 0, NULL},
    {"InformationReportRequest", "informationReportRequest", 0, NULL},
    {"GeneralGloCiphering", "general-glo-ciphering", 0, NULL},
    {"GeneralDedCiphering", "general-ded-ciphering", 0, NULL},
    {"GeneralCiphering", "general-ciphering", 0, NULL},
    {"GeneralSigning", "general-signing", 0, NULL},
    /* ciphered APDUs: the ciphered bytes are the element's (hex) text */
    {"glo_GetRequest", "glo-get-request", V, NULL},
    {"glo_SetRequest", "glo-set-request", V, NULL},
    {"glo_EventNotificationRequest", "glo-event-notification-request", V, NULL},
    {"glo_ActionRequest", "glo-action-request", V, NULL},
    {"glo_GetResponse", "glo-get-response", V, NULL},
    {"glo_SetResponse", "glo-set-response", V, NULL},
    {"glo_ActionResponse", "glo-action-response", V, NULL},
    {"glo_InitiateRequest", "glo-initiateRequest", V, NULL},
    {"glo_ReadRequest", "glo-readRequest", V, NULL},
    {"glo_WriteRequest", "glo-writeRequest", V, NULL},
    {"glo_InitiateResponse", "glo-initiateResponse", V, NULL},
    {"glo_ReadResponse", "glo-readResponse", V, NULL},
    {"glo_WriteResponse", "glo-writeResponse", V, NULL},
    {"glo_GloConfirmedServiceError", "glo-confirmedServiceError", V, NULL},
    {"glo_UnconfirmedWriteRequest", "glo-unconfirmedWriteRequest", V, NULL},
    {"glo_InformationReportRequest", "glo-informationReportRequest", V, NULL},
    {"ded_GetRequest", "ded-get-request", V, NULL},
    {"ded_SetRequest", "ded-set-request", V, NULL},
    {"ded_EventNotificationRequest", "ded-event-notification-request", V, NULL},
    {"ded_ActionRequest", "ded-action-request", V, NULL},
    {"ded_GetResponse", "ded-get-response", V, NULL},
    {"ded_SetResponse", "ded-set-response", V, NULL},
    {"ded_ActionResponse", "ded-action-response", V, NULL},
    {"ded_InitiateRequest", "ded-initiateRequest", V, NULL},
    {"ded_ReadRequest", "ded-readRequest", V, NULL},
    {"ded_WriteRequest", "ded-writeRequest", V, NULL},
    {"ded_InitiateResponse", "ded-initiateResponse", V, NULL},
    {"ded_ReadResponse", "ded-readResponse", V, NULL},
    {"ded_WriteResponse", "ded-writeResponse", V, NULL},
    {"ded_GloConfirmedServiceError", "ded-confirmedServiceError", V, NULL},
    {"ded_UnconfirmedWriteRequest", "ded-unconfirmedWriteRequest", V, NULL},
    {"ded_InformationReportRequest", "ded-informationReportRequest", V, NULL},

    /* ---- ACSE ---- */
    {"AssociationRequest", "aarq", 0, NULL},
    {"AssociationResponse", "aare", 0, NULL},
    {"ReleaseRequest", "rlrq", 0, NULL},
    {"ReleaseResponse", "rlre", 0, NULL},
    {"ProtocolVersion", "protocol-version", V, NULL},
    {"ApplicationContextName", "application-context-name", E, NULL},
    {"CalledAPTitle", "called-AP-title", V, NULL},
    {"CalledAEQualifier", "called-AE-qualifier", V, NULL},
    {"CalledAPInvocationId", "called-AP-invocation-identifier", V, NULL},
    {"CalledAEInvocationId", "called-AE-invocation-identifier", V, NULL},
    {"CallingAPTitle", "calling-AP-title", V, NULL},
    {"CallingAEQualifier", "calling-AE-qualifier", V, NULL},
    {"CallingApInvocationId", "calling-AP-invocation-identifier", V, NULL},
    {"CallingAEInvocationId", "calling-AE-invocation-identifier", V, NULL},
    {"SenderACSERequirements", "sender-acse-requirements", V, NULL},
    {"MechanismName", "mechanism-name", E, NULL},
    {"CallingAuthentication", "calling-authentication-value", V, NULL},
    {"CallingAuthenticationBits", "calling-authentication-value-bitstring", V | D, NULL},
    {"ImplementationInformation", "implementation-information", V, NULL},
    {"AssociationResult", "result", V, "AssociationResponse"},
    {"ResultSourceDiagnostic", "result-source-diagnostic", 0, NULL},
    {"ACSEServiceUser", "acse-service-user", V, NULL},
    {"ACSEServiceProvider", "acse-service-provider", V, NULL},
    {"RespondingAPTitle", "responding-AP-title", V, NULL},
    {"RespondingAEQualifier", "responding-AE-qualifier", V, NULL},
    {"RespondingAPInvocationId", "responding-AP-invocation-identifier", V, NULL},
    {"RespondingAEInvocationId", "responding-AE-invocation-identifier", V, NULL},
    {"ResponderACSERequirement", "responder-acse-requirements", V, NULL},
    {"RespondingAuthentication", "responding-authentication-value", V, NULL},
    {"RespondingAuthenticationBits", "responding-authentication-value-bitstring", V | D, NULL},
    {"Reason", "reason", E, NULL},

    /* ---- initiate ---- */
    {"DedicatedKey", "dedicated-key", V, NULL},
    {"ResponseAllowed", "response-allowed", V, NULL},
    {"ProposedQualityOfService", "proposed-quality-of-service", V, NULL},
    {"ProposedDlmsVersionNumber", "proposed-dlms-version-number", V, NULL},
    {"ProposedConformance", "proposed-conformance", DS_STD_BITS, NULL},
    {"ProposedMaxPduSize", "client-max-receive-pdu-size", V, NULL},
    {"NegotiatedQualityOfService", "negotiated-quality-of-service", V, NULL},
    {"NegotiatedDlmsVersionNumber", "negotiated-dlms-version-number", V, NULL},
    {"NegotiatedConformance", "negotiated-conformance", DS_STD_BITS, NULL},
    {"NegotiatedMaxPduSize", "server-max-receive-pdu-size", V, NULL},
    {"VaaName", "vaa-name", V, NULL},

    /* ---- fields of the LN services ---- */
    {"InvokeIdAndPriority", "invoke-id-and-priority", V, NULL},
    {"LongInvokeIdAndPriority", "long-invoke-id-and-priority", V, NULL},
    {"AttributeDescriptor", "cosem-attribute-descriptor", 0, NULL},
    {"MethodDescriptor", "cosem-method-descriptor", 0, NULL},
    {"ClassId", "class-id", V, NULL},
    {"InstanceId", "instance-id", V, NULL},
    {"AttributeId", "attribute-id", V, NULL},
    {"MethodId", "method-id", V, NULL},
    {"AccessSelection", "access-selection", 0, NULL},
    {"AccessSelector", "access-selector", V, NULL},
    {"AccessParameters", "access-parameters", 0, NULL},
    {"AttributeDescriptorList", "attribute-descriptor-list", 0, NULL},
    {"AttributeDescriptorWithSelection", "Cosem-Attribute-Descriptor-With-Selection", 0, NULL},
    {"MethodDescriptorList", "cosem-method-descriptor-list", 0, NULL},
    {"MethodInvocationParameters", "method-invocation-parameters", 0, NULL},
    {"ReturnParameters", "return-parameters", 0, NULL},
    {"LastBlock", "last-block", V, NULL},
    {"BlockNumber", "block-number", V, NULL},
    {"RawData", "raw-data", V, NULL},
    {"DataBlock", "datablock", 0, NULL},
    {"PBlock", "pblock", 0, NULL},
    {"Data", "data", 0, NULL},
    /* Result: a container (Get-Data-Result, lists) or an enumeration leaf (set-response-normal) */
    {"Result", "result", DS_STD_ENUM, NULL},
    {"DataAccessError", "data-access-result", E, NULL},
    {"DataAccessResult", "Data-Access-Result", E | D, NULL},
    {"Value", "value", 0, NULL},
    {"ValueList", "value-list", 0, NULL},
    {"AttributeValue", "attribute-value", 0, NULL},
    {"NotificationBody", "notification-body", 0, NULL},
    {"DataValue", "data-value", 0, NULL},
    {"AccessRequestBody", "access-request-body", 0, NULL},
    {"AccessRequestSpecification", "access-request-specification", 0, NULL},
    {"_AccessRequestSpecification", "Access-Request-Specification", 0, NULL},
    {"AccessRequestGet", "access-request-get", 0, NULL},
    {"AccessRequestSet", "access-request-set", 0, NULL},
    {"AccessRequestAction", "access-request-action", 0, NULL},
    {"AccessRequestGetWithSelection", "access-request-get-with-selection", 0, NULL},
    {"AccessRequestSetWithSelection", "access-request-set-with-selection", 0, NULL},
    {"AccessRequestListOfData", "access-request-list-of-data", 0, NULL},
    {"AccessResponseBody", "access-response-body", 0, NULL},
    {"AccessResponseListOfData", "access-response-list-of-data", 0, NULL},
    {"AccessResponseSpecification", "access-response-specification", 0, NULL},
    {"_AccessResponseSpecification", "Access-Response-Specification", 0, NULL},
    {"AccessResponseGet", "access-response-get", 0, NULL},
    {"AccessResponseSet", "access-response-set", 0, NULL},
    {"AccessResponseAction", "access-response-action", 0, NULL},
    {"BlockControl", "block-control", V, NULL},
    {"BlockNumberAck", "block-number-ack", V, NULL},
    {"BlockData", "block-data", V, NULL},

    /* ---- errors ---- */
    {"StateError", "state-error", E, NULL},
    {"ServiceError", "service-error", DS_STD_ENUM, NULL},
    {"InvocationCounter", "invocation-counter", V | D, NULL},
    {"Service", "service", E, NULL},
    {"ApplicationReference", "application-reference", E, NULL},
    {"HardwareResource", "hardware-resource", E, NULL},
    {"VdeStateError", "vde-state-error", E, NULL},
    {"Definition", "definition", E, NULL},
    {"Access", "access", E, NULL},
    {"Initiate", "initiate", E, NULL},
    {"LoadDataSet", "load-data-set", E, NULL},
    {"ChangeScope", "change-scope", E | D, NULL},
    {"Task", "task", E, NULL},
    {"OtherError", "other", E | D, NULL},

    /* ---- short-name services ---- */
    {"VariableName", "variable-name", V, NULL},
    {"ParameterisedAccess", "parameterized-access", 0, NULL},
    {"Selector", "selector", V, NULL},
    {"Parameter", "parameter", 0, NULL},
    {"BlockNumberAccess", "block-number-access", 0, NULL},
    {"ReadDataBlockAccess", "read-data-block-access", 0, NULL},
    {"WriteDataBlockAccess", "write-data-block-access", 0, NULL},
    {"DataBlockResult", "data-block-result", 0, NULL},
    {"ListOfVariableAccessSpecification", "variable-access-specification", 0, NULL},
    {"ListOfData", "list-of-data", 0, NULL},
    {"Success", "success", 0, NULL},
    {"CurrentTime", "current-time", V, NULL},

    /* ---- ciphering and signing ---- */
    {"SystemTitle", "system-title", V, NULL},
    {"CipheredService", "ciphered-content", V, "GeneralGloCiphering"},
    {"CipheredService", "ciphered-content", V, "GeneralDedCiphering"},
    {"CipheredContent", "ciphered-content", V, NULL},
    {"TransactionId", "transaction-id", V, NULL},
    {"OriginatorSystemTitle", "originator-system-title", V, NULL},
    {"RecipientSystemTitle", "recipient-system-title", V, NULL},
    {"OtherInformation", "other-information", V, NULL},
    {"KeyInfo", "key-info", 0, NULL},
    {"IdentifiedKey", "identified-key", 0, NULL},
    {"KeyId", "key-id", E, NULL},
    {"WrappedKey", "wrapped-key", 0, NULL},
    {"KekId", "kek-id", V, NULL},
    {"KeyCipheredData", "key-ciphered-data", V, NULL},
    {"AgreedKey", "agreed-key", 0, NULL},
    {"KeyParameters", "key-parameters", V, NULL},
    {"Content", "content", V, NULL},
    {"Signature", "signature", V, NULL},

    /* ---- Data CHOICE ---- */
    {"None", "null-data", 0, NULL},
    {"Array", "array", 0, NULL},
    {"Structure", "structure", 0, NULL},
    {"Boolean", "boolean", E, NULL},
    {"BitString", "bit-string", V, NULL},
    {"Int32", "double-long", V, NULL},
    {"UInt32", "double-long-unsigned", V, NULL},
    {"OctetString", "octet-string", V, NULL},
    {"String", "visible-string", V, NULL},
    {"StringUTF8", "utf8-string", V, NULL},
    {"BCD", "bcd", V, NULL},
    {"Int8", "integer", V, NULL},
    {"Int16", "long", V, NULL},
    {"UInt8", "unsigned", V, NULL},
    {"UInt16", "long-unsigned", V, NULL},
    {"CompactArray", "compact-array", 0, NULL},
    {"ContentsDescription", "contents-description", DS_STD_DESC, NULL},
    {"ArrayContents", "array-contents", V, NULL},
    {"Row", "row", V | D, NULL},
    {"Int64", "long64", V, NULL},
    {"UInt64", "long64-unsigned", V, NULL},
    {"Enum", "enum", V, NULL},
    {"Float32", "float32", V, NULL},
    {"Float64", "float64", V, NULL},
    {"DateTime", "date-time", V, NULL},
    {"Date", "date", V, NULL},
    {"Time", "time", V, NULL},
    {"DontCare", "dont-care", 0, NULL},
};

#undef V
#undef E
#undef D

typedef struct value_pair {
    const char *gurux;
    const char *std;
    const char *element;  /* Gurux element name the row is limited to; NULL: any */
} value_pair;

/* Enumeration spellings of every DS_STD_ENUM element (src/apdu/enums.c), one table: a Gurux
 * spelling has the same meaning wherever it appears. */
static const value_pair VALUES[] = {
    /* Data-Access-Result (and Action-Result, which shares the spellings) */
    {"Success", "success", NULL}, {"HardwareFault", "hardware-fault", NULL}, {"TemporaryFailure", "temporary-failure", NULL},
    {"ReadWriteDenied", "read-write-denied", NULL}, {"UndefinedObject", "object-undefined", NULL},
    {"InconsistentClass", "object-class-inconsistent", NULL}, {"UnavailableObject", "object-unavailable", NULL},
    {"UnmatchedType", "type-unmatched", NULL}, {"AccessViolated", "scope-of-access-violated", NULL},
    {"DataBlockUnavailable", "data-block-unavailable", NULL}, {"LongGetOrReadAborted", "long-get-aborted", NULL},
    {"NoLongGetOrReadInProgress", "no-long-get-in-progress", NULL}, {"LongSetOrWriteAborted", "long-set-aborted", NULL},
    {"NoLongSetOrWriteInProgress", "no-long-set-in-progress", NULL},
    {"DataBlockNumberInvalid", "data-block-number-invalid", NULL}, {"OtherReason", "other-reason", NULL},
    /* EXCEPTION-Response */
    {"ServiceNotAllowed", "service-not-allowed", NULL}, {"ServiceUnknown", "service-unknown", NULL},
    {"OperationNotPossible", "operation-not-possible", NULL}, {"ServiceNotSupported", "service-not-supported", NULL},
    {"PduTooLong", "pdu-too-long", NULL}, {"DecipheringError", "deciphering-error", NULL},
    {"InvocationCounterError", "invocation-counter-error", NULL},
    /* RLRQ / RLRE reason */
    {"Normal", "normal", NULL}, {"Urgent", "urgent", NULL}, {"UserDefined", "user-defined", NULL}, {"NotFinished", "not-finished", NULL},
    /* application-context-name and mechanism-name: OBJECT IDENTIFIERs, each in its own element
     * (an application context field may carry a mechanism OID: it then stays dotted) */
    {"LN", "2.16.756.5.8.1.1", "ApplicationContextName"},
    {"SN", "2.16.756.5.8.1.2", "ApplicationContextName"},
    {"LN_WITH_CIPHERING", "2.16.756.5.8.1.3", "ApplicationContextName"},
    {"SN_WITH_CIPHERING", "2.16.756.5.8.1.4", "ApplicationContextName"},
    {"None", "2.16.756.5.8.2.0", "MechanismName"},
    {"Low", "2.16.756.5.8.2.1", "MechanismName"},
    {"High", "2.16.756.5.8.2.2", "MechanismName"},
    {"HighMd5", "2.16.756.5.8.2.3", "MechanismName"},
    {"HighSha1", "2.16.756.5.8.2.4", "MechanismName"},
    {"HighGmac", "2.16.756.5.8.2.5", "MechanismName"},
    {"HighSha256", "2.16.756.5.8.2.6", "MechanismName"},
    {"HighEcdsa", "2.16.756.5.8.2.7", "MechanismName"},
    /* ServiceError of ConfirmedServiceError */
    {"Other", "other", NULL}, {"TimeElapsed", "time-elapsed", NULL}, {"ApplicationUnreachable", "application-unreachable", NULL},
    {"ApplicationReferenceInvalid", "application-reference-invalid", NULL},
    {"ApplicationContextUnsupported", "application-context-unsupported", NULL},
    {"ProviderCommunicationError", "provider-communication-error", NULL}, {"MemoryUnavailable", "memory-unavailable", NULL},
    {"ProcessorResourceUnavailable", "processor-resource-unavailable", NULL},
    {"MassStorageUnavailable", "mass-storage-unavailable", NULL},
    {"OtherResourceUnavailable", "other-resource-unavailable", NULL}, {"NoDlmsContext", "no-dlms-context", NULL},
    {"LoadingDataSet", "loading-data-set", NULL}, {"StatusNochange", "status-nochange", NULL},
    {"StatusInoperable", "status-inoperable", NULL}, {"PduSize", "pdu-size", NULL}, {"ServiceUnsupported", "service-unsupported", NULL},
    /* these four share a spelling with Data-Access-Result: they apply inside their element only */
    {"ObjectUndefined", "object-undefined", "Definition"},
    {"ObjectClassInconsistent", "object-class-inconsistent", "Definition"},
    {"ScopeOfAccessViolated", "scope-of-access-violated", "Access"},
    {"ObjectUnavailable", "object-unavailable", "Access"},
    {"ObjectAttributeInconsistent", "object-attribute-inconsistent", NULL}, {"ObjectAccessInvalid", "object-access-invalid", NULL},
    {"DlmsVersionTooLow", "dlms-version-too-low", NULL},
    {"IncompatibleConformance", "incompatible-conformance", NULL}, {"PduSizeTooShort", "pdu-size-too-short", NULL},
    {"RefusedByTheVDEHandler", "refused-by-the-VDE-Handler", NULL},
    {"PrimitiveOutOfSequence", "primitive-out-of-sequence", NULL}, {"NotLoadable", "not-loadable", NULL},
    {"DatasetSizeTooLarge", "dataset-size-too-large", NULL}, {"NotAwaitedSegment", "not-awaited-segment", NULL},
    {"InterpretationFailure", "interpretation-failure", NULL}, {"StorageFailure", "storage-failure", NULL},
    {"DataSetNotReady", "data-set-not-ready", NULL}, {"NoRemoteControl", "no-remote-control", NULL},
    {"tiStopped", "ti-stopped", NULL}, {"tiRunning", "ti-running", NULL}, {"tiUnusable", "ti-unusable", NULL},
    /* general-ciphering key-id */
    {"GlobalUnicastEncryptionKey", "global-unicast-encryption-key", NULL},
    {"GlobalBroadcastEncryptionKey", "global-broadcast-encryption-key", NULL},
    /* booleans */
    {"True", "true", NULL}, {"False", "false", NULL},
};

/* Conformance named bits, bit 0 (reserved-zero) to bit 23 (action). */
static const value_pair BITS[] = {
    {"ReservedZero", "reserved-zero", NULL}, {"GeneralProtection", "general-protection", NULL},
    {"GeneralBlockTransfer", "general-block-transfer", NULL}, {"Read", "read", NULL}, {"Write", "write", NULL},
    {"UnconfirmedWrite", "unconfirmed-write", NULL}, {"DeltaValueEncoding", "delta-value-encoding", NULL},
    {"ReservedSeven", "reserved-seven", NULL}, {"Attribute0SupportedWithSet", "attribute0-supported-with-set", NULL},
    {"PriorityMgmtSupported", "priority-mgmt-supported", NULL}, {"Attribute0SupportedWithGet", "attribute0-supported-with-get", NULL},
    {"BlockTransferWithGetOrRead", "block-transfer-with-get-or-read", NULL},
    {"BlockTransferWithSetOrWrite", "block-transfer-with-set-or-write", NULL},
    {"BlockTransferWithAction", "block-transfer-with-action", NULL}, {"MultipleReferences", "multiple-references", NULL},
    {"InformationReport", "information-report", NULL}, {"DataNotification", "data-notification", NULL}, {"Access", "access", NULL},
    {"ParameterizedAccess", "parameterized-access", NULL}, {"Get", "get", NULL}, {"Set", "set", NULL},
    {"SelectiveAccess", "selective-access", NULL}, {"EventNotification", "event-notification", NULL}, {"Action", "action", NULL},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const ds_std_name *ds_std_by_gurux(const char *gurux)
{
    if (!gurux) return NULL;
    for (size_t i = 0; i < COUNT(NAMES); i++)
        if (strcmp(NAMES[i].gurux, gurux) == 0) return &NAMES[i];
    return NULL;
}

static int parent_fits(const ds_std_name *row, const char *gurux_parent)
{
    return !row->parent || (gurux_parent && strcmp(row->parent, gurux_parent) == 0);
}

const ds_std_name *ds_std_by_std(const char *std, const char *gurux_parent)
{
    if (!std) return NULL;
    /* exact spelling first: "Data-Access-Result" and "data-access-result" are different rows */
    for (size_t i = 0; i < COUNT(NAMES); i++)
        if (strcmp(NAMES[i].std, std) == 0 && parent_fits(&NAMES[i], gurux_parent)) return &NAMES[i];
    for (size_t i = 0; i < COUNT(NAMES); i++)
        if (strcasecmp(NAMES[i].std, std) == 0 && parent_fits(&NAMES[i], gurux_parent)) return &NAMES[i];
    return NULL;
}

/* Pass 0: rows limited to `element`; pass 1: general rows, exact; pass 2: general rows, any case. */
static const char *pair_lookup(const value_pair *t, size_t n, const char *key, int from_std, const char *element)
{
    if (!key) return NULL;
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < n; i++) {
            const char *k = from_std ? t[i].std : t[i].gurux;
            if (pass == 0 && !(t[i].element && element && strcmp(t[i].element, element) == 0)) continue;
            if (pass > 0 && t[i].element) continue;
            if ((pass < 2 ? strcmp(k, key) : strcasecmp(k, key)) == 0) return from_std ? t[i].gurux : t[i].std;
        }
    }
    return NULL;
}

const char *ds_std_value_to_std(const char *gurux_value, const char *element)
{
    return pair_lookup(VALUES, COUNT(VALUES), gurux_value, 0, element);
}

const char *ds_std_value_to_gurux(const char *std_value, const char *element)
{
    return pair_lookup(VALUES, COUNT(VALUES), std_value, 1, element);
}

const char *ds_std_bit_to_std(const char *gurux_bit) { return pair_lookup(BITS, COUNT(BITS), gurux_bit, 0, NULL); }
const char *ds_std_bit_to_gurux(const char *std_bit) { return pair_lookup(BITS, COUNT(BITS), std_bit, 1, NULL); }
