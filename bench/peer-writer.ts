// Child process: the do-it-yourself peer's one subscriber script, as a street office would write
// it: subscribe to every reading on mosquitto, turn each into InfluxDB line protocol, POST in
// batches (every 100 ms or 5,000 lines). Argument: a JSON job {port, influxUrl, db, qos, kinds}.
import mqtt from 'mqtt';

const job = JSON.parse(process.argv[2] ?? '{}') as { port: number; influxUrl: string; db: string; qos: 0 | 1; kinds: Record<string, string> };

function line(kind: string, device: string, body: Record<string, unknown>): string | undefined {
  const fields: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k === 'ts') continue;
    if (typeof v === 'number') fields.push(k === 'seq' ? `${k}=${v}i` : `${k}=${v}`);
    else if (typeof v === 'boolean') fields.push(`${k}=${v}`);
    else if (typeof v === 'string') fields.push(`${k}="${v.replace(/"/g, '\\"')}"`);
  }
  if (fields.length === 0 || typeof body.ts !== 'number') return undefined;
  return `${kind},device=${device} ${fields.join(',')} ${Math.trunc(body.ts)}`;
}

await fetch(`${job.influxUrl}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${job.db}"` }) });
let buffer: string[] = [];
let writing: Promise<void> = Promise.resolve();
const flush = (): void => {
  if (buffer.length === 0) return;
  const body = buffer.join('\n');
  buffer = [];
  writing = writing.then(async () => {
    await fetch(`${job.influxUrl}/write?db=${job.db}&precision=ms`, { method: 'POST', body });
  });
};
setInterval(flush, 100);
const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${job.port}`, { clientId: 'peer-writer', reconnectPeriod: 0 });
sub.on('message', (topic, payload) => {
  const device = topic.split('/')[2] ?? '';
  const kind = job.kinds[device];
  if (!kind) return;
  try {
    const l = line(kind, device, JSON.parse(payload.toString()) as Record<string, unknown>);
    if (l) buffer.push(l);
  } catch {
    return;
  }
  if (buffer.length >= 5000) flush();
});
await sub.subscribeAsync('gridwatch/v1/+/reading', { qos: job.qos });
process.send?.({ ready: true });
process.on('disconnect', () => {
  flush();
  void writing.finally(() => process.exit(0));
});
