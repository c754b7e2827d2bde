// Hand-drawn SVG charts: a capacity bar, a line chart and a bar chart. No chart library (the pane
// must stay small) and no inline styles (the CSP allows only our stylesheet): geometry goes in SVG
// attributes, colours in classes.
import { formatBytes, formatDateTime, formatShare } from '../../shared/format';

export function CapacityBar({ label, used, total, warn = 0.9 }: { label: string; used: number | null; total: number | null; warn?: number }) {
  const share = used != null && total ? Math.min(1, Math.max(0, used / total)) : null;
  const cls = share == null ? 'unknown' : share >= warn ? 'full' : share >= warn - 0.15 ? 'high' : 'ok';
  const text = share == null ? `${label}: capacity unknown` : `${label}: ${formatBytes(used)} used of ${formatBytes(total)} (${formatShare(share)})`;
  return (
    <svg className={`capacity ${cls}`} viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label={text}>
      <title>{text}</title>
      <rect className="track" x="0" y="0" width="100" height="6" rx="1.5" />
      {share != null && <rect className="fill" x="0" y="0" width={(share * 100).toFixed(2)} height="6" rx="1.5" />}
    </svg>
  );
}

export interface Point {
  t: number; // ms since epoch
  v: number;
}
export interface Series {
  name: string;
  points: Point[];
}

const W = 640;
const H = 200;
const PAD = { l: 64, r: 12, t: 12, b: 28 };

function niceTicks(max: number, n = 4): number[] {
  if (max <= 0) return [0];
  const step = max / n;
  return Array.from({ length: n + 1 }, (_, i) => step * i);
}

export function LineChart({ series, label, format = formatBytes }: { series: Series[]; label: string; format?: (v: number) => string }) {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return <p className="muted">No data yet for {label.toLowerCase()}.</p>;
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t));
  const vmax = Math.max(...all.map((p) => p.v)) * 1.1 || 1;
  const x = (t: number) => PAD.l + (t1 === t0 ? (W - PAD.l - PAD.r) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.l - PAD.r));
  const y = (v: number) => H - PAD.b - (v / vmax) * (H - PAD.t - PAD.b);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        <title>{label}</title>
        {niceTicks(vmax).map((v) => (
          <g key={v} className="grid">
            <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} />
            <text x={PAD.l - 6} y={y(v) + 4} textAnchor="end">
              {format(v)}
            </text>
          </g>
        ))}
        <text className="axis" x={PAD.l} y={H - 8}>
          {formatDateTime(new Date(t0)).slice(0, 10)}
        </text>
        <text className="axis" x={W - PAD.r} y={H - 8} textAnchor="end">
          {formatDateTime(new Date(t1)).slice(0, 10)}
        </text>
        {series.map((s, i) => {
          const pts = [...s.points].sort((a, b) => a.t - b.t);
          return (
            <g key={s.name} className={`series s${i % 4}`}>
              <polyline fill="none" points={pts.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')} />
              {pts.map((p) => (
                <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r="2.5">
                  <title>{`${s.name} ${formatDateTime(new Date(p.t))}: ${format(p.v)}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {series.map((s, i) => (
          <span key={s.name} className={`legend s${i % 4}`}>
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export function BarChart({ bars, label, format = formatBytes, width = W }: { bars: Array<{ key: string; label: string; v: number }>; label: string; format?: (v: number) => string; width?: number }) {
  if (bars.length === 0) return <p className="muted">No data yet for {label.toLowerCase()}.</p>;
  const vmax = Math.max(...bars.map((b) => b.v)) * 1.1 || 1;
  const inner = width - PAD.l - PAD.r;
  // A few nights must not become a few slabs: bars are at most 48 units wide, packed to the right.
  const bw = Math.min(48, inner / bars.length);
  const x0 = PAD.l + inner - bw * bars.length;
  const y = (v: number) => H - PAD.b - (v / vmax) * (H - PAD.t - PAD.b);
  const every = Math.max(1, Math.ceil(bars.length / 8));
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${H}`} role="img" aria-label={label}>
        <title>{label}</title>
        {niceTicks(vmax).map((v) => (
          <g key={v} className="grid">
            <line x1={PAD.l} x2={width - PAD.r} y1={y(v)} y2={y(v)} />
            <text x={PAD.l - 6} y={y(v) + 4} textAnchor="end">
              {format(v)}
            </text>
          </g>
        ))}
        {bars.map((b, i) => (
          <g key={b.key} className="bar">
            <rect x={x0 + i * bw + bw * 0.15} y={y(b.v)} width={Math.max(1, bw * 0.7)} height={Math.max(0, H - PAD.b - y(b.v))}>
              <title>{`${b.label}: ${format(b.v)}`}</title>
            </rect>
            {i % every === 0 && (
              <text className="axis" x={x0 + i * bw + bw / 2} y={H - 8} textAnchor="middle">
                {b.label}
              </text>
            )}
          </g>
        ))}
      </svg>
    </figure>
  );
}
