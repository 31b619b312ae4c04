/*
 * grpc_abseil.cc - abseil's Mutex deadlock detection, off (grpc_abseil.h).
 * C++ only because abseil's switch is a C++ function; nothing else of
 * inferd is C++.
 */
#include "grpc_abseil.h"

#include <absl/synchronization/mutex.h>

void grpc_abseil_no_deadlock_detection(void)
{
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}
