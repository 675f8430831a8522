"""Generated dossiers in tests: which licences they renew, and submitting them to the
dossiers topic as the provincial system does."""

from __future__ import annotations

import json
from collections.abc import Callable

from aiokafka import AIOKafkaProducer

from connectors.driving_licences.licences import licence_of
from hub.config import HubSettings
from hub.connect.topics import TopicNames
from hub.crosscheck.app import dossiers_topic
from hub.crosscheck.dossier import dossier_json
from hub.crosscheck.generate import GeneratedDossier
from hub.province import Province


def renewable_licences(province: Province) -> Callable[[int], str | None]:
    """The number of person ``index``'s licence when it can be renewed (a valid card)."""

    def renewable(index: int) -> str | None:
        licence = licence_of(province, index)
        ok = licence is not None and not licence.paper and licence.status == "VALID"
        return licence.number if licence is not None and ok else None

    return renewable


async def submit_to_topic(
    settings: HubSettings, bootstrap: str, dossiers: list[GeneratedDossier]
) -> None:
    """Produce ``dossiers`` (keyed by applicant PIN) and wait until all are acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        topic = dossiers_topic(TopicNames(settings.topic_prefix))
        for generated in dossiers:
            body = json.dumps(dossier_json(generated.dossier), default=str).encode()
            await producer.send(topic, body, key=generated.dossier.applicant.pin.encode())
        await producer.flush()
    finally:
        await producer.stop()
