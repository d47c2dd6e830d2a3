// Bundles the command line into dist/planalign.cjs, the one file bin/planalign.cjs loads with
// V8's code cache, and that loader (src/compile-cache.ts) into dist/compile-cache.cjs.
// CommonJS, because Node 20 caches compiled code only for scripts; what a command does stays
// behind dynamic imports, evaluated only when it runs.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

/**
 * zod re-exports its 40-odd message languages as one namespace, which no bundler can shake
 * out (a third of the bundle); messages here are English, the language zod sets by default.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
        ? { path: path.resolve(args.resolveDir, args.path.replace(/index\.js$/, 'en.js')), namespace: 'zod-english' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * https-proxy-agent loads the optional `kerberos` package with import() for Negotiate proxy
 * logins, which sync never asks for: it resolves to an empty module, so nothing is loaded.
 */
const noKerberos = {
  name: 'no-kerberos',
  setup(build) {
    build.onResolve({ filter: /^kerberos$/ }, () => ({ path: 'kerberos', namespace: 'no-kerberos' }));
    build.onLoad({ filter: /.*/, namespace: 'no-kerberos' }, () => ({ contents: 'export {};' }));
  },
};

const commonJs = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' };

await esbuild.build({ ...commonJs, entryPoints: ['dist/compile-cache.js'], outfile: 'dist/compile-cache.cjs' });
const bundled = await esbuild.build({
  ...commonJs,
  entryPoints: ['dist/main.js'],
  outfile: 'dist/planalign.cjs',
  // the native file watcher, loaded with require when a watch starts
  external: ['@parcel/watcher'],
  metafile: true,
  // The sources are ES modules: what they read of import.meta.url is the bundle's own address.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [zodEnglishOnly, noKerberos],
  // Whitespace and comments out, names kept (stack traces stay readable; the source map has the
  // rest): a third less to read and scan at every start. Licences go to planalign.cjs.LEGAL.txt.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'external',
  sourcemap: 'linked',
});
escapeNonAscii('dist/planalign.cjs');

// Code compiled from V8's cache loses the hooks import() needs on Node 20: a dynamic import of
// anything outside the bundle would fail there at run time, so it fails the build here.
for (const [file, output] of Object.entries(bundled.metafile.outputs)) {
  const dynamic = output.imports.filter((i) => i.kind === 'dynamic-import' && i.external).map((i) => i.path);
  if (dynamic.length > 0) throw new Error(`${file} loads ${dynamic.join(', ')} with import(); bundle it, or load it with require.`);
}

/**
 * V8 keeps a source holding one character outside Latin-1 as two bytes per character, and
 * esbuild leaves such characters in regular expressions. As \u escapes they mean the same in
 * strings, templates, regular expressions and names, and the 2 MB source stays one byte each.
 */
function escapeNonAscii(file) {
  const source = readFileSync(file, 'utf8');
  const escaped = source.replace(/[^\t\n\r\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped !== source) writeFileSync(file, escaped);
}
