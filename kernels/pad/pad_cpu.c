#include "pad.h"

#include <assert.h>
#include <string.h>

#include "fill.h"

/* One output axis: where each output index reads from in the input. */
typedef struct pad_axis {
    int64_t out_dim;
    const int64_t *map; /* input index, or -1 for the constant */
    int64_t copy_begin; /* output range [copy_begin, copy_begin + copy_len) reads */
    int64_t copy_len;   /* input indices copy_from, copy_from + 1, ... */
    int64_t copy_from;
} pad_axis_t;

typedef struct pad_plan {
    int rank;
    size_t elem_size;
    pad_axis_t axes[TENSOR_MAX_RANK];
    int64_t src_stride[TENSOR_MAX_RANK]; /* bytes */
    int64_t dst_stride[TENSOR_MAX_RANK]; /* bytes */
    const void *value;
} pad_plan_t;

size_t pad_workspace_size(int rank, const int64_t *out_dims)
{
    int64_t total = 0;

    /* An empty output is never walked, however long its other axes are. */
    for (int i = 0; i < rank; i++) {
        if (out_dims[i] == 0)
            return 0;
        total += out_dims[i];
    }
    return (size_t)total * sizeof(int64_t);
}

/*
 * Input index for output index `rel` positions past the start of the kept
 * (cropped) range of length len starting at `from`. Reflection is periodic
 * with period 2 * (len - 1), which is what numpy's repeated reflection gives
 * for pads longer than the axis; wrap is periodic with period len.
 */
static int64_t pad_source(pad_mode_t mode, int64_t rel, int64_t from, int64_t len)
{
    int64_t period, m;

    if (rel >= 0 && rel < len)
        return from + rel;
    if (mode == PAD_CONSTANT)
        return -1;
    if (mode == PAD_WRAP) {
        m = rel % len;
        return from + (m < 0 ? m + len : m);
    }
    if (mode == PAD_EDGE || len == 1)
        return from + (rel < 0 ? 0 : len - 1);
    period = 2 * (len - 1);
    m = rel % period;
    if (m < 0)
        m += period;
    return from + (m < len ? m : period - m);
}

/* One element of the pad region, from the map (constant or a mirrored/edge element). */
static void pad_element(const pad_plan_t *p, const pad_axis_t *a, int64_t o, char *dst,
                        const char *src)
{
    int64_t es = (int64_t)p->elem_size;
    memcpy(dst + o * es, a->map[o] < 0 ? p->value : src + a->map[o] * es, p->elem_size);
}

/* The innermost axis: the pad elements one by one (there are few), the kept middle at once. */
static void pad_row(const pad_plan_t *p, char *dst, const char *src)
{
    const pad_axis_t *a = &p->axes[p->rank - 1];
    int64_t es = (int64_t)p->elem_size, copy_end = a->copy_begin + a->copy_len;

    for (int64_t o = 0; o < a->copy_begin; o++)
        pad_element(p, a, o, dst, src);
    if (a->copy_len > 0)
        memcpy(dst + a->copy_begin * es, src + a->copy_from * es, (size_t)(a->copy_len * es));
    for (int64_t o = copy_end; o < a->out_dim; o++)
        pad_element(p, a, o, dst, src);
}

static void pad_axis(const pad_plan_t *p, int axis, char *dst, const char *src)
{
    const pad_axis_t *a = &p->axes[axis];

    if (axis == p->rank - 1) {
        pad_row(p, dst, src);
        return;
    }
    for (int64_t o = 0; o < a->out_dim; o++) {
        char *d = dst + o * p->dst_stride[axis];
        if (a->map[o] < 0)
            fill_elements(d, p->value, p->elem_size, p->dst_stride[axis] / (int64_t)p->elem_size);
        else
            pad_axis(p, axis + 1, d, src + a->map[o] * p->src_stride[axis]);
    }
}

void pad_bytes(void *dst, const void *src, size_t elem_size, int rank, const int64_t *dims,
               const int64_t *pads, pad_mode_t mode, const void *value, void *workspace)
{
    pad_plan_t p = {.rank = rank, .elem_size = elem_size, .value = value};
    int64_t *map = workspace;
    int64_t src_stride = (int64_t)elem_size, dst_stride = (int64_t)elem_size;

    if (rank == 0) {
        memcpy(dst, src, elem_size);
        return;
    }
    /* Before any map is written: an empty output has no workspace. */
    for (int i = 0; i < rank; i++)
        if (dims[i] + pads[i] + pads[i + rank] == 0)
            return;
    for (int i = rank - 1; i >= 0; i--) {
        pad_axis_t *a = &p.axes[i];
        int64_t begin = pads[i], end = pads[i + rank];
        int64_t crop_begin = begin < 0 ? -begin : 0, crop_end = end < 0 ? -end : 0;

        a->out_dim = dims[i] + begin + end;
        a->copy_begin = begin > 0 ? begin : 0;
        a->copy_from = crop_begin;
        a->copy_len = dims[i] - crop_begin - crop_end;
        assert(a->copy_len >= 0 && (a->copy_len > 0 || mode == PAD_CONSTANT));
        for (int64_t o = 0; o < a->out_dim; o++)
            map[o] = pad_source(mode, o - a->copy_begin, a->copy_from, a->copy_len);
        a->map = map;
        map += a->out_dim;
        p.src_stride[i] = src_stride;
        p.dst_stride[i] = dst_stride;
        src_stride *= dims[i];
        dst_stride *= a->out_dim;
    }
    pad_axis(&p, 0, dst, src);
}

/* The fill element: constant_value (opset 11+), the `value` attribute, or 0. */
static void pad_value(const op_call_t *call, unsigned char *value)
{
    const pad_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *given = call->n_inputs > 2 ? call->inputs[2] : NULL;
    size_t es = dtype_size(x->dtype);

    memset(value, 0, DTYPE_MAX_SIZE);
    if (p->from_inputs) {
        if (given)
            memcpy(value, given->data, es);
    } else if (x->dtype == DTYPE_FLOAT) {
        memcpy(value, &p->value, sizeof p->value);
    } else {
        double v = p->value;
        assert(x->dtype == DTYPE_DOUBLE);
        memcpy(value, &v, sizeof v);
    }
}

status_t pad_run(op_call_t *call, error_t *err)
{
    const pad_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t pads[2 * TENSOR_MAX_RANK];
    unsigned char value[DTYPE_MAX_SIZE];
    status_t st = pad_resolve(call, pads, err);

    if (st != STATUS_OK)
        return st;
    assert(dtype_size(x->dtype) <= DTYPE_MAX_SIZE);
    pad_value(call, value);
    pad_bytes(call->outputs[0].data, x->data, dtype_size(x->dtype), x->rank, x->dims, pads, p->mode,
              value, call->workspace);
    return STATUS_OK;
}
