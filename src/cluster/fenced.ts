// A write made on the rules leader's behalf, fenced by its lease epoch (cluster brief): inside one
// transaction, read the lease row FOR SHARE (a take-over's epoch bump waits for this transaction,
// and this transaction sees a bump that committed first) and refuse unless it is still the epoch
// the caller holds. So a leader that froze, lost its lease and woke up writes nothing.
import type pg from 'pg';
import { GridwatchError } from '../core/errors.js';
import type { Fence } from '../core/fence.js';

export async function fencedTransaction<T>(pool: pg.Pool, fence: Fence, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const held = fence.epoch();
  if (held === undefined) throw leaseLost(fence.name, undefined, undefined);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ epoch: string }>('SELECT epoch FROM gw_lease WHERE name = $1 FOR SHARE', [fence.name]);
    const current = rows[0] === undefined ? undefined : Number(rows[0].epoch);
    if (current !== held) throw leaseLost(fence.name, held, current);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

function leaseLost(name: string, held: number | undefined, current: number | undefined): GridwatchError {
  const msg = held === undefined
    ? `lease '${name}': this hub does not lead; a leader's write is refused`
    : `lease '${name}': this hub holds epoch ${held} but the lease is at ${current ?? 'none'}; the write is refused`;
  return new GridwatchError('GW_ERR_LEASE_LOST', msg, { details: { lease: name, heldEpoch: held ?? null, currentEpoch: current ?? null } });
}
