"""Code under test that builds its own boto3 clients, as a Lambda handler or a CRM sync job
does: it knows nothing of the emulator."""

from __future__ import annotations

from typing import Any

import boto3
import boto3.session

from partnercentral_local import sample_opportunity


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Creates a Sandbox opportunity for the company the event names."""
    pc = boto3.client("partnercentral-selling")
    body = sample_opportunity()
    body["Customer"]["Account"]["CompanyName"] = event["company"]
    created = pc.create_opportunity(Catalog="Sandbox", ClientToken=event["id"], **body)
    return {"opportunityId": created["Id"]}


def sync_job(catalog: str = "Sandbox") -> list[str]:
    """The ids of every opportunity of the catalog, through a session of its own."""
    pc = boto3.session.Session().client("partnercentral-selling")
    summaries = pc.list_opportunities(Catalog=catalog)["OpportunitySummaries"]
    return sorted(s["Id"] for s in summaries)
