"""The event storage of one store, opened: the library's factory, the chained recorder
signed with the chain key, the citizen keyring and the sealing mapper.

The course service and the read views are both given one `Infrastructure`
(by `cli.bootstrap`); neither builds its own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    InfrastructureFactory,
)
from eventsourcing.utils import Environment

from storage.backend import Backend
from storage.chained import ChainKeyHolder
from storage.keks import KEK_DIR_ENV, HomeKekFolder, KekFolder, home_kek_root
from storage.keys import STORE_ID, Keyring, KeyStore, MemoryKeyStore
from storage.persistence import OrjsonTranscoder, PydanticMapper
from storage.secrets import MASTER_KEY_ENV, MasterKey, MasterKeyProblem

CHAIN_KEY_PURPOSE = "chain-heads"
"""What the chain key is derived for from the master key."""


@dataclass
class Infrastructure:
    """One store's event storage, opened."""

    name: str
    env: Environment
    factory: InfrastructureFactory[Any]
    recorder: ApplicationRecorder
    mapper: PydanticMapper
    events: EventStore[UUID]
    keyring: Keyring
    backend: Backend
    master_key: MasterKey

    def close(self) -> None:
        """Release the store's connections."""
        self.factory.close()


def library_environment(
    name: str, defaults: Mapping[str, str], env: Mapping[str, str]
) -> Environment:
    """The library's environment in its own order: defaults, the process's, then `env`."""
    return Environment(name, {**defaults, **os.environ, **env})


def open_storage(backend: Backend, env: Environment) -> Infrastructure:
    """Open the event storage `env` describes on `backend`'s store.

    The recorder signs chain heads with a key derived from the master key;
    tables are created where the environment allows it (SQLite always,
    PostgreSQL only for `forloeb init`).
    """
    master = master_key_from(env)
    factory = InfrastructureFactory.construct(env)
    try:
        recorder = factory.application_recorder()
        if isinstance(recorder, ChainKeyHolder):
            recorder.use_chain_key(master.derive(CHAIN_KEY_PURPOSE))
        store = backend.key_store(factory)
        if backend.creates_tables(factory):
            store.create_tables()
        keyring = Keyring(store, master, kek_folder_for(env, backend, store))
        mapper = PydanticMapper(transcoder=OrjsonTranscoder(), keyring=keyring, recorder=recorder)
        events: EventStore[UUID] = factory.event_store(mapper=mapper, recorder=recorder)
    except BaseException:
        factory.close()
        raise
    return Infrastructure(
        name=env.name,
        env=env,
        factory=factory,
        recorder=recorder,
        mapper=mapper,
        events=events,
        keyring=keyring,
        backend=backend,
        master_key=master,
    )


def kek_folder_for(
    env: Mapping[str, str], backend: Backend, store: KeyStore | MemoryKeyStore
) -> KekFolder | None:
    """The store's KEK folder (`storage.keks`): the one FORLOEB_KEK_DIR names, else for a
    store kept in a file, the store's own in the user's configuration folder; None for a
    PostgreSQL store not given one (and the in-memory store)."""
    named = env.get(KEK_DIR_ENV)
    if named:
        return KekFolder(Path(named).expanduser())
    if backend.folder is None:
        return None

    def store_id(claim: bool) -> str | None:
        if claim:
            return store.claim_meta(STORE_ID, str(uuid4()))
        return store.meta_value(STORE_ID)

    return HomeKekFolder(home_kek_root, store_id)


def master_key_from(env: Mapping[str, str]) -> MasterKey:
    """The master key in the library's environment (StoreConfig.env puts it there)."""
    text = env.get(MASTER_KEY_ENV)
    if not text:
        raise MasterKeyProblem(f"master key: {MASTER_KEY_ENV} is not in the service's environment")
    return MasterKey.from_text(text, MASTER_KEY_ENV)
