// The pane's clients list marks who is behind by this order (semantic versions, prereleases first).
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../../src/shared/version';

describe('compareVersions', () => {
  it('orders numbers part by part and a prerelease before its release', () => {
    const sorted = ['1.10.0', '1.2.0', '1.9.3', '1.3.0-beta.1', '1.3.0', '1.3.0-beta.10', '1.3.0-beta.2', '0.9.0'].sort(compareVersions);
    expect(sorted).toEqual(['0.9.0', '1.2.0', '1.3.0-beta.1', '1.3.0-beta.2', '1.3.0-beta.10', '1.3.0', '1.9.3', '1.10.0']);
    expect(compareVersions('2.0.0', '2.0.0')).toBe(0);
  });
});
