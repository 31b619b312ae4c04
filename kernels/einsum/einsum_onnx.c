/* ONNX adapter: Einsum (opset 12; unchanged since). The equation is parsed once, here. */
#include "einsum.h"

#include <string.h>

/* Reads one term up to a ',' or '-' or the end; *s is left on the delimiter. */
static bool parse_term(const char **s, einsum_term_t *t, const char **why)
{
    bool ellipsis = false;

    t->count = 0;
    for (; **s && **s != ',' && **s != '-'; (*s)++) {
        const char c = **s;
        int8_t label;
        if (c == ' ')
            continue;
        if (c == '.') {
            if (strncmp(*s, "...", 3) != 0 || ellipsis) {
                *why = ellipsis ? "a term has two ellipses" : "a '.' that is not part of '...'";
                return false;
            }
            ellipsis = true;
            label = EINSUM_ELLIPSIS;
            *s += 2;
        } else if (c >= 'A' && c <= 'Z') {
            label = (int8_t)(c - 'A');
        } else if (c >= 'a' && c <= 'z') {
            label = (int8_t)(26 + c - 'a');
        } else {
            *why = "a label that is not a letter";
            return false;
        }
        if (t->count >= TENSOR_MAX_RANK + (ellipsis ? 1 : 0)) {
            *why = "a term has more labels than the highest rank";
            return false;
        }
        t->labels[t->count++] = label;
    }
    return true;
}

bool einsum_parse(const char *equation, einsum_params_t *p, const char **why)
{
    const char *s = equation;

    memset(p, 0, sizeof *p);
    for (;;) {
        if (p->n_inputs == EINSUM_MAX_INPUTS) {
            *why = "too many operands";
            return false;
        }
        if (!parse_term(&s, &p->inputs[p->n_inputs++], why))
            return false;
        if (*s != ',')
            break;
        s++;
    }
    if (*s == '-') {
        if (s[1] != '>') {
            *why = "a '-' that is not part of '->'";
            return false;
        }
        s += 2;
        p->explicit_output = true;
        if (!parse_term(&s, &p->output, why))
            return false;
        if (*s) {
            *why = "text after the output term";
            return false;
        }
    }
    return true;
}

static status_t adapt_einsum(const op_adapt_t *a, void *params, error_t *err)
{
    einsum_params_t *p = params;
    const char *equation, *why = NULL;
    status_t st = adapt_string(a, "equation", NULL, &equation, err);

    if (st != STATUS_OK)
        return st;
    if (!equation)
        return op_adapt_fail(a, err, "attribute 'equation' is required");
    if (!einsum_parse(equation, p, &why))
        return op_adapt_fail(a, err, "equation '%s': %s", equation, why);
    if (p->n_inputs != a->n_inputs)
        return op_adapt_fail(a, err, "equation '%s' has %d operands, the node %d inputs", equation,
                             p->n_inputs, a->n_inputs);
    return STATUS_OK;
}

const op_schema_t op_schemas_einsum[] = {
    {"Einsum", 12, OPSET_MAX, adapt_einsum, &einsum_kernel},
    {0},
};
