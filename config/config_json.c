#include "config_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

status_t config_json_load(const char *path, size_t max_bytes, json_t **out, error_t *err)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len;
    json_error_t jerr;
    status_t st = STATUS_OK;

    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        st = error_set(err, e == ENOENT ? STATUS_NOT_FOUND : STATUS_IO, "%s: cannot open: %s", path,
                       strerror(e));
        goto cleanup;
    }
    /* One byte more than allowed tells a file at the limit from a longer one. */
    buf = malloc(max_bytes + 1);
    if (!buf) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "%s: out of memory", path);
        goto cleanup;
    }
    len = fread(buf, 1, max_bytes + 1, f);
    if (ferror(f)) {
        st = error_set(err, STATUS_IO, "%s: cannot read: %s", path, strerror(errno));
        goto cleanup;
    }
    if (len > max_bytes) {
        st = error_set(err, STATUS_LIMIT_EXCEEDED, "%s: larger than the limit of %zu bytes", path,
                       max_bytes);
        goto cleanup;
    }
    *out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out) {
        st = error_set(err, STATUS_INVALID_ARGUMENT, "%s:%d:%d: invalid JSON: %s", path, jerr.line,
                       jerr.column, jerr.text);
        goto cleanup;
    }
    if (!json_is_object(*out)) {
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "%s: the top level must be a JSON object, not %s", path,
                       config_json_type_name(*out));
        json_decref(*out);
        *out = NULL;
    }
cleanup:
    free(buf);
    if (f)
        fclose(f);
    return st;
}

const char *config_json_type_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "an unknown JSON value";
}
