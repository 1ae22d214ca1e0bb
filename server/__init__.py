"""The shared forloeb server's parts that know no web framework.

`server.oidc` checks bearer tokens from the municipality's OpenID provider and maps
them to forloeb users; `server.ratelimit` limits failed attempts per client;
`server.bearer` puts the two together for one request's Authorization header;
`server.app` is the HTTP service, `server.command` and `server.tokens_cmd` its
commands (found by name from `cli.main`'s command table). The client side of
logging in lives in `cli` (`cli.credentials`, `cli.device_flow`).
"""
