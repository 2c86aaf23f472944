// Runs once when the dashboard's server starts. Loading the Compute, etcd and Kubernetes clients takes
// several seconds (the Compute client alone parses a large protobuf description), so do it here, before
// the first request, instead of making the first operator to open a page wait for it. Then continue
// every operation that a crash or restart interrupted, from its first unfinished step.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { container } = await import('@/lib/server/container');
  container();
  // Sign-in: migrate the auth tables and, on the very first start, create the admin with a one-time password.
  const { ensureBootstrapAdmin } = await import('@/lib/server/auth/auth');
  await ensureBootstrapAdmin();
  const { resumeInterruptedOperations } = await import('@/lib/server/operations/runtime');
  await resumeInterruptedOperations();
}
