/*
 * trilu_cpu.c - Trilu, on bytes: each row is one zeroed run and one copied
 * run (memset and memmove), whatever the element type.
 */
#include "trilu.h"

#include <string.h>

void trilu(const void *x, void *y, size_t elem_size, int64_t batch, int64_t rows, int64_t cols,
           int64_t k, bool upper)
{
    const size_t row_bytes = (size_t)cols * elem_size;

    for (int64_t b = 0; b < batch; b++) {
        for (int64_t i = 0; i < rows; i++) {
            const size_t at = (size_t)(b * rows + i) * row_bytes;
            const char *src = (const char *)x + at;
            char *dst = (char *)y + at;
            /* Upper keeps columns [i + k, cols), lower keeps [0, i + k + 1). */
            int64_t edge = upper ? i + k : i + k + 1;
            size_t split;

            edge = edge < 0 ? 0 : edge > cols ? cols : edge;
            split = (size_t)edge * elem_size;
            if (upper) {
                memset(dst, 0, split);
                memmove(dst + split, src + split, row_bytes - split);
            } else {
                memmove(dst, src, split);
                memset(dst + split, 0, row_bytes - split);
            }
        }
    }
}

status_t trilu_run(op_call_t *call, error_t *err)
{
    const trilu_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *k = call->n_inputs > 1 ? call->inputs[1] : NULL;
    const int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
    const int64_t matrix = rows * cols;

    if (matrix == 0)
        return STATUS_OK;
    trilu(x->data, call->outputs[0].data, dtype_size(x->dtype), tensor_numel(x) / matrix, rows,
          cols, k ? tensor_get_index(k, 0) : 0, p->upper);
    return STATUS_OK;
}
