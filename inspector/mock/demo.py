"""Synthetic traffic for ``mock --demo``: a ticker, orders worth filtering, a chat with presence churn.

Runs as tasks on the server's loop and publishes through the server's ``publish`` (seen
through hub.DemoTarget), so it goes through the same filters, seq counters and queues as
any other publisher.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspector.mock.hub import DemoTarget

log = logging.getLogger("inspector.mock.demo")

TASK_PREFIX = "mock-demo-"
TICKER_RATE = 30.0  # events per second on "ticker"
SYMBOLS = {"ACME": 182.4, "GLOBX": 41.07, "INITECH": 12.9, "UMBRL": 305.5, "WAYNE": 97.3, "STARK": 644.0}
REGIONS = {"orders.eu": ("eu", "EUR", ("DE", "FR", "NL", "ES", "IT", "SE")),
           "orders.us": ("us", "USD", ("CA", "NY", "TX", "WA", "FL", "IL"))}
STATUSES = ("new", "new", "paid", "paid", "paid", "shipped", "cancelled", "refunded")
PRODUCTS = (("sku-kb-01", "keyboard", 49.0), ("sku-ms-02", "mouse", 19.5), ("sku-mn-27", "monitor", 229.0),
            ("sku-hd-05", "headset", 89.9), ("sku-cb-10", "usb-c cable", 9.99), ("sku-lp-14", "laptop", 1299.0),
            ("sku-dk-03", "dock", 179.0))
NAMES = ("ada", "brian", "chen", "dara", "emil", "fatima", "goran", "hana", "ivan", "jules", "kofi", "lena")
LINES = ("hello all", "anyone seeing the latency spike?", "deploy went out at 14:05", "ticker looks fine here",
         "reconnected after a 1001, all good", "who owns orders.us?", "lunch?", "filters are neat",
         "seq gap on my side, it's my filter", "brb", "+1", "ship it")


class Demo:
    def __init__(self, server: DemoTarget, rng: random.Random | None = None):
        self.server = server
        self.rng = rng or random.Random()
        self._tasks: list[asyncio.Task[None]] = []
        self._prices = dict(SYMBOLS)
        self._order_no = 1000
        self._chatters: dict[str, str] = {}  # member id -> name

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        # named, so an observer of the loop can tell that the demo's traffic has ended
        for name, run in (("ticker", self._ticker), ("orders", self._orders), ("chat", self._chat),
                          ("presence", self._presence)):
            self._tasks.append(loop.create_task(self._guard(run()), name=TASK_PREFIX + name))

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        for member in list(self._chatters):
            self.server.remove_member("chat.lobby", member)
        self._chatters.clear()

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("demo traffic stopped")

    async def _ticker(self) -> None:
        rng = self.rng
        while True:
            symbol = rng.choice(list(self._prices))
            old = self._prices[symbol]
            new = round(max(0.5, old * (1 + rng.gauss(0, 0.002))), 2)
            self._prices[symbol] = new
            self.server.publish("ticker", {"symbol": symbol, "price": new, "change": round(new - old, 2),
                                           "volume": rng.randint(1, 50) * 10})
            await asyncio.sleep(rng.uniform(0.5, 1.5) / TICKER_RATE)

    def make_order(self, topic: str) -> dict[str, Any]:
        rng = self.rng
        region, currency, states = REGIONS[topic]
        self._order_no += 1
        items: list[dict[str, Any]] = []
        for sku, name, price in rng.sample(PRODUCTS, rng.randint(1, 4)):
            items.append({"sku": sku, "name": name, "qty": rng.randint(1, 3), "price": price})
        total = round(sum(i["qty"] * i["price"] for i in items), 2)
        return {"id": f"o-{self._order_no}", "region": region, "ship_to": rng.choice(states),
                "status": rng.choice(STATUSES), "currency": currency, "total": total,
                "items": items, "express": rng.random() < 0.2}

    async def _orders(self) -> None:
        rng = self.rng
        while True:
            topic = rng.choice(("orders.eu", "orders.eu", "orders.us"))
            self.server.publish(topic, self.make_order(topic))
            await asyncio.sleep(rng.uniform(0.1, 0.6))

    def _join(self) -> None:
        name = self.rng.choice([n for n in NAMES if n not in self._chatters.values()] or list(NAMES))
        self._chatters[self.server.add_member("chat.lobby")] = name

    def _leave(self) -> None:
        member = self.rng.choice(list(self._chatters))
        del self._chatters[member]
        self.server.remove_member("chat.lobby", member)

    async def _presence(self) -> None:
        rng = self.rng
        for _ in range(3):
            self._join()
        while True:
            await asyncio.sleep(rng.uniform(1.5, 4.0))
            n = len(self._chatters)
            if n <= 2 or (n < 7 and rng.random() < 0.5):
                self._join()
            else:
                self._leave()

    async def _chat(self) -> None:
        rng = self.rng
        while True:
            await asyncio.sleep(rng.uniform(0.4, 2.0))
            if self._chatters:
                member, name = rng.choice(list(self._chatters.items()))
                self.server.publish("chat.lobby", {"from": name, "member": member, "text": rng.choice(LINES)})
