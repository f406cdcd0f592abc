/**
 * Events already in the log store's own encoding (format.ts), with the producer offset where
 * each ends: how the awslogs driver's batches arrive (src/agent/awslogs/batch-frame.ts decodes
 * and checks them), so the store writes them into its record as they are.
 */

/** A checked batch: its events region and ends. */
export interface EncodedEvents {
  readonly count: number;
  /** count × (f64 timestamp | u32 length | message), as store/format.ts writes events. */
  readonly region: Buffer;
  readonly ends: Float64Array;
}

