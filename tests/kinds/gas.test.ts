import { describe, expect, it } from 'vitest';
import gas from '../../src/kinds/gas.js';

// Set points from shared/domain.md: warning >= 10 % LEL (clears <= 5), critical >= 25 % (clears <= 10).
describe('gas kind', () => {
  it('ships warning and critical set points with hysteresis', () => {
    const byId = Object.fromEntries(gas.defaultRules.map((r) => [r.id, r]));
    expect(byId['gas-warning']?.condition).toMatchObject({ type: 'threshold', field: 'lel', raise: 10, clear: 5 });
    expect(byId['gas-critical']?.condition).toMatchObject({ type: 'threshold', field: 'lel', raise: 25, clear: 10 });
    expect(byId['gas-critical']?.actions).toEqual(['closeValve']);
  });
  it('reports methane in % LEL', () => {
    expect(gas.fields.lel?.unit).toBe('% LEL');
  });
});
