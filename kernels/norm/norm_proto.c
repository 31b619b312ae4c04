#include "norm.h"

/* float, or double (norm_f64.c) with every float input double too (same_type). */
#define NORM_T (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t batchnorm_info = {
    .min_inputs = 5,
    .max_inputs = 5,
    .min_outputs = 1,
    .max_outputs = 5,
    .input_dtypes = {NORM_T, NORM_T, NORM_T, NORM_T, NORM_T},
    .layout = "NCHW",
};

static const op_info_t instancenorm_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {NORM_T, NORM_T, NORM_T},
    .layout = "NCHW",
};

static const op_info_t groupnorm_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {NORM_T, NORM_T, NORM_T},
    .layout = "NCHW",
};

static const op_info_t layernorm_info = {
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 3,
    .input_dtypes = {NORM_T, NORM_T, NORM_T},
    .layout = "any",
};

static void same_as_input(op_call_t *call)
{
    call->outputs[0] = *call->inputs[0];
    call->outputs[0].data = NULL;
}

/*
 * The double kernels read every float input as double. ONNX lets opset 15+
 * BatchNormalization (T, T1, T2) and LayerNormalization's stash types mix
 * widths; exporters write one type, so a mix is refused by name.
 */
static status_t check_same_type(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];

    for (int i = 1; i < call->n_inputs; i++)
        if (call->inputs[i] && call->inputs[i]->dtype != x->dtype)
            return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                           "input %d is %s and X is %s: mixed float widths are not supported", i,
                           dtype_name(call->inputs[i]->dtype), dtype_name(x->dtype));
    return STATUS_OK;
}

static status_t check_data_rank(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    char buf[SHAPE_TEXT_MAX];
    status_t st = check_same_type(call, err);

    if (st != STATUS_OK)
        return st;

    if (x->rank < 2)
        return op_call_fail(call, err, "input %s must be at least 2-D (N x C x ...)",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    return STATUS_OK;
}

/* Checks that input `index` (called name) is the 1-D vector [channels]. */
static status_t check_channel_vector(op_call_t *call, int index, const char *name, error_t *err)
{
    const tensor_t *t = call->inputs[index];
    int64_t channels = call->inputs[0]->dims[1];
    char buf[SHAPE_TEXT_MAX];

    if (t->rank != 1 || t->dims[0] != channels)
        return op_call_fail(call, err, "%s has shape %s, expected [%lld] (the channels of X)", name,
                            shape_format(t->rank, t->dims, buf, sizeof buf), (long long)channels);
    return STATUS_OK;
}

static status_t batchnorm_infer(op_call_t *call, error_t *err)
{
    static const char *const names[] = {"X", "scale", "B", "mean", "var"};
    const batchnorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t count;
    char buf[SHAPE_TEXT_MAX], want[SHAPE_TEXT_MAX];
    status_t st = check_data_rank(call, err);

    if (st != STATUS_OK)
        return st;
    for (int i = 1; i < 5; i++) {
        const tensor_t *t = call->inputs[i];
        if (!p->per_element) {
            st = check_channel_vector(call, i, names[i], err);
            if (st != STATUS_OK)
                return st;
        } else if (!shape_equal(t->rank, t->dims, x->rank - 1, x->dims + 1)) {
            return op_call_fail(call, err, "%s has shape %s, expected %s (spatial=0)", names[i],
                                shape_format(t->rank, t->dims, buf, sizeof buf),
                                shape_format(x->rank - 1, x->dims + 1, want, sizeof want));
        }
    }
    count = tensor_numel(call->inputs[1]);
    same_as_input(call);
    /* Training: the running mean and variance have the shape of the given ones. */
    for (int k = 1; k < call->n_outputs; k++) {
        call->outputs[k] = *call->inputs[2 + k];
        call->outputs[k].data = NULL;
    }
    /* mul and add, and in training the batch mean and variance. */
    if (x->dtype == DTYPE_DOUBLE) /* the batch mean and variance */
        call->workspace_size = (p->training ? 2 : 0) * (size_t)count * sizeof(double);
    else
        call->workspace_size = (p->training ? 4 : 2) * (size_t)count * sizeof(float);
    return STATUS_OK;
}

static status_t instancenorm_infer(op_call_t *call, error_t *err)
{
    status_t st = check_data_rank(call, err);

    if (st == STATUS_OK)
        st = check_channel_vector(call, 1, "scale", err);
    if (st == STATUS_OK)
        st = check_channel_vector(call, 2, "B", err);
    if (st != STATUS_OK)
        return st;
    same_as_input(call);
    call->workspace_size = 0;
    return STATUS_OK;
}

static status_t groupnorm_infer(op_call_t *call, error_t *err)
{
    static const char *const names[] = {"X", "scale", "bias"};
    const groupnorm_params_t *p = call->params;
    const tensor_t *x;
    int64_t channels, want;
    char buf[SHAPE_TEXT_MAX];
    status_t st = check_data_rank(call, err);

    if (st != STATUS_OK)
        return st;
    x = call->inputs[0];
    channels = x->dims[1];
    if (channels % p->num_groups != 0)
        return op_call_fail(call, err, "num_groups %lld does not divide the %lld channels of X %s",
                            (long long)p->num_groups, (long long)channels,
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    want = p->per_channel ? channels : p->num_groups;
    for (int i = 1; i < 3; i++) {
        const tensor_t *t = call->inputs[i];
        if (t->rank != 1 || t->dims[0] != want)
            return op_call_fail(call, err, "%s has shape %s, expected [%lld] (the %s)", names[i],
                                shape_format(t->rank, t->dims, buf, sizeof buf), (long long)want,
                                p->per_channel ? "channels of X" : "groups");
    }
    same_as_input(call);
    call->workspace_size = 0;
    return STATUS_OK;
}

/*
 * True if t broadcasts unidirectionally onto the normalised dims of x (those
 * from axis on); leading dims beyond those must be 1.
 */
static bool fits_normalized(const tensor_t *t, const tensor_t *x, int axis)
{
    int extra = t->rank - (x->rank - axis);

    for (int i = 0; i < t->rank; i++) {
        if (i < extra) {
            if (t->dims[i] != 1)
                return false;
        } else if (t->dims[i] != 1 && t->dims[i] != x->dims[axis + i - extra]) {
            return false;
        }
    }
    return true;
}

static status_t layernorm_infer(op_call_t *call, error_t *err)
{
    static const char *const names[] = {"X", "Scale", "B"};
    const layernorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t inner = 1;
    size_t expanded = 0;
    char buf[SHAPE_TEXT_MAX], want[SHAPE_TEXT_MAX];
    int axis;

    status_t st = check_same_type(call, err);

    if (st != STATUS_OK)
        return st;
    if (!axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for input %s", (long long)p->axis,
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    for (int i = axis; i < x->rank; i++)
        inner *= x->dims[i];
    for (int i = 1; i < call->n_inputs; i++) {
        const tensor_t *t = call->inputs[i];
        if (!t)
            continue;
        if (!fits_normalized(t, x, axis))
            return op_call_fail(call, err, "%s %s does not broadcast to the normalized shape %s",
                                names[i], shape_format(t->rank, t->dims, buf, sizeof buf),
                                shape_format(x->rank - axis, x->dims + axis, want, sizeof want));
        if (tensor_numel(t) != inner)
            expanded += (size_t)inner;
    }
    same_as_input(call);
    for (int k = 1; k < call->n_outputs; k++) {
        tensor_t *stat = &call->outputs[k];
        stat->dtype = DTYPE_FLOAT;
        stat->rank = x->rank;
        for (int i = 0; i < x->rank; i++)
            stat->dims[i] = i < axis ? x->dims[i] : 1;
        stat->data = NULL;
    }
    /* double: scale and bias are always laid out densely (norm_f64.c) */
    call->workspace_size =
        x->dtype == DTYPE_DOUBLE ? 2 * (size_t)inner * sizeof(double) : expanded * sizeof(float);
    return STATUS_OK;
}

/* Training mode takes its statistics over the batch. */
static bool batchnorm_batch_rows(const op_call_t *call)
{
    const batchnorm_params_t *p = call->params;

    return !p->training;
}

/* Rows stay apart when the normalised dims start after the batch. */
static bool layernorm_batch_rows(const op_call_t *call)
{
    const layernorm_params_t *p = call->params;
    int axis;

    return axis_normalize(p->axis, call->inputs[0]->rank, false, &axis) && axis >= 1;
}

const op_kernel_t batchnorm_kernel = {
    .name = "BatchNormalization",
    .info = &batchnorm_info,
    .params_size = sizeof(batchnorm_params_t),
    .infer = batchnorm_infer,
    .run = batchnorm_run,
    .batch_inputs = 1u << 0,
    .batch_rows = batchnorm_batch_rows,
};

const op_kernel_t instancenorm_kernel = {
    .name = "InstanceNormalization",
    .info = &instancenorm_info,
    .params_size = sizeof(instancenorm_params_t),
    .infer = instancenorm_infer,
    .run = instancenorm_run,
};

const op_kernel_t groupnorm_kernel = {
    .name = "GroupNormalization",
    .info = &groupnorm_info,
    .params_size = sizeof(groupnorm_params_t),
    .infer = groupnorm_infer,
    .run = groupnorm_run,
};

const op_kernel_t layernorm_kernel = {
    .name = "LayerNormalization",
    .info = &layernorm_info,
    .params_size = sizeof(layernorm_params_t),
    .infer = layernorm_infer,
    .run = layernorm_run,
    .inplace_inputs = 1u << 0, /* each row's moments are taken before it is written */
    .batch_inputs = 1u << 0,
    .batch_rows = layernorm_batch_rows,
};
