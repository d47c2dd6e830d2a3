import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';

/** A Chromium to drive with playwright-core, and what it needs to start. */
export interface FoundBrowser {
  executablePath: string;
  /** where it was found, for messages */
  source: 'PLANALIGN_CHROMIUM' | 'installed' | 'playwright cache' | '@sparticuz/chromium';
  /** variables it needs (the libraries that come with a packaged build) */
  env: Record<string, string>;
}

const CHROMIUM_VARIABLE = 'PLANALIGN_CHROMIUM';

/** Chromium and Chrome where their installers put them, by system. */
function installedCandidates(): string[] {
  if (process.platform === 'darwin') {
    const apps = [
      'Google Chrome.app/Contents/MacOS/Google Chrome',
      'Chromium.app/Contents/MacOS/Chromium',
      'Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
    ];
    return ['/Applications', path.join(os.homedir(), 'Applications')].flatMap((dir) => apps.map((app) => path.join(dir, app)));
  }
  if (process.platform === 'win32') {
    const roots = [process.env.ProgramFiles, process.env['ProgramFiles(x86)'], process.env.LOCALAPPDATA].filter((dir): dir is string => !!dir);
    return roots.flatMap((dir) => [path.join(dir, 'Google', 'Chrome', 'Application', 'chrome.exe'), path.join(dir, 'Chromium', 'Application', 'chrome.exe')]);
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];
}

/** Browsers Playwright downloaded (`npx playwright install`), newest revision first. */
function playwrightCacheCandidates(): string[] {
  const cache =
    process.env.PLAYWRIGHT_BROWSERS_PATH ||
    (process.platform === 'darwin'
      ? path.join(os.homedir(), 'Library', 'Caches', 'ms-playwright')
      : process.platform === 'win32'
        ? path.join(process.env.LOCALAPPDATA ?? os.homedir(), 'ms-playwright')
        : path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ms-playwright'));
  let entries: string[];
  try {
    entries = readdirSync(cache);
  } catch {
    return [];
  }
  const revision = (name: string) => Number(/-(\d+)$/.exec(name)?.[1] ?? 0);
  const inside: Record<string, string[]> = {
    linux: ['chrome-linux64/chrome', 'chrome-linux/chrome', 'chrome-headless-shell-linux64/chrome-headless-shell', 'chrome-linux/headless_shell'],
    darwin: [
      'chrome-mac/Chromium.app/Contents/MacOS/Chromium',
      'chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
      'chrome-mac-x64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
    ],
    win32: ['chrome-win64/chrome.exe', 'chrome-win/chrome.exe'],
  };
  return entries
    .filter((name) => /^chromium(_headless_shell)?-\d+$/.test(name))
    .sort((a, b) => revision(b) - revision(a))
    .flatMap((name) => (inside[process.platform] ?? []).map((file) => path.join(cache, name, file)));
}

const require = createRequire(import.meta.url);

/**
 * The Chromium that `npm ci` brings on Linux x64 (@sparticuz/chromium, a dev dependency): its
 * compressed build and the few libraries it needs (NSS) are unpacked once into a cache folder,
 * so it starts on a machine with nothing but Node and git.
 */
export function packagedChromium(): FoundBrowser | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  let bin: string | null = null;
  try {
    // Its exports hide package.json: the folder is found from its entry file.
    for (let dir = path.dirname(require.resolve('@sparticuz/chromium')); dir !== path.dirname(dir) && !bin; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'bin', 'chromium.br'))) bin = path.join(dir, 'bin');
    }
  } catch {
    return null;
  }
  if (!bin) return null;
  const version = (JSON.parse(readFileSync(path.join(bin, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const target = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'planalign-sync', `sparticuz-chromium-${version}`);
  const executablePath = path.join(target, 'chromium');
  if (!existsSync(executablePath)) {
    // Unpacked beside the target and renamed into place: test files starting at once never see half a browser.
    const staging = `${target}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const untar = (archive: string) => {
      const result = spawnSync('tar', ['-x', '-C', staging], { input: brotliDecompressSync(readFileSync(path.join(bin!, archive))) });
      if (result.status !== 0) throw new Error(`Could not unpack ${archive} of @sparticuz/chromium: ${result.stderr.toString()}`);
    };
    for (const archive of ['al2023.tar.br', 'fonts.tar.br', 'swiftshader.tar.br']) if (existsSync(path.join(bin, archive))) untar(archive);
    const browser = brotliDecompressSync(readFileSync(path.join(bin, 'chromium.br')));
    writeFileSync(path.join(staging, 'chromium'), browser, { mode: 0o755 });
    try {
      renameSync(staging, target);
    } catch {
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(executablePath)) throw new Error(`Could not unpack @sparticuz/chromium into ${target}.`);
    }
  }
  const libraries = [path.join(target, 'lib'), target, process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  const env: Record<string, string> = { LD_LIBRARY_PATH: libraries };
  if (existsSync(path.join(target, 'fonts'))) {
    // The package's own fonts.conf names Lambda's folders: this one names where they are here, and the system's.
    const config = path.join(target, 'planalign-fonts.conf');
    if (!existsSync(config)) {
      const dirs = [path.join(target, 'fonts'), '/usr/share/fonts', '/usr/local/share/fonts'].map((dir) => `  <dir>${dir}</dir>`).join('\n');
      writeFileSync(
        config,
        `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n${dirs}\n  <cachedir>${path.join(target, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
      );
    }
    env.FONTCONFIG_FILE = config;
  }
  return { executablePath, source: '@sparticuz/chromium', env };
}

/**
 * The browser the dashboard tests drive, looked for in this order: PLANALIGN_CHROMIUM; a
 * Chromium or Chrome installed on this computer; Playwright's browser cache; the Chromium that
 * `npm ci` brings on Linux x64. Throws with what to install or set when there is none.
 */
export function findChromium(): FoundBrowser {
  const configured = process.env[CHROMIUM_VARIABLE]?.trim();
  if (configured) {
    if (!existsSync(configured))
      throw new Error(`${CHROMIUM_VARIABLE} is set to "${configured}", which does not exist. Point it at a Chromium or Chrome program, or unset it.`);
    return { executablePath: configured, source: 'PLANALIGN_CHROMIUM', env: {} };
  }
  const installed = installedCandidates().find((file) => existsSync(file));
  if (installed) return { executablePath: installed, source: 'installed', env: {} };
  const cached = playwrightCacheCandidates().find((file) => existsSync(file));
  if (cached) return { executablePath: cached, source: 'playwright cache', env: {} };
  const packaged = packagedChromium();
  if (packaged) return packaged;
  throw new Error(
    `No Chromium found for the dashboard tests: install Chrome or Chromium, or run 'npx playwright-core install chromium', or set ${CHROMIUM_VARIABLE} to a Chromium or Chrome program.`,
  );
}
