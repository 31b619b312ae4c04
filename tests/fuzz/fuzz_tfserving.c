/*
 * fuzz_tfserving.c - the TF Serving REST codec: URL paths
 * (compat_route_find), :predict bodies (tfserving_parse_predict) against
 * each of fuzz_config's models, the batch plan they are cut into, and the
 * answer written from completed parts (tfserving_write_predict), which
 * must be valid JSON.
 *
 * Input: byte 0 picks the case:
 *   bits 0-1  the model config (fuzz_config)
 *   bit 2     a path instead of a body: the rest is "METHOD\nPATH"
 *   bit 3     a 16-element limit per tensor instead of the server's default
 * and the rest is the body (or the path).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compat_route.h"
#include "fuzz_util.h"
#include "tfserving.h"

#define FUZZ_LIMIT_SMALL 16
/* Longest method or path taken from the input. */
#define FUZZ_TEXT_MAX 2048

/* "METHOD\nPATH": what a parsed route promises. */
static void fuzz_route(const uint8_t *data, size_t size)
{
    char text[FUZZ_TEXT_MAX + 1], *path;
    compat_route_t r;

    if (size > FUZZ_TEXT_MAX)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    path = strchr(text, '\n');
    if (!path)
        return;
    *path++ = '\0';
    compat_route_find(path, text, &r);
    if (r.api == COMPAT_API_NONE)
        return;
    if (r.op == COMPAT_OP_MALFORMED) {
        FUZZ_CHECK(r.message[0] && !r.model && r.category == RESTRICTED_API_UNSET);
        return;
    }
    FUZZ_CHECK(r.model && r.model[0] && !strchr(r.model, '/') && !strchr(r.model, ':'));
    FUZZ_CHECK(r.category != RESTRICTED_API_UNSET);
    FUZZ_CHECK(r.version >= -1);
    FUZZ_CHECK(!r.label || (r.label[0] && !strchr(r.label, '/')));
    if (r.op == COMPAT_OP_MINDSPORE_CALL)
        FUZZ_CHECK(r.method && r.method[0] && !strchr(r.method, '/'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const model_config_t *cfg;
    batch_plan_t plan;
    tfserving_format_t format;
    tensor_t outputs[MODEL_CONFIG_MAX_IO];
    error_t err = {0};
    char *body = NULL;
    size_t len;
    status_t st;

    if (size < 1)
        return 0;
    if (data[0] & 4) {
        fuzz_route(data + 1, size - 1);
        return 0;
    }
    cfg = fuzz_config(data[0] & 3);
    batch_plan_init(&plan, cfg);
    st = tfserving_parse_predict((const char *)data + 1, size - 1, cfg,
                                 data[0] & 8 ? FUZZ_LIMIT_SMALL : 0, &plan, &format, &err);
    if (st != STATUS_OK) {
        FUZZ_CHECK(err.code == st && err.message[0]);
        FUZZ_CHECK(st == STATUS_INVALID_ARGUMENT || st == STATUS_LIMIT_EXCEEDED ||
                   st == STATUS_UNSUPPORTED || st == STATUS_OUT_OF_MEMORY);
        goto cleanup;
    }
    FUZZ_CHECK(plan.n_units == 1 && plan.units[0].inputs && plan.units[0].rows >= 1);
    if (!fuzz_run_plan(&plan) || batch_plan_outputs(&plan, 0, outputs, &err) != STATUS_OK)
        goto cleanup;
    if (tfserving_write_predict(format, cfg, outputs, &body, &len, &err) == STATUS_OK) {
        json_error_t jerr;
        json_t *root = json_loadb(body, len, 0, &jerr);
        FUZZ_CHECK(root != NULL);
        FUZZ_CHECK(json_object_get(root, format == TFSERVING_ROW ? "predictions" : "outputs"));
        json_decref(root);
    } else {
        /* Only the row form of outputs without a shared first dim is refused. */
        FUZZ_CHECK(format == TFSERVING_ROW && err.code == STATUS_INVALID_ARGUMENT);
    }

cleanup:
    free(body);
    batch_plan_free(&plan);
    return 0;
}
