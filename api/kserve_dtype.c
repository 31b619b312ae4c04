/*
 * kserve_dtype.c - KServe datatype names back to dtypes (kernels/dtype.h
 * has the forward direction).
 */
#include "kserve.h"

#include <string.h>

dtype_t kserve_dtype_from_name(const char *name)
{
    for (int t = DTYPE_UNDEFINED + 1; t <= DTYPE_MAX; t++) {
        const char *kserve = dtype_kserve_name((dtype_t)t);
        if (kserve && strcmp(kserve, name) == 0)
            return (dtype_t)t;
    }
    return DTYPE_UNDEFINED;
}
