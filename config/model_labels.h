/*
 * model_labels.h - the class labels of a model's outputs, for Triton's
 * classification extension: each output whose configuration names a
 * label_filename gets the lines of that file (in the model's folder), line
 * i labelling class i. Read once when a version loads; immutable after.
 */
#ifndef INFERD_MODEL_LABELS_H
#define INFERD_MODEL_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "model_config.h"

/* Largest labels file read (ImageNet's 1000 labels take about 30 KiB). */
#define MODEL_LABELS_MAX_BYTES (16 << 20)
/* Longest label: a classification string carries one, per class sent back. */
#define MODEL_LABEL_MAX 1024

typedef struct model_labels model_labels_t;

/*
 * Reads the labels file of every output of cfg that names one, from dir
 * (the model's folder). *out is NULL when no output names one; otherwise
 * the caller frees it with model_labels_free. A missing or unreadable file,
 * one over MODEL_LABELS_MAX_BYTES, a label over MODEL_LABEL_MAX bytes or
 * holding a NUL byte fails, naming the file.
 */
status_t model_labels_load(const char *dir, const model_config_t *cfg, model_labels_t **out,
                           error_t *err);

void model_labels_free(model_labels_t *labels);

/*
 * The label of class index of output k (cfg's index), NUL-terminated and
 * borrowed from labels; NULL when labels is NULL, the output has no labels
 * file, or the file has no line index.
 */
const char *model_labels_get(const model_labels_t *labels, int k, int64_t index);

/* Length of the longest label of output k; 0 when it has none. */
size_t model_labels_longest(const model_labels_t *labels, int k);

#endif
