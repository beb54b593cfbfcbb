// Shared code of suite `webrtc`'s pages: the query, the page's log and
// report (POSTed to report_server.py), the signaling connection (the JSON
// protocol of crates/signal over WebSocket) and getStats() helpers.
"use strict";

const query = new URLSearchParams(location.search);
// The page's name: its report is /report/NAME, its log /log/NAME.
const pageName = query.get("name") || query.get("peer") || "page";
const t0 = performance.now();

// ms(): milliseconds since the page started, from performance.now().
function ms() { return Math.round(performance.now() - t0); }

// log(text): one line to the console and to the report server.
const logLines = [];
function log(text) {
  const line = `${(performance.now() / 1000).toFixed(3)} ${pageName} ${text}`;
  logLines.push(line);
  console.log(line);
  fetch(`/log/${pageName}`, { method: "POST", body: line }).catch(() => {});
}

// postReport(report): the report (with the log so far) to /report/NAME.
async function postReport(report) {
  report.log = logLines.slice(-200);
  const body = JSON.stringify(report);
  console.log(`REPORT ${body}`);
  await fetch(`/report/${pageName}`, { method: "POST", body });
}

// Signaling: connect(url) resolves to an object with send(obj) and a
// handler slot onmessage(obj); every message is logged (SDP cut short).
function connectSignaling(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const sig = {
      ws,
      onmessage: () => {},
      onclose: () => {},
      send(obj) {
        log(`-> ${brief(obj)}`);
        ws.send(JSON.stringify(obj));
      },
    };
    ws.onopen = () => resolve(sig);
    ws.onerror = () => reject(new Error(`WebSocket error on ${url}`));
    ws.onclose = e => { log(`signaling closed ${e.code} ${e.reason}`); sig.onclose(e); };
    ws.onmessage = e => {
      let obj;
      try { obj = JSON.parse(e.data); } catch (err) { log(`<- not JSON: ${String(e.data).slice(0, 100)}`); return; }
      log(`<- ${brief(obj)}`);
      sig.onmessage(obj);
    };
  });
}

// brief(obj): a message for the log, SDP and candidates shortened.
function brief(obj) {
  const copy = Object.assign({}, obj);
  if (typeof copy.sdp === "string") copy.sdp = `(${copy.sdp.length} bytes)`;
  if (copy.candidate && copy.candidate.candidate) copy.candidate = copy.candidate.candidate;
  return JSON.stringify(copy).slice(0, 300);
}

// candidateType("candidate:... typ host ..."): the type, or "".
function candidateType(line) {
  const m = / typ ([a-z]+)/.exec(line || "");
  return m ? m[1] : "";
}

// selectedPair(pc): the selected candidate pair from getStats(), as
// {state, local:{type,address,port,protocol,relayProtocol}, remote:{...}},
// or null.
async function selectedPair(pc) {
  const stats = await pc.getStats();
  let pairId = null;
  stats.forEach(s => { if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
  if (!pairId) {
    stats.forEach(s => { if (s.type === "candidate-pair" && s.selected) pairId = s.id; });
  }
  if (!pairId) {
    stats.forEach(s => { if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pairId = s.id; });
  }
  if (!pairId) return null;
  const pair = stats.get(pairId);
  const side = c => c ? ({ type: c.candidateType, address: c.address || c.ip, port: c.port,
                           protocol: c.protocol, relayProtocol: c.relayProtocol }) : null;
  return { state: pair.state, local: side(stats.get(pair.localCandidateId)),
           remote: side(stats.get(pair.remoteCandidateId)) };
}

// framesDecoded(pc): the sum of framesDecoded over inbound video streams.
async function framesDecoded(pc) {
  const stats = await pc.getStats();
  let n = 0;
  stats.forEach(s => { if (s.type === "inbound-rtp" && s.kind === "video") n += s.framesDecoded || 0; });
  return n;
}

// Serial(): runs async steps one after another (signaling for one peer
// must not interleave: a candidate waits for the remote description).
function Serial() {
  let tail = Promise.resolve();
  return step => { tail = tail.then(step).catch(err => log(`error: ${err}`)); return tail; };
}

// waitFor(test, limitMs, what): resolves with test()'s first truthy value
// (test may be async), polling every 50 ms; rejects after limitMs.
async function waitFor(test, limitMs, what) {
  const end = performance.now() + limitMs;
  for (;;) {
    const v = await test();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

// sdpUfrag(sdp): the first a=ice-ufrag value, or "".
function sdpUfrag(sdp) {
  const m = /^a=ice-ufrag:(\S+)/m.exec(sdp || "");
  return m ? m[1] : "";
}
