/*
 * fuzz_mindspore.c - the MindSpore Serving REST codec: method call bodies
 * (mindspore_parse_call) against each of fuzz_config's models, the batch
 * plan its instances are cut into, and the reply written from completed
 * parts (mindspore_write_reply), which must be valid JSON with one answer
 * per instance. (URL paths are fuzzed by fuzz_tfserving: one parser.)
 *
 * Input: byte 0 picks the case:
 *   bits 0-1  the model config (fuzz_config)
 *   bit 3     a 16-element limit per tensor instead of the server's default
 * and the rest is the body.
 */
#include <stdlib.h>

#include <jansson.h>

#include "fuzz_util.h"
#include "mindspore.h"

#define FUZZ_LIMIT_SMALL 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const model_config_t *cfg;
    batch_plan_t plan;
    error_t err = {0};
    char *body = NULL;
    size_t len;
    status_t st;

    if (size < 1)
        return 0;
    cfg = fuzz_config(data[0] & 3);
    batch_plan_init(&plan, cfg);
    st = mindspore_parse_call((const char *)data + 1, size - 1, cfg,
                              data[0] & 8 ? FUZZ_LIMIT_SMALL : 0, &plan, &err);
    if (st != STATUS_OK) {
        FUZZ_CHECK(err.code == st && err.message[0]);
        FUZZ_CHECK(st == STATUS_INVALID_ARGUMENT || st == STATUS_LIMIT_EXCEEDED ||
                   st == STATUS_OUT_OF_MEMORY);
        goto cleanup;
    }
    FUZZ_CHECK(plan.n_units >= 1 && plan.n_units <= MINDSPORE_MAX_INSTANCES);
    for (int u = 0; u < plan.n_units; u++)
        FUZZ_CHECK(plan.units[u].inputs ? plan.units[u].rows == 1 : plan.units[u].message != NULL);
    if (!fuzz_run_plan(&plan))
        goto cleanup;
    if (mindspore_write_reply(&plan, &body, &len, &err) == STATUS_OK) {
        json_error_t jerr;
        json_t *root = json_loadb(body, len, 0, &jerr);
        FUZZ_CHECK(root != NULL);
        FUZZ_CHECK(json_array_size(json_object_get(root, "instances")) == (size_t)plan.n_units);
        json_decref(root);
    }

cleanup:
    free(body);
    batch_plan_free(&plan);
    return 0;
}
