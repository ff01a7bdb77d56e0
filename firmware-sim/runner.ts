// Runs a fleet of simulated devices against a broker. Two modes:
// - realistic: each device reports at its own interval (faster during an episode) with signals
//   from signals.ts on a warped clock, drops off during dropout episodes, answers commands;
// - load: a target total publish rate spread round-robin over the fleet, with a payload mix from
//   the devices' kinds and a chosen QoS (used by bench/).
import { makeDevice, type DeviceSpec, type SimDevice } from './device.js';
import { DeviceClient } from './client.js';
import { rngFor } from './rng.js';
import { applyScenario, SCENARIOS, type ScenarioName } from './scenarios.js';
import { isOnline, nextReportIn, reading } from './signals.js';
import { lastCompleteWindowStart, realDelay, simTime, type WarpClock } from './time.js';

export interface SimLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface SimOptions {
  url: string;
  devices: DeviceSpec[];
  /** device id -> plaintext secret (the devices' own credential store) */
  secrets: Record<string, string>;
  timezone?: string;
  scenario?: ScenarioName;
  seed?: string;
  /** simulated ms per real ms; default from the scenario */
  warp?: number;
  /** simulated start, ms; default from the scenario (now, or the last complete night) */
  start?: number;
  qos?: 0 | 1;
  mode?: 'realistic' | 'load';
  /** load mode: total readings per second across the fleet */
  rate?: number;
  /** how many connection attempts run at once while starting */
  connectConcurrency?: number;
  logger?: SimLogger;
  /** real clock; tests may pass their own */
  now?: () => number;
}

export interface SimStats {
  devices: number;
  connected: number;
  published: number;
  acked: number;
  failed: number;
  rejected: number;
  lastRejection?: string;
  commands: number;
}

interface Unit {
  device: SimDevice;
  client: DeviceClient;
  seq: number;
  /** the last reading's timestamp: a device never stamps two readings with the same millisecond */
  lastTs: number;
  timer?: NodeJS.Timeout;
}

export class Simulator {
  readonly clock: WarpClock;
  readonly scenario: ScenarioName;
  private readonly units: Unit[] = [];
  private readonly counters = { published: 0, acked: 0, failed: 0, rejected: 0, commands: 0 };
  private lastRejection: string | undefined;
  private supervisor: NodeJS.Timeout | undefined;
  private loadTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly seqBase: number;

  constructor(private readonly opts: SimOptions) {
    this.now = opts.now ?? Date.now;
    const real0 = this.now();
    this.scenario = opts.scenario ?? 'steady';
    const info = SCENARIOS[this.scenario];
    const timezone = opts.timezone ?? 'Asia/Shanghai';
    const start = opts.start ?? (info.startAt === 'last-night' ? lastCompleteWindowStart(real0, timezone, 22, 8 * 3_600_000) : real0);
    this.clock = { real0, start, warp: opts.warp ?? info.warp };
    // seq keeps rising across simulator restarts, so the hub's de-duplication never drops a fresh reading
    this.seqBase = real0;
    const seed = opts.seed ?? 'gridwatch';
    const devices = opts.devices.map((d) => makeDevice(d, { seed, t0: start, timezone }));
    for (const device of applyScenario(this.scenario, devices, start, seed)) {
      const secret = opts.secrets[device.id];
      if (secret === undefined) {
        opts.logger?.warn({ device: device.id }, 'no secret for this device in the secrets file; skipped');
        continue;
      }
      this.units.push(this.makeUnit(device, secret));
    }
  }

  private makeUnit(device: SimDevice, secret: string): Unit {
    const unit: Unit = { device, seq: 0, lastTs: 0 } as Unit;
    unit.client = new DeviceClient({
      url: this.opts.url,
      id: device.id,
      secret,
      rng: rngFor(device.seed, device.id, 'backoff'),
      onRejected: (body) => {
        this.counters.rejected++;
        this.lastRejection = `${device.id}: ${body}`;
      },
      onCommand: (cmd) => {
        this.counters.commands++;
        if (cmd.cmd === 'valve' && cmd.state === 'closed' && unit.device.valveClosedAt === undefined) {
          unit.device = { ...unit.device, valveClosedAt: this.simNow() };
          this.opts.logger?.info({ device: device.id }, 'valve closed by the hub');
        }
      },
    });
    return unit;
  }

  /** The simulated devices with their traits and the scenario's episodes. */
  get devices(): readonly SimDevice[] {
    return this.units.map((u) => u.device);
  }

  simNow(): number {
    return simTime(this.clock, this.now());
  }

  /** Waits until every device has connected once (or `timeoutMs` passed), then starts reporting. */
  async start(timeoutMs = 120_000): Promise<void> {
    const deadline = this.now() + timeoutMs;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.stopped || this.units.every((u) => u.client.connects > 0) || this.now() > deadline) resolve();
        else setTimeout(check, 50);
      };
      check();
    });
    if (this.stopped) return;
    if ((this.opts.mode ?? 'realistic') === 'load') this.startLoad();
    else this.startRealistic();
  }

  private startRealistic(): void {
    for (const unit of this.units) {
      const first = rngFor(unit.device.seed, unit.device.id, 'first').next() * Math.min(5_000, (unit.device.intervalS * 1000) / this.clock.warp);
      unit.timer = setTimeout(() => this.tick(unit), first);
    }
    this.supervisor = setInterval(() => this.supervise(), 1_000);
  }

  private tick(unit: Unit): void {
    if (this.stopped) return;
    const t = this.simNow();
    this.send(unit, t);
    const simMs = nextReportIn(unit.device, t);
    const jitter = 0.95 + 0.1 * rngFor(unit.device.seed, unit.device.id, unit.seq, 'jitter').next();
    unit.timer = setTimeout(() => this.tick(unit), Math.max(50, realDelay(this.clock, this.now(), simMs * jitter)));
  }

  private send(unit: Unit, at: number): void {
    // InfluxDB keeps one point per device and millisecond; a late load timer may send several
    // readings of one device in the same millisecond, and they must not overwrite each other.
    const t = Math.max(at, unit.lastTs + 1);
    unit.lastTs = t;
    const seq = this.seqBase + unit.seq++;
    const body = reading(unit.device, t, rngFor(unit.device.seed, unit.device.id, seq), seq);
    this.counters.published++;
    unit.client.publish('reading', body, this.opts.qos ?? 1).then(
      () => void this.counters.acked++,
      () => void this.counters.failed++,
    );
  }

  /** Drops devices whose dropout episode began, brings back those whose ended. */
  private supervise(): void {
    const t = this.simNow();
    for (const unit of this.units) {
      const online = isOnline(unit.device, t);
      if (!online && unit.client.connected) {
        this.opts.logger?.info({ device: unit.device.id }, 'dropping off the network');
        unit.client.drop();
      } else if (online) {
        unit.client.resume();
      }
    }
  }

  private startLoad(): void {
    const rate = this.opts.rate ?? 100;
    const begin = this.now();
    let sent = 0;
    let next = 0;
    this.loadTimer = setInterval(() => {
      const due = Math.floor(((this.now() - begin) / 1000) * rate) - sent;
      for (let i = 0; i < due && this.units.length > 0; i++) {
        const unit = this.units[next++ % this.units.length] as Unit;
        this.send(unit, this.now());
        sent++;
      }
    }, 10);
  }

  stats(): SimStats {
    return {
      devices: this.units.length,
      connected: this.units.filter((u) => u.client.connected).length,
      ...this.counters,
      ...(this.lastRejection === undefined ? {} : { lastRejection: this.lastRejection }),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.supervisor);
    clearInterval(this.loadTimer);
    for (const u of this.units) clearTimeout(u.timer);
    await Promise.all(this.units.map((u) => u.client.stop()));
  }
}
