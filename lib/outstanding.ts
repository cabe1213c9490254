// The msgids of produce() and produceBatch() messages without a successful delivery report, as
// the APL updateOutstanding reports them: pending, or failed (kept until reported once).
// msgids only grow, so the pending ones live in a window of flags, one byte per msgid from the
// oldest pending one: tracking and settling a message is an array store, not a Map operation.

const PENDING = 1;

export class OutstandingIds {
  #flags = new Uint8Array(4096);
  /** The msgid of #flags[0]. */
  #origin = 1;
  /** No pending msgid below this one. */
  #low = 1;
  /** No pending msgid at or above this one. */
  #high = 1;
  #pending = 0;
  /** Failed msgids and their error codes, until reported once. */
  #failed = new Map<number, number>();

  /** Tracks msgids first .. first + count - 1 (higher than any tracked before) as pending. */
  add(first: number, count = 1): void {
    if (count <= 0) return;
    if (this.#pending === 0) this.#origin = this.#low = this.#high = first; // the window is all zeros
    const end = first + count;
    this.#reserve(end);
    this.#flags.fill(PENDING, first - this.#origin, end - this.#origin);
    this.#pending += count;
    this.#high = end;
  }

  /** Records a delivery report; false when the msgid is not a pending one of ours. */
  settle(msgid: number, error: number): boolean {
    if (msgid < this.#low || msgid >= this.#high || this.#flags[msgid - this.#origin] !== PENDING) return false;
    this.#flags[msgid - this.#origin] = 0;
    this.#pending--;
    if (error !== 0) this.#failed.set(msgid, error);
    while (this.#low < this.#high && this.#flags[this.#low - this.#origin] === 0) this.#low++;
    return true;
  }

  /** Every pending msgid (error 0) and every failure, by msgid; failures are then forgotten. */
  takeRows(): Array<{ msgid: number; error: number }> {
    const rows: Array<{ msgid: number; error: number }> = [];
    for (let msgid = this.#low; msgid < this.#high; msgid++) {
      if (this.#flags[msgid - this.#origin] === PENDING) rows.push({ msgid, error: 0 });
    }
    for (const [msgid, error] of this.#failed) rows.push({ msgid, error });
    this.#failed.clear();
    return rows.sort((a, b) => a.msgid - b.msgid);
  }

  /** Makes room for msgids below `end`, moving the live window to the front or growing. */
  #reserve(end: number): void {
    if (end - this.#origin <= this.#flags.length) return;
    const start = this.#low - this.#origin;
    const live = this.#high - this.#low;
    const needed = end - this.#low;
    if (needed <= this.#flags.length / 2) {
      this.#flags.copyWithin(0, start, start + live);
      this.#flags.fill(0, live);
    } else {
      const flags = new Uint8Array(Math.max(this.#flags.length * 2, needed * 2));
      flags.set(this.#flags.subarray(start, start + live));
      this.#flags = flags;
    }
    this.#origin = this.#low;
  }
}
