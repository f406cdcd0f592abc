// Lint: typescript-eslint's recommended rules, plus the architecture's one hard rule:
// the pure core (domain, scheduler, reconcilers) does no I/O of its own.
import tseslint from 'typescript-eslint';

const io = ['fs', 'fs/promises', 'net', 'http', 'https', 'child_process', 'dgram', 'dns', 'os', 'cluster', 'worker_threads', 'sqlite'];
const pureBans = io.flatMap((m) => [`node:${m}`, m]);

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'enums are not erasable; use a union of string literals' }],
    },
  },
  {
    files: ['src/core/**', 'src/scheduler/**', 'src/controllers/**/*.ts', 'src/cost/**'],
    ignores: ['src/controllers/runner/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: pureBans.map((name) => ({ name, message: 'the pure core does no I/O: take it as an argument' })) }],
    },
  },
);
