import type { StatusResponse } from '../../../server/src/contract/api';
import { PageHeader, Section, TableBox } from '../components/ui';

export function HotSets({ status }: { status: StatusResponse }) {
  return (
    <div className="page hotsets">
      <PageHeader title="Hot-sets" />
      <Section title="Syncthing folders">
        {status.hotSets.length === 0 ? (
          <p className="muted">No Syncthing folders are watched.</p>
        ) : (
          <TableBox label="Syncthing folders, scrollable">
            <table className="data">
              <caption className="sr-only">Syncthing folders</caption>
              <thead>
                <tr>
                  <th scope="col">Folder</th>
                  <th scope="col">Path</th>
                  <th scope="col">State</th>
                  <th scope="col">Completion</th>
                  <th scope="col">Errors</th>
                  <th scope="col">Conflicts</th>
                </tr>
              </thead>
              <tbody>
                {status.hotSets.map((h) => (
                  <tr key={h.id}>
                    <th scope="row">{h.label}</th>
                    <td>
                      <code>{h.path}</code>
                    </td>
                    <td>
                      <span className={`badge hs-${h.state}`}>{h.state}</span>
                    </td>
                    <td>{h.completion == null ? '—' : `${h.completion.toFixed(0)} %`}</td>
                    <td className={h.errors > 0 ? 'bad' : ''}>{h.errors}</td>
                    <td>
                      {h.conflicts.length === 0 ? (
                        '—'
                      ) : (
                        <ul className="conflicts">
                          {h.conflicts.map((c) => (
                            <li key={c}>
                              <code>{c}</code>
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
        )}
      </Section>
    </div>
  );
}
