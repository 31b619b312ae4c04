#include "tfidf.h"

static const op_info_t tfidf_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_INDEX},
    .layout = "any",
};

static status_t tfidf_infer(op_call_t *call, error_t *err)
{
    const tfidf_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    char buf[SHAPE_TEXT_MAX];

    if (x->rank < 1 || x->rank > 2)
        return op_call_fail(call, err, "X must be [C] or [N, C], got %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    y->dtype = DTYPE_FLOAT;
    y->rank = x->rank;
    if (x->rank == 2)
        y->dims[0] = x->dims[0];
    y->dims[y->rank - 1] = p->out_size;
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(y->rank, y->dims, buf, sizeof buf));
    return STATUS_OK;
}

const op_kernel_t tfidf_kernel = {
    .name = "TfIdfVectorizer",
    .info = &tfidf_info,
    .params_size = sizeof(tfidf_params_t),
    .infer = tfidf_infer,
    .run = tfidf_run,
};
