import type { ConsoleFlash } from '../db/console-session-store';
import { csrfField } from './controls';
import type { FormErrors } from './form-errors';
import { html, type Html, type HtmlValue } from './html';
import type { SignedIn } from './session';

export type Section = 'overview' | 'licenses' | 'pool' | 'operations' | 'catalog' | 'sign-in';

const NAV: ReadonlyArray<readonly [Section, string, string]> = [
  ['overview', 'Overview', '/console'],
  ['licenses', 'Licenses', '/console/licenses'],
  ['pool', 'Pool', '/console/pool'],
  ['operations', 'Operations', '/console/operations'],
  ['catalog', 'Catalog', '/console/catalog'],
];

export interface PageSpec {
  title: string;
  section: Section;
  signedIn: SignedIn | null;
  flash?: ConsoleFlash | null;
  /** Errors no control of the page names, shown at the top. */
  errors?: FormErrors;
  body: HtmlValue;
}

/** The whole HTML document of a console page. */
export function renderPage(spec: PageSpec): string {
  const general = spec.errors?.general ?? [];
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${spec.title} · License console</title>
        <link rel="stylesheet" href="/console/static/console.css" />
        <script src="/console/static/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <span class="brand">License console</span>
          ${spec.signedIn ? navigation(spec.section, spec.signedIn) : ''}
        </header>
        <main id="main" tabindex="-1">
          <h1>${spec.title}</h1>
          ${spec.flash ? html`<p class="flash flash-${spec.flash.kind}" role="status">${spec.flash.text}</p>` : ''}
          ${
            general.length > 0
              ? html`<div class="flash flash-error" role="alert" id="errors">
                  ${general.map((m) => html`<p>${m}</p>`)}
                </div>`
              : ''
          }
          ${spec.body}
        </main>
      </body>
    </html> `.text;
}

function navigation(section: Section, signedIn: SignedIn): Html {
  return html`<nav aria-label="Console">
      <ul>
        ${NAV.map(
          ([key, label, href]) =>
            html`<li><a href="${href}" ${key === section ? html` aria-current="page"` : ''}>${label}</a></li>`,
        )}
      </ul>
    </nav>
    <div class="who">
      <span>${signedIn.actor.name} <span class="badge">${signedIn.actor.role}</span></span>
      <form method="post" action="/console/sign-out" class="inline-form">
        ${csrfField(signedIn)}<button type="submit" class="link">Sign out</button>
      </form>
    </div>`;
}

/** A panel whose data did not come: "not available" and why, instead of a failed page. */
export function unavailable(what: string, why: string): Html {
  return html`<p class="muted">${what}: not available (${why}).</p>`;
}

export function statusBadge(status: string | null | undefined): Html {
  return html`<span class="badge badge-${status ?? 'none'}">${status ?? '—'}</span>`;
}
