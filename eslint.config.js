import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { BOUNDARIES, boundaryRule } from './eslint.boundaries.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'dashboards/panel/dist/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // each stage imports only what its README allows (eslint.boundaries.js)
  ...Object.keys(BOUNDARIES).map((stage) => ({
    files: [`src/${stage}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': boundaryRule(stage) },
  })),
);
