// Seeds the status board from InfluxDB at start, so a restarted hub still knows each device's
// last reading, battery and presence instead of showing every device as 'unknown'.
import type { InfluxDB } from 'influx';
import { escape } from 'influx';
import type { FieldValue, PresenceCause } from '../core/domain.js';
import type { SiteIndex } from '../config/site.js';
import { KINDS } from '../kinds/index.js';
import type { StatusBoard } from './status-board.js';

type Row = Record<string, unknown> & { time: Date; device?: string };

const isCause = (c: unknown): c is PresenceCause => c === 'connect' || c === 'lwt' || c === 'disconnect' || c === 'timeout';

export async function seedFromInflux(board: StatusBoard, influx: InfluxDB, database: string, site: SiteIndex, lookbackDays = 30): Promise<number> {
  let seeded = 0;
  const since = `time > now() - ${Math.max(1, Math.trunc(lookbackDays))}d`;
  for (const kind of Object.values(KINDS)) {
    const m = escape.quoted(kind.measurement);
    const [lastRows, batteryRows] = await Promise.all([
      influx.query<Row>(`SELECT * FROM ${m} WHERE ${since} GROUP BY "device" ORDER BY time DESC LIMIT 1`, { database }),
      influx.query<Row>(`SELECT last("battery") AS "battery" FROM ${m} WHERE ${since} GROUP BY "device"`, { database }),
    ]);
    const battery = new Map(batteryRows.map((r) => [String(r.device), typeof r.battery === 'number' ? r.battery : null]));
    for (const r of lastRows) {
      const id = String(r.device);
      if (!site.devices.has(id)) continue;
      const values: Record<string, FieldValue> = {};
      for (const f of Object.keys(kind.fields)) {
        const v = r[f];
        if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') values[f] = v;
      }
      board.seed(id, { ts: r.time.getTime(), values, battery: battery.get(id) ?? null });
      seeded++;
    }
  }
  const presence = await influx.query<Row>(`SELECT last("online") AS "online", last("cause") AS "cause" FROM "presence" WHERE ${since} GROUP BY "device"`, { database });
  for (const r of presence) {
    const id = String(r.device);
    if (site.devices.has(id) && typeof r.online === 'boolean') board.seedPresence(id, r.online, r.time.getTime(), isCause(r.cause) ? r.cause : undefined);
  }
  return seeded;
}
