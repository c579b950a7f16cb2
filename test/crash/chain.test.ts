// How the crash suites group their kill points into chains a world takes in a row.
import { describe, expect, it } from 'vitest';
import { chainPoints } from './harness.js';

describe('chainPoints', () => {
  const recorded = [
    'store:startRun:after#1',
    'effect:poll:before#1',
    'effect:poll:after#1',
    'effect:poll:before#2',
    'effect:poll:after#2',
    'heroku:promote:before#1',
    'heroku:promote:after#1',
    'store:save:cleaning:after#1',
  ];

  it('puts a point after another only when a resuming process would number it as the clean run did', () => {
    expect(chainPoints(recorded, recorded, 10)).toEqual([
      // A resumer's first poll is its #1: the clean run's second poll cannot follow its first.
      [
        'store:startRun:after#1',
        'effect:poll:before#1',
        'effect:poll:after#1',
        'heroku:promote:before#1',
        'heroku:promote:after#1',
        'store:save:cleaning:after#1',
      ],
      ['effect:poll:before#2'],
      ['effect:poll:after#2'],
    ]);
  });

  it('keeps every point exactly once, in the run’s order within a chain, and chains no longer than asked', () => {
    const chains = chainPoints(recorded, [...recorded].reverse(), 3);
    expect(chains.flat().sort()).toEqual([...recorded].sort());
    for (const chain of chains) {
      expect(chain.length).toBeLessThanOrEqual(3);
      expect(chain).toEqual([...chain].sort((a, b) => recorded.indexOf(a) - recorded.indexOf(b)));
    }
  });
});
