// Settings: the kube-env settings of the replicas.
import type { RuleFinding } from '../assessment';
import type { Context, FindingRule } from './context';

/**
 * Only an HA-era kube-env has the quorum-read setting (ETCD_QUORUM_READ); current kube-up has none, since
 * etcd3 storage reads are linearizable (settings.quorumReads null): no finding there.
 */
function settingsFindings(ctx: Context): RuleFinding[] {
  if (ctx.t.settings?.quorumReads !== false) return [];
  return [
    {
      code: 'QuorumReadsOff',
      severity: 'info',
      subject: null,
      message:
        "Quorum reads are off, so an API server may answer reads from its local etcd member with data older than the leader's.",
      fix: 'Set ETCD_QUORUM_READ=true in the kube-env of every replica (kube-up: ENABLE_ETCD_QUORUM_READS=true) and restart its API server; replicas added later copy the setting.',
      params: {},
    },
  ];
}

export const settingsRule: FindingRule = {
  name: 'settings',
  codes: ['QuorumReadsOff'],
  evaluate: settingsFindings,
};
