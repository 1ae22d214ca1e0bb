"""The programmes a municipality runs: the shipped definitions, and its own beside the
configuration file (`programmes/NAME.toml`), read and checked by `programmes.catalogue`."""
