/*
 * restricted_api: entries parse into per-category rules (header names
 * lower-cased, gRPC keys checked), every malformed entry is refused with a
 * message that names the problem and never the value, a category may be
 * restricted once, and the check accepts exactly the configured value.
 */
#include <string.h>

#include "check.h"
#include "restricted_api.h"

/* A value no message may ever contain. */
#define SECRET "Zq7-s3cret/value=="

static status_t add(restricted_api_t *r, restricted_api_protocol_t p, const char *text,
                    error_t *err)
{
    memset(err, 0, sizeof *err);
    return restricted_api_add(r, p, text, err);
}

static bool allows(const restricted_api_t *r, restricted_api_category_t c, const char *value)
{
    return restricted_api_allows(r, c, value, value ? strlen(value) : 0);
}

static void test_names(void)
{
    CHECK(strcmp(restricted_api_category_name(RESTRICTED_API_MODEL_REPOSITORY),
                 "model-repository") == 0);
    CHECK(strcmp(restricted_api_category_name(RESTRICTED_API_SHARED_MEMORY), "shared-memory") == 0);
    CHECK(strcmp(restricted_api_category_name(RESTRICTED_API_UNSET), "") == 0);
    CHECK(strcmp(restricted_api_category_name(RESTRICTED_API_CATEGORY_COUNT), "") == 0);
    /* every category is in the list that messages and --help print */
    for (int c = RESTRICTED_API_UNSET + 1; c < RESTRICTED_API_CATEGORY_COUNT; c++)
        CHECK(strstr(RESTRICTED_API_CATEGORY_LIST,
                     restricted_api_category_name((restricted_api_category_t)c)));
}

static void test_parse(void)
{
    restricted_api_t r = {0};
    error_t err;

    CHECK(add(&r, RESTRICTED_API_HTTP,
              "model-repository,shared-memory:Admin-Key=" SECRET "  inference:x-infer=abc:d=e",
              &err) == STATUS_OK);
    CHECK(r.entries == 2);
    CHECK(strcmp(restricted_api_header(&r, RESTRICTED_API_MODEL_REPOSITORY), "admin-key") == 0);
    CHECK(strcmp(restricted_api_header(&r, RESTRICTED_API_SHARED_MEMORY), "admin-key") == 0);
    CHECK(strcmp(restricted_api_header(&r, RESTRICTED_API_INFERENCE), "x-infer") == 0);
    CHECK(restricted_api_header(&r, RESTRICTED_API_HEALTH) == NULL);
    CHECK(restricted_api_header(&r, RESTRICTED_API_UNSET) == NULL);
    /* the value runs to the end of the entry: ':' and '=' are part of it */
    CHECK(allows(&r, RESTRICTED_API_INFERENCE, "abc:d=e"));
    CHECK(allows(&r, RESTRICTED_API_MODEL_REPOSITORY, SECRET));
    CHECK(r.rules[RESTRICTED_API_INFERENCE].entry == 2);

    /* a later call adds entries; numbering goes on */
    CHECK(add(&r, RESTRICTED_API_HTTP, "statistics:k=v", &err) == STATUS_OK);
    CHECK(r.entries == 3 && r.rules[RESTRICTED_API_STATISTICS].entry == 3);
    restricted_api_clear(&r);
    CHECK(r.entries == 0 && restricted_api_header(&r, RESTRICTED_API_STATISTICS) == NULL);

    /* gRPC keys are lower-cased; '.' and '_' are allowed */
    CHECK(add(&r, RESTRICTED_API_GRPC, "health:X-Probe_Key.v1=" SECRET, &err) == STATUS_OK);
    CHECK(strcmp(restricted_api_header(&r, RESTRICTED_API_HEALTH), "x-probe_key.v1") == 0);
    /* limits at their edges */
    {
        char text[64 + RESTRICTED_API_HEADER_MAX + RESTRICTED_API_VALUE_MAX];
        restricted_api_t big = {0};
        snprintf(text, sizeof text, "logging:%.*s=%.*s", RESTRICTED_API_HEADER_MAX,
                 "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
                 RESTRICTED_API_VALUE_MAX,
                 "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                 "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                 "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                 "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
        CHECK(add(&big, RESTRICTED_API_HTTP, text, &err) == STATUS_OK);
        CHECK(big.rules[RESTRICTED_API_LOGGING].value_len == RESTRICTED_API_VALUE_MAX);
        CHECK(strlen(big.rules[RESTRICTED_API_LOGGING].header) == RESTRICTED_API_HEADER_MAX);
    }
}

typedef struct bad_entry {
    restricted_api_protocol_t protocol;
    const char *text;
    const char *expect; /* a substring of the message */
} bad_entry_t;

static const bad_entry_t bad_entries[] = {
    {RESTRICTED_API_HTTP, "", "no entry"},
    {RESTRICTED_API_HTTP, "   \t ", "no entry"},
    {RESTRICTED_API_HTTP, "x-key=" SECRET, "no ':'"},
    {RESTRICTED_API_HTTP, "inference:x-key-s3cret", "no '='"},
    {RESTRICTED_API_HTTP, "inference:x-key:s3cret", "no '='"},
    /* a value that swallowed the header is not quoted either */
    {RESTRICTED_API_HTTP, "inference:x-key:" SECRET, "HTTP header name"},
    {RESTRICTED_API_HTTP, "trace:x-key=" SECRET, "unknown category 'trace'"},
    {RESTRICTED_API_HTTP, "Inference:x-key=" SECRET, "not a list of categories"},
    /* a value typed where the categories go is not quoted */
    {RESTRICTED_API_HTTP, "x-key=" SECRET ":inference=1", "not a list of categories"},
    {RESTRICTED_API_HTTP, ":x-key=" SECRET, "empty category"},
    {RESTRICTED_API_HTTP, "inference,:x-key=" SECRET, "empty category"},
    {RESTRICTED_API_HTTP, "inference,,health:x-key=" SECRET, "empty category"},
    {RESTRICTED_API_HTTP, "inference,inference:x-key=" SECRET, "twice"},
    {RESTRICTED_API_HTTP, "inference:=" SECRET, "header name is empty"},
    {RESTRICTED_API_HTTP, "inference:x(key)=" SECRET, "HTTP header name"},
    {RESTRICTED_API_HTTP,
     "inference:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=" SECRET,
     "longer than 64"},
    {RESTRICTED_API_HTTP, "inference:x-key=", "value for 'x-key' is empty"},
    {RESTRICTED_API_HTTP, "inference:x-key=" SECRET "\x7f", "not printable"},
    {RESTRICTED_API_HTTP, "inference:x-key=" SECRET "\xc3\xa9", "not printable"},
    {RESTRICTED_API_HTTP,
     "inference:x-key="
     "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
     "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
     "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv" SECRET,
     "longer than 256"},
    /* the same category in two entries, with the same or another header */
    {RESTRICTED_API_HTTP, "inference:a=" SECRET " health,inference:b=" SECRET, "entries 1 and 2"},
    {RESTRICTED_API_HTTP, "inference:a=" SECRET " inference:a=" SECRET, "entries 1 and 2"},
    {RESTRICTED_API_GRPC, "inference:x key=" SECRET, "no '='"},
    {RESTRICTED_API_GRPC, "inference:x!key=" SECRET, "gRPC metadata key"},
    {RESTRICTED_API_GRPC, "inference:grpc-timeout=" SECRET, "reserved by gRPC"},
    {RESTRICTED_API_GRPC, "inference:GRPC-x=" SECRET, "reserved by gRPC"},
    {RESTRICTED_API_GRPC, "inference:token-bin=" SECRET, "binary metadata"},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof bad_entries / sizeof bad_entries[0]; i++) {
        const bad_entry_t *b = &bad_entries[i];
        restricted_api_t r = {0};
        error_t err;

        CHECK(add(&r, b->protocol, b->text, &err) == STATUS_INVALID_ARGUMENT);
        if (!strstr(err.message, b->expect)) {
            fprintf(stderr, "case %zu: \"%s\" not in: %s\n", i, b->expect, err.message);
            CHECK(0);
        }
        if (strstr(err.message, "s3cret")) {
            fprintf(stderr, "case %zu: the message quotes the value: %s\n", i, err.message);
            CHECK(0);
        }
    }
    /* a failing entry leaves what came before it */
    {
        restricted_api_t r = {0};
        error_t err;
        CHECK(add(&r, RESTRICTED_API_HTTP, "health:a=1 bogus:b=2", &err) != STATUS_OK);
        CHECK(r.entries == 1 && restricted_api_header(&r, RESTRICTED_API_HEALTH));
        CHECK(strstr(err.message, "entry 2"));
    }
}

static void test_allows(void)
{
    restricted_api_t r = {0};
    error_t err;
    char longer[RESTRICTED_API_VALUE_MAX + 16];

    CHECK(add(&r, RESTRICTED_API_HTTP, "inference:k=" SECRET, &err) == STATUS_OK);
    CHECK(allows(&r, RESTRICTED_API_INFERENCE, SECRET));
    /* only the value's own bytes: no prefix, no extension, no case folding */
    CHECK(!allows(&r, RESTRICTED_API_INFERENCE, NULL));
    CHECK(!allows(&r, RESTRICTED_API_INFERENCE, ""));
    CHECK(!allows(&r, RESTRICTED_API_INFERENCE, "Zq7-s3cret/value="));
    CHECK(!allows(&r, RESTRICTED_API_INFERENCE, SECRET "="));
    CHECK(!allows(&r, RESTRICTED_API_INFERENCE, "zq7-s3cret/value=="));
    CHECK(!allows(&r, RESTRICTED_API_INFERENCE, "Zq7-s3cret/value=!"));
    /* a value with a NUL after the secret is another value */
    CHECK(!restricted_api_allows(&r, RESTRICTED_API_INFERENCE, SECRET "\0", sizeof SECRET));
    /* longer than any value: refused, whatever it starts with */
    memset(longer, 'v', sizeof longer);
    memcpy(longer, SECRET, strlen(SECRET));
    CHECK(!restricted_api_allows(&r, RESTRICTED_API_INFERENCE, longer, sizeof longer));
    /* other categories are open whatever the request sends */
    CHECK(allows(&r, RESTRICTED_API_HEALTH, NULL));
    CHECK(allows(&r, RESTRICTED_API_MODEL_REPOSITORY, "anything"));
}

int main(void)
{
    test_names();
    test_parse();
    test_errors();
    test_allows();
    CHECK_DONE();
}
