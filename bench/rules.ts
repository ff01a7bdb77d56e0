// The rules engine's own cost: src/rules RuleEngine.onReading over the bench's readings, in
// process. The hub always runs its rules stage, so "rules off" ingest cannot be measured by
// config; this figure shows how much of the ingest budget rule evaluation takes.
import type { DeviceInfo, FieldValue, Reading } from '../src/core/domain.js';
import { RuleEngine } from '../src/rules/engine.js';
import { defaultRulesFor } from '../src/rules/resolve.js';
import type { BenchDevice } from './fixture.js';

export function ruleThroughput(devices: BenchDevice[], payloads: string[][], rounds = 5): { readings: number; perSecond: number } {
  const engine = new RuleEngine({ timezone: 'Asia/Shanghai', rulesFor: defaultRulesFor });
  const infos: DeviceInfo[] = devices.map((d) => ({ id: d.id, kind: d.kind, street: 'bench', community: 'bc', grid: 'bg', building: d.building, intervalS: 60, secretHash: '', noiseZone: '1' }));
  const start = Date.now();
  infos.forEach((d) => engine.addDevice(d, start));
  const readings: [Reading, DeviceInfo][] = [];
  payloads.forEach((list, i) => {
    const device = infos[i];
    if (!device) return;
    for (const text of list) {
      const { ts, seq, battery, rssi, ...values } = JSON.parse(text) as Record<string, FieldValue>;
      readings.push([{ device: device.id, kind: device.kind, ts: Number(ts), seq: Number(seq), battery: Number(battery), rssi: Number(rssi), values }, device]);
    }
  });
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const [reading, device] of readings) engine.onReading({ ...reading, ts: reading.ts + r * 60_000 }, device, reading.ts + r * 60_000);
  }
  const ms = performance.now() - t0;
  const n = readings.length * rounds;
  return { readings: n, perSecond: Math.round((n / ms) * 1000) };
}
