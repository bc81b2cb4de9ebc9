"""The --demo traffic: topics, fields worth filtering, presence churn."""

import asyncio
import random

from inspector.mock.demo import TASK_PREFIX, Demo
from inspector.mock.server import MockConfig, MockServer


def test_orders_have_fields_worth_filtering():
    demo = Demo(None, random.Random(7))
    orders = [demo.make_order(t) for t in ("orders.eu", "orders.us") * 50]
    for order in orders:
        assert {"id", "total", "region", "status", "items", "currency"} <= set(order)
        assert order["total"] == round(sum(i["qty"] * i["price"] for i in order["items"]), 2)
    assert {o["region"] for o in orders} == {"eu", "us"}
    assert len({o["status"] for o in orders}) >= 3
    assert min(o["total"] for o in orders) < 100 < max(o["total"] for o in orders)
    assert len({o["id"] for o in orders}) == len(orders)


def test_demo_traffic_reaches_filtered_subscribers_with_presence_churn(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as ws:
            await kit.subscribe(ws, "orders.eu", "data.total > `100` && data.region == 'eu'")
            await kit.subscribe(ws, "ticker")
            sync = await kit.subscribe(ws, "chat.lobby")
            demo = Demo(server, random.Random(3))
            demo.start()
            seen = {}
            loop = asyncio.get_running_loop()
            end = loop.time() + 1.5  # long enough for orders worth filtering to come too
            while loop.time() < end:
                event = await kit.recv_json(ws)
                seen.setdefault((event["topic"], event["type"]), []).append(event)
            demo._join()  # churn without waiting seconds for it
            demo._leave()
            for _ in range(50):
                event = await kit.recv_json(ws)
                seen.setdefault((event["topic"], event["type"]), []).append(event)
                if sum(1 for e in seen.get(("chat.lobby", "presence"), []) if e["data"]["action"] == "leave"):
                    break
            demo.stop()
            await kit.until(lambda: not [t for t in asyncio.all_tasks() if t.get_name().startswith(TASK_PREFIX)],
                            "the demo's tasks ended")
            return sync, seen, server.members("chat.lobby")
    _sync, seen, members_after = kit.run(go())
    ticks = seen[("ticker", "message")]
    assert len(ticks) >= 15  # tens per second
    assert all({"symbol", "price"} <= set(e["data"]) for e in ticks)
    assert all(e["data"]["total"] > 100 and e["data"]["region"] == "eu" for e in seen.get(("orders.eu", "message"), []))
    actions = [e["data"]["action"] for e in seen[("chat.lobby", "presence")]]
    assert actions.count("join") >= 3 and "leave" in actions
    assert len(members_after) == 1  # stop() removed the simulated members
