import { describe, expect, it } from 'vitest';

import { formatSpread, median, relativeHalfRange, spread } from '../../bench/spread.js';

describe('median and spread', () => {
  it('takes the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('reports median (min–max) and how far the range reaches from the median', () => {
    const s = spread([100, 90, 130, 110, 95]);
    expect(s).toEqual({ median: 100, min: 90, max: 130, n: 5 });
    expect(formatSpread(s)).toBe('100 (90–130)');
    expect(relativeHalfRange(s)).toBeCloseTo(0.3);
  });
});
