// Child process: a bare aedes broker (no auth, no ingest) whose only handler counts readings.
// The parent (baseline.ts) gets the port and asks for the count over IPC. It listens with the
// hub's accept queue (LISTEN_BACKLOG): Node's default of 511 drops handshakes in a 1,000-wide
// connect storm, and a baseline slowed by a setting is not a fair one.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { LISTEN_BACKLOG } from '../src/broker/listeners.js';

const aedes = await Aedes.createBroker();
let received = 0;
aedes.on('publish', (packet, client) => {
  if (client && packet.topic.endsWith('/reading')) received++;
});
const server = createServer(aedes.handle);
server.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, () => {
  const addr = server.address();
  process.send?.({ port: typeof addr === 'object' && addr ? addr.port : 0 });
});
process.on('message', (m: unknown) => {
  if (m === 'count') process.send?.({ count: received });
  if (m === 'stop') aedes.close(() => server.close(() => process.exit(0)));
});
process.on('disconnect', () => process.exit(0));
