/** An error the API answers with an error document: `<doc><error type="…" object="…"><msg>…</msg></error></doc>`. */
export class SandboxApiError extends Error {
  constructor(
    readonly type: string,
    readonly object: string,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxApiError';
  }
}

/** Shorthand for the common "no such license" error. */
export function missingLicense(elid: string): SandboxApiError {
  return new SandboxApiError('missing', 'elid', `License ${elid} not found`);
}
