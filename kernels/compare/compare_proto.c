#include "compare.h"

#define DTYPES_ORDERED (DTYPES_NUMERIC | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t order_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ORDERED, DTYPES_ORDERED},
    .layout = "any",
};

static const op_info_t equal_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ORDERED | DTYPES_BOOL, DTYPES_ORDERED | DTYPES_BOOL},
    .layout = "any",
};

static const op_info_t logic_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_BOOL, DTYPES_BOOL},
    .layout = "any",
};

static const op_info_t not_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_BOOL},
    .layout = "any",
};

static status_t compare_infer(op_call_t *call, error_t *err)
{
    const compare_params_t *p = call->params;
    const tensor_t *a = call->inputs[0], *b = call->inputs[1];
    status_t st;

    if (a->dtype != b->dtype)
        return op_call_fail(call, err, "input 1 has dtype %s but input 0 has %s",
                            dtype_name(b->dtype), dtype_name(a->dtype));
    st = bcast_infer_pair(call, &p->legacy, &call->outputs[0], err);
    if (st != STATUS_OK)
        return st;
    call->outputs[0].dtype = DTYPE_BOOL;
    call->outputs[0].data = NULL;
    call->workspace_size = 0;
    return STATUS_OK;
}

#define COMPARE_KERNEL(var, op_name, info_table, run_fn)                                           \
    const op_kernel_t var = {                                                                      \
        .name = op_name,                                                                           \
        .info = &info_table,                                                                       \
        .params_size = sizeof(compare_params_t),                                                   \
        .infer = compare_infer,                                                                    \
        .run = run_fn,                                                                             \
    };

COMPARE_KERNEL(compare_equal_kernel, "Equal", equal_info, compare_equal_run)
COMPARE_KERNEL(compare_less_kernel, "Less", order_info, compare_less_run)
COMPARE_KERNEL(compare_greater_kernel, "Greater", order_info, compare_greater_run)
COMPARE_KERNEL(compare_less_equal_kernel, "LessOrEqual", order_info, compare_less_equal_run)
COMPARE_KERNEL(compare_greater_equal_kernel, "GreaterOrEqual", order_info,
               compare_greater_equal_run)
COMPARE_KERNEL(compare_and_kernel, "And", logic_info, compare_and_run)
COMPARE_KERNEL(compare_or_kernel, "Or", logic_info, compare_or_run)
COMPARE_KERNEL(compare_xor_kernel, "Xor", logic_info, compare_xor_run)

const op_kernel_t compare_not_kernel = {
    .name = "Not",
    .info = &not_info,
    .infer = op_infer_same_as_input,
    .run = compare_not_run,
};
