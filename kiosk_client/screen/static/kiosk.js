// The kiosk screen's few behaviours: the inactivity wipe (a form post the server also does on
// its own), a heartbeat while someone types, the digit pad, read-aloud, and "sealing…".
// Nothing is stored in the browser; every text is set with textContent or value.
const body = document.body;
const base = body.dataset.base;
const idleSeconds = Number(body.dataset.inactivity || "90");
let idle = null;
let lastBeat = 0;

function wipe() {
  document.getElementById("wipe").submit();
}

function touched() {
  clearTimeout(idle);
  if (body.dataset.screen !== "welcome") idle = setTimeout(wipe, idleSeconds * 1000);
  const now = Date.now();
  if (now - lastBeat > 15000) {
    lastBeat = now;
    fetch(`${base}alive`, { method: "POST", cache: "no-store" }).catch(() => {});
  }
}

for (const kind of ["pointerdown", "keydown", "input"]) document.addEventListener(kind, touched, { passive: true });
touched();

// A page restored from the back-forward cache must not show an earlier screen: ask again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) location.replace(base);
});

const tokenInput = document.getElementById("token-input");
for (const key of document.querySelectorAll(".pad .key")) {
  key.addEventListener("click", () => {
    if (key.dataset.digit !== undefined) tokenInput.value += key.dataset.digit;
    else if (key.dataset.key === "delete") tokenInput.value = tokenInput.value.slice(0, -1);
    else tokenInput.value = "";
    tokenInput.focus();
  });
}

const sendForm = document.getElementById("send-form");
if (sendForm) {
  sendForm.addEventListener("submit", () => {
    document.getElementById("sending").hidden = false;
    document.getElementById("send").disabled = true;
  });
}

function speak() {
  fetch(`${base}speak`, { method: "POST", cache: "no-store" }).catch(() => {});
}
document.getElementById("speak-now")?.addEventListener("click", speak);
if (body.dataset.speak === "on") speak();
