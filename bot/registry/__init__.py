"""Application services over the registry and hoax tables: validate, store, audit, load.

The CLI today and the Telegram admin commands later call these, so both validate values the
same way and every change is audited in the same transaction as the change itself.
"""
