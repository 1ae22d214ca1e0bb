"""The shared forloeb server's parts that know no web framework.

`server.oidc` checks bearer tokens from the municipality's OpenID provider and maps
them to forloeb users; `server.ratelimit` limits failed attempts per client;
`server.bearer` puts the two together for one request's Authorization header. The
client side of logging in is here too: `server.credentials` keeps a token per server
URL owner-only, `server.device_flow` obtains one from the provider (RFC 8628).
"""
