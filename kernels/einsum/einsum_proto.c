#include "einsum.h"

#include <string.h>

static const op_info_t einsum_info = {
    .min_inputs = 1,
    .max_inputs = EINSUM_MAX_INPUTS,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_NUMERIC | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "any",
};

/* A label as the equation spells it, for messages. */
static char label_char(int label)
{
    return label < 26               ? (char)('A' + label)
           : label < EINSUM_LETTERS ? (char)('a' + label - 26)
                                    : '.';
}

/* Records operand i's dim of size dim for label; ellipsis dims broadcast, letters must agree. */
static status_t bind_label(op_call_t *call, einsum_plan_t *plan, int i, int label, int64_t dim,
                           int64_t stride, error_t *err)
{
    int64_t *size = &plan->size[label];

    if (*size < 0 || (label >= EINSUM_LETTERS && *size == 1)) {
        *size = dim;
    } else if (dim != *size && !(label >= EINSUM_LETTERS && dim == 1)) {
        if (label >= EINSUM_LETTERS)
            return op_call_fail(call, err,
                                "the '...' dims of operand %d do not broadcast (%lld against %lld)",
                                i, (long long)dim, (long long)*size);
        return op_call_fail(call, err, "label '%c' has size %lld in operand %d, %lld before",
                            label_char(label), (long long)dim, i, (long long)*size);
    }
    /* A broadcast dim of 1 repeats its one element; a repeated label adds strides (diagonal). */
    if (dim != 1)
        plan->strides[i][label] += stride;
    return STATUS_OK;
}

/* Two float32 operands whose every label is batch, row, column or contraction. */
static void classify_gemm(einsum_plan_t *plan, bool present[][EINSUM_MAX_LABELS],
                          const bool *in_out, dtype_t t)
{
    plan->gemm = plan->n_inputs == 2 && t == DTYPE_FLOAT;
    plan->batch_size = plan->m_size = plan->n_size = plan->k_size = 1;
    for (int l = 0; plan->gemm && l < EINSUM_MAX_LABELS; l++) {
        const bool a = present[0][l], b = present[1][l];
        if (plan->size[l] < 0)
            continue;
        if (a && b && in_out[l]) {
            plan->batch[plan->n_batch++] = (int8_t)l;
            plan->batch_size *= plan->size[l];
        } else if (a && !b && in_out[l]) {
            plan->m[plan->n_m++] = (int8_t)l;
            plan->m_size *= plan->size[l];
        } else if (!a && b && in_out[l]) {
            plan->n[plan->n_n++] = (int8_t)l;
            plan->n_size *= plan->size[l];
        } else if (a && b) {
            plan->k[plan->n_k++] = (int8_t)l;
            plan->k_size *= plan->size[l];
        } else {
            plan->gemm = false; /* summed within one operand: the walk does it */
        }
    }
}

status_t einsum_resolve(op_call_t *call, einsum_plan_t *plan, tensor_t *out, error_t *err)
{
    const einsum_params_t *p = call->params;
    bool present[EINSUM_MAX_INPUTS][EINSUM_MAX_LABELS] = {{false}};
    bool in_out[EINSUM_MAX_LABELS] = {false};
    int count[EINSUM_MAX_LABELS] = {0}, ell_rank[EINSUM_MAX_INPUTS], max_ell = 0;
    char buf[SHAPE_TEXT_MAX];
    status_t st;

    memset(plan, 0, sizeof *plan);
    plan->n_inputs = call->n_inputs;
    for (int l = 0; l < EINSUM_MAX_LABELS; l++)
        plan->size[l] = -1;
    for (int i = 0; i < call->n_inputs; i++) {
        const tensor_t *x = call->inputs[i];
        const einsum_term_t *t = &p->inputs[i];
        bool ellipsis = memchr(t->labels, EINSUM_ELLIPSIS, (size_t)t->count) != NULL;
        const int letters = t->count - (ellipsis ? 1 : 0);
        if (x->dtype != call->inputs[0]->dtype)
            return op_call_fail(call, err, "operand %d has dtype %s, operand 0 %s", i,
                                dtype_name(x->dtype), dtype_name(call->inputs[0]->dtype));
        if (ellipsis ? x->rank < letters : x->rank != letters)
            return op_call_fail(call, err, "operand %d of shape %s does not fit its %d labels%s", i,
                                shape_format(x->rank, x->dims, buf, sizeof buf), letters,
                                ellipsis ? " and '...'" : "");
        ell_rank[i] = ellipsis ? x->rank - letters : 0;
        max_ell = ell_rank[i] > max_ell ? ell_rank[i] : max_ell;
    }
    for (int i = 0; i < call->n_inputs; i++) {
        const tensor_t *x = call->inputs[i];
        const einsum_term_t *t = &p->inputs[i];
        int64_t strides[TENSOR_MAX_RANK];
        int d = 0;
        shape_strides(x->rank, x->dims, strides);
        for (int j = 0; j < t->count; j++) {
            if (t->labels[j] == EINSUM_ELLIPSIS) {
                for (int e = 0; e < ell_rank[i]; e++, d++) {
                    const int label = EINSUM_LETTERS + max_ell - ell_rank[i] + e;
                    if ((st = bind_label(call, plan, i, label, x->dims[d], strides[d], err)))
                        return st;
                    present[i][label] = true;
                }
                continue;
            }
            if ((st = bind_label(call, plan, i, t->labels[j], x->dims[d], strides[d], err)))
                return st;
            present[i][t->labels[j]] = true;
            count[t->labels[j]]++;
            d++;
        }
    }
    if (p->explicit_output) {
        for (int j = 0; j < p->output.count; j++) {
            const int label = p->output.labels[j];
            if (label == EINSUM_ELLIPSIS) {
                for (int e = 0; e < max_ell; e++) {
                    plan->out[plan->n_out++] = (int8_t)(EINSUM_LETTERS + e);
                    in_out[EINSUM_LETTERS + e] = true;
                }
                continue;
            }
            if (plan->size[label] < 0 || in_out[label])
                return op_call_fail(call, err, "output label '%c' is %s", label_char(label),
                                    in_out[label] ? "repeated" : "in no operand");
            if (plan->n_out == TENSOR_MAX_RANK)
                return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                               "the output would exceed rank %d", TENSOR_MAX_RANK);
            plan->out[plan->n_out++] = (int8_t)label;
            in_out[label] = true;
        }
    } else {
        for (int e = 0; e < max_ell; e++) {
            plan->out[plan->n_out++] = (int8_t)(EINSUM_LETTERS + e);
            in_out[EINSUM_LETTERS + e] = true;
        }
        for (int l = 0; l < EINSUM_LETTERS; l++) {
            if (count[l] != 1)
                continue;
            if (plan->n_out == TENSOR_MAX_RANK)
                return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                               "the output would exceed rank %d", TENSOR_MAX_RANK);
            plan->out[plan->n_out++] = (int8_t)l;
            in_out[l] = true;
        }
    }
    for (int l = 0; l < EINSUM_MAX_LABELS; l++)
        if (plan->size[l] >= 0 && !in_out[l])
            plan->sum[plan->n_sum++] = (int8_t)l;
    out->dtype = call->inputs[0]->dtype;
    out->rank = plan->n_out;
    out->data = NULL;
    for (int j = 0; j < plan->n_out; j++)
        out->dims[j] = plan->size[plan->out[j]];
    if (!shape_valid(out->rank, out->dims, NULL))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(out->rank, out->dims, buf, sizeof buf));
    classify_gemm(plan, present, in_out, out->dtype);
    return STATUS_OK;
}

/* In double: hostile sizes must not overflow before they are refused. */
static double gemm_scratch(const einsum_plan_t *plan)
{
    const double b = (double)plan->batch_size, m = (double)plan->m_size;
    const double n = (double)plan->n_size, k = (double)plan->k_size;

    return plan->gemm ? b * (m * k + k * n + m * n) : 0.0;
}

int64_t einsum_gemm_scratch(const einsum_plan_t *plan)
{
    return (int64_t)gemm_scratch(plan);
}

/* Products the strided walk computes: every output element times every summed position. */
static double walk_products(const einsum_plan_t *plan)
{
    double n = 1.0;

    for (int l = 0; l < EINSUM_MAX_LABELS; l++)
        if (plan->size[l] >= 0)
            n *= (double)plan->size[l];
    return n * plan->n_inputs;
}

static status_t einsum_infer(op_call_t *call, error_t *err)
{
    einsum_plan_t plan;
    status_t st = einsum_resolve(call, &plan, &call->outputs[0], err);
    int64_t scratch;

    if (st != STATUS_OK)
        return st;
    if (gemm_scratch(&plan) > (double)TENSOR_MAX_ELEMENTS)
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "the matrix product needs %.0f floats of scratch", gemm_scratch(&plan));
    if (!plan.gemm && walk_products(&plan) > EINSUM_MAX_WALK)
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "the equation takes %.3g products, over the limit of %.3g",
                       walk_products(&plan), EINSUM_MAX_WALK);
    scratch = einsum_gemm_scratch(&plan);
    call->workspace_size = (size_t)scratch * sizeof(float);
    return STATUS_OK;
}

const op_kernel_t einsum_kernel = {
    .name = "Einsum",
    .info = &einsum_info,
    .params_size = sizeof(einsum_params_t),
    .infer = einsum_infer,
    .run = einsum_run,
};
