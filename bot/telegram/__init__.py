"""Translation between python-telegram-bot objects and the checking engine.

Pure functions and small classes, no I/O: the handlers (which own the network and the database)
call them, and the tests can exercise them on PTB objects built from plain dicts.
"""
