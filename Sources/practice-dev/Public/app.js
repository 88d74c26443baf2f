// The clinician's telehealth page: plain JS, no build step, no CDN.
// Speaks docs/signaling.md (protocol v1) over /ws with role "clinician".
// URL parameters (for people and for automation):
//   clinician=ID     who we are (dev endpoints authenticate clinicians by this)
//   appointment=ID   preselect the appointment
//   autojoin=1       join without waiting for a click
//   offer=1|0        who creates the offer once both sides are in: 1 = this page (default), 0 = the kiosk
//   role=kiosk&kiosk=ID  act as a kiosk instead (browser-to-browser tests and demos): joins the
//                    appointment the endpoint assigns to kiosk ID (dev endpoints accept any token)
'use strict';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

const telehealth = {
  role: params.get('role') === 'kiosk' ? 'kiosk' : 'clinician',
  kioskId: params.get('kiosk'),
  clinician: params.get('clinician'),
  appointmentId: params.get('appointment'),
  offerer: params.get('offer') === '0' ? 'kiosk' : 'clinician',
  phase: 'lobby',            // lobby | joining | waiting | in-call | ended
  pc: null,                  // the current RTCPeerConnection (kept referenced on purpose)
  ws: null,
  localStream: null,
  remoteStream: null,
  sessionId: null,
  iceServers: [],
  joined: false,             // we asked to be in the room (join/rejoin until end/leave)
  peerPresent: false,
  remoteMedia: null,         // last media-state from the kiosk
  camera: 'on',
  microphone: 'unmuted',
  errors: [],                // JS errors and signaling errors, for automation
  log: [],                   // recent signaling traffic (types only)
  timings: {},               // performance.now() of milestones
  stats,
  state: () => ({
    phase: telehealth.phase, joined: telehealth.joined, peerPresent: telehealth.peerPresent,
    signaling: telehealth.ws ? telehealth.ws.readyState : -1, camera: telehealth.camera,
    microphone: telehealth.microphone, remoteMedia: telehealth.remoteMedia,
    connectionState: telehealth.pc ? telehealth.pc.connectionState : 'none',
    timings: telehealth.timings, errors: telehealth.errors,
  }),
};
window.telehealth = telehealth;
window.addEventListener('error', (e) => telehealth.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => telehealth.errors.push(String(e.reason)));

const peerName = telehealth.role === 'kiosk' ? 'the clinician' : 'the patient';
const cap = (s) => s[0].toUpperCase() + s.slice(1);

function mark(name) { if (!(name in telehealth.timings)) telehealth.timings[name] = Math.round(performance.now()); }
function status(text) { $('lobby-status').textContent = text; $('call-status').textContent = text; }

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
  const query = telehealth.role === 'kiosk' ? '' : `?clinician=${encodeURIComponent(telehealth.clinician)}`;
  const ws = new WebSocket(`${scheme}://${location.host}/ws${query}`);
  telehealth.ws = ws;
  ws.onopen = () => {
    const hello = telehealth.role === 'kiosk'
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
    const wasReady = !!telehealth.sessionId;
    if (wasReady) status('Connection to the practice lost; reconnecting… (the call continues)');
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
      if (telehealth.phase === 'lobby') status('');
      break;
    }
    case 'ping': telehealth.ws.send(JSON.stringify({ v: 1, type: 'pong', id: msg.id })); break;
    case 'pong': break;
    case 'joined':
      telehealth.peerPresent = msg.peerPresent;
      mark('joined');
      if (!msg.peerPresent) { setPhase('waiting'); status(`Waiting for ${peerName} to join…`); }
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
      closePeerConnection();
      setPhase('waiting');
      status(msg.reason === 'left' ? `${cap(peerName)} left. Waiting for them to return…` : `Lost ${peerName}. Waiting for them to return…`);
      break;
    case 'session-ended':
      telehealth.joined = false;
      telehealth.peerPresent = false;
      closePeerConnection();
      setPhase('ended');
      break;
    case 'offer': {
      const pc = telehealth.pc || (await startPeerConnection(false));
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
      if (telehealth.pc) await makeOffer(msg.iceRestart === true);
      break;
    case 'media-state':
      telehealth.remoteMedia = { camera: msg.camera, microphone: msg.microphone };
      showRemoteMedia();
      break;
    case 'assignment':
      // Only kiosks get this: show the appointment, join it when asked to.
      if (telehealth.role !== 'kiosk') break;
      telehealth.appointmentId = msg.appointment ? msg.appointment.id : null;
      $('eligibility').textContent = !msg.appointment ? 'No appointment assigned.'
        : msg.appointment.telehealth.eligible ? `Appointment with ${msg.appointment.clinicianDisplayName}.`
        : msg.appointment.telehealth.reasons.map((r) => r.message).join(' ');
      $('join-button').disabled = !msg.appointment?.telehealth.eligible;
      if (params.get('autojoin') === '1' && msg.appointment?.telehealth.eligible && !telehealth.joined
          && telehealth.phase === 'lobby') {
        await join(false);
      }
      break;
    case 'error':
      telehealth.errors.push(`${msg.code}: ${msg.message}`);
      if (['not-eligible', 'unknown-appointment', 'unauthorized', 'no-session-to-rejoin'].includes(msg.code)) {
        status(`Cannot join: ${msg.message}`);
        if (telehealth.phase === 'joining') setPhase('lobby');
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
  const pc = new RTCPeerConnection({ iceServers: telehealth.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  telehealth.pc = pc;
  window.pc = pc;
  pendingCandidates = [];
  telehealth.remoteStream = new MediaStream();
  $('remote').srcObject = telehealth.remoteStream;
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
    $('remote').srcObject = telehealth.remoteStream;
  };
  pc.onconnectionstatechange = () => {
    if (telehealth.pc !== pc) return;
    if (pc.connectionState === 'connected') { mark('connected'); status(''); }
    if (pc.connectionState === 'failed') { status('The connection failed; retrying…'); makeOffer(true).catch(() => {}); }
  };
  watchFirstFrame();
  sendMediaState();
  if (weOffer) await makeOffer(false);
  return pc;
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
  if (telehealth.pc) { telehealth.pc.close(); telehealth.pc = null; }
  $('remote').srcObject = null;
  $('remote-placeholder').hidden = false;
}

function watchFirstFrame() {
  const video = $('remote');
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
          'audioLevel', 'totalAudioEnergy', 'totalSamplesReceived', 'concealedSamples', 'nackCount', 'pliCount', 'firCount']);
        out.inbound[s.kind].codec = report.get(s.codecId)?.mimeType;
        break;
      case 'outbound-rtp':
        out.outbound[s.kind] = pick(s, ['ssrc', 'packetsSent', 'bytesSent', 'framesSent', 'framesEncoded', 'keyFramesEncoded',
          'frameWidth', 'frameHeight', 'framesPerSecond', 'targetBitrate', 'nackCount', 'pliCount', 'firCount',
          'qualityLimitationReason', 'retransmittedPacketsSent']);
        out.outbound[s.kind].codec = report.get(s.codecId)?.mimeType;
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
            protocol: local?.protocol, rtt: s.currentRoundTripTime });
        }
        break;
      }
    }
  });
  if (transport) {
    out.transport = pick(transport, ['dtlsState', 'dtlsRole', 'tlsVersion', 'dtlsCipher', 'srtpCipher', 'iceRole',
      'iceState', 'bytesSent', 'bytesReceived', 'packetsSent', 'packetsReceived', 'selectedCandidatePairChanges']);
  }
  return JSON.parse(JSON.stringify(out));
}

// ---------------------------------------------------------------- devices, preview, meter

let meterContext = null;

async function openDevices() {
  const cam = $('camera-select').value, mic = $('microphone-select').value;
  const constraints = {
    video: Object.assign({ width: { ideal: 1280 }, height: { ideal: 720 } }, cam ? { deviceId: { exact: cam } } : {}),
    audio: mic ? { deviceId: { exact: mic } } : true,
  };
  if (telehealth.localStream) for (const t of telehealth.localStream.getTracks()) t.stop();
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  telehealth.localStream = stream;
  $('preview').srcObject = stream;
  $('self').srcObject = stream;
  applyLocalToggles();
  await listDevices(stream);
  startMeter(stream);
  // Swap tracks in a running call so a device change does not renegotiate.
  if (telehealth.pc) {
    for (const sender of telehealth.pc.getSenders()) {
      const track = stream.getTracks().find((t) => sender.track && t.kind === sender.track.kind);
      if (track) await sender.replaceTrack(track);
    }
  }
}

async function listDevices(stream) {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const fill = (select, kind, current) => {
    select.replaceChildren(...devices.filter((d) => d.kind === kind).map((d, i) => {
      const o = document.createElement('option');
      o.value = d.deviceId; o.textContent = d.label || `${kind} ${i + 1}`;
      o.selected = d.deviceId === current;
      return o;
    }));
  };
  fill($('camera-select'), 'videoinput', stream.getVideoTracks()[0]?.getSettings().deviceId);
  fill($('microphone-select'), 'audioinput', stream.getAudioTracks()[0]?.getSettings().deviceId);
}

function startMeter(stream) {
  if (!stream.getAudioTracks().length) return;
  meterContext?.close();
  meterContext = new AudioContext();
  const analyser = meterContext.createAnalyser();
  analyser.fftSize = 512;
  meterContext.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const context = meterContext;
  const draw = () => {
    if (context !== meterContext) return;
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    $('meter-level').style.width = Math.min(100, rms * 300) + '%';
    requestAnimationFrame(draw);
  };
  draw();
}

// ---------------------------------------------------------------- UI

function setPhase(phase) {
  telehealth.phase = phase;
  $('lobby').hidden = !(phase === 'lobby' || phase === 'joining');
  $('call').hidden = !(phase === 'waiting' || phase === 'in-call');
  const dialog = $('ended-dialog');
  if (phase === 'ended' && !dialog.open) dialog.showModal();
  if (phase !== 'ended' && dialog.open) dialog.close();
  if (phase === 'waiting') $('remote-placeholder').hidden = false;
}

function applyLocalToggles() {
  for (const t of telehealth.localStream?.getVideoTracks() ?? []) t.enabled = telehealth.camera === 'on';
  for (const t of telehealth.localStream?.getAudioTracks() ?? []) t.enabled = telehealth.microphone === 'unmuted';
  $('camera-button').textContent = telehealth.camera === 'on' ? 'Camera on' : 'Camera off';
  $('camera-button').setAttribute('aria-pressed', String(telehealth.camera === 'on'));
  $('camera-button').classList.toggle('off', telehealth.camera !== 'on');
  $('mute-button').textContent = telehealth.microphone === 'muted' ? 'Unmute' : 'Mute';
  $('mute-button').setAttribute('aria-pressed', String(telehealth.microphone === 'muted'));
  $('mute-button').classList.toggle('off', telehealth.microphone === 'muted');
}

function sendMediaState() {
  if (telehealth.peerPresent) send('media-state', { camera: telehealth.camera, microphone: telehealth.microphone });
}

function showRemoteMedia() {
  const badges = [];
  if (telehealth.remoteMedia?.camera === 'off') badges.push(`${cap(peerName)}'s camera is off`);
  if (telehealth.remoteMedia?.microphone === 'muted') badges.push(`${cap(peerName)} is muted`);
  $('remote-badges').replaceChildren(...badges.map((b) => { const s = document.createElement('span'); s.textContent = b; return s; }));
}

async function join(rejoin) {
  mark(rejoin ? 'rejoinClicked' : 'joinClicked');
  if (!telehealth.localStream) await openDevices();
  telehealth.joined = true;
  setPhase('joining');
  status('Joining…');
  send(rejoin ? 'rejoin' : 'join', { appointmentId: telehealth.appointmentId, offerer: telehealth.offerer });
}

async function loadAppointments() {
  const res = await fetch(`/api/appointments?clinician=${encodeURIComponent(telehealth.clinician)}`);
  const list = res.ok ? await res.json() : [];
  const select = $('appointment-select');
  select.replaceChildren(...list.map((a) => {
    const o = document.createElement('option');
    o.value = a.id;
    const when = new Date(a.scheduledAt).toLocaleString([], { timeZone: a.timeZone, dateStyle: 'short', timeStyle: 'short' });
    o.textContent = `${when} — ${a.patientName ?? a.id} (${a.type})${a.telehealth.eligible ? '' : ' — not available'}`;
    return o;
  }));
  if (!telehealth.appointmentId && list.length) {
    telehealth.appointmentId = (list.find((a) => a.telehealth.eligible) ?? list[0]).id;
  }
  if (telehealth.appointmentId) select.value = telehealth.appointmentId;
  showEligibility(list);
  select.onchange = () => { telehealth.appointmentId = select.value; showEligibility(list); };
}

function showEligibility(list) {
  const a = list.find((x) => x.id === telehealth.appointmentId);
  const ok = !!a && a.telehealth.eligible;
  $('eligibility').textContent = !a ? 'No appointment selected.' : ok ? 'Telehealth is available for this appointment.'
    : a.telehealth.reasons.map((r) => r.message).join(' ');
  $('join-button').disabled = !ok && !params.get('appointment');
}

async function start() {
  $('join-button').onclick = () => join(false).catch((e) => { telehealth.errors.push(String(e)); status(String(e)); });
  $('rejoin-button').onclick = () => join(true).catch((e) => telehealth.errors.push(String(e)));
  $('end-button').onclick = () => send('end', { appointmentId: telehealth.appointmentId });
  $('camera-button').onclick = () => { telehealth.camera = telehealth.camera === 'on' ? 'off' : 'on'; applyLocalToggles(); sendMediaState(); };
  $('mute-button').onclick = () => { telehealth.microphone = telehealth.microphone === 'muted' ? 'unmuted' : 'muted'; applyLocalToggles(); sendMediaState(); };
  $('camera-select').onchange = $('microphone-select').onchange = () => openDevices().catch((e) => status(String(e)));

  if (telehealth.role === 'kiosk') {
    $('pick').hidden = false;
    $('appointment-select').parentElement.hidden = true;
    try { await openDevices(); } catch (e) { status('Camera or microphone unavailable: ' + e.message); telehealth.errors.push(String(e)); }
    connect();
    return;
  }
  if (!telehealth.clinician) {
    $('who').hidden = false;
    $('who').onsubmit = (e) => { e.preventDefault(); location.search = '?clinician=' + encodeURIComponent($('clinician-input').value); };
    return;
  }
  $('pick').hidden = false;
  connect();
  await loadAppointments();
  try {
    await openDevices();
  } catch (e) {
    status('Camera or microphone unavailable: ' + e.message);
    telehealth.errors.push(String(e));
  }
  if (params.get('autojoin') === '1' && telehealth.appointmentId) await join(false);
}

$('remote-placeholder').textContent = `Waiting for ${peerName}…`;
setPhase('lobby');
start().catch((e) => { telehealth.errors.push(String(e)); status(String(e)); });

// ?statsLog=1: print the stats summary to the console once a second, so automation that only
// reads the browser's console (kioskd demo reads Chromium's stderr) can follow the call.
if (params.get('statsLog') === '1') {
  setInterval(async () => {
    try { console.log('TELEHEALTH-STATS ' + JSON.stringify(await stats())); }
    catch (e) { console.log('TELEHEALTH-ERROR ' + e); }
  }, 1000);
}
