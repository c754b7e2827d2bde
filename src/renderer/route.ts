// Hash routing: works the same from file:// in the tray and from / on the server (no history API,
// no server-side fallback needed). Free of React: the entry parses the route before React loads
// (useRoute is in hooks.ts).

export type Route =
  | { page: 'overview' }
  | { page: 'jobs' }
  | { page: 'runs'; job: string; status: string }
  | { page: 'run'; id: string }
  | { page: 'snapshots' }
  | { page: 'snapshot'; job: string; id: string; path: string }
  | { page: 'recover' }
  | { page: 'samba' }
  | { page: 'hotsets' }
  | { page: 'notifications' }
  | { page: 'preferences' };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [pathPart = '', query = ''] = raw.split('?');
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(query);
  switch (parts[0]) {
    case 'jobs':
      return { page: 'jobs' };
    case 'runs':
      if (parts[1]) return { page: 'run', id: parts[1] };
      return { page: 'runs', job: q.get('job') ?? '', status: q.get('status') ?? '' };
    case 'snapshots':
      // #/snapshots/JOB/SNAPSHOT?path=/folder: one folder of a snapshot (the snapshot's root without a path)
      if (parts[1] && parts[2]) return { page: 'snapshot', job: parts[1], id: parts[2], path: q.get('path') ?? '' };
      return { page: 'snapshots' };
    case 'recover':
      return { page: 'recover' };
    case 'samba':
      return { page: 'samba' };
    case 'hotsets':
      return { page: 'hotsets' };
    case 'notifications':
      return { page: 'notifications' };
    case 'preferences':
      return { page: 'preferences' };
    default:
      return { page: 'overview' };
  }
}

export function runHref(id: string): string {
  return `#/runs/${encodeURIComponent(id)}`;
}

export function runsHref(job = '', status = ''): string {
  const q = new URLSearchParams();
  if (job) q.set('job', job);
  if (status) q.set('status', status);
  const s = q.toString();
  return s ? `#/runs?${s}` : '#/runs';
}

export function snapshotHref(job: string, id: string, dir = ''): string {
  const base = `#/snapshots/${encodeURIComponent(job)}/${encodeURIComponent(id)}`;
  return dir ? `${base}?${new URLSearchParams({ path: dir })}` : base;
}
