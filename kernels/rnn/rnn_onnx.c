/*
 * ONNX adapters of LSTM (1, 7, 14), GRU (1, 3, 7, 14) and RNN (1, 7, 14).
 * Changes across versions (ONNX's changelog): opset 1 has
 * `output_sequence` (0: Y may be omitted), which 7 drops; GRU-1 spells its
 * default direction "foward" and has Y_h as a required output; GRU-3 adds
 * linear_before_reset; 14 adds layout. Opsets 15 to 21 change none of
 * them.
 */
#include <string.h>
#include <strings.h>

#include "rnn.h"

/* Activation functions the ops name, as spelled by the spec; matched case-insensitively. */
static const struct {
    const char *name;
    rnn_act_kind_t kind;
    bool takes_alpha, takes_beta;
    /*
     * Defaults when activation_alpha / activation_beta run out. The spec
     * gives none; these are ONNX Runtime's, so a model that relies on them
     * means the same in both (Affine and ScaledTanh then compute 0).
     */
    float alpha, beta;
} act_table[] = {
    {"Relu", RNN_ACT_RELU, false, false, 0.0f, 0.0f},
    {"Tanh", RNN_ACT_TANH, false, false, 0.0f, 0.0f},
    {"Sigmoid", RNN_ACT_SIGMOID, false, false, 0.0f, 0.0f},
    {"Affine", RNN_ACT_AFFINE, true, true, 0.0f, 0.0f},
    {"LeakyRelu", RNN_ACT_LEAKY_RELU, true, false, 0.01f, 0.0f},
    {"ThresholdedRelu", RNN_ACT_THRESHOLDED_RELU, true, false, 0.0f, 0.0f},
    {"ScaledTanh", RNN_ACT_SCALED_TANH, true, true, 0.0f, 0.0f},
    {"HardSigmoid", RNN_ACT_HARD_SIGMOID, true, true, 0.2f, 0.5f},
    {"Elu", RNN_ACT_ELU, true, false, 1.0f, 0.0f},
    {"Softsign", RNN_ACT_SOFTSIGN, false, false, 0.0f, 0.0f},
    {"Softplus", RNN_ACT_SOFTPLUS, false, false, 0.0f, 0.0f},
};

#define ACT_COUNT ((int)(sizeof act_table / sizeof act_table[0]))

/* Activation names one node may list: RNN_MAX_ACTS per direction. */
#define ACT_LIST_MAX (RNN_MAX_DIRS * RNN_MAX_ACTS)

int rnn_gates(rnn_cell_t cell)
{
    return cell == RNN_CELL_LSTM ? 4 : cell == RNN_CELL_GRU ? 3 : 1;
}

int rnn_acts(rnn_cell_t cell)
{
    return cell == RNN_CELL_LSTM ? 3 : cell == RNN_CELL_GRU ? 2 : 1;
}

static status_t adapt_direction(const op_adapt_t *a, rnn_params_t *p, error_t *err)
{
    const char *dir;
    status_t st = adapt_string(a, "direction", "forward", &dir, err);

    if (st != STATUS_OK)
        return st;
    if (strcmp(dir, "forward") == 0)
        p->direction = RNN_FORWARD;
    else if (strcmp(dir, "reverse") == 0)
        p->direction = RNN_REVERSE;
    else if (strcmp(dir, "bidirectional") == 0)
        p->direction = RNN_BIDIRECTIONAL;
    /* GRU-1's schema spells its default "foward"; a model may have copied it. */
    else if (p->cell == RNN_CELL_GRU && a->opset < 3 && strcmp(dir, "foward") == 0)
        p->direction = RNN_FORWARD;
    else
        return op_adapt_fail(a, err,
                             "attribute 'direction' is '%s'; expected forward, reverse or "
                             "bidirectional",
                             dir);
    return STATUS_OK;
}

/*
 * activations, activation_alpha and activation_beta. The alphas are
 * consumed in list order by the functions that take one, and the betas
 * likewise. A bidirectional layer lists its forward functions, then its
 * reverse ones (all of them: the spec and ONNX Runtime refuse one
 * direction's list for both).
 */
static status_t adapt_activations(const op_adapt_t *a, rnn_params_t *p, const rnn_act_kind_t *def,
                                  error_t *err)
{
    const char *names[ACT_LIST_MAX];
    float alphas[ACT_LIST_MAX], betas[ACT_LIST_MAX];
    int n_names, n_alphas, n_betas, used_alpha = 0, used_beta = 0;
    int per_dir = rnn_acts(p->cell), dirs = p->direction == RNN_BIDIRECTIONAL ? 2 : 1;
    status_t st;

    if ((st = adapt_strings(a, "activations", ACT_LIST_MAX, names, &n_names, err)) != STATUS_OK ||
        (st = adapt_floats(a, "activation_alpha", ACT_LIST_MAX, alphas, &n_alphas, err)) !=
            STATUS_OK ||
        (st = adapt_floats(a, "activation_beta", ACT_LIST_MAX, betas, &n_betas, err)) != STATUS_OK)
        return st;
    if (n_names < 0) {
        for (int d = 0; d < RNN_MAX_DIRS; d++)
            for (int k = 0; k < per_dir; k++)
                p->acts[d][k] = (rnn_act_t){.kind = def[k]};
        return STATUS_OK;
    }
    if (n_names != per_dir * dirs)
        return op_adapt_fail(
            a, err, "attribute 'activations' lists %d functions; a %s layer takes %d", n_names,
            dirs == 2 ? "bidirectional" : "one-direction", per_dir * dirs);
    for (int i = 0; i < n_names; i++) {
        int t = 0;
        rnn_act_t *act = &p->acts[i / per_dir][i % per_dir];
        while (t < ACT_COUNT && strcasecmp(names[i], act_table[t].name) != 0)
            t++;
        if (t == ACT_COUNT)
            return op_adapt_fail(a, err,
                                 "activation function '%s' (item %d of 'activations') is "
                                 "not one the ONNX recurrent ops define",
                                 names[i], i);
        act->kind = act_table[t].kind;
        act->alpha = act_table[t].alpha;
        act->beta = act_table[t].beta;
        if (act_table[t].takes_alpha && used_alpha < n_alphas)
            act->alpha = alphas[used_alpha++];
        if (act_table[t].takes_beta && used_beta < n_betas)
            act->beta = betas[used_beta++];
    }
    return STATUS_OK;
}

static status_t adapt_common(const op_adapt_t *a, rnn_params_t *p, rnn_cell_t cell,
                             const rnn_act_kind_t *def, error_t *err)
{
    int64_t hidden, layout, output_sequence;
    status_t st;

    p->cell = cell;
    if ((st = adapt_direction(a, p, err)) != STATUS_OK ||
        (st = adapt_int(a, "hidden_size", 0, &hidden, err)) != STATUS_OK ||
        (st = adapt_int(a, "layout", 0, &layout, err)) != STATUS_OK ||
        (st = adapt_int(a, "output_sequence", 0, &output_sequence, err)) != STATUS_OK)
        return st;
    if (adapt_has(a, "hidden_size") && (hidden < 1 || hidden > RNN_MAX_DIM))
        return op_adapt_fail(a, err, "attribute 'hidden_size' is %lld; expected 1 to %lld",
                             (long long)hidden, (long long)RNN_MAX_DIM);
    p->hidden_size = hidden;
    /* layout arrived in opset 14; an older model's attribute of that name means nothing. */
    if (a->opset < 14)
        layout = 0;
    if (layout != 0 && layout != 1)
        return op_adapt_fail(a, err, "attribute 'layout' is %lld; expected 0 or 1",
                             (long long)layout);
    p->batch_first = layout == 1;
    /*
     * Opset 1's output_sequence only says whether Y may be omitted; Y is
     * computed whenever the node names it, so its value changes nothing.
     */
    if (a->opset < 7 && output_sequence != 0 && output_sequence != 1)
        return op_adapt_fail(a, err, "attribute 'output_sequence' is %lld; expected 0 or 1",
                             (long long)output_sequence);
    if (adapt_has(a, "clip")) {
        if ((st = adapt_float(a, "clip", 0.0f, &p->clip, err)) != STATUS_OK)
            return st;
        /* NaN fails too. */
        if (!(p->clip > 0.0f))
            return op_adapt_fail(a, err, "attribute 'clip' is %g; it must be positive",
                                 (double)p->clip);
        p->has_clip = true;
    }
    return adapt_activations(a, p, def, err);
}

static status_t adapt_lstm(const op_adapt_t *a, void *params, error_t *err)
{
    static const rnn_act_kind_t def[] = {RNN_ACT_SIGMOID, RNN_ACT_TANH, RNN_ACT_TANH};
    rnn_params_t *p = params;
    int64_t input_forget;
    status_t st;

    if ((st = adapt_common(a, p, RNN_CELL_LSTM, def, err)) != STATUS_OK ||
        (st = adapt_int(a, "input_forget", 0, &input_forget, err)) != STATUS_OK)
        return st;
    if (input_forget != 0 && input_forget != 1)
        return op_adapt_fail(a, err, "attribute 'input_forget' is %lld; expected 0 or 1",
                             (long long)input_forget);
    p->input_forget = input_forget == 1;
    return STATUS_OK;
}

static status_t adapt_gru(const op_adapt_t *a, void *params, error_t *err)
{
    static const rnn_act_kind_t def[] = {RNN_ACT_SIGMOID, RNN_ACT_TANH};
    rnn_params_t *p = params;
    int64_t lbr = 0;
    status_t st;

    if ((st = adapt_common(a, p, RNN_CELL_GRU, def, err)) != STATUS_OK)
        return st;
    /* Y_h is a required output of GRU-1 (optional from 3). */
    if (a->opset < 3 && a->n_outputs < 2)
        return op_adapt_fail(a, err, "output Y_h is required at opset %d", a->opset);
    if (a->opset >= 3 && (st = adapt_int(a, "linear_before_reset", 0, &lbr, err)) != STATUS_OK)
        return st;
    p->linear_before_reset = lbr != 0;
    return STATUS_OK;
}

static status_t adapt_rnn(const op_adapt_t *a, void *params, error_t *err)
{
    static const rnn_act_kind_t def[] = {RNN_ACT_TANH};

    return adapt_common(a, params, RNN_CELL_RNN, def, err);
}

const op_schema_t op_schemas_rnn[] = {
    {"LSTM", 1, 6, adapt_lstm, &rnn_lstm_kernel},
    {"LSTM", 7, 13, adapt_lstm, &rnn_lstm_kernel},
    {"LSTM", 14, OPSET_MAX, adapt_lstm, &rnn_lstm_kernel},
    {"GRU", 1, 2, adapt_gru, &rnn_gru_kernel},
    {"GRU", 3, 6, adapt_gru, &rnn_gru_kernel},
    {"GRU", 7, 13, adapt_gru, &rnn_gru_kernel},
    {"GRU", 14, OPSET_MAX, adapt_gru, &rnn_gru_kernel},
    {"RNN", 1, 6, adapt_rnn, &rnn_rnn_kernel},
    {"RNN", 7, 13, adapt_rnn, &rnn_rnn_kernel},
    {"RNN", 14, OPSET_MAX, adapt_rnn, &rnn_rnn_kernel},
    {0},
};
