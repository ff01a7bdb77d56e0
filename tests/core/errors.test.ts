// The documented error list (docs/errors.md) and the catalogue in code must not drift apart.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, GridwatchError, ValidationError } from '../../src/core/errors.js';

describe('error catalogue', () => {
  it('documents exactly the codes the code has', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/`(GW_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(Object.keys(ERROR_CODES)));
  });

  it('every code follows GW_ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^GW_ERR_[A-Z]+_[A-Z0-9_]+$/);
  });

  it('a validation error names the field, the value and the rule', () => {
    const e = new ValidationError('GW_ERR_PAYLOAD_FIELD', 'lel', 120, 'must be <= 100');
    expect(e).toBeInstanceOf(GridwatchError);
    expect(e.message).toBe("field 'lel' value 120 breaks rule: must be <= 100");
    expect(e.toJSON()).toEqual({ code: 'GW_ERR_PAYLOAD_FIELD', message: e.message, details: { field: 'lel', value: 120, rule: 'must be <= 100' } });
  });
});
