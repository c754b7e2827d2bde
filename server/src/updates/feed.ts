// The tray's update feed as electron-updater's generic provider reads it: one `latest*.yml` per
// platform naming a version and its files with their sha512 (base64) and size. This module parses
// those files and decides what `pillarsd updates add` may publish; it touches no file itself.
import semver from 'semver';
import { parse } from 'yaml';
import { z } from 'zod';

export const CHANNELS = ['stable', 'beta'] as const;
export type Channel = (typeof CHANNELS)[number];

/** latest.yml (Windows), latest-mac.yml, latest-linux.yml and the Linux arm variants electron-builder writes. */
export const FEED_NAME = /^latest(-mac|-linux(-arm64|-armv7l)?)?\.yml$/;

export function validChannel(x: unknown): x is Channel {
  return (CHANNELS as readonly unknown[]).includes(x);
}

/** A file the feed names: only a plain name in the feed's own folder is served (GET /api/v1/updates/:file takes no other). */
const fileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/, 'must be a plain file name of letters, digits and . _ + - (no folder, no URL, no space: see artifactName in electron-builder.yml)');
const sha512 = z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'must be a base64 SHA-512 (88 characters)');

const feedSchema = z.looseObject({
  version: z.string().refine((v) => semver.valid(v) !== null, 'must be a semantic version (1.2.3)'),
  files: z.array(z.looseObject({ url: fileName, sha512, size: z.number().int().nonnegative().optional() })).min(1),
  path: fileName.optional(),
  sha512: sha512.optional(),
  releaseDate: z.string().optional(),
});

export interface FeedFile {
  url: string;
  sha512: string;
  size?: number;
}

export interface Feed {
  version: string;
  files: FeedFile[];
  releaseDate?: string;
}

export class FeedError extends Error {}

/** A feed file's content, checked: a clear error names the file and the key that is wrong. */
export function parseFeed(text: string, source: string): Feed {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new FeedError(`${source}: not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const r = feedSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new FeedError(`${source}: ${i.path.length ? i.path.join('.') : 'the document'} ${i.message}`);
  }
  const f = r.data;
  // the legacy top-level path/sha512 pair must agree with the files list (old updaters read it)
  if (f.path !== undefined) {
    const named = f.files.find((x) => x.url === f.path);
    if (!named) throw new FeedError(`${source}: path ${f.path} is not among its files`);
    if (f.sha512 !== undefined && f.sha512 !== named.sha512) throw new FeedError(`${source}: sha512 differs from the one of ${f.path} in its files`);
  }
  return { version: f.version, files: f.files.map((x) => ({ url: x.url, sha512: x.sha512, ...(x.size !== undefined ? { size: x.size } : {}) })), ...(f.releaseDate ? { releaseDate: f.releaseDate } : {}) };
}

export interface Digest {
  sha512: string;
  size: number;
}

export interface Candidate {
  /** latest.yml, latest-mac.yml, … */
  feedName: string;
  feed: Feed;
  text: string;
}

export interface AddInput {
  channel: Channel;
  candidates: Candidate[];
  /** Each file the candidates name, as found on disk: null when it was not given nor beside its feed. */
  found: Map<string, (Digest & { from: string }) | null>;
  /** The channel's feeds now published, by name. */
  current: Map<string, Feed>;
  /** Files already in the store (any channel), by name. */
  stored: Map<string, Digest>;
}

export interface AddPlan {
  /** Files to copy into the store (absent there), by name. */
  copy: Array<{ name: string; from: string }>;
  /** Feeds to write (their given text), by name. */
  feeds: Array<{ name: string; text: string; version: string; previous: string | null }>;
  /** Feeds given that are already published exactly so. */
  unchanged: string[];
}

/**
 * What publishing these feeds would do, or every reason it may not: a file whose sha512 or size is
 * not its feed entry's, a file missing, an older version than the channel's, the same version with
 * other files, a name in the store with other content. Refusals are all collected so the owner
 * fixes the release once.
 */
export function planAdd(input: AddInput): { refusals: string[]; plan: AddPlan } {
  const refusals: string[] = [];
  const plan: AddPlan = { copy: [], feeds: [], unchanged: [] };
  const seen = new Set<string>();
  for (const c of input.candidates) {
    if (seen.has(c.feedName)) {
      refusals.push(`${c.feedName} is given twice`);
      continue;
    }
    seen.add(c.feedName);
    let bad = false;
    for (const f of c.feed.files) {
      const got = input.found.get(f.url);
      if (!got) {
        refusals.push(`${c.feedName} names ${f.url}, which was neither given nor found beside ${c.feedName}`);
        bad = true;
        continue;
      }
      if (got.sha512 !== f.sha512) {
        refusals.push(`${got.from}: its sha512 is ${got.sha512}, but ${c.feedName} says ${f.sha512} (a changed or damaged file, or the feed of another build)`);
        bad = true;
      } else if (f.size !== undefined && got.size !== f.size) {
        refusals.push(`${got.from}: ${got.size} bytes, but ${c.feedName} says ${f.size}`);
        bad = true;
      }
      const stored = input.stored.get(f.url);
      if (stored && stored.sha512 !== got.sha512) {
        refusals.push(`${f.url} is already published with other content: a new build needs a new version (and so a new file name)`);
        bad = true;
      }
    }
    const now = input.current.get(c.feedName);
    if (now) {
      const cmp = semver.compare(c.feed.version, now.version);
      if (cmp < 0) {
        refusals.push(`${c.feedName}: version ${c.feed.version} is older than ${now.version}, which the ${input.channel} channel already offers`);
        bad = true;
      } else if (cmp === 0) {
        if (sameFiles(now, c.feed)) {
          if (!bad) plan.unchanged.push(c.feedName);
          continue;
        }
        refusals.push(`${c.feedName}: version ${c.feed.version} is already published on the ${input.channel} channel with other files; publish a new version`);
        bad = true;
      }
    }
    if (bad) continue;
    plan.feeds.push({ name: c.feedName, text: c.text, version: c.feed.version, previous: now?.version ?? null });
    for (const f of c.feed.files) {
      const got = input.found.get(f.url)!;
      if (!input.stored.has(f.url) && !plan.copy.some((x) => x.name === f.url)) plan.copy.push({ name: f.url, from: got.from });
    }
  }
  return { refusals, plan };
}

const sameFiles = (a: Feed, b: Feed) => a.files.length === b.files.length && a.files.every((f) => b.files.some((g) => g.url === f.url && g.sha512 === f.sha512));

/** The feed a client of `channel` gets for `name`: a beta client gets whichever of beta and stable is newer. */
export function pickFeed(channel: Channel, stable: Feed | null, beta: Feed | null): 'stable' | 'beta' | null {
  if (channel === 'stable' || !beta) return stable ? 'stable' : null;
  if (!stable) return 'beta';
  return semver.gte(beta.version, stable.version) ? 'beta' : 'stable';
}
