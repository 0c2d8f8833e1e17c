import assert from 'node:assert/strict';
import { FormErrors } from '../../src/console/form-errors';
import { html, trustedHtml } from '../../src/console/html';
import { SignInThrottle } from '../../src/console/sign-in-throttle';

describe('console kit', () => {
  it('escapes every interpolation unless it is Html already', () => {
    const name = `<script>alert("x")</script>&'`;
    assert.equal(
      html`<p title="${name}">${name}</p>`.text,
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
    assert.equal(
      html`${[html`<b>${'1<2'}</b>`, trustedHtml('<i>ok</i>'), null, false, 3]}`.text,
      '<b>1&lt;2</b><i>ok</i>3',
    );
  });

  it("files the API's errors under the fields they name, and the rest at the top", () => {
    const issues = {
      error: {
        code: 'invalid_input',
        message: 'invalid body',
        details: {
          issues: [
            { path: 'body.values.0.internalName', message: 'not a price list' },
            { path: 'body.name', message: 'required' },
            { path: 'body.unknownThing', message: 'odd' },
          ],
        },
      },
    };
    const errors = FormErrors.fromApi(issues, ['key', 'name', 'values']);
    assert.deepEqual(errors.forField('values'), ['line 1, internalName: not a price list']);
    assert.deepEqual(errors.forField('name'), ['required']);
    assert.deepEqual(errors.general, ['unknownThing: odd']);

    const byField = FormErrors.fromApi(
      { error: { code: 'x', message: 'unknown plan', details: { field: 'tariffPlan' } } },
      ['tariffPlan'],
    );
    assert.deepEqual(byField.forField('tariffPlan'), ['unknown plan']);
    const general = FormErrors.fromApi({ error: { code: 'license_bound', message: 'bound', details: null } }, ['ip']);
    assert.deepEqual(general.general, ['bound']);
    assert.deepEqual(FormErrors.fromApi('<html>', [], 502).general, ['The API answered 502.']);
  });

  it('refuses an address after five failed sign-ins, until the window ends', () => {
    let now = 0;
    const throttle = new SignInThrottle(5, 60_000, () => now);
    for (let i = 0; i < 5; i++) {
      assert.equal(throttle.retryAfterSeconds('a'), 0);
      throttle.recordFailure('a');
    }
    assert.equal(throttle.retryAfterSeconds('a'), 60);
    assert.equal(throttle.retryAfterSeconds('b'), 0, 'another address is not affected');
    now = 60_000;
    assert.equal(throttle.retryAfterSeconds('a'), 0);
  });
});
