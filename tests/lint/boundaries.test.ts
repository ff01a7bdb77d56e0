// The folder boundaries are enforced: ESLint (the project's own eslint.config.js, through its API)
// refuses an import that crosses a stage's stated boundary, allows a type-only import where the
// README allows types only, and every README's "May import" names what the rule lets it import.
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM config module without type declarations
import { BOUNDARIES, STAGES } from '../../eslint.boundaries.js';

const eslint = new ESLint({ cwd: process.cwd() });
const boundaries = BOUNDARIES as Record<string, { may: string[]; types: string[] }>;

async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('stage boundaries (eslint.boundaries.js)', () => {
  it('refuses an upward import: core importing the hub, live importing the API, rules importing alerts', async () => {
    expect(await restricted('src/core/fixture.ts', "import { startHub } from '../hub/hub.js';\nexport const x = startHub;\n")).toHaveLength(1);
    expect(await restricted('src/live/fixture.ts', "import { attachApi } from '../api/index.js';\nexport const x = attachApi;\n")).toHaveLength(1);
    expect(await restricted('src/rules/fixture.ts', "import { attachAlerting } from '../alerts/attach.js';\nexport const x = attachAlerting;\n")).toHaveLength(1);
    // from a nested folder too
    expect((await restricted('src/api/routes/fixture.ts', "import { startHub } from '../../hub/hub.js';\nexport const x = startHub;\n"))[0]).toMatch(/src\/api may import only types/);
  });

  it('allows what the README allows: downward imports, and type-only imports where only types are allowed', async () => {
    expect(await restricted('src/alerts/fixture.ts', "import type { HubContext } from '../hub/context.js';\nimport { SiteRegistry } from '../registry/index.js';\nexport type X = HubContext | SiteRegistry;\n")).toEqual([]);
    expect(await restricted('src/alerts/fixture.ts', "import { startHub } from '../hub/hub.js';\nexport const x = startHub;\n")).toHaveLength(1);
    expect(await restricted('src/hub/fixture.ts', "import { attachApi } from '../api/index.js';\nexport const x = attachApi;\n")).toEqual([]);
  });

  it('the whole src tree keeps its boundaries', async () => {
    const results = await eslint.lintFiles(['src']);
    const crossings = results.flatMap((r) => r.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(crossings).toEqual([]);
    // a type-aware lint of all of src: ~5 s alone, several times that on a box busy with the rest of the suite
  }, 120_000);

  it("every README's \"May import\" names each stage the rule lets it import", () => {
    for (const stage of Object.keys(boundaries)) {
      expect(STAGES).toContain(stage);
      const readme = readFileSync(`src/${stage}/README.md`, 'utf8');
      const line = /May import:([\s\S]*?)(\n\n|\n[A-Z][a-z]+:|$)/.exec(readme)?.[1] ?? '';
      const b = boundaries[stage] as { may: string[]; types: string[] };
      for (const allowed of [...b.may, ...b.types]) expect(line, `src/${stage}/README.md`).toMatch(new RegExp(`\\b${allowed}\\b`));
    }
  });
});
