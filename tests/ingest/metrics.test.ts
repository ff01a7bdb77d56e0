import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { tallied } from '../../src/ingest/metrics.js';

async function valueOf(registry: Registry, name: string, label: string, value: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values as { labels: Record<string, string>; value: number }[] | undefined)?.find((v) => v.labels[label] === value)?.value;
}

describe('tallied counters', () => {
  it('show every count at each scrape, and keep counting across scrapes', async () => {
    const registry = new Registry();
    const t = tallied('test_messages_total', 'test', 'topic', [registry]);
    t.add('reading');
    t.add('reading');
    t.add('status', 3);
    expect(await valueOf(registry, 'test_messages_total', 'topic', 'reading')).toBe(2);
    expect(await valueOf(registry, 'test_messages_total', 'topic', 'status')).toBe(3);
    t.add('reading', 5);
    expect(await valueOf(registry, 'test_messages_total', 'topic', 'reading')).toBe(7);
    expect(await valueOf(registry, 'test_messages_total', 'topic', 'status')).toBe(3);
    expect(await registry.metrics()).toContain('test_messages_total{topic="reading"} 7');
  });
});
