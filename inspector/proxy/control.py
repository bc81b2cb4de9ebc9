"""The control API: the proxy's own (connections, rules, inject, close) and Toxiproxy's
(``/proxies``, ``/proxies/{name}``, ``/proxies/{name}/toxics``, ``/reset``, ``/version``), so
an existing Toxiproxy client drives the proxy unchanged. docs/proxy.md lists the routes."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

from inspector import __version__
from inspector.proxy.http_api import HttpError, HttpRequest
from inspector.proxy.rule_text import RuleError, parse_rule, rule_from_fields_checked
from inspector.proxy.server import ProxyServer
from inspector.proxy.toxics import TCP_TYPES, Toxic, ToxicError, toxic_from_json
from inspector.proxy.upstream import Upstream
from inspector.proxy.wire import RawFrame
from inspector.redact import redact_url

Route = Callable[[HttpRequest, list[str]], Awaitable[tuple[int, Any]]]


class Control:
    """``proxies`` by name; the first is the command line's own."""

    def __init__(self, name: str, main: ProxyServer) -> None:
        self.proxies: dict[str, ProxyServer] = {name: main}
        self.main = name
        self._toxic_rules: dict[tuple[str, str], int] = {}

    async def close(self) -> None:
        """Stop the proxies made through the API (the command line's own is its caller's)."""
        for name, server in list(self.proxies.items()):
            if name != self.main:
                await server.close()

    async def handle(self, req: HttpRequest) -> tuple[int, Any]:
        parts = [p for p in req.path.split("/") if p]
        head = parts[0] if parts else ""
        routes: dict[str, Route] = {"version": self._version, "reset": self._reset, "proxies": self._proxies,
                                    "connections": self._connections, "rules": self._rules,
                                    "held": self._held_route}
        route = routes.get(head)
        if route is None:
            raise HttpError(404, f"no route {req.path}")
        return await route(req, parts[1:])

    # ------------------------------------------------------------ Toxiproxy

    async def _version(self, req: HttpRequest, rest: list[str]) -> tuple[int, Any]:
        return 200, {"version": __version__, "server": "realtime-inspector proxy"}

    async def _reset(self, req: HttpRequest, rest: list[str]) -> tuple[int, Any]:
        _need(req, "POST")
        for name, server in self.proxies.items():
            for toxic in list(server.toxics.toxics):
                self._remove_toxic(name, toxic)
            if not server.enabled:
                await server.start()
        return 204, None

    def _proxy(self, name: str) -> ProxyServer:
        server = self.proxies.get(name)
        if server is None:
            raise HttpError(404, f"proxy not found: {name}")
        return server

    def _proxy_json(self, name: str) -> dict[str, Any]:
        server = self.proxies[name]
        return {"name": name, "listen": server.listen, "upstream": redact_url(server.config.upstream.url),
                "enabled": server.enabled, "toxics": [t.as_json() for t in server.toxics.toxics.values()]}

    async def _proxies(self, req: HttpRequest, rest: list[str]) -> tuple[int, Any]:
        if not rest:
            if req.method == "POST":
                return await self._create(req.json())
            return 200, {name: self._proxy_json(name) for name in self.proxies}
        name = rest[0]
        server = self._proxy(name)
        if len(rest) >= 2 and rest[1] == "toxics":
            return self._toxics(req, name, rest[2:])
        if req.method == "DELETE":
            await server.close()
            del self.proxies[name]
            return 204, None
        if req.method == "POST":
            enabled = req.json().get("enabled")
            if enabled is True and not server.enabled:
                await server.start()
            elif enabled is False:
                await server.disable()
        return 200, self._proxy_json(name)

    async def _create(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not body.get("name") or not body.get("upstream"):
            raise HttpError(400, "a proxy needs a name and an upstream")
        name = str(body["name"])
        if name in self.proxies:
            raise HttpError(409, f"proxy already exists: {name}")
        upstream = str(body["upstream"])
        url = upstream if "://" in upstream else f"ws://{upstream}"
        host, _, port = str(body.get("listen") or "127.0.0.1:0").rpartition(":")
        base = self.proxies[self.main].config
        try:
            config = dataclasses.replace(base, upstream=Upstream.make(url, base.upstream.options),
                                         host=host.strip("[]") or "127.0.0.1", port=int(port), rules=[])
        except ValueError as exc:
            raise HttpError(400, f"bad proxy: {exc}") from None
        server = ProxyServer(config)
        if body.get("enabled", True):
            try:
                await server.start()
            except OSError as exc:
                raise HttpError(409, f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.proxies[name] = server
        return 201, self._proxy_json(name)

    def _toxics(self, req: HttpRequest, name: str, rest: list[str]) -> tuple[int, Any]:
        server = self.proxies[name]
        toxics = server.toxics.toxics
        if not rest:
            if req.method != "POST":
                return 200, [t.as_json() for t in toxics.values()]
            try:
                toxic = toxic_from_json(req.json())
            except ToxicError as exc:
                raise HttpError(400, str(exc)) from None
            if toxic.name in toxics:
                raise HttpError(409, f"toxic already exists: {toxic.name}")
            self._add_toxic(name, toxic)
            return 200, toxic.as_json()
        toxic_name = rest[0]
        if toxic_name not in toxics:
            raise HttpError(404, f"toxic not found: {toxic_name}")
        if req.method == "DELETE":
            self._remove_toxic(name, toxic_name)
            return 204, None
        if req.method == "POST":
            merged = {**toxics[toxic_name].as_json(), **req.json(), "name": toxic_name}
            merged["attributes"] = {**toxics[toxic_name].attributes, **(req.json().get("attributes") or {})}
            try:
                toxic = toxic_from_json(merged)
            except ToxicError as exc:
                raise HttpError(400, str(exc)) from None
            self._remove_toxic(name, toxic_name)
            self._add_toxic(name, toxic)
        return 200, toxics[toxic_name].as_json()

    def _add_toxic(self, name: str, toxic: Toxic) -> None:
        server = self.proxies[name]
        if toxic.type not in TCP_TYPES:
            fields = {**toxic.attributes, "dir": "c2s" if toxic.c2s else "s2c"}
            if toxic.toxicity < 1:
                fields["p"] = toxic.toxicity
            try:
                rule = rule_from_fields_checked(fields, toxic.type, f"toxic {toxic.name}")
            except RuleError as exc:
                raise HttpError(400, str(exc)) from None
            self._toxic_rules[name, toxic.name] = server.book.add(rule).id
        server.toxics.add(toxic)
        server.toxics_changed()

    def _remove_toxic(self, name: str, toxic_name: str) -> None:
        server = self.proxies[name]
        server.toxics.remove(toxic_name)
        rule_id = self._toxic_rules.pop((name, toxic_name), None)
        if rule_id is not None:
            server.book.remove(rule_id)
        server.toxics_changed()

    # ------------------------------------------------------------ the proxy's own

    def _chosen(self, req: HttpRequest) -> ProxyServer:
        return self._proxy(req.query.get("proxy", [self.main])[0])

    async def _connections(self, req: HttpRequest, rest: list[str]) -> tuple[int, Any]:
        server = self._chosen(req)
        if not rest:
            now = time.monotonic()
            return 200, [{"id": index, "client": pair.client_address, "seconds": round(now - pair.opened, 3),
                          "frames_c2s": pair.frames[True], "frames_s2c": pair.frames[False]}
                         for index, pair in server.pairs.items()]
        try:
            pair = server.pairs[int(rest[0])]
        except (ValueError, KeyError):
            raise HttpError(404, f"no open connection {rest[0]}") from None
        action = rest[1] if len(rest) > 1 else ""
        body = req.json()
        if action == "inject" and req.method == "POST":
            to = body.get("to", "server")
            try:
                payload = bytes.fromhex(str(body.get("hex", "")))
            except ValueError:
                raise HttpError(400, "hex is not hex") from None
            if to not in ("server", "client"):
                raise HttpError(400, "to must be server or client")
            pair.inject(to == "server", RawFrame(int(body.get("opcode", 2)), payload, masked=to == "server"))
            return 204, None
        if action == "close" and req.method == "POST":
            code = body.get("code", 1000)
            pair.close(None if body.get("abrupt") else int(code), str(body.get("reason", "")),
                       abrupt=bool(body.get("abrupt")))
            return 204, None
        raise HttpError(404, f"no route {req.method} {req.path}")

    async def _rules(self, req: HttpRequest, rest: list[str]) -> tuple[int, Any]:
        book = self._chosen(req).book
        if req.method == "POST" and not rest:
            body = req.json()
            try:
                if isinstance(body, dict) and isinstance(body.get("rule"), str):
                    rule = parse_rule(body["rule"], "rule")
                elif isinstance(body, dict):
                    fields = {k: v for k, v in body.items() if k != "action"}
                    rule = rule_from_fields_checked(fields, str(body.get("action", "")), "rule")
                else:
                    raise HttpError(400, "a rule is {\"rule\": \"MATCH -> ACTION\"} or an object of its keys")
            except RuleError as exc:
                raise HttpError(400, str(exc)) from None
            return 201, {"id": book.add(rule).id}
        if req.method == "DELETE" and rest:
            if not rest[0].isdigit() or not book.remove(int(rest[0])):
                raise HttpError(404, f"no rule {rest[0]}")
            return 204, None
        return 200, [{"id": r.id, "rule": r.text, "action": r.action.name} for r in book.rules]

    async def _held_route(self, req: HttpRequest, rest: list[str]) -> tuple[int, Any]:
        held = self._chosen(req).held
        if not rest:
            return 200, [h.as_json() for h in held.frames.values()]
        _need(req, "POST")
        if rest == ["forward_all"]:
            for held_id in list(held.frames):
                held.forward(held_id)
            return 204, None
        if len(rest) != 2 or not rest[0].isdigit() or rest[1] not in ("forward", "drop"):
            raise HttpError(404, f"no route {req.path}")
        held_id = int(rest[0])
        if rest[1] == "drop":
            found = held.drop(held_id)
        else:
            body = req.json()
            raw = None
            if "hex" in body:
                try:
                    raw = bytes.fromhex(str(body["hex"]))
                except ValueError:
                    raise HttpError(400, "hex is not hex") from None
            found = held.forward(held_id, body.get("patch"), raw)
        if not found:
            raise HttpError(404, f"no held frame {held_id} (forwarded, dropped, or its connection closed)")
        return 204, None



def _need(req: HttpRequest, method: str) -> None:
    if req.method != method:
        raise HttpError(405, f"{req.path} takes {method}")

