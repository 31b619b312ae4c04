/*
 * fuzz_shm.c - the shared memory extension's messages from clients: the
 * REST register body (kserve_shm_parse_register), region names and keys
 * (kserve_shm_check_name, _key), and the status answers built from what
 * passed (kserve_shm_status_json, kserve_grpc_shm_status), which must read
 * back as what went in. The registry itself is not fuzzed here: it opens
 * objects by key, and a fuzzer must not reach other processes' objects.
 *
 * Input: byte 0 picks the case (mod 3): 0 the rest is a register body,
 * 1 a region name, 2 a key.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_util.h"
#include "kserve_shm.h"

/* Every byte of a name or key after its leading '/' is printable ASCII other than space and '/'. */
static void check_characters(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        FUZZ_CHECK(s[i] > ' ' && s[i] <= '~' && s[i] != '/');
}

/* A refusal has a message, and the error body built from it is valid JSON. */
static void check_refusal(status_t st, const error_t *err)
{
    char *text;
    json_t *back;

    FUZZ_CHECK(st == STATUS_INVALID_ARGUMENT && err->code == st && err->message[0]);
    text = kserve_error_json(err->message);
    back = text ? json_loads(text, 0, NULL) : NULL;
    FUZZ_CHECK(!text || back);
    json_decref(back);
    free(text);
}

/* The status of one region, over REST and gRPC, reads back as the region. */
static void check_status(const kserve_shm_region_t *region)
{
    Inference__SystemSharedMemoryStatusResponse *r, *back;
    char *text = kserve_shm_status_json(region, 1);
    json_t *root = text ? json_loads(text, 0, NULL) : NULL;
    arena_t arena = {0};
    uint8_t *wire = NULL;
    size_t size;

    if (text) {
        json_t *e = json_array_get(root, 0);
        FUZZ_CHECK(json_array_size(root) == 1);
        FUZZ_CHECK(strcmp(json_string_value(json_object_get(e, "name")), region->name) == 0);
        FUZZ_CHECK(strcmp(json_string_value(json_object_get(e, "key")), region->key) == 0);
        FUZZ_CHECK((uint64_t)json_integer_value(json_object_get(e, "offset")) == region->offset);
        FUZZ_CHECK((uint64_t)json_integer_value(json_object_get(e, "byte_size")) ==
                   region->byte_size);
    }
    json_decref(root);
    free(text);
    r = kserve_grpc_shm_status(region, 1, &arena);
    if (r) {
        size = inference__system_shared_memory_status_response__get_packed_size(r);
        wire = malloc(size + 1);
    }
    if (wire) {
        inference__system_shared_memory_status_response__pack(r, wire);
        back = inference__system_shared_memory_status_response__unpack(NULL, size, wire);
        FUZZ_CHECK(back && back->n_regions == 1 && back->regions[0]->value);
        FUZZ_CHECK(strcmp(back->regions[0]->key, region->name) == 0);
        FUZZ_CHECK(strcmp(back->regions[0]->value->key, region->key) == 0);
        FUZZ_CHECK(back->regions[0]->value->offset == region->offset);
        inference__system_shared_memory_status_response__free_unpacked(back, NULL);
    }
    free(wire);
    arena_release(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kserve_shm_region_t region = {.name = "r", .key = "/k", .offset = 0, .byte_size = 1};
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    error_t err = {0};
    status_t st;

    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        st = kserve_shm_parse_register(text, len, region.key, &region.offset, &region.byte_size,
                                       &err);
        if (st) {
            check_refusal(st, &err);
            FUZZ_CHECK(region.key[0] == '\0');
            break;
        }
        FUZZ_CHECK(region.key[0] == '/' && strlen(region.key) <= KSERVE_SHM_KEY_MAX);
        check_characters(region.key + 1, strlen(region.key) - 1);
        /* JSON integers: both within int64, as the registry's own bound needs. */
        FUZZ_CHECK(region.offset <= (uint64_t)INT64_MAX && region.byte_size <= (uint64_t)INT64_MAX);
        check_status(&region);
        break;
    case 1:
        st = kserve_shm_check_name(text, len, &err);
        if (st) {
            check_refusal(st, &err);
            break;
        }
        FUZZ_CHECK(len >= 1 && len <= KSERVE_SHM_NAME_MAX);
        check_characters(text, len);
        memcpy(region.name, text, len);
        region.name[len] = '\0';
        check_status(&region);
        break;
    default:
        st = kserve_shm_check_key(text, len, &err);
        if (st) {
            check_refusal(st, &err);
            break;
        }
        FUZZ_CHECK(len >= 2 && len <= KSERVE_SHM_KEY_MAX && text[0] == '/');
        check_characters(text + 1, len - 1);
        FUZZ_CHECK(!(len == 2 && text[1] == '.') &&
                   !(len == 3 && text[1] == '.' && text[2] == '.'));
        memcpy(region.key, text, len);
        region.key[len] = '\0';
        check_status(&region);
        break;
    }
    return 0;
}
