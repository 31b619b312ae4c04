#include "server_info.h"

#include <stddef.h>

const char *const server_info_extensions[] = {"binary_tensor_data", "model_repository",
                                              "statistics", NULL};
