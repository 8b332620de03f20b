"""recordSteps' validation loop: the fast path (values seen valid before in the batch, checked
inline) gives exactly what the field-by-field path gives, for any batch, well formed or not."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.security import IdentityVault
from app.services.ingest import validate

TODAY = date(2026, 12, 1)
VAULT = IdentityVault(b"hash-key", b"k" * 32)

# Each field's values: mostly valid ones (repeated, as in real batches), and every kind of
# problem the checks know: wrong types, blanks, spaces, lower case, NUL, bad codes and dates.
ODD = [None, "", "  ", 7, 1.5, True, [], ["x"], {"a": 1}, "a\x00b"]
FIELDS = {
    "eventId": ["e1", "e2", "e3", " e4 ", "e5", "x" * 100, "x" * 101, *ODD],
    "uai": ["0751234J", "0750654D", " 0751234j", "0751234A", "075123", *ODD],
    "ine": ["123456789AB", "1234567890A", "1234A12345B", "123456789ab", " 123456789AB ", "12345", *ODD],
    "nir": ["199997500001", "1 99 99 75 000 01", "2990175123456", "123", None, None, None, None, *ODD],
    "certification": ["50022141", "RNCP35185", "rncp 35.185", "35185", "5002214", *ODD],
    "step": ["REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "MEETING", " APPRENTICE ", "registered", "LEFT", *ODD],
    "effectiveDate": [(TODAY - timedelta(days=d)).isoformat() for d in (1, 30, 400)]
    + [(TODAY + timedelta(days=1)).isoformat(), (TODAY + timedelta(days=2)).isoformat(), "1999-12-31", "2026-02-30",
       "20260105", "2026-01-05T00:00", *ODD],
    "portal": ["PARCOURSUP", "AFFELNET", " PARCOURSUP", "parcoursup", "OTHER", None, None, None, *ODD],
    "portalWishId": ["w1", "w2", " w3 ", "w" * 101, None, None, None, *ODD],
    "contractStart": ["2026-01-05", "2025-09-01", "2026-13-01", None, None, None, None, *ODD],
    "contractEnd": ["2026-06-30", "2025-10-01", "2025-08-01", "nope", None, None, None, None, *ODD],
    "learnerRef": ["APP-1", "APP-2", " APP-1 ", "x" * 65, "a\x01b", None, None, None, *ODD],
}

GOOD = {
    "uai": ["0751234J", "0750654D"],
    "ine": ["123456789AB", "1234567890A", "1234A12345B", "987654321CD"],
    "certification": ["50022141", "RNCP35185"],
    "step": ["REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "MEETING"],
    "effectiveDate": [(TODAY - timedelta(days=d)).isoformat() for d in (1, 30, 400)],
}
@st.composite
def valid_record(draw) -> dict:
    record = {"eventId": f"e{draw(st.integers(0, 60))}"} | {name: draw(st.sampled_from(v)) for name, v in GOOD.items()}
    if draw(st.booleans()):
        record["portal"], record["portalWishId"] = draw(st.sampled_from(["PARCOURSUP", "AFFELNET"])), draw(st.sampled_from(["w1", "w2"]))
    if draw(st.integers(0, 3)) == 0:  # a learner reference, with or without the INE
        record["learnerRef"] = draw(st.sampled_from(["APP-1", "APP-2", "L 3"]))
        if draw(st.booleans()):
            del record["ine"]
    if record["step"] in ("APPRENTICE", "CONTRACT_BROKEN") and draw(st.booleans()):
        record["contractStart"] = draw(st.sampled_from(["2025-09-01", "2026-01-05"]))
        record["contractEnd"] = draw(st.sampled_from(["2025-10-01", "2026-06-30", "2028-06-30"]))
    return record


@st.composite
def spoiled_record(draw) -> dict:
    """A valid record with one field changed (or dropped, or one added) to any value the checks know."""
    record = draw(valid_record())
    name = draw(st.sampled_from(sorted(record)) if draw(st.integers(0, 4)) else st.sampled_from([*FIELDS, "extra"]))
    if name == "extra":
        record["extra"] = 1
    elif draw(st.booleans()) and name in record:
        del record[name]
    else:
        record[name] = draw(st.sampled_from(FIELDS[name]))
    return record


any_record = st.fixed_dictionaries({}, optional={name: st.sampled_from(values) for name, values in FIELDS.items()})
batch = st.lists(
    st.one_of(valid_record(), valid_record(), valid_record(), spoiled_record(), any_record, st.sampled_from([None, 3, "x", ["eventId"]])),
    max_size=40,
)


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(records=batch, nir_hmac=st.booleans())
def test_the_fast_path_answers_as_the_field_by_field_checks(records, nir_hmac):
    fast = validate(records, VAULT, nir_hmac=nir_hmac, today=TODAY)
    reference = validate(records, VAULT, nir_hmac=nir_hmac, today=TODAY, fast=False)
    assert fast[0] == reference[0]
    assert fast[1] == reference[1]


def test_a_clean_batch_is_all_valid_and_its_problems_come_in_input_order():
    records = [
        {"eventId": f"e{i}", "uai": "0751234J", "ine": f"{i % 7:09d}AB", "certification": "50022141",
         "step": "APPRENTICE", "effectiveDate": "2026-09-01", "contractStart": "2026-09-01", "contractEnd": "2028-06-30"}
        for i in range(50)
    ]
    records[10]["uai"] = "0751234A"
    records[20]["contractEnd"] = "2026-08-01"
    records[30]["eventId"] = "e29"
    valid, result = validate(records, VAULT, nir_hmac=False, today=TODAY)
    assert len(valid) == 47 and [v.index for v in valid] == [i for i in range(50) if i not in (10, 20, 30)]
    assert [(e.index, e.field, e.code) for e in result.rejected] == [
        (10, "uai", "INVALID_UAI"), (20, "contractEnd", "INVALID_DATE"), (30, "eventId", "DUPLICATE_IN_BATCH"),
    ]
    # the content hash leaves the eventId out: 7 youths, the same step and dates
    assert len({v.content_hash for v in valid}) == len({v.identity.ine_hash for v in valid}) == 7


BASES = [
    {"eventId": "e1", "uai": "0751234J", "ine": "123456789AB", "certification": "50022141", "step": "REGISTERED",
     "effectiveDate": "2026-09-01"},
    {"eventId": "e1", "uai": "0751234J", "ine": "123456789AB", "certification": "50022141", "step": "APPRENTICE",
     "effectiveDate": "2026-01-05", "contractStart": "2026-01-05", "contractEnd": "2026-06-30"},
    {"eventId": "e1", "uai": "0751234J", "ine": "123456789AB", "certification": "RNCP35185", "step": "CONTRACT_BROKEN",
     "effectiveDate": "2025-10-01", "contractStart": "2025-09-01", "contractEnd": "2025-10-01",
     "portal": "PARCOURSUP", "portalWishId": "w1"},
]


def spoiled_batches():
    """Every single-field change of each base record (each value the checks know, or the field
    dropped), alone, after the base (its values then seen), and twice."""
    for base in BASES:
        for name in [*FIELDS, "extra"]:
            for value in [*FIELDS.get(name, [1]), "<drop>"]:
                spoiled = dict(base)
                if value == "<drop>":
                    spoiled.pop(name, None)
                else:
                    spoiled[name] = value
                warm = dict(base, eventId="e0")
                yield [spoiled]
                yield [warm, spoiled]
                yield [warm, spoiled, dict(spoiled)]


def test_every_single_field_change_gets_the_same_answer_on_both_paths():
    count = 0
    for records in spoiled_batches():
        for nir_hmac in (False, True):
            fast = validate(records, VAULT, nir_hmac=nir_hmac, today=TODAY)
            reference = validate(records, VAULT, nir_hmac=nir_hmac, today=TODAY, fast=False)
            assert fast == reference, records
            count += 1
    assert count > 1_000


def test_the_content_hash_keeps_its_first_definition():
    """Stored events are compared with it: sha256 of uai|ine hash|nir hash|certification|step|
    effective date|portal|wish|contract start|contract end, dates in ISO form."""
    import hashlib

    record = {"eventId": "e1", "uai": "0751234j", "ine": " 123456789ab", "certification": "rncp 35.185",
              "step": "APPRENTICE", "effectiveDate": "2026-01-05", "contractStart": "2026-01-05",
              "contractEnd": "20260630", "portal": "PARCOURSUP", "portalWishId": "w1"}
    for fast in (True, False):
        [valid], _ = validate([record, dict(record, eventId="e2")][:1], VAULT, nir_hmac=False, today=TODAY, fast=fast)
        ine_hash = VAULT.hash_ine("123456789AB").hex()
        expected = f"0751234J|{ine_hash}||RNCP35185|APPRENTICE|2026-01-05|PARCOURSUP|w1|2026-01-05|2026-06-30"
        assert valid.content_hash == hashlib.sha256(expected.encode()).digest()
