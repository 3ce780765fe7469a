import assert from "node:assert/strict";
import { buildSnapshot, type ObservationSnapshot } from "../../src/contract/snapshot.ts";
import { snapshotSubject, SnapshotSubjects } from "../../src/nats/subjects.ts";

function snapshot(source: string, symbol: string | null | undefined): ObservationSnapshot {
  return buildSnapshot({ session_id: "s", mode: "DEV", source, stage: "raw", symbol });
}

Deno.test("SnapshotSubjects: the same subject snapshotSubject makes, for every source and symbol (sanitized, missing, null), kept once each", () => {
  const subjects = new SnapshotSubjects("qts", "records");
  const cases: [string, string | null | undefined, string][] = [
    ["market", "005930", "qts.records.market.005930"],
    ["market", "BRK.B *>", "qts.records.market.BRK_B___"],
    ["market", undefined, "qts.records.market._"],
    ["market", null, "qts.records.market._"],
    ["broker", "005930", "qts.records.broker.005930"],
    ["", "x", "qts.records._.x"],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [source, symbol, expected] of cases) {
      const s = snapshot(source, symbol);
      assert.equal(subjects.of(s), expected);
      assert.equal(subjects.of(s), snapshotSubject("qts", "records", s));
    }
  }
  // A snapshot from untrusted input may lack its context altogether.
  const bare = { meta: snapshot("m", "x").meta } as unknown as ObservationSnapshot;
  assert.equal(subjects.of(bare), "qts.records._._");
});

Deno.test("SnapshotSubjects: past 4096 subjects it starts over and still gives each its subject", () => {
  const subjects = new SnapshotSubjects("p", "snapshots");
  for (let i = 0; i < 5000; i++) {
    assert.equal(subjects.of(snapshot("market", `S${i}`)), `p.snapshots.market.S${i}`);
  }
  assert.equal(subjects.of(snapshot("market", "S1")), "p.snapshots.market.S1");
});
