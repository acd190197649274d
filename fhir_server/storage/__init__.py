"""Versioned resource storage on MongoDB (docs/storage.md): the store, collections and indexes, the read
cache, the compartments a resource takes from what it points at, and the embedded mongod."""
