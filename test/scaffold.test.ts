import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };

describe('package', () => {
  it('exposes the five entry points the contract names', () => {
    expect(Object.keys(pkg.exports)).toEqual([
      '.',
      './react',
      './server',
      './server/redis',
      './testing',
      './package.json',
    ]);
  });
});
