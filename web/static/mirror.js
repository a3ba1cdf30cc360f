// Magic Mirror page: camera + mic → server over WebRTC, mirror video back, events on a data channel.
// Protocol v1 messages: {"v":1,"type":...}. No build step.
"use strict";

const PROTOCOL = 1;
const params = new URLSearchParams(location.search);
// probe=1: send the camera through a canvas that flashes a corner square every 1.5 s and time when
// each flash comes back: a real glass-to-glass measurement in this browser.
const PROBE = params.get("probe") === "1";
const FLASH_EVERY_MS = 1500, FLASH_MS = 100, MARK = 32;
const CAMERA = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
// kiosk=1 (kiosk.js draws the rest): nobody is there to press reload, so it retries twice a second,
// and a server silent for SERVER_SILENT_MS (killed, unplugged) is left at once, not after ICE's ~30 s.
const KIOSK = params.get("kiosk") === "1";
const RETRY_FIRST_MS = KIOSK ? 500 : 1000, RETRY_MAX_MS = KIOSK ? 500 : 5000;
const SERVER_SILENT_MS = 3000;

const $ = (id) => document.getElementById(id);
const video = $("mirror");
const stats = { connected: false, framesShown: 0, fps: 0, serverMs: null, g2gMs: [], events: [], scene: null,
                captions: [], listening: 0, browserSteps: {}, state: "idle", session: null, reconnects: 0, stages: [],
                recording: "idle", clip: null, states: [] };
window.mirrorStats = stats;  // read by the end-to-end test

let pc = null, channel = null, localStream = null, sentStream = null;
let awaitingFirstFrame = true;  // connected, but the mirror's first frame is still being made
let retryMs = RETRY_FIRST_MS, retryTimer = null, pingTimer = null, lastHeardAt = 0;

function setState(state) {
  stats.state = state;
  stats.states.push(state);
  const el = $("state");
  el.textContent = state;
  el.className = "state state-" + state.replace(/ /g, "-");
}

function showNotice(text) {
  const el = $("notice");
  el.textContent = text;
  el.classList.toggle("show", Boolean(text));
}

async function getMedia() {
  if (localStream) return localStream;
  try {
    localStream = await navigator.mediaDevices.getUserMedia({
      // HD where the camera has it; the server renders at this size or steps down to hold 30 fps.
      video: CAMERA,
      // Browser processing attenuates and gates speech that whisper would understand fine.
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
  } catch (err) {
    try {  // a camera without a microphone still makes a mirror
      localStream = await navigator.mediaDevices.getUserMedia({ video: CAMERA });
      showNotice("No microphone: type your commands instead.");
    } catch (err2) {
      setState("error");
      $("placeholder-text").textContent = "The mirror needs a camera: " + err2.message;
      throw err2;
    }
  }
  sentStream = PROBE ? probeStream(localStream) : localStream;
  watchCamera();
  return localStream;
}

// ---- a camera that goes away (unplugged, its driver reset) is asked for again and put back into
// the call in place of the old track, without a new connection ----
function watchCamera() {
  for (const track of localStream.getVideoTracks()) track.addEventListener("ended", reacquireCamera, { once: true });
}

async function reacquireCamera(event) {
  const asked = event.target.getConstraints();  // what the lost camera was asked for
  showNotice("The camera went away: looking for it…");
  for (;;) {
    try {
      const track = (await navigator.mediaDevices.getUserMedia({ video: asked })).getVideoTracks()[0];
      for (const old of localStream.getVideoTracks()) localStream.removeTrack(old);
      localStream.addTrack(track);
      const sender = pc && pc.getSenders().find((s) => s.track && s.track.kind === "video");
      if (sender && !PROBE) await sender.replaceTrack(track);
      stats.cameraReacquired = (stats.cameraReacquired || 0) + 1;
      showNotice("");
      watchCamera();
      return;
    } catch (err) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

// ---- glass-to-glass probe ----
let flashDrawnAt = null, flashSeen = true;
function probeStream(stream) {
  const cam = document.createElement("video");
  cam.srcObject = new MediaStream(stream.getVideoTracks());
  cam.muted = true;
  cam.play();
  const canvas = document.createElement("canvas");
  canvas.width = 640; canvas.height = 480;
  const ctx = canvas.getContext("2d");
  // captureStream(0) + requestFrame(): each drawn frame is sent the moment it is drawn (a stream
  // sampled at 30 fps would hold a flash for up to a frame before capturing it). Drawing on each
  // camera frame makes the flash ride a camera frame, as a real light switched on would.
  const out = canvas.captureStream(0);
  const sent = out.getVideoTracks()[0];
  let lastFlash = performance.now();
  function draw() {
    if (cam.readyState >= 2) ctx.drawImage(cam, 0, 0, canvas.width, canvas.height);
    const now = performance.now();
    if (now - lastFlash >= FLASH_EVERY_MS) { lastFlash = now; flashDrawnAt = now; flashSeen = false; }
    ctx.fillStyle = now - lastFlash < FLASH_MS ? "#fff" : "#000";
    ctx.fillRect(0, 0, MARK, MARK);
    sent.requestFrame();
    cam.requestVideoFrameCallback(draw);
  }
  cam.requestVideoFrameCallback(draw);
  stream.getAudioTracks().forEach((t) => out.addTrack(t));
  return out;
}

const probeCanvas = document.createElement("canvas");
probeCanvas.width = MARK; probeCanvas.height = MARK;
const probeCtx = probeCanvas.getContext("2d", { willReadFrequently: true });
function checkFlash(now, meta) {
  if (flashSeen || flashDrawnAt === null || !video.videoWidth) return;
  const sx = Math.round(video.videoWidth * 8 / 640), size = Math.round(video.videoWidth * (MARK - 16) / 640);
  probeCtx.drawImage(video, sx, sx, size, size, 0, 0, MARK, MARK);
  const px = probeCtx.getImageData(0, 0, MARK, MARK).data;
  let sum = 0;
  for (let i = 0; i < px.length; i += 4) sum += px[i] + px[i + 1] + px[i + 2];
  if (sum / (px.length / 4) / 3 > 180) {
    flashSeen = true;
    const shownAt = meta && meta.expectedDisplayTime ? meta.expectedDisplayTime : now;
    const ms = shownAt - flashDrawnAt;
    if (ms > 0 && ms < 5000) { stats.g2gMs.push(ms); if (stats.g2gMs.length > 100) stats.g2gMs.shift(); }
  }
}

// ---- frames shown ----
let fpsCount = 0, fpsSince = performance.now();
function onVideoFrame(now, meta) {
  stats.framesShown++;
  if (awaitingFirstFrame) {
    awaitingFirstFrame = false;
    $("placeholder").classList.add("hidden");
    if (stats.state === "warming up") setState("connected");
  }
  fpsCount++;
  if (now - fpsSince >= 1000) {
    stats.fps = fpsCount * 1000 / (now - fpsSince);
    fpsCount = 0; fpsSince = now;
    $("fps").textContent = stats.fps.toFixed(0);
    stats.size = [video.videoWidth, video.videoHeight];  // the quality loop's current output size
    $("size").textContent = video.videoWidth + "×" + video.videoHeight;
  }
  if (PROBE) checkFlash(now, meta);
  if (stats.g2gMs.length) {
    const sorted = [...stats.g2gMs].sort((a, b) => a - b);
    $("g2g-ms").textContent = sorted[Math.floor(sorted.length / 2)].toFixed(0);
  }
  video.requestVideoFrameCallback(onVideoFrame);
}

// ---- events from the server ----
function onEvent(msg) {
  lastHeardAt = performance.now();
  stats.events.push(msg.type);
  // Other scripts on the page (kiosk.js) follow the same events without touching this file.
  window.dispatchEvent(new CustomEvent("mirror-event", { detail: msg }));
  if (msg.type === "hello") {
    stats.session = msg.session; stats.stages = msg.stages;
    renderScene(msg.scene);
    if (!msg.speech) showNotice("Voice is off on this server: type your commands.");
  } else if (msg.type === "listening") {
    stats.listening += 1;
    showListening();
  } else if (msg.type === "caption") {
    stats.captions.push(msg.text);
    hideDidYouMean();  // something new was said or typed: the question lapses (or this answers it)
    showCaption(msg.text, null);
  } else if (msg.type === "did_you_mean") {
    showDidYouMean(msg);
  } else if (msg.type === "scene") {
    hideDidYouMean();
    stats.scene = msg.scene;
    renderScene(msg.scene);
    // Said plainly: what it kept as words for the picture but cannot draw, and what it can instead.
    stats.notDrawn = (msg.not_drawn || []).map(d => `I can't draw ${d.text} yet` + (d.nearest ? ` — try: ${d.nearest}` : ""));
    if (msg.utterance) showCaption(msg.utterance, msg.changed ? msg.explain : "(nothing to change)", stats.notDrawn);
  } else if (msg.type === "recording") {
    showRecording(msg);
  } else if (msg.type === "clip") {
    showClip(msg);
  } else if (msg.type === "quality") {
    fitUpload(msg.box);
  } else if (msg.type === "notice") {
    showNotice(msg.text);
  } else if (msg.type === "draining") {
    // This mirror is restarting: the session ends within msg.seconds, then the page connects again
    // by itself, through the balancer, to a mirror that stays.
    stats.draining = msg.seconds;
    showNotice(`The mirror is restarting: it reconnects by itself within ${Math.ceil(msg.seconds)} s.`);
  } else if (msg.type === "error") {
    console.warn("server says:", msg.text);
  } else if (msg.type === "pong") {
    stats.server = msg.stats;
    if (msg.stats.server_latency_ms != null) {
      stats.serverMs = msg.stats.server_latency_ms;
      $("server-ms").textContent = stats.serverMs.toFixed(0);
    }
  }
}

let captionTimer = null;
// Someone started talking: say so until the words arrive (or ~15 s, the longest utterance).
function showListening() {
  const el = $("caption");
  el.textContent = "listening…";
  el.classList.add("show", "listening");
  clearTimeout(captionTimer);
  captionTimer = setTimeout(() => el.classList.remove("show", "listening"), 15000);
}

function showCaption(text, understood, cannot = []) {
  const el = $("caption");
  el.classList.remove("listening");
  el.textContent = "“" + text + "”";
  if (understood) {
    const u = document.createElement("span");
    u.className = "understood"; u.textContent = understood;
    el.appendChild(u);
  }
  for (const line of cannot) {
    const c = document.createElement("span");
    c.className = "cannot"; c.textContent = line;
    el.appendChild(c);
  }
  el.classList.add("show");
  clearTimeout(captionTimer);
  captionTimer = setTimeout(() => el.classList.remove("show"), 4000);
}

// ---- "did you mean …?": the other reading of an unsure spoken command, offered for msg.seconds.
// Saying "yes" or its name does the same as a tap; the server decides, the page only offers. ----
const didYouMean = document.createElement("button");
didYouMean.id = "did-you-mean"; didYouMean.type = "button";
$("stage").appendChild(didYouMean);
let didYouMeanTimer = null;
function showDidYouMean(msg) {
  stats.didYouMean = { id: msg.id, other: msg.other, shown: true };
  const name = document.createElement("b");
  name.textContent = msg.other;
  didYouMean.replaceChildren("did you mean ", name, "?");
  didYouMean.dataset.id = msg.id;
  didYouMean.classList.add("show");
  clearTimeout(didYouMeanTimer);
  didYouMeanTimer = setTimeout(hideDidYouMean, msg.seconds * 1000);
}
function hideDidYouMean() {
  clearTimeout(didYouMeanTimer);
  didYouMean.classList.remove("show");
  if (stats.didYouMean) stats.didYouMean.shown = false;
}
didYouMean.addEventListener("click", () => {
  if (!didYouMean.classList.contains("show")) return;
  send({ type: "choose_other", id: Number(didYouMean.dataset.id) });
  hideDidYouMean();
});

function renderScene(scene) {
  const chips = $("chips");
  chips.replaceChildren();
  if (!scene) return;
  const add = (text, cls) => {
    const c = document.createElement("span");
    c.className = "chip " + cls; c.textContent = text; chips.appendChild(c);
  };
  if (scene.theme) add(scene.theme.replaceAll("_", " "), "theme");
  if (scene.style) add(scene.style.replaceAll("_", " "), "style");
  for (const p of scene.props || []) {
    add([p.color, p.kind.replaceAll("_", " ")].filter(Boolean).join(" ") + (p.scale !== 1 ? ` ×${p.scale.toFixed(1)}` : ""), "prop");
  }
  for (const e of scene.extras || []) add(e, "extra");
}

// ---- recording: countdown, REC with the seconds left, then the clip with its QR code ----
let recTimer = null;
function showRecording(msg) {
  stats.recording = msg.state;
  clearInterval(recTimer);
  const countdown = $("countdown"), indicator = $("rec-indicator");
  countdown.classList.remove("show");
  indicator.classList.toggle("show", msg.state === "recording" || msg.state === "saving");
  $("record").textContent = msg.state === "idle" || msg.state === "failed" ? "● Record a clip" : "■ Stop recording";
  if (msg.state === "countdown") {
    let left = msg.seconds;
    const tick = () => {
      countdown.textContent = left; countdown.classList.add("show");
      if (left-- <= 0) { clearInterval(recTimer); countdown.classList.remove("show"); }
    };
    tick();
    recTimer = setInterval(tick, 1000);
  } else if (msg.state === "recording") {
    const until = performance.now() + msg.max_seconds * 1000;
    const tick = () => { $("rec-left").textContent = Math.max(0, (until - performance.now()) / 1000).toFixed(0) + " s"; };
    tick();
    recTimer = setInterval(tick, 250);
  } else if (msg.state === "saving") {
    $("rec-left").textContent = "saving…";
  } else if (msg.state === "failed") {
    showNotice(msg.text);
  }
}

function showClip(msg) {
  stats.clip = msg;
  showRecording({ state: "idle" });
  $("clip-video").src = msg.url;
  $("clip-qr").src = msg.qr;
  const link = $("clip-link");
  link.href = msg.page; link.textContent = new URL(msg.page, location.href).href;
  $("clip-panel").hidden = false;
}

$("record").addEventListener("click", () => {
  send({ type: "command", text: stats.recording === "idle" || stats.recording === "failed" ? "start recording" : "stop recording" });
});
$("clip-close").addEventListener("click", () => { $("clip-panel").hidden = true; $("clip-video").removeAttribute("src"); });
$("clip-delete").addEventListener("click", async () => {
  const clip = stats.clip;
  if (!clip) return;
  const res = await fetch("/clips/" + clip.id, { method: "DELETE", headers: { "X-Clip-Secret": clip.secret } });
  $("clip-panel").hidden = true;
  $("clip-video").removeAttribute("src");
  showNotice(res.ok ? "Your clip is deleted." : "Could not delete the clip.");
  stats.clip = null;
});

// ---- the camera sent at the size the server renders (its quality loop's box, told by "quality") ----
// The camera track is scaled in the browser ("crop-and-scale" from the camera's own mode, so the
// camera is not reopened): nothing captured, converted or encoded at 720p for a 640×360 mirror.
let cameraSize = null;  // the camera's size as opened (HD where it has it)
async function fitUpload(box) {
  const track = sentStream && sentStream.getVideoTracks()[0];
  if (!track) return;
  if (!cameraSize) { const s = track.getSettings(); cameraSize = [s.width, s.height]; }
  const scale = Math.min(1, box[0] / cameraSize[0], box[1] / cameraSize[1]);
  const width = 2 * Math.round(cameraSize[0] * scale / 2), height = 2 * Math.round(cameraSize[1] * scale / 2);
  try { await track.applyConstraints({ width: { ideal: width }, height: { ideal: height }, resizeMode: "crop-and-scale" }); }
  catch (err) { console.warn("cannot scale the camera:", err); }
}

function send(obj) {
  if (channel && channel.readyState === "open") channel.send(JSON.stringify({ v: PROTOCOL, ...obj }));
}

// ---- the browser's own steps, per frame, from WebRTC stats (since the call started) ----
// encode / send = camera frame → packets out; jitter buffer / decode / processing = packets in →
// frame ready to show. With the server's steps (/metrics) this accounts for glass-to-glass.
async function browserSteps(peer) {
  const report = await peer.getStats();
  const steps = {};
  report.forEach((r) => {
    if (r.kind !== "video") return;
    if (r.type === "outbound-rtp" && r.framesEncoded) {
      steps.encodeMs = 1000 * r.totalEncodeTime / r.framesEncoded;
      if (r.packetsSent) steps.sendDelayMs = 1000 * r.totalPacketSendDelay / r.packetsSent;
    } else if (r.type === "inbound-rtp" && r.framesDecoded) {
      steps.decodeMs = 1000 * r.totalDecodeTime / r.framesDecoded;
      if (r.jitterBufferEmittedCount) steps.jitterBufferMs = 1000 * r.jitterBufferDelay / r.jitterBufferEmittedCount;
      if (r.totalProcessingDelay != null) steps.processingMs = 1000 * r.totalProcessingDelay / r.framesDecoded;
      steps.framesDropped = r.framesDropped || 0;
    }
  });
  stats.browserSteps = steps;
}

// ---- connection ----
async function connect() {
  clearTimeout(retryTimer);
  setState("connecting");
  awaitingFirstFrame = true;
  await getMedia();
  pc = new RTCPeerConnection({ iceServers: [] });
  const thisPc = pc;
  sentStream.getTracks().forEach((t) => pc.addTrack(t, sentStream));
  channel = pc.createDataChannel("events");
  channel.onmessage = (e) => { try { onEvent(JSON.parse(e.data)); } catch (err) { console.warn(err); } };
  // The server ended the session (a drain's deadline, a time limit): connect again now, not when
  // ICE gives up on the silent peer seconds later (~7 s in Chromium).
  channel.onclose = () => { if (pc === thisPc) scheduleReconnect(); };
  channel.onopen = () => {
    lastHeardAt = performance.now();
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (KIOSK && performance.now() - lastHeardAt > SERVER_SILENT_MS) { scheduleReconnect(); return; }
      send({ type: "ping", t: performance.now() });
      browserSteps(thisPc);
    }, 1000);
  };
  pc.ontrack = (e) => {
    if (e.track.kind !== "video") return;
    // Ask for the smallest playout delay: a mirror must not buffer.
    if ("jitterBufferTarget" in e.receiver) e.receiver.jitterBufferTarget = 0;
    if ("playoutDelayHint" in e.receiver) e.receiver.playoutDelayHint = 0;
    video.srcObject = new MediaStream([e.track]);
    video.play().catch(() => {});
    $("placeholder-text").textContent = "Warming up the mirror…";
  };
  pc.onconnectionstatechange = () => {
    if (pc !== thisPc) return;
    const s = pc.connectionState;
    // Until its first frame arrives the mirror is still opening this person's stages.
    setState(s === "connected" && awaitingFirstFrame ? "warming up" : s);
    stats.connected = s === "connected";
    if (s === "failed" || s === "disconnected" || s === "closed") scheduleReconnect();
  };
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await iceGatheringComplete(pc);
    const body = await postOffer(thisPc);
    if (!body) return;  // replaced by a newer connection while it waited in the queue
    await pc.setRemoteDescription({ sdp: body.sdp, type: "answer" });
    retryMs = RETRY_FIRST_MS;
    showNotice("");
  } catch (err) {
    console.warn("connect failed:", err);
    showNotice("Cannot reach the mirror (" + err.message + "). Retrying…");
    scheduleReconnect();
  }
}

// POST the offer. While the mirror is full it answers 503 with a queue ticket: show the place in
// the queue and ask again with the ticket after Retry-After, so people get in in the order they came
// (a ticket not asked about for a while is dropped by the server).
async function postOffer(thisPc) {
  let ticket = null;
  for (;;) {
    const res = await fetch("/offer", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sdp: thisPc.localDescription.sdp, type: "offer", ...(ticket ? { ticket } : {}) }),
    });
    // A balancer with no ready mirror answers 503 itself, perhaps not in JSON: busy all the same.
    const body = await res.json().catch(() => ({}));
    if (res.ok) { stats.queuePosition = null; return body; }
    if (res.status === 503 && body.ticket) {
      ticket = body.ticket.id;
      stats.queuePosition = body.ticket.position;
      setState("waiting");
      showNotice(`The mirror is busy: you are number ${body.ticket.position} in the queue.`);
    } else if (res.status !== 503 && res.status !== 429) {
      throw new Error(body.error || res.statusText);
    }
    await new Promise((resolve) => setTimeout(resolve, (Number(res.headers.get("Retry-After")) || 2) * 1000));
    if (pc !== thisPc) return null;
  }
}

function iceGatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 2000);  // use what we have: host candidates come first
  });
}

function scheduleReconnect() {
  if (retryTimer) return;
  setState("disconnected");
  stats.connected = false;
  clearInterval(pingTimer);
  try { if (pc) pc.close(); } catch (e) {}
  pc = null;
  retryTimer = setTimeout(() => { retryTimer = null; stats.reconnects++; connect(); }, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

// ---- mic activity (local level meter) ----
function watchMic() {
  const tracks = localStream.getAudioTracks();
  if (!tracks.length) { $("mic").textContent = "no mic"; return; }
  const ctx = new AudioContext();
  const src = ctx.createMediaStreamSource(new MediaStream(tracks));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  src.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let e = 0; for (const x of buf) e += x * x;
    $("mic").classList.toggle("speaking", Math.sqrt(e / buf.length) > 0.02);
  }, 100);
}

$("command-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("command").value.trim();
  if (text) send({ type: "command", text });
  $("command").value = "";
});

async function start() {
  $("start").disabled = true;
  try {
    await getMedia();
  } catch (e) { $("start").disabled = false; return; }
  try { watchMic(); } catch (e) { console.warn(e); }
  video.requestVideoFrameCallback(onVideoFrame);
  connect();
}
$("start").addEventListener("click", start);
if (params.get("autostart") !== "0") start();
