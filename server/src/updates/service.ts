// Publishing tray builds (`pillarsd updates add|list`) and serving them to paired clients as an
// electron-updater generic feed (GET /api/v1/updates/:file). Every check runs before anything is
// written: a refused add leaves the store exactly as it was.
import path from 'node:path';
import { NotFoundError } from '../ports/errors';
import type { UpdateDownload, UpdatesApi } from '../ports/services';
import { readText } from '../infra/fs';
import { digestFile, isFile, UpdateFiles } from '../infra/update-files';
import { CHANNELS, FEED_NAME, FeedError, parseFeed, pickFeed, planAdd } from './feed';
import type { Candidate, Channel, Digest, Feed } from './feed';

export class UpdateRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`nothing was published:\n${reasons.map((r) => `  - ${r}`).join('\n')}`);
  }
}

export interface AddResult {
  channel: Channel;
  published: Array<{ feed: string; version: string; previous: string | null }>;
  unchanged: string[];
  copied: string[];
}

export interface ChannelListing {
  channel: Channel;
  feeds: Array<{ name: string; version: string; releaseDate: string | null; files: Array<{ name: string; size: number | null }> }>;
}

export function updatesDir(stateDir: string): string {
  return path.join(stateDir, 'updates');
}

export class UpdateService implements UpdatesApi {
  private readonly files: UpdateFiles;

  constructor(
    stateDir: string,
    /** The channel of a client, by its token id (stable when unknown). */
    private readonly channelOf: (tokenId: string) => Channel = () => 'stable',
  ) {
    this.files = new UpdateFiles(updatesDir(stateDir));
  }

  private feed(channel: Channel, name: string): Feed | null {
    const text = this.files.feedText(channel, name);
    return text === null ? null : parseFeed(text, `${channel}/${name}`);
  }

  async add(paths: readonly string[], channel: Channel): Promise<AddResult> {
    const refusals: string[] = [];
    const candidates: Candidate[] = [];
    const given = new Map<string, string>();
    for (const p of paths) {
      const abs = path.resolve(p);
      if (!isFile(abs)) {
        refusals.push(`${p}: no such file`);
        continue;
      }
      const name = path.basename(abs);
      if (given.has(name) && given.get(name) !== abs) refusals.push(`${name} is given twice (${given.get(name)} and ${abs})`);
      given.set(name, abs);
    }
    for (const [name, abs] of given) {
      if (!FEED_NAME.test(name)) continue;
      try {
        const text = readText(abs);
        candidates.push({ feedName: name, feed: parseFeed(text, abs), text });
      } catch (e) {
        refusals.push(e instanceof FeedError ? e.message : `${abs}: ${(e as Error).message}`);
      }
    }
    if (!candidates.length && !refusals.length) refusals.push('no feed given: name the latest.yml, latest-mac.yml or latest-linux.yml electron-builder wrote beside the builds');
    const named = new Set(candidates.flatMap((c) => c.feed.files.map((f) => f.url)));
    for (const [name, abs] of given) if (!FEED_NAME.test(name) && !named.has(name)) refusals.push(`${abs}: no feed given names ${name}`);

    const found = new Map<string, (Digest & { from: string }) | null>();
    for (const c of candidates) {
      const dir = path.dirname(given.get(c.feedName)!);
      for (const f of c.feed.files) {
        if (found.has(f.url)) continue;
        const from = given.get(f.url) ?? path.join(dir, f.url);
        found.set(f.url, isFile(from) ? { ...(await digestFile(from)), from } : null);
      }
    }
    const current = new Map<string, Feed>();
    for (const c of candidates) {
      try {
        const now = this.feed(channel, c.feedName);
        if (now) current.set(c.feedName, now);
      } catch (e) {
        refusals.push(`the published ${(e as Error).message}`);
      }
    }
    const stored = new Map<string, Digest>();
    for (const name of named) if (isFile(this.files.filePath(name))) stored.set(name, await digestFile(this.files.filePath(name)));

    const { refusals: more, plan } = planAdd({ channel, candidates, found, current, stored });
    refusals.push(...more);
    if (refusals.length) throw new UpdateRefused(refusals);
    this.files.publish(channel, plan.copy, plan.feeds);
    return { channel, published: plan.feeds.map((f) => ({ feed: f.name, version: f.version, previous: f.previous })), unchanged: plan.unchanged, copied: plan.copy.map((c) => c.name) };
  }

  list(): ChannelListing[] {
    return CHANNELS.map((channel) => ({
      channel,
      feeds: this.files.feedNames(channel).flatMap((name) => {
        const f = this.feed(channel, name);
        return f ? [{ name, version: f.version, releaseDate: f.releaseDate ?? null, files: f.files.map((x) => ({ name: x.url, size: x.size ?? null })) }] : [];
      }),
    }));
  }

  async open(tokenId: string, name: string): Promise<UpdateDownload> {
    if (FEED_NAME.test(name)) {
      const which = pickFeed(this.channelOf(tokenId), this.feed('stable', name), this.feed('beta', name));
      const text = which && this.files.feedText(which, name);
      if (!text) throw new NotFoundError(`no tray build is published for ${name} (pillarsd updates add)`);
      return { contentType: 'text/yaml; charset=utf-8', size: Buffer.byteLength(text), body: text };
    }
    const file = /^[^/\\]+$/.test(name) && !name.startsWith('.') ? this.files.openFile(name) : null;
    if (!file) throw new NotFoundError(`no tray build file ${name}`);
    return { contentType: 'application/octet-stream', size: file.size, body: file.stream };
  }
}
