/* reverse_sequence_cpu.c - ReverseSequence: one copy of `inner` elements per (batch, step). */
#include "reverse_sequence.h"

#include <string.h>

void reverse_sequence(const void *x, void *y, size_t elem_size, bool time_major, int64_t time,
                      int64_t batch, int64_t inner, const int64_t *lens)
{
    const size_t row = (size_t)inner * elem_size;
    const char *src = x;
    char *dst = y;

    for (int64_t b = 0; b < batch; b++) {
        for (int64_t t = 0; t < time; t++) {
            const int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
            const int64_t to_at = time_major ? t * batch + b : b * time + t;
            const int64_t from_at = time_major ? from * batch + b : b * time + from;
            memcpy(dst + (size_t)to_at * row, src + (size_t)from_at * row, row);
        }
    }
}

status_t reverse_sequence_run(op_call_t *call, error_t *err)
{
    const reverse_sequence_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *lens_t = call->inputs[1];
    const int64_t time = x->dims[p->time_axis], batch = x->dims[p->batch_axis];
    const int64_t *lens = lens_t->data;
    int64_t inner = 1;

    /* The lengths may arrive with the request, so they are checked here. */
    for (int64_t b = 0; b < batch; b++)
        if (lens[b] < 0 || lens[b] > time)
            return op_call_fail(call, err,
                                "sequence_lens[%lld] = %lld is outside [0, %lld] (the time axis)",
                                (long long)b, (long long)lens[b], (long long)time);
    for (int d = 2; d < x->rank; d++)
        inner *= x->dims[d];
    reverse_sequence(x->data, call->outputs[0].data, dtype_size(x->dtype), p->time_axis == 0, time,
                     batch, inner, lens);
    return STATUS_OK;
}
