"""The outbox's promises with two servers' senders working on one practice database (SQLite,
and PostgreSQL as in the production profile), against an API that fails at random: every
message is delivered exactly once, and each patient gets theirs in the order written."""

import asyncio
import random
from typing import Dict, List

import pytest

from connectors.outbox import Outbox, TryAgain
from tests.databases import sqlite_or_postgres

PATIENTS = ["whatsapp:+27820000001", "whatsapp:+27820000002", "whatsapp:+27820000003"]


@pytest.fixture(params=["sqlite", "postgresql"])
def practice_url(request, tmp_path):
    with sqlite_or_postgres(request.param, tmp_path, "outbox") as url:
        yield url


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_servers_deliver_each_message_once_in_each_patients_order(practice_url, seed):
    chance = random.Random(seed)
    delivered: Dict[str, List[int]] = {patient: [] for patient in PATIENTS}

    async def flaky_api(patient: str, request: Dict) -> None:
        await asyncio.sleep(chance.random() / 200)
        if chance.random() < 0.3:
            raise TryAgain("HTTP 503")
        delivered[patient].append(request["n"])

    async def scenario() -> None:
        servers = [Outbox("twilio", flaky_api, url=practice_url, retry_base_s=0.001)
                   for _ in range(2)]
        written: Dict[str, List[int]] = {patient: [] for patient in PATIENTS}
        for n in range(30):
            patient = chance.choice(PATIENTS)
            written[patient].append(n)
            await chance.choice(servers).put(patient, {"n": n})
        for server in servers:
            server.start()
        for _ in range(3000):
            if delivered == written:
                break
            await asyncio.sleep(0.01)
        assert delivered == written, f"written {written}, delivered {delivered}"
        await asyncio.sleep(0.3)  # and nothing is sent again afterwards
        assert delivered == written, f"written {written}, delivered {delivered}"

    asyncio.run(scenario())


def test_with_the_practice_database_unreachable_a_reply_is_sent_at_once(tmp_path):
    sent = []

    async def api(patient: str, request: Dict) -> None:
        sent.append((patient, request))

    async def scenario() -> None:
        database = tmp_path / "practice.db"
        outbox = Outbox("twilio", api, url=f"sqlite:///{database}")
        database.unlink()
        database.mkdir()  # no database can be opened there any more
        outbox.engine.dispose()
        await outbox.put(PATIENTS[0], {"body": "Please call 10177 now"})

    asyncio.run(scenario())
    assert sent == [(PATIENTS[0], {"body": "Please call 10177 now"})]
