"""The tools' own export shapes -> export tables -> signals, checked by hand.

Each sample below is written in the shape the tool's documentation gives
(Salesforce object CSVs with API field names, HubSpot CRM API JSON, Stripe
invoice lists, Zendesk and Intercom API lists, an Amplitude Export API ZIP of
gzipped JSON lines, a Mixpanel raw export of JSON lines).
"""

from __future__ import annotations

import gzip
import io
import json
import math
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthscore.cli import main
from healthscore.exceptions import InputError
from healthscore.signals import SignalSettings, compute_signals
from healthscore.sources import (
    collect_sources,
    currency_exponent,
    from_amplitude,
    from_hubspot,
    from_intercom,
    from_mixpanel,
    from_salesforce,
    from_stripe,
    from_zendesk,
    load_sources_file,
    persona,
    read_sources,
    salesforce_id,
)

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

AS_OF = "2026-06-30"
DAY = 86_400
JUNE_30 = 1782777600  # 2026-06-30T00:00:00Z


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _words(texts: Sequence[str]) -> list[float]:
    """A sentiment to check by hand: -1 for a text that says it fails, else 1."""
    bad = ("cannot", "slow", "broken", "fail", "nothing")
    return [-1.0 if any(w in t.lower() for w in bad) else 1.0 for t in texts]


SETTINGS = SignalSettings(sentiment=_words)


def _signals(exports: Any) -> dict[str, dict[str, Any]]:
    """Account id -> signal -> value."""
    table = compute_signals(exports, AS_OF, SETTINGS)
    ids = [str(a) for a in table["account_id"].tolist()]
    return {a: {k: _item(np.asarray(v)[i]) for k, v in table.items() if k != "account_id"} for i, a in enumerate(ids)}


def _item(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _accounts(*ids: str, seats: str = "") -> dict[str, Any]:
    """A ``tables`` source of healthscore's own accounts table."""
    n = len(ids)
    columns = {"account_id": list(ids), "segment": ["smb"] * n, "seats_purchased": [seats] * n}
    return {"path": {"accounts": {**columns, "arr": [""] * n, "contract_term_months": [""] * n}}}


# --------------------------------------------------------------------------- Salesforce

ACME15, ACME18 = "001A0000006Vm9r", "001A0000006Vm9rIAC"
BETA15 = "001A0000006Vm9s"
BETA18 = "001A0000006Vm9sIAC"


def _csv(header: str, *rows: str) -> str:
    """CSV text: the header, and rows whose cells are separated by ``|`` (here, for short lines)."""
    return "".join(line.replace("|", ",") + "\n" for line in (header, *rows))


def _salesforce(folder: Path) -> Path:
    _write(
        folder / "Account.csv",
        "Id,Name,ParentId,Type,AnnualRevenue,Segment__c\n"
        f"{ACME15},Acme Corp,,Customer - Direct,50000000,enterprise\n"
        f"{BETA18},Beta KK,{ACME18},Customer - Channel,,smb\n",
    )
    _write(
        folder / "Opportunity.csv",
        _csv(
            "Id,AccountId,Name,Type,Amount,StageName,CloseDate,IsWon,CreatedDate",
            f"006A00000001aaa|{ACME15}|Renewal|Existing Customer - Renewal|120000|Closed Won|2026-03-01|true|"
            "2026-01-10T09:00:00.000Z",
            f"006A00000001aab|{ACME18}|Seats|Existing Customer - Upgrade|30000|Closed Won|2026-05-15|true|"
            "2026-04-20T09:00:00.000Z",
            f"006A00000001aac|{ACME15}|Old deal|New Customer|90000|Closed Won|2025-01-15|true|2024-12-01T09:00:00.000Z",
            f"006A00000001aad|{BETA15}|Lost|New Customer|5000|Closed Lost|2026-02-01|false|2026-01-05T09:00:00.000Z",
            f"006A00000001aae|{BETA15}|Upsell|Existing Customer - Upgrade|8000|Prospecting|2026-09-01|false|"
            "2026-06-01T09:00:00.000Z",
        ),
    )
    _write(
        folder / "Contract.csv",
        "Id,AccountId,Status,StartDate,ContractTerm\n"
        f"800A00000001aaa,{ACME15},Activated,2025-03-01,12\n"
        f"800A00000001aab,{ACME15},Activated,2026-03-01,24\n"
        f"800A00000001aac,{BETA15},Draft,2026-03-01,36\n",
    )
    _write(
        folder / "Contact.csv",
        "Id,AccountId,FirstName,LastName,Title\n"
        f"003A00000001aaa,{ACME15},Hana,Sato,Chief Operating Officer\n"
        f"003A00000001aab,{ACME15},Ken,Ito,Support Analyst\n",
    )
    _write(
        folder / "Case.csv",
        "Id,AccountId,CreatedDate,ClosedDate,Status,Priority,Subject,Description\n"
        f"500A00000001aaa,{ACME15},2026-06-01T08:00:00.000Z,2026-06-02T08:00:00.000Z,Closed,High,Login,"
        '"Cannot log in,\nsince the update"\n'
        f"500A00000001aab,{ACME18},2026-05-01T08:00:00.000Z,,New,Low,Export,Export is slow\n"
        f"500A00000001aac,{BETA15},2026-06-20T08:00:00.000Z,,New,Medium,Question,How do I add a user?\n"
        f"500A00000001aad,{BETA15},2026-01-20T08:00:00.000Z,2026-01-21T08:00:00.000Z,Closed,Low,Old,An old one\n",
    )
    _write(
        folder / "Event.csv",
        "Id,AccountId,WhoId,Subject,Type,StartDateTime,EndDateTime\n"
        f"00UA00000001aaa,{ACME15},003A00000001aaa,Q2 QBR,Meeting,2026-05-20T01:00:00.000Z,2026-05-20T02:00:00Z\n"
        f"00UA00000001aab,{ACME15},003A00000001aab,Onboarding,Meeting,2026-06-10T01:00:00.000Z,2026-06-10T02:00:00Z\n",
    )
    _write(
        folder / "Task.csv",
        "Id,AccountId,WhoId,WhatId,Subject,Type,TaskSubtype,Status,ActivityDate,CreatedDate\n"
        f"00TA00000001aaa,{ACME15},003A00000001aab,,Email: renewal,Email,Email,Completed,2026-06-25,"
        "2026-06-25T10:00:00.000Z\n"
        f"00TA00000001aab,,003A00000001aab,{BETA15},Call,Call,Call,Completed,2026-06-26,2026-06-26T10:00:00.000Z\n"
        f"00TA00000001aac,{BETA15},,,Follow up,Email,Email,Not Started,2026-07-05,2026-06-27T10:00:00.000Z\n",
    )
    return folder


def test_salesforce_objects_give_accounts_arr_terms_tickets_and_activities(tmp_path: Path) -> None:
    folder = _salesforce(tmp_path / "sf")
    tables = from_salesforce(folder, fields={"segment": "Segment__c"}, as_of=AS_OF)
    accounts = tables.tables["accounts"]
    # 15- and 18-character forms of one id are one account, the parent too
    assert accounts["account_id"].tolist() == [ACME18, BETA18]
    assert accounts["parent_id"].tolist() == ["", ACME18]
    assert accounts["segment"].tolist() == ["enterprise", "smb"]
    # ARR: won in the year up to 06-30: 120000 (03-01) + 30000 (05-15); the 2025-01 deal is older
    assert accounts["arr"].tolist() == ["150000.0", ""]
    # the latest activated contract's term; a draft contract gives none
    assert accounts["contract_term_months"].tolist() == ["24.0", ""]
    reasons = {i.reason: i.rows for i in tables.ignored}
    assert reasons["an open or lost opportunity that is no upgrade adds nothing (won ones make ARR)"] == 1
    assert reasons["a task that is not completed has not happened"] == 1
    assert sum(n for r, n in reasons.items() if "call" in r) == 1
    assert not tables.rejected

    sig = _signals(read_sources({"salesforce": {"path": folder, "fields": {"segment": "Segment__c"}}}, as_of=AS_OF))
    acme, beta = sig[ACME18], sig[BETA18]
    assert acme["executive_engagement"] == "quarterly"  # the QBR with the COO, 41 days ago
    assert acme["expansion_talks"] == 1  # the upgrade opportunity, created 04-20 (71 days before)
    assert acme["contract_months"] == 24.0
    # tickets opened in the last 90 days (04-01 .. 06-30), per 30 days: acme 2, beta 1
    assert acme["ticket_volume"] == pytest.approx(2 / 3)
    assert beta["ticket_volume"] == pytest.approx(1 / 3)
    assert beta["expansion_talks"] == 1  # the open upsell, created 06-01
    assert acme["ticket_sentiment"] == pytest.approx(-1.0)  # "Cannot log in", "Export is slow"
    assert beta["ticket_sentiment"] == pytest.approx(1.0)  # "How do I add a user?"


def test_salesforce_ticket_text_keeps_a_quoted_line_break_and_the_case_line(tmp_path: Path) -> None:
    tables = from_salesforce(_salesforce(tmp_path / "sf"))
    tickets = tables.tables["tickets"]
    assert tickets["text"][0] == "Login\nCannot log in,\nsince the update"
    assert tickets["ticket_id"][0] == f"salesforce:{salesforce_id('500A00000001aaa')}"
    assert [tables.origin("tickets", i)[1] for i in range(4)] == [2, 4, 5, 6]


def test_a_salesforce_case_without_an_account_is_reported_with_its_line(tmp_path: Path) -> None:
    folder = _salesforce(tmp_path / "sf")
    with (folder / "Case.csv").open("a", encoding="utf-8") as f:
        f.write("500A00000001aae,,2026-06-21T08:00:00.000Z,,New,Low,Orphan,No account\n")
        f.write(f"500A00000001aaf,{ACME15},21/06/2026,,New,Low,Bad date,x\n")
    ex = read_sources({"salesforce": folder}, as_of=AS_OF, on_bad_rows="report")
    bad = [(Path(r.source).name, r.line, r.column, r.value) for r in ex.rejected]
    assert bad == [("Case.csv", 7, "AccountId", ""), ("Case.csv", 8, "CreatedDate", "21/06/2026")]
    with pytest.raises(InputError, match=r"Case\.csv line 7, column 'AccountId'.*1 more bad rows"):
        read_sources({"salesforce": folder}, as_of=AS_OF)


ALPHANUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@given(st.text(alphabet=ALPHANUM, min_size=15, max_size=15))
def test_both_forms_of_a_salesforce_id_and_any_case_of_the_long_one_agree(short: str) -> None:
    long = salesforce_id(short)
    assert long is not None
    assert long[:15] == short
    assert salesforce_id(long) == long
    assert salesforce_id(long.lower()) == long
    assert salesforce_id(long.upper()) == long


def test_salesforce_id_examples() -> None:
    assert salesforce_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert salesforce_id("001A0000006Vm9") is None
    assert salesforce_id("001A0000006Vm9r!") is None


def test_persona_of_titles() -> None:
    assert [persona(t) for t in ("CEO", "Head of Ops", "Director of IT", "Engineer", " ")] == [
        "executive",
        "executive",
        "manager",
        "operational",
        "",
    ]


# --------------------------------------------------------------------------- HubSpot


def _hubspot(folder: Path) -> Path:
    companies = {
        "results": [
            {"id": "5001", "properties": {"name": "Acme", "type": "CUSTOMER", "seats__c": "20"}, "archived": False},
            {"id": "5002", "properties": {"name": "Beta", "type": "CUSTOMER", "hs_parent_company_id": "5001"}},
        ],
        "paging": {"next": {"after": "5003"}},
    }
    deals = {
        "results": [
            {
                "id": "9001",
                "properties": {"amount": "24000", "dealstage": "closedwon", "closedate": "2026-02-01T00:00:00.000Z"},
                "associations": {"companies": {"results": [{"id": "5001", "type": "deal_to_company"}]}},
            },
            {
                "id": "9002",
                "properties": {"amount": "6000", "dealstage": "closedwon", "closedate": str(1780272000000)},
                "associations": {"companies": {"results": [{"id": "5001", "type": "deal_to_company"}]}},
            },
            {
                "id": "9003",
                "properties": {"amount": "1000", "dealstage": "appointmentscheduled", "closedate": ""},
                "associations": {"companies": {"results": [{"id": "5002", "type": "deal_to_company"}]}},
            },
        ]
    }
    tickets = (
        '{"id": "7001", "properties": {"subject": "Sync broken", "content": "Nothing syncs", '
        '"createdate": "2026-06-10T09:00:00Z", "closed_date": ""}, '
        '"associations": {"companies": {"results": [{"id": "5002"}]}}}\n'
    )
    engagements = [
        {"engagement": {"id": 1, "type": "EMAIL", "timestamp": 1782302400000}, "associations": {"companyIds": [5001]}},
        {
            "engagement": {"id": 2, "type": "INCOMING_EMAIL", "timestamp": 1782302400000 + 6 * 3600 * 1000},
            "associations": {"companyIds": [5001]},
        },
        {"engagement": {"id": 3, "type": "NOTE", "timestamp": 1782302400000}, "associations": {"companyIds": [5001]}},
    ]
    _write(folder / "companies.json", json.dumps(companies, indent=2))
    _write(folder / "deals.json", json.dumps(deals, indent=2))
    _write(folder / "tickets.jsonl", tickets)
    _write(folder / "engagements.json", json.dumps(engagements))
    return folder


def test_hubspot_api_json_gives_arr_parents_tickets_and_email_replies(tmp_path: Path) -> None:
    folder = _hubspot(tmp_path / "hs")
    tables = from_hubspot(folder, fields={"seats_purchased": "seats__c"}, as_of=AS_OF)
    accounts = tables.tables["accounts"]
    assert accounts["account_id"].tolist() == ["5001", "5002"]
    assert accounts["parent_id"].tolist() == ["", "5001"]
    assert accounts["seats_purchased"].tolist() == ["20.0", ""]
    # 24000 closed 02-01 (ISO) + 6000 closed 2026-06-01 (epoch milliseconds)
    assert accounts["arr"].tolist() == ["30000.0", ""]
    # the records of an indented JSON list are named by the line each starts on
    assert tables.origin("accounts", 0) == (str(folder / "companies.json"), 3)
    assert [i.reason.split(" (")[0] for i in tables.ignored] == [
        "open and lost deals add nothing to ARR",
        "an engagement that is not a meeting or an email",
    ]
    sig = _signals(read_sources({"hubspot": {"path": folder, "fields": {"seats_purchased": "seats__c"}}}))
    assert sig["5001"]["response_hours"] == pytest.approx(6.0)  # email out, the reply 6 hours later
    assert sig["5002"]["ticket_volume"] == pytest.approx(1 / 3)


def test_hubspot_csv_export_with_labels_in_the_portal_time_zone(tmp_path: Path) -> None:
    folder = tmp_path / "hs"
    _write(folder / "companies.csv", "Record ID,Company name,Type\n42,Gamma,CUSTOMER\n")
    _write(
        folder / "tickets.csv",
        "Record ID,Ticket name,Create Date,Associated Company IDs\n7,Slow,2026-06-10 09:00,42\n",
    )
    tables = from_hubspot(folder, timezone="Asia/Tokyo")
    assert tables.tables["accounts"]["name"].tolist() == ["Gamma"]
    assert tables.tables["tickets"]["opened_at"].tolist() == ["2026-06-10T00:00:00Z"]  # 09:00 JST


# --------------------------------------------------------------------------- Stripe


def _invoice(n: int, customer: str, currency: str, amount: int, due: int | None, paid: int | None, **more: Any) -> Any:
    return {
        "id": f"in_{n}",
        "object": "invoice",
        "customer": customer,
        "currency": currency,
        "amount_due": amount,
        "due_date": due,
        "created": (due or JUNE_30) - 30 * DAY,
        "status": more.pop("status", "paid" if paid else "open"),
        "status_transitions": {"finalized_at": more.pop("finalized", None), "paid_at": paid},
        "lines": {"object": "list", "data": [{"id": "il_1", "amount": amount}]},
        **more,
    }


def test_stripe_invoices_in_minor_units_and_epoch_seconds(tmp_path: Path) -> None:
    invoices = {
        "object": "list",
        "data": [
            _invoice(1, "cus_A", "jpy", 120000, JUNE_30 - 40 * DAY, JUNE_30 - 30 * DAY),  # 10 days late
            _invoice(2, "cus_A", "usd", 99950, JUNE_30 - 10 * DAY, None),  # unpaid, 10 days overdue
            _invoice(3, "cus_B", "kwd", 12345, None, JUNE_30 - 5 * DAY, finalized=JUNE_30 - 5 * DAY),  # on time
            _invoice(4, "cus_A", "usd", 500, JUNE_30, None, status="draft"),
            _invoice(5, "cus_Z", "usd", 500, JUNE_30 - 3 * DAY, None),  # no account for cus_Z
        ],
        "has_more": False,
        "url": "/v1/invoices",
    }
    path = _write(tmp_path / "invoices.json", json.dumps(invoices, indent=2))
    mapping = _write(tmp_path / "customers.csv", "stripe_customer,account_id\ncus_A,acme\ncus_B,beta\n")
    tables = from_stripe(path, mapping=mapping)
    inv = tables.tables["invoices"]
    assert inv["amount"].tolist() == ["120000.0", "999.5", "12.345"]  # yen as they are, cents, fils
    assert inv["due_date"].tolist()[2] == "2026-06-25T00:00:00Z"  # charged automatically: finalized_at
    assert [i.reason for i in tables.ignored] == ["a draft invoice is not owed"]
    (bad,) = tables.rejected
    assert (bad.column, bad.value, bad.reason) == ("customer", "cus_Z", f"customer 'cus_Z' is not in {mapping}")
    starts = [i + 1 for i, line in enumerate(json.dumps(invoices, indent=2).splitlines()) if line == "    {"]
    assert (bad.source, bad.line) == (str(path), starts[4])  # the line the fifth invoice starts on

    ex = read_sources(
        {"tables": _accounts("acme", "beta"), "stripe": {"path": path, "mapping": mapping}}, on_bad_rows="report"
    )
    sig = _signals(ex)
    # two invoices of acme, 10 days late each; beta on time
    assert sig["acme"]["payment_delay_days"] == pytest.approx(10.0)
    assert sig["beta"]["payment_delay_days"] == pytest.approx(0.0)


def test_a_stripe_json_list_names_each_invoice_by_its_line(tmp_path: Path) -> None:
    text = (
        '{\n  "object": "list",\n  "data": [\n    {"id": "in_1", "customer": "cus_A", "currency": "usd",\n'
        '     "amount_due": 100, "due_date": 1782777600, "status": "open"},\n'
        '    {"id": "in_2", "customer": "cus_A", "currency": "usd",\n'
        '     "amount_due": "lots", "due_date": 1782777600, "status": "open"}\n  ]\n}\n'
    )
    path = _write(tmp_path / "inv.json", text)
    (bad,) = from_stripe(path).rejected
    assert (bad.source, bad.line, bad.column, bad.value, bad.reason) == (
        str(path),
        6,
        "amount_due",
        "lots",
        "not a number",
    )


def test_currency_exponents() -> None:
    assert [currency_exponent(c) for c in ("usd", "eur", "JPY", "krw", "bhd")] == [2, 2, 0, 0, 3]


# --------------------------------------------------------------------------- Zendesk and Intercom


def test_zendesk_tickets_and_satisfaction_ratings(tmp_path: Path) -> None:
    doc = {
        "tickets": [
            {
                "id": 35436,
                "organization_id": 509974,
                "requester_id": 20978392,
                "created_at": "2026-06-01T10:00:00Z",
                "updated_at": "2026-06-03T10:00:00Z",
                "status": "solved",
                "priority": "high",
                "subject": "Help, my printer is on fire!",
                "description": "The fire is very colorful.",
                "satisfaction_rating": {"score": "good", "comment": "Thanks"},
            },
            {
                "id": 35437,
                "organization_id": 509974,
                "requester_id": 20978393,
                "created_at": "2026-06-10T10:00:00Z",
                "updated_at": "2026-06-12T10:00:00Z",
                "status": "open",
                "subject": "Still broken",
                "description": "Nothing works",
                "satisfaction_rating": {"score": "bad", "comment": "Slow"},
            },
            {
                "id": 35438,
                "organization_id": None,
                "created_at": "2026-06-11T10:00:00Z",
                "status": "new",
                "satisfaction_rating": {"score": "unoffered"},
            },
        ],
        "next_page": None,
        "count": 3,
    }
    path = _write(tmp_path / "tickets.json", json.dumps(doc, indent=2))
    mapping = {"509974": "acme"}
    tables = from_zendesk(path, mapping=mapping)
    tickets = tables.tables["tickets"]
    assert tickets["ticket_id"].tolist() == ["zendesk:35436", "zendesk:35437"]
    assert tickets["closed_at"].tolist() == ["2026-06-03T10:00:00Z", ""]
    assert tables.tables["surveys"]["value"].tolist() == ["5.0", "1.0"]
    (bad,) = tables.rejected
    assert (bad.column, bad.value) == ("organization_id", "")
    ex = read_sources(
        {"tables": _accounts("acme"), "zendesk": {"path": path, "mapping": mapping}}, on_bad_rows="report"
    )
    sig = _signals(ex)["acme"]
    assert sig["csat"] == pytest.approx(3.0)  # one good (5), one bad (1)
    assert sig["ticket_volume"] == pytest.approx(2 / 3)


def test_intercom_conversations_and_ratings(tmp_path: Path) -> None:
    doc = {
        "type": "conversation.list",
        "conversations": [
            {
                "type": "conversation",
                "id": "1295",
                "title": None,
                "created_at": JUNE_30 - 5 * DAY,
                "updated_at": JUNE_30 - 2 * DAY,
                "waiting_since": None,
                "state": "closed",
                "source": {"type": "conversation", "body": "<p>The export &amp; import <b>fail</b></p>"},
                "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c-1"}]},
                "statistics": {"type": "conversation_statistics", "last_close_at": JUNE_30 - 3 * DAY},
                "conversation_rating": {"rating": 4, "created_at": JUNE_30 - 2 * DAY, "contact": {"id": "c-1"}},
            },
            {
                "type": "conversation",
                "id": "1296",
                "created_at": JUNE_30 - 1 * DAY,
                "state": "open",
                "waiting_since": JUNE_30 - 1 * DAY,
                "source": {"body": "Hello?"},
                "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c-9"}]},
                "statistics": {"last_close_at": None},
                "conversation_rating": None,
            },
        ],
    }
    path = _write(tmp_path / "conversations.json", json.dumps(doc))
    tables = from_intercom(path, mapping={"c-1": "acme"})
    tickets = tables.tables["tickets"]
    assert tickets["text"].tolist() == ["The export & import fail"]
    assert tickets["closed_at"].tolist() == ["2026-06-27T00:00:00Z"]
    assert tables.tables["surveys"]["value"].tolist() == ["4.0"]
    (bad,) = tables.rejected
    assert (bad.column, bad.value, bad.reason) == ("contacts", "c-9", "contacts 'c-9' is not in the intercom mapping")


# --------------------------------------------------------------------------- Amplitude and Mixpanel


def _gz_lines(events: list[dict[str, Any]]) -> bytes:
    return gzip.compress("".join(json.dumps(e) + "\n" for e in events).encode())


def _amp(user: str, day: int, n: int, company: str = "acme", event: str = "report_viewed") -> dict[str, Any]:
    when = f"2026-06-{day:02d} 10:00:00.{n:06d}"
    return {
        "$insert_id": f"{user}-{day}-{n}",
        "uuid": f"u-{user}-{day}-{n}",
        "user_id": user,
        "device_id": f"d-{user}",
        "event_type": event,
        "event_time": when,
        "server_upload_time": when,
        "groups": {"company": [company]},
        "event_properties": {},
    }


def test_amplitude_zip_of_gzipped_json_lines_with_late_uploads_read_once(tmp_path: Path) -> None:
    first = [_amp("u1", 1, 0), _amp("u1", 2, 0), _amp("u2", 2, 1, event="dashboard_shared")]
    late = [_amp("u1", 2, 0), _amp("u3", 20, 0)]  # u1's 06-02 event again, in the next range
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("187520/187520_2026-06-02_10#0.json.gz", _gz_lines(first))
        archive.writestr("187520/187520_2026-06-20_10#0.json.gz", _gz_lines(late))
    path = tmp_path / "export.zip"
    path.write_bytes(buffer.getvalue())
    tables = from_amplitude(path, group_type="company", mapping={"acme": "A-1"})
    assert tables.tables["events"]["account_id"].tolist() == ["A-1"] * 4
    (ignored,) = tables.ignored
    assert (ignored.rows, ignored.source) == (1, f"{path}:187520/187520_2026-06-20_10#0.json.gz")
    assert tables.origin("events", 3) == (f"{path}:187520/187520_2026-06-20_10#0.json.gz", 2)

    amplitude = {"path": path, "group_type": "company", "mapping": {"acme": "A-1"}}
    ex = read_sources({"tables": _accounts("A-1", seats="10"), "amplitude": amplitude})
    sig = _signals(ex)["A-1"]
    assert sig["penetration"] == pytest.approx(0.3)  # u1, u2, u3 active in the 30 days to 06-30, of 10 seats
    assert sig["days_since_last_login"] == 10  # 06-20
    assert sig["feature_breadth"] == pytest.approx(1.0)  # both features seen


def test_mixpanel_raw_export_deduplicated_and_grouped(tmp_path: Path) -> None:
    lines = [
        {
            "event": "Signed up",
            "properties": {"time": JUNE_30 - DAY, "distinct_id": "u1", "$insert_id": "a", "org": "o1"},
        },
        {
            "event": "Signed up",
            "properties": {"time": JUNE_30 - DAY, "distinct_id": "u1", "$insert_id": "a", "org": "o1"},
        },
        {"event": "Report", "properties": {"time": (JUNE_30 - DAY) * 1000, "distinct_id": "u2", "org": "o1"}},
        {"event": "Report", "properties": {"time": JUNE_30, "distinct_id": "u3", "org": "o404"}},
    ]
    path = _write(tmp_path / "export.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    tables = from_mixpanel(path, group_key="org", mapping={"o1": "acme"})
    events = tables.tables["events"]
    assert events["user_id"].tolist() == ["u1", "u2"]
    assert events["timestamp"].tolist() == ["2026-06-29T00:00:00Z"] * 2  # seconds and milliseconds alike
    assert [i.rows for i in tables.ignored] == [1]
    (bad,) = tables.rejected
    assert (bad.line, bad.column, bad.value) == (4, "properties.org", "o404")
    shifted = from_mixpanel(path, group_key="org", mapping={"o1": "acme"}, timezone="Asia/Tokyo")
    assert shifted.tables["events"]["timestamp"].tolist()[0] == "2026-06-28T15:00:00Z"


# --------------------------------------------------------------------------- several tools, files, the command line


def test_a_sources_file_with_relative_paths_and_mappings(tmp_path: Path) -> None:
    _salesforce(tmp_path / "salesforce")
    invoices = {"data": [_invoice(1, "cus_A", "usd", 1000, JUNE_30 - 20 * DAY, JUNE_30 - 20 * DAY)]}
    _write(tmp_path / "stripe" / "invoices.json", json.dumps(invoices))
    _write(tmp_path / "stripe_customers.csv", f"customer,account_id\ncus_A,{ACME15}\n")  # a 15-character id
    spec = _write(
        tmp_path / "sources.toml",
        '[salesforce]\npath = "salesforce"\nfields = { segment = "Segment__c" }\n\n'
        '[stripe]\npath = "stripe"\nmapping = "stripe_customers.csv"\n',
    )
    loaded = load_sources_file(spec)
    assert loaded["stripe"]["mapping"] == str(tmp_path / "stripe_customers.csv")
    collected = collect_sources(spec, as_of=AS_OF)
    assert collected.tables["invoices"]["account_id"].tolist() == [ACME18]  # read as the 18-character id
    sig = _signals(collected.to_exports())
    assert sig[ACME18]["payment_delay_days"] == 0.0
    assert math.isnan(sig[BETA18]["payment_delay_days"])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[stripee]\npath = "x"\n', r"unknown tool \[stripee\].*did you mean \[stripe\]"),
        ("[stripe]\nmapping = 'm.csv'\n", r"\[stripe\] needs path"),
        ('[stripe]\npath = "x"\nmapping = 3\n', r"\[stripe\] mapping must be text or a table, got 3"),
    ],
)
def test_a_bad_sources_file_names_the_key(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        load_sources_file(_write(tmp_path / "sources.toml", text))


def test_an_unknown_option_names_the_allowed_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown option 'maping' for stripe \(allowed: mapping\)"):
        collect_sources({"stripe": {"path": tmp_path, "maping": "x.csv"}})
    with pytest.raises(InputError, match="the sources give no accounts"):
        collect_sources({"stripe": {"path": {"data": []}}}).to_exports()


def test_unknown_accounts_are_traced_to_the_tool_file(tmp_path: Path) -> None:
    _salesforce(tmp_path / "sf")
    invoices = {"data": [_invoice(1, "cus_A", "usd", 1000, JUNE_30, None)]}
    path = _write(tmp_path / "inv.json", json.dumps(invoices))
    with pytest.raises(InputError, match=r"inv\.json line 1, column 'account_id': unknown account_id.*'cus_A'"):
        read_sources({"salesforce": tmp_path / "sf", "stripe": path})


def test_cli_score_and_signals_from_sources(tmp_path: Path) -> None:
    sf = _salesforce(tmp_path / "sf")
    mapping = _write(tmp_path / "zd.csv", f"organization_id,account_id\n509974,{ACME18}\n")
    tickets = {"tickets": [{"id": 1, "organization_id": 1, "created_at": "2026-06-01T00:00:00Z", "status": "new"}]}
    zd = _write(tmp_path / "zendesk.json", json.dumps(tickets))
    spec = _write(tmp_path / "sources.toml", f'[zendesk]\npath = "{zd.name}"\nmapping = "{mapping.name}"\n')
    out, err = io.StringIO(), io.StringIO()
    scored = tmp_path / "scored.csv"
    argv = ["score", "--source", f"salesforce={sf}", "--sources", str(spec), "--as-of", AS_OF, "-o", str(scored)]
    assert main([*argv, "--on-bad-rows", "report"], stdout=out, stderr=err) == 0, err.getvalue()
    assert sorted(line.split(",")[0] for line in scored.read_text().splitlines()[1:]) == [ACME18, BETA18]
    rejected = (tmp_path / "scored.csv.rejected.csv").read_text()
    assert "zendesk.json,1,organization_id,1,organization_id '1' is not in" in rejected
    assert "note: salesforce: 1 row(s) not read:" in err.getvalue()  # what the mapping reads nothing from, said
    err = io.StringIO()
    assert main(argv, stdout=out, stderr=err) == 2
    assert "zendesk.json line 1, column 'organization_id'" in err.getvalue()
    signals = tmp_path / "signals.csv"
    args = ["signals", "--source", f"salesforce={sf}", "--as-of", AS_OF, "-o", str(signals)]
    with pytest.warns(UserWarning, match="no analyser is set"):  # the case texts: the signals command says so
        assert main(args, stdout=out, stderr=io.StringIO()) == 0
    assert signals.read_text().count("\n") == 3
    err = io.StringIO()
    assert main(["signals", "--source", "salesforc=x", "--as-of", AS_OF, "-o", "-"], stdout=out, stderr=err) == 2
    assert "unknown tool 'salesforc'" in err.getvalue()


def test_cli_needs_an_input_or_a_source(tmp_path: Path) -> None:
    err = io.StringIO()
    assert main(["score", "-o", str(tmp_path / "s.csv")], stdout=io.StringIO(), stderr=err) == 2
    assert "score needs INPUT.csv or EXPORTS, or --source/--sources" in err.getvalue()
    err = io.StringIO()
    assert main(["score", "--source", "stripe", "-o", "-", "--as-of", AS_OF], stdout=io.StringIO(), stderr=err) == 2
    assert "--source takes TOOL=PATH, got 'stripe'" in err.getvalue()


def test_broken_json_lines_name_the_line(tmp_path: Path) -> None:
    good = json.dumps({"event": "a", "properties": {"time": JUNE_30, "distinct_id": "u"}})
    path = _write(tmp_path / "export.jsonl", f"{good}\n{good}\n{{not json\n")
    with pytest.raises(InputError, match=r"export\.jsonl line 3: not valid JSON"):
        from_mixpanel(path)


def test_a_date_without_dashes_is_not_read_as_an_epoch(tmp_path: Path) -> None:
    invoice = _invoice(1, "cus_A", "usd", 100, None, None)
    invoice["due_date"] = "20260630"
    (bad,) = from_stripe({"data": [invoice]}).rejected
    assert (bad.source, bad.line, bad.column, bad.value) == ("<stripe>", 1, "due_date", "20260630")
    assert "epoch seconds from 100,000,000" in bad.reason


_STATUS = st.sampled_from(["open", "paid", "draft", "void", "uncollectible"])


@given(st.lists(st.tuples(_STATUS, st.sampled_from(["cus_A", "cus_B", "cus_Z", ""]), st.booleans()), max_size=30))
def test_every_invoice_is_read_counted_or_reported(rows: list[tuple[str, str, bool]]) -> None:
    invoices = [
        {
            **_invoice(i, customer, "usd", 100, JUNE_30 - i * DAY, None, status=status),
            **({} if ok else {"amount_due": "x"}),
        }
        for i, (status, customer, ok) in enumerate(rows)
    ]
    tables = from_stripe({"data": invoices}, mapping={"cus_A": "acme", "cus_B": "beta"})
    ignored = sum(i.rows for i in tables.ignored)
    assert tables.rows("invoices") + ignored + len(tables.rejected) == len(rows)
    assert ignored == sum(status in ("draft", "void") for status, _, _ in rows)
    lines = [r.line for r in tables.rejected] + [
        tables.origin("invoices", i)[1] for i in range(tables.rows("invoices"))
    ]
    assert len(set(lines)) == len(lines)  # no invoice is both read and reported


def test_amplitude_times_parsed_together_keep_the_one_rule(tmp_path: Path) -> None:
    events = [_amp("u1", 1, 0), {**_amp("u1", 2, 0), "event_time": "06/02/2026 10:00"}, _amp("u2", 3, 0)]
    events[2]["event_time"] = "2026-06-03T10:00:00+09:00"
    path = tmp_path / "1_2026-06-03_10#0.json.gz"
    path.write_bytes(_gz_lines(events))
    tables = from_amplitude(path)
    assert tables.tables["events"]["timestamp"].tolist() == ["2026-06-01T10:00:00Z", "2026-06-03T01:00:00Z"]
    (bad,) = tables.rejected
    assert (bad.line, bad.column, bad.value) == (2, "event_time", "06/02/2026 10:00")


def test_salesforce_email_messages_related_to_a_case_answer_an_outreach(tmp_path: Path) -> None:
    folder = _salesforce(tmp_path / "sf")
    _write(
        folder / "EmailMessage.csv",
        _csv(
            "Id,RelatedToId,Incoming,MessageDate,Subject",
            f"02sA00000001aaa|{ACME15}|false|2026-06-20T09:00:00.000Z|Checking in",
            "02sA00000001aab|500A00000001aaa|true|2026-06-20T13:30:00.000Z|Re: Checking in",  # on acme's case
            "02sA00000001aac|003A00000001aaa|true|2026-06-21T09:00:00.000Z|A contact's",
        ),
    )
    tables = from_salesforce(folder)
    (bad,) = tables.rejected
    assert (Path(bad.source).name, bad.line, bad.column) == ("EmailMessage.csv", 4, "RelatedToId")
    ex = read_sources({"salesforce": folder}, as_of=AS_OF, on_bad_rows="report")
    sig = _signals(ex)[ACME18]
    # the 06-20 email was answered in 4.5 h; the Task email of 06-25 is unanswered but younger than 14 days
    assert sig["response_hours"] == pytest.approx(4.5)


def test_stripe_csv_with_the_api_field_names(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "invoices.csv",
        _csv(
            "id,customer,currency,amount_due,due_date,status,status_transitions.paid_at",
            f"in_1|cus_A|eur|2599|{JUNE_30 - 9 * DAY}|paid|{JUNE_30 - 2 * DAY}",
            "in_2|cus_A|eur|100||open|",
        ),
    )
    tables = from_stripe(path)
    assert tables.tables["invoices"]["paid_date"].tolist() == ["2026-06-28T00:00:00Z"]
    assert tables.tables["invoices"]["amount"].tolist() == ["25.99"]
    (bad,) = tables.rejected  # no due_date, finalized_at or created
    assert (bad.line, bad.column, bad.reason) == (3, "due_date", "empty; a time is required")


def test_intercom_key_from_a_custom_attribute() -> None:
    doc = [{"id": "1", "created_at": JUNE_30, "state": "open", "custom_attributes": {"account_id": "acme"}}]
    tables = from_intercom(doc, key="custom_attributes.account_id")
    assert tables.tables["tickets"]["account_id"].tolist() == ["acme"]


def test_salesforce_email_to_case_messages_name_their_case_in_parent_id(tmp_path: Path) -> None:
    """EmailMessage.ParentId is the parent case (Email-to-Case); RelatedToId, where set, wins."""
    folder = _salesforce(tmp_path / "sf")
    _write(
        folder / "EmailMessage.csv",
        _csv(
            "Id,RelatedToId,ParentId,Incoming,MessageDate,Subject",
            f"02sA00000001aaa|{ACME15}||false|2026-06-20T09:00:00.000Z|Checking in",
            "02sA00000001aab||500A00000001aaa|true|2026-06-20T13:30:00.000Z|Re: Checking in",  # acme's case
            "02sA00000001aac|||true|2026-06-21T09:00:00.000Z|Nowhere",
        ),
    )
    tables = from_salesforce(folder)
    (bad,) = tables.rejected
    assert (Path(bad.source).name, bad.line, bad.column) == ("EmailMessage.csv", 4, "RelatedToId")
    sig = _signals(read_sources({"salesforce": folder}, as_of=AS_OF, on_bad_rows="report"))[ACME18]
    assert sig["response_hours"] == pytest.approx(4.5)


def test_salesforce_contracts_are_read_by_their_status_code_when_the_export_has_it(tmp_path: Path) -> None:
    """Contract.Status is a label an admin may rename; StatusCode is Draft, InApproval or Activated."""
    folder = _salesforce(tmp_path / "sf")
    _write(
        folder / "Contract.csv",
        "Id,AccountId,Status,StatusCode,StartDate,ContractTerm\n"
        f"800A00000001aaa,{ACME15},In force,Activated,2025-03-01,12\n"
        f"800A00000001aab,{ACME15},In force,Activated,2026-03-01,24\n"
        f"800A00000001aac,{BETA15},Activated,Draft,2026-04-01,36\n",
    )
    accounts = from_salesforce(folder).tables["accounts"]
    terms = {str(a): str(t) for a, t in zip(accounts["account_id"], accounts["contract_term_months"], strict=True)}
    assert float(terms[ACME18]) == 24.0  # the latest activated one, whatever its label
    assert terms[BETA18] == ""  # a draft, though its label says Activated


def test_hubspot_forwarded_emails_and_custom_pipeline_stages(tmp_path: Path) -> None:
    """FORWARDED_EMAIL is a v1 email type of its own; a custom pipeline's stage ids are numbers, so a won
    deal there is known by ``hs_is_closed_won``."""
    folder = _hubspot(tmp_path / "hs")
    engagements = [
        {"engagement": {"id": 1, "type": "EMAIL", "timestamp": 1782302400000}, "associations": {"companyIds": [5001]}},
        {
            "engagement": {"id": 4, "type": "FORWARDED_EMAIL", "timestamp": 1782302400000 + 3600 * 1000},
            "associations": {"companyIds": [5001]},
        },
    ]
    _write(folder / "engagements.json", json.dumps(engagements))
    deals = {
        "results": [
            {
                "id": "9101",
                "properties": {
                    "amount": "5000",
                    "dealstage": "110382973",
                    "hs_is_closed_won": "true",
                    "closedate": "2026-05-01T00:00:00.000Z",
                },
                "associations": {"companies": {"results": [{"id": "5002"}]}},
            }
        ]
    }
    _write(folder / "deals.json", json.dumps(deals))
    tables = from_hubspot(folder, as_of=AS_OF)
    assert tables.tables["accounts"]["arr"].tolist() == ["", "5000.0"]
    assert [r["kind"] for r in _rows(tables.tables["crm_activities"])] == ["email_out"]
    assert [i.reason for i in tables.ignored] == ["a forwarded email is neither an outreach nor a reply"]


def _rows(columns: dict[str, Any]) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
