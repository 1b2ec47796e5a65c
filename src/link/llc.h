/* The LLC header of DLMS over HDLC (IEC 62056-46 §5.3): E6 E6 00 before what a client
 * sends, E6 E7 00 before what a server sends. */
#ifndef DS_LINK_LLC_H
#define DS_LINK_LLC_H

#include <stddef.h>
#include <stdint.h>

#define DS_LLC_LEN 3

extern const uint8_t DS_LLC_COMMAND[DS_LLC_LEN];   /* E6 E6 00 */
extern const uint8_t DS_LLC_RESPONSE[DS_LLC_LEN];  /* E6 E7 00 */

/* 1 when an APDU with this first byte is sent by a client (a request), 0 when by a server
 * (responses, notifications, pushes). Ciphered general APDUs go both ways; they are taken
 * as server pushes, the common case on HDLC HAN ports. */
int ds_apdu_is_request(uint8_t tag);
/* The LLC that normally precedes an APDU starting with `tag`. */
const uint8_t *ds_llc_for_tag(uint8_t tag);
/* Length of an LLC header at p (3), or 0 when there is none. */
size_t ds_llc_length(const uint8_t *p, size_t n);

#endif
