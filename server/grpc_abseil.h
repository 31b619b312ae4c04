/*
 * grpc_abseil.h - the one abseil setting inferd changes under the gRPC
 * core: Mutex deadlock detection, off.
 *
 * Debian builds abseil without NDEBUG, so its Mutex runs in debug mode:
 * every lock the gRPC core takes (several per call) records the lock
 * order in one process-wide graph under a global lock, and a cycle it
 * believes it sees aborts the process (kAbort is the debug default). That
 * graph costs the server CPU per call and serialises its threads on the
 * graph's lock. Release builds of abseil never track it; inferd asks for
 * the same (kIgnore) before the core takes its first lock.
 */
#ifndef INFERD_GRPC_ABSEIL_H
#define INFERD_GRPC_ABSEIL_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Turns abseil's Mutex deadlock detection off, process-wide. Call it
 * before grpc_init; calling it again changes nothing.
 */
void grpc_abseil_no_deadlock_detection(void);

#ifdef __cplusplus
}
#endif

#endif
