#include "binary.h"

#include <stdio.h>

#define DTYPES_REAL  (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))
#define DTYPES_ARITH (DTYPES_REAL | DTYPES_INT)
#define DTYPES_SIGNED                                                                              \
    (DTYPES_REAL | DTYPE_BIT(DTYPE_INT8) | DTYPE_BIT(DTYPE_INT16) | DTYPE_BIT(DTYPE_INT32) |       \
     DTYPE_BIT(DTYPE_INT64))
#define DTYPES_POW_BASE (DTYPES_REAL | DTYPES_INDEX)
#define DTYPES_PRELU    (DTYPES_SIGNED | DTYPE_BIT(DTYPE_UINT32) | DTYPE_BIT(DTYPE_UINT64))
#define DTYPES_UNSIGNED                                                                            \
    (DTYPE_BIT(DTYPE_UINT8) | DTYPE_BIT(DTYPE_UINT16) | DTYPE_BIT(DTYPE_UINT32) |                  \
     DTYPE_BIT(DTYPE_UINT64))

static const op_info_t arith_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ARITH, DTYPES_ARITH},
    .layout = "any",
};

static const op_info_t pow_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_POW_BASE, DTYPES_ARITH},
    .layout = "any",
};

static const op_info_t prelu_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_PRELU, DTYPES_PRELU},
    .layout = "any",
};

static const op_info_t variadic_info = {
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ARITH},
    .layout = "any",
};

static const op_info_t shift_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_UNSIGNED, DTYPES_UNSIGNED},
    .layout = "any",
};

static const op_info_t bitwise_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_INT, DTYPES_INT},
    .layout = "any",
};

static const op_info_t mean_info = {
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_REAL},
    .layout = "any",
};

/* Every input must have input 0's element type (ONNX's single T). */
static status_t check_same_dtype(op_call_t *call, error_t *err)
{
    for (int i = 0; i < call->n_inputs; i++) {
        if (!call->inputs[i])
            return op_call_fail(call, err, "input %d is missing", i);
        if (call->inputs[i]->dtype != call->inputs[0]->dtype)
            return op_call_fail(call, err, "input %d has dtype %s but input 0 has %s", i,
                                dtype_name(call->inputs[i]->dtype),
                                dtype_name(call->inputs[0]->dtype));
    }
    return STATUS_OK;
}

static void set_output(op_call_t *call, dtype_t dtype)
{
    call->outputs[0].dtype = dtype;
    call->outputs[0].data = NULL;
    call->workspace_size = 0;
}

static status_t binary_infer(op_call_t *call, error_t *err)
{
    const binary_params_t *p = call->params;
    status_t st = check_same_dtype(call, err);

    if (st == STATUS_OK)
        st = bcast_infer_pair(call, &p->legacy, &call->outputs[0], err);
    if (st == STATUS_OK)
        set_output(call, call->inputs[0]->dtype);
    return st;
}

static status_t pow_infer(op_call_t *call, error_t *err)
{
    const binary_params_t *p = call->params;
    status_t st = bcast_infer_pair(call, &p->legacy, &call->outputs[0], err);

    if (st == STATUS_OK)
        set_output(call, call->inputs[0]->dtype);
    return st;
}

/* Python's remainder is for integers only: the spec requires fmod=1 on floats. */
static status_t mod_infer(op_call_t *call, error_t *err)
{
    const binary_params_t *p = call->params;
    dtype_t t = call->inputs[0]->dtype;

    if (!p->fmod && (t == DTYPE_FLOAT || t == DTYPE_DOUBLE))
        return op_call_fail(call, err, "fmod=0 on %s inputs: floating-point Mod needs fmod=1",
                            dtype_name(t));
    return binary_infer(call, err);
}

/* PRelu broadcasts slope to X only: the output keeps X's shape. */
static status_t prelu_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0], *slope = call->inputs[1];
    char sx[SHAPE_TEXT_MAX], ss[SHAPE_TEXT_MAX];
    status_t st = check_same_dtype(call, err);

    if (st == STATUS_OK)
        st = bcast_infer(call, 2, call->inputs, &call->outputs[0], err);
    if (st != STATUS_OK)
        return st;
    if (!shape_equal(call->outputs[0].rank, call->outputs[0].dims, x->rank, x->dims))
        return op_call_fail(call, err,
                            "slope of shape %s does not broadcast to X of shape %s in one "
                            "direction",
                            shape_format(slope->rank, slope->dims, ss, sizeof ss),
                            shape_format(x->rank, x->dims, sx, sizeof sx));
    set_output(call, x->dtype);
    return STATUS_OK;
}

static status_t variadic_infer(op_call_t *call, error_t *err)
{
    status_t st = check_same_dtype(call, err);

    if (st == STATUS_OK)
        st = bcast_infer(call, call->n_inputs, call->inputs, &call->outputs[0], err);
    if (st == STATUS_OK)
        set_output(call, call->inputs[0]->dtype);
    return st;
}

/*
 * Rows of a batch stay apart unless the legacy (opset < 7) broadcast lines
 * B up with an axis, which may be the batch itself.
 */
static bool binary_batch_rows(const op_call_t *call)
{
    const binary_params_t *p = call->params;

    return !p->legacy.broadcast && op_batch_rows_broadcast(call);
}

/*
 * inplace: inputs the output may overwrite. Two-input ops walk every operand
 * at the output's index, so either input works; Sum/Min/Max start by copying
 * input 0 into the output and Pow's row mixes dtypes, so they allow none.
 */
#define BINARY_KERNEL(var, op_name, info_table, infer_fn, run_fn, inplace)                         \
    const op_kernel_t var = {                                                                      \
        .name = op_name,                                                                           \
        .info = &info_table,                                                                       \
        .params_size = sizeof(binary_params_t),                                                    \
        .infer = infer_fn,                                                                         \
        .run = run_fn,                                                                             \
        .inplace_inputs = inplace,                                                                 \
        .batch_inputs = 3u,                                                                        \
        .batch_rows = binary_batch_rows,                                                           \
    };

BINARY_KERNEL(binary_add_kernel, "Add", arith_info, binary_infer, binary_add_run, 3u)
BINARY_KERNEL(binary_sub_kernel, "Sub", arith_info, binary_infer, binary_sub_run, 3u)
BINARY_KERNEL(binary_mul_kernel, "Mul", arith_info, binary_infer, binary_mul_run, 3u)
BINARY_KERNEL(binary_div_kernel, "Div", arith_info, binary_infer, binary_div_run, 3u)
BINARY_KERNEL(binary_pow_kernel, "Pow", pow_info, pow_infer, binary_pow_run, 0u)
BINARY_KERNEL(binary_prelu_kernel, "PRelu", prelu_info, prelu_infer, binary_prelu_run, 1u)
BINARY_KERNEL(binary_sum_kernel, "Sum", variadic_info, variadic_infer, binary_sum_run, 0u)
BINARY_KERNEL(binary_min_kernel, "Min", variadic_info, variadic_infer, binary_min_run, 0u)
BINARY_KERNEL(binary_max_kernel, "Max", variadic_info, variadic_infer, binary_max_run, 0u)
BINARY_KERNEL(binary_mean_kernel, "Mean", mean_info, variadic_infer, binary_mean_run, 0u)
BINARY_KERNEL(binary_mod_kernel, "Mod", arith_info, mod_infer, binary_mod_run, 3u)
BINARY_KERNEL(binary_bit_shift_kernel, "BitShift", shift_info, binary_infer, binary_bit_shift_run,
              3u)
BINARY_KERNEL(binary_bitwise_and_kernel, "BitwiseAnd", bitwise_info, binary_infer,
              binary_bitwise_and_run, 3u)
BINARY_KERNEL(binary_bitwise_or_kernel, "BitwiseOr", bitwise_info, binary_infer,
              binary_bitwise_or_run, 3u)
BINARY_KERNEL(binary_bitwise_xor_kernel, "BitwiseXor", bitwise_info, binary_infer,
              binary_bitwise_xor_run, 3u)
