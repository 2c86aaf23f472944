// A wrapper (npm, tsx's CLI, a test harness) killed with SIGKILL cannot pass the signal on: the
// sandbox is re-parented and would run on, holding its VMs. Linux's PR_SET_PDEATHSIG is not
// reachable from Node, so the sandbox watches its parent pid and stops itself when it changes.

/** Calls `onParentDeath` once when this process's parent changes; returns a function that stops the watch. */
export function watchParentDeath(
  onParentDeath: (formerParent: number) => void,
  opts: { intervalMs?: number; ppid?: () => number } = {},
): () => void {
  const ppid = opts.ppid ?? (() => process.ppid);
  const first = ppid();
  // Started by init itself (a detached service): there is no parent whose death could be seen.
  if (first <= 1) return () => undefined;
  const timer = setInterval(() => {
    if (ppid() === first) return;
    clearInterval(timer);
    onParentDeath(first);
  }, opts.intervalMs ?? 250);
  timer.unref();
  return () => clearInterval(timer);
}
