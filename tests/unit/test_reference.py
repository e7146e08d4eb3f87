from pathlib import Path

import pytest

from projledger.reference import SEEDS_DIR

SHARED_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


@pytest.mark.skipif(
    not SHARED_REFERENCE.is_dir(), reason="../shared/reference is not beside the repo"
)
@pytest.mark.parametrize(
    "csv_file",
    sorted(p.name for p in SHARED_REFERENCE.glob("*.csv")) if SHARED_REFERENCE.is_dir() else [],
)
def test_seeds_are_the_reference_tables(csv_file):
    assert (SEEDS_DIR / csv_file).read_bytes() == (SHARED_REFERENCE / csv_file).read_bytes()
