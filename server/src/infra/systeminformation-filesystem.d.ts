// systeminformation ships types for its index only; its filesystem module (what diskHealth needs)
// exports the same functions the index re-exports.
declare module 'systeminformation/lib/filesystem.js' {
  import type * as si from 'systeminformation';

  const filesystem: Pick<typeof si, 'fsSize' | 'diskLayout'>;
  export default filesystem;
}
