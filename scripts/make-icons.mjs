#!/usr/bin/env node
// Draws every icon of the app in code, so they can be regenerated without a design tool or network:
// the tray icons per state (macOS template images, Windows .ico, Linux .png) and the app icon
// (.png, .ico, .icns). PNGs are written with node:zlib, ICO and ICNS containers by hand (both may
// hold PNG-encoded images: ICO since Windows Vista, ICNS for every type used here since 10.7).
//
//   node scripts/make-icons.mjs [outDir]      (default: assets/)
//
// The output is deterministic; test/tray/icons.test.ts checks the committed files' structure.
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'assets'));

// ---------------------------------------------------------------------------------------------
// PNG encoding (RGBA, 8 bit, no interlace)

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// ICO: ICONDIR + one ICONDIRENTRY per image + PNG payloads (width/height 0 means 256).
export function encodeIco(pngs) {
  const head = Buffer.alloc(6 + 16 * pngs.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2); // type: icon
  head.writeUInt16LE(pngs.length, 4);
  let offset = head.length;
  pngs.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    head[e] = size >= 256 ? 0 : size;
    head[e + 1] = size >= 256 ? 0 : size;
    head[e + 2] = 0; // palette
    head[e + 3] = 0;
    head.writeUInt16LE(1, e + 4); // planes
    head.writeUInt16LE(32, e + 6); // bits per pixel
    head.writeUInt32LE(png.length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([head, ...pngs.map((p) => p.png)]);
}

// ICNS: 'icns' + total length, then (type, length incl. 8-byte header, data) per element.
export function encodeIcns(entries) {
  const parts = entries.map(({ type, png }) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'latin1');
    h.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([h, png]);
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'latin1');
  h.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([h, body]);
}

// ---------------------------------------------------------------------------------------------
// A tiny vector rasteriser: shapes in unit coordinates (0..1, y down), supersampled coverage.

const inRect =
  (x0, y0, x1, y1, r = 0) =>
  (x, y) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    if (r <= 0) return true;
    const cx = Math.min(Math.max(x, x0 + r), x1 - r);
    const cy = Math.min(Math.max(y, y0 + r), y1 - r);
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  };
const inCircle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const inRing =
  (cx, cy, r0, r1, gapFrom = 0, gapTo = 0) =>
  (x, y) => {
    const d2 = (x - cx) ** 2 + (y - cy) ** 2;
    if (d2 < r0 * r0 || d2 > r1 * r1) return false;
    if (gapFrom === gapTo) return true;
    const a = (Math.atan2(y - cy, x - cx) * 180) / Math.PI; // -180..180, 0 = right, 90 = down
    return !(a >= gapFrom && a <= gapTo);
  };
const inSegment = (ax, ay, bx, by, w) => (x, y) => {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= (w / 2) ** 2;
};
const inTriangle = (ax, ay, bx, by, cx, cy) => (x, y) => {
  const s = (px, py, qx, qy) => (x - qx) * (py - qy) - (px - qx) * (y - qy);
  const d1 = s(ax, ay, bx, by);
  const d2 = s(bx, by, cx, cy);
  const d3 = s(cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
};

/** ops: [{ add: shape, alpha? } | { clear: shape }]; returns a coverage function (x,y) → 0..1. */
const compose = (ops) => (x, y) => {
  let a = 0;
  for (const op of ops) {
    if (op.add && op.add(x, y)) a = Math.max(a, op.alpha ?? 1);
    else if (op.clear && op.clear(x, y)) a = 0;
  }
  return a;
};

function rasterize(size, cov, ss = size >= 256 ? 2 : 4) {
  const a = new Float32Array(size * size);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let sum = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) sum += cov((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size);
      }
      a[py * size + px] = sum / (ss * ss);
    }
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// The pillars glyph and the state badges

/** Three columns between a lintel and a base: the project's mark. `box` maps it into the canvas. */
function glyph(box = [0.06, 0.06, 0.94, 0.94]) {
  const [x0, y0, x1, y1] = box;
  const X = (u) => x0 + u * (x1 - x0);
  const Y = (v) => y0 + v * (y1 - y0);
  const w = x1 - x0;
  const r = 0.03 * w;
  return [
    inTriangle(X(0.5), Y(0.0), X(0.02), Y(0.2), X(0.98), Y(0.2)), // pediment
    inRect(X(0.06), Y(0.2), X(0.94), Y(0.29), r), // lintel
    inRect(X(0.12), Y(0.33), X(0.28), Y(0.82), r), // columns
    inRect(X(0.42), Y(0.33), X(0.58), Y(0.82), r),
    inRect(X(0.72), Y(0.33), X(0.88), Y(0.82), r),
    inRect(X(0.02), Y(0.86), X(0.98), Y(1.0), r), // base
  ];
}

const BADGE = { cx: 0.76, cy: 0.74, r: 0.25 };

function badgeOps(state) {
  const { cx, cy, r } = BADGE;
  const cut = { clear: inCircle(cx, cy, r + 0.07) }; // a gap so the badge reads at 16 px
  switch (state) {
    case 'working': // a ring with a gap: the "busy" spinner
      return [cut, { add: inRing(cx, cy, r * 0.5, r, -100, -20) }, { add: inTriangle(cx + r * 0.15, cy - r * 1.05, cx + r * 0.95, cy - r * 0.75, cx + r * 0.35, cy - r * 0.15) }];
    case 'warning': // a triangle with an exclamation mark cut out
      return [
        cut,
        { add: inTriangle(cx, cy - r * 1.05, cx - r * 1.1, cy + r * 0.9, cx + r * 1.1, cy + r * 0.9) },
        { clear: inSegment(cx, cy - r * 0.45, cx, cy + r * 0.2, r * 0.28) },
        { clear: inCircle(cx, cy + r * 0.55, r * 0.15) },
      ];
    case 'error': // a disc with a cross cut out
      return [
        cut,
        { add: inCircle(cx, cy, r) },
        { clear: inSegment(cx - r * 0.45, cy - r * 0.45, cx + r * 0.45, cy + r * 0.45, r * 0.3) },
        { clear: inSegment(cx - r * 0.45, cy + r * 0.45, cx + r * 0.45, cy - r * 0.45, r * 0.3) },
      ];
    case 'offline': // a hollow ring: disconnected, not broken
      return [cut, { add: inRing(cx, cy, r * 0.55, r) }];
    default:
      return [];
  }
}

/** Coverage mask of a tray icon: the glyph (dimmed when offline/away) plus the state's badge. */
function trayMask(state) {
  const alpha = state === 'offline' ? 0.5 : 1;
  return compose([...glyph().map((s) => ({ add: s, alpha })), ...badgeOps(state)]);
}

// ---------------------------------------------------------------------------------------------
// Colouring

const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

/** Black + alpha only: macOS tints template images for light and dark menu bars. */
function template(size, cov) {
  const a = rasterize(size, cov);
  const buf = Buffer.alloc(size * size * 4);
  for (let i = 0; i < a.length; i++) buf[i * 4 + 3] = Math.round(a[i] * 255);
  return buf;
}

/** One colour + alpha (the macOS error icon must be red, which a template can't be). */
function solid(size, cov, colour) {
  const [r, g, b] = hex(colour);
  const a = rasterize(size, cov);
  const buf = Buffer.alloc(size * size * 4);
  for (let i = 0; i < a.length; i++) {
    buf[i * 4] = r;
    buf[i * 4 + 1] = g;
    buf[i * 4 + 2] = b;
    buf[i * 4 + 3] = Math.round(a[i] * 255);
  }
  return buf;
}

/** A rounded tile in the state's colour with the white mask on it: legible on light and dark taskbars. */
function tile(size, cov, colour, margin = 0.0, radius = 0.2) {
  const [r, g, b] = hex(colour);
  const inTile = inRect(margin, margin, 1 - margin, 1 - margin, radius);
  const tileCov = rasterize(size, (x, y) => (inTile(x, y) ? 1 : 0));
  const inner = 0.14 + margin; // the glyph sits inside the tile
  const mapped = (x, y) => cov((x - inner) / (1 - 2 * inner), (y - inner) / (1 - 2 * inner));
  const fg = rasterize(size, mapped);
  const buf = Buffer.alloc(size * size * 4);
  for (let i = 0; i < fg.length; i++) {
    const t = tileCov[i];
    const f = fg[i] * t;
    buf[i * 4] = Math.round(r * (1 - f) + 255 * f);
    buf[i * 4 + 1] = Math.round(g * (1 - f) + 255 * f);
    buf[i * 4 + 2] = Math.round(b * (1 - f) + 255 * f);
    buf[i * 4 + 3] = Math.round(t * 255);
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------
// What gets written

export const TRAY_STATES = ['ok', 'working', 'warning', 'error', 'offline'];
const STATE_COLOUR = { ok: '#2e7d32', working: '#1565c0', warning: '#b26a00', error: '#c62828', offline: '#616161' };
const MAC_ERROR_RED = '#e53935';
export const ICO_SIZES = [16, 20, 24, 32, 40, 48, 64, 128, 256];

function write(rel, data) {
  const file = path.join(out, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
}

for (const state of TRAY_STATES) {
  const cov = trayMask(state);
  write(`tray/mac/tray-${state}Template.png`, encodePng(16, template(16, cov)));
  write(`tray/mac/tray-${state}Template@2x.png`, encodePng(32, template(32, cov)));
  write(`tray/linux/tray-${state}.png`, encodePng(32, tile(32, cov, STATE_COLOUR[state])));
  write(`tray/linux/tray-${state}@2x.png`, encodePng(64, tile(64, cov, STATE_COLOUR[state])));
  write(`tray/win/tray-${state}.ico`, encodeIco(ICO_SIZES.map((s) => ({ size: s, png: encodePng(s, tile(s, cov, STATE_COLOUR[state])) }))));
}
write('tray/mac/tray-errorColor.png', encodePng(16, solid(16, trayMask('error'), MAC_ERROR_RED)));
write('tray/mac/tray-errorColor@2x.png', encodePng(32, solid(32, trayMask('error'), MAC_ERROR_RED)));

// App icon: the glyph on a deep blue tile with the macOS grid's margin (about 10 %).
const APP_BLUE = '#1f3a5f';
const appCov = compose(glyph([0.02, 0.02, 0.98, 0.98]).map((s) => ({ add: s })));
const app = (s) => encodePng(s, tile(s, appCov, APP_BLUE, 0.08, 0.18));
const appPngs = new Map([16, 24, 32, 48, 64, 128, 256, 512, 1024].map((s) => [s, app(s)]));
write('icon.png', appPngs.get(1024));
write('icon-512.png', appPngs.get(512));
write('icon.ico', encodeIco([16, 24, 32, 48, 64, 128, 256].map((s) => ({ size: s, png: appPngs.get(s) }))));
write(
  'icon.icns',
  encodeIcns([
    { type: 'icp4', png: appPngs.get(16) },
    { type: 'icp5', png: appPngs.get(32) },
    { type: 'icp6', png: appPngs.get(64) },
    { type: 'ic07', png: appPngs.get(128) },
    { type: 'ic08', png: appPngs.get(256) },
    { type: 'ic09', png: appPngs.get(512) },
    { type: 'ic10', png: appPngs.get(1024) },
    { type: 'ic11', png: appPngs.get(32) },
    { type: 'ic12', png: appPngs.get(64) },
    { type: 'ic13', png: appPngs.get(256) },
    { type: 'ic14', png: appPngs.get(512) },
  ]),
);
console.log(`icons written to ${out}`);
