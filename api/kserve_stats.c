/*
 * kserve_stats.c - the body of GET /v2/models[/<m>[/versions/<v>]]/stats
 * in the shape of Triton's statistics extension, from batcher counters.
 */
#include "kserve.h"
#include "kserve_internal.h"

#define NS_PER_US 1000

/* JSON integers are int64; counters past that (never in practice) saturate. */
static json_t *count_json(uint64_t v)
{
    return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static uint64_t us_to_ns(uint64_t us)
{
    return us > UINT64_MAX / NS_PER_US ? UINT64_MAX : us * NS_PER_US;
}

/* {"count", "ns"} */
static json_t *duration_stat(uint64_t count, uint64_t ns)
{
    json_t *obj = json_object();

    if (obj && (json_object_set_new(obj, "count", count_json(count)) != 0 ||
                json_object_set_new(obj, "ns", count_json(ns)) != 0)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static bool set_new(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0;
}

/* The largest batch size histogram bucket i holds. */
static uint64_t bucket_batch_size(int i, int max_batch_size)
{
    uint64_t last_bound = UINT64_C(1) << (BATCHER_HISTOGRAM_BUCKETS - 2);

    if (i < BATCHER_HISTOGRAM_BUCKETS - 1)
        return UINT64_C(1) << i;
    return max_batch_size > 0 && (uint64_t)max_batch_size > last_bound ? (uint64_t)max_batch_size
                                                                       : last_bound + 1;
}

void kserve_stats_figures(const kserve_model_stats_t *m, kserve_stats_figures_t *out)
{
    const batcher_stats_t *s = &m->stats;

    out->success_count = s->success;
    out->fail_count = s->failed_invalid + s->failed_queue_full + s->failed_timeout +
                      s->failed_unavailable + s->failed_internal;
    out->queue_ns = us_to_ns(s->queue_us);
    out->compute_infer_ns = us_to_ns(s->compute_us);
    out->success_ns = out->queue_ns > UINT64_MAX - out->compute_infer_ns
                          ? UINT64_MAX
                          : out->queue_ns + out->compute_infer_ns;
    out->n_batches = 0;
    for (int i = 0; i < BATCHER_HISTOGRAM_BUCKETS; i++) {
        if (s->batch_histogram[i] == 0)
            continue;
        out->batches[out->n_batches].batch_size = bucket_batch_size(i, m->max_batch_size);
        out->batches[out->n_batches].count = s->batch_histogram[i];
        out->n_batches++;
    }
}

static json_t *inference_stats(const kserve_stats_figures_t *f)
{
    json_t *obj = json_object();
    bool ok = obj && set_new(obj, "success", duration_stat(f->success_count, f->success_ns)) &&
              set_new(obj, "fail", duration_stat(f->fail_count, 0)) &&
              set_new(obj, "queue", duration_stat(f->success_count, f->queue_ns)) &&
              set_new(obj, "compute_input", duration_stat(f->success_count, 0)) &&
              set_new(obj, "compute_infer", duration_stat(f->success_count, f->compute_infer_ns)) &&
              set_new(obj, "compute_output", duration_stat(f->success_count, 0));

    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *batch_stats(const kserve_stats_figures_t *f)
{
    json_t *arr = json_array();

    for (int i = 0; arr && i < f->n_batches; i++) {
        uint64_t count = f->batches[i].count;
        json_t *obj = json_object();
        bool ok = obj && set_new(obj, "batch_size", count_json(f->batches[i].batch_size)) &&
                  set_new(obj, "compute_input", duration_stat(count, 0)) &&
                  set_new(obj, "compute_infer", duration_stat(count, 0)) &&
                  set_new(obj, "compute_output", duration_stat(count, 0));

        if (!ok)
            json_decref(obj);
        /* Appending takes obj over, even when it fails. */
        if (!ok || json_array_append_new(arr, obj) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *model_stat(const kserve_model_stats_t *m)
{
    kserve_stats_figures_t f;
    json_t *obj = json_object();
    bool ok;

    kserve_stats_figures(m, &f);
    ok = obj && set_new(obj, "name", kserve_json_string(m->name)) &&
         set_new(obj, "version", kserve_json_string(m->version ? m->version : "")) &&
         set_new(obj, "last_inference", json_integer(m->last_inference_ms)) &&
         set_new(obj, "inference_count", count_json(m->stats.inferences)) &&
         set_new(obj, "execution_count", count_json(m->stats.executions)) &&
         set_new(obj, "inference_stats", inference_stats(&f)) &&
         set_new(obj, "batch_stats", batch_stats(&f));

    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

char *kserve_model_stats_json(const kserve_model_stats_t *models, int n)
{
    json_t *root = json_object();
    json_t *list = json_array();
    bool ok = root && list;

    for (int i = 0; ok && i < n; i++)
        ok = json_array_append_new(list, model_stat(&models[i])) == 0;
    ok = ok && set_new(root, "model_stats", json_incref(list));
    json_decref(list);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return kserve_json_take(root);
}
