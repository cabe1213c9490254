// A consume request's client going away: the request's wait for a record ends without one, so
// that the record goes to the group's next request instead of to a closed connection.

export class Cancellation {
  #cancelled = false;
  #listener: (() => void) | undefined;

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** The client went away (once; later calls do nothing). */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }

  /** Calls `listener` on cancel (one at a time: a later one replaces it; undefined removes it). */
  onCancel(listener: (() => void) | undefined): void {
    this.#listener = listener;
  }
}
