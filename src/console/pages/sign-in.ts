import type { Router } from 'express';
import { textField } from '../controls';
import { sameOrigin } from '../csrf';
import { FormErrors } from '../form-errors';
import { html } from '../html';
import { formText, queryText, sendPage, type PageKit } from '../page-kit';
import { SignInThrottle } from '../sign-in-throttle';

/** A failed sign-in answers only after this long, so that guessing is slow even within the allowance. */
const FAILURE_DELAY_MS = 300;

/** Only a console path is a place to go back to after signing in. */
function safeNext(next: string): string {
  return /^\/console(\/[\w\-./?=&%]*)?$/.test(next) && !next.includes('//') ? next : '/console';
}

function signInBody(next: string, errors: FormErrors) {
  return html`<p>
      Sign in with an <strong>admin</strong> or <strong>viewer</strong> token of this service. In development the admin
      token is in <code>var/secrets.json</code>.
    </p>
    <form method="post" action="/console/sign-in" class="form sign-in" id="sign-in">
      <input type="hidden" name="next" value="${next}" />
      ${textField({ form: 'sign-in', name: 'token', label: 'Token', type: 'password', required: true, errors })}
      <div class="actions"><button type="submit">Sign in</button></div>
    </form>`;
}

export function signInPages(router: Router, kit: PageKit): void {
  const throttle = new SignInThrottle();

  router.get('/sign-in', (req, res) => {
    if (res.locals.console) {
      res.redirect(303, '/console');
      return;
    }
    const next = safeNext(queryText(req, 'next'));
    sendPage(res, { title: 'Sign in', section: 'sign-in', signedIn: null, body: signInBody(next, FormErrors.none()) });
  });

  router.post('/sign-in', async (req, res) => {
    const next = safeNext(formText(req, 'next'));
    const refuse = (status: number, field: string | null, message: string) => {
      const errors = field
        ? FormErrors.fromApi({ error: { code: 'x', message, details: { field } } }, [field])
        : FormErrors.general(message);
      sendPage(
        res,
        { title: 'Sign in', section: 'sign-in', signedIn: null, errors, body: signInBody(next, errors) },
        status,
      );
    };
    if (!sameOrigin(req)) {
      refuse(403, null, 'This form was sent from another site.');
      return;
    }
    const client = req.ip ?? 'unknown';
    const wait = throttle.retryAfterSeconds(client);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      refuse(429, null, `Too many failed sign-ins from this address: try again in ${Math.ceil(wait / 60)} minutes.`);
      return;
    }
    const result = await kit.sessions.signIn(formText(req, 'token'), req, res);
    if (result.ok) {
      throttle.recordSuccess(client);
      res.redirect(303, next);
      return;
    }
    throttle.recordFailure(client);
    await new Promise((resolve) => setTimeout(resolve, FAILURE_DELAY_MS));
    if (result.reason === 'role')
      refuse(
        403,
        'token',
        `This is a ${result.role} token: it may not read the console. Sign in with an admin or viewer token.`,
      );
    else refuse(401, 'token', 'No token of this service matches.');
  });
}

/** Sign-out is a write like any other: signed in, with the CSRF token. */
export function signOutPage(router: Router, kit: PageKit): void {
  router.post('/sign-out', async (req, res) => {
    await kit.sessions.signOut(req, res);
    res.redirect(303, '/console/sign-in');
  });
}
