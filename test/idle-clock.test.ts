// The idle clock of the REST proxy's consumers: idle time counts from the end of the last
// request, and a consumer in use is never idle.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleClock } from '../lib/proxy/idle-clock';

describe('IdleClock', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('is idle only after the timeout with no request in use, counting from the last request end', () => {
    const clock = new IdleClock();
    expect(clock.idle(Date.now() + 1000, 1000)).toBe(false);
    expect(clock.idle(Date.now() + 1001, 1000)).toBe(true);

    const first = clock.use();
    const second = clock.use();
    vi.advanceTimersByTime(5000);
    expect(clock.idle(Date.now() + 5000, 1000)).toBe(false); // in use by two requests
    first();
    first(); // ending twice counts once
    expect(clock.idle(Date.now() + 5000, 1000)).toBe(false); // the second is still in use
    vi.advanceTimersByTime(3000);
    second();
    expect(clock.idle(Date.now() + 1000, 1000)).toBe(false); // idle time starts at the end
    expect(clock.idle(Date.now() + 1001, 1000)).toBe(true);
  });
});
