/*
 * thread_policy.h - OpenMP's wait policy, fixed before the kernels' thread
 * runtime starts.
 */
#ifndef INFERD_THREAD_POLICY_H
#define INFERD_THREAD_POLICY_H

/*
 * Unless the environment already chooses one (OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT), re-executes this binary with argv and a short spin
 * (GOMP_SPINCOUNT). Returns only when it did not re-execute (the policy
 * was chosen, or exec failed: then libgomp's default stays); the process
 * then carries argv[0]'s file name as its name, re-executed or not.
 */
void thread_policy_apply(char **argv);

#endif
