"""The ``mis`` command."""
