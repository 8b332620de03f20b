"""Table tests of the identifier rules of DOMAIN.md (pure, no database)."""

from __future__ import annotations

import pytest
from stdnum.fr import siret as stdnum_siret

from app.domain.identifiers import (
    CertificationKind,
    Invalid,
    check_certification,
    check_department_code,
    check_ine,
    check_learner_ref,
    check_nir,
    check_siren,
    check_siret,
    check_uai,
    uai_check_letter,
)


def nir_key(first13: str) -> str:
    """The NIR key computed independently: 97 - (n mod 97), 2A read 19 and 2B 18."""
    digits = first13.replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


# Synthetic NIRs: month 99 or 20+ (no real birth month), never a real person's.
SYNTHETIC_NIR = "1999975123456"
SYNTHETIC_NIR_CORSICA_A = "299992A123456"
SYNTHETIC_NIR_CORSICA_B = "199992B123456"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0750654D", "0750654D"),
        ("0751234J", "0751234J"),
        ("6200002H", "6200002H"),  # Corsica 2A
        ("0751234j", "0751234J"),  # lower case
        (" 075 1234 J ", "0751234J"),  # spaces
        ("751234J", "0751234J"),  # 7 characters: left-padded
        ("\t0750654d\n", "0750654D"),
    ],
)
def test_uai_valid_values_are_normalised(raw, expected):
    assert check_uai(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("0751234A", "check letter should be J"),
        ("0750654E", "check letter should be D"),
        ("075123J", "check letter should be F"),  # 7 characters: read as 0075123J
        ("07512J", "7 digits followed by a check letter"),
        ("07512345J", "7 digits"),
        ("075123AJ", "7 digits"),
        ("07512345", "7 digits"),
        ("", "7 digits"),
        ("ABCDEFGH", "7 digits"),
        ("0751234I", "check letter"),  # I is never a check letter
    ],
)
def test_uai_invalid_values_are_refused_with_a_reason(raw, message_part):
    result = check_uai(raw)
    assert isinstance(result, Invalid)
    assert result.code == "INVALID_UAI"
    assert message_part in result.message


def test_uai_check_letters_follow_the_23_letter_alphabet_for_every_residue():
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ"
    for residue in range(23):
        seven = f"{residue:07d}"
        assert uai_check_letter(seven) == alphabet[residue]
        assert check_uai(seven + alphabet[residue]) == seven + alphabet[residue]
        wrong = alphabet[(residue + 1) % 23]
        assert isinstance(check_uai(seven + wrong), Invalid)


def _luhn_complete(body: str) -> str:
    for digit in "0123456789":
        candidate = body + digit
        total = 0
        for position, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # a well-known valid example
        _luhn_complete("7328293200001"),
        "35600000000048",  # La Poste head office (Luhn)
        "35600000049837",  # La Poste establishment: digit sum 45, divisible by 5
    ],
)
def test_siret_valid(siret):
    assert check_siret(siret) == siret
    assert stdnum_siret.is_valid(siret)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("73282932000075", "Luhn"),
        ("35600000049838", "Luhn"),  # La Poste, digit sum 46
        ("7328293200007", "14 digits"),
        ("732829320000745", "14 digits"),
        ("7328293200007A", "14 digits"),
    ],
)
def test_siret_invalid(raw, reason):
    result = check_siret(raw)
    assert isinstance(result, Invalid) and result.code == "INVALID_SIRET"
    assert reason in result.message


def test_siret_accepts_spaces():
    assert check_siret("732 829 320 00074") == "73282932000074"


@pytest.mark.parametrize(("raw", "valid"), [("732829320", True), ("732829321", False), ("73282932", False)])
def test_siren(raw, valid):
    assert (check_siren(raw) == raw) is valid


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456789AB", "123456789AB"),  # RNIE
        ("1234567890A", "1234567890A"),  # BEA
        ("1234A12345B", "1234A12345B"),  # apprentissage
        ("123456789ab", "123456789AB"),
        (" 1234 A12345 b", "1234A12345B"),
    ],
)
def test_ine_valid_formats(raw, expected):
    assert check_ine(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["12345678AB", "1234567890AB", "123456789A1", "12345678901", "1234B12345C", "1234A1234BC", "", "ABCDEFGHIJK"],
)
def test_ine_invalid_formats(raw):
    result = check_ine(raw)
    assert isinstance(result, Invalid) and result.code == "INVALID_INE"
    assert raw.strip() == "" or raw.upper() not in result.message  # never echoes the value


@pytest.mark.parametrize("first13", [SYNTHETIC_NIR, SYNTHETIC_NIR_CORSICA_A, SYNTHETIC_NIR_CORSICA_B])
def test_nir_with_its_key_is_valid(first13):
    nir = first13 + nir_key(first13)
    assert check_nir(nir) == nir
    assert check_nir(" ".join([nir[:1], nir[1:3], nir[3:5], nir[5:]]).lower()) == nir


@pytest.mark.parametrize("first13", [SYNTHETIC_NIR, SYNTHETIC_NIR_CORSICA_A])
def test_nir_with_a_wrong_key_is_invalid(first13):
    key = int(nir_key(first13))
    wrong = f"{(key % 97) + 1:02d}"
    result = check_nir(first13 + wrong)
    assert isinstance(result, Invalid) and result.code == "INVALID_NIR"
    assert "key" in result.message
    assert first13 not in result.message


def test_corsica_is_read_as_19_and_18_not_20():
    a = SYNTHETIC_NIR_CORSICA_A
    assert nir_key(a) != f"{97 - int(a.replace('2A', '20')) % 97:02d}"
    assert isinstance(check_nir(a + f"{97 - int(a.replace('2A', '20')) % 97:02d}"), Invalid)


@pytest.mark.parametrize("raw", ["19999751234", "1999975123456789", "1999X75123456AB", ""])
def test_nir_malformed(raw):
    result = check_nir(raw)
    assert isinstance(result, Invalid) and result.code == "INVALID_NIR"


@pytest.mark.parametrize(
    ("raw", "code", "kind"),
    [
        ("50022141", "50022141", CertificationKind.CFD),
        ("500 221 41", "50022141", CertificationKind.CFD),
        ("32031210", "32031210", CertificationKind.CFD),
        ("4002510a", "4002510A", CertificationKind.CFD),
        ("ABC12345", "ABC12345", CertificationKind.CFD),
        ("RNCP34567", "RNCP34567", CertificationKind.RNCP),
        ("rncp 34.567", "RNCP34567", CertificationKind.RNCP),
        ("RNCP-345", "RNCP345", CertificationKind.RNCP),
        ("34567", "RNCP34567", CertificationKind.RNCP),
        ("1234", "RNCP1234", CertificationKind.RNCP),
        ("12.345", "RNCP12345", CertificationKind.RNCP),
    ],
)
def test_certification_codes_are_normalised(raw, code, kind):
    assert check_certification(raw) == (code, kind)


@pytest.mark.parametrize("raw", ["RNCP12", "RNCP123456", "5002214", "500221411", "AB12C456", "RNCPABC", "", "12"])
def test_certification_codes_invalid(raw):
    result = check_certification(raw)
    assert isinstance(result, Invalid) and result.code == "INVALID_CERTIFICATION"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("75", "75"), ("1", "01"), ("01", "01"), ("2a", "2A"), ("2B", "2B"), ("971", "971"), ("976", "976"), ("988", "988"), ("95", "95")],
)
def test_department_codes(raw, expected):
    assert check_department_code(raw) == expected


@pytest.mark.parametrize("raw", ["00", "96", "20", "2C", "970", "979", "999", "", "7A"])
def test_department_codes_invalid(raw):
    result = check_department_code(raw)
    assert isinstance(result, Invalid) and result.code == "INVALID_DEPARTMENT"


@pytest.mark.parametrize("value", [
    "123456789AB", "1234567890A", "1234A12345B", "123456789ab", " 123456789AB", "123456789AB ", "123456789AB\n",
    "12345678AB", "1234567890AB", "123456789A1", "ABCDEFGHIJK", "1234B12345C", "", "１２３４５６７８９AB",
])
def test_the_normal_ine_shortcut_agrees_with_check_ine(value):
    """is_normal_ine is true exactly for the values check_ine returns unchanged."""
    from app.domain.identifiers import is_normal_ine

    assert is_normal_ine(value) == (check_ine(value) == value)


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(("check", "value"), [
    (check_uai, "0751234J"), (check_ine, "123456789AB"), (check_ine, "1234567890A"), (check_ine, "1234A12345B"),
    (check_siret, "73282932000074"), (check_siren, "732829320"), (check_nir, "1999975000001" + nir_key("1999975000001")),
    (check_certification, "50022141"), (check_certification, "RNCP35185"), (check_department_code, "75"),
    (check_department_code, "971"),
])
def test_identifiers_take_ascii_digits_only(check, value):
    """Python's \\d, str.isdigit and int() also take other scripts' digits (here full-width ones):
    an identifier written with them is refused (the NIR, by python-stdnum, is read as its ASCII
    digits), never kept as it came."""
    assert not isinstance(check(value), Invalid)
    wide = check(value.translate(FULL_WIDTH))
    assert isinstance(wide, Invalid) or (check is check_nir and wide == value)



@pytest.mark.parametrize(("raw", "expected"), [
    ("1", 1), (" 42 ", 42), ("0", 0), ("999999999999999999", 999_999_999_999_999_999),
    ("9999999999999999999", None), ("18446744073709551616", None), ("-1", None), ("1e3", None), ("", None),
    ("٣", None), ("１", None), ("1 2", None), ("0x1", None),
])
def test_stored_ids_are_ascii_digits_that_fit_a_bigint(raw, expected):
    from app.domain.identifiers import stored_id

    assert stored_id(raw) == expected


INE_FORMATS = ("an INE is 9 digits + 2 letters (RNIE), 10 digits + 1 letter (BEA) "
               "or 4 digits + A + 5 digits + 1 letter (apprentissage)")
CERTIFICATION_FORMATS = ("a certification is a CFD code (8 characters, e.g. 50022141) or an RNCP code "
                         "(RNCP followed by 3 to 5 digits)")


@pytest.mark.parametrize(
    ("check", "raw", "code", "message"),
    [
        (check_uai, "07512345J", "INVALID_UAI", "a UAI is 7 digits followed by a check letter, e.g. 0751234J"),
        (check_uai, "0751234A", "INVALID_UAI", "the UAI check letter should be J"),
        (check_siret, "7328293200007", "INVALID_SIRET", "a SIRET is 14 digits"),
        (check_siret, "73282932000075", "INVALID_SIRET", "the SIRET check digit is wrong (Luhn)"),
        (check_siren, "73282932", "INVALID_SIREN", "a SIREN is 9 digits"),
        (check_siren, "732829321", "INVALID_SIREN", "the SIREN check digit is wrong (Luhn)"),
        (check_ine, "12345678AB", "INVALID_INE", INE_FORMATS),
        (check_nir, "19999751234", "INVALID_NIR", "a NIR is 13 characters followed by a 2-digit key"),
        (check_nir, "1999X75123456AB", "INVALID_NIR", "a NIR is 13 characters followed by a 2-digit key"),
        (check_nir, SYNTHETIC_NIR + "00", "INVALID_NIR", "the NIR key does not match"),
        (check_certification, "RNCP123456", "INVALID_CERTIFICATION", CERTIFICATION_FORMATS),
        (check_department_code, "20", "INVALID_DEPARTMENT", "a department code is like 01, 75, 2A or 971"),
    ],
)
def test_every_refusal_says_exactly_what_is_wrong(check, raw, code, message):
    # the code is what clients branch on, the message what a person reads: both are the contract
    assert check(raw) == Invalid(code, message)


@pytest.mark.parametrize(("raw", "expected"), [
    ("APP-0042", "APP-0042"),
    ("  app 42  ", "app 42"),  # stripped; case and inner spaces are the software's
    ("x" * 64, "x" * 64),
    ("é", "é"),
    ("a\u00a0b", "a\u00a0b"),  # a no-break space (160) is no control character
    ("a~b", "a~b"),  # 126
])
def test_learner_ref_valid(raw, expected):
    assert check_learner_ref(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "x" * 65, "a\x01b", "a\x1fb", "a\x7fb", "a\u0080b", "a\u009fb", "a\tb"])
def test_learner_ref_invalid(raw):
    assert check_learner_ref(raw) == Invalid(
        "INVALID_LEARNER_REF", "a learnerRef is 1 to 64 characters, without control characters")
