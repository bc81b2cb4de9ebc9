"""The API's limits (realtime-api.md), named once."""

MAX_SUBSCRIPTIONS = 64  # topics one connection may subscribe to; the 65th gets subscription_limit
