// A real OpenID provider (the npm `oidc-provider` package) for forloeb's tests and CI.
//
//   node provider.mjs [--port N] [--keys FILE] [--access-ttl S] [--device-code-ttl S]
//
// Listens on 127.0.0.1 (port 0: a free one) and prints one line when ready:
//   ready http://127.0.0.1:PORT
// The issuer is that URL. Every token is issued and signed by oidc-provider itself.
//
// - Signing keys: the private JWKS in --keys FILE; a fresh RS256 key is made and written
//   there when the file does not exist (restart with another file to rotate keys).
// - Audience: access tokens are JWTs for the resource AUDIENCE below (the
//   resourceIndicators feature, accessTokenFormat 'jwt'); the resource SHORT_AUDIENCE
//   issues the same tokens with a one-second lifetime, for expiry tests.
// - Clients: `forloeb-cli` (public; device authorization grant) and
//   `forloeb-test-service` and `forloeb-test-service-odense` (secret SERVICE_SECRET;
//   client credentials grant, their tokens carry the forloeb user named in their
//   `forloeb_user` metadata and, as the claim `municipality`, their
//   `forloeb_municipality`: aarhus and odense).
// - Accounts: ACCOUNTS maps an opaque subject to a preferred_username, the claim forloeb
//   maps to its user by default.
// - Test-only interaction policy: the provider's own device pages (/device) take the user
//   code; the login and consent step that follows is approved at once for --account
//   (default the subject of `anna`), so tests drive the device flow over plain HTTP.
//   Never use this provider for anything but tests.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

export const AUDIENCE = 'https://forloeb.test/api';
export const SHORT_AUDIENCE = 'https://forloeb.test/api-short-lived';
export const SERVICE_SECRET = 'forloeb-test-service-secret';
export const ACCOUNTS = {
  'sub-7f3a9c': 'anna',
  'sub-2b81d0': 'bo',
};

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    keys: { type: 'string' },
    account: { type: 'string', default: 'sub-7f3a9c' },
    'access-ttl': { type: 'string', default: '300' },
    'device-code-ttl': { type: 'string', default: '600' },
  },
});

function signingKeys(file) {
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const keys = { keys: [{ ...jwk, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' }] };
  if (file) writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

function resourceServer(audience, ttl) {
  return {
    scope: 'forloeb',
    audience,
    accessTokenTTL: ttl,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  };
}

function configuration() {
  const accessTtl = Number(options['access-ttl']);
  return {
    clients: [
      {
        client_id: 'forloeb-cli',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'forloeb-test-service',
        client_secret: SERVICE_SECRET,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        forloeb_user: 'anna',
        forloeb_municipality: 'aarhus',
      },
      {
        client_id: 'forloeb-test-service-odense',
        client_secret: SERVICE_SECRET,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        forloeb_user: 'anna',
        forloeb_municipality: 'odense',
      },
    ],
    extraClientMetadata: { properties: ['forloeb_user', 'forloeb_municipality'] },
    jwks: signingKeys(options.keys),
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', 'forloeb'],
    claims: { openid: ['sub'], profile: ['preferred_username'] },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, indicator) {
          if (indicator === AUDIENCE) return resourceServer(AUDIENCE, accessTtl);
          if (indicator === SHORT_AUDIENCE) return resourceServer(SHORT_AUDIENCE, 1);
          throw new errors.InvalidTarget();
        },
      },
    },
    ttl: { DeviceCode: Number(options['device-code-ttl']) },
    async findAccount(ctx, sub) {
      if (!(sub in ACCOUNTS)) return undefined;
      return { accountId: sub, claims: () => ({ sub, preferred_username: ACCOUNTS[sub] }) };
    },
    async extraTokenClaims(ctx, token) {
      if (token.accountId) return { preferred_username: ACCOUNTS[token.accountId] };
      const client = await ctx.oidc.provider.Client.find(token.clientId);
      const metadata = client?.metadata();
      return { preferred_username: metadata?.forloeb_user, municipality: metadata?.forloeb_municipality };
    },
  };
}

// Test-only: approve login and consent for the configured account at once.
async function approveInteraction(provider, ctx) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const accountId = options.account;
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope ?? 'openid');
  for (const resource of [AUDIENCE, SHORT_AUDIENCE]) grant.addResourceScope(resource, 'forloeb');
  const grantId = await grant.save();
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

const server = createServer();
server.listen(Number(options.port), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path)) {
      await approveInteraction(provider, ctx);
      return;
    }
    await next();
  });
  server.on('request', provider.callback());
  process.stdout.write(`ready ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
