"""The durable inbox: every update is committed before it is acknowledged, then processed."""
