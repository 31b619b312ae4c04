/* eyelike_cpu.c - EyeLike: one zeroing pass, then the diagonal. */
#include "eyelike.h"

#include <assert.h>
#include <string.h>

#include "cast/cast.h"

void eyelike(void *y, size_t elem_size, int64_t rows, int64_t cols, int64_t k, const void *one)
{
    memset(y, 0, (size_t)(rows * cols) * elem_size);
    for (int64_t i = k < 0 ? -k : 0; i < rows && i + k < cols; i++)
        memcpy((char *)y + (size_t)(i * cols + i + k) * elem_size, one, elem_size);
}

status_t eyelike_run(op_call_t *call, error_t *err)
{
    const eyelike_params_t *p = call->params;
    tensor_t *y = &call->outputs[0];
    const double one_real = 1.0;
    char one[DTYPE_MAX_SIZE];
    cast_fn convert = cast_function(DTYPE_DOUBLE, y->dtype);

    assert(convert != NULL); /* eyelike_infer admits only dtypes held in memory */
    convert(&one_real, one, 1);
    eyelike(y->data, dtype_size(y->dtype), y->dims[0], y->dims[1], p->k, one);
    return STATUS_OK;
}
