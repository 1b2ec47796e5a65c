#include "link/llc.h"

#include "apdu/apdu_tags.h"

const uint8_t DS_LLC_COMMAND[DS_LLC_LEN] = {0xE6, 0xE6, 0x00};
const uint8_t DS_LLC_RESPONSE[DS_LLC_LEN] = {0xE6, 0xE7, 0x00};

const uint8_t *ds_llc_for_tag(uint8_t tag)
{
    return ds_apdu_tag_is_request(tag) ? DS_LLC_COMMAND : DS_LLC_RESPONSE;
}

size_t ds_llc_length(const uint8_t *p, size_t n)
{
    if (n >= 3 && p[0] == 0xE6 && (p[1] == 0xE6 || p[1] == 0xE7) && p[2] == 0x00) return 3;
    return 0;
}
