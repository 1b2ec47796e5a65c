/* The LLC header of DLMS over HDLC (IEC 62056-46 §5.3): E6 E6 00 before what a client
 * sends, E6 E7 00 before what a server sends. */
#ifndef DS_LINK_LLC_H
#define DS_LINK_LLC_H

#include <stddef.h>
#include <stdint.h>

#define DS_LLC_LEN 3

extern const uint8_t DS_LLC_COMMAND[DS_LLC_LEN];   /* E6 E6 00 */
extern const uint8_t DS_LLC_RESPONSE[DS_LLC_LEN];  /* E6 E7 00 */

/* The LLC that normally precedes an APDU starting with `tag`: the command LLC before what a
 * client sends (ds_apdu_tag_is_request), else the response LLC. */
const uint8_t *ds_llc_for_tag(uint8_t tag);
/* Length of an LLC header at p (3), or 0 when there is none. */
size_t ds_llc_length(const uint8_t *p, size_t n);

#endif
