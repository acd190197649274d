"""The reindex subcommand reaches the search reindexer through the command line."""

from __future__ import annotations

import uuid

from fhir_server import cli


def test_reindex_all_and_status(mongo_uri, mongo_client, monkeypatch, capsys):
    database = f"cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("FHIR_DB_NAME", database)
    monkeypatch.setenv("FHIR_REINDEX_WORKER", "off")
    mongo_client[database]["resources"].insert_one(
        {"_id": "Patient/x", "t": "Patient", "id": "x", "vid": 1, "res": {"resourceType": "Patient", "id": "x",
                                                                           "gender": "female"}})
    assert cli.main(["reindex", "--all"]) == 0
    assert "job(s) run" in capsys.readouterr().out
    stored = mongo_client[database]["resources"].find_one({"_id": "Patient/x"})
    assert {"p": "gender", "v": "female"} in [{k: e[k] for k in ("p", "v")} for e in stored["i"]]
    assert cli.main(["reindex", "--status"]) == 0
    mongo_client.drop_database(database)
