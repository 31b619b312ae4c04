/*
 * mindspore_response.c - the answer to a MindSpore Serving method call,
 * one object per instance (mindspore.h).
 */
#include "mindspore.h"

#include <jansson.h>

#include "json_text.h"
#include "kserve_internal.h"

/* One instance's outputs, the batch dim of its single row left out. */
static void put_instance(json_text_t *b, const model_config_t *cfg, const tensor_t *outputs)
{
    int batch = cfg->max_batch_size > 0 ? 1 : 0;

    json_text_puts(b, "{");
    for (int k = 0; k < cfg->n_outputs; k++) {
        const tensor_t *t = &outputs[k];
        if (k)
            json_text_puts(b, ",");
        json_text_string(b, cfg->outputs[k].name);
        json_text_puts(b, ":");
        json_text_tensor(b, t->dtype, t->data, t->rank - batch, t->dims + batch);
    }
    json_text_puts(b, "}");
}

status_t mindspore_write_reply(batch_plan_t *plan, char **body, size_t *size, error_t *err)
{
    const model_config_t *cfg = plan->cfg;
    json_text_t b = {0};
    tensor_t outputs[MODEL_CONFIG_MAX_IO];
    status_t st = STATUS_OK;

    *body = NULL;
    *size = 0;
    json_text_puts(&b, "{\"instances\":[");
    for (int u = 0; u < plan->n_units && !b.failed; u++) {
        error_t why = {0};

        if (u)
            json_text_puts(&b, ",");
        if (batch_plan_outputs(plan, u, outputs, &why) != STATUS_OK) {
            json_text_puts(&b, "{\"error_msg\":");
            json_text_string(&b, why.message);
            json_text_puts(&b, "}");
            continue;
        }
        put_instance(&b, cfg, outputs);
    }
    json_text_puts(&b, "]}");
    *body = json_text_take(&b, size);
    if (!*body)
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the answer");
    return st;
}

char *mindspore_error_json(const char *message)
{
    json_t *root = json_object();

    if (root && json_object_set_new(root, "error_msg", kserve_json_string(message)) != 0) {
        json_decref(root);
        return NULL;
    }
    return kserve_json_take(root);
}
