/*
 * kserve_shm.c - region names and keys, the REST register body and the
 * status answers of the system shared memory extension.
 */
#include "kserve_shm.h"

#include <inttypes.h>
#include <string.h>

#include <jansson.h>

#include "config_json.h"
#include "kserve_grpc.h"
#include "kserve_internal.h"

/* Printable ASCII other than space and '/': what names and keys are made of. */
static bool name_char(char c)
{
    return c > ' ' && c <= '~' && c != '/';
}

status_t kserve_shm_check_name(const char *name, size_t len, error_t *err)
{
    if (len == 0 || len > KSERVE_SHM_NAME_MAX)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "a shared memory region name must be 1 to %d characters, got %zu",
                         KSERVE_SHM_NAME_MAX, len);
    for (size_t i = 0; i < len; i++)
        if (!name_char(name[i]))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "shared memory region name '%.*s': character %zu is not printable "
                             "ASCII other than space and '/'",
                             (int)len, name, i);
    return STATUS_OK;
}

status_t kserve_shm_check_key(const char *key, size_t len, error_t *err)
{
    if (len < 2 || len > KSERVE_SHM_KEY_MAX || key[0] != '/')
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "shared memory key '%.*s' must be '/' followed by 1 to %d characters",
                         (int)(len > KSERVE_SHM_KEY_MAX ? KSERVE_SHM_KEY_MAX : len), key,
                         KSERVE_SHM_KEY_MAX - 1);
    for (size_t i = 1; i < len; i++)
        if (!name_char(key[i]))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "shared memory key '%.*s': character %zu is not printable ASCII "
                             "other than space and '/' (a key names an object in /dev/shm, not a "
                             "path)",
                             (int)len, key, i);
    if ((len == 2 && key[1] == '.') || (len == 3 && key[1] == '.' && key[2] == '.'))
        return error_set(err, STATUS_INVALID_ARGUMENT, "shared memory key '%.*s' is not an object",
                         (int)len, key);
    return STATUS_OK;
}

/* A non-negative integer member of the register body into *out; absent: STATUS_NOT_FOUND. */
static status_t register_number(const json_t *root, const char *field, uint64_t *out, error_t *err)
{
    const json_t *v = json_object_get(root, field);

    if (!v)
        return STATUS_NOT_FOUND;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "register body: %s must be a non-negative integer (bytes), got %s", field,
                         json_is_integer(v) ? "a negative one" : config_json_type_name(v));
    *out = (uint64_t)json_integer_value(v);
    return STATUS_OK;
}

status_t kserve_shm_parse_register(const char *body, size_t size, char *key, uint64_t *offset,
                                   uint64_t *byte_size, error_t *err)
{
    json_t *root = NULL;
    json_error_t jerr;
    const json_t *k;
    const char *field;
    json_t *value;
    status_t st = STATUS_OK;

    key[0] = '\0';
    *offset = 0;
    *byte_size = 0;
    if (size > KSERVE_SHM_REGISTER_BODY_MAX) {
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "register body is %zu bytes, over the limit of %d", size,
                       KSERVE_SHM_REGISTER_BODY_MAX);
        goto cleanup;
    }
    root = json_loadb(size ? body : "", size, JSON_REJECT_DUPLICATES, &jerr);
    if (!root || !json_is_object(root)) {
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "register body must be a JSON object like {\"key\": \"/name\", \"offset\": "
                       "0, \"byte_size\": 64}%s%s",
                       root ? "" : ": ", root ? "" : jerr.text);
        goto cleanup;
    }
    json_object_foreach(root, field, value)
    {
        if (strcmp(field, "key") != 0 && strcmp(field, "offset") != 0 &&
            strcmp(field, "byte_size") != 0) {
            st = error_set(err, STATUS_INVALID_ARGUMENT,
                           "unknown field '%s' in the register body (allowed: key, offset, "
                           "byte_size)",
                           field);
            goto cleanup;
        }
    }
    k = json_object_get(root, "key");
    if (!json_is_string(k)) {
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "register body: key must be a string naming the shared memory object, "
                       "got %s",
                       k ? config_json_type_name(k) : "nothing");
        goto cleanup;
    }
    /* A key holding a NUL would name another object than the one the client meant. */
    if (strlen(json_string_value(k)) != json_string_length(k)) {
        st = error_set(err, STATUS_INVALID_ARGUMENT, "register body: key holds a NUL character");
        goto cleanup;
    }
    st = kserve_shm_check_key(json_string_value(k), json_string_length(k), err);
    if (st)
        goto cleanup;
    st = register_number(root, "offset", offset, err);
    if (st == STATUS_NOT_FOUND)
        st = STATUS_OK;
    if (st)
        goto cleanup;
    st = register_number(root, "byte_size", byte_size, err);
    if (st == STATUS_NOT_FOUND)
        st = error_set(err, STATUS_INVALID_ARGUMENT, "register body: byte_size is missing");
    if (st)
        goto cleanup;
    memcpy(key, json_string_value(k), json_string_length(k) + 1);

cleanup:
    json_decref(root);
    return st;
}

char *kserve_shm_status_json(const kserve_shm_region_t *regions, int n)
{
    json_t *root = json_array();
    bool ok = root != NULL;

    for (int i = 0; ok && i < n; i++) {
        json_t *region = json_object();
        ok = region && json_array_append_new(root, region) == 0 &&
             json_object_set_new(region, "name", kserve_json_string(regions[i].name)) == 0 &&
             json_object_set_new(region, "key", kserve_json_string(regions[i].key)) == 0 &&
             json_object_set_new(region, "offset", json_integer((json_int_t)regions[i].offset)) ==
                 0 &&
             json_object_set_new(region, "byte_size",
                                 json_integer((json_int_t)regions[i].byte_size)) == 0;
    }
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return kserve_json_take(root);
}

Inference__SystemSharedMemoryStatusResponse *
kserve_grpc_shm_status(const kserve_shm_region_t *regions, int n, arena_t *arena)
{
    Inference__SystemSharedMemoryStatusResponse *r = arena_alloc(arena, sizeof *r);

    if (!r)
        return NULL;
    inference__system_shared_memory_status_response__init(r);
    r->regions = arena_alloc(arena, ((size_t)n + 1) * sizeof *r->regions);
    if (!r->regions)
        return NULL;
    for (int i = 0; i < n; i++) {
        Inference__SystemSharedMemoryStatusResponse__RegionsEntry *e =
            arena_alloc(arena, sizeof *e);
        Inference__SystemSharedMemoryStatusResponse__RegionStatus *s =
            arena_alloc(arena, sizeof *s);

        if (!e || !s)
            return NULL;
        inference__system_shared_memory_status_response__regions_entry__init(e);
        inference__system_shared_memory_status_response__region_status__init(s);
        e->key = kserve_grpc_text(arena, regions[i].name);
        s->name = e->key;
        s->key = kserve_grpc_text(arena, regions[i].key);
        s->offset = regions[i].offset;
        s->byte_size = regions[i].byte_size;
        e->value = s;
        if (!e->key || !s->key)
            return NULL;
        r->regions[i] = e;
    }
    r->n_regions = (size_t)n;
    return r;
}
