/*
 * rnn_proto.c - the prototype shared by LSTM, GRU and RNN: every input's
 * shape against X, W and R, the outputs' shapes for the layout, and the
 * workspace.
 */
#include <stdio.h>

#include "rnn.h"

#define RNN_FLOATS (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))
#define RNN_LENS   DTYPE_BIT(DTYPE_INT32)

static const op_info_t lstm_info = {
    .min_inputs = 3,
    .max_inputs = 8,
    .min_outputs = 0,
    .max_outputs = 3,
    .input_dtypes = {RNN_FLOATS, RNN_FLOATS, RNN_FLOATS, RNN_FLOATS, RNN_LENS, RNN_FLOATS,
                     RNN_FLOATS, RNN_FLOATS},
    .layout = "any",
};

/* GRU and RNN: no initial_c or P, no Y_c. */
static const op_info_t gru_rnn_info = {
    .min_inputs = 3,
    .max_inputs = 6,
    .min_outputs = 0,
    .max_outputs = 2,
    .input_dtypes = {RNN_FLOATS, RNN_FLOATS, RNN_FLOATS, RNN_FLOATS, RNN_LENS, RNN_FLOATS},
    .layout = "any",
};

static const tensor_t *input(const op_call_t *call, int i)
{
    return i < call->n_inputs ? call->inputs[i] : NULL;
}

void rnn_dims(const op_call_t *call, rnn_dims_t *d)
{
    const rnn_params_t *p = call->params;
    const tensor_t *x = call->inputs[RNN_IN_X];

    d->seq = x->dims[p->batch_first ? 1 : 0];
    d->batch = x->dims[p->batch_first ? 0 : 1];
    d->input = x->dims[2];
    d->dirs = (int)call->inputs[RNN_IN_W]->dims[0];
    d->hidden = call->inputs[RNN_IN_R]->dims[2];
    d->gates = rnn_gates(p->cell);
}

status_t rnn_check_seq_lens(const op_call_t *call, int64_t seq, error_t *err)
{
    const tensor_t *lens = input(call, RNN_IN_SEQ_LENS);

    if (!lens || !lens->data)
        return STATUS_OK;
    for (int64_t b = 0; b < lens->dims[0]; b++) {
        int32_t v = ((const int32_t *)lens->data)[b];
        if (v < 0 || v > seq)
            return op_call_fail(call, err,
                                "sequence_lens[%lld] is %d; lengths must be 0 to the sequence "
                                "length %lld",
                                (long long)b, (int)v, (long long)seq);
    }
    return STATUS_OK;
}

/* Fails unless t (named name) has the shape rank / dims. */
static status_t expect_shape(const op_call_t *call, const tensor_t *t, const char *name, int rank,
                             const int64_t *dims, error_t *err)
{
    char got[SHAPE_TEXT_MAX], want[SHAPE_TEXT_MAX];

    if (shape_equal(t->rank, t->dims, rank, dims))
        return STATUS_OK;
    return op_call_fail(call, err, "input %s has shape %s; expected %s", name,
                        shape_format(t->rank, t->dims, got, sizeof got),
                        shape_format(rank, dims, want, sizeof want));
}

/* X, W and R: rank 3, directions and gates as the attributes say, sizes within the limits. */
static status_t check_main(const op_call_t *call, error_t *err)
{
    const rnn_params_t *p = call->params;
    const tensor_t *x = call->inputs[RNN_IN_X], *w = call->inputs[RNN_IN_W];
    const tensor_t *r = call->inputs[RNN_IN_R];
    char sx[SHAPE_TEXT_MAX], sw[SHAPE_TEXT_MAX], sr[SHAPE_TEXT_MAX];
    int dirs = p->direction == RNN_BIDIRECTIONAL ? 2 : 1, gates = rnn_gates(p->cell);
    int64_t hidden;

    if (x->rank != 3 || w->rank != 3 || r->rank != 3)
        return op_call_fail(call, err, "X %s, W %s and R %s must all be 3-D",
                            shape_format(x->rank, x->dims, sx, sizeof sx),
                            shape_format(w->rank, w->dims, sw, sizeof sw),
                            shape_format(r->rank, r->dims, sr, sizeof sr));
    hidden = r->dims[2];
    if (hidden < 1 || (p->hidden_size && hidden != p->hidden_size))
        return op_call_fail(call, err, "R %s gives a hidden size of %lld; hidden_size is %lld",
                            shape_format(r->rank, r->dims, sr, sizeof sr), (long long)hidden,
                            (long long)p->hidden_size);
    if (x->dims[0] > RNN_MAX_DIM || x->dims[1] > RNN_MAX_DIM || x->dims[2] > RNN_MAX_DIM ||
        hidden > RNN_MAX_DIM)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "X %s or R %s has a side over %lld",
                       shape_format(x->rank, x->dims, sx, sizeof sx),
                       shape_format(r->rank, r->dims, sr, sizeof sr), (long long)RNN_MAX_DIM);
    if (w->dims[0] != dirs || w->dims[1] != gates * hidden || w->dims[2] != x->dims[2])
        return expect_shape(call, w, "W", 3, (const int64_t[]){dirs, gates * hidden, x->dims[2]},
                            err);
    if (r->dims[0] != dirs || r->dims[1] != gates * hidden)
        return expect_shape(call, r, "R", 3, (const int64_t[]){dirs, gates * hidden, hidden}, err);
    return STATUS_OK;
}

/* The optional inputs' shapes and dtypes. */
static status_t check_optional(const op_call_t *call, const rnn_dims_t *d, error_t *err)
{
    const rnn_params_t *p = call->params;
    static const char *const names[] = {"X",         "W",         "R", "B", "sequence_lens",
                                        "initial_h", "initial_c", "P"};
    const int64_t state_dims[3] = {p->batch_first ? d->batch : d->dirs,
                                   p->batch_first ? d->dirs : d->batch, d->hidden};
    dtype_t dtype = call->inputs[RNN_IN_X]->dtype;
    status_t st = STATUS_OK;

    for (int i = 1; i < call->n_inputs; i++) {
        const tensor_t *t = call->inputs[i];
        if (!t)
            continue;
        if (i != RNN_IN_SEQ_LENS && t->dtype != dtype)
            return op_call_fail(call, err, "input %s is %s but X is %s; they must match", names[i],
                                dtype_name(t->dtype), dtype_name(dtype));
        switch (i) {
        case RNN_IN_B:
            st = expect_shape(call, t, "B", 2, (const int64_t[]){d->dirs, 2 * d->gates * d->hidden},
                              err);
            break;
        case RNN_IN_SEQ_LENS:
            st = expect_shape(call, t, "sequence_lens", 1, (const int64_t[]){d->batch}, err);
            break;
        case RNN_IN_INITIAL_H:
        case RNN_IN_INITIAL_C:
            st = expect_shape(call, t, names[i], 3, state_dims, err);
            break;
        case RNN_IN_P:
            st = expect_shape(call, t, "P", 2,
                              (const int64_t[]){d->dirs, RNN_PEEPHOLES * d->hidden}, err);
            break;
        default:
            break;
        }
        if (st != STATUS_OK)
            return st;
    }
    return rnn_check_seq_lens(call, d->seq, err);
}

static void set_output(tensor_t *t, dtype_t dtype, int rank, const int64_t *dims)
{
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++)
        t->dims[i] = dims[i];
    t->data = NULL;
}

static status_t rnn_infer(op_call_t *call, error_t *err)
{
    const rnn_params_t *p = call->params;
    dtype_t dtype = call->inputs[RNN_IN_X]->dtype;
    rnn_dims_t d;
    int64_t y_dims[4], state_dims[3];
    status_t st;

    if ((st = check_main(call, err)) != STATUS_OK)
        return st;
    rnn_dims(call, &d);
    if ((st = check_optional(call, &d, err)) != STATUS_OK)
        return st;
    /* The input projection's rows, every direction's gates: the largest buffer of the run. */
    if (d.seq * d.batch * d.dirs * d.gates * d.hidden > TENSOR_MAX_ELEMENTS)
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "the input projection of %lld steps x %lld batch rows x %lld gate "
                       "columns exceeds %lld elements",
                       (long long)d.seq, (long long)d.batch,
                       (long long)(d.dirs * d.gates * d.hidden), (long long)TENSOR_MAX_ELEMENTS);
    if (p->batch_first) {
        y_dims[0] = d.batch;
        y_dims[1] = d.seq;
        y_dims[2] = d.dirs;
    } else {
        y_dims[0] = d.seq;
        y_dims[1] = d.dirs;
        y_dims[2] = d.batch;
    }
    y_dims[3] = d.hidden;
    state_dims[0] = p->batch_first ? d.batch : d.dirs;
    state_dims[1] = p->batch_first ? d.dirs : d.batch;
    state_dims[2] = d.hidden;
    for (int k = 0; k < call->n_outputs; k++) {
        if (k == RNN_OUT_Y)
            set_output(&call->outputs[k], dtype, 4, y_dims);
        else
            set_output(&call->outputs[k], dtype, 3, state_dims);
    }
    call->workspace_size = rnn_workspace_bytes(call);
    return STATUS_OK;
}

static bool rnn_describe(const op_call_t *call, char *impl, size_t size)
{
    if (call->inputs[RNN_IN_X]->dtype == DTYPE_DOUBLE)
        snprintf(impl, size, "inferd rnn f64");
    else
        snprintf(impl, size, "inferd rnn:%s", gemm_isa_name());
    return false;
}

/* W, R, B and P live on in the packed weights once pack has made them. */
#define RNN_PACKED (1u << RNN_IN_W | 1u << RNN_IN_R | 1u << RNN_IN_B | 1u << RNN_IN_P)

const op_kernel_t rnn_lstm_kernel = {
    .name = "LSTM",
    .info = &lstm_info,
    .params_size = sizeof(rnn_params_t),
    .infer = rnn_infer,
    .run = rnn_run,
    .pack = rnn_pack,
    .release = rnn_release,
    .describe = rnn_describe,
    .packed_inputs = RNN_PACKED,
};

const op_kernel_t rnn_gru_kernel = {
    .name = "GRU",
    .info = &gru_rnn_info,
    .params_size = sizeof(rnn_params_t),
    .infer = rnn_infer,
    .run = rnn_run,
    .pack = rnn_pack,
    .release = rnn_release,
    .describe = rnn_describe,
    .packed_inputs = RNN_PACKED,
};

const op_kernel_t rnn_rnn_kernel = {
    .name = "RNN",
    .info = &gru_rnn_info,
    .params_size = sizeof(rnn_params_t),
    .infer = rnn_infer,
    .run = rnn_run,
    .pack = rnn_pack,
    .release = rnn_release,
    .describe = rnn_describe,
    .packed_inputs = RNN_PACKED,
};
