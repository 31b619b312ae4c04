/* Prototypes of the quantization ops. */
#include "quant.h"

#include "matmul/matmul.h"
#include "quant_fast.h"

static const op_info_t quantize_linear_info = {
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_INT32), DTYPES_FLOAT, QUANT_DTYPES},
    .layout = "any",
};

static const op_info_t dequantize_linear_info = {
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {QUANT_DTYPES | DTYPE_BIT(DTYPE_INT32), DTYPES_FLOAT,
                     QUANT_DTYPES | DTYPE_BIT(DTYPE_INT32)},
    .layout = "any",
};

static const op_info_t dynamic_quantize_linear_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 3,
    .input_dtypes = {DTYPES_FLOAT},
    .layout = "any",
};

static const op_info_t matmul_integer_info = {
    .min_inputs = 2,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {QUANT_DTYPES_8, QUANT_DTYPES_8, QUANT_DTYPES_8, QUANT_DTYPES_8},
    .layout = "any",
};

static const op_info_t qlinear_matmul_info = {
    .min_inputs = 8,
    .max_inputs = 8,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8, QUANT_DTYPES_8, DTYPES_FLOAT,
                     QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8},
    .layout = "any",
};

static const op_info_t conv_integer_info = {
    .min_inputs = 2,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {QUANT_DTYPES_8, QUANT_DTYPES_8, QUANT_DTYPES_8, QUANT_DTYPES_8},
    .layout = "NCHW",
};

/*
 * The info table describes 8 formal inputs; the 9th (the int32 bias) would
 * be checked against the 8th's dtypes, so that slot admits int32 too and
 * the prototype checks y_zero_point itself.
 */
static const op_info_t qlinear_conv_info = {
    .min_inputs = 8,
    .max_inputs = 9,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8, QUANT_DTYPES_8, DTYPES_FLOAT,
                     QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8 | DTYPE_BIT(DTYPE_INT32)},
    .layout = "NCHW",
};

status_t quant_layout_resolve(op_call_t *call, const tensor_t *x, const tensor_t *scale,
                              const tensor_t *zero_point, int64_t axis_attr, int64_t block_size,
                              quant_layout_t *l, error_t *err)
{
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    int axis = 0;

    l->outer = 1;
    l->dim = 1;
    l->inner = tensor_numel(x);
    l->block = 1;
    l->outer_step = l->axis_step = l->inner_step = 0;
    /* One value each is per tensor whether written as a scalar or as [1]. */
    if (zero_point && !(tensor_numel(zero_point) == 1 && tensor_numel(scale) == 1) &&
        !shape_equal(zero_point->rank, zero_point->dims, scale->rank, scale->dims))
        return op_call_fail(call, err, "zero point %s must have the scale's shape %s",
                            shape_format(zero_point->rank, zero_point->dims, a, sizeof a),
                            shape_format(scale->rank, scale->dims, b, sizeof b));
    if (block_size == 0 && scale->rank <= 1 && tensor_numel(scale) == 1)
        return STATUS_OK; /* per tensor */
    if (!axis_normalize(axis_attr, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for input %s",
                            (long long)axis_attr, shape_format(x->rank, x->dims, a, sizeof a));
    l->dim = x->dims[axis];
    l->inner = 1;
    for (int d = 0; d < axis; d++)
        l->outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        l->inner *= x->dims[d];
    if (block_size == 0) {
        if (scale->rank != 1 || scale->dims[0] != l->dim)
            return op_call_fail(
                call, err, "scale %s must be a scalar or 1-D of input %s's dim %d (%lld)",
                shape_format(scale->rank, scale->dims, a, sizeof a),
                shape_format(x->rank, x->dims, b, sizeof b), axis, (long long)l->dim);
        l->axis_step = 1;
        return STATUS_OK;
    }
    /* Blocked: the scale has x's shape with the axis cut into blocks. */
    {
        bool match = scale->rank == x->rank;
        for (int d = 0; match && d < x->rank; d++)
            match = scale->dims[d] ==
                    (d == axis ? (x->dims[d] + block_size - 1) / block_size : x->dims[d]);
        if (!match)
            return op_call_fail(
                call, err, "scale %s must be input %s with dim %d cut into blocks of %lld",
                shape_format(scale->rank, scale->dims, a, sizeof a),
                shape_format(x->rank, x->dims, b, sizeof b), axis, (long long)block_size);
    }
    l->block = block_size;
    l->inner_step = 1;
    l->axis_step = l->inner;
    l->outer_step = scale->dims[axis] * l->inner;
    return STATUS_OK;
}

/* 16-bit quantized dtypes exist from opset 21 on. */
static status_t check_width(op_call_t *call, const tensor_t *t, const char *what, error_t *err)
{
    const quant_params_t *p = call->params;

    if (t && !p->wide_dtypes && dtype_in(t->dtype, QUANT_DTYPES & ~QUANT_DTYPES_8))
        return op_call_fail(call, err, "%s has dtype %s, which needs opset 21", what,
                            dtype_name(t->dtype));
    return STATUS_OK;
}

static status_t quantize_linear_infer(op_call_t *call, error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *scale = call->inputs[1];
    const tensor_t *zp = call->n_inputs > 2 ? call->inputs[2] : NULL;
    tensor_t *y = &call->outputs[0];
    quant_layout_t l;
    status_t st = quant_layout_resolve(call, x, scale, zp, p->axis, p->block_size, &l, err);

    if (st == STATUS_OK)
        st = check_width(call, zp, "y_zero_point", err);
    if (st != STATUS_OK)
        return st;
    if (zp && p->output_dtype != DTYPE_UNDEFINED && zp->dtype != p->output_dtype)
        return op_call_fail(call, err, "output_dtype %s differs from y_zero_point's %s",
                            dtype_name(p->output_dtype), dtype_name(zp->dtype));
    *y = *x;
    y->data = NULL;
    y->dtype = zp ? zp->dtype : p->output_dtype != DTYPE_UNDEFINED ? p->output_dtype : DTYPE_UINT8;
    return STATUS_OK;
}

static status_t dequantize_linear_infer(op_call_t *call, error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *scale = call->inputs[1];
    const tensor_t *zp = call->n_inputs > 2 ? call->inputs[2] : NULL;
    tensor_t *y = &call->outputs[0];
    quant_layout_t l;
    status_t st = quant_layout_resolve(call, x, scale, zp, p->axis, p->block_size, &l, err);

    if (st == STATUS_OK)
        st = check_width(call, x, "x", err);
    if (st != STATUS_OK)
        return st;
    if (zp && zp->dtype != x->dtype)
        return op_call_fail(call, err, "x_zero_point has dtype %s, x %s", dtype_name(zp->dtype),
                            dtype_name(x->dtype));
    *y = *x;
    y->data = NULL;
    y->dtype = DTYPE_FLOAT;
    return STATUS_OK;
}

static status_t dynamic_quantize_linear_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];

    (void)err;
    call->outputs[0] = *x;
    call->outputs[0].data = NULL;
    call->outputs[0].dtype = DTYPE_UINT8;
    if (call->n_outputs > 1)
        call->outputs[1] = (tensor_t){.dtype = DTYPE_FLOAT, .rank = 0};
    if (call->n_outputs > 2)
        call->outputs[2] = (tensor_t){.dtype = DTYPE_UINT8, .rank = 0};
    return STATUS_OK;
}

/* A zero point or scale that is one value (per tensor) or a vector of n (per row/column/channel).
 */
static status_t check_vector(op_call_t *call, const tensor_t *t, const char *what, int64_t n,
                             const char *per, error_t *err)
{
    char buf[SHAPE_TEXT_MAX];

    if (!t || (t->rank <= 1 && tensor_numel(t) == 1) || (t->rank == 1 && t->dims[0] == n))
        return STATUS_OK;
    return op_call_fail(call, err, "%s %s must be a scalar or [%lld] (per %s)", what,
                        shape_format(t->rank, t->dims, buf, sizeof buf), (long long)n, per);
}

/* A zero point's dtype is its operand's. */
static status_t check_zp_dtype(op_call_t *call, const tensor_t *zp, const tensor_t *x,
                               const char *what, error_t *err)
{
    if (zp && zp->dtype != x->dtype)
        return op_call_fail(call, err, "%s has dtype %s, its operand %s", what,
                            dtype_name(zp->dtype), dtype_name(x->dtype));
    return STATUS_OK;
}

/* The int32 operands and accumulators must stay within the tensor limits. */
static status_t set_int_workspace(op_call_t *call, int64_t ints, error_t *err)
{
    /* The GEMM path packs bytes instead of widening to int32 (quant_fast.c). */
    if (quant_fast_takes(call)) {
        call->workspace_size = quant_fast_workspace(call);
        return STATUS_OK;
    }
    if (ints > 4 * TENSOR_MAX_ELEMENTS)
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "needs %lld int32 of scratch", (long long)ints);
    call->workspace_size = (size_t)ints * sizeof(int32_t);
    return STATUS_OK;
}

/*
 * Shared by MatMulInteger and QLinearMatMul: the product's shape and the
 * zero points (a's per row: scalar, [M] or broadcasting to a as [..., M, 1];
 * b's per column: scalar, [N] or [..., 1, N]).
 */
static status_t matmul_common(op_call_t *call, const tensor_t *a, const tensor_t *a_zp,
                              const tensor_t *b, const tensor_t *b_zp, matmul_shape_t *s,
                              error_t *err)
{
    char x[SHAPE_TEXT_MAX], y[SHAPE_TEXT_MAX];
    const char *why;
    status_t st;

    if (!matmul_shape(a, b, s, &why))
        return op_call_fail(call, err, "a %s and b %s do not multiply: %s",
                            shape_format(a->rank, a->dims, x, sizeof x),
                            shape_format(b->rank, b->dims, y, sizeof y), why);
    if (s->m > MATMUL_MAX_DIM || s->k > MATMUL_MAX_DIM || s->n > MATMUL_MAX_DIM)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "a side of the product exceeds %lld", (long long)MATMUL_MAX_DIM);
    if ((st = check_zp_dtype(call, a_zp, a, "a_zero_point", err)) != STATUS_OK ||
        (st = check_zp_dtype(call, b_zp, b, "b_zero_point", err)) != STATUS_OK)
        return st;
    for (int side = 0; side < 2; side++) {
        const tensor_t *zp = side ? b_zp : a_zp, *op = side ? b : a;
        int64_t dims[TENSOR_MAX_RANK], out[TENSOR_MAX_RANK];
        int rank, out_rank;
        if (!zp || tensor_numel(zp) == 1)
            continue;
        rank = zp->rank;
        for (int d = 0; d < rank; d++)
            dims[d] = zp->dims[d];
        /* A vector of a's zero points is per row ([M, 1]), of b's per column ([1, N]). */
        if (rank == 1) {
            dims[side ? 1 : 0] = zp->dims[0];
            dims[side ? 0 : 1] = 1;
            rank = 2;
        }
        if (op->rank < 2 || !shape_broadcast(op->rank, op->dims, rank, dims, &out_rank, out) ||
            !shape_equal(out_rank, out, op->rank, op->dims) ||
            (side ? dims[rank - 2] != 1 : dims[rank - 1] != 1))
            return op_call_fail(
                call, err, "%s %s must be per %s of %s", side ? "b_zero_point" : "a_zero_point",
                shape_format(zp->rank, zp->dims, x, sizeof x), side ? "column" : "row",
                shape_format(op->rank, op->dims, y, sizeof y));
    }
    return STATUS_OK;
}

static status_t matmul_integer_infer(op_call_t *call, error_t *err)
{
    const tensor_t *a = call->inputs[0], *b = call->inputs[1];
    const tensor_t *a_zp = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const tensor_t *b_zp = call->n_inputs > 3 ? call->inputs[3] : NULL;
    tensor_t *y = &call->outputs[0];
    matmul_shape_t s;
    status_t st = matmul_common(call, a, a_zp, b, b_zp, &s, err);

    if (st != STATUS_OK)
        return st;
    y->dtype = DTYPE_INT32;
    y->rank = s.out_rank;
    for (int d = 0; d < s.out_rank; d++)
        y->dims[d] = s.out_dims[d];
    return set_int_workspace(call, tensor_numel(a) + tensor_numel(b), err);
}

static status_t qlinear_matmul_infer(op_call_t *call, error_t *err)
{
    const tensor_t *a = call->inputs[0], *a_scale = call->inputs[1], *a_zp = call->inputs[2];
    const tensor_t *b = call->inputs[3], *b_scale = call->inputs[4], *b_zp = call->inputs[5];
    const tensor_t *y_scale = call->inputs[6], *y_zp = call->inputs[7];
    tensor_t *y = &call->outputs[0];
    matmul_shape_t s;
    status_t st = matmul_common(call, a, a_zp, b, b_zp, &s, err);

    if (st == STATUS_OK)
        st = check_vector(call, a_scale, "a_scale", s.m, "row", err);
    if (st == STATUS_OK)
        st = check_vector(call, a_zp, "a_zero_point", s.m, "row", err);
    if (st == STATUS_OK)
        st = check_vector(call, b_scale, "b_scale", s.n, "column", err);
    if (st == STATUS_OK)
        st = check_vector(call, b_zp, "b_zero_point", s.n, "column", err);
    if (st == STATUS_OK)
        st = check_vector(call, y_scale, "y_scale", 1, "tensor", err);
    if (st == STATUS_OK)
        st = check_vector(call, y_zp, "y_zero_point", 1, "tensor", err);
    if (st != STATUS_OK)
        return st;
    y->dtype = y_zp->dtype;
    y->rank = s.out_rank;
    for (int d = 0; d < s.out_rank; d++)
        y->dims[d] = s.out_dims[d];
    return set_int_workspace(call, tensor_numel(y) + tensor_numel(a) + tensor_numel(b), err);
}

/*
 * The convolution's geometry (Conv's own checks, on x and w), the
 * zero points' and the scratch: widened weights and one column matrix.
 */
static status_t conv_common(op_call_t *call, const tensor_t *x, const tensor_t *x_zp,
                            const tensor_t *w, const tensor_t *w_zp, conv_geom_t *g, error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *operands[2] = {x, w};
    op_call_t conv_call = *call;
    tensor_t out;
    status_t st;

    conv_call.params = &p->conv;
    conv_call.n_inputs = 2;
    conv_call.inputs = operands;
    if ((st = conv_resolve(&conv_call, false, g, &out, err)) != STATUS_OK ||
        (st = check_zp_dtype(call, x_zp, x, "x_zero_point", err)) != STATUS_OK ||
        (st = check_zp_dtype(call, w_zp, w, "w_zero_point", err)) != STATUS_OK ||
        (st = check_vector(call, x_zp, "x_zero_point", 1, "tensor", err)) != STATUS_OK ||
        (st = check_vector(call, w_zp, "w_zero_point", g->out_channels, "output channel", err)) !=
            STATUS_OK)
        return st;
    call->outputs[0] = out;
    call->outputs[0].dtype = DTYPE_INT32;
    return STATUS_OK;
}

static int64_t conv_scratch(const conv_geom_t *g)
{
    const int64_t k = conv_window_kernel_size(&g->win), cg = g->in_channels / g->group;
    return g->out_channels * cg * k + cg * k * conv_window_cols_size(&g->win);
}

static status_t conv_integer_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x_zp = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const tensor_t *w_zp = call->n_inputs > 3 ? call->inputs[3] : NULL;
    conv_geom_t g;
    status_t st = conv_common(call, call->inputs[0], x_zp, call->inputs[1], w_zp, &g, err);

    return st != STATUS_OK ? st : set_int_workspace(call, conv_scratch(&g), err);
}

static status_t qlinear_conv_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x_scale = call->inputs[1], *w_scale = call->inputs[4];
    const tensor_t *y_scale = call->inputs[6], *y_zp = call->inputs[7];
    const tensor_t *bias = call->n_inputs > 8 ? call->inputs[8] : NULL;
    char buf[SHAPE_TEXT_MAX];
    conv_geom_t g;
    status_t st = conv_common(call, call->inputs[0], call->inputs[2], call->inputs[3],
                              call->inputs[5], &g, err);

    if (st == STATUS_OK)
        st = check_vector(call, x_scale, "x_scale", 1, "tensor", err);
    if (st == STATUS_OK)
        st = check_vector(call, w_scale, "w_scale", g.out_channels, "output channel", err);
    if (st == STATUS_OK)
        st = check_vector(call, y_scale, "y_scale", 1, "tensor", err);
    if (st == STATUS_OK)
        st = check_vector(call, y_zp, "y_zero_point", 1, "tensor", err);
    if (st != STATUS_OK)
        return st;
    if (!dtype_in(y_zp->dtype, QUANT_DTYPES_8))
        return op_call_fail(call, err, "y_zero_point has dtype %s, not int8 or uint8",
                            dtype_name(y_zp->dtype));
    if (bias && (bias->dtype != DTYPE_INT32 || bias->rank != 1 || bias->dims[0] != g.out_channels))
        return op_call_fail(call, err, "B must be int32 [%lld], got %s %s",
                            (long long)g.out_channels, dtype_name(bias->dtype),
                            shape_format(bias->rank, bias->dims, buf, sizeof buf));
    call->outputs[0].dtype = y_zp->dtype;
    return set_int_workspace(call, tensor_numel(&call->outputs[0]) + conv_scratch(&g), err);
}

const op_kernel_t quantize_linear_kernel = {
    .name = "QuantizeLinear",
    .info = &quantize_linear_info,
    .params_size = sizeof(quant_params_t),
    .infer = quantize_linear_infer,
    .run = quantize_linear_run,
};

const op_kernel_t dequantize_linear_kernel = {
    .name = "DequantizeLinear",
    .info = &dequantize_linear_info,
    .params_size = sizeof(quant_params_t),
    .infer = dequantize_linear_infer,
    .run = dequantize_linear_run,
};

const op_kernel_t dynamic_quantize_linear_kernel = {
    .name = "DynamicQuantizeLinear",
    .info = &dynamic_quantize_linear_info,
    .infer = dynamic_quantize_linear_infer,
    .run = dynamic_quantize_linear_run,
};

const op_kernel_t matmul_integer_kernel = {
    .name = "MatMulInteger",
    .info = &matmul_integer_info,
    .infer = matmul_integer_infer,
    .run = matmul_integer_run,
    .pack = quant_pack,
    .release = quant_release,
    .describe = quant_describe,
};

const op_kernel_t qlinear_matmul_kernel = {
    .name = "QLinearMatMul",
    .info = &qlinear_matmul_info,
    .infer = qlinear_matmul_infer,
    .run = qlinear_matmul_run,
    .pack = quant_pack,
    .release = quant_release,
    .describe = quant_describe,
};

const op_kernel_t conv_integer_kernel = {
    .name = "ConvInteger",
    .info = &conv_integer_info,
    .params_size = sizeof(quant_params_t),
    .infer = conv_integer_infer,
    .run = conv_integer_run,
    .pack = quant_pack,
    .release = quant_release,
    .describe = quant_describe,
};

const op_kernel_t qlinear_conv_kernel = {
    .name = "QLinearConv",
    .info = &qlinear_conv_info,
    .params_size = sizeof(quant_params_t),
    .infer = qlinear_conv_infer,
    .run = qlinear_conv_run,
    .pack = quant_pack,
    .release = quant_release,
    .describe = quant_describe,
};
