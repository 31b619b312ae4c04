/*
 * fuzz_rest_infer.c - the REST infer request decoder
 * (kserve_parse_infer_request), JSON only and with the binary tensor data
 * extension, inputs and outputs in shared memory included, against each of
 * fuzz_config's models.
 *
 * Input: byte 0 picks the case:
 *   bits 0-1  the model config (fuzz_config)
 *   bit 2     binary extension: bytes 1-2 are Inference-Header-Content-Length
 *             (little-endian; larger than the body is a case too)
 *   bit 3     a 16-element limit per tensor instead of the server's default
 * and the rest is the body.
 */
#include <string.h>

#include "fuzz_util.h"
#include "kserve.h"
#include "kserve_shm.h"

/* --max-tensor-elements the server runs with unless told otherwise; the small one tests the limit.
 */
#define FUZZ_LIMIT_DEFAULT 0
#define FUZZ_LIMIT_SMALL   16

/*
 * What a successful parse promises about one input: cfg's dtype and a shape
 * it allows, and either its data or (shm->region) a shared memory window of
 * exactly its size, whose data the front end reads later.
 */
static void check_input(const model_config_t *cfg, int k, const tensor_t *t, int64_t limit,
                        const kserve_shm_ref_t *shm)
{
    const model_tensor_config_t *tc = &cfg->inputs[k];
    int batch = cfg->max_batch_size > 0;
    int64_t numel;

    FUZZ_CHECK(t->dtype == tc->dtype);
    FUZZ_CHECK(t->rank == tc->rank + batch);
    FUZZ_CHECK(shape_valid(t->rank, t->dims, &numel));
    FUZZ_CHECK(limit <= 0 || numel <= limit);
    if (shm->region) {
        FUZZ_CHECK(t->data == NULL && shm->byte_size == (uint64_t)numel * dtype_size(t->dtype));
        FUZZ_CHECK(kserve_shm_check_name(shm->region, strlen(shm->region), NULL) == STATUS_OK);
        return;
    }
    FUZZ_CHECK(t->data != NULL || numel == 0);
    for (int d = 0; d < tc->rank; d++)
        FUZZ_CHECK(tc->dims[d] < 0 || t->dims[d + batch] == tc->dims[d]);
    if (batch)
        FUZZ_CHECK(t->dims[0] >= 1 && t->dims[0] <= cfg->max_batch_size);
    /* Read every byte, so a short buffer shows up under ASan. */
    if (numel > 0) {
        volatile unsigned char sink = 0;
        const unsigned char *p = t->data;
        for (size_t i = 0; i < (size_t)numel * dtype_size(t->dtype); i++)
            sink ^= p[i];
        (void)sink;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const model_config_t *cfg;
    request_t *req;
    kserve_output_prefs_t prefs;
    error_t err = {0};
    size_t header_len, skip = 1;
    int64_t limit;
    status_t st;

    if (size < 1)
        return 0;
    cfg = fuzz_config(data[0] & 3);
    limit = data[0] & 8 ? FUZZ_LIMIT_SMALL : FUZZ_LIMIT_DEFAULT;
    if (data[0] & 4) {
        if (size < 3)
            return 0;
        header_len = (size_t)data[1] | (size_t)data[2] << 8;
        skip = 3;
    } else {
        header_len = size - 1;
    }
    req = request_create();
    if (!req)
        return 0;
    st = kserve_parse_infer_request((const char *)data + skip, size - skip, header_len, cfg, limit,
                                    req, &prefs, &err);
    if (st == STATUS_OK) {
        FUZZ_CHECK(header_len <= size - skip);
        FUZZ_CHECK(req->n_inputs == cfg->n_inputs);
        FUZZ_CHECK(req->output_mask != 0);
        FUZZ_CHECK((prefs.binary_mask & ~req->output_mask) == 0);
        for (int k = 0; k < cfg->n_inputs; k++)
            check_input(cfg, k, &req->inputs[k], limit, &prefs.shm_inputs[k]);
        /* An output in shared memory is requested, and neither binary nor classified. */
        for (int k = 0; k < cfg->n_outputs; k++)
            FUZZ_CHECK(!prefs.shm_outputs[k].region ||
                       ((req->output_mask >> k & 1) && !(prefs.binary_mask >> k & 1) &&
                        prefs.class_count[k] == 0));
    } else {
        /* Every failure says what was wrong. */
        FUZZ_CHECK(err.code == st && err.message[0]);
        FUZZ_CHECK(st == STATUS_INVALID_ARGUMENT || st == STATUS_LIMIT_EXCEEDED ||
                   st == STATUS_UNSUPPORTED || st == STATUS_OUT_OF_MEMORY);
    }
    request_free(req);
    return 0;
}
