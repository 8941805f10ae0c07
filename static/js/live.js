// Live events of the signed-in user's organizations, over one WebSocket (/ws/live/). No dependencies, no
// build step. The page works without it; with it, [data-live-feed] shows events as they happen and other
// scripts (dashboards) follow them through window.KontoraLive.subscribe(callback) or the "kontora:live"
// DOM event. Protocol: see apps/core/realtime/consumers.py.
(function () {
  "use strict";

  const MAX_ITEMS = 50;
  const MAX_TEXT = 200;
  const FIRST_DELAY = 1000;
  const MAX_DELAY = 30000;
  const PING_EVERY = 25000;
  const PONG_WITHIN = 10000;
  const SEEN_KEEP = 500;
  const CLOSE_UNAUTHENTICATED = 4401;

  const feed = document.querySelector("[data-live-feed]");
  const status = (feed || document).querySelector("[data-live-status]");
  const list = (feed || document).querySelector("[data-live-events]");
  const empty = (feed || document).querySelector("[data-live-empty]");

  const subscribers = new Set();
  const gapSubscribers = new Set();
  // stream name → {seq: the highest sequence number handled, seen: recently handled numbers (duplicates
  // arrive when a replay and a live delivery overlap, and two publishers may deliver out of order)}
  const streams = new Map();
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let pongTimer = null;
  let stopped = false;

  function setOnline(online) {
    if (!status) return;
    const state = online ? "online" : "offline";
    status.dataset.state = state;
    const text = status.dataset[online ? "textOnline" : "textOffline"];
    if (text) status.textContent = text;
  }

  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + "/ws/live/";
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped || socket) return;
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.addEventListener("message", (message) => {
      if (ws !== socket) return;
      alive();
      let data;
      try {
        data = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      handle(ws, data);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== socket) return;
      socket = null;
      stopHeartbeat();
      setOnline(false);
      if (event.code === CLOSE_UNAUTHENTICATED) {
        stopped = true; // signed out: retrying cannot help until the page is reloaded
        return;
      }
      scheduleReconnect();
    });
    // "error" is always followed by "close", which does the work.
  }

  function scheduleReconnect() {
    if (stopped || retryTimer) return;
    const ceiling = Math.min(MAX_DELAY, FIRST_DELAY * Math.pow(2, attempt));
    attempt += 1;
    // Jitter: between half and all of the ceiling, so that many pages do not come back at the same moment.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    retryTimer = setTimeout(connect, delay);
  }

  function send(ws, message) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  // Heartbeat: a ping every PING_EVERY; no answer (or any message) within PONG_WITHIN means a dead link.
  function startHeartbeat(ws) {
    stopHeartbeat();
    pingTimer = setInterval(() => {
      send(ws, { type: "ping" });
      clearTimeout(pongTimer);
      pongTimer = setTimeout(() => ws.close(), PONG_WITHIN);
    }, PING_EVERY);
  }

  function alive() {
    clearTimeout(pongTimer);
    pongTimer = null;
  }

  function stopHeartbeat() {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    pingTimer = pongTimer = null;
  }

  function handle(ws, data) {
    switch (data.type) {
      case "hello":
        hello(ws, data.streams || []);
        return;
      case "gap":
        gap(data);
        return;
      case "pong":
        return;
      case "error":
        if (window.console) console.warn("kontora live:", data.code, data.message);
        return;
      default:
        // Events always carry a dotted type, a stream and a sequence number; control messages never do.
        if (typeof data.stream === "string" && typeof data.seq === "number") receive(data);
    }
  }

  function hello(ws, announced) {
    attempt = 0;
    setOnline(true);
    startHeartbeat(ws);
    const names = new Set();
    announced.forEach((info) => {
      names.add(info.stream);
      const known = streams.get(info.stream);
      if (!known) {
        streams.set(info.stream, { seq: info.seq, seen: new Set() });
      } else if (known.seq !== info.seq) {
        send(ws, { type: "resume", stream: info.stream, after: known.seq });
      }
    });
    // A stream that is no longer announced belongs to an organization the user has left.
    Array.from(streams.keys()).forEach((name) => {
      if (!names.has(name)) streams.delete(name);
    });
  }

  function gap(data) {
    // Some events are gone for good; the ones still kept follow this message. When nothing is kept, or the
    // stream was reset (the page is ahead of the server), follow it from where the server is now.
    const known = streams.get(data.stream);
    if (known && (data.first === null || data.after > data.seq)) {
      if (data.seq < known.seq) known.seen.clear();
      known.seq = data.seq;
    }
    gapSubscribers.forEach((callback) => call(callback, data));
    document.dispatchEvent(new CustomEvent("kontora:live-gap", { detail: data }));
  }

  function receive(event) {
    let state = streams.get(event.stream);
    if (!state) {
      state = { seq: 0, seen: new Set() };
      streams.set(event.stream, state);
    }
    if (state.seen.has(event.seq)) return;
    state.seen.add(event.seq);
    if (state.seen.size > SEEN_KEEP) state.seen.delete(state.seen.values().next().value);
    if (event.seq > state.seq) state.seq = event.seq;
    render(event);
    subscribers.forEach((callback) => call(callback, event));
    document.dispatchEvent(new CustomEvent("kontora:live", { detail: event }));
  }

  function call(callback, value) {
    try {
      callback(value);
    } catch (error) {
      if (window.console) console.error(error);
    }
  }

  function shortText(data) {
    let text;
    if (data && typeof data.message === "string") {
      text = data.message;
    } else {
      try {
        text = JSON.stringify(data);
      } catch (error) {
        text = "";
      }
    }
    return text && text.length > MAX_TEXT ? text.slice(0, MAX_TEXT - 1) + "…" : text || "";
  }

  function render(event) {
    if (!list) return;
    const item = document.createElement("li");
    item.className = "live-event";
    item.dataset.stream = event.stream;
    item.dataset.seq = String(event.seq);

    const time = document.createElement("time");
    const at = new Date(event.at);
    if (!isNaN(at.getTime())) {
      time.dateTime = event.at;
      time.textContent = at.toLocaleTimeString(document.documentElement.lang || undefined);
    }
    const type = document.createElement("span");
    type.className = "live-event-type";
    type.textContent = event.type;
    const text = document.createElement("span");
    text.className = "live-event-text";
    text.textContent = shortText(event.data);

    item.append(time, " ", type, " ", text);
    list.prepend(item);
    while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
    if (empty) empty.hidden = true;
  }

  window.KontoraLive = {
    // callback(event) for every new event; returns a function that unsubscribes.
    subscribe(callback) {
      subscribers.add(callback);
      return () => subscribers.delete(callback);
    },
    // callback({stream, after, first, seq}) when missed events could not be replayed: reload your data.
    onGap(callback) {
      gapSubscribers.add(callback);
      return () => gapSubscribers.delete(callback);
    },
  };

  window.addEventListener("online", () => {
    if (!socket && !stopped) {
      attempt = 0;
      connect();
    }
  });

  connect();
})();
