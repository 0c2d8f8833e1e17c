import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium; the browser tests drive nothing else (no browser is downloaded). */
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/**
 * True when chromium is there. Without it the browser tests are skipped with a loud notice, except under CI=true,
 * where a missing browser fails the run (`.ci/run` installs it).
 */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  const lines = [
    `SKIPPED: chromium not found at ${CHROMIUM}: the console's browser tests did not run.`,
    'Install it with `apt-get install chromium` (`.ci/run` does) and run npm test again.',
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const edge = `+${'-'.repeat(width + 2)}+`;
  console.error(['', edge, ...lines.map((l) => `| ${l.padEnd(width)} |`), edge, ''].join('\n'));
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(`chromium is required when CI=true and ${CHROMIUM} does not exist`);
  return false;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Where screenshots go: `docs/console/` when `CONSOLE_SCREENSHOTS=docs` (`npm run docs:console`), else a temp folder,
 * so that an ordinary test run does not rewrite the README's pictures.
 */
export function screenshotDir(): string {
  if (process.env.CONSOLE_SCREENSHOTS === 'docs') return path.resolve(__dirname, '../../docs/console');
  return fs.mkdtempSync(path.join(os.tmpdir(), 'console-shots-'));
}

export async function screenshot(page: Page, dir: string, name: string): Promise<void> {
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** Reloads `url` until `text` shows in `selector` (the worker and the alerts run beside the page). */
export async function reloadUntil(
  page: Page,
  url: string,
  selector: string,
  text: string | RegExp,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(url);
    const content = await page.locator(selector).first().innerText();
    if (typeof text === 'string' ? content.includes(text) : text.test(content)) return content;
    if (Date.now() > deadline)
      throw new Error(`"${text}" did not show in ${selector} of ${url}: ${content.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
