/**
 * The header row every table of the dashboard uses: small caps labels. `compact` for tables inside a card (no
 * band, the last column without right padding); otherwise a banded header with `padX` cell padding.
 */
export function TableHead({
  columns,
  compact = false,
  padX = 'px-4',
  className = '',
}: {
  columns: readonly string[];
  compact?: boolean;
  padX?: 'px-3' | 'px-4';
  className?: string;
}) {
  return (
    <thead
      className={`${compact ? 'text-xs uppercase tracking-wide text-slate-500' : 'bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500'} ${className}`}
    >
      <tr>
        {columns.map((c, i) => (
          <th
            key={c}
            className={
              compact ? `py-1 font-medium ${i < columns.length - 1 ? 'pr-3' : ''}` : `${padX} py-2 font-medium`
            }
          >
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}
