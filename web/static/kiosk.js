// Kiosk mode of the mirror page (?kiosk=1; `mirror kiosk` opens it): an attract screen while nobody
// is in front, a hint when someone steps in, "didn't catch that" for words that were no command,
// "reconnecting" while the server is away, large captions and chips, no cursor, the screen kept
// awake. It follows the server's events (the "mirror-event" mirror.js dispatches) and the state in
// window.mirrorStats; it never talks to the server itself. Who is present is the server's call.
"use strict";

(() => {
  if (new URLSearchParams(location.search).get("kiosk") !== "1") return;

  const EXAMPLES = ["give me a sword", "give me a dinosaur", "put me in Game of Thrones", "make it look like anime",
                    "put a cat on my head", "take me to outer space", "give me a rubber duck", "make it blue",
                    "give me balloons all around me", "put me underwater", "start recording"];
  const EXAMPLE_EVERY_MS = 2500;
  const HINT_MS = 8000;  // the hint stays until the first command, or this long
  const MISSED_MS = 2500;
  const stats = window.mirrorStats;
  Object.assign(stats, { kiosk: true, presence: null, attract: true, hint: false, missed: 0, reconnecting: false,
                         wakeLock: null, kioskServer: null });
  document.body.classList.add("kiosk");

  const stage = document.getElementById("stage");
  stage.insertAdjacentHTML("beforeend", `
    <section id="attract" class="show" aria-live="polite">
      <div class="glow"></div>
      <h1>Magic Mirror</h1>
      <p class="invite">Step in front of the mirror</p>
      <p class="say">and say <span id="attract-example"></span></p>
      <p id="attract-more"></p>
      <p class="privacy">The camera and microphone are used live, on this machine, to draw the mirror
        and to understand what you say. Nothing is recorded or kept, unless you ask for a clip
        (“start recording”); you can delete your clip at once.</p>
    </section>
    <div id="kiosk-hint" aria-live="polite"></div>
    <div id="kiosk-banner" role="status">Reconnecting…</div>`);
  const $ = (id) => document.getElementById(id);
  const attract = $("attract"), hint = $("kiosk-hint"), banner = $("kiosk-banner");

  // ---- the attract screen: examples of what to say, one after the other ----
  let example = 0;
  const quoted = (i) => "“" + EXAMPLES[i % EXAMPLES.length] + "”";
  function nextExample() {
    const el = $("attract-example");
    el.textContent = quoted(example);
    $("attract-more").textContent = "or " + quoted(example + 1) + " · " + quoted(example + 2);
    example++;
    el.classList.remove("enter");
    void el.offsetWidth;  // restart the entrance animation
    el.classList.add("enter");
  }
  nextExample();
  setInterval(() => { if (stats.attract) nextExample(); }, EXAMPLE_EVERY_MS);

  function showAttract(on) {
    stats.attract = on;
    attract.classList.toggle("show", on);
    if (on) {
      showHint(false);
      closeClip();  // the last visitor's clip and its QR code are theirs, not the next one's
    }
  }

  let hintTimer = null;
  function showHint(on) {
    stats.hint = on;
    clearTimeout(hintTimer);
    if (on) {
      hint.textContent = "Say: " + quoted(example + 3);
      hintTimer = setTimeout(() => showHint(false), HINT_MS);
    }
    hint.classList.toggle("show", on);
  }

  function setPresence(state) {
    const arrived = state === "present" && stats.presence !== "present";
    stats.presence = state;
    showAttract(state !== "present");
    if (arrived) showHint(true);
  }

  function closeClip() {
    const panel = document.getElementById("clip-panel");
    if (panel && !panel.hidden) document.getElementById("clip-close").click();
  }

  // ---- "didn't catch that": words that changed nothing are not shown as they were heard ----
  let missedTimer = null;
  function showMissed() {
    stats.missed++;
    const caption = document.getElementById("caption");
    caption.classList.remove("listening");
    caption.classList.add("show", "missed");
    caption.textContent = "Didn't catch that";
    const tip = document.createElement("span");
    tip.className = "understood";
    tip.textContent = "try " + quoted(example);
    caption.appendChild(tip);
    clearTimeout(missedTimer);
    missedTimer = setTimeout(() => caption.classList.remove("show", "missed"), MISSED_MS);
  }

  window.addEventListener("mirror-event", (e) => {
    const msg = e.detail;
    if (msg.type === "hello") {
      stats.kioskServer = Boolean(msg.kiosk);
      if (msg.kiosk) {
        setPresence(msg.presence);
      } else {  // nobody tells this page who is there: never hide the mirror behind the attract screen
        setPresence("present");
        console.warn("this mirror server is not in kiosk mode: start it with `mirror kiosk` or `mirror serve --kiosk`");
      }
    } else if (msg.type === "presence") {
      setPresence(msg.state);
    } else if (msg.type === "scene") {
      if (msg.source === "reset") closeClip();
      // Not understood at all (after mirror.js has drawn the caption); "I can't draw X yet" stays as it is.
      else if (!msg.changed && !(msg.not_drawn || []).length) setTimeout(showMissed, 0);
      else showHint(false);
    } else if (msg.type === "did_you_mean") {
      showHint(false);
      setTimeout(() => {  // after mirror.js has drawn the chip: people at a kiosk answer aloud
        const say = document.createElement("span");
        say.className = "say"; say.textContent = "say “yes” or tap";
        document.getElementById("did-you-mean").appendChild(say);
      }, 0);
    } else if (msg.type === "caption" || msg.type === "listening") {
      clearTimeout(missedTimer);
      document.getElementById("caption").classList.remove("missed");
    }
  });

  // ---- "reconnecting": the server went away (restart, network blip); mirror.js comes back by itself ----
  let everConnected = false;
  setInterval(() => {
    everConnected = everConnected || stats.connected;
    const away = everConnected && !stats.connected;
    if (away !== stats.reconnecting) {
      stats.reconnecting = away;
      banner.classList.toggle("show", away);
    }
  }, 200);

  // ---- the screen stays on all day (a secure context: http://127.0.0.1 counts) ----
  async function keepAwake() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    try {
      const lock = await navigator.wakeLock.request("screen");
      stats.wakeLock = true;
      lock.addEventListener("release", () => { stats.wakeLock = false; });
    } catch (err) {
      stats.wakeLock = false;
      console.warn("no wake lock:", err.message);
    }
  }
  document.addEventListener("visibilitychange", keepAwake);  // the lock is released whenever the page is hidden
  keepAwake();
})();
