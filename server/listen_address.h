/*
 * listen_address.h - turns --bind-address and a port into the socket
 * address and daemon flags libmicrohttpd listens with (IPv4 or IPv6).
 */
#ifndef INFERD_LISTEN_ADDRESS_H
#define INFERD_LISTEN_ADDRESS_H

#include <sys/socket.h>

#include "status.h"

typedef struct listen_address {
    struct sockaddr_storage addr;
    unsigned mhd_flags; /* MHD_USE_IPv6 for an IPv6 address, else 0 */
} listen_address_t;

/* Fills *out from a numeric IPv4 or IPv6 address and a port. */
status_t listen_address_parse(const char *address, int port, listen_address_t *out, error_t *err);

#endif
