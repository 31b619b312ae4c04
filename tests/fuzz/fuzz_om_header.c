/*
 * fuzz_om_header.c - the .om header check (om_header_check), which reads
 * model files before the Ascend runtime does. A header that passes must
 * describe exactly the bytes given.
 *
 * Input: the file.
 */
#include <string.h>

#include "fuzz_util.h"
#include "om_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    om_header_t h;
    error_t err = {0};

    if (om_header_check(data, size, size, &h, &err) != STATUS_OK) {
        FUZZ_CHECK(err.message[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(h.om2 || h.model_bytes + OM_HEADER_BYTES == size);
    FUZZ_CHECK(strlen(h.name) <= OM_NAME_MAX);
    return 0;
}
