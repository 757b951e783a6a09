"""Errors whose message is meant for the caller (the model or a person). Nothing was changed when one is raised."""


class InvalidRequest(ValueError):
    """Bad input or an unknown memory: the message says what to do instead."""


class Unavailable(RuntimeError):
    """The memory store could not be used: the message says why."""


class NotOpened(Unavailable):
    """The memory store could not be opened; what opening it raised is the `__cause__`."""
