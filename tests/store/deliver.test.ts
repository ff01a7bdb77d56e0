import { describe, expect, it } from 'vitest';
import { classify, droppedCount } from '../../src/store/deliver.js';

/** The shape of node-influx's RequestError: an Error with the HTTP response attached. */
function requestError(status: number, body: string): Error {
  return Object.assign(new Error(`A ${status} error occurred: ${body}`), { res: { statusCode: status } });
}

describe('classify', () => {
  it.each([
    [requestError(400, '{"error":"partial write: field type conflict: input field \\"lel\\" on measurement \\"gas\\" is type float, already exists as type integer dropped=2"}'), 'partial', false],
    [requestError(400, '{"error":"unable to parse \'gas lel=\': missing field value"}'), 'rejected', false],
    [requestError(413, 'Request Entity Too Large'), 'rejected', false],
    [requestError(401, '{"error":"authorization failed"}'), 'auth', true],
    [requestError(403, '{"error":"forbidden"}'), 'auth', true],
    [requestError(404, '{"error":"database not found: \\"gw\\""}'), 'database', true],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'network', true],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'network', true],
    [new Error('Request timed out'), 'timeout', true],
    [new Error('No host available'), 'server', true],
  ])('%s -> %s', (err, reason, retryable) => {
    expect(classify(err)).toMatchObject({ reason, retryable });
  });
});

describe('droppedCount', () => {
  it('reads dropped=N from a partial write, bounded by the batch', () => {
    expect(droppedCount('partial write: field type conflict ... dropped=2', 10)).toBe(2);
    expect(droppedCount('partial write: dropped=50', 10)).toBe(10);
    expect(droppedCount('partial write: unable to parse', 7)).toBe(7);
  });
});
