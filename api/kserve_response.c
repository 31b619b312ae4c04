/*
 * kserve_response.c - writing a KServe v2 infer response: the JSON header
 * and, for outputs the client wants binary, the raw tensors after it.
 *
 * The text is written by hand (json_text.h says why), not through jansson.
 */
#include "kserve.h"
#include "kserve_input.h"
#include "kserve_internal.h"
#include "json_text.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Bytes guessed per JSON element when sizing the buffer up front. */
#define JSON_BYTES_PER_ELEMENT 12
/* Bytes guessed for everything in the response except tensor data. */
#define JSON_FIXED_BYTES 512

/* The elements of a BYTES tensor (each a 4-byte LE length and its bytes) as JSON strings. */
static void write_bytes_elements(json_text_t *b, const kserve_wire_output_t *w)
{
    const unsigned char *p = w->data;
    const unsigned char *end = p + w->bytes;

    for (int64_t i = 0; i < w->numel && end - p >= 4; i++) {
        uint32_t len =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        p += 4;
        /* kserve_wire_output wrote these: every length fits. */
        assert(len <= (size_t)(end - p));
        if (i)
            json_text_puts(b, ",");
        json_text_string_n(b, (const char *)p, len);
        p += len;
    }
}

/*
 * One output's entry; binary: its data follows the JSON; shm->region: its
 * data went into that region (w->bytes of it), and only the parameters
 * saying where are sent.
 */
static void write_output(json_text_t *b, const kserve_wire_output_t *w, const char *name,
                         bool binary, const kserve_shm_ref_t *shm)
{
    json_text_puts(b, "{\"name\":");
    json_text_string(b, name);
    json_text_puts(b, ",\"datatype\":");
    json_text_string(b, dtype_kserve_name(w->dtype));
    json_text_puts(b, ",\"shape\":[");
    for (int d = 0; d < w->rank; d++)
        json_text_printf(b, d ? ",%" PRId64 : "%" PRId64, w->dims[d]);
    if (shm->region) {
        json_text_puts(b, "],\"parameters\":{\"" KSERVE_SHM_PARAM_REGION "\":");
        json_text_string(b, shm->region);
        json_text_printf(b, ",\"" KSERVE_SHM_PARAM_OFFSET "\":%" PRIu64, shm->offset);
        json_text_printf(b, ",\"" KSERVE_SHM_PARAM_BYTE_SIZE "\":%zu}}", w->bytes);
        return;
    }
    if (binary) {
        json_text_puts(b, "],\"parameters\":{\"binary_data_size\":");
        json_text_printf(b, "%zu}}", w->bytes);
        return;
    }
    json_text_puts(b, "],\"data\":[");
    if (w->dtype == DTYPE_STRING)
        write_bytes_elements(b, w);
    for (int64_t i = 0; w->dtype != DTYPE_STRING && i < w->numel; i++) {
        if (i)
            json_text_puts(b, ",");
        json_text_element(b, w->dtype, w->data, i);
    }
    json_text_puts(b, "]}");
}

status_t kserve_write_infer_response(const request_t *req, const model_config_t *cfg,
                                     const char *model_name, const char *model_version,
                                     const kserve_output_prefs_t *prefs, char **body, size_t *size,
                                     size_t *header_len, error_t *err)
{
    json_text_t b = {0};
    kserve_wire_output_t *wire = calloc(REQUEST_MAX_TENSORS, sizeof *wire);
    arena_t arena; /* classifications, until they are copied into the body */
    uint64_t wanted, binary;
    size_t guess = JSON_FIXED_BYTES;
    bool first = true;
    status_t st = STATUS_OK;

    *body = NULL;
    *size = 0;
    *header_len = 0;
    arena_init(&arena);
    if (!wire) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
        goto cleanup;
    }
    if (cfg->n_outputs > REQUEST_MAX_TENSORS) {
        st = error_set(err, STATUS_INTERNAL, "model '%s' has more than %d outputs", cfg->name,
                       REQUEST_MAX_TENSORS);
        goto cleanup;
    }
    /* Bits past the model's outputs name nothing. */
    wanted = req->output_mask &
             (cfg->n_outputs >= 64 ? UINT64_MAX : (UINT64_C(1) << cfg->n_outputs) - 1);
    binary = wanted & prefs->binary_mask;
    for (int k = 0; k < cfg->n_outputs; k++)
        if (prefs->shm_outputs[k].region)
            binary &= ~(UINT64_C(1) << k);
    for (int k = 0; k < cfg->n_outputs; k++) {
        if (!(wanted & (UINT64_C(1) << k)))
            continue;
        st = kserve_wire_output(req, cfg, prefs, k, &arena, &wire[k], err);
        if (st != STATUS_OK)
            goto cleanup;
        /*
         * Tensors are bounded by TENSOR_MAX_ELEMENTS and classifications by
         * KSERVE_MAX_CLASS_BYTES, so the guess cannot overflow.
         */
        if (prefs->shm_outputs[k].region)
            continue;
        guess += (binary & (UINT64_C(1) << k)) || wire[k].dtype == DTYPE_STRING
                     ? wire[k].bytes + 2 * (size_t)wire[k].numel
                     : (size_t)wire[k].numel * JSON_BYTES_PER_ELEMENT;
    }
    json_text_reserve(&b, guess);

    json_text_puts(&b, "{\"model_name\":");
    json_text_string(&b, model_name);
    if (model_version) {
        json_text_puts(&b, ",\"model_version\":");
        json_text_string(&b, model_version);
    }
    if (req->id) {
        json_text_puts(&b, ",\"id\":");
        json_text_string(&b, req->id);
    }
    json_text_puts(&b, ",\"outputs\":[");
    for (int k = 0; k < cfg->n_outputs; k++) {
        if (!(wanted & (UINT64_C(1) << k)))
            continue;
        if (!first)
            json_text_puts(&b, ",");
        first = false;
        write_output(&b, &wire[k], cfg->outputs[k].name, (binary & (UINT64_C(1) << k)) != 0,
                     &prefs->shm_outputs[k]);
    }
    json_text_puts(&b, "]}");
    if (binary)
        *header_len = b.len;
    for (int k = 0; k < cfg->n_outputs; k++)
        if (binary & (UINT64_C(1) << k))
            json_text_append(&b, wire[k].data, wire[k].bytes);
    if (b.failed) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
        goto cleanup;
    }
    *body = b.data;
    *size = b.len;
    b.data = NULL;

cleanup:
    if (st != STATUS_OK)
        *header_len = 0;
    json_text_free(&b);
    free(wire);
    arena_release(&arena);
    return st;
}
