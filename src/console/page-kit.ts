import type { Request, Response } from 'express';
import type { ConsoleFlash } from '../db/console-session-store';
import type { ApiAnswer } from './api-client';
import { renderPage, type PageSpec } from './layout';
import type { ConsoleSessions, SignedIn } from './session';

/** What every page handler is given. */
export interface PageKit {
  sessions: ConsoleSessions;
}

export function sendPage(res: Response, spec: PageSpec, status = 200): void {
  res.status(status).type('html').set('Cache-Control', 'no-store').send(renderPage(spec));
}

/** After a write that worked: a message for the next page, and a redirect to it (POST, redirect, GET). */
export async function redirectWithNotice(
  kit: PageKit,
  signedIn: SignedIn,
  res: Response,
  to: string,
  flash: ConsoleFlash,
): Promise<void> {
  await kit.sessions.setFlash(signedIn, flash);
  res.redirect(303, to);
}

/** A form's text field, or '' when absent. */
export function formText(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A query parameter as a string, or '' when absent. */
export function queryText(req: Request, name: string): string {
  const value = req.query[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A path parameter of an express 5 route. */
export function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value.join('/') : (value ?? '');
}

/** True for a 2xx answer. */
export function succeeded(answer: ApiAnswer): boolean {
  return answer.status >= 200 && answer.status < 300;
}

/** The items of a list answer, or null when the API did not answer 200 (the route may not exist in this version). */
export function itemsOr<T>(answer: ApiAnswer<{ items?: T[] }>): T[] | null {
  return answer.status === 200 && Array.isArray(answer.body?.items) ? answer.body.items : null;
}

/** Why a read did not give a panel its data, in a few words. */
export function whyUnavailable(answer: ApiAnswer): string {
  if (answer.status === 404) return 'this version of the service does not serve it';
  if (answer.status === 403) return 'this token may not read it';
  return `the API answered ${answer.status}`;
}
