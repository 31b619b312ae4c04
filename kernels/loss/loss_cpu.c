/* loss_cpu.c - run functions of NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. */
#include "loss.h"

static loss_shape_t shape_of(const tensor_t *x)
{
    loss_shape_t s = {.n = x->dims[0], .c = x->dims[1], .d = 1};

    for (int i = 2; i < x->rank; i++)
        s.d *= x->dims[i];
    return s;
}

static status_t finish(op_call_t *call, int64_t bad, const tensor_t *target, int64_t c,
                       error_t *err)
{
    if (bad < 0)
        return STATUS_OK;
    return op_call_fail(call, err,
                        "target %lld (element %lld) is outside [0, %lld) and is not ignore_index",
                        (long long)tensor_get_index(target, bad), (long long)bad, (long long)c);
}

status_t nll_loss_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0], *target = call->inputs[1];
    const tensor_t *weight = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const loss_shape_t s = shape_of(x);
    int64_t bad = loss_nll(x->dtype, call->params, &s, x->data, target,
                           weight ? weight->data : NULL, call->outputs[0].data);

    return finish(call, bad, target, s.c, err);
}

status_t softmax_cross_entropy_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0], *target = call->inputs[1];
    const tensor_t *weight = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const loss_shape_t s = shape_of(x);
    /* The log-probabilities go to output 1 when the model asks for it, else to the workspace. */
    void *logp = call->n_outputs > 1 ? call->outputs[1].data : call->workspace;
    int64_t bad;

    loss_log_softmax(x->dtype, &s, x->data, logp);
    bad = loss_nll(x->dtype, call->params, &s, logp, target, weight ? weight->data : NULL,
                   call->outputs[0].data);
    return finish(call, bad, target, s.c, err);
}
