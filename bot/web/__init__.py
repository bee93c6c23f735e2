"""HTTP: the Telegram webhook, health and readiness; aiohttp owns the port."""
