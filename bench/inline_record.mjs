// @ts-check
/**
 * The record shape the pipeline writes, built inline with no checks: what the practical-limit
 * contestants (bench b, the limit script of j) and pino (bench c, and on Node.js in j) write.
 * Plain JavaScript, so Deno and Node.js load the same module.
 *
 * @module
 */

/**
 * The record of snapshot `s` (a parsed snapshot of the bench's synthetic shape).
 *
 * @param {{ meta: { session_id: string, mode: string, timestamp_ms: number, timestamp: string },
 *   context: { source: string, stage: string, symbol?: string | null, market?: string | null },
 *   observation: { inputs: Record<string, unknown> } }} s
 * @param {string} generatedAt
 */
export function inlineRecord(s, generatedAt) {
  return {
    snapshot: s,
    regime_tags: {},
    condition_tags: [],
    outcome_labels: {},
    metadata: {
      schema_version: "v1.0.0",
      dataset_version: "v1.0.0",
      build_id: "observer_core_deno_v0.1.0",
      generated_at: generatedAt,
      session_id: s.meta.session_id,
      mode: s.meta.mode,
      quality_flags: [],
      validation: { severity: "INFO" },
      guard: { action: "PASS", reason: "OK" },
      _schema: {
        record_schema_name: "PatternRecord",
        record_schema_version: "v1.1.0",
        compat_min_version: "v1.0.0",
        producer: "observer_core_deno",
        build_id: "observer_core_deno_v0.1.0",
        dataset_version: "v1.0.0",
        generated_at: generatedAt,
        session_id: s.meta.session_id,
        mode: s.meta.mode,
      },
      _quality: {
        flags: [],
        stats: {
          inputs_count: 4,
          computed_count: 3,
          state_count: 2,
          timestamp_ms: s.meta.timestamp_ms,
          timestamp_iso: s.meta.timestamp,
          time_resolution: "ms",
          has_price: true,
          has_volume: true,
        },
      },
      _interpretation: {
        summary: {
          source: s.context.source,
          stage: s.context.stage,
          symbol: s.context.symbol,
          market: s.context.market,
          price: s.observation.inputs.price,
          volume: s.observation.inputs.volume,
        },
        hints: ["HAS_PRICE", "HAS_VOLUME", "HAS_COMPUTED", "HAS_STATE"],
      },
    },
  };
}
