// A setup file for projects that run their files one after another in one shared worker (isolate: false). Before
// each file it forgets what a file of its own process would not have seen: the project's modules, so each file
// evaluates them afresh (the actions' container is built from process.env when lib/server/env is first evaluated),
// and the per-process singletons lib/server keeps on globalThis (Symbol.for('quorum.server.…'), the live feeds).
// Packages from node_modules stay loaded (Node's own cache): @google-cloud/compute alone takes about 2 s to load,
// and loading it once per file was most of the integration project's 73 s of imports (26 s this way).
import { vi } from 'vitest';

vi.resetModules();
const shared = globalThis as unknown as Record<string | symbol, unknown>;
for (const key of Object.getOwnPropertySymbols(shared))
  if (key.description?.startsWith('quorum.server.')) delete shared[key];
delete shared.__quorumFeeds;
