// Topic rules: a device publishes and subscribes only under its own gridwatch/v1/{device}/.
import type { DeviceSubtopic } from '../ingest/pipeline.js';

export const TOPIC_ROOT = 'gridwatch/v1/';

/** What a device may publish: reading, status, event, cmd/ack. */
export const PUBLISH_SUBTOPICS: readonly DeviceSubtopic[] = ['reading', 'status', 'event', 'cmd/ack'];
/** What a device may subscribe to: its commands and its error answers. */
export const SUBSCRIBE_SUBTOPICS: readonly string[] = ['cmd', 'error'];

export function deviceTopic(device: string, subtopic: string): string {
  return `${TOPIC_ROOT}${device}/${subtopic}`;
}

/** The subtopic of `topic` when it lies under `device`'s own prefix, else undefined. */
export function ownSubtopic(device: string, topic: string): string | undefined {
  const prefix = `${TOPIC_ROOT}${device}/`;
  return topic.startsWith(prefix) ? topic.slice(prefix.length) : undefined;
}

/** The subtopic `device` may publish on `topic`, or undefined when it may not. */
export function publishSubtopic(device: string, topic: string): DeviceSubtopic | undefined {
  // runs for every message: compares in place rather than building the prefix and the rest
  const start = TOPIC_ROOT.length + device.length + 1;
  if (!topic.startsWith(TOPIC_ROOT) || !topic.startsWith(device, TOPIC_ROOT.length) || topic[start - 1] !== '/') return undefined;
  for (const s of PUBLISH_SUBTOPICS) if (topic.length === start + s.length && topic.endsWith(s)) return s;
  return undefined;
}

/**
 * What a device publishes for the hub alone: ingested by the hub, and receivable by no one (a device
 * subscribes only to its own `cmd` and `error`, and the hub subscribes to none of these).
 */
export function forHubOnly(sub: DeviceSubtopic): boolean {
  return sub === 'reading' || sub === 'status' || sub === 'event';
}

/** Only exact topics: wildcards would reach other devices' or its own published topics. */
export function maySubscribe(device: string, topic: string): boolean {
  const sub = ownSubtopic(device, topic);
  return sub !== undefined && SUBSCRIBE_SUBTOPICS.includes(sub);
}
