#include "constant.h"

#include <string.h>

status_t constant_run(op_call_t *call, error_t *err)
{
    const constant_params_t *p = call->params;
    size_t bytes = tensor_bytes(&p->value);

    if (bytes)
        memcpy(call->outputs[0].data, p->value.data, bytes);
    return STATUS_OK;
}

/* One loop per element width, so the compiler turns each into wide stores. */
#define CONSTANT_DEFINE_FILL(name, type)                                                           \
    static void name(void *dst, const void *value, int64_t count)                                  \
    {                                                                                              \
        type *d = dst;                                                                             \
        type v;                                                                                    \
        memcpy(&v, value, sizeof v);                                                               \
        for (int64_t i = 0; i < count; i++)                                                        \
            d[i] = v;                                                                              \
    }

CONSTANT_DEFINE_FILL(constant_fill8, uint8_t)
CONSTANT_DEFINE_FILL(constant_fill16, uint16_t)
CONSTANT_DEFINE_FILL(constant_fill32, uint32_t)
CONSTANT_DEFINE_FILL(constant_fill64, uint64_t)

void constant_fill(void *dst, const void *value, size_t elem_size, int64_t count)
{
    switch (elem_size) {
    case 1:
        constant_fill8(dst, value, count);
        break;
    case 2:
        constant_fill16(dst, value, count);
        break;
    case 4:
        constant_fill32(dst, value, count);
        break;
    case 8:
        constant_fill64(dst, value, count);
        break;
    default:
        for (int64_t i = 0; i < count; i++)
            memcpy((char *)dst + i * (int64_t)elem_size, value, elem_size);
        break;
    }
}

status_t constant_of_shape_run(op_call_t *call, error_t *err)
{
    const constant_of_shape_params_t *p = call->params;
    tensor_t *y = &call->outputs[0];

    constant_fill(y->data, p->value, dtype_size(y->dtype), tensor_numel(y));
    return STATUS_OK;
}
