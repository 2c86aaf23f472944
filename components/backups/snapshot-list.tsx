import { useTranslations } from 'next-intl';
import Link from 'next/link';
import type { SnapshotListing } from '@/lib/core/backups';
import { formatAge, formatBytes } from '@/lib/core/format';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { TableHead } from '@/components/ui/table-head';

/**
 * The verified etcd snapshots Quorum keeps of this cluster (one pair per membership change), main then events,
 * newest first. Metadata only: the files stay on the server (they hold every Secret of the cluster).
 */
export function SnapshotList({
  clusterId,
  snapshots,
  now,
  retention,
}: {
  clusterId: string;
  snapshots: SnapshotListing[];
  now: string;
  retention: number;
}) {
  const t = useTranslations('backups.snapshotList');
  const at = new Date(now);
  return (
    <Card
      title={t('title', { count: snapshots.length })}
      aside={<span className="text-xs text-slate-500">{t('retention', { retention })}</span>}
    >
      {snapshots.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="snapshot-list-empty">
          {t('empty')}
        </p>
      ) : (
        <div className="relative overflow-x-auto">
          <table className="w-full text-left text-sm whitespace-nowrap" data-testid="snapshot-list">
            <TableHead
              columns={[
                'etcd',
                t('columns.age'),
                t('columns.size'),
                t('columns.revision'),
                t('columns.verified'),
                t('columns.from'),
                t('columns.file'),
              ]}
              compact
            />
            <tbody>
              {snapshots.map((s) => (
                <tr
                  key={`${s.etcdCluster}/${s.file}`}
                  data-testid="snapshot-row"
                  data-etcd={s.etcdCluster}
                  className="border-t border-slate-100"
                >
                  <td className="py-1 pr-3">{s.etcdCluster}</td>
                  <td className="py-1 pr-3" title={s.takenAt}>
                    {formatAge(s.takenAt, at)}
                  </td>
                  <td className="py-1 pr-3">{formatBytes(s.sizeBytes)}</td>
                  <td className="py-1 pr-3 font-mono">{s.revision}</td>
                  <td
                    className="py-1 pr-3"
                    title={t('checksums', { sha256: s.sha256, crc32: s.hash, keys: String(s.totalKeys) })}
                  >
                    {s.intact ? <Badge tone="good">{t('verified')}</Badge> : <Badge tone="bad">{t('changed')}</Badge>}
                  </td>
                  <td className="py-1 pr-3 font-mono text-xs">{s.member}</td>
                  <td className="py-1 font-mono text-xs">
                    <Link
                      href={`/clusters/${encodeURIComponent(clusterId)}/operations/${s.operationId}`}
                      className="text-sky-700 hover:underline"
                      title={t('operationLink')}
                    >
                      {s.file}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
