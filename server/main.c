/* main.c - the inferd binary: dispatches to a subcommand. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cpu_isa.h"
#include "thread_policy.h"

/*
 * Blocks of this size or more (weights, packed weights, arenas, large
 * tensors) always get a mapping of their own, returned to the system when
 * freed. By default glibc raises its threshold to the size of each such
 * block freed, so later weights of that size land in the heap and leave
 * holes when they are freed in turn: ResNet-50's peak RSS in `inferd bench`
 * was 151 MB that way and 137 MB with the threshold fixed.
 */
#define INFERD_MMAP_THRESHOLD (256 * 1024)

static void usage(FILE *out)
{
    fputs("usage: inferd <command> [options]\n"
          "\n"
          "commands:\n"
          "  run    run a model once on tensors from .pb files and write the outputs\n"
          "  bench  time a model on generated inputs and print one JSON line\n"
          "  serve  serve a model repository over KServe v2 REST\n"
          "  perf   load-test a KServe v2 server and report throughput and latency\n"
          "  health exit 0 when the server on this host is ready, else 1\n"
          "\n"
          "`inferd <command> --help` describes a command's options.\n",
          out);
}

int main(int argc, char **argv)
{
    error_t err = {0};

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (cpu_isa_check_env(&err) != STATUS_OK) {
        fprintf(stderr, "inferd: %s\n", err.message);
        return 2;
    }
    thread_policy_apply(argv);
    mallopt(M_MMAP_THRESHOLD, INFERD_MMAP_THRESHOLD);
    if (strcmp(argv[1], "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench") == 0)
        return cli_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "serve") == 0)
        return cli_serve(argc - 1, argv + 1);
    if (strcmp(argv[1], "perf") == 0)
        return cli_perf(argc - 1, argv + 1);
    if (strcmp(argv[1], "health") == 0)
        return cli_health(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "inferd: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
