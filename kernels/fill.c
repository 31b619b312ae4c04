#include "fill.h"

#include <string.h>

/* One loop per element width, so the compiler turns each into wide stores. */
#define FILL_DEFINE(name, type)                                                                    \
    static void name(void *dst, const void *value, int64_t count)                                  \
    {                                                                                              \
        type *d = dst;                                                                             \
        type v;                                                                                    \
        memcpy(&v, value, sizeof v);                                                               \
        for (int64_t i = 0; i < count; i++)                                                        \
            d[i] = v;                                                                              \
    }

FILL_DEFINE(fill8, uint8_t)
FILL_DEFINE(fill16, uint16_t)
FILL_DEFINE(fill32, uint32_t)
FILL_DEFINE(fill64, uint64_t)

void fill_elements(void *dst, const void *value, size_t elem_size, int64_t count)
{
    switch (elem_size) {
    case 1:
        fill8(dst, value, count);
        break;
    case 2:
        fill16(dst, value, count);
        break;
    case 4:
        fill32(dst, value, count);
        break;
    case 8:
        fill64(dst, value, count);
        break;
    default:
        for (int64_t i = 0; i < count; i++)
            memcpy((char *)dst + i * (int64_t)elem_size, value, elem_size);
        break;
    }
}
