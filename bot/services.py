"""Long-lived resources of one Saring process, created and closed in one place.

The CLI and the bot both start with `create_services(settings)`: it migrates the database on
first use, seeds the registry from `config/sources.yaml`, and offers the checking engine.
The engine is immutable; a reload builds a new one and swaps the single reference, so a
handler never sees half a rule set. Nothing here exists at import time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.checking import RuleEngine, build_engine
from bot.db.check_log import CheckLog
from bot.db.migrate import ensure_database
from bot.db.session import create_engine, create_session_factory
from bot.escalation import ESCALATION_FILE, load_policy
from bot.escalation.sealing import EvidenceSealer, sealer_key_material
from bot.escalation.service import Escalator
from bot.registry.hoaxes import HoaxCatalog
from bot.registry.sources import SourceCatalog
from bot.settings import Settings
from bot.telegram.callbacks import CallbackCodec

LOGGER = logging.getLogger(__name__)
SOURCES_SEED_FILE = "sources.yaml"


@dataclass(slots=True)
class Services:
    """What handlers and commands use; `close()` releases the database pool."""

    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    sources: SourceCatalog
    hoaxes: HoaxCatalog
    codec: CallbackCodec = field(default_factory=lambda: CallbackCodec(secrets.token_bytes(32)))
    _escalator: Escalator | None = field(default=None, init=False)
    _engine: RuleEngine | None = field(default=None, init=False)
    _check_log: CheckLog | None = field(default=None, init=False)

    @property
    def check_log(self) -> CheckLog:
        """Where handlers record checks (one shared group commit per process)."""
        if self._check_log is None:
            self._check_log = CheckLog(self.sessions)
        return self._check_log

    async def build_engine(self) -> RuleEngine:
        """A new engine over the live registry and hoax database (immutable once built)."""
        return build_engine(
            self.settings.config_dir, await self.sources.entries(), await self.hoaxes.claims()
        )

    async def reload_engine(self) -> RuleEngine:
        """Rebuild and swap; on a broken config the previous engine stays in service.

        Raises:
            LoadError: the new configuration is broken (the old engine is kept).
        """
        engine = await self.build_engine()
        self._engine = engine
        LOGGER.info("checking engine loaded (%d rules)", len(engine.rules.rules))
        return engine

    @property
    def engine(self) -> RuleEngine:
        if self._engine is None:
            raise RuntimeError("checking engine not loaded; call reload_engine() first")
        return self._engine

    @property
    def escalator(self) -> Escalator:
        if self._escalator is None:
            raise RuntimeError("escalation needs SARING_TELEGRAM_TOKEN or SARING_EVIDENCE_KEY")
        return self._escalator

    def enable_escalation(self) -> Escalator:
        """Load config/escalation.yaml and wire the Escalator (the bot needs it, the CLI not).

        Raises:
            LoadError: the policy file is broken.
            EvidenceKeyError: no key to seal evidence with.
        """
        settings = self.settings
        self._escalator = Escalator(
            sessions=self.sessions,
            policy=load_policy(settings.config_dir / ESCALATION_FILE),
            sealer=EvidenceSealer(sealer_key_material(settings)),
            codec=self.codec,
            rules=lambda: self.engine.rules,
            ppk_chat_id=settings.ppk_chat_id,
            admin_ids=settings.admin_ids,
        )
        return self._escalator

    @property
    def engine_loaded(self) -> bool:
        return self._engine is not None

    async def close(self) -> None:
        if self._check_log is not None:
            await self._check_log.idle()
        await self.db.dispose()


def callback_secret(settings: Settings) -> bytes:
    """The button-signing key: the same on every replica and across restarts.

    Derived from the bot token (and the webhook secret when set), which every replica shares
    and which is already the secret that controls the bot. Without a token (the CLI), a
    random key: there are no buttons to sign.
    """
    if settings.telegram_token is None:
        return secrets.token_bytes(32)
    material = settings.telegram_token.get_secret_value()
    if settings.webhook_secret is not None:
        material += "\n" + settings.webhook_secret.get_secret_value()
    return hmac.new(b"saring/callback-data/v1", material.encode(), hashlib.sha256).digest()


async def create_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Open the database (migrating and seeding it on first use) and wire the catalogs."""
    if migrate:
        await ensure_database(settings.database_url)
    db = create_engine(settings.database_url)
    sessions = create_session_factory(db)
    services = Services(
        settings,
        db,
        sessions,
        SourceCatalog(sessions),
        HoaxCatalog(sessions),
        codec=CallbackCodec(callback_secret(settings)),
    )
    if migrate:
        await services.sources.seed(settings.config_dir / SOURCES_SEED_FILE)
    return services
