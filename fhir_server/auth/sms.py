"""Sending one-time codes by SMS through a pluggable gateway.

``FHIR_SMS_GATEWAY`` selects it: ``file`` (the default, for development and tests) appends each
message as one JSON line ``{"to": ..., "text": ...}`` to ``FHIR_SMS_OUTBOX`` (default
``$FHIR_DATA_DIR/sms-outbox.jsonl``); ``package.module:Class`` names any class built with the
settings whose ``send(to, text)`` delivers a message (an operator's HTTP API, say).
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Protocol

from fhir_server.config import Settings


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> None: ...


class FileOutbox:
    """Appends messages to a JSON-lines file; one ``write`` per line keeps concurrent workers apart."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, to: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps({"to": to, "text": text}, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def outbox_path(settings: Settings) -> Path:
    return settings.sms_outbox or settings.data_dir / "sms-outbox.jsonl"


def gateway_for(settings: Settings) -> SmsGateway:
    if settings.sms_gateway == "file":
        return FileOutbox(outbox_path(settings))
    module_name, _, class_name = settings.sms_gateway.partition(":")
    if not class_name:
        raise ValueError(f"FHIR_SMS_GATEWAY must be 'file' or 'package.module:Class', not {settings.sms_gateway!r}")
    gateway_class = getattr(importlib.import_module(module_name), class_name)
    return gateway_class(settings)  # type: ignore[no-any-return]  # the gateway class is loaded by name
