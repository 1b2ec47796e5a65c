/* Enumeration spellings. Element values follow the Gurux dialect (GURUX-XML.md
 * §6) so output compares with GXDLMSDirector; numbers without a spelling are
 * written as numbers by the walker. */
#include "apdu/enums.h"

const ds_enum DS_DATA_ACCESS_RESULT[] = {
    {0, "Success"}, {1, "HardwareFault"}, {2, "TemporaryFailure"}, {3, "ReadWriteDenied"},
    {4, "UndefinedObject"}, {9, "InconsistentClass"}, {11, "UnavailableObject"}, {12, "UnmatchedType"},
    {13, "AccessViolated"}, {14, "DataBlockUnavailable"}, {15, "LongGetOrReadAborted"},
    {16, "NoLongGetOrReadInProgress"}, {17, "LongSetOrWriteAborted"}, {18, "NoLongSetOrWriteInProgress"},
    {19, "DataBlockNumberInvalid"}, {250, "OtherReason"}, {0, NULL}};

/* Action-Result shares 0..14 and 250; 15/16 are long-action aborted / not in progress,
 * written with the GetOrRead names as Gurux does. */
const ds_enum DS_ACTION_RESULT[] = {
    {0, "Success"}, {1, "HardwareFault"}, {2, "TemporaryFailure"}, {3, "ReadWriteDenied"},
    {4, "UndefinedObject"}, {9, "InconsistentClass"}, {11, "UnavailableObject"}, {12, "UnmatchedType"},
    {13, "AccessViolated"}, {14, "DataBlockUnavailable"}, {15, "LongGetOrReadAborted"},
    {16, "NoLongGetOrReadInProgress"}, {250, "OtherReason"}, {0, NULL}};

const ds_enum DS_STATE_ERROR[] = {{1, "ServiceNotAllowed"}, {2, "ServiceUnknown"}, {0, NULL}};

const ds_enum DS_EXCEPTION_SERVICE_ERROR[] = {
    {1, "OperationNotPossible"}, {2, "ServiceNotSupported"}, {3, "OtherReason"}, {4, "PduTooLong"},
    {5, "DecipheringError"}, {6, "InvocationCounterError"}, {0, NULL}};

const ds_enum DS_RELEASE_REQUEST_REASON[] = {{0, "Normal"}, {1, "Urgent"}, {30, "UserDefined"}, {0, NULL}};
const ds_enum DS_RELEASE_RESPONSE_REASON[] = {{0, "Normal"}, {1, "NotFinished"}, {30, "UserDefined"}, {0, NULL}};

const ds_enum DS_APPLICATION_CONTEXT[] = {
    {1, "LN"}, {2, "SN"}, {3, "LN_WITH_CIPHERING"}, {4, "SN_WITH_CIPHERING"}, {0, NULL}};

const ds_enum DS_MECHANISM[] = {
    {0, "None"}, {1, "Low"}, {2, "High"}, {3, "HighMd5"}, {4, "HighSha1"}, {5, "HighGmac"},
    {6, "HighSha256"}, {7, "HighEcdsa"}, {0, NULL}};

/* For comments only: AssociationResult and ACSEServiceUser are numbers in the dialect. */
const ds_enum DS_ASSOCIATION_RESULT[] = {
    {0, "accepted"}, {1, "rejected-permanent"}, {2, "rejected-transient"}, {0, NULL}};

const ds_enum DS_ACSE_USER_DIAG[] = {
    {0, "null"}, {1, "no-reason-given"}, {2, "application-context-name-not-supported"},
    {3, "calling-AP-title-not-recognized"}, {4, "calling-AP-invocation-identifier-not-recognized"},
    {5, "calling-AE-qualifier-not-recognized"}, {6, "calling-AE-invocation-identifier-not-recognized"},
    {7, "called-AP-title-not-recognized"}, {8, "called-AP-invocation-identifier-not-recognized"},
    {9, "called-AE-qualifier-not-recognized"}, {10, "called-AE-invocation-identifier-not-recognized"},
    {11, "authentication-mechanism-name-not-recognised"}, {12, "authentication-mechanism-name-required"},
    {13, "authentication-failure"}, {14, "authentication-required"}, {0, NULL}};

const ds_enum DS_ACSE_PROVIDER_DIAG[] = {
    {0, "null"}, {1, "no-reason-given"}, {2, "no-common-acse-version"}, {0, NULL}};

/* For comments: the service whose failure a ConfirmedServiceError reports. */
const ds_enum DS_CSE_SERVICE[] = {
    {1, "initiateError"}, {2, "getStatus"}, {3, "getNameList"}, {4, "getVariableAttribute"}, {5, "read"},
    {6, "write"}, {7, "getDataSetAttribute"}, {8, "getTIAttribute"}, {9, "changeScope"}, {10, "start"},
    {11, "stop"}, {12, "resume"}, {13, "makeUsable"}, {14, "initiateLoad"}, {15, "loadSegment"},
    {16, "terminateLoad"}, {17, "initiateUpLoad"}, {18, "upLoadSegment"}, {19, "terminateUpLoad"},
    {0, NULL}};

const ds_enum DS_CSE_APPLICATION_REFERENCE[] = {
    {0, "Other"}, {1, "TimeElapsed"}, {2, "ApplicationUnreachable"}, {3, "ApplicationReferenceInvalid"},
    {4, "ApplicationContextUnsupported"}, {5, "ProviderCommunicationError"}, {6, "DecipheringError"},
    {0, NULL}};
const ds_enum DS_CSE_HARDWARE_RESOURCE[] = {
    {0, "Other"}, {1, "MemoryUnavailable"}, {2, "ProcessorResourceUnavailable"},
    {3, "MassStorageUnavailable"}, {4, "OtherResourceUnavailable"}, {0, NULL}};
const ds_enum DS_CSE_VDE_STATE[] = {
    {0, "Other"}, {1, "NoDlmsContext"}, {2, "LoadingDataSet"}, {3, "StatusNochange"},
    {4, "StatusInoperable"}, {0, NULL}};
const ds_enum DS_CSE_SERVICE_ERR[] = {{0, "Other"}, {1, "PduSize"}, {2, "ServiceUnsupported"}, {0, NULL}};
const ds_enum DS_CSE_DEFINITION[] = {
    {0, "Other"}, {1, "ObjectUndefined"}, {2, "ObjectClassInconsistent"}, {3, "ObjectAttributeInconsistent"},
    {0, NULL}};
const ds_enum DS_CSE_ACCESS[] = {
    {0, "Other"}, {1, "ScopeOfAccessViolated"}, {2, "ObjectAccessInvalid"}, {3, "HardwareFault"},
    {4, "ObjectUnavailable"}, {0, NULL}};
const ds_enum DS_CSE_INITIATE[] = {
    {0, "Other"}, {1, "DlmsVersionTooLow"}, {2, "IncompatibleConformance"}, {3, "PduSizeTooShort"},
    {4, "RefusedByTheVDEHandler"}, {0, NULL}};
const ds_enum DS_CSE_LOAD_DATA_SET[] = {
    {0, "Other"}, {1, "PrimitiveOutOfSequence"}, {2, "NotLoadable"}, {3, "DatasetSizeTooLarge"},
    {4, "NotAwaitedSegment"}, {5, "InterpretationFailure"}, {6, "StorageFailure"}, {7, "DataSetNotReady"},
    {0, NULL}};
const ds_enum DS_CSE_OTHER_ONLY[] = {{0, "Other"}, {0, NULL}};
const ds_enum DS_CSE_TASK[] = {
    {0, "Other"}, {1, "NoRemoteControl"}, {2, "tiStopped"}, {3, "tiRunning"}, {4, "tiUnusable"}, {0, NULL}};

const ds_enum DS_KEY_ID[] = {{0, "GlobalUnicastEncryptionKey"}, {1, "GlobalBroadcastEncryptionKey"}, {0, NULL}};

const char *const DS_CONFORMANCE_BITS[24] = {
    "ReservedZero", "GeneralProtection", "GeneralBlockTransfer", "Read", "Write", "UnconfirmedWrite",
    "DeltaValueEncoding", "ReservedSeven", "Attribute0SupportedWithSet", "PriorityMgmtSupported",
    "Attribute0SupportedWithGet", "BlockTransferWithGetOrRead", "BlockTransferWithSetOrWrite",
    "BlockTransferWithAction", "MultipleReferences", "InformationReport", "DataNotification", "Access",
    "ParameterizedAccess", "Get", "Set", "SelectiveAccess", "EventNotification", "Action"};
