/*
 * rtw.js: the client of `rtw serve` (GET /rtw.js). Plain ES2017, no
 * dependencies, no build step.
 *
 *   const sub = rtw.subscribe('demo', (m) => console.log(m.id, m.data));
 *   sub.transport;          // 'websocket', 'sse' or 'longpoll' (null until one opens)
 *   sub.close();
 *   rtw.publish('demo', 'hello').then((id) => ...);
 *
 * subscribe(topic, onMessage, options) tries WebSocket
 * (topics/{t}/ws?since=N), falls back to Server-Sent Events
 * (topics/{t}/events) and then to long polling
 * (topics/{t}/longpoll?since=N&timeout=25) when a transport fails before it
 * ever opened (a server or proxy that refuses WebSocket, say). A transport
 * that opened and then dropped is reconnected, with exponential backoff,
 * from the last id seen: `?since=N` on a new WebSocket, long poll or
 * EventSource; an EventSource that the browser reconnects by itself sends
 * `Last-Event-ID` (WHATWG HTML, "Server-sent events"). Ids only grow within
 * a topic, so a message whose id is not above the last one delivered is
 * skipped: no id is delivered twice.
 *
 * options:
 *   base        where the server is (another origin needs the server's
 *               --allow-origin); default: the directory rtw.js was loaded
 *               from.
 *   transports  the order to try, a subset of
 *               ['websocket', 'sse', 'longpoll'] (one name forces it).
 *   since       start after this id (0: the whole history the server
 *               keeps); default: only messages published from now on.
 *   onTransport(name)      called when a transport opens.
 *   onMissed([from, to])   ids the server no longer had when resuming.
 *   backoff     {initial: 250, max: 10000} milliseconds.
 *
 * onMessage({id, data}, subscription) gets each message once, in order.
 */
(function (root) {
  'use strict';

  var TRANSPORTS = ['websocket', 'sse', 'longpoll'];
  var LONGPOLL_TIMEOUT = 25;

  // The directory this script came from: the server's routes are beside it.
  var script = typeof document !== 'undefined' ? document.currentScript : null;
  var DEFAULT_BASE = new URL('.', script && script.src ? script.src : root.location.href).href;

  function baseOf(options) {
    if (!options.base) return DEFAULT_BASE;
    var b = String(options.base);
    return new URL(b.endsWith('/') ? b : b + '/', root.location.href).href;
  }

  function topicUrl(base, topic, kind, params) {
    var path = 'topics/' + encodeURIComponent(topic) + (kind ? '/' + kind : '');
    var url = new URL(path, base);
    Object.keys(params || {}).forEach(function (k) {
      if (params[k] !== null && params[k] !== undefined) url.searchParams.set(k, String(params[k]));
    });
    return url;
  }

  function wsUrl(url) {
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
  }

  function subscribe(topic, onMessage, options) {
    options = options || {};
    var base = baseOf(options);
    var order = (options.transports || TRANSPORTS).filter(function (t) {
      return TRANSPORTS.indexOf(t) >= 0;
    });
    if (order.length === 0) throw new Error('rtw.subscribe: no known transport in ' + options.transports);
    var backoff = options.backoff || {};
    var initial = backoff.initial || 250;
    var max = backoff.max || 10000;

    var last = typeof options.since === 'number' ? options.since : null;
    var index = 0; // the transport being tried, in `order`
    var failures = 0; // attempts in a row that did not open
    var closed = false;
    var current = null; // {stop(), opened}
    var timer = null;

    var sub = {
      topic: topic,
      transport: null,
      lastId: last,
      close: function () {
        closed = true;
        clearTimeout(timer);
        if (current) current.stop();
        current = null;
        sub.transport = null;
      },
      // Drop the live connection as a network failure would; the
      // subscription resumes from the last id (for tests and demos).
      cut: function () {
        if (closed || !current) return;
        var c = current;
        c.stop();
        ended(c, true);
      },
    };

    function deliver(id, data) {
      if (typeof id !== 'number' || !isFinite(id)) return;
      if (last !== null && id <= last) return;
      last = id;
      sub.lastId = id;
      onMessage({ id: id, data: data }, sub);
    }

    function missed(range) {
      if (options.onMissed) options.onMissed(range);
    }

    function opened(c) {
      if (c !== current || c.opened) return;
      c.opened = true;
      failures = 0;
      sub.transport = order[index];
      if (options.onTransport) options.onTransport(sub.transport);
    }

    // A connection ended: reconnect the same transport if it had opened,
    // else try the next one; wait longer after each failure in a row.
    function ended(c, now) {
      if (c !== current || closed) return;
      current = null;
      sub.transport = null;
      if (!c.opened) {
        index = (index + 1) % order.length;
        failures += 1;
      }
      var wait = now ? 0 : Math.min(max, initial * Math.pow(2, Math.max(0, failures - 1)));
      if (!c.opened && index !== 0) wait = 0; // fall back at once
      clearTimeout(timer);
      timer = setTimeout(connect, wait);
    }

    function connect() {
      if (closed) return;
      var open = { websocket: openWebSocket, sse: openEventSource, longpoll: openLongPoll }[order[index]];
      try {
        current = open();
      } catch (err) {
        // No such API here (an old browser, a worker): the next transport.
        var c = { opened: false, stop: function () {} };
        current = c;
        ended(c, false);
      }
    }

    function openWebSocket() {
      var c = { opened: false, stop: null };
      var ws = new WebSocket(wsUrl(topicUrl(base, topic, 'ws', { since: last })));
      c.stop = function () {
        ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        ws.close();
      };
      ws.onopen = function () { opened(c); };
      ws.onmessage = function (e) {
        var m;
        try { m = JSON.parse(e.data); } catch (err) { return; }
        if (m && m.missed) missed(m.missed);
        else if (m) deliver(m.id, m.data);
      };
      ws.onclose = function () { c.stop(); ended(c, false); };
      // A close event follows an error (WHATWG WebSockets); a failed
      // handshake is acted on at once all the same.
      ws.onerror = function () {
        if (!c.opened) ws.onclose();
      };
      return c;
    }

    function openEventSource() {
      var c = { opened: false, stop: null };
      var es = new EventSource(topicUrl(base, topic, 'events', { since: last }).href);
      c.stop = function () {
        es.onopen = es.onmessage = es.onerror = null;
        es.close();
      };
      es.onopen = function () { opened(c); };
      es.onmessage = function (e) { deliver(Number(e.lastEventId), e.data); };
      es.addEventListener('missed', function (e) {
        try { missed(JSON.parse(e.data).missed); } catch (err) { /* ignored */ }
      });
      es.onerror = function () {
        // CONNECTING: the browser reconnects by itself with Last-Event-ID.
        // CLOSED (the server refused the stream) or never opened: ours.
        if (es.readyState === 2 || !c.opened) {
          c.stop();
          ended(c, false);
        }
      };
      return c;
    }

    function openLongPoll() {
      var c = { opened: false, stop: null };
      var controller = new AbortController();
      var stopped = false;
      c.stop = function () {
        stopped = true;
        controller.abort();
      };
      (async function () {
        try {
          while (!stopped) {
            var url = topicUrl(base, topic, 'longpoll', { since: last, timeout: LONGPOLL_TIMEOUT });
            var response = await fetch(url.href, { signal: controller.signal, cache: 'no-store' });
            if (response.status !== 200 && response.status !== 204) throw new Error('HTTP ' + response.status);
            opened(c);
            if (response.status === 200) {
              var range = response.headers.get('Rtw-Missed');
              if (range) missed(range.split('-').map(Number));
              var messages = await response.json();
              if (stopped) return;
              messages.forEach(function (m) { deliver(m.id, m.data); });
            }
          }
        } catch (err) {
          if (!stopped) ended(c, false);
        }
      })();
      return c;
    }

    connect();
    return sub;
  }

  // POST the text to topics/{topic}; resolves to the message's id.
  function publish(topic, text, options) {
    var url = topicUrl(baseOf(options || {}), topic, '', {});
    return fetch(url.href, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=utf-8' },
      body: String(text),
    }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (t) {
          throw new Error('publish: HTTP ' + response.status + ': ' + t.trim());
        });
      }
      return response.json().then(function (j) { return j.id; });
    });
  }

  root.rtw = { subscribe: subscribe, publish: publish, TRANSPORTS: TRANSPORTS.slice() };
})(typeof window !== 'undefined' ? window : this);
