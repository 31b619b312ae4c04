/* ONNX adapter: Gelu (opset 20), approximate "none" or "tanh". */
#include "gelu.h"

#include <string.h>

static status_t adapt_gelu(const op_adapt_t *a, void *params, error_t *err)
{
    gelu_params_t *p = params;
    const char *approximate;
    status_t st = adapt_string(a, "approximate", "none", &approximate, err);

    if (st != STATUS_OK)
        return st;
    if (strcmp(approximate, "tanh") == 0)
        p->tanh_approximation = true;
    else if (strcmp(approximate, "none") != 0)
        return op_adapt_fail(a, err,
                             "attribute 'approximate' must be \"none\" or \"tanh\", got "
                             "\"%s\"",
                             approximate);
    return STATUS_OK;
}

const op_schema_t op_schemas_gelu[] = {
    {"Gelu", 20, OPSET_MAX, adapt_gelu, &gelu_onnx_kernel},
    {0},
};
