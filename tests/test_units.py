import pytest

from cutover.config.units import format_duration, format_size, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2GB", 2 * 10**9),
        ("500 MB", 500 * 10**6),
        ("2TB", 2 * 10**12),
        ("1.5 TiB", int(1.5 * 2**40)),
        ("40gb", 40 * 10**9),
        ("  7 GiB ", 7 * 2**30),
        ("1024", 1024),
    ],
)
def test_sizes_in_the_runbooks_units(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "GB", "12 GBs", "two GB", "1,5GB", "-3GB"])
def test_unparseable_sizes_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"like 2GB, 500 MB or 1\.5 TiB"):
        parse_size(text)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("15m", 900), ("90s", 90), ("1h30m", 5400), ("250ms", 0.25), (60, 60), ("60", 60), ("2h", 7200)],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "15 minutes", "m15", -5, True])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_formatting_for_screens() -> None:
    assert format_duration(45) == "45s"
    assert format_duration(250) == "4m 10s"
    assert format_duration(600) == "10m"
    assert format_duration(7500) == "2h 05m"
    assert format_size(2 * 10**9) == "2GB"
    assert format_size(int(1.5 * 10**12)) == "1.5TB"
