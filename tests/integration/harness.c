/*
 * harness.c - runs the real inferd for the integration tests (see
 * harness.h): fork/exec with stderr on a pipe that a thread drains into a
 * buffer, libcurl calls, scrapes, temporary repositories.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define READY_PREFIX "ready: http on 127.0.0.1:"
/* Log text that means a sanitizer found something in the server. */
static const char *const sanitizer_marks[] = {"ERROR: AddressSanitizer", "runtime error",
                                              "LeakSanitizer", NULL};
/* How often waits for a child look again. */
#define POLL_MS 5
/* Stack of the threads harness_parallel starts: libcurl needs little. */
#define PARALLEL_STACK_BYTES (512 * 1024)
/* Open file descriptors the tree walk of harness_remove_tree may use. */
#define REMOVE_TREE_FDS 16
#define READ_CHUNK      4096

struct harness_server {
    pid_t pid;
    int http_port;
    int metrics_port;
    int log_fd;
    pthread_t reader;
    pthread_mutex_t lock;
    pthread_cond_t grew;
    char *log;
    size_t log_len;
    size_t log_cap;
    bool eof;
    bool exited;
    int exit_code;
};

/* Servers alive, for the watchdog and the exit handler (written by the main thread only). */
static volatile pid_t live_pids[HARNESS_MAX_SERVERS];

static void track(pid_t pid, pid_t old)
{
    for (int i = 0; i < HARNESS_MAX_SERVERS; i++)
        if (live_pids[i] == old) {
            live_pids[i] = pid;
            return;
        }
}

static void kill_all(void)
{
    for (int i = 0; i < HARNESS_MAX_SERVERS; i++)
        if (live_pids[i] > 0)
            kill(live_pids[i], SIGKILL);
}

static void on_watchdog(int sig)
{
    static const char message[] = "harness: watchdog expired, killing the servers\n";
    (void)sig;
    kill_all();
    if (write(STDERR_FILENO, message, sizeof message - 1) < 0)
        _exit(2);
    _exit(2);
}

static void at_exit(void)
{
    kill_all();
    curl_global_cleanup();
}

void harness_init(int seconds)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    atexit(at_exit);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_watchdog);
    alarm((unsigned)seconds);
}

static const char *required_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "harness: %s is not set (run the test through ctest)\n", name);
        abort();
    }
    return v;
}

const char *harness_example_repository(void)
{
    return required_env("INFERD_EXAMPLE_REPOSITORY");
}

char *harness_format(const char *fmt, ...)
{
    va_list ap;
    char *out = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&out, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    return out;
}

double harness_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void harness_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* An absolute CLOCK_REALTIME time ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Drains the server's stderr into its log until the server closes it. */
static void *read_log(void *arg)
{
    harness_server_t *s = arg;
    char chunk[READ_CHUNK];

    for (;;) {
        ssize_t n = read(s->log_fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        pthread_mutex_lock(&s->lock);
        if (n <= 0) {
            s->eof = true;
            pthread_cond_broadcast(&s->grew);
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        if (s->log_len + (size_t)n + 1 > s->log_cap) {
            size_t cap = s->log_cap ? s->log_cap : 65536;
            while (cap < s->log_len + (size_t)n + 1)
                cap *= 2;
            s->log = realloc(s->log, cap);
            if (!s->log)
                abort();
            s->log_cap = cap;
        }
        memcpy(s->log + s->log_len, chunk, (size_t)n);
        s->log_len += (size_t)n;
        s->log[s->log_len] = '\0';
        pthread_cond_broadcast(&s->grew);
        pthread_mutex_unlock(&s->lock);
    }
}

/* Reaps the child if it has exited; true when it has. */
static bool reap(harness_server_t *s)
{
    int status;

    if (s->exited)
        return true;
    if (waitpid(s->pid, &status, WNOHANG) != s->pid)
        return false;
    s->exited = true;
    s->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    track(0, s->pid);
    return true;
}

int harness_wait_exit(harness_server_t *s, int timeout_ms)
{
    double until = harness_now_ms() + timeout_ms;

    while (!reap(s)) {
        if (harness_now_ms() >= until)
            return -1;
        harness_sleep_ms(POLL_MS);
    }
    return s->exit_code;
}

void harness_signal(harness_server_t *s, int sig)
{
    if (!s->exited)
        kill(s->pid, sig);
}

/* Looks for the ready line; fills the ports. Called with the lock held. */
static bool parse_ready(harness_server_t *s)
{
    const char *line = s->log ? strstr(s->log, READY_PREFIX) : NULL;

    if (!line || !strchr(line, '\n'))
        return false;
    return sscanf(line, READY_PREFIX "%d, metrics on 127.0.0.1:%d", &s->http_port,
                  &s->metrics_port) == 2;
}

static void free_server(harness_server_t *s)
{
    if (s->log_fd >= 0)
        close(s->log_fd);
    pthread_cond_destroy(&s->grew);
    pthread_mutex_destroy(&s->lock);
    free(s->log);
    free(s);
}

harness_server_t *harness_start(const char *repository, const char *const *extra_args)
{
    const char *binary = required_env("INFERD_BINARY");
    const char *argv[HARNESS_MAX_ARGS + 24];
    harness_server_t *s = calloc(1, sizeof *s);
    struct timespec until = deadline_in(HARNESS_START_TIMEOUT_MS);
    int pipe_fds[2], n = 0, devnull;
    bool ready = false;

    if (!s)
        abort();
    s->log_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->grew, NULL);
    argv[n++] = binary;
    argv[n++] = "serve";
    argv[n++] = "--model-repository";
    argv[n++] = repository;
    argv[n++] = "--http-port";
    argv[n++] = "0";
    argv[n++] = "--metrics-port";
    argv[n++] = "0";
    argv[n++] = "--grpc-port";
    argv[n++] = "0";
    argv[n++] = "--bind-address";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--drain-delay-secs";
    argv[n++] = "0";
    argv[n++] = "--exit-timeout-secs";
    argv[n++] = "5";
    for (int i = 0; extra_args && extra_args[i]; i++) {
        if (i == HARNESS_MAX_ARGS) {
            fprintf(stderr, "harness: more than %d extra arguments\n", HARNESS_MAX_ARGS);
            abort();
        }
        argv[n++] = extra_args[i];
    }
    argv[n] = NULL;
    /* Close-on-exec: no later child (another server, python) keeps this pipe open. */
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        perror("harness: pipe2");
        abort();
    }
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->pid = fork();
    if (s->pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(devnull, STDIN_FILENO);
        dup2(pipe_fds[1], STDERR_FILENO);
        execv(binary, (char *const *)argv);
        _exit(127);
    }
    close(pipe_fds[1]);
    close(devnull);
    if (s->pid < 0) {
        perror("harness: fork");
        abort();
    }
    track(s->pid, 0);
    s->log_fd = pipe_fds[0];
    if (pthread_create(&s->reader, NULL, read_log, s) != 0)
        abort();
    pthread_mutex_lock(&s->lock);
    while (!(ready = parse_ready(s)) && !s->eof)
        if (pthread_cond_timedwait(&s->grew, &s->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&s->lock);
    if (ready)
        return s;
    fprintf(stderr, "harness: %s did not become ready within %d ms\n", binary,
            HARNESS_START_TIMEOUT_MS);
    harness_stop(s, true);
    return NULL;
}

int harness_http_port(const harness_server_t *s)
{
    return s->http_port;
}

int harness_metrics_port(const harness_server_t *s)
{
    return s->metrics_port;
}

pid_t harness_pid(const harness_server_t *s)
{
    return s->pid;
}

void harness_print_log(harness_server_t *s)
{
    pthread_mutex_lock(&s->lock);
    fprintf(stderr, "----- inferd log (pid %d) -----\n%s----- end of inferd log -----\n",
            (int)s->pid, s->log ? s->log : "");
    pthread_mutex_unlock(&s->lock);
}

int harness_stop(harness_server_t *s, bool print_log)
{
    int code;

    if (!s)
        return 0;
    if (!s->exited)
        kill(s->pid, SIGTERM);
    code = harness_wait_exit(s, HARNESS_STOP_TIMEOUT_MS);
    if (code < 0) {
        fprintf(stderr, "harness: server %d did not exit within %d ms of SIGTERM; killing it\n",
                (int)s->pid, HARNESS_STOP_TIMEOUT_MS);
        kill(s->pid, SIGKILL);
        harness_wait_exit(s, HARNESS_STOP_TIMEOUT_MS);
        code = -1;
    }
    /* The child is gone, so its end of the pipe is closed and the reader sees EOF. */
    pthread_join(s->reader, NULL);
    for (int i = 0; sanitizer_marks[i]; i++)
        if (s->log && strstr(s->log, sanitizer_marks[i])) {
            fprintf(stderr, "harness: the server's log holds a sanitizer report (\"%s\")\n",
                    sanitizer_marks[i]);
            if (code == 0)
                code = 1;
        }
    if (code != 0)
        fprintf(stderr, "harness: server %d ended with %d\n", (int)s->pid, code);
    if (code != 0 || print_log || getenv("INFERD_TEST_PRINT_LOG"))
        harness_print_log(s);
    free_server(s);
    return code;
}

int harness_log_count(harness_server_t *s, const char *needle)
{
    int count = 0;

    pthread_mutex_lock(&s->lock);
    for (const char *p = s->log; p && (p = strstr(p, needle)); p += strlen(needle))
        count++;
    pthread_mutex_unlock(&s->lock);
    return count;
}

bool harness_log_contains(harness_server_t *s, const char *needle)
{
    return harness_log_count(s, needle) > 0;
}

bool harness_wait_log(harness_server_t *s, const char *needle, int timeout_ms)
{
    struct timespec until = deadline_in(timeout_ms);
    bool found;

    pthread_mutex_lock(&s->lock);
    while (!(found = s->log && strstr(s->log, needle)) && !s->eof)
        if (pthread_cond_timedwait(&s->grew, &s->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* A growing byte buffer for libcurl's callbacks. */
typedef struct buffer {
    char *data;
    size_t len;
    size_t cap;
} buffer_t;

static size_t append(char *data, size_t size, size_t count, void *arg)
{
    buffer_t *b = arg;
    size_t n = size * count;

    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data)
            abort();
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

struct harness_session {
    CURL *curl;
};

/* One call on curl (a fresh handle, or a session's with its open connection). */
static harness_response_t perform(CURL *curl, const harness_request_t *r)
{
    harness_response_t out = {0};
    buffer_t body = {0}, headers = {0};
    struct curl_slist *list = NULL;
    bool typed = false;
    char url[1024];
    CURLcode rc;

    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", r->port, r->path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     r->timeout_ms ? r->timeout_ms : (long)HARNESS_HTTP_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
    for (int i = 0; r->headers && r->headers[i]; i++) {
        typed |= strncasecmp(r->headers[i], "Content-Type:", 13) == 0;
        list = curl_slist_append(list, r->headers[i]);
    }
    /* No "Expect: 100-continue" round trip: the body goes at once. */
    list = curl_slist_append(list, "Expect:");
    if (!typed)
        list = curl_slist_append(list, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, NULL);
    if (strcmp(r->method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->body ? r->size : 0));
        if (strcmp(r->method, "POST") != 0)
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r->method);
    }
    out.start_ms = harness_now_ms();
    rc = curl_easy_perform(curl);
    out.end_ms = harness_now_ms();
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &out.connects);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
    else
        snprintf(out.error, sizeof out.error, "%s %s: %s", r->method, r->path,
                 curl_easy_strerror(rc));
    out.body = body.data ? body.data : calloc(1, 1);
    out.size = body.len;
    out.headers = headers.data ? headers.data : calloc(1, 1);
    /* The handle keeps no pointer to the list past the call. */
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(list);
    return out;
}

harness_response_t harness_http(const harness_request_t *r)
{
    CURL *curl = curl_easy_init();
    harness_response_t out;

    if (!curl)
        abort();
    out = perform(curl, r);
    curl_easy_cleanup(curl);
    return out;
}

harness_session_t *harness_session_new(void)
{
    harness_session_t *session = calloc(1, sizeof *session);

    if (!session || !(session->curl = curl_easy_init()))
        abort();
    return session;
}

harness_response_t harness_session_http(harness_session_t *session, const harness_request_t *r)
{
    return perform(session->curl, r);
}

void harness_session_free(harness_session_t *session)
{
    if (!session)
        return;
    curl_easy_cleanup(session->curl);
    free(session);
}

harness_response_t harness_get(int port, const char *path)
{
    harness_request_t r = {.method = "GET", .port = port, .path = path};
    return harness_http(&r);
}

harness_response_t harness_post(int port, const char *path, const char *json)
{
    harness_request_t r = {.method = "POST",
                           .port = port,
                           .path = path,
                           .body = json,
                           .size = json ? strlen(json) : 0};
    return harness_http(&r);
}

void harness_response_free(harness_response_t *r)
{
    free(r->body);
    free(r->headers);
    r->body = NULL;
    r->headers = NULL;
}

bool harness_header(const harness_response_t *r, const char *name, char *value, size_t size)
{
    size_t len = strlen(name);

    for (const char *line = r->headers; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t line_len = end ? (size_t)(end - line) : strlen(line);
        if (line_len > len && strncasecmp(line, name, len) == 0 && line[len] == ':') {
            const char *v = line + len + 1;
            size_t n;
            while (*v == ' ' || *v == '\t')
                v++;
            n = (size_t)(line + line_len - v);
            while (n && (v[n - 1] == '\r' || v[n - 1] == ' '))
                n--;
            snprintf(value, size, "%.*s", (int)n, v);
            return true;
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

/* Bytes of the JSON part of the body. */
static size_t json_part(const harness_response_t *r)
{
    char value[32];

    if (harness_header(r, "Inference-Header-Content-Length", value, sizeof value)) {
        size_t n = strtoull(value, NULL, 10);
        return n < r->size ? n : r->size;
    }
    return r->size;
}

json_t *harness_json(const harness_response_t *r)
{
    json_error_t err;
    return r->body ? json_loadb(r->body, json_part(r), 0, &err) : NULL;
}

const unsigned char *harness_binary(const harness_response_t *r, size_t *size)
{
    size_t header = json_part(r);
    *size = r->size - header;
    return (const unsigned char *)r->body + header;
}

double harness_metric(const char *text, const char *name, const char *labels)
{
    char *key =
        labels && *labels ? harness_format("%s{%s} ", name, labels) : harness_format("%s ", name);
    size_t len = strlen(key);
    double value = -1;

    for (const char *line = text; line && *line;) {
        if (strncmp(line, key, len) == 0) {
            value = strtod(line + len, NULL);
            break;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    free(key);
    return value;
}

double harness_scrape(harness_server_t *s, const char *name, const char *labels)
{
    harness_response_t r = harness_get(s->metrics_port, "/metrics");
    double value = r.status == 200 ? harness_metric(r.body, name, labels) : -1;

    harness_response_free(&r);
    return value;
}

typedef struct parallel_job {
    void (*fn)(int i, void *arg);
    void *arg;
    int i;
} parallel_job_t;

static void *run_job(void *arg)
{
    parallel_job_t *job = arg;
    job->fn(job->i, job->arg);
    return NULL;
}

void harness_parallel(int n, void (*fn)(int i, void *arg), void *arg)
{
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    parallel_job_t *jobs = calloc((size_t)n, sizeof *jobs);
    pthread_attr_t attr;

    if (!threads || !jobs)
        abort();
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, PARALLEL_STACK_BYTES);
    for (int i = 0; i < n; i++) {
        jobs[i] = (parallel_job_t){fn, arg, i};
        if (pthread_create(&threads[i], &attr, run_job, &jobs[i]) != 0) {
            fprintf(stderr, "harness: cannot start thread %d\n", i);
            abort();
        }
    }
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    pthread_attr_destroy(&attr);
    free(threads);
    free(jobs);
}

char *harness_temp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *path = harness_format("%s/inferd-integration-XXXXXX", tmp && *tmp ? tmp : "/tmp");

    if (!mkdtemp(path)) {
        perror("harness: mkdtemp");
        free(path);
        return NULL;
    }
    return path;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void harness_remove_tree(const char *path)
{
    if (path)
        nftw(path, remove_entry, REMOVE_TREE_FDS, FTW_DEPTH | FTW_PHYS);
}

bool harness_mkdirs(const char *path)
{
    char buf[PATH_MAX];

    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return false;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return false;
            *p = '/';
        }
    return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

bool harness_write_file(const char *path, const void *data, size_t size)
{
    char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    char *tmp = harness_format("%s.tmp-%d", path, (int)getpid());
    FILE *f;
    bool ok;

    if (slash) {
        *slash = '\0';
        harness_mkdirs(dir);
    }
    free(dir);
    f = fopen(tmp, "wb");
    ok = f && fwrite(data, 1, size, f) == size;
    ok = f && fclose(f) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "harness: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok;
}

bool harness_copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    char *data = NULL;
    long size = -1;
    bool ok = false;

    if (in && fseek(in, 0, SEEK_END) == 0 && (size = ftell(in)) >= 0 &&
        fseek(in, 0, SEEK_SET) == 0 && (data = malloc((size_t)size + 1)) &&
        fread(data, 1, (size_t)size, in) == (size_t)size)
        ok = harness_write_file(to, data, (size_t)size);
    if (!ok)
        fprintf(stderr, "harness: cannot copy %s to %s\n", from, to);
    if (in)
        fclose(in);
    free(data);
    return ok;
}

static bool copy_tree(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *e;
    bool ok = d && harness_mkdirs(to);

    while (ok && (e = readdir(d))) {
        char *src, *dst;
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        src = harness_format("%s/%s", from, e->d_name);
        dst = harness_format("%s/%s", to, e->d_name);
        if (stat(src, &st) != 0)
            ok = false;
        else if (S_ISDIR(st.st_mode))
            ok = copy_tree(src, dst);
        else if (S_ISREG(st.st_mode))
            ok = harness_copy_file(src, dst);
        free(src);
        free(dst);
    }
    if (d)
        closedir(d);
    return ok;
}

bool harness_copy_example(const char *repository, const char *model, const char *as_name)
{
    char *from = harness_format("%s/%s", harness_example_repository(), model);
    char *to = harness_format("%s/%s", repository, as_name);
    bool ok = copy_tree(from, to);

    free(from);
    free(to);
    return ok;
}

bool harness_write_config(const char *repository, const char *model, const char *json)
{
    char *path = harness_format("%s/%s/config.json", repository, model);
    bool ok = harness_write_file(path, json, strlen(json));

    free(path);
    return ok;
}

/* Writes the model of harness_make_affine_model to argv[1]; scale and bias follow. */
static const char affine_script[] =
    "import sys\n"
    "import onnx\n"
    "from onnx import helper, TensorProto\n"
    "path, scale, bias = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])\n"
    "io = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, ['batch', 4])\n"
    "graph = helper.make_graph(\n"
    "    [helper.make_node('Mul', ['x', 'scale'], ['scaled']),\n"
    "     helper.make_node('Add', ['scaled', 'bias'], ['y']),\n"
    "     helper.make_node('Neg', ['x'], ['z'])],\n"
    "    'affine', [io('x')], [io('y'), io('z')],\n"
    "    [helper.make_tensor('scale', TensorProto.FLOAT, [], [scale]),\n"
    "     helper.make_tensor('bias', TensorProto.FLOAT, [], [bias])])\n"
    "model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])\n"
    "model.ir_version = 7\n"
    "onnx.checker.check_model(model)\n"
    "onnx.save(model, path)\n";

bool harness_make_affine_model(const char *path, int scale, int bias)
{
    char *tmp = harness_format("%s.tmp-%d.onnx", path, (int)getpid());
    char scale_text[16], bias_text[16];
    const char *argv[] = {"/usr/bin/python3", "-c",      affine_script, tmp,
                          scale_text,         bias_text, NULL};
    char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    int status = -1;
    bool ok;
    pid_t pid;

    if (slash) {
        *slash = '\0';
        harness_mkdirs(dir);
    }
    free(dir);
    snprintf(scale_text, sizeof scale_text, "%d", scale);
    snprintf(bias_text, sizeof bias_text, "%d", bias);
    pid = fork();
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    ok =
        pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    /* rename: a polling server never sees a half-written model. */
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "harness: cannot write the affine model %s (python status %d)\n", path,
                status);
        remove(tmp);
    }
    free(tmp);
    return ok;
}

int harness_grpc_port(harness_server_t *s)
{
    static const char prefix[] = "grpc on 127.0.0.1:";
    const char *at;
    int port = -1;

    pthread_mutex_lock(&s->lock);
    at = s->log ? strstr(s->log, prefix) : NULL;
    if (at)
        port = atoi(at + strlen(prefix));
    pthread_mutex_unlock(&s->lock);
    return port > 0 ? port : -1;
}
