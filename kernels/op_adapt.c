/* Attribute readers and the common failure message for adapters and prototypes. */
#include "op.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

status_t op_fail(error_t *err, status_t code, const char *op_type, const char *node,
                 const char *fmt, ...)
{
    char detail[ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return error_set(err, code, "%s node '%s': %s", op_type, node, detail);
}

static const attr_t *find_typed(const op_adapt_t *a, const char *name, attr_type_t type,
                                const char *type_name, status_t *st, error_t *err)
{
    const attr_t *attr = attrs_find(a->attrs, name);

    *st = STATUS_OK;
    if (attr && attr->type != type) {
        *st = op_adapt_fail(a, err, "attribute '%s' must be %s", name, type_name);
        return NULL;
    }
    return attr;
}

status_t adapt_int(const op_adapt_t *a, const char *name, int64_t def, int64_t *out, error_t *err)
{
    status_t st;
    const attr_t *attr = find_typed(a, name, ATTR_INT, "an int", &st, err);
    *out = attr ? attr->i : def;
    return st;
}

status_t adapt_float(const op_adapt_t *a, const char *name, float def, float *out, error_t *err)
{
    status_t st;
    const attr_t *attr = find_typed(a, name, ATTR_FLOAT, "a float", &st, err);
    *out = attr ? attr->f : def;
    return st;
}

status_t adapt_string(const op_adapt_t *a, const char *name, const char *def, const char **out,
                      error_t *err)
{
    status_t st;
    const attr_t *attr = find_typed(a, name, ATTR_STRING, "a string", &st, err);
    *out = attr ? attr->s : def;
    return st;
}

status_t adapt_ints(const op_adapt_t *a, const char *name, int max_count, int64_t *out, int *count,
                    error_t *err)
{
    status_t st;
    const attr_t *attr = find_typed(a, name, ATTR_INTS, "a list of ints", &st, err);

    *count = -1;
    if (!attr)
        return st;
    if (attr->count > (size_t)max_count)
        return op_adapt_fail(a, err, "attribute '%s' has %zu values, at most %d allowed", name,
                             attr->count, max_count);
    if (attr->count)
        memcpy(out, attr->ints, attr->count * sizeof *out);
    *count = (int)attr->count;
    return STATUS_OK;
}

status_t adapt_floats(const op_adapt_t *a, const char *name, int max_count, float *out, int *count,
                      error_t *err)
{
    status_t st;
    const attr_t *attr = find_typed(a, name, ATTR_FLOATS, "a list of floats", &st, err);

    *count = -1;
    if (!attr)
        return st;
    if (attr->count > (size_t)max_count)
        return op_adapt_fail(a, err, "attribute '%s' has %zu values, at most %d allowed", name,
                             attr->count, max_count);
    if (attr->count)
        memcpy(out, attr->floats, attr->count * sizeof *out);
    *count = (int)attr->count;
    return STATUS_OK;
}

status_t adapt_strings(const op_adapt_t *a, const char *name, int max_count, const char **out,
                       int *count, error_t *err)
{
    status_t st;
    const attr_t *attr = find_typed(a, name, ATTR_STRINGS, "a list of strings", &st, err);

    *count = -1;
    if (!attr)
        return st;
    if (attr->count > (size_t)max_count)
        return op_adapt_fail(a, err, "attribute '%s' has %zu values, at most %d allowed", name,
                             attr->count, max_count);
    for (size_t i = 0; i < attr->count; i++)
        out[i] = attr->strings[i];
    *count = (int)attr->count;
    return STATUS_OK;
}

status_t adapt_tensor(const op_adapt_t *a, const char *name, const tensor_t **out, error_t *err)
{
    status_t st;
    const attr_t *attr = find_typed(a, name, ATTR_TENSOR, "a tensor", &st, err);
    *out = attr ? attr->t : NULL;
    return st;
}

bool adapt_has(const op_adapt_t *a, const char *name)
{
    return attrs_find(a->attrs, name) != NULL;
}

status_t adapt_graph(const op_adapt_t *a, const char *name, const attr_t **out, error_t *err)
{
    status_t st;
    const attr_t *attr = find_typed(a, name, ATTR_GRAPH, "a graph", &st, err);

    *out = attr;
    if (!st && !attr)
        return op_adapt_fail(a, err, "attribute '%s' (a graph) is missing", name);
    return st;
}
