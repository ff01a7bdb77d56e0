import { describe, expect, it } from 'vitest';
import type { AlertChange } from '../../../src/core/alert-types.js';
import { HubBus } from '../../../src/core/events.js';
import { liveChannel } from '../../../src/notify/channels/live.js';
import { makeMessage, makeNotification } from '../fixtures.js';

describe('live panel channel', () => {
  it('puts the notification on the bus as an alert change, every time', async () => {
    const bus = new HubBus();
    const seen: AlertChange[] = [];
    bus.on('alert', (c) => seen.push(c));
    const ch = liveChannel(bus);
    const n = makeNotification({ reason: 'escalated', step: 1 });
    expect(await ch.send(makeMessage(n), new AbortController().signal)).toEqual({ ok: true });
    expect(await ch.send(makeMessage(n), new AbortController().signal)).toEqual({ ok: true });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual({ case: n.case, entry: n.entry });
    expect(seen[0]).not.toHaveProperty('ledger');
  });
});
