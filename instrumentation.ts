// Runs once when the dashboard's server starts. Loading the Compute, etcd and Kubernetes clients takes
// several seconds (the Compute client alone parses a large protobuf description), so do it here, before
// the first request, instead of making the first operator to open a page wait for it. Then continue
// every operation that a crash or restart interrupted, from its first unfinished step.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  // First of all: every request is stamped with its client address (socket peer; X-Forwarded-For only from
  // QUORUM_TRUSTED_PROXIES), which the sign-in rate limit and the audit log read.
  const { env } = await import('@/lib/server/env');
  const { installClientAddressStamp } = await import('@/lib/server/auth/stamp');
  installClientAddressStamp(env.QUORUM_TRUSTED_PROXIES);
  // Before the first request: TRACE (which Next cannot take) gets a 405 like any other refused method.
  const { guardForbiddenMethods } = await import('@/lib/server/security/method-guard');
  guardForbiddenMethods();
  const { container } = await import('@/lib/server/container');
  // Before anything writes there: the data dir 0700, every key and secret in it 0600, however they were left.
  const { securePrivateDataDir } = await import('@/lib/server/data-dir');
  for (const t of securePrivateDataDir(container().env.QUORUM_DATA_DIR)) {
    console.log(
      `[quorum] ${t.path} was ${t.from.toString(8).padStart(4, '0')}, now ${t.to.toString(8).padStart(4, '0')} (owner only)`,
    );
  }
  // Quorum's own IAM permissions, asked now and every 5 minutes (Settings shows what is missing).
  container().permissions.start();
  // Sign-in: migrate the auth tables and, on the very first start, create the admin with a one-time password.
  const { ensureBootstrapAdmin } = await import('@/lib/server/auth/auth');
  await ensureBootstrapAdmin();
  // Metrics and alerts follow every observation (the observation bus); the monitor observes each cluster nobody has
  // looked at within QUORUM_MONITOR_INTERVAL_MS, so alerts reach someone when no page is open.
  const { startMonitoring } = await import('@/lib/server/monitor/runtime');
  startMonitoring();
  // Each cluster's history (the cluster page's timeline), in the store so it survives a restart.
  const { startTimelineRecorder } = await import('@/lib/server/monitor/timeline-recorder');
  startTimelineRecorder(() => container().store);
  // Anonymous refusals counted in minutes a stop or crash left open get their audit rows (the current minute's
  // when it ends).
  const { anonymousRefusalFold } = await import('@/lib/server/audit/anonymous-refusals');
  const closed = await (await anonymousRefusalFold()).resume();
  if (closed > 0)
    console.log(`[quorum] wrote the counts of ${closed} minutes of anonymous refusals left open by the last stop`);
  const { resumeInterruptedOperations } = await import('@/lib/server/operations/runtime');
  await resumeInterruptedOperations();
}
