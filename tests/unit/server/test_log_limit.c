/*
 * A limited log source: a burst writes LOG_LIMIT_PER_SECOND lines and
 * leaves the rest out; its next line in a later second is preceded by the
 * count of what was left out, or a flush writes the count alone, once, and
 * only after the burst's second; a level below the threshold is neither
 * written nor counted; two sources are limited apart. The log goes to a
 * file (stderr reopened), read back line by line.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

#define BURST 100

static log_limit_t a = LOG_LIMIT_INIT("source-a");
static log_limit_t b = LOG_LIMIT_INIT("source-b");

static char log_path[64];

/* Lines of the log holding needle. */
static int count_lines(const char *needle)
{
    char line[512];
    int n = 0;
    FILE *f;

    fflush(stderr);
    f = fopen(log_path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle))
            n++;
    fclose(f);
    return n;
}

/* Sleeps into the next monotonic second, so that a burst falls in one. */
static void next_second(void)
{
    struct timespec ts, pause = {0};

    clock_gettime(CLOCK_MONOTONIC, &ts);
    pause.tv_nsec = 1000000000L - ts.tv_nsec + 20000000L;
    if (pause.tv_nsec >= 1000000000L) {
        pause.tv_sec = 1;
        pause.tv_nsec -= 1000000000L;
    }
    nanosleep(&pause, NULL);
}

int main(void)
{
    snprintf(log_path, sizeof log_path, "/tmp/inferd-test-log-%d", (int)getpid());
    if (!freopen(log_path, "w", stderr)) {
        CHECK(!"stderr reopened");
        CHECK_DONE();
    }
    log_init(LOG_WARN, LOG_FORMAT_TEXT);

    next_second();
    for (int i = 0; i < BURST; i++)
        log_write_limited(&a, LOG_WARN, "burst line %d", i);
    for (int i = 0; i < BURST; i++)
        log_write_limited(&a, LOG_INFO, "below the threshold %d", i);
    for (int i = 0; i < 3; i++)
        log_write_limited(&b, LOG_WARN, "other source %d", i);
    CHECK(count_lines("burst line") == LOG_LIMIT_PER_SECOND);
    CHECK(count_lines("below the threshold") == 0);
    CHECK(count_lines("other source") == 3);
    CHECK(count_lines("left out") == 0);

    next_second();
    log_write_limited(&a, LOG_WARN, "after the burst");
    CHECK(count_lines("source-a: 90 more line(s) left out") == 1);
    CHECK(count_lines("after the burst") == 1);
    log_write_limited(&b, LOG_WARN, "other source again");
    CHECK(count_lines("source-b:") == 0);

    for (int i = 0; i < BURST; i++)
        log_write_limited(&b, LOG_WARN, "second burst %d", i);
    log_limit_flush(&b);
    CHECK(count_lines("source-b:") == 0); /* the burst's second is still on */
    next_second();
    log_limit_flush(&b);
    log_limit_flush(&b);
    /* "other source again" was the second's first line: 9 more of the burst were written. */
    CHECK(count_lines("source-b: 91 more line(s) left out") == 1);
    CHECK(count_lines("source-b:") == 1);
    log_limit_flush(&a);
    CHECK(count_lines("source-a:") == 1);
    unlink(log_path);
    CHECK_DONE();
}
