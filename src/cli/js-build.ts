/**
 * Writes the JavaScript copy of src/ that bin/berth runs `berth up` and `berth agent`
 * from (scripts/toolchain.sh, berth_js_build): Node strips TypeScript types at run time
 * with a WebAssembly compiler (amaro) whose memory is never given back, 17–19 MiB in
 * every process that loads a .ts file (measured: a bare `node x.ts` 59.9 MiB against 42.4
 * for `node x.mjs`; the standalone agent 118 MiB against 84 once connected). The tests
 * keep running the sources.
 *
 * Each module is stripped by Node's own stripper, the transform Node applies when it
 * runs the sources, so the copy behaves as the sources do. Types become blanks: every
 * line and column stays where it is in the source, and a stack trace's positions hold in
 * both. Relative `.ts` imports become `.js`; the JSON files modules import are copied.
 *
 *   node src/cli/js-build.ts SRC_DIR OUT_DIR
 */

import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';

/** A relative module specifier in an import or export, static or dynamic, naming a .ts file. */
const RELATIVE_TS_IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.\.?\/[^'"\n]+)\.ts\2/g;

/** Converts the tree; returns how many modules were written. */
export function buildJs(srcDir: string, outDir: string): number {
  let modules = 0;
  const walk = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const source = join(from, entry.name);
      if (entry.isDirectory()) walk(source, join(to, entry.name));
      else if (entry.name.endsWith('.test.ts')) continue;
      else if (entry.name.endsWith('.ts')) {
        const js = stripTypeScriptTypes(readFileSync(source, 'utf8'), { mode: 'strip' }).replace(RELATIVE_TS_IMPORT, '$1$2$3.js$2');
        writeFileSync(join(to, `${entry.name.slice(0, -3)}.js`), js);
        modules++;
      } else if (entry.name.endsWith('.json')) copyFileSync(source, join(to, entry.name));
    }
  };
  walk(srcDir, outDir);
  // Node looks for a module's package.json no further up than a node_modules directory,
  // where the copy is kept: without this one its .js files would not be ES modules.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return modules;
}

if (import.meta.main) {
  const [srcDir, outDir] = process.argv.slice(2);
  if (!srcDir || !outDir) {
    process.stderr.write('usage: node src/cli/js-build.ts SRC_DIR OUT_DIR\n');
    process.exit(2);
  }
  buildJs(srcDir, outDir);
}
