// The outstanding-msgid window behind Producer.updateOutstanding, against a plain Map model:
// random adds (single and ranges, with gaps for other APIs' msgids), reports in any order,
// failures, foreign msgids and repeated reports, over enough msgids to move and grow the window.
import { describe, expect, it } from 'vitest';
import { OutstandingIds } from '../lib/outstanding';
import { ReportQueue } from '../lib/report-queue';

describe('OutstandingIds', () => {
  it('agrees with a Map model over 150,000 msgids reported out of order', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const ids = new OutstandingIds();
    const model = new Map<number, number>(); // msgid -> 0 pending | error
    const pending: number[] = [];
    let next = 1;
    let rowsChecked = 0;
    for (let step = 0; step < 120_000; step++) {
      const action = random();
      if (action < 0.3) {
        if (random() < 0.2) next += 1 + Math.floor(random() * 50); // msgids taken by send() / sendBatch()
        const count = random() < 0.1 ? 1 + Math.floor(random() * 10) : 1;
        ids.add(next, count);
        for (let i = 0; i < count; i++) {
          model.set(next + i, 0);
          pending.push(next + i);
        }
        next += count;
      } else if (action < 0.97 && pending.length > 0) {
        // A report for a random pending msgid (reports of different partitions interleave).
        const at = Math.floor(random() * Math.min(pending.length, 500));
        const msgid = pending[at];
        pending[at] = pending[pending.length - 1];
        pending.pop();
        const error = random() < 0.05 ? -192 : 0;
        expect(ids.settle(msgid, error)).toBe(true);
        if (error === 0) model.delete(msgid);
        else model.set(msgid, error);
        expect(ids.settle(msgid, 0)).toBe(false); // a second report for it is not ours
      } else if (action < 0.98) {
        expect(ids.settle(next + 10, 0)).toBe(false); // never added
        expect(ids.settle(0, 0)).toBe(false);
      } else {
        const expected = [...model].sort((a, b) => a[0] - b[0]).map(([msgid, error]) => ({ msgid, error }));
        expect(ids.takeRows()).toEqual(expected);
        rowsChecked += expected.length;
        for (const [msgid, error] of model) if (error !== 0) model.delete(msgid); // failures are reported once
      }
    }
    expect(next).toBeGreaterThan(150_000);
    expect(rowsChecked).toBeGreaterThan(1000);
    // Drain: every pending msgid reported, then nothing is left but the failures, once.
    for (const msgid of pending) ids.settle(msgid, 0);
    const failures = [...model].filter(([, error]) => error !== 0).map(([msgid, error]) => ({ msgid, error }));
    expect(ids.takeRows()).toEqual(failures.sort((a, b) => a.msgid - b.msgid));
    expect(ids.takeRows()).toEqual([]);
  });
});

describe('ReportQueue', () => {
  it('hands reports back in order, as an array model does, across growth and wrap-around', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const queue = new ReportQueue();
    const model: Array<{ msgid: number; error: number }> = [];
    let head = 0; // model[head] is the oldest report not yet taken
    let next = 1;
    let taken = 0;
    for (let step = 0; step < 20_000; step++) {
      if (random() < 0.55) {
        // Bursts big enough to grow the ring several times, after takes have moved its head.
        const burst = random() < 0.02 ? 5000 : 1 + Math.floor(random() * 20);
        for (let i = 0; i < burst; i++, next++) {
          const error = next % 97 === 0 ? -192 : 0;
          queue.push(next, error);
          model.push({ msgid: next, error });
        }
      } else {
        const max = random() < 0.1 ? 0 : Math.floor(random() * 60);
        const got = queue.take(max);
        expect(got).toEqual(model.slice(head, head + max));
        head += got.length;
        taken += got.length;
      }
      expect(queue.length).toBe(model.length - head);
    }
    expect(queue.take(Number.MAX_SAFE_INTEGER)).toEqual(model.slice(head));
    expect(queue.length).toBe(0);
    expect(taken).toBeGreaterThan(100_000);
  });
});
