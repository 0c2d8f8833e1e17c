import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';

/** The console's own files, read once at start: no build step, nothing from the internet. */
const ASSETS: Record<string, string> = {
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
};

/** `src/console/static` from the sources (tsx) and from `dist/src/console` (compiled: tsc copies no CSS). */
function staticDir(): string {
  const candidates = [path.join(__dirname, 'static'), path.resolve(__dirname, '../../../src/console/static')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'console.css')));
  if (!found) throw new Error(`the console's static files are missing (looked in ${candidates.join(', ')})`);
  return found;
}

export function staticAssets(): RequestHandler {
  const dir = staticDir();
  const files = new Map(
    Object.entries(ASSETS).map(([name, type]) => [`/${name}`, { type, body: fs.readFileSync(path.join(dir, name)) }]),
  );
  return (req, res, next) => {
    const file = files.get(req.path);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      next();
      return;
    }
    res.set({ 'Content-Type': file.type, 'Cache-Control': 'public, max-age=300' }).send(file.body);
  };
}
