-- Wireshark dissector for the Realtime WebSocket API (realtime-inspector).
--
-- Every message is one binary WebSocket message: byte 0 is the kind, the rest the body.
-- SUBSCRIBE, UNSUBSCRIBE, EVENT and ERROR bodies are JSON objects (handed to Wireshark's
-- JSON dissector); PING and PONG bodies are 0-64 opaque bytes. Registered as a heuristic
-- on the WebSocket dissector, so it needs no port: any WebSocket message that looks like
-- one of ours is decoded. Display filters: rtapi, rtapi.kind == 0x10, rtapi.topic == "ticker",
-- rtapi.error.code == "invalid_topic", rtapi.seq > 100 ...
--
-- Install: `realtime-inspector wireshark --install`, or copy this file into the folder
-- that Help > About Wireshark > Folders calls "Personal Lua Plugins".

local rtapi = Proto("rtapi", "Realtime API")

local KINDS = {
    [0x01] = "SUBSCRIBE",
    [0x02] = "UNSUBSCRIBE",
    [0x10] = "EVENT",
    [0x20] = "PING",
    [0x21] = "PONG",
    [0xFF] = "ERROR",
}
local JSON_KINDS = { [0x01] = true, [0x02] = true, [0x10] = true, [0xFF] = true }
local MAX_PING_BODY = 64

-- What each ERROR code means (inspector/docs/protocol.md, "ERROR codes").
local ERROR_CODES = {
    bad_frame = "empty frame, text frame, body not a JSON object, missing or ill-typed field",
    unknown_kind = "first byte is not in the kind table",
    unexpected_kind = "a client sent EVENT or ERROR",
    invalid_topic = "topic outside [a-z0-9._-]{1,255}",
    invalid_filter = "filter does not parse",
    subscription_limit = "a 65th distinct topic on one connection",
    not_subscribed = "UNSUBSCRIBE for a topic the connection does not have",
}

local f = {
    kind = ProtoField.uint8("rtapi.kind", "Kind", base.HEX, KINDS),
    body = ProtoField.string("rtapi.body", "Body (JSON)", base.UNICODE),
    payload = ProtoField.bytes("rtapi.payload", "PING/PONG payload"),
    payload_len = ProtoField.uint8("rtapi.payload_len", "PING/PONG payload length", base.DEC),
    topic = ProtoField.string("rtapi.topic", "Topic"),
    type = ProtoField.string("rtapi.type", "Event type"),
    seq = ProtoField.uint64("rtapi.seq", "Sequence", base.DEC),
    ts = ProtoField.uint64("rtapi.ts", "Server time (ms since epoch)", base.DEC),
    id = ProtoField.uint32("rtapi.id", "Request id", base.DEC),
    filter = ProtoField.string("rtapi.filter", "Filter (JMESPath)"),
    error_code = ProtoField.string("rtapi.error.code", "Error code"),
    error_message = ProtoField.string("rtapi.error.message", "Error message"),
    error_ref = ProtoField.uint32("rtapi.error.ref", "Error refers to request id", base.DEC),
}
rtapi.fields = f

local e_bad_body = ProtoExpert.new("rtapi.bad_body", "Body is not a JSON object", expert.group.MALFORMED,
                                   expert.severity.ERROR)
local e_error = ProtoExpert.new("rtapi.error", "Server answered with an ERROR", expert.group.RESPONSE_CODE,
                                expert.severity.WARN)
rtapi.experts = { e_bad_body, e_error }

local json = Dissector.get("json")
local ws_opcode = Field.new("websocket.opcode")
local json_path_value = Field.new("json.path_with_value")
local json_object = Field.new("json.object")

-- Top-level members as the JSON dissector parsed them: "/topic:orders.eu" -> topic.
-- Reading its output instead of scanning the bytes ourselves keeps key order, whitespace
-- and escapes the JSON dissector's business.
local TOP_LEVEL = {
    topic = "topic", type = "type", seq = "seq", ts = "ts", id = "id", filter = "filter",
    code = "error_code", message = "error_message", ref = "error_ref",
}
local NUMERIC = { seq = true, ts = true, id = true, error_ref = true }

local function add_member(tree, name, value, range)
    local field = f[name]
    if NUMERIC[name] then
        if not string.match(value, "^%d+$") or #value > 19 then return end
        if name == "seq" or name == "ts" then
            tree:add(field, range, UInt64.new(value))
        elseif tonumber(value) <= 4294967295 then
            tree:add(field, range, tonumber(value))
        end
    elseif name == "error_code" then
        local meaning = ERROR_CODES[value]
        local item = tree:add(field, range, value)
        if meaning then item:append_text(" (" .. meaning .. ")") end
    else
        tree:add(field, range, value)
    end
end

local function body_is_object(tvb, from)
    for i = from, tvb:len() - 1 do
        local b = tvb(i, 1):uint()
        if b == 0x7B then return true end -- {
        if b ~= 0x20 and b ~= 0x09 and b ~= 0x0A and b ~= 0x0D then return false end
    end
    return false
end

local function looks_like_ours(tvb)
    local len = tvb:len()
    if len < 1 then return nil end
    local kind = tvb(0, 1):uint()
    if KINDS[kind] == nil then return nil end
    local opcodes = { ws_opcode() }
    local last = opcodes[#opcodes]
    if last ~= nil and last.value == 1 then return nil end -- a text message is never ours
    if JSON_KINDS[kind] then
        if not body_is_object(tvb, 1) then return nil end
    elseif len - 1 > MAX_PING_BODY then
        return nil
    end
    return kind
end

local function dissect(tvb, pinfo, tree, kind)
    local len = tvb:len()
    local name = KINDS[kind]
    local subtree = tree:add(rtapi, tvb(), "Realtime API, " .. name)
    subtree:add(f.kind, tvb(0, 1))
    local summary = name
    local values = {}
    if JSON_KINDS[kind] then
        local body = tvb(1, len - 1)
        subtree:add_packet_field(f.body, body, ENC_UTF_8)
        local before = select("#", json_path_value())
        local objects = select("#", json_object())
        json:call(body:tvb(), pinfo, subtree)
        local all = { json_path_value() }
        for i = before + 1, #all do
            local key, value = string.match(all[i].value, "^/([^/:]+):(.*)$")
            local field = key and TOP_LEVEL[key]
            if field and values[field] == nil then
                values[field] = value
                add_member(subtree, field, value, all[i].range or body)
            end
        end
        if select("#", json_object()) == objects then subtree:add_proto_expert_info(e_bad_body) end
        if kind == 0xFF then
            subtree:add_proto_expert_info(e_error, "Server ERROR: " .. (values.error_code or "?"))
            summary = summary .. " " .. (values.error_code or "?")
            if values.error_ref then summary = summary .. " ref=" .. values.error_ref end
        elseif values.topic then
            summary = summary .. " " .. values.topic
            if values.seq then summary = summary .. " #" .. values.seq end
            if kind == 0x10 and values.type == "presence" then summary = summary .. " (presence)" end
        end
    else
        local body = tvb(1, len - 1)
        subtree:add(f.payload_len, body, len - 1)
        if len > 1 then subtree:add(f.payload, body) end
        summary = string.format("%s %d bytes", name, len - 1)
    end
    -- Several messages may share one TCP segment, and the WebSocket dissector rewrites the
    -- Info column for each: keep this packet's summaries and show them all.
    local shown = pinfo.private.rtapi_info
    shown = shown and (shown .. ", " .. summary) or summary
    pinfo.private.rtapi_info = shown
    pinfo.cols.protocol:set("RTAPI")
    pinfo.cols.info:set(shown)
end

local function heuristic(tvb, pinfo, tree)
    local kind = looks_like_ours(tvb)
    if kind == nil then return false end
    dissect(tvb, pinfo, tree, kind)
    return true
end

function rtapi.dissector(tvb, pinfo, tree)
    local len = tvb:len()
    if len < 1 then return 0 end
    local kind = tvb(0, 1):uint()
    if KINDS[kind] == nil then return 0 end
    dissect(tvb, pinfo, tree, kind)
    return len
end

rtapi:register_heuristic("ws", heuristic)
