// An HDR-style latency histogram: fixed memory, constant-time record, values kept to three
// significant digits (each power-of-two range split into 1024 buckets: < 0.1 % error).
import type { Latency } from './job';

const SUB_BITS = 10;
const SUB_COUNT = 1 << SUB_BITS; // 1024
const MAX_SHIFT = 31 - SUB_BITS; // values up to 2^31 µs (~36 min)

export class LatencyHistogram {
  readonly #counts = new Float64Array((MAX_SHIFT + 2) * SUB_COUNT);
  #total = 0;
  #sum = 0;
  #max = 0;

  /** Records one value in microseconds (negative values count as 0). */
  record(micros: number): void {
    const value = Math.min(Math.max(0, Math.round(micros)), 2 ** 31 - 1);
    this.#counts[indexOf(value)]++;
    this.#total++;
    this.#sum += value;
    if (value > this.#max) this.#max = value;
  }

  get count(): number {
    return this.#total;
  }

  /** The value (µs) at or below which `percentile` % of the records fall. */
  percentile(percentile: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.#total));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Math.min(valueOf(i), this.#max);
    }
    return this.#max;
  }

  /** p50 / p99 / p99.9 / max / mean in milliseconds. */
  summary(): Latency {
    const ms = (micros: number): number => Math.round(micros) / 1000;
    return {
      p50: ms(this.percentile(50)),
      p99: ms(this.percentile(99)),
      p999: ms(this.percentile(99.9)),
      max: ms(this.#max),
      mean: ms(this.#total === 0 ? 0 : this.#sum / this.#total),
      samples: this.#total,
    };
  }
}

function indexOf(value: number): number {
  if (value < 2 * SUB_COUNT) return value;
  const shift = 31 - Math.clz32(value) - SUB_BITS; // value >> shift lies in [1024, 2048)
  return shift * SUB_COUNT + (value >>> shift);
}

/** The upper end of a bucket, so percentiles never under-report. */
function valueOf(index: number): number {
  if (index < 2 * SUB_COUNT) return index;
  const shift = Math.floor(index / SUB_COUNT) - 1;
  const sub = index - shift * SUB_COUNT;
  return ((sub + 1) << shift) - 1;
}
