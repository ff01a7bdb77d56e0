import { describe, it, expect } from 'vitest';
import { GridwatchError } from '../../src/core/errors.js';
import { parseConfig } from '../../src/config/index.js';
import { ConfigSchema } from '../../src/config/schema.js';

const minimal = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ mqtt: { port: 0 }, http: { port: 0 }, ...extra });

describe('config alerting.enabled', () => {
  it('defaults to true, with or without an alerting block', () => {
    expect(parseConfig(minimal(), '(test)', { env: {} }).alerting).toEqual({ enabled: true });
    expect(parseConfig(minimal({ alerting: {} }), '(test)', { env: {} }).alerting).toEqual({ enabled: true });
  });

  it('accepts false', () => {
    expect(parseConfig(minimal({ alerting: { enabled: false } }), '(test)', { env: {} }).alerting.enabled).toBe(false);
  });

  it('refuses a non-boolean and unknown keys, naming the field', () => {
    for (const alerting of [{ enabled: 'no' }, { enabled: true, rules: false }]) {
      let err: unknown;
      try {
        parseConfig(minimal({ alerting }), '(test)', { env: {} });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GridwatchError);
      expect((err as GridwatchError).message).toMatch(/alerting/);
    }
  });

  it('documents the key', () => {
    expect(ConfigSchema.properties.alerting.properties.enabled.description).toMatch(/rules/);
  });
});
