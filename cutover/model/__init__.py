"""The domain's words, as pure types and rules with no I/O: what a job kind is and the steps it records.

Between `state/` (which stores them) and `config/` (which they may read): everything above imports them,
they import nothing but the config and the standard library.
"""
