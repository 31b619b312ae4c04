/*
 * grpc_connections.c - what the gRPC front end's drain (grpc_drain.c)
 * needs to know and do beneath the core's API: close the port while the
 * server keeps running, and see what is on its way to inferd, by the
 * kernel's accounting of the process's sockets on the port (its accept
 * queue, connections still in their handshake, bytes not yet acknowledged)
 * and by the core's own accounting of each connection's streams (channelz),
 * which shows a stream it has read but not delivered.
 *
 * Linux only: the sockets are found through /proc/self/fd.
 */
#include <dirent.h>
#include <jansson.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <grpc/support/alloc.h>

#include "grpc_internal.h"

/* Connections a check looks at: a server with more is not settled before the drain's limit. */
#define GRPC_CONN_MAX 4096
/* Servers or sockets one channelz page may list (the core's own page size is smaller). */
#define GRPC_CONN_PAGES_MAX 1000

/* One connection as channelz shows it, and the calls inferd holds from it. */
typedef struct conn {
    char *peer;        /* "ipv4:127.0.0.1:5000", owned */
    long long started; /* streams the client started */
    long long open;    /* of those, not yet finished in the core */
    long long held;    /* calls on fe->held from this peer */
} conn_t;

typedef enum socket_kind { SOCKET_OTHER, SOCKET_LISTENING, SOCKET_CONNECTED } socket_kind_t;

/* What fd is to TCP port `port`: its listening socket, one of its connections, or neither. */
static socket_kind_t socket_kind(int fd, int port)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    int type = 0, listening = 0, bound;
    socklen_t optlen = sizeof type;

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen) != 0 || type != SOCK_STREAM)
        return SOCKET_OTHER;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        return SOCKET_OTHER;
    if (addr.ss_family == AF_INET)
        bound = ntohs(((struct sockaddr_in *)&addr)->sin_port);
    else if (addr.ss_family == AF_INET6)
        bound = ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    else
        return SOCKET_OTHER;
    if (bound != port)
        return SOCKET_OTHER;
    optlen = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) == 0 && listening)
        return SOCKET_LISTENING;
    /* A listening socket already shut down is bound but has no peer. */
    len = sizeof addr;
    return getpeername(fd, (struct sockaddr *)&addr, &len) == 0 ? SOCKET_CONNECTED : SOCKET_OTHER;
}

/* What the kernel knows of the process's sockets on a port. */
typedef struct port_sockets {
    int listening; /* listening sockets (shut down, when asked) */
    int waiting;   /* connections in their accept queues */
    int connected; /* connections accepted */
    int unsent;    /* of those, with bytes not yet acknowledged by the client */
} port_sockets_t;

/* Notes fd, a listening socket, in *out; shuts it down when asked. */
static void note_listener(int fd, bool shut, port_sockets_t *out)
{
    struct tcp_info info;
    socklen_t len = sizeof info;

    if (shut) {
        /* Its accept queue is reset, later connections refused; the core's accept fails. */
        if (shutdown(fd, SHUT_RDWR) == 0)
            out->listening++;
        return;
    }
    out->listening++;
    /* On a listening socket, tcpi_unacked is the accept queue's length. */
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0)
        out->waiting += (int)info.tcpi_unacked;
}

/* Notes fd, an accepted connection, in *out. */
static void note_connection(int fd, port_sockets_t *out)
{
    int unsent = 0;

    out->connected++;
    if (ioctl(fd, SIOCOUTQ, &unsent) != 0 || unsent > 0)
        out->unsent++;
}

/*
 * Looks at every socket of the process on port, shutting the listening
 * ones down when asked. False when /proc/self/fd cannot be read.
 */
static bool scan_port(int port, bool shut_listeners, port_sockets_t *out)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *e;

    memset(out, 0, sizeof *out);
    if (!dir)
        return false;
    while ((e = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);

        if (end == e->d_name || *end || fd < 0 || fd == dirfd(dir))
            continue;
        switch (socket_kind((int)fd, port)) {
        case SOCKET_LISTENING:
            note_listener((int)fd, shut_listeners, out);
            break;
        case SOCKET_CONNECTED:
            note_connection((int)fd, out);
            break;
        case SOCKET_OTHER:
            break;
        }
    }
    closedir(dir);
    return true;
}

int grpc_conn_close_port(int port)
{
    port_sockets_t sockets;

    if (port <= 0 || !scan_port(port, true, &sockets))
        return 0;
    return sockets.listening;
}

/* A channelz count: the JSON gives 64-bit integers as strings and leaves out zeros. */
static long long json_count(const json_t *object, const char *key)
{
    const json_t *v = json_object_get(object, key);

    if (json_is_integer(v))
        return json_integer_value(v);
    return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) : 0;
}

/* Parses channelz's answer (text, which it frees); NULL when it is no JSON object. */
static json_t *channelz_parse(char *text)
{
    json_t *root = text ? json_loads(text, 0, NULL) : NULL;

    gpr_free(text);
    if (root && !json_is_object(root)) {
        json_decref(root);
        root = NULL;
    }
    return root;
}

/* True when name (a channelz socket name) ends in ":port". */
static bool names_port(const char *name, int port)
{
    char suffix[16];
    size_t n, s;

    snprintf(suffix, sizeof suffix, ":%d", port);
    n = name ? strlen(name) : 0;
    s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

intptr_t grpc_conn_server_id(int port, int requested_port)
{
    intptr_t start = 0, found = 0;

    for (int page = 0; page < GRPC_CONN_PAGES_MAX && !found; page++) {
        json_t *root = channelz_parse(grpc_channelz_get_servers(start));
        json_t *servers = json_object_get(root, "server");
        bool end = !root || json_is_true(json_object_get(root, "end"));
        size_t i, j;
        json_t *server, *listen;

        json_array_foreach(servers, i, server)
        {
            intptr_t id = (intptr_t)json_count(json_object_get(server, "ref"), "serverId");

            json_array_foreach(json_object_get(server, "listenSocket"), j, listen)
            {
                const char *name = json_string_value(json_object_get(listen, "name"));

                if (names_port(name, port) || names_port(name, requested_port))
                    found = id;
            }
            if (id >= start)
                start = id + 1;
        }
        json_decref(root);
        if (end || json_array_size(servers) == 0)
            break;
    }
    return found;
}

/*
 * The connections channelz lists for server_id, with their stream counts
 * (*out, n_out; the caller frees each peer and the array). False when
 * channelz cannot tell or there are more than GRPC_CONN_MAX.
 */
static bool list_connections(intptr_t server_id, conn_t **out, size_t *n_out)
{
    conn_t *conns = NULL;
    size_t n = 0;
    intptr_t start = 0;
    bool ok = server_id != 0, end = false;

    for (int page = 0; ok && !end && page < GRPC_CONN_PAGES_MAX; page++) {
        json_t *root =
            channelz_parse(grpc_channelz_get_server_sockets(server_id, start, GRPC_CONN_MAX));
        json_t *refs = json_object_get(root, "socketRef");
        size_t i;
        json_t *ref;

        ok = root != NULL;
        end = !root || json_is_true(json_object_get(root, "end")) || json_array_size(refs) == 0;
        json_array_foreach(refs, i, ref)
        {
            intptr_t id = (intptr_t)json_count(ref, "socketId");
            const char *name = json_string_value(json_object_get(ref, "name"));
            const char *peer = name ? strrchr(name, ' ') : NULL;
            json_t *socket, *data;
            conn_t *grown;

            if (id >= start)
                start = id + 1;
            socket = channelz_parse(grpc_channelz_get_socket(id));
            /* Closed since the list was made: nothing to wait for. */
            if (!socket)
                continue;
            data = json_object_get(json_object_get(socket, "socket"), "data");
            grown = n < GRPC_CONN_MAX ? realloc(conns, (n + 1) * sizeof *conns) : NULL;
            ok = grown != NULL && peer != NULL;
            if (ok) {
                conns = grown;
                conns[n].peer = strdup(peer + 1);
                conns[n].started = json_count(data, "streamsStarted");
                conns[n].open = conns[n].started - json_count(data, "streamsSucceeded") -
                                json_count(data, "streamsFailed");
                conns[n].held = 0;
                ok = conns[n].peer != NULL;
                n += ok;
            }
            json_decref(socket);
            if (!ok)
                break;
        }
        json_decref(root);
    }
    *out = conns;
    *n_out = n;
    return ok;
}

bool grpc_conn_settled(grpc_frontend_t *fe, bool flushed)
{
    conn_t *conns = NULL;
    size_t n = 0;
    port_sockets_t sockets;
    bool settled =
        scan_port(fe->port, false, &sockets) && list_connections(fe->channelz_id, &conns, &n);

    /* A connection the kernel has and channelz not yet is still in its handshake. */
    settled = settled && sockets.waiting == 0 && (size_t)sockets.connected == n &&
              (!flushed || sockets.unsent == 0);
    if (settled) {
        pthread_mutex_lock(&fe->lock);
        for (const grpc_call_entry_t *e = fe->held; e; e = e->next) {
            char *peer = grpc_call_get_peer(e->call);

            for (size_t i = 0; i < n; i++)
                if (strcmp(conns[i].peer, peer) == 0)
                    conns[i].held++;
            gpr_free(peer);
        }
        pthread_mutex_unlock(&fe->lock);
    }
    /* A stream not yet started, or one beyond the calls held, has not reached inferd yet. */
    for (size_t i = 0; settled && i < n; i++)
        settled = conns[i].started > 0 && conns[i].open <= conns[i].held;
    for (size_t i = 0; i < n; i++)
        free(conns[i].peer);
    free(conns);
    return settled;
}

bool grpc_conn_any(grpc_frontend_t *fe)
{
    json_t *root;
    bool any;

    if (fe->channelz_id == 0)
        return false;
    root = channelz_parse(grpc_channelz_get_server_sockets(fe->channelz_id, 0, 1));
    any = root && json_array_size(json_object_get(root, "socketRef")) > 0;
    json_decref(root);
    return any;
}
