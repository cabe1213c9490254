// Idle time of a consumer that HTTP requests use (a Confluent consumer instance, a Kafka-Pixy
// group consumer). It counts from the end of the last request, never during one: a long poll
// longer than the idle timeout must not see its consumer closed under it.

export class IdleClock {
  #since = Date.now();
  #inUse = 0;

  /** A request begins using the consumer; call the returned function once it is over. */
  use(): () => void {
    this.#inUse++;
    this.#since = Date.now();
    let over = false;
    return () => {
      if (over) return;
      over = true;
      this.#inUse--;
      this.#since = Date.now();
    };
  }

  /** A request used the consumer and is already over (use() and its end at once, without a closure). */
  touch(): void {
    this.#since = Date.now();
  }

  /** No request is using it, and none has for longer than `timeoutMs`. */
  idle(now: number, timeoutMs: number): boolean {
    return this.#inUse === 0 && now - this.#since > timeoutMs;
  }
}
