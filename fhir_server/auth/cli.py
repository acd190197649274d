"""``python -m fhir_server clients ...`` and ``python -m fhir_server users ...``.

clients: ``add``, ``list``, ``remove``, ``secret`` (a new secret for a confidential client);
users: ``add``, ``list``, ``remove``, ``password``, ``unlock``, ``revoke`` (every token of a user).
Passwords are read from the terminal (or ``--password-stdin``), never from the command line.
``users add --role patient`` refuses a Patient that cannot hold an account (under 15, no MHI
policy, inactive, absent: access.policy.patient_account_problem) with exit status 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fhir_server import config
from fhir_server.auth.accounts import ROLES, Accounts, User
from fhir_server.auth.clients import AUTH_METHODS, USER_GRANTS, Client, ClientRegistry
from fhir_server.auth.eligibility import patient_account_problem
from fhir_server.auth.storage import AuthStore
from fhir_server.auth.tokens import TokenService
from fhir_server.storage.mongo import Store
from fhir_server.storage.store import ResourceStore


def add_commands(sub: Any) -> None:
    """Register the ``clients`` and ``users`` commands on the main parser's subparsers."""
    clients = sub.add_parser("clients", help="manage registered SMART apps (docs/auth.md)")
    csub = clients.add_subparsers(dest="action", required=True)
    add = csub.add_parser("add", help="register or replace a client")
    add.add_argument("client_id")
    add.add_argument("--name", required=True)
    add.add_argument("--auth", choices=AUTH_METHODS, default="none", help="token endpoint authentication")
    add.add_argument("--redirect-uri", action="append", default=[], help="exact redirect URI (repeatable)")
    add.add_argument("--scope", required=True, help="the scopes the client may ever be granted")
    add.add_argument("--backend", action="store_true", help="a backend service (client_credentials only)")
    add.add_argument("--jwks", type=Path, help="file with the client's public JWK Set (private_key_jwt)")
    add.add_argument("--jwks-uri", help="URL of the client's public JWK Set (private_key_jwt)")
    add.add_argument("--launch-uri", help="the app's launch URL (EHR launch)")
    add.add_argument("--introspect-any", action="store_true", help="a resource server that may introspect any token")
    add.set_defaults(func=_run(_client_add))
    csub.add_parser("list", help="list clients").set_defaults(func=_run(_client_list))
    remove = csub.add_parser("remove", help="remove a client")
    remove.add_argument("client_id")
    remove.set_defaults(func=_run(_client_remove))
    secret = csub.add_parser("secret", help="give a confidential client a new secret (printed once)")
    secret.add_argument("client_id")
    secret.set_defaults(func=_run(_client_secret))

    users = sub.add_parser("users", help="manage user accounts (docs/auth.md)")
    usub = users.add_subparsers(dest="action", required=True)
    uadd = usub.add_parser("add", help="create or replace an account")
    uadd.add_argument("username")
    uadd.add_argument("--role", choices=ROLES, required=True)
    uadd.add_argument("--phone", required=True, help="where one-time codes are sent, e.g. +79991234567")
    uadd.add_argument("--name", default="")
    uadd.add_argument("--fhir-user", help="Patient/<id> or Practitioner/<id>")
    uadd.add_argument("--link", action="append", default=[], help="a guardian's RelatedPerson id (repeatable)")
    uadd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    uadd.set_defaults(func=_run(_user_add))
    usub.add_parser("list", help="list accounts").set_defaults(func=_run(_user_list))
    for name, func, text in (("remove", _user_remove, "remove an account"),
                             ("unlock", _user_unlock, "lift a lock-out"),
                             ("revoke", _user_revoke, "revoke every token of the account"),
                             ("password", _user_password, "set a new password")):
        cmd = usub.add_parser(name, help=text)
        cmd.add_argument("username")
        if name == "password":
            cmd.add_argument("--password-stdin", action="store_true")
        cmd.set_defaults(func=_run(func))


def _run(action: Callable[[argparse.Namespace, AuthStore], int]) -> Callable[[argparse.Namespace, Any], int]:
    def command(args: argparse.Namespace, settings: config.Settings) -> int:
        from fhir_server.storage.mongo import database

        with database(settings) as (_, store):
            auth_store = AuthStore(store.db)
            auth_store.ensure_indexes()
            try:
                return action(args, auth_store)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2

    return command


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise ValueError("the passwords differ")
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    return password


def _client_add(args: argparse.Namespace, store: AuthStore) -> int:
    jwks = json.loads(args.jwks.read_text(encoding="utf-8")) if args.jwks else None
    grants = ["client_credentials"] if args.backend else list(USER_GRANTS)
    client = Client(args.client_id, args.name, args.auth, args.redirect_uri, args.scope, grants, jwks=jwks,
                    jwks_uri=args.jwks_uri, launch_uri=args.launch_uri, introspect_any=args.introspect_any)
    if not args.backend and not args.redirect_uri:
        raise ValueError("an app that logs users in needs at least one --redirect-uri")
    secret = ClientRegistry(store).register(client)
    print(f"client {args.client_id} registered")
    if secret:
        print(f"client secret (shown once): {secret}")
    return 0


def _client_list(args: argparse.Namespace, store: AuthStore) -> int:
    for client in ClientRegistry(store).all():
        print(f"{client.client_id}\t{client.auth_method}\t{client.name}\t{client.scope}")
    return 0


def _client_remove(args: argparse.Namespace, store: AuthStore) -> int:
    removed = ClientRegistry(store).delete(args.client_id)
    print("removed" if removed else "no such client")
    return 0 if removed else 1


def _client_secret(args: argparse.Namespace, store: AuthStore) -> int:
    registry = ClientRegistry(store)
    client = registry.get(args.client_id)
    if client is None or client.auth_method != "client_secret_basic":
        raise ValueError("no confidential (client_secret_basic) client of that id")
    print(f"client secret (shown once): {registry.register(client)}")
    return 0


def _user_add(args: argparse.Namespace, store: AuthStore) -> int:
    user = User(args.username, args.role, args.phone, args.name, fhir_user=args.fhir_user, links=args.link)
    if user.role == "patient":
        # The card opens to its own patient from 15 with an MHI policy: refuse before asking for a password.
        resources = ResourceStore(Store(client=store.db.client, db=store.db))
        problem = patient_account_problem(resources, user.fhir_user)
        if problem is not None:
            raise ValueError(f"no patient account for {user.fhir_user or 'a missing --fhir-user'}: {problem}")
    Accounts(store).create(user, _read_password(args.password_stdin))
    print(f"user {args.username} created")
    return 0


def _user_list(args: argparse.Namespace, store: AuthStore) -> int:
    for user in Accounts(store).all():
        who = user.fhir_user or ",".join(f"RelatedPerson/{link}" for link in user.links)
        locked = f"\tlocked until {user.locked_until:%Y-%m-%d %H:%M} UTC" if user.locked_until else ""
        print(f"{user.username}\t{user.role}\t{who}\t{user.phone}{locked}")
    return 0


def _user_remove(args: argparse.Namespace, store: AuthStore) -> int:
    TokenService(store).revoke_subject(args.username)
    removed = Accounts(store).delete(args.username)
    print("removed" if removed else "no such user")
    return 0 if removed else 1


def _user_unlock(args: argparse.Namespace, store: AuthStore) -> int:
    done = Accounts(store).unlock(args.username)
    print("unlocked" if done else "no such user")
    return 0 if done else 1


def _user_revoke(args: argparse.Namespace, store: AuthStore) -> int:
    print(f"{TokenService(store).revoke_subject(args.username)} tokens revoked")
    return 0


def _user_password(args: argparse.Namespace, store: AuthStore) -> int:
    done = Accounts(store).set_password(args.username, _read_password(args.password_stdin))
    print("password set" if done else "no such user")
    return 0 if done else 1
