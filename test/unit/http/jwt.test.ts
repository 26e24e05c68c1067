import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { HttpError } from '../../../src/http/errors.js';
import { Authenticator } from '../../../src/http/jwt.js';

const SECRET = 'unit-test-secret-of-at-least-32-characters';
const NOW = Date.UTC(2030, 0, 1);
const nowSeconds = NOW / 1000;

function sign(claims: Record<string, unknown>, alg = 'HS256', secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

async function refused(auth: Authenticator, header: string | undefined, status: number, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(auth.authenticate(header, NOW), (error: unknown) => {
    assert.ok(error instanceof HttpError, String(error));
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

test('a valid token sets the role and exposes the claims', async () => {
  const auth = new Authenticator({ secret: SECRET, anonRole: 'anon' });
  const identity = await auth.authenticate(`Bearer ${await sign({ role: 'reader', sub: 'u1', exp: nowSeconds + 60 })}`, NOW);
  assert.deepEqual(identity, { role: 'reader', claims: { role: 'reader', sub: 'u1', exp: nowSeconds + 60 }, authenticated: true });
  // The scheme is case-insensitive, as in RFC 6750.
  assert.equal((await auth.authenticate(`bearer ${await sign({ role: 'reader' })}`, NOW)).role, 'reader');
});

test('without a token: the anonymous role, or PGRST302 when there is none', async () => {
  assert.deepEqual(await new Authenticator({ secret: SECRET, anonRole: 'anon' }).authenticate(undefined, NOW), {
    role: 'anon',
    claims: { role: 'anon' },
    authenticated: false,
  });
  await refused(new Authenticator({ secret: SECRET }), undefined, 401, 'PGRST302');
  await refused(new Authenticator({ anonRole: 'anon' }), `Bearer ${await sign({ role: 'x' })}`, 500, 'PGRST300');
});

test('time claims are checked with 30 s of skew', async () => {
  const auth = new Authenticator({ secret: SECRET });
  assert.equal((await auth.authenticate(`Bearer ${await sign({ role: 'r', exp: nowSeconds - 29 })}`, NOW)).role, 'r');
  await refused(auth, `Bearer ${await sign({ role: 'r', exp: nowSeconds - 31 })}`, 401, 'PGRST303', /expired/);
  assert.equal((await auth.authenticate(`Bearer ${await sign({ role: 'r', nbf: nowSeconds + 29 })}`, NOW)).role, 'r');
  await refused(auth, `Bearer ${await sign({ role: 'r', nbf: nowSeconds + 31 })}`, 401, 'PGRST303', /not yet valid/);
  assert.equal((await auth.authenticate(`Bearer ${await sign({ role: 'r', iat: nowSeconds + 29 })}`, NOW)).role, 'r');
  await refused(auth, `Bearer ${await sign({ role: 'r', iat: nowSeconds + 31 })}`, 401, 'PGRST303', /issued at future/);
});

test('bad signature, other algorithms, alg none and malformed tokens are PGRST301', async () => {
  const auth = new Authenticator({ secret: SECRET });
  await refused(auth, `Bearer ${await sign({ role: 'r' }, 'HS256', `${SECRET}-other`)}`, 401, 'PGRST301');
  await refused(auth, `Bearer ${await sign({ role: 'r' }, 'HS512')}`, 401, 'PGRST301', /algorithm/);
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  await refused(auth, `Bearer ${part({ alg: 'none' })}.${part({ role: 'postgres' })}.`, 401, 'PGRST301');
  await refused(auth, 'Bearer abc.def', 401, 'PGRST301', /Expected 3 parts/);
  await refused(auth, 'Bearer ', 401, 'PGRST301');
  await refused(auth, `Bearer ${await sign({ role: 42 })}`, 401, 'PGRST303');
});
