// A process's allowance of runs and heavy steps.
import { describe, expect, it } from 'vitest';
import { Slots } from '../../src/runner/slots.js';

describe('Slots', () => {
  it('lets no more runs in hand than the limit', () => {
    const slots = new Slots({ runs: 2, heavy: 1 });
    expect([slots.takeRun(), slots.takeRun(), slots.takeRun()]).toEqual([true, true, false]);
    slots.releaseRun();
    expect(slots.freeRuns).toBe(1);
  });

  it('gives a heavy step only while a heavy slot is free, and takes it back once, however often it is left', () => {
    const slots = new Slots({ runs: 4, heavy: 1 });
    const first = slots.heavySlot(false);
    const second = slots.heavySlot(false);
    expect(first.enter()).toBe(true);
    expect(second.enter()).toBe(false);
    first.leave();
    first.leave();
    expect(slots.freeHeavy).toBe(1);
    expect(second.enter()).toBe(true);
    expect(slots.freeHeavy).toBe(0);
  });

  it('holds the slot reserved at claim time until the heavy step is left', () => {
    const slots = new Slots({ runs: 4, heavy: 1 });
    const reserved = slots.heavySlot(true);
    expect(slots.freeHeavy).toBe(0);
    expect(reserved.enter()).toBe(true);
    reserved.leave();
    expect(slots.freeHeavy).toBe(1);
  });
});
