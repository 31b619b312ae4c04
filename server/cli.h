/*
 * cli.h - the subcommands of the inferd binary. Each takes the arguments
 * after its name and returns the process exit code.
 */
#ifndef INFERD_CLI_H
#define INFERD_CLI_H

#include <stdint.h>

int cli_run(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_perf(int argc, char **argv);
/* Exit 0 when the local server answers its readiness probe with 200, else 1 (cli_health.c). */
int cli_health(int argc, char **argv);

/* Parses "d0,d1,..." into dims; returns the rank, or -1 if malformed. */
int cli_parse_dims(const char *text, int64_t *dims, int max_rank);

#endif
