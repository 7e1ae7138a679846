// The "did you mean" helper of the configuration checks.
import { describe, expect, it } from 'vitest';

import { editDistance, nearestName } from '../../shared/edit-distance.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['vcpu', 'vcpus', 1],
    ['prot', 'port', 1], // a swap of neighbours is one edit
    ['ramMib', 'ramMiB', 0], // case does not count
    ['ca', 'abc', 3], // optimal string alignment: no edit of a swapped pair
  ])('%j → %j is %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('nearestName', () => {
  const options = ['ramMiB', 'vcpus', 'devices', 'workload', 'writeWindow', 'outputs'];
  it('finds a misspelt or miscased name', () => {
    expect(nearestName('ramMib', options)).toBe('ramMiB');
    expect(nearestName('vcpu', options)).toBe('vcpus');
    expect(nearestName('writeWindw', options)).toBe('writeWindow');
    expect(nearestName('device', options)).toBe('devices');
  });

  it('suggests nothing for a name that is nowhere near', () => {
    expect(nearestName('foo', options)).toBeNull();
    expect(nearestName('threads', options)).toBeNull();
  });
});
