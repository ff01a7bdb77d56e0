// The folder boundaries each src/<stage>/README.md states under "May import", as data: the stages a
// stage may import values from (`may`) and those it may import only types from (`types`). Imports
// run downwards; src/hub (the composition root) and src/cli (the outermost layer) may import anything.
// eslint.config.js turns this into a per-folder rule; tests/lint/boundaries.test.ts checks that the
// rule fails on a crossing and that every README names what its stage may import.
export const STAGES = ['core', 'kinds', 'config', 'registry', 'rules', 'store', 'cluster', 'ingest', 'broker', 'alerts', 'notify', 'live', 'api', 'reports', 'hub', 'cli'];

export const BOUNDARIES = {
  core: { may: [], types: [] },
  kinds: { may: ['core'], types: [] },
  config: { may: ['core', 'kinds'], types: [] },
  registry: { may: ['core', 'config', 'kinds', 'rules'], types: [] },
  rules: { may: ['core', 'kinds'], types: ['config'] },
  store: { may: ['core', 'kinds', 'config'], types: [] },
  cluster: { may: ['core', 'kinds', 'config'], types: ['rules', 'store'] },
  ingest: { may: ['core', 'kinds', 'config', 'store'], types: [] },
  broker: { may: ['core', 'config', 'ingest'], types: ['store'] },
  alerts: { may: ['core', 'kinds', 'config', 'store', 'rules', 'registry'], types: ['hub'] },
  notify: { may: ['core', 'kinds'], types: ['config', 'hub'] },
  live: { may: ['core', 'config', 'kinds', 'registry'], types: [] },
  api: { may: ['core', 'kinds', 'config', 'rules', 'store', 'registry', 'reports'], types: ['live', 'hub'] },
  reports: { may: ['core', 'kinds', 'config', 'store'], types: ['hub'] },
};

const alternation = (names) => names.join('|');

/** The `@typescript-eslint/no-restricted-imports` options for one stage. */
export function boundaryRule(stage) {
  const { may, types } = BOUNDARIES[stage];
  const never = STAGES.filter((s) => s !== stage && !may.includes(s) && !types.includes(s));
  const patterns = [];
  if (never.length > 0) {
    patterns.push({
      regex: `^(\\.\\./)+(src/)?(${alternation(never)})(/|$)`,
      message: `src/${stage} may not import this stage (see src/${stage}/README.md "May import"; imports run downwards).`,
    });
  }
  if (types.length > 0) {
    patterns.push({
      regex: `^(\\.\\./)+(src/)?(${alternation(types)})(/|$)`,
      allowTypeImports: true,
      message: `src/${stage} may import only types from this stage (see src/${stage}/README.md "May import"); use \`import type\`.`,
    });
  }
  return ['error', { patterns }];
}
