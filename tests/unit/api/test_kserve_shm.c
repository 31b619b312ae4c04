/*
 * The shared memory extension's messages (api/kserve_shm.c): which region
 * names and keys pass, the REST register body and every way it can be
 * wrong, and the status answer over REST (JSON) and gRPC (packed and read
 * back).
 */
#include <jansson.h>

#include "kserve_fixtures.h"
#include "kserve_shm.h"

/* Checks status and that the message holds needle (NULL: anything). */
static void expect(int line, status_t st, const error_t *err, status_t want, const char *needle)
{
    if (st != want) {
        fprintf(stderr, "line %d: status %s, expected %s (%s)\n", line, status_name(st),
                status_name(want), err->message);
        check_failures++;
    }
    if (needle && !strstr(err->message, needle)) {
        fprintf(stderr, "line %d: message \"%s\" lacks \"%s\"\n", line, err->message, needle);
        check_failures++;
    }
}

static status_t name(const char *s, error_t *err)
{
    memset(err, 0, sizeof *err);
    return kserve_shm_check_name(s, strlen(s), err);
}

static status_t key(const char *s, error_t *err)
{
    memset(err, 0, sizeof *err);
    return kserve_shm_check_key(s, strlen(s), err);
}

static void test_names_and_keys(void)
{
    char longest[KSERVE_SHM_NAME_MAX + 2], long_key[KSERVE_SHM_KEY_MAX + 2];
    error_t err;

    expect(__LINE__, name("input0_data", &err), &err, STATUS_OK, NULL);
    expect(__LINE__, name("a.b-c:d@e", &err), &err, STATUS_OK, NULL);
    expect(__LINE__, name("", &err), &err, STATUS_INVALID_ARGUMENT, "1 to 128 characters, got 0");
    expect(__LINE__, name("in/0", &err), &err, STATUS_INVALID_ARGUMENT, "character 2");
    expect(__LINE__, name("in 0", &err), &err, STATUS_INVALID_ARGUMENT, "character 2");
    expect(__LINE__, name("in\x7f", &err), &err, STATUS_INVALID_ARGUMENT, "not printable");
    expect(__LINE__, name("\xc3\xa9t\xc3\xa9", &err), &err, STATUS_INVALID_ARGUMENT, "character 0");
    memset(longest, 'n', sizeof longest);
    longest[KSERVE_SHM_NAME_MAX] = '\0';
    expect(__LINE__, name(longest, &err), &err, STATUS_OK, NULL);
    longest[KSERVE_SHM_NAME_MAX] = 'n';
    longest[KSERVE_SHM_NAME_MAX + 1] = '\0';
    expect(__LINE__, name(longest, &err), &err, STATUS_INVALID_ARGUMENT, "got 129");
    /* The length given, not strlen: a NUL inside is a character like any other. */
    memset(&err, 0, sizeof err);
    expect(__LINE__, kserve_shm_check_name("a\0b", 3, &err), &err, STATUS_INVALID_ARGUMENT,
           "character 1");

    expect(__LINE__, key("/input_simple", &err), &err, STATUS_OK, NULL);
    expect(__LINE__, key("/x", &err), &err, STATUS_OK, NULL);
    expect(__LINE__, key("input_simple", &err), &err, STATUS_INVALID_ARGUMENT, "must be '/'");
    expect(__LINE__, key("/", &err), &err, STATUS_INVALID_ARGUMENT, "must be '/'");
    expect(__LINE__, key("", &err), &err, STATUS_INVALID_ARGUMENT, "must be '/'");
    expect(__LINE__, key("/../etc/passwd", &err), &err, STATUS_INVALID_ARGUMENT, "not a path");
    expect(__LINE__, key("/dev/shm/x", &err), &err, STATUS_INVALID_ARGUMENT, "character 4");
    expect(__LINE__, key("/.", &err), &err, STATUS_INVALID_ARGUMENT, "is not an object");
    expect(__LINE__, key("/..", &err), &err, STATUS_INVALID_ARGUMENT, "is not an object");
    expect(__LINE__, key("/...", &err), &err, STATUS_OK, NULL);
    expect(__LINE__, key("/a b", &err), &err, STATUS_INVALID_ARGUMENT, "character 2");
    long_key[0] = '/';
    memset(long_key + 1, 'k', sizeof long_key - 1);
    long_key[KSERVE_SHM_KEY_MAX] = '\0';
    expect(__LINE__, key(long_key, &err), &err, STATUS_OK, NULL);
    long_key[KSERVE_SHM_KEY_MAX] = 'k';
    long_key[KSERVE_SHM_KEY_MAX + 1] = '\0';
    expect(__LINE__, key(long_key, &err), &err, STATUS_INVALID_ARGUMENT, "1 to 254 characters");
}

static status_t parse(const char *body, char *k, uint64_t *offset, uint64_t *size, error_t *err)
{
    memset(err, 0, sizeof *err);
    return kserve_shm_parse_register(body, body ? strlen(body) : 0, k, offset, size, err);
}

static void test_register_body(void)
{
    char k[KSERVE_SHM_KEY_MAX + 1], big[KSERVE_SHM_REGISTER_BODY_MAX + 64];
    uint64_t offset = 1, size = 1;
    error_t err;

    expect(__LINE__,
           parse("{\"key\":\"/in\",\"offset\":16,\"byte_size\":64}", k, &offset, &size, &err), &err,
           STATUS_OK, NULL);
    CHECK(strcmp(k, "/in") == 0 && offset == 16 && size == 64);
    /* offset is optional; the largest int64 values are read exactly (the registry bounds them). */
    expect(__LINE__,
           parse("{\"key\":\"/in\",\"byte_size\":9223372036854775807}", k, &offset, &size, &err),
           &err, STATUS_OK, NULL);
    CHECK(offset == 0 && size == UINT64_C(9223372036854775807));

    expect(__LINE__, parse(NULL, k, &offset, &size, &err), &err, STATUS_INVALID_ARGUMENT,
           "JSON object");
    expect(__LINE__, parse("[1]", k, &offset, &size, &err), &err, STATUS_INVALID_ARGUMENT,
           "JSON object");
    expect(__LINE__, parse("{\"key\":", k, &offset, &size, &err), &err, STATUS_INVALID_ARGUMENT,
           "JSON object");
    expect(__LINE__,
           parse("{\"key\":\"/a\",\"key\":\"/b\",\"byte_size\":1}", k, &offset, &size, &err), &err,
           STATUS_INVALID_ARGUMENT, "duplicate");
    expect(__LINE__, parse("{\"byte_size\":64}", k, &offset, &size, &err), &err,
           STATUS_INVALID_ARGUMENT,
           "key must be a string naming the shared memory object, got nothing");
    expect(__LINE__, parse("{\"key\":7,\"byte_size\":64}", k, &offset, &size, &err), &err,
           STATUS_INVALID_ARGUMENT, "key must be a string");
    expect(__LINE__, parse("{\"key\":\"/a\\u0000b\",\"byte_size\":64}", k, &offset, &size, &err),
           &err, STATUS_INVALID_ARGUMENT, "NUL");
    expect(__LINE__, parse("{\"key\":\"a\",\"byte_size\":64}", k, &offset, &size, &err), &err,
           STATUS_INVALID_ARGUMENT, "must be '/'");
    expect(__LINE__, parse("{\"key\":\"/a\"}", k, &offset, &size, &err), &err,
           STATUS_INVALID_ARGUMENT, "byte_size is missing");
    expect(__LINE__, parse("{\"key\":\"/a\",\"byte_size\":-1}", k, &offset, &size, &err), &err,
           STATUS_INVALID_ARGUMENT, "byte_size must be a non-negative integer");
    expect(__LINE__, parse("{\"key\":\"/a\",\"byte_size\":1.5}", k, &offset, &size, &err), &err,
           STATUS_INVALID_ARGUMENT, "a real number");
    expect(__LINE__,
           parse("{\"key\":\"/a\",\"byte_size\":1,\"offset\":-4}", k, &offset, &size, &err), &err,
           STATUS_INVALID_ARGUMENT, "offset must be a non-negative integer");
    /* Past int64: jansson refuses the number, so the body is malformed. */
    expect(__LINE__,
           parse("{\"key\":\"/a\",\"byte_size\":18446744073709551616}", k, &offset, &size, &err),
           &err, STATUS_INVALID_ARGUMENT, "JSON object");
    expect(__LINE__,
           parse("{\"key\":\"/a\",\"byte_size\":1,\"device_id\":0}", k, &offset, &size, &err), &err,
           STATUS_INVALID_ARGUMENT, "unknown field 'device_id'");
    memset(big, ' ', sizeof big);
    big[sizeof big - 1] = '\0';
    memcpy(big, "{\"key\":\"/a\",\"byte_size\":1}", 26);
    expect(__LINE__, parse(big, k, &offset, &size, &err), &err, STATUS_INVALID_ARGUMENT,
           "over the limit of 4096");
    /* A failed parse leaves no key behind. */
    CHECK(k[0] == '\0');
}

static void test_status(void)
{
    kserve_shm_region_t regions[2] = {
        {.name = "in", .key = "/k1", .offset = 0, .byte_size = 64},
        {.name = "out", .key = "/k2", .offset = 4096, .byte_size = UINT64_C(1) << 40},
    };
    Inference__SystemSharedMemoryStatusResponse *r, *back;
    char *text = kserve_shm_status_json(regions, 2);
    json_t *root = text ? json_loads(text, 0, NULL) : NULL;
    arena_t arena = {0};
    uint8_t *wire;
    size_t size;

    CHECK(json_is_array(root) && json_array_size(root) == 2);
    if (json_is_array(root) && json_array_size(root) == 2) {
        json_t *out = json_array_get(root, 1);
        CHECK(strcmp(json_string_value(json_object_get(out, "name")), "out") == 0);
        CHECK(strcmp(json_string_value(json_object_get(out, "key")), "/k2") == 0);
        CHECK(json_integer_value(json_object_get(out, "offset")) == 4096);
        CHECK(json_integer_value(json_object_get(out, "byte_size")) == (json_int_t)1 << 40);
        CHECK(json_object_size(out) == 4);
    }
    json_decref(root);
    free(text);
    text = kserve_shm_status_json(regions, 0);
    CHECK(text && strcmp(text, "[]") == 0);
    free(text);

    r = kserve_grpc_shm_status(regions, 2, &arena);
    CHECK(r && r->n_regions == 2);
    size = r ? inference__system_shared_memory_status_response__get_packed_size(r) : 0;
    wire = malloc(size + 1);
    back = r && wire && inference__system_shared_memory_status_response__pack(r, wire) == size
               ? inference__system_shared_memory_status_response__unpack(NULL, size, wire)
               : NULL;
    CHECK(back && back->n_regions == 2);
    for (size_t i = 0; back && i < back->n_regions && i < 2; i++) {
        const Inference__SystemSharedMemoryStatusResponse__RegionStatus *v =
            back->regions[i]->value;
        CHECK(strcmp(back->regions[i]->key, regions[i].name) == 0);
        CHECK(v && strcmp(v->name, regions[i].name) == 0 && strcmp(v->key, regions[i].key) == 0);
        CHECK(v && v->offset == regions[i].offset && v->byte_size == regions[i].byte_size);
    }
    if (back)
        inference__system_shared_memory_status_response__free_unpacked(back, NULL);
    free(wire);
    r = kserve_grpc_shm_status(regions, 0, &arena);
    CHECK(r && r->n_regions == 0);
    arena_release(&arena);
}

int main(void)
{
    test_names_and_keys();
    test_register_body();
    test_status();
    CHECK_DONE();
}
