// Which offsite copies would upload a pillar folder (issue 16): restores and drills must stay on
// motoko unless the owner lets an offsite job carry them.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/load';
import { offsiteJobsUploading } from '../../../server/src/domain/offsite';

const config = (exclude: string) =>
  parseConfig(
    `stateDir: /var/lib/pillars
pillars:
  flux: { path: /flux }
  space: { path: /space }
remotes:
  cloud: { type: local }
jobs:
  space-offsite: { type: rclone-sync, source: "space:/", destination: "cloud:/srv/cloud", exclude: ${exclude} }
  media-copy: { type: rclone-copy, source: "space:/media", destination: "cloud:/srv/media" }
  flux-to-space: { type: rclone-sync, source: "flux:/", destination: "space:/flux-copy" }
`,
    'pillarsd.yaml',
  );

describe('offsiteJobsUploading', () => {
  it('names every rclone job to a remote whose source holds the folder and that does not exclude it by an anchored folder exclude', () => {
    expect(offsiteJobsUploading(config('[]'), '/space/restores/.drills')).toEqual(['space-offsite']);
    expect(offsiteJobsUploading(config('["/restores/**"]'), '/space/restores/.drills')).toEqual([]);
    expect(offsiteJobsUploading(config('["/restores/"]'), '/space/restores')).toEqual([]);
    // an unanchored or a file pattern does not count: rclone would still upload the folder's files
    expect(offsiteJobsUploading(config('["restores/**"]'), '/space/restores/.drills')).toEqual(['space-offsite']);
    expect(offsiteJobsUploading(config('["/restores/*.bin"]'), '/space/restores/.drills')).toEqual(['space-offsite']);
    // a look-alike prefix is another folder
    expect(offsiteJobsUploading(config('["/restores/**"]'), '/space/restores-old')).toEqual(['space-offsite']);
    expect(offsiteJobsUploading(config('["/restores/**", "/media/**"]'), '/space/media/x')).toEqual(['media-copy']);
    // a copy between pillars is not offsite; a folder of another pillar is not in space's jobs
    expect(offsiteJobsUploading(config('[]'), '/flux/restores')).toEqual([]);
  });
});
