"""The handler table: THE one place that says what answers which update, in which order.

Order matters. Group -1 runs first and can stop an update (non-people, group chatter not
addressed to the bot). In group 0 the first matching handler wins: commands before the
catch-all message check, so "/cek" is never checked as text. Buttons are matched by their
action prefix. The error handler records failures for the inbox worker.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import BotApplication
from bot.handlers import admin, buttons, cases, commands, guard, messages
from bot.handlers.errors import on_error
from bot.services import Services


def register_handlers(application: BotApplication, services: Services) -> None:
    """Attach every handler to the application, in priority order."""
    codec = services.codec
    application.add_handler(TypeHandler(Update, guard.guard), group=-1)
    application.add_handlers(
        [
            CommandHandler("start", commands.start),
            CommandHandler(["bantuan", "help"], commands.show_help),
            CommandHandler("privasi", commands.show_privacy),
            CommandHandler("cek", commands.check_replied),
            CommandHandler("daftar", commands.register),
            CommandHandler("sumber", commands.search_sources),
            CommandHandler("dataku", commands.export_my_data),
            CommandHandler("hapusdataku", commands.ask_delete_my_data),
            CommandHandler("sumber_tambah", admin.add_source),
            CommandHandler("sumber_hapus", admin.remove_source),
            CommandHandler("hoaks_tambah", admin.add_hoax),
            CommandHandler("statistik", admin.show_statistics),
            CommandHandler("kasus", cases.list_cases),
            # An unknown command is not a message to check.
            MessageHandler(filters.COMMAND, commands.show_help),
            # The guard already dropped group chatter not addressed to the bot.
            MessageHandler(filters.UpdateType.MESSAGE, messages.check_message),
            CallbackQueryHandler(
                buttons.show_details, pattern=codec.pattern(buttons.DETAILS_ACTION)
            ),
            CallbackQueryHandler(
                buttons.record_feedback, pattern=codec.pattern(buttons.FEEDBACK_ACTION)
            ),
            CallbackQueryHandler(
                commands.delete_my_data, pattern=codec.pattern(commands.DELETE_ACTION)
            ),
            CallbackQueryHandler(cases.report_content, pattern=codec.pattern(cases.REPORT_ACTION)),
            CallbackQueryHandler(
                cases.warn_share_anyway, pattern=codec.pattern(cases.SHARE_ACTION)
            ),
            CallbackQueryHandler(
                cases.report_content, pattern=codec.pattern(cases.SHARE_CONFIRM_ACTION)
            ),
            *(
                CallbackQueryHandler(cases.act_on_alert, pattern=codec.pattern(action))
                for action in cases.ALERT_ACTIONS
            ),
            CallbackQueryHandler(buttons.refuse_unknown_button),
        ]
    )
    application.add_error_handler(on_error)
