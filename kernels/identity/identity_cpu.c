#include "identity.h"

#include <string.h>

#include "random/random.h"

static void copy_if_distinct(void *dst, const void *src, size_t n)
{
    if (dst != src && n)
        memcpy(dst, src, n);
}

status_t identity_run(op_call_t *call, error_t *err)
{
    copy_if_distinct(call->outputs[0].data, call->inputs[0]->data, tensor_bytes(call->inputs[0]));
    return STATUS_OK;
}

/* Training mode: keep each element with probability 1 - ratio, scaled by 1 / (1 - ratio). */
float dropout_ratio(const tensor_t *ratio)
{
    return ratio->dtype == DTYPE_DOUBLE ? (float)*(const double *)ratio->data
                                        : *(const float *)ratio->data;
}

/* Mask element i: bool (opset 10+) or, before, the input's type (float or double). */
static void set_mask(tensor_t *mask, int64_t i, bool keep)
{
    if (mask->dtype == DTYPE_BOOL)
        ((bool *)mask->data)[i] = keep;
    else if (mask->dtype == DTYPE_DOUBLE)
        ((double *)mask->data)[i] = keep ? 1.0 : 0.0;
    else
        ((float *)mask->data)[i] = keep ? 1.0f : 0.0f;
}

static void dropout_draw(const dropout_params_t *p, float ratio, const tensor_t *x, void *y,
                         tensor_t *mask, int64_t n)
{
    const float scale = 1.0f / (1.0f - ratio);
    random_stream_t s;

    random_stream_init(&s, p->seeded, p->seed);
    for (int64_t i = 0; i < n; i++) {
        const bool keep = random_uniform(&s) >= (double)ratio;
        if (x->dtype == DTYPE_DOUBLE)
            ((double *)y)[i] = keep ? ((const double *)x->data)[i] / (1.0 - (double)ratio) : 0.0;
        else
            ((float *)y)[i] = keep ? ((const float *)x->data)[i] * scale : 0.0f;
        if (mask)
            set_mask(mask, i, keep);
    }
}

status_t dropout_run(op_call_t *call, error_t *err)
{
    const dropout_params_t *p = call->params;
    const tensor_t *ratio_input = call->n_inputs > 1 ? call->inputs[1] : NULL;
    const tensor_t *training = call->n_inputs > 2 ? call->inputs[2] : NULL;
    tensor_t *mask = call->n_outputs > 1 ? &call->outputs[1] : NULL;
    const float ratio = ratio_input ? dropout_ratio(ratio_input) : p->ratio;
    const int64_t n = tensor_numel(call->inputs[0]);

    (void)err;
    if (training && *(const bool *)training->data && ratio > 0.0f) {
        dropout_draw(p, ratio, call->inputs[0], call->outputs[0].data, mask, n);
        return STATUS_OK;
    }
    copy_if_distinct(call->outputs[0].data, call->inputs[0]->data, tensor_bytes(call->inputs[0]));
    if (mask && mask->dtype == DTYPE_BOOL) {
        memset(mask->data, 1, (size_t)n);
    } else if (mask) {
        for (int64_t i = 0; i < n; i++)
            set_mask(mask, i, true);
    }
    return STATUS_OK;
}
