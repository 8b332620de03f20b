"""Identifier rules of DOMAIN.md: normalise, then validate.

Every checker takes the raw text and returns either the normalised value (``str``) or an
:class:`Invalid` with a stable code and a message. Messages never repeat the value: an INE
or a NIR must not travel into logs or stored rejections.

Callers in batch loops test ``isinstance(result, Invalid)``; no exception is raised for
bad input, which keeps 2,000-record validation in one tight loop.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

from stdnum import exceptions as stdnum_errors
from stdnum.fr import nir as stdnum_nir
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

MAX_ID_LENGTH = 100  # the senders' own ids (eventId, portalWishId, offerRef): 1 to 100 characters


class Invalid(NamedTuple):
    code: str
    message: str


class CertificationKind(StrEnum):
    CFD = "CFD"
    RNCP = "RNCP"


UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: I, O and Q are left out

_SPACES = re.compile(r"\s+")
_RNCP_NOISE = re.compile(r"[\s.\-]+")
_UAI = re.compile(r"^\d{7}[A-Z]$", re.ASCII)
_INE_FORMATS = (
    re.compile(r"^\d{9}[A-Z]{2}$", re.ASCII),  # RNIE
    re.compile(r"^\d{10}[A-Z]$", re.ASCII),  # BEA
    re.compile(r"^\d{4}A\d{5}[A-Z]$", re.ASCII),  # apprentissage
)
# Every identifier is ASCII: with re.ASCII, \d is [0-9] (Python's \d also takes other scripts'
# digits, e.g. full-width ones, which int() then reads as numbers).
_INE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in _INE_FORMATS), re.ASCII)
_CFD = re.compile(r"^[A-Z0-9]{3}\d{3}[A-Z0-9]{2}$", re.ASCII)
_RNCP = re.compile(r"^RNCP\d{3,5}$", re.ASCII)
_RNCP_DIGITS = re.compile(r"^\d{3,5}$", re.ASCII)
_DEPARTMENT = re.compile(r"^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-8]|98[4-9])$", re.ASCII)  # no "20" since 1976


def _compact(value: str) -> str:
    if value.isalnum():  # no space to remove: the common case, without the regular expression
        return value.upper()
    return _SPACES.sub("", value).upper()


def uai_check_letter(first_seven_digits: str) -> str:
    return UAI_LETTERS[int(first_seven_digits) % 23]


def check_uai(value: str) -> str | Invalid:
    """UAI: 7 digits and a check letter; lower case and spaces accepted; 7 characters left-padded."""
    uai = _compact(value)
    if len(uai) == 7:
        uai = "0" + uai
    if not _UAI.match(uai):
        return Invalid("INVALID_UAI", "a UAI is 7 digits followed by a check letter, e.g. 0751234J")
    expected = uai_check_letter(uai[:7])
    if uai[7] != expected:
        return Invalid("INVALID_UAI", f"the UAI check letter should be {expected}")
    return uai


def check_siret(value: str) -> str | Invalid:
    """SIRET: 14 digits, Luhn over all 14 (La Poste, 356000000…: digit sum divisible by 5)."""
    siret = _compact(value)
    if not (siret.isascii() and siret.isdigit()) or len(siret) != 14:
        return Invalid("INVALID_SIRET", "a SIRET is 14 digits")
    try:
        return stdnum_siret.validate(siret)
    except stdnum_errors.ValidationError:
        return Invalid("INVALID_SIRET", "the SIRET check digit is wrong (Luhn)")


def check_siren(value: str) -> str | Invalid:
    siren = _compact(value)
    if not (siren.isascii() and siren.isdigit()) or len(siren) != 9:
        return Invalid("INVALID_SIREN", "a SIREN is 9 digits")
    try:
        return stdnum_siren.validate(siren)
    except stdnum_errors.ValidationError:
        return Invalid("INVALID_SIREN", "the SIREN check digit is wrong (Luhn)")


def is_normal_ine(value: str) -> bool:
    """Whether ``value`` is an INE as :func:`check_ine` returns one (no space, upper case): a
    shortcut for batch loops, whose INEs mostly come that way; any other value goes through
    :func:`check_ine`."""
    return len(value) == 11 and _INE.fullmatch(value) is not None


def check_ine(value: str) -> str | Invalid:
    """INE: format only, one of RNIE (9 digits + 2 letters), BEA (10 digits + letter) or
    apprentissage (4 digits, A, 5 digits, letter)."""
    ine = _compact(value)
    if _INE.match(ine):
        return ine
    return Invalid(
        "INVALID_INE",
        "an INE is 9 digits + 2 letters (RNIE), 10 digits + 1 letter (BEA) "
        "or 4 digits + A + 5 digits + 1 letter (apprentissage)",
    )


MAX_LEARNER_REF = 64


def check_learner_ref(value: str) -> str | Invalid:
    """A CFA software's id of a learner (``learnerRef``): 1 to 64 characters (stripped), none a
    control character (C0, DEL, C1); kept as given otherwise (its case and inner spaces count)."""
    ref = value.strip()
    if not ref or len(ref) > MAX_LEARNER_REF or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in ref):
        return Invalid("INVALID_LEARNER_REF", f"a learnerRef is 1 to {MAX_LEARNER_REF} characters, without control characters")
    return ref


def check_nir(value: str) -> str | Invalid:
    """NIR: 13 characters and a 2-digit key = 97 - (first 13 mod 97); 2A reads 19, 2B 18."""
    nir = _compact(value)
    if len(nir) != 15:
        return Invalid("INVALID_NIR", "a NIR is 13 characters followed by a 2-digit key")
    try:
        return stdnum_nir.validate(nir)
    except stdnum_errors.InvalidChecksum:
        return Invalid("INVALID_NIR", "the NIR key does not match")
    except stdnum_errors.ValidationError:
        return Invalid("INVALID_NIR", "a NIR is 13 characters followed by a 2-digit key")


class Certification(NamedTuple):
    code: str
    kind: CertificationKind


def check_certification(value: str) -> Certification | Invalid:
    """CFD (8 characters, e.g. 50022141) or RNCP ("RNCP" + 3 to 5 digits).

    RNCP codes are normalised: upper case, spaces, dots and dashes removed, "RNCP" added to
    bare digits ("rncp 34.567" and "34567" give "RNCP34567").
    """
    compact = _compact(value)
    if _CFD.match(compact):
        return Certification(compact, CertificationKind.CFD)
    rncp = _RNCP_NOISE.sub("", compact)
    if _RNCP_DIGITS.match(rncp):
        rncp = "RNCP" + rncp
    if _RNCP.match(rncp):
        return Certification(rncp, CertificationKind.RNCP)
    return Invalid(
        "INVALID_CERTIFICATION",
        "a certification is a CFD code (8 characters, e.g. 50022141) or an RNCP code "
        "(RNCP followed by 3 to 5 digits)",
    )


def check_department_code(value: str) -> str | Invalid:
    """INSEE department code: "01"…"95", "2A", "2B", "971"…"978", "984"…"989".

    A single digit is left-padded ("1" gives "01"). Whether the code exists is a fact of the
    reference data, checked against the database.
    """
    code = _compact(value)
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    if not _DEPARTMENT.match(code):
        return Invalid("INVALID_DEPARTMENT", "a department code is like 01, 75, 2A or 971")
    return code


def stored_id(value: str) -> int | None:
    """The id of a stored row (an offer's, given back by the API as an ``ID``): ASCII digits that
    fit PostgreSQL's bigint; None for anything else (``"٣"``, ``"1e3"``, 20 digits)."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)
