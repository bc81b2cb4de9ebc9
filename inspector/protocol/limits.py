"""The API's limits and timers, named once (docs/protocol.md: "Frames", "Topics and subscriptions",
"Liveness", "Limits and closes"; the reconnect timers are in backoff.py).

The mock's defaults, the CLI's ``mock`` options, the client's defaults and the codec
all read them from here; a server may of course be configured otherwise.
"""

# Per connection and per token
MAX_SUBSCRIPTIONS = 64  # topics one connection may subscribe to; the 65th gets subscription_limit
MAX_CONNECTIONS_PER_TOKEN = 8  # concurrent connections; the 9th is closed with 1008 "connection limit"
IDLE_TIMEOUT = 60.0  # seconds without any subscription before 1008 "idle without subscription"

# Sizes
MAX_MESSAGE_SIZE = 64 * 1024  # bytes of one client message; a bigger one gets 1009
MAX_TOPIC_LENGTH = 255  # characters of a topic name (at least 1)
MAX_PING_PAYLOAD = 64  # bytes of a PING or PONG body
MAX_REQUEST_ID = 2**32 - 1  # SUBSCRIBE / UNSUBSCRIBE ``id`` runs from 0 to this

# Liveness (application PING/PONG)
SERVER_PING_INTERVAL = 30.0  # seconds of silence from the client before the server PINGs
SERVER_PING_BODY_SIZE = 8  # bytes of the body of a server PING
PONG_TIMEOUT = 10.0  # seconds before an unanswered PING counts as missed
MAX_MISSED_PONGS = 3  # consecutive misses that close the connection with 1008 "pong timeout"
