"""Request bodies AWS accepts, for tests that need a valid record and do not care which."""

from __future__ import annotations

import copy
import datetime
from typing import Any

__all__ = ["sample_opportunity"]

_OPPORTUNITY: dict[str, Any] = {
    "Customer": {
        "Account": {
            "CompanyName": "Acme Corp",
            "Industry": "Software and Internet",
            "WebsiteUrl": "https://acme.example.com",
            "Address": {"CountryCode": "US", "StateOrRegion": "Washington", "PostalCode": "98101"},
        },
        "Contacts": [{"Email": "ann@acme.example.com", "FirstName": "Ann", "LastName": "Lee"}],
    },
    "Project": {
        "Title": "Data platform",
        "CustomerBusinessProblem": "Quarter-end reports take three days.",
        "CustomerUseCase": "Migration / Database Migration",
        "DeliveryModels": ["SaaS or PaaS"],
        "SalesActivities": ["Initialized discussions with customer"],
        # Submission needs a solution: this one, or one associated (AssociateOpportunity).
        "OtherSolutionDescription": "Managed data platform built on AWS",
        "ExpectedCustomerSpend": [
            {
                "Amount": "5000",
                "CurrencyCode": "USD",
                "Frequency": "Monthly",
                "TargetCompany": "AWS",
            }
        ],
    },
    "PrimaryNeedsFromAws": ["Co-Sell - Technical Consultation"],
    "LifeCycle": {"Stage": "Prospect", "NextSteps": "Discovery call"},
}


def sample_opportunity(**overrides: Any) -> dict[str, Any]:
    """A CreateOpportunity body (without ``Catalog``) that AWS accepts and lets you submit as
    Co-Sell without more (its ``OtherSolutionDescription`` stands for an associated solution):
    the README's Acme Corp opportunity, its target close date a year from today.
    Top-level members in ``overrides`` replace the sample's::

        pc.create_opportunity(Catalog="Sandbox", **sample_opportunity())
        pc.create_opportunity(Catalog="AWS", **sample_opportunity(OpportunityType="Expansion"))
    """
    body = copy.deepcopy(_OPPORTUNITY)
    close = datetime.date.today() + datetime.timedelta(days=365)
    body["LifeCycle"]["TargetCloseDate"] = close.isoformat()
    body.update(copy.deepcopy(overrides))
    return body
