/*
 * test_om_header.c - the .om header check: a well-formed header (with
 * model_length, and with only the older length field) passes and reports
 * its fields; each way a file can be wrong fails naming what is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "om_header.h"

#define BODY_BYTES 100

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

/* A header as ATC writes it, declaring body bytes of model in model_length (or length). */
static void make_header(uint8_t *h, uint64_t body, bool old_length_field)
{
    memset(h, 0, OM_HEADER_BYTES);
    memcpy(h, "IMOD", 4);
    put_u32(h + 4, OM_HEADER_BYTES);
    put_u32(h + 8, 0x20000000u);
    h[82] = 1;
    memcpy(h + 84, "resnet50_bs1248_exactly_32_chars", 32);
    if (old_length_field)
        put_u32(h + 76, (uint32_t)body);
    else
        put_u64(h + 184, body);
}

static void expect_fail(const uint8_t *h, size_t n, uint64_t size, status_t code,
                        const char *needle)
{
    om_header_t out;
    error_t err = {0};

    CHECK(om_header_check(h, n, size, &out, &err) == code);
    if (!strstr(err.message, needle)) {
        fprintf(stderr, "message '%s' lacks '%s'\n", err.message, needle);
        CHECK(false);
    }
}

static void test_valid(void)
{
    uint8_t h[OM_HEADER_BYTES];
    om_header_t out;
    error_t err = {0};

    for (int old = 0; old < 2; old++) {
        make_header(h, BODY_BYTES, old);
        CHECK(om_header_check(h, sizeof h, OM_HEADER_BYTES + BODY_BYTES, &out, &err) == STATUS_OK);
        CHECK(!out.om2);
        CHECK(out.version == 0x20000000u);
        CHECK(out.model_type == 1);
        CHECK(out.model_bytes == BODY_BYTES);
        /* 32 bytes without a terminator in the file: the copy ends there. */
        CHECK(strcmp(out.name, "resnet50_bs1248_exactly_32_chars") == 0);
    }
    /* OM2: a ZIP package, left to the runtime. */
    CHECK(om_header_check((const uint8_t *)"PK\3\4rest", 8, 5000, &out, &err) == STATUS_OK);
    CHECK(out.om2 && out.model_bytes == 5000);
}

static void test_invalid(void)
{
    uint8_t h[OM_HEADER_BYTES];

    make_header(h, BODY_BYTES, false);
    expect_fail(h, 10, 10, STATUS_INVALID_ARGUMENT, "10 bytes is too short");
    expect_fail(h, sizeof h, OM_HEADER_BYTES + BODY_BYTES - 1, STATUS_INVALID_ARGUMENT,
                "declares 100 bytes of model, but 99 follow it (the file is truncated)");
    expect_fail(h, sizeof h, OM_HEADER_BYTES + BODY_BYTES + 7, STATUS_INVALID_ARGUMENT,
                "but 107 follow it (bytes were appended)");
    h[0] = 'X';
    expect_fail(h, sizeof h, OM_HEADER_BYTES + BODY_BYTES, STATUS_INVALID_ARGUMENT,
                "does not begin with \"IMOD\"");
    make_header(h, BODY_BYTES, false);
    put_u32(h + 4, 512);
    expect_fail(h, sizeof h, OM_HEADER_BYTES + BODY_BYTES, STATUS_INVALID_ARGUMENT,
                "declares 512 bytes of header");
    make_header(h, BODY_BYTES, false);
    h[80] = 1;
    expect_fail(h, sizeof h, OM_HEADER_BYTES + BODY_BYTES, STATUS_UNSUPPORTED, "encrypted");
    /* A declared length near 2^64 must not wrap into a match. */
    make_header(h, UINT64_MAX, false);
    expect_fail(h, sizeof h, OM_HEADER_BYTES + BODY_BYTES, STATUS_INVALID_ARGUMENT, "truncated");
}

static void test_file(void)
{
    char path[] = "/tmp/test_om_header_XXXXXX";
    uint8_t h[OM_HEADER_BYTES], body[BODY_BYTES] = {0};
    om_header_t out;
    error_t err = {0};
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;

    CHECK(f != NULL);
    if (!f)
        return;
    make_header(h, BODY_BYTES, false);
    fwrite(h, 1, sizeof h, f);
    fwrite(body, 1, sizeof body, f);
    fclose(f);
    CHECK(om_header_read_file(path, &out, &err) == STATUS_OK);
    CHECK(out.model_bytes == BODY_BYTES);
    remove(path);
    CHECK(om_header_read_file(path, &out, &err) == STATUS_NOT_FOUND);
    CHECK(strstr(err.message, path) != NULL);
}

int main(void)
{
    test_valid();
    test_invalid();
    test_file();
    CHECK_DONE();
}
