/*
 * server_info.h - how inferd names itself in server metadata, the same on
 * REST (GET /v2) and gRPC (ServerMetadata).
 */
#ifndef INFERD_SERVER_INFO_H
#define INFERD_SERVER_INFO_H

#define SERVER_INFO_NAME    "inferd"
#define SERVER_INFO_VERSION "0.1.0"

/* KServe/Triton protocol extensions both front ends implement; NULL-terminated. */
extern const char *const server_info_extensions[];

#endif
