// Each Mac's Time Machine backups on the Time pillar: last backup, size against the cap, and the
// warning past its age limit, as a table (the Samba page; the Overview has its own cards).
import type { TimeMachineBundle } from '../../../server/src/contract/api';
import { formatAge, formatBytes } from '../../shared/format';
import { CapacityBar } from './charts';
import { TableBox } from './ui';

export function TimeMachineTable({ bundles, now }: { bundles: readonly TimeMachineBundle[]; now: number }) {
  if (bundles.length === 0) return <p className="muted">No Mac has backed up to Time yet.</p>;
  return (
    <TableBox label="Time Machine backups, scrollable">
      <table className="data">
        <caption className="sr-only">Time Machine backups per Mac</caption>
        <thead>
          <tr>
            <th scope="col">Mac</th>
            <th scope="col">Size</th>
            <th scope="col">Cap</th>
            <th scope="col">Share of cap</th>
            <th scope="col">Last backup</th>
          </tr>
        </thead>
        <tbody>
          {bundles.map((t) => (
            <tr key={`${t.folder ?? ''}/${t.name}`} className={t.stale ? 'stale' : ''} title={t.warning ?? undefined}>
              <th scope="row">
                {t.mac}
                {t.folder ? <span className="muted"> ({t.folder})</span> : null}
              </th>
              <td>{formatBytes(t.sizeBytes)}</td>
              <td>{formatBytes(t.capBytes)}</td>
              <td className="bar-cell">
                <CapacityBar label={t.mac} used={t.sizeBytes} total={t.capBytes} />
              </td>
              <td>
                {formatAge(t.lastBackupAt, now)} {t.stale && <span className="badge st-failed">older than {t.staleAfterDays} days</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableBox>
  );
}
