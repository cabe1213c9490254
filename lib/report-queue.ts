// The delivery reports of produce() and produceBatch() messages, waiting for deliveryReport():
// two columns in a ring that grows by doubling. A report becomes an object only when the caller
// takes it, so reports waiting between calls are not objects for the garbage collector to move.

/** A delivery report of a `produce()` or `produceBatch()` message. */
export interface DeliveryReport {
  msgid: number;
  /** 0: delivered; otherwise the error code. */
  error: number;
}

export class ReportQueue {
  #msgids = new Float64Array(1024);
  #errors = new Int32Array(1024);
  /** Where the oldest report is. */
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(msgid: number, error: number): void {
    if (this.#length === this.#msgids.length) this.#grow();
    const at = (this.#head + this.#length) & (this.#msgids.length - 1);
    this.#msgids[at] = msgid;
    this.#errors[at] = error;
    this.#length++;
  }

  /** Removes and returns up to `max` reports, oldest first. */
  take(max: number): DeliveryReport[] {
    const count = Math.min(max, this.#length);
    const mask = this.#msgids.length - 1;
    const taken = new Array<DeliveryReport>(count);
    for (let i = 0; i < count; i++) {
      const at = (this.#head + i) & mask;
      taken[i] = { msgid: this.#msgids[at], error: this.#errors[at] };
    }
    this.#head = (this.#head + count) & mask;
    this.#length -= count;
    return taken;
  }

  /** Doubles the ring (its size stays a power of two), the oldest report first. */
  #grow(): void {
    const msgids = new Float64Array(this.#msgids.length * 2);
    const errors = new Int32Array(this.#errors.length * 2);
    const firstPart = this.#msgids.length - this.#head;
    msgids.set(this.#msgids.subarray(this.#head));
    msgids.set(this.#msgids.subarray(0, this.#head), firstPart);
    errors.set(this.#errors.subarray(this.#head));
    errors.set(this.#errors.subarray(0, this.#head), firstPart);
    this.#msgids = msgids;
    this.#errors = errors;
    this.#head = 0;
  }
}
