/*
 * model_labels.c - reading the labels files of a model's outputs
 * (model_labels.h). Each file is kept as one buffer with its line ends
 * replaced by NULs, and an index of where each line starts.
 */
#include "model_labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>

/* The lines of one output's labels file. */
typedef struct label_file {
    char *text;   /* the file, each line NUL-terminated */
    char **lines; /* into text */
    int64_t n;    /* lines */
    size_t longest;
} label_file_t;

struct model_labels {
    label_file_t files[MODEL_CONFIG_MAX_IO]; /* by output index; n == 0: none */
};

/* Reads path whole into a malloc'd buffer (NUL-terminated) of at most MODEL_LABELS_MAX_BYTES. */
static status_t read_file(const char *path, char **out, size_t *len, error_t *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    status_t st = STATUS_OK;

    *out = NULL;
    if (!f)
        return error_set(err, errno == ENOENT ? STATUS_NOT_FOUND : STATUS_IO,
                         "labels file %s: cannot open: %s", path, strerror(errno));
    /* One byte more than allowed tells a file at the limit from a longer one. */
    buf = malloc((size_t)MODEL_LABELS_MAX_BYTES + 2);
    if (!buf) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "labels file %s: out of memory", path);
        goto cleanup;
    }
    *len = fread(buf, 1, (size_t)MODEL_LABELS_MAX_BYTES + 1, f);
    if (ferror(f)) {
        st = error_set(err, STATUS_IO, "labels file %s: cannot read", path);
        goto cleanup;
    }
    if (*len > MODEL_LABELS_MAX_BYTES) {
        st = error_set(err, STATUS_LIMIT_EXCEEDED,
                       "labels file %s: larger than the limit of %d bytes", path,
                       MODEL_LABELS_MAX_BYTES);
        goto cleanup;
    }
    buf[*len] = '\0';
    *out = buf;
    buf = NULL;
cleanup:
    free(buf);
    fclose(f);
    return st;
}

/* Splits text (len bytes) into lines in place: "\n" or "\r\n" ends one; a last line needs none. */
static status_t split_lines(const char *path, char *text, size_t len, label_file_t *lf,
                            error_t *err)
{
    size_t count = 0;
    int64_t n = 0;

    for (size_t i = 0; i < len; i++)
        count += text[i] == '\n';
    lf->lines = malloc((count + 1) * sizeof *lf->lines);
    if (!lf->lines)
        return error_set(err, STATUS_OUT_OF_MEMORY, "labels file %s: out of memory", path);
    for (size_t start = 0; start < len;) {
        char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t line_len = end - start;

        if (line_len > 0 && text[end - 1] == '\r')
            line_len--;
        if (memchr(text + start, '\0', line_len))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "labels file %s: line %lld holds a NUL byte", path, (long long)n + 1);
        if (line_len > MODEL_LABEL_MAX)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "labels file %s: line %lld is %zu bytes, over the limit of %d", path,
                             (long long)n + 1, line_len, MODEL_LABEL_MAX);
        text[start + line_len] = '\0';
        lf->lines[n++] = text + start;
        if (line_len > lf->longest)
            lf->longest = line_len;
        start = end + 1;
    }
    lf->n = n;
    return STATUS_OK;
}

status_t model_labels_load(const char *dir, const model_config_t *cfg, model_labels_t **out,
                           error_t *err)
{
    model_labels_t *labels = NULL;
    status_t st = STATUS_OK;

    *out = NULL;
    for (int k = 0; k < cfg->n_outputs && !st; k++) {
        const char *file = cfg->outputs[k].label_filename;
        char path[PATH_MAX];
        size_t len = 0;

        if (!file[0])
            continue;
        if (!labels && !(labels = calloc(1, sizeof *labels))) {
            st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
            break;
        }
        if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) {
            st = error_set(err, STATUS_INVALID_ARGUMENT, "labels file path %s/%s is too long", dir,
                           file);
            break;
        }
        st = read_file(path, &labels->files[k].text, &len, err);
        if (!st)
            st = split_lines(path, labels->files[k].text, len, &labels->files[k], err);
    }
    if (st) {
        model_labels_free(labels);
        return st;
    }
    *out = labels;
    return STATUS_OK;
}

void model_labels_free(model_labels_t *labels)
{
    if (!labels)
        return;
    for (int k = 0; k < MODEL_CONFIG_MAX_IO; k++) {
        free(labels->files[k].lines);
        free(labels->files[k].text);
    }
    free(labels);
}

const char *model_labels_get(const model_labels_t *labels, int k, int64_t index)
{
    if (!labels || k < 0 || k >= MODEL_CONFIG_MAX_IO || index < 0 || index >= labels->files[k].n)
        return NULL;
    return labels->files[k].lines[index];
}

size_t model_labels_longest(const model_labels_t *labels, int k)
{
    return labels && k >= 0 && k < MODEL_CONFIG_MAX_IO ? labels->files[k].longest : 0;
}
