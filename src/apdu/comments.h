/* Comment writers attached to PDU fields (see ds_comment_fn). */
#ifndef DS_APDU_COMMENTS_H
#define DS_APDU_COMMENTS_H

#include "apdu/schema.h"

void ds_c_class_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
/* After ds_c_class_id: the attribute or method name of that class. */
void ds_c_attribute_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
void ds_c_method_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
void ds_c_obis(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
void ds_c_invoke_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
void ds_c_long_invoke_id(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
void ds_c_octets(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
void ds_c_association_result(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
void ds_c_acse_user(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
void ds_c_acse_provider(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
void ds_c_cse_service(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
/* Without keys: the security header of a ciphered APDU's content (security control byte,
 * invocation counter, tag) and a hint at the options that would decipher it. */
void ds_c_ciphered(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);
/* Without keys: the manufacturer letters of a system title. */
void ds_c_system_title(ds_emit *e, const uint8_t *p, size_t n, uint64_t v);

#endif
