/* Enumerations shared by the PDU descriptions (Gurux spellings). */
#ifndef DS_APDU_ENUMS_H
#define DS_APDU_ENUMS_H

#include "apdu/schema.h"

extern const ds_enum DS_DATA_ACCESS_RESULT[];
extern const ds_enum DS_ACTION_RESULT[];
extern const ds_enum DS_STATE_ERROR[];
extern const ds_enum DS_EXCEPTION_SERVICE_ERROR[];
extern const ds_enum DS_RELEASE_REQUEST_REASON[];
extern const ds_enum DS_RELEASE_RESPONSE_REASON[];
extern const ds_enum DS_APPLICATION_CONTEXT[];
extern const ds_enum DS_MECHANISM[];
extern const ds_enum DS_ASSOCIATION_RESULT[];
extern const ds_enum DS_ACSE_USER_DIAG[];
extern const ds_enum DS_ACSE_PROVIDER_DIAG[];
extern const ds_enum DS_CSE_SERVICE[];
/* ConfirmedServiceError: error values per class 0..10 */
extern const ds_enum DS_CSE_APPLICATION_REFERENCE[];
extern const ds_enum DS_CSE_HARDWARE_RESOURCE[];
extern const ds_enum DS_CSE_VDE_STATE[];
extern const ds_enum DS_CSE_SERVICE_ERR[];
extern const ds_enum DS_CSE_DEFINITION[];
extern const ds_enum DS_CSE_ACCESS[];
extern const ds_enum DS_CSE_INITIATE[];
extern const ds_enum DS_CSE_LOAD_DATA_SET[];
extern const ds_enum DS_CSE_OTHER_ONLY[];
extern const ds_enum DS_CSE_TASK[];
extern const ds_enum DS_KEY_ID[];
/* Conformance bit names by bit number (bit 0 = most significant bit of the 24). */
extern const char *const DS_CONFORMANCE_BITS[24];

#endif
