#include "link/llc.h"

const uint8_t DS_LLC_COMMAND[DS_LLC_LEN] = {0xE6, 0xE6, 0x00};
const uint8_t DS_LLC_RESPONSE[DS_LLC_LEN] = {0xE6, 0xE7, 0x00};

int ds_apdu_is_request(uint8_t tag)
{
    switch (tag) {
    case 0x01: /* initiateRequest */
    case 0x05: case 0x06: case 0x16: /* SN read, write, unconfirmed write */
    case 0x21: case 0x25: case 0x26: case 0x36: /* glo- of the above */
    case 0x41: case 0x45: case 0x46: case 0x56: /* ded- of the above */
    case 0x60: case 0x62: /* AARQ, RLRQ */
    case 0xC0: case 0xC1: case 0xC3: /* get, set, action request */
    case 0xC8: case 0xC9: case 0xCB: /* glo- */
    case 0xD0: case 0xD1: case 0xD3: /* ded- */
    case 0xD9: /* access-request */
        return 1;
    default:
        return 0;
    }
}

const uint8_t *ds_llc_for_tag(uint8_t tag)
{
    return ds_apdu_is_request(tag) ? DS_LLC_COMMAND : DS_LLC_RESPONSE;
}

size_t ds_llc_length(const uint8_t *p, size_t n)
{
    if (n >= 3 && p[0] == 0xE6 && (p[1] == 0xE6 || p[1] == 0xE7) && p[2] == 0x00) return 3;
    return 0;
}
