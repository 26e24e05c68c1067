/**
 * PostgREST-style authentication (docs/references/auth.rst): an HS256 bearer token signed with
 * the configured secret, or the anonymous role when no token is sent. The token's `role` claim
 * becomes the request's database role; all claims are exposed as `request.jwt.claims`.
 */
import { errors, jwtVerify } from 'jose';
import { HttpError } from './errors.js';

/** PostgREST tolerates 30 s of clock skew between the token issuer and itself. */
const CLOCK_SKEW_SECONDS = 30;

export interface AuthOptions {
  /** Raw HS256 secret; absent means tokens cannot be verified (PGRST300). */
  secret?: string;
  /** Role for requests without a token; absent means such requests are refused (PGRST302). */
  anonRole?: string;
}

export interface Identity {
  role: string;
  claims: Record<string, unknown>;
  /** A verified token was presented: permission errors are then 403 rather than 401. */
  authenticated: boolean;
}

export class Authenticator {
  private readonly key: Uint8Array | undefined;

  constructor(private readonly options: AuthOptions) {
    this.key = options.secret === undefined ? undefined : new TextEncoder().encode(options.secret);
  }

  async authenticate(authorization: string | undefined, now: number = Date.now()): Promise<Identity> {
    const token = bearerToken(authorization);
    if (token === undefined) {
      if (this.options.anonRole === undefined) {
        throw new HttpError(401, 'PGRST302', 'Anonymous access is disabled', null, null, { 'WWW-Authenticate': 'Bearer' });
      }
      return { role: this.options.anonRole, claims: { role: this.options.anonRole }, authenticated: false };
    }
    if (this.key === undefined) throw new HttpError(500, 'PGRST300', 'Server lacks JWT secret');
    if (token === '') throw invalidToken('PGRST301', 'Empty JWT is sent in Authorization header');

    const claims = await this.verify(token, now);
    const role = claims.role;
    if (role !== undefined && typeof role !== 'string') throw invalidToken('PGRST303', 'The JWT role claim must be a string');
    if (role === undefined || role === '') {
      if (this.options.anonRole === undefined) {
        throw new HttpError(401, 'PGRST302', 'Anonymous access is disabled', 'The JWT has no role claim', null, {
          'WWW-Authenticate': 'Bearer',
        });
      }
      return { role: this.options.anonRole, claims, authenticated: true };
    }
    return { role, claims, authenticated: true };
  }

  private async verify(token: string, now: number): Promise<Record<string, unknown>> {
    const parts = token.split('.').length;
    if (parts !== 3) throw invalidToken('PGRST301', `Expected 3 parts in JWT; got ${parts}`);
    let payload: Record<string, unknown>;
    try {
      // Only HS256 is accepted: `alg: none` and every other algorithm fail here.
      ({ payload } = await jwtVerify(token, this.key!, {
        algorithms: ['HS256'],
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw tokenError(error);
    }
    // jose checks iat only when a maximum age is configured; PostgREST refuses tokens from the future.
    if (typeof payload.iat === 'number' && payload.iat > now / 1000 + CLOCK_SKEW_SECONDS) {
      throw invalidToken('PGRST303', 'JWT issued at future');
    }
    return payload;
  }
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const space = authorization.indexOf(' ');
  const scheme = space < 0 ? authorization : authorization.slice(0, space);
  // Other schemes (e.g. Basic from a gateway) are not PostgREST's business: the request is anonymous.
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  return space < 0 ? '' : authorization.slice(space + 1).trim();
}

function invalidToken(code: 'PGRST301' | 'PGRST303', message: string, details: string | null = null): HttpError {
  const description = message.replace(/["\\]/g, '');
  return new HttpError(401, code, message, details, null, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
  });
}

function tokenError(error: unknown): HttpError {
  if (error instanceof errors.JWTExpired) return invalidToken('PGRST303', 'JWT expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return invalidToken('PGRST303', 'JWT not yet valid');
    return invalidToken('PGRST303', 'Parsing claims failed', error.message);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return invalidToken('PGRST301', 'Wrong or unsupported encoding algorithm');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalidToken('PGRST301', 'JWT cryptographic operation failed', 'The signature does not match the configured secret');
  }
  const details = error instanceof Error ? error.message : String(error);
  return invalidToken('PGRST301', 'JWT invalid', details);
}
