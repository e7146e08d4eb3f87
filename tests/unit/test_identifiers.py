import random

import pytest

from ingest.identifiers import CREDIT_ALPHABET, credit_check_char, credit_code_ok, project_code_ok
from projledger import reference


def _valid(first17: str) -> str:
    return first17 + credit_check_char(first17)


def test_check_character_of_a_known_code():
    # 91350100M000100Y43 is the worked example of GB 32100-2015.
    assert credit_check_char("91350100M000100Y4") == "3"
    assert credit_code_ok("91350100M000100Y43")


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y43X",  # 19 characters
        "91350100I000100Y43",  # I is not in the alphabet
        "91350100m000100Y43",  # lower case
        "",
    ],
)
def test_invalid_codes_are_refused(code):
    assert not credit_code_ok(code)


def test_check_value_31_maps_to_zero():
    rng = random.Random(7)
    while True:
        first17 = "".join(rng.choice(CREDIT_ALPHABET) for _ in range(17))
        if credit_check_char(first17) == "0":
            break
    assert credit_code_ok(first17 + "0")


def test_exception_list_admits_registered_codes_that_fail_the_check():
    exceptions = reference.credit_code_exceptions()
    assert exceptions, "the exception list is empty"
    for code in exceptions:
        assert not credit_code_ok(code), f"{code} passes the check: why is it an exception?"
        assert credit_code_ok(code, exceptions)


def test_single_character_errors_are_caught():
    code = _valid("91320602MA1ABCDE1")
    for i in range(17):
        for ch in CREDIT_ALPHABET:
            if ch != code[i]:
                assert not credit_code_ok(code[:i] + ch + code[i + 1 :]), (i, ch)


@pytest.mark.parametrize(
    "code,ok",
    [
        ("2024-320602-39-03-000417", True),
        ("2024-320602-39-03-00041", False),
        ("2024320602-39-03-000417", False),
        ("2024-32O602-39-03-000417", False),
        (" 2024-320602-39-03-000417", False),
    ],
)
def test_project_code_format(code, ok):
    assert project_code_ok(code) is ok
