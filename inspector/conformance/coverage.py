"""Rules no case checks, each with why: with the cases, these account for every rule of the document."""

NOT_CHECKED: dict[str, str] = {
    "RT-LIMIT-3": "the token's lifetime is the server's to decide; a client cannot make it end on demand",
    "RT-LIMIT-4": "needs the server to stop or restart",
    "RT-LIMIT-5": "needs a failure inside the server",
    "RT-MOCK-1": "the mock's own control channel, not part of the service",
    "RT-MOCK-2": "the mock's browser-origin rule, not part of the service",
}
