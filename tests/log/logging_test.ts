import assert from "node:assert/strict";
import { getObserverLogger, setupLogging, teardownLogging } from "../../src/log/logging.ts";

Deno.test("setupLogging writes one formatted line per record at or above the level", async () => {
  const lines: string[] = [];
  await setupLogging({ level: "info", write: (line) => lines.push(line) });
  try {
    const logger = getObserverLogger("sink");
    logger.debug("hidden");
    logger.info("JsonlFileSink initialized: {path}", { path: "/srv/qts/data/observer/x.jsonl" });
    logger.warn("careful");
  } finally {
    await teardownLogging();
  }
  assert.equal(lines.length, 2);
  assert.match(
    lines[0],
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) \[INF\] qts\.sink: JsonlFileSink initialized: \/srv\/qts\/data\/observer\/x\.jsonl\n$/,
  );
  assert.match(lines[1], /\[WRN\] qts\.sink: careful/);
});
