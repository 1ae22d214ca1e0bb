"""Where events live: the store's configuration and backend, recorders, keys, sealing."""
