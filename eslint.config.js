// Lint for every package: typescript-eslint's recommended rules, Vue's for the dashboard.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The layers of @planalign/sync-core, lowest first: a module imports from its own layer and
 * the ones below it, never from above, so each layer can be read and tested without the ones
 * built on it.
 */
const CORE_LAYERS = ['util', 'models', 'fs', 'ignore', 'git', 'workspace', 'state', 'config', 'conflict', 'regen', 'sync', 'team', 'auto'];

const layerRules = CORE_LAYERS.map((layer, index) => ({
  files: [`packages/core/src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: CORE_LAYERS.slice(index + 1).map((above) => ({
          group: [`../${above}/*`],
          message: `core/src/${layer} is below core/src/${above}: move what both need into a lower layer (see CORE_LAYERS in eslint.config.js).`,
        })),
      },
    ],
  },
}));

/** Imports of core's main entry (which loads all of it, and needs Node) limited to types, saying why. */
const coreTypesOnly = (message) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: '@planalign/sync-core', allowTypeImports: true, message }] }],
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/test-results/**', '**/bench-results/**', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Vue's rules for correctness; layout is Prettier's.
  ...vue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      // `_name` marks what is taken apart only to be left out.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  ...layerRules,
  {
    // A cycle, even of types only, means two modules that cannot be understood one at a time.
    files: ['packages/*/src/**/*.ts', 'tools/src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: ['packages/*/tsconfig.json', 'tools/tsconfig.json'], noWarnOnMultipleProjects: true }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // The command line's launcher is CommonJS, as the bundle it loads (packages/cli/bundle.mjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // What parses the command line loads before any command runs: `--help` and `--version` must
    // not wait for the core, which the actions (actions/, run.ts) load when a command runs.
    files: ['packages/cli/src/*.ts'],
    ignores: ['packages/cli/src/run.ts', 'packages/cli/src/render*.ts', 'packages/cli/src/next-steps.ts'],
    rules: coreTypesOnly(
      "the command line's parser loads before the core: import its types only, and constants from '@planalign/sync-core/rules'; work goes in actions/.",
    ),
  },
  {
    files: ['packages/ui/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    // The dashboard bundles what it imports: from core, only types, and the browser-safe rules entry.
    rules: coreTypesOnly("core's main entry needs Node: import its types only, and rules from '@planalign/sync-core/rules'."),
  },
);
