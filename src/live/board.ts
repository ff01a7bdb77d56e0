// The device status board as a stage: fed by the bus and the alerting stage, seeded from InfluxDB,
// and following the registry (a decommissioned device leaves it at once).
import type { DeviceChange } from '../registry/index.js';
import type { LiveDeps } from './deps.js';
import { seedFromInflux } from './seed.js';
import { StatusBoard } from './status-board.js';

export function attachStatusBoard(ctx: LiveDeps): StatusBoard {
  const board = new StatusBoard(ctx.site, ctx.clock, ctx.config.reports.offlineFactor);
  board.attach(ctx.bus, ctx.alerts).catch((e: unknown) => ctx.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'open alarms not seeded from the alerting stage'));
  const onDevice = (c: DeviceChange): void => { if (c.type === 'removed') board.forget(c.device.id); };
  ctx.registry.on('device', onDevice);
  // last known readings and presence from storage; live events that arrive meanwhile win
  seedFromInflux(board, ctx.store.influx, ctx.store.database, ctx.site).then(
    (n) => ctx.logger.debug({ devices: n }, 'device status seeded from InfluxDB'),
    (e: unknown) => ctx.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'device status not seeded from InfluxDB'),
  );
  ctx.onClose(() => { ctx.registry.off('device', onDevice); board.close(); });
  return board;
}
