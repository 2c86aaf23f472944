import 'server-only';
import type { ComputePort } from '@/lib/ports/compute';
import type { Store } from '@/lib/ports/store';
import { loadOrCreateClientKey } from './client-key';
import { SshReach, type SshReachOptions } from './ssh-reach';

/** The reach settings (lib/server/env.ts: QUORUM_DATA_DIR and QUORUM_SSH_*), passed in so adapters do not import the server layer. */
export type SshReachSettings = {
  dataDir: string;
  user: string;
  address: 'internal' | 'external';
  connectTimeoutMs: number;
  keyTtlHours: number;
  /** QUORUM_SSH_LOGIN_CHECK_SECONDS. */
  loginCheckSeconds: number;
};

/** The reach port as the container builds it: Quorum's key from `<dataDir>/ssh/` (made on first use), pins in the store. */
export function createSshReach(
  settings: SshReachSettings,
  deps: {
    compute: Pick<ComputePort, 'getInstance' | 'setInstanceMetadata' | 'getProjectMetadata' | 'getGuestAttributes'>;
    store: Pick<Store, 'hostKeyPin' | 'pinHostKeyOnce' | 'replaceHostKeyPin'>;
    log?: (line: string) => void;
    onLost?: SshReachOptions['onLost'];
  },
): SshReach {
  return new SshReach({
    compute: deps.compute,
    pins: deps.store,
    clientKey: loadOrCreateClientKey(settings.dataDir),
    user: settings.user,
    address: settings.address,
    connectTimeoutMs: settings.connectTimeoutMs,
    keyTtlMs: settings.keyTtlHours * 3_600_000,
    loginCheckMs: settings.loginCheckSeconds * 1_000,
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.onLost ? { onLost: deps.onLost } : {}),
  });
}
