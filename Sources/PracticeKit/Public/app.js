// The clinician's telehealth page: plain JS, no build step, no CDN.
// Speaks docs/signaling.md (protocol v1) over /ws with role "clinician".
// Flow: schedule (list) → appointment with the telehealth banner → "Select Your Camera and
// Microphone" → waiting → in call → "Your Telehealth Session Has Ended" with Rejoin.
// Production endpoints: the clinician signs in (POST /api/session sets an HttpOnly session cookie
// and returns a CSRF token, sent as X-CSRF-Token on every state-changing request); the WebSocket
// is authenticated by the same cookie. Dev endpoints (GET /api/session says mode "dev") have no
// sign-in and go by ?clinician=.
// URL parameters (for people and for automation):
//   clinician=ID     who we are (dev only; in production the sign-in decides)
//   appointment=ID   open this appointment directly
//   autojoin=1       join at once with the default devices (no dialog)
//   offer=1|0        who creates the offer once both sides are in: 1 = this page (default), 0 = the kiosk
//   statsLog=1       log `TELEHEALTH-STATS {json}` once a second (automation reading the console)
//   stamped=1        test mode: send a stamped test pattern instead of the camera and read the
//                    kiosk's stamps (glass-to-glass latency, stamps.js; stats().glassToGlass)
//   role=kiosk&kiosk=ID  act as a kiosk instead (browser-to-browser tests and demos): joins the
//                    appointment the endpoint assigns to kiosk ID (dev endpoints accept any token);
//                    with autojoin=1 it joins as soon as the assignment is eligible
// For automation: window.telehealth.state() is one of "list", "appointment", "device-check",
// "waiting", "in-call", "ended"; telehealth.details() has timings and errors; telehealth.stats()
// summarises getStats(). Nothing personal is written to the console.
'use strict';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

const telehealth = {
  role: params.get('role') === 'kiosk' ? 'kiosk' : 'clinician',
  kioskId: params.get('kiosk'),
  clinician: params.get('clinician'),
  mode: null,                // 'dev' | 'production', from GET /api/session
  csrfToken: null,           // production: repeated in X-CSRF-Token (the cookie itself is unreadable)
  appointmentId: params.get('appointment'),
  offerer: params.get('offer') === '0' ? 'kiosk' : 'clinician',
  phase: 'list',             // list | appointment | device-check | joining | waiting | in-call | ended
  pc: null,                  // the current RTCPeerConnection (kept referenced on purpose)
  ws: null,
  localStream: null,
  remoteStream: null,
  sessionId: null,
  iceServers: [],
  joined: false,             // we asked to be in the room (join/rejoin until end/leave)
  peerPresent: false,
  remoteMedia: null,         // last media-state from the other side
  endedBy: null,
  weOffer: false,            // this page made the current connection's offer (it restarts ICE itself)
  reconnecting: false,       // ICE is disconnected or restarting ("Reconnecting…")
  iceRestarts: 0,            // restarts this page began or asked for
  disconnectedTimer: null,
  camera: 'on',
  microphone: 'unmuted',
  errors: [],                // JS errors and signaling errors, for automation
  log: [],                   // recent signaling traffic (types only)
  timings: {},               // performance.now() of milestones
  // ?stamped=1 (a test mode): the camera is a stamped pattern and the kiosk's stamps are read
  // from each frame shown; glassToGlass() gives the kiosk-to-page latency (stamps.js).
  stamped: params.get('stamped') === '1',
  g2gSamples: [],
  glassToGlass: () => Stamps.summary(telehealth.g2gSamples),
  stats,
  state: () => (telehealth.phase === 'joining' ? 'waiting' : telehealth.phase),
  details: () => ({
    phase: telehealth.phase, state: telehealth.state(), joined: telehealth.joined, peerPresent: telehealth.peerPresent,
    signaling: telehealth.ws ? telehealth.ws.readyState : -1, camera: telehealth.camera,
    microphone: telehealth.microphone, remoteMedia: telehealth.remoteMedia, endedBy: telehealth.endedBy,
    connectionState: telehealth.pc ? telehealth.pc.connectionState : 'none',
    reconnecting: telehealth.reconnecting, iceRestarts: telehealth.iceRestarts,
    timings: telehealth.timings, errors: telehealth.errors,
  }),
};
window.telehealth = telehealth;
window.addEventListener('error', (e) => telehealth.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => telehealth.errors.push(String(e.reason)));

const isKiosk = telehealth.role === 'kiosk';
const peerName = isKiosk ? 'the clinician' : 'the patient';
const cap = (s) => s[0].toUpperCase() + s.slice(1);

function mark(name) { if (!(name in telehealth.timings)) telehealth.timings[name] = Math.round(performance.now()); }
function status(text) { $('lobby-status').textContent = text; $('call-status').textContent = text; }
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v); else if (k === 'class') e.className = v; else e[k] = v;
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

// ---------------------------------------------------------------- signaling

let nextId = 1;
let backoff = 500;
let heartbeat = null;
let outbox = [];
let signalingReady = false;       // between welcome and close
let inbound = Promise.resolve();  // handle messages one at a time, in order

function send(type, fields = {}) {
  const msg = Object.assign({ v: 1, type, id: 'w' + nextId++ }, fields);
  telehealth.log.push('> ' + type);
  if (telehealth.log.length > 200) telehealth.log.shift();
  if (telehealth.ws && telehealth.ws.readyState === WebSocket.OPEN && signalingReady) {
    telehealth.ws.send(JSON.stringify(msg));
  } else if (type !== 'ping') {
    outbox.push(msg);
  }
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = isKiosk ? '' : `?clinician=${encodeURIComponent(telehealth.clinician)}`;
  const ws = new WebSocket(`${scheme}://${location.host}/ws${query}`);
  telehealth.ws = ws;
  ws.onopen = () => {
    const hello = isKiosk
      ? { v: 1, type: 'hello', id: 'w' + nextId++, role: 'kiosk', kioskId: telehealth.kioskId, token: params.get('token') ?? 'dev',
          software: 'practice-web/1' }
      : { v: 1, type: 'hello', id: 'w' + nextId++, role: 'clinician', clinicianId: telehealth.clinician, software: 'practice-web/1' };
    if (telehealth.sessionId) hello.sessionId = telehealth.sessionId;
    ws.send(JSON.stringify(hello));
  };
  ws.onmessage = (e) => {
    let msg;
    try { msg = JSON.parse(e.data); } catch { telehealth.errors.push('undecodable signaling message'); return; }
    telehealth.log.push('< ' + msg.type);
    if (telehealth.log.length > 200) telehealth.log.shift();
    inbound = inbound.then(() => onSignal(msg)).catch((err) => telehealth.errors.push(`${msg.type}: ${err}`));
  };
  ws.onclose = () => {
    if (telehealth.ws !== ws) return;
    clearInterval(heartbeat);
    if (telehealth.sessionId) status('Connection to the practice lost; reconnecting… (the call continues)');
    // Exponential backoff with jitter, 0.5 s doubling to 30 s.
    const delay = backoff * (0.5 + Math.random() / 2);
    backoff = Math.min(backoff * 2, 30000);
    signalingReady = false;
    setTimeout(connect, delay);
  };
}

async function onSignal(msg) {
  switch (msg.type) {
    case 'welcome': {
      backoff = 500;
      const resumed = msg.resumed === true;
      telehealth.sessionId = msg.sessionId;
      signalingReady = true;
      telehealth.iceServers = msg.iceServers || [];
      clearInterval(heartbeat);
      heartbeat = setInterval(() => send('ping'), msg.heartbeatIntervalMs || 15000);
      if (!resumed && telehealth.joined) {
        send('join', { appointmentId: telehealth.appointmentId, offerer: telehealth.offerer });
      }
      const queued = outbox; outbox = [];
      for (const m of queued) if (resumed || (m.type !== 'join' && m.type !== 'rejoin')) telehealth.ws.send(JSON.stringify(m));
      if (!telehealth.joined) status('');
      break;
    }
    case 'ping': telehealth.ws.send(JSON.stringify({ v: 1, type: 'pong', id: msg.id })); break;
    case 'pong': break;
    case 'joined':
      telehealth.peerPresent = msg.peerPresent;
      mark('joined');
      if (!msg.peerPresent) { setPhase('waiting'); status(''); }
      break;
    case 'peer-joined':
      telehealth.peerPresent = true;
      mark('peerJoined');
      setPhase('in-call');
      status('Connecting…');
      await startPeerConnection(msg.offerer === telehealth.role);
      break;
    case 'peer-left':
      telehealth.peerPresent = false;
      telehealth.remoteMedia = null;
      showRemoteMedia();
      closePeerConnection();
      setPhase('waiting');
      // 'left' is a decision; anything else (a kiosk restarting, a dropped link) comes back by
      // itself, usually within seconds.
      status(msg.reason === 'left' ? `${cap(peerName)} left. Waiting for them to return…` : `Reconnecting to ${peerName}…`);
      break;
    case 'session-ended':
      telehealth.joined = false;
      telehealth.peerPresent = false;
      telehealth.endedBy = msg.by ?? null;
      telehealth.remoteMedia = null;
      showRemoteMedia();
      closePeerConnection();
      releaseDevices();
      setPhase('ended');
      break;
    case 'offer': {
      // A mid-call offer (the kiosk restarting ICE) is answered on the same connection: the
      // call is not torn down.
      const pc = telehealth.pc || (await startPeerConnection(false));
      telehealth.weOffer = false;
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      await flushCandidates();
      await pc.setLocalDescription(await pc.createAnswer());
      send('answer', { sdp: pc.localDescription.sdp });
      mark('answerSent');
      break;
    }
    case 'answer':
      if (!telehealth.pc) return;
      await telehealth.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      mark('answerReceived');
      await flushCandidates();
      break;
    case 'candidate':
      pendingCandidates.push({ candidate: msg.candidate, sdpMid: msg.sdpMid ?? null,
                               sdpMLineIndex: msg.sdpMLineIndex ?? null, usernameFragment: msg.usernameFragment ?? null });
      await flushCandidates();
      break;
    case 'end-of-candidates':
      pendingCandidates.push(null);
      await flushCandidates();
      break;
    case 'request-offer':
      // The kiosk lost its path (network change, consent) and asks us to restart ICE: same
      // call, same DTLS and keys, new ICE credentials and candidates.
      if (!telehealth.pc) break;
      mark('offerRequested');
      telehealth.weOffer = true;
      if (msg.iceRestart === true) { reconnecting(true); telehealth.pc.restartIce(); }
      await makeOffer(msg.iceRestart === true);
      break;
    case 'media-state':
      telehealth.remoteMedia = { camera: msg.camera, microphone: msg.microphone };
      showRemoteMedia();
      break;
    case 'assignment':
      // Only kiosks get this: show the appointment, join it when asked to.
      if (!isKiosk) break;
      telehealth.appointmentId = msg.appointment ? msg.appointment.id : null;
      showKioskAssignment(msg.appointment);
      if (params.get('autojoin') === '1' && msg.appointment?.telehealth.eligible && !telehealth.joined
          && telehealth.phase === 'appointment') {
        await join(false);
      }
      break;
    case 'error':
      telehealth.errors.push(`${msg.code}: ${msg.message}`);
      if (['not-eligible', 'unknown-appointment', 'unauthorized', 'no-session-to-rejoin'].includes(msg.code)) {
        if (telehealth.phase === 'joining' || telehealth.phase === 'waiting') {
          telehealth.joined = false;
          releaseDevices();
          setPhase('appointment');
          if (!isKiosk) refreshBanner().catch(() => {});   // the window may just have closed
        }
        status(`Cannot join: ${msg.message}`);
      }
      break;
    default:
      telehealth.errors.push('unknown signaling type ' + msg.type);
  }
}

// ---------------------------------------------------------------- WebRTC

let pendingCandidates = [];

async function startPeerConnection(weOffer) {
  closePeerConnection();
  if (!telehealth.localStream) await openDevices();
  const pc = new RTCPeerConnection({ iceServers: telehealth.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  telehealth.pc = pc;
  window.pc = pc;
  pendingCandidates = [];
  telehealth.remoteStream = new MediaStream();
  $('remote-view').srcObject = telehealth.remoteStream;
  for (const track of telehealth.localStream.getTracks()) pc.addTrack(track, telehealth.localStream);
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      send('candidate', { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid,
                          sdpMLineIndex: e.candidate.sdpMLineIndex, usernameFragment: e.candidate.usernameFragment });
    } else if (!e.candidate) {
      send('end-of-candidates');
    }
  };
  pc.ontrack = (e) => {
    telehealth.remoteStream.addTrack(e.track);
    $('remote-view').srcObject = telehealth.remoteStream;
  };
  pc.onconnectionstatechange = () => {
    if (telehealth.pc !== pc) return;
    if (pc.connectionState === 'connected') { mark('connected'); status(''); }
    if (pc.connectionState === 'failed') { status('The connection failed; retrying…'); restartIce(pc); }
  };
  // ICE restart without anyone tapping: on `failed` at once, on `disconnected` after 2 s
  // (consent checks go unanswered; the network probably changed). "Reconnecting…" meanwhile.
  pc.oniceconnectionstatechange = () => {
    if (telehealth.pc !== pc) return;
    const state = pc.iceConnectionState;
    clearTimeout(telehealth.disconnectedTimer);
    if (state === 'disconnected') {
      reconnecting(true);
      telehealth.disconnectedTimer = setTimeout(() => {
        if (telehealth.pc === pc && pc.iceConnectionState === 'disconnected') restartIce(pc);
      }, 2000);
    } else if (state === 'failed') {
      reconnecting(true);
    } else if (state === 'connected' || state === 'completed') {
      if (telehealth.reconnecting) { mark('reconnected'); status(''); }
      reconnecting(false);
    }
  };
  watchFirstFrame();
  sendMediaState();
  telehealth.weOffer = weOffer;
  if (weOffer) await makeOffer(false);
  return pc;
}

// The side that made the call's offer restarts (pc.restartIce() and a new offer); the other
// asks it to with request-offer {iceRestart: true}, so offers never cross.
function restartIce(pc) {
  if (telehealth.pc !== pc) return;
  reconnecting(true);
  telehealth.iceRestarts = (telehealth.iceRestarts || 0) + 1;
  if (telehealth.weOffer) { pc.restartIce(); makeOffer(true).catch((e) => telehealth.errors.push('restart: ' + e)); }
  else send('request-offer', { iceRestart: true });
}

function reconnecting(on) {
  telehealth.reconnecting = on;
  if (on) status('Reconnecting…');
}

async function makeOffer(iceRestart) {
  const pc = telehealth.pc;
  if (!pc) return;
  await pc.setLocalDescription(await pc.createOffer({ iceRestart }));
  send('offer', { sdp: pc.localDescription.sdp });
  mark('offerSent');
}

async function flushCandidates() {
  const pc = telehealth.pc;
  if (!pc || !pc.remoteDescription) return;
  const list = pendingCandidates; pendingCandidates = [];
  for (const c of list) {
    try {
      if (c === null) await pc.addIceCandidate(); else await pc.addIceCandidate(c);
    } catch (err) {
      telehealth.errors.push('addIceCandidate: ' + err);
    }
  }
}

function closePeerConnection() {
  if (telehealth.pc) { telehealth.pc.close(); telehealth.pc = null; window.pc = null; }
  $('remote-view').srcObject = null;
  $('remote-placeholder').hidden = false;
}

function watchFirstFrame() {
  const video = $('remote-view');
  if (telehealth.stamped && !telehealth.watchingStamps) {
    telehealth.watchingStamps = true;
    Stamps.watch(video, telehealth.g2gSamples);
  }
  const seen = () => { mark('firstRemoteFrame'); $('remote-placeholder').hidden = true; };
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(seen);
  else video.addEventListener('playing', seen, { once: true });
}

// ---------------------------------------------------------------- stats for automation

// window.telehealth.stats(): a JSON-friendly summary of getStats() for tests.
async function stats() {
  const pc = telehealth.pc;
  const out = { connectionState: pc ? pc.connectionState : 'none', iceConnectionState: pc ? pc.iceConnectionState : 'none',
                signalingState: pc ? pc.signalingState : 'none', inbound: {}, outbound: {}, source: {},
                candidatePair: null, transport: null, codecs: {} };
  if (!pc) return out;
  const report = await pc.getStats();
  const pick = (s, keys) => { const o = {}; for (const k of keys) if (s[k] !== undefined) o[k] = s[k]; return o; };
  let transport = null;
  report.forEach((s) => { if (s.type === 'transport') transport = s; });
  report.forEach((s) => {
    switch (s.type) {
      case 'inbound-rtp':
        out.inbound[s.kind] = pick(s, ['ssrc', 'packetsReceived', 'packetsLost', 'bytesReceived', 'jitter', 'framesDecoded',
          'framesReceived', 'framesDropped', 'keyFramesDecoded', 'frameWidth', 'frameHeight', 'framesPerSecond',
          'audioLevel', 'totalAudioEnergy', 'totalSamplesReceived', 'concealedSamples', 'concealmentEvents', 'fecPacketsReceived', 'fecPacketsDiscarded',
          'nackCount', 'pliCount', 'firCount', 'freezeCount', 'totalFreezesDuration', 'jitterBufferDelay', 'jitterBufferEmittedCount',
          'retransmittedPacketsReceived']);
        out.inbound[s.kind].codec = report.get(s.codecId)?.mimeType;
        break;
      case 'outbound-rtp':
        out.outbound[s.kind] = pick(s, ['ssrc', 'packetsSent', 'bytesSent', 'framesSent', 'framesEncoded', 'keyFramesEncoded',
          'frameWidth', 'frameHeight', 'framesPerSecond', 'targetBitrate', 'nackCount', 'pliCount', 'firCount',
          'qualityLimitationReason', 'retransmittedPacketsSent', 'totalPacketSendDelay']);
        out.outbound[s.kind].codec = report.get(s.codecId)?.mimeType;
        break;
      case 'remote-inbound-rtp':
        out.remoteInbound = out.remoteInbound || {};
        out.remoteInbound[s.kind] = pick(s, ['roundTripTime', 'fractionLost', 'packetsLost', 'jitter', 'roundTripTimeMeasurements']);
        break;
      case 'media-source':
        out.source[s.kind] = pick(s, ['audioLevel', 'totalAudioEnergy', 'width', 'height', 'framesPerSecond', 'frames']);
        break;
      case 'codec':
        out.codecs[s.id] = pick(s, ['mimeType', 'payloadType', 'clockRate', 'channels', 'sdpFmtpLine']);
        break;
      case 'candidate-pair': {
        const selected = transport ? transport.selectedCandidatePairId === s.id : (s.nominated && s.state === 'succeeded');
        if (selected) {
          const local = report.get(s.localCandidateId), remote = report.get(s.remoteCandidateId);
          out.candidatePair = Object.assign(pick(s, ['state', 'nominated', 'currentRoundTripTime', 'totalRoundTripTime',
            'responsesReceived', 'bytesSent', 'bytesReceived', 'availableOutgoingBitrate']), {
            localCandidateType: local?.candidateType, remoteCandidateType: remote?.candidateType,
            protocol: local?.protocol, relayProtocol: local?.relayProtocol, remoteAddress: remote?.address, rtt: s.currentRoundTripTime });
        }
        break;
      }
    }
  });
  if (transport) {
    out.transport = pick(transport, ['dtlsState', 'dtlsRole', 'tlsVersion', 'dtlsCipher', 'srtpCipher', 'iceRole',
      'iceState', 'bytesSent', 'bytesReceived', 'packetsSent', 'packetsReceived', 'selectedCandidatePairChanges']);
  }
  if (telehealth.stamped) out.glassToGlass = telehealth.glassToGlass();
  return JSON.parse(JSON.stringify(out));
}

// ---------------------------------------------------------------- devices, preview, meter

let meter = null;   // { context, timer } while the device dialog is open

async function openDevices() {
  const cam = $('camera-select').value, mic = $('microphone-select').value;
  const constraints = {
    video: Object.assign({ width: { ideal: 1280 }, height: { ideal: 720 } }, cam ? { deviceId: { exact: cam } } : {}),
    audio: mic ? { deviceId: { exact: mic } } : true,
  };
  if (telehealth.localStream) for (const t of telehealth.localStream.getTracks()) t.stop();
  telehealth.localStream = null;
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  if (telehealth.stamped) {
    for (const t of stream.getVideoTracks()) { t.stop(); stream.removeTrack(t); }
    stream.addTrack(Stamps.camera());
  }
  telehealth.localStream = stream;
  $('preview').srcObject = stream;
  $('self-view').srcObject = stream;
  applyLocalToggles();
  await listDevices(stream);
  if (telehealth.phase === 'device-check') startMeter(stream);
  // Swap tracks in a running call so a device change does not renegotiate.
  if (telehealth.pc) {
    for (const sender of telehealth.pc.getSenders()) {
      const track = stream.getTracks().find((t) => sender.track && t.kind === sender.track.kind);
      if (track) await sender.replaceTrack(track);
    }
  }
  return stream;
}

// Camera and microphone off whenever no call needs them (privacy; the camera light goes out).
function releaseDevices() {
  stopMeter();
  if (telehealth.localStream) for (const t of telehealth.localStream.getTracks()) t.stop();
  telehealth.localStream = null;
  $('preview').srcObject = null;
  $('self-view').srcObject = null;
}

async function listDevices(stream) {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const fill = (select, kind, current, noun) => {
    select.replaceChildren(...devices.filter((d) => d.kind === kind).map((d, i) =>
      el('option', { value: d.deviceId, textContent: d.label || `${noun} ${i + 1}`, selected: d.deviceId === current })));
  };
  fill($('camera-select'), 'videoinput', stream.getVideoTracks()[0]?.getSettings().deviceId, 'Camera');
  fill($('microphone-select'), 'audioinput', stream.getAudioTracks()[0]?.getSettings().deviceId, 'Microphone');
}

// The level is the peak of the last 20 ms window, falling back slowly so speech reads steadily.
function startMeter(stream) {
  stopMeter();
  if (!stream.getAudioTracks().length) return;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let level = 0;
  const meterEl = $('audio-meter');
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) peak = Math.max(peak, Math.abs(s));
    level = Math.max(Math.min(1, peak * 1.5), level * 0.85);
    const shown = Math.round(level * 100) / 100;
    meterEl.dataset.level = String(shown);
    meterEl.setAttribute('aria-valuenow', String(shown));
    meterEl.firstElementChild.style.width = (shown * 100) + '%';
  }, 50);
  context.resume().catch(() => {});
  meter = { context, timer };
}

function stopMeter() {
  if (!meter) return;
  clearInterval(meter.timer);
  meter.context.close().catch(() => {});
  meter = null;
  $('audio-meter').dataset.level = '0';
  $('audio-meter').setAttribute('aria-valuenow', '0');
  $('audio-meter').firstElementChild.style.width = '0';
}

// ---------------------------------------------------------------- UI

function setPhase(phase) {
  telehealth.phase = phase;
  const view = telehealth.state();
  $('list-view').hidden = isKiosk || view !== 'list' || !telehealth.clinician;
  $('appointment').hidden = isKiosk || !(view === 'appointment' || view === 'device-check' || (view === 'ended' && current));
  $('kiosk-lobby').hidden = !isKiosk || !(view === 'appointment' || view === 'device-check' || view === 'list');
  $('main').hidden = view === 'waiting' || view === 'in-call';
  $('call').hidden = !(view === 'waiting' || view === 'in-call');
  const devices = $('device-dialog');
  if (view === 'device-check' && !devices.open) devices.showModal();
  if (view !== 'device-check' && devices.open) devices.close();
  if (view !== 'device-check') stopMeter();
  const ended = $('ended-dialog');
  if (view === 'ended') {
    $('ended-detail').textContent = telehealth.endedBy === telehealth.role ? 'You ended the session.'
      : telehealth.endedBy ? `${cap(peerName)} ended the session.` : '';
    $('back-to-schedule').hidden = isKiosk;
    $('main').hidden = false;
    if (!ended.open) ended.showModal();
  }
  if (view !== 'ended' && ended.open) ended.close();
  if (view === 'waiting') {
    $('remote-placeholder').hidden = false;
    $('remote-placeholder').textContent = telehealth.endedBy
      ? `Waiting for ${peerName} to rejoin…` : `Waiting for ${peerName} to join…`;
  }
}

function applyLocalToggles() {
  for (const t of telehealth.localStream?.getVideoTracks() ?? []) t.enabled = telehealth.camera === 'on';
  for (const t of telehealth.localStream?.getAudioTracks() ?? []) t.enabled = telehealth.microphone === 'unmuted';
  const cameraOff = telehealth.camera !== 'on', muted = telehealth.microphone === 'muted';
  $('toggle-camera').textContent = cameraOff ? 'Turn Camera On' : 'Turn Camera Off';
  $('toggle-camera').setAttribute('aria-pressed', String(cameraOff));
  $('toggle-mute').textContent = muted ? 'Unmute' : 'Mute';
  $('toggle-mute').setAttribute('aria-pressed', String(muted));
  $('self-view').classList.toggle('off', cameraOff);
}

function sendMediaState() {
  if (telehealth.peerPresent) send('media-state', { camera: telehealth.camera, microphone: telehealth.microphone });
}

function showRemoteMedia() {
  const who = isKiosk ? 'Clinician' : 'Patient';
  const parts = [];
  if (telehealth.remoteMedia?.microphone === 'muted') parts.push(`${who}'s microphone is muted`);
  if (telehealth.remoteMedia?.camera === 'off') parts.push(`${who}'s camera is off`);
  // The device is gone (unplugged mid-call), not the person's choice: the picture is frozen.
  if (telehealth.remoteMedia?.camera === 'unavailable') parts.push(`${who}'s camera is unavailable`);
  $('remote-state').textContent = parts.join(' · ');
  $('remote-state').hidden = parts.length === 0;
}

async function join(rejoin) {
  mark(rejoin ? 'rejoinClicked' : 'joinClicked');
  if (!telehealth.localStream) await openDevices();
  telehealth.joined = true;
  setPhase('joining');
  status('Joining…');
  send(rejoin ? 'rejoin' : 'join', { appointmentId: telehealth.appointmentId, offerer: telehealth.offerer });
}

// ---------------------------------------------------------------- schedule and appointment

// Both the contract's shape ({patient: {name}, clinician: {name}}) and the older flat one.
const patientName = (a) => a.patient?.name ?? a.patientName ?? 'Patient';
const clinicianName = (a) => a.clinician?.name ?? a.clinicianDisplayName ?? '';
const whenText = (a, options = { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }) => {
  try {
    return new Date(a.scheduledAt).toLocaleString('en-US', Object.assign({ timeZone: a.timeZone, timeZoneName: 'short' }, options));
  } catch { return a.scheduledAt; }
};
const reasonText = (t) => (t.reasons ?? []).map((r) => r.message).join(' ') || 'Telehealth is not available for this appointment.';

let appointments = [];
let current = null;          // the open appointment
let bannerTimer = null;

async function api(path, method = 'GET', json = undefined) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET' && telehealth.csrfToken) headers['X-CSRF-Token'] = telehealth.csrfToken;
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin',
                                  body: json === undefined ? undefined : JSON.stringify(json) });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body?.error?.message ?? `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

// ---------------------------------------------------------------- sign-in (production)

// Resolves to the session ({mode: 'dev'} or {mode: 'production', id, role, csrfToken}), or null
// when a production endpoint has no session for us.
async function currentSession() {
  try { return await api('/api/session'); } catch (e) { if (e.status === 401) return null; throw e; }
}

function showSignIn(message = '') {
  setPhase('list');
  $('list-view').hidden = true;
  $('sign-in').hidden = false;
  $('sign-out').hidden = true;
  $('signed-in').textContent = '';
  $('sign-in-status').textContent = message;
  $('sign-in').onsubmit = async (e) => {
    e.preventDefault();
    $('sign-in-status').textContent = 'Signing in…';
    try {
      const session = await api('/api/session', 'POST', { id: $('sign-in-id').value, password: $('sign-in-password').value });
      $('sign-in-password').value = '';
      $('sign-in').hidden = true;
      await startSignedIn(session);
    } catch (err) {
      $('sign-in-status').textContent = err.status === 401 ? 'Unknown user id or wrong password.' : `Could not sign in: ${err.message}`;
    }
  };
}

async function signOut() {
  try { await api('/api/session', 'DELETE'); } catch (e) { telehealth.errors.push(String(e)); }
  location.replace(location.pathname);
}

async function loadAppointments() {
  try {
    appointments = await api(`/api/appointments?clinician=${encodeURIComponent(telehealth.clinician)}`);
    $('list-status').textContent = appointments.length ? '' : 'No appointments.';
  } catch (e) {
    appointments = [];
    $('list-status').textContent = `Could not load the schedule: ${e.message}`;
  }
  appointments.sort((a, b) => Date.parse(a.scheduledAt) - Date.parse(b.scheduledAt));
  $('appointments').replaceChildren(...appointments.map((a) => {
    const t = a.telehealth ?? {};
    const chip = t.eligible ? el('span', { class: 'chip ok', textContent: 'Telehealth available' })
      : el('span', { class: 'chip', textContent: t.reasons?.some((r) => r.code === 'too-early') && t.opensAtLocal
        ? `Telehealth opens ${t.opensAtLocal}` : 'Telehealth not available' });
    const row = el('button', { type: 'button', class: 'row', dataset: { appointmentId: a.id } },
      el('span', { class: 'when', textContent: whenText(a) }),
      el('span', { class: 'who', textContent: patientName(a) }),
      el('span', { class: 'what', textContent: [a.type, a.status && a.status !== 'Scheduled' ? a.status : null].filter(Boolean).join(' · ') }),
      chip);
    row.onclick = () => openAppointment(a.id).catch((e) => telehealth.errors.push(String(e)));
    return el('li', {}, row);
  }));
}

async function openAppointment(id) {
  telehealth.appointmentId = id;
  const url = new URL(location.href);
  url.searchParams.set('appointment', id);
  history.replaceState(null, '', url);
  let a = appointments.find((x) => x.id === id);
  if (!a) {
    try { a = await api(`/api/appointments/${encodeURIComponent(id)}`); } catch (e) {
      status(`Could not open the appointment: ${e.message}`);
      return showList();
    }
  }
  current = a;
  $('appointment-title').textContent = patientName(a);
  const rows = [['When', whenText(a, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit' })], ['Type', a.type], ['Status', a.status],
                ['Clinician', clinicianName(a)]];
  $('appointment-details').replaceChildren(...rows.filter(([, v]) => v).flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: v })]));
  $('telehealth-banner').replaceChildren(el('p', { textContent: 'Checking telehealth availability…' }));
  $('telehealth-banner').className = 'banner';
  status('');
  setPhase('appointment');
  await refreshBanner();
  clearInterval(bannerTimer);
  // The window opens and closes while the page is open.
  bannerTimer = setInterval(() => { if (telehealth.phase === 'appointment') refreshBanner().catch(() => {}); }, 30000);
}

async function refreshBanner() {
  const id = telehealth.appointmentId;
  let t;
  try {
    t = await api(`/api/appointments/${encodeURIComponent(id)}/telehealth?clinician=${encodeURIComponent(telehealth.clinician)}`);
  } catch (e) {
    t = { eligible: false, reasons: [{ code: 'unavailable', message: `Could not check telehealth availability: ${e.message}` }] };
  }
  if (id !== telehealth.appointmentId) return t;
  const banner = $('telehealth-banner');
  if (t.eligible) {
    const start = el('button', { id: 'start-telehealth', class: 'primary large', type: 'button', textContent: 'Start Telehealth Session' });
    start.onclick = () => openDeviceDialog().catch((e) => telehealth.errors.push(String(e)));
    banner.className = 'banner ok';
    banner.replaceChildren(
      el('p', { textContent: t.closesAtLocal ? `Telehealth is available until ${t.closesAtLocal}.` : 'Telehealth is available for this appointment.' }),
      start);
  } else {
    banner.className = 'banner blocked';
    banner.replaceChildren(el('p', { id: 'telehealth-reason', textContent: reasonText(t) }));
  }
  return t;
}

function showList() {
  current = null;
  telehealth.appointmentId = null;
  clearInterval(bannerTimer);
  const url = new URL(location.href);
  url.searchParams.delete('appointment');
  history.replaceState(null, '', url);
  setPhase('list');
  return loadAppointments();
}

async function openDeviceDialog() {
  setPhase('device-check');
  $('device-status').textContent = '';
  $('join-session').disabled = true;
  try {
    const stream = await openDevices();
    startMeter(stream);
    $('join-session').disabled = false;
  } catch (e) {
    $('device-status').textContent = `Camera or microphone unavailable: ${e.message}`;
    telehealth.errors.push(String(e));
  }
}

function showKioskAssignment(a) {
  $('kiosk-heading').textContent = a ? `Appointment with ${a.clinicianDisplayName}` : 'Kiosk';
  $('eligibility').textContent = !a ? 'No appointment assigned.'
    : a.telehealth.eligible ? `Scheduled ${whenText(a)}.` : reasonText(a.telehealth);
  $('kiosk-join').disabled = !a?.telehealth.eligible;
}

async function start() {
  $('back-to-list').onclick = () => showList().catch((e) => telehealth.errors.push(String(e)));
  $('cancel-devices').onclick = () => { releaseDevices(); setPhase('appointment'); };
  $('device-dialog').addEventListener('cancel', (e) => { e.preventDefault(); $('cancel-devices').click(); });
  $('ended-dialog').addEventListener('cancel', (e) => e.preventDefault());
  $('join-session').onclick = () => join(false).catch((e) => { telehealth.errors.push(String(e)); $('device-status').textContent = String(e); });
  $('kiosk-join').onclick = () => join(false).catch((e) => { telehealth.errors.push(String(e)); status(String(e)); });
  $('rejoin-session').onclick = () => join(true).catch((e) => { telehealth.errors.push(String(e)); $('ended-detail').textContent = String(e); });
  $('back-to-schedule').onclick = () => { telehealth.endedBy = null; showList().catch((e) => telehealth.errors.push(String(e))); };
  $('end-session').onclick = () => send('end', { appointmentId: telehealth.appointmentId });
  $('toggle-camera').onclick = () => { telehealth.camera = telehealth.camera === 'on' ? 'off' : 'on'; applyLocalToggles(); sendMediaState(); };
  $('toggle-mute').onclick = () => { telehealth.microphone = telehealth.microphone === 'muted' ? 'unmuted' : 'muted'; applyLocalToggles(); sendMediaState(); };
  $('camera-select').onchange = $('microphone-select').onchange = () =>
    openDevices().catch((e) => { $('device-status').textContent = `Could not switch devices: ${e.message}`; });
  applyLocalToggles();
  showRemoteMedia();

  if (isKiosk) {
    $('signed-in').textContent = telehealth.kioskId ? `Kiosk ${telehealth.kioskId}` : '';
    setPhase('appointment');
    connect();
    return;
  }
  const session = await currentSession();
  telehealth.mode = session?.mode ?? 'production';
  if (!session) return showSignIn();
  await startSignedIn(session);
}

async function startSignedIn(session) {
  if (session.mode === 'production') {
    telehealth.csrfToken = session.csrfToken;
    $('sign-out').hidden = false;
    $('sign-out').onclick = () => signOut();
    if (session.role !== 'clinician') {
      setPhase('list');
      $('list-view').hidden = true;
      $('signed-in').textContent = `Signed in as ${session.id}`;
      status(`This page is for clinicians; ${session.id} signed in as ${session.role}.`);
      return;
    }
    telehealth.clinician = session.id;
  } else if (!telehealth.clinician) {
    setPhase('list');
    $('who').hidden = false;
    $('who').onsubmit = (e) => { e.preventDefault(); location.search = '?clinician=' + encodeURIComponent($('clinician-input').value); };
    return;
  }
  $('signed-in').textContent = `Signed in as ${telehealth.clinician}`;
  connect();
  setPhase('list');
  await loadAppointments();
  if (params.get('autojoin') === '1') {
    // Automation and the demo: straight into the call with the default devices.
    if (!telehealth.appointmentId) telehealth.appointmentId = (appointments.find((a) => a.telehealth?.eligible) ?? appointments[0])?.id ?? null;
    if (!telehealth.appointmentId) return;
    await openAppointment(telehealth.appointmentId);
    try { await join(false); } catch (e) { status('Camera or microphone unavailable: ' + e.message); telehealth.errors.push(String(e)); }
  } else if (telehealth.appointmentId) {
    await openAppointment(telehealth.appointmentId);
  }
}

setPhase('list');
start().catch((e) => { telehealth.errors.push(String(e)); status(String(e)); });

// ?statsLog=1: print the stats summary to the console once a second, so automation that only
// reads the browser's console (kioskd demo reads Chromium's stderr) can follow the call.
if (params.get('statsLog') === '1') {
  setInterval(async () => {
    try { console.log('TELEHEALTH-STATS ' + JSON.stringify(await stats())); }
    catch (e) { console.log('TELEHEALTH-ERROR ' + e); }
  }, 1000);
}
