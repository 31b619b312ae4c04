/*
 * test_single_model.c - the single-model repository layout, what KServe's
 * storage initializer leaves in /mnt/models: a folder holding one .onnx
 * file (any name) and optionally config.json.
 *
 *   the model serves as version 1 under --model-name, or under the file
 *   name without .onnx; config.json beside it applies; a subfolder that is
 *   not laid out as a model is no obstacle;
 *   poll mode reloads the file when it changes, and a root that turns
 *   ambiguous (a second .onnx file) is reported and changes nothing;
 *   explicit mode lists and loads the model by its name;
 *   a root with two .onnx files, or one beside a model folder, stops the
 *   server at start with a message naming them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "harness.h"

#define WATCHDOG_SECS 120
/* Longest a change may take to show in poll mode (polls are 1 s apart). */
#define RELOAD_TIMEOUT_MS 15000
/* Longest inferd may take to refuse an ambiguous repository, in seconds (timeout(1)). */
#define REFUSE_TIMEOUT_SECS 20
/* Most output kept from a server refusing to start. */
#define REFUSE_OUTPUT_MAX 4096

static const char infer_body[] =
    "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";

static long status_of(harness_response_t r)
{
    long status = r.status;
    harness_response_free(&r);
    return status;
}

/* y[0] of the affine model for x[0] = 1 from model name; -1 on failure. */
static double infer_y0(int port, const char *name)
{
    char *path = harness_format("/v2/models/%s/infer", name);
    harness_response_t r = harness_post(port, path, infer_body);
    json_t *root = harness_json(&r);
    json_t *out = json_array_get(json_object_get(root, "outputs"), 0);
    double y0 =
        r.status == 200 ? json_number_value(json_array_get(json_object_get(out, "data"), 0)) : -1;

    if (r.status == 200)
        CHECK(strcmp(json_string_value(json_object_get(root, "model_version")), "1") == 0);
    json_decref(root);
    harness_response_free(&r);
    free(path);
    return y0;
}

static bool wait_y0(int port, const char *name, double want)
{
    for (double start = harness_now_ms(); harness_now_ms() - start < RELOAD_TIMEOUT_MS;
         harness_sleep_ms(50))
        if (infer_y0(port, name) == want)
            return true;
    return false;
}

/* Copies the affine model made earlier (not in repo: no half-written .onnx appears there). */
static void put_model(const char *from, const char *repo, const char *file)
{
    char *to = harness_format("%s/%s", repo, file);
    CHECK(harness_copy_file(from, to));
    free(to);
}

/* A root with model.onnx, config.json and an unrelated subfolder, served as "kserve-demo". */
static void test_named(const char *repo, const char *model_2x1)
{
    const char *args[] = {"--model-name", "kserve-demo", NULL};
    char *notes = harness_format("%s/assets/notes.txt", repo);
    harness_server_t *s;
    int port;

    put_model(model_2x1, repo, "model.onnx");
    CHECK(harness_write_file(notes, "not a model", 11));
    {
        char *config = harness_format("%s/config.json", repo);
        const char *text = "{\"name\": \"kserve-demo\", \"max_batch_size\": 8}";
        CHECK(harness_write_file(config, text, strlen(text)));
        free(config);
    }
    s = harness_start(repo, args);
    CHECK(s != NULL);
    if (!s)
        goto cleanup;
    port = harness_http_port(s);
    CHECK(status_of(harness_get(port, "/v2/models/kserve-demo/versions/1/ready")) == 200);
    CHECK(infer_y0(port, "kserve-demo") == 3);
    /* Not under the file's name, nor the subfolder's. */
    CHECK(status_of(harness_get(port, "/v2/models/model")) == 404);
    CHECK(status_of(harness_get(port, "/v2/models/assets")) == 404);
    {
        harness_response_t r = harness_get(port, "/v2/models/kserve-demo/config");
        json_t *config = harness_json(&r);
        /* config.json applied: the batch dim is the config's, not the model's own. */
        CHECK(json_integer_value(json_object_get(config, "max_batch_size")) == 8);
        json_decref(config);
        harness_response_free(&r);
    }
    CHECK(HARNESS_STOP(s) == 0);
cleanup:
    free(notes);
}

/* Without --model-name the model is named after its file; poll mode follows the file. */
static void test_poll(const char *repo, const char *model_2x1, const char *model_3x1)
{
    const char *args[] = {"--model-control-mode", "poll", "--repository-poll-secs", "1", NULL};
    char *extra = harness_format("%s/extra.onnx", repo);
    harness_server_t *s;
    int port;

    put_model(model_2x1, repo, "affine.onnx");
    s = harness_start(repo, args);
    CHECK(s != NULL);
    if (!s)
        goto cleanup;
    port = harness_http_port(s);
    CHECK(infer_y0(port, "affine") == 3);
    put_model(model_3x1, repo, "affine.onnx");
    CHECK(wait_y0(port, "affine", 4));
    /* A second .onnx file: reported, and the model keeps serving as it was. */
    put_model(model_2x1, repo, "extra.onnx");
    CHECK(harness_wait_log(s, "is ambiguous: it holds 2 .onnx files", RELOAD_TIMEOUT_MS));
    CHECK(infer_y0(port, "affine") == 4);
    remove(extra);
    put_model(model_2x1, repo, "affine.onnx");
    CHECK(wait_y0(port, "affine", 3));
    CHECK(HARNESS_STOP(s) == 0);
cleanup:
    free(extra);
}

/* Explicit mode: the index names the single model before it is loaded. */
static void test_explicit(const char *repo, const char *model_2x1)
{
    const char *args[] = {"--model-control-mode", "explicit", "--model-name", "iris", NULL};
    harness_server_t *s;
    harness_response_t r;
    json_t *index;
    int port;

    put_model(model_2x1, repo, "model.onnx");
    s = harness_start(repo, args);
    CHECK(s != NULL);
    if (!s)
        return;
    port = harness_http_port(s);
    r = harness_post(port, "/v2/repository/index", NULL);
    index = harness_json(&r);
    CHECK(json_array_size(index) == 1);
    CHECK(strcmp(json_string_value(json_object_get(json_array_get(index, 0), "name")), "iris") ==
          0);
    json_decref(index);
    harness_response_free(&r);
    CHECK(status_of(harness_post(port, "/v2/repository/models/model/load", NULL)) == 404);
    CHECK(status_of(harness_post(port, "/v2/repository/models/iris/load", NULL)) == 200);
    CHECK(infer_y0(port, "iris") == 3);
    CHECK(HARNESS_STOP(s) == 0);
}

/*
 * Runs `inferd serve` on repo, which must refuse to start (exit 1) with a
 * message holding each of needles (NULL-terminated).
 */
static void check_refused(const char *repo, const char *const *needles)
{
    const char *binary = getenv("INFERD_BINARY");
    char *cmd = harness_format("timeout %d '%s' serve --model-repository '%s' --http-port 0 "
                               "--grpc-port 0 --metrics-port -1 --bind-address 127.0.0.1 2>&1",
                               REFUSE_TIMEOUT_SECS, binary ? binary : "inferd", repo);
    char output[REFUSE_OUTPUT_MAX];
    size_t n = 0;
    FILE *p = popen(cmd, "r");
    int status;

    CHECK(p != NULL);
    if (!p)
        goto cleanup;
    while (n < sizeof output - 1 && fgets(output + n, (int)(sizeof output - n), p))
        n += strlen(output + n);
    output[n] = '\0';
    status = pclose(p);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    for (int i = 0; needles[i]; i++)
        if (!strstr(output, needles[i])) {
            fprintf(stderr, "\"%s\" not in the output of %s:\n%s\n", needles[i], cmd, output);
            CHECK(0);
        }
cleanup:
    free(cmd);
}

static void test_ambiguous(const char *repo, const char *model_2x1)
{
    char *folder_model = harness_format("%s/resnet/1/model.onnx", repo);
    char *second = harness_format("%s/b.onnx", repo);

    put_model(model_2x1, repo, "model.onnx");
    put_model(model_2x1, repo, "b.onnx");
    check_refused(
        repo, (const char *const[]){"is ambiguous", "2 .onnx files", "b.onnx", "model.onnx", NULL});
    remove(second);
    CHECK(harness_copy_file(model_2x1, folder_model));
    check_refused(repo, (const char *const[]){"is ambiguous", "model file model.onnx",
                                              "model folder resnet/", NULL});
    free(second);
    free(folder_model);
}

int main(void)
{
    char *scratch, *model_2x1, *model_3x1;

    harness_init(WATCHDOG_SECS);
    scratch = harness_temp_dir();
    CHECK(scratch != NULL);
    if (!scratch)
        CHECK_DONE();
    model_2x1 = harness_format("%s/made/affine-2x1.onnx", scratch);
    model_3x1 = harness_format("%s/made/affine-3x1.onnx", scratch);
    CHECK(harness_make_affine_model(model_2x1, 2, 1));
    CHECK(harness_make_affine_model(model_3x1, 3, 1));
    /* Each case in a repository of its own. */
    {
        char *named = harness_format("%s/named", scratch);
        char *poll = harness_format("%s/poll", scratch);
        char *explicit = harness_format("%s/explicit", scratch);
        char *ambiguous = harness_format("%s/ambiguous", scratch);
        test_named(named, model_2x1);
        test_poll(poll, model_2x1, model_3x1);
        test_explicit(explicit, model_2x1);
        test_ambiguous(ambiguous, model_2x1);
        free(named);
        free(poll);
        free(explicit);
        free(ambiguous);
    }
    harness_remove_tree(scratch);
    free(model_2x1);
    free(model_3x1);
    free(scratch);
    CHECK_DONE();
}
