"""Settings read from the environment, so that the server, the CLI and the benchmarks agree."""

import os

from search.errors import ClinsearchError


def choice(variable: str, choices: tuple[str, ...], default: str) -> str:
    """The environment variable ``variable`` (``default`` when unset or empty).

    Raises:
        ClinsearchError: it is set to something other than one of ``choices``.
    """
    value = os.environ.get(variable) or default
    if value not in choices:
        raise ClinsearchError(f"{variable}={value!r} is not one of {', '.join(choices)}.")
    return value


def positive_integer(variable: str, default: int) -> int:
    """The environment variable ``variable`` as a whole number above zero (``default`` when unset or empty).

    Raises:
        ClinsearchError: it is set to anything else.
    """
    value = os.environ.get(variable) or str(default)
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ClinsearchError(f"{variable}={value!r} is not a whole number above zero.")
    return number
