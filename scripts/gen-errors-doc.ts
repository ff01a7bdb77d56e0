// Regenerates docs/errors.md from the catalogue in src/core/errors.ts.
import { writeFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/core/errors.js';

const rows = Object.entries(ERROR_CODES).map(([code, what]) => `| \`${code}\` | ${what} |`);
writeFileSync(new URL('../docs/errors.md', import.meta.url), `# Error codes

Every error gridwatch raises carries one of these stable codes (\`GridwatchError.code\`; the API's
error body \`{code, message, details}\`; the \`code\` of a rejection on \`gridwatch/v1/{device}/error\`).
A retired code is never reused. \`tests/core/errors.test.ts\` fails when this list and
\`src/core/errors.ts\` disagree; regenerate it with \`node --import tsx scripts/gen-errors-doc.ts\`.

| code | meaning |
|---|---|
${rows.join('\n')}
`);
