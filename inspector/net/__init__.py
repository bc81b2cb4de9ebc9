"""asyncio edges: client session, mock server, control channel. No Qt here."""
